# Build: docker build -t ottsonly .
# Run:   docker run -e TELOXIDE_TOKEN=... -e ADMIN_IDS=... -v ottsonly-data:/data -p 8080:8080 ottsonly
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin ottsonly

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin ottsonly \
    && mkdir -p /data \
    && chown ottsonly:ottsonly /data
WORKDIR /app
COPY --from=build /src/target/release/ottsonly /usr/local/bin/ottsonly
COPY config.toml /app/config.toml
COPY locales /app/locales
ENV OTTSONLY_CONFIG=/app/config.toml \
    DATABASE_URL=sqlite:///data/ottsonly.db?mode=rwc \
    HTTP_ADDR=0.0.0.0:8080 \
    RUST_LOG=info
VOLUME ["/data"]
EXPOSE 8080
USER ottsonly
HEALTHCHECK --interval=30s --timeout=5s CMD ["/bin/bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /health/ready HTTP/1.0\\r\\n\\r\\n' >&3 && grep -q '200 OK' <&3"]
CMD ["ottsonly"]

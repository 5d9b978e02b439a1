use std::process::ExitCode;

use ottsonly::config::{Config, ConfigError};

#[tokio::main]
async fn main() -> ExitCode {
    pretty_env_logger::formatted_timed_builder()
        .parse_filters(&std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()))
        .init();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err @ (ConfigError::Missing(_) | ConfigError::Invalid { .. } | ConfigError::File { .. })) => {
            eprintln!("ottsonly: {err}");
            return ExitCode::from(2);
        }
    };
    match ottsonly::app::run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("ottsonly: {err}");
            ExitCode::FAILURE
        }
    }
}

//! The deployment files stay true: docker-compose.yml is well-formed and runs ottsonly on
//! PostgreSQL with health checks, restart policies and volumes, behind Caddy; every variable
//! it gives ottsonly is one README documents; the image runs as a non-root user.
use serde_yaml::Value;

fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[test]
fn the_compose_file_runs_the_shop_on_postgres_behind_caddy() {
    let compose: Value = serde_yaml::from_str(&read("docker-compose.yml")).expect("valid YAML");
    let services = compose["services"].as_mapping().expect("services");
    for name in ["postgres", "ottsonly", "caddy"] {
        let service = &compose["services"][name];
        assert!(service.is_mapping(), "service {name}");
        assert_eq!(service["restart"].as_str(), Some("unless-stopped"), "{name} restarts");
        assert!(service["image"].is_string() || service["build"].is_string(), "{name} has an image or a build");
    }
    assert_eq!(services.len(), 3);
    let ottsonly = &compose["services"]["ottsonly"];
    assert_eq!(ottsonly["depends_on"]["postgres"]["condition"].as_str(), Some("service_healthy"));
    let check = serde_yaml::to_string(&ottsonly["healthcheck"]["test"]).unwrap();
    assert!(check.contains("/health/ready"), "{check}");
    assert!(compose["services"]["postgres"]["healthcheck"]["test"].is_sequence());
    assert!(ottsonly["ports"].is_null(), "no fixed host port, so it scales");

    // Named volumes are declared and used.
    let declared: Vec<&str> = compose["volumes"].as_mapping().unwrap().keys().map(|k| k.as_str().unwrap()).collect();
    for (service, volume) in [("postgres", "postgres-data"), ("caddy", "caddy-data")] {
        assert!(declared.contains(&volume), "{volume}");
        let mounts = serde_yaml::to_string(&compose["services"][service]["volumes"]).unwrap();
        assert!(mounts.contains(volume), "{service} mounts {volume}");
    }

    // Every variable ottsonly gets is documented.
    let readme = read("README.md");
    for key in ottsonly["environment"].as_mapping().unwrap().keys() {
        let key = key.as_str().unwrap();
        assert!(readme.contains(&format!("`{key}`")), "README does not document {key}");
    }
    let caddy = read("deploy/Caddyfile");
    assert!(caddy.contains("reverse_proxy ottsonly:8080") && caddy.contains("health_uri /health/ready"), "{caddy}");
    let example = read("deploy/env.example");
    for needed in ["DOMAIN=", "TELOXIDE_TOKEN=", "ADMIN_IDS=", "POSTGRES_PASSWORD="] {
        assert!(example.contains(needed), "env.example lacks {needed}");
    }
}

#[test]
fn the_image_runs_as_a_non_root_user_and_checks_readiness() {
    let dockerfile = read("Dockerfile");
    let user = dockerfile.lines().rev().find_map(|l| l.strip_prefix("USER ")).expect("a USER line");
    assert_ne!(user.trim(), "root");
    assert!(dockerfile.contains("GET /health/ready"), "the image's health check asks for readiness");
}

use std::process::ExitCode;

use ottsonly::config::{Config, ConfigError};

#[tokio::main]
async fn main() -> ExitCode {
    pretty_env_logger::formatted_timed_builder()
        .parse_filters(&std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()))
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(playground) = ottsonly::playground::parse_args(&args) {
        return run_playground(playground).await;
    }
    if let Some(tool) = ottsonly::cli::parse(&args) {
        return run_tool(tool).await;
    }
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

async fn run_tool(tool: Result<ottsonly::cli::Command, String>) -> ExitCode {
    let tool = match tool {
        Ok(tool) => tool,
        Err(usage) => {
            eprintln!("ottsonly: {usage}");
            return ExitCode::from(2);
        }
    };
    let database_url = match Config::database_url_from_env() {
        Ok(url) => url,
        Err(err) => {
            eprintln!("ottsonly: {err}");
            return ExitCode::from(2);
        }
    };
    match ottsonly::cli::run(&database_url, tool).await {
        Ok(out) => {
            println!("{out}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("ottsonly: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run_playground(args: Result<bool, String>) -> ExitCode {
    let demo = match args {
        Ok(demo) => demo,
        Err(usage) => {
            eprintln!("ottsonly: {usage}");
            return ExitCode::from(2);
        }
    };
    match ottsonly::playground::run(demo).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("ottsonly playground: {err}");
            ExitCode::FAILURE
        }
    }
}

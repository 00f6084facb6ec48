//! `smile-emulator`: a local Smile ID v1 API (see the library docs for the behaviour).

use std::process::ExitCode;

use clap::{CommandFactory as _, FromArgMatches as _, Parser};
use smile_emulator::EmulatorBuilder;
use smile_emulator::cli::{ApiKeySource, EmulatorArgs};

#[path = "error_chain.rs"]
mod error_chain;
use error_chain::error_chain;

/// A local Smile ID v1 API for offline development and tests.
#[derive(Debug, Parser)]
#[command(name = "smile-emulator", version, about)]
struct Cli {
    #[command(flatten)]
    args: EmulatorArgs,
    /// Log filter (tracing syntax), e.g. "smile_emulator=debug".
    #[arg(
        long,
        default_value = "smile_emulator=info",
        env = "SMILE_EMULATOR_LOG"
    )]
    log: String,
}

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    // The banner says where the key came from; a key the user chose is never printed.
    let key_source = ApiKeySource::from_matches(&matches);
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_new(&cli.log)
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("smile_emulator=info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let config = match cli.args.to_config() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("smile-emulator: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("smile-emulator: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let emulator = match EmulatorBuilder::from_config(config).start().await {
            Ok(e) => e,
            Err(e) => {
                eprintln!("smile-emulator: {}", error_chain(&e));
                return ExitCode::FAILURE;
            }
        };
        if let (Some(path), Some(pem)) = (&cli.args.cert_out, emulator.cert_pem())
            && let Err(e) = std::fs::write(path, pem)
        {
            eprintln!("smile-emulator: cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        println!(
            "smile-emulator {} listening\n  base URL:   {}\n  partner id: {}\n  API key:    {}\n  control:    {}/__emulator\nPress Ctrl-C to stop.",
            env!("CARGO_PKG_VERSION"),
            emulator.base_url(),
            emulator.partner_id(),
            key_source.describe(),
            emulator.origin(),
        );
        if let Err(e) = tokio::signal::ctrl_c().await {
            eprintln!("smile-emulator: cannot wait for Ctrl-C: {e}");
        }
        drop(emulator);
        ExitCode::SUCCESS
    })
}

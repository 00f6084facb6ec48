//! `smile`: the Smile ID command line.
//!
//! - `smile demo`: SmartSelfie™ Authentication end to end on the embedded emulator.
//! - `smile emulator`: run the local Smile ID v1 API.
//! - `smile submit`: submit a SmartSelfie™ Authentication job (job type 2).
//! - `smile status`: query a job's status (signature verified).
//! - `smile verify-callback`: verify a callback body from a file or standard input.
//! - `smile listen`: a loopback callback endpoint that verifies and prints what it receives.
//!
//! Credentials come from `SMILE_PARTNER_ID` and `SMILE_API_KEY` (or the flags); the API key is
//! never printed.

mod demo;
mod receiver;
mod report;

use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use clap::{Args, Parser, Subcommand};
use smile_blocking::types::PartnerId;
use smile_blocking::{
    CallbackVerifier, Image, JobOptions, JobStatusOptions, JobType, PartnerParams, SecretString,
    Server, Signer, WebApi,
};
use smile_emulator::cli::EmulatorArgs;

/// The Smile ID command line (v1 API).
#[derive(Debug, Parser)]
#[command(name = "smile", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// SmartSelfie(TM) Authentication end to end on the embedded emulator (no account, no network).
    Demo,
    /// Run the local Smile ID v1 API (see `smile-emulator --help` for the behaviour).
    Emulator(EmulatorArgs),
    /// Submit a SmartSelfie(TM) Authentication job (job type 2).
    Submit(SubmitArgs),
    /// Query a job's status; the response's signature is verified.
    Status(StatusArgs),
    /// Verify a callback body (file or `-` for standard input) and print what it means.
    VerifyCallback(VerifyArgs),
    /// Listen for callbacks on a loopback port; verify and print each one.
    Listen(ListenArgs),
}

#[derive(Debug, Args)]
struct Credentials {
    /// Partner id, exactly as in the portal ("085" and "85" differ).
    #[arg(long, env = "SMILE_PARTNER_ID")]
    partner_id: String,
    /// API key of the chosen environment (kept as a secret: never printed, not even by Debug).
    #[arg(long, env = "SMILE_API_KEY", hide_env_values = true, value_parser = secret)]
    api_key: SecretString,
}

#[derive(Debug, Args)]
struct ServerArgs {
    /// 0 = sandbox, 1 = production, or a base URL such as http://127.0.0.1:8080/v1.
    #[arg(long, env = "SMILE_SID_SERVER", default_value = "0")]
    server: String,
}

/// Who is asking, where, and about which job.
#[derive(Debug, Args)]
struct JobTarget {
    #[command(flatten)]
    credentials: Credentials,
    #[command(flatten)]
    server: ServerArgs,
    /// The partner's user id (for a new job 2: the user_id of the earlier enrolment).
    #[arg(long)]
    user_id: String,
    /// The partner's job id (for a new job: a new, unique one).
    #[arg(long)]
    job_id: String,
}

#[derive(Debug, Args)]
struct SubmitArgs {
    #[command(flatten)]
    target: JobTarget,
    /// The selfie (JPEG or PNG file).
    #[arg(long)]
    selfie: PathBuf,
    /// Liveness frames (8 recommended), in the order taken.
    #[arg(long, num_args = 1..)]
    liveness: Vec<PathBuf>,
    /// Callback URL for the result.
    #[arg(long, env = "SMILE_CALLBACK_URL")]
    callback_url: Option<String>,
    /// Return at once instead of waiting for the result.
    #[arg(long)]
    no_wait: bool,
}

#[derive(Debug, Args)]
struct StatusArgs {
    #[command(flatten)]
    target: JobTarget,
    /// Include the job's history.
    #[arg(long)]
    history: bool,
    /// Include links to the job's images.
    #[arg(long)]
    image_links: bool,
    /// Print the verified response as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct VerifyArgs {
    #[command(flatten)]
    credentials: Credentials,
    /// The body, exactly as received (`-` for standard input).
    body: PathBuf,
    /// Freshness window in seconds (0 disables the check).
    #[arg(long, default_value_t = 900)]
    tolerance_secs: u64,
}

#[derive(Debug, Args)]
struct ListenArgs {
    #[command(flatten)]
    credentials: Credentials,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8787")]
    addr: SocketAddr,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo => demo::run(),
        Command::Emulator(args) => emulator(&args),
        Command::Submit(args) => submit(args),
        Command::Status(args) => status(args),
        Command::VerifyCallback(args) => verify_callback(&args),
        Command::Listen(args) => listen(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("smile: {}", report::error(e.as_ref()));
            ExitCode::FAILURE
        }
    }
}

type CmdResult = Result<(), Box<dyn std::error::Error>>;

fn client(
    target: &JobTarget,
    callback_url: Option<String>,
) -> Result<WebApi, Box<dyn std::error::Error>> {
    let server: Server = target.server.server.parse()?;
    let mut builder = WebApi::builder(
        target.credentials.partner_id.as_str(),
        target.credentials.api_key.clone(),
    )
    .server(server);
    if let Some(url) = callback_url {
        builder = builder.default_callback(url);
    }
    Ok(builder.build()?)
}

/// Parses a command-line value straight into a [`SecretString`].
fn secret(value: &str) -> Result<SecretString, std::convert::Infallible> {
    Ok(SecretString::from(value))
}

fn signer(credentials: &Credentials) -> Signer {
    Signer::new(
        PartnerId::new(credentials.partner_id.as_str()),
        credentials.api_key.clone(),
    )
}

fn emulator(args: &EmulatorArgs) -> CmdResult {
    let emulator =
        smile_emulator::EmulatorBuilder::from_config(args.to_config()?).start_blocking()?;
    println!(
        "smile emulator listening\n  base URL:   {}\n  partner id: {}\n  control:    {}/__emulator\nPress Ctrl-C to stop.",
        emulator.base_url(),
        emulator.partner_id(),
        emulator.origin(),
    );
    loop {
        std::thread::park();
    }
}

fn submit(args: SubmitArgs) -> CmdResult {
    let api = client(&args.target, args.callback_url)?;
    let mut images = vec![Image::selfie_file(args.selfie)];
    images.extend(args.liveness.into_iter().map(Image::liveness_file));
    let wait = !args.no_wait;
    let outcome = api
        .submit_job(
            PartnerParams::new(
                args.target.user_id,
                args.target.job_id,
                JobType::SmartSelfieAuthentication,
            ),
            images,
            None,
            JobOptions {
                return_job_status: wait,
                return_history: wait,
                return_image_links: wait,
                ..JobOptions::default()
            },
        )
        .map_err(|e| report::client_error(&e))?;
    report::outcome(&outcome, JobType::SmartSelfieAuthentication, "");
    Ok(())
}

fn status(args: StatusArgs) -> CmdResult {
    let api = client(&args.target, None)?;
    let status = api
        .get_job_status(
            args.target.user_id,
            args.target.job_id,
            JobStatusOptions {
                history: args.history,
                image_links: args.image_links,
            },
        )
        .map_err(|e| report::client_error(&e))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&status)?);
    } else {
        println!(
            "job_complete {:?}, job_success {:?}",
            status.job_complete(),
            status.job_success()
        );
        report::status(&status, None, "");
    }
    Ok(())
}

fn verify_callback(args: &VerifyArgs) -> CmdResult {
    let body = if args.body.as_os_str() == "-" {
        let mut body = Vec::new();
        std::io::stdin().read_to_end(&mut body)?;
        body
    } else {
        std::fs::read(&args.body)?
    };
    let tolerance = (args.tolerance_secs > 0).then(|| Duration::from_secs(args.tolerance_secs));
    let verified = CallbackVerifier::new(signer(&args.credentials))
        .tolerance(tolerance)
        .verify(&body, SystemTime::now())?;
    println!("signature valid");
    report::entry(&verified.callback, None, "");
    Ok(())
}

fn listen(args: &ListenArgs) -> CmdResult {
    let receiver =
        receiver::Receiver::start(args.addr, CallbackVerifier::new(signer(&args.credentials)))?;
    println!("listening for callbacks at {}", receiver.url());
    for delivery in receiver.iter() {
        match delivery {
            Ok(verified) => {
                println!("callback (signature verified):");
                report::entry(&verified.callback, None, "  ");
            }
            Err(e) => println!("callback refused (answered 401): {}", report::error(&e)),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::Cli;

    #[test]
    fn the_api_key_never_shows_in_debug_output() {
        for command in ["status", "submit", "verify-callback", "listen"] {
            let mut args = vec![
                "smile",
                command,
                "--partner-id",
                "085",
                "--api-key",
                "sekrit-key-0123456789",
            ];
            match command {
                "status" => args.extend(["--user-id", "u", "--job-id", "j"]),
                "submit" => args.extend(["--user-id", "u", "--job-id", "j", "--selfie", "s.jpg"]),
                "verify-callback" => args.push("-"),
                _ => {}
            }
            let cli = Cli::try_parse_from(&args).expect("the arguments parse");
            let debug = format!("{cli:?}");
            assert!(debug.contains("085"), "{debug}");
            assert!(!debug.contains("sekrit"), "{command}: {debug}");
        }
    }
}

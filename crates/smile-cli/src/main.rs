//! `smile`: the Smile ID command line (v1 API).
//!
//! - `smile register` / `smile auth`: SmartSelfie™ Registration (job 4) and Authentication
//!   (job 2); `smile submit --job-type 1|2|4|6|11`: any image job.
//! - `smile kyc` (Enhanced KYC, job 5), `smile business` (job 7), `smile token`,
//!   `smile services`, `smile documents`, `smile status`.
//! - `smile verify-callback`, `smile listen` (a callback endpoint), `smile emulator`,
//!   `smile demo`, `smile completions`.
//!
//! Credentials come from `SMILE_PARTNER_ID` and `SMILE_API_KEY` (or the flags); the API key is
//! never printed. `--json` prints one JSON document on stdout (docs/cli.md); the exit code
//! says what the result means (see [`output::EXIT_CODES_HELP`]).

mod args;
mod callback;
mod calls;
mod demo;
mod fail;
mod jobs;
mod listen;
mod logging;
mod output;
mod progress;
mod report;
mod shell;

use std::process::ExitCode;

use clap::{ArgAction, Args, CommandFactory as _, FromArgMatches as _, Parser, Subcommand};
use smile_blocking::JobType;
use smile_emulator::cli::{ApiKeySource, EmulatorArgs};

use crate::output::{CliError, Done, EXIT_CODES_HELP, exit};

/// The Smile ID command line (v1 API): enrol and authenticate users, run any job, verify and
/// receive callbacks, and run a local emulator of the API.
#[derive(Debug, Parser)]
#[command(name = "smile", version, after_help = EXIT_CODES_HELP)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Args)]
struct Global {
    /// Print one JSON document on stdout (results and errors alike; see docs/cli.md) and
    /// nothing else there; no progress line.
    #[arg(long, global = true)]
    json: bool,
    /// Log the SDK's steps on stderr: -v info, -vv debug (RUST_LOG, when set, is used instead).
    #[arg(short, long, action = ArgAction::Count, global = true)]
    verbose: u8,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Enrol a user: SmartSelfie(TM) Registration (job type 4), from a selfie (and liveness
    /// frames).
    #[command(after_help = EXIT_CODES_HELP)]
    Register(jobs::SelfieJobArgs),
    /// Authenticate an enrolled user: SmartSelfie(TM) Authentication (job type 2), from a
    /// selfie and liveness frames.
    #[command(after_help = EXIT_CODES_HELP)]
    Auth(jobs::SelfieJobArgs),
    /// Submit any image job (1, 2, 4, 6 or 11); `register` and `auth` are its short forms.
    #[command(after_help = EXIT_CODES_HELP)]
    Submit(Box<jobs::SubmitArgs>),
    /// Enhanced KYC (job type 5): look an ID number up with the ID authority.
    #[command(after_help = EXIT_CODES_HELP)]
    Kyc(calls::KycArgs),
    /// Business verification (job type 7): look a business up in its registry.
    #[command(after_help = EXIT_CODES_HELP)]
    Business(calls::BusinessArgs),
    /// A web token for the hosted web flow or the Web SDK.
    #[command(after_help = EXIT_CODES_HELP)]
    Token(calls::TokenArgs),
    /// The services Smile ID supports (hosted web products per country, bank codes).
    Services(calls::ServicesArgs),
    /// The ID documents Smile ID accepts, per country.
    Documents(calls::DocumentsArgs),
    /// Ask for a job's status (the response's signature is verified).
    #[command(after_help = EXIT_CODES_HELP)]
    Status(calls::StatusArgs),
    /// Verify a callback body (a file, or - for standard input) and show what it means.
    #[command(after_help = EXIT_CODES_HELP)]
    VerifyCallback(callback::VerifyArgs),
    /// A callback endpoint for development: verifies, shows and (with --forward-to) forwards
    /// every callback it receives; marks duplicates.
    Listen(listen::ListenArgs),
    /// Run the local Smile ID v1 API (the smile-emulator binary; --help lists its options).
    Emulator(EmulatorArgs),
    /// SmartSelfie(TM) Authentication end to end on the embedded emulator (no account, no
    /// network).
    Demo,
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(CompletionsArgs),
}

#[derive(Debug, Args)]
struct CompletionsArgs {
    /// The shell.
    shell: clap_complete::Shell,
}

impl Command {
    fn name(&self) -> &'static str {
        match self {
            Self::Register(_) => "register",
            Self::Auth(_) => "auth",
            Self::Submit(_) => "submit",
            Self::Kyc(_) => "kyc",
            Self::Business(_) => "business",
            Self::Token(_) => "token",
            Self::Services(_) => "services",
            Self::Documents(_) => "documents",
            Self::Status(_) => "status",
            Self::VerifyCallback(_) => "verify-callback",
            Self::Listen(_) => "listen",
            Self::Emulator(_) => "emulator",
            Self::Demo => "demo",
            Self::Completions(_) => "completions",
        }
    }
}

/// What every command is given.
#[derive(Debug)]
pub(crate) struct Run {
    /// `--json`.
    pub(crate) json: bool,
    /// Whether to draw the progress line.
    pub(crate) progress: bool,
    /// The arguments after the program name (for the `--resume` command).
    pub(crate) args: Vec<String>,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json = wants_json(&args);
    let matches = match Cli::command().try_get_matches() {
        Ok(m) => m,
        Err(e) => return ExitCode::from(usage_error(&e, json, &args)),
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => return ExitCode::from(usage_error(&e, json, &args)),
    };
    let command = cli.command.name();
    logging::init(cli.global.verbose, &logging::base_for(command));
    let run = Run {
        json: cli.global.json,
        progress: progress::wanted(cli.global.json),
        args,
    };
    let result: Result<Option<Done>, CliError> = match cli.command {
        Command::Register(a) => {
            jobs::run(a.into_submit(JobType::SmartSelfieRegistration), &run).map(Some)
        }
        Command::Auth(a) => {
            jobs::run(a.into_submit(JobType::SmartSelfieAuthentication), &run).map(Some)
        }
        Command::Submit(a) => jobs::run(*a, &run).map(Some),
        Command::Kyc(a) => calls::kyc(a, &run).map(Some),
        Command::Business(a) => calls::business(a, &run).map(Some),
        Command::Token(a) => calls::token(a, &run).map(Some),
        Command::Services(a) => calls::services(&a, &run).map(Some),
        Command::Documents(a) => calls::documents(&a, &run).map(Some),
        Command::Status(a) => calls::status(a, &run).map(Some),
        Command::VerifyCallback(a) => callback::verify(&a, &run).map(Some),
        Command::Listen(a) => listen::run(&a, &run).map(|()| None),
        Command::Emulator(a) => {
            let source = matches
                .subcommand_matches("emulator")
                .map_or(ApiKeySource::Default, ApiKeySource::from_matches);
            emulator(&a, source, &run).map(|()| None)
        }
        Command::Demo => demo::run(run.json).map(Some),
        Command::Completions(a) => Ok(Some(completions(&a, run.json))),
    };
    let code = match result {
        Ok(Some(done)) => output::finish(command, run.json, &done),
        Ok(None) => exit::OK,
        Err(e) => output::fail(command, run.json, &e),
    };
    ExitCode::from(code)
}

/// Whether `--json` is among the arguments (before any `--`), for errors found while parsing.
fn wants_json(args: &[String]) -> bool {
    args.iter()
        .take_while(|a| *a != "--")
        .any(|a| a == "--json")
}

/// A parse error (or `--help`/`--version`): clap's text, or the JSON error document.
fn usage_error(e: &clap::Error, json: bool, args: &[String]) -> u8 {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) && !(json && e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand)
    {
        let _ = e.print();
        return if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
            exit::USAGE
        } else {
            exit::OK
        };
    }
    if !json {
        let _ = e.print();
        return exit::USAGE;
    }
    let text = e.render().to_string();
    let mut lines = text.lines();
    let first = lines
        .next()
        .unwrap_or("invalid usage")
        .trim_start_matches("error: ")
        .to_owned();
    let mut err = CliError::usage(first);
    err.hints = lines
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    let command = args
        .iter()
        .find(|a| !a.starts_with('-'))
        .filter(|a| Cli::command().find_subcommand(a.as_str()).is_some())
        .map_or("smile", String::as_str);
    output::fail(command, true, &err)
}

fn completions(args: &CompletionsArgs, json: bool) -> Done {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "smile", &mut script);
    let script = String::from_utf8_lossy(&script).into_owned();
    if json {
        Done::new(output::Outcome::Ok, String::new())
            .field("shell", serde_json::Value::from(args.shell.to_string()))
            .field("script", serde_json::Value::from(script))
    } else {
        Done::new(output::Outcome::Ok, script)
    }
}

/// `smile emulator`: the emulator in this process until Ctrl-C.
fn emulator(args: &EmulatorArgs, key_source: ApiKeySource, run: &Run) -> Result<(), CliError> {
    let config = args
        .to_config()
        .map_err(|e| CliError::usage(format!("--fault: {e}")))?;
    let emulator = smile_emulator::EmulatorBuilder::from_config(config)
        .start_blocking()
        .map_err(|e| {
            CliError::failure(
                "emulator",
                format!("the emulator did not start: {}", report::chain(&e)),
            )
        })?;
    if let (Some(path), Some(pem)) = (&args.cert_out, emulator.cert_pem())
        && let Err(e) = std::fs::write(path, pem)
    {
        return Err(CliError::failure(
            "file",
            format!(
                "cannot write the certificate to {} (--cert-out): {e}",
                path.display()
            ),
        ));
    }
    if run.json {
        output::print_json_line(&serde_json::json!({
            "event": "listening",
            "base_url": emulator.base_url(),
            "partner_id": emulator.partner_id(),
            "api_key": key_source.describe(),
            "control": format!("{}/__emulator", emulator.origin()),
        }));
    } else {
        output::print_line(&format!(
            "smile emulator listening\n  base URL:   {}\n  partner id: {}\n  API key:    {}\n  control:    {}/__emulator\n\
             Use it with: --server {} --partner-id {}\nPress Ctrl-C to stop.",
            emulator.base_url(),
            emulator.partner_id(),
            key_source.describe(),
            emulator.origin(),
            emulator.base_url(),
            emulator.partner_id(),
        ));
    }
    loop {
        std::thread::park();
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::Cli;

    #[test]
    fn the_api_key_never_shows_in_debug_output() {
        for command in [
            "status",
            "auth",
            "register",
            "submit",
            "kyc",
            "verify-callback",
            "listen",
            "documents",
        ] {
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
                "auth" | "register" => args.extend(["--user-id", "u", "--selfie", "s.jpg"]),
                "submit" => args.extend(["--job-type", "2", "--user-id", "u", "--selfie", "s.jpg"]),
                "kyc" => args.extend([
                    "--user-id",
                    "u",
                    "--country",
                    "NG",
                    "--id-type",
                    "BVN",
                    "--id-number",
                    "1",
                ]),
                "verify-callback" => args.push("-"),
                _ => {}
            }
            let cli = Cli::try_parse_from(&args).expect("the arguments parse");
            let debug = format!("{cli:?}");
            assert!(debug.contains("085"), "{debug}");
            assert!(!debug.contains("sekrit"), "{command}: {debug}");
        }
    }

    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory as _;
        Cli::command().debug_assert();
    }

    #[test]
    fn job_types_come_from_the_table() {
        let e = Cli::try_parse_from(["smile", "submit", "--job-type", "5", "--user-id", "u"])
            .unwrap_err()
            .to_string();
        assert!(e.contains("smile kyc"), "{e}");
        let e = Cli::try_parse_from(["smile", "submit", "--job-type", "7", "--user-id", "u"])
            .unwrap_err()
            .to_string();
        assert!(e.contains("smile business"), "{e}");
        let e = Cli::try_parse_from(["smile", "submit", "--job-type", "3", "--user-id", "u"])
            .unwrap_err()
            .to_string();
        assert!(e.contains("11 (Enhanced Document Verification)"), "{e}");
    }
}

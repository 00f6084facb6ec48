//! Command-line options of `smile-emulator`, reusable by other binaries (`smile emulator`
//! flattens [`EmulatorArgs`] into its own parser).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;

use crate::config::{
    Config, DEFAULT_API_KEY, DEFAULT_CLI_PORT, DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_INFLATED_IN_FLIGHT, DEFAULT_MAX_JSON_BODY, DEFAULT_MAX_ZIP_BODY,
    DEFAULT_PARTNER_ID,
};
use crate::faults::{FaultSpecError, parse_fault_arg};

/// Environment variable that can carry the API key (instead of `--api-key`).
pub const API_KEY_ENV: &str = "SMILE_EMULATOR_API_KEY";

/// Options of the emulator (every one has a default; see `--help`).
///
/// `Debug` redacts the API key.
#[derive(Clone, clap::Args)]
#[non_exhaustive]
pub struct EmulatorArgs {
    /// Address to listen on. Use 0.0.0.0 to accept connections from other machines (the control
    /// API has no authentication).
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST), env = "SMILE_EMULATOR_HOST")]
    pub host: IpAddr,
    /// Port to listen on (0: any free port).
    #[arg(long, short, default_value_t = DEFAULT_CLI_PORT, env = "SMILE_EMULATOR_PORT")]
    pub port: u16,
    /// Partner id whose signatures are accepted.
    #[arg(long, default_value = DEFAULT_PARTNER_ID, env = "SMILE_EMULATOR_PARTNER_ID")]
    pub partner_id: String,
    /// API key of that partner (never printed; the banner says where it came from).
    #[arg(long, default_value = DEFAULT_API_KEY, env = API_KEY_ENV, hide_env_values = true)]
    pub api_key: String,
    /// Milliseconds between a complete upload and its result.
    #[arg(long, default_value_t = 200)]
    pub processing_delay_ms: u64,
    /// Milliseconds between a provisional result and the final one (human review).
    #[arg(long, default_value_t = 2000)]
    pub review_delay_ms: u64,
    /// Complete reviews only when asked (POST /__emulator/review).
    #[arg(long, conflicts_with = "review_delay_ms")]
    pub manual_review: bool,
    /// Lifetime of upload URLs, in seconds.
    #[arg(long, default_value_t = 3600)]
    pub upload_url_ttl_secs: u64,
    /// Refuse request timestamps further than this many seconds from the emulator's clock
    /// (default: accept any parseable timestamp, as the real server does).
    #[arg(long)]
    pub timestamp_tolerance_secs: Option<u64>,
    /// Deliver callbacks to any host (default: loopback hosts only).
    #[arg(long)]
    pub allow_external_callbacks: bool,
    /// Attempts per callback, first try included.
    #[arg(long, default_value_t = 5)]
    pub callback_attempts: u32,
    /// Milliseconds before the first callback retry (doubles after each failure).
    #[arg(long, default_value_t = 500)]
    pub callback_backoff_ms: u64,
    /// Largest JSON request body in bytes (larger: 413).
    #[arg(long, default_value_t = DEFAULT_MAX_JSON_BODY)]
    pub max_json_body: usize,
    /// Largest zip upload in bytes (larger: 413).
    #[arg(long, default_value_t = DEFAULT_MAX_ZIP_BODY)]
    pub max_zip_body: usize,
    /// Bytes that all uploads being checked at once may inflate their zips to, together; an
    /// upload that does not fit waits (--inflate-wait-ms), then its PUT gets 503 SlowDown.
    #[arg(long, default_value_t = DEFAULT_MAX_INFLATED_IN_FLIGHT)]
    pub max_inflated_in_flight: usize,
    /// Milliseconds an upload waits for room in that budget.
    #[arg(long, default_value_t = 5000)]
    pub inflate_wait_ms: u64,
    /// Most connections served at once; when all are taken, the one idle longest (else the one
    /// sending its request body slowest) is closed to let a new one in.
    #[arg(long, default_value_t = DEFAULT_MAX_CONNECTIONS)]
    pub max_connections: usize,
    /// Seconds a connection has to send a complete request head, after it opens or after its
    /// previous response (idle keep-alive connections are closed after this).
    #[arg(long, default_value_t = 30)]
    pub idle_timeout_secs: u64,
    /// Seconds a request body has to arrive in full (later: 408, connection closed).
    #[arg(long, default_value_t = 30)]
    pub body_read_timeout_secs: u64,
    /// Serve HTTPS with a self-signed certificate generated at start.
    #[arg(long)]
    pub tls: bool,
    /// With --tls: write the certificate (PEM) to this file, for clients to trust.
    #[arg(long, requires = "tls")]
    pub cert_out: Option<PathBuf>,
    /// Keep users and jobs in this JSON file across restarts.
    #[arg(long)]
    pub state_file: Option<PathBuf>,
    /// A fault, as ENDPOINT:key=value,... (repeatable). Endpoints: upload, zip_upload,
    /// job_status, token, id_verification, async_id_verification, business_verification,
    /// async_business_verification, services, valid_documents, images, or * for all. Keys:
    /// status, body, retry_after, delay_ms, drop_connection, redirect, malformed_json,
    /// truncated, expire_upload_url, after_handler, skip, times (booleans bare). Examples:
    /// job_status:status=429,retry_after=120 upload:status=502,after_handler,times=1
    /// services:truncated zip_upload:redirect
    #[arg(long = "fault", value_name = "SPEC")]
    pub faults: Vec<String>,
}

impl EmulatorArgs {
    /// The [`Config`] these options describe.
    pub fn to_config(&self) -> Result<Config, FaultSpecError> {
        let mut config = Config {
            partner_id: self.partner_id.clone(),
            api_key: SecretString::from(self.api_key.clone()),
            bind: SocketAddr::new(self.host, self.port),
            processing_delay: Duration::from_millis(self.processing_delay_ms),
            review_delay: (!self.manual_review)
                .then(|| Duration::from_millis(self.review_delay_ms)),
            upload_url_ttl: Duration::from_secs(self.upload_url_ttl_secs),
            timestamp_tolerance: self.timestamp_tolerance_secs.map(Duration::from_secs),
            max_json_body: self.max_json_body,
            max_zip_body: self.max_zip_body,
            max_inflated_in_flight: self.max_inflated_in_flight,
            inflate_wait: Duration::from_millis(self.inflate_wait_ms),
            max_connections: self.max_connections,
            idle_timeout: Duration::from_secs(self.idle_timeout_secs),
            body_read_timeout: Duration::from_secs(self.body_read_timeout_secs),
            tls: self.tls,
            state_file: self.state_file.clone(),
            ..Config::default()
        };
        config.callbacks.allow_external = self.allow_external_callbacks;
        config.callbacks.max_attempts = self.callback_attempts.max(1);
        config.callbacks.initial_backoff = Duration::from_millis(self.callback_backoff_ms);
        for spec in &self.faults {
            config.faults.extend(parse_fault_arg(spec)?);
        }
        Ok(config)
    }
}

impl std::fmt::Debug for EmulatorArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatorArgs")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("partner_id", &self.partner_id)
            .field("api_key", &format_args!("[REDACTED]"))
            .field("processing_delay_ms", &self.processing_delay_ms)
            .field("review_delay_ms", &self.review_delay_ms)
            .field("manual_review", &self.manual_review)
            .field("upload_url_ttl_secs", &self.upload_url_ttl_secs)
            .field("timestamp_tolerance_secs", &self.timestamp_tolerance_secs)
            .field("allow_external_callbacks", &self.allow_external_callbacks)
            .field("callback_attempts", &self.callback_attempts)
            .field("callback_backoff_ms", &self.callback_backoff_ms)
            .field("max_json_body", &self.max_json_body)
            .field("max_zip_body", &self.max_zip_body)
            .field("max_inflated_in_flight", &self.max_inflated_in_flight)
            .field("inflate_wait_ms", &self.inflate_wait_ms)
            .field("max_connections", &self.max_connections)
            .field("idle_timeout_secs", &self.idle_timeout_secs)
            .field("body_read_timeout_secs", &self.body_read_timeout_secs)
            .field("tls", &self.tls)
            .field("cert_out", &self.cert_out)
            .field("state_file", &self.state_file)
            .field("faults", &self.faults)
            .finish()
    }
}

/// Where the API key of [`EmulatorArgs`] came from: what a startup banner shows instead of
/// the key itself.
///
/// ```
/// use clap::{CommandFactory as _, FromArgMatches as _, Parser};
/// use smile_emulator::cli::{ApiKeySource, EmulatorArgs};
///
/// #[derive(Parser)]
/// struct Cli {
///     #[command(flatten)]
///     args: EmulatorArgs,
/// }
///
/// let matches = Cli::command().get_matches_from(["emu", "--api-key", "s3cret"]);
/// assert_eq!(ApiKeySource::from_matches(&matches), ApiKeySource::Flag);
/// assert_eq!(ApiKeySource::Flag.describe(), "from --api-key");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ApiKeySource {
    /// `--api-key`.
    Flag,
    /// The `SMILE_EMULATOR_API_KEY` environment variable.
    Env,
    /// [`DEFAULT_API_KEY`]: public, so it may be named.
    Default,
}

impl ApiKeySource {
    /// Reads it from the matches of a parser that flattens [`EmulatorArgs`] (for a subcommand,
    /// the subcommand's matches).
    #[must_use]
    pub fn from_matches(matches: &clap::ArgMatches) -> Self {
        match matches.value_source("api_key") {
            Some(clap::parser::ValueSource::CommandLine) => Self::Flag,
            Some(clap::parser::ValueSource::EnvVariable) => Self::Env,
            _ => Self::Default,
        }
    }

    /// For a banner: `from --api-key`, `from SMILE_EMULATOR_API_KEY`, or
    /// `the default (emulator-api-key, see --help)`. Never the key itself, unless it is the
    /// public default.
    #[must_use]
    pub fn describe(self) -> &'static str {
        match self {
            Self::Flag => "from --api-key",
            Self::Env => "from SMILE_EMULATOR_API_KEY",
            Self::Default => "the default (emulator-api-key, see --help)",
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::faults::{Endpoint, Fault};

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        args: EmulatorArgs,
    }

    #[test]
    fn defaults_are_documented_values() {
        let cli = Cli::try_parse_from(["smile-emulator"]).unwrap();
        let config = cli.args.to_config().unwrap();
        assert_eq!(config.partner_id, "001");
        assert_eq!(config.bind.port(), 8080);
        assert!(config.bind.ip().is_loopback());
        assert_eq!(config.review_delay, Some(Duration::from_secs(2)));
        assert!(!config.callbacks.allow_external);
        assert!(!format!("{config:?}").contains("emulator-api-key"));
        assert_eq!(config.max_connections, 1024);
        assert_eq!(config.idle_timeout, Duration::from_secs(30));
        assert_eq!(config.body_read_timeout, Duration::from_secs(30));
        assert_eq!(config.max_inflated_in_flight, 256 << 20);
        assert_eq!(config.inflate_wait, Duration::from_secs(5));
    }

    #[test]
    fn the_key_source_is_known_and_the_key_never_debug_printed() {
        use clap::{CommandFactory as _, FromArgMatches as _};
        let matches = Cli::command()
            .try_get_matches_from(["smile-emulator", "--api-key", "s3cret-key"])
            .unwrap();
        assert_eq!(ApiKeySource::from_matches(&matches), ApiKeySource::Flag);
        let cli = Cli::from_arg_matches(&matches).unwrap();
        assert!(!format!("{cli:?}").contains("s3cret-key"), "{cli:?}");
        let matches = Cli::command()
            .try_get_matches_from(["smile-emulator"])
            .unwrap();
        assert_eq!(ApiKeySource::from_matches(&matches), ApiKeySource::Default);
        assert_eq!(
            ApiKeySource::Default.describe(),
            "the default (emulator-api-key, see --help)"
        );
    }

    #[test]
    fn options_map_to_config() {
        let cli = Cli::try_parse_from([
            "smile-emulator",
            "--port",
            "0",
            "--partner-id",
            "085",
            "--api-key",
            "k",
            "--manual-review",
            "--fault",
            "job_status:status=503,times=2",
            "--fault",
            "upload:drop_connection",
            "--timestamp-tolerance-secs",
            "900",
            "--max-connections",
            "16",
            "--idle-timeout-secs",
            "5",
            "--body-read-timeout-secs",
            "2",
            "--max-inflated-in-flight",
            "1048576",
            "--inflate-wait-ms",
            "0",
        ])
        .unwrap();
        let config = cli.args.to_config().unwrap();
        assert_eq!(config.partner_id, "085");
        assert_eq!(config.review_delay, None);
        assert_eq!(config.timestamp_tolerance, Some(Duration::from_secs(900)));
        assert_eq!(config.max_connections, 16);
        assert_eq!(config.idle_timeout, Duration::from_secs(5));
        assert_eq!(config.body_read_timeout, Duration::from_secs(2));
        assert_eq!(config.max_inflated_in_flight, 1 << 20);
        assert_eq!(config.inflate_wait, Duration::ZERO);
        assert_eq!(
            config.faults,
            vec![
                (Endpoint::JobStatus, Fault::status(503).times(2)),
                (Endpoint::Upload, Fault::drop_connection()),
            ]
        );
        let bad = Cli::try_parse_from(["smile-emulator", "--fault", "nope:status=1"]).unwrap();
        assert!(bad.args.to_config().is_err());
    }
}

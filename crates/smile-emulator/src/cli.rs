//! Command-line options of `smile-emulator`, reusable by other binaries (`smile emulator`
//! flattens [`EmulatorArgs`] into its own parser).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;

use crate::config::{
    Config, DEFAULT_API_KEY, DEFAULT_CLI_PORT, DEFAULT_MAX_JSON_BODY, DEFAULT_MAX_ZIP_BODY,
    DEFAULT_PARTNER_ID,
};
use crate::faults::{FaultSpecError, parse_fault_arg};

/// Options of the emulator (every one has a default; see `--help`).
#[derive(Debug, Clone, clap::Args)]
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
    /// API key of that partner.
    #[arg(long, default_value = DEFAULT_API_KEY, env = "SMILE_EMULATOR_API_KEY", hide_env_values = true)]
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
    /// status, body, retry_after, delay_ms, drop_connection, malformed_json, expire_upload_url,
    /// after_handler, skip, times. Example: job_status:status=503,times=2
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
        ])
        .unwrap();
        let config = cli.args.to_config().unwrap();
        assert_eq!(config.partner_id, "085");
        assert_eq!(config.review_delay, None);
        assert_eq!(config.timestamp_tolerance, Some(Duration::from_secs(900)));
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

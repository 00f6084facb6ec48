//! Emulator configuration and its defaults.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;

use crate::faults::{Endpoint, Fault};
use smile_sign::{Clock, SystemClock};

/// Partner id the emulator accepts unless told otherwise.
pub const DEFAULT_PARTNER_ID: &str = "001";
/// API key the emulator accepts unless told otherwise (a development key, not a secret).
pub const DEFAULT_API_KEY: &str = "emulator-api-key";
/// Port of the `smile-emulator` binary (in-process emulators use port 0: any free port).
pub const DEFAULT_CLI_PORT: u16 = 8080;
/// Largest JSON request body accepted (larger bodies get 413).
pub const DEFAULT_MAX_JSON_BODY: usize = 1 << 20;
/// Largest zip accepted on an upload URL (larger bodies get 413).
pub const DEFAULT_MAX_ZIP_BODY: usize = 20 << 20;
/// Lifetime of an upload URL.
pub const DEFAULT_UPLOAD_URL_TTL: Duration = Duration::from_secs(3600);
/// Time between a complete zip upload and the machine result.
pub const DEFAULT_PROCESSING_DELAY: Duration = Duration::from_millis(200);
/// Time between a provisional result and the final one ("human review").
pub const DEFAULT_REVIEW_DELAY: Duration = Duration::from_secs(2);

/// How callbacks are delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CallbackConfig {
    /// Deliver to any host. Off by default: only loopback targets (`localhost`, `127.0.0.0/8`,
    /// `::1`) are contacted, so the emulator cannot be used to reach other machines (SSRF).
    /// Deliveries to other hosts are recorded as blocked.
    pub allow_external: bool,
    /// Attempts per callback (first try included). Default 5.
    pub max_attempts: u32,
    /// Wait before the first retry; doubles after each failed attempt. Default 500 ms.
    pub initial_backoff: Duration,
    /// Upper bound of the wait between attempts. Default 10 s.
    pub max_backoff: Duration,
    /// Timeout of one delivery attempt. Default 10 s.
    pub timeout: Duration,
}

impl Default for CallbackConfig {
    fn default() -> Self {
        Self {
            allow_external: false,
            max_attempts: 5,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(10),
            timeout: Duration::from_secs(10),
        }
    }
}

/// Everything an emulator needs to start. Build it with [`crate::Emulator::builder`] or start
/// from [`Config::default`].
///
/// `Debug` redacts the API key.
#[derive(Clone)]
#[non_exhaustive]
pub struct Config {
    /// Partner id whose signatures are accepted (kept exactly: `"085"` ≠ `"85"`).
    pub partner_id: String,
    /// API key of that partner.
    pub api_key: SecretString,
    /// Address to listen on. Default `127.0.0.1:0` (any free loopback port).
    pub bind: SocketAddr,
    /// The emulator's clock: signatures, freshness, upload URL expiry, processing and review.
    pub clock: Arc<dyn Clock>,
    /// Delay between a complete upload and the machine result (zero: at once, within the
    /// `PUT`).
    pub processing_delay: Duration,
    /// Delay between a provisional result and the final one. `None`: only when asked through
    /// [`crate::State::complete_reviews`] or `POST /__emulator/review`.
    pub review_delay: Option<Duration>,
    /// Lifetime of upload URLs.
    pub upload_url_ttl: Duration,
    /// Maximum distance between a request's `timestamp` and the emulator's clock. `None`
    /// (default): any parseable RFC 3339 timestamp with an offset is accepted, as the real
    /// server does ([protocol §3.2](smile_types::protocol#32-timestamps-our-sdk-generates)); the signature must still match.
    pub timestamp_tolerance: Option<Duration>,
    /// Callback delivery.
    pub callbacks: CallbackConfig,
    /// Largest JSON request body (bytes).
    pub max_json_body: usize,
    /// Largest zip upload (bytes). The zip's entries may add up to four times this once
    /// inflated (more: the job fails with `0903`).
    pub max_zip_body: usize,
    /// Serve HTTPS with a self-signed certificate generated at start.
    pub tls: bool,
    /// Load state from this JSON file at start and write it after every change.
    pub state_file: Option<PathBuf>,
    /// Faults active from the start.
    pub faults: Vec<(Endpoint, Fault)>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            partner_id: DEFAULT_PARTNER_ID.to_owned(),
            api_key: SecretString::from(DEFAULT_API_KEY),
            bind: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            clock: Arc::new(SystemClock),
            processing_delay: DEFAULT_PROCESSING_DELAY,
            review_delay: Some(DEFAULT_REVIEW_DELAY),
            upload_url_ttl: DEFAULT_UPLOAD_URL_TTL,
            timestamp_tolerance: None,
            callbacks: CallbackConfig::default(),
            max_json_body: DEFAULT_MAX_JSON_BODY,
            max_zip_body: DEFAULT_MAX_ZIP_BODY,
            tls: false,
            state_file: None,
            faults: Vec::new(),
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("partner_id", &self.partner_id)
            .field("api_key", &format_args!("[REDACTED]"))
            .field("bind", &self.bind)
            .field("clock", &self.clock)
            .field("processing_delay", &self.processing_delay)
            .field("review_delay", &self.review_delay)
            .field("upload_url_ttl", &self.upload_url_ttl)
            .field("timestamp_tolerance", &self.timestamp_tolerance)
            .field("callbacks", &self.callbacks)
            .field("max_json_body", &self.max_json_body)
            .field("max_zip_body", &self.max_zip_body)
            .field("tls", &self.tls)
            .field("state_file", &self.state_file)
            .field("faults", &self.faults)
            .finish()
    }
}

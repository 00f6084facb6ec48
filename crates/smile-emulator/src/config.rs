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
/// Most connections served at once (when all are taken, idle and slow ones are shed).
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
/// Time a connection has to send a complete request head, after it opens or after its previous
/// response (an idle keep-alive connection is closed after this long).
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// Time a request body has to arrive in full once the emulator starts reading it.
pub const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Bytes that all uploads in flight may inflate their zips to, together.
pub const DEFAULT_MAX_INFLATED_IN_FLIGHT: usize = 256 << 20;
/// How long an upload waits for room in the inflate budget before it is refused (503).
pub const DEFAULT_INFLATE_WAIT: Duration = Duration::from_secs(5);
/// How many times the zip body limit the entries of one zip may add up to once inflated.
pub const INFLATE_FACTOR: usize = 4;
/// Longest timeout accepted (longer ones are clamped): about a year.
pub(crate) const MAX_TIMEOUT: Duration = Duration::from_secs(365 * 86_400);

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

impl Config {
    /// The most one zip may inflate to: [`INFLATE_FACTOR`] times `max_zip_body`, and no more
    /// than the whole in-flight budget.
    pub(crate) fn max_inflated_per_upload(&self) -> usize {
        self.max_zip_body
            .saturating_mul(INFLATE_FACTOR)
            .min(self.max_inflated_in_flight)
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
    /// Bytes that every upload being checked at the same time may inflate their zips to, in
    /// total (default 256 MiB). An upload reserves what its zip declares before inflating it
    /// (and may inflate no more); one that does not fit waits up to [`Config::inflate_wait`],
    /// then its `PUT` is refused with HTTP 503 `SlowDown` and `Retry-After: 1` (the upload URL
    /// stays valid; retry the same `PUT`). A zip declaring more than the whole budget (or
    /// more than its own cap) fails its job with `0903`.
    pub max_inflated_in_flight: usize,
    /// How long an upload waits for room in the inflate budget (default 5 s).
    pub inflate_wait: Duration,
    /// Most connections served at once (default 1024). When all are taken, a new connection
    /// still gets in: the connection idle longest (waiting for a request) is closed, else the
    /// one sending its request body at the lowest rate. Connections whose request is being
    /// processed are never closed; when every one is, new clients wait in the listen backlog.
    pub max_connections: usize,
    /// Time a connection has to send a complete request head after it opens or after its
    /// previous response (default 30 s): an idle keep-alive connection is closed after this
    /// long. Clamped to a year.
    pub idle_timeout: Duration,
    /// Time a request body has to arrive in full once the emulator starts reading it (default
    /// 30 s, in total: a body trickled byte by byte is cut off too). A late body gets HTTP 408
    /// (the zip `PUT`: 400 `RequestTimeout`, as a storage service answers) and the connection
    /// is closed. Clamped to a year.
    pub body_read_timeout: Duration,
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
            max_inflated_in_flight: DEFAULT_MAX_INFLATED_IN_FLIGHT,
            inflate_wait: DEFAULT_INFLATE_WAIT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            body_read_timeout: DEFAULT_BODY_READ_TIMEOUT,
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
            .field("max_inflated_in_flight", &self.max_inflated_in_flight)
            .field("inflate_wait", &self.inflate_wait)
            .field("max_connections", &self.max_connections)
            .field("idle_timeout", &self.idle_timeout)
            .field("body_read_timeout", &self.body_read_timeout)
            .field("tls", &self.tls)
            .field("state_file", &self.state_file)
            .field("faults", &self.faults)
            .finish()
    }
}

//! A local Smile ID v1 API for offline development and tests: the whole SmartSelfie™ flow
//! (prep upload, zip upload, processing, job status, callbacks) with no account and no network.
//!
//! Like stripe-mock or LocalStack, `smile-emulator` speaks the v1 protocol as its specification
//! ([`smile_types::protocol`], `docs/protocol.md` in the repository) describes it: it checks
//! signatures, hands out upload URLs on itself, unpacks and checks the zip and its `info.json`, keeps enrolled users (jobs 1, 4, 6) so that job 2 fails with 2210
//! for an unknown user, answers signed `job_status` responses, POSTs signed callbacks, simulates
//! human review (a provisional result first, the final one later) and injects faults on demand.
//!
//! ```
//! use std::time::Duration;
//! use smile_emulator::Emulator;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let emulator = Emulator::builder()
//!     .processing_delay(Duration::ZERO)
//!     .start()
//!     .await?;
//! assert!(emulator.base_url().starts_with("http://127.0.0.1:"));
//! assert!(emulator.base_url().ends_with("/v1"));
//! assert_eq!(emulator.partner_id(), "001");
//!
//! // A user enrolled directly, as if a job 4 had approved them.
//! emulator.state().enrol_user("user-0001");
//! assert!(emulator.state().user("user-0001").is_some());
//!
//! // `GET /services` needs no signature.
//! let services: serde_json::Value =
//!     reqwest::get(format!("{}/services", emulator.base_url())).await?.json().await?;
//! assert!(services["hosted_web"].is_object());
//! # Ok(())
//! # }
//! ```
//!
//! # Starting one
//!
//! - In async tests: [`Emulator::builder`]`()…`[`start`](EmulatorBuilder::start)`().await`
//!   runs on the caller's tokio runtime.
//! - From blocking code (blocking clients, demos): [`EmulatorBuilder::start_blocking`] runs
//!   the emulator on its own thread with its own runtime.
//! - From the command line: `smile-emulator --port 8080 --partner-id 001 --api-key emulator-api-key`
//!   (see [`cli::EmulatorArgs`]); or embedded with [`run`].
//!
//! Both handles expose [`base_url`](Emulator::base_url) (`http://127.0.0.1:PORT/v1`),
//! [`partner_id`](Emulator::partner_id), [`api_key`](Emulator::api_key), the control handles
//! [`faults`](Emulator::faults) and [`state`](Emulator::state), and shut the server down when
//! dropped.
//!
//! Defaults: partner id [`DEFAULT_PARTNER_ID`] (`"001"`), API key [`DEFAULT_API_KEY`]
//! (`"emulator-api-key"`), port 0 in process ([`DEFAULT_CLI_PORT`] for the binary), processing
//! delay 200 ms, review delay 2 s, upload URLs valid 1 h, JSON bodies up to 1 MiB and zips up to
//! 20 MiB (larger bodies: HTTP 413), and the connection limits of [Connections](#connections).
//!
//! The emulator keeps its own, independent copy of the job rules and of the protocol on
//! purpose: like stripe-mock, it checks the SDK from the outside, so it does not depend on
//! `smile-core` (only on the wire-level `smile-types`, `smile-sign` and `smile-package`).
//!
//! # Choosing the outcome
//!
//! Results are deterministic. By default every job passes: job 2 → `0820`, job 4 → `0840`,
//! job 1 → `0810`, jobs 6 and 11 → `0810`, Enhanced KYC (5) and business verification (7) →
//! `1012`. Job 1 with `id_info.entered` has its ID lookup (`1012`) in the history first; job 11
//! results carry the ID fields of `id_info` (`Country`, `IDType`, `IDNumber`, `FullName`,
//! `DOB`, ...). Extra keys in `partner_params` choose otherwise (they are echoed in results, like any
//! extra key):
//!
//! | key | value | effect |
//! |---|---|---|
//! | `emulator_result` | a result code of the job type (or a general one: `0001`, `0903`, `0907`, `0908`) | the (machine) result; unknown codes are refused at `POST /upload` with 2204 |
//! | `emulator_final_result` | a final code of the job type | what a provisional `emulator_result` becomes after review (default `1220` for job 2, `1240` for job 4, `1210` for job 1) |
//! | `emulator_error` | an error code (`2207`, `2208`, `2211`, `2216`, `2220`, `2201`…) | the request itself fails with that code and its usual HTTP status |
//!
//! A provisional code (`0822`/`0824`/`0825` for job 2, `0842`/`0844`/`0846` for job 4,
//! `0812`/`0814`/`0815` for job 1) completes the job with that result (`job_complete: true`,
//! `IsFinalResult: "false"`), then turns into its final code after the review delay, as human
//! review does: `job_status` then shows the final result (and both in `history`), and the callback
//! URL gets a second callback. With no review delay ([`EmulatorBuilder::manual_review`]) the
//! review completes only through [`State::complete_reviews`] or `POST /__emulator/review`.
//! ResultText, category and finality come from the result-code table of [protocol §10](smile_types::protocol#10-result-codes-actions-and-error-codes);
//! Actions follow the job type and code.
//!
//! # What is checked
//!
//! - Signed endpoints verify `timestamp` / `signature` for the configured partner id and key
//!   (2205; 2405 on the ID API). The timestamp must be an RFC 3339 date-time with an offset
//!   (`Z` or `+00:00`, any fraction length). There is no freshness window unless one is set
//!   ([`EmulatorBuilder::timestamp_tolerance`]): the real server accepts old timestamps too,
//!   which the official Python SDK's construction-time signature relies on.
//! - `POST /upload`: required fields and types (2213 / 2204), job type 1, 2, 4, 6 or 11 (2212),
//!   a `job_id` used before (2215 unless `retry` is true: then a new upload URL for the same
//!   job), job 2 for a user who is not enrolled (2210) or has no photo (2216), job 4 for a user
//!   already enrolled (2209). Unknown keys (such as the Node SDK's top-level `entered`) are
//!   ignored.
//! - The upload URL (`PUT`): it expires, it is tied to its job, it requires
//!   `Content-Type: application/zip` (403 otherwise, as the storage service answers) and a
//!   `Content-Length` (411). The zip (STORE or DEFLATE) is unpacked and `info.json` checked:
//!   partner params matching the job, `misc_information.signature` when present (the Node SDK
//!   leaves it out), `server_information` as an object or a string, `entered` as a string or a
//!   boolean, and every image it references present in the zip (file types) or inline (base64
//!   types) and a JPEG or PNG. Unreferenced entries (the Python SDK's `base64imgString` junk) are
//!   ignored. A package that fails these checks still gets `200` (a storage service does not
//!   look inside), and the job then completes with result `0903` "Zip Corrupt" (not a zip, no
//!   `info.json`, `info.json` not JSON) or `0001` "Data Invalid" (anything else), with an
//!   `EmulatorDetail` field that says what was wrong. Liveness (type 4) and ID-back (type 5)
//!   images with an empty `file_name` are skipped, as the real server processes the job without
//!   them (the official Node SDK 3.2.1 lists such files by local path without uploading them):
//!   the job gets its normal result, with an `EmulatorWarnings` array of strings naming each
//!   skipped image. A missing selfie (or ID front for jobs 6 and 11) still fails with `0001`.
//! - `POST /job_status` finds jobs by (`user_id`, `job_id`); an unknown pair gets HTTP 404
//!   `{"error": "No job found ..."}` without a Smile code (the real server's answer is not
//!   documented). Responses are signed with a fresh timestamp; `job_complete` is false while
//!   the job waits for its zip (`result`: `"No zip uploaded"`) or is processing (`result`:
//!   `null`); `history` and `image_links` (served by the emulator) come when asked for.
//!
//! # Callbacks
//!
//! Each result is POSTed as JSON (the result entry plus `timestamp` and `signature`, signed
//! afresh for every attempt) to the job's `callback_url`: the provisional result, then the final
//! one, in order. Failed deliveries (non-2xx or connection errors) are retried with exponential
//! backoff (default 5 attempts from 500 ms). Only loopback targets are contacted unless
//! [`EmulatorBuilder::allow_external_callbacks`] is set; other targets are recorded as blocked in
//! the callback log ([`State::callbacks`]). Proxy settings of the environment (`HTTP_PROXY`,
//! `ALL_PROXY`, ...) are ignored for callbacks, and `localhost` always means `127.0.0.1` / `::1`
//! (it is not looked up), so a loopback-only callback never leaves the machine. Callbacks go over plain HTTP, or HTTPS to a server
//! whose certificate chains to the web PKI roots (a self-signed receiver needs plain HTTP).
//!
//! # Fault injection
//!
//! [`Emulator::faults`], [`EmulatorBuilder::fault`], `POST /__emulator/faults` or
//! `--fault ENDPOINT:key=value,...` set a [`Fault`] per [`Endpoint`] (every v1 endpoint, the
//! zip `PUT` and image links): a fixed HTTP status (with optional `Retry-After`), before the
//! request is processed or after it (`after_handler`: the job exists, the reply is lost), a
//! delay, a dropped connection, a redirect (`307` to the emulator's redirect target, which
//! counts the clients that follow it), malformed JSON (half the body, correctly framed), a
//! truncated body (the full `Content-Length` declared, the connection closed after half of it)
//! and expired upload URLs, for a number of requests (`times`) or until cleared. See [`Fault`]
//! for the exact forms and what happens in which order.
//!
//! # Control API
//!
//! Under `/__emulator` (no authentication; the emulator listens on loopback by default):
//! `GET health`, `GET stats` ([`Stats`]), `GET|POST|DELETE faults`, `DELETE faults/{endpoint}`, `GET state`,
//! `POST reset`, `GET|POST users`, `DELETE users/{user_id}`, `GET jobs/{job_id}`,
//! `POST review`, `GET callbacks`. Every `POST` there needs `Content-Type: application/json`
//! (even with no body; `415` otherwise), so that a web page cannot drive it cross-origin without
//! a CORS preflight, which the emulator never approves. Image links point at `/__emulator/images/{token}`; upload URLs
//! at `/__emulator/uploads/{token}/selfie.zip`; `redirect` faults at
//! `/__emulator/redirect-target/{original path}` (any method; answers 421).
//!
//! # Connections
//!
//! HTTP/1.1 with keep-alive, built to survive hostile clients (each limit is configurable on
//! the builder, in [`Config`] and on the command line):
//!
//! - A connection has 30 s ([`EmulatorBuilder::idle_timeout`]) to send each request head
//!   (request line and headers), counted from when it opens or from its previous response (so
//!   an idle keep-alive connection is closed after 30 s), and 10 s for a TLS handshake.
//! - A request body must arrive in full within 30 s ([`EmulatorBuilder::body_read_timeout`])
//!   of the emulator starting to read it, in total: a body trickled a byte at a time is cut off
//!   too. A late body gets `408 Request Timeout` (the zip `PUT`: the storage service's
//!   `400 RequestTimeout`) and the connection is closed.
//! - At most 1024 connections ([`EmulatorBuilder::max_connections`]) are served at once. When
//!   all are taken, a new connection still gets in: the emulator closes the connection waiting
//!   longest for a request head, or else the one receiving its request body at the lowest
//!   average rate; a connection whose request is being processed is never closed. Only when
//!   every connection is being processed do new clients wait in the listen backlog.
//! - All the zips being checked at once may inflate to 256 MiB together
//!   ([`EmulatorBuilder::max_inflated_in_flight`]), besides the cap of each upload (4 × the zip
//!   body limit). An upload reserves what its zip declares before anything is inflated (and may
//!   inflate no more); one that does not fit waits up to 5 s
//!   ([`EmulatorBuilder::inflate_wait`]) for others to finish, then its `PUT` is refused with
//!   the storage service's `503 SlowDown` and `Retry-After: 1` (its upload URL stays valid). A
//!   zip that declares more than one upload may inflate to fails its job with `0903`.
//!
//! [`Emulator::stats`] (or `GET /__emulator/stats`) counts shed connections, body timeouts,
//! the inflate budget's high-water mark and refused uploads.
//!
//! # TLS and state
//!
//! [`EmulatorBuilder::tls`] serves HTTPS with a self-signed certificate for `localhost`,
//! `127.0.0.1` and `::1`, generated at start; [`Emulator::cert_pem`] returns it for clients to
//! trust (the official Node SDK rewrites every base URL to `https`). State lives in memory;
//! [`EmulatorBuilder::state_file`] loads it at start and writes it (users and jobs, not images)
//! after every change. Jobs and users are kept for the life of the process (an emulator serves
//! tests and demos); stored images are capped at 128 MiB (oldest dropped first, their links then
//! answer 404) and the callback log at the last 1000 attempts.
//!
//! # Errors
//!
//! Starting fails with [`Error`] when the address cannot be bound, the state file cannot be
//! read, or TLS cannot be set up. The running emulator never panics on bad input: every
//! malformed request gets an error response.
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod api;
mod budget;
mod callbacks;
pub mod cli;
mod config;
mod conn;
mod control;
mod error;
mod error_chain;
mod faults;
mod idapi;
mod outcome;
mod package;
mod processing;
mod server;
mod shared;
mod state;
mod store;
mod tls;
mod wire;

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};

pub use config::{
    CallbackConfig, Config, DEFAULT_API_KEY, DEFAULT_BODY_READ_TIMEOUT, DEFAULT_CLI_PORT,
    DEFAULT_IDLE_TIMEOUT, DEFAULT_INFLATE_WAIT, DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_INFLATED_IN_FLIGHT, DEFAULT_MAX_JSON_BODY, DEFAULT_MAX_ZIP_BODY,
    DEFAULT_PARTNER_ID, DEFAULT_PROCESSING_DELAY, DEFAULT_REVIEW_DELAY, DEFAULT_UPLOAD_URL_TTL,
    INFLATE_FACTOR,
};
pub use error::Error;
pub use faults::{Endpoint, Fault, FaultSpecError, Faults, UnknownEndpoint, parse_fault_arg};
pub use outcome::{ERROR_KEY, FINAL_RESULT_KEY, RESULT_KEY};
pub use smile_sign::{Clock, FixedClock, SystemClock};
pub use state::{State, Stats};
pub use store::{CallbackOutcome, CallbackRecord, JobInfo, JobPhase, UserInfo};

use shared::Shared;

/// Builds an [`Emulator`]; every setting has a documented default.
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct EmulatorBuilder {
    config: Config,
}

impl EmulatorBuilder {
    /// A builder with [`Config::default`].
    pub fn new() -> Self {
        Self::default()
    }

    /// A builder starting from `config`.
    pub fn from_config(config: Config) -> Self {
        Self { config }
    }

    /// The partner id whose signatures are accepted (default `"001"`).
    pub fn partner_id(mut self, partner_id: impl Into<String>) -> Self {
        self.config.partner_id = partner_id.into();
        self
    }

    /// The API key of that partner (default `"emulator-api-key"`).
    pub fn api_key(mut self, api_key: impl Into<SecretString>) -> Self {
        self.config.api_key = api_key.into();
        self
    }

    /// The address to listen on (default `127.0.0.1:0`).
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.config.bind = addr;
        self
    }

    /// The port to listen on (default 0: any free port).
    pub fn port(mut self, port: u16) -> Self {
        self.config.bind.set_port(port);
        self
    }

    /// The emulator's clock (default: the system clock).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.config.clock = clock;
        self
    }

    /// Delay between a complete upload and its result (default 200 ms; zero: within the
    /// `PUT`).
    pub fn processing_delay(mut self, delay: Duration) -> Self {
        self.config.processing_delay = delay;
        self
    }

    /// Delay between a provisional result and the final one (default 2 s).
    pub fn review_delay(mut self, delay: Duration) -> Self {
        self.config.review_delay = Some(delay);
        self
    }

    /// Reviews complete only when asked ([`State::complete_reviews`], `POST /__emulator/review`).
    pub fn manual_review(mut self) -> Self {
        self.config.review_delay = None;
        self
    }

    /// Lifetime of upload URLs (default 1 h).
    pub fn upload_url_ttl(mut self, ttl: Duration) -> Self {
        self.config.upload_url_ttl = ttl;
        self
    }

    /// Refuse (2205) timestamps further than `tolerance` from the emulator's clock (default
    /// `None`: any parseable timestamp).
    pub fn timestamp_tolerance(mut self, tolerance: Option<Duration>) -> Self {
        self.config.timestamp_tolerance = tolerance;
        self
    }

    /// Deliver callbacks to any host, not only loopback ones (default false).
    pub fn allow_external_callbacks(mut self, allow: bool) -> Self {
        self.config.callbacks.allow_external = allow;
        self
    }

    /// Callback attempts (first try included) and the wait before the first retry (doubling).
    pub fn callback_retries(mut self, max_attempts: u32, initial_backoff: Duration) -> Self {
        self.config.callbacks.max_attempts = max_attempts.max(1);
        self.config.callbacks.initial_backoff = initial_backoff;
        self
    }

    /// Timeout of one callback attempt (default 10 s).
    pub fn callback_timeout(mut self, timeout: Duration) -> Self {
        self.config.callbacks.timeout = timeout;
        self
    }

    /// Largest JSON request body in bytes (default 1 MiB).
    pub fn max_json_body(mut self, bytes: usize) -> Self {
        self.config.max_json_body = bytes;
        self
    }

    /// Largest zip upload in bytes (default 20 MiB). The zip's entries may add up to four
    /// times this once inflated; a zip that inflates to more fails its job with `0903`.
    pub fn max_zip_body(mut self, bytes: usize) -> Self {
        self.config.max_zip_body = bytes;
        self
    }

    /// Bytes that all uploads being checked at once may inflate their zips to, together
    /// (default 256 MiB; see [`Config::max_inflated_in_flight`]).
    pub fn max_inflated_in_flight(mut self, bytes: usize) -> Self {
        self.config.max_inflated_in_flight = bytes;
        self
    }

    /// How long an upload waits for room in the inflate budget before its `PUT` is refused
    /// with 503 (default 5 s).
    pub fn inflate_wait(mut self, wait: Duration) -> Self {
        self.config.inflate_wait = wait;
        self
    }

    /// Most connections served at once (default 1024; see [`Config::max_connections`]).
    pub fn max_connections(mut self, n: usize) -> Self {
        self.config.max_connections = n;
        self
    }

    /// Time a connection has to send a request head after it opens or after its previous
    /// response (default 30 s; see [`Config::idle_timeout`]).
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.config.idle_timeout = timeout;
        self
    }

    /// Time a request body has to arrive in full (default 30 s; see
    /// [`Config::body_read_timeout`]).
    pub fn body_read_timeout(mut self, timeout: Duration) -> Self {
        self.config.body_read_timeout = timeout;
        self
    }

    /// Serve HTTPS with a self-signed certificate (default false).
    pub fn tls(mut self, tls: bool) -> Self {
        self.config.tls = tls;
        self
    }

    /// Keep state in this JSON file across restarts.
    pub fn state_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.config.state_file = Some(path.into());
        self
    }

    /// A fault active from the start.
    pub fn fault(mut self, endpoint: Endpoint, fault: Fault) -> Self {
        self.config.faults.push((endpoint, fault));
        self
    }

    /// The configuration built so far.
    #[must_use]
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The configuration.
    #[must_use]
    pub fn into_config(self) -> Config {
        self.config
    }

    /// Starts the emulator on the current tokio runtime.
    pub async fn start(self) -> Result<Emulator, Error> {
        let (emulator, _) = start_inner(self.config).await?;
        Ok(emulator)
    }

    /// Starts the emulator on a background thread with its own tokio runtime, for blocking
    /// code. Dropping the [`Emulator`] stops the server and joins the thread.
    pub fn start_blocking(self) -> Result<Emulator, Error> {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let config = self.config;
        let thread = std::thread::Builder::new()
            .name("smile-emulator".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(Error::Runtime(e)));
                        return;
                    }
                };
                runtime.block_on(async move {
                    match start_inner(config).await {
                        Ok((emulator, mut shutdown)) => {
                            if ready_tx.send(Ok(emulator)).is_err() {
                                return;
                            }
                            // Runs until the Emulator handle is dropped.
                            while shutdown.changed().await.is_ok() {}
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                        }
                    }
                });
            })
            .map_err(Error::Runtime)?;
        let mut emulator = ready_rx.recv().map_err(|_| Error::ThreadStopped)??;
        // Tasks belong to the thread's runtime; ending the runtime ends them.
        emulator.tasks.clear();
        emulator.thread = Some(thread);
        Ok(emulator)
    }
}

async fn start_inner(config: Config) -> Result<(Emulator, watch::Receiver<bool>), Error> {
    let store = match &config.state_file {
        Some(path) => shared::read_state_file(path)?,
        None => store::Store::default(),
    };
    let listener = TcpListener::bind(config.bind)
        .await
        .map_err(|source| Error::Bind {
            addr: config.bind,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| Error::Bind {
        addr: config.bind,
        source,
    })?;
    let (acceptor, cert_pem) = if config.tls {
        let (acceptor, pem) = tls::self_signed()?;
        (Some(acceptor), Some(pem))
    } else {
        (None, None)
    };
    let scheme = if config.tls { "https" } else { "http" };
    let host = if addr.ip().is_unspecified() {
        if addr.is_ipv4() {
            "127.0.0.1".to_owned()
        } else {
            "[::1]".to_owned()
        }
    } else if addr.is_ipv6() {
        format!("[{}]", addr.ip())
    } else {
        addr.ip().to_string()
    };
    let authority = format!("{host}:{}", addr.port());
    let (callback_tx, callback_rx) = mpsc::unbounded_channel();
    let shared = Arc::new(Shared::new(
        config,
        store,
        callback_tx,
        scheme,
        authority.clone(),
    ));
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let router = server::router(Arc::clone(&shared));
    let limits = server::Limits {
        connections: Arc::clone(&shared.connections),
        idle_timeout: shared.config.idle_timeout.min(config::MAX_TIMEOUT),
        body_read_timeout: shared.config.body_read_timeout.min(config::MAX_TIMEOUT),
    };
    let tasks = vec![
        tokio::spawn(server::serve(
            listener,
            router,
            acceptor,
            limits,
            shutdown_rx.clone(),
        )),
        tokio::spawn(callbacks::dispatcher(
            Arc::clone(&shared),
            callback_rx,
            shutdown_rx.clone(),
        )),
        tokio::spawn(processing::scheduler(
            Arc::clone(&shared),
            shutdown_rx.clone(),
        )),
    ];
    let emulator = Emulator {
        base_url: format!("{scheme}://{authority}/v1"),
        origin: format!("{scheme}://{authority}"),
        addr,
        cert_pem,
        faults: shared.faults.clone(),
        state: State {
            shared: Arc::clone(&shared),
        },
        shared,
        shutdown: Some(shutdown_tx),
        tasks,
        thread: None,
    };
    Ok((emulator, shutdown_rx))
}

/// A running emulator. Dropping it stops the server.
pub struct Emulator {
    shared: Arc<Shared>,
    base_url: String,
    origin: String,
    addr: SocketAddr,
    cert_pem: Option<String>,
    faults: Faults,
    state: State,
    shutdown: Option<watch::Sender<bool>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emulator")
            .field("base_url", &self.base_url)
            .field("partner_id", &self.shared.config.partner_id)
            .field("api_key", &format_args!("[REDACTED]"))
            .field("tls", &self.cert_pem.is_some())
            .finish_non_exhaustive()
    }
}

impl Emulator {
    /// A builder with the documented defaults.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::new()
    }

    /// Starts an emulator with the defaults on the current tokio runtime.
    pub async fn start() -> Result<Emulator, Error> {
        EmulatorBuilder::new().start().await
    }

    /// Starts an emulator with the defaults on its own thread (for blocking code).
    pub fn start_blocking() -> Result<Emulator, Error> {
        EmulatorBuilder::new().start_blocking()
    }

    /// The v1 base URL, e.g. `http://127.0.0.1:41234/v1`.
    #[must_use]
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// `scheme://host:port` of the emulator (the control API is under `/__emulator`).
    #[must_use]
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The address the emulator listens on.
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The partner id it accepts.
    #[must_use]
    pub fn partner_id(&self) -> &str {
        &self.shared.config.partner_id
    }

    /// The API key it accepts.
    #[must_use]
    pub fn api_key(&self) -> &SecretString {
        &self.shared.config.api_key
    }

    /// A [`Signer`](smile_sign::Signer) for the emulator's partner id and key: what a test
    /// needs to verify callbacks (`smile_sign::CallbackVerifier::new(emulator.signer())`) or to
    /// sign requests by hand.
    #[must_use]
    pub fn signer(&self) -> smile_sign::Signer {
        self.shared.signer.clone()
    }

    /// The self-signed certificate (PEM) when serving HTTPS.
    #[must_use]
    pub fn cert_pem(&self) -> Option<&str> {
        self.cert_pem.as_deref()
    }

    /// Fault injection.
    #[must_use]
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// Users, jobs, reviews and the callback log.
    #[must_use]
    pub fn state(&self) -> &State {
        &self.state
    }

    /// Connection, inflate-budget and redirect counters (the same as
    /// [`State::stats`]).
    #[must_use]
    pub fn stats(&self) -> Stats {
        self.state.stats()
    }

    /// The configuration it runs with.
    #[must_use]
    pub fn config(&self) -> &Config {
        &self.shared.config
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        // Dropping the sender tells every task (and the background thread) to stop.
        self.shutdown.take();
        for task in self.tasks.drain(..) {
            task.abort();
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        self.shared.persist();
    }
}

/// Runs an emulator with `config` on the current runtime until Ctrl-C (for embedding, e.g. the
/// `smile emulator` command).
pub async fn run(config: Config) -> Result<(), Error> {
    run_until(config, async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C; running until killed");
            std::future::pending::<()>().await;
        }
    })
    .await
}

/// Runs an emulator with `config` until `shutdown` completes.
pub async fn run_until(
    config: Config,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), Error> {
    let emulator = EmulatorBuilder::from_config(config).start().await?;
    tracing::info!(
        base_url = emulator.base_url(),
        partner_id = emulator.partner_id(),
        "smile-emulator listening"
    );
    shutdown.await;
    drop(emulator);
    Ok(())
}

// The README's example drives the emulator with smile-blocking, which dev-depends on this
// crate: it is compiled as a doc test by the `tests` member (smile-tests), so that the two
// crates do not dev-depend on each other (packaging could not order them).

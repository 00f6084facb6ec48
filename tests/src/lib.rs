//! Shared helpers for the cross-crate tests in `tests/tests/`: one [`Client`] that runs the same
//! test body against the blocking and the async client, virtual time, the interop files, signed
//! job-status bodies and request decoding.
//!
//! ```
//! use smile_tests::{ClientKind, Setup, client};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! for kind in ClientKind::ALL {
//!     let api = client(kind, &Setup::new("http://127.0.0.1:9/v1"));
//!     assert_eq!(api.kind(), kind);
//! }
//! # });
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod mock;

/// Runs a scenario `async fn name(kind: ClientKind)` against both clients, as two tests
/// (`name::blocking`, `name::async_client`).
#[macro_export]
macro_rules! both_clients {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn blocking() {
                super::$name(smile_tests::ClientKind::Blocking).await;
            }
            #[tokio::test]
            async fn async_client() {
                super::$name(smile_tests::ClientKind::Async).await;
            }
        }
    )*};
}

use std::io::BufRead;
use std::time::Duration;

use serde_json::{Map, Value};
use smile_core::{
    CreatedJob, Error, JobOutcome, JobStatusOptions, PollPolicy, RetryPolicy, Server,
};
use smile_package::{Image, SubmitRequest};
use smile_sign::{FixedClock, Signer};
use smile_types::{JobOptions, JobStatusResponse, JobType, PartnerId, PartnerParams};

pub use smile_testdata::{
    API_KEY, PARTNER_ID, fixture, fixture_path, interop, seed_names as seed_entry_names,
    status_sample, t0,
};
/// The callback URL of the canonical job.
pub const CALLBACK_URL: &str = "https://callback.example.com/smile";

/// The seed job's images: `selfie.jpg` and `liveness_1..8.jpg` as files.
#[must_use]
pub fn seed_images() -> Vec<Image> {
    std::iter::once(Image::selfie_file(fixture_path("selfie.jpg")))
        .chain((1..=8).map(|i| Image::liveness_file(fixture_path(&format!("liveness_{i}.jpg")))))
        .collect()
}

/// The canonical job: user `user-0001`, job `job-0002`, type 2, the seed images, `options`.
#[must_use]
pub fn seed_request(options: JobOptions) -> SubmitRequest {
    SubmitRequest::new(
        PartnerParams::new("user-0001", "job-0002", JobType::SmartSelfieAuthentication),
        seed_images(),
    )
    .with_options(options)
}

/// The signer of the test partner (what the server side signs with).
#[must_use]
pub fn signer() -> Signer {
    Signer::new(PartnerId::new(PARTNER_ID), API_KEY)
}

/// A job-status body: `fields` plus `timestamp` and a valid `signature` (first in the object,
/// as the server writes them).
#[must_use]
pub fn signed_status(fields: &Value, timestamp: &str) -> String {
    let mut m = Map::new();
    m.insert("timestamp".into(), timestamp.into());
    m.insert("signature".into(), signer().sign(timestamp).into());
    if let Value::Object(f) = fields {
        for (k, v) in f {
            if k != "timestamp" && k != "signature" {
                m.insert(k.clone(), v.clone());
            }
        }
    }
    Value::Object(m).to_string()
}

/// A prep-upload response (`upload_url`, `ref_id`, `smile_job_id`, `camera_config`, `code`).
#[must_use]
pub fn prep_response(upload_url: &str, smile_job_id: &str) -> Value {
    serde_json::json!({
        "upload_url": upload_url,
        "ref_id": format!("{PARTNER_ID}-{smile_job_id}-3f9a1c2e"),
        "smile_job_id": smile_job_id,
        "camera_config": null,
        "code": "2202"
    })
}

/// A function that sees every request a test client sends.
#[derive(Clone)]
pub struct Observer(pub std::sync::Arc<dyn Fn(&smile_core::HttpRequest) + Send + Sync>);

impl std::fmt::Debug for Observer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Observer")
    }
}

/// Which client a test body runs against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClientKind {
    /// `smile_blocking::WebApi` (run on tokio's blocking pool).
    Blocking,
    /// `smile_async::WebApi`.
    Async,
}

impl ClientKind {
    /// Both kinds.
    pub const ALL: [ClientKind; 2] = [ClientKind::Blocking, ClientKind::Async];
}

/// How to build a test client. By default: the test partner, the given base URL, virtual time
/// starting at [`t0`] (sleeping advances the clock; no real waiting), deterministic retries.
#[derive(Clone, Debug)]
pub struct Setup {
    /// The base URL (e.g. a wiremock server's `uri()` + `/v1`).
    pub base_url: String,
    /// The client's default callback.
    pub default_callback: Option<String>,
    /// The poll policy (client default when `None`).
    pub poll_policy: Option<PollPolicy>,
    /// The retry policy (default: the standard policy without jitter).
    pub retry_policy: RetryPolicy,
    /// The request timeout (client default when `None`).
    pub request_timeout: Option<Duration>,
    /// The upload timeout (client default when `None`).
    pub upload_timeout: Option<Duration>,
    /// Sees every request the client sends (before its default transport sends it).
    pub observer: Option<Observer>,
    /// The virtual clock; `None` uses the real clock and real sleeping.
    pub clock: Option<FixedClock>,
    /// With a virtual clock: `true` makes the sleep hook leave it alone (a clock that never
    /// moves); `false` (default) makes each sleep advance it.
    pub clock_stopped: bool,
}

impl Setup {
    /// The defaults for `base_url`.
    #[must_use]
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            default_callback: None,
            poll_policy: None,
            retry_policy: RetryPolicy::default().without_jitter(),
            request_timeout: None,
            upload_timeout: None,
            observer: None,
            clock: Some(FixedClock::new(t0())),
            clock_stopped: false,
        }
    }
}

/// A test client of either kind, with the same async interface.
#[derive(Clone, Debug)]
pub enum Client {
    /// The blocking client.
    Blocking(smile_blocking::WebApi),
    /// The async client.
    Async(smile_async::WebApi),
}

/// Builds a client of `kind` as `setup` says.
///
/// # Panics
/// When the settings are invalid (a broken test).
#[must_use]
pub fn client(kind: ClientKind, setup: &Setup) -> Client {
    let server = Server::custom(&setup.base_url).expect("base URL");
    // What both builders share (same setters, no common trait); the clock and sleep differ.
    macro_rules! configured {
        ($api:ty) => {{
            let mut b = <$api>::builder(PARTNER_ID, API_KEY)
                .server(server)
                .retry_policy(setup.retry_policy.clone());
            if let Some(cb) = &setup.default_callback {
                b = b.default_callback(cb.clone());
            }
            if let Some(p) = &setup.poll_policy {
                b = b.poll_policy(p.clone());
            }
            if let Some(t) = setup.request_timeout {
                b = b.request_timeout(t);
            }
            if let Some(t) = setup.upload_timeout {
                b = b.upload_timeout(t);
            }
            b
        }};
    }
    // The default transports' configuration (the connect timeout is all they read).
    let transport_config = smile_core::ClientConfig::builder(PARTNER_ID, API_KEY)
        .base_url(&setup.base_url)
        .build()
        .expect("transport config");
    match kind {
        ClientKind::Blocking => {
            let mut b = configured!(smile_blocking::WebApi);
            if let Some(Observer(see)) = setup.observer.clone() {
                let inner = smile_blocking::UreqTransport::for_config(&transport_config)
                    .expect("ureq transport");
                b = b.transport(move |req: smile_core::HttpRequest| {
                    see(&req);
                    smile_core::Transport::send(&inner, req)
                });
            }
            if let Some(clock) = &setup.clock {
                let (c, stopped) = (clock.clone(), setup.clock_stopped);
                b = b.clock(clock.clone()).sleep(move |d| {
                    if !stopped {
                        c.advance(d);
                    }
                });
            }
            Client::Blocking(b.build().expect("blocking client"))
        }
        ClientKind::Async => {
            let mut b = configured!(smile_async::WebApi);
            if let Some(Observer(see)) = setup.observer.clone() {
                let inner = std::sync::Arc::new(
                    smile_async::ReqwestTransport::for_config(&transport_config)
                        .expect("reqwest transport"),
                );
                b = b.transport(move |req: smile_core::HttpRequest| {
                    see(&req);
                    let inner = std::sync::Arc::clone(&inner);
                    async move { smile_core::AsyncTransport::send(&*inner, req).await }
                });
            }
            if let Some(clock) = &setup.clock {
                let (c, stopped) = (clock.clone(), setup.clock_stopped);
                b = b.clock(clock.clone()).sleep(move |d| {
                    if !stopped {
                        c.advance(d);
                    }
                    std::future::ready(())
                });
            }
            Client::Async(b.build().expect("async client"))
        }
    }
}

impl Client {
    /// Which kind this is.
    #[must_use]
    pub fn kind(&self) -> ClientKind {
        match self {
            Self::Blocking(_) => ClientKind::Blocking,
            Self::Async(_) => ClientKind::Async,
        }
    }

    /// `submit` (the blocking client runs on tokio's blocking pool).
    ///
    /// # Errors
    /// The client's error.
    ///
    /// # Panics
    /// When the blocking task panics.
    pub async fn submit(&self, request: SubmitRequest) -> Result<JobOutcome, Error> {
        match self {
            Self::Blocking(api) => {
                let api = api.clone();
                tokio::task::spawn_blocking(move || api.submit(request))
                    .await
                    .expect("blocking task")
            }
            Self::Async(api) => api.submit(request).await,
        }
    }

    /// Runs `f` with the blocking client on tokio's blocking pool, or `g` with the async one:
    /// the one place the two clients' calls are told apart.
    async fn either<T: Send + 'static>(
        &self,
        f: impl FnOnce(smile_blocking::WebApi) -> Result<T, Error> + Send + 'static,
        g: impl AsyncFnOnce(smile_async::WebApi) -> Result<T, Error>,
    ) -> Result<T, Error> {
        match self {
            Self::Blocking(api) => {
                let api = api.clone();
                tokio::task::spawn_blocking(move || f(api))
                    .await
                    .expect("blocking task")
            }
            Self::Async(api) => g(api.clone()).await,
        }
    }

    /// Any endpoint, through the client's generic `call`.
    ///
    /// # Errors
    /// The client's error.
    pub async fn call<E>(&self, endpoint: E) -> Result<E::Output, Error>
    where
        E: smile_core::Endpoint + Clone + Send + 'static,
        E::Output: Send + 'static,
    {
        let e2 = endpoint.clone();
        self.either(
            move |api| api.call(endpoint),
            async move |api| api.call(e2).await,
        )
        .await
    }

    /// `create_job` (phase one).
    ///
    /// # Errors
    /// The client's error.
    pub async fn create_job(&self, request: SubmitRequest) -> Result<CreatedJob, Error> {
        let r2 = request.clone();
        self.either(
            move |api| api.create_job(request),
            async move |api| api.create_job(r2).await,
        )
        .await
    }

    /// `upload_job` (phase two).
    ///
    /// # Errors
    /// The client's error.
    pub async fn upload_job(
        &self,
        created: &CreatedJob,
        request: SubmitRequest,
    ) -> Result<JobOutcome, Error> {
        let (c1, c2, r2) = (created.clone(), created.clone(), request.clone());
        self.either(
            move |api| api.upload_job(&c1, request),
            async move |api| api.upload_job(&c2, r2).await,
        )
        .await
    }

    /// `resume_job`.
    ///
    /// # Errors
    /// The client's error.
    pub async fn resume_job(&self, request: SubmitRequest) -> Result<JobOutcome, Error> {
        let r2 = request.clone();
        self.either(
            move |api| api.resume_job(request),
            async move |api| api.resume_job(r2).await,
        )
        .await
    }

    /// `get_job_status` (the blocking client runs on tokio's blocking pool).
    ///
    /// # Errors
    /// The client's error.
    ///
    /// # Panics
    /// When the blocking task panics.
    pub async fn get_job_status(
        &self,
        user_id: &str,
        job_id: &str,
        options: JobStatusOptions,
    ) -> Result<JobStatusResponse, Error> {
        let (user_id, job_id) = (user_id.to_owned(), job_id.to_owned());
        match self {
            Self::Blocking(api) => {
                let api = api.clone();
                tokio::task::spawn_blocking(move || api.get_job_status(user_id, job_id, options))
                    .await
                    .expect("blocking task")
            }
            Self::Async(api) => api.get_job_status(user_id, job_id, options).await,
        }
    }
}

/// A request as a server received it (method, path with query, headers, body): what tests
/// assert on, independent of the mock server used.
#[derive(Clone, Debug)]
pub struct Received {
    /// The method, e.g. `POST`.
    pub method: String,
    /// The path and query, e.g. `/v1/upload` or `/uploads/selfie.zip?X-Amz-Signature=abc`.
    pub path_and_query: String,
    /// Header names (lower case) and values, in the order received.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Received {
    /// The first value of header `name` (case-insensitive).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    ///
    /// # Panics
    /// When the body is not JSON.
    #[must_use]
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }

    /// The body as UTF-8 text.
    ///
    /// # Panics
    /// When the body is not UTF-8.
    #[must_use]
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("UTF-8 body")
    }

    /// The path without the query.
    #[must_use]
    pub fn path(&self) -> &str {
        self.path_and_query
            .split_once('?')
            .map_or(self.path_and_query.as_str(), |(p, _)| p)
    }
}

/// Checks that a JSON request carries the protocol's headers (docs/protocol.md §2.1) and returns
/// a description of the first problem.
#[must_use]
pub fn json_headers_problem(r: &Received) -> Option<String> {
    let want = [
        ("content-type", "application/json".to_owned()),
        ("accept", "application/json".to_owned()),
        (
            "user-agent",
            format!("smile-id-rust/{}", smile_core::SDK_VERSION),
        ),
        ("content-length", r.body.len().to_string()),
    ];
    want.iter().find_map(|(k, v)| {
        (r.header(k) != Some(v.as_str())).then(|| format!("{k}: want {v:?}, got {:?}", r.header(k)))
    })
}

/// Checks that a zip `PUT` from a `kind` client carries exactly the allowed headers
/// (docs/protocol.md §2.1, §5.7): `Content-Type: application/zip`, a correct `Content-Length` and
/// `Host`, nothing else. The one exception: the async client's reqwest always adds
/// `Accept: */*` (a client default that cannot be removed; harmless, storage services do not
/// sign `Accept`), so `accept: */*` is allowed for [`ClientKind::Async`] only.
#[must_use]
pub fn put_headers_problem(r: &Received, kind: ClientKind) -> Option<String> {
    if r.header("content-type") != Some("application/zip") {
        return Some(format!("content-type {:?}", r.header("content-type")));
    }
    if r.header("content-length") != Some(r.body.len().to_string().as_str()) {
        return Some(format!("content-length {:?}", r.header("content-length")));
    }
    r.headers
        .iter()
        .find(|(k, v)| {
            let k = k.to_ascii_lowercase();
            let always = ["content-type", "content-length", "host"].contains(&k.as_str());
            let reqwest_accept = kind == ClientKind::Async && k == "accept" && v == "*/*";
            !(always || reqwest_accept)
        })
        .map(|(k, v)| format!("unexpected header {k}: {v}"))
}

/// Reads one HTTP/1.1 request from `reader` (for the tests' tiny loopback servers): skips the
/// request line and headers, then returns the body (`Content-Length` bytes). `None` when the
/// connection ends or fails first.
pub fn read_http_request_body(reader: &mut impl BufRead) -> Option<Vec<u8>> {
    let mut length = 0usize;
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return None;
        }
        if line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(body)
}

/// The workspace README's examples, compiled (and, where not `no_run`, run) as doc tests so they
/// stay true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct WorkspaceReadmeDoctests;

/// smile-emulator's README example (it uses smile-blocking, so it is compiled here rather than
/// in the emulator crate).
#[cfg(doctest)]
#[doc = include_str!("../../crates/smile-emulator/README.md")]
struct EmulatorReadmeDoctests;

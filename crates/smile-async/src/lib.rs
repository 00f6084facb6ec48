//! An async Smile ID client: the `smile-core` protocol driven over reqwest and tokio.
//!
//! One dependency is enough: this crate re-exports what a caller needs from `smile-core`,
//! `smile-types`, `smile-package` and `smile-sign` (also as the modules [`core`], [`types`],
//! [`package`] and [`sign`]).
//!
//! # Example: enrol, then authenticate (on the emulator)
//!
//! [`smile_emulator`](https://docs.rs/smile-emulator) is a local Smile ID API: this runs with no
//! account and no network. Against Smile ID, the same code takes your partner id and API key
//! and `.server(Server::Sandbox)` (the default) or `.server(Server::Production)` instead of
//! `.base_url(..)`.
//!
//! ```
//! use std::time::Duration;
//! use smile_async::{Image, JobOptions, JobType, PartnerParams, WebApi};
//! use smile_emulator::Emulator;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Partner id "001", API key "emulator-api-key", a free loopback port.
//! let emulator = Emulator::builder().processing_delay(Duration::ZERO).start().await?;
//! let api = WebApi::builder(emulator.partner_id(), emulator.api_key().clone())
//!     .base_url(emulator.base_url()) // e.g. http://127.0.0.1:41234/v1
//!     .build()?;
//!
//! # let selfie = smile_testdata::fixture_path("selfie.jpg");
//! # let liveness: Vec<_> = (1..=8).map(|i| smile_testdata::fixture_path(&format!("liveness_{i}.jpg"))).collect();
//! // `selfie`: the path of a JPEG or PNG; `liveness`: the paths of the 8 liveness frames.
//! let wait = JobOptions { return_job_status: true, ..JobOptions::default() };
//!
//! // 1. Enrol the user (SmartSelfie™ Registration, job type 4).
//! let enrolled = api
//!     .submit_job(
//!         PartnerParams::new("user-17", "enrol-0001", JobType::SmartSelfieRegistration),
//!         vec![Image::selfie_file(&selfie)],
//!         None,
//!         wait.clone(),
//!     )
//!     .await?;
//! assert!(enrolled.is_final_approval()); // 0840 "Enroll User - PASS"
//!
//! // 2. Authenticate them later (SmartSelfie™ Authentication, job type 2), with a fresh job id.
//! let outcome = api
//!     .submit_job(
//!         PartnerParams::new("user-17", "auth-0001", JobType::SmartSelfieAuthentication),
//!         std::iter::once(Image::selfie_file(&selfie))
//!             .chain(liveness.iter().map(Image::liveness_file))
//!             .collect(),
//!         None,
//!         wait,
//!     )
//!     .await?;
//! assert!(outcome.is_final_approval()); // 0820 "Machine Judgement - PASS"
//! println!("{}", outcome.summary());
//! # Ok(())
//! # }
//! ```
//!
//! # Example: no server at all
//!
//! A unit test can give the client a transport of its own: here an async closure playing the
//! Smile ID server. In production, leave `.transport(..)` out and reqwest is used.
//!
//! ```
//! use smile_async::{Image, JobOptions, JobType, PartnerParams, WebApi};
//! # use smile_async::{HttpRequest, HttpResponse, TransportFailure, sign::Signer, types::PartnerId};
//! # let server_signer = Signer::new(PartnerId::new("085"), "api-key");
//! # let fake_server = move |req: HttpRequest| {
//! #     let server_signer = server_signer.clone();
//! #     async move {
//! #         let body = match req.uri().path() {
//! #             "/v1/upload" => r#"{"upload_url":"https://uploads.example/x?sig=1","smile_job_id":"0000000001","code":"2202"}"#.to_owned(),
//! #             "/x" => String::new(),
//! #             _ => { let t = "2024-01-01T00:00:05.000Z"; let s = server_signer.sign(t);
//! #                    format!(r#"{{"timestamp":"{t}","signature":"{s}","job_complete":true,"job_success":true,"result":{{"ResultCode":"0820","IsFinalResult":"true"}}}}"#) }
//! #         };
//! #         Ok::<HttpResponse, TransportFailure>(http::Response::builder().status(200).body(body.into_bytes()).unwrap())
//! #     }
//! # };
//! # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
//! let api = WebApi::builder("085", "api-key") // partner id, API key (sandbox by default)
//!     .default_callback("https://example.com/smile/callback")
//! #   .transport(fake_server)
//!     .build()?;
//!
//! let jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0];
//! let outcome = api
//!     .submit_job(
//!         PartnerParams::new("user-0001", "job-0002", JobType::SmartSelfieAuthentication),
//!         vec![Image::selfie_bytes(jpeg.clone()), Image::liveness_bytes(jpeg)],
//!         None,
//!         JobOptions { return_job_status: true, ..JobOptions::default() },
//!     )
//!     .await?;
//! // A provisional result (e.g. 0824, under review) is NOT final: the final one reaches the callback.
//! assert!(outcome.is_final_approval());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Features
//!
//! | feature | default | what it does |
//! |---|---|---|
//! | `rustls` | yes | TLS with rustls and the webpki roots |
//! | `native-tls` | no | TLS with the platform's library (OpenSSL, SChannel, Security.framework); used when `rustls` is off |
//!
//! With both off, only plain `http` works: building a client for an `https` base URL (the
//! default servers are) fails with [`ConfigError::NoTls`].
//!
//! # Runtime, timeouts and connections
//!
//! The default transport and sleep need a tokio runtime (reqwest's requirement). Connect
//! 10 s, JSON calls 30 s, the zip upload 120 s (all settable on the builder). One
//! `reqwest::Client` is kept per client, so connections are reused (keep-alive). Redirects are
//! never followed and every HTTP status is handed to the protocol machine. Image files are
//! read on tokio's blocking pool.
//!
//! Two differences from `smile-blocking`, both from reqwest (see [`ReqwestTransport`]): the
//! zip `PUT` also carries `Accept: */*` (harmless), and an upload URL that reqwest would
//! normalise is refused instead of being sent altered.
//!
//! # TLS and private certificates
//!
//! The default transport trusts the web PKI roots. For a server with a private or self-signed
//! certificate (e.g. `smile-emulator` with TLS: `emulator.cert_pem()`),
//! [`WebApiBuilder::root_certificates_pem`] makes it trust the given roots **instead**. For
//! anything else (proxy, client certificates), build your own client with
//! [`reqwest`](https://docs.rs/reqwest/0.12) 0.12 (re-exported as `smile_async::reqwest`) and
//! pass it to [`ReqwestTransport::from_client`]. A certificate that is not trusted ends the call with [`Error::Transport`] of kind
//! [`TransportFailureKind::Tls`].
//!
//! # Dropping a future (cancellation)
//!
//! Every call is a future that does nothing until polled and stops between two steps when
//! dropped (e.g. by `tokio::time::timeout` or `select!`). What was already sent may still reach
//! the server: a `submit_job` dropped after `POST /upload` was sent leaves a job that may exist,
//! whose `smile_job_id` the dropped future never returns. When that matters, run the phases
//! apart: [`WebApi::create_job`] returns the `smile_job_id` before any image is uploaded (store
//! it), then [`WebApi::upload_job`]; after a drop, [`WebApi::resume_job`] with the same request
//! finishes the same job, and [`WebApi::get_job_status`] shows it. A dropped call that creates
//! no job (job status, the lookups) has no such effect.
//!
//! # Logging
//!
//! The SDK emits [`tracing`](https://docs.rs/tracing) spans and events, off unless a
//! subscriber listens: a span per job (`smile.job`: `job_id`, `job_type`, `smile_job_id`) or
//! call (`smile.call`: `endpoint`, `job_id`), and an event per request and response (the
//! attempt, the status or failure, the outcome). They never carry the API key, a signature,
//! image data, id numbers or the query of a presigned upload URL (a test captures a whole job
//! to prove it). The HTTP library underneath (reqwest and hyper) logs request URIs at `DEBUG` on its
//! own targets, presigned queries included: keep those targets at `info` in a production filter
//! (e.g. `RUST_LOG=info,smile_core=debug`).
//!
//! # Errors
//!
//! Every call returns [`Error`]; see its documentation for what each variant means and
//! whether a job may exist on the server. Nothing panics on bad input or bad responses.
//!
//! # Testing
//!
//! [`WebApiBuilder::transport`], [`WebApiBuilder::clock`] and [`WebApiBuilder::sleep`] replace
//! the network, the time and the waiting: a test can poll through a whole 90 s schedule in
//! microseconds with a [`FixedClock`] that the sleep hook advances.
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use smile_core::{Driver, DriverBuilder};

mod body;

pub use http;
/// The reqwest version this crate uses, to build a client for
/// [`ReqwestTransport::from_client`].
pub use reqwest;
pub use smile_core as core;
pub use smile_package as package;
pub use smile_sign as sign;
pub use smile_types as types;

pub use smile_core::prelude::*;

/// A `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A boxed future, as returned by the sleep hook.
pub type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

type SleepFn = dyn Fn(Duration) -> BoxFuture + Send + Sync;

/// A Smile ID v1 client for async code.
///
/// Cheap to clone (the transport, clock and configuration are shared); `Send + Sync`; its
/// futures are `Send`. Its `Debug` output never shows the API key.
#[derive(Clone, Debug)]
pub struct WebApi {
    inner: Driver<dyn AsyncTransport, SleepFn>,
    /// Bounds the image loads running on the blocking pool at once (see `prepared`).
    loaders: Arc<tokio::sync::Semaphore>,
}

/// How many image loads of one client run on tokio's blocking pool at once: one per CPU.
/// Loading is CPU work (the base64 check, the CRC-32) and local reads, so more at once only
/// queue for the CPUs; and each blocking-pool thread that allocates gets a malloc arena of its
/// own that keeps its freed memory: at 32 jobs in flight, unbounded loads grew the process by
/// about 10 MB of arenas (docs/benchmarks.md).
fn loader_permits() -> usize {
    std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)
}

impl WebApi {
    /// A builder with the required credentials: the partner id exactly as shown in the portal
    /// (`"085"` and `"85"` differ) and the API key of the chosen environment.
    pub fn builder(
        partner_id: impl Into<PartnerId>,
        api_key: impl Into<SecretString>,
    ) -> WebApiBuilder {
        WebApiBuilder {
            inner: DriverBuilder::new(partner_id, api_key),
        }
    }

    /// The configuration (no secrets are reachable from it but the [`Signer`]).
    #[must_use]
    pub fn config(&self) -> &ClientConfig {
        self.inner.config()
    }

    smile_core::__client_calls!(async; .await);

    /// Validates `request` and reads its images, then builds a machine from it: on tokio's
    /// blocking pool when a runtime is running and the request has files or base64 text (reading
    /// and the strict base64 check are CPU and I/O work that must not hold a runtime worker),
    /// at most [`loader_permits`] at once.
    async fn prepared<M: Send + 'static>(
        &self,
        request: SubmitRequest,
        make: impl FnOnce(&ClientConfig, SubmitRequest) -> Result<M> + Send + 'static,
    ) -> Result<M> {
        let heavy = request
            .images
            .iter()
            .any(|i| !matches!(i.source, ImageSource::Bytes(_)));
        if heavy && let Ok(handle) = tokio::runtime::Handle::try_current() {
            let config = Arc::clone(self.inner.config());
            // The permit moves into the task: it is held until the load ends, even when this
            // future is dropped first.
            let Ok(permit) = Arc::clone(&self.loaders).acquire_owned().await else {
                return Err(Error::InvalidState("the image loader was closed"));
            };
            let load = move || {
                let _permit = permit;
                make(&config, request)
            };
            return match handle.spawn_blocking(load).await {
                Ok(r) => r,
                Err(_) => Err(Error::InvalidState("image loading was cancelled")),
            };
        }
        make(self.config(), request)
    }

    /// Drives any protocol [`Machine`] to completion with this client's transport, clock and
    /// sleep (e.g. a [`SubmitJob`] with its own poll policy).
    ///
    /// # Errors
    /// The machine's error.
    pub async fn run<M: Machine + Send>(&self, mut machine: M) -> Result<M::Output> {
        loop {
            match machine.next(self.config().clock().now()) {
                Step::Send(request) => {
                    let response = self.inner.transport().send(request).await;
                    machine.on_response(response);
                }
                Step::Wait(d) => (self.inner.sleep())(d).await,
                Step::Done(result) => return result,
            }
        }
    }
}

/// Builds a [`WebApi`].
///
/// ```
/// use std::time::Duration;
/// use smile_async::{Server, WebApi};
///
/// let api = WebApi::builder("085", "api-key")
///     .server(Server::Production)
///     .default_callback("https://example.com/smile/callback")
///     .upload_timeout(Duration::from_secs(60))
///     .build()?;
/// assert!(!format!("{api:?}").contains("api-key"));
/// # Ok::<(), smile_async::ConfigError>(())
/// ```
#[derive(Debug)]
#[must_use]
pub struct WebApiBuilder {
    inner: DriverBuilder<dyn AsyncTransport, SleepFn>,
}

impl WebApiBuilder {
    smile_core::__forward_config_setters!(inner);

    /// Uses this transport instead of reqwest (a proxy, mTLS, middleware, a test double). It
    /// must follow the [`Transport`] contract: every status as `Ok`, no redirects, honour the
    /// request's timeout.
    pub fn transport(mut self, transport: impl AsyncTransport + 'static) -> Self {
        self.inner = self.inner.transport(Arc::new(transport));
        self
    }

    /// Uses this function to wait between polls and retries (default
    /// [`tokio::time::sleep`]). Tests pass one that advances a [`FixedClock`].
    pub fn sleep<F, Fut>(mut self, sleep: F) -> Self
    where
        F: Fn(Duration) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.inner = self
            .inner
            .sleep(Arc::new(move |d| Box::pin(sleep(d)) as BoxFuture));
        self
    }

    /// Validates the settings and builds the client (and its reqwest client, unless a
    /// transport was given).
    ///
    /// # Errors
    /// [`ConfigError`] naming the invalid setting, or [`ConfigError::HttpClient`] when the
    /// HTTP client cannot be set up (TLS back-end).
    pub fn build(self) -> Result<WebApi, ConfigError> {
        let inner = self.inner.build(
            |config| Ok(Arc::new(ReqwestTransport::for_config(config)?)),
            || Arc::new(|d| Box::pin(tokio::time::sleep(d)) as BoxFuture),
        )?;
        Ok(WebApi {
            inner,
            loaders: Arc::new(tokio::sync::Semaphore::new(loader_permits())),
        })
    }
}

/// The default [`AsyncTransport`]: one `reqwest::Client` configured for the protocol (no
/// redirects, connect timeout, per-request total timeout from the request, connection reuse),
/// reading at most [`MAX_RESPONSE_BODY_BYTES`](smile_core::MAX_RESPONSE_BODY_BYTES) of a body.
///
/// reqwest sends every request to a `url::Url`, a normalised form of the URL. For the zip
/// `PUT` that matters: a presigned upload URL is signed over its exact text
/// ([protocol §1.1](smile_types::protocol#11-base-urls)). When the normalised form differs (an upper-case host, an explicit default port such
/// as `:443`, `.`/`..` path segments, characters that get re-escaped), the `PUT` is not sent
/// and fails with [`TransportFailureKind::InvalidRequest`] (so the job ends with
/// [`Error::UploadFailed`]). Storage services hand out URLs in normal form, so this does not
/// happen with Smile ID; `smile-blocking` sends any URL as given.
///
/// One header beyond [protocol §2.1](smile_types::protocol#21-request-headers): reqwest adds `Accept: */*` to every request that has
/// no `Accept` (the JSON calls carry `Accept: application/json`, so it shows only on the zip
/// `PUT`). reqwest 0.12 offers no way to remove this client default. It is harmless: storage
/// services do not sign `Accept` (presigned URLs sign `host` and, here, `content-type`).
/// `smile-blocking` sends no `Accept` on the `PUT`.
#[derive(Clone)]
pub struct ReqwestTransport {
    client: reqwest::Client,
}

impl fmt::Debug for ReqwestTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReqwestTransport").finish_non_exhaustive()
    }
}

impl ReqwestTransport {
    /// A transport with its own client and this connect timeout, trusting the web PKI roots.
    ///
    /// # Errors
    /// [`ConfigError::HttpClient`] when the TLS back-end cannot be initialised.
    pub fn new(connect_timeout: Duration) -> Result<Self, ConfigError> {
        Self::build(connect_timeout, &[])
    }

    /// The transport that [`WebApiBuilder::build`] makes: the configuration's connect timeout
    /// and, when it has any, its [root certificates](ClientConfig::root_certificates_pem)
    /// instead of the web PKI roots.
    ///
    /// # Errors
    /// [`ConfigError::RootCertificates`] when a root certificate cannot be parsed,
    /// [`ConfigError::HttpClient`] when the TLS back-end cannot be initialised;
    /// [`ConfigError::NoTls`] when the base URL is `https` (or root certificates were given)
    /// and both TLS features are off.
    pub fn for_config(config: &ClientConfig) -> Result<Self, ConfigError> {
        config.check_tls(TLS_AVAILABLE)?;
        Self::build(config.timeouts().connect, config.root_certificates_pem())
    }

    fn build(connect_timeout: Duration, root_pems: &[String]) -> Result<Self, ConfigError> {
        #[allow(unused_mut)] // without a TLS feature
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(connect_timeout);
        #[cfg(feature = "rustls")]
        {
            builder = builder.use_rustls_tls();
        }
        #[cfg(all(feature = "native-tls", not(feature = "rustls")))]
        {
            builder = builder.use_native_tls();
        }
        let builder = with_roots(builder, root_pems)?;
        let client = builder
            .build()
            .map_err(|e| ConfigError::HttpClient(Box::new(e)))?;
        Ok(Self { client })
    }

    /// Wraps a client of your own. It **must** be built with
    /// `redirect(reqwest::redirect::Policy::none())`.
    #[must_use]
    pub fn from_client(client: reqwest::Client) -> Self {
        Self { client }
    }
}

#[async_trait::async_trait]
impl AsyncTransport for ReqwestTransport {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportFailure> {
        let timeout = smile_core::request_timeout(&request);
        let target = smile_core::request_target(&request);
        let verbatim = (smile_core::request_kind(&request) == Some(RequestKind::Upload))
            .then(|| request.uri().to_string());
        let mut request = reqwest::Request::try_from(request.map(body::reqwest_body))
            .map_err(|e| failure(e, &target))?;
        if let Some(original) = verbatim
            && request.url().as_str() != original
        {
            return Err(url_rewritten(target));
        }
        *request.timeout_mut() = timeout;
        let mut response = self
            .client
            .execute(request)
            .await
            .map_err(|e| failure(e, &target))?;
        let mut builder = http::Response::builder()
            .status(response.status())
            .version(response.version());
        if let Some(h) = builder.headers_mut() {
            *h = std::mem::take(response.headers_mut());
        }
        let limit = usize::try_from(smile_core::MAX_RESPONSE_BODY_BYTES).unwrap_or(usize::MAX);
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| failure(e, &target))? {
            if body.len().saturating_add(chunk.len()) > limit {
                return Err(TransportFailure::new(
                    TransportFailureKind::BodyTooLarge,
                    target,
                ));
            }
            body.extend_from_slice(&chunk);
        }
        builder
            .body(body)
            .map_err(|e| TransportFailure::other(target).with_source(e))
    }
}

/// `builder` trusting `root_pems` instead of the web PKI roots (when there are any).
#[cfg(any(feature = "rustls", feature = "native-tls"))]
fn with_roots(
    mut builder: reqwest::ClientBuilder,
    root_pems: &[String],
) -> Result<reqwest::ClientBuilder, ConfigError> {
    if !root_pems.is_empty() {
        builder = builder.tls_built_in_root_certs(false);
    }
    for (n, pem) in root_pems.iter().enumerate() {
        let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes()).map_err(|e| {
            ConfigError::RootCertificates {
                problem: format!("PEM text #{} cannot be parsed", n + 1),
                source: Some(Box::new(e)),
            }
        })?;
        if certs.is_empty() {
            return Err(ConfigError::RootCertificates {
                problem: format!("PEM text #{} holds no certificate", n + 1),
                source: None,
            });
        }
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    Ok(builder)
}

/// Without a TLS back-end: `builder` as is ([`ClientConfig::check_tls`] refused any roots).
#[cfg(not(any(feature = "rustls", feature = "native-tls")))]
#[allow(clippy::unnecessary_wraps)]
fn with_roots(
    builder: reqwest::ClientBuilder,
    _root_pems: &[String],
) -> Result<reqwest::ClientBuilder, ConfigError> {
    Ok(builder)
}

/// Whether a TLS back-end was compiled in.
const TLS_AVAILABLE: bool = cfg!(any(feature = "rustls", feature = "native-tls"));

/// The failure for a presigned upload URL that reqwest would not send as given: it converts
/// every URL to a `url::Url`, which lower-cases the host, drops a default port, resolves `.`
/// and `..` segments and re-escapes some characters. A presigned URL is signed over its exact
/// text and must be used verbatim ([protocol §1.1](smile_types::protocol#11-base-urls)), so nothing is sent.
fn url_rewritten(target: String) -> TransportFailure {
    TransportFailure::new(TransportFailureKind::InvalidRequest, target).with_source(
        "reqwest would rewrite this upload URL (host case, default port, dot segments or \
         escaping), but a presigned URL must be sent verbatim; nothing was sent (the blocking \
         client sends it as given)",
    )
}

/// Whether the TLS library's error is behind `e` (a failed handshake, e.g. an untrusted
/// certificate, surfaces as an I/O or connect error).
fn tls_cause(e: &(dyn std::error::Error + 'static)) -> bool {
    #[cfg(feature = "rustls")]
    if smile_core::caused_by::<rustls::Error>(e) {
        return true;
    }
    let _ = e;
    false
}

fn failure(e: reqwest::Error, target: &str) -> TransportFailure {
    let kind = if tls_cause(&e) {
        TransportFailureKind::Tls
    } else if e.is_connect() {
        TransportFailureKind::Connect
    } else if e.is_timeout() {
        TransportFailureKind::Timeout
    } else if e.is_builder() {
        TransportFailureKind::InvalidRequest
    } else if e.is_request() || e.is_body() || e.is_decode() {
        TransportFailureKind::Io
    } else {
        TransportFailureKind::Other
    };
    // reqwest's error text repeats the URL (with its query); the cause chain keeps the rest.
    TransportFailure::new(kind, target).with_source(e.without_url())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_key() {
        let secret = "do-not-print-this-key-42";
        // Plain http: the test also runs without a TLS feature.
        let b = WebApi::builder("085", secret).base_url("http://127.0.0.1:9/v1");
        assert!(!format!("{b:?}").contains(secret));
        let api = b.build().unwrap();
        let d = format!("{api:?}");
        assert!(!d.contains(secret), "{d}");
        assert!(d.contains("085"));
    }

    #[tokio::test]
    async fn connection_refused_is_a_connect_failure() {
        let t = ReqwestTransport::new(Duration::from_secs(2)).unwrap();
        let mut req = http::Request::post("http://127.0.0.1:9/v1/job_status")
            .body(smile_core::Body::from(b"{}".to_vec()))
            .unwrap();
        req.extensions_mut()
            .insert(smile_core::RequestTimeout(Duration::from_secs(2)));
        let f = t.send(req).await.unwrap_err();
        assert_eq!(f.kind(), TransportFailureKind::Connect, "{f:?}");
        assert!(f.is_transient());
        assert_eq!(f.message(), "POST http://127.0.0.1:9/v1/job_status");
    }

    #[tokio::test]
    async fn upload_urls_that_reqwest_would_rewrite_are_not_sent() {
        let t = ReqwestTransport::new(Duration::from_secs(2)).unwrap();
        let put = |url: &str| {
            smile_core::requests::upload_put(url, b"zip".to_vec().into(), Duration::from_secs(2))
                .unwrap()
        };
        // Port 9 on loopback is closed: nothing is sent for the rewritten URLs, whose
        // failure comes before any connection attempt.
        for url in [
            "http://LOCALHOST:9/x?X-Amz-Signature=secret",
            "http://127.0.0.1:80/x?X-Amz-Signature=secret",
            "http://127.0.0.1:9/a/../x?X-Amz-Signature=secret",
            "http://127.0.0.1:9/./x?X-Amz-Signature=secret",
        ] {
            let f = t.send(put(url)).await.unwrap_err();
            assert_eq!(
                f.kind(),
                TransportFailureKind::InvalidRequest,
                "{url}: {f:?}"
            );
            assert!(!f.is_transient());
            let shown = format!("{f} {f:?}");
            assert!(!shown.contains("secret"), "{shown}");
            let cause = std::error::Error::source(&f).unwrap().to_string();
            assert!(cause.contains("verbatim"), "{cause}");
        }
        // A URL in normal form goes out as is (and meets the closed port).
        let f = t
            .send(put("http://127.0.0.1:9/x?X-Amz-Signature=secret"))
            .await
            .unwrap_err();
        assert_eq!(f.kind(), TransportFailureKind::Connect, "{f:?}");
    }

    #[test]
    fn https_without_a_tls_feature_fails_at_build() {
        let built = WebApi::builder("085", "k").build(); // sandbox: https
        if TLS_AVAILABLE {
            assert!(built.is_ok(), "{built:?}");
        } else {
            let e = built.unwrap_err();
            assert!(matches!(e, ConfigError::NoTls { .. }), "{e:?}");
            assert!(e.to_string().contains("rustls"), "{e}");
            assert!(
                WebApi::builder("085", "k")
                    .base_url("http://127.0.0.1:9/v1")
                    .build()
                    .is_ok()
            );
        }
    }

    #[test]
    fn futures_are_send() {
        fn assert_send<T: Send>(_: &T) {}
        let api = WebApi::builder("085", "k")
            .base_url("http://127.0.0.1:9/v1")
            .build()
            .unwrap();
        let submit = api.submit_job(
            PartnerParams::new("u", "j", JobType::SmartSelfieAuthentication),
            vec![],
            None,
            JobOptions::default(),
        );
        assert_send(&submit);
        let status = api.get_job_status("u", "j", JobStatusOptions::default());
        assert_send(&status);
    }
}

/// The crate README's example (its crates.io page), compiled as a doc test so it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

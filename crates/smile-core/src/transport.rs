//! The transport contract: one HTTP request in, one HTTP response out.
//!
//! `smile-core` never opens a socket: see [`Transport`] for the contract implementers follow.

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::time::Duration;

/// The request type every transport receives: its body is [`Body`](crate::Body), shared chunks
/// (one for a JSON call; headers and image slices for the upload zip).
pub type HttpRequest = http::Request<crate::Body>;
/// The response type every transport returns.
pub type HttpResponse = http::Response<Vec<u8>>;

/// The largest response body a transport should read (16 MiB). Smile ID responses are small
/// JSON documents (job status with history stays well below 2 MiB).
pub const MAX_RESPONSE_BODY_BYTES: u64 = 16 * 1024 * 1024;

/// Request extension: the total time the transport may spend on this request (connect, send,
/// receive). The protocol machines set it on every request they emit: the JSON request
/// timeout, the longer upload timeout for the zip `PUT`, or less when a poll deadline is near.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RequestTimeout(pub Duration);

/// Request extension: which protocol call a request is (for logging and custom transports).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RequestKind {
    /// `POST {base}/upload` (creates the job).
    PrepUpload,
    /// `PUT <upload_url>` with the zip.
    Upload,
    /// `POST {base}/job_status` (a poll or a `get_job_status` call).
    JobStatus,
    /// A single-request call of the endpoint layer ([`Endpoint`](crate::Endpoint)): Enhanced
    /// KYC, business verification, the web token, the lookups.
    Call(&'static EndpointInfo),
}

impl RequestKind {
    /// A short description such as `POST /upload`.
    #[must_use]
    pub fn describe(self) -> &'static str {
        match self {
            Self::PrepUpload => "POST /upload",
            Self::Upload => "PUT upload_url",
            Self::JobStatus => "POST /job_status",
            Self::Call(info) => info.name,
        }
    }

    /// Whether this request can create a job on the server (`POST /upload`, Enhanced KYC and
    /// business verification, sync and async). A failure of such a request leaves a job
    /// behind unless the server refused it before making one ([`Error::job_may_exist`](crate::Error::job_may_exist)).
    #[must_use]
    pub fn creates_job(self) -> bool {
        match self {
            Self::PrepUpload => true,
            Self::Upload | Self::JobStatus => false,
            Self::Call(info) => info.creates_job,
        }
    }

    /// Whether sending this request twice has the effect of sending it once, so a transient
    /// failure may be retried ([protocol §2.4](smile_types::protocol#24-timeouts-and-retries-our-sdk)).
    #[must_use]
    pub fn is_idempotent(self) -> bool {
        match self {
            Self::PrepUpload => false,
            Self::Upload | Self::JobStatus => true,
            Self::Call(info) => info.idempotent,
        }
    }
}

/// The HTTP method of an endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EndpointMethod {
    /// `GET`: no body, no signature.
    Get,
    /// `POST` with a signed JSON body.
    Post,
}

/// What a single-request endpoint is: its method and path, whether it may be retried and
/// whether it can create a job. Each endpoint of the endpoint layer has one, as a `static`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct EndpointInfo {
    /// `METHOD /path`, for messages (`POST /id_verification`).
    pub name: &'static str,
    /// The method.
    pub method: EndpointMethod,
    /// The path under the base URL (`id_verification`).
    pub path: &'static str,
    /// Whether a transient failure may be retried (sending it twice is harmless).
    pub idempotent: bool,
    /// Whether the request can create a job (it is then never retried).
    pub creates_job: bool,
}

impl EndpointInfo {
    /// An endpoint description; `creates_job` implies not idempotent.
    #[must_use]
    pub const fn new(
        name: &'static str,
        method: EndpointMethod,
        path: &'static str,
        idempotent: bool,
        creates_job: bool,
    ) -> Self {
        Self {
            name,
            method,
            path,
            idempotent: idempotent && !creates_job,
            creates_job,
        }
    }
}

impl fmt::Display for RequestKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// The [`RequestTimeout`] of a request, if set.
#[must_use]
pub fn request_timeout(request: &HttpRequest) -> Option<Duration> {
    request.extensions().get::<RequestTimeout>().map(|t| t.0)
}

/// The [`RequestKind`] of a request, if set.
#[must_use]
pub fn request_kind(request: &HttpRequest) -> Option<RequestKind> {
    request.extensions().get::<RequestKind>().copied()
}

/// `METHOD scheme://host[:port]/path` of a request, without its query (presigned upload URLs
/// carry credentials there): the message a transport gives its [`TransportFailure`]s.
///
/// ```
/// let req = http::Request::put("https://b.s3.amazonaws.com/x/selfie.zip?X-Amz-Signature=secret")
///     .body(smile_core::Body::empty())
///     .unwrap();
/// assert_eq!(smile_core::request_target(&req), "PUT https://b.s3.amazonaws.com/x/selfie.zip");
/// ```
#[must_use]
pub fn request_target(request: &HttpRequest) -> String {
    let uri = request.uri();
    match (uri.scheme_str(), uri.authority()) {
        (Some(s), Some(a)) => format!("{} {s}://{a}{}", request.method(), uri.path()),
        _ => format!("{} {}", request.method(), uri.path()),
    }
}

/// Whether `error`, or an error in its `source()` chain, is an `E`; an [`std::io::Error`]'s
/// inner error counts too (its `source()` skips it). Lets a transport classify a failure by
/// its cause, such as a TLS library's error behind an I/O error.
///
/// ```
/// use std::fmt;
/// #[derive(Debug)]
/// struct Handshake;
/// impl fmt::Display for Handshake {
///     fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str("bad certificate") }
/// }
/// impl std::error::Error for Handshake {}
///
/// let io = std::io::Error::new(std::io::ErrorKind::InvalidData, Handshake);
/// assert!(smile_core::caused_by::<Handshake>(&io));
/// assert!(!smile_core::caused_by::<std::fmt::Error>(&io));
/// ```
#[must_use]
pub fn caused_by<E: std::error::Error + 'static>(
    error: &(dyn std::error::Error + 'static),
) -> bool {
    let mut next = Some(error);
    while let Some(e) = next {
        if e.is::<E>() {
            return true;
        }
        if let Some(inner) = e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            && caused_by::<E>(inner)
        {
            return true;
        }
        next = e.source();
    }
    false
}

/// What kind of network-level failure happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportFailureKind {
    /// The connection could not be established (DNS, refused, unreachable, proxy, connect
    /// timeout): the request was certainly not sent.
    Connect,
    /// A timeout expired (connect or request).
    Timeout,
    /// The connection broke or the server sent something that is not HTTP.
    Io,
    /// TLS negotiation or certificate verification failed.
    Tls,
    /// The request could not be sent as given (bad URI, bad header). Not retried.
    InvalidRequest,
    /// The response body exceeded [`MAX_RESPONSE_BODY_BYTES`]. Not retried.
    BodyTooLarge,
    /// Anything else. Not retried.
    Other,
}

impl TransportFailureKind {
    fn describe(self) -> &'static str {
        match self {
            Self::Connect => "connection failed",
            Self::Timeout => "timed out",
            Self::Io => "connection error",
            Self::Tls => "TLS error",
            Self::InvalidRequest => "request could not be sent",
            Self::BodyTooLarge => "response body too large",
            Self::Other => "transport error",
        }
    }
}

impl fmt::Display for TransportFailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// A request that produced no HTTP response.
///
/// Transports build it with one of the constructors and attach the underlying error with
/// [`with_source`](Self::with_source); the protocol machine decides from
/// [`kind`](Self::kind) whether the call may be retried.
///
/// ```
/// use smile_core::{TransportFailure, TransportFailureKind};
///
/// let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
/// let f = TransportFailure::connect("127.0.0.1:9").with_source(io);
/// assert_eq!(f.kind(), TransportFailureKind::Connect);
/// assert!(f.is_transient());
/// assert_eq!(f.to_string(), "connection failed: 127.0.0.1:9");
/// assert!(std::error::Error::source(&f).is_some());
/// ```
pub struct TransportFailure {
    kind: TransportFailureKind,
    message: String,
    source: Option<Box<dyn StdError + Send + Sync + 'static>>,
}

impl TransportFailure {
    /// A failure of `kind` with a short context message (the cause goes in
    /// [`with_source`](Self::with_source), not in the message).
    #[must_use]
    pub fn new(kind: TransportFailureKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            source: None,
        }
    }

    /// [`TransportFailureKind::Connect`].
    #[must_use]
    pub fn connect(message: impl Into<String>) -> Self {
        Self::new(TransportFailureKind::Connect, message)
    }

    /// [`TransportFailureKind::Timeout`].
    #[must_use]
    pub fn timeout(message: impl Into<String>) -> Self {
        Self::new(TransportFailureKind::Timeout, message)
    }

    /// [`TransportFailureKind::Io`].
    #[must_use]
    pub fn io(message: impl Into<String>) -> Self {
        Self::new(TransportFailureKind::Io, message)
    }

    /// [`TransportFailureKind::Other`].
    #[must_use]
    pub fn other(message: impl Into<String>) -> Self {
        Self::new(TransportFailureKind::Other, message)
    }

    /// Attaches the underlying error (returned by [`std::error::Error::source`]).
    #[must_use]
    pub fn with_source(
        mut self,
        source: impl Into<Box<dyn StdError + Send + Sync + 'static>>,
    ) -> Self {
        self.source = Some(source.into());
        self
    }

    /// The kind of failure.
    #[must_use]
    pub fn kind(&self) -> TransportFailureKind {
        self.kind
    }

    /// The context message.
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Whether an idempotent call may be retried after this failure (connect, timeout, broken
    /// connection; [protocol §2.4](smile_types::protocol#24-timeouts-and-retries-our-sdk)).
    #[must_use]
    pub fn is_transient(&self) -> bool {
        matches!(
            self.kind,
            TransportFailureKind::Connect
                | TransportFailureKind::Timeout
                | TransportFailureKind::Io
        )
    }
}

impl fmt::Debug for TransportFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransportFailure")
            .field("kind", &self.kind)
            .field("message", &self.message)
            .field("source", &self.source)
            .finish()
    }
}

impl fmt::Display for TransportFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            write!(f, "{}", self.kind)
        } else {
            write!(f, "{}: {}", self.kind, self.message)
        }
    }
}

impl StdError for TransportFailure {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn StdError + 'static))
    }
}

/// A blocking HTTP transport: sends one request and returns its response.
///
/// Any `Fn(HttpRequest) -> Result<HttpResponse, TransportFailure> + Send + Sync` is a
/// `Transport`, which makes tests and doc examples trivial:
///
/// ```
/// use smile_core::{HttpRequest, HttpResponse, Transport, TransportFailure};
///
/// let canned = |_req: HttpRequest| -> Result<HttpResponse, TransportFailure> {
///     Ok(http::Response::builder().status(200).body(b"{}".to_vec()).unwrap())
/// };
/// let req = http::Request::post("http://127.0.0.1/v1/job_status")
///     .body(smile_core::Body::from(b"{}".to_vec()))
///     .unwrap();
/// assert_eq!(canned.send(req).unwrap().status(), 200);
/// ```
///
/// # Contract
///
/// `smile-core` never opens a socket. The drivers (`smile-blocking`, `smile-async`) and users
/// who bring their own HTTP stack implement [`Transport`] or [`AsyncTransport`]:
///
/// - return **every** HTTP status as `Ok` (a 4xx/5xx is a response, not a failure);
/// - never follow redirects (signed bodies must not be replayed to another host; the upload
///   URL comes from the server);
/// - send the request exactly as given: method, URI (verbatim), headers, body with a
///   `Content-Length` (no chunked encoding, no compression, no `Expect: 100-continue`). The
///   [`Body`](crate::Body) is a list of shared chunks: send them in order, as they are if the
///   HTTP stack takes chunks, else through [`Body::reader`](crate::Body::reader) or
///   [`Body::to_vec`](crate::Body::to_vec) (one copy);
/// - apply the timeout found in the request's [`RequestTimeout`] extension (and a connect
///   timeout of their own);
/// - read at most [`MAX_RESPONSE_BODY_BYTES`] of a response body;
/// - report a network-level problem as a [`TransportFailure`] of the right
///   [`TransportFailureKind`] (it decides whether an idempotent call is retried).
pub trait Transport: Send + Sync {
    /// Sends `request` and returns the response, whatever its status.
    ///
    /// # Errors
    /// [`TransportFailure`] when no HTTP response was received.
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportFailure>;
}

impl<F> Transport for F
where
    F: Fn(HttpRequest) -> Result<HttpResponse, TransportFailure> + Send + Sync,
{
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportFailure> {
        self(request)
    }
}

/// The async form of [`Transport`] (dyn-compatible: `Arc<dyn AsyncTransport>` works).
///
/// Any `Fn(HttpRequest) -> impl Future<Output = Result<HttpResponse, TransportFailure>> + Send`
/// that is `Send + Sync` is an `AsyncTransport`.
#[async_trait::async_trait]
pub trait AsyncTransport: Send + Sync {
    /// Sends `request` and returns the response, whatever its status.
    ///
    /// # Errors
    /// [`TransportFailure`] when no HTTP response was received.
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportFailure>;
}

#[async_trait::async_trait]
impl<F, Fut> AsyncTransport for F
where
    F: Fn(HttpRequest) -> Fut + Send + Sync,
    Fut: Future<Output = Result<HttpResponse, TransportFailure>> + Send,
{
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportFailure> {
        self(request).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn closures_are_transports() {
        let t: Arc<dyn Transport> = Arc::new(|r: HttpRequest| {
            assert_eq!(request_timeout(&r), Some(Duration::from_secs(3)));
            assert_eq!(request_kind(&r), Some(RequestKind::JobStatus));
            Err(TransportFailure::timeout("after 3 s"))
        });
        let mut req = http::Request::new(crate::Body::empty());
        req.extensions_mut()
            .insert(RequestTimeout(Duration::from_secs(3)));
        req.extensions_mut().insert(RequestKind::JobStatus);
        let e = t.send(req).unwrap_err();
        assert_eq!(e.kind(), TransportFailureKind::Timeout);
        assert_eq!(e.to_string(), "timed out: after 3 s");
        assert!(e.is_transient());
        assert!(!TransportFailure::new(TransportFailureKind::Tls, "").is_transient());
        assert_eq!(TransportFailure::other("").to_string(), "transport error");
    }

    #[test]
    fn async_closures_are_transports() {
        let t: Arc<dyn AsyncTransport> =
            Arc::new(|_r: HttpRequest| async { Ok(http::Response::new(b"ok".to_vec())) });
        // Poll the future by hand: it is ready at once.
        let fut = t.send(http::Request::new(crate::Body::empty()));
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        let mut fut = fut;
        match fut.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(Ok(r)) => assert_eq!(r.body(), b"ok"),
            _ => panic!("not ready"),
        }
    }
}

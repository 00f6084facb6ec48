//! The HTTP(S) server: routes, the fault layer, and an accept loop that tracks every
//! connection (timeouts, shedding when full) and can drop connections on purpose.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, delete, get, post, put};
use hyper::body::{Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use serde_json::json;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Sleep;
use tokio_rustls::TlsAcceptor;

use crate::api::{self, ExpireUploadUrl};
use crate::conn::{ConnHandle, Connections};
use crate::control;
use crate::faults::{Endpoint, Fault};
use crate::idapi::{self, Call};
use crate::package::{self, ExpiredUpload};
use crate::shared::Shared;
use crate::wire::{json_response, origin};

/// Response extension: close the connection instead of answering.
#[derive(Debug, Clone, Copy)]
struct DropConnection;

/// The error that makes hyper close a connection without a response.
#[derive(Debug, thiserror::Error)]
#[error("connection dropped by fault injection")]
struct Dropped;

/// The error that cuts a `truncated` response short.
#[derive(Debug, thiserror::Error)]
#[error("response truncated by fault injection")]
struct Truncated;

/// Where `redirect` faults send clients (the original path follows).
pub(crate) const REDIRECT_TARGET: &str = "/__emulator/redirect-target";

/// Which fault endpoint a request belongs to.
fn endpoint_of(method: &Method, path: &str) -> Option<Endpoint> {
    if let Some(rest) = path.strip_prefix("/v1/") {
        let e = match (method.as_str(), rest) {
            ("POST", "upload") => Endpoint::Upload,
            ("POST", "job_status") => Endpoint::JobStatus,
            ("POST", "token") => Endpoint::Token,
            ("POST", "id_verification") => Endpoint::IdVerification,
            ("POST", "async_id_verification") => Endpoint::AsyncIdVerification,
            ("POST", "business_verification") => Endpoint::BusinessVerification,
            ("POST", "async_business_verification") => Endpoint::AsyncBusinessVerification,
            ("GET", "services") => Endpoint::Services,
            ("POST", "valid_documents") => Endpoint::ValidDocuments,
            _ => return None,
        };
        return Some(e);
    }
    if *method == Method::PUT && path.starts_with("/__emulator/uploads/") {
        return Some(Endpoint::ZipUpload);
    }
    if *method == Method::GET && path.starts_with("/__emulator/images/") {
        return Some(Endpoint::Images);
    }
    None
}

/// Whether the endpoint answers like a storage service (XML errors) rather than the v1 API.
fn is_storage(endpoint: Endpoint) -> bool {
    matches!(endpoint, Endpoint::ZipUpload | Endpoint::Images)
}

fn fault_status_response(endpoint: Endpoint, fault: &Fault, status: u16) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = match &fault.body {
        Some(body) => (status, body.clone()).into_response(),
        None if is_storage(endpoint) => (
            status,
            [(header::CONTENT_TYPE, "application/xml")],
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InternalError</Code><Message>Injected fault: HTTP {}</Message></Error>",
                status.as_u16()
            ),
        )
            .into_response(),
        None => {
            let text = if status == StatusCode::TOO_MANY_REQUESTS {
                "Too Many Requests (injected fault: HTTP 429)".to_owned()
            } else {
                format!("System Error (injected fault: HTTP {})", status.as_u16())
            };
            json_response(
                status,
                &json!({"error": text, "code": endpoint.system_error_code()}),
            )
        }
    };
    if let Some(secs) = fault.retry_after {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    resp
}

/// A `307 Temporary Redirect` to the emulator's redirect target, which records clients that
/// follow it.
fn redirect_response(endpoint: Endpoint, origin: &str, path_and_query: &str) -> Response {
    let location = format!("{origin}{REDIRECT_TARGET}{path_and_query}");
    let mut resp = if is_storage(endpoint) {
        (
            StatusCode::TEMPORARY_REDIRECT,
            [(header::CONTENT_TYPE, "application/xml")],
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>TemporaryRedirect</Code><Message>Please re-send this request to the specified temporary endpoint. Continue to use the original request endpoint for future requests.</Message><Endpoint>{location}</Endpoint></Error>"
            ),
        )
            .into_response()
    } else {
        json_response(
            StatusCode::TEMPORARY_REDIRECT,
            &json!({"error": "Temporary Redirect (injected fault)", "location": location}),
        )
    };
    if let Ok(value) = HeaderValue::from_str(&location) {
        resp.headers_mut().insert(header::LOCATION, value);
    }
    resp
}

fn drop_response() -> Response {
    let mut resp = StatusCode::INTERNAL_SERVER_ERROR.into_response();
    resp.extensions_mut().insert(DropConnection);
    resp
}

/// The response a fault puts in place of the real one, if it does.
fn replacement(
    endpoint: Endpoint,
    fault: &Fault,
    origin: &str,
    path_and_query: &str,
) -> Option<Response> {
    if fault.drop_connection {
        return Some(drop_response());
    }
    if fault.redirect {
        return Some(redirect_response(endpoint, origin, path_and_query));
    }
    fault
        .status
        .map(|status| fault_status_response(endpoint, fault, status))
}

/// A body that sends its first `half` bytes, pauses (so that they are flushed to the client),
/// then fails, which makes hyper close the connection short of the declared length.
struct CutBody {
    half: Option<Bytes>,
    full_len: u64,
    pause: Option<Pin<Box<Sleep>>>,
}

impl hyper::body::Body for CutBody {
    type Data = Bytes;
    type Error = Truncated;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Truncated>>> {
        if let Some(half) = self.half.take() {
            self.pause = Some(Box::pin(tokio::time::sleep(Duration::from_millis(20))));
            if !half.is_empty() {
                return Poll::Ready(Some(Ok(Frame::data(half))));
            }
        }
        if let Some(pause) = self.pause.as_mut()
            && pause.as_mut().poll(cx).is_pending()
        {
            return Poll::Pending;
        }
        Poll::Ready(Some(Err(Truncated)))
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.full_len)
    }
}

/// Applies `malformed_json` or `truncated` to the response about to be sent.
async fn cut_response(resp: Response, fault: &Fault) -> Response {
    if !(fault.malformed_json || fault.truncated) {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let mut bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    if bytes.is_empty() {
        // Nothing to cut (the zip PUT's empty 200): cut `{}` instead.
        bytes = Bytes::from_static(b"{}");
    }
    let half = bytes.slice(..bytes.len() / 2);
    if fault.malformed_json {
        // Half the JSON, framed correctly: the client reads all of it and cannot parse it.
        parts.headers.remove(header::CONTENT_LENGTH);
        return Response::from_parts(parts, Body::from(half));
    }
    // The full length is declared; the connection closes after half the body.
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    let body = CutBody {
        half: Some(half),
        full_len: bytes.len() as u64,
        pause: None,
    };
    Response::from_parts(parts, Body::new(body))
}

/// Holds the reply back for the fault's `delay_ms` (real time).
async fn pause(fault: &Fault) {
    if let Some(ms) = fault.delay_ms {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
}

/// Applies the fault set on the request's endpoint, if any.
async fn fault_layer(State(shared): State<Arc<Shared>>, mut req: Request, next: Next) -> Response {
    let Some(endpoint) = endpoint_of(req.method(), req.uri().path()) else {
        return next.run(req).await;
    };
    let Some(fault) = shared.faults.lock().take(endpoint) else {
        return next.run(req).await;
    };
    tracing::debug!(%endpoint, ?fault, "applying fault");
    let origin = origin(&shared, req.headers());
    let path_and_query = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().path().to_owned(), |pq| pq.as_str().to_owned());
    if !fault.after_handler {
        pause(&fault).await;
        if let Some(resp) = replacement(endpoint, &fault, &origin, &path_and_query) {
            return cut_response(resp, &fault).await;
        }
    }
    if fault.expire_upload_url {
        match endpoint {
            Endpoint::Upload => {
                req.extensions_mut().insert(ExpireUploadUrl);
            }
            Endpoint::ZipUpload => {
                req.extensions_mut().insert(ExpiredUpload);
            }
            _ => {}
        }
    }
    let mut resp = next.run(req).await;
    if fault.after_handler {
        // The request has been processed (a job may exist); its reply is late or lost.
        pause(&fault).await;
        if let Some(replaced) = replacement(endpoint, &fault, &origin, &path_and_query) {
            resp = replaced;
        }
    }
    cut_response(resp, &fault).await
}

/// `ANY /__emulator/redirect-target/...`: where `redirect` faults point. A client that follows
/// one lands here; it is counted ([`crate::Stats::redirects_followed`]) and refused with 421.
async fn redirect_target(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    shared.redirects_followed.fetch_add(1, Ordering::AcqRel);
    let from = req
        .uri()
        .path()
        .strip_prefix(REDIRECT_TARGET)
        .unwrap_or_default()
        .to_owned();
    tracing::info!(method = %req.method(), %from, "a client followed an injected redirect");
    json_response(
        StatusCode::MISDIRECTED_REQUEST,
        &json!({
            "error": "This request followed a redirect injected by an emulator fault; Smile ID clients should not follow redirects (docs/protocol.md §2.2)",
            "method": req.method().as_str(),
            "redirected_from": from,
        }),
    )
}

/// Whether `headers` say the body is JSON (`application/json`, parameters allowed).
fn is_json(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

/// Control-API `POST`s need `Content-Type: application/json` (415 otherwise): a web page can
/// only send that cross-origin after a CORS preflight, which the emulator never approves, so a
/// page the developer happens to visit cannot reset the state or set faults. (The redirect
/// target changes nothing and takes any request.)
async fn control_guard(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if req.method() == Method::POST
        && path.starts_with("/__emulator/")
        && !path.starts_with(REDIRECT_TARGET)
        && !is_json(req.headers())
    {
        return json_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            &json!({"error": format!("POST {path} needs Content-Type: application/json")}),
        );
    }
    next.run(req).await
}

async fn not_found() -> Response {
    json_response(
        StatusCode::NOT_FOUND,
        &json!({"error": "Not found (the emulator serves the v1 API under /v1)"}),
    )
}

/// Every route of the emulator.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    fn id_call(
        call: Call,
    ) -> impl Fn(
        State<Arc<Shared>>,
        Request,
    ) -> std::pin::Pin<Box<dyn Future<Output = Response> + Send>>
    + Clone
    + Send
    + Sync
    + 'static {
        move |State(shared): State<Arc<Shared>>, req: Request| {
            Box::pin(idapi::handle(shared, call, req))
        }
    }
    Router::new()
        .route("/v1/upload", post(api::upload))
        .route("/v1/job_status", post(api::job_status))
        .route("/v1/token", post(api::token))
        .route(
            "/v1/id_verification",
            post(id_call(Call::Kyc { is_async: false })),
        )
        .route(
            "/v1/async_id_verification",
            post(id_call(Call::Kyc { is_async: true })),
        )
        .route(
            "/v1/business_verification",
            post(id_call(Call::Business { is_async: false })),
        )
        .route(
            "/v1/async_business_verification",
            post(id_call(Call::Business { is_async: true })),
        )
        .route("/v1/services", get(api::services))
        .route("/v1/valid_documents", post(api::valid_documents))
        .route("/__emulator/uploads/{token}/{file}", put(package::put_zip))
        .route("/__emulator/images/{token}", get(package::get_image))
        .route("/__emulator/health", get(control::health))
        .route("/__emulator/stats", get(control::stats))
        .route(
            "/__emulator/faults",
            get(control::list_faults)
                .post(control::set_faults)
                .delete(control::clear_faults),
        )
        .route(
            "/__emulator/faults/{endpoint}",
            delete(control::clear_fault),
        )
        .route("/__emulator/state", get(control::get_state))
        .route("/__emulator/reset", post(control::reset))
        .route(
            "/__emulator/users",
            get(control::list_users).post(control::enrol),
        )
        .route("/__emulator/users/{user_id}", delete(control::remove_user))
        .route("/__emulator/jobs/{job_id}", get(control::get_job))
        .route("/__emulator/review", post(control::review))
        .route("/__emulator/callbacks", get(control::callbacks))
        .route(
            &format!("{REDIRECT_TARGET}/{{*rest}}"),
            any(redirect_target),
        )
        .fallback(not_found)
        .layer(middleware::from_fn(control_guard))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&shared),
            fault_layer,
        ))
        .with_state(shared)
}

/// Longest time a TLS handshake may take.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How often the accept loop, waiting for a slot, looks again for a connection to shed.
const SHED_RETRY: Duration = Duration::from_millis(100);

/// What the accept loop enforces.
#[derive(Debug, Clone)]
pub(crate) struct Limits {
    /// Open connections and their cap.
    pub(crate) connections: Arc<Connections>,
    /// Time to send a complete request head (after connecting or after the previous
    /// response).
    pub(crate) idle_timeout: Duration,
    /// Time for a request body to arrive in full once it is read.
    pub(crate) body_read_timeout: Duration,
}

/// Accepts connections until `shutdown` changes (or its sender is dropped); then aborts every
/// open connection. When every slot is taken, a new connection sheds an idle or slow one (see
/// `conn`), or waits for a slot when every connection is busy.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    tls: Option<TlsAcceptor>,
    limits: Limits,
    mut shutdown: watch::Receiver<bool>,
) {
    let conns = Arc::clone(&limits.connections);
    let mut connections = JoinSet::new();
    'accept: loop {
        let accepted = tokio::select! {
            _ = shutdown.changed() => break,
            accepted = listener.accept() => accepted,
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        while connections.try_join_next().is_some() {}
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let slot = match conns.try_slot() {
            Some(slot) => slot,
            None => {
                // Full: make room by shedding an idle or slow connection, or wait for one to
                // end (looking again now and then: a busy connection may have become idle).
                let mut shed = true;
                loop {
                    if shed {
                        shed = false;
                        if conns.shed_one() {
                            tracing::debug!(%peer, "every slot taken: shedding a connection");
                        }
                    }
                    tokio::select! {
                        biased;
                        _ = shutdown.changed() => break 'accept,
                        slot = conns.slot() => break slot,
                        () = tokio::time::sleep(SHED_RETRY) => shed = true,
                        Some(_) = connections.join_next(), if !connections.is_empty() => {}
                    }
                }
            }
        };
        let conn = conns.register(slot);
        connections.spawn(serve_stream(
            stream,
            peer,
            router.clone(),
            tls.clone(),
            conn,
            limits.clone(),
        ));
    }
    connections.abort_all();
}

/// Serves one accepted connection until it ends or is shed.
async fn serve_stream(
    stream: TcpStream,
    peer: std::net::SocketAddr,
    router: Router,
    tls: Option<TlsAcceptor>,
    conn: Arc<ConnHandle>,
    limits: Limits,
) {
    let _ = stream.set_nodelay(true);
    let serve = async {
        match tls {
            Some(acceptor) => {
                let handshake = limits.idle_timeout.min(TLS_HANDSHAKE_TIMEOUT);
                match tokio::time::timeout(handshake, acceptor.accept(stream)).await {
                    Ok(Ok(tls_stream)) => {
                        serve_connection(TokioIo::new(tls_stream), router, &conn, &limits).await;
                    }
                    Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                    Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                }
            }
            None => serve_connection(TokioIo::new(stream), router, &conn, &limits).await,
        }
    };
    tokio::select! {
        () = serve => {}
        () = conn.shed() => tracing::debug!(%peer, "connection shed to make room for a new one"),
    }
}

async fn serve_connection<I>(io: I, router: Router, conn: &Arc<ConnHandle>, limits: &Limits)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let inner = TowerToHyperService::new(router);
    let body_read_timeout = limits.body_read_timeout;
    let conn = Arc::clone(conn);
    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let (parts, body) = req.into_parts();
        let body = conn.request_body(body, body_read_timeout);
        let timed_out = body.timed_out_flag();
        let fut = hyper::service::Service::call(&inner, Request::from_parts(parts, body));
        let conn = Arc::clone(&conn);
        async move {
            let mut resp: Response = match fut.await {
                Ok(r) => r,
                Err(never) => match never {},
            };
            conn.waiting();
            if resp.extensions().get::<DropConnection>().is_some() {
                return Err(Dropped);
            }
            if timed_out.load(Ordering::Acquire) {
                resp.headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            Ok::<_, Dropped>(resp)
        }
    });
    if let Err(e) = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.idle_timeout)
        .keep_alive(true)
        .serve_connection(io, service)
        .await
    {
        tracing::debug!(error = %e, "connection ended");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(max: usize, idle: Duration, body: Duration) -> Limits {
        Limits {
            connections: Arc::new(Connections::new(max)),
            idle_timeout: idle,
            body_read_timeout: body,
        }
    }

    /// A client that never finishes its request head is disconnected after the idle timeout
    /// (on the paused test clock: no real waiting).
    #[tokio::test(start_paused = true)]
    async fn slow_request_heads_are_cut_off() {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let idle = crate::config::DEFAULT_IDLE_TIMEOUT;
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = Router::new().route("/", get(|| async { "ok" }));
        let (_stop, stop_rx) = watch::channel(false);
        let server = tokio::spawn(serve(
            listener,
            router,
            None,
            limits(4, idle, Duration::from_secs(30)),
            stop_rx,
        ));
        let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
        conn.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        let started = tokio::time::Instant::now();
        let mut rest = Vec::new();
        let read =
            tokio::time::timeout(Duration::from_secs(3600), conn.read_to_end(&mut rest)).await;
        assert!(read.is_ok(), "the connection was never closed");
        assert!(started.elapsed() >= idle, "{:?}", started.elapsed());
        server.abort();
    }

    #[test]
    fn endpoints_by_method_and_path() {
        let post = Method::POST;
        assert_eq!(endpoint_of(&post, "/v1/upload"), Some(Endpoint::Upload));
        assert_eq!(
            endpoint_of(&post, "/v1/job_status"),
            Some(Endpoint::JobStatus)
        );
        assert_eq!(
            endpoint_of(&Method::GET, "/v1/services"),
            Some(Endpoint::Services)
        );
        assert_eq!(endpoint_of(&Method::GET, "/v1/upload"), None);
        assert_eq!(
            endpoint_of(&Method::PUT, "/__emulator/uploads/t/selfie.zip"),
            Some(Endpoint::ZipUpload)
        );
        assert_eq!(
            endpoint_of(&Method::GET, "/__emulator/images/t"),
            Some(Endpoint::Images)
        );
        assert_eq!(
            endpoint_of(&post, "/__emulator/faults"),
            None,
            "control API never faulted"
        );
        assert_eq!(
            endpoint_of(&post, "/__emulator/redirect-target/v1/upload"),
            None,
            "the redirect target is never faulted"
        );
    }
}

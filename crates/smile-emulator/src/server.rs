//! The HTTP(S) server: routes, the fault layer, and an accept loop that can drop connections.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use crate::api::{self, ExpireUploadUrl};
use crate::control;
use crate::faults::{Endpoint, Fault};
use crate::idapi::{self, Call};
use crate::package::{self, ExpiredUpload};
use crate::shared::Shared;
use crate::wire::json_response;

/// Response extension: close the connection instead of answering.
#[derive(Debug, Clone, Copy)]
struct DropConnection;

/// The error that makes hyper close a connection without a response.
#[derive(Debug, thiserror::Error)]
#[error("connection dropped by fault injection")]
struct Dropped;

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

fn fault_status_response(endpoint: Endpoint, fault: &Fault, status: u16) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = match (&fault.body, endpoint) {
        (Some(body), _) => (status, body.clone()).into_response(),
        (None, Endpoint::ZipUpload | Endpoint::Images) => (
            status,
            [(header::CONTENT_TYPE, "application/xml")],
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InternalError</Code><Message>Injected fault: HTTP {}</Message></Error>",
                status.as_u16()
            ),
        )
            .into_response(),
        (None, _) => json_response(
            status,
            &json!({
                "error": format!("System Error (injected fault: HTTP {})", status.as_u16()),
                "code": endpoint.system_error_code(),
            }),
        ),
    };
    if let Some(secs) = fault.retry_after {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    resp
}

fn drop_response() -> Response {
    let mut resp = StatusCode::INTERNAL_SERVER_ERROR.into_response();
    resp.extensions_mut().insert(DropConnection);
    resp
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
    if let Some(ms) = fault.delay_ms {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    if !fault.after_handler {
        if fault.drop_connection {
            return drop_response();
        }
        if let Some(status) = fault.status {
            return fault_status_response(endpoint, &fault, status);
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
    let resp = next.run(req).await;
    if fault.after_handler {
        if fault.drop_connection {
            return drop_response();
        }
        if let Some(status) = fault.status {
            return fault_status_response(endpoint, &fault, status);
        }
    }
    if fault.malformed_json {
        let (mut parts, body) = resp.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX)
            .await
            .unwrap_or_default();
        let cut = if bytes.is_empty() {
            axum::body::Bytes::from_static(b"{")
        } else {
            bytes.slice(..bytes.len() / 2)
        };
        parts.headers.remove(header::CONTENT_LENGTH);
        return Response::from_parts(parts, Body::from(cut));
    }
    resp
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
/// page the developer happens to visit cannot reset the state or set faults.
async fn control_guard(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if req.method() == Method::POST && path.starts_with("/__emulator/") && !is_json(req.headers()) {
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
        .fallback(not_found)
        .layer(middleware::from_fn(control_guard))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&shared),
            fault_layer,
        ))
        .with_state(shared)
}

/// Longest time a client may take to send a request head (request line and headers) before
/// its connection is closed.
pub(crate) const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Most connections served at once; further clients wait in the listen backlog until one
/// closes.
pub(crate) const MAX_CONNECTIONS: usize = 1024;

/// Accepts connections until `shutdown` changes (or its sender is dropped); then aborts every
/// open connection. At most [`MAX_CONNECTIONS`] are served at once.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    tls: Option<TlsAcceptor>,
    mut shutdown: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut connections = JoinSet::new();
    loop {
        // Wait for a free slot first, reaping finished connections meanwhile.
        let permit = tokio::select! {
            _ = shutdown.changed() => break,
            permit = Arc::clone(&slots).acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => break,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        let accepted = tokio::select! {
            _ = shutdown.changed() => break,
            accepted = listener.accept() => accepted,
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
        let router = router.clone();
        let tls = tls.clone();
        connections.spawn(async move {
            let _permit = permit;
            let _ = stream.set_nodelay(true);
            match tls {
                Some(acceptor) => {
                    match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream))
                        .await
                    {
                        Ok(Ok(tls_stream)) => {
                            serve_connection(TokioIo::new(tls_stream), router).await;
                        }
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                }
                None => serve_connection(TokioIo::new(stream), router).await,
            }
        });
    }
    connections.abort_all();
}

async fn serve_connection<I>(io: I, router: Router)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let inner = TowerToHyperService::new(router);
    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let fut = hyper::service::Service::call(&inner, req);
        async move {
            let resp: Response = match fut.await {
                Ok(r) => r,
                Err(never) => match never {},
            };
            if resp.extensions().get::<DropConnection>().is_some() {
                return Err(Dropped);
            }
            Ok::<_, Dropped>(resp)
        }
    });
    if let Err(e) = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
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

    /// A client that never finishes its request head is disconnected after
    /// [`HEADER_READ_TIMEOUT`] (on the paused test clock: no real waiting).
    #[tokio::test(start_paused = true)]
    async fn slow_request_heads_are_cut_off() {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = Router::new().route("/", get(|| async { "ok" }));
        let (_stop, stop_rx) = watch::channel(false);
        let server = tokio::spawn(serve(listener, router, None, stop_rx));
        let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
        conn.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        let started = tokio::time::Instant::now();
        let mut rest = Vec::new();
        let read =
            tokio::time::timeout(Duration::from_secs(3600), conn.read_to_end(&mut rest)).await;
        assert!(read.is_ok(), "the connection was never closed");
        assert!(
            started.elapsed() >= HEADER_READ_TIMEOUT,
            "{:?}",
            started.elapsed()
        );
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
    }
}

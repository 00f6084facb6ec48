//! A lean Smile ID v1 server on loopback, on one thread of its own: `POST /v1/upload` (an
//! upload URL on itself), the zip `PUT` (drained and counted, not stored) and
//! `POST /v1/job_status` (a signed, completed 0820 result). Plain HTTP or HTTPS with a fresh
//! self-signed certificate. It checks nothing the client sends beyond what it needs to answer:
//! it is here to cost little, and its CPU time is measured on its own thread.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use smile_sign::Signer;
use smile_types::PartnerId;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::ring::default_provider;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::measure;

/// The partner id the server answers for.
pub(crate) const PARTNER_ID: &str = "001";
/// The API key the server signs with.
pub(crate) const API_KEY: &str = "bench-api-key";

/// The largest read buffer of a server connection (hyper grows it up to ~400 KiB by default;
/// capped so that 32 connections uploading at once add little to the process's peak RSS).
const MAX_BUF: usize = 64 * 1024;

/// A running server. Its thread ends with the process.
pub(crate) struct Server {
    base_url: String,
    cert_pem: Option<String>,
    handle: tokio::runtime::Handle,
    state: Arc<State>,
}

struct State {
    /// `http://127.0.0.1:PORT` (or the host the client is told to use).
    origin: String,
    signer: Signer,
    next_job: AtomicU64,
    /// job_id → smile_job_id, from the upload to the status.
    jobs: Mutex<HashMap<String, String>>,
    put_bytes: AtomicU64,
    puts: AtomicU64,
}

impl Server {
    /// Starts a server on `127.0.0.1`, reached by the client as `host` (`127.0.0.1` or
    /// `localhost`), with TLS when `https`.
    pub(crate) fn start(https: bool, host: &str) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        listener.set_nonblocking(true).expect("non-blocking");
        let port = listener.local_addr().expect("local address").port();
        let (tls, cert_pem) = if https {
            let (acceptor, pem) = self_signed();
            (Some(acceptor), Some(pem))
        } else {
            (None, None)
        };
        let scheme = if https { "https" } else { "http" };
        let origin = format!("{scheme}://{host}:{port}");
        let state = Arc::new(State {
            origin: origin.clone(),
            signer: Signer::new(PartnerId::new(PARTNER_ID), API_KEY),
            next_job: AtomicU64::new(1),
            jobs: Mutex::new(HashMap::new()),
            put_bytes: AtomicU64::new(0),
            puts: AtomicU64::new(0),
        });
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .expect("server runtime");
        let handle = runtime.handle().clone();
        let st = state.clone();
        std::thread::Builder::new()
            .name("bench-server".into())
            .spawn(move || runtime.block_on(accept_loop(listener, tls, st)))
            .expect("server thread");
        Self {
            base_url: format!("{origin}/v1"),
            cert_pem,
            handle,
            state,
        }
    }

    /// `scheme://host:port/v1`.
    pub(crate) fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The certificate to trust (HTTPS only).
    pub(crate) fn cert_pem(&self) -> Option<&str> {
        self.cert_pem.as_deref()
    }

    /// CPU time of the server thread so far (read on that thread, by a task run there).
    pub(crate) fn cpu(&self) -> Duration {
        let (tx, rx) = mpsc::channel();
        self.handle.spawn(async move {
            let _ = tx.send(measure::thread_cpu());
        });
        rx.recv().expect("the server thread answers")
    }

    /// Zip bytes received by `PUT` so far, and the number of `PUT`s.
    pub(crate) fn uploads(&self) -> (u64, u64) {
        (
            self.state.put_bytes.load(Ordering::Relaxed),
            self.state.puts.load(Ordering::Relaxed),
        )
    }
}

/// A TLS acceptor with a fresh self-signed certificate for `127.0.0.1` and `localhost`, and
/// the certificate as PEM.
fn self_signed() -> (TlsAcceptor, String) {
    let names = vec!["127.0.0.1".to_owned(), "localhost".to_owned()];
    let certified = rcgen::generate_simple_self_signed(names).expect("self-signed certificate");
    let pem = certified.cert.pem();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let mut config = ServerConfig::builder_with_provider(Arc::new(default_provider()))
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key)
        .expect("server certificate");
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    (TlsAcceptor::from(Arc::new(config)), pem)
}

async fn accept_loop(listener: std::net::TcpListener, tls: Option<TlsAcceptor>, state: Arc<State>) {
    let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let state = state.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| handle(req, state.clone()));
            let mut builder = http1::Builder::new();
            builder.max_buf_size(MAX_BUF);
            let served = match tls {
                Some(acceptor) => match acceptor.accept(stream).await {
                    Ok(s) => builder.serve_connection(TokioIo::new(s), service).await,
                    Err(_) => return,
                },
                None => {
                    builder
                        .serve_connection(TokioIo::new(stream), service)
                        .await
                }
            };
            let _ = served;
        });
    }
}

type Reply = Response<Full<Bytes>>;

fn reply(status: StatusCode, body: impl Into<Bytes>) -> Reply {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    r
}

async fn handle(req: Request<Incoming>, state: Arc<State>) -> Result<Reply, hyper::Error> {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    Ok(match (method, path.as_str()) {
        (Method::POST, "/v1/upload") => {
            let body = req.into_body().collect().await?.to_bytes();
            let Some(job_id) = field(&body, &["partner_params", "job_id"]) else {
                return Ok(reply(StatusCode::BAD_REQUEST, r#"{"code":"2213"}"#));
            };
            let n = state.next_job.fetch_add(1, Ordering::Relaxed);
            let smile_job_id = format!("{n:010}");
            state
                .jobs
                .lock()
                .expect("jobs lock")
                .insert(job_id, smile_job_id.clone());
            let body = format!(
                r#"{{"upload_url":"{}/uploads/{smile_job_id}/selfie.zip?X-Bench-Signature=0f1e2d","ref_id":"{PARTNER_ID}-{smile_job_id}","smile_job_id":"{smile_job_id}","camera_config":null,"code":"2202"}}"#,
                state.origin
            );
            reply(StatusCode::OK, body)
        }
        (Method::PUT, p) if p.starts_with("/uploads/") => {
            let mut body = req.into_body();
            let mut n = 0u64;
            while let Some(frame) = body.frame().await {
                if let Ok(data) = frame?.into_data() {
                    n += data.len() as u64;
                }
            }
            state.put_bytes.fetch_add(n, Ordering::Relaxed);
            state.puts.fetch_add(1, Ordering::Relaxed);
            let mut r = reply(StatusCode::OK, Bytes::new());
            r.headers_mut().remove(http::header::CONTENT_TYPE);
            r
        }
        (Method::POST, "/v1/job_status") => {
            let body = req.into_body().collect().await?.to_bytes();
            let (Some(user_id), Some(job_id)) =
                (field(&body, &["user_id"]), field(&body, &["job_id"]))
            else {
                return Ok(reply(StatusCode::BAD_REQUEST, r#"{"code":"2213"}"#));
            };
            let smile_job_id = state.jobs.lock().expect("jobs lock").remove(&job_id);
            let Some(smile_job_id) = smile_job_id else {
                return Ok(reply(StatusCode::NOT_FOUND, r#"{"code":"2205"}"#));
            };
            reply(
                StatusCode::OK,
                status_body(&state.signer, &smile_job_id, &user_id, &job_id),
            )
        }
        _ => reply(StatusCode::NOT_FOUND, r#"{"code":"2205"}"#),
    })
}

/// A string field at `path` of a JSON body.
fn field(body: &[u8], path: &[&str]) -> Option<String> {
    let v: Value = serde_json::from_slice(body).ok()?;
    path.iter()
        .try_fold(&v, |v, k| v.get(*k))?
        .as_str()
        .map(str::to_owned)
}

/// The `complete_success_0820` sample of testdata/interop/job_status_responses.json, signed now
/// and for this job.
fn status_body(signer: &Signer, smile_job_id: &str, user_id: &str, job_id: &str) -> String {
    let timestamp = smile_sign::format_timestamp(SystemTime::now());
    let signature = signer.sign(&timestamp);
    format!(
        concat!(
            r#"{{"timestamp":"{timestamp}","signature":"{signature}","job_complete":true,"job_success":true,"code":"2302","#,
            r#""result":{{"Source":"WebAPI","Actions":{{"Human_Review_Compare":"Not Applicable","Human_Review_Liveness_Check":"Not Applicable","#,
            r#""Human_Review_Update_Selfie":"Not Applicable","Liveness_Check":"Passed","Register_Selfie":"Not Applicable","#,
            r#""Return_Personal_Info":"Not Applicable","Selfie_Provided":"Passed","Selfie_To_ID_Authority_Compare":"Not Applicable","#,
            r#""Selfie_To_ID_Card_Compare":"Not Applicable","Selfie_To_Registered_Selfie_Compare":"Completed","#,
            r#""Update_Registered_Selfie_On_File":"Not Applicable","Verify_ID_Number":"Not Applicable"}},"#,
            r#""ResultCode":"0820","ResultText":"Machine Judgement - PASS","ResultType":"SAIA","SmileJobID":"{smile_job_id}","#,
            r#""JSONVersion":"1.0.0","IsFinalResult":"true","IsMachineResult":"true","#,
            r#""PartnerParams":{{"job_id":"{job_id}","user_id":"{user_id}","job_type":"2"}},"ConfidenceValue":"99.84"}}}}"#
        ),
        timestamp = timestamp,
        signature = signature,
        smile_job_id = smile_job_id,
        job_id = job_id,
        user_id = user_id,
    )
}

/// The address the floor's sink ([`start_sink`]) listens on.
pub(crate) type SinkAddr = SocketAddr;

/// The floor's receiving end: one thread reading length-prefixed messages from one
/// connection and acknowledging each with one byte; a zero-length message asks for the
/// thread's CPU time (8 bytes, microseconds).
pub(crate) fn start_sink() -> SinkAddr {
    use std::io::{Read as _, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let addr = listener.local_addr().expect("local address");
    std::thread::Builder::new()
        .name("bench-sink".into())
        .spawn(move || {
            let Ok((mut s, _)) = listener.accept() else {
                return;
            };
            let _ = s.set_nodelay(true);
            let mut buf = vec![0u8; MAX_BUF];
            loop {
                let mut len = [0u8; 8];
                if s.read_exact(&mut len).is_err() {
                    return;
                }
                let mut left = u64::from_le_bytes(len);
                if left == 0 {
                    let micros = measure::thread_cpu().as_micros() as u64;
                    if s.write_all(&micros.to_le_bytes()).is_err() {
                        return;
                    }
                    continue;
                }
                while left > 0 {
                    let want = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
                    match s.read(&mut buf[..want]) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => left -= n as u64,
                    }
                }
                if s.write_all(&[1]).is_err() {
                    return;
                }
            }
        })
        .expect("sink thread");
    addr
}

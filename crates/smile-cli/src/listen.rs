//! `smile listen`: a callback endpoint for development, modelled on `stripe listen`.
//!
//! Built on the emulator's HTTP stack (hyper 1 on tokio), not a hand-written loop: every
//! connection is served on its own task (so a slow client holds back nobody else), a request
//! head must arrive within the read timeout and fit in [`MAX_HEAD_BYTES`] (hyper answers 431
//! and closes the connection past that), a body must fit the callback size limit (413) and
//! arrive within the read timeout (408), and at most [`MAX_CONNECTIONS`] connections are
//! served at once.
//!
//! Each `POST` body is verified (signature, freshness), then classified against what was seen
//! before for the same job ([`DedupeKey`], [`supersedes`]): the first result, a duplicate (a
//! replay or a re-delivery), the final result after a provisional one, or an out-of-order
//! delivery. With `--forward-to`, every verified body is then POSTed unchanged to the
//! developer's own endpoint and its answer reported.
//!
//! The server runs on a thread of its own; [`Listener`] hands its events to the caller (the
//! `listen` command prints them, the demo waits on them).

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use clap::Args;
use http_body_util::{BodyExt as _, Full, LengthLimitError, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{self, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::{Value, json};
use smile_blocking::sign::{CallbackError, CallbackState, DedupeKey, VerifiedCallback, supersedes};
use smile_blocking::types::CallbackUrl;
use smile_blocking::{CallbackVerifier, ureq};
use tokio::sync::{Semaphore, watch};

use crate::args::Keys;
use crate::callback::{self, CallbackLimits, SIGNATURE_NOTE};
use crate::output::{CliError, print_json_line, print_line, result_json};
use crate::{Run, report};

/// The largest request head (request line and headers) read, in bytes.
pub(crate) const MAX_HEAD_BYTES: usize = 16 * 1024;
/// The most connections served at once; more wait in the listen backlog.
pub(crate) const MAX_CONNECTIONS: usize = 512;
/// How long a forward to `--forward-to` may take.
const FORWARD_TIMEOUT: Duration = Duration::from_secs(10);

/// `smile listen`.
#[derive(Debug, Args)]
pub(crate) struct ListenArgs {
    #[command(flatten)]
    pub(crate) keys: Keys,
    /// Address to listen on (port 0: any free port; the URL is printed).
    #[arg(long, default_value = "127.0.0.1:8787", value_name = "HOST:PORT")]
    pub(crate) addr: SocketAddr,
    /// Forward every verified callback, body unchanged, to this URL (your own handler) and
    /// show its answer.
    #[arg(long, value_name = "URL")]
    pub(crate) forward_to: Option<String>,
    #[command(flatten)]
    pub(crate) limits: CallbackLimits,
    /// Seconds a client has to send a request head, and then its body.
    #[arg(long, value_name = "SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub(crate) read_timeout_secs: u64,
}

/// What the listener saw.
#[derive(Debug)]
pub(crate) enum Event {
    /// A callback that passed verification, and how it relates to earlier ones.
    Callback {
        verified: Box<VerifiedCallback>,
        class: Class,
        peer: SocketAddr,
    },
    /// A `POST` whose body failed verification (answered 401).
    Refused {
        error: CallbackError,
        peer: SocketAddr,
    },
    /// A request that is not a callback (answered `status`).
    BadRequest {
        status: u16,
        message: String,
        peer: SocketAddr,
    },
    /// A verified callback forwarded to `--forward-to`.
    Forwarded {
        job_id: Option<String>,
        url: String,
        result: Result<(u16, Duration), String>,
    },
}

/// How a verified callback relates to the ones before it for the same job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Class {
    /// The first result seen for this job.
    First,
    /// The same result again: `exact` for a replay (same code and timestamp), else a
    /// re-delivery signed later.
    Duplicate { exact: bool },
    /// A final result after a provisional one (`previous`).
    FinalAfterProvisional { previous: String },
    /// Another result that replaces `previous`.
    Update { previous: String },
    /// Older than what was seen, or provisional after final: `kept` stays.
    OutOfOrder { kept: String },
    /// No `ResultCode` or no job ids: not tracked.
    Untracked,
}

impl Class {
    pub(crate) fn as_str(&self) -> &'static str {
        match self {
            Self::First => "first",
            Self::Duplicate { .. } => "duplicate",
            Self::FinalAfterProvisional { .. } => "final_after_provisional",
            Self::Update { .. } => "update",
            Self::OutOfOrder { .. } => "out_of_order",
            Self::Untracked => "untracked",
        }
    }

    fn previous_code(&self) -> Option<&str> {
        match self {
            Self::FinalAfterProvisional { previous } | Self::Update { previous } => Some(previous),
            Self::OutOfOrder { kept } => Some(kept),
            _ => None,
        }
    }
}

/// The state kept per job, to classify the next delivery.
#[derive(Debug, Default)]
pub(crate) struct Dedupe {
    seen: Mutex<HashMap<DedupeKey, CallbackState>>,
}

impl Dedupe {
    /// Classifies `v` and remembers it when it supersedes what was stored.
    pub(crate) fn classify(&self, v: &VerifiedCallback) -> Class {
        let Some(next) = v.state() else {
            return Class::Untracked;
        };
        let key = v.dedupe_key.clone();
        if key.smile_job_id.is_none() && key.job_id.is_none() {
            return Class::Untracked;
        }
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(prev) = seen.get(&key) else {
            seen.insert(key, next);
            return Class::First;
        };
        let previous = prev.result_code.as_str().to_owned();
        if supersedes(prev, &next) {
            let class = if prev.result_code == next.result_code && prev.is_final == next.is_final {
                Class::Duplicate { exact: false }
            } else if !prev.is_final && next.is_final {
                Class::FinalAfterProvisional { previous }
            } else {
                Class::Update { previous }
            };
            seen.insert(key, next);
            class
        } else if prev.result_code == next.result_code && prev.issued_at == next.issued_at {
            Class::Duplicate { exact: true }
        } else {
            Class::OutOfOrder { kept: previous }
        }
    }
}

/// How the listener is set up.
pub(crate) struct Config {
    pub(crate) addr: SocketAddr,
    pub(crate) verifier: CallbackVerifier,
    pub(crate) forward_to: Option<String>,
    pub(crate) read_timeout: Duration,
}

struct Forwarder {
    url: String,
    agent: ureq::Agent,
}

impl Forwarder {
    fn new(url: String) -> Self {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(FORWARD_TIMEOUT))
            .build();
        Self {
            url,
            agent: ureq::Agent::new_with_config(config),
        }
    }

    /// POSTs `body` unchanged; the answer's status and the time it took.
    fn send(&self, body: &[u8], content_type: &str) -> Result<(u16, Duration), String> {
        let started = Instant::now();
        let mut response = self
            .agent
            .post(&self.url)
            .header("Content-Type", content_type)
            .send(body)
            .map_err(|e| report::chain(&e))?;
        let status = response.status().as_u16();
        let _ = response
            .body_mut()
            .with_config()
            .limit(1024 * 1024)
            .read_to_vec();
        Ok((status, started.elapsed()))
    }
}

struct Shared {
    verifier: CallbackVerifier,
    dedupe: Dedupe,
    forward: Option<Arc<Forwarder>>,
    read_timeout: Duration,
    events: Mutex<mpsc::Sender<Event>>,
}

impl Shared {
    fn emit(&self, event: Event) {
        let _ = self
            .events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .send(event);
    }
}

/// A running listener; it stops when dropped.
pub(crate) struct Listener {
    addr: SocketAddr,
    events: mpsc::Receiver<Event>,
    stop: Option<watch::Sender<bool>>,
    thread: Option<JoinHandle<()>>,
}

impl Listener {
    /// Binds `config.addr` and starts serving on a thread of its own.
    pub(crate) fn start(config: Config) -> std::io::Result<Self> {
        let std_listener = std::net::TcpListener::bind(config.addr)?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let (tx, events) = mpsc::channel();
        let (stop, stop_rx) = watch::channel(false);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("smile-listen")
            .enable_all()
            .build()?;
        let shared = Arc::new(Shared {
            verifier: config.verifier,
            dedupe: Dedupe::default(),
            forward: config.forward_to.map(|u| Arc::new(Forwarder::new(u))),
            read_timeout: config.read_timeout,
            events: Mutex::new(tx),
        });
        let thread = std::thread::Builder::new()
            .name("smile-listen".into())
            .spawn(move || {
                runtime.block_on(async move {
                    match tokio::net::TcpListener::from_std(std_listener) {
                        Ok(listener) => serve(listener, shared, stop_rx).await,
                        Err(e) => tracing::error!(error = %e, "cannot listen"),
                    }
                });
                runtime.shutdown_timeout(Duration::from_millis(200));
            })?;
        Ok(Self {
            addr,
            events,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The URL to give Smile ID as the callback URL.
    pub(crate) fn url(&self) -> String {
        format!("http://{}/smile/callback", self.addr)
    }

    /// Waits up to `timeout` for the next event.
    pub(crate) fn next(&self, timeout: Duration) -> Option<Event> {
        self.events.recv_timeout(timeout).ok()
    }

    /// Every event, as it comes (for `smile listen`, which runs until stopped).
    pub(crate) fn iter(&self) -> impl Iterator<Item = Event> + '_ {
        self.events.iter()
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(true);
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn serve(
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let permit = tokio::select! {
            _ = stop.changed() => break,
            p = Arc::clone(&slots).acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let (stream, peer) = tokio::select! {
            _ = stop.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::debug!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let shared = Arc::clone(&shared);
        let mut stop = stop.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let read_timeout = shared.read_timeout;
            let service = service_fn(move |req| {
                let shared = Arc::clone(&shared);
                async move { Ok::<_, Infallible>(handle(req, &shared, peer).await) }
            });
            let conn = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(read_timeout)
                .max_buf_size(MAX_HEAD_BYTES)
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                r = conn => if let Err(e) = r {
                    tracing::debug!(%peer, error = %e, "connection ended");
                },
                _ = stop.changed() => {}
            }
        });
    }
}

fn text(status: StatusCode, body: &str, close: bool) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body.to_owned())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    if close {
        r.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    r
}

async fn handle(
    req: Request<Incoming>,
    shared: &Shared,
    peer: SocketAddr,
) -> Response<Full<Bytes>> {
    let refuse = |status: StatusCode, message: String, close: bool| {
        shared.emit(Event::BadRequest {
            status: status.as_u16(),
            message: message.clone(),
            peer,
        });
        text(status, &format!("{message}\n"), close)
    };
    if req.method() == Method::GET || req.method() == Method::HEAD {
        return text(
            StatusCode::OK,
            "smile listen: POST Smile ID callbacks to this URL\n",
            false,
        );
    }
    if req.method() != Method::POST {
        let mut r = refuse(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("{} is not a callback: only POST", req.method()),
            false,
        );
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD, POST"));
        return r;
    }
    let limit = shared.verifier.current_max_body_bytes();
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the body ({}) is over the callback limit of {}",
                report::size(declared.unwrap_or_default()),
                report::size(limit as u64)
            ),
            true,
        );
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json")
        .to_owned();
    let collected = tokio::time::timeout(
        shared.read_timeout,
        Limited::new(req.into_body(), limit).collect(),
    )
    .await;
    let body = match collected {
        Err(_) => {
            return refuse(
                StatusCode::REQUEST_TIMEOUT,
                format!(
                    "the body did not arrive within {}",
                    report::duration(shared.read_timeout)
                ),
                true,
            );
        }
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => {
            return refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "the body is over the callback limit of {}",
                    report::size(limit as u64)
                ),
                true,
            );
        }
        Ok(Err(e)) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                format!("the body could not be read: {e}"),
                true,
            );
        }
        Ok(Ok(c)) => c.to_bytes(),
    };
    match shared.verifier.verify(&body, SystemTime::now()) {
        Ok(verified) => {
            let class = shared.dedupe.classify(&verified);
            let job_id = verified.callback.job_id().map(|j| j.as_str().to_owned());
            shared.emit(Event::Callback {
                verified: Box::new(verified),
                class,
                peer,
            });
            if let Some(forward) = &shared.forward {
                let forward = Arc::clone(forward);
                let events = shared
                    .events
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .clone();
                tokio::task::spawn_blocking(move || {
                    let result = forward.send(&body, &content_type);
                    let _ = events.send(Event::Forwarded {
                        job_id,
                        url: forward.url.clone(),
                        result,
                    });
                });
            }
            text(StatusCode::OK, "ok\n", false)
        }
        Err(error) => {
            shared.emit(Event::Refused { error, peer });
            text(StatusCode::UNAUTHORIZED, "callback refused\n", false)
        }
    }
}

/// `smile listen`: runs until stopped (Ctrl-C), printing every event.
pub(crate) fn run(args: &ListenArgs, run: &Run) -> Result<(), CliError> {
    let verifier = args.limits.verifier(&args.keys)?;
    if let Some(url) = &args.forward_to
        && let Err(why) = CallbackUrl::parse(url)
    {
        return Err(CliError::usage(format!(
            "--forward-to {} is not an absolute http or https URL: {why}",
            crate::shell::quote(url)
        )));
    }
    let listener = Listener::start(Config {
        addr: args.addr,
        verifier,
        forward_to: args.forward_to.clone(),
        read_timeout: Duration::from_secs(args.read_timeout_secs),
    })
    .map_err(|e| {
        CliError::failure(
            "listen",
            format!("cannot listen on {} (--addr): {e}", args.addr),
        )
    })?;
    if run.json {
        print_json_line(&json!({
            "event": "listening",
            "url": listener.url(),
            "forward_to": args.forward_to,
        }));
    } else {
        print_line(&format!("listening for callbacks at {}", listener.url()));
        if let Some(url) = &args.forward_to {
            print_line(&format!("forwarding verified callbacks to {url}"));
        }
        print_line(&format!("note: {SIGNATURE_NOTE}\nPress Ctrl-C to stop."));
    }
    for event in listener.iter() {
        show(&event, run.json);
    }
    Ok(())
}

/// Prints one event (one JSON line with `--json`).
pub(crate) fn show(event: &Event, json: bool) {
    if json {
        print_json_line(&event_json(event));
        return;
    }
    let text = match event {
        Event::Callback {
            verified,
            class,
            peer,
        } => {
            let mut s = format!(
                "callback verified: {} (from {peer})\n{}",
                callback::ids_line(verified),
                report::entry(&verified.callback, None, "  ")
            );
            s.push_str("\n  ");
            s.push_str(&class_line(class, verified));
            s
        }
        Event::Refused { error, peer } => format!(
            "callback REFUSED (answered 401, from {peer}): {}",
            callback::refused(error).message
        ),
        Event::BadRequest {
            status,
            message,
            peer,
        } => format!("request refused (answered {status}, from {peer}): {message}"),
        Event::Forwarded {
            job_id,
            url,
            result,
        } => match result {
            Ok((status, took)) => format!(
                "  forwarded job_id {} to {url}: HTTP {status} ({} ms)",
                job_id.as_deref().unwrap_or("-"),
                took.as_millis()
            ),
            Err(why) => format!(
                "  forwarding job_id {} to {url} FAILED: {why}",
                job_id.as_deref().unwrap_or("-")
            ),
        },
    };
    print_line(&text);
}

fn class_line(class: &Class, v: &VerifiedCallback) -> String {
    let code = v.callback.result_code.as_ref().map_or("-", |c| c.as_str());
    match class {
        Class::First => "first result for this job".to_owned(),
        Class::Duplicate { exact: true } => format!(
            "DUPLICATE: a replay of a delivery already received (ResultCode {code}, same \
             timestamp): ignore it"
        ),
        Class::Duplicate { exact: false } => format!(
            "DUPLICATE: ResultCode {code} again, signed later (a re-delivery): already applied"
        ),
        Class::FinalAfterProvisional { previous } => {
            format!("FINAL result after provisional {previous}: this one decides")
        }
        Class::Update { previous } => format!("update: replaces {previous}"),
        Class::OutOfOrder { kept } => format!(
            "OUT OF ORDER: older than the {kept} already received, or provisional after a \
             final result: ignore it"
        ),
        Class::Untracked => "no ResultCode or job ids: not checked for duplicates".to_owned(),
    }
}

fn event_json(event: &Event) -> Value {
    match event {
        Event::Callback {
            verified,
            class,
            peer,
        } => {
            let i = verified.callback.interpret(None);
            json!({
                "event": "callback",
                "peer": peer.to_string(),
                "job": callback::job_of(verified).to_json(),
                "callback": callback::callback_json(verified),
                "result": result_json(&verified.callback, &i),
                "dedupe": class.as_str(),
                "duplicate": matches!(class, Class::Duplicate { .. }),
                "previous_code": class.previous_code(),
            })
        }
        Event::Refused { error, peer } => {
            let e = callback::refused(error);
            json!({
                "event": "refused",
                "peer": peer.to_string(),
                "status": 401,
                "error": {"kind": e.kind, "message": e.message},
            })
        }
        Event::BadRequest {
            status,
            message,
            peer,
        } => json!({
            "event": "request_refused",
            "peer": peer.to_string(),
            "status": status,
            "message": message,
        }),
        Event::Forwarded {
            job_id,
            url,
            result,
        } => match result {
            Ok((status, took)) => json!({
                "event": "forwarded",
                "job_id": job_id,
                "url": url,
                "status": status,
                "elapsed_ms": u64::try_from(took.as_millis()).unwrap_or(u64::MAX),
            }),
            Err(why) => json!({
                "event": "forward_failed",
                "job_id": job_id,
                "url": url,
                "message": why,
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use smile_blocking::Signer;
    use smile_blocking::types::PartnerId;

    fn verified(code: &str, at: &str, fin: &str) -> VerifiedCallback {
        let signer = Signer::new(PartnerId::new("085"), "k");
        let body = format!(
            r#"{{"ResultCode":"{code}","IsFinalResult":"{fin}","SmileJobID":"0000000001","PartnerParams":{{"job_id":"j","user_id":"u","job_type":2}},"timestamp":"{at}","signature":"{}"}}"#,
            signer.sign(at)
        );
        CallbackVerifier::new(signer)
            .tolerance(None)
            .verify(body.as_bytes(), SystemTime::now())
            .unwrap()
    }

    #[test]
    fn replays_duplicates_and_the_final_after_provisional() {
        let d = Dedupe::default();
        let prov = verified("0824", "2024-01-01T00:00:00.000Z", "false");
        assert_eq!(d.classify(&prov), Class::First);
        assert_eq!(d.classify(&prov), Class::Duplicate { exact: true });
        let fin = verified("1220", "2024-01-01T00:00:05.000Z", "true");
        assert_eq!(
            d.classify(&fin),
            Class::FinalAfterProvisional {
                previous: "0824".into()
            }
        );
        assert_eq!(d.classify(&fin), Class::Duplicate { exact: true });
        let resent = verified("1220", "2024-01-01T00:00:09.000Z", "true");
        assert_eq!(d.classify(&resent), Class::Duplicate { exact: false });
        assert_eq!(
            d.classify(&prov),
            Class::OutOfOrder {
                kept: "1220".into()
            }
        );
    }
}

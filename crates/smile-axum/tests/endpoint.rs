//! The callback endpoint and the capture extractor over HTTP, on loopback.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::routing::post;
use serde_json::{Value, json};
use smile_async::sign::{DedupeKey, format_timestamp};
use smile_async::types::PartnerId;
use smile_async::{CallbackVerifier, Signer};
use smile_axum::{
    CallbackEndpoint, CallbackStore, CaptureLimits, CapturedImages, Delivery, DeliveryId,
    MemoryStore, NewCallback, Recorded, SqliteStore, StoreError, StoredCallback,
};
use tokio::sync::mpsc;

const KEY: &str = "endpoint-test-key";

fn signer() -> Signer {
    Signer::new(PartnerId::new("085"), KEY)
}

fn verifier() -> CallbackVerifier {
    CallbackVerifier::new(signer())
}

/// A signed callback body for (`SmileJobID`, `job_id`) with `code`, signed at `at`.
fn callback(smile_job_id: &str, job_id: &str, code: &str, at: SystemTime) -> String {
    let ts = format_timestamp(at);
    json!({
        "ResultCode": code,
        "ResultText": "text",
        "SmileJobID": smile_job_id,
        "PartnerParams": {"user_id": "user-1", "job_id": job_id, "job_type": 2},
        "timestamp": ts,
        "signature": signer().sign(&ts),
    })
    .to_string()
}

/// A server on a loopback port, stopped (its router, and so the endpoint, dropped) on drop.
struct Server {
    base: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(router: Router) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Server { base, task }
}

async fn post_body(url: &str, body: impl Into<reqwest::Body>) -> (u16, Value) {
    let res = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// A handler that forwards every delivery to a channel.
fn channel() -> (
    impl Fn(Delivery) -> std::future::Ready<()> + Send + Sync + 'static,
    mpsc::UnboundedReceiver<Delivery>,
) {
    let (tx, rx) = mpsc::unbounded_channel();
    (
        move |d: Delivery| {
            let _ = tx.send(d);
            std::future::ready(())
        },
        rx,
    )
}

async fn next(rx: &mut mpsc::UnboundedReceiver<Delivery>) -> Delivery {
    tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("a delivery within 5 s")
        .expect("the endpoint is running")
}

async fn nothing_more(rx: &mut mpsc::UnboundedReceiver<Delivery>) {
    let more = tokio::time::timeout(Duration::from_millis(300), rx.recv()).await;
    assert!(more.is_err(), "unexpected delivery: {more:?}");
}

fn codes(ds: &[Delivery]) -> Vec<(&str, u32)> {
    ds.iter()
        .map(|d| (d.state.result_code.as_str(), d.attempt))
        .collect()
}

#[tokio::test]
async fn verified_callbacks_reach_the_app_once_and_in_order() {
    let (handler, mut rx) = channel();
    let endpoint = CallbackEndpoint::builder(verifier(), MemoryStore::new()).start(handler);
    let server = serve(Router::new().merge(endpoint.router("/cb"))).await;
    let url = format!("{}/cb", server.base);
    let t = SystemTime::now() - Duration::from_secs(60);
    let provisional = callback("0000000001", "job-1", "0824", t);
    let last = callback("0000000001", "job-1", "1220", t + Duration::from_secs(30));

    assert_eq!(
        post_body(&url, provisional.clone()).await,
        (200, json!({"status": "accepted"}))
    );
    let d = next(&mut rx).await;
    assert_eq!(d.state.result_code.as_str(), "0824");
    assert!(!d.is_final());
    assert_eq!(d.attempt, 1);
    assert_eq!(d.body, provisional);
    assert_eq!(d.callback.result_text.as_deref(), Some("text"));
    assert_eq!(d.key.job_id.as_ref().map(|j| j.as_str()), Some("job-1"));

    assert_eq!(
        post_body(&url, last.clone()).await,
        (200, json!({"status": "accepted"}))
    );
    let d = next(&mut rx).await;
    assert_eq!((d.state.result_code.as_str(), d.is_final()), ("1220", true));
    assert!(d.interpret().is_final_approval());

    // Replays and a late provisional result: answered, never delivered.
    assert_eq!(
        post_body(&url, last.clone()).await,
        (200, json!({"status": "ignored", "reason": "duplicate"}))
    );
    assert_eq!(
        post_body(&url, provisional).await,
        (200, json!({"status": "ignored", "reason": "older"}))
    );
    let late = callback("0000000001", "job-1", "0824", t + Duration::from_secs(40));
    assert_eq!(
        post_body(&url, late).await,
        (200, json!({"status": "ignored", "reason": "after_final"}))
    );
    nothing_more(&mut rx).await;

    // The store knows the job's latest result; `receive` works without HTTP.
    let key = DedupeKey::new(Some("0000000001".into()), Some("job-1".into()));
    let latest = endpoint.latest(&key).await.unwrap().unwrap();
    assert!(latest.delivered && latest.state.is_final);
    let receipt = endpoint.receive(last.as_bytes()).await.unwrap();
    assert!(
        matches!(receipt, smile_axum::Receipt::Ignored { .. }),
        "{receipt:?}"
    );
}

#[tokio::test]
async fn refused_callbacks() {
    let (handler, mut rx) = channel();
    let endpoint = CallbackEndpoint::builder(verifier(), MemoryStore::new()).start(handler);
    let server = serve(endpoint.router("/cb")).await;
    let url = format!("{}/cb", server.base);
    let now = SystemTime::now();

    let mut forged: Value = serde_json::from_str(&callback("1", "job-1", "1220", now)).unwrap();
    forged["signature"] = Value::from(
        Signer::new(PartnerId::new("085"), "another key")
            .sign(forged["timestamp"].as_str().unwrap()),
    );
    assert_eq!(
        post_body(&url, forged.to_string()).await,
        (401, json!({"error": "bad_signature"}))
    );
    let stale = callback("1", "job-1", "1220", now - Duration::from_secs(3600));
    assert_eq!(
        post_body(&url, stale).await,
        (401, json!({"error": "stale"}))
    );
    assert_eq!(
        post_body(&url, "not json").await,
        (400, json!({"error": "invalid"}))
    );
    assert_eq!(
        post_body(&url, "[1]").await,
        (400, json!({"error": "invalid"}))
    );
    let unsigned = json!({"ResultCode": "1220", "SmileJobID": "1"}).to_string();
    assert_eq!(
        post_body(&url, unsigned).await,
        (401, json!({"error": "bad_signature"}))
    );
    let ts = format_timestamp(now);
    let no_job = json!({"ResultCode": "1220", "timestamp": ts, "signature": signer().sign(&ts)});
    assert_eq!(
        post_body(&url, no_job.to_string()).await,
        (400, json!({"error": "unusable"}))
    );
    let no_code = json!({"SmileJobID": "1", "timestamp": ts, "signature": signer().sign(&ts)});
    assert_eq!(
        post_body(&url, no_code.to_string()).await,
        (400, json!({"error": "unusable"}))
    );
    let huge = vec![b' '; CallbackVerifier::DEFAULT_MAX_BODY_BYTES + 1];
    assert_eq!(
        post_body(&url, huge).await,
        (413, json!({"error": "too_large"}))
    );
    // A body exactly at the limit is read and accepted (JSON allows the trailing spaces).
    let mut at_limit = callback("1", "job-1", "1220", now).into_bytes();
    at_limit.resize(CallbackVerifier::DEFAULT_MAX_BODY_BYTES, b' ');
    assert_eq!(
        post_body(&url, at_limit).await,
        (200, json!({"status": "accepted"}))
    );
    let res = reqwest::get(&url).await.unwrap();
    assert_eq!(res.status().as_u16(), 405);
    assert_eq!(next(&mut rx).await.state.result_code.as_str(), "1220");
    nothing_more(&mut rx).await;
}

#[tokio::test]
async fn a_failing_or_panicking_handler_is_retried_and_holds_back_the_jobs_later_results() {
    let calls = Arc::new(AtomicU32::new(0));
    let (tx, mut rx) = mpsc::unbounded_channel();
    let counter = Arc::clone(&calls);
    let endpoint = CallbackEndpoint::builder(verifier(), MemoryStore::new())
        .lease(Duration::from_millis(200))
        .poll_interval(Duration::from_millis(20))
        .start(move |d: Delivery| {
            let tx = tx.clone();
            let n = counter.fetch_add(1, Ordering::SeqCst);
            async move {
                let _ = tx.send(d.clone());
                match n {
                    0 => Err("the database is down".into()),
                    1 => panic!("a bug in the handler"),
                    _ => Ok::<(), smile_axum::BoxError>(()),
                }
            }
        });
    let t = SystemTime::now();
    endpoint
        .receive(callback("1", "job-1", "0824", t).as_bytes())
        .await
        .unwrap();
    endpoint
        .receive(callback("1", "job-1", "1220", t + Duration::from_secs(1)).as_bytes())
        .await
        .unwrap();
    let mut seen = Vec::new();
    for _ in 0..4 {
        seen.push(next(&mut rx).await);
    }
    assert_eq!(
        codes(&seen),
        [("0824", 1), ("0824", 2), ("0824", 3), ("1220", 1)]
    );
    assert!(seen.windows(2).take(2).all(|w| w[0].id == w[1].id));
    nothing_more(&mut rx).await;
}

#[tokio::test]
async fn a_handler_that_hangs_is_cut_off_at_the_lease() {
    let calls = Arc::new(AtomicU32::new(0));
    let counter = Arc::clone(&calls);
    let (tx, mut rx) = mpsc::unbounded_channel();
    let endpoint = CallbackEndpoint::builder(verifier(), MemoryStore::new())
        .lease(Duration::from_millis(150))
        .poll_interval(Duration::from_millis(20))
        .start(move |d: Delivery| {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            let tx = tx.clone();
            async move {
                if n == 0 {
                    std::future::pending::<()>().await;
                }
                let _ = tx.send(d);
            }
        });
    endpoint
        .receive(callback("1", "job-1", "0820", SystemTime::now()).as_bytes())
        .await
        .unwrap();
    let d = next(&mut rx).await;
    assert_eq!(d.attempt, 2);
    nothing_more(&mut rx).await;
}

#[tokio::test]
async fn sqlite_a_restart_loses_nothing_and_delivers_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("callbacks.db");
    let t = SystemTime::now();
    let handled = callback("1", "job-handled", "0820", t);
    let unhandled = callback("2", "job-unhandled", "0820", t);

    {
        // The first run: the handler handles one job and fails on the other.
        let (tx, mut rx) = mpsc::unbounded_channel();
        let endpoint = CallbackEndpoint::builder(verifier(), SqliteStore::open(&db).unwrap())
            .lease(Duration::from_secs(3600))
            .start(move |d: Delivery| {
                let _ = tx.send(d.clone());
                let fail = d
                    .key
                    .job_id
                    .as_ref()
                    .is_some_and(|j| j.as_str() == "job-unhandled");
                async move { if fail { Err("not now") } else { Ok(()) } }
            });
        let server = serve(endpoint.router("/cb")).await;
        let url = format!("{}/cb", server.base);
        assert_eq!(post_body(&url, handled.clone()).await.0, 200);
        assert_eq!(post_body(&url, unhandled.clone()).await.0, 200);
        let mut jobs: Vec<String> = vec![next(&mut rx).await, next(&mut rx).await]
            .into_iter()
            .map(|d| d.key.job_id.unwrap().as_str().to_owned())
            .collect();
        jobs.sort();
        assert_eq!(jobs, ["job-handled", "job-unhandled"]);
        // Give the first delivery's completion time to commit.
        tokio::time::sleep(Duration::from_millis(100)).await;
    } // the "process" stops: server, routes, endpoint and so its dispatcher are dropped

    let (handler, mut rx) = channel();
    let endpoint =
        CallbackEndpoint::builder(verifier(), SqliteStore::open(&db).unwrap()).start(handler);
    // What was accepted but not handled is handed over at once (the old claim is released)...
    let d = next(&mut rx).await;
    assert_eq!(d.key.job_id.as_ref().unwrap().as_str(), "job-unhandled");
    assert_eq!(d.attempt, 2);
    // ...and replays of both are recognised.
    let server = serve(endpoint.router("/cb")).await;
    let url = format!("{}/cb", server.base);
    for body in [handled, unhandled] {
        assert_eq!(
            post_body(&url, body).await,
            (200, json!({"status": "ignored", "reason": "duplicate"}))
        );
    }
    nothing_more(&mut rx).await;
}

/// A store that always fails.
struct Broken;

#[async_trait::async_trait]
impl CallbackStore for Broken {
    async fn record(&self, _: NewCallback) -> Result<Recorded, StoreError> {
        Err(StoreError::new("disk full"))
    }
    async fn claim(
        &self,
        _: SystemTime,
        _: Duration,
        _: usize,
    ) -> Result<Vec<StoredCallback>, StoreError> {
        Err(StoreError::new("disk full"))
    }
    async fn complete(&self, _: DeliveryId) -> Result<(), StoreError> {
        Err(StoreError::new("disk full"))
    }
    async fn latest(&self, _: &DedupeKey) -> Result<Option<StoredCallback>, StoreError> {
        Err(StoreError::new("disk full"))
    }
}

#[tokio::test]
async fn a_failing_store_answers_500_so_that_the_sender_retries() {
    let endpoint = CallbackEndpoint::builder(verifier(), Broken).start(|_: Delivery| async {});
    let server = serve(endpoint.router("/cb")).await;
    let url = format!("{}/cb", server.base);
    let body = callback("1", "job-1", "0820", SystemTime::now());
    assert_eq!(
        post_body(&url, body).await,
        (500, json!({"error": "store"}))
    );
}

/// A 1×1 JPEG.
const JPEG: &str = "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQH/wAALCAABAAEBAREA/8QAFAABAAAAAAAAAAAAAAAAAAAACf/EABQQAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQEAAD8AKp//2Q==";

#[tokio::test]
async fn the_capture_extractor_over_http() {
    async fn accept(captured: CapturedImages) -> axum::Json<Value> {
        axum::Json(json!({
            "images": captured.images().iter().map(|i| i.image_type().id()).collect::<Vec<_>>(),
            "library": captured.client_params().library_version(),
        }))
    }
    let router = Router::new().route("/default", post(accept)).route(
        "/small",
        post(accept).layer(axum::Extension(
            CaptureLimits::default().max_body_bytes(1000),
        )),
    );
    let server = serve(router).await;
    let base = &server.base;
    let mut images = vec![json!({"image_type_id": 2, "image": JPEG})];
    images.extend((0..8).map(|_| json!({"image_type_id": 6, "image": JPEG})));
    let detail = json!({"images": images, "partner_params": {"libraryVersion": "1.0.2", "permissionGranted": true}});

    let (status, body) = post_body(&format!("{base}/default"), detail.to_string()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"images": [2, 6, 6, 6, 6, 6, 6, 6, 6], "library": "1.0.2"})
    );

    let (status, body) = post_body(&format!("{base}/small"), detail.to_string()).await;
    assert_eq!(
        (status, &body["error"]),
        (413, &json!("capture.too_large")),
        "{body}"
    );

    let path = json!({"images": [{"image_type_id": 0, "image_path": "/etc/passwd"}]});
    let (status, body) = post_body(&format!("{base}/default"), path.to_string()).await;
    assert_eq!(
        (status, &body["error"]),
        (400, &json!("capture.file_image")),
        "{body}"
    );
    assert!(
        body["message"].as_str().unwrap().contains("image #0"),
        "{body}"
    );

    // Not JSON by its content type: a cross-site form post.
    let res = reqwest::Client::new()
        .post(format!("{base}/default"))
        .header("content-type", "text/plain")
        .body(detail.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 415);
}

//! Transport-level behaviour of both clients: a caller's own transport receives the machine's
//! requests (with their per-request timeouts), and the default transports reuse connections.

use std::io::{BufReader, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use smile_core::{
    HttpRequest, HttpResponse, JobOutcome, JobStatusOptions, RequestKind, TransportFailure,
    request_kind, request_timeout,
};
use smile_tests::{
    Client, ClientKind, Setup, client, prep_response, read_http_request_body, seed_request,
    signed_status,
};
use smile_types::JobOptions;

type Seen = Arc<Mutex<Vec<(RequestKind, Option<Duration>, String)>>>;

fn fake_server(req: &HttpRequest) -> HttpResponse {
    let body = match request_kind(req) {
        Some(RequestKind::PrepUpload) => {
            prep_response("https://uploads.example/x?sig=1", "0000000001").to_string()
        }
        Some(RequestKind::Upload) => String::new(),
        _ => signed_status(
            &json!({"job_complete": true, "job_success": true, "result": {"ResultCode": "0820", "IsFinalResult": "true"}}),
            "2024-01-01T00:00:01.000Z",
        ),
    };
    http::Response::builder()
        .status(200)
        .body(body.into_bytes())
        .unwrap()
}

/// Both builders accept a caller's transport; it sees every request with its kind and timeout.
#[tokio::test]
async fn own_transport_gets_the_requests_with_their_timeouts() {
    for kind in ClientKind::ALL {
        let seen: Seen = Arc::default();
        let base = "http://127.0.0.1:9/v1";
        let record = {
            let seen = Arc::clone(&seen);
            move |req: &HttpRequest| {
                seen.lock().unwrap().push((
                    request_kind(req).unwrap(),
                    request_timeout(req),
                    req.uri().to_string(),
                ));
                fake_server(req)
            }
        };
        let api = match kind {
            ClientKind::Blocking => {
                let record = record.clone();
                Client::Blocking(
                    smile_blocking::WebApi::builder(smile_tests::PARTNER_ID, smile_tests::API_KEY)
                        .base_url(base)
                        .request_timeout(Duration::from_secs(7))
                        .transport(
                            move |req: HttpRequest| -> Result<HttpResponse, TransportFailure> {
                                Ok(record(&req))
                            },
                        )
                        .build()
                        .unwrap(),
                )
            }
            ClientKind::Async => {
                let record = record.clone();
                Client::Async(
                    smile_async::WebApi::builder(smile_tests::PARTNER_ID, smile_tests::API_KEY)
                        .base_url(base)
                        .request_timeout(Duration::from_secs(7))
                        .transport(move |req: HttpRequest| {
                            let r = record(&req);
                            async move { Ok::<_, TransportFailure>(r) }
                        })
                        .build()
                        .unwrap(),
                )
            }
        };
        let outcome = api
            .submit(seed_request(JobOptions {
                return_job_status: true,
                ..JobOptions::default()
            }))
            .await
            .unwrap();
        assert!(matches!(outcome, JobOutcome::Completed { .. }) && outcome.is_final_approval());
        let seen = seen.lock().unwrap().clone();
        assert_eq!(
            seen,
            [
                (
                    RequestKind::PrepUpload,
                    Some(Duration::from_secs(7)),
                    "http://127.0.0.1:9/v1/upload".to_owned()
                ),
                (
                    RequestKind::Upload,
                    Some(Duration::from_secs(120)),
                    "https://uploads.example/x?sig=1".to_owned()
                ),
                (
                    RequestKind::JobStatus,
                    Some(Duration::from_secs(7)),
                    "http://127.0.0.1:9/v1/job_status".to_owned()
                ),
            ],
            "{kind:?}"
        );
    }
}

/// A minimal HTTP/1.1 server that keeps connections open and counts them.
fn keep_alive_server() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let connections = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&connections);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            count.fetch_add(1, Ordering::SeqCst);
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut writer = stream;
                loop {
                    if read_http_request_body(&mut reader).is_none() {
                        return;
                    }
                    let answer = signed_status(
                        &json!({"job_complete": false, "result": null}),
                        "2024-01-01T00:00:01.000Z",
                    );
                    let head = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: keep-alive\r\n\r\n",
                        answer.len()
                    );
                    if writer
                        .write_all(head.as_bytes())
                        .and_then(|()| writer.write_all(answer.as_bytes()))
                        .is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    (format!("http://{addr}/v1"), connections)
}

/// Three calls on one client use one connection (keep-alive), for both default transports.
#[tokio::test]
async fn default_transports_reuse_connections() {
    for kind in ClientKind::ALL {
        let (base, connections) = keep_alive_server();
        let api = client(kind, &Setup::new(base));
        for _ in 0..3 {
            let st = api
                .get_job_status("user-0001", "job-0002", JobStatusOptions::default())
                .await
                .unwrap();
            assert_eq!(st.job_complete(), Some(false));
        }
        assert_eq!(connections.load(Ordering::SeqCst), 1, "{kind:?}");
    }
}

//! Every fault mode, through the Rust handle (the control API and the command line parse into
//! the same `Fault`).

mod common;

use std::time::Duration;

use common::*;
use serde_json::{Value, json};
use smile_emulator::{Emulator, Endpoint, Fault};

async fn quick() -> Emulator {
    let emulator = Emulator::builder()
        .processing_delay(Duration::ZERO)
        .start()
        .await
        .unwrap();
    emulator.state().enrol_user("u");
    emulator
}

/// `POST /job_status` (without history or image links), the raw response.
async fn job_status_response(api: &Api, user_id: &str, job_id: &str) -> reqwest::Response {
    let (ts, sig) = api.signed();
    api.http
        .post(format!("{}/job_status", api.base))
        .json(&json!({"partner_id": api.partner_id, "user_id": user_id, "job_id": job_id, "timestamp": ts, "signature": sig}))
        .send()
        .await
        .unwrap()
}

/// A job-2 prep upload for user "u", sent as is.
async fn prep_send(api: &Api, job_id: &str) -> reqwest::Result<reqwest::Response> {
    api.http
        .post(format!("{}/upload", api.base))
        .json(&Value::Object(api.prep_body("u", job_id, 2, None)))
        .send()
        .await
}

/// `GET /services`.
fn services(api: &Api) -> reqwest::RequestBuilder {
    api.http.get(format!("{}/services", api.base))
}

#[tokio::test]
async fn fixed_status_with_retry_after_for_n_requests() {
    let emulator = quick().await;
    let api = Api::new(&emulator);
    emulator.faults().set(
        Endpoint::JobStatus,
        Fault::status(503).retry_after(7).times(2),
    );
    for _ in 0..2 {
        let resp = job_status_response(&api, "u", "j").await;
        assert_eq!(resp.status().as_u16(), 503);
        assert_eq!(resp.headers()["retry-after"], "7");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["code"], "2301", "job status's system error code");
    }
    let (status, _) = api.job_status("u", "j", false, false).await;
    assert_eq!(status, 404, "fault used up: the real answer (no such job)");
    assert!(emulator.faults().list().is_empty());
}

#[tokio::test]
async fn skip_then_fail_and_custom_body() {
    let emulator = quick().await;
    let api = Api::new(&emulator);
    emulator.faults().set(
        Endpoint::Upload,
        Fault::status(502)
            .with_body("<html>bad gateway</html>")
            .skip(1)
            .times(1),
    );
    let (status, _) = api.prep("u", "j1", 2, &[], None).await;
    assert_eq!(status, 200, "skipped");
    let (status, body) = api.prep("u", "j2", 2, &[], None).await;
    assert_eq!(status, 502);
    assert_eq!(body, "<html>bad gateway</html>");
    assert!(
        emulator.state().job("j2").is_none(),
        "refused before processing"
    );
    let (status, _) = api.prep("u", "j2", 2, &[], None).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn delay_makes_a_client_time_out() {
    let emulator = quick().await;
    let api = Api::new(&emulator);
    emulator.faults().set(
        Endpoint::Services,
        Fault::delay(Duration::from_secs(5)).times(1),
    );
    let err = services(&api)
        .timeout(Duration::from_millis(100))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    let resp = services(&api).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
}

#[tokio::test]
async fn dropped_connection_before_and_after_processing() {
    let emulator = quick().await;
    let api = Api::new(&emulator);
    emulator
        .faults()
        .set(Endpoint::Upload, Fault::drop_connection().times(1));
    let err = prep_send(&api, "j1").await.unwrap_err();
    assert!(!err.is_timeout() && err.status().is_none(), "{err:?}");
    assert!(
        emulator.state().job("j1").is_none(),
        "dropped before processing"
    );

    // After the handler: the job exists but the reply is lost; a resume finds it (2215, then
    // retry: true).
    emulator.faults().set(
        Endpoint::Upload,
        Fault::drop_connection().after_handler().times(1),
    );
    let err = prep_send(&api, "j2").await.unwrap_err();
    assert!(err.status().is_none(), "{err:?}");
    assert!(emulator.state().job("j2").is_some(), "the job was created");
    let (status, body) = api.prep("u", "j2", 2, &[], None).await;
    assert_eq!((status, body["code"].as_str()), (400, Some("2215")));
    let (status, _) = api.prep_retry("u", "j2", 2).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn malformed_json_keeps_status_and_cuts_the_body() {
    let emulator = quick().await;
    let api = Api::new(&emulator);
    api.submit("u", "j", 2, &[], None).await;
    emulator
        .faults()
        .set(Endpoint::JobStatus, Fault::malformed_json().times(1));
    let resp = job_status_response(&api, "u", "j").await;
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.headers()["content-type"], "application/json");
    let text = resp.text().await.unwrap();
    assert!(text.starts_with("{\"timestamp\":"), "{text}");
    assert!(
        serde_json::from_str::<Value>(&text).is_err(),
        "not JSON: {text}"
    );
    let (status, body) = api.job_status("u", "j", false, false).await;
    assert_eq!(status, 200);
    assert_eq!(body["job_complete"], true);
}

#[tokio::test]
async fn expired_upload_url_from_prep_and_on_put() {
    let emulator = quick().await;
    let api = Api::new(&emulator);
    // Born expired: the PUT gets the storage service's 403; a retry prep gives a fresh URL.
    emulator
        .faults()
        .set(Endpoint::Upload, Fault::expire_upload_url().times(1));
    let (status, prep) = api.prep("u", "j", 2, &[], None).await;
    assert_eq!(status, 200);
    let zip = api.selfie_zip(&prep, "u", "j", 2, &[], None);
    let (status, body) = api
        .put_zip(prep["upload_url"].as_str().unwrap(), zip.clone())
        .await;
    assert_eq!(status, 403);
    assert!(
        body.contains("<Code>AccessDenied</Code><Message>Request has expired</Message>"),
        "{body}"
    );
    let (status, again) = api.prep_retry("u", "j", 2).await;
    assert_eq!(status, 200);
    assert_eq!(again["smile_job_id"], prep["smile_job_id"]);
    let (status, _) = api
        .put_zip(again["upload_url"].as_str().unwrap(), zip.clone())
        .await;
    assert_eq!(status, 200);
    let s = poll_complete(&api, "u", "j", false).await;
    assert_eq!(s["result"]["ResultCode"], "0820");

    // On the PUT itself.
    emulator
        .faults()
        .set(Endpoint::ZipUpload, Fault::expire_upload_url().times(1));
    let (_, prep) = api.prep("u", "k", 2, &[], None).await;
    let zip = api.selfie_zip(&prep, "u", "k", 2, &[], None);
    let url = prep["upload_url"].as_str().unwrap();
    let (status, body) = api.put_zip(url, zip.clone()).await;
    assert_eq!(status, 403);
    assert!(body.contains("Request has expired"));
    let (status, _) = api.put_zip(url, zip).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn every_endpoint_accepts_a_fault() {
    let emulator = quick().await;
    let api = Api::new(&emulator);
    emulator.faults().set_all(Fault::status(500).times(1));
    let (status, body) = api.prep("u", "j", 2, &[], None).await;
    assert_eq!((status, body["code"].as_str()), (500, Some("2201")));
    let (ts, sig) = api.signed();
    let (status, body) = api
        .post(
            "id_verification",
            &json!({"partner_id": api.partner_id, "timestamp": ts, "signature": sig}),
        )
        .await;
    assert_eq!((status, body["code"].as_str()), (500, Some("2401")));
    let resp = services(&api).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 500);
    let resp = api
        .http
        .put(format!("{}/__emulator/uploads/x/selfie.zip", api.origin))
        .header("content-type", "application/zip")
        .body(vec![1, 2, 3])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 500);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("<Code>InternalError</Code>")
    );
    // The control API itself is never faulted.
    let (status, _) = api.control(reqwest::Method::GET, "health", None).await;
    assert_eq!(status, 200);
    emulator.faults().clear_all();
    assert!(emulator.faults().list().is_empty());
}

/// A client that never follows redirects (as the SDK must not, docs/protocol.md §2.2).
fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

#[tokio::test]
async fn status_429_with_a_short_or_long_retry_after() {
    let emulator = quick().await;
    let api = Api::new(&emulator);
    for secs in [1u64, 120] {
        emulator.faults().set(
            Endpoint::Services,
            Fault::status(429).retry_after(secs).times(1),
        );
        let resp = services(&api).send().await.unwrap();
        assert_eq!(resp.status().as_u16(), 429);
        assert_eq!(resp.headers()["retry-after"], secs.to_string().as_str());
        let body: Value = resp.json().await.unwrap();
        assert_eq!(
            body,
            json!({"error": "Too Many Requests (injected fault: HTTP 429)", "code": "2201"})
        );
    }
    let resp = services(&api).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200, "used up");
}

/// Reads one HTTP/1.1 response from a raw connection until the server closes it: the head and
/// the body bytes that arrived.
async fn raw_exchange(addr: std::net::SocketAddr, request: &str) -> (String, Vec<u8>) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    conn.write_all(request.as_bytes()).await.unwrap();
    let mut bytes = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), conn.read_to_end(&mut bytes)).await;
    assert!(read.is_ok(), "the connection was never closed");
    let split = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let head = String::from_utf8(bytes[..split].to_vec()).unwrap();
    (head, bytes[split + 4..].to_vec())
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// `truncated`: the full length is declared, half the body arrives, the connection closes.
#[tokio::test]
async fn truncated_declares_the_full_length_and_closes_after_half() {
    let emulator = quick().await;
    let api = Api::new(&emulator);
    let full = services(&api).send().await.unwrap().bytes().await.unwrap();
    emulator
        .faults()
        .set(Endpoint::Services, Fault::truncated().times(2));
    let (head, body) = raw_exchange(
        emulator.local_addr(),
        "GET /v1/services HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    )
    .await;
    assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
    assert_eq!(
        header(&head, "content-length"),
        Some(full.len().to_string().as_str())
    );
    assert_eq!(header(&head, "content-type"), Some("application/json"));
    assert_eq!(body, full[..full.len() / 2], "the first half, then the end");
    // What a client sees: the status, then an error while reading the body.
    let resp = services(&api).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let err = resp.bytes().await.unwrap_err();
    assert!(err.is_body() || err.is_decode(), "{err:?}");
    assert!(emulator.faults().list().is_empty());

    // The zip PUT's empty 200 is cut as if it were `{}`; the upload itself went through.
    emulator.state().enrol_user("u");
    let (_, prep) = api.prep("u", "cut", 2, &[], None).await;
    let zip = api.selfie_zip(&prep, "u", "cut", 2, &[], None);
    emulator
        .faults()
        .set(Endpoint::ZipUpload, Fault::truncated().times(1));
    let resp = api
        .http
        .put(prep["upload_url"].as_str().unwrap())
        .header("content-type", "application/zip")
        .body(zip)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.headers()["content-length"], "2");
    assert!(resp.bytes().await.is_err());
    let s = poll_complete(&api, "u", "cut", false).await;
    assert_eq!(s["result"]["ResultCode"], "0820");
}

/// `redirect`: a 307 to the emulator's redirect target, which counts the clients that follow.
#[tokio::test]
async fn redirect_points_at_the_emulator_and_followers_are_counted() {
    let emulator = quick().await;
    let api = Api::new(&emulator);
    let target = format!("{}/__emulator/redirect-target", api.origin);
    emulator
        .faults()
        .set(Endpoint::Upload, Fault::redirect().times(1));
    let resp = no_redirects()
        .post(format!("{}/upload", api.base))
        .json(&Value::Object(api.prep_body("u", "r1", 2, None)))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 307);
    assert_eq!(
        resp.headers()["location"],
        format!("{target}/v1/upload").as_str()
    );
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["location"], format!("{target}/v1/upload"));
    assert!(
        emulator.state().job("r1").is_none(),
        "redirected before processing"
    );
    assert_eq!(emulator.stats().redirects_followed, 0);

    // A client that follows (reqwest does by default, re-sending the POST on a 307) lands on
    // the target: 421, counted.
    emulator
        .faults()
        .set(Endpoint::Upload, Fault::redirect().times(1));
    let resp = reqwest::Client::new()
        .post(format!("{}/upload", api.base))
        .json(&Value::Object(api.prep_body("u", "r2", 2, None)))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 421);
    assert_eq!(resp.url().as_str(), format!("{target}/v1/upload"));
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["method"], "POST");
    assert_eq!(body["redirected_from"], "/v1/upload");
    assert_eq!(emulator.stats().redirects_followed, 1);
    let (_, stats) = api.control(reqwest::Method::GET, "stats", None).await;
    assert_eq!(stats["redirects_followed"], 1, "{stats}");
    assert!(emulator.state().job("r2").is_none());

    // On the zip PUT: the storage service's XML, the query string kept.
    emulator.state().enrol_user("u");
    let (_, prep) = api.prep("u", "r3", 2, &[], None).await;
    let url = prep["upload_url"].as_str().unwrap();
    emulator
        .faults()
        .set(Endpoint::ZipUpload, Fault::redirect().times(1));
    let resp = no_redirects()
        .put(url)
        .header("content-type", "application/zip")
        .body(api.selfie_zip(&prep, "u", "r3", 2, &[], None))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 307);
    let path_and_query = url.strip_prefix(&api.origin).unwrap();
    let location = format!("{target}{path_and_query}");
    assert_eq!(resp.headers()["location"], location.as_str());
    let text = resp.text().await.unwrap();
    assert!(text.contains("<Code>TemporaryRedirect</Code>"), "{text}");
    assert!(
        text.contains(&format!("<Endpoint>{location}</Endpoint>")),
        "{text}"
    );
    assert_eq!(
        emulator.state().job("r3").unwrap().phase,
        smile_emulator::JobPhase::AwaitingUpload
    );
}

/// `delay_ms` with `after_handler`: the request is processed at once (the job exists) and only
/// its reply is late, so a client that times out leaves a job behind.
#[tokio::test]
async fn a_late_reply_after_the_handler_leaves_the_job_behind() {
    let emulator = quick().await;
    let api = Api::new(&emulator);
    emulator.faults().set(
        Endpoint::Upload,
        Fault::delay(Duration::from_secs(5))
            .after_handler()
            .times(1),
    );
    let err = api
        .http
        .post(format!("{}/upload", api.base))
        .json(&Value::Object(api.prep_body("u", "late", 2, None)))
        .timeout(Duration::from_secs(1))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(
        emulator.state().job("late").is_some(),
        "the job was created"
    );
}

/// Every fault kind the fault matrix needs, on every endpoint of the v1 flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    StatusBefore,
    StatusAfter,
    RetryAfterShort,
    RetryAfterLong,
    DelayPastTimeout,
    DropBefore,
    DropAfter,
    Malformed,
    Truncated,
    Redirect,
}

impl Kind {
    const ALL: [Kind; 10] = [
        Kind::StatusBefore,
        Kind::StatusAfter,
        Kind::RetryAfterShort,
        Kind::RetryAfterLong,
        Kind::DelayPastTimeout,
        Kind::DropBefore,
        Kind::DropAfter,
        Kind::Malformed,
        Kind::Truncated,
        Kind::Redirect,
    ];

    /// The fault, in its command-line form (parsed as the CLI does, so that the matrix also
    /// checks the syntax).
    fn spec(self) -> &'static str {
        match self {
            Kind::StatusBefore => "status=503,times=1",
            Kind::StatusAfter => "status=502,after_handler,times=1",
            Kind::RetryAfterShort => "status=429,retry_after=1,times=1",
            Kind::RetryAfterLong => "status=429,retry_after=120,times=1",
            Kind::DelayPastTimeout => "delay_ms=3000,times=1",
            Kind::DropBefore => "drop_connection,times=1",
            Kind::DropAfter => "drop_connection,after_handler,times=1",
            Kind::Malformed => "malformed_json,times=1",
            Kind::Truncated => "truncated,times=1",
            Kind::Redirect => "redirect,times=1",
        }
    }

    /// Whether the request is processed (a job created or its zip taken) under this fault.
    fn processes(self) -> Option<bool> {
        match self {
            Kind::StatusAfter | Kind::DropAfter | Kind::Malformed | Kind::Truncated => Some(true),
            Kind::StatusBefore
            | Kind::RetryAfterShort
            | Kind::RetryAfterLong
            | Kind::DropBefore
            | Kind::Redirect => Some(false),
            // The client gives up while the request waits; whether the emulator then
            // processes it is not part of the contract.
            Kind::DelayPastTimeout => None,
        }
    }
}

/// The endpoints of the v1 flow: every endpoint but the image links (not part of it), so a new
/// endpoint joins the matrix (and needs a `valid_request` arm) by being added to `ALL`.
fn matrix_endpoints() -> impl Iterator<Item = Endpoint> {
    Endpoint::ALL.into_iter().filter(|e| *e != Endpoint::Images)
}

/// A valid request to `endpoint` (job ids unique per `n`); the job it concerns, if any.
async fn valid_request(
    api: &Api,
    client: &reqwest::Client,
    endpoint: Endpoint,
    n: usize,
) -> (reqwest::RequestBuilder, Option<String>) {
    let job_id = format!("m-{n}");
    let (ts, sig) = api.signed();
    let id_api = |path: &str, job_type: u32, id_type: &str, callback: bool| {
        let mut body = json!({"partner_id": api.partner_id, "partner_params": {"user_id": "u", "job_id": job_id, "job_type": job_type}, "country": "NG", "id_type": id_type, "id_number": "00000000000", "timestamp": ts, "signature": sig});
        if callback {
            body["callback_url"] = json!("http://127.0.0.1:9/cb");
        }
        client.post(format!("{}/{path}", api.base)).json(&body)
    };
    let url = |path: &str| format!("{}/{path}", api.base);
    match endpoint {
        Endpoint::Upload => (
            client
                .post(url("upload"))
                .json(&Value::Object(api.prep_body("u", &job_id, 2, None))),
            Some(job_id),
        ),
        Endpoint::ZipUpload => {
            let (status, prep) = api.prep("u", &job_id, 2, &[], None).await;
            assert_eq!(status, 200, "{prep}");
            let zip = api.selfie_zip(&prep, "u", &job_id, 2, &[], None);
            (
                client
                    .put(prep["upload_url"].as_str().unwrap())
                    .header("content-type", "application/zip")
                    .body(zip),
                Some(job_id),
            )
        }
        Endpoint::JobStatus => (
            client.post(url("job_status")).json(&json!({"partner_id": api.partner_id, "user_id": "u", "job_id": "base", "image_links": false, "history": true, "timestamp": ts, "signature": sig})),
            None,
        ),
        Endpoint::Token => (
            client.post(url("token")).json(&json!({"partner_id": api.partner_id, "user_id": "u", "job_id": job_id, "product": "biometric_kyc", "callback_url": "http://127.0.0.1:9/cb", "timestamp": ts, "signature": sig})),
            None,
        ),
        Endpoint::IdVerification => (id_api("id_verification", 5, "BVN", false), Some(job_id)),
        Endpoint::AsyncIdVerification => (
            id_api("async_id_verification", 5, "BVN", true),
            Some(job_id),
        ),
        Endpoint::BusinessVerification => (
            id_api("business_verification", 7, "BUSINESS_REGISTRATION", false),
            Some(job_id),
        ),
        Endpoint::AsyncBusinessVerification => (
            id_api(
                "async_business_verification",
                7,
                "BUSINESS_REGISTRATION",
                true,
            ),
            Some(job_id),
        ),
        Endpoint::Services => (client.get(url("services")), None),
        Endpoint::ValidDocuments => (
            client.post(url("valid_documents")).json(
                &json!({"partner_id": api.partner_id, "timestamp": ts, "signature": sig}),
            ),
            None,
        ),
        other => panic!("not in the matrix: {other}"),
    }
}

/// Whether the request about `job_id` on `endpoint` was processed: the job exists (the
/// zip PUT: its zip was taken).
fn processed(emulator: &Emulator, endpoint: Endpoint, job_id: &str) -> bool {
    match emulator.state().job(job_id) {
        None => false,
        Some(job) if endpoint == Endpoint::ZipUpload => {
            job.phase != smile_emulator::JobPhase::AwaitingUpload
        }
        Some(_) => true,
    }
}

/// Every endpoint takes every fault kind, from the command-line syntax, and each behaves as
/// documented at the HTTP level.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_matrix_every_endpoint_every_kind() {
    let emulator = Emulator::builder()
        .processing_delay(Duration::ZERO)
        .callback_retries(1, Duration::ZERO)
        .start()
        .await
        .unwrap();
    emulator.state().enrol_user("u");
    let api = Api::new(&emulator);
    api.submit("u", "base", 2, &[], None).await;
    let client = no_redirects();
    let mut n = 0;
    for endpoint in matrix_endpoints() {
        let storage = endpoint == Endpoint::ZipUpload;
        for kind in Kind::ALL {
            n += 1;
            let case = format!("{endpoint} {kind:?}");
            let (request, job_id) = valid_request(&api, &client, endpoint, n).await;
            let spec = format!("{endpoint}:{}", kind.spec());
            for (e, fault) in smile_emulator::parse_fault_arg(&spec).unwrap() {
                emulator.faults().set(e, fault);
            }
            let request = if kind == Kind::DelayPastTimeout {
                request.timeout(Duration::from_millis(200))
            } else {
                request
            };
            let result = request.send().await;
            assert!(emulator.faults().list().is_empty(), "{case}: used up");
            match kind {
                Kind::StatusBefore | Kind::StatusAfter => {
                    let resp = result.unwrap();
                    let expected = if kind == Kind::StatusBefore { 503 } else { 502 };
                    assert_eq!(resp.status().as_u16(), expected, "{case}");
                    let text = resp.text().await.unwrap();
                    if storage {
                        assert!(
                            text.contains("<Code>InternalError</Code>"),
                            "{case}: {text}"
                        );
                    } else {
                        let body: Value = serde_json::from_str(&text).unwrap();
                        let code = match endpoint {
                            Endpoint::JobStatus => "2301",
                            Endpoint::IdVerification
                            | Endpoint::AsyncIdVerification
                            | Endpoint::BusinessVerification
                            | Endpoint::AsyncBusinessVerification => "2401",
                            _ => "2201",
                        };
                        assert_eq!(body["code"], code, "{case}: {body}");
                    }
                }
                Kind::RetryAfterShort | Kind::RetryAfterLong => {
                    let resp = result.unwrap();
                    assert_eq!(resp.status().as_u16(), 429, "{case}");
                    let secs = if kind == Kind::RetryAfterShort {
                        "1"
                    } else {
                        "120"
                    };
                    assert_eq!(resp.headers()["retry-after"], secs, "{case}");
                }
                Kind::DelayPastTimeout => {
                    let err = result.unwrap_err();
                    assert!(err.is_timeout(), "{case}: {err:?}");
                }
                Kind::DropBefore | Kind::DropAfter => {
                    let err = result.unwrap_err();
                    assert!(
                        err.status().is_none() && !err.is_timeout(),
                        "{case}: {err:?}"
                    );
                }
                Kind::Malformed => {
                    let resp = result.unwrap();
                    assert!(resp.status().is_success(), "{case}");
                    let text = resp.text().await.unwrap();
                    assert!(!text.is_empty(), "{case}");
                    assert!(
                        serde_json::from_str::<Value>(&text).is_err(),
                        "{case}: {text}"
                    );
                }
                Kind::Truncated => {
                    let resp = result.unwrap();
                    assert!(resp.status().is_success(), "{case}");
                    let declared: usize = resp.headers()["content-length"]
                        .to_str()
                        .unwrap()
                        .parse()
                        .unwrap();
                    assert!(declared >= 2, "{case}");
                    assert!(resp.bytes().await.is_err(), "{case}: body cut short");
                }
                Kind::Redirect => {
                    let resp = result.unwrap();
                    assert_eq!(resp.status().as_u16(), 307, "{case}");
                    let location = resp.headers()["location"].to_str().unwrap();
                    assert!(
                        location
                            .starts_with(&format!("{}/__emulator/redirect-target/", api.origin)),
                        "{case}: {location}"
                    );
                }
            }
            if let (Some(job_id), Some(expected)) = (&job_id, kind.processes()) {
                if expected {
                    // Processed before the reply was cut or lost (bounded wait: the
                    // handler may still be finishing when a dropped client sees the error).
                    let mut seen = false;
                    for _ in 0..400 {
                        seen = processed(&emulator, endpoint, job_id);
                        if seen {
                            break;
                        }
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                    assert!(seen, "{case}: the request was processed");
                } else {
                    assert!(
                        !processed(&emulator, endpoint, job_id),
                        "{case}: refused before processing"
                    );
                }
            }
        }
    }
    assert_eq!(emulator.stats().redirects_followed, 0);
}

/// The new keys through the control API, and the combinations it refuses.
#[tokio::test]
async fn control_api_takes_the_new_kinds_and_refuses_nonsense() {
    let emulator = quick().await;
    let api = Api::new(&emulator);
    let post = |body: Value| api.control(reqwest::Method::POST, "faults", Some(body));
    let (status, body) = post(json!([
        {"endpoint": "services", "truncated": true, "times": 1},
        {"endpoint": "upload", "redirect": true, "after_handler": true},
        {"endpoint": "job_status", "status": 429, "retry_after": 120}
    ]))
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["faults"],
        json!([
            {"redirect": true, "after_handler": true, "endpoint": "upload"},
            {"status": 429, "retry_after": 120, "endpoint": "job_status"},
            {"truncated": true, "times": 1, "endpoint": "services"}
        ])
    );
    for (bad, needle) in [
        (
            json!({"endpoint": "job_status", "expire_upload_url": true}),
            "does not apply to endpoint job_status",
        ),
        (
            json!({"endpoint": "upload", "status": 500, "redirect": true}),
            "give one of them",
        ),
        (
            json!({"endpoint": "upload", "retry_after": 5}),
            "give status too",
        ),
        (json!({"endpoint": "upload", "times": 0}), "\"times\": 0"),
        (json!({"endpoint": "upload"}), "sets no effect"),
    ] {
        let (status, body) = post(bad.clone()).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(
            body["error"].as_str().unwrap().contains(needle),
            "{bad}: {body}"
        );
    }
    // `*` with expire_upload_url: only where there is an upload URL.
    api.control(reqwest::Method::DELETE, "faults", None).await;
    let (status, body) = post(json!({"endpoint": "*", "expire_upload_url": true})).await;
    assert_eq!(status, 200, "{body}");
    let endpoints: Vec<&str> = body["faults"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["endpoint"].as_str().unwrap())
        .collect();
    assert_eq!(endpoints, ["upload", "zip_upload"]);
}

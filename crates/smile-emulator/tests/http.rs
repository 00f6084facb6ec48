//! The emulator driven over plain HTTP: the upload flow, errors, callbacks, review.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{Value, json};
use smile_emulator::{CallbackOutcome, Emulator, JobPhase};

async fn quick() -> Emulator {
    Emulator::builder()
        .processing_delay(Duration::ZERO)
        .manual_review()
        .callback_retries(3, Duration::from_millis(10))
        .start()
        .await
        .unwrap()
}

#[tokio::test]
async fn enrol_then_authenticate_pass() {
    let emulator = quick().await;
    let api = Api::new(&emulator);
    let prep4 = api.submit("user-1", "job-enrol", 4, &[], None).await;
    assert_eq!(prep4["code"], "2202");
    assert_eq!(prep4["smile_job_id"], "0000000001");
    assert!(
        prep4["upload_url"]
            .as_str()
            .unwrap()
            .starts_with(&api.origin)
    );
    let status = poll_complete(&api, "user-1", "job-enrol", false).await;
    assert!(
        verify(&api.api_key, &api.partner_id, &status),
        "signed: {status}"
    );
    assert_eq!(status["job_success"], true);
    assert_eq!(status["code"], "2302");
    assert_eq!(status["result"]["ResultCode"], "0840");
    assert_eq!(status["result"]["Actions"]["Register_Selfie"], "Approved");
    assert!(emulator.state().user("user-1").is_some());

    api.submit("user-1", "job-auth", 2, &[], None).await;
    let status = poll_complete(&api, "user-1", "job-auth", true).await;
    assert!(verify(&api.api_key, &api.partner_id, &status));
    let result = &status["result"];
    assert_eq!(result["ResultCode"], "0820");
    assert_eq!(result["ResultText"], "Machine Judgement - PASS");
    assert_eq!(result["ResultType"], "SAIA");
    assert_eq!(result["IsFinalResult"], "true");
    assert_eq!(result["SmileJobID"], "0000000002");
    assert_eq!(
        result["PartnerParams"],
        json!({"user_id": "user-1", "job_id": "job-auth", "job_type": "2"})
    );
    assert_eq!(
        result["Actions"]["Selfie_To_Registered_Selfie_Compare"],
        "Completed"
    );
    assert_eq!(status["history"].as_array().unwrap().len(), 1);
    assert_eq!(status["job_success"], true);
}

#[tokio::test]
async fn authenticate_fail_0821() {
    let emulator = quick().await;
    emulator.state().enrol_user("user-1");
    let api = Api::new(&emulator);
    api.submit("user-1", "job-a", 2, &[("emulator_result", "0821")], None)
        .await;
    let status = poll_complete(&api, "user-1", "job-a", false).await;
    assert_eq!(status["job_complete"], true);
    assert_eq!(status["job_success"], false);
    assert_eq!(status["result"]["ResultCode"], "0821");
    assert_eq!(
        status["result"]["Actions"]["Selfie_To_Registered_Selfie_Compare"],
        "Failed"
    );
    assert_eq!(
        status["result"]["PartnerParams"]["emulator_result"], "0821",
        "extras echoed"
    );
}

#[tokio::test]
async fn provisional_then_final_by_polling_and_callbacks() {
    let emulator = quick().await;
    emulator.state().enrol_user("user-1");
    let api = Api::new(&emulator);
    let mut rx = receiver(vec![]).await;
    api.submit(
        "user-1",
        "job-p",
        2,
        &[("emulator_result", "0824")],
        Some(&rx.url),
    )
    .await;

    let status = poll_complete(&api, "user-1", "job-p", true).await;
    assert_eq!(status["result"]["ResultCode"], "0824");
    assert_eq!(status["result"]["IsFinalResult"], "false");
    assert_eq!(
        status["result"]["Actions"]["Liveness_Check"],
        "Under Review"
    );
    assert_eq!(status["job_success"], true, "provisional counts as success");
    let first = rx.next().await;
    assert!(verify(&api.api_key, &api.partner_id, &first), "{first}");
    assert_eq!(first["ResultCode"], "0824");
    assert!(emulator.state().job("job-p").unwrap().review_pending);

    assert_eq!(emulator.state().complete_reviews(), 1);
    let (_, status) = api.job_status("user-1", "job-p", true, false).await;
    assert_eq!(status["result"]["ResultCode"], "1220");
    assert_eq!(status["result"]["ResultText"], "Authenticated");
    assert_eq!(status["result"]["IsMachineResult"], "false");
    assert_eq!(
        status["result"]["Actions"]["Human_Review_Liveness_Check"],
        "Passed"
    );
    let codes: Vec<&str> = status["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["ResultCode"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["0824", "1220"]);
    let second = rx.next().await;
    assert!(verify(&api.api_key, &api.partner_id, &second));
    assert_eq!(second["ResultCode"], "1220");
    assert_eq!(second["SmileJobID"], first["SmileJobID"]);
}

#[tokio::test]
async fn review_delay_by_clock() {
    let clock = std::sync::Arc::new(smile_emulator::FixedClock::new(std::time::SystemTime::now()));
    let emulator = Emulator::builder()
        .processing_delay(Duration::from_secs(5))
        .review_delay(Duration::from_secs(60))
        .clock(clock.clone())
        .start()
        .await
        .unwrap();
    emulator.state().enrol_user("u");
    let api = Api::new(&emulator);
    api.submit(
        "u",
        "j",
        2,
        &[
            ("emulator_result", "0825"),
            ("emulator_final_result", "1221"),
        ],
        None,
    )
    .await;
    let (_, s) = api.job_status("u", "j", false, false).await;
    assert_eq!(s["job_complete"], false);
    assert_eq!(s["result"], Value::Null);
    clock.advance(Duration::from_secs(5));
    let (_, s) = api.job_status("u", "j", false, false).await;
    assert_eq!(s["result"]["ResultCode"], "0825");
    clock.advance(Duration::from_secs(59));
    let (_, s) = api.job_status("u", "j", false, false).await;
    assert_eq!(s["result"]["ResultCode"], "0825", "review not yet due");
    clock.advance(Duration::from_secs(1));
    let (_, s) = api.job_status("u", "j", false, false).await;
    assert_eq!(s["result"]["ResultCode"], "1221");
    assert_eq!(s["job_success"], false);
    assert_eq!(s["result"]["Actions"]["Human_Review_Compare"], "Failed");
}

#[tokio::test]
async fn upload_errors() {
    let emulator = quick().await;
    let api = Api::new(&emulator);
    // Unknown user for job 2.
    let (status, body) = api.prep("nobody", "j1", 2, &[], None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("2210")),
        "{body}"
    );
    // Duplicate job id.
    emulator.state().enrol_user("u");
    let (status, first) = api.prep("u", "dup", 2, &[], None).await;
    assert_eq!(status, 200);
    let (status, body) = api.prep("u", "dup", 2, &[], None).await;
    assert_eq!((status, body["code"].as_str()), (400, Some("2215")));
    assert_eq!(
        body["error"],
        "Job already exists. Did you mean to set the retry flag to true?"
    );
    // retry: true gives a new URL for the same job.
    let (status, again) = api.prep_retry("u", "dup", 2).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["smile_job_id"], first["smile_job_id"]);
    assert_ne!(again["upload_url"], first["upload_url"]);
    let (status, _) = api
        .put_zip(first["upload_url"].as_str().unwrap(), store_zip(&[]))
        .await;
    assert_eq!(status, 403, "the superseded URL no longer works");
    // Bad signature.
    let mut bad = api.prep_body("u", "j2", 2, None);
    bad.insert(
        "signature".into(),
        json!(sign("other-key", &api.partner_id, "x")),
    );
    let (status, body) = api.post("upload", &Value::Object(bad)).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("2205")));
    // Wrong partner.
    let mut bad = api.prep_body("u", "j2", 2, None);
    bad.insert("smile_client_id".into(), json!("1"));
    let (status, body) = api.post("upload", &Value::Object(bad)).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("2205")));
    // Naive timestamp (what early Python SDKs sent).
    let bad = api.prep_body_at("u", "j2", 2, "2024-01-01T00:00:00.000");
    let (status, body) = api.post("upload", &Value::Object(bad)).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("2205")),
        "{body}"
    );
    // Missing and mistyped fields.
    let mut bad = api.prep_body("u", "j2", 2, None);
    bad["partner_params"]
        .as_object_mut()
        .unwrap()
        .remove("user_id");
    let (status, body) = api.post("upload", &Value::Object(bad)).await;
    assert_eq!((status, body["code"].as_str()), (400, Some("2213")));
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("partner_params.user_id")
    );
    let mut bad = api.prep_body("u", "j2", 2, None);
    bad.insert("use_enrolled_image".into(), json!(3));
    let (status, body) = api.post("upload", &Value::Object(bad)).await;
    assert_eq!((status, body["code"].as_str()), (400, Some("2204")));
    let (status, body) = api.prep("u", "j2", 5, &[], None).await;
    assert_eq!((status, body["code"].as_str()), (400, Some("2212")));
    let (status, body) = api
        .prep("u", "j2", 2, &[("emulator_result", "0840")], None)
        .await;
    assert_eq!((status, body["code"].as_str()), (400, Some("2204")));
    // Already enrolled user for job 4.
    let (status, body) = api.prep("u", "j4", 4, &[], None).await;
    assert_eq!((status, body["code"].as_str()), (400, Some("2209")));
    // Requested errors and a user without a photo.
    let (status, body) = api
        .prep("u", "j5", 2, &[("emulator_error", "2207")], None)
        .await;
    assert_eq!((status, body["code"].as_str()), (400, Some("2207")));
    emulator.state().enrol_user_with_photo("nophoto", false);
    let (status, body) = api.prep("nophoto", "j6", 2, &[], None).await;
    assert_eq!((status, body["code"].as_str()), (400, Some("2216")));
    // Not JSON at all.
    let (status, body) = api.post_raw("upload", "{not json").await;
    assert_eq!((status, body["code"].as_str()), (400, Some("2203")));
}

/// A `PUT` of `url` with `Content-Type: application/zip` and no `Content-Length`, `framing`
/// ending the head (and giving the body); the status and the response text.
async fn raw_put(url: &str, framing: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let url = reqwest::Url::parse(url).unwrap();
    let authority = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap());
    let mut conn = tokio::net::TcpStream::connect(&authority).await.unwrap();
    let head = format!(
        "PUT {} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/zip\r\nConnection: close\r\n{framing}",
        url.path()
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    let mut text = String::new();
    conn.read_to_string(&mut text).await.unwrap();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}

#[tokio::test]
async fn upload_url_rules() {
    let clock = std::sync::Arc::new(smile_emulator::FixedClock::new(std::time::SystemTime::now()));
    let emulator = Emulator::builder()
        .processing_delay(Duration::ZERO)
        .upload_url_ttl(Duration::from_secs(60))
        .max_zip_body(4096)
        .clock(clock.clone())
        .start()
        .await
        .unwrap();
    emulator.state().enrol_user("u");
    let api = Api::new(&emulator);
    let (_, prep) = api.prep("u", "j", 2, &[], None).await;
    let url = prep["upload_url"].as_str().unwrap();
    let zip = store_zip(&[("selfie.jpg", fixture("selfie.jpg"))]);
    // Content type required.
    let resp = api.http.put(url).body(zip.clone()).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 403);
    assert!(resp.text().await.unwrap().contains("SignatureDoesNotMatch"));
    // Content-Length required: a chunked body, or none at all, is 411.
    for framing in ["Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "\r\n"] {
        let (status, body) = raw_put(url, framing).await;
        assert_eq!(status, 411, "{framing:?}: {body}");
        assert!(body.contains("MissingContentLength"), "{body}");
    }
    assert_eq!(
        emulator.state().job("j").unwrap().phase,
        JobPhase::AwaitingUpload
    );
    // Too large.
    let (status, body) = api.put_zip(url, vec![0; 5000]).await;
    assert_eq!(status, 413, "{body}");
    // Unknown token.
    let (status, _) = api
        .put_zip(
            &format!("{}/__emulator/uploads/nope/selfie.zip", api.origin),
            zip.clone(),
        )
        .await;
    assert_eq!(status, 403);
    // Expired.
    clock.advance(Duration::from_secs(61));
    let (status, body) = api.put_zip(url, zip.clone()).await;
    assert_eq!(status, 403);
    assert!(body.contains("Request has expired"), "{body}");
    assert_eq!(
        emulator.state().job("j").unwrap().phase,
        JobPhase::AwaitingUpload
    );
    let (_, s) = api.job_status("u", "j", false, false).await;
    assert_eq!(s["job_complete"], false);
    assert_eq!(s["result"], "No zip uploaded");
}

#[tokio::test]
async fn bad_packages_fail_the_job() {
    let emulator = quick().await;
    emulator.state().enrol_user("u");
    let api = Api::new(&emulator);
    type MakeZip = Box<dyn Fn(&Value, &str) -> Vec<u8>>;
    let cases: Vec<(&str, MakeZip, &str, &str)> = vec![
        (
            "not-a-zip",
            Box::new(|_, _| b"hello".to_vec()),
            "0903",
            "not a readable zip",
        ),
        (
            "no-info",
            Box::new(|_, _| store_zip(&[("selfie.jpg", fixture("selfie.jpg"))])),
            "0903",
            "no info.json",
        ),
        (
            "missing-image",
            Box::new(|prep, job| package(prep, job, &Api::signed_static(), None)),
            "0001",
            "\"selfie.jpg\" is not in the zip",
        ),
        (
            "not-an-image",
            Box::new(|prep, job| {
                package(prep, job, &Api::signed_static(), Some(b"GIF89a".to_vec()))
            }),
            "0001",
            "not a JPEG or PNG",
        ),
        (
            "wrong-job",
            Box::new(|prep, _| {
                let selfie = fixture("selfie.jpg");
                package(prep, "other-job", &Api::signed_static(), Some(selfie))
            }),
            "0001",
            "do not match the prepared job",
        ),
        (
            "bad-signature",
            Box::new(|prep, job| {
                let signed = ("2024-01-01T00:00:00.000Z".into(), "AAAA".into());
                package(prep, job, &signed, Some(fixture("selfie.jpg")))
            }),
            "0001",
            "signature does not verify",
        ),
    ];
    for (job_id, make_zip, code, detail) in cases {
        let (status, prep) = api.prep("u", job_id, 2, &[], None).await;
        assert_eq!(status, 200);
        let (status, _) = api
            .put_zip(
                prep["upload_url"].as_str().unwrap(),
                make_zip(&prep, job_id),
            )
            .await;
        assert_eq!(status, 200, "the storage service does not look inside");
        let s = poll_complete(&api, "u", job_id, false).await;
        assert_eq!(s["result"]["ResultCode"], code, "{job_id}: {s}");
        assert_eq!(s["job_success"], false);
        let text = s["result"]["EmulatorDetail"].as_str().unwrap();
        assert!(text.contains(detail), "{job_id}: {text}");
    }
}

/// A zip of our info.json for job 2 `job_id` of user "u" (partner "001", `signed`) and, if
/// given, `selfie.jpg`.
fn package(
    prep: &Value,
    job_id: &str,
    signed: &(String, String),
    selfie: Option<Vec<u8>>,
) -> Vec<u8> {
    let info = info_json("001", prep, "u", job_id, 2, &[], None, signed);
    let mut entries = vec![("info.json", info.into_bytes())];
    entries.extend(selfie.map(|s| ("selfie.jpg", s)));
    store_zip(&entries)
}

impl Api {
    fn signed_static() -> (String, String) {
        let ts = timestamp();
        let sig = sign(
            smile_emulator::DEFAULT_API_KEY,
            smile_emulator::DEFAULT_PARTNER_ID,
            &ts,
        );
        (ts, sig)
    }
}

#[tokio::test]
async fn callbacks_retry_then_deliver_and_external_is_blocked() {
    let emulator = quick().await;
    emulator.state().enrol_user("u");
    let api = Api::new(&emulator);
    let mut rx = receiver(vec![500, 503]).await;
    api.submit("u", "j", 2, &[], Some(&rx.url)).await;
    for _ in 0..3 {
        let body = rx.next().await;
        assert_eq!(body["ResultCode"], "0820");
        assert!(verify(&api.api_key, &api.partner_id, &body));
    }
    // The log shows two rejections and a delivery.
    let mut log = Vec::new();
    for _ in 0..2000 {
        log = emulator.state().callbacks();
        if log.len() == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let outcomes: Vec<_> = log.iter().map(|r| (r.attempt, r.outcome.clone())).collect();
    assert_eq!(
        outcomes,
        [
            (1, CallbackOutcome::Rejected { status: 500 }),
            (2, CallbackOutcome::Rejected { status: 503 }),
            (3, CallbackOutcome::Delivered { status: 200 }),
        ]
    );

    api.submit(
        "u",
        "j-ext",
        2,
        &[],
        Some("https://callback.example.com/smile"),
    )
    .await;
    for _ in 0..2000 {
        if emulator.state().callbacks().len() == 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let last = emulator.state().callbacks().pop().unwrap();
    assert_eq!(last.job_id, "j-ext");
    assert!(
        matches!(last.outcome, CallbackOutcome::Blocked { .. }),
        "{last:?}"
    );
}

#[tokio::test]
async fn job_status_errors_and_image_links() {
    let emulator = quick().await;
    emulator.state().enrol_user("u");
    let api = Api::new(&emulator);
    api.submit("u", "j", 2, &[], None).await;
    let (status, body) = api.job_status("u", "unknown", false, false).await;
    assert_eq!(status, 404, "{body}");
    let (status, _) = api.job_status("someone-else", "j", false, false).await;
    assert_eq!(status, 404);
    let (status, body) = api
        .post("job_status", &json!({"partner_id": api.partner_id, "user_id": "u", "job_id": "j", "timestamp": "2024-01-01T00:00:00.000Z", "signature": "AAAA"}))
        .await;
    assert_eq!((status, body["code"].as_str()), (401, Some("2205")));
    let (status, body) = api.job_status("u", "j", false, true).await;
    assert_eq!(status, 200);
    let link = body["image_links"]["selfie_image"].as_str().unwrap();
    let image = api.http.get(link).send().await.unwrap();
    assert_eq!(image.headers()["content-type"], "image/jpeg");
    assert_eq!(image.bytes().await.unwrap().to_vec(), fixture("selfie.jpg"));
    assert!(body.get("history").is_none(), "history only on request");
}

#[tokio::test]
async fn json_body_limit_is_413() {
    let emulator = Emulator::builder()
        .max_json_body(1024)
        .start()
        .await
        .unwrap();
    let api = Api::new(&emulator);
    let big = format!("{{\"pad\":\"{}\"}}", "x".repeat(2000));
    let (status, body) = api.post_raw("upload", &big).await;
    assert_eq!(status, 413, "{body}");
}

#[tokio::test]
async fn timestamp_tolerance_when_configured() {
    let emulator = Emulator::builder()
        .timestamp_tolerance(Some(Duration::from_secs(900)))
        .start()
        .await
        .unwrap();
    emulator.state().enrol_user("u");
    let api = Api::new(&emulator);
    let old = api.prep_body_at("u", "j", 2, "2024-01-01T00:00:00.000Z");
    let (status, body) = api.post("upload", &Value::Object(old)).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("2205")),
        "{body}"
    );
    let (status, _) = api.prep("u", "j", 2, &[], None).await;
    assert_eq!(status, 200, "a fresh timestamp passes");
}

#[tokio::test]
async fn other_endpoints() {
    let emulator = quick().await;
    let api = Api::new(&emulator);
    let (ts, sig) = api.signed();
    let (status, body) = api
        .post("token", &json!({"partner_id": api.partner_id, "user_id": "u", "job_id": "t", "product": "biometric_kyc", "callback_url": "http://127.0.0.1:1/cb", "timestamp": ts, "signature": sig}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["success"], true);
    assert!(body["token"].as_str().unwrap().len() > 10);
    let (ts, sig) = api.signed();
    let (status, body) = api
        .post("token", &json!({"partner_id": api.partner_id, "user_id": "u", "job_id": "t", "timestamp": ts, "signature": sig}))
        .await;
    assert_eq!((status, body["code"].as_str()), (400, Some("2213")));

    let (ts, sig) = api.signed();
    let kyc = json!({"partner_id": api.partner_id, "partner_params": {"user_id": "u", "job_id": "k1", "job_type": 5}, "country": "NG", "id_type": "BVN", "id_number": "00000000000", "first_name": "Ada", "last_name": "Lovelace", "timestamp": ts, "signature": sig});
    let (status, body) = api.post("id_verification", &kyc).await;
    assert_eq!(status, 200, "{body}");
    assert!(verify(&api.api_key, &api.partner_id, &body));
    assert_eq!(body["ResultCode"], "1012");
    assert_eq!(body["Actions"]["Verify_ID_Number"], "Verified");
    assert_eq!(body["FullName"], "Ada Lovelace");
    let (status, body) = api.post("id_verification", &kyc).await;
    assert_eq!((status, body["code"].as_str()), (400, Some("2215")));
    let (_, s) = api.job_status("u", "k1", false, false).await;
    assert_eq!(s["result"]["ResultCode"], "1012");

    let mut rx = receiver(vec![]).await;
    let (ts, sig) = api.signed();
    let (status, body) = api
        .post("async_id_verification", &json!({"partner_id": api.partner_id, "partner_params": {"user_id": "u", "job_id": "k2", "job_type": "5", "emulator_result": "1013"}, "country": "NG", "id_type": "BVN", "id_number": "1", "callback_url": rx.url, "timestamp": ts, "signature": sig}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["success"], true);
    let cb = rx.next().await;
    assert_eq!(cb["ResultCode"], "1013");
    assert_eq!(cb["Actions"]["Verify_ID_Number"], "Not Verified");
    assert!(verify(&api.api_key, &api.partner_id, &cb));

    let (ts, sig) = api.signed();
    let (status, body) = api
        .post("business_verification", &json!({"partner_id": api.partner_id, "partner_params": {"user_id": "u", "job_id": "b1", "job_type": 7}, "country": "NG", "id_type": "BUSINESS_REGISTRATION", "id_number": "A000000", "business_type": "co", "timestamp": ts, "signature": sig}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["Actions"]["Verify_Business"], "Verified");
    assert!(body["company_information"].is_object());
    let (ts, sig) = api.signed();
    let (status, body) = api
        .post("business_verification", &json!({"partner_id": api.partner_id, "partner_params": {"user_id": "u", "job_id": "b2", "job_type": 7}, "country": "NG", "id_type": "BUSINESS_REGISTRATION", "id_number": "A000000", "business_type": "xx", "timestamp": ts, "signature": sig}))
        .await;
    assert_eq!((status, body["code"].as_str()), (400, Some("2413")));
    assert_eq!(body["error"], "Unsupported business type");
    let (ts, sig) = api.signed();
    let (status, body) = api
        .post("id_verification", &json!({"partner_id": api.partner_id, "partner_params": {"user_id": "u", "job_id": "k3", "job_type": 5}, "country": "NG", "id_type": "BVN", "id_number": "1", "timestamp": ts, "signature": "AAAA"}))
        .await;
    let _ = sig;
    assert_eq!((status, body["code"].as_str()), (401, Some("2405")));

    let services: Value = api
        .http
        .get(format!("{}/services", api.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(services["hosted_web"]["biometric_kyc"].is_object());
    let (ts, sig) = api.signed();
    let (status, body) = api
        .post(
            "valid_documents",
            &json!({"partner_id": api.partner_id, "timestamp": ts, "signature": sig}),
        )
        .await;
    assert_eq!(status, 200);
    assert!(!body["valid_documents"].as_array().unwrap().is_empty());
}

/// Delays and TTLs as large as `Duration` allows are clamped, not a panic.
#[tokio::test]
async fn extreme_delays_do_not_overflow() {
    let emulator = Emulator::builder()
        .processing_delay(Duration::ZERO)
        .review_delay(Duration::MAX)
        .upload_url_ttl(Duration::MAX)
        .callback_retries(3, Duration::MAX)
        .start()
        .await
        .unwrap();
    emulator.state().enrol_user("u");
    let api = Api::new(&emulator);
    api.submit("u", "j", 2, &[("emulator_result", "0822")], None)
        .await;
    let s = poll_complete(&api, "u", "j", false).await;
    assert_eq!(s["result"]["ResultCode"], "0822", "{s}");
    let (_, job) = api.control(reqwest::Method::GET, "jobs/j", None).await;
    assert_eq!(job["review_pending"], true, "{job}");

    let slow = Emulator::builder()
        .processing_delay(Duration::MAX)
        .start()
        .await
        .unwrap();
    slow.state().enrol_user("u");
    let api = Api::new(&slow);
    api.submit("u", "j", 2, &[], None).await;
    let (ts, sig) = api.signed();
    let (status, body) = api
        .post("async_id_verification", &json!({"partner_id": api.partner_id, "partner_params": {"user_id": "u", "job_id": "k", "job_type": "5"}, "country": "NG", "id_type": "BVN", "id_number": "1", "callback_url": "http://127.0.0.1:9/cb", "timestamp": ts, "signature": sig}))
        .await;
    assert_eq!(status, 200, "{body}");
    for job_id in ["j", "k"] {
        let (status, s) = api.job_status("u", job_id, false, false).await;
        assert_eq!(
            (status, s["job_complete"].as_bool()),
            (200, Some(false)),
            "{s}"
        );
    }
}

#[tokio::test]
async fn control_api() {
    let emulator = quick().await;
    let api = Api::new(&emulator);
    let (status, _) = api
        .control(
            reqwest::Method::POST,
            "users",
            Some(json!({"user_id": "u"})),
        )
        .await;
    assert_eq!(status, 201);
    assert!(emulator.state().user("u").is_some());
    let (status, body) = api
        .control(
            reqwest::Method::POST,
            "faults",
            Some(json!({"endpoint": "job_status", "status": 503, "times": 1})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["faults"][0]["endpoint"], "job_status");
    let (status, body) = api.job_status("u", "x", false, false).await;
    assert_eq!((status, body["code"].as_str()), (503, Some("2301")));
    let (status, _) = api
        .control(
            reqwest::Method::POST,
            "faults",
            Some(json!({"endpoint": "nope", "status": 503})),
        )
        .await;
    assert_eq!(status, 400);
    let (status, _) = api
        .control(
            reqwest::Method::POST,
            "faults",
            Some(json!({"endpoint": "upload", "colour": "red"})),
        )
        .await;
    assert_eq!(status, 400);
    let (status, body) = api
        .control(
            reqwest::Method::POST,
            "faults",
            Some(json!({"endpoint": "services", "status": 500, "times": 0})),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("\"times\": 0"),
        "{body}"
    );
    assert!(emulator.faults().list().is_empty());
    api.submit("u", "j", 2, &[("emulator_result", "0822")], None)
        .await;
    let (_, body) = api.control(reqwest::Method::GET, "jobs/j", None).await;
    assert_eq!(body["review_pending"], true);
    let (_, body) = api.control(reqwest::Method::POST, "review", None).await;
    assert_eq!(body["completed"], 1);
    let (_, body) = api.control(reqwest::Method::GET, "jobs/j", None).await;
    assert_eq!(body["result_codes"], json!(["0822", "1220"]));
    let (_, body) = api.control(reqwest::Method::GET, "state", None).await;
    assert_eq!(body["jobs"].as_array().unwrap().len(), 1);
    let (status, _) = api.control(reqwest::Method::POST, "reset", None).await;
    assert_eq!(status, 200);
    assert!(emulator.state().jobs().is_empty());
    let (status, _) = api.control(reqwest::Method::GET, "health", None).await;
    assert_eq!(status, 200);

    // A POST a web page could send cross-origin without a preflight is refused.
    emulator.state().enrol_user("v");
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
    ] {
        let mut req = api.http.post(format!("{}/__emulator/reset", api.origin));
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        let resp = req.body("{}").send().await.unwrap();
        assert_eq!(resp.status().as_u16(), 415, "{content_type:?}");
        let resp = api
            .http
            .post(format!("{}/__emulator/faults", api.origin))
            .body(r#"{"endpoint": "services", "status": 500}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 415);
    }
    assert!(emulator.state().user("v").is_some(), "nothing was reset");
    assert!(emulator.faults().list().is_empty());
    let resp = api
        .http
        .post(format!("{}/__emulator/reset", api.origin))
        .header("content-type", "application/json; charset=utf-8")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert!(emulator.state().user("v").is_none());
}

fn outcome_is_success(status: &Value) -> bool {
    status["job_success"] == true
}

#[tokio::test]
async fn biometric_kyc_and_document_jobs() {
    let emulator = quick().await;
    let api = Api::new(&emulator);
    let selfie_and_id = json!([
        {"image_type_id": 0, "image": "", "file_name": "selfie.jpg"},
        {"image_type_id": 1, "image": "", "file_name": "id_card_front.jpg"},
        {"image_type_id": 5, "image": "", "file_name": "id_card_back.jpg"}
    ]);
    let files = || {
        vec![
            ("selfie.jpg", fixture("selfie.jpg")),
            ("id_card_front.jpg", fixture("id_card_front.jpg")),
            ("id_card_back.jpg", fixture("id_card_back.jpg")),
        ]
    };
    let upload = |job_id: &'static str, job_type: u32, images: Value, id_info: Value| {
        let api = &api;
        async move {
            let (status, prep) = api.prep("kyc-user", job_id, job_type, &[], None).await;
            assert_eq!(status, 200, "{prep}");
            let info = info_json_with(api, &prep, "kyc-user", job_id, job_type, images, id_info);
            let mut entries = vec![("info.json", info.into_bytes())];
            entries.extend(files());
            let (status, _) = api
                .put_zip(prep["upload_url"].as_str().unwrap(), store_zip(&entries))
                .await;
            assert_eq!(status, 200);
            poll_complete(api, "kyc-user", job_id, true).await
        }
    };
    // Job 1 with ID details: the ID lookup is in the history, then the user is enrolled.
    let s = upload(
        "kyc",
        1,
        selfie_and_id.clone(),
        json!({"country": "NG", "id_type": "BVN", "id_number": "00000000000", "first_name": "Ada", "entered": "true"}),
    )
    .await;
    assert_eq!(s["result"]["ResultCode"], "0810");
    assert_eq!(s["result"]["ResultText"], "Enroll User");
    let history = s["history"].as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0]["ResultCode"], "1012");
    assert_eq!(history[0]["IDType"], "BVN");
    assert!(emulator.state().user("kyc-user").is_some());
    // Job 6: document verified.
    let s = upload(
        "doc",
        6,
        selfie_and_id.clone(),
        json!({"country": "NG", "id_type": "PASSPORT", "entered": "false"}),
    )
    .await;
    assert_eq!(s["result"]["ResultCode"], "0810");
    assert_eq!(s["result"]["ResultText"], "Document Verified");
    assert_eq!(s["result"]["Actions"]["Verify_Document"], "Passed");
    // Job 11: its result carries the ID details.
    let s = upload(
        "edv-ok",
        11,
        selfie_and_id.clone(),
        json!({"country": "NG", "id_type": "PASSPORT", "id_number": "A00000000", "first_name": "Ada", "last_name": "Lovelace", "dob": "1815-12-10", "entered": "true"}),
    )
    .await;
    assert!(
        outcome_is_success(&s),
        "job 11 should succeed by default: {s}"
    );
    assert_eq!(s["result"]["Country"], "NG", "{s}");
    assert_eq!(s["result"]["IDType"], "PASSPORT");
    assert_eq!(s["result"]["IDNumber"], "A00000000");
    assert_eq!(s["result"]["FullName"], "Ada Lovelace");
    assert_eq!(s["result"]["DOB"], "1815-12-10");
    // Job 11 without id_type: data invalid.
    let s = upload(
        "edv",
        11,
        selfie_and_id.clone(),
        json!({"country": "NG", "entered": "false"}),
    )
    .await;
    assert_eq!(s["result"]["ResultCode"], "0001");
    assert!(
        s["result"]["EmulatorDetail"]
            .as_str()
            .unwrap()
            .contains("id_type")
    );
    // Job 6 without an ID card front.
    let s = upload(
        "doc-no-id",
        6,
        json!([{"image_type_id": 0, "image": "", "file_name": "selfie.jpg"}]),
        json!({"country": "NG"}),
    )
    .await;
    assert_eq!(s["result"]["ResultCode"], "0001");
    // Job 6 reusing the enrolled selfie needs an enrolled user.
    let mut body = api.prep_body("stranger", "doc-enrolled", 6, None);
    body.insert("use_enrolled_image".into(), json!(true));
    let (status, body) = api.post("upload", &Value::Object(body)).await;
    assert_eq!((status, body["code"].as_str()), (400, Some("2210")));
    // Base64 images (types 2 and 3) work as well as files.
    let b64 = |name: &str| {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(fixture(name))
    };
    let s = upload(
        "doc-b64",
        6,
        json!([
            {"image_type_id": 2, "image": b64("selfie.jpg"), "file_name": ""},
            {"image_type_id": 3, "image": b64("id_card_front.jpg"), "file_name": ""}
        ]),
        json!({"country": "NG"}),
    )
    .await;
    assert_eq!(s["result"]["ResultCode"], "0810", "{s}");
}

#[tokio::test]
async fn enrolment_waits_for_an_approved_final_result() {
    let emulator = quick().await;
    let api = Api::new(&emulator);
    api.submit("u", "enrol", 4, &[("emulator_result", "0844")], None)
        .await;
    let s = poll_complete(&api, "u", "enrol", false).await;
    assert_eq!(s["result"]["ResultCode"], "0844");
    assert_eq!(s["result"]["Actions"]["Register_Selfie"], "Under Review");
    let (status, body) = api.prep("u", "auth-early", 2, &[], None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("2210")),
        "not enrolled yet"
    );
    emulator.state().complete_reviews();
    let (_, s) = api.job_status("u", "enrol", false, false).await;
    assert_eq!(s["result"]["ResultCode"], "1240");
    let (status, _) = api.prep("u", "auth", 2, &[], None).await;
    assert_eq!(status, 200, "enrolled after review");
    // A rejected enrolment enrols nobody.
    api.submit("v", "enrol-v", 4, &[("emulator_result", "0841")], None)
        .await;
    poll_complete(&api, "v", "enrol-v", false).await;
    assert!(emulator.state().user("v").is_none());
}

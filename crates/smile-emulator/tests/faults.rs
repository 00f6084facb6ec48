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

//! The SDK's tracing, captured for a whole job and a KYC call on both clients: one span per
//! job or call (job_id, smile_job_id, job type), events per step with the attempt and the
//! outcome, and none of the API key, a signature, image data, an id number or the query of
//! the presigned upload URL (in the SDK's own targets: HTTP libraries log on their own).

use std::io::Write;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use serde_json::json;
use smile_core::endpoint::IdVerification;
use smile_package::{Image, SubmitRequest};
use smile_tests::mock::{json_response, mount, received};
use smile_tests::{API_KEY, ClientKind, Setup, client, fixture, prep_response, signed_status};
use smile_types::{IdInfo, JobOptions, JobType, PartnerParams};
use wiremock::{MockServer, ResponseTemplate};

/// A `MakeWriter` appending everything to one buffer.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Capture {
        self.clone()
    }
}

#[tokio::test]
async fn a_whole_job_is_traced_without_secrets() {
    let capture = Capture::default();
    tracing_subscriber::fmt()
        .with_writer(capture.clone())
        // The SDK's own targets, at every level. (The HTTP libraries' own DEBUG logs, e.g.
        // ureq's, print request URIs, presigned queries included: the drivers' docs say so.)
        .with_env_filter(
            "smile_core=trace,smile_blocking=trace,smile_async=trace,smile_sign=trace,smile_package=trace",
        )
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
        .with_ansi(false)
        .init();

    let server = MockServer::start().await;
    let upload = format!(
        "{}/up/selfie.zip?X-Amz-Signature=presigned-secret-77",
        server.uri()
    );
    mount(
        &server,
        "POST",
        "/v1/upload",
        json_response(200, prep_response(&upload, "0000000001").to_string()),
    )
    .await;
    mount(&server, "PUT", "/up/selfie.zip", ResponseTemplate::new(200)).await;
    let done = signed_status(
        &json!({"job_complete": true, "job_success": true, "code": "2302", "result": {
            "ResultCode": "0820", "SmileJobID": "0000000001", "IsFinalResult": "true",
            "PartnerParams": {"user_id": "user-trace", "job_id": "job-trace", "job_type": 2}}}),
        "2024-01-01T00:00:05.000Z",
    );
    mount(&server, "POST", "/v1/job_status", json_response(200, done)).await;
    mount(
        &server,
        "POST",
        "/v1/id_verification",
        json_response(
            200,
            r#"{"ResultCode":"1012","SmileJobID":"0000000002","FullName":"Ada Lovelace"}"#,
        ),
    )
    .await;

    let selfie_b64 = base64::engine::general_purpose::STANDARD.encode(fixture("selfie.jpg"));
    let id_number = "22212345678";
    for kind in ClientKind::ALL {
        let api = client(kind, &Setup::new(format!("{}/v1", server.uri())));
        let request = SubmitRequest::new(
            PartnerParams::new(
                "user-trace",
                "job-trace",
                JobType::SmartSelfieAuthentication,
            ),
            vec![
                Image::selfie_base64(selfie_b64.clone()),
                Image::liveness_bytes(fixture("liveness_1.jpg")),
            ],
        )
        .with_options(JobOptions {
            return_job_status: true,
            ..JobOptions::default()
        });
        let outcome = api.submit(request).await.unwrap();
        assert!(outcome.is_final_approval());
        api.call(IdVerification::new(
            PartnerParams::new("user-trace", "kyc-trace", JobType::EnhancedKyc),
            IdInfo::verify("NG", "BVN", id_number),
        ))
        .await
        .unwrap();
    }

    let text = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    // What it shows: a span per job and call, with ids, and events per step.
    for needle in [
        "smile.job",
        "job_id=\"job-trace\"",
        "job_type=2",
        "smile_job_id=\"0000000001\"",
        "smile.call",
        "endpoint=\"POST /id_verification\"",
        "POST /upload",
        "PUT done",
        "poll=1",
        "attempt=1",
        "outcome=\"ok\"",
    ] {
        assert!(text.contains(needle), "the trace lacks {needle}:\n{text}");
    }
    // What it never shows.
    let mut secrets = vec![
        API_KEY.to_owned(),
        "presigned-secret-77".to_owned(),
        "X-Amz-Signature".to_owned(),
        id_number.to_owned(),
        selfie_b64[..24].to_owned(),
        selfie_b64[selfie_b64.len() / 2..selfie_b64.len() / 2 + 24].to_owned(),
    ];
    for r in received(&server).await {
        if let Ok(body) = serde_json::from_slice::<serde_json::Value>(&r.body)
            && let Some(sig) = body["signature"].as_str()
        {
            secrets.push(sig.to_owned());
        }
    }
    assert!(secrets.len() > 8, "signatures were collected");
    for s in &secrets {
        let lines: Vec<&str> = text
            .lines()
            .filter(|l| l.contains(s.as_str()))
            .take(3)
            .collect();
        assert!(
            lines.is_empty(),
            "the trace shows {s:?}:\n{}",
            lines.join("\n")
        );
    }
}

//! Both clients (blocking and async) against wiremock: the same scenario bodies, run once per
//! client, asserting the exact requests received and the typed outcome or error.

use std::time::Duration;

use serde_json::{Value, json};
use smile_core::{Error, JobOutcome, JobStatusOptions, PollPolicy, RequestKind, RetryPolicy};
use smile_package::read_upload_zip;
use smile_tests::mock::{json_response, mount, mount_then, received};
use smile_tests::{
    CALLBACK_URL, ClientKind, Received, Setup, both_clients, client, fixture, interop,
    json_headers_problem, prep_response, put_headers_problem, seed_entry_names, seed_request,
    signed_status, signer, status_sample,
};
use smile_types::{ActionKey, ActionResult, JobOptions, ResultCategory};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

both_clients!(
    seed_flow_with_history_and_image_links,
    submitted_after_exactly_two_requests,
    large_images_are_sent_byte_exact_with_a_fixed_length,
    prep_upload_error_codes,
    prep_upload_error_without_code,
    prep_upload_non_json_error,
    put_403_xml_twice_is_upload_failed,
    put_403_once_reprepares_and_succeeds,
    job_status_bad_signature,
    job_never_completes,
    result_given_as_a_string,
    get_job_status_verifies_signatures,
    slow_server_times_out,
    refused_before_any_request,
    prep_upload_redirect_is_not_followed,
    put_redirect_is_not_followed,
    job_status_redirect_is_not_followed,
    stopped_clock_still_reaches_the_deadline,
    upload_url_reqwest_would_rewrite,
);

// -- helpers ------------------------------------------------------------------------------------

const UPLOAD_PATH: &str = "/uploads/085/0000000001/selfie.zip";
const UPLOAD_QUERY: &str = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=3600&X-Amz-SignedHeaders=content-type%3Bhost&X-Amz-Signature=7c1f0b5e";

fn upload_url(server: &MockServer) -> String {
    format!("{}{UPLOAD_PATH}?{UPLOAD_QUERY}", server.uri())
}

fn setup(server: &MockServer) -> Setup {
    Setup::new(format!("{}/v1", server.uri()))
}

/// A successful prep upload handing out [`upload_url`].
fn prep_ok(server: &MockServer) -> ResponseTemplate {
    json_response(
        200,
        prep_response(&upload_url(server), "0000000001").to_string(),
    )
}

async fn mount_prep_ok(server: &MockServer) {
    mount(server, "POST", "/v1/upload", prep_ok(server)).await;
}

async fn mount_put_ok(server: &MockServer) {
    mount(server, "PUT", UPLOAD_PATH, ResponseTemplate::new(200)).await;
}

/// The `body_text` of a job-status sample.
fn sample_text(name: &str) -> String {
    status_sample(name)["body_text"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A server answering `POST /upload` with `response`, and the error of submitting the seed
/// job (with a callback) to it.
async fn prep_upload_fails(kind: ClientKind, response: ResponseTemplate) -> (MockServer, Error) {
    let server = MockServer::start().await;
    mount(&server, "POST", "/v1/upload", response).await;
    let err = submit_err(kind, &server, callback_options()).await;
    (server, err)
}

/// Submits the seed job with `options` through a client set up for `server`; it must fail.
async fn submit_err(kind: ClientKind, server: &MockServer, options: JobOptions) -> Error {
    client(kind, &setup(server))
        .submit(seed_request(options))
        .await
        .unwrap_err()
}

fn paths(reqs: &[Received]) -> Vec<String> {
    reqs.iter()
        .map(|r| format!("{} {}", r.method, r.path()))
        .collect()
}

fn polling_options() -> JobOptions {
    JobOptions {
        return_job_status: true,
        callback_url: Some(CALLBACK_URL.into()),
        ..JobOptions::default()
    }
}

fn callback_options() -> JobOptions {
    JobOptions {
        callback_url: Some(CALLBACK_URL.into()),
        ..JobOptions::default()
    }
}

/// The provisional (0824) product-page sample with history and image links, re-targeted at the
/// canonical job (the signature covers only the timestamp, so it stays valid).
fn provisional_for_canonical_job() -> String {
    let sample = status_sample("provisional_with_history_and_image_links");
    let mut body = sample["body"].clone();
    let retarget = |entry: &mut Value| {
        entry["PartnerParams"]["job_id"] = "job-0002".into();
        entry["PartnerParams"]["user_id"] = "user-0001".into();
        entry["SmileJobID"] = "0000000001".into();
    };
    retarget(&mut body["result"]);
    body["history"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .for_each(retarget);
    body["smile_job_id"] = "0000000001".into();
    body.to_string()
}

fn incomplete_body(n: u32) -> String {
    signed_status(
        &json!({"job_complete": false, "job_success": false, "code": "2302", "result": null}),
        &format!("2024-01-01T00:00:0{n}.000Z"),
    )
}

// -- scenarios ----------------------------------------------------------------------------------

/// The seed flow: 1 selfie + 8 liveness files, return_job_status with history and image links,
/// polled until complete; every request checked.
async fn seed_flow_with_history_and_image_links(kind: ClientKind) {
    let server = MockServer::start().await;
    mount_prep_ok(&server).await;
    mount_put_ok(&server).await;
    mount_then(
        &server,
        "POST",
        "/v1/job_status",
        (json_response(200, incomplete_body(1)), 2),
        json_response(200, provisional_for_canonical_job()),
    )
    .await;

    let api = client(kind, &setup(&server));
    let options = JobOptions {
        return_history: true,
        return_image_links: true,
        ..polling_options()
    };
    let outcome = api
        .submit(seed_request(options))
        .await
        .expect("job completes");

    let reqs = received(&server).await;
    assert_eq!(
        paths(&reqs),
        [
            "POST /v1/upload",
            &format!("PUT {UPLOAD_PATH}"),
            "POST /v1/job_status",
            "POST /v1/job_status",
            "POST /v1/job_status"
        ]
    );

    // 1. The prep upload: the canonical bytes (same inputs, same virtual time)...
    let prep = &reqs[0];
    assert_eq!(json_headers_problem(prep), None);
    let canonical = interop("canonical_job2.json");
    let want = canonical["prep_upload"]["body_text"]
        .as_str()
        .unwrap()
        .replace(
            "\"source_sdk_version\":\"0.1.0\"",
            &format!("\"source_sdk_version\":\"{}\"", smile_core::SDK_VERSION),
        );
    assert_eq!(prep.text(), want);
    // ...and the same keys and values as the official SDKs' bodies, except where docs/protocol.md §5.3
    // says ours differs (no id_info spread, `retry` added, our source_sdk).
    let ours = prep.json();
    for file in ["prep_upload_node.json", "prep_upload_python.json"] {
        let official = &interop(file)["variants"][0]["body"];
        let variable = ["timestamp", "signature", "source_sdk", "source_sdk_version"];
        let mut official_keys: Vec<&str> = official
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .filter(|k| *k != "entered")
            .collect();
        official_keys.push("retry");
        official_keys.sort_unstable();
        let mut our_keys: Vec<&str> = ours
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        our_keys.sort_unstable();
        assert_eq!(our_keys, official_keys, "{file}");
        for (k, v) in official.as_object().unwrap() {
            if variable.contains(&k.as_str()) || k == "entered" {
                continue;
            }
            if k == "partner_params" {
                assert_eq!(ours[k]["job_type"], v["job_type"], "{file}");
                assert_eq!(ours[k]["user_id"], v["user_id"], "{file}");
                continue;
            }
            assert_eq!(&ours[k], v, "{file}: {k}");
        }
        assert_eq!(ours["retry"], false);
        assert_eq!(ours["source_sdk"], "rust");
    }

    // 2. The PUT: verbatim URL, only the allowed headers, a zip with every image byte for byte.
    let put = &reqs[1];
    assert_eq!(put.path_and_query, format!("{UPLOAD_PATH}?{UPLOAD_QUERY}"));
    assert_eq!(put_headers_problem(put, kind), None, "{:?}", put.headers);
    let zip = read_upload_zip(&put.body).expect("a valid upload zip");
    assert!(zip.info_json_first);
    let names: Vec<&str> = zip.entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, seed_entry_names());
    for e in &zip.entries {
        assert_eq!(
            e.data,
            fixture(&e.name),
            "{} differs from the fixture",
            e.name
        );
    }
    let misc = &zip.info["misc_information"];
    assert_eq!(misc["timestamp"], ours["timestamp"]);
    assert_eq!(misc["signature"], ours["signature"]);
    assert_eq!(misc["retry"], "false");
    assert_eq!(misc["callback_url"], CALLBACK_URL);
    assert_eq!(
        zip.info["server_information"],
        prep_response(&upload_url(&server), "0000000001")
    );
    assert_eq!(zip.info["id_info"], json!({"entered": "false"}));
    let types: Vec<u64> = zip.info["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["image_type_id"].as_u64().unwrap())
        .collect();
    assert_eq!(types, [0, 4, 4, 4, 4, 4, 4, 4, 4]);

    // 3. The polls: first at once, then every 2 s (virtual time), each signed afresh.
    let mut stamps = Vec::new();
    for poll in &reqs[2..] {
        assert_eq!(json_headers_problem(poll), None);
        let b = poll.json();
        assert_eq!(
            b.as_object().unwrap().keys().collect::<Vec<_>>(),
            [
                "partner_id",
                "user_id",
                "job_id",
                "image_links",
                "history",
                "timestamp",
                "signature"
            ]
        );
        assert_eq!(
            (b["user_id"].as_str(), b["job_id"].as_str()),
            (Some("user-0001"), Some("job-0002"))
        );
        assert_eq!(
            (b["history"].as_bool(), b["image_links"].as_bool()),
            (Some(true), Some(true))
        );
        let ts = b["timestamp"].as_str().unwrap().to_owned();
        assert_eq!(b["signature"], signer().sign(&ts));
        stamps.push(ts);
    }
    assert_eq!(
        stamps,
        [
            "2024-01-01T00:00:00.000Z",
            "2024-01-01T00:00:00.250Z",
            "2024-01-01T00:00:00.750Z"
        ]
    );

    // 4. The typed, interpreted result: 0824 is provisional (suspected spoof, under review).
    let JobOutcome::Completed {
        smile_job_id,
        status,
        interpretation,
        ..
    } = &outcome
    else {
        panic!("{outcome:?}")
    };
    assert_eq!(smile_job_id.as_str(), "0000000001");
    assert_eq!(interpretation.code.as_ref().unwrap().as_str(), "0824");
    assert_eq!(interpretation.category, ResultCategory::SpoofSuspected);
    assert!(!interpretation.is_final && !outcome.is_final() && !outcome.is_final_approval());
    let result = outcome.result().unwrap();
    let actions = result.actions.as_ref().unwrap();
    assert_eq!(
        actions.get(&ActionKey::LivenessCheck),
        &ActionResult::UnderReview
    );
    assert_eq!(
        actions.get(&ActionKey::SelfieToRegisteredSelfieCompare),
        &ActionResult::Completed
    );
    assert_eq!(
        actions.get(&ActionKey::VerifyIdNumber),
        &ActionResult::NotApplicable
    );
    assert_eq!(status.history.len(), 1);
    assert!(status.image_links.as_ref().unwrap().selfie_image.is_some());
    assert_eq!(status.job_success(), Some(true));
}

/// return_job_status false: {success, smile_job_id} after exactly two requests.
async fn submitted_after_exactly_two_requests(kind: ClientKind) {
    let server = MockServer::start().await;
    mount_prep_ok(&server).await;
    mount_put_ok(&server).await;
    let api = client(kind, &setup(&server));
    let outcome = api.submit(seed_request(callback_options())).await.unwrap();
    let JobOutcome::Submitted {
        smile_job_id,
        user_id,
        job_id,
        ..
    } = &outcome
    else {
        panic!("{outcome:?}")
    };
    assert_eq!(smile_job_id.as_str(), "0000000001");
    assert_eq!(
        (user_id.as_str(), job_id.as_str()),
        ("user-0001", "job-0002")
    );
    assert!(!outcome.is_final());
    let reqs = received(&server).await;
    assert_eq!(
        paths(&reqs),
        ["POST /v1/upload", &format!("PUT {UPLOAD_PATH}")]
    );
}

/// A job whose images are large (the bench's: a 287 KB selfie file, 74 KB frames as bytes and
/// as shared base64 text), so that the zip is many chunks and most of them are the images' own
/// bytes: each client sends them with a fixed `Content-Length`, never chunked transfer
/// encoding (presigned storage URLs refuse it), and the body is exactly `build_zip`'s bytes.
async fn large_images_are_sent_byte_exact_with_a_fixed_length(kind: ClientKind) {
    use base64::Engine as _;
    use smile_package::{Image, SubmitRequest, UploadContext};
    use smile_types::{JobType, PartnerId, PartnerParams};

    let server = MockServer::start().await;
    mount_prep_ok(&server).await;
    mount_put_ok(&server).await;
    let dir = smile_testdata::bench_dir();
    let frame = |n: usize| std::fs::read(dir.join(format!("liveness_large_{n}.jpg"))).unwrap();
    let mut images = vec![Image::selfie_file(dir.join("selfie_large.jpg"))];
    for n in 1..=8 {
        images.push(if n % 2 == 0 {
            Image::liveness_bytes(frame(n))
        } else {
            let text = base64::engine::general_purpose::STANDARD.encode(frame(n));
            Image::liveness_base64(std::sync::Arc::<str>::from(text))
        });
    }
    let request = SubmitRequest::new(
        PartnerParams::new("user-0001", "job-0002", JobType::SmartSelfieAuthentication),
        images,
    )
    .with_options(callback_options());
    let api = client(kind, &setup(&server));
    api.submit(request.clone()).await.unwrap();

    let reqs = received(&server).await;
    assert_eq!(
        paths(&reqs),
        ["POST /v1/upload", &format!("PUT {UPLOAD_PATH}")]
    );
    let put = &reqs[1];
    assert_eq!(put_headers_problem(put, kind), None, "{:?}", put.headers);
    assert_eq!(put.header("transfer-encoding"), None);
    // The zip the SDK would build from the same job and prep upload, in one buffer.
    let prep = reqs[0].json();
    let response = prep_response(&upload_url(&server), "0000000001");
    let partner = PartnerId::new(smile_tests::PARTNER_ID);
    let ctx = UploadContext::new(
        &partner,
        prep["timestamp"].as_str().unwrap(),
        prep["signature"].as_str().unwrap(),
        response.as_object().unwrap(),
    );
    let job = request.validate().unwrap();
    let want = job.build_zip(&ctx).unwrap();
    assert!(want.len() > 900_000, "{} bytes", want.len());
    assert_eq!(put.body.len(), want.len());
    assert!(
        put.body == want,
        "the PUT body differs from build_zip's bytes"
    );
    let chunks = job.build_zip_chunks(&ctx).unwrap();
    assert!(
        chunks.len() >= 12,
        "many chunks were sent: {}",
        chunks.len()
    );
}

/// 4xx with a Smile code: 2205 and 2210 are API errors, 2215 is JobAlreadyExists. Never retried.
async fn prep_upload_error_codes(kind: ClientKind) {
    for (status, code, text) in [
        (401, "2205", "You're not authorized to do that."),
        (400, "2210", "No enrolled user found"),
        (
            400,
            "2215",
            "Job already exists. Did you mean to set the retry flag to true?",
        ),
    ] {
        let body = json!({"error": text, "code": code}).to_string();
        let (server, err) = prep_upload_fails(kind, json_response(status, body)).await;
        assert_eq!(err.code(), Some(code));
        if code == "2215" {
            let Error::JobAlreadyExists { job_id, message } = &err else {
                panic!("{err:?}")
            };
            assert_eq!(job_id.as_str(), "job-0002");
            assert_eq!(message.as_deref(), Some(text));
            assert!(err.to_string().contains("already exists"), "{err}");
        } else {
            let Error::Api {
                status: s,
                message,
                during,
                smile_job_id,
                ..
            } = &err
            else {
                panic!("{err:?}")
            };
            assert_eq!(s.as_u16(), status);
            assert_eq!(message.as_deref(), Some(text));
            assert_eq!(*during, RequestKind::PrepUpload);
            assert!(smile_job_id.is_none());
            assert!(
                err.to_string().contains(code) && err.to_string().contains(text),
                "{err}"
            );
        }
        assert_eq!(received(&server).await.len(), 1, "{code}: no retry, no PUT");
    }
}

/// An error body without a code.
async fn prep_upload_error_without_code(kind: ClientKind) {
    let forbidden = json_response(403, r#"{"error":"Forbidden"}"#);
    let (_server, err) = prep_upload_fails(kind, forbidden).await;
    let Error::Api {
        status,
        code,
        message,
        body,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(
        (status.as_u16(), code, message.as_deref()),
        (403, &None, Some("Forbidden"))
    );
    assert_eq!(body, r#"{"error":"Forbidden"}"#);
    assert!(!err.is_transient());
}

/// A non-JSON (HTML) error body: the status survives, the body is kept.
async fn prep_upload_non_json_error(kind: ClientKind) {
    let html = sample_text("error_non_json_html");
    let response = ResponseTemplate::new(504).set_body_raw(html.clone().into_bytes(), "text/html");
    let (server, err) = prep_upload_fails(kind, response).await;
    let Error::Api {
        status,
        code,
        message,
        body,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(status.as_u16(), 504);
    assert!(code.is_none() && message.is_none());
    assert_eq!(body, &html);
    assert!(err.is_transient(), "504 is transient");
    assert!(err.to_string().contains("504"), "{err}");
    assert_eq!(
        received(&server).await.len(),
        1,
        "POST /upload is never retried"
    );
}

/// A PUT answered 403 with S3's XML, twice (after the one re-prep): UploadFailed with the body.
async fn put_403_xml_twice_is_upload_failed(kind: ClientKind) {
    let server = MockServer::start().await;
    let xml = sample_text("put_expired_url_s3_xml");
    mount_prep_ok(&server).await;
    let expired =
        ResponseTemplate::new(403).set_body_raw(xml.clone().into_bytes(), "application/xml");
    mount(&server, "PUT", UPLOAD_PATH, expired).await;
    let err = submit_err(kind, &server, callback_options()).await;
    let Error::UploadFailed {
        smile_job_id,
        job_id,
        status,
        body,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(smile_job_id.as_str(), "0000000001");
    assert_eq!(job_id.as_str(), "job-0002");
    assert_eq!(status.map(|s| s.as_u16()), Some(403));
    assert_eq!(body, &xml);
    assert!(err.job_may_exist());
    assert!(err.to_string().contains("Request has expired"), "{err}");
    let reqs = received(&server).await;
    assert_eq!(
        paths(&reqs),
        [
            "POST /v1/upload",
            &format!("PUT {UPLOAD_PATH}"),
            "POST /v1/upload",
            &format!("PUT {UPLOAD_PATH}")
        ]
    );
    assert_eq!(reqs[0].json()["retry"], false);
    assert_eq!(reqs[2].json()["retry"], true);
}

/// One expired URL: re-prep with retry true, a new info.json and zip, PUT to the new URL.
async fn put_403_once_reprepares_and_succeeds(kind: ClientKind) {
    let server = MockServer::start().await;
    let xml = sample_text("put_expired_url_s3_xml");
    let second = format!(
        "{}/uploads/second/selfie.zip?X-Amz-Signature=2",
        server.uri()
    );
    let second_prep = json_response(200, prep_response(&second, "0000000001").to_string());
    mount_then(
        &server,
        "POST",
        "/v1/upload",
        (prep_ok(&server), 1),
        second_prep,
    )
    .await;
    let expired = ResponseTemplate::new(403).set_body_raw(xml.into_bytes(), "application/xml");
    mount(&server, "PUT", UPLOAD_PATH, expired).await;
    let put_ok = ResponseTemplate::new(200);
    mount(&server, "PUT", "/uploads/second/selfie.zip", put_ok).await;
    let outcome = client(kind, &setup(&server))
        .submit(seed_request(callback_options()))
        .await
        .unwrap();
    assert!(matches!(outcome, JobOutcome::Submitted { .. }));
    let reqs = received(&server).await;
    assert_eq!(reqs.len(), 4);
    let zip = read_upload_zip(&reqs[3].body).unwrap();
    assert_eq!(
        reqs[3].path_and_query,
        "/uploads/second/selfie.zip?X-Amz-Signature=2"
    );
    assert_eq!(zip.info["misc_information"]["retry"], "true");
    assert_eq!(
        zip.info["misc_information"]["signature"],
        reqs[2].json()["signature"]
    );
    assert_eq!(zip.info["server_information"]["upload_url"], second);
    assert_eq!(zip.entries.len(), 9);
}

/// A job-status response whose signature does not verify ends the call at once.
async fn job_status_bad_signature(kind: ClientKind) {
    let server = MockServer::start().await;
    mount_prep_ok(&server).await;
    mount_put_ok(&server).await;
    let bad = sample_text("bad_response_signature");
    mount(&server, "POST", "/v1/job_status", json_response(200, bad)).await;
    let err = submit_err(kind, &server, polling_options()).await;
    let Error::ResponseSignatureInvalid {
        smile_job_id,
        job_id,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(smile_job_id.as_ref().unwrap().as_str(), "0000000001");
    assert_eq!(job_id.as_str(), "job-0002");
    assert!(err.to_string().contains("invalid signature"), "{err}");
    assert_eq!(received(&server).await.len(), 3, "one poll, not retried");
}

/// A job that never completes: the deadline is reached and the last status returned.
async fn job_never_completes(kind: ClientKind) {
    let server = MockServer::start().await;
    mount_prep_ok(&server).await;
    mount_put_ok(&server).await;
    let incomplete = json_response(200, incomplete_body(1));
    mount(&server, "POST", "/v1/job_status", incomplete).await;
    let mut s = setup(&server);
    s.poll_policy = Some(PollPolicy::official().with_deadline(Duration::from_secs(20)));
    let err = client(kind, &s)
        .submit(seed_request(polling_options()))
        .await
        .unwrap_err();
    // Polls at 0, 2, 4, 6, 8, 12, 16 s; the next (20 s) would not start before the deadline.
    let Error::PollTimeout {
        smile_job_id,
        job_id,
        polls,
        elapsed,
        last_status,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(*polls, 7);
    assert_eq!(*elapsed, Duration::from_secs(16));
    assert_eq!(smile_job_id.as_str(), "0000000001");
    assert_eq!(job_id.as_str(), "job-0002");
    let last = last_status.as_ref().expect("last status");
    assert_eq!(last.job_complete(), Some(false));
    assert!(err.to_string().contains("did not complete"), "{err}");
    assert_eq!(received(&server).await.len(), 9);
}

/// `result` as a string: while incomplete, polling goes on; once complete, NoResult names it.
async fn result_given_as_a_string(kind: ClientKind) {
    let server = MockServer::start().await;
    mount_prep_ok(&server).await;
    mount_put_ok(&server).await;
    let processing = sample_text("incomplete_result_string");
    let complete = signed_status(
        &json!({"job_complete": true, "job_success": false, "result": "No zip uploaded"}),
        "2024-01-01T00:00:03.000Z",
    );
    mount_then(
        &server,
        "POST",
        "/v1/job_status",
        (json_response(200, processing), 1),
        json_response(200, complete),
    )
    .await;
    let err = submit_err(kind, &server, polling_options()).await;
    let Error::NoResult {
        smile_job_id,
        message,
        status,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(smile_job_id.as_str(), "0000000001");
    assert_eq!(message.as_deref(), Some("No zip uploaded"));
    assert_eq!(status.job_success(), Some(false));
    assert!(err.to_string().contains("No zip uploaded"), "{err}");
    assert_eq!(received(&server).await.len(), 4);
}

/// get_job_status: signed answers are accepted, others refused; transient failures retried.
async fn get_job_status_verifies_signatures(kind: ClientKind) {
    let server = MockServer::start().await;
    let ok = sample_text("complete_success_0820");
    let unavailable = ResponseTemplate::new(503).insert_header("retry-after", "1");
    mount_then(
        &server,
        "POST",
        "/v1/job_status",
        (unavailable, 1),
        json_response(200, ok),
    )
    .await;
    let api = client(kind, &setup(&server));
    let st = api
        .get_job_status("user-0001", "job-0002-a", JobStatusOptions::all())
        .await
        .unwrap();
    assert!(st.is_complete());
    let i = st.interpret(None).unwrap();
    assert_eq!(
        (i.code.unwrap().as_str(), i.category, i.is_final),
        ("0820", ResultCategory::Approved, true)
    );
    let reqs = received(&server).await;
    assert_eq!(reqs.len(), 2);
    assert_ne!(
        reqs[0].json()["timestamp"],
        reqs[1].json()["timestamp"],
        "each attempt signed afresh"
    );
    assert_eq!(reqs[1].json()["history"], true);

    let server = MockServer::start().await;
    let missing = sample_text("missing_signature");
    mount(
        &server,
        "POST",
        "/v1/job_status",
        json_response(200, missing),
    )
    .await;
    let err = client(kind, &setup(&server))
        .get_job_status("user-0001", "job-0002-a", JobStatusOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::ResponseSignatureInvalid { .. }),
        "{err:?}"
    );
}

/// The request timeout applies (real time: the mock answers after 5 s, the client gives up
/// after 300 ms).
async fn slow_server_times_out(kind: ClientKind) {
    let server = MockServer::start().await;
    let slow = json_response(200, "{}").set_delay(Duration::from_secs(5));
    mount(&server, "POST", "/v1/job_status", slow).await;
    let mut s = setup(&server);
    s.request_timeout = Some(Duration::from_millis(300));
    s.retry_policy = RetryPolicy::none();
    let err = client(kind, &s)
        .get_job_status("user-0001", "job-0002", JobStatusOptions::default())
        .await
        .unwrap_err();
    let Error::Transport { source, during, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(*during, RequestKind::JobStatus);
    assert_eq!(
        source.kind(),
        smile_core::TransportFailureKind::Timeout,
        "{source:?}"
    );
}

/// Neither a callback (job or client default) nor return_job_status, or any other invalid
/// input: refused with every problem listed, and the server sees nothing.
async fn refused_before_any_request(kind: ClientKind) {
    let server = MockServer::start().await;
    mount_prep_ok(&server).await;
    let api = client(kind, &setup(&server));
    let err = api
        .submit(seed_request(JobOptions::default()))
        .await
        .unwrap_err();
    let Error::InvalidInput { problems } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(problems.codes().collect::<Vec<_>>(), ["callback.missing"]);
    assert!(err.to_string().contains("nothing was sent"), "{err}");

    let mut bad = seed_request(JobOptions {
        return_history: true,
        ..JobOptions::default()
    });
    bad.images
        .push(smile_package::Image::selfie_file("/no/such/selfie.jpg"));
    let err = api.submit(bad).await.unwrap_err();
    let Error::InvalidInput { problems } = &err else {
        panic!("{err:?}")
    };
    let codes: Vec<&str> = problems.codes().collect();
    for want in [
        "images.selfie.multiple",
        "images.file.not_found",
        "callback.missing",
        "options.return_history.requires_return_job_status",
    ] {
        assert!(codes.contains(&want), "{want} missing from {codes:?}");
    }
    assert!(received(&server).await.is_empty());

    // With a client default callback the same job goes through.
    let mut s = setup(&server);
    s.default_callback = Some("https://callback.example.com/default".into());
    mount_put_ok(&server).await;
    let outcome = client(kind, &s)
        .submit(seed_request(JobOptions::default()))
        .await
        .unwrap();
    assert!(matches!(outcome, JobOutcome::Submitted { .. }));
    assert_eq!(
        received(&server).await[0].json()["callback_url"],
        "https://callback.example.com/default"
    );
}

// -- redirects (docs/protocol.md §2.2: never followed) -----------------------------------------------

const ELSEWHERE: &str = "/elsewhere";

/// A server whose `ELSEWHERE` path would answer anything with 200.
async fn server_with_redirect_target() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::path_regex(format!("^{ELSEWHERE}")))
        .respond_with(ResponseTemplate::new(200))
        .with_priority(1)
        .mount(&server)
        .await;
    server
}

/// A 307 to `ELSEWHERE` on the same server.
fn redirect(server: &MockServer) -> ResponseTemplate {
    ResponseTemplate::new(307).insert_header("location", format!("{}{ELSEWHERE}/x", server.uri()))
}

/// No request reached the redirect target.
async fn assert_not_followed(server: &MockServer) {
    let reqs = received(server).await;
    let followed: Vec<_> = reqs
        .iter()
        .filter(|r| r.path().starts_with(ELSEWHERE))
        .collect();
    assert!(followed.is_empty(), "{:?}", paths(&reqs));
}

async fn prep_upload_redirect_is_not_followed(kind: ClientKind) {
    let server = server_with_redirect_target().await;
    mount(&server, "POST", "/v1/upload", redirect(&server)).await;
    let err = submit_err(kind, &server, callback_options()).await;
    assert!(
        matches!(&err, Error::Api { during: RequestKind::PrepUpload, status, smile_job_id: None, .. } if status.as_u16() == 307),
        "{err:?}"
    );
    assert_not_followed(&server).await;
    assert_eq!(received(&server).await.len(), 1, "not retried");
}

async fn put_redirect_is_not_followed(kind: ClientKind) {
    let server = server_with_redirect_target().await;
    mount_prep_ok(&server).await;
    mount(&server, "PUT", UPLOAD_PATH, redirect(&server)).await;
    let err = submit_err(kind, &server, callback_options()).await;
    let Error::UploadFailed {
        smile_job_id,
        status,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(status.map(|s| s.as_u16()), Some(307));
    assert_eq!(smile_job_id.as_str(), "0000000001");
    assert_not_followed(&server).await;
    assert_eq!(
        paths(&received(&server).await),
        ["POST /v1/upload", &format!("PUT {UPLOAD_PATH}")]
    );
}

async fn job_status_redirect_is_not_followed(kind: ClientKind) {
    let server = server_with_redirect_target().await;
    mount_prep_ok(&server).await;
    mount_put_ok(&server).await;
    mount(&server, "POST", "/v1/job_status", redirect(&server)).await;
    let err = submit_err(kind, &server, polling_options()).await;
    assert!(
        matches!(&err, Error::Api { during: RequestKind::JobStatus, status, smile_job_id: Some(id), .. } if status.as_u16() == 307 && id.as_str() == "0000000001"),
        "{err:?}"
    );
    assert_not_followed(&server).await;
    assert_eq!(received(&server).await.len(), 3, "one poll, not retried");

    // get_job_status alone: the same.
    let server = server_with_redirect_target().await;
    mount(&server, "POST", "/v1/job_status", redirect(&server)).await;
    let err = client(kind, &setup(&server))
        .get_job_status("user-0001", "job-0002", JobStatusOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Api { during: RequestKind::JobStatus, status, .. } if status.as_u16() == 307),
        "{err:?}"
    );
    assert_not_followed(&server).await;
}

// -- time -------------------------------------------------------------------------------------

/// A virtual clock that the sleep hook never advances (a `FixedClock` given without such a
/// hook): polling still ends at the deadline, counted in waits (this used to poll forever).
async fn stopped_clock_still_reaches_the_deadline(kind: ClientKind) {
    let server = MockServer::start().await;
    mount_prep_ok(&server).await;
    mount_put_ok(&server).await;
    let incomplete = json_response(200, incomplete_body(1));
    mount(&server, "POST", "/v1/job_status", incomplete).await;
    let mut s = setup(&server);
    s.poll_policy = Some(PollPolicy::official().with_deadline(Duration::from_secs(20)));
    s.clock_stopped = true;
    let err = client(kind, &s)
        .submit(seed_request(polling_options()))
        .await
        .unwrap_err();
    // As in job_never_completes: polls at 0, 2, 4, 6, 8, 12, 16 s of waiting.
    let Error::PollTimeout { polls, elapsed, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!((*polls, *elapsed), (7, Duration::from_secs(16)));
    assert_eq!(received(&server).await.len(), 9);
}

// -- the upload URL is used verbatim (docs/protocol.md §1.1) ----------------------------------------

/// An upload URL with a `..` segment: the blocking client sends it as given; reqwest would
/// normalise it, so the async client refuses to send it (InvalidRequest, nothing sent).
async fn upload_url_reqwest_would_rewrite(kind: ClientKind) {
    let server = MockServer::start().await;
    let url = format!("{}/uploads/a/../selfie.zip?X-Amz-Signature=1", server.uri());
    let prep = json_response(200, prep_response(&url, "0000000001").to_string());
    mount(&server, "POST", "/v1/upload", prep).await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let result = client(kind, &setup(&server))
        .submit(seed_request(callback_options()))
        .await;
    let puts = received(&server)
        .await
        .iter()
        .filter(|r| r.method == "PUT")
        .count();
    match kind {
        ClientKind::Blocking => {
            assert!(result.is_ok(), "{result:?}");
            assert_eq!(puts, 1);
        }
        ClientKind::Async => {
            let err = result.unwrap_err();
            let Error::UploadFailed {
                status: None,
                source: Some(f),
                ..
            } = &err
            else {
                panic!("{err:?}")
            };
            assert_eq!(f.kind(), smile_core::TransportFailureKind::InvalidRequest);
            assert_eq!(puts, 0, "nothing sent");
        }
    }
}

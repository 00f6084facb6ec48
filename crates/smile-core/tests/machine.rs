//! State-machine tests with no I/O: every transition of `SubmitJob` and `GetJobStatus`, driven
//! by a scripted fake server and a virtual clock.

use std::collections::VecDeque;
use std::time::{Duration, SystemTime};

use serde_json::{Value, json};
use smile_core::endpoint::JobStatus;
use smile_core::{
    ClientConfig, Error, GetJobStatus, HttpRequest, HttpResponse, JobOutcome, JobStatusOptions,
    Machine, PollPolicy, RequestKind, RetryPolicy, Step, SubmitJob, TransportFailure,
    TransportFailureKind, request_kind, request_timeout,
};
use smile_package::{Image, SubmitRequest, read_upload_zip};
use smile_sign::{Signer, format_timestamp};
use smile_types::{JobOptions, JobType, PartnerId, PartnerParams, ResultCategory};

use smile_testdata::{API_KEY as KEY, PARTNER_ID as PARTNER, fixture, fixture_path, interop, t0};

const UPLOAD_URL: &str =
    "https://smile-uploads-example.s3.amazonaws.com/videos/085/x/selfie.zip?X-Amz-Signature=abc";

/// The machine tests run on the official SDKs' poll schedule (2 s ×4, then 4 s), whose
/// round numbers make the timelines easy to read; the default schedule has its own test.
fn config() -> ClientConfig {
    ClientConfig::builder(PARTNER, KEY)
        .base_url("http://127.0.0.1:9/v1")
        .poll_policy(PollPolicy::official())
        .build()
        .unwrap()
}

fn signer() -> Signer {
    Signer::new(PartnerId::new(PARTNER), KEY)
}

fn jpeg() -> Vec<u8> {
    fixture("selfie.jpg")
}

fn request(options: JobOptions) -> SubmitRequest {
    let images = std::iter::once(Image::selfie_file(fixture_path("selfie.jpg")))
        .chain((1..=8).map(|i| Image::liveness_file(fixture_path(&format!("liveness_{i}.jpg")))))
        .collect();
    SubmitRequest::new(
        PartnerParams::new("user-0001", "job-0002", JobType::SmartSelfieAuthentication),
        images,
    )
    .with_options(options)
}

fn polling() -> JobOptions {
    JobOptions {
        return_job_status: true,
        ..JobOptions::default()
    }
}

fn callback_only() -> JobOptions {
    JobOptions {
        callback_url: Some("https://callback.example.com/smile".into()),
        ..JobOptions::default()
    }
}

/// [`callback_only`], resuming a job that exists already.
fn resuming() -> JobOptions {
    JobOptions {
        resume_existing_job: true,
        ..callback_only()
    }
}

fn resp(status: u16, body: impl Into<Vec<u8>>) -> Result<HttpResponse, TransportFailure> {
    Ok(http::Response::builder()
        .status(status)
        .body(body.into())
        .unwrap())
}

fn resp_with(
    status: u16,
    header: (&str, &str),
    body: &str,
) -> Result<HttpResponse, TransportFailure> {
    Ok(http::Response::builder()
        .status(status)
        .header(header.0, header.1)
        .body(body.as_bytes().to_vec())
        .unwrap())
}

fn prep_ok(url: &str) -> Result<HttpResponse, TransportFailure> {
    resp(
        200,
        json!({"upload_url": url, "ref_id": "085-1", "smile_job_id": "0000000001", "camera_config": "null", "code": "2202"})
            .to_string(),
    )
}

/// A signed job-status body with the given fields.
fn status_body(fields: Value, at: &str) -> Vec<u8> {
    let mut m = serde_json::Map::new();
    m.insert("timestamp".into(), at.into());
    m.insert("signature".into(), signer().sign(at).into());
    if let Value::Object(f) = fields {
        m.extend(f);
    }
    serde_json::to_vec(&m).unwrap()
}

fn incomplete() -> Result<HttpResponse, TransportFailure> {
    resp(
        200,
        status_body(
            json!({"job_complete": false, "job_success": false, "code": "2302", "result": null}),
            "2024-01-01T00:00:01.000Z",
        ),
    )
}

fn complete(code: &str, is_final: Option<&str>) -> Result<HttpResponse, TransportFailure> {
    let mut result = json!({
        "ResultCode": code, "ResultText": "x", "SmileJobID": "0000000001",
        "PartnerParams": {"user_id": "user-0001", "job_id": "job-0002", "job_type": "2"},
        "Actions": {"Liveness_Check": "Passed", "Selfie_To_Registered_Selfie_Compare": "Completed"}
    });
    if let Some(f) = is_final {
        result["IsFinalResult"] = f.into();
    }
    resp(
        200,
        status_body(
            json!({"job_complete": true, "job_success": true, "code": "2302", "result": result}),
            "2024-01-01T00:00:09.000Z",
        ),
    )
}

/// What happened during a run.
#[derive(Debug)]
struct Run<T> {
    result: Result<T, Error>,
    /// (time sent, request)
    sent: Vec<(SystemTime, HttpRequest)>,
    waits: Vec<Duration>,
    end: SystemTime,
}

/// Drives `m` with a virtual clock that each wait advances; `server` answers each request in
/// turn.
fn drive<M: Machine>(
    m: M,
    start: SystemTime,
    server: impl FnMut(&HttpRequest, SystemTime) -> Result<HttpResponse, TransportFailure>,
) -> Run<M::Output> {
    drive_clock(m, start, |now, d| now + d, server)
}

/// [`drive`] with a clock of the test's: `after_wait(now, d)` is the time after a wait of `d`.
fn drive_clock<M: Machine>(
    mut m: M,
    start: SystemTime,
    mut after_wait: impl FnMut(SystemTime, Duration) -> SystemTime,
    mut server: impl FnMut(&HttpRequest, SystemTime) -> Result<HttpResponse, TransportFailure>,
) -> Run<M::Output> {
    let mut now = start;
    let mut sent = Vec::new();
    let mut waits = Vec::new();
    for _ in 0..1000 {
        match m.next(now) {
            Step::Send(req) => {
                let r = server(&req, now);
                sent.push((now, req));
                m.on_response(r);
            }
            Step::Wait(d) => {
                assert!(!d.is_zero(), "zero wait");
                waits.push(d);
                now = after_wait(now, d);
            }
            Step::Done(result) => {
                return Run {
                    result,
                    sent,
                    waits,
                    end: now,
                };
            }
        }
    }
    panic!("machine did not finish");
}

/// A server answering from a queue of responses, whatever the request.
fn script(
    mut answers: VecDeque<Result<HttpResponse, TransportFailure>>,
) -> impl FnMut(&HttpRequest, SystemTime) -> Result<HttpResponse, TransportFailure> {
    move |_, _| {
        answers
            .pop_front()
            .expect("more requests than scripted answers")
    }
}

type Answer = Result<HttpResponse, TransportFailure>;

/// Runs `m` from [`t0`] against a server giving `answers` in turn.
fn run_scripted<M: Machine>(m: M, answers: impl IntoIterator<Item = Answer>) -> Run<M::Output> {
    drive(m, t0(), script(answers.into_iter().collect()))
}

/// Runs the polling submission (default policies): the prep upload and the PUT succeed, then
/// the polls get `polls` in turn.
fn run_polling(polls: impl IntoIterator<Item = Answer>) -> Run<JobOutcome> {
    let m = SubmitJob::new(&config(), request(polling())).unwrap();
    run_scripted(
        m,
        [prep_ok(UPLOAD_URL), resp(200, "")]
            .into_iter()
            .chain(polls),
    )
}

/// Runs the callback-only submission (default policies) against `answers` in turn.
fn run_callback(answers: impl IntoIterator<Item = Answer>) -> Run<JobOutcome> {
    let m = SubmitJob::new(&config(), request(callback_only())).unwrap();
    run_scripted(m, answers)
}

fn kinds(sent: &[(SystemTime, HttpRequest)]) -> Vec<RequestKind> {
    sent.iter().map(|(_, r)| request_kind(r).unwrap()).collect()
}

fn body_json(req: &HttpRequest) -> Value {
    serde_json::from_slice(&req.body().to_vec()).unwrap()
}

// ------------------------------------------------------------------------------------------

#[test]
fn submitted_after_exactly_two_requests() {
    let run = run_callback([prep_ok(UPLOAD_URL), resp(200, "")]);
    let outcome = run.result.unwrap();
    let JobOutcome::Submitted {
        smile_job_id,
        user_id,
        job_id,
        job_type,
    } = &outcome
    else {
        panic!("{outcome:?}")
    };
    assert_eq!(smile_job_id.as_str(), "0000000001");
    assert_eq!(
        (user_id.as_str(), job_id.as_str()),
        ("user-0001", "job-0002")
    );
    assert_eq!(*job_type, JobType::SmartSelfieAuthentication);
    assert!(!outcome.is_final() && !outcome.is_final_approval());
    assert_eq!(outcome.category(), None);
    assert_eq!(
        kinds(&run.sent),
        [RequestKind::PrepUpload, RequestKind::Upload]
    );
    assert!(run.waits.is_empty());
    let (_, put) = &run.sent[1];
    assert_eq!(put.uri().to_string(), UPLOAD_URL);
    assert_eq!(request_timeout(put), Some(Duration::from_secs(120)));
    assert_eq!(
        request_timeout(&run.sent[0].1),
        Some(Duration::from_secs(30))
    );
}

#[test]
fn canonical_bytes_prep_zip_and_first_poll() {
    let c = interop("canonical_job2.json");
    let prep_response = serde_json::to_vec(&c["inputs"]["prep_upload_response"]).unwrap();
    let options = JobOptions {
        return_job_status: true,
        callback_url: Some(c["inputs"]["callback_url"].as_str().unwrap().into()),
        ..JobOptions::default()
    };
    let m = SubmitJob::new(&config(), request(options))
        .unwrap()
        .with_poll_policy(PollPolicy::official().with_initial_delay(Duration::from_secs(2)))
        .unwrap();
    let run = run_scripted(
        m,
        [
            resp(200, prep_response),
            resp(200, ""),
            complete("0820", Some("true")),
        ],
    );
    run.result.unwrap();
    // Prep upload: byte-identical except source_sdk_version, which is this crate's version.
    let want = c["prep_upload"]["body_text"].as_str().unwrap().replace(
        "\"source_sdk_version\":\"0.1.0\"",
        &format!("\"source_sdk_version\":\"{}\"", smile_core::SDK_VERSION),
    );
    assert_eq!(
        std::str::from_utf8(&run.sent[0].1.body().to_vec()).unwrap(),
        want
    );
    // The zip: info.json exact, every image byte for byte.
    let put = &run.sent[1].1;
    assert_eq!(
        put.uri().to_string(),
        c["inputs"]["prep_upload_response"]["upload_url"]
            .as_str()
            .unwrap()
    );
    assert_eq!(
        put.headers()["content-length"].to_str().unwrap(),
        put.body().len().to_string()
    );
    let zip = read_upload_zip(&put.body().to_vec()).unwrap();
    assert!(zip.info_json_first);
    assert_eq!(
        std::str::from_utf8(&zip.info_json).unwrap(),
        c["info_json_files_variant"]["text"].as_str().unwrap()
    );
    let names: Vec<&str> = zip.entries.iter().map(|e| e.name.as_str()).collect();
    let mut want_names = vec!["selfie.jpg".to_owned()];
    want_names.extend((1..=8).map(|i| format!("liveness_{i}.jpg")));
    assert_eq!(names, want_names);
    for e in &zip.entries {
        assert_eq!(e.data, fixture(&e.name), "{}", e.name);
    }
    // The first poll, 2 s after the PUT: canonical bytes.
    let (at, poll) = &run.sent[2];
    assert_eq!(*at, t0() + Duration::from_secs(2));
    assert_eq!(
        std::str::from_utf8(&poll.body().to_vec()).unwrap(),
        c["first_job_status"]["body_text"].as_str().unwrap()
    );
    assert_eq!(poll.uri(), "http://127.0.0.1:9/v1/job_status");
}

#[test]
fn polls_on_the_default_schedule_with_fresh_signatures_until_complete() {
    let mut answers: VecDeque<_> = [prep_ok(UPLOAD_URL), resp(200, "")].into();
    for _ in 0..6 {
        answers.push_back(incomplete());
    }
    answers.push_back(complete("0820", Some("true")));
    let m = SubmitJob::new(&config(), request(polling())).unwrap();
    let run = run_scripted(m, answers);
    let outcome = run.result.unwrap();
    assert!(outcome.is_final_approval());
    assert_eq!(outcome.category(), Some(ResultCategory::Approved));
    assert_eq!(
        outcome
            .result()
            .unwrap()
            .result_code
            .as_ref()
            .unwrap()
            .as_str(),
        "0820"
    );
    let secs: Vec<u64> = run.waits.iter().map(Duration::as_secs).collect();
    assert_eq!(
        secs,
        [2, 2, 2, 2, 4, 4],
        "first poll at once, then 2 s ×4, then 4 s"
    );
    let polls: Vec<&(SystemTime, HttpRequest)> = run.sent.iter().skip(2).collect();
    assert_eq!(polls.len(), 7);
    assert_eq!(polls[0].0, t0(), "first poll at once after the PUT");
    let mut sigs = std::collections::HashSet::new();
    for (at, req) in polls {
        let b = body_json(req);
        assert_eq!(b["timestamp"], format_timestamp(*at));
        assert_eq!(b["signature"], signer().sign(&format_timestamp(*at)));
        assert_eq!(
            (b["history"].clone(), b["image_links"].clone()),
            (json!(false), json!(false))
        );
        assert!(
            sigs.insert(b["signature"].as_str().unwrap().to_owned()),
            "signature reused"
        );
        assert_eq!(request_timeout(req), Some(Duration::from_secs(30)));
    }
}

#[test]
fn history_and_image_links_are_requested() {
    let options = JobOptions {
        return_job_status: true,
        return_history: true,
        return_image_links: true,
        ..JobOptions::default()
    };
    let m = SubmitJob::new(&config(), request(options)).unwrap();
    let run = run_scripted(
        m,
        [prep_ok(UPLOAD_URL), resp(200, ""), complete("0820", None)],
    );
    run.result.unwrap();
    let b = body_json(&run.sent[2].1);
    assert_eq!(
        (b["history"].clone(), b["image_links"].clone()),
        (json!(true), json!(true))
    );
    // No callback and polling: the prep upload has no callback_url key.
    assert!(body_json(&run.sent[0].1).get("callback_url").is_none());
}

#[test]
fn deadline_reached_returns_the_last_status() {
    let m = SubmitJob::new(&config(), request(polling())).unwrap();
    let mut n = 0;
    let run = drive(m, t0(), move |_, _| {
        n += 1;
        match n {
            1 => prep_ok(UPLOAD_URL),
            2 => resp(200, ""),
            _ => resp(
                200,
                status_body(
                    json!({"job_complete": false, "result": format!("still processing {n}")}),
                    "2024-01-01T00:00:01.000Z",
                ),
            ),
        }
    });
    // Polls at 0, 2, 4, 6, 8, then every 4 s up to 88: 5 + 20 = 25; the next (92 s) would
    // start after the 90 s deadline.
    let err = run.result.unwrap_err();
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
    assert_eq!(*polls, 25);
    assert_eq!(run.sent.len(), 27);
    assert_eq!(*elapsed, Duration::from_secs(88));
    assert_eq!(run.end, t0() + Duration::from_secs(88));
    assert_eq!(smile_job_id.as_str(), "0000000001");
    assert_eq!(job_id.as_str(), "job-0002");
    let last = last_status.as_ref().unwrap();
    assert_eq!(last.result.message(), Some("still processing 27"));
    assert!(err.to_string().contains("still processing 27"), "{err}");
    assert!(err.job_may_exist());
}

#[test]
fn poll_timeout_is_bounded_by_the_deadline() {
    let policy = PollPolicy::default()
        .with_deadline(Duration::from_secs(45))
        .with_intervals([Duration::from_secs(20)]);
    let m = SubmitJob::new(&config(), request(polling()))
        .unwrap()
        .with_poll_policy(policy)
        .unwrap();
    let run = drive(m, t0(), {
        let mut n = 0;
        move |_, _| {
            n += 1;
            match n {
                1 => prep_ok(UPLOAD_URL),
                2 => resp(200, ""),
                _ => incomplete(),
            }
        }
    });
    // Polls at 0, 20, 40; request timeouts 30, 25, 5 (the time left).
    let timeouts: Vec<u64> = run.sent[2..]
        .iter()
        .map(|(_, r)| request_timeout(r).unwrap().as_secs())
        .collect();
    assert_eq!(timeouts, [30, 25, 5]);
    assert!(matches!(
        run.result,
        Err(Error::PollTimeout { polls: 3, .. })
    ));
}

#[test]
fn max_polls_caps_polling() {
    let m = SubmitJob::new(&config(), request(polling()))
        .unwrap()
        .with_poll_policy(PollPolicy::official().with_max_polls(Some(2)))
        .unwrap();
    let run = run_scripted(
        m,
        [
            prep_ok(UPLOAD_URL),
            resp(200, ""),
            incomplete(),
            incomplete(),
        ],
    );
    let Err(Error::PollTimeout {
        polls: 2,
        elapsed,
        last_status: Some(_),
        ..
    }) = run.result
    else {
        panic!("{:?}", run.result)
    };
    assert_eq!(elapsed, Duration::from_secs(2));
}

#[test]
fn provisional_result_is_completed_but_not_final() {
    let run = run_polling([complete("0824", None)]);
    let outcome = run.result.unwrap();
    assert!(matches!(outcome, JobOutcome::Completed { .. }));
    assert!(!outcome.is_final());
    assert!(!outcome.is_final_approval());
    assert_eq!(outcome.category(), Some(ResultCategory::SpoofSuspected));
    assert!(outcome.to_string().contains("NOT final"), "{outcome}");
}

#[test]
fn bad_response_signature_ends_polling_at_once() {
    let samples = interop("job_status_responses.json");
    let bad = samples["samples"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "bad_response_signature")
        .unwrap()["body_text"]
        .as_str()
        .unwrap()
        .to_owned();
    for body in [bad, r#"{"job_complete":true,"result":null}"#.to_owned()] {
        let run = run_polling([resp(200, body)]);
        let err = run.result.unwrap_err();
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
        assert_eq!(run.sent.len(), 3, "not retried");
        assert!(std::error::Error::source(&err).is_some());
    }
}

#[test]
fn transient_poll_failures_are_retried_honouring_retry_after() {
    let run = run_polling([
        resp_with(503, ("retry-after", "10"), "busy"),
        Err(TransportFailure::timeout("poll")),
        resp(502, "<html>bad gateway</html>"),
        complete("0820", Some("true")),
    ]);
    assert!(run.result.unwrap().is_final_approval());
    let secs: Vec<u64> = run.waits.iter().map(Duration::as_secs).collect();
    assert_eq!(secs, [10, 2, 2], "Retry-After 10 s beats the 2 s interval");
}

#[test]
fn too_many_consecutive_transient_failures_end_polling() {
    let run = run_polling([
        resp(503, "a"),
        resp(503, "b"),
        resp(503, "c"),
        resp(503, "d"),
    ]);
    let err = run.result.unwrap_err();
    let Error::Api {
        status,
        body,
        smile_job_id,
        during,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(*status, 503);
    assert_eq!(body, "d");
    assert_eq!(*during, RequestKind::JobStatus);
    assert_eq!(smile_job_id.as_ref().unwrap().as_str(), "0000000001");
    assert_eq!(run.sent.len(), 6);
    assert!(err.is_transient());
}

#[test]
fn a_success_resets_the_failure_count() {
    let mut answers: VecDeque<_> = [prep_ok(UPLOAD_URL), resp(200, "")].into();
    for _ in 0..3 {
        answers.push_back(resp(500, ""));
    }
    answers.push_back(incomplete());
    for _ in 0..3 {
        answers.push_back(Err(TransportFailure::connect("x")));
    }
    answers.push_back(complete("0820", Some("true")));
    let m = SubmitJob::new(&config(), request(polling())).unwrap();
    let run = run_scripted(m, answers);
    assert!(run.result.is_ok(), "{:?}", run.result);
}

#[test]
fn non_transient_poll_errors_end_at_once() {
    let run = run_polling([resp(
        401,
        r#"{"code":"2205","error":"You're not authorized to do that."}"#,
    )]);
    let err = run.result.unwrap_err();
    assert_eq!(err.code(), Some("2205"));
    assert_eq!(err.smile_job_id().unwrap().as_str(), "0000000001");

    let run = run_polling([Err(TransportFailure::new(
        TransportFailureKind::Tls,
        "cert",
    ))]);
    assert!(matches!(
        run.result,
        Err(Error::Transport {
            during: RequestKind::JobStatus,
            smile_job_id: Some(_),
            ..
        })
    ));

    let run = run_polling([resp(200, "not json")]);
    let err = run.result.unwrap_err();
    assert!(
        matches!(
            &err,
            Error::UnexpectedResponse {
                smile_job_id: Some(_),
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn result_as_a_string() {
    // Incomplete with a string result: keep polling.
    let incomplete_str = resp(
        200,
        status_body(
            json!({"job_complete": false, "result": "No zip uploaded"}),
            "2024-01-01T00:00:01.000Z",
        ),
    );
    // Complete with a string result: no result code to act on.
    let complete_str = resp(
        200,
        status_body(
            json!({"job_complete": "true", "job_success": false, "result": "Job failed"}),
            "2024-01-01T00:00:02.000Z",
        ),
    );
    let run = run_polling([incomplete_str, complete_str]);
    let err = run.result.unwrap_err();
    let Error::NoResult {
        message,
        smile_job_id,
        status,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(message.as_deref(), Some("Job failed"));
    assert_eq!(smile_job_id.as_str(), "0000000001");
    assert_eq!(status.job_success(), Some(false));
    assert!(err.to_string().contains("Job failed"), "{err}");
}

#[test]
fn result_for_another_job_is_refused() {
    let other = resp(
        200,
        status_body(
            json!({"job_complete": true, "result": {"ResultCode": "0820", "IsFinalResult": "true", "PartnerParams": {"job_id": "someone-else", "user_id": "u", "job_type": 2}}}),
            "2024-01-01T00:00:02.000Z",
        ),
    );
    let run = run_polling([other]);
    let err = run.result.unwrap_err();
    assert!(
        matches!(&err, Error::UnexpectedResponse { problem, .. } if problem.contains("someone-else")),
        "{err:?}"
    );
}

// -- prep upload ----------------------------------------------------------------------------

#[test]
fn prep_upload_errors() {
    type Check = fn(&Error) -> bool;
    let cases: Vec<(Result<HttpResponse, TransportFailure>, Check)> = vec![
        (
            resp(
                401,
                r#"{"code":"2205","error":"You're not authorized to do that."}"#,
            ),
            // Refused before any job (a documented 4xx code): no job.
            |e| {
                matches!(e, Error::Api { status, code: Some(c), .. } if *status == 401 && c.as_str() == "2205")
                    && !e.job_may_exist()
            },
        ),
        (
            resp(400, r#"{"code":"2210","error":"No enrolled user found"}"#),
            |e| e.code() == Some("2210") && !e.job_may_exist(),
        ),
        (
            // A 4xx without a Smile code (a gateway, a proxy): the job may exist.
            resp(403, r#"{"error":"Forbidden"}"#),
            |e| {
                matches!(e, Error::Api { code: None, message: Some(m), .. } if m == "Forbidden")
                    && e.job_may_exist()
            },
        ),
        (
            resp(
                504,
                "<html><body><h1>504 Gateway Time-out</h1></body></html>",
            ),
            |e| {
                matches!(e, Error::Api { code: None, message: None, body, .. } if body.contains("504 Gateway"))
                    && e.job_may_exist()
            },
        ),
        (
            resp(200, r#"{"error":"System Error","code":"2201"}"#),
            |e| {
                matches!(e, Error::Api { status, .. } if *status == 200)
                    && e.code() == Some("2201")
                    && e.job_may_exist()
            },
        ),
        (
            // A 2xx that lacks upload_url but names the job: the id is kept.
            resp(200, r#"{"smile_job_id":"1"}"#),
            |e| {
                matches!(e, Error::UnexpectedResponse { problem, smile_job_id: Some(id), .. } if problem.contains("upload_url") && id.as_str() == "1")
                    && e.job_may_exist()
            },
        ),
        (
            // A body cut short: the id it showed is kept.
            resp(
                200,
                r#"{"upload_url":"https://u.example/x?sig=1","smile_job_id":"0000000042","ref_"#,
            ),
            |e| {
                matches!(e, Error::UnexpectedResponse { smile_job_id: Some(id), .. } if id.as_str() == "0000000042")
                    && e.job_may_exist()
            },
        ),
        (
            // A 5xx after the server made the job (a gateway 502): the job may exist.
            resp(502, "Bad Gateway"),
            |e| {
                matches!(
                    e,
                    Error::Api {
                        smile_job_id: None,
                        ..
                    }
                ) && e.job_may_exist()
            },
        ),
        (
            resp(
                200,
                r#"{"upload_url":"not a url at all","smile_job_id":"1"}"#,
            ),
            |e| {
                matches!(
                    e,
                    Error::UnexpectedResponse {
                        smile_job_id: Some(_),
                        ..
                    }
                )
            },
        ),
        (Err(TransportFailure::timeout("upload")), |e| {
            matches!(
                e,
                Error::Transport {
                    during: RequestKind::PrepUpload,
                    smile_job_id: None,
                    ..
                }
            ) && e.job_may_exist()
                && e.to_string().contains("may have been created")
        }),
        (Err(TransportFailure::connect("refused")), |e| {
            matches!(
                e,
                Error::Transport {
                    during: RequestKind::PrepUpload,
                    ..
                }
            ) && !e.job_may_exist()
                && e.to_string().contains("no job was created")
        }),
    ];
    for (answer, check) in cases {
        let run = run_callback([answer]);
        let err = run.result.unwrap_err();
        assert!(check(&err), "{err:?}");
        assert_eq!(run.sent.len(), 1, "prep upload is never retried: {err:?}");
    }
}

#[test]
fn unusable_upload_urls_are_refused_without_quoting_them() {
    for (url, problem) in [
        ("not a url at all", "is not a valid URL"),
        (
            "/relative/path?X-Amz-Signature=secret",
            "is not an http or https URL",
        ),
        (
            "ftp://host/x?X-Amz-Signature=secret",
            "is not an http or https URL",
        ),
        (
            "file:///etc/passwd?X-Amz-Signature=secret",
            "is not a valid URL",
        ),
        (
            "s3://bucket/key?X-Amz-Signature=secret",
            "is not an http or https URL",
        ),
        ("host.example:443", "is not an http or https URL"),
    ] {
        let run = run_callback([resp(
            200,
            json!({"upload_url": url, "smile_job_id": "0000000001", "code": "2202"}).to_string(),
        )]);
        let err = run.result.unwrap_err();
        let Error::UnexpectedResponse {
            during: RequestKind::PrepUpload,
            problem: got,
            body,
            smile_job_id: Some(_),
            ..
        } = &err
        else {
            panic!("{url}: {err:?}")
        };
        assert_eq!(
            got,
            &format!("response field `upload_url` {problem}"),
            "{url}"
        );
        assert_eq!(run.sent.len(), 1, "{url}: nothing PUT");
        assert!(body.contains("[redacted]"), "{body}");
        for shown in [err.to_string(), format!("{err:?}")] {
            assert!(!shown.contains("secret"), "{url}: {shown}");
        }
    }
    // http and https with a host are fine.
    for url in ["http://127.0.0.1:9/x", "https://uploads.example/x?sig=1"] {
        let run = run_callback([prep_ok(url), resp(200, "")]);
        assert!(run.result.is_ok(), "{url}: {:?}", run.result);
    }
}

#[test]
fn job_already_exists_without_resume() {
    let run = run_callback([resp(
        400,
        r#"{"error":"Job already exists. Did you mean to set the retry flag to true?","code":"2215"}"#,
    )]);
    let err = run.result.unwrap_err();
    let Error::JobAlreadyExists { job_id, message } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(job_id.as_str(), "job-0002");
    assert!(
        message
            .as_deref()
            .unwrap()
            .starts_with("Job already exists")
    );
    assert_eq!(err.code(), Some("2215"));
    assert!(err.to_string().contains("resume_job"), "{err}");
    assert!(err.job_may_exist());
}

#[test]
fn resume_existing_job_reprepares_with_retry_true() {
    let m = SubmitJob::new(&config(), request(resuming())).unwrap();
    let run = run_scripted(
        m,
        [
            resp(400, r#"{"error":"Job already exists.","code":"2215"}"#),
            prep_ok(UPLOAD_URL),
            resp(200, ""),
        ],
    );
    assert!(matches!(run.result, Ok(JobOutcome::Submitted { .. })));
    assert_eq!(
        kinds(&run.sent),
        [
            RequestKind::PrepUpload,
            RequestKind::PrepUpload,
            RequestKind::Upload
        ]
    );
    assert_eq!(body_json(&run.sent[0].1)["retry"], false);
    assert_eq!(body_json(&run.sent[1].1)["retry"], true);
    let zip = read_upload_zip(&run.sent[2].1.body().to_vec()).unwrap();
    assert_eq!(zip.info["misc_information"]["retry"], "true");
    assert_eq!(
        zip.info["misc_information"]["signature"],
        body_json(&run.sent[1].1)["signature"]
    );

    // A second 2215 on the retry prep is final.
    let m = SubmitJob::new(&config(), request(resuming())).unwrap();
    let e2215 = || resp(400, r#"{"error":"Job already exists.","code":"2215"}"#);
    let run = run_scripted(m, [e2215(), e2215()]);
    assert!(matches!(run.result, Err(Error::JobAlreadyExists { .. })));

    // Resume when the job did not exist: one prep, retry false.
    let m = SubmitJob::new(&config(), request(resuming())).unwrap();
    let run = run_scripted(m, [prep_ok(UPLOAD_URL), resp(200, "")]);
    assert!(run.result.is_ok());
    assert_eq!(run.sent.len(), 2);
}

// -- PUT ------------------------------------------------------------------------------------

const S3_EXPIRED: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>";

#[test]
fn expired_upload_url_reprepares_once() {
    let second_url = "https://uploads.example/second?sig=2";
    let run = run_callback([
        prep_ok(UPLOAD_URL),
        resp(403, S3_EXPIRED),
        prep_ok(second_url),
        resp(200, ""),
    ]);
    assert!(run.result.is_ok(), "{:?}", run.result);
    assert_eq!(
        kinds(&run.sent),
        [
            RequestKind::PrepUpload,
            RequestKind::Upload,
            RequestKind::PrepUpload,
            RequestKind::Upload
        ]
    );
    let first = read_upload_zip(&run.sent[1].1.body().to_vec()).unwrap();
    let second = read_upload_zip(&run.sent[3].1.body().to_vec()).unwrap();
    assert_eq!(first.info["misc_information"]["retry"], "false");
    assert_eq!(second.info["misc_information"]["retry"], "true");
    assert_eq!(body_json(&run.sent[2].1)["retry"], true);
    assert_eq!(second.info["server_information"]["upload_url"], second_url);
    assert_eq!(run.sent[3].1.uri().to_string(), second_url);
    assert_eq!(first.entries, second.entries, "same images");

    // Twice: UploadFailed with the XML body.
    let run = run_callback([
        prep_ok(UPLOAD_URL),
        resp(403, S3_EXPIRED),
        prep_ok(second_url),
        resp(403, S3_EXPIRED),
    ]);
    let err = run.result.unwrap_err();
    let Error::UploadFailed {
        smile_job_id,
        job_id,
        status,
        body,
        source,
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(smile_job_id.as_str(), "0000000001");
    assert_eq!(job_id.as_str(), "job-0002");
    assert_eq!(*status, Some(http::StatusCode::FORBIDDEN));
    assert_eq!(body, S3_EXPIRED);
    assert!(source.is_none());
    assert!(err.to_string().contains("AccessDenied"), "{err}");
}

#[test]
fn errors_of_the_reprep_after_a_refused_put_carry_the_smile_job_id() {
    // The job exists (the first prep succeeded); the re-prep with retry: true answers 2215 or
    // another error. That is not "job_id taken, use a new one": it is an Api error for the
    // known job.
    for (status, body, code) in [
        (
            400,
            r#"{"code":"2215","error":"Job already exists"}"#,
            Some("2215"),
        ),
        (500, "oops", None),
    ] {
        let run = run_callback([
            prep_ok(UPLOAD_URL),
            resp(403, S3_EXPIRED),
            resp(status, body),
        ]);
        let err = run.result.unwrap_err();
        let Error::Api {
            during: RequestKind::PrepUpload,
            status: got,
            smile_job_id: Some(id),
            ..
        } = &err
        else {
            panic!("{err:?}")
        };
        assert_eq!((got.as_u16(), id.as_str()), (status, "0000000001"));
        assert_eq!(err.code(), code);
        assert!(err.job_may_exist());
        assert!(!err.to_string().contains("use a new job_id"), "{err}");
    }
    // A transport failure of that re-prep names the job too.
    let run = run_callback([
        prep_ok(UPLOAD_URL),
        resp(403, S3_EXPIRED),
        Err(TransportFailure::connect("x")),
    ]);
    let err = run.result.unwrap_err();
    assert_eq!(
        err.smile_job_id().unwrap().as_str(),
        "0000000001",
        "{err:?}"
    );
}

#[test]
fn transient_put_failures_are_retried_to_the_same_url() {
    let config = ClientConfig::builder(PARTNER, KEY)
        .base_url("http://127.0.0.1:9/v1")
        .retry_policy(RetryPolicy::default().without_jitter())
        .build()
        .unwrap();
    let m = SubmitJob::new(&config, request(callback_only())).unwrap();
    let run = run_scripted(
        m,
        [
            prep_ok(UPLOAD_URL),
            resp(503, ""),
            Err(TransportFailure::io("reset")),
            resp(200, ""),
        ],
    );
    assert!(run.result.is_ok());
    assert_eq!(
        run.waits,
        [Duration::from_millis(500), Duration::from_millis(1000)]
    );
    let bodies: Vec<&smile_core::Body> = run.sent[1..].iter().map(|(_, r)| r.body()).collect();
    assert!(
        bodies.windows(2).all(|w| w[0] == w[1]),
        "same bytes each time"
    );
    assert!(run.sent[1..].iter().all(|(_, r)| *r.uri() == UPLOAD_URL));

    // Exhausted: UploadFailed carrying the last failure.
    let m = SubmitJob::new(&config, request(callback_only())).unwrap();
    let run = run_scripted(
        m,
        [
            prep_ok(UPLOAD_URL),
            resp(500, "a"),
            resp(500, "b"),
            Err(TransportFailure::timeout("put")),
        ],
    );
    let err = run.result.unwrap_err();
    assert!(
        matches!(
            &err,
            Error::UploadFailed {
                status: None,
                source: Some(_),
                ..
            }
        ),
        "{err:?}"
    );
    assert!(std::error::Error::source(&err).is_some());
    assert_eq!(run.sent.len(), 4);

    // Non-transient status: at once.
    let m = SubmitJob::new(&config, request(callback_only())).unwrap();
    let run = run_scripted(m, [prep_ok(UPLOAD_URL), resp(400, "bad")]);
    assert!(matches!(run.result, Err(Error::UploadFailed { status: Some(s), .. }) if s == 400));

    // Retry-After longer than allowed: no retry.
    let m = SubmitJob::new(&config, request(callback_only())).unwrap();
    let run = run_scripted(
        m,
        [
            prep_ok(UPLOAD_URL),
            resp_with(503, ("retry-after", "3600"), ""),
        ],
    );
    assert!(matches!(run.result, Err(Error::UploadFailed { .. })));
    assert_eq!(run.sent.len(), 2);
}

// -- validation and misuse --------------------------------------------------------------------

#[test]
fn invalid_input_sends_nothing() {
    // Neither a callback nor return_job_status.
    let err = SubmitJob::new(&config(), request(JobOptions::default())).unwrap_err();
    let Error::InvalidInput { problems } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(problems.codes().collect::<Vec<_>>(), ["callback.missing"]);

    // The client default callback satisfies the rule.
    let with_default = ClientConfig::builder(PARTNER, KEY)
        .default_callback("https://callback.example.com/default")
        .build()
        .unwrap();
    let m = SubmitJob::new(&with_default, request(JobOptions::default())).unwrap();
    let run = run_scripted(m, [prep_ok(UPLOAD_URL), resp(200, "")]);
    assert!(run.result.is_ok());
    assert_eq!(
        body_json(&run.sent[0].1)["callback_url"],
        "https://callback.example.com/default"
    );
    // A per-job callback overrides it.
    let m = SubmitJob::new(&with_default, request(callback_only())).unwrap();
    let run = run_scripted(m, [prep_ok(UPLOAD_URL), resp(200, "")]);
    assert_eq!(
        body_json(&run.sent[0].1)["callback_url"],
        "https://callback.example.com/smile"
    );

    // Several problems at once.
    let bad = SubmitRequest::new(
        PartnerParams::new("", "job", JobType::SmartSelfieAuthentication),
        vec![
            Image::selfie_file("/no/such/file.jpg"),
            Image::id_front_bytes(jpeg()),
        ],
    )
    .with_options(polling());
    let err = SubmitJob::new(&config(), bad).unwrap_err();
    assert!(
        matches!(&err, Error::InvalidInput { problems } if problems.len() >= 3),
        "{err:?}"
    );
    assert!(!err.job_may_exist());
}

#[test]
fn misuse_is_reported_not_panicked() {
    let mut m = SubmitJob::new(&config(), request(callback_only())).unwrap();
    let Step::Send(_) = m.next(t0()) else {
        panic!()
    };
    assert!(matches!(
        m.next(t0()),
        Step::Done(Err(Error::InvalidState(_)))
    ));
    assert!(matches!(
        m.next(t0()),
        Step::Done(Err(Error::InvalidState(_)))
    ));

    let mut m = SubmitJob::new(&config(), request(callback_only())).unwrap();
    m.on_response(resp(200, ""));
    assert!(matches!(
        m.next(t0()),
        Step::Done(Err(Error::InvalidState(_)))
    ));

    let mut m = SubmitJob::new(&config(), request(callback_only())).unwrap();
    let run_done = {
        let Step::Send(_) = m.next(t0()) else {
            panic!()
        };
        m.on_response(prep_ok(UPLOAD_URL));
        let Step::Send(_) = m.next(t0()) else {
            panic!()
        };
        m.on_response(resp(200, ""));
        m.next(t0())
    };
    assert!(matches!(run_done, Step::Done(Ok(_))));
    assert!(matches!(
        m.next(t0()),
        Step::Done(Err(Error::InvalidState(_)))
    ));
}

#[test]
fn step_debug_hides_bodies_and_queries() {
    let mut m = SubmitJob::new(&config(), request(callback_only())).unwrap();
    let step = m.next(t0());
    let Step::Send(req) = &step else { panic!() };
    let len = req.body().len();
    assert_eq!(
        format!("{step:?}"),
        format!("Send(POST http://127.0.0.1:9/v1/upload [{len} bytes])")
    );
    m.on_response(prep_ok(UPLOAD_URL));
    let step = m.next(t0());
    let dbg = format!("{step:?}");
    assert!(
        dbg.starts_with(
            "Send(PUT https://smile-uploads-example.s3.amazonaws.com/videos/085/x/selfie.zip ["
        ),
        "{dbg}"
    );
    assert!(!dbg.contains("X-Amz-Signature"), "{dbg}");
}

#[test]
fn a_wait_counts_as_slept_and_the_wall_clock_counts_too() {
    // The machine assumes the driver slept what it was told: calling `next` again at the same
    // instant (a clock that stopped) ends the wait.
    let mut m = SubmitJob::new(&config(), request(polling())).unwrap();
    let Step::Send(_) = m.next(t0()) else {
        panic!()
    };
    m.on_response(prep_ok(UPLOAD_URL));
    let Step::Send(_) = m.next(t0()) else {
        panic!()
    };
    m.on_response(resp(200, ""));
    let Step::Send(_) = m.next(t0()) else {
        panic!()
    };
    m.on_response(incomplete());
    let Step::Wait(d) = m.next(t0()) else {
        panic!()
    };
    assert_eq!(d, Duration::from_secs(2));
    let Step::Send(_) = m.next(t0()) else {
        panic!("the wait was handed out, so it is over")
    };
    m.on_response(incomplete());
    // Wall-clock time counts too: here the poll itself took 3 s, then the driver overslept
    // its 2 s wait by 90 s; the deadline (90 s after the PUT) has passed.
    let Step::Wait(d) = m.next(t0() + Duration::from_secs(3)) else {
        panic!()
    };
    assert_eq!(d, Duration::from_secs(2));
    let Step::Done(Err(Error::PollTimeout { polls, elapsed, .. })) =
        m.next(t0() + Duration::from_secs(95))
    else {
        panic!("past the deadline by the wall clock")
    };
    assert_eq!((polls, elapsed), (2, Duration::from_secs(95)));
}

/// A polling run against a server whose job never completes, with `after_wait` as the clock.
fn never_completes(after_wait: impl FnMut(SystemTime, Duration) -> SystemTime) -> Run<JobOutcome> {
    let m = SubmitJob::new(&config(), request(polling())).unwrap();
    let mut n = 0;
    drive_clock(m, t0(), after_wait, move |_, _| {
        n += 1;
        match n {
            1 => prep_ok(UPLOAD_URL),
            2 => resp(200, ""),
            _ => incomplete(),
        }
    })
}

/// The deadline outcome of [`deadline_reached_returns_the_last_status`]: 25 polls, 88 s.
fn assert_default_deadline(run: &Run<JobOutcome>) {
    let Err(Error::PollTimeout { polls, elapsed, .. }) = &run.result else {
        panic!("{:?}", run.result)
    };
    assert_eq!(*polls, 25);
    assert_eq!(*elapsed, Duration::from_secs(88));
    assert_eq!(run.waits.iter().sum::<Duration>(), Duration::from_secs(88));
    assert_eq!(run.sent.len(), 27);
}

#[test]
fn a_stopped_clock_still_reaches_the_deadline() {
    // A FixedClock given without a sleep hook that advances it: before, every wait ended at
    // once and the deadline never came, so polling never ended.
    let run = never_completes(|now, _| now);
    assert_default_deadline(&run);
    assert_eq!(run.end, t0());
}

#[test]
fn a_clock_stepping_back_does_not_extend_waits_or_the_deadline() {
    // The clock jumps back an hour during the first poll wait, then runs normally: the waits
    // and the deadline are the same as with a steady clock.
    let mut first = true;
    let run = never_completes(move |now, d| {
        if std::mem::take(&mut first) {
            now - Duration::from_secs(3600)
        } else {
            now + d
        }
    });
    assert_default_deadline(&run);
    // Back-and-forth jitter: same again.
    let mut back = false;
    let run = never_completes(move |now, d| {
        back = !back;
        if back { now - d } else { now + d }
    });
    assert_default_deadline(&run);
}

#[test]
fn absurd_retry_after_ends_polling_with_a_timeout() {
    // A Retry-After far beyond the deadline (or beyond what SystemTime can hold) is "past the
    // deadline": PollTimeout, no panic, no overflow.
    for ra in ["99999999999999999999999", "18446744073709551615", "100"] {
        let run = run_polling([resp_with(503, ("retry-after", ra), "")]);
        assert!(
            matches!(run.result, Err(Error::PollTimeout { polls: 1, .. })),
            "{ra}: {:?}",
            run.result
        );
        assert!(run.waits.is_empty(), "{ra}");
    }
    // A retry backoff as long as a Duration can be (a user setting) is handed out as such,
    // never added to a SystemTime (which used to overflow and panic).
    let config = ClientConfig::builder(PARTNER, KEY)
        .retry_policy(
            RetryPolicy::default()
                .without_jitter()
                .with_initial_backoff(Duration::MAX)
                .with_max_backoff(Duration::MAX),
        )
        .build()
        .unwrap();
    let m = GetJobStatus::new(
        &config,
        JobStatus::new("u", "j", JobStatusOptions::default()),
    )
    .unwrap();
    let run = drive_clock(
        m,
        t0(),
        |now, _| now,
        script([resp(503, ""), complete("0820", None)].into()),
    );
    assert!(run.result.is_ok(), "{:?}", run.result);
    assert_eq!(run.waits, [Duration::MAX]);
}

// -- get_job_status -------------------------------------------------------------------------

#[test]
fn get_job_status_verifies_and_retries() {
    let config = ClientConfig::builder(PARTNER, KEY)
        .retry_policy(RetryPolicy::default().without_jitter())
        .build()
        .unwrap();
    let m = GetJobStatus::new(
        &config,
        JobStatus::new("user-0001", "job-0004", JobStatusOptions::all()),
    )
    .unwrap();
    let run = run_scripted(
        m,
        [
            Err(TransportFailure::connect("x")),
            resp(429, ""),
            complete("0824", None),
        ],
    );
    let st = run.result.unwrap();
    assert!(st.is_complete());
    assert_eq!(run.sent.len(), 3);
    assert_eq!(
        run.waits,
        [Duration::from_millis(500), Duration::from_secs(1)]
    );
    let b = body_json(&run.sent[0].1);
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
        (b["history"].clone(), b["image_links"].clone()),
        (json!(true), json!(true))
    );
    assert_ne!(
        body_json(&run.sent[0].1)["timestamp"],
        body_json(&run.sent[2].1)["timestamp"],
        "signed afresh"
    );

    // Incomplete is a normal answer here.
    let m = GetJobStatus::new(
        &config,
        JobStatus::new("u", "j", JobStatusOptions::default()),
    )
    .unwrap();
    let run = run_scripted(m, [incomplete()]);
    assert!(!run.result.unwrap().is_complete());

    // Bad signature: an error, not retried.
    let m = GetJobStatus::new(
        &config,
        JobStatus::new("u", "j", JobStatusOptions::default()),
    )
    .unwrap();
    let run = run_scripted(
        m,
        [resp(
            200,
            r#"{"job_complete":true,"timestamp":"x","signature":"AAAA"}"#,
        )],
    );
    assert!(matches!(
        run.result,
        Err(Error::ResponseSignatureInvalid {
            smile_job_id: None,
            ..
        })
    ));
    assert_eq!(run.sent.len(), 1);

    // Retries exhausted.
    let m = GetJobStatus::new(
        &config,
        JobStatus::new("u", "j", JobStatusOptions::default()),
    )
    .unwrap();
    let run = run_scripted(m, [resp(500, ""), resp(500, ""), resp(503, "last")]);
    assert!(matches!(run.result, Err(Error::Api { status, .. }) if status == 503));

    // Empty ids: nothing sent.
    let err = GetJobStatus::new(
        &config,
        JobStatus::new("", " ", JobStatusOptions::default()),
    )
    .unwrap_err();
    let Error::InvalidInput { problems } = err else {
        panic!()
    };
    assert_eq!(
        problems.codes().collect::<Vec<_>>(),
        [
            "partner_params.user_id.missing",
            "partner_params.job_id.missing"
        ]
    );
}

// -- robustness -----------------------------------------------------------------------------

fn arbitrary_answer(kind: u8, status: u16, body: &str) -> Result<HttpResponse, TransportFailure> {
    match kind % 8 {
        0 => Err(TransportFailure::new(
            [
                TransportFailureKind::Connect,
                TransportFailureKind::Timeout,
                TransportFailureKind::Io,
                TransportFailureKind::Tls,
                TransportFailureKind::Other,
            ][usize::from(status % 5)],
            "x",
        )),
        1 => prep_ok(UPLOAD_URL),
        2 => incomplete(),
        3 => complete(["0820", "0824", "9999", ""][usize::from(status % 4)], None),
        4 => resp(
            400,
            json!({"code": "2215", "error": "Job already exists"}).to_string(),
        ),
        _ => resp(status, body.as_bytes().to_vec()),
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]

    /// Whatever the server answers, the machine neither panics nor loops: it finishes within a
    /// bounded number of steps, and errors after the prep upload carry the smile_job_id.
    #[test]
    fn any_answers_terminate(
        answers in proptest::collection::vec((0u8..8, 100u16..600, "\\PC{0,30}"), 0..40),
        poll in proptest::bool::ANY,
    ) {
        let options = if poll { polling() } else { callback_only() };
        let m = SubmitJob::new(&config(), request(options)).unwrap().with_rng_seed(1);
        let mut queue: VecDeque<_> = answers.iter().map(|(k, s, b)| arbitrary_answer(*k, *s, b)).collect();
        // The smile_job_id of the first prep upload that succeeded (a 2xx JSON answer with an
        // upload_url and a smile_job_id).
        let created = std::rc::Rc::new(std::cell::RefCell::new(None::<String>));
        let seen = std::rc::Rc::clone(&created);
        let run = drive(m, t0(), move |req, _| {
            let answer = queue.pop_front().unwrap_or_else(|| Err(TransportFailure::other("end")));
            if let Ok(r) = &answer
                && request_kind(req) == Some(RequestKind::PrepUpload)
                && r.status().is_success()
                && let Ok(v) = serde_json::from_slice::<Value>(&r.body().to_vec())
                && v["upload_url"].is_string()
                && let Some(id) = v["smile_job_id"].as_str()
            {
                seen.borrow_mut().get_or_insert_with(|| id.to_owned());
            }
            answer
        });
        if let Err(e) = &run.result {
            // Every error after a job was created names it.
            if let Some(id) = created.borrow().as_deref() {
                proptest::prop_assert_eq!(e.smile_job_id().map(|s| s.as_str()), Some(id), "{:?}", e);
            }
            proptest::prop_assert!(!matches!(e, Error::InvalidState(_)), "{:?}", e);
        }
    }
}

// -- no job lost (a job that exists is never reported as absent) ----------------------------

fn https_config() -> ClientConfig {
    ClientConfig::builder(PARTNER, KEY)
        .base_url("https://api.example.test/v1")
        .build()
        .unwrap()
}

/// After a 2215 (the job certainly exists), a failing re-prep says the job exists, whatever
/// the failure; the advice names a call that exists.
#[test]
fn a_failed_reprep_after_2215_still_says_the_job_exists() {
    let e2215 = || resp(400, r#"{"error":"Job already exists.","code":"2215"}"#);
    let refusal = || {
        resp(
            401,
            r#"{"code":"2205","error":"You're not authorized to do that."}"#,
        )
    };
    let answers: Vec<(Answer, &str)> = vec![
        (resp(500, "oops"), "Api 500"),
        (refusal(), "Api 401 2205"),
        (Err(TransportFailure::connect("refused")), "connect"),
        (resp(200, "{not json"), "not JSON"),
    ];
    for (second, what) in answers {
        let m = SubmitJob::new(&config(), request(resuming())).unwrap();
        let run = run_scripted(m, [e2215(), second]);
        let err = run.result.unwrap_err();
        assert!(err.job_may_exist(), "{what}: {err:?}");
        assert!(
            matches!(
                err,
                Error::Api {
                    job_exists: true,
                    ..
                } | Error::Transport {
                    job_exists: true,
                    ..
                } | Error::UnexpectedResponse {
                    job_exists: true,
                    ..
                }
            ),
            "{what}: {err:?}"
        );
        assert!(err.to_string().contains("the job exists"), "{what}: {err}");
        assert_eq!(run.sent.len(), 2, "{what}");
    }
}

/// An https API that hands out a plain-http upload URL: nothing is uploaded, the error carries
/// the job; the opt-out lets it through.
#[test]
fn an_https_api_never_uploads_to_a_plain_http_url() {
    let m = SubmitJob::new(&https_config(), request(callback_only())).unwrap();
    let run = run_scripted(m, [prep_ok("http://uploads.example/x.zip?sig=1")]);
    let err = run.result.unwrap_err();
    assert!(
        matches!(&err, Error::InsecureUploadUrl { smile_job_id, .. } if smile_job_id.as_str() == "0000000001"),
        "{err:?}"
    );
    assert!(err.job_may_exist());
    assert!(!err.to_string().contains("sig=1"), "{err}");
    assert_eq!(kinds(&run.sent), [RequestKind::PrepUpload]);

    let allowed = ClientConfig::builder(PARTNER, KEY)
        .base_url("https://api.example.test/v1")
        .allow_insecure_upload_url(true)
        .build()
        .unwrap();
    let m = SubmitJob::new(&allowed, request(callback_only())).unwrap();
    let run = run_scripted(
        m,
        [prep_ok("http://uploads.example/x.zip?sig=1"), resp(200, "")],
    );
    assert!(run.result.is_ok(), "{:?}", run.result);
    // A plain-http API (the emulator) needs no opt-out.
    let m = SubmitJob::new(&config(), request(callback_only())).unwrap();
    let run = run_scripted(m, [prep_ok("http://127.0.0.1:9/upload/x"), resp(200, "")]);
    assert!(run.result.is_ok(), "{:?}", run.result);
}

/// A 429 whose Retry-After outlasts the poll deadline ends with a PollTimeout that says it was
/// rate limited, with the Retry-After, the job and the last status.
#[test]
fn a_rate_limit_that_outlasts_the_deadline_is_named() {
    let m = SubmitJob::new(&config(), request(polling())).unwrap();
    let run = run_scripted(
        m,
        [
            prep_ok(UPLOAD_URL),
            resp(200, ""),
            incomplete(),
            resp_with(
                429,
                ("Retry-After", "120"),
                r#"{"error":"Too Many Requests"}"#,
            ),
        ],
    );
    let err = run.result.unwrap_err();
    let Error::PollTimeout {
        smile_job_id,
        last_status,
        last_failure,
        retry_after,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(smile_job_id.as_str(), "0000000001");
    assert!(last_status.is_some());
    assert_eq!(
        last_failure
            .as_ref()
            .and_then(|e| e.status())
            .map(|s| s.as_u16()),
        Some(429)
    );
    assert_eq!(*retry_after, Some(Duration::from_secs(120)));
    let text = err.to_string();
    assert!(
        text.contains("rate limited (HTTP 429)") && text.contains("Retry-After 120.0 s"),
        "{text}"
    );
}

/// The two-phase form: the smile_job_id is known (and storable) before any image is sent; the
/// upload resumes from the stored value, in a new machine, as after a crash.
#[test]
fn create_then_upload_from_a_stored_job() {
    use smile_core::{CreateJob, CreatedJob, UploadJob, WaitForResult};
    let create = CreateJob::new(&config(), request(polling())).unwrap();
    let run = run_scripted(create, [prep_ok(UPLOAD_URL)]);
    let created = run.result.unwrap();
    assert_eq!(kinds(&run.sent), [RequestKind::PrepUpload]);
    assert_eq!(created.smile_job_id.as_str(), "0000000001");
    assert_eq!(created.upload_url, UPLOAD_URL);
    let stored = serde_json::to_string(&created).unwrap();

    // ... the process restarts ...
    let created: CreatedJob = serde_json::from_str(&stored).unwrap();
    let upload = UploadJob::new(&config(), &created, request(polling())).unwrap();
    let run = run_scripted(upload, [resp(200, ""), complete("0820", None)]);
    assert!(
        run.result.as_ref().is_ok_and(JobOutcome::is_final_approval),
        "{:?}",
        run.result
    );
    assert_eq!(
        kinds(&run.sent),
        [RequestKind::Upload, RequestKind::JobStatus]
    );
    assert_eq!(run.sent[0].1.uri(), UPLOAD_URL);
    let zip = read_upload_zip(&run.sent[0].1.body().to_vec()).unwrap();
    assert_eq!(zip.info["server_information"]["smile_job_id"], "0000000001");

    // An expired URL at upload time: one re-prep with retry: true, then the PUT.
    let upload = UploadJob::new(&config(), &created, request(callback_only())).unwrap();
    let run = run_scripted(
        upload,
        [resp(403, "expired"), prep_ok(UPLOAD_URL), resp(200, "")],
    );
    assert!(
        matches!(run.result, Ok(JobOutcome::Submitted { .. })),
        "{:?}",
        run.result
    );
    assert_eq!(body_json(&run.sent[1].1)["retry"], true);

    // Another job's request is refused before anything is sent.
    let other = SubmitRequest::new(
        PartnerParams::new("user-0001", "job-other", JobType::SmartSelfieAuthentication),
        vec![Image::selfie_bytes(jpeg())],
    )
    .with_options(polling());
    let err = UploadJob::new(&config(), &created, other).unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");

    // Phase three on its own.
    let wait =
        WaitForResult::for_created(&config(), &created, JobStatusOptions::default()).unwrap();
    let run = run_scripted(wait, [incomplete(), complete("0820", None)]);
    assert!(run.result.is_ok_and(|o| o.is_final_approval()));
    assert_eq!(
        kinds(&run.sent),
        [RequestKind::JobStatus, RequestKind::JobStatus]
    );
}

/// Resuming sends the same job with retry: true from the first request.
#[test]
fn resume_finishes_the_same_job_with_retry_true() {
    let m = SubmitJob::resume(&config(), request(callback_only())).unwrap();
    let run = run_scripted(m, [prep_ok(UPLOAD_URL), resp(200, "")]);
    assert!(
        matches!(run.result, Ok(JobOutcome::Submitted { ref job_id, .. }) if job_id.as_str() == "job-0002")
    );
    assert_eq!(body_json(&run.sent[0].1)["retry"], true);
    let zip = read_upload_zip(&run.sent[1].1.body().to_vec()).unwrap();
    assert_eq!(zip.info["misc_information"]["retry"], "true");
}

/// The generic call machine: a job-creating endpoint is sent once, whatever the failure, and
/// says the job may exist; an idempotent one is retried on transient failures.
#[test]
fn calls_retry_only_what_is_idempotent() {
    use smile_core::Call;
    use smile_core::endpoint::{IdVerification, Services};
    use smile_types::IdInfo;
    let kyc = || {
        Call::new(
            &config(),
            IdVerification::new(
                PartnerParams::new("user-1", "job-5", JobType::EnhancedKyc),
                IdInfo::verify("NG", "BVN", "00000000000"),
            ),
        )
        .unwrap()
        .with_rng_seed(1)
    };
    let run = run_scripted(kyc(), [resp(503, "busy")]);
    let err = run.result.unwrap_err();
    assert_eq!(run.sent.len(), 1);
    assert!(err.job_may_exist(), "{err:?}");
    let run = run_scripted(kyc(), [Err(TransportFailure::timeout("slow"))]);
    assert!(run.result.unwrap_err().job_may_exist());
    assert_eq!(run.sent.len(), 1);
    // Refused before a job (a documented 4xx code), or never connected: no job.
    let run = run_scripted(
        kyc(),
        [resp(
            400,
            r#"{"code":"2413","error":"\"country\" must be one of [NG, ZA]"}"#,
        )],
    );
    assert!(!run.result.unwrap_err().job_may_exist());
    let run = run_scripted(kyc(), [Err(TransportFailure::connect("refused"))]);
    assert!(!run.result.unwrap_err().job_may_exist());

    let services = Call::new(&config(), Services::new())
        .unwrap()
        .with_rng_seed(1);
    let run = run_scripted(
        services,
        [
            resp(503, ""),
            Err(TransportFailure::timeout("slow")),
            resp(200, r#"{"bank_codes":[{"name":"Bank","code":"058"}]}"#),
        ],
    );
    assert_eq!(run.result.unwrap().bank_codes()[0].code, "058");
    assert_eq!(run.sent.len(), 3);
    assert!(
        run.sent
            .iter()
            .all(|(_, r)| r.method() == http::Method::GET && r.body().is_empty())
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]

    /// Whatever the answers, when any answer to POST /upload carried a smile_job_id, the final
    /// error carries it (and says the job may exist); when a 2215 came first, job_may_exist.
    #[test]
    fn any_smile_job_id_seen_is_kept(
        answers in proptest::collection::vec((0u8..8, 100u16..600, "\\PC{0,30}"), 1..20),
        id_in_error in proptest::bool::ANY,
        poll in proptest::bool::ANY,
    ) {
        let options = if poll { polling() } else { resuming() };
        let m = SubmitJob::new(&config(), request(options)).unwrap().with_rng_seed(3);
        let mut queue: VecDeque<_> = answers.iter().map(|(k, s, b)| {
            if *k == 7 && id_in_error {
                // An error body that names the job (a gateway that passed it through).
                resp(500 + s % 100, format!(r#"{{"error":"x","smile_job_id":"0000000077","b":{:?}}}"#, b))
            } else {
                arbitrary_answer(*k, *s, b)
            }
        }).collect();
        let seen_id = std::rc::Rc::new(std::cell::RefCell::new(None::<String>));
        let saw_2215 = std::rc::Rc::new(std::cell::Cell::new(false));
        let (id_w, e_w) = (std::rc::Rc::clone(&seen_id), std::rc::Rc::clone(&saw_2215));
        let run = drive(m, t0(), move |req, _| {
            let answer = queue.pop_front().unwrap_or_else(|| Err(TransportFailure::other("end")));
            if let Ok(r) = &answer
                && request_kind(req) == Some(RequestKind::PrepUpload)
            {
                if let Some(id) = smile_core::scan_smile_job_id(&r.body().to_vec()) {
                    id_w.borrow_mut().get_or_insert_with(|| id.as_str().to_owned());
                }
                if r.body().to_vec().windows(6).any(|w| w == b"\"2215\"") {
                    e_w.set(true);
                }
            }
            answer
        });
        if let Err(e) = &run.result {
            if let Some(id) = seen_id.borrow().as_deref() {
                proptest::prop_assert_eq!(e.smile_job_id().map(|s| s.as_str()), Some(id), "{:?}", e);
            }
            if seen_id.borrow().is_some() || saw_2215.get() {
                proptest::prop_assert!(e.job_may_exist(), "{:?}", e);
            }
        }
    }
}

/// The default schedule: polls at 0, 0.25, 0.75, 1.75, 3.75, 5.75 s, then every 4 s, so a
/// result that is ready 200 ms after the upload arrives with the second poll (0.25 s; the
/// official schedule takes 2 s), and a 90 s wait costs about as many polls as before.
#[test]
fn the_default_schedule_gets_a_quick_result_without_more_polls() {
    let default = ClientConfig::builder(PARTNER, KEY)
        .base_url("http://127.0.0.1:9/v1")
        .build()
        .unwrap();
    let m = SubmitJob::new(&default, request(polling())).unwrap();
    let run = run_scripted(
        m,
        std::iter::once(prep_ok(UPLOAD_URL))
            .chain(std::iter::once(resp(200, "")))
            .chain(std::iter::repeat_with(incomplete).take(200)),
    );
    let put_at = run.sent[1].0;
    let polls: Vec<u128> = run.sent[2..]
        .iter()
        .map(|(t, _)| t.duration_since(put_at).unwrap().as_millis())
        .collect();
    assert_eq!(polls[..8], [0, 250, 750, 1750, 3750, 5750, 9750, 13750]);
    assert_eq!(polls.len(), 27, "polls in 90 s (the official schedule: 25)");
    let official = SubmitJob::new(&config(), request(polling())).unwrap();
    let run = run_scripted(
        official,
        std::iter::once(prep_ok(UPLOAD_URL))
            .chain(std::iter::once(resp(200, "")))
            .chain(std::iter::repeat_with(incomplete).take(200)),
    );
    assert_eq!(run.sent.len() - 2, 25);
}

/// A prep answer that lacks smile_job_id: the error keeps the body, but not the presigned
/// URL's query.
#[test]
fn a_broken_prep_answer_keeps_its_body_without_the_presigned_query() {
    let m = SubmitJob::new(&config(), request(callback_only())).unwrap();
    let run = run_scripted(
        m,
        [resp(
            200,
            r#"{"upload_url":"https://u.example/x.zip?X-Amz-Signature=UP-SECRET","code":"2202"}"#,
        )],
    );
    let err = run.result.unwrap_err();
    let Error::UnexpectedResponse { body, problem, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(problem.contains("smile_job_id"), "{problem}");
    assert!(
        body.contains("\"code\":\"2202\"") && !body.contains("UP-SECRET"),
        "{body}"
    );
    assert!(!format!("{err:?} {err}").contains("UP-SECRET"));
    assert!(err.job_may_exist());
}

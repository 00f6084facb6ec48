//! The fault matrix: every endpoint × every fault, both clients, against the emulator.
//!
//! Each cell injects one fault (once) and asserts:
//! - the outcome: completes, or the expected typed error;
//! - no job is lost: when the emulator holds the job, `job_may_exist()` is true, and when
//!   `job_may_exist()` is false, the emulator holds none (the SDK may say "may exist" for a job
//!   that was not made, e.g. a 5xx before the handler: it cannot tell that from a 5xx after);
//! - the error carries the emulator's `smile_job_id` whenever a response the client read had it;
//! - at most one job per job_id; `POST /upload` sent once, unless with `retry: true`;
//! - resuming from the error (`resume_job`, or `get_job_status` for a lookup) finishes the same
//!   job (the same `smile_job_id`);
//! - a redirect is never followed.
//!
//! The test prints the matrix (cell, outcome, pass).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use smile_core::endpoint::{
    AsyncIdVerification, IdVerification, JobStatus, Services, ValidDocuments, WebTokenRequest,
};
use smile_core::{Error, JobOutcome, JobStatusOptions, PollPolicy, RequestKind, request_kind};
use smile_emulator::{Emulator, Endpoint, Fault};
use smile_package::{Image, SubmitRequest};
use smile_tests::{API_KEY, Client, ClientKind, Observer, PARTNER_ID, Setup, client, fixture_path};
use smile_types::{IdInfo, JobOptions, JobType, PartnerParams};

const TIMEOUT: Duration = Duration::from_millis(400);

fn faults(endpoint: Endpoint) -> Vec<(&'static str, Fault)> {
    let mut list = vec![
        ("5xx before handler", Fault::status(503)),
        ("5xx after handler", Fault::status(502).after_handler()),
        ("429 Retry-After 1 s", Fault::status(429).retry_after(1)),
        ("429 Retry-After 120 s", Fault::status(429).retry_after(120)),
        ("delay past timeout", Fault::delay(TIMEOUT * 3)),
        ("drop before handler", Fault::drop_connection()),
        (
            "drop after handler",
            Fault::drop_connection().after_handler(),
        ),
        ("malformed JSON 2xx", Fault::malformed_json()),
        ("truncated body", Fault::truncated()),
        ("redirect", Fault::redirect()),
    ];
    if matches!(endpoint, Endpoint::Upload | Endpoint::ZipUpload) {
        list.push(("expired upload URL", Fault::expire_upload_url()));
    }
    list.into_iter().map(|(n, f)| (n, f.times(1))).collect()
}

/// What a cell ended with: `ok`, or the error variant.
fn outcome_name<T>(r: &Result<T, Error>) -> String {
    match r {
        Ok(_) => "ok".to_owned(),
        Err(e) => format!("{e:?}")
            .split([' ', '(', '{'])
            .next()
            .unwrap_or("?")
            .to_owned(),
    }
}

/// The expected outcome of a cell.
fn expected(endpoint: Endpoint, fault: &str) -> &'static str {
    use Endpoint as E;
    let idempotent = matches!(
        endpoint,
        E::ZipUpload | E::JobStatus | E::Services | E::ValidDocuments
    );
    match (endpoint, fault) {
        (_, "expired upload URL") => "ok", // one re-prep with retry: true
        (E::ZipUpload, "redirect") | (E::ZipUpload, "429 Retry-After 120 s") => "UploadFailed",
        (E::ZipUpload, _) => "ok", // transient: retried to the same URL; a cut body does not matter
        (E::JobStatus, "429 Retry-After 120 s") => "PollTimeout",
        (E::Services | E::ValidDocuments, "429 Retry-After 120 s") => "Api", // over the 30 s cap
        (_, "redirect") | (_, "429 Retry-After 120 s") => "Api",
        (_, "malformed JSON 2xx") => "UnexpectedResponse",
        (_, "truncated body") if idempotent => "ok", // a cut connection is transient
        (_, "5xx before handler" | "5xx after handler" | "429 Retry-After 1 s") => {
            if idempotent {
                "ok"
            } else {
                "Api"
            }
        }
        (_, _) => {
            if idempotent {
                "ok"
            } else {
                "Transport"
            }
        }
    }
}

/// What a cell saw.
#[derive(Default)]
struct Seen {
    preps: u32,
    retry_preps: u32,
}

struct Row {
    cell: String,
    outcome: String,
    pass: Result<(), String>,
}

fn check(cond: bool, what: impl Into<String>) -> Result<(), String> {
    if cond { Ok(()) } else { Err(what.into()) }
}

fn start() -> Emulator {
    Emulator::builder()
        .partner_id(PARTNER_ID)
        .api_key(API_KEY)
        .processing_delay(Duration::ZERO)
        .callback_retries(1, Duration::from_millis(10))
        .start_blocking()
        .unwrap()
}

fn request(job_id: &str) -> SubmitRequest {
    SubmitRequest::new(
        PartnerParams::new(
            format!("u-{job_id}"),
            job_id,
            JobType::SmartSelfieRegistration,
        ),
        vec![Image::selfie_file(fixture_path("selfie.jpg"))],
    )
    .with_options(JobOptions {
        return_job_status: true,
        ..JobOptions::default()
    })
}

fn kyc(job_id: &str) -> IdVerification {
    IdVerification::new(
        PartnerParams::new(format!("u-{job_id}"), job_id, JobType::EnhancedKyc),
        IdInfo::verify("NG", "BVN", "00000000000"),
    )
}

async fn run_cell(
    emulator: &Emulator,
    kind: ClientKind,
    endpoint: Endpoint,
    fault_name: &str,
    fault: Fault,
    n: usize,
) -> Row {
    let job_id = format!("fm-{n}-{kind:?}");
    let cell = format!("{kind:?} {} / {fault_name}", endpoint.as_str());
    let seen = Arc::new(Mutex::new(Seen::default()));
    let mut setup = Setup::new(emulator.base_url());
    setup.request_timeout = Some(TIMEOUT);
    setup.upload_timeout = Some(TIMEOUT);
    setup.poll_policy = Some(
        PollPolicy::default()
            .with_initial_delay(Duration::ZERO)
            .with_intervals([Duration::from_secs(1)])
            .with_deadline(Duration::from_secs(30)),
    );
    let s = Arc::clone(&seen);
    setup.observer = Some(Observer(Arc::new(move |req| {
        if request_kind(req) == Some(RequestKind::PrepUpload) {
            let mut s = s.lock().unwrap();
            s.preps += 1;
            if req
                .body()
                .to_vec()
                .windows(12)
                .any(|w| w == b"\"retry\":true")
            {
                s.retry_preps += 1;
            }
        }
    })));
    let api: Client = client(kind, &setup);
    emulator.faults().clear_all();
    emulator.faults().set(endpoint, fault);

    let flow = matches!(
        endpoint,
        Endpoint::Upload | Endpoint::ZipUpload | Endpoint::JobStatus
    );
    let creates_job = flow
        || matches!(
            endpoint,
            Endpoint::IdVerification | Endpoint::AsyncIdVerification
        );
    let (outcome, err): (String, Option<Error>) = match endpoint {
        _ if flow => {
            let r = api.submit(request(&job_id)).await;
            (outcome_name(&r), r.err())
        }
        Endpoint::IdVerification => {
            let r = api.call(kyc(&job_id)).await;
            (outcome_name(&r), r.err())
        }
        Endpoint::AsyncIdVerification => {
            let r = api
                .call(AsyncIdVerification::new(
                    PartnerParams::new(
                        format!("u-{job_id}"),
                        job_id.as_str(),
                        JobType::EnhancedKyc,
                    ),
                    IdInfo::verify("NG", "BVN", "00000000000"),
                    Some("http://127.0.0.1:9/cb"),
                ))
                .await;
            (outcome_name(&r), r.err())
        }
        Endpoint::Token => {
            let r = api
                .call(WebTokenRequest::new(
                    "u",
                    job_id.as_str(),
                    "biometric_kyc",
                    Some("http://127.0.0.1:9/cb"),
                ))
                .await;
            (outcome_name(&r), r.err())
        }
        Endpoint::Services => {
            let r = api.call(Services::new()).await;
            (outcome_name(&r), r.err())
        }
        _ => {
            let r = api.call(ValidDocuments::new()).await;
            (outcome_name(&r), r.err())
        }
    };
    emulator.faults().clear_all();

    let held = emulator.state().job(&job_id);
    let want = expected(endpoint, fault_name);
    let mut pass = check(
        outcome == want,
        format!("outcome {outcome}, expected {want}"),
    );
    if let Some(e) = &err {
        let may = e.job_may_exist();
        pass = pass
            .and(check(
                held.is_none() || may,
                format!("the emulator holds the job but job_may_exist() is false: {e}"),
            ))
            .and(check(
                may || held.is_none(),
                "job_may_exist() false with a job held",
            ))
            .and(check(
                creates_job || !may || e.smile_job_id().is_some(),
                format!("no job can exist here, yet job_may_exist(): {e}"),
            ));
        // Once the client read the prep's answer, the error names the job.
        if let (Some(job), true) = (
            &held,
            matches!(endpoint, Endpoint::ZipUpload | Endpoint::JobStatus),
        ) {
            pass = pass.and(check(
                e.smile_job_id().map(|s| s.as_str()) == Some(job.smile_job_id.as_str()),
                format!(
                    "the error does not carry smile_job_id {}: {e}",
                    job.smile_job_id
                ),
            ));
        }
    }
    {
        let s = seen.lock().unwrap();
        pass = pass.and(check(
            s.preps - s.retry_preps <= 1,
            format!(
                "POST /upload sent {} times without retry: true",
                s.preps - s.retry_preps
            ),
        ));
    }
    pass = pass.and(check(
        emulator.stats().redirects_followed == 0,
        "a redirect was followed",
    ));

    // Resume from a "may exist" error: the same job, finished.
    if let Some(e) = err.as_ref().filter(|e| e.job_may_exist()) {
        if flow {
            let r = api.resume_job(request(&job_id)).await;
            let finished = emulator.state().job(&job_id);
            pass = pass.and(match (&r, &finished) {
                (Ok(JobOutcome::Completed { smile_job_id, .. }), Some(job)) => check(
                    smile_job_id.as_str() == job.smile_job_id.as_str()
                        && held
                            .as_ref()
                            .is_none_or(|h| h.smile_job_id == job.smile_job_id),
                    "resume made another job",
                ),
                _ => Err(format!("resume did not finish the job: {r:?}")),
            });
        } else if let Some(job) = &held {
            let status = api
                .call(JobStatus::new(
                    format!("u-{job_id}"),
                    job_id.as_str(),
                    JobStatusOptions::default(),
                ))
                .await;
            pass = pass.and(match status {
                Ok(s) => check(
                    s.result_entry()
                        .and_then(|r| r.smile_job_id.as_ref())
                        .map(|id| id.as_str())
                        == Some(job.smile_job_id.as_str()),
                    "job_status shows another job",
                ),
                Err(e2) => Err(format!("get_job_status after {e}: {e2}")),
            });
        }
    }
    Row {
        cell,
        outcome,
        pass,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_under_every_fault_on_both_clients() {
    let emulator = start();
    let endpoints = [
        Endpoint::Upload,
        Endpoint::ZipUpload,
        Endpoint::JobStatus,
        Endpoint::IdVerification,
        Endpoint::AsyncIdVerification,
        Endpoint::Token,
        Endpoint::Services,
        Endpoint::ValidDocuments,
    ];
    let mut rows = Vec::new();
    let mut n = 0;
    for kind in ClientKind::ALL {
        for endpoint in endpoints {
            for (name, fault) in faults(endpoint) {
                n += 1;
                rows.push(run_cell(&emulator, kind, endpoint, name, fault, n).await);
            }
        }
    }
    println!("\n| cell | outcome | pass |\n|---|---|---|");
    for r in &rows {
        let pass = match &r.pass {
            Ok(()) => "pass".to_owned(),
            Err(why) => format!("FAIL: {why}"),
        };
        println!("| {} | {} | {pass} |", r.cell, r.outcome);
    }
    let failed: Vec<&Row> = rows.iter().filter(|r| r.pass.is_err()).collect();
    assert!(
        failed.is_empty(),
        "{} of {} cells failed: {}",
        failed.len(),
        rows.len(),
        failed
            .iter()
            .map(|r| format!("{} ({:?})", r.cell, r.pass))
            .collect::<Vec<_>>()
            .join("; ")
    );
}

//! Both clients against the emulator's fault modes: what is retried, what ends the call, and
//! the recoveries docs/protocol.mdprescribes (re-prep after an expired upload URL, resuming a job
//! whose prep-upload reply was lost).

mod emulator_support;

use std::time::Duration;

use emulator_support::*;
use smile_core::{Error, JobOutcome, RequestKind};
use smile_emulator::{Endpoint, Fault};
use smile_types::{JobOptions, JobType};

fn auth(job_id: &str) -> smile_types::PartnerParams {
    params("user-0001", job_id, JobType::SmartSelfieAuthentication)
}

/// Submits job 2 `job_id` of "user-0001" (all images, [`polling`]) through `client`.
fn submit(client: &dyn Client, job_id: &str) -> Result<JobOutcome, Error> {
    submit_polling(
        client,
        "user-0001",
        job_id,
        JobType::SmartSelfieAuthentication,
    )
}

/// Asserts that `err` is a transport failure of the prep upload.
fn assert_prep_upload_transport(client: &dyn Client, err: &Error) {
    assert!(
        matches!(
            err,
            Error::Transport {
                during: RequestKind::PrepUpload,
                ..
            }
        ),
        "{}: {err:?}",
        client.name()
    );
}

fn setup() -> smile_emulator::Emulator {
    let emulator = emulator();
    emulator.state().enrol_user("user-0001");
    emulator
}

#[test]
fn transient_job_status_failures_are_retried() {
    let emulator = setup();
    for client in clients(&emulator, &Settings::for_emulator(&emulator)) {
        for fault in [
            Fault::status(503).times(2),
            Fault::drop_connection().times(1),
        ] {
            emulator.faults().set(Endpoint::JobStatus, fault.clone());
            let job_id = format!("t-{}-{}", client.name(), fastrand_id());
            let outcome = submit(client.as_ref(), &job_id)
                .unwrap_or_else(|e| panic!("{} with {fault:?}: {e}", client.name()));
            assert_eq!(result_code(&outcome), "0820");
            assert!(emulator.faults().list().is_empty(), "the fault was used up");
        }
    }
}

#[test]
fn persistent_server_errors_end_polling() {
    let emulator = setup();
    for client in clients(&emulator, &Settings::for_emulator(&emulator)) {
        emulator
            .faults()
            .set(Endpoint::JobStatus, Fault::status(500).times(50));
        let err = submit(client.as_ref(), &format!("p-{}", client.name())).unwrap_err();
        assert_eq!(
            err.status().map(|s| s.as_u16()),
            Some(500),
            "{}: {err}",
            client.name()
        );
        assert_eq!(err.code(), Some("2301"));
        assert!(err.smile_job_id().is_some(), "the job exists");
        emulator.faults().clear_all();
    }
}

#[test]
fn malformed_job_status_is_not_retried() {
    let emulator = setup();
    for client in clients(&emulator, &Settings::for_emulator(&emulator)) {
        emulator
            .faults()
            .set(Endpoint::JobStatus, Fault::malformed_json().times(1));
        let err = submit(client.as_ref(), &format!("m-{}", client.name())).unwrap_err();
        assert!(
            matches!(
                err,
                Error::UnexpectedResponse {
                    during: RequestKind::JobStatus,
                    ..
                }
            ),
            "{}: {err:?}",
            client.name()
        );
    }
}

#[test]
fn forged_job_status_is_refused() {
    let emulator = setup();
    let forged = r#"{"timestamp":"2024-03-05T10:15:41.902Z","signature":"1pfH8h/OXURY2x28QLwGpvanfi9v+JEvmu4nHfiUCg4=","job_complete":true,"job_success":true,"code":"2302","result":{"ResultCode":"0820","ResultText":"Machine Judgement - PASS","SmileJobID":"0000000001","IsFinalResult":"true"}}"#;
    for client in clients(&emulator, &Settings::for_emulator(&emulator)) {
        emulator.faults().set(
            Endpoint::JobStatus,
            Fault::status(200).with_body(forged).times(1),
        );
        let err = submit(client.as_ref(), &format!("f-{}", client.name())).unwrap_err();
        assert!(
            matches!(err, Error::ResponseSignatureInvalid { .. }),
            "{}: {err:?}",
            client.name()
        );
    }
}

#[test]
fn expired_upload_url_is_re_prepared_with_retry() {
    let emulator = setup();
    for client in clients(&emulator, &Settings::for_emulator(&emulator)) {
        emulator
            .faults()
            .set(Endpoint::ZipUpload, Fault::expire_upload_url().times(1));
        let job_id = format!("x-{}", client.name());
        let outcome = submit(client.as_ref(), &job_id).unwrap();
        assert_eq!(result_code(&outcome), "0820", "{}", client.name());
        assert!(emulator.faults().list().is_empty());

        // Born expired on the prep upload, same recovery.
        emulator
            .faults()
            .set(Endpoint::Upload, Fault::expire_upload_url().times(1));
        let outcome = submit(client.as_ref(), &format!("y-{}", client.name())).unwrap();
        assert_eq!(result_code(&outcome), "0820");
        assert!(
            emulator.faults().list().is_empty(),
            "{}: the born-expired fault was used",
            client.name()
        );
    }
}

#[test]
fn transient_upload_failure_is_retried() {
    let emulator = setup();
    for client in clients(&emulator, &Settings::for_emulator(&emulator)) {
        emulator
            .faults()
            .set(Endpoint::ZipUpload, Fault::status(503).times(1));
        let outcome = submit(client.as_ref(), &format!("u-{}", client.name()))
            .unwrap_or_else(|e| panic!("{}: {e}", client.name()));
        assert_eq!(result_code(&outcome), "0820");
        assert!(
            emulator.faults().list().is_empty(),
            "{}: the upload fault was used",
            client.name()
        );
    }
}

#[test]
fn lost_prep_upload_reply_then_resume() {
    let emulator = setup();
    for client in clients(&emulator, &Settings::for_emulator(&emulator)) {
        emulator.faults().set(
            Endpoint::Upload,
            Fault::drop_connection().after_handler().times(1),
        );
        let job_id = format!("r-{}", client.name());
        let err = submit(client.as_ref(), &job_id).unwrap_err();
        assert_prep_upload_transport(client.as_ref(), &err);
        assert!(
            emulator.state().job(&job_id).is_some(),
            "the job was created"
        );
        let options = JobOptions {
            resume_existing_job: true,
            ..polling()
        };
        let outcome = client.submit(auth(&job_id), images(), options).unwrap();
        assert_eq!(result_code(&outcome), "0820");
    }
}

#[test]
fn slow_server_hits_the_request_timeout() {
    let emulator = setup();
    let settings = Settings {
        request_timeout: Some(Duration::from_millis(200)),
        ..Settings::for_emulator(&emulator)
    };
    for client in clients(&emulator, &settings) {
        emulator.faults().set(
            Endpoint::Upload,
            Fault::delay(Duration::from_secs(3)).times(1),
        );
        let err = submit(client.as_ref(), &format!("s-{}", client.name())).unwrap_err();
        assert_prep_upload_transport(client.as_ref(), &err);
    }
}

fn fastrand_id() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

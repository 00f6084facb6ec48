//! Both clients run the seed flow against the emulator: enrol (job 4), then authenticate
//! (job 2) with pass, fail, provisional-then-final (by polling and by callbacks), unknown user,
//! duplicate job and bad signature.

mod emulator_support;

use emulator_support::*;
use smile_core::{Error, JobOutcome, JobStatusOptions, SecretString};
use smile_sign::supersedes;
use smile_types::{JobOptions, JobType, ResultCategory};

#[test]
fn enrol_then_authenticate_pass() {
    let emulator = emulator();
    for client in clients(&emulator, &Settings::for_emulator(&emulator)) {
        let user = format!("user-{}", client.name());
        let enrol = submit_polling(
            client.as_ref(),
            &user,
            &format!("enrol-{}", client.name()),
            JobType::SmartSelfieRegistration,
        )
        .unwrap();
        assert_eq!(result_code(&enrol), "0840", "{}", client.name());
        assert!(enrol.is_final_approval());
        assert!(emulator.state().user(&user).is_some(), "enrolled");

        let auth = submit_polling(
            client.as_ref(),
            &user,
            &format!("auth-{}", client.name()),
            JobType::SmartSelfieAuthentication,
        )
        .unwrap();
        let JobOutcome::Completed {
            status,
            interpretation,
            ..
        } = &auth
        else {
            panic!("{}: {auth:?}", client.name())
        };
        assert_eq!(result_code(&auth), "0820");
        assert_eq!(interpretation.category, ResultCategory::Approved);
        assert!(interpretation.is_final);
        assert!(auth.is_final_approval());
        assert_eq!(status.job_success(), Some(true));
        assert_eq!(status.history.len(), 1);
        let entry = status.result_entry().unwrap();
        assert_eq!(
            entry.result_text.as_deref(),
            Some("Machine Judgement - PASS")
        );
        // The liveness frames arrived: the emulator checked all nine images.
        let job = emulator
            .state()
            .job(&format!("auth-{}", client.name()))
            .unwrap();
        assert_eq!(job.failure, None);
    }
}

#[test]
fn authenticate_fail_0821() {
    let emulator = emulator();
    emulator.state().enrol_user("user-0001");
    for client in clients(&emulator, &Settings::for_emulator(&emulator)) {
        let outcome = client
            .submit(
                params(
                    "user-0001",
                    &format!("fail-{}", client.name()),
                    JobType::SmartSelfieAuthentication,
                )
                .with_extra("emulator_result", "0821"),
                images(),
                polling(),
            )
            .unwrap();
        assert_eq!(result_code(&outcome), "0821", "{}", client.name());
        let interpretation = outcome.interpretation().unwrap();
        assert_eq!(interpretation.category, ResultCategory::Rejected);
        assert!(outcome.is_final());
        assert!(!outcome.is_final_approval());
        assert_eq!(outcome.status().unwrap().job_success(), Some(false));
    }
}

#[test]
fn provisional_then_final_by_polling_and_callback() {
    let emulator = emulator();
    emulator.state().enrol_user("user-0001");
    for client in clients(&emulator, &Settings::for_emulator(&emulator)) {
        let receiver = Receiver::start();
        let job_id = format!("review-{}", client.name());
        let options = JobOptions {
            callback_url: Some(receiver.url.clone()),
            ..polling()
        };
        let outcome = client
            .submit(
                params("user-0001", &job_id, JobType::SmartSelfieAuthentication)
                    .with_extra("emulator_result", "0824"),
                images(),
                options,
            )
            .unwrap();
        assert_eq!(result_code(&outcome), "0824", "{}", client.name());
        assert!(!outcome.is_final(), "under review");
        assert_eq!(
            outcome.interpretation().unwrap().category,
            ResultCategory::SpoofSuspected
        );

        let first = receiver.next_verified(&emulator);
        let first_state = first.state().unwrap();
        assert_eq!(first_state.result_code.as_str(), "0824");
        assert!(!first_state.is_final);
        assert_eq!(
            first.dedupe_key.job_id.as_ref().map(|j| j.as_str()),
            Some(job_id.as_str())
        );

        assert_eq!(emulator.state().complete_reviews(), 1);
        let second = receiver.next_verified(&emulator);
        let second_state = second.state().unwrap();
        assert_eq!(second_state.result_code.as_str(), "1220");
        assert!(second_state.is_final);
        assert_eq!(second.dedupe_key, first.dedupe_key, "same job");
        assert!(supersedes(&first_state, &second_state));
        assert!(!supersedes(&second_state, &first_state));

        // Polling shows the final result too, with both in the history.
        let status = client
            .status("user-0001", &job_id, JobStatusOptions::all())
            .unwrap();
        let entry = status.result_entry().unwrap();
        assert_eq!(entry.result_code.as_ref().unwrap().as_str(), "1220");
        let codes: Vec<&str> = status
            .history
            .iter()
            .map(|e| e.result_code.as_ref().unwrap().as_str())
            .collect();
        assert_eq!(codes, ["0824", "1220"]);
        let links = status.image_links.as_ref().unwrap();
        assert!(
            links
                .selfie_image
                .as_deref()
                .unwrap()
                .starts_with("http://127.0.0.1:")
        );
    }
}

#[test]
fn unknown_user_is_2210() {
    let emulator = emulator();
    for client in clients(&emulator, &Settings::for_emulator(&emulator)) {
        let err = submit_polling(
            client.as_ref(),
            "nobody",
            &format!("j-{}", client.name()),
            JobType::SmartSelfieAuthentication,
        )
        .unwrap_err();
        assert_eq!(err.code(), Some("2210"), "{}: {err}", client.name());
        assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
        assert!(matches!(err, Error::Api { .. }));
        assert!(!err.is_transient());
    }
}

#[test]
fn duplicate_job_is_2215() {
    let emulator = emulator();
    emulator.state().enrol_user("user-0001");
    for client in clients(&emulator, &Settings::for_emulator(&emulator)) {
        let job_id = format!("dup-{}", client.name());
        submit_polling(
            client.as_ref(),
            "user-0001",
            &job_id,
            JobType::SmartSelfieAuthentication,
        )
        .unwrap();
        let err = submit_polling(
            client.as_ref(),
            "user-0001",
            &job_id,
            JobType::SmartSelfieAuthentication,
        )
        .unwrap_err();
        assert!(
            matches!(&err, Error::JobAlreadyExists { job_id: j, .. } if j.as_str() == job_id),
            "{}: {err:?}",
            client.name()
        );
    }
}

#[test]
fn bad_signature_is_2205() {
    let emulator = emulator();
    emulator.state().enrol_user("user-0001");
    let settings = Settings {
        api_key: SecretString::from("not-the-emulator-key"),
        ..Settings::for_emulator(&emulator)
    };
    for client in clients(&emulator, &settings) {
        let err = submit_polling(
            client.as_ref(),
            "user-0001",
            &format!("sig-{}", client.name()),
            JobType::SmartSelfieAuthentication,
        )
        .unwrap_err();
        assert_eq!(err.code(), Some("2205"), "{}: {err}", client.name());
        assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
        assert!(emulator.state().jobs().is_empty(), "no job created");
    }
}

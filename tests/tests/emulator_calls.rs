//! Every call of the endpoint layer on both clients against the emulator: Enhanced KYC and
//! business verification, sync and async (the async results received as signed callbacks and
//! verified), the web token, the lookups, job status for the jobs they created, and job 11's
//! default pass read as a final approval.

mod emulator_support;

use std::time::Duration;

use emulator_support::Receiver;
use smile_core::JobStatusOptions;
use smile_core::endpoint::{
    AsyncBusinessVerification, AsyncIdVerification, BusinessVerification, IdVerification,
    JobStatus, Services, ValidDocuments, WebTokenRequest,
};
use smile_emulator::Emulator;
use smile_package::{Image, SubmitRequest};
use smile_tests::{API_KEY, ClientKind, PARTNER_ID, Setup, client, fixture_path};
use smile_types::{IdInfo, JobOptions, JobType, PartnerParams, ResultCategory};

/// An emulator with the vectors' partner and key, results at once.
fn start() -> Emulator {
    Emulator::builder()
        .partner_id(PARTNER_ID)
        .api_key(API_KEY)
        .processing_delay(Duration::ZERO)
        .callback_retries(3, Duration::from_millis(10))
        .start_blocking()
        .unwrap()
}

fn setup(emulator: &Emulator) -> Setup {
    Setup::new(emulator.base_url())
}

/// The next callback, verified; off the runtime's worker (the receiver blocks).
fn verified(rx: &Receiver, emulator: &Emulator) -> smile_sign::VerifiedCallback {
    tokio::task::block_in_place(|| rx.next_verified(emulator))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn id_lookups_sync_and_async_on_both_clients() {
    let emulator = start();
    let rx = Receiver::start();
    for kind in ClientKind::ALL {
        let api = client(kind, &setup(&emulator));
        let tag = format!("{kind:?}").to_lowercase();
        let pp =
            |job: &str, t| PartnerParams::new(format!("user-{tag}"), format!("{job}-{tag}"), t);

        // Enhanced KYC, sync: the result in the response.
        let kyc = api
            .call(IdVerification::new(
                pp("kyc", JobType::EnhancedKyc),
                IdInfo::verify("NG", "BVN", "00000000000"),
            ))
            .await
            .unwrap();
        assert!(kyc.is_final_approval(), "{kyc:?}");
        assert_eq!(kyc.result_code.as_ref().unwrap().as_str(), "1012");
        let smile_job_id = kyc.smile_job_id().unwrap().clone();
        // Its job answers job_status, read with job 5's table.
        let status = api
            .call(JobStatus::new(
                format!("user-{tag}"),
                format!("kyc-{tag}"),
                JobStatusOptions::all(),
            ))
            .await
            .unwrap();
        assert!(status.is_complete());
        let entry = status.result_entry().unwrap();
        assert_eq!(entry.smile_job_id.as_ref(), Some(&smile_job_id));
        assert_eq!(
            entry.interpret(JobType::EnhancedKyc).category,
            ResultCategory::Approved
        );

        // Enhanced KYC, async: an acknowledgement, then the signed callback.
        let ack = api
            .call(AsyncIdVerification::new(
                pp("kyc-async", JobType::EnhancedKyc),
                IdInfo::verify("NG", "BVN", "00000000000"),
                Some(&rx.url),
            ))
            .await
            .unwrap();
        assert_eq!(ack.job_id.as_str(), format!("kyc-async-{tag}"));
        let cb = verified(&rx, &emulator);
        assert_eq!(
            cb.callback.job_id().unwrap().as_str(),
            format!("kyc-async-{tag}")
        );
        let i = cb.callback.interpret(JobType::EnhancedKyc);
        assert_eq!((i.category, i.is_final), (ResultCategory::Approved, true));

        // Business verification, sync and async.
        let kyb = api
            .call(
                BusinessVerification::new(
                    pp("kyb", JobType::BusinessVerification),
                    IdInfo::verify("NG", "BUSINESS_REGISTRATION", "A000000"),
                )
                .with_business_type("co"),
            )
            .await
            .unwrap();
        assert!(kyb.is_final_approval(), "{kyb:?}");
        api.call(AsyncBusinessVerification::new(
            pp("kyb-async", JobType::BusinessVerification),
            IdInfo::verify("NG", "BUSINESS_REGISTRATION", "A000000"),
            Some(&rx.url),
        ))
        .await
        .unwrap();
        let cb = verified(&rx, &emulator);
        assert_eq!(
            cb.callback.job_id().unwrap().as_str(),
            format!("kyb-async-{tag}")
        );
        assert!(
            cb.callback
                .interpret(JobType::BusinessVerification)
                .is_final
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_and_lookups_on_both_clients() {
    let emulator = start();
    for kind in ClientKind::ALL {
        let api = client(kind, &setup(&emulator));
        let token = api
            .call(WebTokenRequest::new(
                "user-1",
                format!("token-{kind:?}"),
                "biometric_kyc",
                Some("http://127.0.0.1:9/cb"),
            ))
            .await
            .unwrap();
        assert!(!token.token.is_empty());
        let services = api.call(Services::new()).await.unwrap();
        assert!(services.hosted_web().is_some(), "{services:?}");
        let docs = api.call(ValidDocuments::new()).await.unwrap();
        assert!(!docs.countries().is_empty());
    }
}

/// Job 11 (Enhanced Document Verification): the emulator's default pass, 0810, is read with
/// the document-verification table: approved and final.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_11_passes_as_a_final_approval() {
    let emulator = start();
    for kind in ClientKind::ALL {
        let api = client(kind, &setup(&emulator));
        let request = SubmitRequest::new(
            PartnerParams::new(
                "user-doc",
                format!("doc-{kind:?}"),
                JobType::EnhancedDocumentVerification,
            ),
            vec![
                Image::selfie_file(fixture_path("selfie.jpg")),
                Image::id_front_file(fixture_path("id_card_front.jpg")),
            ],
        )
        .with_id_info(IdInfo {
            country: Some("NG".into()),
            id_type: Some("PASSPORT".into()),
            ..IdInfo::new()
        })
        .with_options(JobOptions {
            return_job_status: true,
            ..JobOptions::default()
        });
        let outcome = api.submit(request).await.unwrap();
        assert_eq!(
            outcome
                .interpretation()
                .unwrap()
                .code
                .as_ref()
                .unwrap()
                .as_str(),
            "0810"
        );
        assert!(outcome.is_final_approval(), "{kind:?}: {outcome:?}");
    }
}

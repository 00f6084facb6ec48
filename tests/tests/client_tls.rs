//! Both clients over HTTPS against the emulator's self-signed certificate: trusted through
//! `root_certificates_pem` (and through a caller-built ureq agent / reqwest client), they run
//! an enrolment (job 4) and an authentication (job 2); not trusting it, they fail with a
//! transport error before any job exists.

use std::time::Duration;

use smile_core::{ConfigError, Error, JobOutcome, PollPolicy, RequestKind, TransportFailureKind};
use smile_emulator::Emulator;
use smile_package::Image;
use smile_types::{JobOptions, JobType, PartnerParams};

fn images() -> Vec<Image> {
    smile_tests::seed_images()
}

fn fast_polls() -> PollPolicy {
    PollPolicy::default()
        .with_initial_delay(Duration::ZERO)
        .with_intervals([Duration::from_millis(10)])
        .with_deadline(Duration::from_secs(30))
}

fn polling() -> JobOptions {
    JobOptions {
        return_job_status: true,
        ..JobOptions::default()
    }
}

fn enrol(user: &str, job: &str) -> PartnerParams {
    PartnerParams::new(user, job, JobType::SmartSelfieRegistration)
}

fn authenticate(user: &str, job: &str) -> PartnerParams {
    PartnerParams::new(user, job, JobType::SmartSelfieAuthentication)
}

fn code_of(outcome: &JobOutcome) -> &str {
    outcome
        .result()
        .and_then(|e| e.result_code.as_ref())
        .map_or("", |c| c.as_str())
}

fn tls_emulator() -> Emulator {
    let emulator = Emulator::builder()
        .tls(true)
        .processing_delay(Duration::ZERO)
        .start_blocking()
        .unwrap();
    assert!(
        emulator.base_url().starts_with("https://"),
        "{}",
        emulator.base_url()
    );
    emulator
}

fn blocking_builder(emulator: &Emulator) -> smile_blocking::WebApiBuilder {
    smile_blocking::WebApi::builder(emulator.partner_id(), emulator.api_key().clone())
        .base_url(emulator.base_url())
        .poll_policy(fast_polls())
}

fn async_builder(emulator: &Emulator) -> smile_async::WebApiBuilder {
    smile_async::WebApi::builder(emulator.partner_id(), emulator.api_key().clone())
        .base_url(emulator.base_url())
        .poll_policy(fast_polls())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Enrols `user-{tag}` (job 4), then authenticates them (job 2).
fn blocking_flow(api: &smile_blocking::WebApi, tag: &str) {
    let user = format!("user-{tag}");
    let enrolled = api
        .submit_job(
            enrol(&user, &format!("enrol-{tag}")),
            images(),
            None,
            polling(),
        )
        .unwrap();
    let authenticated = api
        .submit_job(
            authenticate(&user, &format!("auth-{tag}")),
            images(),
            None,
            polling(),
        )
        .unwrap();
    assert_flow(&enrolled, &authenticated);
}

/// [`blocking_flow`] with the async client.
async fn async_flow(api: &smile_async::WebApi, tag: &str) {
    let user = format!("user-{tag}");
    let enrolled = api
        .submit_job(
            enrol(&user, &format!("enrol-{tag}")),
            images(),
            None,
            polling(),
        )
        .await
        .unwrap();
    let authenticated = api
        .submit_job(
            authenticate(&user, &format!("auth-{tag}")),
            images(),
            None,
            polling(),
        )
        .await
        .unwrap();
    assert_flow(&enrolled, &authenticated);
}

/// Enrolment then authentication must both be final approvals (0840, then 0820).
fn assert_flow(enrolled: &JobOutcome, authenticated: &JobOutcome) {
    assert_eq!(code_of(enrolled), "0840", "{}", enrolled.summary());
    assert!(enrolled.is_final_approval());
    assert_eq!(
        code_of(authenticated),
        "0820",
        "{}",
        authenticated.summary()
    );
    assert!(authenticated.is_final_approval());
}

/// The failure of a client that does not trust the emulator: a TLS transport error on
/// `POST /upload`, with no job.
fn assert_untrusted(e: &Error) {
    let Error::Transport {
        during,
        smile_job_id,
        source,
        ..
    } = e
    else {
        panic!("expected a transport error, got {e:?}")
    };
    assert_eq!(*during, RequestKind::PrepUpload, "{e}");
    assert_eq!(*smile_job_id, None);
    assert_eq!(source.kind(), TransportFailureKind::Tls, "{source:?}");
    assert!(!source.is_transient(), "{source:?}");
}

#[test]
fn blocking_client_trusting_the_emulator_certificate() {
    let emulator = tls_emulator();
    let api = blocking_builder(&emulator)
        .root_certificates_pem(emulator.cert_pem().unwrap())
        .build()
        .unwrap();
    blocking_flow(&api, "b");
}

#[tokio::test]
async fn async_client_trusting_the_emulator_certificate() {
    let emulator = Emulator::builder()
        .tls(true)
        .processing_delay(Duration::ZERO)
        .start()
        .await
        .unwrap();
    assert!(emulator.base_url().starts_with("https://"));
    let api = async_builder(&emulator)
        .root_certificates_pem(emulator.cert_pem().unwrap())
        .build()
        .unwrap();
    async_flow(&api, "a").await;
}

#[test]
fn caller_built_agent_and_client_trusting_only_the_emulator() {
    use smile_async::reqwest;
    use smile_blocking::ureq;

    let emulator = tls_emulator();
    let pem = emulator.cert_pem().unwrap();

    // ureq, through the crate's re-export: only the emulator's certificate as a root.
    let certs: Vec<_> = ureq::tls::parse_pem(pem.as_bytes())
        .filter_map(|item| match item.unwrap() {
            ureq::tls::PemItem::Certificate(c) => Some(c),
            _ => None,
        })
        .collect();
    assert_eq!(certs.len(), 1);
    let agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .tls_config(
                ureq::tls::TlsConfig::builder()
                    .root_certs(ureq::tls::RootCerts::new_with_certs(&certs))
                    .build(),
            )
            .build(),
    );
    let blocking = blocking_builder(&emulator)
        .transport(smile_blocking::UreqTransport::from_agent(agent))
        .build()
        .unwrap();
    blocking_flow(&blocking, "u");

    // reqwest, through the crate's re-export: built-in roots off, the emulator's on.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).unwrap())
        .build()
        .unwrap();
    let asynchronous = async_builder(&emulator)
        .transport(smile_async::ReqwestTransport::from_client(client))
        .build()
        .unwrap();
    runtime().block_on(async_flow(&asynchronous, "r"));
}

#[test]
fn clients_that_do_not_trust_the_certificate_fail_with_a_transport_error() {
    let emulator = tls_emulator();
    let blocking = blocking_builder(&emulator).build().unwrap();
    let e = blocking
        .submit_job(enrol("user-x", "enrol-x"), images(), None, polling())
        .unwrap_err();
    assert_untrusted(&e);

    let asynchronous = async_builder(&emulator).build().unwrap();
    let e = runtime()
        .block_on(asynchronous.submit_job(enrol("user-y", "enrol-y"), images(), None, polling()))
        .unwrap_err();
    assert_untrusted(&e);

    // Nothing reached the emulator's job store.
    assert!(emulator.state().job("enrol-x").is_none());
    assert!(emulator.state().job("enrol-y").is_none());
}

#[test]
fn a_root_certificate_that_cannot_be_parsed_is_a_config_error() {
    let bad = "-----BEGIN CERTIFICATE-----\n!!! not base64 !!!\n-----END CERTIFICATE-----\n";
    let e = smile_blocking::WebApi::builder("085", "key")
        .root_certificates_pem(bad)
        .build()
        .unwrap_err();
    assert!(
        matches!(e, ConfigError::RootCertificates { .. }),
        "blocking: {e:?}"
    );
    let e = smile_async::WebApi::builder("085", "key")
        .root_certificates_pem(bad)
        .build()
        .unwrap_err();
    assert!(
        matches!(e, ConfigError::RootCertificates { .. }),
        "async: {e:?}"
    );
    assert!(e.to_string().starts_with("root_certificates_pem: "), "{e}");
}

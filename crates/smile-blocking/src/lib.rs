//! A blocking Smile ID client: the `smile-core` protocol driven over ureq 3.
//!
//! One dependency is enough: this crate re-exports what a caller needs from `smile-core`,
//! `smile-types`, `smile-package` and `smile-sign` (also as the modules [`core`], [`types`],
//! [`package`] and [`sign`]).
//!
//! # Example: enrol, then authenticate (on the emulator)
//!
//! [`smile_emulator`](https://docs.rs/smile-emulator) is a local Smile ID API: this runs with no
//! account and no network. Against Smile ID, the same code takes your partner id and API key
//! and `.server(Server::Sandbox)` (the default) or `.server(Server::Production)` instead of
//! `.base_url(..)`.
//!
//! ```
//! use std::time::Duration;
//! use smile_blocking::{Image, JobOptions, JobType, PartnerParams, WebApi};
//! use smile_emulator::Emulator;
//!
//! // Partner id "001", API key "emulator-api-key", a free loopback port.
//! let emulator = Emulator::builder().processing_delay(Duration::ZERO).start_blocking()?;
//! let api = WebApi::builder(emulator.partner_id(), emulator.api_key().clone())
//!     .base_url(emulator.base_url()) // e.g. http://127.0.0.1:41234/v1
//!     .build()?;
//!
//! # let selfie = smile_testdata::fixture_path("selfie.jpg");
//! # let liveness: Vec<_> = (1..=8).map(|i| smile_testdata::fixture_path(&format!("liveness_{i}.jpg"))).collect();
//! // `selfie`: the path of a JPEG or PNG; `liveness`: the paths of the 8 liveness frames.
//! let wait = JobOptions { return_job_status: true, ..JobOptions::default() };
//!
//! // 1. Enrol the user (SmartSelfie™ Registration, job type 4).
//! let enrolled = api.submit_job(
//!     PartnerParams::new("user-17", "enrol-0001", JobType::SmartSelfieRegistration),
//!     vec![Image::selfie_file(&selfie)],
//!     None,
//!     wait.clone(),
//! )?;
//! assert!(enrolled.is_final_approval()); // 0840 "Enroll User - PASS"
//!
//! // 2. Authenticate them later (SmartSelfie™ Authentication, job type 2), with a fresh job id.
//! let outcome = api.submit_job(
//!     PartnerParams::new("user-17", "auth-0001", JobType::SmartSelfieAuthentication),
//!     std::iter::once(Image::selfie_file(&selfie))
//!         .chain(liveness.iter().map(Image::liveness_file))
//!         .collect(),
//!     None,
//!     wait,
//! )?;
//! assert!(outcome.is_final_approval()); // 0820 "Machine Judgement - PASS"
//! println!("{}", outcome.summary());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Example: no server at all
//!
//! A unit test can give the client a transport of its own: here a closure playing the Smile ID
//! server. In production, leave `.transport(..)` out and ureq is used.
//!
//! ```
//! use smile_blocking::{Image, JobOptions, JobOutcome, JobType, PartnerParams, WebApi};
//! # use smile_blocking::{HttpRequest, HttpResponse, TransportFailure, sign::Signer, types::PartnerId};
//! # let server_signer = Signer::new(PartnerId::new("085"), "api-key");
//! # let fake_server = move |req: HttpRequest| -> Result<HttpResponse, TransportFailure> {
//! #     let body = match req.uri().path() {
//! #         "/v1/upload" => r#"{"upload_url":"https://uploads.example/x?sig=1","smile_job_id":"0000000001","code":"2202"}"#.to_owned(),
//! #         "/x" => String::new(),
//! #         _ => { let t = "2024-01-01T00:00:05.000Z"; let s = server_signer.sign(t);
//! #                format!(r#"{{"timestamp":"{t}","signature":"{s}","job_complete":true,"job_success":true,"result":{{"ResultCode":"0820","IsFinalResult":"true"}}}}"#) }
//! #     };
//! #     Ok(http::Response::builder().status(200).body(body.into_bytes()).unwrap())
//! # };
//!
//! let api = WebApi::builder("085", "api-key") // partner id, API key (sandbox by default)
//!     .default_callback("https://example.com/smile/callback")
//! #   .transport(fake_server)
//!     .build()?;
//!
//! let jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0];
//! let outcome = api.submit_job(
//!     PartnerParams::new("user-0001", "job-0002", JobType::SmartSelfieAuthentication),
//!     vec![Image::selfie_bytes(jpeg.clone()), Image::liveness_bytes(jpeg)],
//!     None,
//!     JobOptions { return_job_status: true, ..JobOptions::default() },
//! )?;
//! // A provisional result (e.g. 0824, under review) is NOT final: the final one reaches the callback.
//! assert!(outcome.is_final_approval());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # No job lost: two phases, and resuming
//!
//! `submit_job` is three phases run at once. Run them apart to learn and store the
//! `smile_job_id` **before** any image is uploaded ([`WebApi::create_job`], then
//! [`WebApi::upload_job`]; a process that dies in between uploads from what it stored), and
//! finish any job that an error says may exist with [`WebApi::resume_job`] (the same request,
//! `retry: true`: the same job, never a second, billed one).
//!
//! ```
//! use std::time::Duration;
//! use smile_blocking::{CreatedJob, Image, JobOptions, JobType, PartnerParams, SubmitRequest, WebApi};
//! use smile_emulator::Emulator;
//!
//! let emulator = Emulator::builder().processing_delay(Duration::ZERO).start_blocking()?;
//! let api = WebApi::builder(emulator.partner_id(), emulator.api_key().clone())
//!     .base_url(emulator.base_url())
//!     .build()?;
//! # let selfie = smile_testdata::fixture_path("selfie.jpg");
//! let request = || {
//!     SubmitRequest::new(
//!         PartnerParams::new("user-42", "enrol-42", JobType::SmartSelfieRegistration),
//!         vec![Image::selfie_file(&selfie)],
//!     )
//!     .with_options(JobOptions { return_job_status: true, ..JobOptions::default() })
//! };
//!
//! // Phase one: the job exists, nothing is uploaded yet. Store this (e.g. in your database).
//! let created = api.create_job(request())?;
//! let stored = serde_json::to_string(&created)?;
//!
//! // ... the process may die here; the next one reads what was stored ...
//! let created: CreatedJob = serde_json::from_str(&stored)?;
//! let outcome = api.upload_job(&created, request())?; // phase two, then the wait
//! assert!(outcome.is_final_approval());
//! assert_eq!(outcome.smile_job_id(), &created.smile_job_id);
//!
//! // From any error whose job_may_exist() is true: finish the same job.
//! let job = PartnerParams::new("user-43", "enrol-43", JobType::SmartSelfieRegistration);
//! let req = SubmitRequest::new(job, vec![Image::selfie_file(&selfie)])
//!     .with_options(JobOptions { return_job_status: true, ..JobOptions::default() });
//! let first = api.create_job(req.clone())?; // (say the upload never happened)
//! let finished = api.resume_job(req)?;
//! assert_eq!(finished.smile_job_id(), &first.smile_job_id);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Features
//!
//! | feature | default | what it does |
//! |---|---|---|
//! | `rustls` | yes | TLS with rustls (ring) and the webpki roots |
//! | `native-tls` | no | TLS with the platform's library (OpenSSL, SChannel, Security.framework); used when `rustls` is off |
//!
//! With both off, only plain `http` works: building a client for an `https` base URL (the
//! default servers are) fails with [`ConfigError::NoTls`].
//!
//! # Timeouts and connections
//!
//! Connect 10 s, JSON calls 30 s, the zip upload 120 s (all settable on the builder). One
//! ureq `Agent` is kept per client, so connections are reused (keep-alive). Redirects are
//! never followed and every HTTP status is handed to the protocol machine.
//!
//! # TLS and private certificates
//!
//! The default transport trusts the web PKI roots. For a server with a private or self-signed
//! certificate (e.g. `smile-emulator` with TLS: `emulator.cert_pem()`),
//! [`WebApiBuilder::root_certificates_pem`] makes it trust the given roots **instead**. For
//! anything else (proxy, client certificates), build your own agent with
//! [`ureq`](https://docs.rs/ureq/3) 3 (re-exported as `smile_blocking::ureq`) and pass it to
//! [`UreqTransport::from_agent`]. A certificate that is not trusted ends the call with [`Error::Transport`] of kind
//! [`TransportFailureKind::Tls`].
//!
//! # Logging
//!
//! The SDK emits [`tracing`](https://docs.rs/tracing) spans and events, off unless a
//! subscriber listens: a span per job (`smile.job`: `job_id`, `job_type`, `smile_job_id`) or
//! call (`smile.call`: `endpoint`, `job_id`), and an event per request and response (the
//! attempt, the status or failure, the outcome). They never carry the API key, a signature,
//! image data, id numbers or the query of a presigned upload URL (a test captures a whole job
//! to prove it). The HTTP library underneath (ureq) logs request URIs at `DEBUG` on its
//! own targets, presigned queries included: keep those targets at `info` in a production filter
//! (e.g. `RUST_LOG=info,smile_core=debug`).
//!
//! # Errors
//!
//! Every call returns [`Error`]; see its documentation for what each variant means and
//! whether a job may exist on the server. Nothing panics on bad input or bad responses.
//!
//! # Testing
//!
//! [`WebApiBuilder::transport`], [`WebApiBuilder::clock`] and [`WebApiBuilder::sleep`] replace
//! the network, the time and the waiting: a test can poll through a whole 90 s schedule in
//! microseconds with a [`FixedClock`] that the sleep hook advances.
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

use std::sync::Arc;
use std::time::Duration;

use smile_core::{Driver, DriverBuilder};

pub use http;
pub use smile_core as core;
pub use smile_package as package;
pub use smile_sign as sign;
pub use smile_types as types;
/// The ureq version this crate uses, to build an agent for [`UreqTransport::from_agent`].
pub use ureq;

pub use smile_core::prelude::*;
pub use transport::UreqTransport;

mod resolver;
mod transport;

/// A `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

type SleepFn = dyn Fn(Duration) + Send + Sync;

/// A Smile ID v1 client that blocks the calling thread.
///
/// Cheap to clone (the transport, clock and configuration are shared); `Send + Sync`. Its
/// `Debug` output never shows the API key.
#[derive(Clone, Debug)]
pub struct WebApi {
    inner: Driver<dyn Transport, SleepFn>,
}

impl WebApi {
    /// A builder with the required credentials: the partner id exactly as shown in the portal
    /// (`"085"` and `"85"` differ) and the API key of the chosen environment.
    pub fn builder(
        partner_id: impl Into<PartnerId>,
        api_key: impl Into<SecretString>,
    ) -> WebApiBuilder {
        WebApiBuilder {
            inner: DriverBuilder::new(partner_id, api_key),
        }
    }

    /// The configuration (no secrets are reachable from it but the [`Signer`]).
    #[must_use]
    pub fn config(&self) -> &ClientConfig {
        self.inner.config()
    }

    smile_core::__client_calls!(;);

    /// Validates `request` and reads its images (on the calling thread), then builds a
    /// machine from it.
    fn prepared<M>(
        &self,
        request: SubmitRequest,
        make: impl FnOnce(&ClientConfig, SubmitRequest) -> Result<M>,
    ) -> Result<M> {
        make(self.config(), request)
    }

    /// Drives any protocol [`Machine`] to completion with this client's transport, clock and
    /// sleep (e.g. a [`SubmitJob`] with its own poll policy).
    ///
    /// # Errors
    /// The machine's error.
    pub fn run<M: Machine>(&self, mut machine: M) -> Result<M::Output> {
        loop {
            match machine.next(self.config().clock().now()) {
                Step::Send(request) => machine.on_response(self.inner.transport().send(request)),
                Step::Wait(d) => (self.inner.sleep())(d),
                Step::Done(result) => return result,
            }
        }
    }
}

/// Builds a [`WebApi`].
///
/// ```
/// use std::time::Duration;
/// use smile_blocking::{Server, WebApi};
///
/// let api = WebApi::builder("085", "api-key")
///     .server(Server::Production)
///     .default_callback("https://example.com/smile/callback")
///     .upload_timeout(Duration::from_secs(60))
///     .build()?;
/// assert!(!format!("{api:?}").contains("api-key"));
/// # Ok::<(), smile_blocking::ConfigError>(())
/// ```
#[derive(Debug)]
#[must_use]
pub struct WebApiBuilder {
    inner: DriverBuilder<dyn Transport, SleepFn>,
}

impl WebApiBuilder {
    smile_core::__forward_config_setters!(inner);

    /// Uses this transport instead of ureq (a proxy, mTLS, middleware, a test double). It must
    /// follow the [`Transport`] contract: every status as `Ok`, no redirects, honour the
    /// request's timeout.
    pub fn transport(mut self, transport: impl Transport + 'static) -> Self {
        self.inner = self.inner.transport(Arc::new(transport));
        self
    }

    /// Uses this function to wait between polls and retries (default
    /// [`std::thread::sleep`]). Tests pass one that advances a [`FixedClock`].
    pub fn sleep(mut self, sleep: impl Fn(Duration) + Send + Sync + 'static) -> Self {
        self.inner = self.inner.sleep(Arc::new(sleep));
        self
    }

    /// Validates the settings and builds the client (and its ureq agent, unless a transport
    /// was given).
    ///
    /// # Errors
    /// [`ConfigError`] naming the invalid setting.
    pub fn build(self) -> Result<WebApi, ConfigError> {
        let inner = self.inner.build(
            |config| Ok(Arc::new(UreqTransport::for_config(config)?)),
            || Arc::new(std::thread::sleep),
        )?;
        Ok(WebApi { inner })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::TLS_AVAILABLE;

    #[test]
    fn debug_hides_the_key() {
        let secret = "do-not-print-this-key-42";
        // Plain http: the test also runs without a TLS feature.
        let b = WebApi::builder("085", secret).base_url("http://127.0.0.1:9/v1");
        assert!(!format!("{b:?}").contains(secret));
        let api = b.build().unwrap();
        let d = format!("{api:?}");
        assert!(!d.contains(secret), "{d}");
        assert!(d.contains("085"));
    }

    #[test]
    fn builder_errors_name_the_setting() {
        let e = WebApi::builder("085", "k")
            .base_url("ftp://x")
            .build()
            .unwrap_err();
        assert!(e.to_string().contains("ftp://x"), "{e}");
        let e = WebApi::builder("085", "k")
            .default_callback("nope")
            .build()
            .unwrap_err();
        assert!(e.to_string().contains("default_callback"), "{e}");
    }

    #[test]
    fn https_without_a_tls_feature_fails_at_build() {
        let built = WebApi::builder("085", "k").build(); // sandbox: https
        if TLS_AVAILABLE {
            assert!(built.is_ok(), "{built:?}");
        } else {
            let e = built.unwrap_err();
            assert!(matches!(e, ConfigError::NoTls { .. }), "{e:?}");
            assert!(e.to_string().contains("rustls"), "{e}");
            // Plain http needs no TLS.
            assert!(
                WebApi::builder("085", "k")
                    .base_url("http://127.0.0.1:9/v1")
                    .build()
                    .is_ok()
            );
        }
    }

    #[test]
    fn connection_refused_is_a_connect_failure() {
        // Port 9 (discard) on loopback is closed in the test environment.
        let t = UreqTransport::new(Duration::from_secs(2));
        let mut req = http::Request::post("http://127.0.0.1:9/v1/job_status")
            .body(smile_core::Body::from(b"{}".to_vec()))
            .unwrap();
        req.extensions_mut()
            .insert(smile_core::RequestTimeout(Duration::from_secs(2)));
        let f = t.send(req).unwrap_err();
        assert_eq!(f.kind(), TransportFailureKind::Connect, "{f:?}");
        assert!(f.is_transient());
        assert_eq!(f.message(), "POST http://127.0.0.1:9/v1/job_status");
    }
}

/// The crate README's example (its crates.io page), compiled as a doc test so it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

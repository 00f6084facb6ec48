//! The Smile ID v1 protocol without I/O: request builders, response parsing, the
//! `submit_job` and `get_job_status` state machines, poll and retry policies, and the
//! transport traits that `smile-blocking` and `smile-async` (or your own HTTP stack) implement.
//!
//! Most users want a driver crate instead: `smile-blocking` (ureq) or `smile-async`
//! (reqwest + tokio). Use `smile-core` directly to plug in another HTTP client, or to run the
//! protocol in an environment of your own (a job queue, a simulation).
//!
//! # Example: the whole SmartSelfie™ Authentication flow over a closure "transport"
//!
//! The machine says what to send; whoever drives it sends it and reports back. Here a closure
//! plays the server, so the example runs without a network:
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use smile_core::{ClientConfig, HttpRequest, HttpResponse, JobOutcome, Machine, Step, SubmitJob, Transport, TransportFailure};
//! use smile_package::{Image, SubmitRequest};
//! use smile_sign::Signer;
//! use smile_types::{JobOptions, JobType, PartnerId, PartnerParams, ResultCategory};
//!
//! // A pretend server: answers POST /upload, the PUT and one (signed) job status.
//! let server_signer = Signer::new(PartnerId::new("085"), "api-key");
//! let server = move |req: HttpRequest| -> Result<HttpResponse, TransportFailure> {
//!     let body = match req.uri().path() {
//!         "/v1/upload" => r#"{"upload_url":"https://uploads.example/x?sig=1","smile_job_id":"0000000001","code":"2202"}"#.to_owned(),
//!         "/x" => String::new(), // the zip PUT
//!         _ => {
//!             let s = server_signer.sign("2024-01-01T00:00:05.000Z");
//!             format!(r#"{{"timestamp":"2024-01-01T00:00:05.000Z","signature":"{s}","job_complete":true,"job_success":true,"code":"2302","result":{{"ResultCode":"0820","ResultText":"Machine Judgement - PASS","IsFinalResult":"true"}}}}"#)
//!         }
//!     };
//!     Ok(http::Response::builder().status(200).body(body.into_bytes()).unwrap())
//! };
//!
//! let config = ClientConfig::builder("085", "api-key").build()?;
//! let jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0];
//! let request = SubmitRequest::new(
//!     PartnerParams::new("user-0001", "job-0002", JobType::SmartSelfieAuthentication),
//!     vec![Image::selfie_bytes(jpeg.clone()), Image::liveness_bytes(jpeg)],
//! )
//! .with_options(JobOptions { return_job_status: true, ..JobOptions::default() });
//!
//! // The driver loop (smile-blocking does exactly this, with ureq and a real clock).
//! let mut machine = SubmitJob::new(&config, request)?;
//! let mut now = UNIX_EPOCH + Duration::from_secs(1_704_067_200);
//! let outcome = loop {
//!     match machine.next(now) {
//!         Step::Send(req) => machine.on_response(server.send(req)),
//!         Step::Wait(d) => now += d,
//!         Step::Done(result) => break result?,
//!     }
//! };
//! assert!(outcome.is_final_approval());
//! assert_eq!(outcome.category(), Some(ResultCategory::Approved));
//! # Ok::<(), smile_core::Error>(())
//! ```
//!
//! # What the machines guarantee
//!
//! * Input is validated and every image read **before** the first request
//!   ([`Error::InvalidInput`] lists every problem; nothing is sent).
//! * Every request is signed with a fresh timestamp; every `job_status` response's signature
//!   is verified ([`Error::ResponseSignatureInvalid`] otherwise, never retried).
//! * `POST /upload` is never retried; a transport failure there says the job may exist.
//! * Polling never runs forever and never returns an incomplete status as a result
//!   ([`Error::PollTimeout`] carries the last status).
//! * A result that is not final (provisional, under review) is reported as such:
//!   [`JobOutcome::is_final`] is `false`, and the final result arrives by callback.
//!
//! # Errors
//!
//! Every call returns [`Error`]; its documentation has a table of what each variant means and
//! whether a job may exist on the server.
//!
//! # Transport contract
//!
//! See [`Transport`]: return every HTTP status as `Ok`, follow no redirects, honour the
//! [`RequestTimeout`] extension, send bodies with `Content-Length`.
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod body;
mod client_calls;
mod config;
mod driver;
pub mod endpoint;
mod error;
pub mod machine;
mod outcome;
mod policy;
pub mod requests;
mod responses;
mod server;
mod transport;
pub mod validate;

pub use body::{Body, BodyReader};
pub use config::{
    ClientConfig, ClientConfigBuilder, ConfigError, SDK_VERSION, SOURCE_SDK, Timeouts,
    default_user_agent,
};
pub use driver::{Driver, DriverBuilder};
pub use endpoint::{Endpoint, JobStatusOptions};
pub use error::{Error, MAX_ERROR_BODY_BYTES};
pub use machine::{
    Call, CreateJob, CreatedJob, Machine, Step, SubmitJob, UploadJob, WaitForResult,
};

/// The `get_job_status` call: the generic [`Call`] machine on the [`endpoint::JobStatus`]
/// endpoint.
pub type GetJobStatus = Call<endpoint::JobStatus>;
pub use outcome::{JobOutcome, Summary};
pub use policy::{PollPolicy, RetryPolicy, is_transient_status, parse_retry_after, retry_after_of};
pub use responses::{api_error, parse_job_status, parse_prep_upload, scan_smile_job_id};
pub use server::{
    BaseUrl, BaseUrlError, BaseUrlProblem, PRODUCTION_BASE_URL, SANDBOX_BASE_URL, Server,
    ServerError,
};
pub use transport::{
    AsyncTransport, EndpointInfo, EndpointMethod, HttpRequest, HttpResponse,
    MAX_RESPONSE_BODY_BYTES, RequestKind, RequestTimeout, Transport, TransportFailure,
    TransportFailureKind, caused_by, request_kind, request_target, request_timeout,
};

/// The random-number generator used for retry jitter (re-exported for [`RetryPolicy::backoff`]).
pub use fastrand;
/// The secret string type of the API key.
pub use secrecy::SecretString;
/// Clocks for the drivers (the machines themselves take `now` as an argument).
pub use smile_sign::{Clock, FixedClock, SystemClock};

/// What a user of a client needs, from every layer, in one `use`: the drivers (`smile-blocking`,
/// `smile-async`) re-export this whole module at their root, so one dependency is enough.
///
/// ```
/// use smile_core::prelude::*;
///
/// let params = PartnerParams::new("user-1", "job-1", JobType::SmartSelfieAuthentication);
/// assert_eq!(params.job_type.code(), 2);
/// ```
pub mod prelude {
    pub use crate::endpoint::{
        AsyncAcknowledgement, AsyncBusinessVerification, AsyncIdVerification, BankCode,
        BusinessVerification, CountryDocuments, IdVerification, IdVerificationResult, JobStatus,
        Services, ServicesList, ValidDocuments, ValidDocumentsList, WebProduct, WebToken,
        WebTokenRequest,
    };
    pub use crate::{
        AsyncTransport, BaseUrl, Call, ClientConfig, ConfigError, CreateJob, CreatedJob, Endpoint,
        Error, GetJobStatus, HttpRequest, HttpResponse, JobOutcome, JobStatusOptions, Machine,
        PollPolicy, RequestKind, RetryPolicy, SecretString, Server, Step, SubmitJob, Timeouts,
        Transport, TransportFailure, TransportFailureKind, UploadJob, WaitForResult,
    };
    pub use smile_package::{Image, ImageSource, SubmitRequest};
    pub use smile_sign::{
        CallbackError, CallbackVerifier, Clock, FixedClock, Signer, SystemClock, VerifiedCallback,
    };
    pub use smile_types::{
        ActionKey, ActionResult, Actions, Callback, CallbackUrl, IdInfo, ImageKind, ImageLinks,
        Interpretation, JobId, JobOptions, JobResult, JobSpec, JobStatusResponse, JobType,
        PartnerId, PartnerParams, Problem, ProblemCode, Problems, ResultCategory, ResultCode,
        ResultEntry, SmileJobId, UserId,
    };
}

/// The crate README's example (its crates.io page), compiled as a doc test so it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

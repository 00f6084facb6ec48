//! The endpoint layer: every single-request call of the API as a value that says what it is
//! ([`EndpointInfo`]: method, path, idempotent, creates a job), how its body is built and how
//! its response is parsed and verified. One machine, [`Call`](crate::Call), drives any of them;
//! each client has one generic method (`call`) and a one-line named method per endpoint.
//!
//! | endpoint | request | idempotent (retried) | creates a job | output |
//! |---|---|---|---|---|
//! | [`JobStatus`] | `POST /job_status` | yes | no | [`JobStatusResponse`](smile_types::JobStatusResponse) |
//! | [`IdVerification`] | `POST /id_verification` | no | yes | [`IdVerificationResult`] |
//! | [`AsyncIdVerification`] | `POST /async_id_verification` | no | yes | [`AsyncAcknowledgement`] |
//! | [`BusinessVerification`] | `POST /business_verification` | no | yes | [`IdVerificationResult`] |
//! | [`AsyncBusinessVerification`] | `POST /async_business_verification` | no | yes | [`AsyncAcknowledgement`] |
//! | [`WebTokenRequest`] | `POST /token` | no | no | [`WebToken`] |
//! | [`Services`] | `GET /services` | yes | no | [`ServicesList`] |
//! | [`ValidDocuments`] | `POST /valid_documents` | yes | no | [`ValidDocumentsList`] |
//!
//! Adding an endpoint is one file here (a type implementing [`Endpoint`], with its
//! `EndpointInfo` and tests) and a one-line method in each client.
//!
//! ```
//! use smile_core::endpoint::{Endpoint, JobStatus};
//! use smile_core::JobStatusOptions;
//!
//! let status = JobStatus::new("user-1", "job-1", JobStatusOptions::all());
//! let info = status.info();
//! assert_eq!((info.name, info.idempotent, info.creates_job), ("POST /job_status", true, false));
//! ```

use smile_sign::{SignedTimestamp, Signer};
use smile_types::{JobId, PartnerId, Problems};

use crate::config::ClientConfig;
use crate::error::Error;
use crate::transport::{EndpointInfo, HttpResponse, RequestKind};

mod business_verification;
mod id_verification;
mod job_status;
mod lookup;
mod services;
mod valid_documents;
mod web_token;

pub use crate::validate::Mode;
pub use business_verification::{AsyncBusinessVerification, BusinessVerification};
pub use id_verification::{AsyncIdVerification, IdVerification};
pub use job_status::{JobStatus, JobStatusOptions};
pub use lookup::{AsyncAcknowledgement, IdVerificationResult};
pub use services::{BankCode, Services, ServicesList};
pub use valid_documents::{CountryDocuments, ValidDocuments, ValidDocumentsList};
pub use web_token::{WebProduct, WebToken, WebTokenRequest};

/// What the body builder of an endpoint gets: who signs and the fresh signature of this
/// attempt.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct BodyContext<'a> {
    /// The partner id.
    pub partner_id: &'a PartnerId,
    /// The timestamp of this attempt and its signature.
    pub signed: &'a SignedTimestamp,
    /// `source_sdk_version`.
    pub sdk_version: &'a str,
}

/// What the response parser of an endpoint gets.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct ParseContext<'a> {
    /// The signer, to verify signed responses.
    pub signer: &'a Signer,
    /// The request's kind (for errors).
    pub kind: RequestKind,
}

/// A single-request call of the API (see the [module docs](self)).
pub trait Endpoint {
    /// What a successful call returns.
    type Output;

    /// What the request is: method, path, idempotent, creates a job.
    fn info(&self) -> &'static EndpointInfo;

    /// The request kind that tags the request and its errors (default: [`RequestKind::Call`]).
    fn kind(&self) -> RequestKind {
        RequestKind::Call(self.info())
    }

    /// The partner's job id this call is about, if any (for tracing).
    fn job_id(&self) -> Option<&JobId> {
        None
    }

    /// Validates the input against the client (and takes what it needs from it, such as the
    /// default callback URL). Called once, before any request.
    ///
    /// # Errors
    /// Every problem found.
    fn prepare(&mut self, config: &ClientConfig) -> Result<(), Problems> {
        let _ = config;
        Ok(())
    }

    /// The exact JSON body of one attempt (not used for `GET`).
    fn body(&self, ctx: &BodyContext<'_>) -> Vec<u8>;

    /// Parses (and verifies, where the response is signed) a 2xx response.
    ///
    /// # Errors
    /// [`Error::Api`] for an error body with a 2xx status, [`Error::UnexpectedResponse`] for
    /// anything that is not the promised response, [`Error::ResponseSignatureInvalid`] for a
    /// signature that does not verify.
    fn parse(&self, response: &HttpResponse, ctx: &ParseContext<'_>)
    -> Result<Self::Output, Error>;
}

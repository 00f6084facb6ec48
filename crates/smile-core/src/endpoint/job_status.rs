//! `POST /job_status` ([protocol §7](smile_types::protocol#7-job-status)): the status of a job
//! of any type, with history and image links on request; the response's signature verified.

use smile_types::{JobId, JobStatusResponse, Problems, UserId, check_ids};

use super::{BodyContext, Endpoint, ParseContext};
use crate::config::ClientConfig;
use crate::error::Error;
use crate::requests::{JobStatusParams, job_status_body};
use crate::responses::parse_job_status;
use crate::transport::{EndpointInfo, EndpointMethod, HttpResponse, RequestKind};

/// Options of a `get_job_status` call ([protocol §7.1](smile_types::protocol#71-request)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct JobStatusOptions {
    /// Ask for `history` (every result of the job).
    pub history: bool,
    /// Ask for `image_links` (signed URLs of the uploaded images).
    pub image_links: bool,
}

impl JobStatusOptions {
    /// Both `history` and `image_links`.
    #[must_use]
    pub fn all() -> Self {
        Self {
            history: true,
            image_links: true,
        }
    }
}

static INFO: EndpointInfo = EndpointInfo::new(
    "POST /job_status",
    EndpointMethod::Post,
    "job_status",
    true,
    false,
);

/// The status of the job (`user_id`, `job_id`), for any job type. The result is interpreted
/// with the job type's code table by [`JobStatusResponse::interpret`]; an incomplete status is
/// a normal answer here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobStatus {
    user_id: UserId,
    job_id: JobId,
    options: JobStatusOptions,
}

impl JobStatus {
    /// A status query (validated when the call is made: both ids non-empty).
    #[must_use]
    pub fn new(
        user_id: impl Into<UserId>,
        job_id: impl Into<JobId>,
        options: JobStatusOptions,
    ) -> Self {
        Self {
            user_id: user_id.into(),
            job_id: job_id.into(),
            options,
        }
    }
}

impl Endpoint for JobStatus {
    type Output = JobStatusResponse;

    fn info(&self) -> &'static EndpointInfo {
        &INFO
    }

    fn kind(&self) -> RequestKind {
        RequestKind::JobStatus
    }

    fn job_id(&self) -> Option<&JobId> {
        Some(&self.job_id)
    }

    fn prepare(&mut self, _config: &ClientConfig) -> Result<(), Problems> {
        let mut problems = Problems::new();
        check_ids(self.user_id.as_str(), self.job_id.as_str(), &mut problems);
        problems.into_result()
    }

    fn body(&self, ctx: &BodyContext<'_>) -> Vec<u8> {
        job_status_body(&JobStatusParams {
            partner_id: ctx.partner_id,
            user_id: &self.user_id,
            job_id: &self.job_id,
            image_links: self.options.image_links,
            history: self.options.history,
            signed: ctx.signed,
        })
    }

    fn parse(
        &self,
        response: &HttpResponse,
        ctx: &ParseContext<'_>,
    ) -> Result<JobStatusResponse, Error> {
        parse_job_status(response, ctx.signer, &self.job_id, None)
    }
}

//! What `submit_job` returns.

use smile_types::{
    Interpretation, JobId, JobResult, JobStatusResponse, JobType, ResultCategory, ResultEntry,
    SmileJobId, UserId,
};

/// The result of a successful `submit_job`.
///
/// # Read this before acting on a result
///
/// * [`Submitted`](Self::Submitted) (`return_job_status` false) means the job was **accepted
///   for processing**, nothing more. The result is delivered to the callback URL.
/// * [`Completed`](Self::Completed) (`return_job_status` true) carries the job-status response
///   that had `job_complete: true`. **That result may not be final**: a provisional or
///   suspected-spoof code (e.g. `0824` "Provisional Authentication - Under Review") means a
///   human reviewer will decide, and **the final result arrives only by callback** (a later
///   `get_job_status` also shows it). Check [`is_final`](Self::is_final) and
///   [`category`](Self::category); act on [`is_final_approval`](Self::is_final_approval) for
///   "authenticated", never on `job_success` or on the presence of a result alone.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum JobOutcome {
    /// The zip was uploaded; the result will be sent to the callback.
    Submitted {
        /// The server's id of the job.
        smile_job_id: SmileJobId,
        /// The partner's user id.
        user_id: UserId,
        /// The partner's job id.
        job_id: JobId,
        /// The job type.
        job_type: JobType,
    },
    /// Polling saw `job_complete: true`; the verified status and its interpretation.
    Completed {
        /// The server's id of the job.
        smile_job_id: SmileJobId,
        /// The verified job-status response (with `history` / `image_links` if requested).
        status: Box<JobStatusResponse>,
        /// What the result code means for this job type, and whether it is final.
        interpretation: Interpretation,
    },
}

impl JobOutcome {
    /// The server's id of the job.
    #[must_use]
    pub fn smile_job_id(&self) -> &SmileJobId {
        match self {
            Self::Submitted { smile_job_id, .. } | Self::Completed { smile_job_id, .. } => {
                smile_job_id
            }
        }
    }

    /// Whether the result is final. Always `false` for [`Submitted`](Self::Submitted); for
    /// [`Completed`](Self::Completed), `IsFinalResult` when present, else the result-code
    /// table, else (unknown code) `false`.
    #[must_use]
    pub fn is_final(&self) -> bool {
        match self {
            Self::Submitted { .. } => false,
            Self::Completed { interpretation, .. } => interpretation.is_final,
        }
    }

    /// The result category (`None` for [`Submitted`](Self::Submitted)).
    #[must_use]
    pub fn category(&self) -> Option<ResultCategory> {
        match self {
            Self::Submitted { .. } => None,
            Self::Completed { interpretation, .. } => Some(interpretation.category),
        }
    }

    /// `true` only for a **final approved** result (e.g. `0820`, `1220` for job type 2).
    /// Provisional results are never approvals.
    #[must_use]
    pub fn is_final_approval(&self) -> bool {
        match self {
            Self::Submitted { .. } => false,
            Self::Completed { interpretation, .. } => interpretation.is_final_approval(),
        }
    }

    /// The verified job status, for [`Completed`](Self::Completed).
    #[must_use]
    pub fn status(&self) -> Option<&JobStatusResponse> {
        match self {
            Self::Submitted { .. } => None,
            Self::Completed { status, .. } => Some(status),
        }
    }

    /// The result entry of the status, for [`Completed`](Self::Completed).
    #[must_use]
    pub fn result(&self) -> Option<&ResultEntry> {
        match self.status()?.result {
            JobResult::Entry(ref e) => Some(e),
            _ => None,
        }
    }

    /// The interpretation of the result, for [`Completed`](Self::Completed).
    #[must_use]
    pub fn interpretation(&self) -> Option<&Interpretation> {
        match self {
            Self::Submitted { .. } => None,
            Self::Completed { interpretation, .. } => Some(interpretation),
        }
    }
}

//! What each job type needs and how its results read: one table ([`JobSpec`]) that validation,
//! result interpretation and the command line all read, instead of `matches!(code, 6 | 11)`
//! spread over the crates ([protocol §4.1](crate::protocol#41-job-types-confirmed),
//! §4.4, §6.1, §10).

use crate::JobType;

/// Whether a job type takes an image (or id_info): required, optional or not allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Need {
    /// Exactly one must be given (for liveness frames: at least one is expected).
    Required,
    /// May be given.
    Optional,
    /// Must not be given.
    Forbidden,
}

/// How a job type treats `id_info`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IdInfoRule {
    /// Not taken: the job sends exactly `{"entered":"false"}` (jobs 2 and 4).
    Forbidden,
    /// Optional; when `entered` is true, `country`, `id_type` and `id_number` are required
    /// and verified against the ID authority (job 1).
    WhenEntered,
    /// `country` (and for job 11 `id_type`) are required: they describe the document
    /// (jobs 6 and 11).
    Document {
        /// Whether `id_type` is required too (job 11).
        id_type_required: bool,
    },
    /// `country`, `id_type` and `id_number` are required: they are looked up (jobs 5 and 7).
    Lookup,
}

/// Whether a job type uses the user's enrolled selfie.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EnrolledImage {
    /// The user must have been enrolled earlier (job 2 compares with the enrolled selfie).
    Required,
    /// `use_enrolled_image` may replace the selfie (jobs 6 and 11).
    Optional,
    /// Not used (`use_enrolled_image` is refused).
    NotUsed,
}

/// Which call of the SDK runs a job type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JobCall {
    /// The image upload flow: `submit_job` (prep upload, zip, `PUT`).
    SubmitJob,
    /// The ID API: `id_verification` / `async_id_verification` (Enhanced KYC).
    IdVerification,
    /// `business_verification` / `async_business_verification` (KYB).
    BusinessVerification,
    /// No call of this SDK runs it.
    Unsupported,
}

impl JobCall {
    /// The name of the SDK method that runs it (as in both clients), or `None`.
    #[must_use]
    pub const fn method(self) -> Option<&'static str> {
        match self {
            Self::SubmitJob => Some("submit_job"),
            Self::IdVerification => Some("id_verification (or async_id_verification)"),
            Self::BusinessVerification => {
                Some("business_verification (or async_business_verification)")
            }
            Self::Unsupported => None,
        }
    }
}

/// One row of the job-type table.
///
/// ```
/// use smile_types::{JobSpec, JobType, Need, JobCall};
/// let auth = JobSpec::of(JobType::SmartSelfieAuthentication).unwrap();
/// assert_eq!((auth.selfie, auth.id_front), (Need::Required, Need::Forbidden));
/// assert_eq!(auth.call, JobCall::SubmitJob);
/// let kyc = JobSpec::of(JobType::EnhancedKyc).unwrap();
/// assert_eq!(kyc.call.method(), Some("id_verification (or async_id_verification)"));
/// assert!(JobSpec::of(JobType::Other(42)).is_none());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct JobSpec {
    /// The job type.
    pub job_type: JobType,
    /// Which SDK call runs it.
    pub call: JobCall,
    /// The selfie.
    pub selfie: Need,
    /// Liveness frames (any number; 8 recommended where taken).
    pub liveness: Need,
    /// The front of an ID document.
    pub id_front: Need,
    /// The back of an ID document.
    pub id_back: Need,
    /// How `id_info` is treated.
    pub id_info: IdInfoRule,
    /// Whether the enrolled selfie is used.
    pub enrolled_image: EnrolledImage,
    /// Whether an approved job enrols its user (so a later job 2 can authenticate them).
    pub enrols_user: bool,
    /// The job type whose result-code rows apply ([`CodeInfo::lookup`](crate::CodeInfo::lookup)).
    pub codes: JobType,
    /// The job type whose rows apply to ID-authority entries in its history (jobs 1 and 11
    /// run an Enhanced KYC lookup), if any.
    pub history_codes: Option<JobType>,
}

const fn spec(job_type: JobType, call: JobCall) -> JobSpec {
    JobSpec {
        job_type,
        call,
        selfie: Need::Forbidden,
        liveness: Need::Forbidden,
        id_front: Need::Forbidden,
        id_back: Need::Forbidden,
        id_info: IdInfoRule::Lookup,
        enrolled_image: EnrolledImage::NotUsed,
        enrols_user: false,
        codes: job_type,
        history_codes: None,
    }
}

/// The table, in job-type order.
const JOB_SPECS: [JobSpec; 7] = [
    JobSpec {
        selfie: Need::Required,
        liveness: Need::Optional,
        id_front: Need::Optional,
        id_back: Need::Optional,
        id_info: IdInfoRule::WhenEntered,
        enrols_user: true,
        history_codes: Some(JobType::EnhancedKyc),
        ..spec(JobType::BiometricKyc, JobCall::SubmitJob)
    },
    JobSpec {
        selfie: Need::Required,
        liveness: Need::Optional,
        id_info: IdInfoRule::Forbidden,
        enrolled_image: EnrolledImage::Required,
        ..spec(JobType::SmartSelfieAuthentication, JobCall::SubmitJob)
    },
    JobSpec {
        selfie: Need::Required,
        liveness: Need::Optional,
        id_info: IdInfoRule::Forbidden,
        enrols_user: true,
        ..spec(JobType::SmartSelfieRegistration, JobCall::SubmitJob)
    },
    spec(JobType::EnhancedKyc, JobCall::IdVerification),
    JobSpec {
        selfie: Need::Required,
        liveness: Need::Optional,
        id_front: Need::Required,
        id_back: Need::Optional,
        id_info: IdInfoRule::Document {
            id_type_required: false,
        },
        enrolled_image: EnrolledImage::Optional,
        enrols_user: true,
        ..spec(JobType::DocumentVerification, JobCall::SubmitJob)
    },
    // Business verification reports ID-authority style codes (1012 verified, ...).
    JobSpec {
        codes: JobType::EnhancedKyc,
        ..spec(JobType::BusinessVerification, JobCall::BusinessVerification)
    },
    // Enhanced Document Verification: a document check (job 6's codes) plus an ID-authority
    // lookup in its history.
    JobSpec {
        selfie: Need::Required,
        liveness: Need::Optional,
        id_front: Need::Required,
        id_back: Need::Optional,
        id_info: IdInfoRule::Document {
            id_type_required: true,
        },
        enrolled_image: EnrolledImage::Optional,
        codes: JobType::DocumentVerification,
        history_codes: Some(JobType::EnhancedKyc),
        ..spec(JobType::EnhancedDocumentVerification, JobCall::SubmitJob)
    },
];

impl JobSpec {
    /// Every row (job types 1, 2, 4, 5, 6, 7, 11).
    #[must_use]
    pub fn all() -> &'static [JobSpec] {
        &JOB_SPECS
    }

    /// The row of `job_type`, or `None` for a job type this SDK knows nothing about (8, 9 and
    /// unknown numbers).
    #[must_use]
    pub fn of(job_type: JobType) -> Option<&'static JobSpec> {
        JOB_SPECS.iter().find(|s| s.job_type == job_type)
    }

    /// Whether `submit_job` runs this job type.
    #[must_use]
    pub fn is_image_job(&self) -> bool {
        self.call == JobCall::SubmitJob
    }

    /// Whether the job takes ID document images at all.
    #[must_use]
    pub fn takes_id_card(&self) -> bool {
        self.id_front != Need::Forbidden || self.id_back != Need::Forbidden
    }
}

impl JobType {
    /// This job type's row of the job-type table ([`JobSpec::of`]).
    #[must_use]
    pub fn spec(self) -> Option<&'static JobSpec> {
        JobSpec::of(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_image_jobs_are_the_submit_job_types() {
        let image_jobs: Vec<u32> = JobSpec::all()
            .iter()
            .filter(|s| s.is_image_job())
            .map(|s| s.job_type.code())
            .collect();
        assert_eq!(image_jobs, [1, 2, 4, 6, 11]);
        for t in JobType::SUBMIT_JOB_TYPES {
            assert!(t.spec().is_some_and(JobSpec::is_image_job), "{t:?}");
        }
        assert!(JobType::UpdatePhoto.spec().is_none());
    }

    #[test]
    fn rows_say_what_each_job_needs() {
        let doc = JobType::EnhancedDocumentVerification.spec().unwrap();
        assert_eq!(doc.codes, JobType::DocumentVerification);
        assert_eq!(doc.history_codes, Some(JobType::EnhancedKyc));
        assert!(doc.takes_id_card());
        let reg = JobType::SmartSelfieRegistration.spec().unwrap();
        assert!(reg.enrols_user && !reg.takes_id_card());
        assert_eq!(reg.id_info, IdInfoRule::Forbidden);
        assert_eq!(
            JobType::BusinessVerification.spec().unwrap().call,
            JobCall::BusinessVerification
        );
    }
}

//! Serde data types for the Smile ID v1 API: ids, job and image types, partner params, id info,
//! options and validation problems.
//!
//! ```
//! use smile_types::{JobType, PartnerParams};
//!
//! let params = PartnerParams::new("user-0001", "job-0002", JobType::SmartSelfieAuthentication);
//! assert_eq!(
//!     serde_json::to_string(&params)?,
//!     r#"{"user_id":"user-0001","job_id":"job-0002","job_type":2}"#
//! );
//! # Ok::<(), serde_json::Error>(())
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod actions;
mod codes;
mod id_info;
mod ids;
mod image;
mod job_type;
mod lenient;
mod options;
mod partner_params;
mod problem;
mod responses;
mod result_entry;

pub use actions::{ActionKey, ActionResult, Actions};
pub use codes::{
    ApiErrorCode, Certainty, CodeInfo, ErrorCodeInfo, ErrorCodeKind, ResultCategory, ResultCode,
};
pub use id_info::{IdInfo, IdInfoError};
pub use ids::{JobId, PartnerId, SmileJobId, UserId};
pub use image::{ImageKind, ImageType, InvalidImageType};
pub use job_type::{JobType, ParseJobTypeError};
pub use lenient::{ConfidenceValue, Lenient, LenientBool, LenientValue, bool_from_json};
pub use options::JobOptions;
pub use partner_params::{PartnerParams, PartnerParamsError, RESERVED_PARTNER_PARAMS_KEYS};
pub use problem::{Problem, ProblemCode, Problems, UnknownProblemCode};
pub use responses::{
    Callback, DecodeError, ErrorBody, ImageLinks, JobResult, JobStatusResponse, PrepUploadResponse,
};
pub use result_entry::{EchoedPartnerParams, FinalitySource, Interpretation, ResultEntry};

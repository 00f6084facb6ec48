//! Serde data types for the Smile ID v1 API: ids, job and image types, partner params, id
//! info, options, Actions, result codes, responses, callbacks and validation problems.
//!
//! This crate does no I/O and knows no HTTP library; `smile-core` and the clients build on it.
//!
//! # Example
//!
//! Decode a `POST /job_status` answer and decide what it means for a SmartSelfie™
//! Authentication (job type 2):
//!
//! ```
//! use smile_types::{JobStatusResponse, JobType, ResultCategory};
//!
//! let body = br#"{"timestamp":"2022-03-31T15:07:04.806Z","signature":"...","job_complete":true,
//!   "job_success":true,"code":"2302","result":{"ResultCode":"0824",
//!   "ResultText":"Provisional Authentication - Under Review","SmileJobID":"0000000194",
//!   "Actions":{"Liveness_Check":"Under Review","Selfie_Provided":"Passed"},
//!   "PartnerParams":{"job_id":"003","user_id":"test_user_005","job_type":"2"},
//!   "ConfidenceValue":"99"}}"#;
//! let status = JobStatusResponse::from_json(body)?;
//! assert!(status.is_complete());
//!
//! let outcome = status.interpret(JobType::SmartSelfieAuthentication).expect("a result entry");
//! println!("{}: {} (final: {})", outcome.code.as_ref().unwrap(), outcome.category, outcome.is_final);
//! assert_eq!(outcome.category, ResultCategory::SpoofSuspected); // category "spoof"
//! assert!(!outcome.is_final); // the final code (1220/1221/1222) follows after human review
//!
//! // Re-encoding gives back every key with the same value.
//! let original: serde_json::Value = serde_json::from_slice(body)?;
//! assert_eq!(serde_json::to_value(&status)?, original);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What is in here
//!
//! | area | types |
//! |---|---|
//! | ids (exact strings) | [`PartnerId`], [`UserId`], [`JobId`], [`SmileJobId`] |
//! | request data | [`JobType`], [`ImageKind`], [`ImageType`], [`PartnerParams`], [`IdInfo`], [`JobOptions`] |
//! | results | [`ResultEntry`], [`Actions`] ([`ActionKey`], [`ActionResult`]), [`ResultCode`] ([`CodeInfo`], [`ResultCategory`]), [`Interpretation`] |
//! | responses | [`PrepUploadResponse`], [`JobStatusResponse`] ([`JobResult`], [`ImageLinks`]), [`Callback`], [`ErrorBody`] ([`ApiErrorCode`], [`ErrorCodeInfo`]) |
//! | validation | [`Problem`], [`ProblemCode`], [`Problems`] |
//! | lenient values | [`Lenient`], [`LenientBool`], [`ConfidenceValue`], [`bool_from_json`] |
//!
//! # Decoding rules ([protocol §7.3](crate::protocol#73-lenient-parsing-must))
//!
//! - Everything read from the server is lenient: `job_type` as number or string,
//!   `ConfidenceValue` as string or number, booleans as `true` or `"true"` (any case; anything
//!   else is "unknown", not an error), codes as string or number, `result` as object, string,
//!   `null`, `{}` or absent. Unknown enum values land in `Other`/`Unknown` variants and unknown
//!   keys in `extra` maps; decoding a JSON object into [`ResultEntry`], [`JobStatusResponse`],
//!   [`Callback`] or [`ErrorBody`] never fails.
//! - Values are kept in the form received ([`Lenient`], [`ConfidenceValue`], [`ResultCode`],
//!   [`ApiErrorCode`], per-entry [`Actions`]), so re-encoding is value-identical: `"true"` stays
//!   a string, a numeric `code` stays a number, a `null` action stays `null`. The one
//!   normalisation: a numeric `SmileJobID`/`smile_job_id` is written back as its decimal string
//!   ([`SmileJobId`] is a string type).
//! - Result codes are strings with leading zeros and are interpreted together with the job
//!   type (`0810` is job 1 *and* job 6); an unknown code is [`ResultCategory::Unknown`] and not
//!   final unless `IsFinalResult` says so. Never branch on `ResultText`.
//!
//! # Errors
//!
//! [`DecodeError`] (body not JSON, not an object, or a required prep-upload field missing or
//! invalid), [`Problems`] (validation, every problem at once), and small parse errors
//! ([`ParseJobTypeError`], [`InvalidImageType`], [`PartnerParamsError`], [`IdInfoError`],
//! [`UnknownProblemCode`]). Nothing here panics on input.
//!
//! # Features
//!
//! None. `serde_json` is used with `preserve_order`, so maps keep their key order.
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod actions;
mod callback_url;
mod checks;
mod codes;
// The wire specification, rendered as documentation. `protocol.md` in this crate is a link to the
// repository's `docs/protocol.md` (the maintained copy); packaging stores its content.
#[doc = include_str!("../protocol.md")]
#[allow(
    rustdoc::broken_intra_doc_links,
    rustdoc::bare_urls,
    rustdoc::invalid_html_tags
)]
pub mod protocol {}
mod id_info;
mod ids;
mod image;
mod job_spec;
mod job_type;
mod lenient;
mod options;
mod partner_params;
mod problem;
mod responses;
mod result_entry;

pub use actions::{ActionKey, ActionResult, Actions};
pub use callback_url::{CallbackUrl, CallbackUrlError};
pub use checks::{check_callback_url, check_ids};
pub use codes::{
    ApiErrorCode, Certainty, CodeInfo, ErrorCodeInfo, ErrorCodeKind, ResultCategory, ResultCode,
};
pub use id_info::{IdInfo, IdInfoError};
pub use ids::{JobId, PartnerId, SmileJobId, UserId};
pub use image::{ImageKind, ImageType, InvalidImageType};
pub use job_spec::{EnrolledImage, IdInfoRule, JobCall, JobSpec, Need};
pub use job_type::{JobType, ParseJobTypeError};
pub use lenient::{ConfidenceValue, Lenient, LenientBool, LenientValue, bool_from_json};
pub use options::JobOptions;
pub use partner_params::{PartnerParams, PartnerParamsError, RESERVED_PARTNER_PARAMS_KEYS};
pub use problem::{Problem, ProblemCode, Problems, UnknownProblemCode};
pub use responses::{
    Callback, DecodeError, ErrorBody, ImageLinks, JobResult, JobStatusResponse, PrepUploadResponse,
};
pub use result_entry::{EchoedPartnerParams, FinalitySource, Interpretation, ResultEntry};

/// The crate README's example (its crates.io page), compiled as a doc test so it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

//! Problem codes this crate reports that are not in `validation_cases.json`'s `problem_codes`.
//!
//! `images.file.too_large`, `images.base64.too_large` and
//! `partner_params.extra.reserved_key` are requested from smile-types; until its
//! `ProblemCode` has them, the nearest existing codes stand in (one place to switch).

use smile_types::ProblemCode;

/// An image file (or bytes image) above the size limit: `images.file.too_large`.
pub(crate) const FILE_TOO_LARGE: ProblemCode = ProblemCode::FileUnreadable;
/// A base64 image above the size limit: `images.base64.too_large`.
pub(crate) const BASE64_TOO_LARGE: ProblemCode = ProblemCode::Base64Invalid;
/// A partner_params extra key named `user_id`, `job_id` or `job_type`:
/// `partner_params.extra.reserved_key`.
pub(crate) const EXTRA_RESERVED_KEY: ProblemCode = ProblemCode::JobTypeMissing;

//! The checks every call shares, written once: the user and job ids, and the callback URL.
//! `smile-package` (submit_job) and `smile-core` (the other calls) both use them, so a problem
//! has the same code, field and wording whichever call finds it.

use crate::{CallbackUrl, ProblemCode, Problems};

/// `user_id` and `job_id` must not be empty or whitespace: reported as
/// `partner_params.user_id` / `partner_params.job_id` (where they travel on the wire, also
/// for calls whose body has them at the top level).
///
/// ```
/// use smile_types::{Problems, check_ids};
/// let mut p = Problems::new();
/// check_ids(" ", "job-1", &mut p);
/// assert_eq!(p.codes().collect::<Vec<_>>(), ["partner_params.user_id.missing"]);
/// assert_eq!(p.iter().next().unwrap().field, "partner_params.user_id");
/// ```
pub fn check_ids(user_id: &str, job_id: &str, problems: &mut Problems) {
    if user_id.trim().is_empty() {
        problems.add(
            ProblemCode::UserIdMissing,
            "partner_params.user_id",
            "user_id is empty: Please make sure that user_id is included in the partner params",
        );
    }
    if job_id.trim().is_empty() {
        problems.add(
            ProblemCode::JobIdMissing,
            "partner_params.job_id",
            "job_id is empty: Please make sure that job_id is included in the partner params",
        );
    }
}

/// Checks a callback URL given under `field` (`callback_url`, `options.callback_url`, ...):
/// `Some(url)` when it is a [`CallbackUrl`], else a `callback.invalid_url` problem naming the
/// field and the reason, and `None`.
///
/// ```
/// use smile_types::{Problems, check_callback_url};
/// let mut p = Problems::new();
/// assert!(check_callback_url("callback_url", " https://x.example", &mut p).is_none());
/// assert_eq!(p.codes().collect::<Vec<_>>(), ["callback.invalid_url"]);
/// ```
pub fn check_callback_url(field: &str, url: &str, problems: &mut Problems) -> Option<CallbackUrl> {
    match CallbackUrl::parse(url) {
        Ok(u) => Some(u),
        Err(why) => {
            problems.add(
                ProblemCode::CallbackInvalidUrl,
                field,
                format!("callback URL {url:?} is not an absolute http or https URL: {why}"),
            );
            None
        }
    }
}

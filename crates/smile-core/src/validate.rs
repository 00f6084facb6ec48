//! Input validation for the calls other than `submit_job` ([protocol §6.2](smile_types::protocol#62-other-calls)): Enhanced KYC
//! (job type 5), business verification (job type 7) and the web token.
//!
//! These are pure functions: they look at typed input and list **every** problem, with the
//! stable codes of `testdata/interop/validation_cases.json` (`problem_codes`). The request builders and
//! calls for these endpoints (a later step) call them first and send nothing when they fail,
//! exactly as [`SubmitJob::new`](crate::SubmitJob::new) does with the §6.1 rules.
//!
//! The job type is implied by the call (5 or 7; the builders will set it), so the
//! `job_type` of the partner params given here is not looked at.
//!
//! ```
//! use smile_core::validate::{self, Callback, Mode};
//! use smile_types::{IdInfo, JobType, PartnerParams};
//!
//! let pp = PartnerParams::new("user-1", "job-1", JobType::EnhancedKyc);
//! let info = IdInfo::verify("NG", "BVN", "00000000000");
//! assert!(validate::enhanced_kyc(&pp, &info, Mode::Sync, Callback::NONE).is_ok());
//!
//! // Async needs a callback URL (the call's own or the client's default).
//! let err = validate::enhanced_kyc(&pp, &info, Mode::Async, Callback::NONE).unwrap_err();
//! assert_eq!(err.codes().collect::<Vec<_>>(), ["callback.missing"]);
//!
//! let err = validate::web_token("", "job-1", "", Callback::default_only(Some("https://cb.example/x")))
//!     .unwrap_err();
//! assert_eq!(
//!     err.codes().collect::<Vec<_>>(),
//!     ["partner_params.user_id.missing", "product.missing"]
//! );
//! ```

use smile_types::{IdInfo, PartnerParams, ProblemCode, Problems, check_callback_url, check_ids};

/// Whether a call returns its result in the response (`Sync`) or by callback (`Async`, the
/// `/async_…` endpoints, which need a callback URL).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    /// The result comes in the response.
    Sync,
    /// The result comes by callback: a callback URL is required.
    Async,
}

/// The callback URLs a call can use: its own, else the client's default. An empty string
/// counts as none.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Callback<'a> {
    /// The call's own callback URL.
    pub url: Option<&'a str>,
    /// The client's default callback URL ([`ClientConfig::default_callback`](crate::ClientConfig::default_callback)).
    pub default: Option<&'a str>,
}

impl<'a> Callback<'a> {
    /// No callback URL at all.
    pub const NONE: Callback<'static> = Callback {
        url: None,
        default: None,
    };

    /// The call's own URL, falling back to `default`.
    #[must_use]
    pub fn new(url: Option<&'a str>, default: Option<&'a str>) -> Self {
        Self { url, default }
    }

    /// Only the client's default.
    #[must_use]
    pub fn default_only(default: Option<&'a str>) -> Self {
        Self { url: None, default }
    }

    /// The URL that would be sent: the call's own when non-empty, else the default when
    /// non-empty.
    #[must_use]
    pub fn effective(&self) -> Option<&'a str> {
        let given = |s: Option<&'a str>| s.filter(|s| !s.trim().is_empty());
        given(self.url).or_else(|| given(self.default))
    }
}

/// Enhanced KYC (job type 5, `POST /id_verification` or `/async_id_verification`):
/// `user_id` and `job_id` non-empty; `id_info.country` (two upper-case letters),
/// `id_info.id_type` and `id_info.id_number` non-empty; for [`Mode::Async`], a valid callback
/// URL.
///
/// # Errors
/// Every problem found ([`Problems`] with the codes of `validation_cases.json`).
pub fn enhanced_kyc(
    partner_params: &PartnerParams,
    id_info: &IdInfo,
    mode: Mode,
    callback: Callback<'_>,
) -> Result<(), Problems> {
    id_lookup(partner_params, id_info, mode, callback, "Enhanced KYC")
}

/// Business verification (job type 7, `POST /business_verification` or
/// `/async_business_verification`): the same rules as [`enhanced_kyc`] (`country`, `id_type`
/// such as `BUSINESS_REGISTRATION`, `id_number`).
///
/// # Errors
/// Every problem found.
pub fn business_verification(
    partner_params: &PartnerParams,
    id_info: &IdInfo,
    mode: Mode,
    callback: Callback<'_>,
) -> Result<(), Problems> {
    id_lookup(
        partner_params,
        id_info,
        mode,
        callback,
        "business verification",
    )
}

/// The web token (`POST /token`): `user_id`, `job_id` and `product` (e.g. `biometric_kyc`)
/// non-empty, and a valid callback URL (the call's own or the default), always.
///
/// # Errors
/// Every problem found.
pub fn web_token(
    user_id: &str,
    job_id: &str,
    product: &str,
    callback: Callback<'_>,
) -> Result<(), Problems> {
    let mut problems = Problems::new();
    check_ids(user_id, job_id, &mut problems);
    if product.trim().is_empty() {
        problems.add(
            ProblemCode::ProductMissing,
            "product",
            "product is empty: product is required to get a web token (e.g. biometric_kyc)",
        );
    }
    callback_needed(callback, "the web token", &mut problems);
    problems.into_result()
}

fn id_lookup(
    pp: &PartnerParams,
    info: &IdInfo,
    mode: Mode,
    callback: Callback<'_>,
    call: &str,
) -> Result<(), Problems> {
    let mut problems = Problems::new();
    check_ids(pp.user_id.as_str(), pp.job_id.as_str(), &mut problems);
    match info.country.as_deref().filter(|c| !c.trim().is_empty()) {
        None => problems.add(
            ProblemCode::CountryMissing,
            "id_info.country",
            format!("country is required for {call}: Please provide a country in the id_info"),
        ),
        Some(c) if !(c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase())) => problems.add(
            ProblemCode::CountryInvalid,
            "id_info.country",
            format!(
                "country {c:?} must be a 2-letter upper-case ISO 3166-1 alpha-2 code (e.g. NG)"
            ),
        ),
        Some(_) => {}
    }
    if blank(info.id_type.as_deref()) {
        problems.add(
            ProblemCode::IdTypeMissing,
            "id_info.id_type",
            format!("id_type is required for {call}: Please provide an id_type in the id_info"),
        );
    }
    if blank(info.id_number.as_deref()) {
        problems.add(
            ProblemCode::IdNumberMissing,
            "id_info.id_number",
            format!(
                "id_number is required for {call}: Please provide an id_number in the id_info payload"
            ),
        );
    }
    if mode == Mode::Async {
        callback_needed(callback, &format!("async {call}"), &mut problems);
    }
    problems.into_result()
}

fn blank(s: Option<&str>) -> bool {
    s.is_none_or(|s| s.trim().is_empty())
}

fn callback_needed(callback: Callback<'_>, call: &str, problems: &mut Problems) {
    match callback.effective() {
        None => problems.add(
            ProblemCode::CallbackMissing,
            "callback_url",
            format!(
                "{call} needs a callback URL (Callback URL is required for this method): give \
                 one for the call or set the client's default_callback"
            ),
        ),
        Some(url) => {
            check_callback_url("callback_url", url, problems);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use smile_types::JobType;

    fn codes(r: Result<(), Problems>) -> Vec<&'static str> {
        r.err().map(|p| p.codes().collect()).unwrap_or_default()
    }

    #[test]
    fn rules_not_covered_by_the_interop_cases() {
        let pp = PartnerParams::new("u", "j", JobType::EnhancedKyc);
        let bad_country = IdInfo::verify("ng", "BVN", "1");
        assert_eq!(
            codes(enhanced_kyc(&pp, &bad_country, Mode::Sync, Callback::NONE)),
            ["id_info.country.invalid"]
        );
        let ok = IdInfo::verify("NG", "BVN", "1");
        // A sync call needs no callback; an async one takes the default, and checks it.
        assert!(enhanced_kyc(&pp, &ok, Mode::Sync, Callback::NONE).is_ok());
        let default = Callback::default_only(Some("https://cb.example/x"));
        assert!(business_verification(&pp, &ok, Mode::Async, default).is_ok());
        let bad = Callback::new(Some("not a url"), Some("https://cb.example/x"));
        assert_eq!(
            codes(enhanced_kyc(&pp, &ok, Mode::Async, bad)),
            ["callback.invalid_url"]
        );
        // An empty own URL falls back to the default.
        let empty = Callback::new(Some(""), Some("https://cb.example/x"));
        assert_eq!(empty.effective(), Some("https://cb.example/x"));
        assert!(web_token("u", "j", "biometric_kyc", empty).is_ok());
        assert_eq!(
            codes(web_token(" ", "", " ", Callback::NONE)),
            [
                "partner_params.user_id.missing",
                "partner_params.job_id.missing",
                "product.missing",
                "callback.missing"
            ]
        );
    }
}

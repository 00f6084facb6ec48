//! Result codes ([`ResultCode`], [protocol §10.1](crate::protocol#101-categories-and-finality)–10.3) and API error codes
//! ([`ApiErrorCode`], §10.5), with their lookup tables.
//!
//! The tables are Rust data; a test checks them row by row against
//! `testdata/interop/result_codes.json` and `testdata/interop/error_codes.json`.

use std::fmt;
use std::hash::{Hash, Hasher};

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Number;

use crate::JobType;

/// How well a table row is established ([protocol §0](crate::protocol#0-conventions), §10.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Certainty {
    /// Stated by official material.
    Confirmed,
    /// The code and its meaning are reliable; the wording is approximate.
    Approximate,
    /// A single unofficial source.
    Low,
}

impl Certainty {
    /// `confirmed`, `approximate` or `low`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Certainty::Confirmed => "confirmed",
            Certainty::Approximate => "approximate",
            Certainty::Low => "low",
        }
    }
}

impl fmt::Display for Certainty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The category of a result code ([protocol §10.1](crate::protocol#101-categories-and-finality), §11).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResultCategory {
    /// All applicable checks passed (final).
    Approved,
    /// One or more checks failed, including a detected spoof (final).
    Rejected,
    /// Machine result awaiting human review or inconclusive (not final).
    Provisional,
    /// Suspected spoof awaiting human review (not final). Table category `spoof`.
    SpoofSuspected,
    /// The lookup could not be completed (final for this job; re-run later).
    Error,
    /// The code is not in the tables (or there is no code). Never guessed.
    Unknown,
}

impl ResultCategory {
    /// The table's name: `approved`, `rejected`, `provisional`, `spoof`, `error`, or `unknown`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ResultCategory::Approved => "approved",
            ResultCategory::Rejected => "rejected",
            ResultCategory::Provisional => "provisional",
            ResultCategory::SpoofSuspected => "spoof",
            ResultCategory::Error => "error",
            ResultCategory::Unknown => "unknown",
        }
    }

    /// Parses [`as_str`](Self::as_str) names; anything else is `None`.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "approved" => ResultCategory::Approved,
            "rejected" => ResultCategory::Rejected,
            "provisional" => ResultCategory::Provisional,
            "spoof" => ResultCategory::SpoofSuspected,
            "error" => ResultCategory::Error,
            "unknown" => ResultCategory::Unknown,
            _ => return None,
        })
    }

    /// True for the in-progress categories (provisional, spoof suspected): a final code follows.
    pub const fn is_pending_review(self) -> bool {
        matches!(
            self,
            ResultCategory::Provisional | ResultCategory::SpoofSuspected
        )
    }
}

impl fmt::Display for ResultCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One row of the result-code table ([protocol §10.2](crate::protocol#102-smartselfie-authentication-job-type-2)–10.3, `testdata/interop/result_codes.json`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CodeInfo {
    /// The 4-character code.
    pub code: &'static str,
    /// The job type the row belongs to; `None` for general codes (any job type).
    pub job_type: Option<JobType>,
    /// The `ResultText` (approximate unless [`certainty`](Self::certainty) is confirmed).
    /// Never branch on it.
    pub text: &'static str,
    /// The category.
    pub category: ResultCategory,
    /// Whether the code is final (`false`: a later result carries the final code).
    pub is_final: bool,
    /// Whether the code concerns a (suspected or detected) spoof.
    pub spoof_related: bool,
    /// How well the row is established.
    pub certainty: Certainty,
}

impl CodeInfo {
    /// Every row of the table, in the order of `result_codes.json`.
    pub fn all() -> &'static [CodeInfo] {
        RESULT_CODES
    }

    /// Looks up `code` for `job_type` ([protocol §7.4](crate::protocol#74-deciding-what-a-status-means), §10):
    ///
    /// 1. the row for `code` in the job type's code table ([`JobSpec::codes`](crate::JobSpec::codes):
    ///    its own rows, except job 11, which reads job 6's, and job 7, which reads job 5's);
    /// 2. the rows of [`JobSpec::history_codes`](crate::JobSpec::history_codes): for jobs 1 and
    ///    11, the ID-authority rows of job type 5 (they appear in those jobs' `history`);
    /// 3. the general rows (any job type).
    ///
    /// With `job_type: None` only the general rows match: codes overlap across job types
    /// (`0810` is job 1 and job 6), so a code is never guessed without its job type.
    pub fn lookup(code: &str, job_type: Option<JobType>) -> Option<&'static CodeInfo> {
        let find = |jt: Option<JobType>| {
            RESULT_CODES
                .iter()
                .find(|r| r.code == code && r.job_type == jt)
        };
        if let Some(jt) = job_type {
            // The job-type table says whose rows apply (job 11 reads job 6's, job 7 job 5's)
            // and which rows its history's ID-authority entries use (jobs 1 and 11).
            let spec = jt.spec();
            if let Some(row) = find(Some(spec.map_or(jt, |s| s.codes))) {
                return Some(row);
            }
            if let Some(row) = spec
                .and_then(|s| s.history_codes)
                .and_then(|h| find(Some(h)))
            {
                return Some(row);
            }
        }
        find(None)
    }
}

const fn row(
    code: &'static str,
    job_type: Option<JobType>,
    text: &'static str,
    category: ResultCategory,
    is_final: bool,
    spoof_related: bool,
    certainty: Certainty,
) -> CodeInfo {
    CodeInfo {
        code,
        job_type,
        text,
        category,
        is_final,
        spoof_related,
        certainty,
    }
}

/// A `ResultCode`: a string with leading zeros (`"0820"`), never an integer.
///
/// Deserializes from a JSON string (kept verbatim) or a JSON number (a non-negative integer is
/// zero-padded to 4 digits: `820` → `"0820"`; any other number keeps its decimal text). The
/// original JSON form is remembered, so re-serializing writes a number back as the same number;
/// equality, hashing and [`as_str`](Self::as_str) use the string.
///
/// ```
/// use smile_types::{JobType, ResultCategory, ResultCode};
/// let c: ResultCode = serde_json::from_str("824").unwrap();
/// assert_eq!(c.as_str(), "0824");
/// assert_eq!(c, ResultCode::new("0824"));
/// let info = c.info(Some(JobType::SmartSelfieAuthentication)).unwrap();
/// assert_eq!(info.category, ResultCategory::SpoofSuspected);
/// assert!(!info.is_final);
/// assert_eq!(ResultCode::new("0810").info(None), None); // job 1 or job 6? Not guessed.
/// ```
#[derive(Clone)]
pub struct ResultCode {
    code: String,
    number: Option<Number>,
}

impl ResultCode {
    /// A code from its string, kept exactly as given.
    pub fn new(code: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            number: None,
        }
    }

    /// A code received as a JSON number (see the type docs for the conversion).
    pub fn from_number(n: Number) -> Self {
        let code = match n.as_u64() {
            Some(u) => format!("{u:04}"),
            None => n.to_string(),
        };
        Self {
            code,
            number: Some(n),
        }
    }

    /// The code as a string (`"0820"`).
    pub fn as_str(&self) -> &str {
        &self.code
    }

    /// True when the code was received as a JSON number.
    pub fn was_number(&self) -> bool {
        self.number.is_some()
    }

    /// The table row for this code and job type; see [`CodeInfo::lookup`].
    pub fn info(&self, job_type: Option<JobType>) -> Option<&'static CodeInfo> {
        CodeInfo::lookup(&self.code, job_type)
    }

    /// The category, [`ResultCategory::Unknown`] when the code is not in the table.
    pub fn category(&self, job_type: Option<JobType>) -> ResultCategory {
        self.info(job_type)
            .map_or(ResultCategory::Unknown, |i| i.category)
    }
}

impl PartialEq for ResultCode {
    fn eq(&self, other: &Self) -> bool {
        self.code == other.code
    }
}

impl Eq for ResultCode {}

impl Hash for ResultCode {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.code.hash(state);
    }
}

impl PartialEq<str> for ResultCode {
    fn eq(&self, other: &str) -> bool {
        self.code == other
    }
}

impl PartialEq<&str> for ResultCode {
    fn eq(&self, other: &&str) -> bool {
        self.code == *other
    }
}

impl fmt::Debug for ResultCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ResultCode({:?})", self.code)
    }
}

impl fmt::Display for ResultCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code)
    }
}

impl AsRef<str> for ResultCode {
    fn as_ref(&self) -> &str {
        &self.code
    }
}

impl From<&str> for ResultCode {
    fn from(s: &str) -> Self {
        Self::new(s)
    }
}

impl From<String> for ResultCode {
    fn from(s: String) -> Self {
        Self::new(s)
    }
}

impl Serialize for ResultCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.number {
            Some(n) => n.serialize(serializer),
            None => serializer.serialize_str(&self.code),
        }
    }
}

/// Visitor for a code given as a JSON string or number.
struct CodeVisitor;

impl Visitor<'_> for CodeVisitor {
    type Value = (String, Option<Number>);
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a code as a JSON string or number")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok((v.to_owned(), None))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok((v, None))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok((format!("{v:04}"), Some(Number::from(v))))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        match u64::try_from(v) {
            Ok(u) => self.visit_u64(u),
            Err(_) => Ok((v.to_string(), Some(Number::from(v)))),
        }
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        let n = Number::from_f64(v).ok_or_else(|| E::custom("a code must be a finite number"))?;
        Ok((n.to_string(), Some(n)))
    }
}

impl<'de> Deserialize<'de> for ResultCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (code, number) = deserializer.deserialize_any(CodeVisitor)?;
        Ok(Self { code, number })
    }
}

/// Whether a 2xxx code reports success or an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCodeKind {
    /// A success code (2202 upload prepared, 2302 job status).
    Success,
    /// An error code.
    Error,
}

/// One row of the API code table ([protocol §10.5](crate::protocol#105-error-codes), `testdata/interop/error_codes.json`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ErrorCodeInfo {
    /// The 4-digit code.
    pub code: &'static str,
    /// The server's `error` text, when known.
    pub text: Option<&'static str>,
    /// What it means for the caller, when known.
    pub meaning: Option<&'static str>,
    /// Success or error.
    pub kind: ErrorCodeKind,
    /// The HTTP status seen with it (approximate), e.g. `"4xx"`, `"401/403"`.
    pub http_status: Option<&'static str>,
    /// `Some(true)`: a server-side transient failure, an idempotent call may be retried.
    /// `None` for success codes.
    pub transient: Option<bool>,
    /// How well the row is established.
    pub certainty: Certainty,
}

impl ErrorCodeInfo {
    /// Every row, in the order of `error_codes.json`.
    pub fn all() -> &'static [ErrorCodeInfo] {
        ERROR_CODES
    }

    /// The row for `code`, if known.
    pub fn lookup(code: &str) -> Option<&'static ErrorCodeInfo> {
        ERROR_CODES.iter().find(|r| r.code == code)
    }
}

#[allow(clippy::too_many_arguments)]
const fn err(
    code: &'static str,
    text: Option<&'static str>,
    meaning: Option<&'static str>,
    kind: ErrorCodeKind,
    http_status: Option<&'static str>,
    transient: Option<bool>,
    certainty: Certainty,
) -> ErrorCodeInfo {
    ErrorCodeInfo {
        code,
        text,
        meaning,
        kind,
        http_status,
        transient,
        certainty,
    }
}

/// A top-level API `code` (`"2215"`, `"2302"`, …; [protocol §10.5](crate::protocol#105-error-codes)), an open set: codes not
/// in the table (e.g. `2227`) are kept and reported as unknown.
///
/// Deserializes from a JSON string (kept verbatim) or a JSON number (a non-negative integer is
/// zero-padded to 4 digits, like [`ResultCode`]). The original JSON form is remembered, so
/// re-serializing writes a number back as the same number; equality, ordering, hashing and
/// [`as_str`](Self::as_str) use the string.
///
/// ```
/// use smile_types::ApiErrorCode;
/// let c = ApiErrorCode::new("2301");
/// assert!(c.is_transient());
/// assert!(!ApiErrorCode::new("2215").is_transient());
/// assert!(ApiErrorCode::new("2302").is_success());
/// assert!(ApiErrorCode::new("2227").info().is_none());
/// let n: ApiErrorCode = serde_json::from_str("2302").unwrap();
/// assert_eq!((n.as_str(), n.was_number()), ("2302", true));
/// assert_eq!(serde_json::to_string(&n).unwrap(), "2302");
/// ```
#[derive(Clone)]
pub struct ApiErrorCode {
    code: String,
    number: Option<Number>,
}

impl PartialEq for ApiErrorCode {
    fn eq(&self, other: &Self) -> bool {
        self.code == other.code
    }
}

impl Eq for ApiErrorCode {}

impl PartialOrd for ApiErrorCode {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ApiErrorCode {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.code.cmp(&other.code)
    }
}

impl Hash for ApiErrorCode {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.code.hash(state);
    }
}

impl fmt::Debug for ApiErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiErrorCode({:?})", self.code)
    }
}

impl ApiErrorCode {
    /// The well-known "job already exists" code (§5.10).
    pub const JOB_ALREADY_EXISTS: &'static str = "2215";

    /// A code, kept exactly as given.
    pub fn new(code: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            number: None,
        }
    }

    /// The code as a string.
    pub fn as_str(&self) -> &str {
        &self.code
    }

    /// True when the code was received as a JSON number.
    pub fn was_number(&self) -> bool {
        self.number.is_some()
    }

    /// The table row, if the code is known.
    pub fn info(&self) -> Option<&'static ErrorCodeInfo> {
        ErrorCodeInfo::lookup(&self.code)
    }

    /// True only for codes the table marks transient (2201, 2301, 2401). Unknown codes are
    /// not transient.
    pub fn is_transient(&self) -> bool {
        self.info().and_then(|i| i.transient) == Some(true)
    }

    /// True for the success codes (2202, 2302).
    pub fn is_success(&self) -> bool {
        self.info().map(|i| i.kind) == Some(ErrorCodeKind::Success)
    }

    /// True for the refusals the API makes **before** it creates a job: the request itself is
    /// wrong (signature 2205/2405, a parameter 2204/2212/2213/2413, the user 2207–2211/2216,
    /// the account 2220/2428). A job-creating call refused with one of these (and a 4xx status)
    /// left no job behind; any other failure may have. The list is [`REFUSED_BEFORE_JOB`](Self::REFUSED_BEFORE_JOB).
    ///
    /// ```
    /// use smile_types::ApiErrorCode;
    /// assert!(ApiErrorCode::new("2210").refused_before_job());
    /// assert!(!ApiErrorCode::new("2215").refused_before_job()); // the job exists
    /// assert!(!ApiErrorCode::new("2201").refused_before_job()); // a server error: unknown
    /// assert!(!ApiErrorCode::new("2227").refused_before_job()); // unknown code: unknown
    /// ```
    pub fn refused_before_job(&self) -> bool {
        Self::REFUSED_BEFORE_JOB.contains(&self.code.as_str())
    }

    /// The codes of [`refused_before_job`](Self::refused_before_job).
    pub const REFUSED_BEFORE_JOB: [&'static str; 14] = [
        "2204", "2205", "2207", "2208", "2209", "2210", "2211", "2212", "2213", "2216", "2220",
        "2405", "2413", "2428",
    ];
}

impl fmt::Display for ApiErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code)
    }
}

impl From<&str> for ApiErrorCode {
    fn from(s: &str) -> Self {
        Self::new(s)
    }
}

impl From<String> for ApiErrorCode {
    fn from(s: String) -> Self {
        Self::new(s)
    }
}

impl AsRef<str> for ApiErrorCode {
    fn as_ref(&self) -> &str {
        &self.code
    }
}

/// Writes the form received: a number stays a number.
impl Serialize for ApiErrorCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.number {
            Some(n) => n.serialize(serializer),
            None => serializer.serialize_str(&self.code),
        }
    }
}

/// Accepts a JSON string (verbatim) or number (zero-padded to 4 digits, remembered).
impl<'de> Deserialize<'de> for ApiErrorCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (code, number) = deserializer.deserialize_any(CodeVisitor)?;
        Ok(Self { code, number })
    }
}

// Generated once from testdata/interop/result_codes.json and testdata/interop/error_codes.json; the
// `tables_match_interop_files` tests keep them equal.
pub(crate) static RESULT_CODES: &[CodeInfo] = &[
    row(
        "0820",
        Some(JobType::SmartSelfieAuthentication),
        "Machine Judgement - PASS",
        ResultCategory::Approved,
        true,
        false,
        Certainty::Approximate,
    ),
    row(
        "0821",
        Some(JobType::SmartSelfieAuthentication),
        "Machine Judgement - FAIL - Compare Rejected",
        ResultCategory::Rejected,
        true,
        false,
        Certainty::Approximate,
    ),
    row(
        "0822",
        Some(JobType::SmartSelfieAuthentication),
        "Machine Judgement - Pure Provisional, awaiting human judgement",
        ResultCategory::Provisional,
        false,
        false,
        Certainty::Approximate,
    ),
    row(
        "0823",
        Some(JobType::SmartSelfieAuthentication),
        "Machine Judgement - FAIL - Possible Spoof",
        ResultCategory::Rejected,
        true,
        true,
        Certainty::Approximate,
    ),
    row(
        "0824",
        Some(JobType::SmartSelfieAuthentication),
        "Provisional Authentication - Under Review",
        ResultCategory::SpoofSuspected,
        false,
        true,
        Certainty::Confirmed,
    ),
    row(
        "0825",
        Some(JobType::SmartSelfieAuthentication),
        "Machine Judgement - Provisional - Machine Compare Unsure, awaiting human judgement",
        ResultCategory::Provisional,
        false,
        false,
        Certainty::Approximate,
    ),
    row(
        "0921",
        Some(JobType::SmartSelfieAuthentication),
        "Failed Authentication - No Face Found",
        ResultCategory::Rejected,
        true,
        false,
        Certainty::Approximate,
    ),
    row(
        "0922",
        Some(JobType::SmartSelfieAuthentication),
        "Failed Authentication - Image Quality Judged Too Poor",
        ResultCategory::Rejected,
        true,
        false,
        Certainty::Approximate,
    ),
    row(
        "1220",
        Some(JobType::SmartSelfieAuthentication),
        "Authenticated",
        ResultCategory::Approved,
        true,
        false,
        Certainty::Confirmed,
    ),
    row(
        "1221",
        Some(JobType::SmartSelfieAuthentication),
        "Human Judgement - FAIL - Human Compare Failed",
        ResultCategory::Rejected,
        true,
        false,
        Certainty::Approximate,
    ),
    row(
        "1222",
        Some(JobType::SmartSelfieAuthentication),
        "Human Judgement - FAIL - Spoof Detected",
        ResultCategory::Rejected,
        true,
        true,
        Certainty::Approximate,
    ),
    row(
        "0840",
        Some(JobType::SmartSelfieRegistration),
        "Enroll User - PASS - Machine Judgement",
        ResultCategory::Approved,
        true,
        false,
        Certainty::Approximate,
    ),
    row(
        "0841",
        Some(JobType::SmartSelfieRegistration),
        "Enroll User - FAIL - Machine Judgement - Compare Failed",
        ResultCategory::Rejected,
        true,
        false,
        Certainty::Approximate,
    ),
    row(
        "0842",
        Some(JobType::SmartSelfieRegistration),
        "Provisional - Machine Judgement - Pure Provisional, awaiting human judgement",
        ResultCategory::Provisional,
        false,
        false,
        Certainty::Approximate,
    ),
    row(
        "0843",
        Some(JobType::SmartSelfieRegistration),
        "FAIL - Possible Spoof - Machine Judgement",
        ResultCategory::Rejected,
        true,
        true,
        Certainty::Approximate,
    ),
    row(
        "0844",
        Some(JobType::SmartSelfieRegistration),
        "Provisional - Possible Spoof - Machine Judgement, awaiting human judgement",
        ResultCategory::SpoofSuspected,
        false,
        true,
        Certainty::Approximate,
    ),
    row(
        "0846",
        Some(JobType::SmartSelfieRegistration),
        "Pending - Possible Spoof - Machine Judgement, awaiting human judgement (strict setting)",
        ResultCategory::SpoofSuspected,
        false,
        true,
        Certainty::Approximate,
    ),
    row(
        "0941",
        Some(JobType::SmartSelfieRegistration),
        "FAIL - No Face Found",
        ResultCategory::Rejected,
        true,
        false,
        Certainty::Approximate,
    ),
    row(
        "0942",
        Some(JobType::SmartSelfieRegistration),
        "FAIL - Image Quality Judged Too Poor",
        ResultCategory::Rejected,
        true,
        false,
        Certainty::Approximate,
    ),
    row(
        "1240",
        Some(JobType::SmartSelfieRegistration),
        "Enroll User - PASS - Human Judgement",
        ResultCategory::Approved,
        true,
        false,
        Certainty::Approximate,
    ),
    row(
        "1241",
        Some(JobType::SmartSelfieRegistration),
        "FAIL - Image Unusable - Human Judgement",
        ResultCategory::Rejected,
        true,
        false,
        Certainty::Approximate,
    ),
    row(
        "1242",
        Some(JobType::SmartSelfieRegistration),
        "Spoof Detected - Human Judgement",
        ResultCategory::Rejected,
        true,
        true,
        Certainty::Approximate,
    ),
    row(
        "0810",
        Some(JobType::BiometricKyc),
        "Enroll User",
        ResultCategory::Approved,
        true,
        false,
        Certainty::Approximate,
    ),
    row(
        "0811",
        Some(JobType::BiometricKyc),
        "Failed Enroll - Machine Judgement - FAIL - Compare Rejected",
        ResultCategory::Rejected,
        true,
        false,
        Certainty::Approximate,
    ),
    row(
        "0812",
        Some(JobType::BiometricKyc),
        "Machine Judgement - Pure Provisional",
        ResultCategory::Provisional,
        false,
        false,
        Certainty::Approximate,
    ),
    row(
        "0813",
        Some(JobType::BiometricKyc),
        "Machine Judgement - FAIL - Possible Spoof",
        ResultCategory::Rejected,
        true,
        true,
        Certainty::Low,
    ),
    row(
        "0814",
        Some(JobType::BiometricKyc),
        "Provisional Enroll - Under Review",
        ResultCategory::Provisional,
        false,
        false,
        Certainty::Confirmed,
    ),
    row(
        "0815",
        Some(JobType::BiometricKyc),
        "Provisional Enroll - Machine Compare Unsure",
        ResultCategory::Provisional,
        false,
        false,
        Certainty::Low,
    ),
    row(
        "0911",
        Some(JobType::BiometricKyc),
        "Failed Enroll - No Face Found",
        ResultCategory::Rejected,
        true,
        false,
        Certainty::Approximate,
    ),
    row(
        "0912",
        Some(JobType::BiometricKyc),
        "Failed Enroll - Image Quality Judged Too Poor",
        ResultCategory::Rejected,
        true,
        false,
        Certainty::Approximate,
    ),
    row(
        "1210",
        Some(JobType::BiometricKyc),
        "Enroll User",
        ResultCategory::Approved,
        true,
        false,
        Certainty::Confirmed,
    ),
    row(
        "1211",
        Some(JobType::BiometricKyc),
        "Failed Enroll - Human Judgement - Compare Failed",
        ResultCategory::Rejected,
        true,
        false,
        Certainty::Low,
    ),
    row(
        "1212",
        Some(JobType::BiometricKyc),
        "Failed Enroll - Human Judgement - Fraud / Spoof",
        ResultCategory::Rejected,
        true,
        true,
        Certainty::Low,
    ),
    row(
        "1213",
        Some(JobType::BiometricKyc),
        "Failed Enroll - Human Judgement - Liveness Unsure",
        ResultCategory::Rejected,
        true,
        false,
        Certainty::Low,
    ),
    row(
        "1214",
        Some(JobType::BiometricKyc),
        "Failed Enroll - Human Judgement - ID Card Check Failed",
        ResultCategory::Rejected,
        true,
        false,
        Certainty::Low,
    ),
    row(
        "0810",
        Some(JobType::DocumentVerification),
        "Document Verified",
        ResultCategory::Approved,
        true,
        false,
        Certainty::Confirmed,
    ),
    row(
        "0811",
        Some(JobType::DocumentVerification),
        "No Face Match",
        ResultCategory::Rejected,
        true,
        false,
        Certainty::Approximate,
    ),
    row(
        "0812",
        Some(JobType::DocumentVerification),
        "Failed Security Features Check",
        ResultCategory::Rejected,
        true,
        false,
        Certainty::Approximate,
    ),
    row(
        "0813",
        Some(JobType::DocumentVerification),
        "Document Not Verified - Machine Judgement",
        ResultCategory::Rejected,
        true,
        false,
        Certainty::Approximate,
    ),
    row(
        "0816",
        Some(JobType::DocumentVerification),
        "Unsupported Document",
        ResultCategory::Rejected,
        true,
        false,
        Certainty::Low,
    ),
    row(
        "1012",
        Some(JobType::EnhancedKyc),
        "ID Number Validated",
        ResultCategory::Approved,
        true,
        false,
        Certainty::Confirmed,
    ),
    row(
        "1013",
        Some(JobType::EnhancedKyc),
        "Unable to Validate ID - ID Number Not Found",
        ResultCategory::Rejected,
        true,
        false,
        Certainty::Confirmed,
    ),
    row(
        "1014",
        Some(JobType::EnhancedKyc),
        "Unsupported ID Number Format",
        ResultCategory::Error,
        true,
        false,
        Certainty::Confirmed,
    ),
    row(
        "1015",
        Some(JobType::EnhancedKyc),
        "ID Number Service Unavailable",
        ResultCategory::Error,
        true,
        false,
        Certainty::Confirmed,
    ),
    row(
        "1016",
        Some(JobType::EnhancedKyc),
        "Need to Activate Product",
        ResultCategory::Error,
        true,
        false,
        Certainty::Confirmed,
    ),
    row(
        "1020",
        Some(JobType::EnhancedKyc),
        "Exact Match",
        ResultCategory::Approved,
        true,
        false,
        Certainty::Confirmed,
    ),
    row(
        "1021",
        Some(JobType::EnhancedKyc),
        "Partial Match",
        ResultCategory::Approved,
        true,
        false,
        Certainty::Confirmed,
    ),
    row(
        "1022",
        Some(JobType::EnhancedKyc),
        "No Match",
        ResultCategory::Rejected,
        true,
        false,
        Certainty::Confirmed,
    ),
    row(
        "1023",
        Some(JobType::EnhancedKyc),
        "Not Found",
        ResultCategory::Rejected,
        true,
        false,
        Certainty::Confirmed,
    ),
    row(
        "0001",
        None,
        "Data Invalid",
        ResultCategory::Rejected,
        true,
        false,
        Certainty::Approximate,
    ),
    row(
        "0903",
        None,
        "Zip Corrupt",
        ResultCategory::Rejected,
        true,
        false,
        Certainty::Approximate,
    ),
    row(
        "0907",
        None,
        "FAIL - Possible Spoof - Strict Setting",
        ResultCategory::Rejected,
        true,
        true,
        Certainty::Approximate,
    ),
    row(
        "0908",
        None,
        "ID Authority Unavailable",
        ResultCategory::Error,
        true,
        false,
        Certainty::Low,
    ),
];
pub(crate) static ERROR_CODES: &[ErrorCodeInfo] = &[
    err(
        "2201",
        Some("System Error"),
        Some("Unknown server error."),
        ErrorCodeKind::Error,
        Some("5xx/4xx"),
        Some(true),
        Certainty::Approximate,
    ),
    err(
        "2202",
        None,
        Some("Success code carried by a POST /upload response."),
        ErrorCodeKind::Success,
        Some("200"),
        None,
        Certainty::Confirmed,
    ),
    err(
        "2203",
        Some("Invalid JSON"),
        Some("info.json in the zip is malformed or misses keys."),
        ErrorCodeKind::Error,
        Some("4xx"),
        Some(false),
        Certainty::Approximate,
    ),
    err(
        "2204",
        Some("A parameter is of the wrong data type"),
        Some("A value has the wrong format."),
        ErrorCodeKind::Error,
        Some("4xx"),
        Some(false),
        Certainty::Approximate,
    ),
    err(
        "2205",
        Some("You're not authorized to do that"),
        Some(
            "Signature invalid: wrong API key, partner id or environment, or the timestamp is not the signed string.",
        ),
        ErrorCodeKind::Error,
        Some("401/403"),
        Some(false),
        Certainty::Approximate,
    ),
    err(
        "2207",
        Some("Enrolled User is disabled"),
        Some("Re-enable the user first."),
        ErrorCodeKind::Error,
        Some("4xx"),
        Some(false),
        Certainty::Approximate,
    ),
    err(
        "2208",
        Some("Enrolled user is deleted"),
        Some("The user_id cannot be used."),
        ErrorCodeKind::Error,
        Some("4xx"),
        Some(false),
        Certainty::Approximate,
    ),
    err(
        "2209",
        Some("Wrong user id. This user is already enrolled with user_id"),
        Some("Use a new user_id."),
        ErrorCodeKind::Error,
        Some("4xx"),
        Some(false),
        Certainty::Approximate,
    ),
    err(
        "2210",
        Some("No enrolled user found"),
        Some("Job type 2 needs a user enrolled by a prior job 1, 4 or 6."),
        ErrorCodeKind::Error,
        Some("4xx"),
        Some(false),
        Certainty::Approximate,
    ),
    err(
        "2211",
        Some("Enrolled user must complete re-enrollment"),
        None,
        ErrorCodeKind::Error,
        Some("4xx"),
        Some(false),
        Certainty::Approximate,
    ),
    err(
        "2212",
        Some("Invalid job type"),
        None,
        ErrorCodeKind::Error,
        Some("4xx"),
        Some(false),
        Certainty::Approximate,
    ),
    err(
        "2213",
        Some("A required parameter is missing"),
        None,
        ErrorCodeKind::Error,
        Some("4xx"),
        Some(false),
        Certainty::Approximate,
    ),
    err(
        "2214",
        None,
        Some("Exists (the mobile SDKs have a message slot for it); meaning not known."),
        ErrorCodeKind::Error,
        None,
        Some(false),
        Certainty::Low,
    ),
    err(
        "2215",
        Some("Job already exists. Did you mean to set the retry flag to true?"),
        Some(
            "The job_id was already used for this partner. See the 2215 handling in docs/protocol.md §5.10.",
        ),
        ErrorCodeKind::Error,
        Some("400"),
        Some(false),
        Certainty::Confirmed,
    ),
    err(
        "2216",
        Some("Enrolled user does not have a photo on file"),
        Some("Cannot authenticate this user."),
        ErrorCodeKind::Error,
        Some("4xx"),
        Some(false),
        Certainty::Approximate,
    ),
    err(
        "2220",
        Some("Production is not enabled"),
        Some("The partner is not enabled for production."),
        ErrorCodeKind::Error,
        Some("4xx"),
        Some(false),
        Certainty::Approximate,
    ),
    err(
        "2221",
        None,
        Some("Exists (mobile SDK message slot); meaning not known."),
        ErrorCodeKind::Error,
        None,
        Some(false),
        Certainty::Low,
    ),
    err(
        "2301",
        Some("System Error"),
        Some("Unknown server error (job status)."),
        ErrorCodeKind::Error,
        Some("5xx/4xx"),
        Some(true),
        Certainty::Approximate,
    ),
    err(
        "2302",
        None,
        Some("Success code carried by a POST /job_status response."),
        ErrorCodeKind::Success,
        Some("200"),
        None,
        Certainty::Confirmed,
    ),
    err(
        "2314",
        Some("No Zip File Received"),
        None,
        ErrorCodeKind::Error,
        Some("4xx"),
        Some(false),
        Certainty::Approximate,
    ),
    err(
        "2401",
        Some("System Error"),
        Some("Unknown server error (ID API)."),
        ErrorCodeKind::Error,
        Some("5xx/4xx"),
        Some(true),
        Certainty::Approximate,
    ),
    err(
        "2405",
        Some("You're not authorized to do that"),
        Some("Signature invalid (ID API)."),
        ErrorCodeKind::Error,
        Some("401/403"),
        Some(false),
        Certainty::Approximate,
    ),
    err(
        "2413",
        Some("A required parameter is missing"),
        Some(
            "Also used for field validation messages, e.g. '\"country\" must be one of [NG, ZA]' or 'Unsupported business type'.",
        ),
        ErrorCodeKind::Error,
        Some("4xx"),
        Some(false),
        Certainty::Approximate,
    ),
    err(
        "2414",
        None,
        Some("Exists (mobile SDK message slot); meaning not known."),
        ErrorCodeKind::Error,
        None,
        Some(false),
        Certainty::Low,
    ),
    err(
        "2428",
        Some("Out of credits"),
        Some("Reported by an integrator only."),
        ErrorCodeKind::Error,
        Some("4xx"),
        Some(false),
        Certainty::Low,
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_codes_need_the_job_type() {
        let kyc = CodeInfo::lookup("0810", Some(JobType::BiometricKyc)).unwrap();
        let doc = CodeInfo::lookup("0810", Some(JobType::DocumentVerification)).unwrap();
        assert_eq!(kyc.text, "Enroll User");
        assert_eq!(doc.text, "Document Verified");
        assert!(CodeInfo::lookup("0810", None).is_none());
        assert!(CodeInfo::lookup("0810", Some(JobType::SmartSelfieAuthentication)).is_none());
    }

    #[test]
    fn fallbacks() {
        // general code for any job type
        let g = CodeInfo::lookup("0903", Some(JobType::SmartSelfieAuthentication)).unwrap();
        assert_eq!(g.job_type, None);
        assert_eq!(CodeInfo::lookup("0903", None), Some(g));
        // ID-authority rows in job 1 / 11 history
        for jt in [JobType::BiometricKyc, JobType::EnhancedDocumentVerification] {
            let r = CodeInfo::lookup("1012", Some(jt)).unwrap();
            assert_eq!(r.job_type, Some(JobType::EnhancedKyc));
        }
        assert!(CodeInfo::lookup("1012", Some(JobType::SmartSelfieAuthentication)).is_none());
        assert!(CodeInfo::lookup("9999", Some(JobType::SmartSelfieAuthentication)).is_none());
    }

    #[test]
    fn result_code_forms() {
        let c: ResultCode = serde_json::from_str("\"0820\"").unwrap();
        assert!(!c.was_number());
        assert_eq!(serde_json::to_string(&c).unwrap(), "\"0820\"");
        let n: ResultCode = serde_json::from_str("820").unwrap();
        assert_eq!(n, c);
        assert_eq!(serde_json::to_string(&n).unwrap(), "820");
        let f: ResultCode = serde_json::from_str("820.5").unwrap();
        assert_eq!(f.as_str(), "820.5");
        let neg: ResultCode = serde_json::from_str("-1").unwrap();
        assert_eq!(neg.as_str(), "-1");
        assert!(serde_json::from_str::<ResultCode>("null").is_err());
        assert_eq!(
            ResultCode::new("7777").category(Some(JobType::SmartSelfieAuthentication)),
            ResultCategory::Unknown
        );
    }

    #[test]
    fn category_names() {
        for c in [
            ResultCategory::Approved,
            ResultCategory::Rejected,
            ResultCategory::Provisional,
            ResultCategory::SpoofSuspected,
            ResultCategory::Error,
            ResultCategory::Unknown,
        ] {
            assert_eq!(ResultCategory::from_name(c.as_str()), Some(c));
        }
        assert_eq!(ResultCategory::SpoofSuspected.as_str(), "spoof");
    }

    #[test]
    fn api_code_from_number() {
        let c: ApiErrorCode = serde_json::from_str("2215").unwrap();
        assert_eq!(c.as_str(), ApiErrorCode::JOB_ALREADY_EXISTS);
    }
}

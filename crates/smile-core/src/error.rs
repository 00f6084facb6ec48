//! The error type of every call.

use std::time::Duration;

use http::StatusCode;
use smile_sign::VerifyError;
use smile_types::{ApiErrorCode, JobId, JobStatusResponse, Problems, SmileJobId};

use crate::config::ConfigError;
use crate::transport::{RequestKind, TransportFailure, TransportFailureKind};

/// The most of an error response body kept in [`Error::Api`] and friends (64 KiB).
pub const MAX_ERROR_BODY_BYTES: usize = 64 * 1024;

/// Everything that can go wrong in a Smile ID call.
///
/// The variants separate what happened, so callers can react precisely:
///
/// | variant | what happened | may a job exist? ([`job_may_exist`](Self::job_may_exist)) |
/// |---|---|---|
/// | [`InvalidInput`](Self::InvalidInput) | local validation failed; **nothing was sent** | no |
/// | [`Config`](Self::Config) | an invalid client or policy setting | no |
/// | [`JobAlreadyExists`](Self::JobAlreadyExists) | Smile code 2215: the `job_id` is taken | yes (an earlier one) |
/// | [`Api`](Self::Api) | the server answered with an error status (or a 2xx error body) | for a job-creating request: **yes**, unless it is a 4xx with a Smile code the API checks before making a job ([`ApiErrorCode::refused_before_job`]); otherwise when `smile_job_id` or `job_exists` says so |
/// | [`Transport`](Self::Transport) | no HTTP response (connect, timeout, broken connection) | for a job-creating request: **yes** once a connection was made (a DNS or connect failure is no); otherwise `smile_job_id`/`job_exists` |
/// | [`UnexpectedResponse`](Self::UnexpectedResponse) | a 2xx response that is not what the protocol promises | for a job-creating request: **yes**; otherwise `smile_job_id`/`job_exists` |
/// | [`InsecureUploadUrl`](Self::InsecureUploadUrl) | an `https` API handed out a plain-`http` upload URL: nothing was uploaded | yes |
/// | [`UploadFailed`](Self::UploadFailed) | the job exists but the zip `PUT` failed | yes |
/// | [`ResponseSignatureInvalid`](Self::ResponseSignatureInvalid) | a response failed signature verification | yes |
/// | [`PollTimeout`](Self::PollTimeout) | polling reached its deadline; carries the last status (and the last failure, e.g. a 429 with its `Retry-After`) | yes |
/// | [`NoResult`](Self::NoResult) | the job is complete but its `result` is a message, not a result entry | yes |
/// | [`Package`](Self::Package) | the upload zip could not be built (format limits) | yes |
/// | [`InvalidState`](Self::InvalidState) | a protocol machine was driven out of order (driver bug) | unknown (no) |
///
/// Any response that carried a `smile_job_id` keeps it in the error, whatever else is wrong with
/// it, and once a submission has seen a `smile_job_id` or a 2215, every later error of that
/// submission carries it (`smile_job_id`, or `job_exists` when only the 2215 said so). From an
/// error whose [`job_may_exist`](Self::job_may_exist) is true, finish the **same** job with the
/// client's `resume_job` (the same request, `retry: true`), never with a new `job_id`: that
/// would be a second, billed job.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input breaks one or more rules of [protocol §6](smile_types::protocol#6-validation-rules); every problem is listed and no
    /// request was sent.
    #[error("invalid input, nothing was sent: {problems}")]
    InvalidInput {
        /// All problems found.
        problems: Problems,
    },

    /// An invalid client or policy setting.
    #[error("invalid configuration")]
    Config(#[from] ConfigError),

    /// `POST /upload` answered Smile code 2215: a job with this `job_id` already exists. To
    /// finish that job, call `resume_job` with the same request (or set
    /// `resume_existing_job`); for a new job, use a new `job_id`.
    #[error(
        "job_id {job_id} already exists (Smile code 2215): resume_job with the same request finishes that job; use a new job_id only for a new job"
    )]
    JobAlreadyExists {
        /// The `job_id` that is taken.
        job_id: JobId,
        /// The server's message.
        message: Option<String>,
    },

    /// The server answered with an error: a non-2xx status, or a 2xx body carrying `error`
    /// instead of the expected fields.
    #[error("{during} failed: {}", api_summary(*.status, .code.as_ref(), .message.as_deref(), .smile_job_id.as_ref(), *.job_exists))]
    Api {
        /// The call that failed.
        during: RequestKind,
        /// The HTTP status.
        status: StatusCode,
        /// The Smile error code (`"2205"`, ...), when the body has one.
        code: Option<ApiErrorCode>,
        /// The body's `error` (else `message`) text, when the body is JSON and has one.
        message: Option<String>,
        /// The raw body text (lossy UTF-8, at most [`MAX_ERROR_BODY_BYTES`]).
        body: String,
        /// The job: known from this response or an earlier one of the same submission.
        smile_job_id: Option<SmileJobId>,
        /// An earlier response of the same submission said the job exists (a 2215) though
        /// its `smile_job_id` is not known.
        job_exists: bool,
    },

    /// No HTTP response was received.
    #[error("{during} got no response{}", transport_context(*.during, .smile_job_id.as_ref(), *.job_exists, .source))]
    Transport {
        /// The call that failed.
        during: RequestKind,
        /// The job, when an earlier response of the same submission gave it.
        smile_job_id: Option<SmileJobId>,
        /// An earlier response of the same submission said the job exists (a 2215).
        job_exists: bool,
        /// The transport's failure.
        #[source]
        source: TransportFailure,
    },

    /// A 2xx response that does not hold what the protocol promises (not JSON, a required
    /// field missing, an unusable upload URL).
    #[error("{during} returned an unexpected response (HTTP {status}): {problem}{}", job_known(.smile_job_id.as_ref(), *.job_exists))]
    UnexpectedResponse {
        /// The call.
        during: RequestKind,
        /// The HTTP status.
        status: StatusCode,
        /// What is wrong, naming the field.
        problem: String,
        /// The raw body text (lossy UTF-8, at most [`MAX_ERROR_BODY_BYTES`]).
        body: String,
        /// The job: from this response (even a broken one that still carried it) or an
        /// earlier one of the same submission.
        smile_job_id: Option<SmileJobId>,
        /// An earlier response of the same submission said the job exists (a 2215).
        job_exists: bool,
    },

    /// The API base is `https` but `POST /upload` handed out a plain-`http` upload URL: the
    /// selfie and the ID images would travel in clear text, so nothing was uploaded. The job
    /// exists. [`ClientConfigBuilder::allow_insecure_upload_url`](crate::ClientConfigBuilder::allow_insecure_upload_url)
    /// permits it (plain-http test servers behind an https front).
    #[error(
        "job {smile_job_id} (job_id {job_id}): the https API handed out a plain-http upload URL; nothing was uploaded (resume_job finishes this job; allow_insecure_upload_url permits such URLs)"
    )]
    InsecureUploadUrl {
        /// The job created by `POST /upload`.
        smile_job_id: SmileJobId,
        /// The partner's job id.
        job_id: JobId,
    },

    /// The job exists on the server (`POST /upload` succeeded) but the zip could not be
    /// uploaded. `resume_job` with the same request finishes the same job.
    #[error("upload of job {smile_job_id} (job_id {job_id}) failed: {}; resume_job with the same request finishes this job", upload_summary(*.status, .body, .source.as_deref()))]
    UploadFailed {
        /// The job created by `POST /upload`.
        smile_job_id: SmileJobId,
        /// The partner's job id.
        job_id: JobId,
        /// The HTTP status of the last `PUT`, when it got a response.
        status: Option<StatusCode>,
        /// The last response's body (e.g. the storage service's XML), at most
        /// [`MAX_ERROR_BODY_BYTES`].
        body: String,
        /// The transport failure, when the last `PUT` got no response.
        #[source]
        source: Option<Box<TransportFailure>>,
    },

    /// A signed response (`job_status`, or an Enhanced KYC / business verification result
    /// that carries a signature) failed verification ([protocol §3.4](smile_types::protocol#34-verifying-a-signature-responses-and-callbacks)).
    /// The response was not used and the request was not retried: a forged or corrupted answer
    /// is not a transient failure.
    #[error("response for job_id {job_id}{} has an invalid signature", job_suffix(.smile_job_id.as_ref()))]
    ResponseSignatureInvalid {
        /// The job, when known.
        smile_job_id: Option<SmileJobId>,
        /// The partner's job id.
        job_id: JobId,
        /// Why verification failed.
        #[source]
        source: VerifyError,
    },

    /// Polling reached its deadline (or `max_polls`) before the job completed. The job is
    /// still running: its result will reach the callback, or ask again with
    /// `get_job_status`.
    #[error("job {smile_job_id} (job_id {job_id}) did not complete within {} ({polls} polls){}{}", seconds(*.elapsed), last_status_summary(.last_status.as_deref()), last_failure_summary(.last_failure.as_deref(), *.retry_after))]
    PollTimeout {
        /// The job.
        smile_job_id: SmileJobId,
        /// The partner's job id.
        job_id: JobId,
        /// How many polls were sent.
        polls: u32,
        /// Time from the end of the upload to giving up.
        elapsed: Duration,
        /// The last verified (incomplete) status, if any poll succeeded.
        last_status: Option<Box<JobStatusResponse>>,
        /// The failure of the last poll, when it failed (e.g. HTTP 429 rate limited, or a 5xx,
        /// that outlasted the deadline).
        last_failure: Option<Box<Error>>,
        /// The `Retry-After` of the last failed poll, when it had one.
        retry_after: Option<Duration>,
    },

    /// `job_status` says the job is complete, but `result` is a message (or absent) instead
    /// of a result entry, so there is no result code to act on.
    #[error("job {smile_job_id} (job_id {job_id}) is complete but has no result entry{}", message_suffix(.message.as_deref()))]
    NoResult {
        /// The job.
        smile_job_id: SmileJobId,
        /// The partner's job id.
        job_id: JobId,
        /// The `result` text, when it was a string.
        message: Option<String>,
        /// The whole verified status.
        status: Box<JobStatusResponse>,
    },

    /// The job was created but its upload package could not be built (a zip-format limit such
    /// as 4 GiB; validation makes this practically impossible).
    #[error("the upload package for job {smile_job_id} could not be built")]
    Package {
        /// The job created by `POST /upload`.
        smile_job_id: SmileJobId,
        /// Why.
        #[source]
        source: smile_package::BuildError,
    },

    /// A protocol machine was driven out of order (a driver bug, not a server problem).
    #[error("protocol machine misuse: {0}")]
    InvalidState(&'static str),
}

impl Error {
    /// The Smile job id, for errors raised after the job was created.
    #[must_use]
    pub fn smile_job_id(&self) -> Option<&SmileJobId> {
        match self {
            Self::Api { smile_job_id, .. }
            | Self::Transport { smile_job_id, .. }
            | Self::UnexpectedResponse { smile_job_id, .. }
            | Self::ResponseSignatureInvalid { smile_job_id, .. } => smile_job_id.as_ref(),
            Self::UploadFailed { smile_job_id, .. }
            | Self::InsecureUploadUrl { smile_job_id, .. }
            | Self::PollTimeout { smile_job_id, .. }
            | Self::NoResult { smile_job_id, .. }
            | Self::Package { smile_job_id, .. } => Some(smile_job_id),
            _ => None,
        }
    }

    /// The Smile error code, for API errors that carry one (and `"2215"` for
    /// [`JobAlreadyExists`](Self::JobAlreadyExists)).
    #[must_use]
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Api { code, .. } => code.as_ref().map(ApiErrorCode::as_str),
            Self::JobAlreadyExists { .. } => Some("2215"),
            _ => None,
        }
    }

    /// The HTTP status, for errors that came with a response.
    #[must_use]
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Api { status, .. } | Self::UnexpectedResponse { status, .. } => Some(*status),
            Self::UploadFailed { status, .. } => *status,
            Self::JobAlreadyExists { .. } => Some(StatusCode::BAD_REQUEST),
            _ => None,
        }
    }

    /// Whether a job may exist on the server although this call failed (the table on
    /// [`Error`]). One rule: for a request that can create a job ([`RequestKind::creates_job`]),
    /// only a refusal the API documents as made before any job (a 4xx with a code of
    /// [`ApiErrorCode::refused_before_job`]) or a request that never left (no connection:
    /// DNS or connect failure) says no; anything else after the request may have reached the
    /// server says yes. Any error that knows the job (`smile_job_id`, or a 2215 seen) says yes.
    ///
    /// When true, finish the job with the client's `resume_job` (the same request, `retry:
    /// true`) or look at it with `get_job_status`; never resubmit with a new `job_id` (that
    /// would be a second, billed job).
    #[must_use]
    pub fn job_may_exist(&self) -> bool {
        if self.smile_job_id().is_some() {
            return true;
        }
        match self {
            Self::Transport {
                during,
                source,
                job_exists,
                ..
            } => {
                *job_exists
                    || (during.creates_job() && source.kind() != TransportFailureKind::Connect)
            }
            Self::Api {
                during,
                status,
                code,
                job_exists,
                ..
            } => {
                let refused = status.is_client_error()
                    && code.as_ref().is_some_and(ApiErrorCode::refused_before_job);
                *job_exists || (during.creates_job() && !refused)
            }
            Self::UnexpectedResponse {
                during, job_exists, ..
            } => *job_exists || during.creates_job(),
            Self::JobAlreadyExists { .. } | Self::ResponseSignatureInvalid { .. } => true,
            _ => false,
        }
    }

    /// Whether a later identical call might succeed (a transport failure or HTTP 408, 429,
    /// 5xx).
    #[must_use]
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Transport { source, .. } => source.is_transient(),
            Self::Api { status, .. } => crate::policy::is_transient_status(*status),
            _ => false,
        }
    }
}

fn job_suffix(id: Option<&SmileJobId>) -> String {
    id.map(|id| format!(" (job {id})")).unwrap_or_default()
}

/// The job, or that a 2215 said it exists.
fn job_known(id: Option<&SmileJobId>, job_exists: bool) -> String {
    match id {
        Some(_) => job_suffix(id),
        None if job_exists => " (the job exists: Smile code 2215)".to_owned(),
        None => String::new(),
    }
}

fn message_suffix(m: Option<&str>) -> String {
    m.map(|m| format!(": server said {m:?}"))
        .unwrap_or_default()
}

fn api_summary(
    status: StatusCode,
    code: Option<&ApiErrorCode>,
    message: Option<&str>,
    id: Option<&SmileJobId>,
    job_exists: bool,
) -> String {
    let mut s = format!("HTTP {status}");
    if let Some(c) = code {
        s.push_str(&format!(", Smile code {}", c.as_str()));
    }
    match message {
        Some(m) => s.push_str(&format!(": {m}")),
        None => s.push_str(" (no error message in the body)"),
    }
    s.push_str(&job_known(id, job_exists));
    s
}

fn transport_context(
    during: RequestKind,
    id: Option<&SmileJobId>,
    job_exists: bool,
    source: &TransportFailure,
) -> String {
    if id.is_some() || job_exists {
        return job_known(id, job_exists);
    }
    if during.creates_job() {
        if source.kind() == TransportFailureKind::Connect {
            return " (no connection was established, so no job was created)".to_owned();
        }
        return if during == RequestKind::PrepUpload {
            " (the job may have been created: resume_job with the same request finishes it; a new job_id would be a second, billed job)".to_owned()
        } else {
            " (the job may have been created: get_job_status with the same user_id and job_id shows it; a new job_id would be a second, billed job)".to_owned()
        };
    }
    String::new()
}

/// `88.1 s`, as people write durations.
pub(crate) fn seconds(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

fn last_failure_summary(failure: Option<&Error>, retry_after: Option<Duration>) -> String {
    let Some(e) = failure else {
        return String::new();
    };
    let rate_limited = e.status() == Some(StatusCode::TOO_MANY_REQUESTS);
    let mut s = if rate_limited {
        "; the last poll was rate limited (HTTP 429)".to_owned()
    } else {
        format!("; the last poll failed: {e}")
    };
    if let Some(ra) = retry_after {
        s.push_str(&format!(", Retry-After {}", seconds(ra)));
    }
    s
}

fn upload_summary(
    status: Option<StatusCode>,
    body: &str,
    source: Option<&TransportFailure>,
) -> String {
    match (status, source) {
        (Some(s), _) => {
            let snippet: String = body.chars().take(200).collect();
            if snippet.is_empty() {
                format!("HTTP {s}")
            } else {
                format!("HTTP {s}: {snippet}")
            }
        }
        (None, Some(_)) => "no response".to_owned(),
        (None, None) => "unknown failure".to_owned(),
    }
}

fn last_status_summary(s: Option<&JobStatusResponse>) -> String {
    match s {
        None => "; no status was received".to_owned(),
        Some(s) => match &s.result {
            smile_types::JobResult::Message(m) => format!("; last result message: {m:?}"),
            smile_types::JobResult::Entry(e) => match &e.result_code {
                Some(c) => format!("; last result code {}", c.as_str()),
                None => "; last status incomplete".to_owned(),
            },
            _ => "; last status incomplete".to_owned(),
        },
    }
}

/// Lossy UTF-8 text of at most [`MAX_ERROR_BODY_BYTES`] of `body`.
pub(crate) fn bounded_text(body: &[u8]) -> String {
    let cut = &body[..body.len().min(MAX_ERROR_BODY_BYTES)];
    String::from_utf8_lossy(cut).into_owned()
}

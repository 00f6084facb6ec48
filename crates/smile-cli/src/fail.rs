//! The SDK's errors, told in the command line's terms: the flag or environment variable to
//! change (never a library setter), the exit code, and what to run next when a job may exist.

use smile_blocking::types::{Problem, ProblemCode};
use smile_blocking::{Error, RequestKind, TransportFailureKind};

use crate::output::{CliError, JobRef, ProblemOut, exit};
use crate::report;

/// What a command knows about the call that failed, to word the error.
#[derive(Debug, Default)]
pub(crate) struct Context {
    /// The job (ids as given or generated).
    pub(crate) job: Option<JobRef>,
    /// For image jobs: the `--resume` command that finishes a job that may exist.
    pub(crate) resume_command: Option<String>,
    /// The base URL, for connection hints.
    pub(crate) base_url: String,
    /// The flag (and value) of each image, by its index in the request (`images[i]`).
    pub(crate) image_flags: Vec<String>,
    /// The callback URL given, for messages.
    pub(crate) callback_url: Option<String>,
    /// Whether the call waited for the result (`--no-wait` not given).
    pub(crate) waits: bool,
}

impl Context {
    fn status_command(&self) -> Option<String> {
        let job = self.job.as_ref()?;
        Some(crate::shell::status_command(
            job.user_id.as_deref()?,
            job.job_id.as_deref()?,
        ))
    }
}

/// The SDK's error `e`, for the command line.
pub(crate) fn sdk_error(e: &Error, ctx: &Context) -> CliError {
    let may_exist = e.job_may_exist();
    let exit_code = if may_exist {
        exit::JOB_MAY_EXIST
    } else {
        exit::FAILURE
    };
    let mut err = match e {
        Error::InvalidInput { problems } => {
            let n = problems.len();
            let mut err = CliError::failure(
                "invalid_input",
                format!(
                    "invalid input, nothing was sent ({n} problem{})",
                    if n == 1 { "" } else { "s" }
                ),
            );
            err.problems = problems.iter().map(|p| problem(p, ctx)).collect();
            err
        }
        Error::Config(c) => crate::args::config_error(c),
        Error::JobAlreadyExists { job_id, .. } => {
            let mut err = CliError::new(
                "job_exists",
                exit::JOB_MAY_EXIST,
                format!("job_id {job_id} is taken (Smile code 2215): a job with this id exists"),
            );
            err.code = Some("2215".into());
            err.http_status = Some(400);
            err.hints.push(
                "for a new job, use a new --job-id (or leave it out: one is generated)".into(),
            );
            err
        }
        Error::Api {
            during,
            status,
            code,
            message,
            ..
        } => {
            let mut text = format!("{during} failed: HTTP {status}");
            if let Some(c) = code {
                text.push_str(&format!(", Smile code {}", c.as_str()));
            }
            match message {
                Some(m) => text.push_str(&format!(": {m}")),
                None => text.push_str(" (no error message in the body)"),
            }
            let mut err = CliError::new("api", exit_code, text);
            err.code = code.as_ref().map(|c| c.as_str().to_owned());
            err.http_status = Some(status.as_u16());
            if let Some(hint) = api_hint(
                code.as_ref().map(|c| c.as_str()),
                status.as_u16(),
                *during,
                ctx,
            ) {
                err.hints.push(hint);
            }
            err
        }
        Error::Transport { during, source, .. } => {
            let mut err = CliError::new(
                "transport",
                exit_code,
                format!("{during} got no response: {}", report::chain(source)),
            );
            match source.kind() {
                TransportFailureKind::Connect => err.hints.push(format!(
                    "no connection to {}: is --server (SMILE_SID_SERVER) right, and is the \
                     server running (`smile emulator` for a local one)?",
                    ctx.base_url
                )),
                TransportFailureKind::Timeout => err
                    .hints
                    .push("the server did not answer in time; try again later".into()),
                TransportFailureKind::Tls => err.hints.push(
                    "the TLS handshake failed: is the server's certificate trusted, and is the \
                     scheme of --server right (http for `smile emulator`)?"
                        .into(),
                ),
                _ => {}
            }
            if may_exist && *during != RequestKind::PrepUpload && ctx.resume_command.is_none() {
                err.hints.push(
                    "the request may have reached the server: the job may exist (look it up \
                     before sending it again with a new --job-id: that would be a second, \
                     billed job)"
                        .into(),
                );
            }
            err
        }
        Error::UnexpectedResponse {
            during,
            status,
            problem,
            ..
        } => CliError::new(
            "unexpected_response",
            exit_code,
            format!("{during} returned an unexpected response (HTTP {status}): {problem}"),
        ),
        Error::InsecureUploadUrl { smile_job_id, .. } => CliError::new(
            "insecure_upload_url",
            exit::JOB_MAY_EXIST,
            format!(
                "the https API handed out a plain-http upload URL for job {smile_job_id}: \
                 nothing was uploaded (the images would travel in clear text)"
            ),
        ),
        Error::UploadFailed {
            smile_job_id,
            status,
            body,
            source,
            ..
        } => {
            let why = match (status, source) {
                (Some(s), _) => {
                    let snippet: String = body.chars().take(200).collect();
                    if snippet.is_empty() {
                        format!("HTTP {s}")
                    } else {
                        format!("HTTP {s}: {snippet}")
                    }
                }
                (None, Some(f)) => format!("no response: {}", report::chain(f.as_ref())),
                (None, None) => "unknown failure".to_owned(),
            };
            let mut err = CliError::new(
                "upload_failed",
                exit::JOB_MAY_EXIST,
                format!("the upload of job {smile_job_id} failed: {why}"),
            );
            err.http_status = status.map(|s| s.as_u16());
            err
        }
        Error::ResponseSignatureInvalid {
            job_id, source, ..
        } => CliError::new(
            "response_signature_invalid",
            exit_code,
            format!(
                "the response about job_id {job_id} is not signed with this partner's key ({source}); \
                 it was not used"
            ),
        )
        .hint(
            "check --partner-id and --api-key (SMILE_PARTNER_ID, SMILE_API_KEY): the key must \
             be the one of the environment --server points at",
        ),
        Error::PollTimeout {
            smile_job_id,
            job_id,
            polls,
            elapsed,
            last_status,
            last_failure,
            retry_after,
        } => {
            let mut text = format!(
                "job {smile_job_id} (job_id {job_id}) has no result after {} ({polls} poll{})",
                report::duration(*elapsed),
                if *polls == 1 { "" } else { "s" }
            );
            match last_status.as_deref().map(|s| &s.result) {
                Some(smile_blocking::types::JobResult::Entry(e)) => {
                    if let Some(c) = &e.result_code {
                        text.push_str(&format!("; the last status has result code {}", c.as_str()));
                    }
                }
                Some(smile_blocking::types::JobResult::Message(m)) => {
                    text.push_str(&format!("; the server says: {m}"));
                }
                Some(_) => text.push_str("; the job is still processing"),
                None => text.push_str("; no status was received"),
            }
            if let Some(f) = last_failure.as_deref() {
                if f.status().map(|s| s.as_u16()) == Some(429) {
                    text.push_str("; the last poll was rate limited (HTTP 429)");
                } else {
                    text.push_str(&format!(
                        "; the last poll failed: {}",
                        sdk_error(f, &Context::default()).message
                    ));
                }
                if let Some(ra) = retry_after {
                    text.push_str(&format!(", Retry-After {}", report::duration(*ra)));
                }
            }
            let mut err = CliError::new("poll_timeout", exit::NOT_FINAL, text);
            err.outcome = "not_final";
            err.job_may_exist = true;
            err.hints.push(
                "the job is still running: its result goes to the callback URL, or ask again \
                 later; --timeout SECS waits longer"
                    .into(),
            );
            if let Some(status) = last_status.as_deref()
                && let Some(entry) = status.result_entry()
            {
                let job_type = ctx
                    .job
                    .as_ref()
                    .and_then(|j| j.job_type)
                    .map(smile_blocking::JobType::from_code);
                let i = entry.interpret(job_type);
                err.fields
                    .insert("result".into(), crate::output::result_json(entry, &i));
            }
            err
        }
        Error::NoResult {
            smile_job_id,
            message,
            ..
        } => CliError::new(
            "no_result",
            exit::JOB_MAY_EXIST,
            format!(
                "job {smile_job_id} is complete but has no result entry{}",
                message
                    .as_deref()
                    .map(|m| format!("; the server says: {m}"))
                    .unwrap_or_default()
            ),
        ),
        Error::Package { smile_job_id, source } => CliError::new(
            "package",
            exit::JOB_MAY_EXIST,
            format!(
                "the upload package of job {smile_job_id} could not be built: {}",
                report::chain(source)
            ),
        ),
        other => CliError::new("internal", exit_code, report::chain(other)),
    };
    err.job_may_exist = may_exist;
    let mut job = ctx.job.clone();
    if let Some(id) = e.smile_job_id() {
        let j = job.get_or_insert_with(JobRef::default);
        j.smile_job_id = Some(id.as_str().to_owned());
    }
    err.job = job;
    if may_exist && err.kind != "poll_timeout" && err.kind != "no_result" {
        err.resume_command.clone_from(&ctx.resume_command);
    }
    if may_exist || err.kind == "poll_timeout" {
        err.status_command = ctx.status_command();
    }
    err
}

/// The hint for an API error: what to change.
fn api_hint(code: Option<&str>, status: u16, during: RequestKind, ctx: &Context) -> Option<String> {
    let user = ctx
        .job
        .as_ref()
        .and_then(|j| j.user_id.as_deref())
        .unwrap_or("USER");
    Some(match code {
        Some("2205" | "2405") => "the signature was refused: check --partner-id and --api-key \
             (SMILE_PARTNER_ID, SMILE_API_KEY); the key must be the one of the environment \
             --server (SMILE_SID_SERVER) points at"
            .to_owned(),
        Some("2210") => format!(
            "no user is enrolled under --user-id {user}: enrol them first (`smile register \
             --user-id {user} --selfie FILE`), or give the user_id they were enrolled under"
        ),
        Some("2209") => format!(
            "--user-id {user} is enrolled already: `smile auth` authenticates them; a new \
             enrolment needs a new --user-id"
        ),
        Some("2216") => format!("the user enrolled under --user-id {user} has no photo on file"),
        Some("2207") => format!("the user enrolled under --user-id {user} is disabled"),
        Some("2208") => format!("the user enrolled under --user-id {user} is deleted"),
        Some("2220") => {
            "the partner is not enabled for production: use --server 0 (sandbox)".to_owned()
        }
        Some("2428") => "out of credits".to_owned(),
        _ if status == 404 && during == RequestKind::JobStatus => {
            "no job found for this --user-id and --job-id".to_owned()
        }
        _ if status == 429 || status >= 500 => {
            "the server could not answer now; try again later".to_owned()
        }
        _ => return None,
    })
}

/// One SDK validation problem, named by its flag.
fn problem(p: &Problem, ctx: &Context) -> ProblemOut {
    let image_flag = || {
        p.field
            .strip_prefix("images[")
            .and_then(|r| r.strip_suffix(']'))
            .and_then(|i| i.parse::<usize>().ok())
            .and_then(|i| ctx.image_flags.get(i).cloned())
    };
    let (flag, message): (Option<String>, String) = match p.code {
        ProblemCode::UserIdMissing => (Some("--user-id".into()), "must not be empty".into()),
        ProblemCode::JobIdMissing => (Some("--job-id".into()), "must not be empty".into()),
        ProblemCode::SelfieMissing => (
            Some("--selfie".into()),
            "a selfie is required: --selfie FILE or --selfie-base64 FILE".into(),
        ),
        ProblemCode::SelfieMultiple => (Some("--selfie".into()), "give one selfie".into()),
        ProblemCode::IdFrontMissing => (
            Some("--id-front".into()),
            "the front of the ID document is required: --id-front FILE or --id-front-base64 FILE"
                .into(),
        ),
        ProblemCode::IdOrIdInfoMissing => (
            Some("--id-front".into()),
            "job type 1 needs the front of the ID document (--id-front FILE) or the ID details \
             to verify (--country, --id-type and --id-number)"
                .into(),
        ),
        ProblemCode::IdCardNotAllowed => (
            image_flag(),
            "this job type takes no ID document images".into(),
        ),
        ProblemCode::CountryMissing => (Some("--country".into()), "is required here".into()),
        ProblemCode::CountryInvalid => (Some("--country".into()), p.message.clone()),
        ProblemCode::IdTypeMissing => (Some("--id-type".into()), "is required here".into()),
        ProblemCode::IdNumberMissing => (
            Some("--id-number".into()),
            "is required here (with --country and --id-type, the ID details to verify)".into(),
        ),
        ProblemCode::CallbackMissing => (
            Some("--callback-url".into()),
            if ctx.waits {
                "a callback URL is required: give --callback-url URL or set SMILE_CALLBACK_URL \
                 (`smile listen` gives one)"
                    .into()
            } else {
                "--no-wait needs a callback URL for the result: give --callback-url URL or set \
                 SMILE_CALLBACK_URL (`smile listen` gives one), or leave out --no-wait to wait \
                 for the result here"
                    .into()
            },
        ),
        ProblemCode::CallbackInvalidUrl => (
            Some(match &ctx.callback_url {
                Some(u) => format!("--callback-url {}", crate::shell::quote(u)),
                None => "--callback-url".into(),
            }),
            "is not an absolute http or https URL (from --callback-url or SMILE_CALLBACK_URL)"
                .into(),
        ),
        ProblemCode::ReturnHistoryRequiresReturnJobStatus => (
            Some("--history".into()),
            "cannot be used with --no-wait".into(),
        ),
        ProblemCode::ReturnImageLinksRequiresReturnJobStatus => (
            Some("--image-links".into()),
            "cannot be used with --no-wait".into(),
        ),
        ProblemCode::UseEnrolledImageNotAllowed => (
            Some("--use-enrolled-image".into()),
            "is for job types 6 and 11 only".into(),
        ),
        ProblemCode::ProductMissing => (Some("--product".into()), "must not be empty".into()),
        ProblemCode::PartnerParamsExtraReservedKey => (
            Some("--extra".into()),
            "user_id, job_id and job_type are set by --user-id, --job-id and the command".into(),
        ),
        ProblemCode::IdInfoNotAllowed => (
            Some("--country".into()),
            "this job type takes no ID details".into(),
        ),
        _ if p.field.starts_with("images[") => (image_flag(), p.message.clone()),
        _ => (None, format!("{}: {}", p.field, p.message)),
    };
    ProblemOut {
        code: p.code.as_str().to_owned(),
        flag,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use smile_blocking::types::Problems;

    #[test]
    fn problems_name_flags_not_setters() {
        let ctx = Context {
            image_flags: vec!["--selfie s.jpg".into(), "--liveness l1.jpg".into()],
            ..Context::default()
        };
        let mut problems = Problems::new();
        problems.add(
            ProblemCode::CallbackMissing,
            "callback_url",
            "Please choose to either get your response via the callback or job status query: \
             set a callback URL or return_job_status",
        );
        problems.add(
            ProblemCode::FileNotFound,
            "images[1]",
            "No such file or directory l1.jpg",
        );
        let err = sdk_error(&Error::InvalidInput { problems }, &ctx);
        assert_eq!(err.exit, 1);
        let text = err.human();
        assert!(text.contains("--no-wait needs a callback URL"), "{text}");
        assert!(text.contains("SMILE_CALLBACK_URL"), "{text}");
        assert!(!text.contains("return_job_status"), "{text}");
        assert!(
            text.contains(
                "- --liveness l1.jpg: No such file or directory l1.jpg [images.file.not_found]"
            ),
            "{text}"
        );
    }
}

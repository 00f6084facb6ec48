//! `smile verify-callback`, and how a verified (or refused) callback is shown, shared with
//! `smile listen`.

use std::fmt::Write as _;
use std::io::Read as _;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use clap::Args;
use serde_json::{Value, json};
use smile_blocking::CallbackVerifier;
use smile_blocking::sign::{CallbackError, Skew, VerifiedCallback};

use crate::args::Keys;
use crate::output::{CliError, Done, JobRef, Outcome, result_json};
use crate::{Run, report, shell};

/// What the signature covers, said plainly wherever a callback is shown as verified.
pub(crate) const SIGNATURE_NOTE: &str = "the signature covers the timestamp, not the body: a \
     changed ResultCode cannot be detected from the body alone; the job status call confirms it";

/// `smile verify-callback`.
#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    #[command(flatten)]
    pub(crate) keys: Keys,
    /// The body, exactly as received (`-` for standard input).
    #[arg(value_name = "FILE")]
    pub(crate) body: PathBuf,
    #[command(flatten)]
    pub(crate) limits: CallbackLimits,
}

/// The freshness window and the size limit of a callback.
#[derive(Debug, Args, Clone)]
pub(crate) struct CallbackLimits {
    /// Freshness window in seconds either side of now (0 disables the check).
    #[arg(long, value_name = "SECS", default_value_t = 900)]
    pub(crate) tolerance_secs: u64,
    /// Largest body accepted, in bytes (callbacks reach about 1.5 MB).
    #[arg(long, value_name = "BYTES", default_value_t = CallbackVerifier::DEFAULT_MAX_BODY_BYTES)]
    pub(crate) max_body_bytes: usize,
}

impl CallbackLimits {
    /// A verifier with these limits.
    pub(crate) fn verifier(&self, keys: &Keys) -> Result<CallbackVerifier, CliError> {
        let tolerance = (self.tolerance_secs > 0).then(|| Duration::from_secs(self.tolerance_secs));
        Ok(CallbackVerifier::new(keys.signer()?)
            .tolerance(tolerance)
            .max_body_bytes(self.max_body_bytes))
    }
}

/// `smile verify-callback`: reads at most the limit plus one byte, then verifies.
pub(crate) fn verify(args: &VerifyArgs, _run: &Run) -> Result<Done, CliError> {
    let verifier = args.limits.verifier(&args.keys)?;
    let limit = args.limits.max_body_bytes;
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    let mut body = Vec::new();
    let read = if args.body.as_os_str() == "-" {
        std::io::stdin().lock().take(cap).read_to_end(&mut body)
    } else {
        std::fs::File::open(&args.body).and_then(|f| f.take(cap).read_to_end(&mut body))
    };
    if let Err(e) = read {
        let what = if args.body.as_os_str() == "-" {
            "standard input".to_owned()
        } else {
            format!("the file {}", args.body.display())
        };
        return Err(CliError::failure(
            "file",
            format!("cannot read the callback body from {what}: {e}"),
        ));
    }
    let verified = verifier
        .verify(&body, SystemTime::now())
        .map_err(|e| refused(&e))?;
    let i = verified.callback.interpret(None);
    let mut human = format!(
        "signature valid (partner {}, timestamp {})\n  note: {SIGNATURE_NOTE}",
        verifier.signer().partner_id().as_str(),
        verified.callback.timestamp.as_deref().unwrap_or("-"),
    );
    let job = job_of(&verified);
    if let (Some(u), Some(j)) = (&job.user_id, &job.job_id) {
        let _ = write!(human, " (`{}`)", shell::status_command(u, j));
    }
    let _ = write!(human, "\n{}\n", ids_line(&verified));
    human.push_str(&report::entry(&verified.callback, None, ""));
    Ok(Done::new(Outcome::of(&i), human)
        .job(job)
        .field("callback", callback_json(&verified))
        .field("result", result_json(&verified.callback, &i)))
}

/// The job a callback is about.
pub(crate) fn job_of(v: &VerifiedCallback) -> JobRef {
    let cb = &v.callback;
    JobRef {
        user_id: cb.user_id().map(|u| u.as_str().to_owned()),
        job_id: cb.job_id().map(|j| j.as_str().to_owned()),
        job_id_generated: false,
        job_type: cb.job_type().map(smile_blocking::JobType::code),
        smile_job_id: cb.smile_job_id.as_ref().map(|s| s.as_str().to_owned()),
    }
}

/// `job_id J, smile_job_id S, user_id U`.
pub(crate) fn ids_line(v: &VerifiedCallback) -> String {
    let j = job_of(v);
    format!(
        "job_id {}, smile_job_id {}, user_id {}",
        j.job_id.as_deref().unwrap_or("-"),
        j.smile_job_id.as_deref().unwrap_or("-"),
        j.user_id.as_deref().unwrap_or("-"),
    )
}

/// The callback's signed facts, for JSON.
pub(crate) fn callback_json(v: &VerifiedCallback) -> Value {
    let age = SystemTime::now()
        .duration_since(v.issued_at)
        .map_or(0.0, |d| d.as_secs_f64());
    json!({
        "timestamp": v.callback.timestamp,
        "age_secs": (age * 10.0).round() / 10.0,
        "signature_valid": true,
        "signature_covers": "timestamp",
    })
}

/// A refused callback, for the command line.
pub(crate) fn refused(e: &CallbackError) -> CliError {
    let message = match e {
        CallbackError::TooLarge { limit, .. } => format!(
            "the callback body is over the limit of {} ({limit} bytes; --max-body-bytes raises it)",
            report::size(*limit as u64)
        ),
        CallbackError::BadSignature { source } => format!(
            "callback signature is invalid: {source}; check --partner-id and --api-key \
             (SMILE_PARTNER_ID, SMILE_API_KEY): the key of the environment the callback came from"
        ),
        CallbackError::Stale { skew, tolerance } => {
            let how = match skew {
                Skew::Past(d) => format!("{} old", report::duration(*d)),
                Skew::Future(d) => format!("{} in the future", report::duration(*d)),
            };
            format!(
                "callback timestamp is {how}, outside the freshness window of {} either side of \
                 now (possibly a replay; --tolerance-secs SECS widens it, 0 turns it off)",
                report::duration(*tolerance)
            )
        }
        other => report::chain(other),
    };
    CliError::failure("callback_refused", message)
}

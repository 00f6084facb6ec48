//! What a command produced, and how it is shown: human text by default, or one JSON document
//! on stdout with `--json` (the shape is documented in `docs/cli.md`; keep the two in step).
//!
//! Every command ends in a [`Done`] or a [`CliError`]; both carry the exit code.

use std::io::Write;

use serde_json::{Map, Value, json};
use smile_blocking::types::{ActionResult, Interpretation, ResultEntry};

use crate::report;

/// The version of the JSON shape (`schema_version`); raised only for a change that breaks
/// a reader of the documented keys.
pub(crate) const SCHEMA_VERSION: u64 = 1;

/// The exit codes (documented in `--help` and docs/cli.md).
pub(crate) mod exit {
    /// A final approval, or a call that succeeded.
    pub(crate) const OK: u8 = 0;
    /// An error before any job was created.
    pub(crate) const FAILURE: u8 = 1;
    /// A usage error: a missing, unknown or conflicting flag.
    pub(crate) const USAGE: u8 = 2;
    /// A final rejection.
    pub(crate) const REJECTED: u8 = 3;
    /// Not final yet: provisional, under review, or the wait ended first.
    pub(crate) const NOT_FINAL: u8 = 4;
    /// An error after which the job may exist.
    pub(crate) const JOB_MAY_EXIST: u8 = 5;
}

/// The exit-code table, for `--help`.
pub(crate) const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  final approval (e.g. 0820, 1220, 1012), or a call that succeeded (--no-wait, --async,
     token, services, documents, a verified callback that is approved)
  1  error before any job was created (bad input, wrong key, unknown user, server
     unreachable), or a callback that failed verification
  2  usage: a missing, unknown or conflicting flag
  3  final rejection: a final result that is not an approval
  4  not final yet: provisional, under human review, or --timeout passed before a result
  5  error after which the job may exist: the message (and the JSON) give its smile_job_id
     and the command to finish it (--job-id ID --resume)

With --json, stdout holds one JSON document (results and errors alike; `listen` and
`emulator` print one per line); docs/cli.md lists its keys.";

/// What a result means for the exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// A final approval (exit 0).
    Approved,
    /// A final result that is not an approval (exit 3).
    Rejected,
    /// Provisional, under review, incomplete (exit 4).
    NotFinal,
    /// Accepted for processing; the result goes to the callback (exit 0).
    Submitted,
    /// A call without a verdict that succeeded (exit 0).
    Ok,
}

impl Outcome {
    /// The outcome of an interpreted result.
    pub(crate) fn of(i: &Interpretation) -> Self {
        if i.is_final_approval() {
            Self::Approved
        } else if i.is_final {
            Self::Rejected
        } else {
            Self::NotFinal
        }
    }

    pub(crate) fn exit_code(self) -> u8 {
        match self {
            Self::Approved | Self::Submitted | Self::Ok => exit::OK,
            Self::Rejected => exit::REJECTED,
            Self::NotFinal => exit::NOT_FINAL,
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::NotFinal => "not_final",
            Self::Submitted => "submitted",
            Self::Ok => "ok",
        }
    }
}

/// The job a command is about.
#[derive(Clone, Debug, Default)]
pub(crate) struct JobRef {
    pub(crate) user_id: Option<String>,
    pub(crate) job_id: Option<String>,
    /// Whether the CLI generated `job_id` (no `--job-id` was given).
    pub(crate) job_id_generated: bool,
    pub(crate) job_type: Option<u32>,
    pub(crate) smile_job_id: Option<String>,
}

impl JobRef {
    pub(crate) fn to_json(&self) -> Value {
        json!({
            "user_id": self.user_id,
            "job_id": self.job_id,
            "job_id_generated": self.job_id_generated,
            "job_type": self.job_type,
            "smile_job_id": self.smile_job_id,
        })
    }
}

/// A command that ran to its end (whatever the verdict).
#[derive(Debug)]
pub(crate) struct Done {
    pub(crate) outcome: Outcome,
    pub(crate) job: Option<JobRef>,
    /// Command-specific keys of the JSON document (`result`, `response`, `token`, ...).
    pub(crate) fields: Map<String, Value>,
    /// The human output (stdout).
    pub(crate) human: String,
}

impl Done {
    pub(crate) fn new(outcome: Outcome, human: impl Into<String>) -> Self {
        Self {
            outcome,
            job: None,
            fields: Map::new(),
            human: human.into(),
        }
    }

    pub(crate) fn job(mut self, job: JobRef) -> Self {
        self.job = Some(job);
        self
    }

    pub(crate) fn field(mut self, key: &str, value: Value) -> Self {
        self.fields.insert(key.to_owned(), value);
        self
    }
}

/// One input problem, named by the flag that gives it.
#[derive(Clone, Debug)]
pub(crate) struct ProblemOut {
    /// The SDK's stable problem code (`images.file.not_found`), or the CLI's own
    /// (`usage.selfie.missing`).
    pub(crate) code: String,
    /// The flag (and value) to change, e.g. `--liveness l3.jpg`.
    pub(crate) flag: Option<String>,
    pub(crate) message: String,
}

/// A command that failed (or, for `poll_timeout`, stopped waiting).
#[derive(Debug)]
pub(crate) struct CliError {
    /// A stable identifier of the failure (`invalid_input`, `api`, `transport`, ...; docs/cli.md).
    pub(crate) kind: &'static str,
    pub(crate) exit: u8,
    /// `error`, or `not_final` for a wait that ended before the result.
    pub(crate) outcome: &'static str,
    pub(crate) message: String,
    pub(crate) hints: Vec<String>,
    /// The Smile error code (`2210`).
    pub(crate) code: Option<String>,
    pub(crate) http_status: Option<u16>,
    pub(crate) job_may_exist: bool,
    pub(crate) problems: Vec<ProblemOut>,
    pub(crate) job: Option<JobRef>,
    pub(crate) resume_command: Option<String>,
    pub(crate) status_command: Option<String>,
    /// More top-level keys (e.g. the last `result` of a wait that timed out).
    pub(crate) fields: Map<String, Value>,
}

impl CliError {
    /// An error of `kind` that exits with `exit`.
    pub(crate) fn new(kind: &'static str, exit: u8, message: impl Into<String>) -> Self {
        Self {
            kind,
            exit,
            outcome: "error",
            message: message.into(),
            hints: Vec::new(),
            code: None,
            http_status: None,
            job_may_exist: exit == exit::JOB_MAY_EXIST,
            problems: Vec::new(),
            job: None,
            resume_command: None,
            status_command: None,
            fields: Map::new(),
        }
    }

    /// A usage error (exit 2).
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self::new("usage", exit::USAGE, message)
    }

    /// An error before any job was created (exit 1).
    pub(crate) fn failure(kind: &'static str, message: impl Into<String>) -> Self {
        Self::new(kind, exit::FAILURE, message)
    }

    pub(crate) fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
        self
    }

    pub(crate) fn with_job(mut self, job: Option<JobRef>) -> Self {
        if self.job.is_none() {
            self.job = job;
        }
        self
    }

    fn to_json(&self) -> Value {
        json!({
            "kind": self.kind,
            "message": self.message,
            "hints": self.hints,
            "code": self.code,
            "http_status": self.http_status,
            "job_may_exist": self.job_may_exist,
            "problems": self.problems.iter().map(|p| json!({
                "code": p.code,
                "flag": p.flag,
                "message": p.message,
            })).collect::<Vec<_>>(),
            "resume_command": self.resume_command,
            "status_command": self.status_command,
        })
    }

    /// The human form (stderr): the message, the problems, the hints, then what to run.
    pub(crate) fn human(&self) -> String {
        let mut s = format!("smile: {}", self.message);
        if !self.problems.is_empty() && !self.message.ends_with(':') {
            s.push(':');
        }
        for p in &self.problems {
            match &p.flag {
                Some(flag) => s.push_str(&format!("\n  - {flag}: {} [{}]", p.message, p.code)),
                None => s.push_str(&format!("\n  - {} [{}]", p.message, p.code)),
            }
        }
        for h in &self.hints {
            s.push_str(&format!("\n  {h}"));
        }
        if let Some(id) = self.job.as_ref().and_then(|j| j.smile_job_id.as_deref())
            && self.job_may_exist
        {
            s.push_str(&format!(
                "\n  the job exists on the server: smile_job_id {id}"
            ));
        }
        if let Some(cmd) = &self.resume_command {
            s.push_str(&format!(
                "\n  to finish this job (the same job_id, never a new, second one):\n    {cmd}"
            ));
        }
        if let Some(cmd) = &self.status_command {
            s.push_str(&format!("\n  to see the job: {cmd}"));
        }
        s
    }
}

/// The JSON document of a command (see docs/cli.md).
pub(crate) fn envelope(
    command: &str,
    exit_code: u8,
    outcome: &str,
    job: Option<&JobRef>,
    fields: &Map<String, Value>,
    error: Option<&CliError>,
) -> Value {
    let mut doc = Map::new();
    doc.insert("schema_version".into(), SCHEMA_VERSION.into());
    doc.insert("command".into(), command.into());
    doc.insert("exit_code".into(), exit_code.into());
    doc.insert("outcome".into(), outcome.into());
    doc.insert("job".into(), job.map_or(Value::Null, JobRef::to_json));
    for (k, v) in fields {
        doc.insert(k.clone(), v.clone());
    }
    doc.insert("error".into(), error.map_or(Value::Null, CliError::to_json));
    Value::Object(doc)
}

/// Prints `doc` as the only thing on stdout.
pub(crate) fn print_json(doc: &Value) {
    let text = serde_json::to_string_pretty(doc).unwrap_or_else(|_| "{}".to_owned());
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}");
    let _ = out.flush();
}

/// Prints one JSON document as one line (the streams of `listen` and `emulator`), with
/// `schema_version` first.
pub(crate) fn print_json_line(doc: &Value) {
    let doc = match doc {
        Value::Object(m) if !m.contains_key("schema_version") => {
            let mut with = Map::new();
            with.insert("schema_version".into(), SCHEMA_VERSION.into());
            with.extend(m.clone());
            Value::Object(with)
        }
        other => other.clone(),
    };
    let text = serde_json::to_string(&doc).unwrap_or_else(|_| "{}".to_owned());
    print_line(&text);
}

/// Prints one line on stdout; when nobody reads stdout any more (`smile listen | head`), the
/// process ends quietly.
pub(crate) fn print_line(text: &str) {
    let mut out = std::io::stdout().lock();
    if writeln!(out, "{text}").and_then(|()| out.flush()).is_err() {
        std::process::exit(i32::from(exit::OK));
    }
}

/// Shows a finished command; returns its exit code.
pub(crate) fn finish(command: &str, json: bool, done: &Done) -> u8 {
    let code = done.outcome.exit_code();
    if json {
        print_json(&envelope(
            command,
            code,
            done.outcome.as_str(),
            done.job.as_ref(),
            &done.fields,
            None,
        ));
    } else if !done.human.is_empty() {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", done.human.trim_end_matches('\n'));
        let _ = out.flush();
    }
    code
}

/// Shows a failed command; returns its exit code.
pub(crate) fn fail(command: &str, json: bool, error: &CliError) -> u8 {
    if json {
        print_json(&envelope(
            command,
            error.exit,
            error.outcome,
            error.job.as_ref(),
            &error.fields,
            Some(error),
        ));
    } else {
        eprintln!("{}", error.human());
    }
    error.exit
}

/// A result entry as JSON: code, text, type, category, finality, confidence and the Actions
/// (every one, as received).
pub(crate) fn result_json(entry: &ResultEntry, i: &Interpretation) -> Value {
    let actions: Map<String, Value> = entry
        .actions
        .as_ref()
        .map(|a| {
            a.iter()
                .map(|(k, v)| (k.as_str().to_owned(), Value::from(v.as_str())))
                .collect()
        })
        .unwrap_or_default();
    json!({
        "code": i.code.as_ref().map(|c| c.as_str()),
        "text": entry.result_text,
        "type": entry.result_type,
        "category": i.category.as_str(),
        "final": i.is_final,
        "finality": report::finality_source(i),
        "approved": i.is_final_approval(),
        "confidence": entry.confidence(),
        "actions": actions,
    })
}

/// A response as received, for the JSON output, without its `signature`: the signature
/// covers only the timestamp, so anyone who read it could attach it to a forged callback
/// within the freshness window.
pub(crate) fn without_signature(value: Value) -> Value {
    match value {
        Value::Object(mut map) => {
            map.shift_remove("signature");
            Value::Object(map)
        }
        other => other,
    }
}

/// Whether an Action counts as applied (human output leaves out the rest).
pub(crate) fn applied(v: &ActionResult) -> bool {
    *v != ActionResult::NotApplicable
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_envelope_has_the_documented_keys_in_order() {
        let job = JobRef {
            user_id: Some("u".into()),
            job_id: Some("j".into()),
            job_id_generated: true,
            job_type: Some(2),
            smile_job_id: None,
        };
        let mut fields = Map::new();
        fields.insert("result".into(), Value::Null);
        let doc = envelope("auth", 4, "not_final", Some(&job), &fields, None);
        let keys: Vec<&str> = doc
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "schema_version",
                "command",
                "exit_code",
                "outcome",
                "job",
                "result",
                "error"
            ]
        );
        let err = CliError::usage("no").hint("h");
        let doc = envelope("auth", err.exit, err.outcome, None, &Map::new(), Some(&err));
        let keys: Vec<&str> = doc["error"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "kind",
                "message",
                "hints",
                "code",
                "http_status",
                "job_may_exist",
                "problems",
                "resume_command",
                "status_command"
            ]
        );
        assert_eq!(doc["exit_code"], 2);
    }

    #[test]
    fn the_signature_is_left_out() {
        let v = without_signature(json!({"timestamp": "t", "signature": "s", "x": 1}));
        assert_eq!(v, json!({"timestamp": "t", "x": 1}));
    }
}

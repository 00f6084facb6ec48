//! Human-readable printing of results, shared by the commands.

use smile_blocking::types::{ActionResult, JobType, ResultEntry};
use smile_blocking::{Error, JobOutcome, JobResult, JobStatusResponse};

/// Prints what a result entry means: code, text, category, finality, confidence and the
/// Actions that applied.
pub(crate) fn entry(entry: &ResultEntry, job_type: Option<JobType>, indent: &str) {
    let meaning = entry.interpret(job_type);
    let code = meaning.code.as_ref().map_or("-", |c| c.as_str());
    println!(
        "{indent}ResultCode {code} \"{}\"",
        entry.result_text.as_deref().unwrap_or("")
    );
    println!(
        "{indent}category {}, {}{}",
        meaning.category,
        if meaning.is_final {
            "final"
        } else {
            "NOT final (a human review decides; the final result comes by callback)"
        },
        entry
            .confidence()
            .map(|c| format!(", ConfidenceValue {c}"))
            .unwrap_or_default()
    );
    if let Some(actions) = &entry.actions {
        let applied: Vec<String> = actions
            .iter()
            .filter(|(_, v)| **v != ActionResult::NotApplicable)
            .map(|(k, v)| format!("{}={}", k.as_str(), v.as_str()))
            .collect();
        if !applied.is_empty() {
            println!("{indent}Actions: {}", applied.join(", "));
        }
    }
}

/// Prints a job status (result, history, image links).
pub(crate) fn status(status: &JobStatusResponse, job_type: Option<JobType>, indent: &str) {
    match &status.result {
        JobResult::Entry(e) => entry(e, job_type, indent),
        JobResult::Message(m) => println!("{indent}result (a message): {m}"),
        _ => println!("{indent}no result yet"),
    }
    if !status.history.is_empty() {
        let codes: Vec<&str> = status
            .history
            .iter()
            .filter_map(|h| h.result_code.as_ref().map(|c| c.as_str()))
            .collect();
        println!("{indent}history: {}", codes.join(" -> "));
    }
    if let Some(links) = &status.image_links {
        if let Some(selfie) = &links.selfie_image {
            println!("{indent}selfie image link: {selfie}");
        }
        if let Some(error) = &links.error {
            println!("{indent}image links error: {error}");
        }
    }
}

/// Prints what `submit_job` returned.
pub(crate) fn outcome(outcome: &JobOutcome, job_type: JobType, indent: &str) {
    match outcome {
        JobOutcome::Submitted { smile_job_id, .. } => {
            println!(
                "{indent}submitted: {{success: true, smile_job_id: {smile_job_id}}}; the result goes to the callback"
            );
        }
        JobOutcome::Completed {
            smile_job_id,
            status: s,
            ..
        } => {
            println!("{indent}smile_job_id {smile_job_id}");
            status(s, Some(job_type), indent);
        }
        _ => println!("{indent}{outcome:?}"),
    }
}

/// An error with its causes, one per line.
pub(crate) fn error(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str("\n  caused by: ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// One line on a client error: the Smile code and whether a job exists.
pub(crate) fn client_error(e: &Error) -> String {
    if let Error::InvalidInput { problems } = e {
        let mut text = format!(
            "invalid input, nothing was sent ({} problems):",
            problems.0.len()
        );
        for p in &problems.0 {
            text.push_str(&format!("\n  - {p}"));
        }
        return text;
    }
    let mut text = error(e);
    if let Some(id) = e.smile_job_id() {
        text.push_str(&format!(
            "\n  (the job exists on the server: smile_job_id {id})"
        ));
    }
    text
}

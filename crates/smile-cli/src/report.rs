//! Human-readable text shared by the commands: result entries, job statuses, durations and
//! sizes, as people write them.

use std::fmt::Write as _;
use std::time::Duration;

use smile_blocking::types::{FinalitySource, Interpretation, JobResult, JobType, ResultEntry};
use smile_blocking::{JobStatusResponse, ResultCategory};

use crate::output::applied;

/// A duration as people write it: `0.5 s`, `88.1 s`, `4 min 10 s`, `2 h 5 min`.
pub(crate) fn duration(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 100.0 {
        return format!("{secs:.1} s");
    }
    let whole = d.as_secs();
    if whole < 3600 {
        let (m, s) = (whole / 60, whole % 60);
        return if s == 0 {
            format!("{m} min")
        } else {
            format!("{m} min {s} s")
        };
    }
    let (h, m) = (whole / 3600, (whole % 3600) / 60);
    if m == 0 {
        format!("{h} h")
    } else {
        format!("{h} h {m} min")
    }
}

/// A size in bytes as people write it: `512 bytes`, `12.3 KB`, `4.5 MB` (powers of 1000).
pub(crate) fn size(bytes: u64) -> String {
    #[allow(clippy::cast_precision_loss)]
    let b = bytes as f64;
    if bytes < 1000 {
        format!("{bytes} bytes")
    } else if bytes < 1_000_000 {
        format!("{:.1} KB", b / 1e3)
    } else {
        format!("{:.1} MB", b / 1e6)
    }
}

/// Where finality came from, for messages and JSON.
pub(crate) fn finality_source(i: &Interpretation) -> &'static str {
    match i.finality {
        FinalitySource::IsFinalResult => "IsFinalResult",
        FinalitySource::Table => "result-code table",
        _ => "unknown code",
    }
}

/// What a result entry means, as lines: code and text, category and finality, confidence,
/// the Actions that applied.
pub(crate) fn entry(entry: &ResultEntry, job_type: Option<JobType>, indent: &str) -> String {
    let meaning = entry.interpret(job_type);
    let mut s = String::new();
    let code = meaning.code.as_ref().map_or("-", |c| c.as_str());
    let _ = write!(s, "{indent}ResultCode {code}");
    if let Some(text) = entry.result_text.as_deref() {
        let _ = write!(s, " \"{text}\"");
    }
    let _ = write!(s, "\n{indent}category {}, ", meaning.category);
    if meaning.is_final {
        s.push_str("final");
    } else if meaning.category.is_pending_review() {
        s.push_str("NOT final (a human review decides; the final result comes by callback)");
    } else {
        s.push_str("NOT final (");
        s.push_str(finality_source(&meaning));
        s.push(')');
    }
    if let Some(c) = entry.confidence() {
        let _ = write!(s, ", ConfidenceValue {c}");
    }
    if let Some(actions) = &entry.actions {
        let list: Vec<String> = actions
            .iter()
            .filter(|(_, v)| applied(v))
            .map(|(k, v)| format!("{}={}", k.as_str(), v.as_str()))
            .collect();
        if !list.is_empty() {
            let _ = write!(s, "\n{indent}Actions: {}", list.join(", "));
        }
    }
    s
}

/// A job status: its result (or why there is none), the history and the image links.
pub(crate) fn status(
    status: &JobStatusResponse,
    job_type: Option<JobType>,
    indent: &str,
) -> String {
    let mut s = match &status.result {
        JobResult::Entry(e) => entry(e, job_type, indent),
        JobResult::Message(m) => format!("{indent}no result yet; the server says: {m}"),
        _ => format!("{indent}no result yet"),
    };
    if !status.history.is_empty() {
        let codes: Vec<&str> = status
            .history
            .iter()
            .map(|h| h.result_code.as_ref().map_or("-", |c| c.as_str()))
            .collect();
        let _ = write!(s, "\n{indent}history: {}", codes.join(" -> "));
    }
    if let Some(links) = &status.image_links {
        if let Some(selfie) = &links.selfie_image {
            let _ = write!(s, "\n{indent}selfie image link: {selfie}");
        }
        for (k, v) in &links.extra {
            if let Some(v) = v.as_str() {
                let _ = write!(s, "\n{indent}{k} link: {v}");
            }
        }
        if let Some(error) = &links.error {
            let _ = write!(s, "\n{indent}image links error: {error}");
        }
    }
    s
}

/// The last line of a result: what it allows.
pub(crate) fn verdict(i: &Interpretation, status_command: &str) -> String {
    if i.is_final_approval() {
        "=> final approval".to_owned()
    } else if i.is_final {
        if i.category == ResultCategory::Rejected {
            "=> final rejection".to_owned()
        } else {
            format!("=> final, not approved (category {})", i.category)
        }
    } else {
        format!(
            "=> NOT final: do not treat it as approved. The final result goes to the callback URL \
             (`smile listen` shows it), or ask again: {status_command}"
        )
    }
}

/// An error with its causes on one line each (for errors that are not the SDK's).
pub(crate) fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let next = s.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(duration(Duration::from_millis(88_064)), "88.1 s");
        assert_eq!(duration(Duration::from_millis(500)), "0.5 s");
        assert_eq!(duration(Duration::from_secs(900)), "15 min");
        assert_eq!(duration(Duration::from_secs(250)), "4 min 10 s");
        assert_eq!(duration(Duration::from_secs(7500)), "2 h 5 min");
        assert_eq!(size(512), "512 bytes");
        assert_eq!(size(12_345), "12.3 KB");
        assert_eq!(size(2_097_152), "2.1 MB");
    }

    #[test]
    fn a_provisional_entry_says_it_is_not_final() {
        let status = JobStatusResponse::from_json(
            br#"{"job_complete":true,"result":{"ResultCode":"0824","ResultText":"Provisional Authentication - Under Review","IsFinalResult":"false","Actions":{"Liveness_Check":"Under Review","Register_Selfie":"Not Applicable"}},"history":[{"ResultCode":"0824"}]}"#,
        )
        .unwrap();
        let text = self::status(&status, Some(JobType::SmartSelfieAuthentication), "");
        assert!(
            text.starts_with("ResultCode 0824 \"Provisional Authentication - Under Review\"\n"),
            "{text}"
        );
        assert!(text.contains("NOT final (a human review decides"), "{text}");
        assert!(
            text.contains("Actions: Liveness_Check=Under Review"),
            "{text}"
        );
        assert!(!text.contains("Register_Selfie"), "{text}");
        assert!(text.contains("history: 0824"), "{text}");
    }
}

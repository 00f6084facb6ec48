//! What `submit_job` returns, and how to describe it to a human.

use std::fmt;

use smile_types::{
    ActionResult, FinalitySource, Interpretation, JobId, JobResult, JobStatusResponse, JobType,
    ResultCategory, ResultEntry, SmileJobId, UserId,
};

/// The result of a successful `submit_job`.
///
/// # Read this before acting on a result
///
/// * [`Submitted`](Self::Submitted) (`return_job_status` false) means the job was **accepted
///   for processing**, nothing more. The result is delivered to the callback URL.
/// * [`Completed`](Self::Completed) (`return_job_status` true) carries the job-status response
///   that had `job_complete: true`. **That result may not be final**: a provisional or
///   suspected-spoof code (e.g. `0824` "Provisional Authentication - Under Review") means a
///   human reviewer will decide, and **the final result arrives only by callback** (a later
///   `get_job_status` also shows it). Check [`is_final`](Self::is_final) and
///   [`category`](Self::category); act on [`is_final_approval`](Self::is_final_approval) for
///   "authenticated", never on `job_success` or on the presence of a result alone.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum JobOutcome {
    /// The zip was uploaded; the result will be sent to the callback.
    Submitted {
        /// The server's id of the job.
        smile_job_id: SmileJobId,
        /// The partner's user id.
        user_id: UserId,
        /// The partner's job id.
        job_id: JobId,
        /// The job type.
        job_type: JobType,
    },
    /// Polling saw `job_complete: true`; the verified status and its interpretation.
    Completed {
        /// The server's id of the job.
        smile_job_id: SmileJobId,
        /// The verified job-status response (with `history` / `image_links` if requested).
        status: Box<JobStatusResponse>,
        /// What the result code means for this job type, and whether it is final.
        interpretation: Interpretation,
    },
}

impl JobOutcome {
    /// The server's id of the job.
    #[must_use]
    pub fn smile_job_id(&self) -> &SmileJobId {
        match self {
            Self::Submitted { smile_job_id, .. } | Self::Completed { smile_job_id, .. } => {
                smile_job_id
            }
        }
    }

    /// Whether the result is final. Always `false` for [`Submitted`](Self::Submitted); for
    /// [`Completed`](Self::Completed), `IsFinalResult` when present, else the result-code
    /// table, else (unknown code) `false`.
    #[must_use]
    pub fn is_final(&self) -> bool {
        match self {
            Self::Submitted { .. } => false,
            Self::Completed { interpretation, .. } => interpretation.is_final,
        }
    }

    /// The result category (`None` for [`Submitted`](Self::Submitted)).
    #[must_use]
    pub fn category(&self) -> Option<ResultCategory> {
        match self {
            Self::Submitted { .. } => None,
            Self::Completed { interpretation, .. } => Some(interpretation.category),
        }
    }

    /// `true` only for a **final approved** result (e.g. `0820`, `1220` for job type 2).
    /// Provisional results are never approvals.
    #[must_use]
    pub fn is_final_approval(&self) -> bool {
        match self {
            Self::Submitted { .. } => false,
            Self::Completed { interpretation, .. } => interpretation.is_final_approval(),
        }
    }

    /// `true` for a **final** result that is not an approval: rejected, or an error that ended
    /// the job. (See [`Interpretation::is_final_rejection`].)
    #[must_use]
    pub fn is_final_rejection(&self) -> bool {
        self.interpretation()
            .is_some_and(Interpretation::is_final_rejection)
    }

    /// `true` while there is no final result: submitted without waiting, provisional, under
    /// review, or an unknown code. The callback carries the final word: wait for it. Exactly
    /// one of [`is_final_approval`](Self::is_final_approval),
    /// [`is_final_rejection`](Self::is_final_rejection) and `is_pending` is true.
    #[must_use]
    pub fn is_pending(&self) -> bool {
        !self.is_final()
    }

    /// The verified job status, for [`Completed`](Self::Completed).
    #[must_use]
    pub fn status(&self) -> Option<&JobStatusResponse> {
        match self {
            Self::Submitted { .. } => None,
            Self::Completed { status, .. } => Some(status),
        }
    }

    /// The result entry of the status, for [`Completed`](Self::Completed).
    #[must_use]
    pub fn result(&self) -> Option<&ResultEntry> {
        match self.status()?.result {
            JobResult::Entry(ref e) => Some(e),
            _ => None,
        }
    }

    /// A multi-line description for humans (logs, demos, examples): the code and text, the
    /// category and where its finality came from, the Actions that applied, the codes of the
    /// history, the selfie image link, and a last line saying what the result allows. The
    /// one-line `Display` of the outcome stays as it is.
    ///
    /// ```
    /// use smile_core::JobOutcome;
    /// use smile_types::{JobStatusResponse, JobType, ResultEntry};
    ///
    /// let status = JobStatusResponse::from_json(br#"{"job_complete":true,"result":{
    ///     "ResultCode":"0824","ResultText":"Provisional Authentication - Under Review",
    ///     "Actions":{"Liveness_Check":"Under Review","Register_Selfie":"Not Applicable"}},
    ///     "history":[{"ResultCode":"0824"}]}"#)?;
    /// let entry = status.result_entry().unwrap();
    /// let interpretation = entry.interpret(Some(JobType::SmartSelfieAuthentication));
    /// let outcome = JobOutcome::Completed {
    ///     smile_job_id: "0000000001".into(),
    ///     status: Box::new(status),
    ///     interpretation,
    /// };
    /// let text = outcome.summary().to_string();
    /// assert!(text.starts_with("job 0000000001: result code 0824 \"Provisional Authentication - Under Review\""));
    /// assert!(text.contains("Liveness_Check: Under Review"));
    /// assert!(!text.contains("Register_Selfie")); // not applicable: left out
    /// assert!(text.contains("history: 0824"));
    /// assert!(text.contains("NOT final"));
    /// # Ok::<(), smile_types::DecodeError>(())
    /// ```
    #[must_use]
    pub fn summary(&self) -> Summary<'_> {
        Summary(self)
    }

    /// The interpretation of the result, for [`Completed`](Self::Completed).
    #[must_use]
    pub fn interpretation(&self) -> Option<&Interpretation> {
        match self {
            Self::Submitted { .. } => None,
            Self::Completed { interpretation, .. } => Some(interpretation),
        }
    }
}

impl fmt::Display for JobOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Submitted { smile_job_id, .. } => {
                write!(
                    f,
                    "job {smile_job_id} submitted; the result will reach the callback"
                )
            }
            Self::Completed {
                smile_job_id,
                interpretation,
                ..
            } => {
                let code = interpretation.code.as_ref().map_or("none", |c| c.as_str());
                write!(
                    f,
                    "job {smile_job_id}: result code {code}, {:?}, {}",
                    interpretation.category,
                    if interpretation.is_final {
                        "final"
                    } else {
                        "NOT final (the final result arrives by callback)"
                    }
                )
            }
        }
    }
}

/// The multi-line, human-readable description of a [`JobOutcome`], from
/// [`JobOutcome::summary`]. Every line but the first is indented by two spaces; there is no
/// final newline.
#[derive(Clone, Copy, Debug)]
pub struct Summary<'a>(&'a JobOutcome);

impl fmt::Display for Summary<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (smile_job_id, status, interpretation) = match self.0 {
            JobOutcome::Submitted { smile_job_id, .. } => {
                return write!(
                    f,
                    "job {smile_job_id} submitted\n  the result will be sent to the callback URL"
                );
            }
            JobOutcome::Completed {
                smile_job_id,
                status,
                interpretation,
            } => (smile_job_id, status, interpretation),
        };
        let entry = status.result_entry();
        let code = interpretation.code.as_ref().map_or("none", |c| c.as_str());
        write!(f, "job {smile_job_id}: result code {code}")?;
        if let Some(text) = entry.and_then(|e| e.result_text.as_deref()) {
            write!(f, " {text:?}")?;
        }
        let finality = match (interpretation.is_final, interpretation.finality) {
            (true, FinalitySource::IsFinalResult) => "final (IsFinalResult)",
            (true, _) => "final (result-code table)",
            (false, FinalitySource::IsFinalResult) => "NOT final (IsFinalResult)",
            (false, FinalitySource::Table) => "NOT final (result-code table)",
            (false, _) => "NOT final (unknown code)",
        };
        write!(f, "\n  category: {}, {finality}", interpretation.category)?;
        if let Some(actions) = entry.and_then(|e| e.actions.as_ref()) {
            for (check, result) in actions
                .iter()
                .filter(|(_, r)| **r != ActionResult::NotApplicable)
            {
                write!(f, "\n  {}: {}", check.as_str(), result.as_str())?;
            }
        }
        if !status.history.is_empty() {
            let codes: Vec<&str> = status
                .history
                .iter()
                .map(|h| h.result_code.as_ref().map_or("-", |c| c.as_str()))
                .collect();
            write!(f, "\n  history: {}", codes.join(", "))?;
        }
        if let Some(link) = status
            .image_links
            .as_ref()
            .and_then(|l| l.selfie_image.as_deref())
        {
            write!(f, "\n  selfie image: {link}")?;
        }
        let verdict = if interpretation.is_final_approval() {
            "=> approved".to_owned()
        } else if !interpretation.is_final {
            "=> NOT final (e.g. under human review): the final result will be sent to the \
             callback; do not treat this as approved"
                .to_owned()
        } else if interpretation.category == ResultCategory::Rejected {
            "=> rejected".to_owned()
        } else {
            format!("=> final, category {}", interpretation.category)
        };
        write!(f, "\n  {verdict}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn completed(json: &str) -> JobOutcome {
        let status = JobStatusResponse::from_json(json.as_bytes()).unwrap();
        let interpretation = status
            .result_entry()
            .unwrap()
            .interpret(Some(JobType::SmartSelfieAuthentication));
        JobOutcome::Completed {
            smile_job_id: "0000000042".into(),
            status: Box::new(status),
            interpretation,
        }
    }

    #[test]
    fn summary_of_a_final_approval_lists_everything() {
        let o = completed(
            r#"{"job_complete":true,"result":{"ResultCode":"0820","ResultText":"Machine Judgement - PASS",
            "IsFinalResult":"true","Actions":{"Liveness_Check":"Passed","Register_Selfie":"Not Applicable",
            "Selfie_Check":"Passed"}},"history":[{"ResultCode":"0820"},{"ResultText":"no code"}],
            "image_links":{"selfie_image":"https://img.example/s.jpg"}}"#,
        );
        assert_eq!(
            o.summary().to_string(),
            "job 0000000042: result code 0820 \"Machine Judgement - PASS\"\n  \
             category: approved, final (IsFinalResult)\n  \
             Liveness_Check: Passed\n  \
             Selfie_Check: Passed\n  \
             history: 0820, -\n  \
             selfie image: https://img.example/s.jpg\n  \
             => approved"
        );
        // The one-line Display is unchanged.
        assert_eq!(
            o.to_string(),
            "job 0000000042: result code 0820, Approved, final"
        );
    }

    #[test]
    fn summary_of_a_rejection_and_of_an_unknown_code() {
        let o = completed(r#"{"job_complete":true,"result":{"ResultCode":"0821"}}"#);
        let s = o.summary().to_string();
        assert!(s.starts_with("job 0000000042: result code 0821\n"), "{s}");
        assert!(s.ends_with("\n  => rejected"), "{s}");
        let o = completed(r#"{"job_complete":true,"result":{"ResultCode":"9999"}}"#);
        let s = o.summary().to_string();
        assert!(
            s.contains("category: unknown, NOT final (unknown code)"),
            "{s}"
        );
        assert!(s.contains("do not treat this as approved"), "{s}");
    }

    #[test]
    fn summary_of_a_submitted_job() {
        let o = JobOutcome::Submitted {
            smile_job_id: "0000000007".into(),
            user_id: "u".into(),
            job_id: "j".into(),
            job_type: JobType::SmartSelfieAuthentication,
        };
        assert_eq!(
            o.summary().to_string(),
            "job 0000000007 submitted\n  the result will be sent to the callback URL"
        );
    }
}

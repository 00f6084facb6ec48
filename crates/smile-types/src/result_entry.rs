//! [`ResultEntry`] (a job result, [protocol §7.2](crate::protocol#72-response)) and its [`Interpretation`] (§7.4).

use serde::de::Deserializer;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::lenient::{Fields, Lenient, LenientBool, serialize_object};
use crate::{
    Actions, CodeInfo, ConfidenceValue, JobId, JobType, PartnerParams, ResultCategory, ResultCode,
    SmileJobId, UserId,
};

/// `PartnerParams` as echoed in a result or callback: every key optional, `job_type` kept in
/// the form the server sent (`"2"` or `2`), extra keys kept in order.
///
/// ```
/// use smile_types::{EchoedPartnerParams, JobType};
/// let p: EchoedPartnerParams =
///     serde_json::from_str(r#"{"job_id":"j","job_type":"2","user_id":"u","branch":"x"}"#).unwrap();
/// assert_eq!(p.job_type(), Some(JobType::SmartSelfieAuthentication));
/// let full = p.to_partner_params().unwrap();
/// assert_eq!(full.extra["branch"], "x");
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EchoedPartnerParams {
    /// `user_id`.
    pub user_id: Option<UserId>,
    /// `job_id`.
    pub job_id: Option<JobId>,
    /// `job_type`, as sent.
    pub job_type: Option<Lenient<JobType>>,
    /// Every other key (and a known key whose value did not decode), in order.
    pub extra: Map<String, Value>,
}

impl EchoedPartnerParams {
    /// The job type, when present and recognisable.
    pub fn job_type(&self) -> Option<JobType> {
        self.job_type.as_ref().and_then(Lenient::value)
    }

    /// Complete [`PartnerParams`], when user id, job id and a recognisable job type are present.
    pub fn to_partner_params(&self) -> Option<PartnerParams> {
        Some(PartnerParams {
            user_id: self.user_id.clone()?,
            job_id: self.job_id.clone()?,
            job_type: self.job_type()?,
            extra: self.extra.clone(),
        })
    }

    /// Decodes an object leniently; never fails.
    pub fn from_map(map: Map<String, Value>) -> Self {
        let mut f = Fields(map);
        Self {
            user_id: f.take("user_id"),
            job_id: f.take("job_id"),
            job_type: f.take("job_type"),
            extra: f.into_inner(),
        }
    }
}

/// The job type is echoed as a number.
impl From<PartnerParams> for EchoedPartnerParams {
    fn from(p: PartnerParams) -> Self {
        Self {
            user_id: Some(p.user_id),
            job_id: Some(p.job_id),
            job_type: Some(Lenient::number(p.job_type)),
            extra: p.extra,
        }
    }
}

impl Serialize for EchoedPartnerParams {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_object!(serializer, &self.extra, {
            "user_id" => self.user_id.as_ref(),
            "job_id" => self.job_id.as_ref(),
            "job_type" => self.job_type.as_ref(),
        })
    }
}

impl<'de> Deserialize<'de> for EchoedPartnerParams {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Map::deserialize(deserializer).map(Self::from_map)
    }
}

/// A result entry: the `result` of a job status, each `history` element, and the body of a
/// callback ([protocol §7.2](crate::protocol#72-response), §9.1).
///
/// Decoding is lenient (§7.3) and never fails for a JSON object: `ResultCode` as string or
/// number, `ConfidenceValue` as string or number, `IsFinalResult`/`IsMachineResult` as bool or
/// string, `PartnerParams.job_type` as number or string. A known key whose value has an
/// unexpected JSON type stays in [`extra`](Self::extra) untouched, like every unknown key
/// (`Antifraud`, ID-lookup fields such as `FullData`, `DOB`, …).
///
/// Re-encoding is value-identical: every key comes back with the same JSON value (numbers stay
/// numbers, `"true"` stays a string). Key order: the typed keys first, then `extra` in order.
#[derive(Clone, Default, PartialEq)]
pub struct ResultEntry {
    /// `ResultCode`.
    pub result_code: Option<ResultCode>,
    /// `ResultText`: for people; never branch on it.
    pub result_text: Option<String>,
    /// `ResultType` (e.g. `SAIA`, `DIVA`, `ID Verification`).
    pub result_type: Option<String>,
    /// `SmileJobID`.
    pub smile_job_id: Option<SmileJobId>,
    /// `PartnerParams` echo.
    pub partner_params: Option<EchoedPartnerParams>,
    /// `Actions`.
    pub actions: Option<Actions>,
    /// `ConfidenceValue`.
    pub confidence_value: Option<ConfidenceValue>,
    /// `IsFinalResult`, as sent.
    pub is_final_result: Option<LenientBool>,
    /// `IsMachineResult`, as sent.
    pub is_machine_result: Option<LenientBool>,
    /// `JSONVersion`.
    pub json_version: Option<String>,
    /// `Source`.
    pub source: Option<String>,
    /// Every other key, in order.
    pub extra: Map<String, Value>,
}

impl ResultEntry {
    /// Decodes an object leniently; never fails.
    pub fn from_map(map: Map<String, Value>) -> Self {
        let mut f = Fields(map);
        Self {
            result_code: f.take("ResultCode"),
            result_text: f.take("ResultText"),
            result_type: f.take("ResultType"),
            smile_job_id: f.take("SmileJobID"),
            partner_params: f.take("PartnerParams"),
            actions: f.take("Actions"),
            confidence_value: f.take("ConfidenceValue"),
            is_final_result: f.take("IsFinalResult"),
            is_machine_result: f.take("IsMachineResult"),
            json_version: f.take("JSONVersion"),
            source: f.take("Source"),
            extra: f.into_inner(),
        }
    }

    /// `IsFinalResult` when present and recognisable.
    pub fn is_final_result(&self) -> Option<bool> {
        self.is_final_result.as_ref().and_then(Lenient::value)
    }

    /// `IsMachineResult` when present and recognisable.
    pub fn is_machine_result(&self) -> Option<bool> {
        self.is_machine_result.as_ref().and_then(Lenient::value)
    }

    /// The echoed job type.
    pub fn job_type(&self) -> Option<JobType> {
        self.partner_params.as_ref()?.job_type()
    }

    /// The echoed job id.
    pub fn job_id(&self) -> Option<&JobId> {
        self.partner_params.as_ref()?.job_id.as_ref()
    }

    /// The echoed user id.
    pub fn user_id(&self) -> Option<&UserId> {
        self.partner_params.as_ref()?.user_id.as_ref()
    }

    /// `ConfidenceValue` as a number.
    pub fn confidence(&self) -> Option<f64> {
        self.confidence_value.as_ref()?.as_f64()
    }

    /// What the entry means ([protocol §7.4](crate::protocol#74-deciding-what-a-status-means)) for `job_type`, or for the echoed
    /// `PartnerParams.job_type` when `None` is given.
    ///
    /// - category: from the result-code table ([`CodeInfo::lookup`]), else
    ///   [`ResultCategory::Unknown`] (never guessed);
    /// - finality: `IsFinalResult` when present and recognisable; else the table's `final`;
    ///   else unknown, treated as **not** final.
    pub fn interpret(&self, job_type: impl Into<Option<JobType>>) -> Interpretation {
        let job_type = job_type.into().or_else(|| self.job_type());
        let info = self.result_code.as_ref().and_then(|c| c.info(job_type));
        let (is_final, finality) = match (self.is_final_result(), info) {
            (Some(f), _) => (f, FinalitySource::IsFinalResult),
            (None, Some(i)) => (i.is_final, FinalitySource::Table),
            (None, None) => (false, FinalitySource::Unknown),
        };
        Interpretation {
            code: self.result_code.clone(),
            job_type,
            info,
            category: info.map_or(ResultCategory::Unknown, |i| i.category),
            is_final,
            finality,
        }
    }
}

impl Serialize for ResultEntry {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_object!(serializer, &self.extra, {
            "Source" => self.source.as_ref(),
            "Actions" => self.actions.as_ref(),
            "ResultCode" => self.result_code.as_ref(),
            "ResultText" => self.result_text.as_ref(),
            "ResultType" => self.result_type.as_ref(),
            "SmileJobID" => self.smile_job_id.as_ref(),
            "JSONVersion" => self.json_version.as_ref(),
            "IsFinalResult" => self.is_final_result.as_ref(),
            "IsMachineResult" => self.is_machine_result.as_ref(),
            "PartnerParams" => self.partner_params.as_ref(),
            "ConfidenceValue" => self.confidence_value.as_ref(),
        })
    }
}

impl<'de> Deserialize<'de> for ResultEntry {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Map::deserialize(deserializer).map(Self::from_map)
    }
}

/// Where [`Interpretation::is_final`] came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FinalitySource {
    /// The entry's `IsFinalResult`.
    IsFinalResult,
    /// The result-code table's `final` column.
    Table,
    /// Neither: unknown, treated as not final.
    Unknown,
}

/// What a result entry means ([protocol §7.4](crate::protocol#74-deciding-what-a-status-means)); see [`ResultEntry::interpret`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Interpretation {
    /// The result code, if the entry has one.
    pub code: Option<ResultCode>,
    /// The job type used for the lookup.
    pub job_type: Option<JobType>,
    /// The table row, when the code is known for this job type.
    pub info: Option<&'static CodeInfo>,
    /// The category ([`ResultCategory::Unknown`] when the code is not in the table).
    pub category: ResultCategory,
    /// Whether this is the final result for the job (unknown counts as not final).
    pub is_final: bool,
    /// Where `is_final` came from.
    pub finality: FinalitySource,
}

impl Interpretation {
    /// True when the code was found in the table.
    pub fn is_known(&self) -> bool {
        self.info.is_some()
    }

    /// Whether the code is spoof-related per the table (`None` when unknown).
    pub fn spoof_related(&self) -> Option<bool> {
        self.info.map(|i| i.spoof_related)
    }

    /// Final and approved: the user passed (for job 2, authenticated). The only state a
    /// business rule should grant on.
    pub fn is_final_approval(&self) -> bool {
        self.is_final && self.category == ResultCategory::Approved
    }

    /// Final and not approved: rejected (a check failed, a spoof was detected) or an error
    /// that ended the job (e.g. an ID authority that could not answer: re-run later).
    pub fn is_final_rejection(&self) -> bool {
        self.is_final && self.category != ResultCategory::Approved
    }

    /// Not final yet: provisional, suspected spoof awaiting review, or a code this SDK does not
    /// know. The final result arrives on the callback (and in a later `job_status`): wait for
    /// it; never treat a pending result as an approval.
    ///
    /// Exactly one of [`is_final_approval`](Self::is_final_approval),
    /// [`is_final_rejection`](Self::is_final_rejection) and `is_pending` is true.
    pub fn is_pending(&self) -> bool {
        !self.is_final
    }
}

/// Shows the typed fields and only the **keys** of `extra`: a result can carry personal data
/// there (`FullName`, `DOB`, `IDNumber`, `FullData`, `Photo`), which must not reach logs.
impl std::fmt::Debug for ResultEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResultEntry")
            .field(
                "result_code",
                &self.result_code.as_ref().map(|c| c.as_str()),
            )
            .field("result_text", &self.result_text)
            .field("result_type", &self.result_type)
            .field("smile_job_id", &self.smile_job_id)
            .field("partner_params", &self.partner_params)
            .field("actions", &self.actions)
            .field("confidence_value", &self.confidence_value)
            .field("is_final_result", &self.is_final_result)
            .field("extra_keys", &self.extra.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lenient_fields_and_exact_round_trip() {
        let v = json!({
            "ResultCode": 820, "ConfidenceValue": 99.5, "IsFinalResult": "TRUE",
            "IsMachineResult": "maybe", "ResultText": null, "SmileJobID": 12,
            "PartnerParams": {"job_type": 2, "user_id": "u", "job_id": 7},
            "Actions": {"Liveness_Check": "Passed"}, "FullData": {"a": [1, 2]}
        });
        let e: ResultEntry = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(e.result_code.as_ref().unwrap().as_str(), "0820");
        assert_eq!(e.is_final_result(), Some(true));
        assert_eq!(e.is_machine_result(), None);
        assert_eq!(e.result_text, None);
        assert!(e.extra.contains_key("ResultText"));
        assert_eq!(e.job_type(), Some(JobType::SmartSelfieAuthentication));
        assert_eq!(
            e.job_id(),
            None,
            "a numeric job_id stays raw in PartnerParams.extra"
        );
        assert_eq!(e.confidence(), Some(99.5));
        let back = serde_json::to_value(&e).unwrap();
        // SmileJobID 12 is the one normalised form: a number becomes its decimal string.
        let mut want = v;
        want["SmileJobID"] = json!("12");
        assert_eq!(back, want);
    }

    #[test]
    fn interpretation_rules() {
        let mut e = ResultEntry {
            result_code: Some("0824".into()),
            ..ResultEntry::default()
        };
        let i = e.interpret(JobType::SmartSelfieAuthentication);
        assert_eq!(i.category, ResultCategory::SpoofSuspected);
        assert!(!i.is_final);
        assert_eq!(i.finality, FinalitySource::Table);
        e.is_final_result = Some(LenientBool::text(true));
        let i = e.interpret(JobType::SmartSelfieAuthentication);
        assert!(i.is_final);
        assert_eq!(i.finality, FinalitySource::IsFinalResult);
        // unknown job type and no echo: code not guessed
        let i = e.interpret(None);
        assert_eq!(i.category, ResultCategory::Unknown);
        assert!(i.info.is_none());
        // unknown code, no IsFinalResult: not final
        let u = ResultEntry {
            result_code: Some("0999".into()),
            ..ResultEntry::default()
        };
        let i = u.interpret(JobType::SmartSelfieAuthentication);
        assert_eq!(
            (i.category, i.is_final, i.finality),
            (ResultCategory::Unknown, false, FinalitySource::Unknown)
        );
    }

    #[test]
    fn shadowed_extra_is_not_written_twice() {
        let mut e = ResultEntry {
            result_code: Some("0820".into()),
            ..ResultEntry::default()
        };
        e.extra.insert("ResultCode".into(), json!(null));
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"ResultCode":"0820"}"#
        );
    }
}

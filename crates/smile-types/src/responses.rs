//! Response bodies: prep upload (§5.4), job status (§7.2), callbacks (§9.1) and error bodies
//! (§2.2, §10.5).

use std::ops::{Deref, DerefMut};

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::lenient::{Fields, Lenient, LenientBool, serialize_object};
use crate::{ApiErrorCode, Interpretation, JobId, JobType, ResultEntry, SmileJobId};

/// Why a response body could not be decoded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The body is not JSON.
    #[error("response body is not valid JSON")]
    Json(#[source] serde_json::Error),
    /// The body is JSON but not an object.
    #[error("response body is JSON {found}, expected an object")]
    NotAnObject {
        /// What was found (`an array`, `a string`, …).
        found: &'static str,
    },
    /// A required key is absent (or `null`).
    #[error("response field `{field}` is missing")]
    MissingField {
        /// The key.
        field: &'static str,
    },
    /// A required key has an unusable value.
    #[error("response field `{field}` is invalid: expected {expected}")]
    InvalidField {
        /// The key.
        field: &'static str,
        /// What was expected.
        expected: &'static str,
    },
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Parses `bytes` as a JSON object.
pub(crate) fn object_from_slice(bytes: &[u8]) -> Result<Map<String, Value>, DecodeError> {
    match serde_json::from_slice::<Value>(bytes).map_err(DecodeError::Json)? {
        Value::Object(m) => Ok(m),
        other => Err(DecodeError::NotAnObject {
            found: json_kind(&other),
        }),
    }
}

// ---------------------------------------------------------------------------------------------
// Prep upload

/// The answer to `POST /upload` ([protocol §5.4](crate::protocol#54-prep-upload-response)).
///
/// `upload_url` (a non-empty string) and `smile_job_id` (string, or a number converted to its
/// decimal string) are required; the other keys are informational. [`raw`](Self::raw) keeps the
/// **whole object exactly as received, in order**: it is what `info.json` embeds as
/// `server_information`, and it is what `Serialize` writes. The typed fields are views of
/// `raw`; build values with [`new`](Self::new) or [`from_map`](Self::from_map) so they agree.
///
/// ```
/// use smile_types::PrepUploadResponse;
/// let r = PrepUploadResponse::from_json(
///     br#"{"upload_url":"https://u.example/x","ref_id":"r","smile_job_id":"0000000001","camera_config":"null","code":"2202"}"#,
/// )?;
/// assert_eq!(r.smile_job_id, "0000000001");
/// assert_eq!(r.code.as_deref(), Some("2202"));
/// assert_eq!(
///     serde_json::to_string(&r)?,
///     r#"{"upload_url":"https://u.example/x","ref_id":"r","smile_job_id":"0000000001","camera_config":"null","code":"2202"}"#
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq)]
pub struct PrepUploadResponse {
    /// The presigned URL to `PUT` the zip to.
    pub upload_url: String,
    /// The server's job id.
    pub smile_job_id: SmileJobId,
    /// `ref_id`, when present as a string.
    pub ref_id: Option<String>,
    /// `code` (`"2202"`), when present as a string or number.
    pub code: Option<String>,
    /// `camera_config` as received (seen as the string `"null"` and as JSON `null`).
    pub camera_config: Option<Value>,
    /// The whole object, exactly as received, in order.
    pub raw: Map<String, Value>,
}

impl PrepUploadResponse {
    /// A response as the server builds it: `upload_url`, `ref_id`, `smile_job_id`,
    /// `camera_config: "null"`, `code: "2202"` (in that order).
    pub fn new(
        upload_url: impl Into<String>,
        smile_job_id: impl Into<SmileJobId>,
        ref_id: impl Into<String>,
    ) -> Self {
        let upload_url = upload_url.into();
        let smile_job_id = smile_job_id.into();
        let ref_id = ref_id.into();
        let camera_config = Value::String("null".into());
        let code = "2202".to_owned();
        let mut raw = Map::new();
        raw.insert("upload_url".into(), Value::String(upload_url.clone()));
        raw.insert("ref_id".into(), Value::String(ref_id.clone()));
        raw.insert(
            "smile_job_id".into(),
            Value::String(smile_job_id.as_str().to_owned()),
        );
        raw.insert("camera_config".into(), camera_config.clone());
        raw.insert("code".into(), Value::String(code.clone()));
        Self {
            upload_url,
            smile_job_id,
            ref_id: Some(ref_id),
            code: Some(code),
            camera_config: Some(camera_config),
            raw,
        }
    }

    /// Decodes a body.
    pub fn from_json(bytes: &[u8]) -> Result<Self, DecodeError> {
        Self::from_map(object_from_slice(bytes)?)
    }

    /// Decodes an object (kept whole in `raw`).
    pub fn from_map(raw: Map<String, Value>) -> Result<Self, DecodeError> {
        let upload_url = match raw.get("upload_url") {
            None | Some(Value::Null) => {
                return Err(DecodeError::MissingField {
                    field: "upload_url",
                });
            }
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(_) => {
                return Err(DecodeError::InvalidField {
                    field: "upload_url",
                    expected: "a non-empty string",
                });
            }
        };
        let smile_job_id = match raw.get("smile_job_id") {
            None | Some(Value::Null) => {
                return Err(DecodeError::MissingField {
                    field: "smile_job_id",
                });
            }
            Some(v) => SmileJobId::deserialize(v)
                .ok()
                .filter(|id| !id.is_empty())
                .ok_or(DecodeError::InvalidField {
                    field: "smile_job_id",
                    expected: "a non-empty string or a non-negative integer",
                })?,
        };
        let mut f = Fields(raw.clone());
        Ok(Self {
            upload_url,
            smile_job_id,
            ref_id: f.take("ref_id"),
            code: f.take_code("code"),
            camera_config: raw.get("camera_config").cloned(),
            raw,
        })
    }
}

/// Writes [`raw`](PrepUploadResponse::raw).
impl Serialize for PrepUploadResponse {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.raw.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for PrepUploadResponse {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = Map::deserialize(deserializer)?;
        Self::from_map(map).map_err(de::Error::custom)
    }
}

// ---------------------------------------------------------------------------------------------
// Job status

/// The `result` of a job status ([protocol §7.3](crate::protocol#73-lenient-parsing-must)): an object, a string, or nothing.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum JobResult {
    /// A result entry (a non-empty object).
    Entry(Box<ResultEntry>),
    /// A string, kept as an opaque message (e.g. while processing).
    Message(String),
    /// `null`, absent, `{}` (or another JSON type, kept in the response's `extra`).
    #[default]
    None,
}

impl JobResult {
    /// The entry, if any.
    pub fn entry(&self) -> Option<&ResultEntry> {
        match self {
            JobResult::Entry(e) => Some(e),
            _ => None,
        }
    }

    /// The message, if any.
    pub fn message(&self) -> Option<&str> {
        match self {
            JobResult::Message(m) => Some(m),
            _ => None,
        }
    }

    /// True for [`JobResult::None`].
    pub fn is_none(&self) -> bool {
        matches!(self, JobResult::None)
    }
}

/// `image_links` of a job status: signed URLs of the job's images ([protocol §7.2](crate::protocol#72-response)).
#[derive(Clone, Default, PartialEq)]
pub struct ImageLinks {
    /// `selfie_image`: signed URL of the selfie.
    pub selfie_image: Option<String>,
    /// `error`: why links could not be produced.
    pub error: Option<String>,
    /// Other image keys, in order.
    pub extra: Map<String, Value>,
}

impl ImageLinks {
    /// Decodes an object leniently; never fails.
    pub fn from_map(map: Map<String, Value>) -> Self {
        let mut f = Fields(map);
        Self {
            selfie_image: f.take("selfie_image"),
            error: f.take("error"),
            extra: f.into_inner(),
        }
    }
}

impl Serialize for ImageLinks {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_object!(serializer, &self.extra, {
            "selfie_image" => self.selfie_image.as_ref(),
            "error" => self.error.as_ref(),
        })
    }
}

impl<'de> Deserialize<'de> for ImageLinks {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Map::deserialize(deserializer).map(Self::from_map)
    }
}

/// The answer to `POST /job_status` ([protocol §7.2](crate::protocol#72-response)), decoded leniently (§7.3).
///
/// Decoding never fails for a JSON object. `job_complete`, `job_success` and `success` are
/// kept as received ([`LenientBool`]: `true` or `"true"`, read through
/// [`job_complete()`](Self::job_complete) and friends), `code` too ([`ApiErrorCode`]: a string,
/// or a number remembered as a number). Values that a typed field cannot hold exactly stay in
/// [`extra`](Self::extra) under their key: unknown keys (`kyc_receipt`, …), a `result` of `null`
/// or `{}` (read as [`JobResult::None`]), `history: []`, and any known key with an unexpected
/// JSON type. Re-encoding therefore gives back every key with the same value, with one
/// documented normalisation: a numeric `smile_job_id` is written back as a string (as
/// `SmileJobID` in [`ResultEntry`]).
///
/// ```
/// use smile_types::{JobStatusResponse, JobType, ResultCategory};
/// let body = br#"{"job_complete":"true","job_success":false,"code":2302,"result":{"ResultCode":"0821","PartnerParams":{"job_type":"2"}}}"#;
/// let s = JobStatusResponse::from_json(body)?;
/// assert!(s.is_complete());
/// assert_eq!((s.job_complete(), s.code()), (Some(true), Some("2302")));
/// let i = s.interpret(None).unwrap(); // job type from the echoed PartnerParams
/// assert_eq!(i.category, ResultCategory::Rejected);
/// assert!(i.is_final);
/// // Written back as received: "true" stays a string, 2302 a number.
/// assert_eq!(serde_json::to_value(&s).unwrap(), serde_json::from_slice::<serde_json::Value>(body).unwrap());
/// # Ok::<(), smile_types::DecodeError>(())
/// ```
#[derive(Clone, Default, PartialEq)]
pub struct JobStatusResponse {
    /// `timestamp` (verify the signature over it, §3.4).
    pub timestamp: Option<String>,
    /// `signature`.
    pub signature: Option<String>,
    /// `job_complete`, as sent: the server has reported a status (not necessarily final).
    /// Read it with [`job_complete()`](Self::job_complete).
    pub job_complete: Option<LenientBool>,
    /// `job_success`, as sent: the job achieved its goal. Read it with
    /// [`job_success()`](Self::job_success).
    pub job_success: Option<LenientBool>,
    /// `code` (`"2302"`), as sent (string or number).
    pub code: Option<ApiErrorCode>,
    /// `result`.
    pub result: JobResult,
    /// `history` entries (empty when absent).
    pub history: Vec<ResultEntry>,
    /// `image_links`.
    pub image_links: Option<ImageLinks>,
    /// `success`, as sent. Read it with [`success()`](Self::success).
    pub success: Option<LenientBool>,
    /// `smile_job_id`.
    pub smile_job_id: Option<SmileJobId>,
    /// Every other key, in order (see the type docs).
    pub extra: Map<String, Value>,
}

impl JobStatusResponse {
    /// `job_complete` when present and recognisable (`true`, `"true"`, any letter case).
    pub fn job_complete(&self) -> Option<bool> {
        self.job_complete.as_ref().and_then(Lenient::value)
    }

    /// `job_success` when present and recognisable.
    pub fn job_success(&self) -> Option<bool> {
        self.job_success.as_ref().and_then(Lenient::value)
    }

    /// `success` when present and recognisable.
    pub fn success(&self) -> Option<bool> {
        self.success.as_ref().and_then(Lenient::value)
    }

    /// `code` as a string (a number is zero-padded to 4 digits).
    pub fn code(&self) -> Option<&str> {
        self.code.as_ref().map(ApiErrorCode::as_str)
    }

    /// Decodes a body.
    pub fn from_json(bytes: &[u8]) -> Result<Self, DecodeError> {
        Ok(Self::from_map(object_from_slice(bytes)?))
    }

    /// Decodes an object leniently; never fails.
    pub fn from_map(map: Map<String, Value>) -> Self {
        let mut f = Fields(map);
        let result = match f.0.get("result") {
            Some(Value::String(s)) => {
                let s = s.clone();
                f.0.shift_remove("result");
                JobResult::Message(s)
            }
            Some(Value::Object(o)) if !o.is_empty() => f
                .take_with("result", |v| match v {
                    Value::Object(o) => Some(ResultEntry::from_map(o.clone())),
                    _ => None,
                })
                .map_or(JobResult::None, |e| JobResult::Entry(Box::new(e))),
            // null, {}, other types: kept in extra so they re-encode unchanged
            _ => JobResult::None,
        };
        let history = f
            .take_with("history", |v| match v {
                Value::Array(items) if !items.is_empty() => items
                    .iter()
                    .map(|i| match i {
                        Value::Object(o) => Some(ResultEntry::from_map(o.clone())),
                        _ => None,
                    })
                    .collect::<Option<Vec<_>>>(),
                _ => None,
            })
            .unwrap_or_default();
        Self {
            timestamp: f.take("timestamp"),
            signature: f.take("signature"),
            job_complete: f.take("job_complete"),
            job_success: f.take("job_success"),
            code: f.take("code"),
            result,
            history,
            image_links: f.take("image_links"),
            success: f.take("success"),
            smile_job_id: f.take("smile_job_id"),
            extra: f.into_inner(),
        }
    }

    /// `job_complete` is (leniently) true.
    pub fn is_complete(&self) -> bool {
        self.job_complete() == Some(true)
    }

    /// The result entry, when `result` is an object.
    pub fn result_entry(&self) -> Option<&ResultEntry> {
        self.result.entry()
    }

    /// Interprets the result entry ([`ResultEntry::interpret`]); `None` when there is no entry.
    /// Check [`is_complete`](Self::is_complete) first: an incomplete job is still processing.
    pub fn interpret(&self, job_type: impl Into<Option<JobType>>) -> Option<Interpretation> {
        self.result_entry().map(|e| e.interpret(job_type))
    }
}

impl Serialize for JobStatusResponse {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (entry, message) = match &self.result {
            JobResult::Entry(e) => (Some(&**e), None),
            JobResult::Message(m) => (None, Some(m)),
            JobResult::None => (None, None),
        };
        let history = (!self.history.is_empty()).then_some(&self.history);
        serialize_object!(serializer, &self.extra, {
            "timestamp" => self.timestamp.as_ref(),
            "signature" => self.signature.as_ref(),
            "job_complete" => self.job_complete.as_ref(),
            "job_success" => self.job_success.as_ref(),
            "code" => self.code.as_ref(),
            "result" => entry,
            "result" => message,
            "history" => history,
            "image_links" => self.image_links.as_ref(),
            "success" => self.success.as_ref(),
            "smile_job_id" => self.smile_job_id.as_ref(),
        })
    }
}

impl<'de> Deserialize<'de> for JobStatusResponse {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Map::deserialize(deserializer).map(Self::from_map)
    }
}

// ---------------------------------------------------------------------------------------------
// Callback

/// A callback body ([protocol §9.1](crate::protocol#91-delivery-and-body)): a [`ResultEntry`] plus `timestamp` and `signature`.
///
/// Derefs to the entry. Decoding is lenient and never fails for a JSON object; verifying the
/// signature and freshness is `smile-sign`'s job.
///
/// ```
/// use smile_types::{Callback, ResultCategory};
/// let cb = Callback::from_json(br#"{"ResultCode":"1220","SmileJobID":"0000057497","PartnerParams":{"job_id":"KE_TEST_1013","job_type":"2","user_id":"u"},"timestamp":"2021-06-21T15:10:15.729Z","signature":"x"}"#)?;
/// let i = cb.interpret(None);
/// assert_eq!((i.category, i.is_final), (ResultCategory::Approved, true));
/// let (smile_job_id, job_id) = cb.dedupe_key();
/// assert_eq!((smile_job_id.unwrap().as_str(), job_id.unwrap().as_str()), ("0000057497", "KE_TEST_1013"));
/// # Ok::<(), smile_types::DecodeError>(())
/// ```
#[derive(Clone, Default, PartialEq)]
pub struct Callback {
    /// `timestamp`.
    pub timestamp: Option<String>,
    /// `signature` over `timestamp`.
    pub signature: Option<String>,
    /// The result entry (every other key).
    pub entry: ResultEntry,
}

impl Callback {
    /// Decodes a body.
    pub fn from_json(bytes: &[u8]) -> Result<Self, DecodeError> {
        Ok(Self::from_map(object_from_slice(bytes)?))
    }

    /// Decodes an object leniently; never fails.
    pub fn from_map(map: Map<String, Value>) -> Self {
        let mut f = Fields(map);
        let timestamp = f.take("timestamp");
        let signature = f.take("signature");
        Self {
            timestamp,
            signature,
            entry: ResultEntry::from_map(f.into_inner()),
        }
    }

    /// The dedupe key of [protocol §9.2](crate::protocol#92-verifying-a-callback-our-sdks-verifier): (`SmileJobID`, `PartnerParams.job_id`).
    pub fn dedupe_key(&self) -> (Option<&SmileJobId>, Option<&JobId>) {
        (self.entry.smile_job_id.as_ref(), self.entry.job_id())
    }
}

impl Deref for Callback {
    type Target = ResultEntry;
    fn deref(&self) -> &ResultEntry {
        &self.entry
    }
}

impl DerefMut for Callback {
    fn deref_mut(&mut self) -> &mut ResultEntry {
        &mut self.entry
    }
}

/// Writes the entry's keys, then `timestamp` and `signature` (as the server does).
impl Serialize for Callback {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = match serde_json::to_value(&self.entry) {
            Ok(Value::Object(m)) => m,
            Ok(_) => Map::new(),
            Err(e) => return Err(serde::ser::Error::custom(e)),
        };
        if let Some(t) = &self.timestamp {
            map.insert("timestamp".into(), Value::String(t.clone()));
        }
        if let Some(s) = &self.signature {
            map.insert("signature".into(), Value::String(s.clone()));
        }
        map.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Callback {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Map::deserialize(deserializer).map(Self::from_map)
    }
}

// ---------------------------------------------------------------------------------------------
// Error body

/// An error body ([protocol §2.2](crate::protocol#22-responses-and-http-status), §10.5): `{"error": "...", "code": "2205"}`, possibly with
/// `success: false`, possibly without `code`, or gateway style `{"message": "..."}`.
///
/// Decoding never fails for a JSON object (a non-JSON body is a [`DecodeError`]; the caller
/// keeps the raw text). `code` accepts a string (verbatim) or a number (read zero-padded to 4,
/// written back as the number); `success` is kept as sent (`false` or `"false"`). Re-encoding
/// is value-identical.
///
/// ```
/// use smile_types::ErrorBody;
/// let e = ErrorBody::from_json(br#"{"code":"2215","error":"Job already exists. Did you mean to set the retry flag to true?"}"#)?;
/// assert_eq!(e.api_code().unwrap().as_str(), "2215");
/// assert!(e.text().unwrap().starts_with("Job already exists"));
/// let g = ErrorBody::from_json(br#"{"message":"Internal server error"}"#)?;
/// assert_eq!((g.code(), g.text()), (None, Some("Internal server error")));
/// assert!(ErrorBody::from_json(b"<html></html>").is_err());
/// # Ok::<(), smile_types::DecodeError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ErrorBody {
    /// `error`: the server's message.
    pub error: Option<String>,
    /// `code`, as sent (string or number).
    pub code: Option<ApiErrorCode>,
    /// `message` (gateway-style bodies).
    pub message: Option<String>,
    /// `success`, as sent. Read it with [`success()`](Self::success).
    pub success: Option<LenientBool>,
    /// Every other key, in order.
    pub extra: Map<String, Value>,
}

impl ErrorBody {
    /// An error body as the server writes it: `{"error": text, "code": code}`.
    pub fn new(code: impl Into<String>, error: impl Into<String>) -> Self {
        Self {
            error: Some(error.into()),
            code: Some(ApiErrorCode::new(code)),
            ..Self::default()
        }
    }

    /// Decodes a body.
    pub fn from_json(bytes: &[u8]) -> Result<Self, DecodeError> {
        Ok(Self::from_map(object_from_slice(bytes)?))
    }

    /// Decodes an object leniently; never fails.
    pub fn from_map(map: Map<String, Value>) -> Self {
        let mut f = Fields(map);
        Self {
            error: f.take("error"),
            code: f.take("code"),
            message: f.take("message"),
            success: f.take("success"),
            extra: f.into_inner(),
        }
    }

    /// The human-readable text: `error`, else `message`.
    pub fn text(&self) -> Option<&str> {
        self.error.as_deref().or(self.message.as_deref())
    }

    /// The code as an [`ApiErrorCode`] (table lookup, transient flag).
    pub fn api_code(&self) -> Option<ApiErrorCode> {
        self.code.clone()
    }

    /// `code` as a string (a number is zero-padded to 4 digits).
    pub fn code(&self) -> Option<&str> {
        self.code.as_ref().map(ApiErrorCode::as_str)
    }

    /// `success` when present and recognisable (`false`, `"false"`, any letter case).
    pub fn success(&self) -> Option<bool> {
        self.success.as_ref().and_then(Lenient::value)
    }

    /// True when the body says it is an error: an `error` key (string) or `success: false`.
    pub fn is_error(&self) -> bool {
        self.error.is_some() || self.success() == Some(false)
    }
}

impl Serialize for ErrorBody {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_object!(serializer, &self.extra, {
            "error" => self.error.as_ref(),
            "code" => self.code.as_ref(),
            "message" => self.message.as_ref(),
            "success" => self.success.as_ref(),
        })
    }
}

impl<'de> Deserialize<'de> for ErrorBody {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Map::deserialize(deserializer).map(Self::from_map)
    }
}

/// The signature of a response or callback is shown as present or absent, never its value
/// (with the timestamp it would let anyone replay the body), and `extra` by its keys only.
impl std::fmt::Debug for JobStatusResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobStatusResponse")
            .field("timestamp", &self.timestamp)
            .field("signature", &self.signature.as_ref().map(|_| "[redacted]"))
            .field("job_complete", &self.job_complete)
            .field("job_success", &self.job_success)
            .field("code", &self.code)
            .field("result", &self.result)
            .field("history", &self.history)
            .field("image_links", &self.image_links)
            .field("smile_job_id", &self.smile_job_id)
            .field("extra_keys", &self.extra.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Callback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Callback")
            .field("timestamp", &self.timestamp)
            .field("signature", &self.signature.as_ref().map(|_| "[redacted]"))
            .field("entry", &self.entry)
            .finish()
    }
}

/// A presigned URL without its query (the query is the credential).
fn without_query(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or(url)
}

/// The upload URL is shown without its query, and `raw` (which repeats it) by its keys.
impl std::fmt::Debug for PrepUploadResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrepUploadResponse")
            .field("upload_url", &without_query(&self.upload_url))
            .field("smile_job_id", &self.smile_job_id)
            .field("ref_id", &self.ref_id)
            .field("code", &self.code)
            .field("raw_keys", &self.raw.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// Signed image URLs are shown without their queries.
impl std::fmt::Debug for ImageLinks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageLinks")
            .field(
                "selfie_image",
                &self.selfie_image.as_deref().map(without_query),
            )
            .field("error", &self.error)
            .field("extra_keys", &self.extra.keys().collect::<Vec<_>>())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn prep_upload_required_fields() {
        let err = PrepUploadResponse::from_json(br#"{"smile_job_id":"1"}"#).unwrap_err();
        assert_eq!(err.to_string(), "response field `upload_url` is missing");
        let err =
            PrepUploadResponse::from_json(br#"{"upload_url":"","smile_job_id":"1"}"#).unwrap_err();
        assert!(err.to_string().contains("`upload_url` is invalid"), "{err}");
        let err = PrepUploadResponse::from_json(br#"{"upload_url":"u"}"#).unwrap_err();
        assert_eq!(err.to_string(), "response field `smile_job_id` is missing");
        let err =
            PrepUploadResponse::from_json(br#"{"upload_url":"u","smile_job_id":[1]}"#).unwrap_err();
        assert!(
            err.to_string().contains("`smile_job_id` is invalid"),
            "{err}"
        );
        let ok = PrepUploadResponse::from_json(br#"{"upload_url":"u","smile_job_id":57}"#).unwrap();
        assert_eq!(ok.smile_job_id, "57");
        assert_eq!(
            serde_json::to_value(&ok).unwrap(),
            json!({"upload_url":"u","smile_job_id":57})
        );
        let err = PrepUploadResponse::from_json(b"[1]").unwrap_err();
        assert_eq!(
            err.to_string(),
            "response body is JSON an array, expected an object"
        );
        let err = PrepUploadResponse::from_json(b"<xml/>").unwrap_err();
        assert!(std::error::Error::source(&err).is_some());
    }

    #[test]
    fn prep_upload_new_matches_server_shape() {
        let r = PrepUploadResponse::new("https://u", "0000000001", "085-1");
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"upload_url":"https://u","ref_id":"085-1","smile_job_id":"0000000001","camera_config":"null","code":"2202"}"#
        );
        assert_eq!(r.camera_config, Some(json!("null")));
    }

    #[test]
    fn job_result_forms() {
        for (body, kind) in [
            (json!({"result": {"ResultCode": "0820"}}), "entry"),
            (json!({"result": "processing"}), "message"),
            (json!({"result": null}), "none"),
            (json!({"result": {}}), "none"),
            (json!({"result": 5}), "none"),
            (json!({}), "none"),
        ] {
            let s: JobStatusResponse = serde_json::from_value(body.clone()).unwrap();
            let got = match s.result {
                JobResult::Entry(_) => "entry",
                JobResult::Message(_) => "message",
                JobResult::None => "none",
            };
            assert_eq!(got, kind, "{body}");
            assert_eq!(serde_json::to_value(&s).unwrap(), body);
        }
    }

    #[test]
    fn job_status_lenient_bools_and_code() {
        let s = JobStatusResponse::from_json(
            br#"{"job_complete":"True","job_success":"nope","code":2302,"history":[],"success":"false"}"#,
        )
        .unwrap();
        assert_eq!(s.job_complete(), Some(true));
        assert_eq!(s.job_success(), None);
        assert_eq!(s.code(), Some("2302"));
        assert_eq!(s.success(), Some(false));
        assert!(s.history.is_empty());
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            r#"{"job_complete":"True","job_success":"nope","code":2302,"success":"false","history":[]}"#
        );
    }

    #[test]
    fn history_with_a_non_object_stays_raw() {
        let body = json!({"history": [{"ResultCode": "0820"}, 3]});
        let s: JobStatusResponse = serde_json::from_value(body.clone()).unwrap();
        assert!(s.history.is_empty());
        assert_eq!(serde_json::to_value(&s).unwrap(), body);
    }

    #[test]
    fn error_body_forms() {
        let e = ErrorBody::from_json(br#"{"code":2213,"error":"x","success":"false"}"#).unwrap();
        assert_eq!(e.code(), Some("2213"));
        assert!(e.is_error());
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"error":"x","code":2213,"success":"false"}"#
        );
        let e = ErrorBody::new("2205", "You're not authorized to do that.");
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"error":"You're not authorized to do that.","code":"2205"}"#
        );
        assert!(!ErrorBody::from_json(b"{}").unwrap().is_error());
    }
}

#[cfg(test)]
mod debug_tests {
    use super::*;

    /// Signatures, presigned queries and personal data of results stay out of `Debug`.
    #[test]
    fn debug_shows_no_signature_query_or_personal_data() {
        let status = JobStatusResponse::from_json(br#"{"timestamp":"t","signature":"SIG-SECRET=","job_complete":true,
            "result":{"ResultCode":"1012","FullName":"Ada Lovelace","IDNumber":"22212345678"},
            "image_links":{"selfie_image":"https://img.example/s.jpg?X-Amz-Signature=IMG-SECRET"}}"#).unwrap();
        let cb = Callback::from_json(
            br#"{"timestamp":"t","signature":"CB-SECRET=","ResultCode":"0820","DOB":"1990-01-01"}"#,
        )
        .unwrap();
        let prep = PrepUploadResponse::from_map(
            serde_json::from_str(r#"{"upload_url":"https://u.example/x.zip?X-Amz-Signature=UP-SECRET","smile_job_id":"1"}"#).unwrap(),
        )
        .unwrap();
        let shown = format!("{status:?} {status:#?} {cb:?} {prep:?}");
        for secret in [
            "SIG-SECRET",
            "CB-SECRET",
            "IMG-SECRET",
            "UP-SECRET",
            "Ada Lovelace",
            "22212345678",
            "1990-01-01",
        ] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        for shown_key in [
            "1012",
            "FullName",
            "IDNumber",
            "https://img.example/s.jpg",
            "https://u.example/x.zip",
            "[redacted]",
        ] {
            assert!(shown.contains(shown_key), "{shown_key} not in {shown}");
        }
    }
}

//! Fault injection: per-endpoint rules that make the emulator misbehave on purpose.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// An endpoint of the emulator that faults can be attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Endpoint {
    /// `POST /v1/upload` (prep upload).
    Upload,
    /// `PUT` to an upload URL (the zip upload).
    ZipUpload,
    /// `POST /v1/job_status`.
    JobStatus,
    /// `POST /v1/token`.
    Token,
    /// `POST /v1/id_verification`.
    IdVerification,
    /// `POST /v1/async_id_verification`.
    AsyncIdVerification,
    /// `POST /v1/business_verification`.
    BusinessVerification,
    /// `POST /v1/async_business_verification`.
    AsyncBusinessVerification,
    /// `GET /v1/services`.
    Services,
    /// `POST /v1/valid_documents`.
    ValidDocuments,
    /// `GET` of an image link returned by job status.
    Images,
}

impl Endpoint {
    /// Every endpoint, in declaration order.
    pub const ALL: [Endpoint; 11] = [
        Endpoint::Upload,
        Endpoint::ZipUpload,
        Endpoint::JobStatus,
        Endpoint::Token,
        Endpoint::IdVerification,
        Endpoint::AsyncIdVerification,
        Endpoint::BusinessVerification,
        Endpoint::AsyncBusinessVerification,
        Endpoint::Services,
        Endpoint::ValidDocuments,
        Endpoint::Images,
    ];

    /// The name used by the control API and the command line (`"job_status"`, …).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Endpoint::Upload => "upload",
            Endpoint::ZipUpload => "zip_upload",
            Endpoint::JobStatus => "job_status",
            Endpoint::Token => "token",
            Endpoint::IdVerification => "id_verification",
            Endpoint::AsyncIdVerification => "async_id_verification",
            Endpoint::BusinessVerification => "business_verification",
            Endpoint::AsyncBusinessVerification => "async_business_verification",
            Endpoint::Services => "services",
            Endpoint::ValidDocuments => "valid_documents",
            Endpoint::Images => "images",
        }
    }

    /// The Smile error code a failing response of this endpoint carries (`2201` for the upload
    /// flow, `2301` for job status, `2401` for the ID API).
    pub(crate) fn system_error_code(self) -> &'static str {
        match self {
            Endpoint::JobStatus => "2301",
            Endpoint::IdVerification
            | Endpoint::AsyncIdVerification
            | Endpoint::BusinessVerification
            | Endpoint::AsyncBusinessVerification => "2401",
            _ => "2201",
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text is not the name of an [`Endpoint`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown endpoint {0:?} (expected one of: upload, zip_upload, job_status, token, id_verification, async_id_verification, business_verification, async_business_verification, services, valid_documents, images)"
)]
pub struct UnknownEndpoint(pub String);

impl FromStr for Endpoint {
    type Err = UnknownEndpoint;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Endpoint::ALL
            .into_iter()
            .find(|e| e.as_str() == s)
            .ok_or_else(|| UnknownEndpoint(s.to_owned()))
    }
}

/// What to do to requests of one endpoint.
///
/// Build one with a constructor and chain the modifiers:
///
/// ```
/// use std::time::Duration;
/// use smile_emulator::Fault;
///
/// let fault = Fault::status(503).retry_after(1).times(2);
/// assert_eq!(fault.status, Some(503));
/// let slow = Fault::delay(Duration::from_millis(250));
/// assert_eq!(slow.delay_ms, Some(250));
/// ```
///
/// In JSON (control API `POST /__emulator/faults`), every field is optional:
/// `{"endpoint": "job_status", "status": 503, "times": 2}`.
///
/// Effects, in order: `delay_ms` (the reply is held back), then `drop_connection` (the
/// connection is closed with no response), `status` (a fixed error response instead of the
/// real one), `expire_upload_url`, and `malformed_json` (the real response body cut in half).
/// With `after_handler`, `drop_connection` and `status` are applied after the request has been
/// processed (the job exists, the reply is lost).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct Fault {
    /// Answer with this HTTP status and an error body instead of the real response.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Body for `status` (default: `{"error": "...", "code": "2201"}`-style JSON, with the
    /// endpoint's system-error code).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// A `Retry-After` header (seconds) added to the `status` response.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    /// Hold the response back this many milliseconds (real time).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
    /// Close the connection without any response.
    #[serde(skip_serializing_if = "is_false")]
    pub drop_connection: bool,
    /// Replace the response body with its first half (invalid JSON), keeping the status and
    /// headers.
    #[serde(skip_serializing_if = "is_false")]
    pub malformed_json: bool,
    /// On `upload`: the upload URL handed out is already expired. On `zip_upload`: the `PUT`
    /// is refused with the storage service's 403 "Request has expired" XML.
    #[serde(skip_serializing_if = "is_false")]
    pub expire_upload_url: bool,
    /// Apply `status` / `drop_connection` after the request was processed instead of before.
    #[serde(skip_serializing_if = "is_false")]
    pub after_handler: bool,
    /// Let this many matching requests through untouched before the fault starts.
    #[serde(skip_serializing_if = "is_zero")]
    pub skip: u32,
    /// Apply the fault to this many requests, then remove it (absent: until cleared). Zero is
    /// refused by [`Fault::parse_spec`] and the control API; a fault set through [`Faults`]
    /// with zero applies to no request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub times: Option<u32>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl Fault {
    /// Answer with `status` (and an error body) instead of the real response.
    #[must_use]
    pub fn status(status: u16) -> Self {
        Self {
            status: Some(status),
            ..Self::default()
        }
    }

    /// Hold every response back by `delay` (real time).
    #[must_use]
    pub fn delay(delay: Duration) -> Self {
        Self {
            delay_ms: Some(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX)),
            ..Self::default()
        }
    }

    /// Close the connection without a response.
    #[must_use]
    pub fn drop_connection() -> Self {
        Self {
            drop_connection: true,
            ..Self::default()
        }
    }

    /// Cut the response body in half (invalid JSON).
    #[must_use]
    pub fn malformed_json() -> Self {
        Self {
            malformed_json: true,
            ..Self::default()
        }
    }

    /// Expired upload URLs (see the field docs for where it applies).
    #[must_use]
    pub fn expire_upload_url() -> Self {
        Self {
            expire_upload_url: true,
            ..Self::default()
        }
    }

    /// Use `body` as the body of the `status` response.
    #[must_use]
    pub fn with_body(mut self, body: impl Into<String>) -> Self {
        self.body = Some(body.into());
        self
    }

    /// Add a `Retry-After: seconds` header to the `status` response.
    #[must_use]
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// Also hold the response back by `delay`.
    #[must_use]
    pub fn with_delay(mut self, delay: Duration) -> Self {
        self.delay_ms = Some(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX));
        self
    }

    /// Apply `status` / `drop_connection` after the request was processed.
    #[must_use]
    pub fn after_handler(mut self) -> Self {
        self.after_handler = true;
        self
    }

    /// Let `n` requests through before the fault starts.
    #[must_use]
    pub fn skip(mut self, n: u32) -> Self {
        self.skip = n;
        self
    }

    /// Apply the fault to `n` requests only.
    #[must_use]
    pub fn times(mut self, n: u32) -> Self {
        self.times = Some(n);
        self
    }

    /// Parses the command-line form `key=value,key=value` (keys as the JSON fields; booleans
    /// may be given bare: `drop_connection`).
    pub fn parse_spec(spec: &str) -> Result<Self, FaultSpecError> {
        let mut fault = Fault::default();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = match part.split_once('=') {
                Some((k, v)) => (k.trim(), Some(v.trim())),
                None => (part, None),
            };
            let bad = || FaultSpecError::BadValue {
                key: key.to_owned(),
                value: value.unwrap_or_default().to_owned(),
            };
            let num = |v: Option<&str>| -> Result<u64, FaultSpecError> {
                v.and_then(|v| v.parse::<u64>().ok()).ok_or_else(bad)
            };
            let flag = |v: Option<&str>| -> Result<bool, FaultSpecError> {
                match v {
                    None | Some("true") => Ok(true),
                    Some("false") => Ok(false),
                    Some(_) => Err(bad()),
                }
            };
            match key {
                "status" => {
                    let s = u16::try_from(num(value)?).map_err(|_| bad())?;
                    if !(100..=999).contains(&s) {
                        return Err(bad());
                    }
                    fault.status = Some(s);
                }
                "body" => fault.body = Some(value.unwrap_or_default().to_owned()),
                "retry_after" => fault.retry_after = Some(num(value)?),
                "delay_ms" | "delay" => fault.delay_ms = Some(num(value)?),
                "drop_connection" | "drop" => fault.drop_connection = flag(value)?,
                "malformed_json" => fault.malformed_json = flag(value)?,
                "expire_upload_url" => fault.expire_upload_url = flag(value)?,
                "after_handler" => fault.after_handler = flag(value)?,
                "skip" => fault.skip = u32::try_from(num(value)?).map_err(|_| bad())?,
                "times" => {
                    let n = u32::try_from(num(value)?).map_err(|_| bad())?;
                    if n == 0 {
                        return Err(FaultSpecError::ZeroTimes);
                    }
                    fault.times = Some(n);
                }
                _ => return Err(FaultSpecError::UnknownKey(key.to_owned())),
            }
        }
        if fault == Fault::default() {
            return Err(FaultSpecError::Empty);
        }
        Ok(fault)
    }
}

/// A command-line fault specification could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FaultSpecError {
    /// The text has no `ENDPOINT:` prefix.
    #[error("fault {0:?}: expected ENDPOINT:key=value,... (e.g. job_status:status=503,times=2)")]
    MissingEndpoint(String),
    /// The endpoint name is unknown.
    #[error(transparent)]
    Endpoint(#[from] UnknownEndpoint),
    /// A key is not a fault field.
    #[error(
        "unknown fault key {0:?} (expected status, body, retry_after, delay_ms, drop_connection, malformed_json, expire_upload_url, after_handler, skip, times)"
    )]
    UnknownKey(String),
    /// A value has the wrong form.
    #[error("fault key {key:?}: invalid value {value:?}")]
    BadValue {
        /// The key.
        key: String,
        /// The value given.
        value: String,
    },
    /// The fault would do nothing.
    #[error("the fault specification sets no effect")]
    Empty,
    /// `times=0`: the fault would apply to no request.
    #[error(
        "fault key \"times\": 0 would apply the fault to no request (give 1 or more, or leave times out to apply it until cleared)"
    )]
    ZeroTimes,
}

/// Parses `ENDPOINT:key=value,...` (`*` as the endpoint means every endpoint).
pub fn parse_fault_arg(arg: &str) -> Result<Vec<(Endpoint, Fault)>, FaultSpecError> {
    let (endpoint, spec) = arg
        .split_once(':')
        .ok_or_else(|| FaultSpecError::MissingEndpoint(arg.to_owned()))?;
    let fault = Fault::parse_spec(spec)?;
    let endpoint = endpoint.trim();
    if endpoint == "*" {
        return Ok(Endpoint::ALL
            .into_iter()
            .map(|e| (e, fault.clone()))
            .collect());
    }
    Ok(vec![(endpoint.parse()?, fault)])
}

/// The fault table shared by the server and the [`Faults`] handle.
#[derive(Debug, Default)]
pub(crate) struct FaultTable {
    rules: BTreeMap<Endpoint, Fault>,
}

impl FaultTable {
    /// Takes the fault to apply to one request of `endpoint`, counting it down.
    pub(crate) fn take(&mut self, endpoint: Endpoint) -> Option<Fault> {
        let rule = self.rules.get_mut(&endpoint)?;
        if rule.times == Some(0) {
            self.rules.remove(&endpoint);
            return None;
        }
        if rule.skip > 0 {
            rule.skip -= 1;
            return None;
        }
        let fault = rule.clone();
        if let Some(times) = rule.times.as_mut() {
            *times = times.saturating_sub(1);
            if *times == 0 {
                self.rules.remove(&endpoint);
            }
        }
        Some(fault)
    }
}

/// Control handle for fault injection (see [`crate::Emulator::faults`]).
///
/// Cloning is cheap; all clones act on the same running emulator.
#[derive(Debug, Clone)]
pub struct Faults {
    pub(crate) table: Arc<Mutex<FaultTable>>,
}

impl Faults {
    pub(crate) fn new() -> Self {
        Self {
            table: Arc::new(Mutex::new(FaultTable::default())),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, FaultTable> {
        // A poisoned lock only means a panic elsewhere; the table itself stays consistent.
        self.table
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Sets (replaces) the fault of `endpoint`.
    pub fn set(&self, endpoint: Endpoint, fault: Fault) {
        self.lock().rules.insert(endpoint, fault);
    }

    /// Sets the same fault on every endpoint.
    pub fn set_all(&self, fault: Fault) {
        let mut table = self.lock();
        for endpoint in Endpoint::ALL {
            table.rules.insert(endpoint, fault.clone());
        }
    }

    /// Removes the fault of `endpoint`; returns it if there was one.
    pub fn clear(&self, endpoint: Endpoint) -> Option<Fault> {
        self.lock().rules.remove(&endpoint)
    }

    /// Removes every fault.
    pub fn clear_all(&self) {
        self.lock().rules.clear();
    }

    /// The faults currently set (with their remaining `skip` / `times`).
    #[must_use]
    pub fn list(&self) -> Vec<(Endpoint, Fault)> {
        self.lock()
            .rules
            .iter()
            .map(|(e, f)| (*e, f.clone()))
            .collect()
    }

    /// The fault currently set on `endpoint`.
    #[must_use]
    pub fn get(&self, endpoint: Endpoint) -> Option<Fault> {
        self.lock().rules.get(&endpoint).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_names_round_trip() {
        for e in Endpoint::ALL {
            assert_eq!(e.as_str().parse::<Endpoint>(), Ok(e));
            assert_eq!(
                serde_json::to_string(&e).unwrap(),
                format!("\"{}\"", e.as_str())
            );
        }
        assert!("jobstatus".parse::<Endpoint>().is_err());
    }

    #[test]
    fn spec_parsing() {
        let parsed = parse_fault_arg("job_status:status=503,times=2,retry_after=1").unwrap();
        assert_eq!(
            parsed,
            vec![(
                Endpoint::JobStatus,
                Fault::status(503).times(2).retry_after(1)
            )]
        );
        let parsed = parse_fault_arg("upload:drop_connection,after_handler").unwrap();
        assert_eq!(
            parsed[0].1,
            Fault::drop_connection().after_handler(),
            "bare booleans"
        );
        assert_eq!(
            parse_fault_arg("*:delay_ms=5").unwrap().len(),
            Endpoint::ALL.len()
        );
        assert!(matches!(
            parse_fault_arg("job_status"),
            Err(FaultSpecError::MissingEndpoint(_))
        ));
        assert!(matches!(
            parse_fault_arg("nope:status=500"),
            Err(FaultSpecError::Endpoint(_))
        ));
        assert!(matches!(
            parse_fault_arg("upload:colour=red"),
            Err(FaultSpecError::UnknownKey(_))
        ));
        assert!(matches!(
            parse_fault_arg("upload:status=abc"),
            Err(FaultSpecError::BadValue { .. })
        ));
        assert!(matches!(
            parse_fault_arg("upload:status=42"),
            Err(FaultSpecError::BadValue { .. })
        ));
        assert_eq!(parse_fault_arg("upload:"), Err(FaultSpecError::Empty));
    }

    #[test]
    fn times_zero_is_refused_and_never_fires() {
        assert_eq!(
            Fault::parse_spec("status=500,times=0"),
            Err(FaultSpecError::ZeroTimes)
        );
        assert!(
            FaultSpecError::ZeroTimes
                .to_string()
                .contains("\"times\": 0"),
            "{}",
            FaultSpecError::ZeroTimes
        );
        let faults = Faults::new();
        faults.set(Endpoint::JobStatus, Fault::status(500).times(0));
        assert_eq!(faults.lock().take(Endpoint::JobStatus), None);
        assert!(faults.list().is_empty());
    }

    #[test]
    fn skip_and_times_count_down() {
        let faults = Faults::new();
        faults.set(Endpoint::JobStatus, Fault::status(500).skip(1).times(2));
        let mut table = faults.lock();
        assert_eq!(table.take(Endpoint::JobStatus), None, "skipped");
        assert_eq!(
            table.take(Endpoint::JobStatus).and_then(|f| f.status),
            Some(500)
        );
        assert_eq!(
            table.take(Endpoint::Upload),
            None,
            "other endpoint untouched"
        );
        assert_eq!(
            table.take(Endpoint::JobStatus).and_then(|f| f.status),
            Some(500)
        );
        assert_eq!(table.take(Endpoint::JobStatus), None, "used up and removed");
        drop(table);
        assert!(faults.list().is_empty());
    }

    fn spec_of(f: &Fault) -> String {
        let mut parts = Vec::new();
        if let Some(s) = f.status {
            parts.push(format!("status={s}"));
        }
        if let Some(r) = f.retry_after {
            parts.push(format!("retry_after={r}"));
        }
        if let Some(d) = f.delay_ms {
            parts.push(format!("delay_ms={d}"));
        }
        for (on, name) in [
            (f.drop_connection, "drop_connection"),
            (f.malformed_json, "malformed_json"),
            (f.expire_upload_url, "expire_upload_url"),
            (f.after_handler, "after_handler"),
        ] {
            if on {
                parts.push(name.to_owned());
            }
        }
        if f.skip > 0 {
            parts.push(format!("skip={}", f.skip));
        }
        if let Some(t) = f.times {
            parts.push(format!("times={t}"));
        }
        parts.join(",")
    }

    proptest::proptest! {
        #[test]
        fn spec_parser_never_panics(text in ".{0,80}") {
            let _ = parse_fault_arg(&text);
        }

        #[test]
        fn spec_and_json_round_trip(
            status in proptest::option::of(100u16..=999),
            retry_after in proptest::option::of(0u64..100_000),
            delay_ms in proptest::option::of(0u64..100_000),
            flags in proptest::array::uniform4(proptest::bool::ANY),
            skip in 0u32..10,
            times in proptest::option::of(1u32..10),
        ) {
            let fault = Fault {
                status, body: None, retry_after, delay_ms,
                drop_connection: flags[0], malformed_json: flags[1],
                expire_upload_url: flags[2], after_handler: flags[3],
                skip, times,
            };
            let json = serde_json::to_string(&fault).unwrap();
            proptest::prop_assert_eq!(&serde_json::from_str::<Fault>(&json).unwrap(), &fault);
            let spec = spec_of(&fault);
            if fault == Fault::default() {
                proptest::prop_assert_eq!(Fault::parse_spec(&spec), Err(FaultSpecError::Empty));
            } else {
                proptest::prop_assert_eq!(Fault::parse_spec(&spec).unwrap(), fault);
            }
        }
    }

    #[test]
    fn json_form() {
        let f: Fault = serde_json::from_str(r#"{"status": 429, "retry_after": 2}"#).unwrap();
        assert_eq!(f, Fault::status(429).retry_after(2));
        assert!(serde_json::from_str::<Fault>(r#"{"stauts": 429}"#).is_err());
        assert_eq!(
            serde_json::to_string(&Fault::drop_connection().times(1)).unwrap(),
            r#"{"drop_connection":true,"times":1}"#
        );
    }
}

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
/// let fault = Fault::status(429).retry_after(120).times(2);
/// assert_eq!(fault.status, Some(429));
/// let slow = Fault::delay(Duration::from_millis(250));
/// assert_eq!(slow.delay_ms, Some(250));
/// let lost_reply = Fault::status(502).after_handler().times(1);
/// assert!(lost_reply.check().is_ok());
/// let mut both = Fault::status(503);
/// both.redirect = true;
/// assert!(both.check().is_err(), "two replacements of one response");
/// ```
///
/// The same fault in the other two forms:
///
/// - command line: `--fault 'ENDPOINT:key=value,...'`, keys as the field names, booleans bare
///   (`--fault 'upload:status=502,after_handler,times=1'`, `--fault 'job_status:status=429,retry_after=120'`,
///   `--fault 'services:truncated'`, `--fault 'zip_upload:redirect,times=1'`);
/// - control API: `POST /__emulator/faults` with the fields as JSON, plus `endpoint`:
///   `{"endpoint": "upload", "status": 502, "after_handler": true, "times": 1}`.
///
/// What happens to a faulted request, in order:
///
/// 1. `delay_ms`: the request waits (real time) before it is processed. A client whose
///    timeout is shorter gives up; the emulator then never processes the request.
/// 2. One replacement of the response, at most: `drop_connection` (the connection is closed
///    with no response), `redirect` (`307 Temporary Redirect` with a `Location` on the
///    emulator's redirect target, `/__emulator/redirect-target/<original path>`, which answers
///    421 and counts the clients that follow it in [`Stats::redirects_followed`](crate::Stats)),
///    or `status` (that HTTP status and an error body: `{"error": "...", "code": "2201"}` with
///    the endpoint's system-error code, storage-style XML on `zip_upload`, or `body`; plus
///    `Retry-After: <retry_after>` when given).
///
///    With `after_handler`, steps 1 and 2 come after the request was processed instead (the
///    job exists, its reply is late, lost or replaced).
/// 3. `expire_upload_url` (only `upload` and `zip_upload`: an upload URL born expired, or the
///    `PUT` refused with the storage service's 403 "Request has expired").
/// 4. One cut of the body that is sent (the real response or the replacement):
///    `malformed_json` sends the first half of the body, framed as a complete response (a
///    correct `Content-Length`), so the client reads all of it and fails to parse it;
///    `truncated` declares the full `Content-Length`, sends the first half and closes the
///    connection, as a connection cut mid-response looks to a client (an "unexpected end of
///    body" error while reading it). An empty body (the zip `PUT`'s 200) is cut as if it were
///    `{}`.
///
/// [`Fault::check`] refuses combinations that cannot all happen (two replacements, both cuts,
/// a cut of a dropped connection, `retry_after` or `body` without `status`, `after_handler`
/// with nothing to move); the command line and the control API apply it, the Rust API
/// ([`Faults::set`], [`EmulatorBuilder::fault`](crate::EmulatorBuilder::fault)) does not (the
/// first replacement in the order above wins).
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
    /// Answer `307 Temporary Redirect` to the emulator's redirect target instead (with a
    /// `Location` header).
    #[serde(skip_serializing_if = "is_false")]
    pub redirect: bool,
    /// Send the first half of the body as the whole body (invalid JSON, correctly framed),
    /// keeping the status and the other headers.
    #[serde(skip_serializing_if = "is_false")]
    pub malformed_json: bool,
    /// Declare the full `Content-Length`, send the first half of the body, then close the
    /// connection.
    #[serde(skip_serializing_if = "is_false")]
    pub truncated: bool,
    /// On `upload`: the upload URL handed out is already expired. On `zip_upload`: the `PUT`
    /// is refused with the storage service's 403 "Request has expired" XML.
    #[serde(skip_serializing_if = "is_false")]
    pub expire_upload_url: bool,
    /// Apply `delay_ms` and the replacement (`status`, `drop_connection`, `redirect`) after
    /// the request was processed instead of before.
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

    /// Send half the response body as the whole body (invalid JSON).
    #[must_use]
    pub fn malformed_json() -> Self {
        Self {
            malformed_json: true,
            ..Self::default()
        }
    }

    /// Declare the full `Content-Length`, send half the body, close the connection.
    #[must_use]
    pub fn truncated() -> Self {
        Self {
            truncated: true,
            ..Self::default()
        }
    }

    /// Answer `307 Temporary Redirect` to the emulator's redirect target.
    #[must_use]
    pub fn redirect() -> Self {
        Self {
            redirect: true,
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

    /// Apply `delay_ms` and `status` / `drop_connection` / `redirect` after the request was
    /// processed.
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
                "redirect" => fault.redirect = flag(value)?,
                "malformed_json" => fault.malformed_json = flag(value)?,
                "truncated" => fault.truncated = flag(value)?,
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
        fault.check()?;
        Ok(fault)
    }

    /// Refuses a fault that does nothing or whose effects cannot all happen (see the type's
    /// docs).
    pub fn check(&self) -> Result<(), FaultSpecError> {
        if *self == Fault::default() {
            return Err(FaultSpecError::Empty);
        }
        if self.times == Some(0) {
            return Err(FaultSpecError::ZeroTimes);
        }
        let conflict = |text: &str| Err(FaultSpecError::Conflict(text.to_owned()));
        let replacements = [self.status.is_some(), self.drop_connection, self.redirect]
            .into_iter()
            .filter(|on| *on)
            .count();
        if replacements > 1 {
            return conflict(
                "status, drop_connection and redirect each replace the response: give one of them",
            );
        }
        if self.malformed_json && self.truncated {
            return conflict("malformed_json and truncated each cut the body: give one of them");
        }
        if self.drop_connection && (self.malformed_json || self.truncated) {
            return conflict("a dropped connection sends no body to cut");
        }
        if self.status.is_none() && self.retry_after.is_some() {
            return conflict("retry_after is a header of the status response: give status too");
        }
        if self.status.is_none() && self.body.is_some() {
            return conflict("body is the body of the status response: give status too");
        }
        if self.after_handler && replacements == 0 && self.delay_ms.is_none() {
            return conflict(
                "after_handler moves delay_ms, status, drop_connection or redirect after the request is processed: give one of them",
            );
        }
        Ok(())
    }

    /// [`Fault::check`], and whether the fault applies to `endpoint` (`expire_upload_url`
    /// only applies to `upload` and `zip_upload`).
    pub fn check_for(&self, endpoint: Endpoint) -> Result<(), FaultSpecError> {
        self.check()?;
        if self.expire_upload_url && !matches!(endpoint, Endpoint::Upload | Endpoint::ZipUpload) {
            return Err(FaultSpecError::NotApplicable {
                key: "expire_upload_url".to_owned(),
                endpoint,
            });
        }
        Ok(())
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
        "unknown fault key {0:?} (expected status, body, retry_after, delay_ms, drop_connection, redirect, malformed_json, truncated, expire_upload_url, after_handler, skip, times)"
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
    /// The effects cannot all happen (the text says why).
    #[error("fault: {0}")]
    Conflict(String),
    /// The fault means nothing on that endpoint.
    #[error(
        "fault key {key:?} does not apply to endpoint {endpoint} (only to upload and zip_upload)"
    )]
    NotApplicable {
        /// The key.
        key: String,
        /// The endpoint.
        endpoint: Endpoint,
    },
    /// `times=0`: the fault would apply to no request.
    #[error(
        "fault key \"times\": 0 would apply the fault to no request (give 1 or more, or leave times out to apply it until cleared)"
    )]
    ZeroTimes,
}

/// Parses `ENDPOINT:key=value,...` (`*` as the endpoint means every endpoint the fault
/// applies to: all of them, or `upload` and `zip_upload` for `expire_upload_url`).
pub fn parse_fault_arg(arg: &str) -> Result<Vec<(Endpoint, Fault)>, FaultSpecError> {
    let (endpoint, spec) = arg
        .split_once(':')
        .ok_or_else(|| FaultSpecError::MissingEndpoint(arg.to_owned()))?;
    let fault = Fault::parse_spec(spec)?;
    expand_endpoint(endpoint.trim(), fault)
}

/// The (endpoint, fault) pairs that `endpoint` (a name or `*`) stands for, each checked.
pub(crate) fn expand_endpoint(
    endpoint: &str,
    fault: Fault,
) -> Result<Vec<(Endpoint, Fault)>, FaultSpecError> {
    if endpoint == "*" {
        fault.check()?;
        return Ok(Endpoint::ALL
            .into_iter()
            .filter(|e| fault.check_for(*e).is_ok())
            .map(|e| (e, fault.clone()))
            .collect());
    }
    let endpoint: Endpoint = endpoint.parse()?;
    fault.check_for(endpoint)?;
    Ok(vec![(endpoint, fault)])
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
            (f.redirect, "redirect"),
            (f.malformed_json, "malformed_json"),
            (f.truncated, "truncated"),
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
            flags in proptest::array::uniform6(proptest::bool::ANY),
            skip in 0u32..10,
            times in proptest::option::of(1u32..10),
        ) {
            let fault = Fault {
                status, body: None, retry_after, delay_ms,
                drop_connection: flags[0], redirect: flags[1], malformed_json: flags[2],
                truncated: flags[3], expire_upload_url: flags[4], after_handler: flags[5],
                skip, times,
            };
            let json = serde_json::to_string(&fault).unwrap();
            proptest::prop_assert_eq!(&serde_json::from_str::<Fault>(&json).unwrap(), &fault);
            // The command-line form parses back to the same fault, or is refused for the
            // same reason `check` gives.
            let spec = spec_of(&fault);
            match fault.check() {
                Ok(()) => proptest::prop_assert_eq!(Fault::parse_spec(&spec).unwrap(), fault),
                Err(e) => proptest::prop_assert_eq!(Fault::parse_spec(&spec), Err(e)),
            }
        }
    }

    #[test]
    fn impossible_combinations_are_refused_with_a_reason() {
        for (spec, needle) in [
            ("status=500,drop_connection", "give one of them"),
            ("redirect,status=307", "give one of them"),
            ("malformed_json,truncated", "each cut the body"),
            ("drop_connection,truncated", "no body to cut"),
            ("retry_after=1", "give status too"),
            ("body=x", "give status too"),
            ("after_handler", "after_handler moves"),
            ("after_handler,times=2", "after_handler moves"),
        ] {
            match Fault::parse_spec(spec) {
                Err(e @ FaultSpecError::Conflict(_)) => {
                    assert!(e.to_string().contains(needle), "{spec}: {e}");
                }
                other => panic!("{spec}: {other:?}"),
            }
        }
        for ok in [
            "status=429,retry_after=120",
            "status=502,after_handler,times=1",
            "delay_ms=5000,after_handler",
            "redirect,after_handler",
            "status=500,truncated",
            "truncated",
            "redirect,times=1",
        ] {
            assert!(Fault::parse_spec(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn expire_upload_url_only_where_there_is_an_upload_url() {
        assert_eq!(
            parse_fault_arg("job_status:expire_upload_url"),
            Err(FaultSpecError::NotApplicable {
                key: "expire_upload_url".into(),
                endpoint: Endpoint::JobStatus
            })
        );
        let all = parse_fault_arg("*:expire_upload_url").unwrap();
        let endpoints: Vec<Endpoint> = all.iter().map(|(e, _)| *e).collect();
        assert_eq!(endpoints, vec![Endpoint::Upload, Endpoint::ZipUpload]);
        assert_eq!(
            parse_fault_arg("*:truncated").unwrap().len(),
            Endpoint::ALL.len()
        );
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

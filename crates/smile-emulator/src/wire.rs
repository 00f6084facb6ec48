//! Request reading, authentication and error responses shared by the v1 handlers.

use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::conn::is_body_timeout;
use crate::shared::Shared;
use smile_sign::parse_timestamp;

/// An API error: HTTP status, Smile code and message, answered as
/// `{"error": "...", "code": "NNNN"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) code: Option<String>,
    pub(crate) message: String,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: Some(code.to_owned()),
            message: message.into(),
        }
    }

    /// 2213 (or 2413 on the ID API): a required parameter is missing.
    pub(crate) fn missing(code: &str, field: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            code,
            format!("A required parameter is missing: {field}"),
        )
    }

    /// 2204: wrong data type.
    pub(crate) fn wrong_type(field: &str, expected: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "2204",
            format!("A parameter is of the wrong data type: {field} must be {expected}"),
        )
    }

    /// 2205 (or 2405 on the ID API): not authorised.
    pub(crate) fn unauthorized(code: &str, why: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            code,
            format!("You're not authorized to do that ({why})"),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = Map::new();
        body.insert("error".into(), Value::String(self.message));
        if let Some(code) = self.code {
            body.insert("code".into(), Value::String(code));
        }
        json_response(self.status, &Value::Object(body))
    }
}

/// A JSON response with `status`.
pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    (status, [(header::CONTENT_TYPE, "application/json")], bytes).into_response()
}

/// A handler's answer: 200 with the JSON body, or the error's response.
pub(crate) fn reply(result: Result<Value, ApiError>) -> Response {
    match result {
        Ok(v) => json_response(StatusCode::OK, &v),
        Err(e) => e.into_response(),
    }
}

/// Reads the whole body, refusing more than `limit` bytes with 413.
pub(crate) async fn read_body(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<axum::body::Bytes, ApiError> {
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "2204",
            format!("Request body too large: the limit is {limit} bytes"),
        )
    };
    if let Some(len) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        && len > limit as u64
    {
        return Err(too_large());
    }
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        if is_length_limit(&e) {
            too_large()
        } else if let Some(timeout) = is_body_timeout(&e) {
            ApiError {
                status: StatusCode::REQUEST_TIMEOUT,
                code: None,
                message: format!("Request Timeout: {timeout}"),
            }
        } else {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "2204",
                format!("Could not read the request body: {e}"),
            )
        }
    })
}

fn is_length_limit(e: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if s.to_string().contains("length limit exceeded") {
            return true;
        }
        source = s.source();
    }
    false
}

/// Reads a JSON object body.
pub(crate) async fn read_json(
    shared: &Shared,
    headers: &HeaderMap,
    body: Body,
) -> Result<Map<String, Value>, ApiError> {
    let bytes = read_body(headers, body, shared.config.max_json_body).await?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "2203",
            "Invalid JSON: the request body must be a JSON object",
        )),
        Err(e) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "2203",
            format!("Invalid JSON: {e}"),
        )),
    }
}

/// Checks the partner id (in `id_field`), `timestamp` and `signature` of a signed body.
/// `code` is 2205 (upload flow) or 2405 (ID API).
pub(crate) fn authenticate(
    shared: &Shared,
    body: &Map<String, Value>,
    id_field: &str,
    code: &str,
) -> Result<(), ApiError> {
    let partner = match body.get(id_field) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(_) => {
            return Err(ApiError::unauthorized(
                code,
                format!("{id_field} must be a string"),
            ));
        }
        None => {
            return Err(ApiError::unauthorized(
                code,
                format!("{id_field} is missing"),
            ));
        }
    };
    if partner != shared.config.partner_id {
        return Err(ApiError::unauthorized(
            code,
            format!("unknown partner id {partner:?}"),
        ));
    }
    let Some(Value::String(timestamp)) = body.get("timestamp") else {
        return Err(ApiError::unauthorized(code, "timestamp must be a string"));
    };
    let Some(Value::String(signature)) = body.get("signature") else {
        return Err(ApiError::unauthorized(code, "signature must be a string"));
    };
    let Ok(at) = parse_timestamp(timestamp) else {
        return Err(ApiError::unauthorized(
            code,
            format!("timestamp {timestamp:?} is not an RFC 3339 date-time with an offset"),
        ));
    };
    if let Some(tolerance) = shared.config.timestamp_tolerance {
        let now = shared.now();
        let skew = now.duration_since(at).unwrap_or_else(|e| e.duration());
        if skew > tolerance {
            return Err(ApiError::unauthorized(
                code,
                format!(
                    "timestamp {timestamp:?} is {} s away from the emulator's clock (tolerance {} s)",
                    skew.as_secs(),
                    tolerance.as_secs()
                ),
            ));
        }
    }
    if shared.signer.verify(timestamp, signature).is_err() {
        return Err(ApiError::unauthorized(
            code,
            "signature does not match the timestamp, partner id and API key",
        ));
    }
    Ok(())
}

/// A required non-empty string field.
pub(crate) fn req_str<'a>(
    map: &'a Map<String, Value>,
    key: &str,
    path: &str,
    missing_code: &str,
) -> Result<&'a str, ApiError> {
    match map.get(key) {
        None | Some(Value::Null) => Err(ApiError::missing(missing_code, path)),
        Some(Value::String(s)) if s.is_empty() => Err(ApiError::missing(missing_code, path)),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(ApiError::wrong_type(path, "a string")),
    }
}

/// An optional string field (`null` and `""` read as absent).
pub(crate) fn opt_str<'a>(
    map: &'a Map<String, Value>,
    key: &str,
) -> Result<Option<&'a str>, ApiError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ApiError::wrong_type(key, "a string")),
    }
}

/// An optional boolean (also `"true"` / `"false"`); absent is false.
pub(crate) fn opt_bool(map: &Map<String, Value>, key: &str) -> Result<bool, ApiError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(true),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(false),
        Some(_) => Err(ApiError::wrong_type(key, "a boolean")),
    }
}

/// `job_type` as a number or a numeric string.
pub(crate) fn job_type(
    map: &Map<String, Value>,
    path: &str,
    missing_code: &str,
) -> Result<u32, ApiError> {
    let bad = || ApiError::wrong_type(path, "a job type number");
    match map.get("job_type") {
        None | Some(Value::Null) => Err(ApiError::missing(missing_code, path)),
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(bad),
        Some(Value::String(s)) => s.trim().parse::<u32>().map_err(|_| bad()),
        Some(_) => Err(bad()),
    }
}

/// The caller's callback URL, checked to be an absolute http(s) URL.
pub(crate) fn callback_url(map: &Map<String, Value>) -> Result<Option<String>, ApiError> {
    let Some(url) = opt_str(map, "callback_url")? else {
        return Ok(None);
    };
    match url::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.has_host() => Ok(Some(url.to_owned())),
        _ => Err(ApiError::wrong_type(
            "callback_url",
            "an absolute http or https URL",
        )),
    }
}

/// `scheme://host[:port]` of this emulator as the client reached it (the `Host` header when it
/// looks like a host name, else the listening address).
pub(crate) fn origin(shared: &Shared, headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]_".contains(&b))
        })
        .unwrap_or(&shared.authority);
    format!("{}://{}", shared.scheme, host)
}

/// Random lowercase hex (not a secret-grade token; enough to make URLs unguessable in tests).
pub(crate) fn random_token() -> String {
    format!("{:032x}", fastrand::u128(..))
}

/// The duration as whole seconds since the Unix epoch (for URLs).
pub(crate) fn unix_secs(t: std::time::SystemTime) -> u64 {
    t.duration_since(std::time::UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs()
}

/// The signed response envelope: `timestamp`, `signature`, then `fields`.
pub(crate) fn signed(shared: &Shared, fields: Map<String, Value>) -> Value {
    let (timestamp, signature) = shared.signed_now();
    let mut m = Map::new();
    m.insert("timestamp".into(), json!(timestamp));
    m.insert("signature".into(), json!(signature));
    m.extend(fields);
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn field_readers() {
        let m = map(
            json!({"a": "x", "e": "", "n": 5, "b": true, "s": "FALSE", "jt": "2", "jn": 4, "bad": 2.5}),
        );
        assert_eq!(req_str(&m, "a", "a", "2213").unwrap(), "x");
        assert_eq!(
            req_str(&m, "e", "e", "2213").unwrap_err().code.as_deref(),
            Some("2213")
        );
        assert_eq!(
            req_str(&m, "zz", "zz", "2413").unwrap_err().code.as_deref(),
            Some("2413")
        );
        assert_eq!(
            req_str(&m, "n", "n", "2213").unwrap_err().code.as_deref(),
            Some("2204")
        );
        assert!(opt_bool(&m, "b").unwrap());
        assert!(!opt_bool(&m, "s").unwrap());
        assert!(!opt_bool(&m, "absent").unwrap());
        assert!(opt_bool(&m, "n").is_err());
        let jt = |v: Value| job_type(&map(json!({ "job_type": v })), "job_type", "2213");
        assert_eq!(jt(json!("2")).unwrap(), 2);
        assert_eq!(jt(json!(4)).unwrap(), 4);
        assert!(jt(json!(2.5)).is_err());
        assert!(jt(json!(-1)).is_err());
        assert!(jt(json!("two")).is_err());
        assert_eq!(jt(Value::Null).unwrap_err().code.as_deref(), Some("2213"));
    }

    #[test]
    fn callback_urls_must_be_absolute_http() {
        let cb = |v: Value| callback_url(&map(json!({ "callback_url": v })));
        assert_eq!(
            cb(json!("http://127.0.0.1:9/cb")).unwrap().as_deref(),
            Some("http://127.0.0.1:9/cb")
        );
        assert_eq!(cb(json!("")).unwrap(), None);
        assert_eq!(cb(Value::Null).unwrap(), None);
        for bad in [
            json!("/relative"),
            json!("ftp://x/y"),
            json!("mailto:a@b"),
            json!(3),
        ] {
            assert_eq!(cb(bad).unwrap_err().code.as_deref(), Some("2204"));
        }
    }

    #[test]
    fn error_body_shape() {
        let resp = ApiError::missing("2213", "partner_params.job_id").into_response();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
        assert_eq!(resp.headers()[header::CONTENT_TYPE], "application/json");
    }
}

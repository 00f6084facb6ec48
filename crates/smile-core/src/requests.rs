//! Request builders ([protocol §5.3](smile_types::protocol#53-step-2-prep-upload-request), §5.7, §7.1): exact bodies, headers and URLs.
//!
//! Bodies are compact JSON in the key order of [the protocol](smile_types::protocol), so they can be compared byte for
//! byte with `testdata/interop/canonical_job2.json`.

use std::time::Duration;

use http::header::{ACCEPT, CONTENT_LENGTH, CONTENT_TYPE, USER_AGENT};
use http::{HeaderValue, Method};
use serde_json::{Map, Value};
use smile_sign::SignedTimestamp;
use smile_types::{JobId, PartnerId, PartnerParams, UserId};

use crate::Body;
use crate::config::SOURCE_SDK;
use crate::server::BaseUrl;
use crate::transport::{HttpRequest, RequestKind, RequestTimeout};

/// The constant `file_name` of the prep upload and `info.json`.
pub const ZIP_FILE_NAME: &str = "selfie.zip";

/// The inputs of a `POST /upload` body (§5.3).
#[derive(Clone, Copy, Debug)]
pub struct PrepUploadParams<'a> {
    /// `smile_client_id`.
    pub partner_id: &'a PartnerId,
    /// `partner_params`.
    pub partner_params: &'a PartnerParams,
    /// The resolved callback URL; the key is left out when `None`.
    pub callback_url: Option<&'a str>,
    /// `use_enrolled_image`.
    pub use_enrolled_image: bool,
    /// `retry`: `true` only for the re-prep of §5.10.
    pub retry: bool,
    /// `source_sdk_version` (normally [`SDK_VERSION`](crate::SDK_VERSION)).
    pub sdk_version: &'a str,
    /// The fresh timestamp and its signature.
    pub signed: &'a SignedTimestamp,
}

pub(crate) fn to_vec(map: &Map<String, Value>) -> Vec<u8> {
    // Serializing a Map of plain JSON values cannot fail; fall back to an empty object rather
    // than panic.
    serde_json::to_vec(map).unwrap_or_else(|_| b"{}".to_vec())
}

/// The exact `POST /upload` body.
///
/// ```
/// use smile_core::requests::{PrepUploadParams, prep_upload_body};
/// use smile_sign::SignedTimestamp;
/// use smile_types::{JobType, PartnerId, PartnerParams};
///
/// let signed = SignedTimestamp {
///     timestamp: "2024-01-01T00:00:00.000Z".into(),
///     signature: "fPrLyD/xE8xIhfqurdEPHUPf3LN+5HSBoqYgPuTi3RI=".into(),
/// };
/// let params = PartnerParams::new("user-0001", "job-0002", JobType::SmartSelfieAuthentication);
/// let body = prep_upload_body(&PrepUploadParams {
///     partner_id: &PartnerId::new("085"),
///     partner_params: &params,
///     callback_url: None,
///     use_enrolled_image: false,
///     retry: false,
///     sdk_version: "0.1.0",
///     signed: &signed,
/// });
/// assert!(body.starts_with(br#"{"file_name":"selfie.zip","smile_client_id":"085","#));
/// assert!(!String::from_utf8(body).unwrap().contains("callback_url"));
/// ```
#[must_use]
pub fn prep_upload_body(p: &PrepUploadParams<'_>) -> Vec<u8> {
    let mut m = Map::new();
    m.insert("file_name".into(), ZIP_FILE_NAME.into());
    m.insert("smile_client_id".into(), p.partner_id.as_str().into());
    m.insert(
        "partner_params".into(),
        serde_json::to_value(p.partner_params).unwrap_or(Value::Null),
    );
    m.insert("model_parameters".into(), Value::Object(Map::new()));
    if let Some(cb) = p.callback_url {
        m.insert("callback_url".into(), cb.into());
    }
    m.insert("use_enrolled_image".into(), p.use_enrolled_image.into());
    m.insert("retry".into(), p.retry.into());
    m.insert("source_sdk".into(), SOURCE_SDK.into());
    m.insert("source_sdk_version".into(), p.sdk_version.into());
    m.insert("timestamp".into(), p.signed.timestamp.as_str().into());
    m.insert("signature".into(), p.signed.signature.as_str().into());
    to_vec(&m)
}

/// The inputs of a `POST /job_status` body (§7.1).
#[derive(Clone, Copy, Debug)]
pub struct JobStatusParams<'a> {
    /// `partner_id`.
    pub partner_id: &'a PartnerId,
    /// `user_id`.
    pub user_id: &'a UserId,
    /// `job_id`.
    pub job_id: &'a JobId,
    /// `image_links`.
    pub image_links: bool,
    /// `history`.
    pub history: bool,
    /// The fresh timestamp and its signature.
    pub signed: &'a SignedTimestamp,
}

/// The exact `POST /job_status` body.
#[must_use]
pub fn job_status_body(p: &JobStatusParams<'_>) -> Vec<u8> {
    let mut m = Map::new();
    m.insert("partner_id".into(), p.partner_id.as_str().into());
    m.insert("user_id".into(), p.user_id.as_str().into());
    m.insert("job_id".into(), p.job_id.as_str().into());
    m.insert("image_links".into(), p.image_links.into());
    m.insert("history".into(), p.history.into());
    m.insert("timestamp".into(), p.signed.timestamp.as_str().into());
    m.insert("signature".into(), p.signed.signature.as_str().into());
    to_vec(&m)
}

/// A signed JSON `POST` to `{base}/{path}` with `Content-Type` and `Accept:
/// application/json`, `Content-Length` and `User-Agent`, tagged with its [`RequestKind`] and
/// [`RequestTimeout`].
///
/// Returns `None` only if `user_agent` is not a valid header value or the URL cannot be used as
/// a request target (both are checked when a client is built).
#[must_use]
pub fn json_post(
    base: &BaseUrl,
    path: &str,
    body: Vec<u8>,
    user_agent: &str,
    kind: RequestKind,
    timeout: Duration,
) -> Option<HttpRequest> {
    let mut req = http::Request::builder()
        .method(Method::POST)
        .uri(base.endpoint(path))
        .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
        .header(ACCEPT, HeaderValue::from_static("application/json"))
        .header(CONTENT_LENGTH, body.len())
        .header(USER_AGENT, HeaderValue::from_str(user_agent).ok()?)
        .body(Body::from(body))
        .ok()?;
    req.extensions_mut().insert(kind);
    req.extensions_mut().insert(RequestTimeout(timeout));
    Some(req)
}

/// A `GET` to `{base}/{path}` with `Accept: application/json` and `User-Agent`, no body,
/// tagged like [`json_post`]. `None` as for [`json_post`].
#[must_use]
pub fn get_request(
    base: &BaseUrl,
    path: &str,
    user_agent: &str,
    kind: RequestKind,
    timeout: Duration,
) -> Option<HttpRequest> {
    let mut req = http::Request::builder()
        .method(Method::GET)
        .uri(base.endpoint(path))
        .header(ACCEPT, HeaderValue::from_static("application/json"))
        .header(USER_AGENT, HeaderValue::from_str(user_agent).ok()?)
        .body(Body::empty())
        .ok()?;
    req.extensions_mut().insert(kind);
    req.extensions_mut().insert(RequestTimeout(timeout));
    Some(req)
}

/// The zip `PUT` (§5.7): the upload URL verbatim, `Content-Type: application/zip` and
/// `Content-Length`, nothing else (no Smile fields, no `User-Agent` of ours, no chunked
/// transfer encoding). The body is the zip's chunks ([`smile_package::build_zip_chunks`]).
///
/// # Errors
/// The `http` error when `upload_url` is not a valid request target.
pub fn upload_put(
    upload_url: &str,
    zip: Body,
    timeout: Duration,
) -> Result<HttpRequest, http::Error> {
    let uri: http::Uri = upload_url.parse().map_err(http::Error::from)?;
    let mut req = http::Request::builder()
        .method(Method::PUT)
        .uri(uri)
        .header(CONTENT_TYPE, HeaderValue::from_static("application/zip"))
        .header(CONTENT_LENGTH, zip.len())
        .body(zip)?;
    req.extensions_mut().insert(RequestKind::Upload);
    req.extensions_mut().insert(RequestTimeout(timeout));
    Ok(req)
}

#[cfg(test)]
mod tests {
    use super::*;
    use smile_sign::Signer;
    use smile_types::JobType;

    fn canonical() -> Value {
        smile_testdata::interop("canonical_job2.json")
    }

    fn signer(v: &Value) -> Signer {
        Signer::new(
            PartnerId::new(v["inputs"]["partner_id"].as_str().unwrap()),
            v["inputs"]["api_key"].as_str().unwrap().to_owned(),
        )
    }

    #[test]
    fn prep_upload_matches_canonical_bytes() {
        let v = canonical();
        let inputs = &v["inputs"];
        let signer = signer(&v);
        let ts = inputs["timestamp"].as_str().unwrap();
        let signed = SignedTimestamp {
            timestamp: ts.to_owned(),
            signature: signer.sign(ts),
        };
        let pp = &inputs["partner_params"];
        let params = PartnerParams::new(
            pp["user_id"].as_str().unwrap(),
            pp["job_id"].as_str().unwrap(),
            JobType::from_code(u32::try_from(pp["job_type"].as_u64().unwrap()).unwrap()),
        );
        let body = prep_upload_body(&PrepUploadParams {
            partner_id: signer.partner_id(),
            partner_params: &params,
            callback_url: inputs["callback_url"].as_str(),
            use_enrolled_image: false,
            retry: false,
            sdk_version: inputs["sdk_version"].as_str().unwrap(),
            signed: &signed,
        });
        assert_eq!(
            String::from_utf8(body).unwrap(),
            v["prep_upload"]["body_text"].as_str().unwrap()
        );
    }

    #[test]
    fn first_job_status_matches_canonical_bytes() {
        let v = canonical();
        let signer = signer(&v);
        let want = &v["first_job_status"];
        let ts = want["body"]["timestamp"].as_str().unwrap();
        let signed = SignedTimestamp {
            timestamp: ts.to_owned(),
            signature: signer.sign(ts),
        };
        let pp = &v["inputs"]["partner_params"];
        let body = job_status_body(&JobStatusParams {
            partner_id: signer.partner_id(),
            user_id: &UserId::new(pp["user_id"].as_str().unwrap()),
            job_id: &JobId::new(pp["job_id"].as_str().unwrap()),
            image_links: false,
            history: false,
            signed: &signed,
        });
        assert_eq!(
            String::from_utf8(body).unwrap(),
            want["body_text"].as_str().unwrap()
        );
    }

    #[test]
    fn json_post_headers() {
        let base = BaseUrl::parse("http://127.0.0.1:9/v1/").unwrap();
        let req = json_post(
            &base,
            "job_status",
            b"{}".to_vec(),
            "smile-id-rust/0.1.0",
            RequestKind::JobStatus,
            Duration::from_secs(7),
        )
        .unwrap();
        assert_eq!(req.method(), Method::POST);
        assert_eq!(req.uri(), "http://127.0.0.1:9/v1/job_status");
        let h: Vec<(String, String)> = req
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_owned()))
            .collect();
        assert_eq!(
            h,
            [
                ("content-type", "application/json"),
                ("accept", "application/json"),
                ("content-length", "2"),
                ("user-agent", "smile-id-rust/0.1.0"),
            ]
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
        );
        assert_eq!(crate::request_timeout(&req), Some(Duration::from_secs(7)));
        assert_eq!(crate::request_kind(&req), Some(RequestKind::JobStatus));
        assert!(
            json_post(
                &base,
                "x",
                vec![],
                "bad\nua",
                RequestKind::JobStatus,
                Duration::ZERO
            )
            .is_none()
        );
    }

    #[test]
    fn put_is_verbatim_and_bare() {
        let v = canonical();
        let url = v["inputs"]["prep_upload_response"]["upload_url"]
            .as_str()
            .unwrap();
        let req = upload_put(url, vec![0u8; 6637].into(), Duration::from_secs(120)).unwrap();
        assert_eq!(req.method(), Method::PUT);
        assert_eq!(req.uri().to_string(), url);
        let want: Vec<(String, String)> = v["put"]["headers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p[0].as_str().unwrap().to_ascii_lowercase(),
                    p[1].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let got: Vec<(String, String)> = req
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_owned()))
            .collect();
        assert_eq!(got, want);
        assert!(upload_put("not a url", Body::empty(), Duration::ZERO).is_err());
    }
}

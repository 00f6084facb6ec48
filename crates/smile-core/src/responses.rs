//! Response parsing and classification ([protocol §2.2](smile_types::protocol#22-responses-and-http-status), §5.4, §7.2, §7.3).

use http::StatusCode;
use serde_json::{Map, Value};
use smile_sign::Signer;
use smile_types::{ErrorBody, JobId, JobStatusResponse, PrepUploadResponse, SmileJobId};

use crate::error::{Error, bounded_text};
use crate::transport::{HttpResponse, RequestKind};

/// What a submission (or call) already knows about its job when a response comes: the
/// `smile_job_id` an earlier response gave, and whether a 2215 said the job exists. Every
/// error built from a response carries it, plus any `smile_job_id` the response itself holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Seen {
    pub(crate) smile_job_id: Option<SmileJobId>,
    pub(crate) job_exists: bool,
}

impl Seen {
    pub(crate) fn id(id: Option<&SmileJobId>) -> Self {
        Self {
            smile_job_id: id.cloned(),
            job_exists: false,
        }
    }

    /// The known id, else one the body carries (even a body that is otherwise unusable).
    fn with_body(&self, body: &[u8]) -> Option<SmileJobId> {
        self.smile_job_id
            .clone()
            .or_else(|| scan_smile_job_id(body))
    }
}

/// The `smile_job_id` (or `SmileJobID`) a response body carries: from the JSON object when it
/// parses, else from the text (a body cut short still shows it), else `None`. Only digits are
/// taken, so nothing else of the body can leak into an id.
#[must_use]
pub fn scan_smile_job_id(body: &[u8]) -> Option<SmileJobId> {
    let digits = |s: &str| {
        (!s.is_empty() && s.len() <= 32 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| SmileJobId::new(s))
    };
    if let Ok(Value::Object(m)) = serde_json::from_slice::<Value>(body) {
        for key in ["smile_job_id", "SmileJobID"] {
            match m.get(key) {
                Some(Value::String(s)) => return digits(s),
                Some(Value::Number(n)) => return digits(&n.to_string()),
                _ => {}
            }
        }
        if let Some(Value::Object(r)) = m.get("result")
            && let Some(Value::String(s)) = r.get("SmileJobID")
        {
            return digits(s);
        }
        return None;
    }
    let text = String::from_utf8_lossy(&body[..body.len().min(MAX_SCAN)]);
    for key in ["\"smile_job_id\"", "\"SmileJobID\""] {
        let Some(at) = text.find(key) else { continue };
        let rest = text[at + key.len()..].trim_start();
        let Some(rest) = rest.strip_prefix(':') else {
            continue;
        };
        let rest = rest.trim_start();
        let rest = rest.strip_prefix('"').unwrap_or(rest);
        let end = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        // A number cut at the end of the text may be incomplete: only take it when something
        // follows it.
        if end < rest.len()
            && let Some(id) = digits(&rest[..end])
        {
            return Some(id);
        }
    }
    None
}

/// How much of a body [`scan_smile_job_id`] reads as text.
const MAX_SCAN: usize = 64 * 1024;

/// Builds [`Error::Api`] from an error response (any status; the body may be JSON with
/// `error`/`message`/`code`, or not JSON at all). A `smile_job_id` in the body is kept.
#[must_use]
pub fn api_error(
    during: RequestKind,
    response: &HttpResponse,
    smile_job_id: Option<&SmileJobId>,
) -> Error {
    api_error_seen(during, response, &Seen::id(smile_job_id))
}

pub(crate) fn api_error_seen(during: RequestKind, response: &HttpResponse, seen: &Seen) -> Error {
    let body = response.body();
    let parsed = ErrorBody::from_json(body).ok();
    Error::Api {
        during,
        status: response.status(),
        code: parsed.as_ref().and_then(ErrorBody::api_code),
        message: parsed.as_ref().and_then(ErrorBody::text).map(str::to_owned),
        body: bounded_text(body),
        smile_job_id: seen.with_body(body),
        job_exists: seen.job_exists,
    }
}

pub(crate) fn unexpected(
    during: RequestKind,
    response: &HttpResponse,
    problem: impl Into<String>,
    seen: &Seen,
) -> Error {
    Error::UnexpectedResponse {
        during,
        status: response.status(),
        problem: problem.into(),
        body: bounded_text(response.body()),
        smile_job_id: seen.with_body(response.body()),
        job_exists: seen.job_exists,
    }
}

/// The JSON object of a 2xx body, or the error that describes why there is none.
pub(crate) fn object_of(
    during: RequestKind,
    response: &HttpResponse,
    seen: &Seen,
) -> Result<Map<String, Value>, Error> {
    match serde_json::from_slice::<Value>(response.body()) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(unexpected(
            during,
            response,
            "the body is JSON but not an object",
            seen,
        )),
        Err(_) => Err(unexpected(during, response, "the body is not JSON", seen)),
    }
}

/// A 2xx body that carries `error` (or `success: false`) and lacks `required` is an API error
/// ([protocol §2.2](smile_types::protocol#22-responses-and-http-status): the official SDKs return such bodies as success).
pub(crate) fn error_in_success(
    during: RequestKind,
    response: &HttpResponse,
    map: &Map<String, Value>,
    required: &str,
    seen: &Seen,
) -> Option<Error> {
    if map.contains_key(required) {
        return None;
    }
    let eb = ErrorBody::from_map(map.clone());
    eb.is_error().then(|| Error::Api {
        during,
        status: response.status(),
        code: eb.api_code(),
        message: eb.text().map(str::to_owned),
        body: bounded_text(response.body()),
        smile_job_id: seen.with_body(response.body()),
        job_exists: seen.job_exists,
    })
}

/// Parses a 2xx `POST /upload` response: `upload_url` and `smile_job_id` are required, the
/// whole object is kept (it becomes `info.json`'s `server_information`).
///
/// `smile_job_id` is the job already known (for a re-prep), used to tag errors.
///
/// # Errors
/// [`Error::Api`] for an error body with a 2xx status, [`Error::UnexpectedResponse`] for
/// anything else that is not a valid prep-upload response.
pub fn parse_prep_upload(
    response: &HttpResponse,
    smile_job_id: Option<&SmileJobId>,
) -> Result<PrepUploadResponse, Error> {
    parse_prep_upload_seen(response, &Seen::id(smile_job_id))
}

pub(crate) fn parse_prep_upload_seen(
    response: &HttpResponse,
    seen: &Seen,
) -> Result<PrepUploadResponse, Error> {
    let during = RequestKind::PrepUpload;
    let map = object_of(during, response, seen)?;
    if let Some(e) = error_in_success(during, response, &map, "upload_url", seen) {
        return Err(e);
    }
    let mut redacted = map.clone();
    PrepUploadResponse::from_map(map).map_err(|e| {
        // The error keeps the body, but never a presigned URL's query (a credential).
        if redacted.contains_key("upload_url") {
            redacted.insert("upload_url".into(), "[redacted]".into());
        }
        let body = serde_json::to_vec(&redacted).unwrap_or_default();
        let shown = http::Response::builder()
            .status(response.status())
            .body(body)
            .unwrap_or_default();
        unexpected(during, &shown, e.to_string(), seen)
    })
}

/// Parses and **verifies** a 2xx `POST /job_status` response ([protocol §3.4](smile_types::protocol#34-verifying-a-signature-responses-and-callbacks), §7.2).
///
/// # Errors
/// [`Error::ResponseSignatureInvalid`] when `timestamp`/`signature` are missing or do not
/// verify; [`Error::Api`] for an error body with a 2xx status; [`Error::UnexpectedResponse`]
/// when the body is not a JSON object.
pub fn parse_job_status(
    response: &HttpResponse,
    signer: &Signer,
    job_id: &JobId,
    smile_job_id: Option<&SmileJobId>,
) -> Result<JobStatusResponse, Error> {
    let during = RequestKind::JobStatus;
    let seen = Seen::id(smile_job_id);
    let map = object_of(during, response, &seen)?;
    if let Some(e) = error_in_success(during, response, &map, "job_complete", &seen) {
        return Err(e);
    }
    if let Err(source) = signer.verify_object(&map) {
        return Err(Error::ResponseSignatureInvalid {
            smile_job_id: smile_job_id.cloned(),
            job_id: job_id.clone(),
            source,
        });
    }
    Ok(JobStatusResponse::from_map(map))
}

/// Whether a response status is a success (any 2xx).
pub(crate) fn is_success(status: StatusCode) -> bool {
    status.is_success()
}

#[cfg(test)]
mod tests {
    use super::*;
    use smile_types::PartnerId;

    fn resp(status: u16, body: &str) -> HttpResponse {
        http::Response::builder()
            .status(status)
            .body(body.as_bytes().to_vec())
            .unwrap()
    }

    fn samples() -> Value {
        smile_testdata::interop("job_status_responses.json")
    }

    fn sample(v: &Value, name: &str) -> HttpResponse {
        let s = v["samples"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("no sample {name}"));
        resp(
            u16::try_from(s["http_status"].as_u64().unwrap()).unwrap(),
            s["body_text"].as_str().unwrap(),
        )
    }

    fn signer(v: &Value) -> Signer {
        Signer::new(
            PartnerId::new(v["signing"]["partner_id"].as_str().unwrap()),
            v["signing"]["api_key"].as_str().unwrap().to_owned(),
        )
    }

    #[test]
    fn job_status_samples() {
        let v = samples();
        let signer = signer(&v);
        let job = JobId::new("job-0002");
        for s in v["samples"].as_array().unwrap() {
            let name = s["name"].as_str().unwrap();
            let r = sample(&v, name);
            let expect = &s["expect"];
            if !r.status().is_success() {
                if name.starts_with("put_") {
                    continue;
                }
                let e = api_error(RequestKind::JobStatus, &r, None);
                let Error::Api {
                    code,
                    message,
                    body,
                    status,
                    ..
                } = &e
                else {
                    panic!("{name}: {e:?}")
                };
                assert_eq!(*status, r.status(), "{name}");
                assert_eq!(
                    code.as_ref().map(|c| c.as_str()),
                    expect["code"].as_str(),
                    "{name}"
                );
                if let Some(m) = expect["message"].as_str() {
                    assert_eq!(message.as_deref(), Some(m), "{name}");
                }
                assert_eq!(body, s["body_text"].as_str().unwrap(), "{name}");
                let transient = expect["sdk_outcome"]
                    .as_str()
                    .unwrap()
                    .contains("transient");
                assert_eq!(e.is_transient(), transient, "{name}");
                continue;
            }
            match parse_job_status(&r, &signer, &job, None) {
                Ok(st) => {
                    assert_eq!(expect["signature_valid"], true, "{name}");
                    assert_eq!(
                        st.job_complete(),
                        expect["job_complete"].as_bool(),
                        "{name}"
                    );
                    if let Some(code) = expect["result_code"].as_str() {
                        let i = st.interpret(None).unwrap();
                        assert_eq!(i.code.unwrap().as_str(), code, "{name}");
                    }
                }
                Err(Error::ResponseSignatureInvalid { job_id, .. }) => {
                    assert_ne!(expect["signature_valid"], true, "{name}");
                    assert_eq!(job_id, job);
                }
                Err(e) => panic!("{name}: {e}"),
            }
        }
    }

    #[test]
    fn error_bodies() {
        let xml = "<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code></Error>";
        let e = api_error(RequestKind::Upload, &resp(403, xml), None);
        assert!(matches!(&e, Error::Api { code: None, message: None, body, .. } if body == xml));
        assert!(e.to_string().contains("HTTP 403"), "{e}");

        let big = "x".repeat(100_000);
        let Error::Api { body, .. } = api_error(RequestKind::PrepUpload, &resp(500, &big), None)
        else {
            panic!()
        };
        assert_eq!(body.len(), crate::error::MAX_ERROR_BODY_BYTES);

        let e = api_error(
            RequestKind::PrepUpload,
            &resp(
                401,
                r#"{"code":2205,"error":"You're not authorized to do that."}"#,
            ),
            None,
        );
        assert_eq!(e.code(), Some("2205"));
        assert!(e.to_string().contains("2205") && e.to_string().contains("not authorized"));
    }

    #[test]
    fn prep_upload_parsing() {
        let ok = resp(
            200,
            r#"{"upload_url":"https://u.example/x?a=1","ref_id":"r","smile_job_id":57,"camera_config":null,"code":"2202","extra":1}"#,
        );
        let p = parse_prep_upload(&ok, None).unwrap();
        assert_eq!(p.smile_job_id.as_str(), "57");
        assert_eq!(p.raw.keys().next_back().unwrap(), "extra");

        let e =
            parse_prep_upload(&resp(200, r#"{"error":"boom","code":"2201"}"#), None).unwrap_err();
        assert!(
            matches!(&e, Error::Api { status, .. } if *status == 200),
            "{e:?}"
        );
        assert_eq!(e.code(), Some("2201"));

        for (body, needle) in [
            (r#"{"smile_job_id":"1"}"#, "upload_url"),
            (r#"{"upload_url":"https://x"}"#, "smile_job_id"),
            ("<html>", "not JSON"),
            ("[1]", "not an object"),
            (r#"{"upload_url":""}"#, "upload_url"),
        ] {
            let e = parse_prep_upload(&resp(200, body), None).unwrap_err();
            assert!(
                matches!(&e, Error::UnexpectedResponse { problem, .. } if problem.contains(needle)),
                "{body}: {e:?}"
            );
        }
    }

    #[test]
    fn error_in_2xx_job_status() {
        let v = samples();
        let signer = signer(&v);
        let e = parse_job_status(
            &resp(200, r#"{"error":"No such job","code":"2301"}"#),
            &signer,
            &JobId::new("j"),
            Some(&SmileJobId::new("1")),
        )
        .unwrap_err();
        assert!(matches!(&e, Error::Api { .. }), "{e:?}");
        assert_eq!(e.smile_job_id().unwrap().as_str(), "1");
    }
}

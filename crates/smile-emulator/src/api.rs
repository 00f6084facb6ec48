//! The signed v1 endpoints of the upload flow: `POST /upload`, `POST /job_status`,
//! `POST /token`, `GET /services`, `POST /valid_documents`.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value, json};

use smile_types::{ErrorCodeInfo, ErrorCodeKind};

use crate::outcome::{self, ERROR_KEY};
use crate::processing;
use crate::shared::Shared;
use crate::store::{Job, JobKind, JobPhase, PartnerParams, UploadSlot};
use crate::wire::{
    ApiError, authenticate, callback_url, job_type, json_response, opt_bool, origin, random_token,
    read_json, reply, req_str, signed, unix_secs,
};

/// Request extension set by the fault layer: hand out an already expired upload URL.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ExpireUploadUrl;

/// The keys of `partner_params` that are not extras.
const FIXED_KEYS: [&str; 3] = ["user_id", "job_id", "job_type"];

pub(crate) fn partner_params(
    body: &Map<String, Value>,
    missing_code: &str,
) -> Result<PartnerParams, ApiError> {
    let pp = match body.get("partner_params") {
        None | Some(Value::Null) => return Err(ApiError::missing(missing_code, "partner_params")),
        Some(Value::Object(pp)) => pp,
        Some(_) => return Err(ApiError::wrong_type("partner_params", "an object")),
    };
    let user_id = req_str(pp, "user_id", "partner_params.user_id", missing_code)?.to_owned();
    let job_id = req_str(pp, "job_id", "partner_params.job_id", missing_code)?.to_owned();
    let job_type = job_type(pp, "partner_params.job_type", missing_code)?;
    let extras = pp
        .iter()
        .filter(|(k, _)| !FIXED_KEYS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Ok(PartnerParams {
        user_id,
        job_id,
        job_type,
        extras,
    })
}

/// `emulator_error` in partner params: fail the request with that error code.
pub(crate) fn requested_error(extras: &Map<String, Value>) -> Result<(), ApiError> {
    let Some(code) = extras.get(ERROR_KEY) else {
        return Ok(());
    };
    let Some(code) = code.as_str() else {
        return Err(ApiError::wrong_type(
            "partner_params.emulator_error",
            "a string error code",
        ));
    };
    let info = ErrorCodeInfo::lookup(code)
        .filter(|info| info.kind == ErrorCodeKind::Error)
        .ok_or_else(|| {
            ApiError::wrong_type(
                "partner_params.emulator_error",
                &format!("an error code of the table (got {code:?})"),
            )
        })?;
    // The table gives approximate statuses ("400", "4xx", "401/403", "5xx/4xx").
    let status = match info.http_status.unwrap_or("4xx") {
        s if s.starts_with('5') => StatusCode::INTERNAL_SERVER_ERROR,
        s if s.starts_with("401") => StatusCode::UNAUTHORIZED,
        _ => StatusCode::BAD_REQUEST,
    };
    let text = info.text.or(info.meaning).unwrap_or("Error");
    Err(ApiError::new(status, code, text))
}

/// Error 2215: a job with this `job_id` exists already.
pub(crate) fn job_exists() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "2215",
        "Job already exists. Did you mean to set the retry flag to true?",
    )
}

/// `POST /v1/upload`.
pub(crate) async fn upload(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    reply(upload_inner(&shared, req).await)
}

async fn upload_inner(shared: &Shared, req: Request) -> Result<Value, ApiError> {
    let (parts, body) = req.into_parts();
    let expire = parts.extensions.get::<ExpireUploadUrl>().is_some();
    let body = read_json(shared, &parts.headers, body).await?;
    authenticate(shared, &body, "smile_client_id", "2205")?;
    let pp = partner_params(&body, "2213")?;
    if !matches!(pp.job_type, 1 | 2 | 4 | 6 | 11) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "2212",
            format!(
                "Invalid job type: {} (the upload flow takes 1, 2, 4, 6 and 11; 5 and 7 use the ID API)",
                pp.job_type
            ),
        ));
    }
    requested_error(&pp.extras)?;
    let chosen = outcome::choose(pp.job_type, &pp.extras)
        .map_err(|msg| ApiError::new(StatusCode::BAD_REQUEST, "2204", msg))?;
    if let Some(v) = body.get("file_name")
        && !v.is_string()
    {
        return Err(ApiError::wrong_type("file_name", "a string"));
    }
    if let Some(v) = body.get("model_parameters")
        && !(v.is_object() || v.is_null())
    {
        return Err(ApiError::wrong_type("model_parameters", "an object"));
    }
    let callback = callback_url(&body)?;
    let use_enrolled_image = opt_bool(&body, "use_enrolled_image")?;
    let retry = opt_bool(&body, "retry")?;
    let now = shared.now();
    let ttl = shared.config.upload_url_ttl;
    let slot = UploadSlot {
        token: random_token(),
        expires_at: if expire {
            now.checked_sub(std::time::Duration::from_secs(1))
                .unwrap_or(now)
        } else {
            crate::shared::later(now, ttl)
        },
        received: false,
    };
    let origin = origin(shared, &parts.headers);
    let smile_job_id = {
        let mut guard = shared.store();
        let store = &mut *guard;
        if let Some(job) = store.jobs.get_mut(&pp.job_id) {
            if !retry
                || job.kind != JobKind::Upload
                || job.user_id != pp.user_id
                || job.job_type != pp.job_type
            {
                return Err(job_exists());
            }
            // A retry: a new upload URL for the existing job; earlier URLs stop working.
            if let Some(old) = job.upload.replace(slot.clone()) {
                store.uploads.remove(&old.token);
            }
            store.uploads.insert(slot.token.clone(), job.job_id.clone());
            if let Some(url) = callback.clone() {
                job.callback_url = Some(url);
            }
            job.smile_job_id.clone()
        } else {
            let user = store.users.get(&pp.user_id);
            let needs_enrolled =
                pp.job_type == 2 || (use_enrolled_image && matches!(pp.job_type, 6 | 11));
            if needs_enrolled {
                match user {
                    None => {
                        return Err(ApiError::new(
                            StatusCode::BAD_REQUEST,
                            "2210",
                            format!("No enrolled user found for user_id {:?}", pp.user_id),
                        ));
                    }
                    Some(u) if !u.has_photo => {
                        return Err(ApiError::new(
                            StatusCode::BAD_REQUEST,
                            "2216",
                            "Enrolled user does not have a photo on file",
                        ));
                    }
                    Some(_) => {}
                }
            }
            if pp.job_type == 4
                && user.is_some_and(|u| u.job_id.as_deref() != Some(pp.job_id.as_str()))
            {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "2209",
                    format!(
                        "Wrong user id. This user is already enrolled with user_id {:?}",
                        pp.user_id
                    ),
                ));
            }
            let smile_job_id = store.next_smile_job_id();
            let job = Job {
                callback_url: callback,
                use_enrolled_image,
                upload: Some(slot.clone()),
                ..Job::new(
                    smile_job_id.clone(),
                    &pp,
                    pp.job_type,
                    JobKind::Upload,
                    now,
                    chosen,
                )
            };
            store.uploads.insert(slot.token.clone(), pp.job_id.clone());
            store.jobs.insert(pp.job_id.clone(), job);
            smile_job_id
        }
    };
    shared.persist();
    let ref_id = format!(
        "{}-{}-{}",
        shared.config.partner_id,
        smile_job_id,
        &slot.token[..8]
    );
    let upload_url = format!(
        "{origin}/__emulator/uploads/{}/selfie.zip?expires={}",
        slot.token,
        unix_secs(slot.expires_at)
    );
    Ok(json!({
        "upload_url": upload_url,
        "ref_id": ref_id,
        "smile_job_id": smile_job_id,
        "camera_config": null,
        "code": "2202",
    }))
}

/// `POST /v1/job_status`.
pub(crate) async fn job_status(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    reply(job_status_inner(&shared, req).await)
}

async fn job_status_inner(shared: &Shared, req: Request) -> Result<Value, ApiError> {
    let (parts, body) = req.into_parts();
    let body = read_json(shared, &parts.headers, body).await?;
    authenticate(shared, &body, "partner_id", "2205")?;
    let user_id = req_str(&body, "user_id", "user_id", "2213")?;
    let job_id = req_str(&body, "job_id", "job_id", "2213")?;
    let history = opt_bool(&body, "history")?;
    let image_links = opt_bool(&body, "image_links")?;
    processing::run_due(shared);
    let origin = origin(shared, &parts.headers);
    let store = shared.store();
    let job = store
        .jobs
        .get(job_id)
        .filter(|j| j.user_id == user_id)
        .ok_or_else(|| ApiError {
            status: StatusCode::NOT_FOUND,
            code: None,
            message: format!("No job found for user_id {user_id:?} and job_id {job_id:?}"),
        })?;
    let mut fields = Map::new();
    let complete = job.phase == JobPhase::Complete;
    let last = job.results.last();
    let success = complete
        && last
            .and_then(|r| r.get("ResultCode"))
            .and_then(Value::as_str)
            .is_some_and(|c| outcome::is_success(job.job_type, c));
    fields.insert("job_complete".into(), json!(complete));
    fields.insert("job_success".into(), json!(success));
    fields.insert("code".into(), json!("2302"));
    let result = match (job.phase, last) {
        (JobPhase::Complete, Some(entry)) => Value::Object(entry.clone()),
        (JobPhase::AwaitingUpload, _) => json!("No zip uploaded"),
        _ => Value::Null,
    };
    fields.insert("result".into(), result);
    if history {
        fields.insert(
            "history".into(),
            Value::Array(job.results.iter().cloned().map(Value::Object).collect()),
        );
    }
    if image_links {
        let mut links = Map::new();
        for (name, token) in &job.images {
            if store.images.contains_key(token) {
                links.insert(
                    name.clone(),
                    json!(format!("{origin}/__emulator/images/{token}")),
                );
            }
        }
        if links.is_empty() {
            links.insert("error".into(), json!("No images on file for this job"));
        }
        fields.insert("image_links".into(), Value::Object(links));
    }
    fields.insert("success".into(), json!(true));
    fields.insert("smile_job_id".into(), json!(job.smile_job_id));
    drop(store);
    Ok(signed(shared, fields))
}

/// `POST /v1/token`: checks the callback URL first, then `user_id`, `job_id` and `product`,
/// with the official SDKs' messages (protocol §6.2).
pub(crate) async fn token(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let result = async {
        let (parts, body) = req.into_parts();
        let body = read_json(&shared, &parts.headers, body).await?;
        authenticate(&shared, &body, "partner_id", "2205")?;
        if callback_url(&body)?.is_none() {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "2213",
                "Callback URL is required for this method",
            ));
        }
        let required = |key: &str| {
            req_str(&body, key, key, "2213").map_err(|e| match e.code.as_deref() {
                Some("2213") => ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "2213",
                    format!("{key} is required to get a web token"),
                ),
                _ => e,
            })
        };
        required("user_id")?;
        required("job_id")?;
        let product = required("product")?.to_owned();
        let n = {
            let mut store = shared.store();
            store.tokens_issued += 1;
            store.tokens_issued
        };
        Ok(json!({
            "success": true,
            "token": format!("emulator-web-token-{product}-{n}-{}", random_token()),
        }))
    }
    .await;
    reply(result)
}

/// `GET /v1/services`.
pub(crate) async fn services() -> Response {
    json_response(
        StatusCode::OK,
        &json!({
            "bank_codes": [
                {"name": "Emulator Bank", "code": "000"},
                {"name": "Sample Savings", "code": "001"}
            ],
            "hosted_web": {
                "basic_kyc": {},
                "biometric_kyc": {
                    "NG": {"id_types": {"BVN": {"id_number_regex": "^[0-9]{11}$"}, "NIN": {"id_number_regex": "^[0-9]{11}$"}}},
                    "KE": {"id_types": {"NATIONAL_ID": {"id_number_regex": "^[0-9]{1,9}$"}}}
                },
                "enhanced_kyc": {
                    "NG": {"id_types": {"BVN": {}, "NIN": {}}},
                    "KE": {"id_types": {"NATIONAL_ID": {}}}
                },
                "doc_verification": {
                    "NG": {"id_types": {"PASSPORT": {}, "DRIVERS_LICENSE": {}}},
                    "KE": {"id_types": {"NATIONAL_ID": {}, "PASSPORT": {}}}
                },
                "enhanced_document_verification": {
                    "NG": {"id_types": {"NIN_SLIP": {}, "PASSPORT": {}}}
                },
                "ekyc_smartselfie": {
                    "NG": {"id_types": {"BVN": {}, "NIN": {}}}
                }
            }
        }),
    )
}

/// `POST /v1/valid_documents`.
pub(crate) async fn valid_documents(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let result = async {
        let (parts, body) = req.into_parts();
        let body = read_json(&shared, &parts.headers, body).await?;
        authenticate(&shared, &body, "partner_id", "2205")?;
        Ok::<_, ApiError>(json!({
            "valid_documents": [
                {
                    "country": {"code": "NG", "continent": "Africa", "name": "Nigeria"},
                    "id_types": [
                        {"code": "DRIVERS_LICENSE", "example": ["ABC000000000"], "has_back": false, "name": "Driver's License"},
                        {"code": "PASSPORT", "example": ["A00000000"], "has_back": false, "name": "Passport"},
                        {"code": "VOTER_ID", "example": ["0000000000000000000"], "has_back": true, "name": "Voter's Identification Card"}
                    ]
                },
                {
                    "country": {"code": "KE", "continent": "Africa", "name": "Kenya"},
                    "id_types": [
                        {"code": "NATIONAL_ID", "example": ["00000000"], "has_back": true, "name": "National ID"},
                        {"code": "PASSPORT", "example": ["A0000000"], "has_back": false, "name": "Passport"}
                    ]
                },
                {
                    "country": {"code": "GH", "continent": "Africa", "name": "Ghana"},
                    "id_types": [
                        {"code": "GHANA_CARD", "example": ["GHA-000000000-0"], "has_back": true, "name": "Ghana Card"}
                    ]
                },
                {
                    "country": {"code": "ZA", "continent": "Africa", "name": "South Africa"},
                    "id_types": [
                        {"code": "GREEN_BOOK", "example": ["0000000000000"], "has_back": false, "name": "Green Book"}
                    ]
                }
            ]
        }))
    }
    .await;
    reply(result)
}

//! The ID API: Enhanced KYC (job type 5) and Business Verification (job type 7), sync and async.

use std::sync::Arc;

use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value, json};

use crate::api::{job_exists, partner_params, requested_error};
use crate::outcome::{self, EntryContext, id_result_entry};
use crate::shared::Shared;
use crate::store::{Job, JobKind, JobPhase};
use crate::wire::{ApiError, authenticate, callback_url, read_json, reply, req_str};

/// Top-level ID fields copied from an Enhanced KYC request.
const ID_FIELDS: &[&str] = &[
    "country",
    "id_type",
    "id_number",
    "first_name",
    "middle_name",
    "last_name",
    "dob",
    "phone_number",
    "business_type",
];

const BUSINESS_ID_TYPES: &[&str] = &[
    "BASIC_BUSINESS_REGISTRATION",
    "BUSINESS_REGISTRATION",
    "TAX_INFORMATION",
];

/// Which ID API call.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Call {
    Kyc { is_async: bool },
    Business { is_async: bool },
}

impl Call {
    fn job_type(self) -> u32 {
        match self {
            Call::Kyc { .. } => 5,
            Call::Business { .. } => 7,
        }
    }

    fn is_async(self) -> bool {
        match self {
            Call::Kyc { is_async } | Call::Business { is_async } => is_async,
        }
    }
}

/// `POST /v1/id_verification`, `/async_id_verification`, `/business_verification`,
/// `/async_business_verification`.
pub(crate) async fn handle(shared: Arc<Shared>, call: Call, req: Request) -> Response {
    reply(inner(&shared, call, req).await)
}

/// The ID API reports field problems, wrong types included, with 2413 (the upload flow's 2204
/// and 2213 have no ID-API use; protocol §10.5).
fn id_api_code(mut e: ApiError) -> ApiError {
    if e.code.as_deref() == Some("2204") {
        e.code = Some("2413".to_owned());
    }
    e
}

async fn inner(shared: &Shared, call: Call, req: Request) -> Result<Value, ApiError> {
    let (parts, body) = req.into_parts();
    let body = read_json(shared, &parts.headers, body).await?;
    authenticate(shared, &body, "partner_id", "2405")?;
    let pp = partner_params(&body, "2413").map_err(id_api_code)?;
    let expected = call.job_type();
    if pp.job_type != expected {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "2413",
            format!(
                "\"job_type\" must be {expected} for this endpoint (got {})",
                pp.job_type
            ),
        ));
    }
    requested_error(&pp.extras)?;
    let mut id_info = Map::new();
    for key in ["country", "id_type", "id_number"] {
        req_str(&body, key, key, "2413").map_err(id_api_code)?;
    }
    for key in ID_FIELDS {
        if let Some(v) = body.get(*key) {
            if !v.is_string() {
                return Err(id_api_code(ApiError::wrong_type(key, "a string")));
            }
            id_info.insert((*key).to_owned(), v.clone());
        }
    }
    if let Some(Value::String(c)) = id_info.get("country")
        && !(c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()))
    {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "2413",
            format!("\"country\" must be an ISO 3166-1 alpha-2 code in upper case (got {c:?})"),
        ));
    }
    if let Call::Business { .. } = call {
        let id_type = id_info
            .get("id_type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !BUSINESS_ID_TYPES.contains(&id_type) {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "2413",
                format!(
                    "\"id_type\" must be one of [{}]",
                    BUSINESS_ID_TYPES.join(", ")
                ),
            ));
        }
        if let Some(bt) = id_info.get("business_type").and_then(Value::as_str)
            && !matches!(bt, "bn" | "co" | "it")
        {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "2413",
                "Unsupported business type",
            ));
        }
    }
    let callback = callback_url(&body).map_err(id_api_code)?;
    if call.is_async() && callback.is_none() {
        return Err(ApiError::missing("2413", "callback_url"));
    }
    let chosen = outcome::choose(expected, &pp.extras)
        .map_err(|msg| ApiError::new(StatusCode::BAD_REQUEST, "2413", msg))?;
    let now = shared.now();
    let (smile_job_id, entry) = {
        let mut store = shared.store();
        if store.jobs.contains_key(&pp.job_id) {
            return Err(job_exists());
        }
        let smile_job_id = store.next_smile_job_id();
        let mut job = Job {
            callback_url: callback,
            phase: JobPhase::Processing,
            processing_due: Some(crate::shared::later(now, shared.config.processing_delay)),
            id_info,
            ..Job::new(
                smile_job_id.clone(),
                &pp,
                expected,
                JobKind::IdApi,
                now,
                chosen,
            )
        };
        let entry = if call.is_async() {
            None
        } else {
            // The sync call answers at once; its result is also kept for job_status.
            let ctx = EntryContext {
                job_type: expected,
                smile_job_id: &job.smile_job_id,
                partner_params: &job.partner_params,
            };
            let entry = id_result_entry(&ctx, &job.outcome.result, &job.id_info);
            job.results.push(entry.clone());
            job.phase = JobPhase::Complete;
            job.processing_due = None;
            Some(entry)
        };
        store.jobs.insert(pp.job_id.clone(), job);
        (smile_job_id, entry)
    };
    shared.persist();
    match entry {
        Some(mut body) => {
            // Sync responses carry the result entry, signed.
            let (timestamp, signature) = shared.signed_now();
            body.insert("timestamp".into(), Value::String(timestamp));
            body.insert("signature".into(), Value::String(signature));
            Ok(Value::Object(body))
        }
        None => {
            shared.wake.notify_one();
            Ok(json!({"success": true, "smile_job_id": smile_job_id}))
        }
    }
}

//! The ID API: Enhanced KYC (job type 5) and Business Verification (job type 7), sync and async.

use std::sync::Arc;

use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value, json};

use crate::api::{job_exists, partner_params, requested_error};
use crate::outcome::{self, EntryContext};
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

/// The result entry of an ID lookup (job 5), a business lookup (job 7) or the ID step of a
/// Biometric KYC job.
pub(crate) fn id_result_entry(
    ctx: &EntryContext<'_>,
    code: &str,
    id_info: &Map<String, Value>,
) -> Map<String, Value> {
    let (text, is_final) =
        outcome::meta(code, ctx.job_type).map_or(("Unknown", true), |(_, f, t)| (t, f));
    let found = outcome::is_approved(ctx.job_type, code);
    let field = |k: &str| {
        id_info
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or("Not Available")
            .to_owned()
    };
    let mut e = Map::new();
    e.insert("SmileJobID".into(), json!(ctx.smile_job_id));
    e.insert(
        "PartnerParams".into(),
        Value::Object(ctx.partner_params.clone()),
    );
    let business = ctx.job_type == 7;
    e.insert(
        "ResultType".into(),
        json!(if business {
            "Business Verification"
        } else {
            "ID Verification"
        }),
    );
    e.insert("ResultText".into(), json!(text));
    e.insert("ResultCode".into(), json!(code));
    e.insert("IsFinalResult".into(), json!(is_final.to_string()));
    e.insert(
        "Actions".into(),
        Value::Object(outcome::actions(ctx.job_type, code, None)),
    );
    e.insert("Country".into(), json!(field("country")));
    e.insert("IDType".into(), json!(field("id_type")));
    e.insert("IDNumber".into(), json!(field("id_number")));
    if business {
        if found {
            e.insert(
                "company_information".into(),
                json!({
                    "company_type": "PRIVATE_COMPANY_LIMITED_BY_SHARES",
                    "country": field("country"),
                    "address": "1 Emulator Way, Lagos",
                    "registration_number": field("id_number"),
                    "search_number": field("id_number"),
                    "authorized_shared_capital": "10000000",
                    "industry": "Software",
                    "tax_id": "Not Available",
                    "registration_date": "2020-01-01T00:00:00.000Z",
                    "phone": "Not Available",
                    "legal_name": "EMULATOR TEST LIMITED",
                    "state": "Lagos",
                    "email": "Not Available",
                    "status": "ACTIVE"
                }),
            );
            e.insert(
                "directors".into(),
                json!([{"name": "ADA LOVELACE", "shareholdings": "100", "id_number": "Not Available", "id_type": "Not Available", "nationality": "Nigerian", "occupation": "Director", "phone_number": "Not Available", "address": "Not Available"}]),
            );
            e.insert("beneficial_owners".into(), json!([]));
        }
    } else {
        let (full_name, dob) = if found {
            let first = field("first_name");
            let last = field("last_name");
            let name = if id_info.contains_key("first_name") || id_info.contains_key("last_name") {
                format!("{first} {last}")
                    .replace("Not Available", "")
                    .trim()
                    .to_owned()
            } else {
                "Ada Lovelace".to_owned()
            };
            let dob = id_info
                .get("dob")
                .and_then(Value::as_str)
                .unwrap_or("1990-01-01")
                .to_owned();
            (name, dob)
        } else {
            ("Not Available".to_owned(), "Not Available".to_owned())
        };
        e.insert("FullName".into(), json!(full_name));
        e.insert("DOB".into(), json!(dob));
        e.insert(
            "Gender".into(),
            json!(if found { "F" } else { "Not Available" }),
        );
        e.insert("PhoneNumber".into(), json!(field("phone_number")));
        e.insert("ExpirationDate".into(), json!("Not Available"));
        e.insert("Photo".into(), json!("Not Available"));
        e.insert("Address".into(), json!("Not Available"));
        e.insert("FullData".into(), json!({}));
    }
    e.insert("Source".into(), json!("ID API"));
    e
}

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

async fn inner(shared: &Shared, call: Call, req: Request) -> Result<Value, ApiError> {
    let (parts, body) = req.into_parts();
    let body = read_json(shared, &parts.headers, body).await?;
    authenticate(shared, &body, "partner_id", "2405")?;
    let pp = partner_params(&body, "2413")?;
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
        req_str(&body, key, key, "2413")?;
    }
    for key in ID_FIELDS {
        if let Some(v) = body.get(*key) {
            if !v.is_string() {
                return Err(ApiError::wrong_type(key, "a string"));
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
    let callback = callback_url(&body)?;
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

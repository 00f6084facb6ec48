//! The control API under `/__emulator`: faults, state, users, reviews, callback log.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::faults::{Endpoint, Fault, expand_endpoint};
use crate::shared::Shared;
use crate::state::State as StateHandle;
use crate::wire::json_response;

fn bad_request(message: impl Into<String>) -> Response {
    json_response(StatusCode::BAD_REQUEST, &json!({"error": message.into()}))
}

/// `GET /__emulator/health`.
pub(crate) async fn health(State(shared): State<Arc<Shared>>) -> Response {
    json_response(
        StatusCode::OK,
        &json!({
            "ok": true,
            "partner_id": shared.config.partner_id,
            "version": env!("CARGO_PKG_VERSION"),
        }),
    )
}

fn faults_body(shared: &Shared) -> Value {
    let list: Vec<Value> = shared
        .faults
        .list()
        .into_iter()
        .map(|(endpoint, fault)| {
            let mut v = serde_json::to_value(fault).unwrap_or_else(|_| json!({}));
            if let Value::Object(m) = &mut v {
                m.insert("endpoint".into(), json!(endpoint));
            }
            v
        })
        .collect();
    json!({ "faults": list })
}

/// `GET /__emulator/faults`.
pub(crate) async fn list_faults(State(shared): State<Arc<Shared>>) -> Response {
    json_response(StatusCode::OK, &faults_body(&shared))
}

/// `POST /__emulator/faults` with `{"endpoint": "job_status" | "*", ...fault fields}` (or an
/// array of such objects).
pub(crate) async fn set_faults(
    State(shared): State<Arc<Shared>>,
    body: axum::body::Bytes,
) -> Response {
    let value: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return bad_request(format!("invalid JSON: {e}")),
    };
    let items = match value {
        Value::Array(items) => items,
        other => vec![other],
    };
    let mut parsed = Vec::new();
    for item in items {
        let Value::Object(mut m) = item else {
            return bad_request("each fault must be a JSON object");
        };
        let endpoint = match m.remove("endpoint") {
            Some(Value::String(e)) => e,
            _ => return bad_request("\"endpoint\" (a string) is required"),
        };
        let fault: Fault = match serde_json::from_value(Value::Object(m)) {
            Ok(f) => f,
            Err(e) => return bad_request(format!("invalid fault: {e}")),
        };
        match expand_endpoint(&endpoint, fault) {
            Ok(pairs) => parsed.extend(pairs),
            Err(e) => return bad_request(e.to_string()),
        }
    }
    for (endpoint, fault) in parsed {
        shared.faults.set(endpoint, fault);
    }
    json_response(StatusCode::OK, &faults_body(&shared))
}

/// `DELETE /__emulator/faults`.
pub(crate) async fn clear_faults(State(shared): State<Arc<Shared>>) -> Response {
    shared.faults.clear_all();
    json_response(StatusCode::OK, &faults_body(&shared))
}

/// `DELETE /__emulator/faults/{endpoint}`.
pub(crate) async fn clear_fault(
    State(shared): State<Arc<Shared>>,
    Path(endpoint): Path<String>,
) -> Response {
    match endpoint.parse::<Endpoint>() {
        Ok(e) => {
            shared.faults.clear(e);
            json_response(StatusCode::OK, &faults_body(&shared))
        }
        Err(e) => bad_request(e.to_string()),
    }
}

/// `GET /__emulator/stats`: connection, inflate-budget and redirect counters.
pub(crate) async fn stats(State(shared): State<Arc<Shared>>) -> Response {
    let stats = StateHandle { shared }.stats();
    json_response(
        StatusCode::OK,
        &serde_json::to_value(stats).unwrap_or_else(|e| json!({"error": e.to_string()})),
    )
}

/// `GET /__emulator/state`.
pub(crate) async fn get_state(State(shared): State<Arc<Shared>>) -> Response {
    let handle = StateHandle { shared };
    json_response(StatusCode::OK, &handle.snapshot())
}

/// `POST /__emulator/reset`.
pub(crate) async fn reset(State(shared): State<Arc<Shared>>) -> Response {
    StateHandle { shared }.reset();
    json_response(StatusCode::OK, &json!({"ok": true}))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EnrolRequest {
    user_id: String,
    #[serde(default = "yes")]
    has_photo: bool,
}

fn yes() -> bool {
    true
}

/// `POST /__emulator/users` with `{"user_id": "...", "has_photo": true}`.
pub(crate) async fn enrol(State(shared): State<Arc<Shared>>, body: axum::body::Bytes) -> Response {
    let req: EnrolRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return bad_request(format!("expected {{\"user_id\": \"...\"}}: {e}")),
    };
    if req.user_id.is_empty() {
        return bad_request("user_id must not be empty");
    }
    StateHandle { shared }.enrol_user_with_photo(req.user_id.clone(), req.has_photo);
    json_response(
        StatusCode::CREATED,
        &json!({"user_id": req.user_id, "has_photo": req.has_photo}),
    )
}

/// `GET /__emulator/users`.
pub(crate) async fn list_users(State(shared): State<Arc<Shared>>) -> Response {
    let users = StateHandle { shared }.users();
    json_response(StatusCode::OK, &json!({ "users": users }))
}

/// `DELETE /__emulator/users/{user_id}`.
pub(crate) async fn remove_user(
    State(shared): State<Arc<Shared>>,
    Path(user_id): Path<String>,
) -> Response {
    if (StateHandle { shared }).remove_user(&user_id) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        json_response(StatusCode::NOT_FOUND, &json!({"error": "no such user"}))
    }
}

/// `GET /__emulator/jobs/{job_id}`.
pub(crate) async fn get_job(
    State(shared): State<Arc<Shared>>,
    Path(job_id): Path<String>,
) -> Response {
    match (StateHandle { shared }).job(&job_id) {
        Some(job) => Json(job).into_response(),
        None => json_response(StatusCode::NOT_FOUND, &json!({"error": "no such job"})),
    }
}

/// `POST /__emulator/review`: complete every pending review now.
pub(crate) async fn review(State(shared): State<Arc<Shared>>) -> Response {
    let completed = StateHandle { shared }.complete_reviews();
    json_response(StatusCode::OK, &json!({ "completed": completed }))
}

/// `GET /__emulator/callbacks`: the delivery log.
pub(crate) async fn callbacks(State(shared): State<Arc<Shared>>) -> Response {
    let log = StateHandle { shared }.callbacks();
    json_response(StatusCode::OK, &json!({ "callbacks": log }))
}

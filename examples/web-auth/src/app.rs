//! The page, its API and what the app remembers about the jobs it submitted.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use smile_async::{JobOutcome, JobType, PartnerParams, WebApi};
use smile_axum::{CallbackEndpoint, CapturedImages, Delivery};

use crate::config::Script;
use crate::submit::submit;

const PAGE: &str = include_str!("page.html");
const SESSION_COOKIE: &str = "web_auth_session";

/// Where jobs go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Mode {
    /// The emulator in this process: outcome choices (human review) are offered.
    Emulator,
    /// Smile ID: "sandbox" or "production".
    SmileId(&'static str),
    /// The server at `SMILE_BASE_URL` (e.g. an emulator run on its own, as in the tests).
    BaseUrl(String),
}

impl Mode {
    fn label(&self) -> String {
        match self {
            Self::Emulator => "the emulator, in this process".to_owned(),
            Self::SmileId(server) => format!("Smile ID {server}"),
            Self::BaseUrl(url) => url.clone(),
        }
    }

    /// Whether the emulator's outcome keys can mean anything.
    fn offers_review(&self) -> bool {
        !matches!(self, Self::SmileId(_))
    }
}

/// What the app shows about one job.
#[derive(Debug, Clone)]
struct JobView {
    job_id: String,
    user_id: String,
    job_type: u32,
    action: &'static str,
    smile_job_id: Option<String>,
    results: Vec<Value>,
    deliveries: u32,
    last_callback: Option<String>,
}

impl JobView {
    fn to_json(&self) -> Value {
        let last = self.results.last();
        json!({
            "job_id": self.job_id,
            "user_id": self.user_id,
            "job_type": self.job_type,
            "action": self.action,
            "smile_job_id": self.smile_job_id,
            "results": self.results,
            "final": last.filter(|r| r["final"] == true),
            "deliveries": self.deliveries,
            "last_callback": self.last_callback,
        })
    }
}

pub(crate) struct AppState {
    api: WebApi,
    callback_url: String,
    mode: Mode,
    page: String,
    script: Option<Vec<u8>>,
    jobs: Mutex<HashMap<String, JobView>>,
    /// Session cookie → the user id the server gave that browser at enrolment.
    sessions: Mutex<HashMap<String, String>>,
    /// Callbacks handed to this process's handler since it started.
    deliveries: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

impl AppState {
    pub(crate) fn new(
        api: WebApi,
        callback_url: String,
        mode: Mode,
        script: &Script,
    ) -> Result<Self, String> {
        let (src, bytes) = match script {
            Script::Url(url) => (url.clone(), None),
            Script::File(path) => {
                let bytes = std::fs::read(path).map_err(|e| {
                    format!(
                        "SMART_CAMERA_WEB_SRC={}: cannot read it ({e}); install it with \
                         `npm install @smile_identity/smart-camera-web@11.0.1` (or run \
                         .ci/browser-deps), or leave the variable unset to use Smile ID's CDN",
                        path.display()
                    )
                })?;
                ("/assets/smart-camera-web.js".to_owned(), Some(bytes))
            }
        };
        let page = PAGE
            .replace("{{SCRIPT_SRC}}", &escape(&src))
            .replace("{{MODE}}", &escape(&mode.label()))
            .replace(
                "{{REVIEW}}",
                if mode.offers_review() {
                    "true"
                } else {
                    "false"
                },
            );
        Ok(Self {
            api,
            callback_url,
            mode,
            page,
            script: bytes,
            jobs: Mutex::new(HashMap::new()),
            sessions: Mutex::new(HashMap::new()),
            deliveries: AtomicU64::new(0),
        })
    }

    pub(crate) fn callback_url(&self) -> &str {
        &self.callback_url
    }

    /// The callback endpoint's handler: a new verified result for a job.
    pub(crate) fn on_callback(&self, delivery: Delivery) {
        self.deliveries.fetch_add(1, Ordering::SeqCst);
        let meaning = delivery.interpret();
        let code = delivery.state.result_code.as_str().to_owned();
        let text = delivery
            .callback
            .result_text
            .clone()
            .or_else(|| meaning.info.map(|i| i.text.to_owned()))
            .unwrap_or_default();
        tracing::info!(
            job_id = ?delivery.key.job_id, %code, is_final = delivery.is_final(),
            "verified callback"
        );
        let Some(job_id) = delivery.key.job_id.as_ref().map(|j| j.as_str().to_owned()) else {
            return;
        };
        let mut jobs = lock(&self.jobs);
        let view = jobs.entry(job_id.clone()).or_insert_with(|| JobView {
            job_id,
            user_id: delivery
                .callback
                .user_id()
                .map(|u| u.as_str().to_owned())
                .unwrap_or_default(),
            job_type: delivery.callback.job_type().map_or(0, JobType::code),
            action: "unknown",
            smile_job_id: None,
            results: Vec::new(),
            deliveries: 0,
            last_callback: None,
        });
        view.smile_job_id = delivery
            .key
            .smile_job_id
            .as_ref()
            .map(|s| s.as_str().to_owned())
            .or(view.smile_job_id.take());
        view.deliveries += 1;
        view.last_callback = Some(delivery.body.clone());
        view.results.push(json!({
            "code": code,
            "text": text,
            "category": meaning.category.as_str(),
            "final": delivery.is_final(),
            "approved": meaning.is_final_approval(),
            "source": "verified callback",
            "delivery": delivery.id.0,
            "attempt": delivery.attempt,
        }));
    }
}

pub(crate) fn router(state: Arc<AppState>, endpoint: &CallbackEndpoint) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/assets/smart-camera-web.js", get(script))
        .route("/api/session", get(session))
        .route("/api/jobs", post(create_job))
        .route("/api/jobs/{job_id}", get(job))
        .route("/api/stats", get(stats))
        .merge(endpoint.router("/smile/callback"))
        .with_state(state)
}

async fn page(State(state): State<Arc<AppState>>) -> Response {
    (
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        Html(state.page.clone()),
    )
        .into_response()
}

async fn script(State(state): State<Arc<AppState>>) -> Response {
    match &state.script {
        Some(bytes) => (
            [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
            bytes.clone(),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

fn session_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_owned())
        .filter(|v| v.len() == 32 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

async fn session(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let user = session_id(&headers).and_then(|s| lock(&state.sessions).get(&s).cloned());
    axum::Json(json!({
        "user_id": user,
        "mode": state.mode.label(),
        "review": state.mode.offers_review(),
    }))
    .into_response()
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, axum::Json(json!({"error": message.into()}))).into_response()
}

fn new_id(prefix: &str) -> String {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    format!("{prefix}-{ms}-{:08x}", fastrand::u32(..))
}

/// `POST /api/jobs?action=enrol|authenticate[&review=1]`, with the web component's
/// `imagesComputed` detail as the body.
async fn create_job(
    State(state): State<Arc<AppState>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    captured: CapturedImages,
) -> Response {
    let (action, job_type) = match query.get("action").map(String::as_str) {
        Some("enrol") => ("enrol", JobType::SmartSelfieRegistration),
        Some("authenticate") => ("authenticate", JobType::SmartSelfieAuthentication),
        _ => {
            return error(
                StatusCode::BAD_REQUEST,
                "action must be enrol or authenticate",
            );
        }
    };
    let review = state.mode.offers_review() && query.get("review").is_some_and(|v| v == "1");

    // Who: decided here, from the session, never from what the browser sent.
    let mut cookie = None;
    let session = session_id(&headers).unwrap_or_else(|| {
        let id = format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..));
        cookie = Some(id.clone());
        id
    });
    let user_id = if action == "enrol" {
        let user_id = new_id("web-user");
        lock(&state.sessions).insert(session.clone(), user_id.clone());
        user_id
    } else {
        match lock(&state.sessions).get(&session) {
            Some(user_id) => user_id.clone(),
            None => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "enrol first: this browser has no user yet",
                );
            }
        }
    };
    let job_id = new_id(&format!("web-{action}"));
    let mut params = PartnerParams::new(user_id.as_str(), job_id.as_str(), job_type);
    if review {
        // The emulator's human review: a provisional result, then the final one.
        let provisional = if action == "enrol" { "0844" } else { "0824" };
        params = params.with_extra("emulator_result", provisional);
    }
    let params = captured
        .client_params()
        .forward(params, &["libraryVersion"]);

    let view = JobView {
        job_id: job_id.clone(),
        user_id: user_id.clone(),
        job_type: job_type.code(),
        action,
        smile_job_id: None,
        results: Vec::new(),
        deliveries: 0,
        last_callback: None,
    };
    lock(&state.jobs).insert(job_id.clone(), view);
    tracing::info!(%job_id, %user_id, %action, images = captured.images().len(), review, "submitting");

    let outcome = submit(
        &state.api,
        params,
        captured.into_images(),
        &state.callback_url,
    )
    .await;
    let mut response = match outcome {
        Ok(outcome) => {
            let smile_job_id = outcome.smile_job_id().as_str().to_owned();
            let mut jobs = lock(&state.jobs);
            let view = jobs.get_mut(&job_id).map(|v| {
                v.smile_job_id.get_or_insert(smile_job_id);
                v.to_json()
            });
            let submitted = matches!(outcome, JobOutcome::Submitted { .. });
            axum::Json(json!({"job": view, "submitted": submitted})).into_response()
        }
        Err(e) => {
            lock(&state.jobs).remove(&job_id);
            if action == "enrol" {
                lock(&state.sessions).remove(&session);
            }
            let mut text = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                text.push_str(&format!(": {s}"));
                source = s.source();
            }
            tracing::warn!(%job_id, error = %text, "submit failed");
            error(StatusCode::BAD_GATEWAY, text)
        }
    };
    if let Some(id) = cookie
        && let Ok(value) = HeaderValue::from_str(&format!(
            "{SESSION_COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict"
        ))
    {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

async fn job(State(state): State<Arc<AppState>>, Path(job_id): Path<String>) -> Response {
    match lock(&state.jobs).get(&job_id) {
        Some(view) => axum::Json(view.to_json()).into_response(),
        None => error(StatusCode::NOT_FOUND, "no such job in this process"),
    }
}

async fn stats(State(state): State<Arc<AppState>>) -> Response {
    axum::Json(json!({
        "deliveries": state.deliveries.load(Ordering::SeqCst),
        "jobs": lock(&state.jobs).len(),
    }))
    .into_response()
}

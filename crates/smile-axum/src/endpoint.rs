//! The callback endpoint: verify, remember, answer, then hand each new result to the
//! application once and in order.

use std::fmt;
use std::future::Future;
use std::sync::{Arc, Weak};
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, post};
use tokio::sync::Notify;

use smile_async::sign::{CallbackError, CallbackState, DedupeKey};
use smile_async::types::{Callback, Interpretation};
use smile_async::{CallbackVerifier, Clock, SystemClock};

use crate::store::{
    CallbackStore, DeliveryId, IgnoreReason, NewCallback, Recorded, StoreError, StoredCallback,
};

/// A boxed error, as an application's handler may return.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A new verified callback, handed to the application ([`CallbackHandler`]). Its `Debug`
/// output leaves out the body (it holds the signature and, for ID lookups, personal data).
#[derive(Clone)]
#[non_exhaustive]
pub struct Delivery {
    /// The store's id of the callback: the same on every attempt, so a handler can make its
    /// effect idempotent with it.
    pub id: DeliveryId,
    /// Its job: (`SmileJobID`, `PartnerParams.job_id`).
    pub key: DedupeKey,
    /// Result code, signed timestamp and finality.
    pub state: CallbackState,
    /// The callback, decoded leniently (result code, Actions, partner params, ...).
    pub callback: Callback,
    /// The body as received.
    pub body: String,
    /// When the endpoint received it.
    pub received_at: SystemTime,
    /// 1 on the first attempt; more when a handler failed before (or the process stopped
    /// while it ran).
    pub attempt: u32,
}

impl fmt::Debug for Delivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Delivery")
            .field("id", &self.id)
            .field("key", &self.key)
            .field("state", &self.state)
            .field("callback", &self.callback)
            .field("body", &format_args!("[{} bytes]", self.body.len()))
            .field("received_at", &self.received_at)
            .field("attempt", &self.attempt)
            .finish()
    }
}

impl Delivery {
    fn from_stored(stored: StoredCallback) -> Self {
        // The body passed verification as a JSON object before it was stored.
        let callback = Callback::from_json(stored.body.as_bytes()).unwrap_or_default();
        Self {
            id: stored.id,
            key: stored.key,
            state: stored.state,
            callback,
            body: stored.body,
            received_at: stored.received_at,
            attempt: stored.attempts,
        }
    }

    /// What the result code means for the job's type (category, finality).
    #[must_use]
    pub fn interpret(&self) -> Interpretation {
        self.callback.interpret(None)
    }

    /// Whether this result is final (a provisional one is followed by a final one).
    #[must_use]
    pub fn is_final(&self) -> bool {
        self.state.is_final
    }
}

/// The application's side of the endpoint: called once for each new verified callback, in
/// order per job, after the endpoint has answered Smile ID.
///
/// Any `Fn(Delivery) -> impl Future` whose output is `()` or `Result<(), E>` is a handler:
///
/// ```
/// use smile_axum::Delivery;
/// let log = |d: Delivery| async move { println!("{} {}", d.id, d.state.result_code) };
/// let strict = |d: Delivery| async move {
///     if d.is_final() { /* update the user's record */ }
///     Ok::<(), std::io::Error>(())
/// };
/// # fn is_handler(_: impl smile_axum::CallbackHandler) {}
/// # is_handler(log);
/// # is_handler(strict);
/// ```
///
/// An error (or a panic, or running longer than the lease) leaves the callback in the store:
/// it is handed over again after the lease ([`CallbackEndpointBuilder::lease`]), and the job's
/// later results wait for it.
#[async_trait::async_trait]
pub trait CallbackHandler: Send + Sync + 'static {
    /// Handles one delivery.
    ///
    /// # Errors
    /// Any: the delivery is retried after the lease.
    async fn handle(&self, delivery: Delivery) -> Result<(), BoxError>;
}

/// What a closure handler may return: `()` or `Result<(), E>`.
pub trait HandlerOutput: Send {
    /// As a result.
    ///
    /// # Errors
    /// The closure's error.
    fn into_result(self) -> Result<(), BoxError>;
}

impl HandlerOutput for () {
    fn into_result(self) -> Result<(), BoxError> {
        Ok(())
    }
}

impl<E: Into<BoxError> + Send> HandlerOutput for Result<(), E> {
    fn into_result(self) -> Result<(), BoxError> {
        self.map_err(Into::into)
    }
}

#[async_trait::async_trait]
impl<F, Fut> CallbackHandler for F
where
    F: Fn(Delivery) -> Fut + Send + Sync + 'static,
    Fut: Future + Send,
    Fut::Output: HandlerOutput,
{
    async fn handle(&self, delivery: Delivery) -> Result<(), BoxError> {
        self(delivery).await.into_result()
    }
}

/// What the endpoint did with a verified callback (HTTP 200 either way).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Receipt {
    /// New: stored, and queued for the application.
    Accepted {
        /// The store's id.
        id: DeliveryId,
        /// Its job.
        key: DedupeKey,
    },
    /// Already known or superseded: not handed to the application (again).
    Ignored {
        /// Its job.
        key: DedupeKey,
        /// Why.
        reason: IgnoreReason,
    },
}

/// Why a callback was refused; as a response: 413 for a body over the limit, 401 for a
/// signature that does not match or a timestamp outside the freshness window, 400 for
/// anything else that is not a usable callback, 500 when the store failed (the sender retries).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    /// Verification failed ([`CallbackVerifier::verify`]).
    #[error(transparent)]
    Verify(#[from] CallbackError),
    /// Verified, but it names no job (`SmileJobID` and `PartnerParams.job_id` both missing)
    /// or has no `ResultCode`: it cannot be deduplicated or ordered.
    #[error("the callback has no {missing}")]
    Unusable {
        /// What is missing.
        missing: &'static str,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Rejection {
    /// The HTTP status of the response.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Verify(CallbackError::TooLarge { .. }) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Verify(CallbackError::BadSignature { .. } | CallbackError::Stale { .. }) => {
                StatusCode::UNAUTHORIZED
            }
            Self::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// A short stable code: `too_large`, `bad_signature`, `stale`, `invalid`, `unusable`,
    /// `store`.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Verify(CallbackError::TooLarge { .. }) => "too_large",
            Self::Verify(CallbackError::BadSignature { .. }) => "bad_signature",
            Self::Verify(CallbackError::Stale { .. }) => "stale",
            Self::Verify(_) => "invalid",
            Self::Unusable { .. } => "unusable",
            Self::Store(_) => "store",
        }
    }
}

impl IntoResponse for Rejection {
    /// `{"error": code}` only: the reason is logged (`tracing`), not told to the sender.
    fn into_response(self) -> Response {
        let status = self.status();
        (
            status,
            axum::Json(serde_json::json!({"error": self.code()})),
        )
            .into_response()
    }
}

impl IntoResponse for Receipt {
    /// 200 with `{"status": "accepted"}` or `{"status": "ignored", "reason": "duplicate"}`.
    fn into_response(self) -> Response {
        let body = match self {
            Self::Accepted { .. } => serde_json::json!({"status": "accepted"}),
            Self::Ignored { reason, .. } => {
                serde_json::json!({"status": "ignored", "reason": reason.as_str()})
            }
        };
        (StatusCode::OK, axum::Json(body)).into_response()
    }
}

/// Builds a [`CallbackEndpoint`].
#[must_use]
pub struct CallbackEndpointBuilder {
    verifier: CallbackVerifier,
    store: Arc<dyn CallbackStore>,
    clock: Arc<dyn Clock>,
    lease: Duration,
    poll: Duration,
}

impl fmt::Debug for CallbackEndpointBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackEndpointBuilder")
            .field("verifier", &self.verifier)
            .field("lease", &self.lease)
            .field("poll", &self.poll)
            .finish_non_exhaustive()
    }
}

impl CallbackEndpointBuilder {
    /// The clock for the freshness check and the leases (default: the system clock).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// How long the application has to handle a delivery before it is handed over again
    /// (after an error, a panic, a timeout or a restart); also the wait before a retry.
    /// Default 30 s.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease.max(Duration::from_millis(1));
        self
    }

    /// How often the dispatcher looks for work it was not told about: retries, and callbacks
    /// that another instance accepted into a shared store. Default 2 s.
    pub fn poll_interval(mut self, every: Duration) -> Self {
        self.poll = every.max(Duration::from_millis(1));
        self
    }

    /// Starts the endpoint: callbacks already in the store and not yet handled (from before a
    /// restart) are handed to `handler` at once, then each new one as it arrives.
    ///
    /// # Panics
    /// Outside a tokio runtime (the dispatcher is a tokio task).
    pub fn start(self, handler: impl CallbackHandler) -> CallbackEndpoint {
        let notify = Arc::new(Notify::new());
        let inner = Arc::new(Inner {
            verifier: self.verifier,
            store: self.store,
            clock: self.clock,
            notify: Arc::clone(&notify),
            lease: self.lease,
        });
        tokio::spawn(dispatch(
            Arc::downgrade(&inner),
            notify,
            Arc::new(handler),
            self.poll,
        ));
        CallbackEndpoint { inner }
    }
}

struct Inner {
    verifier: CallbackVerifier,
    store: Arc<dyn CallbackStore>,
    clock: Arc<dyn Clock>,
    notify: Arc<Notify>,
    lease: Duration,
}

/// A Smile ID callback endpoint for axum: size limit, signature and freshness
/// ([`CallbackVerifier`]), deduplication and ordering ([`CallbackStore`]), then each new
/// verified callback handed to the application ([`CallbackHandler`]) once, after the answer.
///
/// Answers (see [`Receipt`] and [`Rejection`]): **200** for a verified callback, new or not
/// (`{"status":"accepted"}`, or `{"status":"ignored","reason":"duplicate"}` for a replay, which
/// never reaches the application twice); **401** for a bad signature or a stale timestamp;
/// **400** for a body that is not a JSON object or names no job; **413** over the verifier's
/// size limit (2 MiB by default); **500** when the store fails, so that the sender retries.
///
/// Cheap to clone. The dispatcher task stops when the last clone (and the routes made from
/// it) is dropped.
#[derive(Clone)]
pub struct CallbackEndpoint {
    inner: Arc<Inner>,
}

impl fmt::Debug for CallbackEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackEndpoint")
            .field("verifier", &self.inner.verifier)
            .field("lease", &self.inner.lease)
            .finish_non_exhaustive()
    }
}

impl CallbackEndpoint {
    /// A builder with the verifier (the partner id and API key of the environment the
    /// callbacks come from; its size limit and freshness window apply) and the store.
    pub fn builder(
        verifier: CallbackVerifier,
        store: impl CallbackStore,
    ) -> CallbackEndpointBuilder {
        CallbackEndpointBuilder {
            verifier,
            store: Arc::new(store),
            clock: Arc::new(SystemClock),
            lease: Duration::from_secs(30),
            poll: Duration::from_secs(2),
        }
    }

    /// A router with `POST path` answered by this endpoint, to [`merge`](Router::merge) into
    /// the application's router (of any state type).
    pub fn router<S: Clone + Send + Sync + 'static>(&self, path: &str) -> Router<S> {
        Router::new().route(path, self.method_router())
    }

    /// The `POST` handler alone, for `Router::route(path, endpoint.method_router())`.
    pub fn method_router<S: Clone + Send + Sync + 'static>(&self) -> MethodRouter<S> {
        // The verifier checks the size; the extractor's own limit must not refuse first.
        post(handle)
            .layer(axum::extract::DefaultBodyLimit::max(
                self.inner.verifier.current_max_body_bytes(),
            ))
            .with_state(self.clone())
    }

    /// Verifies and records one callback body, as the route does, for use outside axum.
    ///
    /// # Errors
    /// [`Rejection`]: why the body is not (or could not be recorded as) a verified callback.
    pub async fn receive(&self, body: &[u8]) -> Result<Receipt, Rejection> {
        let inner = &self.inner;
        let now = inner.clock.now();
        let verified = inner.verifier.verify(body, now)?;
        let key = verified.dedupe_key.clone();
        if key.smile_job_id.is_none() && key.job_id.is_none() {
            return Err(Rejection::Unusable {
                missing: "SmileJobID or PartnerParams.job_id",
            });
        }
        let Some(state) = verified.state() else {
            return Err(Rejection::Unusable {
                missing: "ResultCode",
            });
        };
        // A JSON object that parsed is UTF-8.
        let body = String::from_utf8(body.to_vec()).map_err(|_| Rejection::Unusable {
            missing: "UTF-8 body",
        })?;
        let recorded = inner
            .store
            .record(NewCallback::new(key.clone(), state, body, now))
            .await?;
        Ok(match recorded {
            Recorded::Accepted(id) => {
                inner.notify.notify_one();
                Receipt::Accepted { id, key }
            }
            Recorded::Ignored(reason) => Receipt::Ignored { key, reason },
        })
    }

    /// The store.
    #[must_use]
    pub fn store(&self) -> &dyn CallbackStore {
        &*self.inner.store
    }

    /// The latest accepted result of a job (handled or not).
    ///
    /// # Errors
    /// The store's.
    pub async fn latest(&self, key: &DedupeKey) -> Result<Option<StoredCallback>, StoreError> {
        self.inner.store.latest(key).await
    }
}

async fn handle(
    State(endpoint): State<CallbackEndpoint>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let limit = endpoint.inner.verifier.current_max_body_bytes();
    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
            tracing::warn!(status = %rejection.status(), "Smile ID callback refused: {rejection}");
            return match rejection.status() {
                StatusCode::PAYLOAD_TOO_LARGE => Rejection::Verify(CallbackError::TooLarge {
                    size: limit.saturating_add(1),
                    limit,
                })
                .into_response(),
                _ => rejection.into_response(),
            };
        }
    };
    match endpoint.receive(&body).await {
        Ok(receipt) => {
            if let Receipt::Ignored { key, reason } = &receipt {
                tracing::info!(?key, %reason, "Smile ID callback ignored");
            }
            receipt.into_response()
        }
        Err(rejection) => {
            tracing::warn!(
                status = %rejection.status(),
                error = %rejection,
                cause = ?std::error::Error::source(&rejection).map(ToString::to_string),
                "Smile ID callback refused"
            );
            rejection.into_response()
        }
    }
}

/// Hands claimed callbacks to the handler until the endpoint is dropped.
async fn dispatch(
    inner: Weak<Inner>,
    notify: Arc<Notify>,
    handler: Arc<dyn CallbackHandler>,
    poll: Duration,
) {
    loop {
        {
            let Some(inner) = inner.upgrade() else { return };
            let now = inner.clock.now();
            match inner.store.claim(now, inner.lease, 16).await {
                Ok(batch) => {
                    for stored in batch {
                        deliver(&inner, &handler, stored).await;
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, cause = ?std::error::Error::source(&e).map(ToString::to_string), "Smile ID callback store: claim failed")
                }
            }
        }
        // Woken by a new callback, or look again after `poll` (retries, other instances).
        let _ = tokio::time::timeout(poll, notify.notified()).await;
    }
}

async fn deliver(inner: &Inner, handler: &Arc<dyn CallbackHandler>, stored: StoredCallback) {
    let id = stored.id;
    let delivery = Delivery::from_stored(stored);
    let handler = Arc::clone(handler);
    // Its own task: a panicking handler fails this delivery, not the dispatcher.
    let task = tokio::spawn(async move { handler.handle(delivery).await });
    let abort = task.abort_handle();
    let outcome = match tokio::time::timeout(inner.lease, task).await {
        Ok(Ok(result)) => result,
        Ok(Err(join)) => Err(format!("the handler panicked: {join}").into()),
        Err(_) => {
            abort.abort();
            Err(format!("the handler ran longer than the lease ({:?})", inner.lease).into())
        }
    };
    match outcome {
        Ok(()) => {
            if let Err(e) = inner.store.complete(id).await {
                tracing::error!(%id, error = %e, "Smile ID callback store: complete failed");
            }
            // More may be waiting behind this one (the job's next result).
            inner.notify.notify_one();
        }
        Err(e) => {
            tracing::warn!(%id, error = %e, retry_in = ?inner.lease, "Smile ID callback handler failed");
        }
    }
}

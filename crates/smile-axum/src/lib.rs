//! Smile ID for [axum](https://docs.rs/axum) servers: the images that Smile ID's web component
//! captured, as a validated type ([`CapturedImages`]), and the endpoint that receives Smile ID's
//! signed callbacks ([`CallbackEndpoint`]): it checks size, signature and freshness, answers at
//! once, remembers what it saw in a [`CallbackStore`] (in memory, or [`SqliteStore`] on disk),
//! and hands each new result to your code once, in order (provisional, then final).
//!
//! Built on [`smile_async`] (re-exported), whose `WebApi` submits the jobs.
//!
//! # A callback endpoint
//!
//! A complete server (with `tokio = { version = "1", features = ["full"] }`):
//!
//! ```no_run
//! use smile_axum::{CallbackEndpoint, Delivery, SqliteStore};
//! use smile_axum::smile_async::{CallbackVerifier, Signer, types::PartnerId};
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let signer = Signer::new(PartnerId::new("085"), std::env::var("SMILE_API_KEY")?);
//!     let store = SqliteStore::open("smile-callbacks.db")?; // survives restarts
//!     let endpoint = CallbackEndpoint::builder(CallbackVerifier::new(signer), store)
//!         .start(|delivery: Delivery| async move {
//!             let result = delivery.interpret();
//!             println!("job {:?}: {} final={} ({:?})", delivery.key.job_id,
//!                      delivery.state.result_code, result.is_final, result.category);
//!         });
//!     let app = axum::Router::new().merge(endpoint.router("/smile/callback"));
//!     let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
//!     axum::serve(listener, app).await?;
//!     Ok(())
//! }
//! ```
//!
//! Give Smile ID `https://<your host>/smile/callback` as the callback URL. The endpoint answers
//! **200** for a verified callback (`{"status":"accepted"}`, or
//! `{"status":"ignored","reason":"duplicate"}` for a replay), **401** for a bad signature or a
//! timestamp outside the freshness window (15 minutes), **400** for a body that is not a
//! usable callback, **413** over the size limit (2 MiB), and **500** when the store fails (so
//! that Smile ID retries).
//!
//! # The whole flow, runnable
//!
//! Here against the [emulator](https://docs.rs/smile-emulator), which POSTs signed callbacks to
//! loopback: a job that goes to human review arrives as a provisional result, then the final
//! one.
//!
//! ```
//! use std::time::Duration;
//! use smile_axum::{CallbackEndpoint, Delivery, MemoryStore};
//! use smile_axum::smile_async::{CallbackVerifier, Image, JobOptions, JobType, PartnerParams, WebApi};
//! use smile_emulator::Emulator;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let emulator = Emulator::builder().review_delay(Duration::from_millis(200)).start().await?;
//! emulator.state().enrol_user("user-17"); // as if a job 4 had enrolled them
//!
//! // 1. The endpoint, on a loopback port; deliveries go to a channel here.
//! let (tx, mut results) = tokio::sync::mpsc::unbounded_channel::<Delivery>();
//! let verifier = CallbackVerifier::new(emulator.signer()); // partner id + API key
//! let endpoint = CallbackEndpoint::builder(verifier, MemoryStore::new())
//!     .start(move |delivery: Delivery| {
//!         let tx = tx.clone();
//!         async move { let _ = tx.send(delivery); }
//!     });
//! let app = axum::Router::new().merge(endpoint.router("/smile/callback"));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let callback_url = format!("http://{}/smile/callback", listener.local_addr()?);
//! tokio::spawn(async move { axum::serve(listener, app).await });
//!
//! // 2. Submit without waiting: the result comes to the callback.
//! let api = WebApi::builder(emulator.partner_id(), emulator.api_key().clone())
//!     .base_url(emulator.base_url())
//!     .build()?;
//! # let selfie = smile_testdata::fixture("selfie.jpg");
//! let params = PartnerParams::new("user-17", "auth-0001", JobType::SmartSelfieAuthentication)
//!     .with_extra("emulator_result", "0824"); // the emulator's human review
//! let options = JobOptions { callback_url: Some(callback_url), ..JobOptions::default() };
//! api.submit_job(params, vec![Image::selfie_bytes(selfie)], None, options).await?;
//!
//! // 3. Provisional, then final: each verified, deduplicated, in order.
//! let ten_seconds = Duration::from_secs(10);
//! let first = tokio::time::timeout(ten_seconds, results.recv()).await?.expect("a delivery");
//! assert_eq!((first.state.result_code.as_str(), first.is_final()), ("0824", false));
//! let last = tokio::time::timeout(ten_seconds, results.recv()).await?.expect("a delivery");
//! assert_eq!((last.state.result_code.as_str(), last.is_final()), ("1220", true));
//! assert!(last.interpret().is_final_approval()); // "Authenticated", after the review
//! # Ok(())
//! # }
//! ```
//!
//! # Images from the browser
//!
//! Smile ID's web component (`<smart-camera-web>`, npm `@smile_identity/smart-camera-web`)
//! dispatches `imagesComputed` with the captured selfie and liveness frames as base64 JPEGs;
//! the page POSTs `event.detail` to your server, where [`CapturedImages`] is an extractor:
//!
//! ```
//! use axum::{Json, Router, extract::State, routing::post};
//! use smile_axum::CapturedImages;
//! use smile_axum::smile_async::{JobOptions, JobType, PartnerParams, WebApi};
//!
//! async fn enrol(State(api): State<WebApi>, captured: CapturedImages) -> Json<serde_json::Value> {
//!     // The server decides who and which job (from its session), never the browser:
//!     let params = PartnerParams::new("user-17", "enrol-0001", JobType::SmartSelfieRegistration);
//!     let params = captured.client_params().forward(params, &["libraryVersion"]);
//!     let options = JobOptions {
//!         callback_url: Some("https://example.com/smile/callback".into()),
//!         ..JobOptions::default()
//!     };
//!     match api.submit_job(params, captured.into_images(), None, options).await {
//!         Ok(outcome) => Json(serde_json::json!({"smile_job_id": outcome.smile_job_id().as_str()})),
//!         Err(e) => Json(serde_json::json!({"error": e.to_string()})),
//!     }
//! }
//!
//! # fn app(api: WebApi) -> Router {
//! Router::new().route("/api/enrol", post(enrol)).with_state(api)
//! # }
//! ```
//!
//! It refuses (400, with a JSON error naming the image) any file image type or path (a path
//! from a browser must never name a file on the server), invalid base64, anything that is not
//! a JPEG or PNG and too many or too large images; bodies over 16 MiB (413, see
//! [`CaptureLimits`]); and requests that are not `Content-Type: application/json` (415: a
//! cross-site form cannot post one without the browser asking the server first).
//!
//! # Delivery guarantees
//!
//! A callback is recorded in the store **before** the endpoint answers 200, and handed to the
//! application after it, by a dispatcher task. A replay (the same result code and timestamp
//! for the same job), an older result and a provisional result after a final one are answered
//! 200 and never handed over (see [`ignore_reason`]). A job's results reach the application in
//! the order they were accepted, one at a time. When the handler fails, panics or takes longer
//! than the lease (30 s), the callback is handed over again after the lease, with
//! [`Delivery::attempt`] counting up; the same happens after a restart for callbacks that were
//! accepted but not handled. So the application sees each new result once, and more than once
//! only when a handler did not finish: make its effect idempotent by [`Delivery::id`].
//!
//! The signature covers the timestamp, not the body ([protocol
//! §9.2](smile_async::types::protocol#92-verifying-a-callback-our-sdks-verifier)): for a
//! high-stakes decision, confirm the result with `WebApi::get_job_status`.
//!
//! # Stores
//!
//! | store | for | after a restart |
//! |---|---|---|
//! | [`MemoryStore`] | tests, development | forgets: a replay within the freshness window is delivered again |
//! | [`SqliteStore`] (feature `sqlite`, default) | one server process | remembers everything; unhandled callbacks are handed over at once |
//! | your own [`CallbackStore`] on a shared database (Postgres, ...) | several instances behind a load balancer | as the database; see the trait for the SQL each method needs |
//!
//! # Features
//!
//! | feature | default | what it does |
//! |---|---|---|
//! | `sqlite` | yes | [`SqliteStore`], with SQLite compiled in (rusqlite `bundled`) |
//! | `rustls` | yes | TLS with rustls for the re-exported [`smile_async`] client |
//! | `native-tls` | no | TLS with the platform's library for the client |
//!
//! # Errors and panics
//!
//! [`CaptureError`] and [`Rejection`] are axum responses with the statuses above; a failing
//! store is a [`StoreError`]. [`CallbackEndpointBuilder::start`] panics outside a tokio runtime.
//! Nothing panics on untrusted input.
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod capture;
mod endpoint;
#[cfg(feature = "sqlite")]
mod sqlite;
mod store;

pub use capture::{CaptureError, CaptureLimits, CapturedImages, ClientParams};
pub use endpoint::{
    BoxError, CallbackEndpoint, CallbackEndpointBuilder, CallbackHandler, Delivery, HandlerOutput,
    Receipt, Rejection,
};
#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub use sqlite::SqliteStore;
pub use store::{
    CallbackStore, DeliveryId, IgnoreReason, MemoryStore, NewCallback, Recorded, StoreError,
    StoredCallback, ignore_reason,
};

/// The async client this crate builds on (`WebApi`, images, callback verification).
pub use smile_async;

/// The crate README's example (its crates.io page), compiled as a doc test so it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

//! `web-auth`: one page with Smile ID's web component that enrols a user (job 4) or
//! authenticates them (job 2, SmartSelfie™ Authentication) with the images it captured, and
//! shows each result as it arrives: provisional, then final, from the verified callbacks.
//!
//! ```sh
//! cargo run -p web-auth          # the emulator in process: no account, no network
//! # open http://127.0.0.1:8000
//! ```
//!
//! Environment (all optional):
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `WEB_AUTH_ADDR` | `127.0.0.1:8000` | where the app listens (port 0: any free port) |
//! | `WEB_AUTH_DB` | `web-auth.db` | the SQLite file of the callback store |
//! | `SMILE_PARTNER_ID`, `SMILE_API_KEY` | (emulator) | your Smile ID credentials: without them the emulator runs in process |
//! | `SMILE_SERVER` | `sandbox` | `sandbox` or `production` |
//! | `SMILE_BASE_URL` | | a v1 base URL instead of `SMILE_SERVER` (e.g. an emulator run on its own) |
//! | `SMILE_CALLBACK_URL` | `http://<WEB_AUTH_ADDR>/smile/callback` | the public URL of this app's callback route: Smile ID must reach it |
//! | `SMART_CAMERA_WEB_SRC` | Smile ID's CDN | the web component's script: a URL, or the path of a local copy (`npm install @smile_identity/smart-camera-web`) that the app serves |

mod app;
mod config;
mod submit;

use std::sync::Arc;

use smile_async::{CallbackVerifier, Server, Signer, WebApi, types::PartnerId};
use smile_axum::{CallbackEndpoint, SqliteStore};
use smile_emulator::Emulator;

use crate::config::{Config, Target};

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,web_auth=info,smile_axum=info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    if let Err(e) = run().await {
        let mut text = format!("web-auth: {e}");
        let mut source = std::error::Error::source(&*e);
        while let Some(s) = source {
            text.push_str(&format!(": {s}"));
            source = s.source();
        }
        eprintln!("{text}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let config = Config::from_env()?;

    // Smile ID, or the emulator in this process (kept alive as long as the server runs).
    let mut _emulator = None;
    let (api, signer, mode) = match &config.target {
        Target::Emulator => {
            let emulator = Emulator::builder().start().await?;
            let api = WebApi::builder(emulator.partner_id(), emulator.api_key().clone())
                .base_url(emulator.base_url())
                .build()?;
            let signer = emulator.signer();
            eprintln!("web-auth: emulator in process at {}", emulator.base_url());
            _emulator = Some(emulator);
            (api, signer, app::Mode::Emulator)
        }
        Target::Remote {
            partner_id,
            api_key,
            server,
            base_url,
        } => {
            let mut builder = WebApi::builder(partner_id.as_str(), api_key.clone());
            builder = match base_url {
                Some(url) => builder.base_url(url),
                None => builder.server(server.clone()),
            };
            let api = builder.build()?;
            let signer = Signer::new(PartnerId::new(partner_id.as_str()), api_key.clone());
            let mode = match (base_url, server) {
                (Some(url), _) => app::Mode::BaseUrl(url.clone()),
                (None, Server::Production) => app::Mode::SmileId("production"),
                (None, _) => app::Mode::SmileId("sandbox"),
            };
            (api, signer, mode)
        }
    };

    let listener = tokio::net::TcpListener::bind(config.addr).await?;
    let addr = listener.local_addr()?;
    let callback_url = config
        .callback_url
        .clone()
        .unwrap_or_else(|| format!("http://{addr}/smile/callback"));

    let state = Arc::new(app::AppState::new(api, callback_url, mode, &config.script)?);
    let store = SqliteStore::open(&config.db)?;
    let handler_state = Arc::clone(&state);
    let endpoint =
        CallbackEndpoint::builder(CallbackVerifier::new(signer), store).start(move |delivery| {
            let state = Arc::clone(&handler_state);
            async move { state.on_callback(delivery) }
        });
    let router = app::router(Arc::clone(&state), &endpoint);

    // The test (and a person) waits for this line.
    println!("web-auth listening on http://{addr}");
    eprintln!(
        "web-auth: callbacks at {} (store {}), component from {}",
        state.callback_url(),
        config.db.display(),
        config.script.describe()
    );
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown())
        .await?;
    Ok(())
}

/// Ctrl-C or SIGTERM.
async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

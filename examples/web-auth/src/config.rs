//! The app's settings, from the environment (see the table in `main.rs`).

use std::net::SocketAddr;
use std::path::PathBuf;

use smile_async::{SecretString, Server};

/// Smile ID's CDN copy of the web component (the script that npm's
/// `@smile_identity/smart-camera-web` 11.0.1 ships reports itself as version 1.0.2).
pub(crate) const DEFAULT_SCRIPT_URL: &str =
    "https://cdn.smileidentity.com/js/v1.0.2/smart-camera-web.js";

pub(crate) struct Config {
    pub(crate) addr: SocketAddr,
    pub(crate) db: PathBuf,
    pub(crate) target: Target,
    pub(crate) callback_url: Option<String>,
    pub(crate) script: Script,
}

pub(crate) enum Target {
    /// No credentials: the emulator in process.
    Emulator,
    /// Smile ID (or any v1 server at `base_url`).
    Remote {
        partner_id: String,
        api_key: SecretString,
        server: Server,
        base_url: Option<String>,
    },
}

/// Where the page loads the web component from.
pub(crate) enum Script {
    /// A URL, used as is.
    Url(String),
    /// A local copy, served by the app at `/assets/smart-camera-web.js`.
    File(PathBuf),
}

impl Script {
    pub(crate) fn describe(&self) -> String {
        match self {
            Self::Url(url) => url.clone(),
            Self::File(path) => {
                format!("{} (served at /assets/smart-camera-web.js)", path.display())
            }
        }
    }
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl Config {
    pub(crate) fn from_env() -> Result<Self, String> {
        let addr = var("WEB_AUTH_ADDR").unwrap_or_else(|| "127.0.0.1:8000".to_owned());
        let addr: SocketAddr = addr.parse().map_err(|e| {
            format!("WEB_AUTH_ADDR={addr:?} is not an address such as 127.0.0.1:8000 ({e})")
        })?;
        let db = PathBuf::from(var("WEB_AUTH_DB").unwrap_or_else(|| "web-auth.db".to_owned()));
        let target = match (var("SMILE_PARTNER_ID"), var("SMILE_API_KEY")) {
            (None, None) => Target::Emulator,
            (Some(partner_id), Some(api_key)) => {
                let server = match var("SMILE_SERVER").as_deref() {
                    None | Some("sandbox") => Server::Sandbox,
                    Some("production") => Server::Production,
                    Some(other) => {
                        return Err(format!(
                            "SMILE_SERVER={other:?}: use sandbox or production (or SMILE_BASE_URL)"
                        ));
                    }
                };
                Target::Remote {
                    partner_id,
                    api_key: api_key.into(),
                    server,
                    base_url: var("SMILE_BASE_URL"),
                }
            }
            _ => {
                return Err(
                    "set both SMILE_PARTNER_ID and SMILE_API_KEY, or neither (emulator)".into(),
                );
            }
        };
        let callback_url = var("SMILE_CALLBACK_URL");
        if matches!(target, Target::Remote { base_url: None, .. }) && callback_url.is_none() {
            return Err(
                "against Smile ID, set SMILE_CALLBACK_URL to the public https URL of this \
                        app's /smile/callback route (Smile ID must reach it)"
                    .into(),
            );
        }
        let script = match var("SMART_CAMERA_WEB_SRC") {
            None => Script::Url(DEFAULT_SCRIPT_URL.to_owned()),
            Some(s)
                if ["https://", "http://", "//"]
                    .iter()
                    .any(|p| s.starts_with(p)) =>
            {
                Script::Url(s)
            }
            Some(path) => Script::File(PathBuf::from(path)),
        };
        Ok(Self {
            addr,
            db,
            target,
            callback_url,
            script,
        })
    }
}

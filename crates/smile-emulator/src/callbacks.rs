//! Callback delivery: signed JSON POSTs to the job's callback URL, in order per job, retried
//! with exponential backoff, loopback-only unless allowed.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::sync::{mpsc, watch};

use crate::error_chain::error_chain;
use crate::shared::Shared;
use crate::store::{CallbackOutcome, CallbackRecord};

/// One result to deliver.
#[derive(Debug, Clone)]
pub(crate) struct Delivery {
    pub(crate) job_id: String,
    pub(crate) smile_job_id: String,
    pub(crate) url: String,
    /// The result entry (without `timestamp` / `signature`, added per attempt).
    pub(crate) entry: Map<String, Value>,
}

/// Whether `url` may be contacted: an `http`/`https` URL whose host is loopback (`localhost`,
/// `127.0.0.0/8`, `::1`), or any host when `allow_external`. `Err` says why not.
///
/// `localhost` is approved by name because the callback client never asks the system
/// resolver for it: [`callback_client`] pins it to `127.0.0.1` and `::1`.
pub(crate) fn check_target(url: &str, allow_external: bool) -> Result<reqwest::Url, String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("invalid callback URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!(
            "callback URL scheme {:?} is not http or https",
            parsed.scheme()
        ));
    }
    if allow_external {
        return Ok(parsed);
    }
    let loopback = match parsed.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    };
    if loopback {
        Ok(parsed)
    } else {
        Err(format!(
            "callback host {:?} is not a loopback address; start the emulator with external callbacks allowed to deliver there",
            parsed.host_str().unwrap_or_default()
        ))
    }
}

/// The HTTP client that delivers callbacks: no redirects, and no proxy whatever the
/// environment says (`HTTP_PROXY`, `ALL_PROXY`, ...), since a proxy would carry a loopback-only
/// callback off the machine. `localhost` is pinned to the loopback addresses, so what
/// [`check_target`] approved by name is what is connected to.
pub(crate) fn callback_client(timeout: Duration) -> reqwest::Result<reqwest::Client> {
    let loopback = [
        SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        SocketAddr::from((Ipv6Addr::LOCALHOST, 0)),
    ];
    reqwest::Client::builder()
        .no_proxy()
        .resolve_to_addrs("localhost", &loopback)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .user_agent(concat!("smile-emulator/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Receives deliveries and hands each job's to its own worker, so that one job's callbacks
/// arrive in order (provisional before final) while jobs do not wait for each other.
pub(crate) async fn dispatcher(
    shared: Arc<Shared>,
    mut rx: mpsc::UnboundedReceiver<Delivery>,
    shutdown: watch::Receiver<bool>,
) {
    let client = match callback_client(shared.config.callbacks.timeout) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "cannot build the callback HTTP client; callbacks disabled");
            return;
        }
    };
    let mut workers: HashMap<String, mpsc::UnboundedSender<Delivery>> = HashMap::new();
    while let Some(delivery) = rx.recv().await {
        workers.retain(|_, tx| !tx.is_closed());
        let job_id = delivery.job_id.clone();
        let tx = workers.entry(job_id).or_insert_with(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(worker(
                Arc::clone(&shared),
                client.clone(),
                rx,
                shutdown.clone(),
            ));
            tx
        });
        let _ = tx.send(delivery);
    }
}

async fn worker(
    shared: Arc<Shared>,
    client: reqwest::Client,
    mut rx: mpsc::UnboundedReceiver<Delivery>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let delivery = tokio::select! {
            d = rx.recv() => d,
            _ = shutdown.changed() => None,
        };
        let Some(delivery) = delivery else { return };
        tokio::select! {
            () = deliver(&shared, &client, &delivery) => {}
            _ = shutdown.changed() => return,
        }
    }
}

async fn deliver(shared: &Shared, client: &reqwest::Client, d: &Delivery) {
    let cfg = &shared.config.callbacks;
    let result_code = d
        .entry
        .get("ResultCode")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let record = |attempt, outcome| CallbackRecord {
        smile_job_id: d.smile_job_id.clone(),
        job_id: d.job_id.clone(),
        url: d.url.clone(),
        result_code: result_code.clone(),
        attempt,
        outcome,
    };
    let url = match check_target(&d.url, cfg.allow_external) {
        Ok(u) => u,
        Err(reason) => {
            tracing::warn!(url = %d.url, %reason, "callback not delivered");
            shared.log_callback(record(0, CallbackOutcome::Blocked { reason }));
            return;
        }
    };
    let mut backoff = cfg.initial_backoff;
    for attempt in 1..=cfg.max_attempts.max(1) {
        // Each attempt is signed afresh.
        let mut body = d.entry.clone();
        let (timestamp, signature) = shared.signed_now();
        body.insert("timestamp".into(), Value::String(timestamp));
        body.insert("signature".into(), Value::String(signature));
        let bytes = serde_json::to_vec(&body).unwrap_or_default();
        let outcome = match client
            .post(url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(bytes)
            .send()
            .await
        {
            Ok(resp) if resp.status().is_success() => CallbackOutcome::Delivered {
                status: resp.status().as_u16(),
            },
            Ok(resp) => CallbackOutcome::Rejected {
                status: resp.status().as_u16(),
            },
            Err(e) => CallbackOutcome::Failed {
                error: error_chain(&e),
            },
        };
        let done = matches!(outcome, CallbackOutcome::Delivered { .. });
        tracing::debug!(url = %d.url, attempt, ?outcome, "callback attempt");
        shared.log_callback(record(attempt, outcome));
        if done {
            return;
        }
        if attempt < cfg.max_attempts {
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(cfg.max_backoff);
        }
    }
    tracing::warn!(url = %d.url, job_id = %d.job_id, "callback given up after {} attempts", cfg.max_attempts);
}

/// Drives due work: wakes when notified or when the next due time (by the emulator's clock)
/// is near, and at least every 50 ms while something is scheduled (a test clock may have been
/// advanced meanwhile).
pub(crate) async fn scheduler(shared: Arc<Shared>, mut shutdown: watch::Receiver<bool>) {
    const MAX_NAP: Duration = Duration::from_millis(50);
    loop {
        shared.run_due();
        let nap = shared.next_due().map(|due| {
            due.duration_since(shared.now())
                .unwrap_or(Duration::ZERO)
                .min(MAX_NAP)
        });
        tokio::select! {
            () = shared.wake.notified() => {}
            () = async {
                match nap {
                    Some(d) => tokio::time::sleep(d).await,
                    None => std::future::pending::<()>().await,
                }
            } => {}
            _ = shutdown.changed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::check_target;

    #[test]
    fn only_loopback_by_default() {
        for ok in [
            "http://127.0.0.1:9/cb",
            "http://127.5.6.7/cb",
            "http://localhost:8000/x",
            "http://LOCALHOST/x",
            "http://[::1]:3000/",
            "https://127.0.0.1/cb",
        ] {
            assert!(check_target(ok, false).is_ok(), "{ok}");
        }
        for blocked in [
            "https://callback.example.com/smile",
            "http://10.0.0.1/cb",
            "http://192.168.1.1/cb",
            "http://169.254.169.254/latest/meta-data",
            "http://[::ffff:10.0.0.1]/",
            "http://localhost.example.com/",
            "ftp://127.0.0.1/x",
            "not a url",
        ] {
            assert!(check_target(blocked, false).is_err(), "{blocked}");
        }
        assert!(check_target("https://callback.example.com/smile", true).is_ok());
        assert!(check_target("ftp://example.com/", true).is_err());
    }
}

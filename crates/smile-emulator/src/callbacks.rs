//! Callback delivery: signed JSON POSTs to the job's callback URL, in order per job, retried
//! with exponential backoff, loopback-only unless allowed.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::{mpsc, watch};

use crate::error_chain::error_chain;
use crate::shared::{Delivery, Shared};
use crate::store::{CallbackOutcome, CallbackRecord};

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

/// One job's worker as the dispatcher knows it.
struct WorkerHandle {
    /// Tells the worker apart from a later worker for the same job.
    id: u64,
    tx: mpsc::UnboundedSender<Delivery>,
    /// Deliveries sent to the worker and not yet finished by it. Only the dispatcher
    /// increments it, so when the dispatcher sees zero, nothing is in flight.
    pending: Arc<AtomicUsize>,
}

/// Receives deliveries and hands each job's to its own worker, so that one job's callbacks
/// arrive in order (provisional before final) while jobs do not wait for each other.
///
/// A worker that has finished everything it was sent says so; the dispatcher then drops its
/// sender (if nothing new was sent meanwhile), which ends the worker, and forgets the job.
/// A later delivery for the job starts a new worker. Each delivery costs a constant number of
/// map operations.
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
    let (idle_tx, mut idle_rx) = mpsc::unbounded_channel::<(String, u64)>();
    let mut workers: HashMap<String, WorkerHandle> = HashMap::new();
    let mut next_id: u64 = 0;
    loop {
        tokio::select! {
            // Idle reports first: they only ever shrink the map.
            biased;
            Some((job_id, id)) = idle_rx.recv() => {
                let finished = workers.get(&job_id).is_some_and(|w| {
                    w.id == id && w.pending.load(Ordering::Acquire) == 0
                });
                if finished {
                    // Dropping the only sender ends the worker once its queue is empty,
                    // which it is: nothing was sent since it finished its last delivery.
                    workers.remove(&job_id);
                }
            }
            delivery = rx.recv() => {
                let Some(delivery) = delivery else { return };
                let handle = workers.entry(delivery.job_id.clone()).or_insert_with(|| {
                    let (tx, rx) = mpsc::unbounded_channel();
                    let pending = Arc::new(AtomicUsize::new(0));
                    next_id += 1;
                    tokio::spawn(worker(
                        Arc::clone(&shared),
                        client.clone(),
                        rx,
                        shutdown.clone(),
                        Idle {
                            job_id: delivery.job_id.clone(),
                            id: next_id,
                            pending: Arc::clone(&pending),
                            tx: idle_tx.clone(),
                        },
                    ));
                    WorkerHandle { id: next_id, tx, pending }
                });
                handle.pending.fetch_add(1, Ordering::AcqRel);
                let _ = handle.tx.send(delivery);
            }
        }
    }
}

/// How a worker reports that it has finished everything it was sent.
struct Idle {
    job_id: String,
    id: u64,
    pending: Arc<AtomicUsize>,
    tx: mpsc::UnboundedSender<(String, u64)>,
}

/// Counts live workers in [`Shared::callback_workers`] for as long as it lives.
struct LiveWorker<'a>(&'a AtomicUsize);

impl<'a> LiveWorker<'a> {
    fn new(counter: &'a AtomicUsize) -> Self {
        counter.fetch_add(1, Ordering::AcqRel);
        Self(counter)
    }
}

impl Drop for LiveWorker<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

async fn worker(
    shared: Arc<Shared>,
    client: reqwest::Client,
    mut rx: mpsc::UnboundedReceiver<Delivery>,
    mut shutdown: watch::Receiver<bool>,
    idle: Idle,
) {
    let _live = LiveWorker::new(&shared.callback_workers);
    loop {
        let delivery = tokio::select! {
            d = rx.recv() => d,
            _ = shutdown.changed() => None,
        };
        // `None`: the dispatcher dropped the sender (this worker is done) or is gone.
        let Some(delivery) = delivery else { return };
        tokio::select! {
            () = deliver(&shared, &client, &delivery) => {}
            _ = shutdown.changed() => return,
        }
        if idle.pending.fetch_sub(1, Ordering::AcqRel) == 1 {
            let _ = idle.tx.send((idle.job_id.clone(), idle.id));
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
            backoff = backoff.saturating_mul(2).min(cfg.max_backoff);
        }
    }
    tracing::warn!(url = %d.url, job_id = %d.job_id, "callback given up after {} attempts", cfg.max_attempts);
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::Ordering;
    use std::time::Duration;

    use serde_json::{Map, Value};
    use tokio::sync::{mpsc, watch};

    use super::{check_target, dispatcher};
    use crate::config::Config;
    use crate::shared::{Delivery, Shared};
    use crate::store::Store;

    fn delivery(job: usize, code: usize) -> Delivery {
        let mut entry = Map::new();
        entry.insert("ResultCode".into(), Value::String(code.to_string()));
        Delivery {
            job_id: format!("job-{job}"),
            smile_job_id: "0000000001".into(),
            // Not loopback: blocked and logged at once, no network.
            url: "http://10.0.0.1/cb".into(),
            entry,
        }
    }

    /// Waits (bounded; a safety net, not a timing assertion) until `done` holds.
    async fn until(mut done: impl FnMut() -> bool) -> bool {
        for _ in 0..2000 {
            if done() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        done()
    }

    #[tokio::test]
    async fn workers_exit_when_idle_and_keep_each_jobs_order() {
        let (tx, rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared::new(
            Config::default(),
            Store::default(),
            tx.clone(),
            "http",
            "127.0.0.1:1".into(),
        ));
        let (_stop, stop_rx) = watch::channel(false);
        let task = tokio::spawn(dispatcher(Arc::clone(&shared), rx, stop_rx));
        let log_len = || shared.store().callback_log.len();
        let live = || shared.callback_workers.load(Ordering::Acquire);
        for round in 0..3 {
            for code in 0..3 {
                for job in 0..20 {
                    tx.send(delivery(job, round * 3 + code)).unwrap();
                }
            }
            let expected = (round + 1) * 60;
            assert!(
                until(|| log_len() == expected && live() == 0).await,
                "round {round}: {} records, {} workers alive",
                log_len(),
                live()
            );
        }
        // Each job's deliveries were handled in the order they were queued.
        let log = shared.store().callback_log.clone();
        for job in 0..20 {
            let codes: Vec<String> = log
                .iter()
                .filter(|r| r.job_id == format!("job-{job}"))
                .map(|r| r.result_code.clone())
                .collect();
            let expected: Vec<String> = (0..9).map(|c| c.to_string()).collect();
            assert_eq!(codes, expected, "job-{job}");
        }
        task.abort();
    }

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

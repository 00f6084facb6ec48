//! State shared by the handlers, the scheduler, the callback dispatcher and the control
//! handles: configuration, signer, the store, faults and the callback queue. Job processing
//! lives in `processing`, which works on this state.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use serde_json::{Map, Value};
use tokio::sync::{Notify, mpsc};

use crate::budget::InflateBudget;
use crate::config::Config;
use crate::conn::Connections;
use crate::error::Error;
use crate::faults::Faults;
use crate::store::{CallbackRecord, Snapshot, Store};
use smile_sign::{Clock, Signer, format_timestamp};
use smile_types::PartnerId;

/// One result to deliver to a callback URL.
#[derive(Debug, Clone)]
pub(crate) struct Delivery {
    pub(crate) job_id: String,
    pub(crate) smile_job_id: String,
    pub(crate) url: String,
    /// The result entry (without `timestamp` / `signature`, added per attempt).
    pub(crate) entry: Map<String, Value>,
}

/// `now + delay`, clamped to about 100 years from now when that is beyond what `SystemTime`
/// holds (configured delays and TTLs may be anything up to `Duration::MAX`).
pub(crate) fn later(now: SystemTime, delay: std::time::Duration) -> SystemTime {
    const CENTURY: std::time::Duration = std::time::Duration::from_secs(100 * 365 * 86_400);
    now.checked_add(delay)
        .or_else(|| now.checked_add(CENTURY))
        .unwrap_or(now)
}

/// Everything the running emulator shares.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: Config,
    pub(crate) signer: Signer,
    pub(crate) clock: Arc<dyn Clock>,
    store: Mutex<Store>,
    /// Held from snapshot to rename while writing the state file, so that writes happen in
    /// snapshot order and an older snapshot never replaces a newer one.
    persist_lock: Mutex<()>,
    pub(crate) faults: Faults,
    /// Wakes the scheduler when something new becomes due.
    pub(crate) wake: Notify,
    callbacks: mpsc::UnboundedSender<Delivery>,
    /// `http` or `https`.
    pub(crate) scheme: &'static str,
    /// `host:port` the emulator listens on (used when a request has no usable `Host`).
    pub(crate) authority: String,
    /// Callback workers alive now (one per job with callbacks queued or being delivered).
    pub(crate) callback_workers: std::sync::atomic::AtomicUsize,
    /// The bytes all uploads in flight may inflate to.
    pub(crate) inflate: Arc<InflateBudget>,
    /// The open connections.
    pub(crate) connections: Arc<Connections>,
    /// Requests that followed a redirect fault to the emulator's redirect target.
    pub(crate) redirects_followed: std::sync::atomic::AtomicU64,
}

impl Shared {
    pub(crate) fn new(
        config: Config,
        store: Store,
        callbacks: mpsc::UnboundedSender<Delivery>,
        scheme: &'static str,
        authority: String,
    ) -> Self {
        let signer = Signer::new(
            PartnerId::new(config.partner_id.clone()),
            config.api_key.clone(),
        );
        let faults = Faults::new();
        for (endpoint, fault) in &config.faults {
            faults.set(*endpoint, fault.clone());
        }
        let inflate = Arc::new(InflateBudget::new(config.max_inflated_in_flight));
        let connections = Arc::new(Connections::new(config.max_connections));
        Self {
            clock: Arc::clone(&config.clock),
            config,
            signer,
            store: Mutex::new(store),
            persist_lock: Mutex::new(()),
            faults,
            wake: Notify::new(),
            callbacks,
            scheme,
            authority,
            callback_workers: std::sync::atomic::AtomicUsize::new(0),
            inflate,
            connections,
            redirects_followed: std::sync::atomic::AtomicU64::new(0),
        }
    }

    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn now(&self) -> SystemTime {
        self.clock.now()
    }

    /// A fresh `(timestamp, signature)` pair.
    pub(crate) fn signed_now(&self) -> (String, String) {
        let ts = format_timestamp(self.now());
        let sig = self.signer.sign(&ts);
        (ts, sig)
    }

    /// Writes the state file, if one is configured. Errors are logged, not fatal.
    ///
    /// Writers take turns (snapshot, write, rename), so the file always ends up holding the
    /// latest snapshot.
    pub(crate) fn persist(&self) {
        let Some(path) = &self.config.state_file else {
            return;
        };
        let _turn = self
            .persist_lock
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let snapshot = self.store().snapshot();
        if let Err(e) = write_state_file(path, &snapshot) {
            tracing::warn!(path = %path.display(), error = %e, "could not write the state file");
        }
    }

    /// Queues callbacks. Callers producing results under the store lock call this before
    /// releasing it, so that the queue order is the order of the results.
    pub(crate) fn dispatch(&self, deliveries: Vec<Delivery>) {
        for d in deliveries {
            // The receiver only goes away at shutdown.
            let _ = self.callbacks.send(d);
        }
    }

    pub(crate) fn log_callback(&self, record: CallbackRecord) {
        self.store().log_callback(record);
    }
}

fn write_state_file(path: &Path, snapshot: &Snapshot) -> std::io::Result<()> {
    let text = serde_json::to_vec_pretty(snapshot).map_err(std::io::Error::other)?;
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

/// Reads a state file written by an earlier run (a missing file is an empty state).
pub(crate) fn read_state_file(path: &Path) -> Result<Store, Error> {
    match std::fs::read(path) {
        Ok(bytes) => {
            let snapshot: Snapshot =
                serde_json::from_slice(&bytes).map_err(|source| Error::StateFile {
                    path: path.to_owned(),
                    source: Box::new(source),
                })?;
            Ok(Store::restore(snapshot))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Store::default()),
        Err(source) => Err(Error::StateFile {
            path: path.to_owned(),
            source: Box::new(source),
        }),
    }
}

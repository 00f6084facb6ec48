//! State shared by the handlers, the scheduler and the control handles; job processing.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use serde_json::{Map, Value, json};
use tokio::sync::{Notify, mpsc};

use crate::callbacks::Delivery;
use crate::config::Config;
use crate::faults::Faults;
use crate::outcome::{self, EntryContext};
use crate::store::{
    CallbackRecord, Job, JobInfo, JobKind, JobPhase, Review, Snapshot, Store, User, UserInfo,
};
use smile_sign::{Clock, Signer, format_timestamp};
use smile_types::PartnerId;

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

    /// Produces every result that is due by the clock: machine results of processed jobs
    /// and final results of reviews. Queues their callbacks. Returns whether anything changed.
    ///
    /// The callbacks are queued while the store lock is still held (the queue is unbounded and
    /// never blocks), so a job's results are queued in the order they were produced even when
    /// two callers run this at once.
    pub(crate) fn run_due(&self) -> bool {
        let now = self.now();
        let changed = {
            let mut store = self.store();
            let store = &mut *store;
            let mut deliveries = Vec::new();
            for job in store.jobs.values_mut() {
                if job.phase == JobPhase::Processing && job.processing_due.is_none_or(|d| d <= now)
                {
                    process(job, &mut store.users, self.config.review_delay, now);
                    queue_last(job, &mut deliveries);
                }
                if job
                    .review
                    .as_ref()
                    .is_some_and(|r| r.due.is_some_and(|d| d <= now))
                {
                    finish_review(job, &mut store.users, now);
                    queue_last(job, &mut deliveries);
                }
            }
            let changed = !deliveries.is_empty();
            self.dispatch(deliveries);
            changed
        };
        if changed {
            self.persist();
        }
        changed
    }

    /// Completes every pending review now (whatever its due time).
    pub(crate) fn complete_reviews(&self) -> usize {
        let now = self.now();
        let mut count = 0;
        {
            let mut store = self.store();
            for job in store.jobs.values_mut() {
                if let Some(review) = job.review.as_mut() {
                    review.due = Some(now);
                    count += 1;
                }
            }
        }
        self.run_due();
        count
    }

    /// The earliest time something becomes due, if anything is scheduled.
    pub(crate) fn next_due(&self) -> Option<SystemTime> {
        let store = self.store();
        store
            .jobs
            .values()
            .flat_map(|j| {
                let processing = (j.phase == JobPhase::Processing)
                    .then_some(j.processing_due)
                    .flatten();
                let review = j.review.as_ref().and_then(|r| r.due);
                processing.into_iter().chain(review)
            })
            .min()
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

fn queue_last(job: &Job, deliveries: &mut Vec<Delivery>) {
    if let (Some(url), Some(entry)) = (&job.callback_url, job.results.last()) {
        deliveries.push(Delivery {
            job_id: job.job_id.clone(),
            smile_job_id: job.smile_job_id.clone(),
            url: url.clone(),
            entry: entry.clone(),
        });
    }
}

/// Produces the machine result of a processed job.
fn process(
    job: &mut Job,
    users: &mut std::collections::BTreeMap<String, User>,
    review_delay: Option<std::time::Duration>,
    now: SystemTime,
) {
    job.phase = JobPhase::Complete;
    job.processing_due = None;
    let ctx = EntryContext {
        job_type: job.job_type,
        smile_job_id: &job.smile_job_id,
        partner_params: &job.partner_params,
    };
    if let Some(failure) = &job.failure {
        let entry = outcome::result_entry(&ctx, &failure.code, None, Some(&failure.detail));
        job.results.push(entry);
        return;
    }
    let code = job.outcome.result.clone();
    if job.kind == JobKind::IdApi {
        let entry = crate::idapi::id_result_entry(&ctx, &code, &job.id_info);
        job.results.push(entry);
        return;
    }
    if job.job_type == 1 && entered(&job.id_info) {
        // Biometric KYC looks the ID up first; that lookup is part of the history.
        let lookup_ctx = EntryContext {
            job_type: 5,
            smile_job_id: &job.smile_job_id,
            partner_params: &job.partner_params,
        };
        let lookup = crate::idapi::id_result_entry(&lookup_ctx, "1012", &job.id_info);
        job.results.push(lookup);
    }
    let mut entry = outcome::result_entry(&ctx, &code, None, None);
    add_id_fields(job, &mut entry, &code);
    add_warnings(&mut entry, &job.warnings);
    job.results.push(entry);
    if let Some(final_code) = job.outcome.final_result.clone() {
        job.review = Some(Review {
            due: review_delay.map(|d| later(now, d)),
            prior: code,
            final_code,
        });
    } else {
        enrol_if_approved(job, users, now);
    }
}

/// Job 11 (Enhanced Document Verification) reports the ID details with its result: the same
/// fields as an ID lookup (`Country`, `IDType`, `IDNumber`, `FullName`, `DOB`, ...), filled in
/// when the result is a success and "Not Available" otherwise.
fn add_id_fields(job: &Job, entry: &mut Map<String, Value>, code: &str) {
    if job.job_type != 11 {
        return;
    }
    let lookup_ctx = EntryContext {
        job_type: 5,
        smile_job_id: &job.smile_job_id,
        partner_params: &job.partner_params,
    };
    let lookup_code = if outcome::is_success(11, code) {
        "1012"
    } else {
        "1013"
    };
    let lookup = crate::idapi::id_result_entry(&lookup_ctx, lookup_code, &job.id_info);
    for key in [
        "Country",
        "IDType",
        "IDNumber",
        "FullName",
        "DOB",
        "Gender",
        "PhoneNumber",
        "ExpirationDate",
        "Photo",
        "Address",
    ] {
        if let Some(value) = lookup.get(key) {
            entry.insert(key.into(), value.clone());
        }
    }
}

/// Adds `EmulatorWarnings` (what the package check skipped) to a result entry, if any.
fn add_warnings(entry: &mut Map<String, Value>, warnings: &[String]) {
    if !warnings.is_empty() {
        entry.insert("EmulatorWarnings".into(), json!(warnings));
    }
}

fn entered(id_info: &Map<String, Value>) -> bool {
    match id_info.get("entered") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

fn finish_review(
    job: &mut Job,
    users: &mut std::collections::BTreeMap<String, User>,
    now: SystemTime,
) {
    let Some(review) = job.review.take() else {
        return;
    };
    let ctx = EntryContext {
        job_type: job.job_type,
        smile_job_id: &job.smile_job_id,
        partner_params: &job.partner_params,
    };
    let mut entry = outcome::result_entry(&ctx, &review.final_code, Some(&review.prior), None);
    add_id_fields(job, &mut entry, &review.final_code);
    add_warnings(&mut entry, &job.warnings);
    job.results.push(entry);
    enrol_if_approved(job, users, now);
}

/// Jobs 1, 4 and 6 enrol their user when approved ([protocol §4.3](smile_types::protocol#43-partner_params)).
fn enrol_if_approved(
    job: &Job,
    users: &mut std::collections::BTreeMap<String, User>,
    now: SystemTime,
) {
    if !matches!(job.job_type, 1 | 4 | 6) {
        return;
    }
    let Some(code) = job
        .results
        .last()
        .and_then(|r| r.get("ResultCode"))
        .and_then(Value::as_str)
    else {
        return;
    };
    if !outcome::is_approved(job.job_type, code) {
        return;
    }
    // A document-verification job that reused the enrolled selfie enrols nobody new.
    if users.contains_key(&job.user_id) && job.job_type != 4 {
        return;
    }
    users.insert(
        job.user_id.clone(),
        User {
            user_id: job.user_id.clone(),
            job_id: Some(job.job_id.clone()),
            smile_job_id: Some(job.smile_job_id.clone()),
            has_photo: !job.use_enrolled_image,
            enrolled_at: now,
        },
    );
}

fn write_state_file(path: &Path, snapshot: &Snapshot) -> std::io::Result<()> {
    let text = serde_json::to_vec_pretty(snapshot).map_err(std::io::Error::other)?;
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

/// Reads a state file written by an earlier run (a missing file is an empty state).
pub(crate) fn read_state_file(path: &Path) -> Result<Store, crate::Error> {
    match std::fs::read(path) {
        Ok(bytes) => {
            let snapshot: Snapshot =
                serde_json::from_slice(&bytes).map_err(|source| crate::Error::StateFile {
                    path: path.to_owned(),
                    source: Box::new(source),
                })?;
            Ok(Store::restore(snapshot))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Store::default()),
        Err(source) => Err(crate::Error::StateFile {
            path: path.to_owned(),
            source: Box::new(source),
        }),
    }
}

/// Control handle for the emulator's state (see [`crate::Emulator::state`]).
///
/// Cloning is cheap; all clones act on the same running emulator. Every method is
/// synchronous and may be called from any thread.
#[derive(Clone)]
pub struct State {
    pub(crate) shared: Arc<Shared>,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let store = self.shared.store();
        f.debug_struct("State")
            .field("jobs", &store.jobs.len())
            .field("users", &store.users.len())
            .finish_non_exhaustive()
    }
}

impl State {
    /// Enrols `user_id` directly, as if a job 4 had approved it (with a photo on file).
    pub fn enrol_user(&self, user_id: impl Into<String>) {
        self.enrol_user_with_photo(user_id, true);
    }

    /// Enrols `user_id`; with `has_photo = false`, job 2 for the user fails with 2216.
    pub fn enrol_user_with_photo(&self, user_id: impl Into<String>, has_photo: bool) {
        let user_id = user_id.into();
        let now = self.shared.now();
        self.shared.store().users.insert(
            user_id.clone(),
            User {
                user_id,
                job_id: None,
                smile_job_id: None,
                has_photo,
                enrolled_at: now,
            },
        );
        self.shared.persist();
    }

    /// Removes an enrolled user; returns whether there was one.
    pub fn remove_user(&self, user_id: &str) -> bool {
        let removed = self.shared.store().users.remove(user_id).is_some();
        if removed {
            self.shared.persist();
        }
        removed
    }

    /// The enrolled user `user_id`.
    #[must_use]
    pub fn user(&self, user_id: &str) -> Option<UserInfo> {
        self.shared.store().users.get(user_id).map(UserInfo::from)
    }

    /// Every enrolled user.
    #[must_use]
    pub fn users(&self) -> Vec<UserInfo> {
        self.shared
            .store()
            .users
            .values()
            .map(UserInfo::from)
            .collect()
    }

    /// The job with the partner's `job_id`.
    #[must_use]
    pub fn job(&self, job_id: &str) -> Option<JobInfo> {
        self.shared.store().jobs.get(job_id).map(JobInfo::from)
    }

    /// Every job, by job id.
    #[must_use]
    pub fn jobs(&self) -> Vec<JobInfo> {
        self.shared
            .store()
            .jobs
            .values()
            .map(JobInfo::from)
            .collect()
    }

    /// Produces every result that is due by the emulator's clock now (useful after advancing
    /// a fixed clock; the emulator also does this by itself every few milliseconds).
    pub fn run_due(&self) -> bool {
        self.shared.run_due()
    }

    /// Completes every pending review now; returns how many there were.
    pub fn complete_reviews(&self) -> usize {
        self.shared.complete_reviews()
    }

    /// The callback delivery log (the most recent 1000 attempts).
    #[must_use]
    pub fn callbacks(&self) -> Vec<CallbackRecord> {
        self.shared.store().callback_log.iter().cloned().collect()
    }

    /// Forgets every job, user, image and callback record.
    pub fn reset(&self) {
        self.shared.store().clear();
        self.shared.persist();
    }

    /// The state as JSON (what the state file holds).
    #[must_use]
    pub fn snapshot(&self) -> Value {
        let snapshot = self.shared.store().snapshot();
        serde_json::to_value(snapshot).unwrap_or_else(|e| json!({ "error": e.to_string() }))
    }
}

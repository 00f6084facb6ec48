//! The public control handle for the emulator's state: users, jobs, reviews, the callback log.

use std::sync::Arc;

use serde::Serialize;
use serde_json::{Value, json};

use crate::processing;
use crate::shared::Shared;
use crate::store::{CallbackRecord, JobInfo, User, UserInfo};

/// Counters of a running emulator (see [`State::stats`]; `GET /__emulator/stats` answers the
/// same as JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Stats {
    /// Connections open now.
    pub connections_open: usize,
    /// The connection cap ([`Config::max_connections`](crate::Config::max_connections)).
    pub connections_max: usize,
    /// The most connections open at once so far.
    pub connections_high_water: usize,
    /// Connections closed to make room for new ones (idle or slow ones, when every slot was
    /// taken).
    pub connections_shed: u64,
    /// Requests whose body did not arrive within the body-read timeout.
    pub body_read_timeouts: u64,
    /// The inflate budget in bytes
    /// ([`Config::max_inflated_in_flight`](crate::Config::max_inflated_in_flight), rounded down
    /// to whole KiB).
    pub inflate_budget: usize,
    /// Bytes reserved from the inflate budget now.
    pub inflate_in_use: usize,
    /// The most bytes reserved from the inflate budget at once so far (never above
    /// `inflate_budget`).
    pub inflate_high_water: usize,
    /// Zip uploads refused (503 `SlowDown`) because the inflate budget stayed full.
    pub uploads_refused_busy: u64,
    /// Requests that followed a `redirect` fault to the emulator's redirect target.
    pub redirects_followed: u64,
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
        processing::run_due(&self.shared)
    }

    /// Completes every pending review now; returns how many there were.
    pub fn complete_reviews(&self) -> usize {
        processing::complete_reviews(&self.shared)
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

    /// Connection, inflate-budget and redirect counters.
    #[must_use]
    pub fn stats(&self) -> Stats {
        let shared = &self.shared;
        let conns = &shared.connections;
        let inflate = &shared.inflate;
        Stats {
            connections_open: conns.open(),
            connections_max: conns.max(),
            connections_high_water: conns.high_water(),
            connections_shed: conns.shed_count(),
            body_read_timeouts: conns.body_timeouts(),
            inflate_budget: inflate.limit(),
            inflate_in_use: inflate.in_use(),
            inflate_high_water: inflate.high_water(),
            uploads_refused_busy: inflate.refused(),
            redirects_followed: shared
                .redirects_followed
                .load(std::sync::atomic::Ordering::Acquire),
        }
    }

    /// The state as JSON (what the state file holds).
    #[must_use]
    pub fn snapshot(&self) -> Value {
        let snapshot = self.shared.store().snapshot();
        serde_json::to_value(snapshot).unwrap_or_else(|e| json!({ "error": e.to_string() }))
    }
}

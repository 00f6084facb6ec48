//! Where the callback endpoint remembers things: the latest result per job (to dedupe and
//! order deliveries) and the callbacks not yet handed to the application.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use smile_async::sign::{CallbackState, DedupeKey, supersedes};

/// The id a store gives an accepted callback (increasing in the order of acceptance).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeliveryId(pub i64);

impl fmt::Display for DeliveryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A verified callback to record ([`CallbackStore::record`]). `Debug` leaves out the body.
#[derive(Clone)]
#[non_exhaustive]
pub struct NewCallback {
    /// Its job: (`SmileJobID`, `PartnerParams.job_id`).
    pub key: DedupeKey,
    /// Its result code, timestamp and finality.
    pub state: CallbackState,
    /// The body as received (a JSON object).
    pub body: String,
    /// When it was received.
    pub received_at: SystemTime,
}

impl NewCallback {
    /// A callback from its parts.
    #[must_use]
    pub fn new(
        key: DedupeKey,
        state: CallbackState,
        body: String,
        received_at: SystemTime,
    ) -> Self {
        Self {
            key,
            state,
            body,
            received_at,
        }
    }
}

/// A recorded callback. `Debug` leaves out the body.
#[derive(Clone)]
#[non_exhaustive]
pub struct StoredCallback {
    /// Its id.
    pub id: DeliveryId,
    /// Its job.
    pub key: DedupeKey,
    /// Its result code, timestamp and finality.
    pub state: CallbackState,
    /// The body as received.
    pub body: String,
    /// When it was received.
    pub received_at: SystemTime,
    /// How many times it was claimed for the application (the current claim included).
    pub attempts: u32,
    /// Whether the application has handled it.
    pub delivered: bool,
}

impl StoredCallback {
    /// A stored callback from its parts.
    #[must_use]
    pub fn new(id: DeliveryId, callback: NewCallback, attempts: u32, delivered: bool) -> Self {
        Self {
            id,
            key: callback.key,
            state: callback.state,
            body: callback.body,
            received_at: callback.received_at,
            attempts,
            delivered,
        }
    }
}

/// Why a verified callback was not handed to the application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IgnoreReason {
    /// The same result code and timestamp as the stored result: a replay or a re-delivery.
    Duplicate,
    /// Older than the stored result.
    Older,
    /// A provisional result after a final one.
    AfterFinal,
}

impl IgnoreReason {
    /// `duplicate`, `older` or `after_final`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Duplicate => "duplicate",
            Self::Older => "older",
            Self::AfterFinal => "after_final",
        }
    }
}

impl fmt::Display for IgnoreReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What [`CallbackStore::record`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Recorded {
    /// Stored as the job's latest result, and queued for the application.
    Accepted(DeliveryId),
    /// Not stored: the stored result of the job is at least as new.
    Ignored(IgnoreReason),
}

/// The rule every store applies in [`CallbackStore::record`]: `None` when `next` replaces the
/// job's stored state `prev` (or there is none), else why it is ignored. It is
/// [`supersedes`] with the reason named.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use smile_axum::{IgnoreReason, ignore_reason};
/// use smile_axum::smile_async::sign::CallbackState;
///
/// let t = UNIX_EPOCH + Duration::from_secs(1_709_640_001);
/// let provisional = CallbackState::new("0824", t, false);
/// let last = CallbackState::new("1220", t + Duration::from_secs(60), true);
/// assert_eq!(ignore_reason(None, &provisional), None);
/// assert_eq!(ignore_reason(Some(&provisional), &last), None);
/// assert_eq!(ignore_reason(Some(&last), &last), Some(IgnoreReason::Duplicate));
/// assert_eq!(ignore_reason(Some(&last), &provisional), Some(IgnoreReason::Older));
/// ```
#[must_use]
pub fn ignore_reason(prev: Option<&CallbackState>, next: &CallbackState) -> Option<IgnoreReason> {
    let prev = prev?;
    if supersedes(prev, next) {
        return None;
    }
    Some(
        if next.issued_at == prev.issued_at && next.result_code == prev.result_code {
            IgnoreReason::Duplicate
        } else if next.issued_at < prev.issued_at {
            IgnoreReason::Older
        } else {
            IgnoreReason::AfterFinal
        },
    )
}

/// A store failed (a database error); the endpoint answers 500 so that the sender retries.
#[derive(Debug, thiserror::Error)]
#[error("the callback store failed")]
pub struct StoreError(#[source] Box<dyn std::error::Error + Send + Sync>);

impl StoreError {
    /// Wraps the cause.
    pub fn new(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self(source.into())
    }
}

/// What the callback endpoint remembers: the latest result per job, and the accepted callbacks
/// until the application has handled them.
///
/// Two implementations come with the crate: [`MemoryStore`] (tests, development: a restart
/// forgets everything) and `SqliteStore` (feature `sqlite`, the embedded default for a real
/// server: a restart loses nothing).
///
/// # Several instances behind a load balancer
///
/// Implement this trait on the database they share (Postgres, MySQL, ...): every instance then
/// answers callbacks and dispatches them, and each callback still reaches the application once.
/// What each method must do atomically, in SQL terms, for a table `callbacks(id serial, key,
/// result_code, issued_at, is_final, body, received_at, attempts, lease_until, delivered)`:
///
/// - [`record`](Self::record): in one transaction, lock the job's latest row (`SELECT ... WHERE
///   key = $1 ORDER BY id DESC LIMIT 1 FOR UPDATE`; take a transaction-scoped advisory lock on the key
///   first, so that the first callback of a job is serialized too), decide with
///   [`ignore_reason`], and insert when accepted.
/// - [`claim`](Self::claim): `UPDATE callbacks SET lease_until = $now + $lease, attempts =
///   attempts + 1 WHERE id IN (SELECT id FROM callbacks c WHERE NOT delivered AND (lease_until
///   IS NULL OR lease_until <= $now) AND NOT EXISTS (an undelivered row of the same key with a
///   smaller id) ORDER BY id LIMIT $limit FOR UPDATE SKIP LOCKED) RETURNING *`.
/// - [`complete`](Self::complete): `UPDATE ... SET delivered = true WHERE id = $1`.
///
/// A claim is a lease: an instance that dies while the application handles a callback leaves
/// it to another instance once the lease runs out.
#[async_trait::async_trait]
pub trait CallbackStore: Send + Sync + 'static {
    /// Records a verified callback, unless the stored result of its job is at least as new
    /// ([`ignore_reason`]). Must be atomic: of two concurrent records of the same callback, one
    /// is accepted and the other ignored as [`IgnoreReason::Duplicate`].
    ///
    /// # Errors
    /// A [`StoreError`] when the store cannot be read or written.
    async fn record(&self, callback: NewCallback) -> Result<Recorded, StoreError>;

    /// Claims up to `limit` accepted callbacks that the application has not handled and that
    /// no unexpired claim holds, oldest first, **at most one per job and only the oldest of
    /// its job** (so a job's results reach the application in order), and holds them until
    /// `now + lease`. Each claim counts one attempt.
    ///
    /// # Errors
    /// A [`StoreError`] when the store cannot be read or written.
    async fn claim(
        &self,
        now: SystemTime,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<StoredCallback>, StoreError>;

    /// Marks a callback as handled by the application: it is never claimed again.
    ///
    /// # Errors
    /// A [`StoreError`] when the store cannot be written.
    async fn complete(&self, id: DeliveryId) -> Result<(), StoreError>;

    /// The latest accepted callback of a job, handled or not.
    ///
    /// # Errors
    /// A [`StoreError`] when the store cannot be read.
    async fn latest(&self, key: &DedupeKey) -> Result<Option<StoredCallback>, StoreError>;
}

/// A [`CallbackStore`] in memory: for tests and development. A restart forgets every result,
/// so a replay that arrives after it reaches the application again: use `SqliteStore` (or a
/// shared database) for a real server.
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Mutex<Rows>,
}

#[derive(Debug, Default)]
struct Rows {
    next_id: i64,
    rows: BTreeMap<i64, Row>,
}

#[derive(Debug, Clone)]
struct Row {
    stored: StoredCallback,
    lease_until: Option<SystemTime>,
}

impl MemoryStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn rows(&self) -> std::sync::MutexGuard<'_, Rows> {
        // A panic while holding the lock cannot leave a row half-written (each change is one
        // insert or field update), so a poisoned lock is still consistent.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Rows {
    fn latest(&self, key: &DedupeKey) -> Option<&Row> {
        self.rows.values().rev().find(|r| &r.stored.key == key)
    }
}

#[async_trait::async_trait]
impl CallbackStore for MemoryStore {
    async fn record(&self, callback: NewCallback) -> Result<Recorded, StoreError> {
        let mut rows = self.rows();
        if let Some(reason) = ignore_reason(
            rows.latest(&callback.key).map(|r| &r.stored.state),
            &callback.state,
        ) {
            return Ok(Recorded::Ignored(reason));
        }
        // Handled results of the job are superseded by this one: drop them.
        rows.rows
            .retain(|_, r| !(r.stored.delivered && r.stored.key == callback.key));
        rows.next_id += 1;
        let id = DeliveryId(rows.next_id);
        let row = Row {
            stored: StoredCallback::new(id, callback, 0, false),
            lease_until: None,
        };
        rows.rows.insert(id.0, row);
        Ok(Recorded::Accepted(id))
    }

    async fn claim(
        &self,
        now: SystemTime,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<StoredCallback>, StoreError> {
        let mut rows = self.rows();
        let mut seen: Vec<DedupeKey> = Vec::new();
        let mut ids = Vec::new();
        for row in rows.rows.values().filter(|r| !r.stored.delivered) {
            if seen.contains(&row.stored.key) {
                continue; // not the oldest undelivered one of its job
            }
            seen.push(row.stored.key.clone());
            if row.lease_until.is_none_or(|until| until <= now) && ids.len() < limit {
                ids.push(row.stored.id.0);
            }
        }
        let until = now.checked_add(lease).unwrap_or(now);
        let mut claimed = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(row) = rows.rows.get_mut(&id) {
                row.lease_until = Some(until);
                row.stored.attempts = row.stored.attempts.saturating_add(1);
                claimed.push(row.stored.clone());
            }
        }
        Ok(claimed)
    }

    async fn complete(&self, id: DeliveryId) -> Result<(), StoreError> {
        let mut rows = self.rows();
        let Some(row) = rows.rows.get_mut(&id.0) else {
            return Ok(());
        };
        row.stored.delivered = true;
        row.lease_until = None;
        let key = row.stored.key.clone();
        // Keep the job's latest row (it dedupes what comes next); older handled ones can go.
        let newest = rows.latest(&key).map_or(id.0, |r| r.stored.id.0);
        rows.rows
            .retain(|&rid, r| !(r.stored.delivered && r.stored.key == key && rid < newest));
        Ok(())
    }

    async fn latest(&self, key: &DedupeKey) -> Result<Option<StoredCallback>, StoreError> {
        Ok(self.rows().latest(key).map(|r| r.stored.clone()))
    }
}

#[async_trait::async_trait]
impl<T: CallbackStore + ?Sized> CallbackStore for std::sync::Arc<T> {
    async fn record(&self, callback: NewCallback) -> Result<Recorded, StoreError> {
        (**self).record(callback).await
    }
    async fn claim(
        &self,
        now: SystemTime,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<StoredCallback>, StoreError> {
        (**self).claim(now, lease, limit).await
    }
    async fn complete(&self, id: DeliveryId) -> Result<(), StoreError> {
        (**self).complete(id).await
    }
    async fn latest(&self, key: &DedupeKey) -> Result<Option<StoredCallback>, StoreError> {
        (**self).latest(key).await
    }
}

/// The behaviour every [`CallbackStore`] must have, as one test body (the crate runs it on
/// [`MemoryStore`] and `SqliteStore`). `reopen` gives a store over the same data, as after a
/// restart (`None`: the store does not persist).
#[cfg(test)]
pub(crate) mod contract {
    use super::*;
    use smile_async::types::{JobId, SmileJobId};
    use std::time::UNIX_EPOCH;

    fn t(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_700_000_000 + secs)
    }

    fn key(n: u32) -> DedupeKey {
        DedupeKey::new(
            Some(SmileJobId::new(format!("{n:010}"))),
            Some(JobId::new(format!("job-{n}"))),
        )
    }

    fn cb(k: u32, code: &str, secs: u64, is_final: bool) -> NewCallback {
        NewCallback::new(
            key(k),
            CallbackState::new(code, t(secs), is_final),
            format!(r#"{{"ResultCode":"{code}"}}"#),
            t(secs + 1),
        )
    }

    const LEASE: Duration = Duration::from_secs(30);

    pub(crate) async fn run<S: CallbackStore>(
        store: S,
        reopen: Option<&(dyn Fn() -> Box<dyn CallbackStore> + Sync)>,
    ) {
        // Provisional, then final; a replay of each; a late provisional.
        let Recorded::Accepted(p) = store.record(cb(1, "0824", 10, false)).await.unwrap() else {
            panic!("first callback not accepted")
        };
        assert_eq!(
            store.record(cb(1, "0824", 10, false)).await.unwrap(),
            Recorded::Ignored(IgnoreReason::Duplicate)
        );
        let Recorded::Accepted(f) = store.record(cb(1, "1220", 20, true)).await.unwrap() else {
            panic!("final not accepted")
        };
        assert!(f > p);
        assert_eq!(
            store.record(cb(1, "1220", 20, true)).await.unwrap(),
            Recorded::Ignored(IgnoreReason::Duplicate)
        );
        assert_eq!(
            store.record(cb(1, "0824", 30, false)).await.unwrap(),
            Recorded::Ignored(IgnoreReason::AfterFinal)
        );
        assert_eq!(
            store.record(cb(1, "0824", 5, false)).await.unwrap(),
            Recorded::Ignored(IgnoreReason::Older)
        );
        let Recorded::Accepted(other) = store.record(cb(2, "0820", 15, true)).await.unwrap() else {
            panic!("other job not accepted")
        };
        assert_eq!(store.latest(&key(1)).await.unwrap().unwrap().id, f);

        // Claims: one per job, the oldest of each, in order; leased ones are not claimed again.
        let batch = store.claim(t(100), LEASE, 10).await.unwrap();
        let ids: Vec<_> = batch.iter().map(|c| c.id).collect();
        assert_eq!(ids, [p, other]);
        assert!(batch.iter().all(|c| c.attempts == 1 && !c.delivered));
        assert_eq!(batch[0].state.result_code.as_str(), "0824");
        assert_eq!(batch[0].body, r#"{"ResultCode":"0824"}"#);
        assert_eq!(batch[0].received_at, t(11));
        assert!(store.claim(t(101), LEASE, 10).await.unwrap().is_empty());
        store.complete(p).await.unwrap();
        // The final is next for job 1; job 2's lease still holds.
        let batch = store.claim(t(102), LEASE, 10).await.unwrap();
        assert_eq!(batch.iter().map(|c| c.id).collect::<Vec<_>>(), [f]);
        store.complete(f).await.unwrap();
        // Job 2's lease ran out (its handler failed or hung): claimed again, second attempt.
        let batch = store.claim(t(131), LEASE, 10).await.unwrap();
        assert_eq!(batch.len(), 1);
        assert_eq!((batch[0].id, batch[0].attempts), (other, 2));
        store.complete(other).await.unwrap();
        store.complete(other).await.unwrap(); // idempotent
        assert!(store.claim(t(500), LEASE, 10).await.unwrap().is_empty());
        let latest = store.latest(&key(1)).await.unwrap().unwrap();
        assert!(latest.delivered);
        assert_eq!(latest.state.result_code.as_str(), "1220");
        assert!(store.latest(&key(3)).await.unwrap().is_none());

        // Limit.
        for n in 10..15 {
            store.record(cb(n, "0820", 1, true)).await.unwrap();
        }
        assert_eq!(store.claim(t(600), LEASE, 2).await.unwrap().len(), 2);

        // Keys with a missing half are keys like any other.
        let half = DedupeKey::new(None, Some(JobId::new("job-1")));
        let mut c = cb(1, "0820", 1, true);
        c.key = half.clone();
        assert!(matches!(
            store.record(c).await.unwrap(),
            Recorded::Accepted(_)
        ));
        assert_eq!(store.latest(&half).await.unwrap().unwrap().key, half);

        let Some(reopen) = reopen else { return };
        drop(store);
        let store = reopen();
        // After a restart: replays are still duplicates, and what was not handled yet (the
        // claims above were never completed) is claimable again once the lease runs out.
        assert_eq!(
            store.record(cb(1, "1220", 20, true)).await.unwrap(),
            Recorded::Ignored(IgnoreReason::Duplicate)
        );
        let pending = store.claim(t(700), LEASE, 10).await.unwrap();
        assert_eq!(pending.len(), 6, "{pending:?}"); // jobs 10 to 14 and the half key
        assert!(pending.iter().any(|c| c.key == half));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn memory_store_contract() {
        contract::run(MemoryStore::new(), None).await;
    }
}

/// The body of a callback holds its signature and, for ID lookups, personal data: the `Debug`
/// output of the stored forms shows its length only.
impl fmt::Debug for NewCallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewCallback")
            .field("key", &self.key)
            .field("state", &self.state)
            .field("body", &format_args!("[{} bytes]", self.body.len()))
            .field("received_at", &self.received_at)
            .finish()
    }
}

impl fmt::Debug for StoredCallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredCallback")
            .field("id", &self.id)
            .field("key", &self.key)
            .field("state", &self.state)
            .field("body", &format_args!("[{} bytes]", self.body.len()))
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod debug_tests {
    use super::*;

    #[test]
    fn debug_leaves_the_body_out() {
        let body = r#"{"signature":"SIG-SECRET=","FullName":"Ada Lovelace","ResultCode":"1012"}"#;
        let new = NewCallback::new(
            DedupeKey::new(None, None),
            CallbackState::new("1012", SystemTime::UNIX_EPOCH, true),
            body.to_owned(),
            SystemTime::UNIX_EPOCH,
        );
        let shown = format!("{new:?}");
        assert!(
            !shown.contains("SIG-SECRET") && !shown.contains("Lovelace"),
            "{shown}"
        );
        assert!(
            shown.contains(&format!("[{} bytes]", body.len())),
            "{shown}"
        );
    }
}

//! [`SqliteStore`]: the embedded [`CallbackStore`] for a real server.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use smile_async::sign::{CallbackState, DedupeKey};
use smile_async::types::{JobId, SmileJobId};

use crate::store::{
    CallbackStore, DeliveryId, NewCallback, Recorded, StoreError, StoredCallback, ignore_reason,
};

/// A [`CallbackStore`] in an SQLite file (SQLite is compiled in): the embedded default for a
/// real server. Every change is committed before the endpoint answers, so a restart loses
/// nothing: callbacks not yet handled are handed to the application after it, and a replay
/// that arrives after it is still recognised.
///
/// One process uses a file at a time: [`open`](Self::open) releases the claims a previous run
/// left (its handlers died with it), so their callbacks are handed over again at once. For
/// several instances behind a load balancer, implement [`CallbackStore`] on a shared database
/// (see there).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use smile_axum::{CallbackStore, SqliteStore};
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("smile-callbacks.db");
/// let store = SqliteStore::open(&path)?; // created when missing
/// assert!(store.claim(std::time::SystemTime::now(), std::time::Duration::from_secs(30), 10).await?.is_empty());
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS smile_callbacks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    smile_job_id TEXT NOT NULL,
    job_id TEXT NOT NULL,
    result_code TEXT NOT NULL,
    issued_at_ns INTEGER NOT NULL,
    is_final INTEGER NOT NULL,
    body TEXT NOT NULL,
    received_at_ns INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    lease_until_ns INTEGER,
    delivered INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS smile_callbacks_by_job ON smile_callbacks (smile_job_id, job_id, id);
CREATE INDEX IF NOT EXISTS smile_callbacks_pending ON smile_callbacks (delivered, id);
";

const COLUMNS: &str = "id, smile_job_id, job_id, result_code, issued_at_ns, is_final, body, \
                       received_at_ns, attempts, delivered";

impl SqliteStore {
    /// Opens (or creates) the store in the file at `path`, with its table
    /// `smile_callbacks`, in WAL mode with full synchronous commits.
    ///
    /// # Errors
    /// A [`StoreError`] when the file cannot be opened or is not an SQLite database.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::from_connection(Connection::open(path).map_err(StoreError::new)?)
    }

    /// A store in memory (for tests: the same SQL, nothing persists).
    ///
    /// # Errors
    /// A [`StoreError`] when SQLite cannot start.
    pub fn open_in_memory() -> Result<Self, StoreError> {
        Self::from_connection(Connection::open_in_memory().map_err(StoreError::new)?)
    }

    fn from_connection(conn: Connection) -> Result<Self, StoreError> {
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(StoreError::new)?;
        // `journal_mode` answers with a row; in memory it stays "memory".
        let _mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(StoreError::new)?;
        conn.execute_batch("PRAGMA synchronous = FULL;")
            .map_err(StoreError::new)?;
        conn.execute_batch(SCHEMA).map_err(StoreError::new)?;
        conn.execute(
            "UPDATE smile_callbacks SET lease_until_ns = NULL WHERE lease_until_ns IS NOT NULL",
            [],
        )
        .map_err(StoreError::new)?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// Runs `f` with the connection on tokio's blocking pool.
    async fn with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, StoreError> {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            let mut conn = conn
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            f(&mut conn)
        })
        .await
        .map_err(StoreError::new)?
        .map_err(StoreError::new)
    }
}

fn key_parts(key: &DedupeKey) -> (String, String) {
    (
        key.smile_job_id
            .as_ref()
            .map_or_else(String::new, |id| id.as_str().to_owned()),
        key.job_id
            .as_ref()
            .map_or_else(String::new, |id| id.as_str().to_owned()),
    )
}

fn key_from(smile_job_id: String, job_id: String) -> DedupeKey {
    DedupeKey::new(
        (!smile_job_id.is_empty()).then(|| SmileJobId::new(smile_job_id)),
        (!job_id.is_empty()).then(|| JobId::new(job_id)),
    )
}

/// Nanoseconds since the Unix epoch (negative before it; saturating).
fn to_ns(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_nanos()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_nanos()).map_or(i64::MIN, |n| -n),
    }
}

fn from_ns(ns: i64) -> SystemTime {
    let d = Duration::from_nanos(ns.unsigned_abs());
    if ns >= 0 {
        UNIX_EPOCH + d
    } else {
        UNIX_EPOCH - d
    }
}

fn row_to_stored(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredCallback> {
    let id: i64 = r.get(0)?;
    let key = key_from(r.get(1)?, r.get(2)?);
    let code: String = r.get(3)?;
    let state = CallbackState::new(code, from_ns(r.get(4)?), r.get::<_, i64>(5)? != 0);
    let callback = NewCallback::new(key, state, r.get(6)?, from_ns(r.get(7)?));
    let attempts: i64 = r.get(8)?;
    Ok(StoredCallback::new(
        DeliveryId(id),
        callback,
        u32::try_from(attempts).unwrap_or(u32::MAX),
        r.get::<_, i64>(9)? != 0,
    ))
}

fn latest_in(
    tx: &Connection,
    smile_job_id: &str,
    job_id: &str,
) -> rusqlite::Result<Option<StoredCallback>> {
    tx.query_row(
        &format!(
            "SELECT {COLUMNS} FROM smile_callbacks WHERE smile_job_id = ?1 AND job_id = ?2 \
             ORDER BY id DESC LIMIT 1"
        ),
        params![smile_job_id, job_id],
        row_to_stored,
    )
    .optional()
}

fn immediate(conn: &mut Connection) -> rusqlite::Result<Transaction<'_>> {
    conn.transaction_with_behavior(TransactionBehavior::Immediate)
}

#[async_trait::async_trait]
impl CallbackStore for SqliteStore {
    async fn record(&self, callback: NewCallback) -> Result<Recorded, StoreError> {
        self.with(move |conn| {
            let (sjid, job_id) = key_parts(&callback.key);
            let tx = immediate(conn)?;
            let latest = latest_in(&tx, &sjid, &job_id)?;
            if let Some(reason) = ignore_reason(latest.as_ref().map(|l| &l.state), &callback.state)
            {
                return Ok(Recorded::Ignored(reason));
            }
            // Handled results of the job are superseded by this one.
            tx.execute(
                "DELETE FROM smile_callbacks WHERE smile_job_id = ?1 AND job_id = ?2 AND delivered = 1",
                params![sjid, job_id],
            )?;
            tx.execute(
                "INSERT INTO smile_callbacks (smile_job_id, job_id, result_code, issued_at_ns, \
                 is_final, body, received_at_ns) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    sjid,
                    job_id,
                    callback.state.result_code.as_str(),
                    to_ns(callback.state.issued_at),
                    i64::from(callback.state.is_final),
                    callback.body,
                    to_ns(callback.received_at),
                ],
            )?;
            let id = tx.last_insert_rowid();
            tx.commit()?;
            Ok(Recorded::Accepted(DeliveryId(id)))
        })
        .await
    }

    async fn claim(
        &self,
        now: SystemTime,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<StoredCallback>, StoreError> {
        let now_ns = to_ns(now);
        let until_ns = to_ns(now.checked_add(lease).unwrap_or(now));
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.with(move |conn| {
            let tx = immediate(conn)?;
            let mut claimed = {
                let mut stmt = tx.prepare(&format!(
                    "SELECT {COLUMNS} FROM smile_callbacks c WHERE c.delivered = 0 \
                     AND (c.lease_until_ns IS NULL OR c.lease_until_ns <= ?1) \
                     AND NOT EXISTS (SELECT 1 FROM smile_callbacks o WHERE o.delivered = 0 \
                         AND o.smile_job_id = c.smile_job_id AND o.job_id = c.job_id AND o.id < c.id) \
                     ORDER BY c.id LIMIT ?2"
                ))?;
                stmt.query_map(params![now_ns, limit], row_to_stored)?
                    .collect::<rusqlite::Result<Vec<_>>>()?
            };
            for c in &mut claimed {
                tx.execute(
                    "UPDATE smile_callbacks SET lease_until_ns = ?1, attempts = attempts + 1 WHERE id = ?2",
                    params![until_ns, c.id.0],
                )?;
                c.attempts = c.attempts.saturating_add(1);
            }
            tx.commit()?;
            Ok(claimed)
        })
        .await
    }

    async fn complete(&self, id: DeliveryId) -> Result<(), StoreError> {
        self.with(move |conn| {
            let tx = immediate(conn)?;
            let key: Option<(String, String)> = tx
                .query_row(
                    "SELECT smile_job_id, job_id FROM smile_callbacks WHERE id = ?1",
                    params![id.0],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            tx.execute(
                "UPDATE smile_callbacks SET delivered = 1, lease_until_ns = NULL WHERE id = ?1",
                params![id.0],
            )?;
            if let Some((sjid, job_id)) = key {
                // Keep the job's latest row (it dedupes what comes next); older handled ones go.
                tx.execute(
                    "DELETE FROM smile_callbacks WHERE smile_job_id = ?1 AND job_id = ?2 \
                     AND delivered = 1 AND id < (SELECT MAX(id) FROM smile_callbacks \
                     WHERE smile_job_id = ?1 AND job_id = ?2)",
                    params![sjid, job_id],
                )?;
            }
            tx.commit()
        })
        .await
    }

    async fn latest(&self, key: &DedupeKey) -> Result<Option<StoredCallback>, StoreError> {
        let (sjid, job_id) = key_parts(key);
        self.with(move |conn| latest_in(conn, &sjid, &job_id)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sqlite_store_contract_and_restart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("callbacks.db");
        let reopen_path = path.clone();
        let reopen = move || -> Box<dyn CallbackStore> {
            Box::new(SqliteStore::open(&reopen_path).unwrap())
        };
        crate::store::contract::run(SqliteStore::open(&path).unwrap(), Some(&reopen)).await;
    }

    #[tokio::test]
    async fn in_memory_contract() {
        crate::store::contract::run(SqliteStore::open_in_memory().unwrap(), None).await;
    }

    #[test]
    fn time_round_trips() {
        for t in [
            UNIX_EPOCH,
            UNIX_EPOCH + Duration::new(1_709_640_001, 123_456_789),
            UNIX_EPOCH - Duration::from_secs(86_400),
        ] {
            assert_eq!(from_ns(to_ns(t)), t);
        }
    }

    #[test]
    fn not_a_database() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("garbage.db");
        std::fs::write(&path, vec![b'x'; 4096]).unwrap();
        assert!(SqliteStore::open(&path).is_err());
    }
}

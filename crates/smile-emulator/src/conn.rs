//! Connection bookkeeping: what each open connection is doing, which one to shed when every
//! slot is taken, and request bodies that must arrive within a bounded time.
//!
//! A connection is always in one of three phases:
//!
//! - *waiting*: for a request head (just accepted, in its TLS handshake, sending its head, or
//!   idle between keep-alive requests);
//! - *body*: a request head arrived and its body is still coming;
//! - *busy*: the whole request arrived and the emulator is processing it.
//!
//! When every slot is taken, a new connection still gets in: the emulator closes (sheds) one
//! connection that is waiting or receiving a body, never one that is busy. The victim is the
//! connection waiting longest; if none waits, the one receiving its body at the lowest average
//! rate (so a trickled body goes before a real upload). Only when every connection is busy does
//! a new client wait (in the listen backlog) for a slot.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Bytes;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};

/// What a connection is doing (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Waiting,
    Body { bytes: u64 },
    Busy,
}

#[derive(Debug)]
struct Entry {
    phase: Phase,
    /// When the phase began.
    since: Instant,
    /// Notified to close the connection.
    kill: Arc<Notify>,
    /// Chosen as a victim already (its task is ending).
    shedding: bool,
}

/// Every open connection of one server, and the slots they hold.
#[derive(Debug)]
pub(crate) struct Connections {
    max: usize,
    slots: Arc<Semaphore>,
    table: Mutex<HashMap<u64, Entry>>,
    next_id: AtomicU64,
    high_water: AtomicUsize,
    shed: AtomicU64,
    body_timeouts: AtomicU64,
}

impl Connections {
    /// Room for `max` connections (at least 1).
    pub(crate) fn new(max: usize) -> Self {
        let max = max.clamp(1, Semaphore::MAX_PERMITS);
        Self {
            max,
            slots: Arc::new(Semaphore::new(max)),
            table: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(0),
            high_water: AtomicUsize::new(0),
            shed: AtomicU64::new(0),
            body_timeouts: AtomicU64::new(0),
        }
    }

    fn table(&self) -> MutexGuard<'_, HashMap<u64, Entry>> {
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The connection cap.
    pub(crate) fn max(&self) -> usize {
        self.max
    }

    /// Connections open now.
    pub(crate) fn open(&self) -> usize {
        self.table().len()
    }

    /// The most connections ever open at once.
    pub(crate) fn high_water(&self) -> usize {
        self.high_water.load(Ordering::Acquire)
    }

    /// Connections closed to make room for new ones.
    pub(crate) fn shed_count(&self) -> u64 {
        self.shed.load(Ordering::Acquire)
    }

    /// Request bodies that did not arrive in time.
    pub(crate) fn body_timeouts(&self) -> u64 {
        self.body_timeouts.load(Ordering::Acquire)
    }

    /// A free slot, if there is one now.
    pub(crate) fn try_slot(&self) -> Option<OwnedSemaphorePermit> {
        Arc::clone(&self.slots).try_acquire_owned().ok()
    }

    /// Waits for a free slot.
    pub(crate) async fn slot(&self) -> OwnedSemaphorePermit {
        loop {
            // The semaphore is never closed.
            if let Ok(permit) = Arc::clone(&self.slots).acquire_owned().await {
                return permit;
            }
        }
    }

    /// Tracks a new connection holding `slot`; it counts as waiting for its first request.
    pub(crate) fn register(self: &Arc<Self>, slot: OwnedSemaphorePermit) -> Arc<ConnHandle> {
        let id = self.next_id.fetch_add(1, Ordering::AcqRel);
        let kill = Arc::new(Notify::new());
        let open = {
            let mut table = self.table();
            table.insert(
                id,
                Entry {
                    phase: Phase::Waiting,
                    since: Instant::now(),
                    kill: Arc::clone(&kill),
                    shedding: false,
                },
            );
            table.len()
        };
        self.high_water.fetch_max(open, Ordering::AcqRel);
        Arc::new(ConnHandle {
            conns: Arc::clone(self),
            id,
            kill,
            _slot: slot,
        })
    }

    /// Closes the connection that best deserves it (see the module docs); false when every
    /// connection is busy (or already being closed).
    pub(crate) fn shed_one(&self) -> bool {
        let now = Instant::now();
        let mut table = self.table();
        let waiting = table
            .iter()
            .filter(|(_, e)| !e.shedding && e.phase == Phase::Waiting)
            .min_by_key(|(_, e)| e.since)
            .map(|(id, _)| *id);
        let victim = waiting.or_else(|| {
            table
                .iter()
                .filter_map(|(id, e)| match e.phase {
                    Phase::Body { bytes } if !e.shedding => {
                        let secs = now.duration_since(e.since).as_secs_f64().max(1e-3);
                        Some((*id, bytes as f64 / secs, e.since))
                    }
                    _ => None,
                })
                .min_by(|a, b| a.1.total_cmp(&b.1).then(a.2.cmp(&b.2)))
                .map(|(id, _, _)| id)
        });
        let Some(id) = victim else {
            return false;
        };
        if let Some(entry) = table.get_mut(&id) {
            entry.shedding = true;
            entry.kill.notify_one();
        }
        self.shed.fetch_add(1, Ordering::AcqRel);
        true
    }

    fn set_phase(&self, id: u64, phase: Phase) {
        if let Some(entry) = self.table().get_mut(&id) {
            entry.phase = phase;
            entry.since = Instant::now();
        }
    }

    fn add_body_bytes(&self, id: u64, n: usize) {
        if let Some(entry) = self.table().get_mut(&id)
            && let Phase::Body { bytes } = &mut entry.phase
        {
            *bytes = bytes.saturating_add(n as u64);
        }
    }
}

/// One tracked connection; dropping the last clone forgets it and frees its slot.
#[derive(Debug)]
pub(crate) struct ConnHandle {
    conns: Arc<Connections>,
    id: u64,
    kill: Arc<Notify>,
    _slot: OwnedSemaphorePermit,
}

impl ConnHandle {
    /// Completes when the connection has been chosen to be shed.
    pub(crate) async fn shed(&self) {
        self.kill.notified().await;
    }

    /// The connection waits for its next request head.
    pub(crate) fn waiting(&self) {
        self.conns.set_phase(self.id, Phase::Waiting);
    }

    /// A request arrived; `body` is its body, read within `timeout` once the handler starts
    /// reading it. The returned body is what handlers see.
    pub(crate) fn request_body(self: &Arc<Self>, body: Incoming, timeout: Duration) -> TimedBody {
        let finished = body.is_end_stream();
        self.conns.set_phase(
            self.id,
            if finished {
                Phase::Busy
            } else {
                Phase::Body { bytes: 0 }
            },
        );
        TimedBody {
            inner: body,
            conn: Arc::clone(self),
            timeout,
            deadline: None,
            finished,
            timed_out: Arc::new(AtomicBool::new(false)),
        }
    }
}

impl Drop for ConnHandle {
    fn drop(&mut self) {
        self.conns.table().remove(&self.id);
    }
}

/// A request body did not arrive within the body-read timeout.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("the request body did not arrive within {} ms", .0.as_millis())]
pub(crate) struct BodyTimeout(pub(crate) Duration);

/// Whether `e` (or one of its causes) is a [`BodyTimeout`].
pub(crate) fn is_body_timeout(e: &(dyn std::error::Error + 'static)) -> Option<BodyTimeout> {
    let mut source = Some(e);
    while let Some(s) = source {
        if let Some(t) = s.downcast_ref::<BodyTimeout>() {
            return Some(*t);
        }
        source = s.source();
    }
    None
}

/// A request body that fails with [`BodyTimeout`] when it is not complete `timeout` after the
/// handler started reading it, and that tells the connection's bookkeeping how far it got.
#[derive(Debug)]
pub(crate) struct TimedBody {
    inner: Incoming,
    conn: Arc<ConnHandle>,
    timeout: Duration,
    deadline: Option<Pin<Box<Sleep>>>,
    finished: bool,
    timed_out: Arc<AtomicBool>,
}

impl TimedBody {
    /// Set once the body timed out (the response then closes the connection).
    pub(crate) fn timed_out_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.timed_out)
    }

    fn finish(&mut self) {
        if !self.finished {
            self.finished = true;
            self.conn.conns.set_phase(self.conn.id, Phase::Busy);
        }
    }
}

impl Body for TimedBody {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if this.finished {
            return Poll::Ready(None);
        }
        let timeout = this.timeout;
        let deadline = this
            .deadline
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.conn.conns.add_body_bytes(this.conn.id, data.len());
                }
                if this.inner.is_end_stream() {
                    this.finish();
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => {
                this.finish();
                Poll::Ready(Some(Err(Box::new(e))))
            }
            Poll::Ready(None) => {
                this.finish();
                Poll::Ready(None)
            }
            Poll::Pending => {
                if deadline.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                this.finish();
                this.timed_out.store(true, Ordering::Release);
                this.conn.conns.body_timeouts.fetch_add(1, Ordering::AcqRel);
                Poll::Ready(Some(Err(Box::new(BodyTimeout(timeout)))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.finished || self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Registers a connection in `phase`, `age` ago.
    fn conn_in(conns: &Arc<Connections>, phase: Phase, age: Duration) -> Arc<ConnHandle> {
        let handle = conns.register(conns.try_slot().expect("a free slot"));
        let mut table = conns.table();
        let entry = table.get_mut(&handle.id).unwrap();
        entry.phase = phase;
        entry.since = Instant::now().checked_sub(age).unwrap();
        drop(table);
        handle
    }

    fn is_shedding(conns: &Connections, handle: &ConnHandle) -> bool {
        conns.table()[&handle.id].shedding
    }

    #[test]
    fn victims_waiting_longest_then_slowest_body_never_busy() {
        let conns = Arc::new(Connections::new(5));
        let ms = Duration::from_millis;
        let busy = conn_in(&conns, Phase::Busy, ms(1000));
        // The oldest body, but arriving fast: shed after the slow one.
        let fast_body = conn_in(&conns, Phase::Body { bytes: 10_000_000 }, ms(500));
        let slow_body = conn_in(&conns, Phase::Body { bytes: 10 }, ms(50));
        let old_wait = conn_in(&conns, Phase::Waiting, ms(30));
        let new_wait = conn_in(&conns, Phase::Waiting, ms(10));
        assert!(conns.try_slot().is_none(), "full");
        assert_eq!(conns.open(), 5);
        assert_eq!(conns.high_water(), 5);

        let order = [&old_wait, &new_wait, &slow_body, &fast_body];
        for (i, expected) in order.iter().enumerate() {
            assert!(conns.shed_one());
            assert!(is_shedding(&conns, expected), "victim {i}");
        }
        assert!(!conns.shed_one(), "a busy connection is never shed");
        assert!(!is_shedding(&conns, &busy));
        assert_eq!(conns.shed_count(), 4);
        drop((old_wait, new_wait, slow_body, fast_body));
        assert_eq!(conns.open(), 1);
        assert!(
            conns.try_slot().is_some(),
            "slots come back with the handles"
        );
    }
}

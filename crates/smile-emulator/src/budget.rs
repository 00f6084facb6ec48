//! A global budget for the bytes that upload zips inflate to while they are checked, shared by
//! every upload in flight (each upload also has its own cap).
//!
//! An upload reserves what its central directory declares its entries inflate to before
//! anything is inflated, and the zip reader is then limited to that reservation, so a zip that
//! lies about its sizes fails instead of inflating past it. The reservation is returned when
//! the check ends. Reservations are granted in arrival order; one that does not fit waits up to
//! the configured time for others to finish, then the upload is refused (HTTP 503 `SlowDown`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Reservations are counted in units of this many bytes (so that a budget of any size fits the
/// semaphore's `u32` acquisitions).
const UNIT: usize = 1024;

/// The budget; see the module docs.
#[derive(Debug)]
pub(crate) struct InflateBudget {
    /// The budget in bytes, rounded down to whole units.
    limit: usize,
    units: Arc<Semaphore>,
    in_use: AtomicUsize,
    high_water: AtomicUsize,
    refused: AtomicU64,
}

/// Why a reservation was not granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// More than the whole budget: it can never be granted.
    TooLarge,
    /// Other uploads held the budget for the whole wait.
    Busy,
}

/// Bytes reserved from an [`InflateBudget`], returned when dropped.
#[derive(Debug)]
pub(crate) struct Reservation {
    budget: Arc<InflateBudget>,
    bytes: usize,
    _units: Option<OwnedSemaphorePermit>,
}

impl Reservation {
    /// The bytes reserved (the most the upload may inflate to).
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.budget.in_use.fetch_sub(self.bytes, Ordering::AcqRel);
    }
}

impl InflateBudget {
    pub(crate) fn new(limit: usize) -> Self {
        let units = (limit / UNIT).min(Semaphore::MAX_PERMITS);
        Self {
            limit: units * UNIT,
            units: Arc::new(Semaphore::new(units)),
            in_use: AtomicUsize::new(0),
            high_water: AtomicUsize::new(0),
            refused: AtomicU64::new(0),
        }
    }

    /// The budget in bytes (rounded down to a multiple of 1 KiB).
    pub(crate) fn limit(&self) -> usize {
        self.limit
    }

    /// Bytes reserved now.
    pub(crate) fn in_use(&self) -> usize {
        self.in_use.load(Ordering::Acquire)
    }

    /// The most bytes ever reserved at once.
    pub(crate) fn high_water(&self) -> usize {
        self.high_water.load(Ordering::Acquire)
    }

    /// Uploads refused because the budget was busy.
    pub(crate) fn refused(&self) -> u64 {
        self.refused.load(Ordering::Acquire)
    }

    /// Reserves `bytes`, waiting at most `wait` for earlier reservations to be returned.
    pub(crate) async fn reserve(
        self: &Arc<Self>,
        bytes: usize,
        wait: Duration,
    ) -> Result<Reservation, Refused> {
        let units = bytes.div_ceil(UNIT);
        if units * UNIT > self.limit {
            return Err(Refused::TooLarge);
        }
        let permit = if units == 0 {
            None
        } else {
            // `units` fits: the limit is at most `Semaphore::MAX_PERMITS` units and a `u32`
            // number of units is 4 TiB.
            let n = u32::try_from(units).map_err(|_| Refused::TooLarge)?;
            let acquire = Arc::clone(&self.units).acquire_many_owned(n);
            match tokio::time::timeout(wait, acquire).await {
                Ok(Ok(permit)) => Some(permit),
                // The semaphore is never closed; a timeout is a busy budget.
                Ok(Err(_)) | Err(_) => {
                    self.refused.fetch_add(1, Ordering::AcqRel);
                    return Err(Refused::Busy);
                }
            }
        };
        let now = self.in_use.fetch_add(bytes, Ordering::AcqRel) + bytes;
        self.high_water.fetch_max(now, Ordering::AcqRel);
        Ok(Reservation {
            budget: Arc::clone(self),
            bytes,
            _units: permit,
        })
    }
}

/// What the entries of `zip` declare they inflate to, in total (`None`: not a zip the reader
/// could open, which it refuses before inflating anything).
pub(crate) fn declared_inflated_size(zip: &[u8]) -> Option<u64> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).ok()?;
    if let Some(total) = archive.decompressed_size() {
        return u64::try_from(total).ok();
    }
    // Entries with data descriptors: their central-directory sizes.
    let mut total = 0u64;
    for i in 0..archive.len() {
        total = total.checked_add(archive.by_index_raw(i).ok()?.size())?;
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reservations_wait_in_turn_and_never_exceed_the_budget() {
        let budget = Arc::new(InflateBudget::new(10 * UNIT));
        assert_eq!(budget.limit(), 10 * UNIT);
        let a = budget.reserve(6 * UNIT, Duration::ZERO).await.unwrap();
        assert_eq!(a.bytes(), 6 * UNIT);
        // 6 + 5 > 10: refused after the (short) wait.
        let started = std::time::Instant::now();
        assert_eq!(
            budget
                .reserve(5 * UNIT, Duration::from_millis(50))
                .await
                .unwrap_err(),
            Refused::Busy
        );
        assert!(started.elapsed() >= Duration::from_millis(50));
        assert_eq!(budget.refused(), 1);
        // A waiting reservation is granted as soon as the first one is returned.
        let waiter = {
            let budget = Arc::clone(&budget);
            tokio::spawn(async move { budget.reserve(5 * UNIT, Duration::from_secs(30)).await })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiter.is_finished());
        drop(a);
        let b = waiter.await.unwrap().unwrap();
        assert_eq!(budget.in_use(), 5 * UNIT);
        // Partial units are rounded up: 4 units + 1 byte needs 5; 5 + 5 fits exactly.
        let c = budget.reserve(4 * UNIT + 1, Duration::ZERO).await.unwrap();
        assert_eq!(budget.in_use(), 9 * UNIT + 1);
        assert_eq!(
            budget.reserve(1, Duration::ZERO).await.unwrap_err(),
            Refused::Busy
        );
        drop((b, c));
        assert_eq!(budget.in_use(), 0);
        assert_eq!(budget.high_water(), 9 * UNIT + 1);
        assert_eq!(
            budget
                .reserve(10 * UNIT + 1, Duration::ZERO)
                .await
                .unwrap_err(),
            Refused::TooLarge
        );
        assert!(budget.reserve(0, Duration::ZERO).await.is_ok());
    }

    #[test]
    fn declared_sizes_come_from_the_central_directory() {
        use std::io::Write as _;
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let deflated = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, len) in [("info.json", 10usize), ("padding", 100_000)] {
            w.start_file(name, deflated).unwrap();
            w.write_all(&vec![b'x'; len]).unwrap();
        }
        let bytes = w.finish().unwrap().into_inner();
        assert!(bytes.len() < 2_000);
        assert_eq!(declared_inflated_size(&bytes), Some(100_010));
        assert_eq!(declared_inflated_size(b"not a zip"), None);
    }
}

//! Injectable clocks.

use std::fmt::Debug;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

/// A source of the current time.
///
/// Everything in the SDK that needs "now" (fresh request timestamps, callback freshness, poll
/// deadlines) takes it from a `Clock`, so tests can use a [`FixedClock`] instead of the system
/// time. [`SystemClock`] is the production implementation.
pub trait Clock: Send + Sync + Debug {
    /// The current time.
    fn now(&self) -> SystemTime;
}

impl<C: Clock + ?Sized> Clock for &C {
    fn now(&self) -> SystemTime {
        (**self).now()
    }
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> SystemTime {
        (**self).now()
    }
}

impl<C: Clock + ?Sized> Clock for Box<C> {
    fn now(&self) -> SystemTime {
        (**self).now()
    }
}

/// The real time, from [`SystemTime::now`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that stands still until told to move, for tests.
///
/// Clones share the same time: keep one handle in the test and give a clone to the code under
/// test, then [`set`](Self::set) or [`advance`](Self::advance) it.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use smile_sign::{Clock, FixedClock};
///
/// let clock = FixedClock::new(UNIX_EPOCH + Duration::from_secs(1_704_067_200));
/// let shared = clock.clone();
/// clock.advance(Duration::from_millis(1500));
/// assert_eq!(shared.now(), UNIX_EPOCH + Duration::from_millis(1_704_067_201_500));
/// ```
#[derive(Debug, Clone)]
pub struct FixedClock {
    now: Arc<Mutex<SystemTime>>,
}

impl FixedClock {
    /// A clock showing `now`.
    #[must_use]
    pub fn new(now: SystemTime) -> Self {
        Self {
            now: Arc::new(Mutex::new(now)),
        }
    }

    /// Sets the time seen by this clock and all its clones.
    pub fn set(&self, now: SystemTime) {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner) = now;
    }

    /// Moves the time forward by `by` (if that would overflow [`SystemTime`], the time stays put).
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(later) = now.checked_add(by) {
            *now = later;
        }
    }
}

impl Default for FixedClock {
    /// A clock standing at the Unix epoch.
    fn default() -> Self {
        Self::new(SystemTime::UNIX_EPOCH)
    }
}

impl Clock for FixedClock {
    fn now(&self) -> SystemTime {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    #[test]
    fn fixed_clock_is_shared_between_clones() {
        let a = FixedClock::new(UNIX_EPOCH);
        let b = a.clone();
        a.set(UNIX_EPOCH + Duration::from_secs(10));
        assert_eq!(b.now(), UNIX_EPOCH + Duration::from_secs(10));
        b.advance(Duration::from_millis(5));
        assert_eq!(a.now(), UNIX_EPOCH + Duration::from_millis(10_005));
        assert_eq!(FixedClock::default().now(), UNIX_EPOCH);
    }

    #[test]
    fn clocks_work_through_pointers() {
        let fixed = FixedClock::new(UNIX_EPOCH);
        let dynamic: Arc<dyn Clock> = Arc::new(fixed.clone());
        let boxed: Box<dyn Clock> = Box::new(fixed.clone());
        fixed.advance(Duration::from_secs(1));
        assert_eq!(dynamic.now(), UNIX_EPOCH + Duration::from_secs(1));
        assert_eq!(boxed.now(), UNIX_EPOCH + Duration::from_secs(1));
        fn read(clock: impl Clock) -> SystemTime {
            clock.now()
        }
        assert_eq!(read(&fixed), UNIX_EPOCH + Duration::from_secs(1));
        assert!(SystemClock.now() > UNIX_EPOCH);
    }
}

//! Polling and retry policies ([protocol §2.4](smile_types::protocol#24-timeouts-and-retries-our-sdk) and §5.8), and `Retry-After` parsing.

use std::time::{Duration, SystemTime};

use crate::config::ConfigError;

/// How `submit_job` polls `POST /job_status` after the upload when `return_job_status` is set.
///
/// Defaults (all configurable):
///
/// | setting | default |
/// |---|---|
/// | [`initial_delay`](Self::initial_delay) | 0 s: the first poll is sent as soon as the `PUT` succeeded |
/// | [`intervals`](Self::intervals) | 250 ms, 500 ms, 1 s, then 2 s twice, then 4 s (the last value repeats): a quick start for jobs that finish in well under a second, backing off to the official SDKs' 2 s / 4 s cadence |
/// | [`deadline`](Self::deadline) | 90 s, measured from the end of the `PUT`: no poll starts after it, no wait extends past it |
/// | [`max_polls`](Self::max_polls) | none |
/// | [`max_consecutive_transient_failures`](Self::max_consecutive_transient_failures) | 3 |
///
/// Every poll is signed afresh and every response's signature is verified. A transient
/// failure (connection error, timeout, HTTP 408/429/5xx) is retried on the same schedule, or
/// after `Retry-After` when that is longer; one failure more than
/// `max_consecutive_transient_failures` in a row ends polling with that error. Reaching the
/// deadline or `max_polls` ends it with [`Error::PollTimeout`](crate::Error::PollTimeout),
/// which carries the last (incomplete) status.
///
/// ```
/// use std::time::Duration;
/// use smile_core::PollPolicy;
///
/// let p = PollPolicy::default();
/// assert_eq!(p.initial_delay(), Duration::ZERO);
/// assert_eq!(p.interval_after(1), Duration::from_millis(250));
/// assert_eq!(p.interval_after(3), Duration::from_secs(1));
/// assert_eq!(p.interval_after(5), Duration::from_secs(2));
/// assert_eq!(p.interval_after(6), Duration::from_secs(4));
/// assert_eq!(p.interval_after(50), Duration::from_secs(4));
///
/// // The official SDKs' schedule, for a server that asks for it.
/// let official = PollPolicy::official();
/// assert_eq!(official.interval_after(1), Duration::from_secs(2));
///
/// let quick = PollPolicy::default()
///     .with_deadline(Duration::from_secs(20))
///     .with_intervals([Duration::from_secs(1)]);
/// assert_eq!(quick.interval_after(9), Duration::from_secs(1));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PollPolicy {
    initial_delay: Duration,
    intervals: Vec<Duration>,
    deadline: Duration,
    max_polls: Option<u32>,
    max_consecutive_transient_failures: u32,
}

impl Default for PollPolicy {
    fn default() -> Self {
        let ms = Duration::from_millis;
        Self {
            initial_delay: Duration::ZERO,
            intervals: vec![ms(250), ms(500), ms(1000), ms(2000), ms(2000), ms(4000)],
            deadline: Duration::from_secs(90),
            max_polls: None,
            max_consecutive_transient_failures: 3,
        }
    }
}

impl PollPolicy {
    /// The official Node SDK's schedule: 2 s after each of polls 1–4, then 4 s (the default
    /// before 0.2; about 2 s to a result that is ready in 200 ms).
    #[must_use]
    pub fn official() -> Self {
        let two = Duration::from_secs(2);
        Self {
            intervals: vec![two, two, two, two, Duration::from_secs(4)],
            ..Self::default()
        }
    }

    /// Sets the wait between the end of the `PUT` and the first poll.
    #[must_use]
    pub fn with_initial_delay(mut self, delay: Duration) -> Self {
        self.initial_delay = delay;
        self
    }

    /// Sets the waits after each incomplete poll: the n-th value is waited after poll n, the
    /// last value repeats. Must not be empty (checked when the client or job is built).
    #[must_use]
    pub fn with_intervals(mut self, intervals: impl IntoIterator<Item = Duration>) -> Self {
        self.intervals = intervals.into_iter().collect();
        self
    }

    /// Sets the overall deadline, measured from the end of the `PUT`.
    #[must_use]
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// Caps the number of polls (`None`: no cap besides the deadline).
    #[must_use]
    pub fn with_max_polls(mut self, max_polls: Option<u32>) -> Self {
        self.max_polls = max_polls;
        self
    }

    /// Sets how many transient failures in a row are tolerated.
    #[must_use]
    pub fn with_max_consecutive_transient_failures(mut self, n: u32) -> Self {
        self.max_consecutive_transient_failures = n;
        self
    }

    /// The wait before the first poll.
    #[must_use]
    pub fn initial_delay(&self) -> Duration {
        self.initial_delay
    }

    /// The waits after each poll (the last value repeats).
    #[must_use]
    pub fn intervals(&self) -> &[Duration] {
        &self.intervals
    }

    /// The overall deadline from the end of the `PUT`.
    #[must_use]
    pub fn deadline(&self) -> Duration {
        self.deadline
    }

    /// The optional cap on the number of polls.
    #[must_use]
    pub fn max_polls(&self) -> Option<u32> {
        self.max_polls
    }

    /// How many transient failures in a row are tolerated.
    #[must_use]
    pub fn max_consecutive_transient_failures(&self) -> u32 {
        self.max_consecutive_transient_failures
    }

    /// The wait after poll number `poll` (1-based). Poll 0 means "before the first poll" and
    /// returns [`initial_delay`](Self::initial_delay).
    #[must_use]
    pub fn interval_after(&self, poll: u32) -> Duration {
        if poll == 0 {
            return self.initial_delay;
        }
        let i = usize::try_from(poll - 1).unwrap_or(usize::MAX);
        self.intervals
            .get(i)
            .or_else(|| self.intervals.last())
            .copied()
            .unwrap_or(Duration::ZERO)
    }

    /// The shortest wait between polls that [`validate`](Self::validate) accepts (10 ms).
    /// Every poll is followed by at least this wait, so polling ends within
    /// `deadline / MIN_INTERVAL` polls even when the clock stands still.
    pub const MIN_INTERVAL: Duration = Duration::from_millis(10);

    /// The longest [`deadline`](Self::deadline) that [`validate`](Self::validate) accepts
    /// (24 hours; a job's result arrives by callback long before that).
    pub const MAX_DEADLINE: Duration = Duration::from_secs(24 * 60 * 60);

    /// Checks the policy: `intervals` must not be empty and each must be at least
    /// [`MIN_INTERVAL`](Self::MIN_INTERVAL); `deadline` must be more than zero and at most
    /// [`MAX_DEADLINE`](Self::MAX_DEADLINE); `initial_delay` must be shorter than the
    /// deadline; `max_polls` must not be `Some(0)`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use smile_core::PollPolicy;
    ///
    /// assert!(PollPolicy::default().validate().is_ok());
    /// let zero = PollPolicy::default().with_intervals([Duration::ZERO]);
    /// assert!(zero.validate().unwrap_err().to_string().contains("intervals"));
    /// assert!(PollPolicy::default().with_max_polls(Some(0)).validate().is_err());
    /// assert!(PollPolicy::default().with_deadline(Duration::MAX).validate().is_err());
    /// ```
    ///
    /// # Errors
    /// [`ConfigError::PollPolicy`] naming the setting and the problem.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let problem = |p: String| Err(ConfigError::PollPolicy(p));
        if self.intervals.is_empty() {
            return problem("intervals is empty: give at least one wait between polls".into());
        }
        if let Some((n, d)) = self
            .intervals
            .iter()
            .enumerate()
            .find(|(_, d)| **d < Self::MIN_INTERVAL)
        {
            return problem(format!(
                "intervals[{n}] is {d:?}: each wait between polls must be at least {:?}",
                Self::MIN_INTERVAL
            ));
        }
        if self.deadline.is_zero() || self.deadline > Self::MAX_DEADLINE {
            return problem(format!(
                "deadline is {:?}: it must be more than zero and at most {:?}",
                self.deadline,
                Self::MAX_DEADLINE
            ));
        }
        if self.initial_delay >= self.deadline {
            return problem(format!(
                "initial_delay ({:?}) must be shorter than deadline ({:?})",
                self.initial_delay, self.deadline
            ));
        }
        if self.max_polls == Some(0) {
            return problem("max_polls is Some(0): allow at least one poll (None: no cap)".into());
        }
        Ok(())
    }
}

/// Retries of idempotent calls on transient failures: the zip `PUT` to the same URL and
/// `get_job_status` ([protocol §2.4](smile_types::protocol#24-timeouts-and-retries-our-sdk)). Never applied to `POST /upload`, and not on top of the
/// poll schedule.
///
/// Defaults: at most 2 retries; exponential backoff starting at 500 ms (×2 per retry, capped
/// at 8 s) with jitter (each wait is drawn uniformly from the upper half of the backoff:
/// `[b/2, b]`); a `Retry-After` header is honoured when it asks for longer, unless it asks for
/// more than [`max_retry_after`](Self::max_retry_after) (default 30 s), in which case the call
/// is not retried.
///
/// ```
/// use std::time::Duration;
/// use smile_core::RetryPolicy;
///
/// let p = RetryPolicy::default().without_jitter();
/// let mut rng = fastrand::Rng::with_seed(1);
/// assert_eq!(p.backoff(1, &mut rng), Duration::from_millis(500));
/// assert_eq!(p.backoff(2, &mut rng), Duration::from_millis(1000));
/// assert_eq!(RetryPolicy::none().max_retries(), 0);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    max_retries: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    jitter: bool,
    max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 2,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            jitter: true,
            max_retry_after: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    #[must_use]
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// Sets the maximum number of retries (not counting the first attempt).
    #[must_use]
    pub fn with_max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }

    /// Sets the first backoff (doubled for each further retry).
    #[must_use]
    pub fn with_initial_backoff(mut self, d: Duration) -> Self {
        self.initial_backoff = d;
        self
    }

    /// Sets the cap on a single backoff.
    #[must_use]
    pub fn with_max_backoff(mut self, d: Duration) -> Self {
        self.max_backoff = d;
        self
    }

    /// Sets the longest `Retry-After` that is honoured; a longer one stops retrying.
    #[must_use]
    pub fn with_max_retry_after(mut self, d: Duration) -> Self {
        self.max_retry_after = d;
        self
    }

    /// Disables jitter (deterministic waits, for tests).
    #[must_use]
    pub fn without_jitter(mut self) -> Self {
        self.jitter = false;
        self
    }

    /// The maximum number of retries.
    #[must_use]
    pub fn max_retries(&self) -> u32 {
        self.max_retries
    }

    /// The longest `Retry-After` honoured.
    #[must_use]
    pub fn max_retry_after(&self) -> Duration {
        self.max_retry_after
    }

    /// The wait before retry number `retry` (1-based), before `Retry-After` is considered.
    #[must_use]
    pub fn backoff(&self, retry: u32, rng: &mut fastrand::Rng) -> Duration {
        let shift = retry.saturating_sub(1).min(30);
        let base = self
            .initial_backoff
            .saturating_mul(1u32 << shift)
            .min(self.max_backoff);
        if !self.jitter || base.is_zero() {
            return base;
        }
        let half = base / 2;
        let span = u64::try_from((base - half).as_nanos()).unwrap_or(u64::MAX);
        half + Duration::from_nanos(rng.u64(0..=span))
    }

    /// The wait before retry number `retry` given the response's `Retry-After` (if any):
    /// `None` when no retry is allowed (retries exhausted, or `Retry-After` longer than
    /// [`max_retry_after`](Self::max_retry_after)).
    #[must_use]
    pub fn delay_for(
        &self,
        retry: u32,
        retry_after: Option<Duration>,
        rng: &mut fastrand::Rng,
    ) -> Option<Duration> {
        if retry > self.max_retries {
            return None;
        }
        let backoff = self.backoff(retry, rng);
        match retry_after {
            Some(ra) if ra > self.max_retry_after => None,
            Some(ra) => Some(ra.max(backoff)),
            None => Some(backoff),
        }
    }
}

/// Parses a `Retry-After` header: delay-seconds (`120`) or an HTTP date
/// (`Wed, 21 Oct 2015 07:28:00 GMT`, also the obsolete RFC 850 and asctime forms), relative to
/// `now`. A date in the past gives zero. Anything unparsable gives `None`.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use smile_core::parse_retry_after;
///
/// let now = UNIX_EPOCH + Duration::from_secs(1_445_412_400); // 2015-10-21T07:26:40Z
/// assert_eq!(parse_retry_after("120", now), Some(Duration::from_secs(120)));
/// assert_eq!(
///     parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
///     Some(Duration::from_secs(80))
/// );
/// assert_eq!(parse_retry_after("soon", now), None);
/// ```
#[must_use]
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    if v.bytes().all(|b| b.is_ascii_digit()) {
        // Absurdly long numbers saturate: the caller compares with its own limits.
        return Some(Duration::from_secs(v.parse::<u64>().unwrap_or(u64::MAX)));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The `Retry-After` of a response, parsed with [`parse_retry_after`].
#[must_use]
pub fn retry_after_of(headers: &http::HeaderMap, now: SystemTime) -> Option<Duration> {
    let v = headers.get(http::header::RETRY_AFTER)?.to_str().ok()?;
    parse_retry_after(v, now)
}

/// Whether an HTTP status is transient (408, 429, 500, 502, 503, 504; [protocol §2.4](smile_types::protocol#24-timeouts-and-retries-our-sdk)).
#[must_use]
pub fn is_transient_status(status: http::StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    #[test]
    fn default_schedule_starts_quick_and_backs_off_to_the_official_cadence() {
        let p = PollPolicy::default();
        let waits: Vec<u128> = (1..=8).map(|n| p.interval_after(n).as_millis()).collect();
        assert_eq!(waits, [250, 500, 1000, 2000, 2000, 4000, 4000, 4000]);
        let official = PollPolicy::official();
        let waits: Vec<u64> = (1..=8)
            .map(|n| official.interval_after(n).as_secs())
            .collect();
        assert_eq!(waits, [2, 2, 2, 2, 4, 4, 4, 4]);
        assert!(official.validate().is_ok());
        assert_eq!(p.deadline(), Duration::from_secs(90));
        assert_eq!(p.max_consecutive_transient_failures(), 3);
        assert_eq!(p.max_polls(), None);
        assert!(p.validate().is_ok());
        assert!(PollPolicy::default().with_intervals([]).validate().is_err());
        let ok = |p: PollPolicy| p.validate().map_err(|e| e.to_string());
        let d = Duration::from_millis;
        assert!(ok(PollPolicy::default().with_intervals([d(10)])).is_ok());
        assert!(ok(PollPolicy::default().with_max_polls(Some(1))).is_ok());
        assert!(ok(PollPolicy::default().with_deadline(PollPolicy::MAX_DEADLINE)).is_ok());
        for (bad, names) in [
            (
                PollPolicy::default().with_intervals([d(5), d(0)]),
                "intervals[0]",
            ),
            (
                PollPolicy::default().with_intervals([d(20), d(0)]),
                "intervals[1]",
            ),
            (PollPolicy::default().with_max_polls(Some(0)), "max_polls"),
            (
                PollPolicy::default().with_deadline(Duration::ZERO),
                "deadline",
            ),
            (
                PollPolicy::default().with_deadline(Duration::MAX),
                "deadline",
            ),
            (
                PollPolicy::default().with_deadline(PollPolicy::MAX_DEADLINE + d(1)),
                "deadline",
            ),
            (
                PollPolicy::default().with_initial_delay(Duration::from_secs(90)),
                "initial_delay",
            ),
        ] {
            let e = ok(bad).unwrap_err();
            assert!(e.contains(names), "{e}");
        }
        assert_eq!(
            PollPolicy::default().with_intervals([]).interval_after(3),
            Duration::ZERO
        );
    }

    #[test]
    fn backoff_grows_and_caps() {
        let p = RetryPolicy::default().without_jitter();
        let mut rng = fastrand::Rng::with_seed(7);
        let b: Vec<u128> = (1..=6)
            .map(|n| p.backoff(n, &mut rng).as_millis())
            .collect();
        assert_eq!(b, [500, 1000, 2000, 4000, 8000, 8000]);
        assert_eq!(p.backoff(u32::MAX, &mut rng), Duration::from_secs(8));
        let j = RetryPolicy::default();
        for n in 1..5 {
            let d = j.backoff(n, &mut rng);
            let full = p.backoff(n, &mut rng);
            assert!(d >= full / 2 && d <= full, "{d:?} vs {full:?}");
        }
    }

    #[test]
    fn delay_for_honours_retry_after() {
        let p = RetryPolicy::default().without_jitter();
        let mut rng = fastrand::Rng::with_seed(7);
        assert_eq!(
            p.delay_for(1, None, &mut rng),
            Some(Duration::from_millis(500))
        );
        assert_eq!(
            p.delay_for(1, Some(Duration::from_secs(3)), &mut rng),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            p.delay_for(2, Some(Duration::ZERO), &mut rng),
            Some(Duration::from_secs(1))
        );
        assert_eq!(p.delay_for(3, None, &mut rng), None);
        assert_eq!(
            p.delay_for(1, Some(Duration::from_secs(31)), &mut rng),
            None
        );
        assert_eq!(RetryPolicy::none().delay_for(1, None, &mut rng), None);
    }

    #[test]
    fn retry_after_forms() {
        let now = UNIX_EPOCH + Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(parse_retry_after("0", now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after(" 7 ", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("99999999999999999999999", now),
            Some(Duration::from_secs(u64::MAX))
        );
        for date in [
            "Sun, 06 Nov 1994 08:49:47 GMT",
            "Sunday, 06-Nov-94 08:49:47 GMT",
            "Sun Nov  6 08:49:47 1994",
        ] {
            assert_eq!(
                parse_retry_after(date, now),
                Some(Duration::from_secs(10)),
                "{date}"
            );
        }
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        for bad in ["", "-1", "1.5", "tomorrow", "Sun, 06 Nov 1994"] {
            assert_eq!(parse_retry_after(bad, now), None, "{bad}");
        }
        let mut h = http::HeaderMap::new();
        assert_eq!(retry_after_of(&h, now), None);
        h.insert(
            http::header::RETRY_AFTER,
            http::HeaderValue::from_static("5"),
        );
        assert_eq!(retry_after_of(&h, now), Some(Duration::from_secs(5)));
    }

    #[test]
    fn transient_statuses() {
        let t: Vec<u16> = (100..600)
            .filter(|s| is_transient_status(http::StatusCode::from_u16(*s).unwrap()))
            .collect();
        assert_eq!(t, [408, 429, 500, 502, 503, 504]);
    }

    proptest::proptest! {
        #[test]
        fn retry_after_never_panics(s in "\\PC{0,40}") {
            let _ = parse_retry_after(&s, UNIX_EPOCH);
        }
    }
}

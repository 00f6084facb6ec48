//! Deciding whether a callback delivery should replace the stored state of its job.

use std::time::SystemTime;

use smile_types::ResultCode;

/// What a receiver stores per job ([`DedupeKey`](crate::DedupeKey)) to apply callbacks in order
/// ([protocol §9.2](smile_types::protocol#92-verifying-a-callback-our-sdks-verifier)): the last applied result code, its callback timestamp and whether it was
/// final.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackState {
    /// The `ResultCode` of the callback.
    pub result_code: ResultCode,
    /// The callback's `timestamp`, parsed.
    pub issued_at: SystemTime,
    /// Whether the result is final (from `IsFinalResult`, else the result-code table).
    pub is_final: bool,
}

impl CallbackState {
    /// A state from its parts.
    #[must_use]
    pub fn new(result_code: impl Into<ResultCode>, issued_at: SystemTime, is_final: bool) -> Self {
        Self {
            result_code: result_code.into(),
            issued_at,
            is_final,
        }
    }
}

/// Whether `next` should replace `prev` as the stored state of a job ([protocol §9.2](smile_types::protocol#92-verifying-a-callback-our-sdks-verifier)).
///
/// Returns `false`, meaning "ignore the delivery", when `next`:
/// - is older than `prev` (an earlier timestamp);
/// - is not final while `prev` is final (a late provisional result);
/// - is an exact repeat (same result code and timestamp).
///
/// Otherwise returns `true`. Compare only states of the same [`DedupeKey`](crate::DedupeKey).
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use smile_sign::{CallbackState, supersedes};
///
/// let t = UNIX_EPOCH + Duration::from_secs(1_709_640_001);
/// let provisional = CallbackState::new("0824", t, false);
/// let last = CallbackState::new("1220", t + Duration::from_secs(1296), true);
/// assert!(supersedes(&provisional, &last));
/// assert!(!supersedes(&last, &provisional));
/// assert!(!supersedes(&last, &last.clone()));
/// ```
#[must_use]
pub fn supersedes(prev: &CallbackState, next: &CallbackState) -> bool {
    if next.issued_at < prev.issued_at {
        return false;
    }
    if prev.is_final && !next.is_final {
        return false;
    }
    !(next.issued_at == prev.issued_at && next.result_code == prev.result_code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn t(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn rules() {
        let prov = CallbackState::new("0824", t(100), false);
        let fin = CallbackState::new("1220", t(200), true);
        // Provisional then final: apply. The reverse order: ignore the late provisional.
        assert!(supersedes(&prov, &fin));
        assert!(!supersedes(&fin, &prov));
        // Exact repeats are ignored.
        assert!(!supersedes(&prov, &prov.clone()));
        assert!(!supersedes(&fin, &fin.clone()));
        // Older results are ignored, even final ones.
        let old_final = CallbackState::new("0821", t(50), true);
        assert!(!supersedes(&prov, &old_final));
        // A non-final after a non-final, later: apply.
        assert!(supersedes(
            &prov,
            &CallbackState::new("0825", t(150), false)
        ));
        // A later provisional after a final: still ignored.
        assert!(!supersedes(
            &fin,
            &CallbackState::new("0824", t(300), false)
        ));
        // A later final after a final (e.g. a review overturned): apply.
        assert!(supersedes(&fin, &CallbackState::new("1221", t(300), true)));
        // Same timestamp, different code: not a repeat.
        assert!(supersedes(
            &prov,
            &CallbackState::new("0825", t(100), false)
        ));
        // Same code re-signed later: applied (idempotent for the receiver).
        assert!(supersedes(&fin, &CallbackState::new("1220", t(201), true)));
    }

    #[test]
    fn codes_compare_as_strings() {
        let a = CallbackState::new("0820", t(1), true);
        let b = CallbackState::new(ResultCode::new("0820"), t(1), true);
        assert!(!supersedes(&a, &b));
        assert!(supersedes(&a, &CallbackState::new("820", t(1), true)));
    }
}

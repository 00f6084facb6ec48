//! Callback (webhook) verification, [protocol §9.2](smile_types::protocol#92-verifying-a-callback-our-sdks-verifier).

use std::fmt;
use std::time::{Duration, SystemTime};

use serde_json::Value;
use smile_types::{Callback, JobId, SmileJobId};

use crate::dedupe::CallbackState;
use crate::signer::{Signer, VerifyError, json_type, string_field};
use crate::timestamp::{TimestampError, parse_timestamp};

/// Verifies callback bodies posted by Smile ID: size limit, JSON object, signature over the
/// body's own `timestamp`, and freshness ([protocol §9.2](smile_types::protocol#92-verifying-a-callback-our-sdks-verifier)).
///
/// The signature covers only `timestamp + partner_id + "sid_request"`, **not the body**: a
/// verified callback proves the sender knew the key at some point, and anyone who has seen one
/// signed message can attach its pair to any body. Keep the freshness window, deduplicate with
/// [`VerifiedCallback::dedupe_key`], and for high-value decisions re-fetch the job status.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use smile_sign::{CallbackError, CallbackVerifier, Signer};
/// use smile_types::PartnerId;
///
/// let signer = Signer::new(PartnerId::new("085"), "sdk-interop-test-key-0001");
/// let verifier = CallbackVerifier::new(signer).tolerance(Some(Duration::from_secs(300)));
/// let body = br#"{"ResultCode":"0820","SmileJobID":"0000001897","PartnerParams":{"job_id":"job-1","user_id":"user-1","job_type":2},"timestamp":"2024-01-01T00:00:00.000Z","signature":"fPrLyD/xE8xIhfqurdEPHUPf3LN+5HSBoqYgPuTi3RI="}"#;
///
/// let signed_at = UNIX_EPOCH + Duration::from_secs(1_704_067_200);
/// let verified = verifier.verify(body, signed_at + Duration::from_secs(30))?;
/// assert_eq!(verified.dedupe_key.smile_job_id.as_ref().unwrap().as_str(), "0000001897");
///
/// let late = verifier.verify(body, signed_at + Duration::from_secs(3600));
/// assert!(matches!(late, Err(CallbackError::Stale { .. })));
/// # Ok::<(), CallbackError>(())
/// ```
#[derive(Debug, Clone)]
pub struct CallbackVerifier {
    signer: Signer,
    tolerance: Option<Duration>,
    max_body_bytes: usize,
}

impl CallbackVerifier {
    /// The default freshness window: 15 minutes either side of now.
    pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(15 * 60);
    /// The default body size limit: 2 MiB (callbacks can reach about 1.5 MB).
    pub const DEFAULT_MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

    /// A verifier using `signer` (the partner id and API key of the environment the callbacks
    /// come from), with the default tolerance and size limit.
    #[must_use]
    pub fn new(signer: Signer) -> Self {
        Self {
            signer,
            tolerance: Some(Self::DEFAULT_TOLERANCE),
            max_body_bytes: Self::DEFAULT_MAX_BODY_BYTES,
        }
    }

    /// Sets the freshness window: a callback whose `timestamp` is further than this from now,
    /// in the past or in the future, is rejected as [`CallbackError::Stale`]. `None` disables
    /// the check (the timestamp must still parse). Default: 15 minutes.
    #[must_use]
    pub fn tolerance(mut self, tolerance: Option<Duration>) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// Sets the largest body accepted, in bytes. Default: 2 MiB.
    #[must_use]
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = limit;
        self
    }

    /// The signer used to check signatures.
    #[must_use]
    pub fn signer(&self) -> &Signer {
        &self.signer
    }

    /// The configured freshness window (`None`: disabled).
    #[must_use]
    pub fn current_tolerance(&self) -> Option<Duration> {
        self.tolerance
    }

    /// The configured body size limit in bytes.
    #[must_use]
    pub fn current_max_body_bytes(&self) -> usize {
        self.max_body_bytes
    }

    /// Verifies the raw callback `body` received at `now`.
    ///
    /// Steps, in order: size limit, JSON object, signature over the body's `timestamp` text as
    /// received (strict base64, constant time), timestamp parse, freshness. The body is then
    /// decoded leniently into a [`Callback`], which cannot fail for a JSON object.
    ///
    /// # Errors
    ///
    /// One [`CallbackError`] variant per step; see there. Nothing from the body should be acted
    /// on when this fails.
    pub fn verify(&self, body: &[u8], now: SystemTime) -> Result<VerifiedCallback, CallbackError> {
        if body.len() > self.max_body_bytes {
            return Err(CallbackError::TooLarge {
                size: body.len(),
                limit: self.max_body_bytes,
            });
        }
        let value: Value =
            serde_json::from_slice(body).map_err(|source| CallbackError::NotJson { source })?;
        let Value::Object(object) = value else {
            return Err(CallbackError::NotObject {
                found: json_type(&value),
            });
        };
        self.signer
            .verify_object(&object)
            .map_err(|source| CallbackError::BadSignature { source })?;
        // verify_object has checked that the member exists and is a string.
        let timestamp = string_field(&object, "timestamp")
            .map_err(|source| CallbackError::BadSignature { source })?;
        let issued_at = parse_timestamp(timestamp)
            .map_err(|source| CallbackError::InvalidTimestamp { source })?;
        if let Some(tolerance) = self.tolerance {
            let skew = match now.duration_since(issued_at) {
                Ok(age) => Skew::Past(age),
                Err(ahead) => Skew::Future(ahead.duration()),
            };
            if skew.magnitude() > tolerance {
                return Err(CallbackError::Stale { skew, tolerance });
            }
        }
        // Lenient decoding never fails for an object (docs/protocol.md §7.3): members of unexpected
        // types are kept in `extra`.
        let callback = Callback::from_map(object);
        let (smile_job_id, job_id) = callback.dedupe_key();
        let dedupe_key = DedupeKey::new(smile_job_id.cloned(), job_id.cloned());
        Ok(VerifiedCallback {
            callback,
            dedupe_key,
            issued_at,
        })
    }
}

/// A callback that passed [`CallbackVerifier::verify`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct VerifiedCallback {
    /// The callback, decoded leniently (a [`smile_types::ResultEntry`] plus `timestamp` and
    /// `signature`; unknown members are kept).
    pub callback: Callback,
    /// The key to deduplicate deliveries by: (`SmileJobID`, `PartnerParams.job_id`).
    pub dedupe_key: DedupeKey,
    /// The callback's `timestamp`, parsed.
    pub issued_at: SystemTime,
}

impl VerifiedCallback {
    /// The state to store for this callback's job and compare the next delivery against with
    /// [`supersedes`](crate::supersedes): result code, timestamp and finality
    /// ([`smile_types::ResultEntry::interpret`]: `IsFinalResult`, else the result-code table,
    /// else not final). `None` when the callback has no `ResultCode`.
    #[must_use]
    pub fn state(&self) -> Option<CallbackState> {
        let code = self.callback.result_code.clone()?;
        let is_final = self.callback.interpret(None).is_final;
        Some(CallbackState::new(code, self.issued_at, is_final))
    }
}

/// Identifies the job a callback is about ([protocol §9.2](smile_types::protocol#92-verifying-a-callback-our-sdks-verifier)): key stored state by this and apply
/// deliveries with [`supersedes`](crate::supersedes).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub struct DedupeKey {
    /// The server's job id (`SmileJobID`), when present.
    pub smile_job_id: Option<SmileJobId>,
    /// The partner's job id (`PartnerParams.job_id`), when present.
    pub job_id: Option<JobId>,
}

impl DedupeKey {
    /// A key from its parts.
    #[must_use]
    pub fn new(smile_job_id: Option<SmileJobId>, job_id: Option<JobId>) -> Self {
        Self {
            smile_job_id,
            job_id,
        }
    }
}

/// How far a callback timestamp is from now (in [`CallbackError::Stale`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skew {
    /// The timestamp is this far in the past.
    Past(Duration),
    /// The timestamp is this far in the future.
    Future(Duration),
}

impl Skew {
    /// The distance from now, whichever the direction.
    #[must_use]
    pub fn magnitude(self) -> Duration {
        match self {
            Self::Past(d) | Self::Future(d) => d,
        }
    }
}

impl fmt::Display for Skew {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Past(d) => write!(f, "{d:?} old"),
            Self::Future(d) => write!(f, "{d:?} in the future"),
        }
    }
}

/// Why a callback was rejected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CallbackError {
    /// The body is larger than the configured limit (checked before parsing).
    #[error("callback body is {size} bytes, over the limit of {limit} bytes")]
    TooLarge {
        /// The body length in bytes.
        size: usize,
        /// The configured limit in bytes.
        limit: usize,
    },
    /// The body is not JSON.
    #[error("callback body is not valid JSON")]
    NotJson {
        /// The parser's finding.
        #[source]
        source: serde_json::Error,
    },
    /// The body is JSON but not an object.
    #[error("callback body must be a JSON object, found {found}")]
    NotObject {
        /// The JSON type found, e.g. `"an array"`.
        found: &'static str,
    },
    /// The `timestamp`/`signature` pair is missing, malformed or does not match: the callback
    /// is not authentic. The cause is in [`source`](std::error::Error::source).
    #[error("callback signature is invalid")]
    BadSignature {
        /// What is wrong with the signature.
        #[source]
        source: VerifyError,
    },
    /// The signature matches but `timestamp` is not an RFC 3339 date-time.
    #[error("callback field `timestamp` is not a valid timestamp")]
    InvalidTimestamp {
        /// The parser's finding.
        #[source]
        source: TimestampError,
    },
    /// The signature matches but `timestamp` is outside the freshness window (too old, or too
    /// far in the future): possibly a replay.
    #[error("callback field `timestamp` is {skew}, outside the tolerance of {tolerance:?}")]
    Stale {
        /// How far the timestamp is from now.
        skew: Skew,
        /// The configured tolerance.
        tolerance: Duration,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use smile_types::PartnerId;
    use std::error::Error as _;
    use std::time::UNIX_EPOCH;

    const KEY: &str = "sdk-interop-test-key-0001";

    fn verifier() -> CallbackVerifier {
        CallbackVerifier::new(Signer::new(PartnerId::new("085"), KEY))
    }

    fn body(timestamp: &str) -> Vec<u8> {
        let signer = Signer::new(PartnerId::new("085"), KEY);
        serde_json::to_vec(&serde_json::json!({
            "ResultCode": "0820",
            "SmileJobID": "0000000001",
            "PartnerParams": {"job_id": "job-1", "user_id": "u", "job_type": 2},
            "timestamp": timestamp,
            "signature": signer.sign(timestamp),
        }))
        .unwrap()
    }

    const T0: u64 = 1_704_067_200; // 2024-01-01T00:00:00Z

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn defaults() {
        let v = verifier();
        assert_eq!(v.current_tolerance(), Some(Duration::from_secs(900)));
        assert_eq!(v.current_max_body_bytes(), 2_097_152);
        assert_eq!(v.signer().partner_id().as_str(), "085");
    }

    #[test]
    fn accepts_fresh_and_returns_dedupe_key() {
        let ok = verifier()
            .verify(&body("2024-01-01T00:00:00.000Z"), at(T0 + 30))
            .unwrap();
        assert_eq!(ok.issued_at, at(T0));
        assert_eq!(
            ok.dedupe_key,
            DedupeKey::new(
                Some(SmileJobId::new("0000000001")),
                Some(JobId::new("job-1"))
            )
        );
    }

    #[test]
    fn tolerance_boundaries_both_directions() {
        let b = body("2024-01-01T00:00:00.000Z");
        let v = verifier();
        v.verify(&b, at(T0 + 900)).unwrap();
        v.verify(&b, at(T0 - 900)).unwrap();
        let err = v
            .verify(&b, at(T0 + 900) + Duration::from_millis(1))
            .unwrap_err();
        assert!(matches!(
            err,
            CallbackError::Stale {
                skew: Skew::Past(d),
                tolerance
            } if d == Duration::from_millis(900_001) && tolerance == Duration::from_secs(900)
        ));
        assert_eq!(
            err.to_string(),
            "callback field `timestamp` is 900.001s old, outside the tolerance of 900s"
        );
        let err = v.verify(&b, at(T0 - 901)).unwrap_err();
        assert!(matches!(
            err,
            CallbackError::Stale {
                skew: Skew::Future(d),
                ..
            } if d == Duration::from_secs(901)
        ));
        assert!(err.to_string().contains("901s in the future"), "{err}");
        // Disabled: anything goes, but the timestamp is still parsed.
        let v = verifier().tolerance(None);
        assert_eq!(
            v.verify(&b, at(T0 + 86_400 * 365)).unwrap().issued_at,
            at(T0)
        );
    }

    #[test]
    fn size_limit_is_checked_first() {
        let b = body("2024-01-01T00:00:00.000Z");
        let v = verifier().max_body_bytes(b.len());
        v.verify(&b, at(T0)).unwrap();
        let v = verifier().max_body_bytes(b.len() - 1);
        let err = v.verify(&b, at(T0)).unwrap_err();
        assert!(
            matches!(err, CallbackError::TooLarge { size, limit } if size == b.len() && limit == b.len() - 1)
        );
        // Even garbage: the size check comes before parsing.
        let err = verifier()
            .max_body_bytes(3)
            .verify(b"not json", at(T0))
            .unwrap_err();
        assert!(matches!(err, CallbackError::TooLarge { size: 8, limit: 3 }));
    }

    #[test]
    fn structural_errors() {
        let v = verifier();
        assert!(matches!(
            v.verify(b"", at(T0)),
            Err(CallbackError::NotJson { .. })
        ));
        assert!(matches!(
            v.verify(b"<html></html>", at(T0)),
            Err(CallbackError::NotJson { .. })
        ));
        let err = v.verify(b"[1,2]", at(T0)).unwrap_err();
        assert!(matches!(
            err,
            CallbackError::NotObject { found: "an array" }
        ));
        assert_eq!(
            err.to_string(),
            "callback body must be a JSON object, found an array"
        );
        let err = v.verify(br#"{"timestamp":"x"}"#, at(T0)).unwrap_err();
        assert!(matches!(
            err,
            CallbackError::BadSignature {
                source: VerifyError::MissingField { field: "signature" }
            }
        ));
        let err = v
            .verify(br#"{"timestamp":1,"signature":"x"}"#, at(T0))
            .unwrap_err();
        assert!(matches!(
            err,
            CallbackError::BadSignature {
                source: VerifyError::NotAString {
                    field: "timestamp",
                    ..
                }
            }
        ));
    }

    #[test]
    fn signed_but_unparseable_timestamp_is_its_own_error() {
        let err = verifier()
            .verify(&body("1704067200000"), at(T0))
            .unwrap_err();
        assert!(
            matches!(err, CallbackError::InvalidTimestamp { .. }),
            "{err:?}"
        );
        assert!(err.source().unwrap().to_string().contains("1704067200000"));
        // Also with freshness disabled.
        let err = verifier()
            .tolerance(None)
            .verify(&body("yesterday"), at(T0))
            .unwrap_err();
        assert!(
            matches!(err, CallbackError::InvalidTimestamp { .. }),
            "{err:?}"
        );
    }

    #[test]
    fn bad_signature_is_checked_before_freshness() {
        let mut v: Value = serde_json::from_slice(&body("2024-01-01T00:00:00.000Z")).unwrap();
        v["timestamp"] = Value::from("2024-01-01T00:00:00.001Z");
        let tampered = serde_json::to_vec(&v).unwrap();
        // Stale *and* badly signed: the signature error wins.
        let err = verifier().verify(&tampered, at(T0 + 86_400)).unwrap_err();
        assert!(matches!(
            err,
            CallbackError::BadSignature {
                source: VerifyError::Mismatch
            }
        ));
    }

    #[test]
    fn numeric_smile_job_id_and_missing_partner_params() {
        let signer = Signer::new(PartnerId::new("085"), KEY);
        let ts = "2024-01-01T00:00:00.000Z";
        let b = serde_json::to_vec(&serde_json::json!({
            "SmileJobID": 57497, "timestamp": ts, "signature": signer.sign(ts),
        }))
        .unwrap();
        let ok = verifier().verify(&b, at(T0)).unwrap();
        assert_eq!(
            ok.dedupe_key,
            DedupeKey::new(Some(SmileJobId::new("57497")), None)
        );
    }
}

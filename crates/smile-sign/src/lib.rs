//! Smile ID v1 signatures: HMAC-SHA256 request signing, strict constant-time verification of
//! signed responses, and callback (webhook) verification with a freshness window.
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use smile_sign::{CallbackVerifier, Signer};
//! use smile_types::{PartnerId, ResultCategory};
//!
//! // Sign a request at a fixed time (production code takes the time from a `Clock`).
//! let signer = Signer::new(PartnerId::new("085"), "sdk-interop-test-key-0001");
//! let now = UNIX_EPOCH + Duration::from_secs(1_704_067_200);
//! let signed = signer.sign_at(now);
//! assert_eq!(signed.timestamp, "2024-01-01T00:00:00.000Z");
//! assert_eq!(signed.signature, "fPrLyD/xE8xIhfqurdEPHUPf3LN+5HSBoqYgPuTi3RI=");
//!
//! // Verify a signature (e.g. from a job_status response).
//! signer.verify(&signed.timestamp, &signed.signature)?;
//! assert!(signer.verify("2024-01-01T00:00:00Z", &signed.signature).is_err());
//!
//! // Verify a callback body received 30 seconds after it was signed.
//! let body = format!(
//!     r#"{{"ResultCode":"1220","SmileJobID":"0000057497","PartnerParams":{{"job_id":"job-1","user_id":"user-1","job_type":"2"}},"timestamp":"{}","signature":"{}"}}"#,
//!     signed.timestamp, signed.signature,
//! );
//! let verifier = CallbackVerifier::new(signer);
//! let callback = verifier.verify(body.as_bytes(), now + Duration::from_secs(30))?;
//! let key = &callback.dedupe_key;
//! assert_eq!(key.smile_job_id.as_ref().map(|id| id.as_str()), Some("0000057497"));
//! assert_eq!(key.job_id.as_ref().map(|id| id.as_str()), Some("job-1"));
//! let meaning = callback.callback.interpret(None);
//! assert_eq!((meaning.category, meaning.is_final), (ResultCategory::Approved, true));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What is signed
//!
//! `base64(HMAC-SHA256(key = api_key, timestamp || partner_id || "sid_request"))` with the
//! standard padded alphabet ([protocol §3.1](smile_types::protocol#31-algorithm-confirmed)). The timestamp is signed as the exact text sent,
//! so [`Signer::sign_at`] returns the text together with its signature. Our own timestamps are
//! RFC 3339 UTC with three fraction digits and `Z`, truncated to the millisecond
//! ([`format_timestamp`]).
//!
//! # Verification
//!
//! [`Signer::verify`] decodes the signature strictly (padding required, no whitespace, no
//! URL-safe alphabet, unused bits zero), requires 32 bytes and compares them in constant time.
//! [`CallbackVerifier`] adds a body size limit, a JSON object check and a freshness window
//! (default 15 minutes either way). The signature does **not** cover the body: see the
//! security note on [`CallbackVerifier`].
//!
//! # Errors
//!
//! [`VerifyError`] separates a malformed signature ([`VerifyError::Malformed`], with the
//! [`MalformedSignature`] reason as its source) from a well-formed one that does not match
//! ([`VerifyError::Mismatch`]), and names a missing or non-string `timestamp`/`signature`
//! member. [`CallbackError`] has one variant per verification step; a bad signature
//! ([`CallbackError::BadSignature`]) and a stale callback ([`CallbackError::Stale`]) are
//! distinct. Nothing here panics on untrusted input.
//!
//! # Secrets
//!
//! The API key is a [`secrecy::SecretString`]. [`Signer`] and [`CallbackVerifier`] print it as
//! `[REDACTED]` in `Debug`, implement neither `Display` nor `Serialize`, and no error message
//! contains it.
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod callback;
mod clock;
mod dedupe;
mod signer;
mod timestamp;

pub use callback::{CallbackError, CallbackVerifier, DedupeKey, Skew, VerifiedCallback};
pub use clock::{Clock, FixedClock, SystemClock};
pub use dedupe::{CallbackState, supersedes};
pub use signer::{
    InvalidBase64, MalformedSignature, SIGNATURE_LEN, SignedTimestamp, Signer, VerifyError,
};
pub use timestamp::{InvalidRfc3339, TimestampError, format_timestamp, parse_timestamp};

/// Re-exported so callers can build a key without naming `secrecy` themselves.
pub use secrecy::SecretString;

/// The crate README's example (its crates.io page), compiled as a doc test so it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

//! The HMAC-SHA256 signature of [protocol §3](smile_types::protocol#3-signatures): signing and strict, constant-time verification.

use std::fmt;
use std::time::SystemTime;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use smile_types::PartnerId;

use crate::clock::Clock;
use crate::timestamp::format_timestamp;

type HmacSha256 = Hmac<Sha256>;

/// The literal that ends every signed message.
const SUFFIX: &[u8] = b"sid_request";

/// Length in bytes of a decoded signature (an HMAC-SHA256 tag).
pub const SIGNATURE_LEN: usize = 32;

/// Signs and verifies Smile ID v1 signatures for one partner and API key.
///
/// `signature = base64(HMAC-SHA256(key = api_key, timestamp || partner_id || "sid_request"))`
/// ([protocol §3.1](smile_types::protocol#31-algorithm-confirmed)). The partner id is used exactly as given (`"085"` and `"85"` sign
/// differently) and the key as its UTF-8 bytes, unchanged.
///
/// The API key is held as a [`SecretString`]: `Debug` shows the partner id and
/// `api_key: [REDACTED]`, and the type implements neither `Display` nor `Serialize`.
///
/// ```
/// use smile_sign::Signer;
/// use smile_types::PartnerId;
///
/// let signer = Signer::new(PartnerId::new("085"), "test-api-key-0123456789abcdef");
/// let signature = signer.sign("2024-01-01T00:00:00.000Z");
/// assert_eq!(signature, "M3cQo5OzgcEz2Z+rTIzsnqZscb0YgycidLTnE0g9YjY=");
/// signer.verify("2024-01-01T00:00:00.000Z", &signature)?;
/// assert!(format!("{signer:?}").contains("[REDACTED]"));
/// # Ok::<(), smile_sign::VerifyError>(())
/// ```
#[derive(Clone)]
pub struct Signer {
    partner_id: PartnerId,
    api_key: SecretString,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("partner_id", &self.partner_id)
            .field("api_key", &format_args!("[REDACTED]"))
            .finish()
    }
}

/// A timestamp together with its signature, ready to be put into a request body
/// (`timestamp` and `signature` fields, [protocol §3.3](smile_types::protocol#33-where-the-signature-goes)).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SignedTimestamp {
    /// The exact timestamp text that was signed.
    pub timestamp: String,
    /// The base64 signature over `timestamp`.
    pub signature: String,
}

impl Signer {
    /// A signer for `partner_id` with `api_key` (the per-environment key from the portal).
    pub fn new(partner_id: PartnerId, api_key: impl Into<SecretString>) -> Self {
        Self {
            partner_id,
            api_key: api_key.into(),
        }
    }

    /// The partner id this signer signs for.
    #[must_use]
    pub fn partner_id(&self) -> &PartnerId {
        &self.partner_id
    }

    /// The MAC over `timestamp` exactly as given, ready for `finalize` or `verify_slice`.
    fn mac(&self, timestamp: &str) -> HmacSha256 {
        // HMAC accepts keys of any length (long keys are hashed), so this never fails.
        let mut mac = <HmacSha256 as Mac>::new_from_slice(self.api_key.expose_secret().as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(timestamp.as_bytes());
        mac.update(self.partner_id.as_str().as_bytes());
        mac.update(SUFFIX);
        mac
    }

    /// The signature over `timestamp`, exactly as given (it is not parsed or normalised): 44
    /// characters of standard, padded base64.
    #[must_use]
    pub fn sign(&self, timestamp: &str) -> String {
        STANDARD.encode(self.mac(timestamp).finalize().into_bytes())
    }

    /// Formats `at` as our canonical timestamp (see [`format_timestamp`]) and signs it.
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use smile_sign::Signer;
    /// use smile_types::PartnerId;
    ///
    /// let signer = Signer::new(PartnerId::new("085"), "test-api-key-0123456789abcdef");
    /// let signed = signer.sign_at(UNIX_EPOCH + Duration::from_secs(1_704_067_200));
    /// assert_eq!(signed.timestamp, "2024-01-01T00:00:00.000Z");
    /// assert_eq!(signed.signature, "M3cQo5OzgcEz2Z+rTIzsnqZscb0YgycidLTnE0g9YjY=");
    /// ```
    #[must_use]
    pub fn sign_at(&self, at: SystemTime) -> SignedTimestamp {
        let timestamp = format_timestamp(at);
        let signature = self.sign(&timestamp);
        SignedTimestamp {
            timestamp,
            signature,
        }
    }

    /// Signs the current time of `clock` (a fresh timestamp for a request being built now).
    #[must_use]
    pub fn sign_now(&self, clock: &dyn Clock) -> SignedTimestamp {
        self.sign_at(clock.now())
    }

    /// Verifies `signature` over `timestamp` ([protocol §3.4](smile_types::protocol#34-verifying-a-signature-responses-and-callbacks)): `signature` must be strict
    /// standard base64 (padding required, no whitespace, no URL-safe characters, unused bits
    /// zero) of exactly 32 bytes, and those bytes must equal the MAC over the timestamp text
    /// **as received**. The comparison is constant time.
    ///
    /// # Errors
    ///
    /// [`VerifyError::Malformed`] when `signature` is not a well-formed signature,
    /// [`VerifyError::Mismatch`] when it is but was not made with this key and partner id for
    /// this exact timestamp text.
    pub fn verify(&self, timestamp: &str, signature: &str) -> Result<(), VerifyError> {
        let tag = decode_signature(signature)?;
        self.mac(timestamp)
            .verify_slice(&tag)
            .map_err(|_| VerifyError::Mismatch)
    }

    /// Verifies the `timestamp` and `signature` members of a JSON object, such as a signed
    /// `job_status` response or a callback body. Both must be present and be JSON strings.
    ///
    /// ```
    /// use smile_sign::{Signer, VerifyError};
    /// use smile_types::PartnerId;
    ///
    /// let signer = Signer::new(PartnerId::new("085"), "sdk-interop-test-key-0001");
    /// let body: serde_json::Value = serde_json::from_str(
    ///     r#"{"timestamp":"2024-01-01T00:00:00.000Z",
    ///         "signature":"fPrLyD/xE8xIhfqurdEPHUPf3LN+5HSBoqYgPuTi3RI="}"#,
    /// ).unwrap();
    /// signer.verify_object(body.as_object().unwrap())?;
    ///
    /// let unsigned = serde_json::Map::new();
    /// assert!(matches!(
    ///     signer.verify_object(&unsigned),
    ///     Err(VerifyError::MissingField { field: "timestamp" })
    /// ));
    /// # Ok::<(), VerifyError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`VerifyError::MissingField`] or [`VerifyError::NotAString`] for an absent or non-string
    /// member, otherwise as [`verify`](Self::verify).
    pub fn verify_object(
        &self,
        body: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<(), VerifyError> {
        let timestamp = string_field(body, "timestamp")?;
        let signature = string_field(body, "signature")?;
        self.verify(timestamp, signature)
    }
}

/// The string value of `field` in `body`.
pub(crate) fn string_field<'a>(
    body: &'a serde_json::Map<String, serde_json::Value>,
    field: &'static str,
) -> Result<&'a str, VerifyError> {
    match body.get(field) {
        None => Err(VerifyError::MissingField { field }),
        Some(serde_json::Value::String(s)) => Ok(s),
        Some(other) => Err(VerifyError::NotAString {
            field,
            found: json_type(other),
        }),
    }
}

/// The JSON type name of `value`, for error messages.
pub(crate) fn json_type(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// Decodes a signature with the strict standard engine and checks its length.
fn decode_signature(signature: &str) -> Result<[u8; SIGNATURE_LEN], VerifyError> {
    let bytes = STANDARD.decode(signature).map_err(|e| {
        VerifyError::Malformed(MalformedSignature::NotBase64 {
            source: InvalidBase64(e),
        })
    })?;
    <[u8; SIGNATURE_LEN]>::try_from(bytes.as_slice())
        .map_err(|_| VerifyError::Malformed(MalformedSignature::WrongLength { len: bytes.len() }))
}

/// Why a signature was not accepted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The `signature` text is not a well-formed signature (not strict standard base64, or not
    /// 32 bytes). The cause is in [`source`](std::error::Error::source).
    #[error("field `signature` is malformed")]
    Malformed(#[source] MalformedSignature),
    /// The signature is well formed but does not match this partner id, API key and timestamp
    /// text.
    #[error("field `signature` does not match the timestamp, partner id and API key")]
    Mismatch,
    /// The signed body has no such member.
    #[error("field `{field}` is missing from the signed body")]
    MissingField {
        /// `"timestamp"` or `"signature"`.
        field: &'static str,
    },
    /// The member is present but is not a JSON string.
    #[error("field `{field}` must be a JSON string, found {found}")]
    NotAString {
        /// `"timestamp"` or `"signature"`.
        field: &'static str,
        /// The JSON type found, e.g. `"a number"`.
        found: &'static str,
    },
}

impl VerifyError {
    /// True for [`VerifyError::Malformed`].
    #[must_use]
    pub fn is_malformed(&self) -> bool {
        matches!(self, Self::Malformed(_))
    }

    /// True for [`VerifyError::Mismatch`].
    #[must_use]
    pub fn is_mismatch(&self) -> bool {
        matches!(self, Self::Mismatch)
    }
}

/// What is wrong with a malformed signature (the source of [`VerifyError::Malformed`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MalformedSignature {
    /// Not strict standard base64: a character outside `A–Z a–z 0–9 + /`, missing or extra
    /// padding, whitespace, or non-zero unused bits in the last character.
    #[error("not strict standard base64 with padding")]
    NotBase64 {
        /// The decoder's finding.
        #[source]
        source: InvalidBase64,
    },
    /// Valid base64 of the wrong length (an HMAC-SHA256 signature is 32 bytes, 44 characters).
    #[error("decodes to {len} bytes, expected 32")]
    WrongLength {
        /// The decoded length in bytes.
        len: usize,
    },
}

/// A base64 decoding failure (the source of [`MalformedSignature::NotBase64`]).
#[derive(Debug)]
pub struct InvalidBase64(base64::DecodeError);

impl fmt::Display for InvalidBase64 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for InvalidBase64 {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    fn signer() -> Signer {
        Signer::new(PartnerId::new("085"), "sdk-interop-test-key-0001")
    }

    const TS: &str = "2024-01-01T00:00:00.000Z";
    const SIG: &str = "fPrLyD/xE8xIhfqurdEPHUPf3LN+5HSBoqYgPuTi3RI=";

    #[test]
    fn signs_the_canonical_vector() {
        assert_eq!(signer().sign(TS), SIG);
        assert_eq!(signer().partner_id().as_str(), "085");
    }

    #[test]
    fn standard_engine_rejects_non_canonical_trailing_bits() {
        // The default STANDARD engine must already reject these; guard against a base64 change.
        let err = signer()
            .verify(TS, "fPrLyD/xE8xIhfqurdEPHUPf3LN+5HSBoqYgPuTi3RJ=")
            .unwrap_err();
        assert!(err.is_malformed(), "{err:?}");
        assert!(STANDARD.decode("QR==").is_err());
        assert!(STANDARD.decode("QQ==").is_ok());
    }

    #[test]
    fn error_kinds() {
        let s = signer();
        let not_b64 = s.verify(TS, "garbage").unwrap_err();
        assert!(matches!(
            not_b64,
            VerifyError::Malformed(MalformedSignature::NotBase64 { .. })
        ));
        assert!(not_b64.source().unwrap().source().is_some());
        let short = s
            .verify(TS, "fPrLyD/xE8xIhfqurdEPHUPf3LN+5HSBoqYgPuTi3Q==")
            .unwrap_err();
        assert!(matches!(
            short,
            VerifyError::Malformed(MalformedSignature::WrongLength { len: 31 })
        ));
        assert_eq!(
            short.source().unwrap().to_string(),
            "decodes to 31 bytes, expected 32"
        );
        let long = s.verify(TS, &"A".repeat(10_000)).unwrap_err();
        assert!(matches!(
            long,
            VerifyError::Malformed(MalformedSignature::WrongLength { len: 7_500 })
        ));
        let hex = "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881";
        assert!(s.verify(TS, hex).unwrap_err().is_malformed());
        assert!(s.verify(TS, "").unwrap_err().is_malformed());
        let mismatch = s.verify("2024-01-01T00:00:00.001Z", SIG).unwrap_err();
        assert!(mismatch.is_mismatch());
        assert!(!mismatch.is_malformed());
        assert_eq!(
            mismatch.to_string(),
            "field `signature` does not match the timestamp, partner id and API key"
        );
    }

    #[test]
    fn verify_object_requires_string_members() {
        let s = signer();
        let obj = |v: serde_json::Value| v.as_object().cloned().unwrap();
        s.verify_object(&obj(serde_json::json!({"timestamp": TS, "signature": SIG})))
            .unwrap();
        let err = s
            .verify_object(&obj(serde_json::json!({"timestamp": TS})))
            .unwrap_err();
        assert!(matches!(
            err,
            VerifyError::MissingField { field: "signature" }
        ));
        let err = s
            .verify_object(&obj(
                serde_json::json!({"timestamp": 1_704_067_200_000_u64, "signature": SIG}),
            ))
            .unwrap_err();
        assert!(matches!(
            err,
            VerifyError::NotAString {
                field: "timestamp",
                found: "a number"
            }
        ));
        assert_eq!(
            err.to_string(),
            "field `timestamp` must be a JSON string, found a number"
        );
        let err = s
            .verify_object(&obj(
                serde_json::json!({"timestamp": TS, "signature": null}),
            ))
            .unwrap_err();
        assert!(matches!(
            err,
            VerifyError::NotAString {
                field: "signature",
                found: "null"
            }
        ));
    }

    #[test]
    fn debug_redacts_the_key() {
        let dbg = format!("{:?}", signer());
        assert!(dbg.starts_with("Signer { partner_id: "), "{dbg}");
        assert!(dbg.contains("\"085\""), "{dbg}");
        assert!(dbg.ends_with("api_key: [REDACTED] }"), "{dbg}");
        assert!(!dbg.contains("sdk-interop-test-key-0001"));
    }
}

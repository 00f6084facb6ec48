//! Timestamps with more than nine fraction digits
//! (docs/protocol.md §9.2 "any fraction length") parse, truncated, and verification still signs the
//! text as received.

use std::time::Duration;

use smile_sign::{CallbackVerifier, Signer, parse_timestamp};
use smile_types::PartnerId;

#[test]
fn long_fractions_are_truncated_not_rejected() {
    let base = smile_testdata::t0();
    for (text, nanos) in [
        ("2024-01-01T00:00:00.1234567890Z", 123_456_789),
        ("2024-01-01T00:00:00.999999999999Z", 999_999_999),
        ("2024-01-01T01:00:00.0000000001234567890123456789+01:00", 0),
    ] {
        assert_eq!(
            parse_timestamp(text).unwrap(),
            base + Duration::from_nanos(nanos),
            "{text}"
        );
    }
}

#[test]
fn callback_with_a_long_fraction_verifies_over_the_raw_text() {
    let signer = Signer::new(PartnerId::new("085"), "sdk-interop-test-key-0001");
    let timestamp = "2024-01-01T00:00:00.123456789012Z";
    let signature = signer.sign(timestamp);
    let body = format!(
        r#"{{"ResultCode":"0820","SmileJobID":"0000000001","timestamp":"{timestamp}","signature":"{signature}"}}"#
    );
    let now = smile_testdata::t0() + Duration::from_secs(60);
    let verified = CallbackVerifier::new(signer.clone())
        .verify(body.as_bytes(), now)
        .unwrap();
    assert_eq!(verified.callback.timestamp.as_deref(), Some(timestamp));
    assert_eq!(
        verified.issued_at,
        smile_testdata::t0() + Duration::from_nanos(123_456_789)
    );
    // The signature covers the exact text: the truncated form does not verify.
    assert!(
        signer
            .verify("2024-01-01T00:00:00.123456789Z", &signature)
            .is_err()
    );
}

//! Property tests: sign/verify round trips, bit flips, timestamp format and parser robustness.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use proptest::prelude::*;
use smile_sign::{CallbackVerifier, Signer, format_timestamp, parse_timestamp};
use smile_types::PartnerId;

/// Instants from 1900 to 2200 with nanosecond precision.
fn instant() -> impl Strategy<Value = SystemTime> {
    (-2_208_988_800_i64..7_258_118_400_i64, 0_u32..1_000_000_000).prop_map(|(secs, nanos)| {
        if secs >= 0 {
            UNIX_EPOCH + Duration::new(secs.unsigned_abs(), nanos)
        } else {
            UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs())
                + Duration::from_nanos(u64::from(nanos))
        }
    })
}

proptest! {
    #[test]
    fn sign_then_verify_round_trips(
        key in any::<String>(),
        partner in any::<String>(),
        timestamp in any::<String>(),
    ) {
        let signer = Signer::new(PartnerId::new(partner), key);
        let sig = signer.sign(&timestamp);
        prop_assert_eq!(sig.len(), 44);
        prop_assert!(sig.ends_with('='));
        prop_assert!(signer.verify(&timestamp, &sig).is_ok());
    }

    #[test]
    fn sign_at_round_trips(key in "[ -~]{0,64}", partner in "[0-9]{1,6}", at in instant()) {
        let signer = Signer::new(PartnerId::new(partner), key);
        let signed = signer.sign_at(at);
        prop_assert!(signer.verify(&signed.timestamp, &signed.signature).is_ok());
        prop_assert_eq!(signed.signature, signer.sign(&signed.timestamp));
    }

    #[test]
    fn any_single_bit_flip_fails(
        key in any::<String>(),
        timestamp in any::<String>(),
        bit in 0_usize..256,
    ) {
        let signer = Signer::new(PartnerId::new("085"), key);
        let mut tag = STANDARD.decode(signer.sign(&timestamp)).unwrap();
        tag[bit / 8] ^= 1 << (bit % 8);
        let err = signer.verify(&timestamp, &STANDARD.encode(&tag)).unwrap_err();
        prop_assert!(err.is_mismatch(), "{:?}", err);
    }

    #[test]
    fn other_partner_or_key_fails(key in any::<String>(), other in any::<String>(), ts in any::<String>()) {
        prop_assume!(key != other);
        let a = Signer::new(PartnerId::new("085"), key.clone());
        let b = Signer::new(PartnerId::new("085"), other.clone());
        prop_assert!(b.verify(&ts, &a.sign(&ts)).unwrap_err().is_mismatch());
        let c = Signer::new(PartnerId::new(other), key);
        prop_assert!(c.verify(&ts, &a.sign(&ts)).is_err());
    }

    #[test]
    fn verify_never_panics_on_arbitrary_signatures(sig in any::<String>(), ts in any::<String>()) {
        let signer = Signer::new(PartnerId::new("085"), "k");
        let _ = signer.verify(&ts, &sig);
    }

    #[test]
    fn format_is_canonical_truncated_and_parses_back(at in instant()) {
        let text = format_timestamp(at);
        prop_assert_eq!(text.len(), 24);
        prop_assert!(text.ends_with('Z'));
        prop_assert_eq!(&text[19..20], ".");
        let parsed = parse_timestamp(&text).unwrap();
        // Truncated: never later than `at`, less than 1 ms earlier.
        prop_assert!(parsed <= at);
        prop_assert!(at.duration_since(parsed).unwrap() < Duration::from_millis(1));
        prop_assert_eq!(format_timestamp(parsed), text);
    }

    #[test]
    fn parse_agrees_across_fraction_lengths_and_offsets(
        at in instant(),
        digits in 0_usize..=9,
        offset_minutes in -(23 * 60 + 59)..=(23 * 60 + 59_i32),
    ) {
        // The same instant (truncated to `digits` fraction digits) written as local time at a
        // numeric offset must parse to the canonical instant minus the dropped digits.
        let canonical = format_timestamp(at);
        let base = parse_timestamp(&canonical).unwrap();
        let shift = Duration::from_secs(u64::from(offset_minutes.unsigned_abs()) * 60);
        let local = if offset_minutes >= 0 { base + shift } else { base - shift };
        let local_text = format_timestamp(local);
        let millis = &canonical[20..23];
        let fraction = format!("{millis}000000")[..digits].to_owned();
        let sign = if offset_minutes < 0 { '-' } else { '+' };
        let m = offset_minutes.unsigned_abs();
        let text = format!(
            "{}{}{fraction}{sign}{:02}:{:02}",
            &local_text[..19],
            if digits > 0 { "." } else { "" },
            m / 60,
            m % 60,
        );
        let dropped = u64::from(millis.parse::<u32>().unwrap()) * 1_000_000
            - u64::from(fraction_to_nanos(&fraction));
        let parsed = parse_timestamp(&text).unwrap();
        prop_assert_eq!(parsed + Duration::from_nanos(dropped), base, "{}", text);
    }

    #[test]
    fn parse_never_panics(text in any::<String>()) {
        let _ = parse_timestamp(&text);
    }

    #[test]
    fn parse_never_panics_on_near_misses(text in "[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{0,12})?([Zz]|[+-][0-9]{2}:[0-9]{2})?") {
        let _ = parse_timestamp(&text);
    }

    #[test]
    fn callback_verifier_never_panics(body in proptest::collection::vec(any::<u8>(), 0..512)) {
        let verifier = CallbackVerifier::new(Signer::new(PartnerId::new("085"), "k"));
        let _ = verifier.verify(&body, UNIX_EPOCH);
    }

    #[test]
    fn callback_verifier_never_panics_on_json_objects(
        ts in prop_oneof![any::<String>(), "20[0-9]{2}-0[1-9]-1[0-9]T1[0-9]:[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,9})?Z"],
        sid in prop_oneof![Just(serde_json::Value::Null), any::<i64>().prop_map(serde_json::Value::from), any::<String>().prop_map(serde_json::Value::from), Just(serde_json::json!({}))],
        jid in prop_oneof![Just(serde_json::Value::Null), any::<u32>().prop_map(serde_json::Value::from), any::<String>().prop_map(serde_json::Value::from), Just(serde_json::json!([]))],
        sign in any::<bool>(),
    ) {
        let signer = Signer::new(PartnerId::new("085"), "k");
        let signature = if sign { signer.sign(&ts) } else { "x".to_owned() };
        let body = serde_json::json!({
            "SmileJobID": sid, "PartnerParams": {"job_id": jid}, "ResultCode": "0820",
            "timestamp": ts, "signature": signature,
        });
        let verifier = CallbackVerifier::new(signer).tolerance(None);
        let _ = verifier.verify(&serde_json::to_vec(&body).unwrap(), UNIX_EPOCH);
    }
}

fn fraction_to_nanos(fraction: &str) -> u32 {
    if fraction.is_empty() {
        return 0;
    }
    let padded = format!("{fraction:0<9}");
    padded.parse().unwrap()
}

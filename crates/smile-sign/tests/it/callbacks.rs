//! Every body of testdata/interop/callbacks.json through the callback verifier, with an injected clock.

use std::time::{Duration, SystemTime};

use smile_sign::{
    CallbackError, CallbackVerifier, Clock, FixedClock, Signer, Skew, VerifiedCallback,
    VerifyError, parse_timestamp, supersedes,
};
use smile_types::{PartnerId, ResultCategory};

use crate::{interop, s, signer_for};

struct Case {
    name: String,
    body_text: String,
    expect: serde_json::Value,
    timestamp: String,
}

fn file() -> (Signer, Vec<Case>) {
    let file = interop("callbacks.json");
    let signing = &file["signing"];
    let signer = signer_for(signing);
    let cases: Vec<Case> = file["callbacks"]
        .as_array()
        .expect("callbacks array")
        .iter()
        .map(|c| Case {
            name: s(c, "name").to_owned(),
            body_text: s(c, "body_text").to_owned(),
            expect: c["expect"].clone(),
            timestamp: s(&c["body"], "timestamp").to_owned(),
        })
        .collect();
    assert!(cases.len() >= 7, "{} callbacks", cases.len());
    (signer, cases)
}

/// A bad signature: the signature does not match the body's timestamp.
fn is_mismatch(err: &CallbackError) -> bool {
    matches!(
        err,
        CallbackError::BadSignature {
            source: VerifyError::Mismatch
        }
    )
}

fn issued(case: &Case) -> SystemTime {
    parse_timestamp(&case.timestamp).expect("body timestamp parses")
}

#[test]
fn every_callback_with_a_fresh_clock() {
    let (signer, cases) = file();
    let verifier = CallbackVerifier::new(signer);
    let clock = FixedClock::default();
    let (mut accepted, mut rejected) = (0, 0);
    for case in &cases {
        clock.set(issued(case) + Duration::from_secs(30));
        let result = verifier.verify(case.body_text.as_bytes(), clock.now());
        if case.expect["signature_valid"] == true {
            let ok = result.unwrap_or_else(|e| panic!("{}: {e:?}", case.name));
            let key = case.expect["dedupe_key"].as_array().expect("dedupe_key");
            let smile_job_id = ok.dedupe_key.smile_job_id.as_ref().map(|id| id.as_str());
            let job_id = ok.dedupe_key.job_id.as_ref().map(|id| id.as_str());
            assert_eq!(smile_job_id, key[0].as_str(), "{}", case.name);
            assert_eq!(job_id, key[1].as_str(), "{}", case.name);
            assert_eq!(ok.issued_at, issued(case), "{}", case.name);
            // The typed callback and its interpretation match the file's expectations.
            let cb = &ok.callback;
            assert_eq!(cb.timestamp.as_deref(), Some(case.timestamp.as_str()));
            assert_eq!(
                cb.result_code.as_ref().map(|c| c.as_str()),
                case.expect["result_code"].as_str(),
                "{}",
                case.name
            );
            let meaning = cb.interpret(None);
            assert_eq!(
                Some(meaning.category),
                ResultCategory::from_name(s(&case.expect, "category")),
                "{}",
                case.name
            );
            assert_eq!(
                Some(meaning.is_final),
                case.expect["final"].as_bool(),
                "{}",
                case.name
            );
            assert_eq!(
                cb.job_type().map(|t| u64::from(t.code())),
                case.expect["job_type"].as_u64(),
                "{}",
                case.name
            );
            let state = ok.state().expect("has a ResultCode");
            assert_eq!(state.is_final, meaning.is_final);
            assert_eq!(state.issued_at, ok.issued_at);
            accepted += 1;
        } else {
            assert_eq!(case.expect["signature_valid"], false, "{}", case.name);
            let err = result.expect_err(&case.name);
            assert!(is_mismatch(&err), "{}: {err:?}", case.name);
            rejected += 1;
        }
    }
    assert!(accepted >= 6 && rejected >= 1, "{accepted} / {rejected}");
}

#[test]
fn every_valid_callback_is_stale_an_hour_later_and_a_bad_one_is_still_a_bad_signature() {
    let (signer, cases) = file();
    let verifier = CallbackVerifier::new(signer);
    for case in &cases {
        let now = issued(case) + Duration::from_secs(3600);
        let err = verifier
            .verify(case.body_text.as_bytes(), now)
            .expect_err(&case.name);
        if case.expect["signature_valid"] == true {
            assert!(
                matches!(
                    err,
                    CallbackError::Stale { skew: Skew::Past(age), tolerance }
                        if age == Duration::from_secs(3600) && tolerance == Duration::from_secs(900)
                ),
                "{}: {err:?}",
                case.name
            );
        } else {
            assert!(
                matches!(err, CallbackError::BadSignature { .. }),
                "{}: {err:?}",
                case.name
            );
        }
    }
}

#[test]
fn future_skew_and_configurable_window() {
    let (signer, cases) = file();
    let case = cases
        .iter()
        .find(|c| c.expect["signature_valid"] == true)
        .expect("a valid callback");
    let body = case.body_text.as_bytes();
    let verifier = CallbackVerifier::new(signer);
    // 20 minutes before the callback was signed: too far in the future.
    let now = issued(case) - Duration::from_secs(20 * 60);
    let err = verifier.verify(body, now).unwrap_err();
    assert!(
        matches!(err, CallbackError::Stale { skew: Skew::Future(d), .. } if d == Duration::from_secs(1200)),
        "{err:?}"
    );
    // A wider window accepts it; disabling the window accepts anything.
    let wide = verifier.clone().tolerance(Some(Duration::from_secs(3600)));
    wide.verify(body, now).unwrap();
    let off = verifier.tolerance(None);
    off.verify(body, issued(case) + Duration::from_secs(10 * 365 * 86_400))
        .unwrap();
}

#[test]
fn oversize_and_non_json_bodies() {
    let (signer, cases) = file();
    let verifier = CallbackVerifier::new(signer);
    let case = &cases[0];
    let now = issued(case);
    // A real callback padded with whitespace past 2 MiB is rejected before parsing.
    let mut big = case.body_text.clone().into_bytes();
    big.resize(2 * 1024 * 1024 + 1, b' ');
    assert!(matches!(
        verifier.verify(&big, now),
        Err(CallbackError::TooLarge {
            size: 2_097_153,
            limit: 2_097_152
        })
    ));
    // Exactly at the limit it is still accepted (1.5 MB bodies must pass).
    big.truncate(2 * 1024 * 1024);
    verifier.verify(&big, now).unwrap();
    for junk in [
        &b"<html>502</html>"[..],
        b"",
        b"{",
        b"\xff\xfe",
        b"null garbage",
    ] {
        assert!(
            matches!(
                verifier.verify(junk, now),
                Err(CallbackError::NotJson { .. })
            ),
            "{junk:?}"
        );
    }
    for (json, found) in [
        ("[]", "an array"),
        ("\"x\"", "a string"),
        ("42", "a number"),
        ("null", "null"),
    ] {
        let err = verifier.verify(json.as_bytes(), now).unwrap_err();
        assert!(
            matches!(err, CallbackError::NotObject { found: f } if f == found),
            "{json}: {err:?}"
        );
    }
}

#[test]
fn body_edits_do_not_break_the_signature_but_timestamp_edits_do() {
    // Documents the security note of docs/protocol.md §9.2: the signature does not cover the body.
    let (signer, cases) = file();
    let verifier = CallbackVerifier::new(signer);
    let case = cases
        .iter()
        .find(|c| c.expect["signature_valid"] == true)
        .expect("a valid callback");
    let now = issued(case);
    let mut body: serde_json::Value = serde_json::from_str(&case.body_text).unwrap();
    body["ResultCode"] = "0821".into();
    verifier
        .verify(&serde_json::to_vec(&body).unwrap(), now)
        .unwrap();
    // Re-writing the same instant in another format breaks the signature.
    let same_instant = case.timestamp.replace('Z', "+00:00");
    assert_ne!(same_instant, case.timestamp);
    body["timestamp"] = same_instant.into();
    let err = verifier
        .verify(&serde_json::to_vec(&body).unwrap(), now)
        .unwrap_err();
    assert!(is_mismatch(&err), "{err:?}");
}

#[test]
fn wrong_key_or_partner_is_a_bad_signature() {
    let (_, cases) = file();
    let case = &cases[0];
    for signer in [
        Signer::new(PartnerId::new("085"), "sdk-interop-test-key-0002"),
        Signer::new(PartnerId::new("85"), "sdk-interop-test-key-0001"),
    ] {
        let err = CallbackVerifier::new(signer)
            .verify(case.body_text.as_bytes(), issued(case))
            .unwrap_err();
        assert!(is_mismatch(&err), "{err:?}");
    }
}

#[test]
fn final_supersedes_provisional_and_not_the_reverse() {
    let (signer, cases) = file();
    let verifier = CallbackVerifier::new(signer);
    let verify = |case: &Case| -> VerifiedCallback {
        verifier
            .verify(
                case.body_text.as_bytes(),
                issued(case) + Duration::from_secs(30),
            )
            .unwrap_or_else(|e| panic!("{}: {e:?}", case.name))
    };
    let mut pairs = 0;
    for later in cases.iter().filter(|c| c.expect["supersedes"].is_string()) {
        let earlier_name = s(&later.expect, "supersedes");
        let earlier = cases
            .iter()
            .find(|c| c.name == earlier_name)
            .expect("superseded callback is in the file");
        let (a, b) = (verify(earlier), verify(later));
        assert_eq!(a.dedupe_key, b.dedupe_key, "same job");
        let (sa, sb) = (a.state().unwrap(), b.state().unwrap());
        assert!(!sa.is_final && sb.is_final);
        assert!(supersedes(&sa, &sb), "{} -> {}", earlier.name, later.name);
        assert!(!supersedes(&sb, &sa), "late provisional must be ignored");
        assert!(
            !supersedes(&sb, &sb.clone()),
            "exact repeat must be ignored"
        );
        pairs += 1;
    }
    assert_eq!(pairs, 1);
}

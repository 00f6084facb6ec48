//! Every vector of testdata/interop/signatures.json, and the canonical request signature.

use smile_sign::{MalformedSignature, Signer, VerifyError};
use smile_types::PartnerId;

use crate::{interop, s, signer_for};

fn vectors() -> Vec<serde_json::Value> {
    let file = interop("signatures.json");
    let vectors = file["vectors"].as_array().expect("vectors array").clone();
    assert!(vectors.len() >= 30, "only {} vectors", vectors.len());
    vectors
}

#[test]
fn valid_vectors_sign_and_verify() {
    let mut count = 0;
    for v in vectors().iter().filter(|v| v["valid"] == true) {
        let signer = signer_for(v);
        let (ts, sig) = (s(v, "timestamp"), s(v, "signature"));
        assert_eq!(signer.sign(ts), sig, "sign: {v}");
        signer
            .verify(ts, sig)
            .unwrap_or_else(|e| panic!("verify rejected a valid vector ({e:?}): {v}"));
        count += 1;
    }
    assert!(count >= 20, "{count} valid vectors");
}

/// A strict decoder's view of a signature text: does it decode to 32 bytes?
fn is_well_formed(sig: &str) -> bool {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(sig)
        .is_ok_and(|b| b.len() == 32)
}

#[test]
fn invalid_vectors_are_rejected_with_the_right_kind() {
    let mut malformed = 0;
    let mut mismatched = 0;
    for v in vectors().iter().filter(|v| v["valid"] == false) {
        let signer = signer_for(v);
        let (ts, sig) = (s(v, "timestamp"), s(v, "signature"));
        let err = signer
            .verify(ts, sig)
            .expect_err(&format!("verify accepted an invalid vector: {v}"));
        if is_well_formed(sig) {
            assert!(err.is_mismatch(), "expected Mismatch, got {err:?}: {v}");
            mismatched += 1;
        } else {
            assert!(err.is_malformed(), "expected Malformed, got {err:?}: {v}");
            malformed += 1;
        }
    }
    // unpadded, URL-safe, 2 whitespace, truncated, empty, garbage, hex, non-canonical bits
    assert!(malformed >= 9, "{malformed} malformed vectors");
    // tampered, 2 wrong partner ids, wrong key, 2 changed timestamps
    assert!(mismatched >= 6, "{mismatched} mismatch vectors");
}

#[test]
fn malformed_reasons_per_vector_note() {
    for v in vectors().iter().filter(|v| v["valid"] == false) {
        let note = v["note"].as_str().unwrap_or_default();
        let err = signer_for(v)
            .verify(s(v, "timestamp"), s(v, "signature"))
            .unwrap_err();
        if note.starts_with("Truncated") {
            assert!(
                matches!(
                    err,
                    VerifyError::Malformed(MalformedSignature::WrongLength { len: 31 })
                ),
                "{err:?}"
            );
        } else if note.starts_with("Non-canonical")
            || note.starts_with("Unpadded")
            || note.starts_with("URL-safe")
            || note.contains("whitespace")
            || note.contains("newline")
        {
            assert!(
                matches!(
                    err,
                    VerifyError::Malformed(MalformedSignature::NotBase64 { .. })
                ),
                "{note}: {err:?}"
            );
        }
    }
}

#[test]
fn canonical_job2_signature_matches_the_vector_file() {
    let canonical = interop("canonical_job2.json");
    let inputs = &canonical["inputs"];
    let partner_id = inputs["partner_id"].as_str().expect("inputs.partner_id");
    let api_key = inputs["api_key"].as_str().expect("inputs.api_key");
    let timestamp = inputs["timestamp"].as_str().expect("inputs.timestamp");
    assert_eq!(
        (partner_id, api_key, timestamp),
        (
            "085",
            "sdk-interop-test-key-0001",
            "2024-01-01T00:00:00.000Z"
        )
    );
    // The expected value is the one signatures.json gives for these inputs.
    let expected = vectors()
        .into_iter()
        .find(|v| {
            v["valid"] == true
                && v["partner_id"] == partner_id
                && v["api_key"] == api_key
                && v["timestamp"] == timestamp
        })
        .expect("signatures.json has the canonical vector");
    let signer = Signer::new(PartnerId::new(partner_id), api_key);
    let sig = signer.sign(timestamp);
    assert_eq!(sig, s(&expected, "signature"));
    assert_eq!(sig, "fPrLyD/xE8xIhfqurdEPHUPf3LN+5HSBoqYgPuTi3RI=");
    // And sign_at of the same instant produces the same text and signature.
    let at = smile_sign::parse_timestamp(timestamp).unwrap();
    let signed = signer.sign_at(at);
    assert_eq!(signed.timestamp, timestamp);
    assert_eq!(signed.signature, sig);
}

#[test]
fn canonical_request_bodies_carry_valid_signatures() {
    let canonical = interop("canonical_job2.json");
    let inputs = &canonical["inputs"];
    let signer = signer_for(inputs);
    for part in ["prep_upload", "first_job_status"] {
        let body: serde_json::Value =
            serde_json::from_str(s(&canonical[part], "body_text")).expect("body_text is JSON");
        let body = body.as_object().expect("object");
        signer
            .verify_object(body)
            .unwrap_or_else(|e| panic!("{part}: {e:?}"));
        // sign() reproduces the body's signature from its timestamp.
        let ts = body["timestamp"].as_str().expect("timestamp");
        assert_eq!(Some(signer.sign(ts).as_str()), body["signature"].as_str());
    }
}

#[test]
fn job_status_response_signatures() {
    let file = interop("job_status_responses.json");
    let signing = &file["signing"];
    let signer = signer_for(signing);
    let mut checked = 0;
    for sample in file["samples"].as_array().expect("samples") {
        let name = s(sample, "name");
        let Ok(serde_json::Value::Object(body)) =
            serde_json::from_str::<serde_json::Value>(s(sample, "body_text"))
        else {
            continue; // HTML / XML bodies carry no signature
        };
        let result = signer.verify_object(&body);
        match sample["expect"]["signature_valid"].as_bool() {
            Some(true) => result.unwrap_or_else(|e| panic!("{name}: {e:?}")),
            Some(false) => assert!(result.unwrap_err().is_mismatch(), "{name}"),
            None if name == "missing_signature" => assert!(
                matches!(
                    result,
                    Err(VerifyError::MissingField { field: "timestamp" })
                ),
                "{name}: {result:?}"
            ),
            None => assert!(
                matches!(result, Err(VerifyError::MissingField { .. })),
                "{name}: {result:?}"
            ),
        }
        checked += 1;
    }
    assert!(checked >= 12, "{checked}");
}

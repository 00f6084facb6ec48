//! The API key never appears in Debug or Display output.

use std::error::Error as _;

use smile_sign::{CallbackVerifier, Signer};
use smile_types::PartnerId;

const KEYS: &[&str] = &[
    "sdk-interop-test-key-0001",
    "test-api-key-0123456789abcdef",
    "clé-секрет-鍵-🔑",
    "REDACTED-looking-key",
    "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6",
    "key with spaces and \"quotes\"",
];

/// Every text a user might log: Debug of the signer and verifier, Display and Debug of each
/// error along its source chain.
fn outputs(key: &str) -> Vec<String> {
    let signer = Signer::new(PartnerId::new("085"), key);
    let verifier = CallbackVerifier::new(signer.clone());
    let now = smile_testdata::t0();
    let ts = "2024-01-01T00:00:00.000Z";
    let mut out = vec![
        format!("{signer:?}"),
        format!("{signer:#?}"),
        format!("{verifier:?}"),
        format!("{verifier:#?}"),
        format!("{:?}", signer.sign_at(now)),
    ];
    let mut errors: Vec<Box<dyn std::error::Error>> = vec![
        Box::new(signer.verify(ts, "AAAA").unwrap_err()),
        Box::new(signer.verify(ts, "!").unwrap_err()),
        Box::new(signer.verify(ts, &"A".repeat(43)).unwrap_err()),
        Box::new(
            signer
                .verify(ts, &format!("{}=", "A".repeat(43)))
                .unwrap_err(),
        ),
    ];
    let bodies = [
        format!(
            r#"{{"timestamp":"{ts}","signature":"{}"}}"#,
            "A".repeat(43) + "="
        ),
        format!(
            r#"{{"timestamp":"{ts}","signature":"{}"}}"#,
            signer.sign(ts)
        ),
        format!(
            r#"{{"timestamp":"2023-01-01T00:00:00.000Z","signature":"{}"}}"#,
            signer.sign("2023-01-01T00:00:00.000Z")
        ),
        format!(
            r#"{{"timestamp":"nope","signature":"{}"}}"#,
            signer.sign("nope")
        ),
        r#"{"signature":1}"#.to_owned(),
        "[]".to_owned(),
        "{".to_owned(),
    ];
    for body in &bodies {
        match verifier.verify(body.as_bytes(), now) {
            Ok(v) => out.push(format!("{v:?}")),
            Err(e) => errors.push(Box::new(e)),
        }
    }
    errors.push(Box::new(
        verifier
            .clone()
            .max_body_bytes(1)
            .verify(b"{}", now)
            .unwrap_err(),
    ));
    for e in &errors {
        let mut cur: Option<&dyn std::error::Error> = Some(e.as_ref());
        while let Some(err) = cur {
            out.push(format!("{err}"));
            out.push(format!("{err:?}"));
            cur = err.source();
        }
    }
    out
}

#[test]
fn the_key_never_appears_in_debug_or_display() {
    for key in KEYS {
        let outputs = outputs(key);
        assert!(outputs.len() > 20, "{}", outputs.len());
        for text in &outputs {
            assert!(!text.contains(key), "key {key:?} leaked in {text}");
            // Nor any long fragment of it (e.g. a prefix in a truncated message).
            let chars: Vec<char> = key.chars().collect();
            for window in chars.windows(12) {
                let fragment: String = window.iter().collect();
                assert!(
                    !text.contains(&fragment),
                    "fragment {fragment:?} leaked in {text}"
                );
            }
        }
        let signer_debug = format!("{:?}", Signer::new(PartnerId::new("085"), *key));
        assert!(
            signer_debug.contains("api_key: [REDACTED]"),
            "{signer_debug}"
        );
        assert!(signer_debug.contains("085"), "{signer_debug}");
    }
}

#[test]
fn source_chain_is_not_repeated_in_messages() {
    let signer = Signer::new(PartnerId::new("085"), "k");
    let err = signer.verify("t", "a-b_").unwrap_err();
    let top = err.to_string();
    let cause = err.source().expect("malformed has a source").to_string();
    assert!(!top.contains(&cause), "{top} / {cause}");
    assert_eq!(top, "field `signature` is malformed");
    assert_eq!(cause, "not strict standard base64 with padding");
}

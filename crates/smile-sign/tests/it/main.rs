//! Integration tests for smile-sign: interop vectors, redaction, properties.

mod callbacks;
mod props;
mod redaction;
mod review_fixes;
mod signatures;

use std::path::PathBuf;

/// Reads and parses a file from `../shared/interop/`.
pub(crate) fn interop(name: &str) -> serde_json::Value {
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "..",
        "..",
        "..",
        "shared",
        "interop",
        name,
    ]
    .iter()
    .collect();
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// The string member `key` of `v`.
pub(crate) fn s<'a>(v: &'a serde_json::Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("`{key}` is not a string in {v}"))
}

/// The signer for the `partner_id` and `api_key` members of `v`.
pub(crate) fn signer_for(v: &serde_json::Value) -> smile_sign::Signer {
    smile_sign::Signer::new(
        smile_types::PartnerId::new(s(v, "partner_id")),
        s(v, "api_key"),
    )
}

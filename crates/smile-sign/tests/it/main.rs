//! Integration tests for smile-sign: interop vectors, redaction, properties.

mod callbacks;
mod props;
mod redaction;
mod signatures;
mod timestamp_fractions;

pub(crate) use smile_testdata::interop;

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

//! Helpers to read the interop vectors.

use serde_json::Value;

/// Reads and parses `shared/interop/<name>`.
pub(crate) fn interop(name: &str) -> Value {
    let path = format!(
        "{}/../../../shared/interop/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {path}: {e}"))
}

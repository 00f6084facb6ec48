//! Lenient readers for the loosely typed values the server sends (PROTOCOL.md §7.3).

use serde_json::Value;

/// A boolean as the server may send it: a JSON bool, or the string `"true"`/`"false"` in any
/// letter case. Anything else (including `null`, numbers, `"yes"`) gives `None` ("unknown").
///
/// ```
/// use serde_json::json;
/// use smile_types::bool_from_json;
/// assert_eq!(bool_from_json(&json!("TRUE")), Some(true));
/// assert_eq!(bool_from_json(&json!(false)), Some(false));
/// assert_eq!(bool_from_json(&json!("1")), None);
/// ```
pub fn bool_from_json(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) => bool_from_str(s),
        _ => None,
    }
}

/// `"true"`/`"false"` in any letter case; anything else gives `None`.
pub(crate) fn bool_from_str(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

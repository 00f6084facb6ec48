//! Formats an error with its causes. Shared by the library and the `smile-emulator` binary
//! (which includes this file with `#[path]`, so the library needs no public helper for it).

/// `e` followed by each of its `source()`s, joined by `": "`.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

//! The project's test data, read from inside the repository: the interop vectors
//! (`testdata/interop/`, taken from the official Node and Python SDKs and from our spec) and the
//! fixture images (`testdata/fixtures/`), plus the few helpers that every test suite needs (the
//! vectors' partner and key, the canonical instant [`t0`], signed bodies).
//!
//! Dev-only (`publish = false`): the SDK crates list it under `[dev-dependencies]`. It depends on
//! nothing of ours, so any crate can use it without a cycle. `README.md` beside this crate says
//! where each file came from.
//!
//! ```
//! let vectors = smile_testdata::interop("signatures.json");
//! assert!(vectors["vectors"].as_array().is_some_and(|v| !v.is_empty()));
//! assert!(smile_testdata::fixture("selfie.jpg").starts_with(&[0xFF, 0xD8]));
//! assert_eq!(smile_testdata::T0_TEXT, "2024-01-01T00:00:00.000Z");
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

/// The partner id of the interop vectors (callbacks, job-status samples, canonical requests).
pub const PARTNER_ID: &str = "085";
/// The API key of the interop vectors (a test key, never a real credential).
pub const API_KEY: &str = "sdk-interop-test-key-0001";
/// [`t0`] as the SDK writes it in a request.
pub const T0_TEXT: &str = "2024-01-01T00:00:00.000Z";

/// `2024-01-01T00:00:00.000Z`, the timestamp of the canonical requests.
#[must_use]
pub fn t0() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_704_067_200)
}

/// The `testdata/` folder of the repository.
#[must_use]
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A path under `testdata/` (`interop/…`, `fixtures/…`).
#[must_use]
pub fn path(rel: &str) -> PathBuf {
    root().join(rel)
}

/// The text of `interop/<name>`.
///
/// # Panics
/// When the file is missing (a broken checkout).
#[must_use]
pub fn interop_text(name: &str) -> String {
    let p = path(&format!("interop/{name}"));
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display()))
}

/// `interop/<name>`, parsed (key order kept).
///
/// # Panics
/// When the file is missing or not JSON (a broken checkout).
#[must_use]
pub fn interop(name: &str) -> Value {
    serde_json::from_str(&interop_text(name))
        .unwrap_or_else(|e| panic!("parsing testdata/interop/{name}: {e}"))
}

/// The path of a fixture image: `fixtures/<name>` (`selfie.jpg`, `liveness_1.jpg`, …,
/// `id_card_front.jpg`, `bench/selfie_large.jpg`).
#[must_use]
pub fn fixture_path(name: &str) -> PathBuf {
    path(&format!("fixtures/{name}"))
}

/// The bytes of a fixture image.
///
/// # Panics
/// When the fixture is missing.
#[must_use]
pub fn fixture(name: &str) -> Vec<u8> {
    let p = fixture_path(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display()))
}

/// The folder of the benchmark-sized images (`fixtures/bench/`).
#[must_use]
pub fn bench_dir() -> PathBuf {
    path("fixtures/bench")
}

/// The names of the seed job's fixture files: `selfie.jpg`, then `liveness_1.jpg` to
/// `liveness_8.jpg` (also the zip entry names our SDK gives them).
#[must_use]
pub fn seed_names() -> Vec<String> {
    std::iter::once("selfie.jpg".to_owned())
        .chain((1..=8).map(|i| format!("liveness_{i}.jpg")))
        .collect()
}

/// The element of the array `list` of `interop/<file>` whose `name` member is `name`.
///
/// # Panics
/// When there is no such element.
#[must_use]
pub fn named(file: &str, list: &str, name: &str) -> Value {
    interop(file)[list]
        .as_array()
        .and_then(|a| a.iter().find(|s| s["name"] == name).cloned())
        .unwrap_or_else(|| panic!("no {list} entry named {name} in {file}"))
}

/// A sample of `interop/job_status_responses.json` by name.
///
/// # Panics
/// When there is no such sample.
#[must_use]
pub fn status_sample(name: &str) -> Value {
    named("job_status_responses.json", "samples", name)
}

/// A callback of `interop/callbacks.json` by name.
///
/// # Panics
/// When there is no such callback.
#[must_use]
pub fn callback_sample(name: &str) -> Value {
    named("callbacks.json", "callbacks", name)
}

/// A signed body as the server writes it: `timestamp` and `signature` first, then the members
/// of `fields` (any `timestamp`/`signature` of theirs dropped). The caller computes `signature`
/// (this crate does not depend on smile-sign).
#[must_use]
pub fn signed_body(fields: &Value, timestamp: &str, signature: &str) -> String {
    let mut m = Map::new();
    m.insert("timestamp".into(), timestamp.into());
    m.insert("signature".into(), signature.into());
    if let Value::Object(f) = fields {
        for (k, v) in f {
            if k != "timestamp" && k != "signature" {
                m.insert(k.clone(), v.clone());
            }
        }
    }
    Value::Object(m).to_string()
}

/// A child process that is killed and reaped when the guard is dropped, so a test that panics
/// half-way leaves no orphan behind (an emulator or `smile listen` still holding a port).
///
/// ```
/// let mut guard = smile_testdata::ChildGuard::new(
///     std::process::Command::new("sleep").arg("30").spawn().unwrap(),
/// );
/// let pid = guard.id();
/// drop(guard); // killed and waited for here, also when a test panics
/// assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
/// ```
#[derive(Debug)]
pub struct ChildGuard(Option<std::process::Child>);

impl ChildGuard {
    /// Guards `child`.
    #[must_use]
    pub fn new(child: std::process::Child) -> Self {
        Self(Some(child))
    }

    /// Waits for the child to end by itself and collects its output
    /// ([`std::process::Child::wait_with_output`]).
    ///
    /// # Errors
    /// As `wait_with_output`.
    pub fn wait_with_output(mut self) -> std::io::Result<std::process::Output> {
        self.0.take().expect("guarding a child").wait_with_output()
    }
}

impl std::ops::Deref for ChildGuard {
    type Target = std::process::Child;
    fn deref(&self) -> &Self::Target {
        self.0.as_ref().expect("guarding a child")
    }
}

impl std::ops::DerefMut for ChildGuard {
    fn deref_mut(&mut self) -> &mut Self::Target {
        self.0.as_mut().expect("guarding a child")
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        // Errors are ignored: a drop during a panic must not panic again.
        if let Some(child) = self.0.as_mut() {
            if matches!(child.try_wait(), Ok(None)) {
                let _ = child.kill();
            }
            let _ = child.wait();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_vector_file_parses_and_every_fixture_is_a_jpeg() {
        let mut n = 0;
        for entry in std::fs::read_dir(path("interop")).unwrap() {
            let p = entry.unwrap().path();
            if p.extension().is_some_and(|e| e == "json") {
                let name = p.file_name().unwrap().to_str().unwrap().to_owned();
                assert!(interop(&name).is_object(), "{name}");
                n += 1;
            }
        }
        assert_eq!(n, 13, "interop vector files (README.md aside)");
        for name in seed_names().iter().map(String::as_str).chain([
            "id_card_front.jpg",
            "id_card_back.jpg",
            "bench/selfie_large.jpg",
        ]) {
            assert!(fixture(name).starts_with(&[0xFF, 0xD8, 0xFF]), "{name}");
        }
    }

    #[test]
    fn signed_body_puts_timestamp_and_signature_first() {
        let body = signed_body(
            &serde_json::json!({"signature": "old", "job_complete": true, "timestamp": "x"}),
            T0_TEXT,
            "sig=",
        );
        assert_eq!(
            body,
            r#"{"timestamp":"2024-01-01T00:00:00.000Z","signature":"sig=","job_complete":true}"#
        );
    }

    #[test]
    fn named_finds_samples_and_t0_is_the_canonical_instant() {
        assert_eq!(
            callback_sample("approved_machine_0820")["name"],
            "approved_machine_0820"
        );
        assert_eq!(
            t0().duration_since(UNIX_EPOCH).unwrap().as_secs(),
            1_704_067_200
        );
    }
}

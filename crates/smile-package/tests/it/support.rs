//! Paths to the shared interop vectors and fixtures, and small helpers.

use sha2::{Digest, Sha256};
use std::io::Read;

pub(crate) use smile_testdata::{fixture_path as fixture, interop};

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One entry as the zip crate sees it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SeenEntry {
    pub(crate) name: String,
    pub(crate) method: u16,
    pub(crate) size: u64,
    pub(crate) crc32: u32,
    pub(crate) offset: u64,
    pub(crate) data: Vec<u8>,
}

/// Every entry of `zip`, read with the zip crate (which also checks each CRC).
pub(crate) fn unzip(zip: &[u8]) -> Vec<SeenEntry> {
    let mut a = zip::ZipArchive::new(std::io::Cursor::new(zip)).expect("zip crate opens it");
    assert!(!a.has_duplicate_names());
    (0..a.len())
        .map(|i| {
            let mut f = a.by_index(i).unwrap();
            let method = match f.compression() {
                zip::CompressionMethod::Stored => 0,
                zip::CompressionMethod::Deflated => 8,
                other => panic!("unexpected method {other:?}"),
            };
            assert_eq!(f.compressed_size(), f.size(), "STORE: sizes equal");
            let mut data = Vec::new();
            f.read_to_end(&mut data).unwrap();
            SeenEntry {
                name: f.name().unwrap().into_owned(),
                method,
                size: f.size(),
                crc32: f.crc32(),
                offset: f.header_start(),
                data,
            }
        })
        .collect()
}

/// Runs `unzip -t` on the archive. Returns `None` (and says so) when `unzip` is not installed
/// and we are not in CI; in CI (`CI` set) a missing `unzip` fails the test.
pub(crate) fn unzip_t(zip: &[u8]) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("upload.zip");
    std::fs::write(&path, zip).unwrap();
    match std::process::Command::new("unzip")
        .arg("-t")
        .arg(&path)
        .output()
    {
        Ok(out) => {
            let text = String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "unzip -t failed:\n{text}");
            assert!(text.contains("No errors detected"), "{text}");
            Some(text)
        }
        Err(e) if std::env::var_os("CI").is_none() => {
            eprintln!("skipping `unzip -t` (not runnable here: {e}); .ci/run installs it");
            None
        }
        Err(e) => panic!("`unzip` is required in CI: {e}"),
    }
}

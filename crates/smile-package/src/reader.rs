//! Reading an upload zip back (feature `reader`): what the emulator and tests use to accept
//! the zips our SDK and the official SDKs send (STORE or DEFLATE), with limits against
//! malicious archives.

use std::io::{Cursor, Read};

use serde_json::Value;
use zip::CompressionMethod;

use crate::naming::INFO_JSON;

/// How an entry was compressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EntryMethod {
    /// Method 0 (what this crate writes and the Node SDK sends).
    Stored,
    /// Method 8 (what the Python SDK sends).
    Deflated,
}

/// One entry of an upload zip other than `info.json`.
#[derive(Clone, PartialEq, Eq)]
pub struct ZipEntry {
    /// The entry name (checked: relative, no `..`, no directory, no backslash).
    pub name: String,
    /// The uncompressed content.
    pub data: Vec<u8>,
    /// How it was compressed.
    pub method: EntryMethod,
}

impl std::fmt::Debug for ZipEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZipEntry")
            .field("name", &self.name)
            .field("len", &self.data.len())
            .field("method", &self.method)
            .finish()
    }
}

/// An unpacked upload zip.
#[derive(Clone, Debug, PartialEq)]
pub struct UploadZip {
    /// `info.json`, parsed (key order kept).
    pub info: Value,
    /// `info.json` as it was in the zip.
    pub info_json: Vec<u8>,
    /// Whether `info.json` was the first entry ([protocol §5.6](smile_types::protocol#56-step-3-cont-the-zip) item 2).
    pub info_json_first: bool,
    /// The other entries, in archive order.
    pub entries: Vec<ZipEntry>,
}

impl UploadZip {
    /// The entry with this exact name.
    pub fn entry(&self, name: &str) -> Option<&ZipEntry> {
        self.entries.iter().find(|e| e.name == name)
    }
}

/// Limits applied by [`read_upload_zip`].
///
/// Declared sizes are checked before anything is inflated, and actual sizes while reading, so
/// an archive that lies in its headers cannot make the reader allocate past the limits. Memory
/// is reserved from what the input can really hold (a STORE entry at most its compressed
/// bytes, a DEFLATE entry at most 4 times them), never from a declared size alone.
///
/// ```
/// use smile_package::ReadLimits;
/// let limits = ReadLimits::default().max_total_bytes(64 << 20);
/// assert_eq!(limits.total_bytes(), 64 << 20);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ReadLimits {
    max_entries: usize,
    max_entry_bytes: u64,
    max_total_bytes: u64,
    allow_duplicate_names: bool,
}

impl Default for ReadLimits {
    /// 1024 entries, 160 MiB per entry (an `info.json` carrying base64 images at the 100 MiB
    /// job limit is about 134 MiB), 256 MiB in total, duplicate names refused.
    fn default() -> Self {
        ReadLimits {
            max_entries: 1024,
            max_entry_bytes: 160 << 20,
            max_total_bytes: 256 << 20,
            allow_duplicate_names: false,
        }
    }
}

impl ReadLimits {
    /// Sets the largest number of entries.
    #[must_use]
    pub fn max_entries(mut self, n: usize) -> Self {
        self.max_entries = n;
        self
    }

    /// Sets the largest uncompressed entry.
    #[must_use]
    pub fn max_entry_bytes(mut self, n: u64) -> Self {
        self.max_entry_bytes = n;
        self
    }

    /// Sets the largest uncompressed total.
    #[must_use]
    pub fn max_total_bytes(mut self, n: u64) -> Self {
        self.max_total_bytes = n;
        self
    }

    /// Accepts archives with duplicate entry names (the Python SDK writes one junk entry named
    /// `base64imgString` per base64 image). Only one entry per name can be read back.
    #[must_use]
    pub fn allow_duplicate_names(mut self, allow: bool) -> Self {
        self.allow_duplicate_names = allow;
        self
    }

    /// The entry-count limit.
    pub fn entries(&self) -> usize {
        self.max_entries
    }

    /// The per-entry limit.
    pub fn entry_bytes(&self) -> u64 {
        self.max_entry_bytes
    }

    /// The total limit.
    pub fn total_bytes(&self) -> u64 {
        self.max_total_bytes
    }
}

/// Why an upload zip was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// Not a readable zip archive.
    #[error("not a valid zip archive")]
    Zip(#[source] zip::result::ZipError),
    /// Too many entries.
    #[error("the zip has {count} entries, more than the limit of {limit}")]
    TooManyEntries {
        /// Entries in the archive.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// Two entries have the same name.
    #[error("the zip has duplicate entry names")]
    DuplicateNames,
    /// An entry name is not UTF-8, absolute, contains `..`, a backslash, a drive letter or a
    /// control character.
    #[error("zip entry name {name:?} is not a safe relative file name")]
    UnsafeName {
        /// The name (lossily decoded).
        name: String,
    },
    /// A directory entry (uploads hold files only).
    #[error("zip entry {name:?} is a directory")]
    Directory {
        /// The name.
        name: String,
    },
    /// An encrypted entry.
    #[error("zip entry {name:?} is encrypted")]
    Encrypted {
        /// The name.
        name: String,
    },
    /// A compression method other than STORE and DEFLATE.
    #[error("zip entry {name:?} uses the unsupported compression method {method}")]
    UnsupportedMethod {
        /// The name.
        name: String,
        /// The method, as the zip library names it.
        method: String,
    },
    /// An entry is larger than the per-entry limit.
    #[error("zip entry {name:?} is {size} bytes uncompressed, more than the limit of {limit}")]
    EntryTooLarge {
        /// The name.
        name: String,
        /// Its (declared or actual) size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The entries together are larger than the total limit.
    #[error("the zip entries add up to more than the limit of {limit} bytes uncompressed")]
    TotalTooLarge {
        /// The limit.
        limit: u64,
    },
    /// An entry could not be read (corrupt data, CRC mismatch).
    #[error("zip entry {name:?} could not be read")]
    Entry {
        /// The name.
        name: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// There is no `info.json` entry.
    #[error("the zip has no info.json entry")]
    MissingInfoJson,
    /// `info.json` is not JSON.
    #[error("info.json is not valid JSON")]
    InfoJson(#[source] serde_json::Error),
}

/// How many times its compressed size a DEFLATE entry may reserve up front. Images do not
/// compress (ratio about 1) and `info.json` with base64 text compresses about 1.3 times; 4 covers
/// honest uploads in one allocation. A larger real ratio still reads correctly (the buffer
/// grows as bytes arrive); it only cannot be reserved from the archive's word alone.
const DEFLATE_RESERVE_RATIO: u64 = 4;

/// The capacity to reserve for an entry: its declared uncompressed size, but never more than
/// the remaining budget (`budget`: the per-entry limit and what is left of the total limit),
/// nor more than its data could produce: a STORE entry holds at most its compressed bytes, a
/// DEFLATE entry reserves at most [`DEFLATE_RESERVE_RATIO`] times them, and the compressed size
/// itself (also a claim of the archive) counts for at most the input's length. So a forged
/// header cannot make the reader reserve memory out of proportion to the input.
fn initial_capacity(
    declared: u64,
    method: EntryMethod,
    compressed: u64,
    input_len: u64,
    budget: u64,
) -> u64 {
    let compressed = compressed.min(input_len);
    let producible = match method {
        EntryMethod::Stored => compressed,
        EntryMethod::Deflated => compressed.saturating_mul(DEFLATE_RESERVE_RATIO),
    };
    declared.min(budget).min(producible)
}

fn safe_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('/')
        && !name.contains('\\')
        && !name.contains(':')
        && !name.chars().any(char::is_control)
        && !name
            .split('/')
            .any(|part| part == ".." || part == "." || part.is_empty())
}

/// Unpacks an upload zip with the default [`ReadLimits`]: `info.json` (parsed) and every other
/// entry, in order. See [`read_upload_zip_with`].
///
/// ```
/// use smile_package::read_upload_zip;
/// let err = read_upload_zip(b"not a zip").unwrap_err();
/// assert_eq!(err.to_string(), "not a valid zip archive");
/// ```
pub fn read_upload_zip(bytes: &[u8]) -> Result<UploadZip, ReadError> {
    read_upload_zip_with(bytes, ReadLimits::default())
}

/// Unpacks an upload zip: `info.json` (parsed) and every other entry, in order.
///
/// Accepts STORE and DEFLATE entries. Refuses duplicate names (unless allowed), directories,
/// unsafe names (absolute, `..`, backslashes), encrypted entries, other methods, and anything
/// over the [`ReadLimits`].
pub fn read_upload_zip_with(bytes: &[u8], limits: ReadLimits) -> Result<UploadZip, ReadError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(ReadError::Zip)?;
    if archive.len() > limits.max_entries {
        return Err(ReadError::TooManyEntries {
            count: archive.len(),
            limit: limits.max_entries,
        });
    }
    if archive.has_duplicate_names() && !limits.allow_duplicate_names {
        return Err(ReadError::DuplicateNames);
    }
    let mut total = 0u64;
    let mut info_json: Option<(usize, Vec<u8>)> = None;
    let mut entries = Vec::with_capacity(archive.len());
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).map_err(ReadError::Zip)?;
        let name = match std::str::from_utf8(file.name_raw()) {
            Ok(n) if safe_name(n.trim_end_matches('/')) => n.to_owned(),
            _ => {
                return Err(ReadError::UnsafeName {
                    name: String::from_utf8_lossy(file.name_raw()).into_owned(),
                });
            }
        };
        if file.is_dir() || name.ends_with('/') {
            return Err(ReadError::Directory { name });
        }
        if file.encrypted() {
            return Err(ReadError::Encrypted { name });
        }
        let method = match file.compression() {
            CompressionMethod::Stored => EntryMethod::Stored,
            CompressionMethod::Deflated => EntryMethod::Deflated,
            other => {
                return Err(ReadError::UnsupportedMethod {
                    name,
                    method: format!("{other:?}"),
                });
            }
        };
        let declared = file.size();
        if declared > limits.max_entry_bytes {
            return Err(ReadError::EntryTooLarge {
                name,
                size: declared,
                limit: limits.max_entry_bytes,
            });
        }
        if total.saturating_add(declared) > limits.max_total_bytes {
            return Err(ReadError::TotalTooLarge {
                limit: limits.max_total_bytes,
            });
        }
        // The declared size is the archive's claim, not a fact: reserve no more than the
        // data could really inflate to (see `initial_capacity`); reading is capped below in case
        // it lies, and the buffer grows only as real bytes arrive.
        let reserve = initial_capacity(
            declared,
            method,
            file.compressed_size(),
            bytes.len() as u64,
            limits.max_entry_bytes.min(limits.max_total_bytes - total),
        );
        let mut data = Vec::with_capacity(usize::try_from(reserve).unwrap_or(0));
        let cap = limits
            .max_entry_bytes
            .min(limits.max_total_bytes - total)
            .saturating_add(1);
        (&mut file)
            .take(cap)
            .read_to_end(&mut data)
            .map_err(|source| ReadError::Entry {
                name: name.clone(),
                source,
            })?;
        let size = data.len() as u64;
        if size > limits.max_entry_bytes {
            return Err(ReadError::EntryTooLarge {
                name,
                size,
                limit: limits.max_entry_bytes,
            });
        }
        total += size;
        if total > limits.max_total_bytes {
            return Err(ReadError::TotalTooLarge {
                limit: limits.max_total_bytes,
            });
        }
        if name == INFO_JSON && info_json.is_none() {
            info_json = Some((i, data));
        } else {
            entries.push(ZipEntry { name, data, method });
        }
    }
    let (index, info_json) = info_json.ok_or(ReadError::MissingInfoJson)?;
    let info = serde_json::from_slice(&info_json).map_err(ReadError::InfoJson)?;
    Ok(UploadZip {
        info,
        info_json,
        info_json_first: index == 0,
        entries,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacity_is_bounded_by_the_input() {
        let huge = 150 << 20;
        let budget = 160 << 20;
        assert_eq!(
            initial_capacity(huge, EntryMethod::Stored, 4, 200, budget),
            4
        );
        assert_eq!(
            initial_capacity(huge, EntryMethod::Stored, huge, 200, budget),
            200
        );
        assert_eq!(
            initial_capacity(huge, EntryMethod::Deflated, 10, 200, budget),
            40
        );
        assert_eq!(
            initial_capacity(huge, EntryMethod::Stored, huge, huge, 7),
            7
        );
        assert_eq!(
            initial_capacity(3, EntryMethod::Deflated, 10, 200, budget),
            3
        );
    }

    #[test]
    fn names() {
        for ok in ["info.json", "selfie.jpg", "a/b.jpg", "base64imgString"] {
            assert!(safe_name(ok), "{ok}");
        }
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../b",
            "a\\b",
            "C:x",
            "a//b",
            "./a",
            "a\nb",
        ] {
            assert!(!safe_name(bad), "{bad}");
        }
    }
}

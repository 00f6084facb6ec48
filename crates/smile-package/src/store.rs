//! A minimal STORE-only zip writer with fixed header values ([protocol §5.6](smile_types::protocol#56-step-3-cont-the-zip) item 6).
//!
//! Every entry is stored (method 0) with DOS date `0x0021` (1980-01-01), time 0, version made
//! by `0x0014`, version needed 10, flags 0, no extra fields, attributes 0, no comments, no data
//! descriptors and no ZIP64. The caller states the exact final length up front, so the archive
//! is written into one allocation and every payload byte is copied exactly once.

use crate::BuildError;

const LOCAL_HEADER_LEN: u64 = 30;
const CENTRAL_HEADER_LEN: u64 = 46;
const EOCD_LEN: u64 = 22;
const VERSION_MADE_BY: u16 = 0x0014;
const VERSION_NEEDED: u16 = 10;
const DOS_TIME: u16 = 0x0000;
const DOS_DATE: u16 = 0x0021;
/// Largest entry count without ZIP64 (0xFFFF is the ZIP64 marker).
const MAX_ENTRIES: usize = 0xFFFE;
/// Archives must stay below 4 GiB (no ZIP64).
pub(crate) const MAX_ARCHIVE_LEN: u64 = (1 << 32) - 1;

/// The exact archive length for entries with these (name length, data length) pairs.
pub(crate) fn archive_len(
    entries: impl IntoIterator<Item = (usize, u64)>,
) -> Result<(u64, usize), BuildError> {
    let mut total = EOCD_LEN;
    let mut count = 0usize;
    for (name_len, data_len) in entries {
        count += 1;
        total = total
            .saturating_add(LOCAL_HEADER_LEN + CENTRAL_HEADER_LEN)
            .saturating_add(2 * name_len as u64)
            .saturating_add(data_len);
    }
    if count > MAX_ENTRIES {
        return Err(BuildError::TooManyEntries { count });
    }
    if total > MAX_ARCHIVE_LEN {
        return Err(BuildError::TooLarge { len: total });
    }
    Ok((total, count))
}

#[derive(Debug)]
struct Record<'a> {
    name: &'a str,
    crc: u32,
    size: u32,
    offset: u32,
}

/// Writes a STORE archive into a buffer of known final size.
#[derive(Debug)]
pub(crate) struct StoreWriter<'a> {
    buf: Vec<u8>,
    records: Vec<Record<'a>>,
}

fn u32_len(n: usize) -> Result<u32, BuildError> {
    u32::try_from(n).map_err(|_| BuildError::TooLarge { len: n as u64 })
}

impl<'a> StoreWriter<'a> {
    /// A writer whose buffer holds exactly `len` bytes and `entries` records.
    pub(crate) fn with_capacity(len: u64, entries: usize) -> Result<Self, BuildError> {
        let len = usize::try_from(len).map_err(|_| BuildError::TooLarge { len })?;
        Ok(StoreWriter {
            buf: Vec::with_capacity(len),
            records: Vec::with_capacity(entries),
        })
    }

    /// Adds an entry holding `data`.
    pub(crate) fn add(&mut self, name: &'a str, data: &[u8]) -> Result<(), BuildError> {
        self.add_with(name, |buf| {
            buf.extend_from_slice(data);
            Ok(())
        })
    }

    /// Adds an entry whose content `write` appends to the buffer (so content produced on the
    /// fly, like `info.json`, is written in place instead of being built and then copied).
    pub(crate) fn add_with(
        &mut self,
        name: &'a str,
        write: impl FnOnce(&mut Vec<u8>) -> Result<(), BuildError>,
    ) -> Result<(), BuildError> {
        let offset = u32_len(self.buf.len())?;
        let name_len = u16::try_from(name.len()).map_err(|_| BuildError::NameTooLong {
            name: name.to_owned(),
        })?;
        let b = &mut self.buf;
        put32(b, 0x0403_4b50);
        put16(b, VERSION_NEEDED);
        put16(b, 0); // flags
        put16(b, 0); // method: STORE
        put16(b, DOS_TIME);
        put16(b, DOS_DATE);
        let patch_at = b.len();
        put32(b, 0); // crc-32, patched below
        put32(b, 0); // compressed size, patched below
        put32(b, 0); // uncompressed size, patched below
        put16(b, name_len);
        put16(b, 0); // extra field length
        b.extend_from_slice(name.as_bytes());
        let start = b.len();
        write(b)?;
        let size = u32_len(b.len() - start)?;
        let crc = crc32fast::hash(&b[start..]);
        b[patch_at..patch_at + 4].copy_from_slice(&crc.to_le_bytes());
        b[patch_at + 4..patch_at + 8].copy_from_slice(&size.to_le_bytes());
        b[patch_at + 8..patch_at + 12].copy_from_slice(&size.to_le_bytes());
        self.records.push(Record {
            name,
            crc,
            size,
            offset,
        });
        Ok(())
    }

    /// Writes the central directory and the end record; returns the archive.
    pub(crate) fn finish(mut self) -> Result<Vec<u8>, BuildError> {
        let cd_start = u32_len(self.buf.len())?;
        let count = u16::try_from(self.records.len()).map_err(|_| BuildError::TooManyEntries {
            count: self.records.len(),
        })?;
        let b = &mut self.buf;
        for r in &self.records {
            put32(b, 0x0201_4b50);
            put16(b, VERSION_MADE_BY);
            put16(b, VERSION_NEEDED);
            put16(b, 0); // flags
            put16(b, 0); // method: STORE
            put16(b, DOS_TIME);
            put16(b, DOS_DATE);
            put32(b, r.crc);
            put32(b, r.size);
            put32(b, r.size);
            put16(b, r.name.len() as u16); // checked in add_with
            put16(b, 0); // extra field length
            put16(b, 0); // comment length
            put16(b, 0); // disk number start
            put16(b, 0); // internal attributes
            put32(b, 0); // external attributes
            put32(b, r.offset);
            b.extend_from_slice(r.name.as_bytes());
        }
        let cd_len = u32_len(b.len())? - cd_start;
        put32(b, 0x0605_4b50);
        put16(b, 0); // this disk
        put16(b, 0); // disk with the central directory
        put16(b, count);
        put16(b, count);
        put32(b, cd_len);
        put32(b, cd_start);
        put16(b, 0); // comment length
        if self.buf.len() as u64 > MAX_ARCHIVE_LEN {
            return Err(BuildError::TooLarge {
                len: self.buf.len() as u64,
            });
        }
        Ok(self.buf)
    }
}

fn put16(b: &mut Vec<u8>, v: u16) {
    b.extend_from_slice(&v.to_le_bytes());
}

fn put32(b: &mut Vec<u8>, v: u32) {
    b.extend_from_slice(&v.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn build(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let (len, n) = archive_len(entries.iter().map(|(k, v)| (k.len(), v.len() as u64))).unwrap();
        let mut w = StoreWriter::with_capacity(len, n).unwrap();
        for (name, data) in entries {
            w.add(name, data).unwrap();
        }
        let out = w.finish().unwrap();
        assert_eq!(out.len() as u64, len, "length planned exactly");
        out
    }

    #[test]
    fn empty_archive_is_just_the_end_record() {
        let z = build(&[]);
        assert_eq!(
            z,
            [
                0x50, 0x4b, 5, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
            ]
        );
    }

    #[test]
    fn readable_by_the_zip_crate() {
        let z = build(&[
            ("info.json", b"{}"),
            ("a.jpg", &[0xFF, 0xD8, 0xFF, 1, 2, 3]),
            ("empty", b""),
        ]);
        let mut a = zip::ZipArchive::new(std::io::Cursor::new(&z)).unwrap();
        assert_eq!(a.len(), 3);
        let mut names = Vec::new();
        for i in 0..a.len() {
            let mut f = a.by_index(i).unwrap();
            assert_eq!(f.compression(), zip::CompressionMethod::Stored);
            let mut data = Vec::new();
            f.read_to_end(&mut data).unwrap();
            names.push((f.name().unwrap().into_owned(), data));
        }
        assert_eq!(names[0], ("info.json".to_owned(), b"{}".to_vec()));
        assert_eq!(names[1].1, [0xFF, 0xD8, 0xFF, 1, 2, 3]);
        assert_eq!(names[2].1, b"");
    }

    #[test]
    fn limits() {
        assert!(matches!(
            archive_len([(5, 1u64 << 32)]),
            Err(BuildError::TooLarge { .. })
        ));
        assert!(matches!(
            archive_len([(5, MAX_ARCHIVE_LEN - 100)]),
            Err(BuildError::TooLarge { .. })
        ));
        assert!(archive_len([(5, MAX_ARCHIVE_LEN - 200)]).is_ok());
        assert!(matches!(
            archive_len(std::iter::repeat_n((1, 0u64), MAX_ENTRIES + 1)),
            Err(BuildError::TooManyEntries { .. })
        ));
        let long = "x".repeat(70_000);
        let mut w = StoreWriter::with_capacity(0, 1).unwrap();
        assert!(matches!(
            w.add(&long, b""),
            Err(BuildError::NameTooLong { .. })
        ));
    }
}

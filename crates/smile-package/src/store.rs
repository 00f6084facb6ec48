//! A minimal STORE-only zip writer with fixed header values ([protocol §5.6](smile_types::protocol#56-step-3-cont-the-zip) item 6).
//!
//! Every entry is stored (method 0) with DOS date `0x0021` (1980-01-01), time 0, version made
//! by `0x0014`, version needed 10, flags 0, no extra fields, attributes 0, no comments, no data
//! descriptors and no ZIP64. Each entry's CRC-32 and size are known before its content is
//! written (images carry theirs from loading, `info.json` is measured first), so the archive
//! is written front to back, either into one buffer of its exact size or as shared chunks that
//! point at the images instead of copying them.

use bytes::Bytes;

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

/// Where an archive (or `info.json`) is written: one contiguous buffer (`Vec<u8>`), shared
/// chunks ([`Chunks`]), or only measured ([`Measure`]). One writer serves all three, so the
/// bytes are the same whichever is used.
pub(crate) trait Sink {
    /// Appends bytes made on the fly (headers, JSON), copying them.
    fn put(&mut self, bytes: &[u8]);
    /// Appends shared content (an image, a base64 text) whose CRC-32 is `crc`.
    fn put_shared(&mut self, bytes: &Bytes, crc: u32);
    /// The number of bytes written so far.
    fn written(&self) -> u64;
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }

    fn put_shared(&mut self, bytes: &Bytes, _crc: u32) {
        self.extend_from_slice(bytes);
    }

    fn written(&self) -> u64 {
        self.len() as u64
    }
}

/// Shared content shorter than this is copied into the current chunk instead of becoming a
/// chunk of its own (a chunk costs a reference count and, on the wire, a write or an iovec).
const MIN_SHARED_CHUNK: usize = 4096;

/// The archive as chunks: what is made on the fly is gathered into chunks of its own, shared
/// content (of at least [`MIN_SHARED_CHUNK`] bytes) is a chunk that points at the caller's
/// bytes, not a copy of them.
/// No `Debug`: it holds image bytes.
#[derive(Default)]
pub(crate) struct Chunks {
    chunks: Vec<Bytes>,
    pending: Vec<u8>,
    written: u64,
}

impl Chunks {
    fn flush(&mut self) {
        if !self.pending.is_empty() {
            self.chunks
                .push(Bytes::from(std::mem::take(&mut self.pending)));
        }
    }

    /// The chunks, in order.
    pub(crate) fn finish(mut self) -> Vec<Bytes> {
        self.flush();
        self.chunks
    }
}

impl Sink for Chunks {
    fn put(&mut self, bytes: &[u8]) {
        self.pending.extend_from_slice(bytes);
        self.written += bytes.len() as u64;
    }

    fn put_shared(&mut self, bytes: &Bytes, _crc: u32) {
        if bytes.len() < MIN_SHARED_CHUNK {
            return self.put(bytes);
        }
        self.flush();
        self.chunks.push(bytes.clone());
        self.written += bytes.len() as u64;
    }

    fn written(&self) -> u64 {
        self.written
    }
}

/// Length and CRC-32 of what is written, without keeping it: shared parts are not read again,
/// their CRC-32 (computed when the image was loaded) is combined in.
#[derive(Debug, Default)]
pub(crate) struct Measure {
    hasher: crc32fast::Hasher,
    written: u64,
}

impl Measure {
    /// The CRC-32 and the length.
    pub(crate) fn finish(self) -> (u32, u64) {
        (self.hasher.finalize(), self.written)
    }
}

impl Sink for Measure {
    fn put(&mut self, bytes: &[u8]) {
        self.hasher.update(bytes);
        self.written += bytes.len() as u64;
    }

    fn put_shared(&mut self, bytes: &Bytes, crc: u32) {
        self.hasher
            .combine(&crc32fast::Hasher::new_with_initial_len(
                crc,
                bytes.len() as u64,
            ));
        self.written += bytes.len() as u64;
    }

    fn written(&self) -> u64 {
        self.written
    }
}

#[derive(Debug)]
struct Record<'a> {
    name: &'a str,
    crc: u32,
    size: u32,
    offset: u32,
}

/// Writes a STORE archive whose entries' CRC-32 and sizes are known before their content.
/// No `Debug`: its sink holds image bytes.
pub(crate) struct StoreWriter<'a, S> {
    out: S,
    records: Vec<Record<'a>>,
}

fn u32_len(n: u64) -> Result<u32, BuildError> {
    u32::try_from(n).map_err(|_| BuildError::TooLarge { len: n })
}

impl<'a, S: Sink> StoreWriter<'a, S> {
    /// A writer into `out` (empty) for `entries` entries.
    pub(crate) fn new(out: S, entries: usize) -> Self {
        StoreWriter {
            out,
            records: Vec::with_capacity(entries),
        }
    }

    /// Adds an entry of `size` bytes with this CRC-32, whose content `write` appends.
    ///
    /// # Panics
    /// When `write` does not append exactly `size` bytes: the header would lie.
    pub(crate) fn add_with(
        &mut self,
        name: &'a str,
        crc: u32,
        size: u64,
        write: impl FnOnce(&mut S),
    ) -> Result<(), BuildError> {
        let offset = u32_len(self.out.written())?;
        let size = u32_len(size)?;
        let name_len = u16::try_from(name.len()).map_err(|_| BuildError::NameTooLong {
            name: name.to_owned(),
        })?;
        let mut h = [0u8; LOCAL_HEADER_LEN as usize];
        let mut at = 0;
        for field in [
            &0x0403_4b50u32.to_le_bytes()[..],
            &VERSION_NEEDED.to_le_bytes(),
            &0u16.to_le_bytes(), // flags
            &0u16.to_le_bytes(), // method: STORE
            &DOS_TIME.to_le_bytes(),
            &DOS_DATE.to_le_bytes(),
            &crc.to_le_bytes(),
            &size.to_le_bytes(), // compressed size
            &size.to_le_bytes(), // uncompressed size
            &name_len.to_le_bytes(),
            &0u16.to_le_bytes(), // extra field length
        ] {
            h[at..at + field.len()].copy_from_slice(field);
            at += field.len();
        }
        self.out.put(&h);
        self.out.put(name.as_bytes());
        let start = self.out.written();
        write(&mut self.out);
        // The sizes come from the same writer that writes the content (measured first), so
        // they agree; a mismatch would be a bug that corrupts the archive: never send it.
        assert_eq!(
            self.out.written() - start,
            u64::from(size),
            "zip entry {name}"
        );
        self.records.push(Record {
            name,
            crc,
            size,
            offset,
        });
        Ok(())
    }

    /// Adds an entry holding shared `data` with this CRC-32.
    pub(crate) fn add_shared(
        &mut self,
        name: &'a str,
        data: &Bytes,
        crc: u32,
    ) -> Result<(), BuildError> {
        self.add_with(name, crc, data.len() as u64, |out| {
            out.put_shared(data, crc)
        })
    }

    /// Writes the central directory and the end record; returns the sink.
    pub(crate) fn finish(mut self) -> Result<S, BuildError> {
        let cd_start = u32_len(self.out.written())?;
        let count = u16::try_from(self.records.len()).map_err(|_| BuildError::TooManyEntries {
            count: self.records.len(),
        })?;
        let mut b = Vec::with_capacity(
            self.records
                .iter()
                .map(|r| CENTRAL_HEADER_LEN as usize + r.name.len())
                .sum::<usize>()
                + EOCD_LEN as usize,
        );
        for r in &self.records {
            put32(&mut b, 0x0201_4b50);
            put16(&mut b, VERSION_MADE_BY);
            put16(&mut b, VERSION_NEEDED);
            put16(&mut b, 0); // flags
            put16(&mut b, 0); // method: STORE
            put16(&mut b, DOS_TIME);
            put16(&mut b, DOS_DATE);
            put32(&mut b, r.crc);
            put32(&mut b, r.size);
            put32(&mut b, r.size);
            put16(&mut b, r.name.len() as u16); // checked in add_with
            put16(&mut b, 0); // extra field length
            put16(&mut b, 0); // comment length
            put16(&mut b, 0); // disk number start
            put16(&mut b, 0); // internal attributes
            put32(&mut b, 0); // external attributes
            put32(&mut b, r.offset);
            b.extend_from_slice(r.name.as_bytes());
        }
        let cd_len = u32_len(b.len() as u64)?;
        put32(&mut b, 0x0605_4b50);
        put16(&mut b, 0); // this disk
        put16(&mut b, 0); // disk with the central directory
        put16(&mut b, count);
        put16(&mut b, count);
        put32(&mut b, cd_len);
        put32(&mut b, cd_start);
        put16(&mut b, 0); // comment length
        self.out.put(&b);
        if self.out.written() > MAX_ARCHIVE_LEN {
            return Err(BuildError::TooLarge {
                len: self.out.written(),
            });
        }
        Ok(self.out)
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
        let shared: Vec<(&str, Bytes, u32)> = entries
            .iter()
            .map(|(k, v)| (*k, Bytes::copy_from_slice(v), crc32fast::hash(v)))
            .collect();
        let mut w = StoreWriter::new(Vec::new(), n);
        let mut c = StoreWriter::new(Chunks::default(), n);
        for (name, data, crc) in &shared {
            w.add_shared(name, data, *crc).unwrap();
            c.add_shared(name, data, *crc).unwrap();
        }
        let out = w.finish().unwrap();
        assert_eq!(out.len() as u64, len, "length planned exactly");
        let chunks = c.finish().unwrap().finish();
        assert_eq!(chunks.concat(), out, "chunks hold the same bytes");
        out
    }

    #[test]
    fn large_content_is_shared_small_content_copied() {
        let big = Bytes::from(vec![7u8; MIN_SHARED_CHUNK]);
        let small = Bytes::from(vec![8u8; MIN_SHARED_CHUNK - 1]);
        let mut c = StoreWriter::new(Chunks::default(), 2);
        c.add_shared("a", &big, crc32fast::hash(&big)).unwrap();
        c.add_shared("b", &small, crc32fast::hash(&small)).unwrap();
        let chunks = c.finish().unwrap().finish();
        // header a | big (shared) | header b + small + central directory
        assert_eq!(chunks.len(), 3);
        assert_eq!(
            chunks[1].as_ptr(),
            big.as_ptr(),
            "the big entry is not copied"
        );
        assert_eq!(chunks[0].len(), 30 + 1);
        assert_eq!(chunks[2].len(), 30 + 1 + small.len() + 2 * (46 + 1) + 22);
    }

    #[test]
    fn measured_crc_combines_shared_parts() {
        let a = Bytes::from(vec![1u8; 5000]);
        let mut m = Measure::default();
        m.put(b"head");
        m.put_shared(&a, crc32fast::hash(&a));
        m.put(b"tail");
        let whole = [&b"head"[..], &a, b"tail"].concat();
        assert_eq!(m.finish(), (crc32fast::hash(&whole), whole.len() as u64));
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
        let mut w = StoreWriter::new(Vec::new(), 1);
        assert!(matches!(
            w.add_shared(&long, &Bytes::new(), 0),
            Err(BuildError::NameTooLong { .. })
        ));
    }
}

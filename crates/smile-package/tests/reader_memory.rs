//! Memory of the zip reader (feature `reader`): an archive whose headers declare a huge
//! uncompressed size must not make the reader reserve that much. Measured with a counting
//! global allocator (peak_alloc), so this is its own test binary with a single test.
#![cfg(feature = "reader")]

use std::io::Write;

use peak_alloc::PeakAlloc;
use smile_package::read_upload_zip;
use zip::write::SimpleFileOptions;

#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc;

/// A zip of `info.json` and `selfie.jpg` (method `method`), whose selfie's uncompressed size is
/// rewritten to `declared` in the local header and the central directory.
fn lying_zip(method: zip::CompressionMethod, declared: u32) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(method);
    w.start_file("info.json", opts).unwrap();
    w.write_all(br#"{"images":[]}"#).unwrap();
    w.start_file("selfie.jpg", opts).unwrap();
    w.write_all(&[0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 4]).unwrap();
    let mut zip = w.finish().unwrap().into_inner();
    let patch = |zip: &mut Vec<u8>, sig: &[u8; 4], size_at: usize, name_at: usize| {
        let mut at = 0;
        let mut patched = 0;
        while let Some(i) = zip[at..].windows(4).position(|w| w == sig) {
            let pos = at + i;
            if zip[pos + name_at..].starts_with(b"selfie.jpg") {
                zip[pos + size_at..pos + size_at + 4].copy_from_slice(&declared.to_le_bytes());
                patched += 1;
            }
            at = pos + 4;
        }
        assert_eq!(patched, 1);
    };
    patch(&mut zip, b"PK\x03\x04", 22, 30); // local header
    patch(&mut zip, b"PK\x01\x02", 24, 46); // central directory
    zip
}

#[test]
fn a_forged_huge_size_reserves_nothing_like_it() {
    let declared: u32 = 150 << 20; // under the default 160 MiB per-entry limit
    for method in [
        zip::CompressionMethod::Stored,
        zip::CompressionMethod::Deflated,
    ] {
        let zip = lying_zip(method, declared);
        assert!(zip.len() < 1024);
        let base = ALLOC.current_usage();
        ALLOC.reset_peak_usage();
        // The archive lies, so reading may fail (size/CRC checks); what matters is memory.
        let result = read_upload_zip(&zip);
        let peak = ALLOC.peak_usage() - base;
        drop(result);
        assert!(
            peak < 256 * 1024,
            "{method:?}: reading a {}-byte zip declaring {declared} bytes peaked at {peak} bytes",
            zip.len()
        );
    }
}

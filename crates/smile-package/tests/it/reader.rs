//! The `reader` feature: our zips, the official SDKs' shapes (DEFLATE, duplicate junk
//! entries) and hostile archives.

use std::io::Write;

use smile_package::{EntryMethod, ReadError, ReadLimits, read_upload_zip, read_upload_zip_with};
use zip::write::SimpleFileOptions;

fn make(entries: &[(&str, &[u8], zip::CompressionMethod)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data, method) in entries {
        w.start_file(
            *name,
            SimpleFileOptions::default().compression_method(*method),
        )
        .unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

const STORE: zip::CompressionMethod = zip::CompressionMethod::Stored;
const DEFLATE: zip::CompressionMethod = zip::CompressionMethod::Deflated;
const INFO: &[u8] = br#"{"images":[{"image_type_id":0,"image":"","file_name":"selfie.jpg"}]}"#;

#[test]
fn deflate_like_the_python_sdk() {
    let zip = make(&[
        ("info.json", INFO, DEFLATE),
        ("selfie.jpg", &[0xFF, 0xD8, 0xFF, 1], DEFLATE),
    ]);
    let read = read_upload_zip(&zip).unwrap();
    assert!(read.info_json_first);
    assert_eq!(read.info["images"][0]["file_name"], "selfie.jpg");
    assert_eq!(read.info_json, INFO);
    let e = read.entry("selfie.jpg").unwrap();
    assert_eq!(e.data, [0xFF, 0xD8, 0xFF, 1]);
    assert_eq!(e.method, EntryMethod::Deflated);
    assert!(format!("{e:?}").contains("len: 4"));
}

#[test]
fn info_json_not_first_is_reported() {
    let zip = make(&[("selfie.jpg", b"x", STORE), ("info.json", b"{}", STORE)]);
    let read = read_upload_zip(&zip).unwrap();
    assert!(!read.info_json_first);
    assert_eq!(read.entries.len(), 1);
}

#[test]
fn refusals() {
    let lim = ReadLimits::default();
    assert!(matches!(
        read_upload_zip_with(b"PK", lim),
        Err(ReadError::Zip(_))
    ));
    let zip = make(&[("selfie.jpg", b"x", STORE)]);
    assert!(matches!(
        read_upload_zip_with(&zip, lim),
        Err(ReadError::MissingInfoJson)
    ));
    let zip = make(&[("info.json", b"{not json", STORE)]);
    assert!(matches!(
        read_upload_zip_with(&zip, lim),
        Err(ReadError::InfoJson(_))
    ));
    for name in ["../evil.jpg", "/abs.jpg", "a\\b.jpg", "c:/x.jpg", "a/./b"] {
        let zip = make(&[("info.json", b"{}", STORE), (name, b"x", STORE)]);
        assert!(
            matches!(
                read_upload_zip_with(&zip, lim),
                Err(ReadError::UnsafeName { .. })
            ),
            "{name}"
        );
    }
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.start_file("info.json", SimpleFileOptions::default())
        .unwrap();
    w.write_all(b"{}").unwrap();
    w.add_directory("photos/", SimpleFileOptions::default())
        .unwrap();
    let zip = w.finish().unwrap().into_inner();
    assert!(matches!(
        read_upload_zip_with(&zip, lim),
        Err(ReadError::Directory { .. })
    ));
}

#[test]
fn duplicates_refused_unless_allowed() {
    // The Python SDK's base64 variant: one junk entry per base64 image, all with one name.
    // The zip crate will not write duplicates: write two names, then rename one in place.
    let zip = make(&[
        ("info.json", b"{}", STORE),
        ("base64imgString", b"9k=", STORE),
        ("base64imgStrinX", b"2Q==", STORE),
    ]);
    let mut zip = zip;
    let (from, to) = (b"base64imgStrinX", b"base64imgString");
    let mut renamed = 0;
    for i in 0..zip.len() - from.len() {
        if &zip[i..i + from.len()] == from {
            zip[i..i + to.len()].copy_from_slice(to);
            renamed += 1;
        }
    }
    assert_eq!(renamed, 2, "local and central header");
    let err = read_upload_zip(&zip).unwrap_err();
    assert!(matches!(err, ReadError::DuplicateNames), "{err:?}");
    let read =
        read_upload_zip_with(&zip, ReadLimits::default().allow_duplicate_names(true)).unwrap();
    assert_eq!(read.entries.len(), 1);
}

#[test]
fn size_limits_stop_zip_bombs() {
    // 10 MB of zeros deflates to ~10 KB.
    let zeros = vec![0u8; 10 << 20];
    let zip = make(&[("info.json", b"{}", STORE), ("bomb.jpg", &zeros, DEFLATE)]);
    assert!(zip.len() < 100_000);
    let err =
        read_upload_zip_with(&zip, ReadLimits::default().max_entry_bytes(1 << 20)).unwrap_err();
    assert!(
        matches!(err, ReadError::EntryTooLarge { size, .. } if size == 10 << 20),
        "{err}"
    );
    let err =
        read_upload_zip_with(&zip, ReadLimits::default().max_total_bytes(5 << 20)).unwrap_err();
    assert!(matches!(err, ReadError::TotalTooLarge { .. }), "{err}");
    let err = read_upload_zip_with(&zip, ReadLimits::default().max_entries(1)).unwrap_err();
    assert!(
        matches!(err, ReadError::TooManyEntries { count: 2, limit: 1 }),
        "{err}"
    );
    assert!(read_upload_zip(&zip).is_ok());
}

#[test]
fn lying_size_headers_are_caught() {
    // Patch the declared uncompressed size of a DEFLATE entry down to 1 byte in both headers:
    // the reader must not trust it (the data inflates to 64 KiB).
    let data = vec![7u8; 64 << 10];
    let mut zip = make(&[("info.json", b"{}", STORE), ("x.jpg", &data, DEFLATE)]);
    let find = |zip: &[u8], sig: &[u8; 4], name: &[u8]| -> Vec<usize> {
        (0..zip.len() - 4)
            .filter(|&i| &zip[i..i + 4] == sig)
            .filter(|&i| {
                let off = if sig == b"PK\x03\x04" { 30 } else { 46 };
                zip.get(i + off..i + off + name.len()) == Some(name)
            })
            .collect()
    };
    for at in find(&zip, b"PK\x03\x04", b"x.jpg") {
        zip[at + 22..at + 26].copy_from_slice(&1u32.to_le_bytes());
    }
    for at in find(&zip.clone(), b"PK\x01\x02", b"x.jpg") {
        zip[at + 24..at + 28].copy_from_slice(&1u32.to_le_bytes());
    }
    let result = read_upload_zip_with(&zip, ReadLimits::default().max_entry_bytes(1000));
    assert!(result.is_err(), "{result:?}");
}

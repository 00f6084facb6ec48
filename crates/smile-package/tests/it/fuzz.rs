//! Fuzz bodies driven by proptest (no nightly here, so no cargo-fuzz): validation and the zip
//! reader never panic on arbitrary input, and their verdicts are consistent.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use proptest::prelude::*;
use smile_package::{Image, SubmitRequest};
use smile_types::{JobOptions, JobType, PartnerParams};

fn request(image: Image) -> SubmitRequest {
    SubmitRequest::new(
        PartnerParams::new("u", "j", JobType::SmartSelfieAuthentication),
        vec![image],
    )
    .with_options(JobOptions {
        return_job_status: true,
        ..JobOptions::default()
    })
}

fn is_image(b: &[u8]) -> bool {
    b.starts_with(&[0xFF, 0xD8, 0xFF]) || b.starts_with(b"\x89PNG\r\n\x1a\n")
}

/// Validation of one image's bytes, as bytes and as base64 text (possibly mutated).
fn validate_body(data: &[u8], flip: Option<(usize, u8)>) -> Result<(), TestCaseError> {
    let as_bytes = request(Image::selfie_bytes(data.to_vec())).validate();
    prop_assert_eq!(as_bytes.is_ok(), is_image(data));
    let mut text = STANDARD.encode(data).into_bytes();
    if let Some((at, b)) = flip.filter(|_| !text.is_empty()) {
        let at = at % text.len();
        text[at] = b;
    }
    let text = String::from_utf8_lossy(&text).into_owned();
    let as_b64 = request(Image::selfie_base64(text.clone())).validate();
    let decoded = STANDARD.decode(text.as_bytes());
    let expect_ok = decoded.as_deref().is_ok_and(is_image) && !text.starts_with("data:");
    prop_assert_eq!(as_b64.is_ok(), expect_ok, "{:?}", as_b64.err());
    if let Ok(job) = as_b64 {
        prop_assert_eq!(job.images()[0].base64(), Some(text.as_str()));
        prop_assert_eq!(job.images()[0].len(), decoded.unwrap().len() as u64);
    }
    Ok(())
}

proptest! {
    #[test]
    fn validation_never_panics_and_agrees_with_a_full_decode(
        magic in prop_oneof![Just(vec![0xFFu8, 0xD8, 0xFF]), Just(b"\x89PNG\r\n\x1a\n".to_vec()), Just(vec![])],
        tail in proptest::collection::vec(any::<u8>(), 0..6000),
        flip in proptest::option::of((any::<usize>(), prop_oneof![Just(b'='), Just(b'\n'), Just(b'-'), Just(b'A'), any::<u8>()])),
    ) {
        let data = [&magic[..], &tail[..]].concat();
        validate_body(&data, flip)?;
    }
}

#[cfg(feature = "reader")]
mod reader {
    use super::*;
    use serde_json::{Map, Value};
    use smile_package::{UploadContext, read_upload_zip};
    use smile_types::PartnerId;

    fn our_zip() -> Vec<u8> {
        let job = request(Image::selfie_bytes(vec![0xFF, 0xD8, 0xFF, 1, 2, 3, 4, 5]))
            .validate()
            .unwrap();
        let pid = PartnerId::new("085");
        let response: Map<String, Value> =
            serde_json::from_str(r#"{"upload_url":"https://u.example/x","smile_job_id":"1"}"#)
                .unwrap();
        job.build_zip(&UploadContext::new(&pid, "t", "s", &response))
            .unwrap()
    }

    proptest! {
        #[test]
        fn reader_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
            let _ = read_upload_zip(&bytes);
        }

        #[test]
        fn reader_never_panics_on_corrupted_zips(
            flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8),
            cut in proptest::option::of(any::<usize>()),
        ) {
            let mut zip = our_zip();
            for (at, b) in flips {
                let at = at % zip.len();
                zip[at] = b;
            }
            if let Some(cut) = cut {
                zip.truncate(cut % (zip.len() + 1));
            }
            if let Ok(read) = read_upload_zip(&zip) {
                // Whatever was accepted is internally consistent: CRCs matched, names safe.
                prop_assert!(read.entries.len() <= 1);
                for e in &read.entries {
                    prop_assert!(!e.name.contains(".."));
                }
            }
        }
    }
}

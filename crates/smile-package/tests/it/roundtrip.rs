//! proptest: any valid image list round-trips — build, unzip, same bytes, same names in
//! info.json, base64 text inline and untouched.

use std::collections::HashSet;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use proptest::prelude::*;
use serde_json::{Map, Value};
use smile_package::{Image, ImageSource, SubmitRequest, UploadContext};
use smile_types::{IdInfo, ImageKind, JobOptions, JobType, PartnerId, PartnerParams};

use crate::support::unzip;

#[derive(Debug, Clone)]
struct Spec {
    kind: ImageKind,
    /// 0: file, 1: bytes, 2: base64.
    source: u8,
    data: Vec<u8>,
    /// Base name for file sources.
    name: String,
}

fn payload() -> impl Strategy<Value = Vec<u8>> {
    (
        any::<bool>(),
        proptest::collection::vec(any::<u8>(), 0..1500),
    )
        .prop_map(|(png, tail)| {
            let magic: &[u8] = if png {
                b"\x89PNG\r\n\x1a\n"
            } else {
                &[0xFF, 0xD8, 0xFF]
            };
            [magic, &tail[..]].concat()
        })
}

fn file_name() -> impl Strategy<Value = String> {
    "[A-Za-z0-9 ._()é-]{1,10}(\\.jpg|\\.JPG|\\.png|\\.jpeg)?"
        .prop_filter("not a special directory name", |s| s != "." && s != "..")
}

fn spec(kind: ImageKind) -> impl Strategy<Value = Spec> {
    (0u8..3, payload(), file_name()).prop_map(move |(source, data, name)| Spec {
        kind,
        source,
        data,
        name,
    })
}

/// A valid job: a job type with the images it needs, in any order.
fn job() -> impl Strategy<Value = (u32, Vec<Spec>)> {
    prop_oneof![Just(1u32), Just(2), Just(4), Just(6), Just(11)].prop_flat_map(|jt| {
        let ids = matches!(jt, 1 | 6 | 11);
        let fronts = if matches!(jt, 6 | 11) {
            1..2usize
        } else if ids {
            0..2
        } else {
            0..1
        };
        let backs = if ids { 0..2usize } else { 0..1 };
        (
            spec(ImageKind::Selfie),
            proptest::collection::vec(spec(ImageKind::Liveness), 0..5),
            proptest::collection::vec(spec(ImageKind::IdFront), fronts),
            proptest::collection::vec(spec(ImageKind::IdBack), backs),
        )
            .prop_flat_map(move |(s, l, f, b)| {
                let mut all = vec![s];
                all.extend(l);
                all.extend(f);
                all.extend(b);
                (Just(jt), Just(all).prop_shuffle())
            })
    })
}

fn check(jt: u32, specs: &[Spec]) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let mut images = Vec::new();
    let mut texts = Vec::new();
    for (i, s) in specs.iter().enumerate() {
        let source = match s.source {
            0 => {
                let sub = dir.path().join(i.to_string());
                std::fs::create_dir(&sub).unwrap();
                let path = sub.join(&s.name);
                std::fs::write(&path, &s.data).unwrap();
                ImageSource::File(path)
            }
            1 => ImageSource::Bytes(s.data.clone().into()),
            _ => ImageSource::Base64(STANDARD.encode(&s.data).into()),
        };
        texts.push(match &source {
            ImageSource::Base64(t) => Some(t.clone()),
            _ => None,
        });
        images.push(Image::new(s.kind, source));
    }
    let mut request =
        SubmitRequest::new(PartnerParams::new("u", "j", JobType::from_code(jt)), images)
            .with_options(JobOptions {
                return_job_status: true,
                ..JobOptions::default()
            });
    request.id_info = match jt {
        1 => Some(IdInfo::verify("NG", "BVN", "00000000000")),
        6 | 11 => Some(IdInfo {
            country: Some("KE".into()),
            id_type: Some("NATIONAL_ID".into()),
            ..IdInfo::default()
        }),
        _ => None,
    };
    let job = request
        .validate()
        .map_err(|p| TestCaseError::fail(p.to_string()))?;

    let response: Map<String, Value> = serde_json::from_str(
        r#"{"upload_url":"https://u.example/x","smile_job_id":"7","x":[1,{"y":null}]}"#,
    )
    .unwrap();
    let pid = PartnerId::new("085");
    let ctx = UploadContext::new(&pid, "2024-01-01T00:00:00.000Z", "c2ln", &response);
    let zip = job.build_zip(&ctx).unwrap();
    prop_assert_eq!(&job.build_zip(&ctx).unwrap(), &zip, "deterministic");
    let chunks = job.build_zip_chunks(&ctx).unwrap();
    prop_assert_eq!(
        &chunks.concat(),
        &zip,
        "the chunked zip holds the same bytes"
    );
    let entries = unzip(&zip);
    prop_assert_eq!(&entries[0].name, "info.json");
    prop_assert_eq!(&entries[0].data, &job.info_json(&ctx).unwrap());
    let info: Value = serde_json::from_slice(&entries[0].data).unwrap();
    prop_assert_eq!(
        &info["server_information"],
        &Value::Object(response.clone())
    );
    let listed = info["images"].as_array().unwrap();
    prop_assert_eq!(listed.len(), specs.len());

    let mut zipped = entries[1..].iter();
    let mut seen_names = HashSet::new();
    seen_names.insert("info.json".to_owned());
    for (i, s) in specs.iter().enumerate() {
        let item = &listed[i];
        let base64 = s.source == 2;
        prop_assert_eq!(
            item["image_type_id"].as_u64().unwrap(),
            u64::from(smile_types::ImageType::new(s.kind, base64).id())
        );
        if base64 {
            prop_assert_eq!(
                item["image"].as_str().unwrap(),
                std::str::from_utf8(texts[i].as_ref().unwrap().as_bytes()).unwrap()
            );
            prop_assert_eq!(item["file_name"].as_str().unwrap(), "");
        } else {
            let entry = zipped.next().expect("an entry per file image");
            prop_assert_eq!(item["image"].as_str().unwrap(), "");
            prop_assert_eq!(item["file_name"].as_str().unwrap(), entry.name.as_str());
            prop_assert_eq!(&entry.data, &s.data);
            prop_assert_eq!(entry.method, 0);
            prop_assert!(
                entry
                    .name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)),
                "name {:?}",
                entry.name
            );
            prop_assert!(!entry.name.starts_with('.'));
            prop_assert!(
                seen_names.insert(entry.name.to_ascii_lowercase()),
                "duplicate {}",
                entry.name
            );
        }
    }
    prop_assert!(zipped.next().is_none(), "no stray entries");

    #[cfg(feature = "reader")]
    {
        let read = smile_package::read_upload_zip(&zip).unwrap();
        prop_assert!(read.info_json_first);
        prop_assert_eq!(&read.info, &info);
        prop_assert_eq!(read.entries.len(), entries.len() - 1);
        for (a, b) in read.entries.iter().zip(&entries[1..]) {
            prop_assert_eq!(&a.name, &b.name);
            prop_assert_eq!(&a.data, &b.data);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn valid_image_lists_round_trip((jt, specs) in job()) {
        check(jt, &specs)?;
    }
}

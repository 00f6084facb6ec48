//! Rules and behaviours beyond the interop cases: size limits, reserved extras, bytes images,
//! naming, callback resolution, what a loaded job holds.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value};
use smile_package::{
    DEFAULT_MAX_IMAGE_BYTES, Image, ImageFormat, Limits, LoadedJob, SubmitRequest, UploadContext,
};
use smile_types::{IdInfo, JobOptions, JobType, PartnerId, PartnerParams, Problems};

use crate::support::{fixture, unzip};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

fn jpeg(n: usize) -> Vec<u8> {
    let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0];
    v.resize(n.max(4), 0x42);
    v
}

fn job2(images: Vec<Image>) -> SubmitRequest {
    SubmitRequest::new(
        PartnerParams::new("u1", "j1", JobType::SmartSelfieAuthentication),
        images,
    )
    .with_default_callback_url("https://cb.example.com/smile")
}

fn codes(p: &Problems) -> Vec<&'static str> {
    p.codes().collect()
}

fn ctx_parts() -> (PartnerId, Map<String, Value>) {
    let response: Map<String, Value> =
        serde_json::from_str(r#"{"upload_url":"https://u.example/x","smile_job_id":"1"}"#).unwrap();
    (PartnerId::new("085"), response)
}

/// `job`'s info.json (partner "085", this timestamp and signature), parsed.
fn info_value(job: &LoadedJob, timestamp: &str, signature: &str) -> Value {
    let (pid, response) = ctx_parts();
    let info = job
        .info_json(&UploadContext::new(&pid, timestamp, signature, &response))
        .unwrap();
    serde_json::from_slice(&info).unwrap()
}

#[test]
fn seed_case_loads_every_image_once() {
    let mut images = vec![Image::selfie_file(fixture("selfie.jpg"))];
    images.extend((1..=8).map(|n| Image::liveness_file(fixture(&format!("liveness_{n}.jpg")))));
    let job = job2(images).validate().unwrap();
    assert_eq!(job.images().len(), 9);
    let mut payload = 0;
    for img in job.images() {
        let bytes = img.bytes().unwrap();
        assert_eq!(
            bytes,
            std::fs::read(fixture(img.entry_name().unwrap())).unwrap()
        );
        assert_eq!(img.format(), ImageFormat::Jpeg);
        assert_eq!(img.len(), bytes.len() as u64);
        assert!(img.base64().is_none());
        payload += bytes.len() as u64;
    }
    assert_eq!(job.payload_len(), payload);
    assert_eq!(job.job_type(), JobType::SmartSelfieAuthentication);
    assert_eq!(job.callback_url(), Some("https://cb.example.com/smile"));
}

#[test]
fn size_limits_per_image_and_per_job() {
    let limits = Limits::default().max_image_bytes(100).max_total_bytes(250);
    // Exactly at the limit is fine.
    let ok = job2(vec![Image::selfie_bytes(jpeg(100))])
        .with_limits(limits)
        .validate();
    assert!(ok.is_ok());

    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.jpg");
    std::fs::write(&big, jpeg(101)).unwrap();
    let p = job2(vec![
        Image::selfie_file(&big),
        Image::liveness_bytes(jpeg(101)),
        Image::liveness_base64(STANDARD.encode(jpeg(101))),
    ])
    .with_limits(limits)
    .validate()
    .unwrap_err();
    assert_eq!(
        codes(&p),
        [
            "images.file.too_large",
            "images.file.too_large",
            "images.base64.too_large"
        ],
        "{p}"
    );
    assert!(p.as_slice()[0].message.contains("101 bytes"), "{p}");
    assert!(p.as_slice()[0].message.contains("limit of 100"), "{p}");
    assert_eq!(p.as_slice()[2].field, "images[2]");

    // Three images of 100 bytes: the third crosses the 250-byte job limit (reported once).
    let p = job2(vec![
        Image::selfie_bytes(jpeg(100)),
        Image::liveness_bytes(jpeg(100)),
        Image::liveness_bytes(jpeg(100)),
        Image::liveness_bytes(jpeg(100)),
    ])
    .with_limits(limits)
    .validate()
    .unwrap_err();
    assert_eq!(codes(&p), ["images.file.too_large"], "{p}");
    assert_eq!(p.as_slice()[0].field, "images[2]");
    assert!(p.as_slice()[0].message.contains("300 bytes"), "{p}");

    assert_eq!(Limits::default().image_bytes(), DEFAULT_MAX_IMAGE_BYTES);
}

#[test]
fn huge_base64_is_refused_before_decoding() {
    let limits = Limits::default().max_image_bytes(1000);
    // Not even valid base64: the length alone is over the limit.
    let text = "!".repeat(10_000);
    let p = job2(vec![Image::selfie_base64(text)])
        .with_limits(limits)
        .validate()
        .unwrap_err();
    assert_eq!(codes(&p), ["images.base64.too_large"], "{p}");
    assert!(p.as_slice()[0].message.contains("limit of 1000"), "{p}");
}

#[test]
fn reserved_extra_keys_are_refused() {
    let pp = PartnerParams::new("u1", "j1", JobType::SmartSelfieAuthentication)
        .with_extra("branch", "x")
        .with_extra("job_id", "other")
        .with_extra("user_id", "other");
    let p = SubmitRequest::new(pp, vec![Image::selfie_bytes(jpeg(10))])
        .with_default_callback_url("https://cb.example.com/x")
        .validate()
        .unwrap_err();
    let fields: Vec<&str> = p.iter().map(|x| x.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "partner_params.extra.job_id",
            "partner_params.extra.user_id"
        ]
    );
    assert_eq!(
        codes(&p),
        [
            "partner_params.extra.reserved_key",
            "partner_params.extra.reserved_key"
        ]
    );
}

#[test]
fn bytes_sources_are_checked_like_files() {
    let p = job2(vec![
        Image::selfie_bytes(Vec::new()),
        Image::liveness_bytes(b"GIF89a".to_vec()),
    ])
    .validate()
    .unwrap_err();
    assert_eq!(codes(&p), ["images.file.empty", "images.file.not_image"]);
    assert!(p.as_slice()[1].message.contains("47 49 46 38 39 61"), "{p}");
}

#[test]
fn shared_bytes_are_not_copied() {
    let bytes: Arc<[u8]> = Arc::from(jpeg(1000));
    let shared = smile_package::Bytes::from_owner(Arc::clone(&bytes));
    let job = job2(vec![Image::selfie_bytes(shared)]).validate().unwrap();
    assert_eq!(
        Arc::strong_count(&bytes),
        2,
        "the job shares the caller's buffer"
    );
    assert_eq!(job.images()[0].bytes().unwrap().as_ptr(), bytes.as_ptr());
    // A Vec is taken as it is, not copied either.
    let v = jpeg(1000);
    let ptr = v.as_ptr();
    let job = job2(vec![Image::selfie_bytes(v)]).validate().unwrap();
    assert_eq!(job.images()[0].bytes().unwrap().as_ptr(), ptr);
}

#[test]
fn shared_base64_text_is_not_copied() {
    let text: Arc<str> = Arc::from(STANDARD.encode(jpeg(1000)));
    let job = job2(vec![
        Image::selfie_bytes(jpeg(10)),
        Image::liveness_base64(Arc::clone(&text)),
    ])
    .validate()
    .unwrap();
    assert_eq!(
        Arc::strong_count(&text),
        2,
        "the job shares the caller's text"
    );
    assert_eq!(job.images()[1].base64().unwrap().as_ptr(), text.as_ptr());
}

#[test]
fn generated_names_png_and_collisions() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("b");
    std::fs::create_dir(&sub).unwrap();
    std::fs::write(dir.path().join("Frame 1.JPG"), jpeg(20)).unwrap();
    std::fs::write(sub.join("frame_1.jpg"), jpeg(21)).unwrap();
    std::fs::write(dir.path().join(".hidden"), PNG).unwrap();
    std::fs::write(dir.path().join("info.json"), jpeg(22)).unwrap();
    let job = job2(vec![
        Image::selfie_bytes(PNG.to_vec()),
        Image::liveness_file(dir.path().join("Frame 1.JPG")),
        Image::liveness_file(sub.join("frame_1.jpg")),
        Image::liveness_base64(STANDARD.encode(jpeg(30))),
        Image::liveness_file(dir.path().join(".hidden")),
        Image::liveness_bytes(jpeg(23)),
        Image::liveness_file(dir.path().join("info.json")),
    ])
    .validate()
    .unwrap();
    let names: Vec<Option<&str>> = job.images().iter().map(|i| i.entry_name()).collect();
    assert_eq!(
        names,
        [
            Some("selfie.png"),
            Some("Frame_1.JPG"),
            Some("frame_1_2.jpg"),
            None,
            Some("liveness_4.png"),
            Some("liveness_5.jpg"),
            Some("info_2.json"),
        ]
    );
    let (pid, response) = ctx_parts();
    let ctx = UploadContext::new(&pid, "t", "s", &response);
    let zip = job.build_zip(&ctx).unwrap();
    let seen = unzip(&zip);
    let zipped: Vec<&str> = seen.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        zipped,
        [
            "info.json",
            "selfie.png",
            "Frame_1.JPG",
            "frame_1_2.jpg",
            "liveness_4.png",
            "liveness_5.jpg",
            "info_2.json"
        ]
    );
    let info: Value = serde_json::from_slice(&seen[0].data).unwrap();
    let file_names: Vec<&str> = info["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["file_name"].as_str().unwrap())
        .collect();
    assert_eq!(
        file_names,
        [
            "selfie.png",
            "Frame_1.JPG",
            "frame_1_2.jpg",
            "",
            "liveness_4.png",
            "liveness_5.jpg",
            "info_2.json"
        ]
    );
    assert_eq!(info["images"][3]["image_type_id"], 6);
    assert_eq!(info["images"][3]["image"], STANDARD.encode(jpeg(30)));
}

#[test]
fn directories_and_special_files_are_unreadable() {
    let dir = tempfile::tempdir().unwrap();
    let p = job2(vec![Image::selfie_file(dir.path())])
        .validate()
        .unwrap_err();
    assert_eq!(codes(&p), ["images.file.unreadable"]);
    assert!(p.as_slice()[0].message.contains("directory"), "{p}");
    // A FIFO must be refused without opening it (opening would block).
    let fifo = dir.path().join("pipe.jpg");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if made.is_ok_and(|s| s.success()) {
        let p = job2(vec![Image::selfie_file(&fifo)])
            .validate()
            .unwrap_err();
        assert_eq!(codes(&p), ["images.file.unreadable"]);
    }
}

#[test]
fn every_problem_at_once_in_a_stable_order() {
    let pp = PartnerParams::new("", "", JobType::DocumentVerification);
    let request = SubmitRequest::new(
        pp,
        vec![
            Image::selfie_base64("data:image/png;base64,iVBORw0KGgo="),
            Image::selfie_file("/definitely/not/here.jpg"),
            Image::id_back_base64("aGVsbG8="),
            Image::id_back_base64("aGVsbG8"),
            Image::id_back_base64(""),
        ],
    )
    .with_id_info(IdInfo {
        country: Some("Nigeria".into()),
        entered: true,
        ..IdInfo::default()
    })
    .with_options(JobOptions {
        return_history: true,
        return_image_links: true,
        callback_url: Some("ftp://cb.example.com/x".into()),
        ..JobOptions::default()
    });
    let p = request.validate().unwrap_err();
    assert_eq!(
        codes(&p),
        [
            "partner_params.user_id.missing",
            "partner_params.job_id.missing",
            "images.selfie.multiple",
            "images.id_front.missing",
            "images.id_back.multiple",
            "images.base64.data_uri",
            "images.file.not_found",
            "images.base64.not_image",
            "images.base64.invalid",
            "images.base64.empty",
            "id_info.country.invalid",
            "id_info.id_type.missing",
            "id_info.id_number.missing",
            "callback.invalid_url",
            "options.return_history.requires_return_job_status",
            "options.return_image_links.requires_return_job_status",
        ],
        "{p}"
    );
    let fields: Vec<&str> = p.iter().map(|x| x.field.as_str()).collect();
    assert_eq!(
        fields[5..10],
        [
            "images[0]",
            "images[1]",
            "images[2]",
            "images[3]",
            "images[4]"
        ]
    );
    assert_eq!(fields[13], "options.callback_url");
    assert!(p.to_string().contains("16 validation problems"), "{p}");
}

#[test]
fn callback_resolution() {
    let with = |per_job: Option<&str>, default: Option<&str>| {
        let mut r = job2(vec![Image::selfie_bytes(jpeg(10))]);
        r.default_callback_url = default.map(str::to_owned);
        r.options.callback_url = per_job.map(str::to_owned);
        r.options.return_job_status = true;
        r.validate()
    };
    let job = with(
        Some("https://per-job.example/cb"),
        Some("https://default.example/cb"),
    )
    .unwrap();
    assert_eq!(job.callback_url(), Some("https://per-job.example/cb"));
    let job = with(Some(""), Some("https://default.example/cb")).unwrap();
    assert_eq!(job.callback_url(), Some("https://default.example/cb"));
    assert_eq!(with(None, Some("")).unwrap().callback_url(), None);
    for bad in [
        "cb.example.com",
        "mailto:x@example.com",
        " https://x.example/cb",
        "http://",
    ] {
        let p = with(Some(bad), None).unwrap_err();
        assert_eq!(codes(&p), ["callback.invalid_url"], "{bad}");
    }
    assert!(with(Some("http://127.0.0.1:8080/cb?x=1"), None).is_ok());
}

#[test]
fn job_types_and_enrolled_image() {
    let selfie = || Image::selfie_bytes(jpeg(10));
    let front = || Image::id_front_bytes(jpeg(11));
    let back = || Image::id_back_bytes(jpeg(12));
    let run = |jt: u32, images: Vec<Image>, info: Option<IdInfo>, enrolled: bool| {
        let mut r =
            SubmitRequest::new(PartnerParams::new("u", "j", JobType::from_code(jt)), images)
                .with_options(JobOptions {
                    return_job_status: true,
                    use_enrolled_image: enrolled,
                    ..JobOptions::default()
                });
        r.id_info = info;
        r.validate().map(|_| ()).map_err(|p| codes(&p))
    };
    let ng = || {
        Some(IdInfo {
            country: Some("NG".into()),
            id_type: Some("NIN".into()),
            ..IdInfo::default()
        })
    };
    assert_eq!(run(4, vec![selfie()], None, false), Ok(()));
    assert_eq!(
        run(4, vec![selfie(), front(), back()], None, false),
        Err(vec![
            "images.id_card.not_allowed",
            "images.id_card.not_allowed"
        ])
    );
    assert_eq!(run(1, vec![selfie(), front(), back()], None, false), Ok(()));
    assert_eq!(
        run(1, vec![selfie(), front(), back(), back()], None, false),
        Err(vec!["images.id_back.multiple"])
    );
    assert_eq!(run(11, vec![selfie(), front()], ng(), false), Ok(()));
    assert_eq!(run(11, vec![front()], ng(), true), Ok(()));
    assert_eq!(run(11, vec![selfie(), front()], ng(), true), Ok(()));
    assert_eq!(
        run(11, vec![selfie(), selfie(), front()], ng(), true),
        Err(vec!["images.selfie.multiple"])
    );
    assert_eq!(
        run(6, vec![front()], ng(), false),
        Err(vec!["images.selfie.missing"])
    );
    for jt in [5, 7, 8, 9, 10, 12, 0] {
        assert_eq!(
            run(jt, vec![selfie()], None, false),
            Err(vec!["partner_params.job_type.unsupported"]),
            "{jt}"
        );
    }
    assert_eq!(
        run(4, vec![selfie()], None, true),
        Err(vec!["options.use_enrolled_image.not_allowed"])
    );
}

#[test]
fn id_info_is_written_as_given() {
    let job = SubmitRequest::new(
        PartnerParams::new("u", "j", JobType::BiometricKyc).with_extra("branch", "b-7"),
        vec![Image::selfie_bytes(jpeg(10))],
    )
    .with_id_info(IdInfo::verify("NG", "BVN", "00000000000").with_extra("bank_code", "058"))
    .with_options(JobOptions {
        return_job_status: true,
        ..JobOptions::default()
    })
    .validate()
    .unwrap();
    let v = info_value(&job, "t", "s");
    assert_eq!(
        serde_json::to_string(&v["id_info"]).unwrap(),
        r#"{"country":"NG","id_type":"BVN","id_number":"00000000000","bank_code":"058","entered":"true"}"#
    );
    assert_eq!(
        serde_json::to_string(&v["misc_information"]["partner_params"]).unwrap(),
        r#"{"user_id":"u","job_id":"j","job_type":1,"branch":"b-7"}"#
    );
    assert_eq!(v["images"][0]["file_name"], "selfie.jpg");
}

#[test]
fn json_special_characters_are_escaped() {
    let job = SubmitRequest::new(
        PartnerParams::new("u\"1\\ é", "j\n1", JobType::SmartSelfieAuthentication),
        vec![Image::selfie_bytes(jpeg(5))],
    )
    .with_default_callback_url("https://cb.example.com/a?b=%22c%22")
    .validate()
    .unwrap();
    let v = info_value(&job, "t\"", "s\\");
    assert_eq!(
        v["misc_information"]["partner_params"]["user_id"],
        "u\"1\\ é"
    );
    assert_eq!(v["misc_information"]["timestamp"], "t\"");
    assert_eq!(v["misc_information"]["signature"], "s\\");
}

#[test]
fn extra_problem_codes_parse_back() {
    use smile_types::ProblemCode;
    for code in [
        "images.file.too_large",
        "images.base64.too_large",
        "partner_params.extra.reserved_key",
    ] {
        let parsed: ProblemCode = code.parse().unwrap();
        assert_eq!(parsed.as_str(), code);
        assert!(ProblemCode::EXTRA.contains(&parsed));
        assert!(!ProblemCode::ALL.contains(&parsed));
    }
}

/// A job type that `submit_job` does not run is refused naming the call that does (from the
/// job-type table), before anything is read.
#[test]
fn submit_job_for_a_lookup_job_names_the_call_that_runs_it() {
    let message = |job_type: JobType| {
        let p = SubmitRequest::new(
            PartnerParams::new("u", "j", job_type),
            vec![Image::selfie_bytes(jpeg(64))],
        )
        .with_options(JobOptions {
            return_job_status: true,
            ..JobOptions::default()
        })
        .validate()
        .unwrap_err();
        assert_eq!(codes(&p), ["partner_params.job_type.unsupported"]);
        p.iter().next().unwrap().message.clone()
    };
    assert!(
        message(JobType::EnhancedKyc).starts_with(
            "job type 5 (Enhanced KYC) does not upload images: call id_verification (or async_id_verification) instead"
        ),
        "{}",
        message(JobType::EnhancedKyc)
    );
    assert!(
        message(JobType::BusinessVerification)
            .contains("call business_verification (or async_business_verification) instead")
    );
    assert!(
        message(JobType::UpdatePhoto).starts_with("job type 8 (Update Photo) is not supported")
    );
    assert!(message(JobType::Other(3)).starts_with("job type 3 does not exist for submit_job"));
}

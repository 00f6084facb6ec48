//! id_info by job type (refused on jobs 2 and 4, which send `{"entered":"false"}`; allowed on
//! job 1), partner_params extras that must be strings, and the id number kept out of `Debug`.

use serde_json::{Map, Value};
use smile_package::{Image, SubmitRequest, UploadContext};
use smile_types::{IdInfo, JobOptions, JobType, PartnerId, PartnerParams, ProblemCode, Problems};

fn jpeg() -> Vec<u8> {
    vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0]
}

fn request(job_type: JobType, id_info: Option<IdInfo>) -> SubmitRequest {
    let mut r = SubmitRequest::new(
        PartnerParams::new("user-0001", "job-0002", job_type),
        vec![Image::selfie_bytes(jpeg())],
    )
    .with_options(JobOptions {
        return_job_status: true,
        ..JobOptions::default()
    });
    r.id_info = id_info;
    r
}

fn codes(p: &Problems) -> Vec<&'static str> {
    p.codes().collect()
}

fn id_info_json(job: &smile_package::LoadedJob) -> String {
    let pid = PartnerId::new("085");
    let response: Map<String, Value> =
        serde_json::from_str(r#"{"upload_url":"https://u.example/x","smile_job_id":"1"}"#).unwrap();
    let info = job
        .info_json(&UploadContext::new(&pid, "t", "s", &response))
        .unwrap();
    let v: Value = serde_json::from_slice(&info).unwrap();
    serde_json::to_string(&v["id_info"]).unwrap()
}

#[test]
fn id_info_code_parses_back() {
    let c: ProblemCode = "id_info.not_allowed".parse().unwrap();
    assert_eq!(c, ProblemCode::IdInfoNotAllowed);
    assert!(ProblemCode::EXTRA.contains(&c));
    assert!(!ProblemCode::ALL.contains(&c));
}

#[test]
fn id_info_is_refused_on_jobs_2_and_4() {
    for jt in [
        JobType::SmartSelfieAuthentication,
        JobType::SmartSelfieRegistration,
    ] {
        let cases = [
            IdInfo::verify("NG", "BVN", "00000000000"),
            IdInfo {
                entered: true,
                ..IdInfo::default()
            },
            IdInfo {
                first_name: Some("Ada".into()),
                ..IdInfo::default()
            },
            IdInfo::new().with_extra("bank_code", "058"),
        ];
        for info in cases {
            let p = request(jt, Some(info.clone())).validate().unwrap_err();
            assert_eq!(codes(&p), ["id_info.not_allowed"], "{jt:?} {p}");
            assert_eq!(p.as_slice()[0].field, "id_info");
            // The message names the keys, never their values.
            assert!(!p.to_string().contains("00000000000"), "{p}");
            assert!(!p.to_string().contains("Ada"), "{p}");
        }
        let p = request(jt, Some(IdInfo::verify("NG", "BVN", "00000000000")))
            .validate()
            .unwrap_err();
        let msg = &p.as_slice()[0].message;
        assert!(
            msg.contains("country, id_type, id_number, entered = true"),
            "{msg}"
        );
    }
}

#[test]
fn empty_or_absent_id_info_on_job_2_is_entered_false() {
    for info in [None, Some(IdInfo::new())] {
        for jt in [
            JobType::SmartSelfieAuthentication,
            JobType::SmartSelfieRegistration,
        ] {
            let job = request(jt, info.clone()).validate().unwrap();
            assert_eq!(job.id_info(), None);
            assert_eq!(id_info_json(&job), r#"{"entered":"false"}"#);
        }
    }
}

#[test]
fn id_info_still_allowed_on_job_1() {
    let job = request(
        JobType::BiometricKyc,
        Some(IdInfo::verify("NG", "BVN", "00000000000")),
    )
    .validate()
    .unwrap();
    assert_eq!(
        id_info_json(&job),
        r#"{"country":"NG","id_type":"BVN","id_number":"00000000000","entered":"true"}"#
    );
}

#[test]
fn partner_params_extras_must_be_strings() {
    let mut pp = PartnerParams::new("user-0001", "job-0002", JobType::SmartSelfieAuthentication)
        .with_extra("branch", "b-7");
    pp.extra.insert("count".into(), Value::from(3));
    pp.extra.insert("flag".into(), Value::Bool(true));
    pp.extra.insert("none".into(), Value::Null);
    pp.extra.insert("job_id".into(), Value::from(5)); // reserved: reported once, as reserved
    let mut r = request(JobType::SmartSelfieAuthentication, None);
    r.partner_params = pp;
    let p = r.validate().unwrap_err();
    assert_eq!(
        codes(&p),
        [
            "partner_params.extra.reserved_key",
            "partner_params.extra.not_string",
            "partner_params.extra.not_string",
            "partner_params.extra.not_string",
        ],
        "{p}"
    );
    let fields: Vec<&str> = p.iter().map(|x| x.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "partner_params.extra.job_id",
            "partner_params.extra.count",
            "partner_params.extra.flag",
            "partner_params.extra.none",
        ]
    );
    assert!(p.as_slice()[1].message.contains("is a number"), "{p}");
    let c: ProblemCode = "partner_params.extra.not_string".parse().unwrap();
    assert_eq!(c, ProblemCode::PartnerParamsExtraNotString);
    assert!(ProblemCode::EXTRA.contains(&c));

    // Decoding from the server stays lenient.
    let echoed: smile_types::EchoedPartnerParams =
        serde_json::from_str(r#"{"user_id":"u","job_id":"j","job_type":2,"count":3}"#).unwrap();
    assert_eq!(echoed.extra["count"], 3);
    let full: PartnerParams =
        serde_json::from_str(r#"{"user_id":"u","job_id":"j","job_type":2,"count":3}"#).unwrap();
    assert_eq!(full.non_string_extra_keys().collect::<Vec<_>>(), ["count"]);
}

#[test]
fn submit_request_and_loaded_job_debug_hide_the_id_number() {
    let request = request(
        JobType::BiometricKyc,
        Some(IdInfo::verify("NG", "BVN", "22212345678").with_extra("bank_code", "058")),
    );
    let shown = format!("{request:?}");
    assert!(!shown.contains("22212345678"), "{shown}");
    assert!(shown.contains("id_number: <redacted>"), "{shown}");
    let job = request.validate().unwrap();
    let shown = format!("{job:?} {job:#?}");
    assert!(!shown.contains("22212345678"), "{shown}");
    assert!(!shown.contains("\"058\""), "{shown}");
}

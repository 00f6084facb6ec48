//! Request-side types against the bodies in testdata/interop: partner_params, id_info, options;
//! and personal data kept out of `Debug`.

use serde_json::Value;
use smile_types::{IdInfo, JobOptions, JobType, PartnerParams};

use crate::support::interop;

/// Every value under a key named `key`, anywhere in `v`.
fn find_all<'a>(v: &'a Value, key: &str, out: &mut Vec<&'a Value>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == key {
                    out.push(x);
                }
                find_all(x, key, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| find_all(x, key, out)),
        _ => {}
    }
}

#[test]
fn partner_params_in_observed_and_canonical_bodies_round_trip_exactly() {
    let mut n = 0;
    for file in [
        "prep_upload_node.json",
        "prep_upload_python.json",
        "info_json_node.json",
        "info_json_python.json",
        "canonical_job2.json",
    ] {
        let v = interop(file);
        let mut found = Vec::new();
        find_all(&v, "partner_params", &mut found);
        assert!(!found.is_empty(), "{file}");
        for pp in found {
            let p: PartnerParams = serde_json::from_value(pp.clone()).expect(file);
            assert_eq!(p.job_type, JobType::SmartSelfieAuthentication, "{file}");
            assert_eq!(
                serde_json::to_string(&p).unwrap(),
                serde_json::to_string(pp).unwrap(),
                "{file}"
            );
            n += 1;
        }
    }
    assert!(n >= 10, "{n}");
}

#[test]
fn canonical_prep_upload_body_contains_our_partner_params_bytes() {
    let v = interop("canonical_job2.json");
    let body = v["prep_upload"]["body_text"]
        .as_str()
        .or_else(|| v["prep_upload"].as_str())
        .expect("prep_upload body text");
    let p = PartnerParams::new("user-0001", "job-0002", JobType::SmartSelfieAuthentication);
    let bytes = format!("\"partner_params\":{}", serde_json::to_string(&p).unwrap());
    assert!(body.contains(&bytes), "{body}");
}

#[test]
fn id_info_in_info_json_files() {
    let mut n = 0;
    for file in [
        "info_json_node.json",
        "info_json_python.json",
        "canonical_job2.json",
    ] {
        let v = interop(file);
        let mut found = Vec::new();
        find_all(&v, "id_info", &mut found);
        for info in found.into_iter().filter(|x| x.is_object()) {
            let parsed: IdInfo = serde_json::from_value(info.clone()).expect(file);
            assert!(!parsed.entered, "{file}: job 2 sends entered false");
            assert!(parsed.is_empty());
            // ours always writes entered as a string (Python leaves id_info empty)
            assert_eq!(
                serde_json::to_string(&parsed).unwrap(),
                r#"{"entered":"false"}"#
            );
            n += 1;
        }
    }
    assert!(n >= 4, "{n}");
    // our canonical info.json texts carry exactly that id_info
    let v = interop("canonical_job2.json");
    for variant in ["info_json_files_variant", "info_json_base64_variant"] {
        let text = v[variant]["text"].as_str().expect(variant);
        let expected = format!(
            "\"id_info\":{}",
            serde_json::to_string(&IdInfo::new()).unwrap()
        );
        assert!(text.contains(&expected), "{variant}");
    }
}

#[test]
fn canonical_options_decode() {
    let v = interop("canonical_job2.json");
    let o: JobOptions = serde_json::from_value(v["inputs"]["options"].clone()).unwrap();
    assert!(o.return_job_status && !o.return_history && !o.return_image_links);
}

#[test]
fn id_info_debug_redacts_personal_data() {
    use smile_types::IdInfo;
    let info = IdInfo {
        first_name: Some("Adaeze".into()),
        middle_name: Some("Ngozi".into()),
        last_name: Some("Okafor".into()),
        dob: Some("1990-02-03".into()),
        phone_number: Some("+2348012345678".into()),
        ..IdInfo::verify("NG", "BVN", "22212345678")
    }
    .with_extra("bank_code", "058-secret");
    let shown = format!("{info:?}");
    for secret in [
        "22212345678",
        "Adaeze",
        "Ngozi",
        "Okafor",
        "1990-02-03",
        "+2348012345678",
        "058-secret",
    ] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
    for key in [
        "first_name",
        "middle_name",
        "last_name",
        "id_number",
        "dob",
        "phone_number",
        "bank_code",
        "country: \"NG\"",
        "id_type: \"BVN\"",
        "entered: true",
    ] {
        assert!(shown.contains(key), "{key} not in {shown}");
    }
    assert!(!format!("{:#?}", info).contains("22212345678"));
    assert_eq!(format!("{:?}", IdInfo::new()), "IdInfo { entered: false }");
}

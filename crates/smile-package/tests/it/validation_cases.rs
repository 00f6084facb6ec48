//! Every `submit_job` case of `testdata/interop/validation_cases.json` without a `typed_api` note:
//! build the input as our typed API expresses it, validate, and compare the problem codes.
//!
//! Codes are compared **in order**: our validation reports partner params, then image
//! composition, then each image in list order, then id info, callback and options, and the
//! file's lists (including `order-many-problems`) follow that order. The file itself calls the
//! order not significant, so a mismatch in order only would still be worth a look rather than
//! a fix of the file.
//!
//! Cases for other calls belong to smile-core (ID API, web token, business verification) and
//! are skipped here: `idapi-jt5-empty-info`, `idapi-jt5-no-id-number`,
//! `idapi-jt7-no-id-number`, `idapi-wrong-job-type`, `idapi-async-no-callback`,
//! `token-no-callback`, `token-missing-user-id`, `token-missing-job-id`,
//! `token-missing-product` (checked below, so a new case in the file is noticed).

use std::path::{Path, PathBuf};

use serde_json::Value;
use smile_package::{Image, ImageSource, SubmitRequest};
use smile_types::{IdInfo, ImageType, JobOptions, JobType, PartnerParams};

use crate::support::{fixture, interop};

const OTHER_CALLS: [&str; 9] = [
    "idapi-jt5-empty-info",
    "idapi-jt5-no-id-number",
    "idapi-jt7-no-id-number",
    "idapi-wrong-job-type",
    "idapi-async-no-callback",
    "token-no-callback",
    "token-missing-user-id",
    "token-missing-job-id",
    "token-missing-product",
];

/// Creates the `<temp>/…` files a case describes and returns the path to use.
fn temp_path(dir: &Path, rest: &str, case: &str) -> PathBuf {
    let path = dir.join(rest);
    match rest {
        "" => {} // "<temp>/": the directory itself
        "empty.jpg" => std::fs::write(&path, b"").unwrap(),
        "notes.jpg" => std::fs::write(&path, b"just some notes, not a picture\n").unwrap(),
        other => panic!("{case}: no recipe for <temp>/{other}"),
    }
    path
}

fn build(case: &Value, dir: &Path) -> SubmitRequest {
    let id = case["id"].as_str().unwrap();
    let input = &case["input"];
    let pp = &input["partner_params"];
    let text = |k: &str| pp[k].as_str().unwrap_or("").to_owned();
    let job_type = JobType::from_code(
        u32::try_from(pp["job_type"].as_u64().expect("typed job_type")).unwrap(),
    );
    let partner_params = PartnerParams::new(text("user_id"), text("job_id"), job_type);

    let mut images = Vec::new();
    for img in input["images"].as_array().into_iter().flatten() {
        let t = ImageType::from_id(u8::try_from(img["image_type_id"].as_u64().unwrap()).unwrap())
            .unwrap();
        let source = if let Some(file) = img["file"].as_str() {
            assert!(
                t.is_file(),
                "{id}: a file with a base64 type is typed_api-only"
            );
            ImageSource::File(match file.strip_prefix("<temp>/") {
                Some(rest) => temp_path(dir, rest, id),
                None => fixture(file),
            })
        } else {
            assert!(
                t.is_base64(),
                "{id}: base64 with a file type is typed_api-only"
            );
            ImageSource::Base64(img["base64"].as_str().unwrap().into())
        };
        images.push(Image::new(t.kind(), source));
    }

    let mut request = SubmitRequest::new(partner_params, images);
    if let Some(info) = input.get("id_info").filter(|v| !v.is_null()) {
        request = request.with_id_info(serde_json::from_value::<IdInfo>(info.clone()).unwrap());
    }
    if let Some(options) = input.get("options") {
        request =
            request.with_options(serde_json::from_value::<JobOptions>(options.clone()).unwrap());
    }
    match input["callback_url"].as_str() {
        Some("") | None => request,
        Some(url) => request.with_default_callback_url(url),
    }
}

#[test]
fn every_submit_job_case_is_caught() {
    let doc = interop("validation_cases.json");
    let cases = doc["cases"].as_array().unwrap();
    let mut ran = Vec::new();
    let mut other_calls = Vec::new();
    let mut typed_only = 0;
    for case in cases {
        let id = case["id"].as_str().unwrap();
        if case["input"]["call"] != "submit_job" {
            other_calls.push(id);
            continue;
        }
        if case.get("typed_api").is_some() {
            typed_only += 1;
            continue;
        }
        let dir = tempfile::tempdir().unwrap();
        let result = build(case, dir.path()).validate();
        let ours = &case["ours"];
        match ours["outcome"].as_str().unwrap() {
            "accept" => {
                if let Err(p) = result {
                    panic!("{id}: expected accept, got {p}");
                }
            }
            "reject" => {
                let want: Vec<&str> = ours["problems"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c.as_str().unwrap())
                    .collect();
                let problems = match result {
                    Ok(_) => panic!("{id}: expected {want:?}, got accept"),
                    Err(p) => p,
                };
                let got: Vec<&str> = problems.codes().collect();
                assert_eq!(got, want, "{id}: {problems}");
                for p in problems.iter() {
                    assert!(!p.field.is_empty() && !p.message.is_empty(), "{id}: {p:?}");
                }
            }
            other => panic!("{id}: unknown outcome {other}"),
        }
        ran.push(id);
    }
    assert_eq!(other_calls, OTHER_CALLS, "cases for other calls changed");
    assert!(typed_only >= 10, "typed_api cases: {typed_only}");
    assert!(ran.len() >= 40, "only {} cases ran: {ran:?}", ran.len());
}

/// The official messages reused in ours where the wording exists (our text may add to it).
#[test]
fn official_wording_is_reused() {
    let doc = interop("validation_cases.json");
    let mut checked = 0;
    for id in [
        "pp-empty-user-id",
        "img-empty",
        "img-jt6-no-id-image",
        "id-jt1-no-id-image-no-info",
        "id-jt11-no-country",
        "opt-no-channel",
    ] {
        let case = doc["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let problems = build(case, dir.path()).validate().unwrap_err();
        let node = case["official"]["node_3_2_1"]["message"].as_str().unwrap();
        assert!(
            problems.iter().any(|p| p.message.contains(node)),
            "{id}: {node:?} not in {problems}"
        );
        checked += 1;
    }
    assert_eq!(checked, 6);
}

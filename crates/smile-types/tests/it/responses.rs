//! Every response sample in testdata/interop decodes, re-encodes value-identically, and means
//! what its `expect` says.

use serde_json::Value;
use smile_types::{
    Callback, ErrorBody, JobResult, JobStatusResponse, JobType, PrepUploadResponse, ResultCategory,
};

use crate::support::interop;

fn samples() -> Vec<Value> {
    interop("job_status_responses.json")["samples"]
        .as_array()
        .expect("samples")
        .clone()
}

fn json_body(sample: &Value) -> Option<Value> {
    serde_json::from_str(sample["body_text"].as_str().expect("body_text")).ok()
}

#[test]
fn every_json_sample_round_trips_as_job_status_and_error_body() {
    let mut n = 0;
    for s in samples() {
        let name = s["name"].as_str().unwrap();
        let text = s["body_text"].as_str().unwrap();
        let Some(original) = json_body(&s) else {
            // non-JSON bodies (HTML, XML) must be a decode error, not a panic
            assert!(
                JobStatusResponse::from_json(text.as_bytes()).is_err(),
                "{name}"
            );
            assert!(ErrorBody::from_json(text.as_bytes()).is_err(), "{name}");
            continue;
        };
        let status = JobStatusResponse::from_json(text.as_bytes()).expect(name);
        assert_eq!(
            serde_json::to_value(&status).unwrap(),
            original,
            "{name}: job status"
        );
        let err = ErrorBody::from_json(text.as_bytes()).expect(name);
        assert_eq!(
            serde_json::to_value(&err).unwrap(),
            original,
            "{name}: error body"
        );
        // and through serde's Deserialize
        let via: JobStatusResponse = serde_json::from_str(text).unwrap();
        assert_eq!(via, status);
        n += 1;
    }
    assert!(n >= 10, "only {n} JSON samples");
}

#[test]
fn job_status_samples_mean_what_expect_says() {
    let mut checked = 0;
    for s in samples() {
        let name = s["name"].as_str().unwrap();
        let expect = &s["expect"];
        if expect.get("job_complete").is_none() {
            continue;
        }
        let text = s["body_text"].as_str().unwrap();
        let status = JobStatusResponse::from_json(text.as_bytes()).expect(name);
        assert_eq!(
            Some(status.is_complete()),
            expect["job_complete"].as_bool(),
            "{name}"
        );
        if let Some(js) = expect.get("job_success") {
            assert_eq!(status.job_success(), js.as_bool(), "{name}");
        }
        match expect["result_kind"].as_str().unwrap() {
            "object" => assert!(matches!(status.result, JobResult::Entry(_)), "{name}"),
            "null" => assert!(status.result.is_none(), "{name}"),
            "string" => assert_eq!(
                status.result.message(),
                expect["result_text"].as_str(),
                "{name}"
            ),
            other => panic!("{name}: unknown result_kind {other}"),
        }
        if let Some(code) = expect.get("result_code") {
            let entry = status.result_entry().expect(name);
            assert_eq!(
                entry.result_code.as_ref().unwrap().as_str(),
                code.as_str().unwrap()
            );
            let explicit = status
                .interpret(JobType::SmartSelfieAuthentication)
                .unwrap();
            let echoed = status.interpret(None).unwrap();
            assert_eq!(explicit, echoed, "{name}: echoed job type is 2");
            assert_eq!(
                Some(explicit.is_final),
                expect["is_final"].as_bool(),
                "{name}"
            );
            assert_eq!(
                explicit.category.as_str(),
                expect["category"].as_str().unwrap(),
                "{name}"
            );
            assert_eq!(
                explicit.code.as_ref().map(|c| c.as_str()),
                code.as_str(),
                "{name}"
            );
        }
        if let Some(h) = expect.get("history_len") {
            assert_eq!(Some(status.history.len() as u64), h.as_u64(), "{name}");
        }
        if let Some(h) = expect.get("has_image_links") {
            assert_eq!(Some(status.image_links.is_some()), h.as_bool(), "{name}");
            if let Some(links) = &status.image_links {
                assert!(
                    links
                        .selfie_image
                        .as_deref()
                        .unwrap()
                        .starts_with("https://")
                );
            }
        }
        checked += 1;
    }
    assert_eq!(checked, 6, "job-status samples with expectations");
}

#[test]
fn provisional_sample_takes_finality_from_the_table() {
    let s = samples()
        .into_iter()
        .find(|s| s["name"] == "provisional_with_history_and_image_links")
        .unwrap();
    let status = JobStatusResponse::from_json(s["body_text"].as_str().unwrap().as_bytes()).unwrap();
    let i = status
        .interpret(JobType::SmartSelfieAuthentication)
        .unwrap();
    assert_eq!(i.finality, smile_types::FinalitySource::Table);
    assert_eq!(i.category, ResultCategory::SpoofSuspected);
    assert_eq!(i.spoof_related(), Some(true));
    let h = status.history[0].interpret(JobType::SmartSelfieAuthentication);
    assert_eq!(h, i);
    assert_eq!(status.success(), Some(true));
    assert_eq!(status.smile_job_id.as_ref().unwrap().as_str(), "0000000194");
    let actions = status.result_entry().unwrap().actions.as_ref().unwrap();
    assert_eq!(
        actions.liveness_check(),
        &smile_types::ActionResult::UnderReview
    );
    assert_eq!(actions.unknown_keys().count(), 0);
}

#[test]
fn error_samples_expose_code_and_message() {
    let mut checked = 0;
    for s in samples() {
        let name = s["name"].as_str().unwrap();
        let expect = &s["expect"];
        let Some(outcome) = expect["sdk_outcome"].as_str() else {
            continue;
        };
        if !outcome.starts_with("error: api error") && !outcome.starts_with("error: job already") {
            continue;
        }
        let Some(_) = json_body(&s) else { continue };
        let e = ErrorBody::from_json(s["body_text"].as_str().unwrap().as_bytes()).unwrap();
        assert_eq!(e.code(), expect["code"].as_str(), "{name}");
        if let Some(m) = expect.get("message") {
            assert_eq!(e.text(), m.as_str(), "{name}");
        }
        assert!(e.text().is_some(), "{name}");
        if let Some(code) = e.api_code() {
            assert!(
                code.info().is_some(),
                "{name}: {code} is in the error table"
            );
            assert!(!code.is_transient(), "{name}");
        }
        checked += 1;
    }
    assert_eq!(checked, 5);
}

#[test]
fn callbacks_decode_round_trip_and_interpret() {
    let v = interop("callbacks.json");
    let cbs = v["callbacks"].as_array().unwrap();
    assert!(cbs.len() >= 7);
    for c in cbs {
        let name = c["name"].as_str().unwrap();
        let text = c["body_text"].as_str().unwrap();
        let original: Value = serde_json::from_str(text).unwrap();
        let cb = Callback::from_json(text.as_bytes()).expect(name);
        assert_eq!(serde_json::to_value(&cb).unwrap(), original, "{name}");
        assert_eq!(cb.timestamp.as_deref(), original["timestamp"].as_str());
        assert_eq!(cb.signature.as_deref(), original["signature"].as_str());
        let expect = &c["expect"];
        assert_eq!(
            cb.result_code.as_ref().map(|c| c.as_str()),
            expect["result_code"].as_str(),
            "{name}"
        );
        if let Some(jt) = expect["job_type"].as_u64() {
            assert_eq!(
                cb.job_type().map(|t| u64::from(t.code())),
                Some(jt),
                "{name}"
            );
        }
        if let Some(cat) = expect["category"].as_str() {
            let i = cb.interpret(None);
            assert_eq!(i.category.as_str(), cat, "{name}");
            assert_eq!(Some(i.is_final), expect["final"].as_bool(), "{name}");
        }
        if let Some(key) = expect["dedupe_key"].as_array() {
            let (sid, jid) = cb.dedupe_key();
            assert_eq!(sid.map(|s| s.as_str()), key[0].as_str(), "{name}");
            assert_eq!(jid.map(|s| s.as_str()), key[1].as_str(), "{name}");
        }
    }
}

#[test]
fn lenient_callback_keeps_number_forms() {
    let v = interop("callbacks.json");
    let c = v["callbacks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "job_type_as_int_confidence_as_number")
        .unwrap();
    let cb = Callback::from_json(c["body_text"].as_str().unwrap().as_bytes()).unwrap();
    let conf = cb.confidence_value.as_ref().unwrap();
    assert!(conf.is_number());
    assert_eq!(conf.text(), "99.84");
    assert_eq!(cb.confidence(), Some(99.84));
    assert_eq!(cb.is_final_result(), Some(true));
    assert_eq!(cb.is_machine_result(), Some(true));
    let pp = cb.partner_params.as_ref().unwrap();
    assert_eq!(pp.job_type.as_ref().unwrap().raw(), &Value::from(2));
}

fn check_prep_upload(name: &str, resp: &Value) {
    let text = serde_json::to_string(resp).unwrap();
    let r = PrepUploadResponse::from_json(text.as_bytes()).expect(name);
    // raw keeps the whole object, in order: byte-identical re-encoding
    assert_eq!(serde_json::to_string(&r).unwrap(), text, "{name}");
    assert_eq!(serde_json::to_string(&r.raw).unwrap(), text, "{name}");
    assert_eq!(
        Some(r.upload_url.as_str()),
        resp["upload_url"].as_str(),
        "{name}"
    );
    assert_eq!(
        Some(r.smile_job_id.as_str()),
        resp["smile_job_id"].as_str(),
        "{name}"
    );
    assert_eq!(r.ref_id.as_deref(), resp["ref_id"].as_str(), "{name}");
    assert_eq!(r.code.as_deref(), resp["code"].as_str(), "{name}");
    assert_eq!(
        r.camera_config.as_ref(),
        resp.get("camera_config"),
        "{name}"
    );
}

#[test]
fn prep_upload_responses_decode_and_keep_raw() {
    let mut n = 0;
    for file in ["prep_upload_node.json", "prep_upload_python.json"] {
        let v = interop(file);
        for variant in v["variants"].as_array().unwrap() {
            let name = format!("{file}/{}", variant["name"].as_str().unwrap());
            check_prep_upload(&name, &variant["response_used"]);
            n += 1;
        }
    }
    let canonical = interop("canonical_job2.json");
    check_prep_upload(
        "canonical_job2",
        &canonical["inputs"]["prep_upload_response"],
    );
    assert_eq!(n, 4);
}

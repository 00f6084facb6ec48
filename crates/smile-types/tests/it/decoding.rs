//! Decoding what the server sends: per-entry Actions decoding (one odd value drops nothing
//! else), string-only partner ids, and job status and error bodies that re-encode
//! value-identically.

use serde_json::{Value, json};
use smile_types::{ActionKey, ActionResult, Callback, JobStatusResponse, ResultEntry};

#[test]
fn one_non_string_action_does_not_drop_the_others() {
    let body = json!({
        "ResultCode": "0821",
        "Actions": {"Verify_ID_Number": null, "Liveness_Check": "Failed", "Selfie_Provided": 1},
        "PartnerParams": {"job_type": 2}
    });
    let e: ResultEntry = serde_json::from_value(body.clone()).unwrap();
    let actions = e.actions.as_ref().expect("Actions decoded");
    assert!(!e.extra.contains_key("Actions"));
    assert_eq!(actions.liveness_check(), &ActionResult::Failed);
    assert_eq!(
        actions.verify_id_number(),
        &ActionResult::Unknown("null".into())
    );
    assert_eq!(actions.selfie_provided().as_str(), "1");
    assert_eq!(
        actions.raw_value(&ActionKey::VerifyIdNumber),
        Some(&Value::Null)
    );
    assert_eq!(serde_json::to_value(&e).unwrap(), body);

    // The same inside a job status and a callback.
    let status = json!({"job_complete": true, "result": body});
    let s: JobStatusResponse = serde_json::from_value(status.clone()).unwrap();
    let a = s.result_entry().unwrap().actions.as_ref().unwrap();
    assert_eq!(a.liveness_check(), &ActionResult::Failed);
    assert_eq!(serde_json::to_value(&s).unwrap(), status);
    let cb = Callback::from_json(
        br#"{"Actions":{"Verify_ID_Number":null,"Liveness_Check":"Failed"},"timestamp":"t","signature":"s"}"#,
    )
    .unwrap();
    assert_eq!(
        cb.actions.as_ref().unwrap().liveness_check(),
        &ActionResult::Failed
    );
}

#[test]
fn partner_id_is_never_read_from_a_number() {
    use smile_types::{PartnerId, SmileJobId};
    #[derive(serde::Deserialize)]
    struct Config {
        #[allow(dead_code)]
        partner_id: PartnerId,
    }
    let err = serde_json::from_str::<Config>(r#"{"partner_id": 85}"#)
        .err()
        .expect("a number is refused")
        .to_string();
    assert!(err.contains("PartnerId must be a JSON string"), "{err}");
    assert!(err.contains("leading zeros"), "{err}");
    let ok: Config = serde_json::from_str(r#"{"partner_id": "085"}"#).unwrap();
    assert_eq!(ok.partner_id.as_str(), "085");
    // SmileJobId still accepts numbers (the server sends both forms).
    let id: SmileJobId = serde_json::from_str("57497").unwrap();
    assert_eq!(id.as_str(), "57497");
}

#[test]
fn job_status_and_error_body_re_encode_value_identically() {
    use smile_types::{ErrorBody, JobStatusResponse};
    let text = r#"{"timestamp":"t","signature":"s","job_complete":"true","job_success":"FALSE","code":2302,"success":"false","result":null}"#;
    let s = JobStatusResponse::from_json(text.as_bytes()).unwrap();
    assert_eq!(s.job_complete(), Some(true));
    assert!(s.is_complete());
    assert_eq!(s.job_success(), Some(false));
    assert_eq!(s.success(), Some(false));
    assert_eq!(s.code(), Some("2302"));
    assert!(s.code.as_ref().unwrap().was_number());
    assert_eq!(
        serde_json::to_value(&s).unwrap(),
        serde_json::from_str::<Value>(text).unwrap()
    );
    assert_eq!(serde_json::to_string(&s).unwrap(), text);

    let text = r#"{"error":"Invalid Job Type","code":2213,"success":"false"}"#;
    let e = ErrorBody::from_json(text.as_bytes()).unwrap();
    assert_eq!(e.code(), Some("2213"));
    assert_eq!(e.api_code().unwrap().as_str(), "2213");
    assert_eq!(e.success(), Some(false));
    assert!(e.is_error());
    assert_eq!(serde_json::to_string(&e).unwrap(), text);
    // A small code keeps its number form but reads zero-padded.
    let e = ErrorBody::from_json(br#"{"code":5}"#).unwrap();
    assert_eq!(e.code(), Some("0005"));
    assert_eq!(serde_json::to_string(&e).unwrap(), r#"{"code":5}"#);
}

//! Property tests: parsers never panic, round trips are value-identical (modulo the documented
//! normalisations), and codes/job types/extras keep their forms and order.

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use smile_types::{
    ActionResult, Actions, Callback, ErrorBody, JobStatusResponse, JobType, PartnerParams,
    PrepUploadResponse, ResultCode, ResultEntry,
};

const KEYS: &[&str] = &[
    "ResultCode",
    "ResultText",
    "ResultType",
    "SmileJobID",
    "PartnerParams",
    "Actions",
    "ConfidenceValue",
    "IsFinalResult",
    "IsMachineResult",
    "JSONVersion",
    "Source",
    "user_id",
    "job_id",
    "job_type",
    "timestamp",
    "signature",
    "job_complete",
    "job_success",
    "code",
    "result",
    "history",
    "image_links",
    "success",
    "smile_job_id",
    "selfie_image",
    "error",
    "message",
    "Liveness_Check",
    "upload_url",
    "ref_id",
    "camera_config",
];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1.0e6f64..1.0e6).prop_map(Value::from),
        prop::sample::select(vec![
            "true",
            "FALSE",
            "2",
            "0820",
            "",
            "Passed",
            "https://u"
        ])
        .prop_map(|s| Value::String(s.to_owned())),
        "[a-z0-9 ]{0,6}".prop_map(Value::String),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(KEYS).prop_map(str::to_owned),
        "[a-z_]{1,5}",
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..8)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn object() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::vec((key(), json_value()), 0..12).prop_map(|kv| kv.into_iter().collect())
}

// --- the documented normalisations, written independently of the crate -----------------------

fn norm_id(m: &mut Map<String, Value>, key: &str) {
    if let Some(u) = m.get(key).and_then(Value::as_u64) {
        m.insert(key.into(), Value::String(u.to_string()));
    }
}

fn norm_entry(mut m: Map<String, Value>) -> Map<String, Value> {
    norm_id(&mut m, "SmileJobID");
    m
}

fn norm_status(mut m: Map<String, Value>) -> Map<String, Value> {
    norm_id(&mut m, "smile_job_id");
    if let Some(Value::Object(o)) = m.get("result")
        && !o.is_empty()
    {
        let e = norm_entry(o.clone());
        m.insert("result".into(), Value::Object(e));
    }
    if let Some(Value::Array(items)) = m.get("history")
        && items.iter().all(Value::is_object)
    {
        let items = items
            .iter()
            .map(|i| Value::Object(norm_entry(i.as_object().unwrap().clone())))
            .collect();
        m.insert("history".into(), Value::Array(items));
    }
    m
}

fn norm_error(m: Map<String, Value>) -> Map<String, Value> {
    m // success and code are kept as received
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn result_entry_round_trips(m in object()) {
        let e = ResultEntry::from_map(m.clone());
        prop_assert_eq!(serde_json::to_value(&e).unwrap(), Value::Object(norm_entry(m)));
    }

    #[test]
    fn job_status_round_trips(m in object()) {
        let s = JobStatusResponse::from_map(m.clone());
        prop_assert_eq!(serde_json::to_value(&s).unwrap(), Value::Object(norm_status(m)));
    }

    #[test]
    fn callback_round_trips(m in object()) {
        let c = Callback::from_map(m.clone());
        prop_assert_eq!(serde_json::to_value(&c).unwrap(), Value::Object(norm_entry(m)));
    }

    #[test]
    fn error_body_round_trips(m in object()) {
        let e = ErrorBody::from_map(m.clone());
        prop_assert_eq!(serde_json::to_value(&e).unwrap(), Value::Object(norm_error(m)));
    }

    #[test]
    fn prep_upload_is_exact_or_an_error(m in object()) {
        if let Ok(r) = PrepUploadResponse::from_map(m.clone()) {
            prop_assert_eq!(serde_json::to_string(&r).unwrap(), serde_json::to_string(&m).unwrap());
            prop_assert!(!r.upload_url.is_empty());
        }
    }

    #[test]
    fn decoders_never_panic_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        let _ = JobStatusResponse::from_json(&bytes);
        let _ = Callback::from_json(&bytes);
        let _ = ErrorBody::from_json(&bytes);
        let _ = PrepUploadResponse::from_json(&bytes);
    }

    #[test]
    fn result_code_from_integer_is_zero_padded(n in 0u64..100_000) {
        let c: ResultCode = serde_json::from_value(json!(n)).unwrap();
        prop_assert_eq!(c.as_str(), format!("{n:04}"));
        prop_assert!(c.as_str().len() >= 4);
        prop_assert_eq!(serde_json::to_value(&c).unwrap(), json!(n));
        prop_assert_eq!(&c, &ResultCode::new(format!("{n:04}")));
    }

    #[test]
    fn result_code_strings_are_verbatim(s in "\\PC{0,8}") {
        let c: ResultCode = serde_json::from_value(Value::String(s.clone())).unwrap();
        prop_assert_eq!(c.as_str(), s.as_str());
        prop_assert_eq!(serde_json::to_value(&c).unwrap(), Value::String(s));
    }

    #[test]
    fn job_type_number_and_string_agree(n in any::<u32>()) {
        let a: JobType = serde_json::from_value(json!(n)).unwrap();
        let b: JobType = serde_json::from_value(json!(n.to_string())).unwrap();
        prop_assert_eq!(a, b);
        prop_assert_eq!(a.code(), n);
        prop_assert_eq!(serde_json::to_value(a).unwrap(), json!(n));
    }

    #[test]
    fn job_type_never_panics_on_strings(s in "\\PC{0,12}") {
        let _ = serde_json::from_value::<JobType>(Value::String(s.clone()));
        let _ = s.parse::<JobType>();
    }

    #[test]
    fn partner_params_extras_keep_order(
        extras in prop::collection::vec(("[a-z]{1,6}", "\\PC{0,6}"), 0..8),
        jt in prop::sample::select(vec![1u32, 2, 4, 6, 11, 42]),
    ) {
        let mut p = PartnerParams::new("u", "j", JobType::from_code(jt));
        for (k, v) in &extras {
            p = p.with_extra(k.as_str(), v.as_str());
        }
        let text = serde_json::to_string(&p).unwrap();
        let prefix = format!(r#"{{"user_id":"u","job_id":"j","job_type":{jt}"#);
        prop_assert!(text.starts_with(&prefix), "{}", text);
        let back: PartnerParams = serde_json::from_str(&text).unwrap();
        let reserved = ["user_id", "job_id", "job_type"];
        let want: Vec<&String> = p.extra.keys().filter(|k| !reserved.contains(&k.as_str())).collect();
        prop_assert_eq!(back.extra.keys().collect::<Vec<_>>(), want);
        prop_assert_eq!(serde_json::to_string(&back).unwrap(), text);
    }

    #[test]
    fn actions_round_trip_exactly(
        entries in prop::collection::vec((
            prop_oneof![Just("Liveness_Check".to_owned()), Just("Selfie_Provided".to_owned()), "[A-Za-z_]{1,8}"],
            prop_oneof![Just("Passed".to_owned()), Just("Not Applicable".to_owned()), "\\PC{0,8}"],
        ), 0..10),
    ) {
        let mut obj = Map::new();
        for (k, v) in &entries {
            obj.insert(k.clone(), Value::String(v.clone()));
        }
        let text = serde_json::to_string(&obj).unwrap();
        let a: Actions = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(serde_json::to_string(&a).unwrap(), text);
        prop_assert_eq!(a.len(), obj.len());
        if !obj.contains_key("Liveness_Check") {
            prop_assert_eq!(a.liveness_check(), &ActionResult::NotApplicable);
        }
    }
}

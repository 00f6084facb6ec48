//! The result-code and error-code tables equal the interop files, row for row.

use serde_json::Value;
use smile_types::{
    ApiErrorCode, Certainty, CodeInfo, ErrorCodeInfo, ErrorCodeKind, JobType, ResultCategory,
    ResultCode,
};

use crate::support::interop;

fn certainty(s: &str) -> Certainty {
    match s {
        "confirmed" => Certainty::Confirmed,
        "approximate" => Certainty::Approximate,
        "low" => Certainty::Low,
        other => panic!("unexpected certainty {other}"),
    }
}

#[test]
fn result_code_table_matches_result_codes_json() {
    let v = interop("result_codes.json");
    let rows = v["codes"].as_array().expect("codes");
    assert_eq!(
        CodeInfo::all().len(),
        rows.len(),
        "table has extra or missing rows"
    );
    for (ours, row) in CodeInfo::all().iter().zip(rows) {
        let code = row["code"].as_str().unwrap();
        let job_type = row["job_type"]
            .as_u64()
            .map(|n| JobType::from_code(u32::try_from(n).unwrap()));
        assert_eq!(ours.code, code);
        assert_eq!(ours.job_type, job_type, "{code}");
        assert_eq!(ours.text, row["text"].as_str().unwrap(), "{code}");
        let cat = ResultCategory::from_name(row["category"].as_str().unwrap()).unwrap();
        assert_eq!(ours.category, cat, "{code}");
        assert_eq!(ours.category.as_str(), row["category"].as_str().unwrap());
        assert_eq!(ours.is_final, row["final"].as_bool().unwrap(), "{code}");
        assert_eq!(
            ours.spoof_related,
            row["spoof_related"].as_bool().unwrap(),
            "{code}"
        );
        assert_eq!(
            ours.certainty,
            certainty(row["certainty"].as_str().unwrap())
        );
        // the lookup finds exactly this row
        assert_eq!(ResultCode::new(code).info(job_type), Some(ours), "{code}");
    }
}

#[test]
fn pending_categories_are_never_final_in_the_file() {
    for row in CodeInfo::all() {
        assert_eq!(
            row.category.is_pending_review(),
            !row.is_final,
            "{}",
            row.code
        );
    }
}

#[test]
fn error_code_table_matches_error_codes_json() {
    let v = interop("error_codes.json");
    let rows = v["codes"].as_array().expect("codes");
    assert_eq!(
        ErrorCodeInfo::all().len(),
        rows.len(),
        "table has extra or missing rows"
    );
    for (ours, row) in ErrorCodeInfo::all().iter().zip(rows) {
        let code = row["code"].as_str().unwrap();
        assert_eq!(ours.code, code);
        assert_eq!(ours.text, row["text"].as_str(), "{code}");
        assert_eq!(ours.meaning, row["meaning"].as_str(), "{code}");
        let kind = match row["kind"].as_str().unwrap() {
            "success" => ErrorCodeKind::Success,
            "error" => ErrorCodeKind::Error,
            other => panic!("kind {other}"),
        };
        assert_eq!(ours.kind, kind, "{code}");
        assert_eq!(ours.http_status, row["http_status"].as_str(), "{code}");
        assert_eq!(ours.transient, row["transient"].as_bool(), "{code}");
        assert!(row["transient"].is_boolean() || row["transient"] == Value::Null);
        assert_eq!(
            ours.certainty,
            certainty(row["certainty"].as_str().unwrap())
        );
        let api = ApiErrorCode::new(code);
        assert_eq!(api.info(), Some(ours));
        assert_eq!(api.is_transient(), row["transient"] == Value::Bool(true));
        assert_eq!(api.is_success(), kind == ErrorCodeKind::Success);
    }
}

/// Every job type's table: job 11 reads job 6's document codes (0810 "Document Verified", the
/// emulator's default pass) and job 5's ID-authority codes in its history; job 7 reads job 5's
/// ID-authority codes; codes no table has stay unknown and are never guessed.
#[test]
fn every_job_type_has_its_code_table() {
    use ResultCategory as C;
    let cases = [
        (JobType::BiometricKyc, "0810", Some((C::Approved, true))),
        (JobType::BiometricKyc, "1012", Some((C::Approved, true))),
        (
            JobType::SmartSelfieAuthentication,
            "0820",
            Some((C::Approved, true)),
        ),
        (
            JobType::SmartSelfieAuthentication,
            "0824",
            Some((C::SpoofSuspected, false)),
        ),
        (
            JobType::SmartSelfieRegistration,
            "0840",
            Some((C::Approved, true)),
        ),
        (JobType::EnhancedKyc, "1012", Some((C::Approved, true))),
        (JobType::EnhancedKyc, "1022", Some((C::Rejected, true))),
        (
            JobType::DocumentVerification,
            "0810",
            Some((C::Approved, true)),
        ),
        (
            JobType::BusinessVerification,
            "1012",
            Some((C::Approved, true)),
        ),
        (
            JobType::BusinessVerification,
            "1013",
            Some((C::Rejected, true)),
        ),
        (
            JobType::EnhancedDocumentVerification,
            "0810",
            Some((C::Approved, true)),
        ),
        (
            JobType::EnhancedDocumentVerification,
            "0811",
            Some((C::Rejected, true)),
        ),
        (
            JobType::EnhancedDocumentVerification,
            "1020",
            Some((C::Approved, true)),
        ),
        (
            JobType::EnhancedDocumentVerification,
            "0001",
            Some((C::Rejected, true)),
        ),
        // Unknown for its job type: not guessed from another table.
        (JobType::EnhancedDocumentVerification, "0840", None),
        (JobType::SmartSelfieAuthentication, "0810", None),
        (JobType::BusinessVerification, "0820", None),
        (JobType::Other(42), "0810", None),
    ];
    for (job_type, code, want) in cases {
        let got = CodeInfo::lookup(code, Some(job_type)).map(|r| (r.category, r.is_final));
        assert_eq!(got, want, "{code} for job type {}", job_type.code());
    }
}

/// The three business-rule states are exclusive and cover every interpretation.
#[test]
fn approved_rejected_or_pending_exactly_one() {
    use smile_types::ResultEntry;
    for (code, job_type, want) in [
        ("0820", JobType::SmartSelfieAuthentication, "approved"),
        ("1220", JobType::SmartSelfieAuthentication, "approved"),
        ("0821", JobType::SmartSelfieAuthentication, "rejected"),
        ("0824", JobType::SmartSelfieAuthentication, "pending"),
        ("1015", JobType::EnhancedKyc, "rejected"), // an error that ended the job
        ("7777", JobType::SmartSelfieAuthentication, "pending"), // unknown: never guessed
    ] {
        let entry = ResultEntry::from_map(
            serde_json::json!({"ResultCode": code})
                .as_object()
                .unwrap()
                .clone(),
        );
        let i = entry.interpret(job_type);
        let states = [
            i.is_final_approval(),
            i.is_final_rejection(),
            i.is_pending(),
        ];
        assert_eq!(states.iter().filter(|s| **s).count(), 1, "{code}");
        let got = ["approved", "rejected", "pending"][states.iter().position(|s| *s).unwrap()];
        assert_eq!(got, want, "{code}");
    }
}

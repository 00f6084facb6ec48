//! Which result a job gets, and the result entries (ResultCode, ResultText, Actions…) that
//! describe it.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use smile_types::{CodeInfo, JobType, ResultCategory as Category};

/// Partner-params key that picks the (first) result code of a job.
pub const RESULT_KEY: &str = "emulator_result";
/// Partner-params key that picks the final code a provisional result turns into.
pub const FINAL_RESULT_KEY: &str = "emulator_final_result";
/// Partner-params key that makes the request itself fail with an error code (`22xx`).
pub const ERROR_KEY: &str = "emulator_error";

/// Result code a job of `job_type` gets when nothing else is asked for.
pub(crate) fn default_result(job_type: u32) -> &'static str {
    match job_type {
        2 => "0820",
        4 => "0840",
        5 | 7 => "1012",
        // 1: Biometric KYC "Enroll User"; 6 and 11: "Document Verified".
        _ => "0810",
    }
}

/// Final code after review when the partner did not pick one.
pub(crate) fn default_final(job_type: u32) -> &'static str {
    match job_type {
        2 => "1220",
        4 => "1240",
        _ => "1210",
    }
}

/// The job type whose table describes codes of `job_type` (11 borrows job 6's, 7 job 5's).
pub(crate) fn table_job_type(job_type: u32) -> u32 {
    match job_type {
        11 => 6,
        7 => 5,
        other => other,
    }
}

/// Category and finality of `code` for `job_type`, `None` if the table does not know it.
pub(crate) fn meta(code: &str, job_type: u32) -> Option<(Category, bool, &'static str)> {
    let job_type = JobType::from_code(table_job_type(job_type));
    CodeInfo::lookup(code, Some(job_type)).map(|m| (m.category, m.is_final, m.text))
}

/// The outcome chosen for a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Outcome {
    /// First (machine) result.
    pub(crate) result: String,
    /// Final result after review, when `result` is provisional.
    pub(crate) final_result: Option<String>,
}

/// Reads `emulator_result` / `emulator_final_result` from partner params and checks them
/// against the result-code table. `Err` carries a message for a 2204 error.
pub(crate) fn choose(job_type: u32, extras: &Map<String, Value>) -> Result<Outcome, String> {
    let read = |key: &str| -> Result<Option<String>, String> {
        match extras.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(format!("{:0>4}", n.to_string()))),
            Some(_) => Err(format!("partner_params.{key} must be a string result code")),
        }
    };
    let result = read(RESULT_KEY)?.unwrap_or_else(|| default_result(job_type).to_owned());
    let Some((_, is_final, _)) = meta(&result, job_type) else {
        return Err(format!(
            "partner_params.{RESULT_KEY} {result:?} is not a result code of job type {job_type} (known: {})",
            known_codes(job_type).join(", ")
        ));
    };
    let final_result = read(FINAL_RESULT_KEY)?;
    if is_final {
        if let Some(f) = final_result {
            return Err(format!(
                "partner_params.{FINAL_RESULT_KEY} {f:?} given, but {RESULT_KEY} {result:?} is already final"
            ));
        }
        return Ok(Outcome {
            result,
            final_result: None,
        });
    }
    let final_result = final_result.unwrap_or_else(|| default_final(job_type).to_owned());
    match meta(&final_result, job_type) {
        Some((_, true, _)) => Ok(Outcome {
            result,
            final_result: Some(final_result),
        }),
        _ => Err(format!(
            "partner_params.{FINAL_RESULT_KEY} {final_result:?} is not a final result code of job type {job_type}"
        )),
    }
}

/// The codes the table lists for `job_type` (plus the general ones), for error messages.
pub(crate) fn known_codes(job_type: u32) -> Vec<&'static str> {
    const ALL: &[&str] = &[
        "0810", "0811", "0812", "0813", "0814", "0815", "0816", "0820", "0821", "0822", "0823",
        "0824", "0825", "0840", "0841", "0842", "0843", "0844", "0846", "0911", "0912", "0921",
        "0922", "0941", "0942", "1012", "1013", "1014", "1015", "1016", "1020", "1021", "1022",
        "1023", "1210", "1211", "1212", "1213", "1214", "1220", "1221", "1222", "1240", "1241",
        "1242", "0001", "0903", "0907", "0908",
    ];
    ALL.iter()
        .copied()
        .filter(|c| meta(c, job_type).is_some())
        .collect()
}

/// `ResultType` per job type.
fn result_type(job_type: u32) -> &'static str {
    match job_type {
        2 | 4 => "SAIA",
        5 => "ID Verification",
        7 => "Business Verification",
        _ => "DIVA",
    }
}

const SELFIE_KEYS: &[&str] = &[
    "Human_Review_Compare",
    "Human_Review_Liveness_Check",
    "Human_Review_Update_Selfie",
    "Liveness_Check",
    "Register_Selfie",
    "Return_Personal_Info",
    "Selfie_Provided",
    "Selfie_To_ID_Authority_Compare",
    "Selfie_To_ID_Card_Compare",
    "Selfie_To_Registered_Selfie_Compare",
    "Update_Registered_Selfie_On_File",
    "Verify_ID_Number",
];

const DOCUMENT_KEYS: &[&str] = &[
    "Document_Check",
    "Human_Review_Compare",
    "Human_Review_Document_Check",
    "Human_Review_Liveness_Check",
    "Liveness_Check",
    "Register_Selfie",
    "Return_Personal_Info",
    "Selfie_Provided",
    "Selfie_To_ID_Card_Compare",
    "Verify_Document",
    "Verify_ID_Number",
];

/// The `Actions` object of a result with `code` for `job_type`; `prior` is the provisional
/// code a final human-review code follows.
pub(crate) fn actions(job_type: u32, code: &str, prior: Option<&str>) -> Map<String, Value> {
    let keys = match job_type {
        6 | 11 => DOCUMENT_KEYS,
        5 => &["Return_Personal_Info", "Verify_ID_Number"][..],
        7 => &["Return_Business_Info", "Verify_Business"][..],
        _ => SELFIE_KEYS,
    };
    let mut a: Map<String, Value> = keys
        .iter()
        .map(|k| ((*k).to_owned(), Value::from("Not Applicable")))
        .collect();
    let mut set = |k: &str, v: &str| {
        a.insert(k.to_owned(), Value::from(v));
    };
    // What each job type checks when everything passes.
    let checks: &[(&str, &str)] = match job_type {
        2 => &[
            ("Selfie_Provided", "Passed"),
            ("Liveness_Check", "Passed"),
            ("Selfie_To_Registered_Selfie_Compare", "Completed"),
        ],
        4 => &[
            ("Selfie_Provided", "Passed"),
            ("Liveness_Check", "Passed"),
            ("Register_Selfie", "Approved"),
        ],
        1 => &[
            ("Selfie_Provided", "Passed"),
            ("Liveness_Check", "Passed"),
            ("Verify_ID_Number", "Verified"),
            ("Return_Personal_Info", "Returned"),
            ("Selfie_To_ID_Authority_Compare", "Completed"),
            ("Register_Selfie", "Approved"),
        ],
        6 => &[
            ("Selfie_Provided", "Passed"),
            ("Liveness_Check", "Passed"),
            ("Document_Check", "Passed"),
            ("Verify_Document", "Passed"),
            ("Selfie_To_ID_Card_Compare", "Completed"),
            ("Register_Selfie", "Approved"),
        ],
        11 => &[
            ("Selfie_Provided", "Passed"),
            ("Liveness_Check", "Passed"),
            ("Document_Check", "Passed"),
            ("Verify_Document", "Passed"),
            ("Verify_ID_Number", "Verified"),
            ("Return_Personal_Info", "Returned"),
            ("Selfie_To_ID_Card_Compare", "Completed"),
        ],
        5 => &[
            ("Verify_ID_Number", "Verified"),
            ("Return_Personal_Info", "Returned"),
        ],
        7 => &[
            ("Verify_Business", "Verified"),
            ("Return_Business_Info", "Returned"),
        ],
        _ => &[],
    };
    // The package could not be used at all: nothing was checked.
    if matches!(code, "0001" | "0903") {
        for (k, _) in checks {
            set(k, "Not Done");
        }
        if code == "0001" && checks.iter().any(|(k, _)| *k == "Selfie_Provided") {
            set("Selfie_Provided", "Failed");
        }
        return a;
    }
    for (k, v) in checks {
        set(k, v);
    }
    let after_spoof_review = matches!(
        prior,
        None | Some("0822" | "0824" | "0842" | "0844" | "0846" | "0812" | "0814")
    );
    let after_compare_review = matches!(prior, Some("0822" | "0825" | "0812" | "0815"));
    match (job_type, code) {
        (_, "0907") => set("Liveness_Check", "Failed"),
        (_, "0908") => set("Verify_ID_Number", "Issuer Unavailable"),
        // SmartSelfie Authentication.
        (2, "0821") => set("Selfie_To_Registered_Selfie_Compare", "Failed"),
        (2, "0822") => {
            set("Liveness_Check", "Under Review");
            set("Selfie_To_Registered_Selfie_Compare", "Under Review");
        }
        (2, "0823") => set("Liveness_Check", "Failed"),
        (2, "0824") => set("Liveness_Check", "Under Review"),
        (2, "0825") => set("Selfie_To_Registered_Selfie_Compare", "Under Review"),
        (2, "0921" | "0922") => {
            set("Selfie_Provided", "Failed");
            set("Liveness_Check", "Not Done");
            set("Selfie_To_Registered_Selfie_Compare", "Not Done");
        }
        (2, "1220") => {
            if after_spoof_review {
                set("Human_Review_Liveness_Check", "Passed");
            }
            if after_compare_review {
                set("Human_Review_Compare", "Passed");
            }
        }
        (2, "1221") => {
            if after_spoof_review && prior.is_some() {
                set("Human_Review_Liveness_Check", "Passed");
            }
            set("Human_Review_Compare", "Failed");
        }
        (2, "1222") => {
            set("Liveness_Check", "Failed");
            set("Human_Review_Liveness_Check", "Failed");
        }
        // SmartSelfie Registration.
        (4, "0841") => set("Register_Selfie", "Rejected"),
        (4, "0842" | "0844" | "0846") => {
            set("Liveness_Check", "Under Review");
            set("Register_Selfie", "Under Review");
        }
        (4, "0843") => {
            set("Liveness_Check", "Failed");
            set("Register_Selfie", "Rejected");
        }
        (4, "0941" | "0942") => {
            set("Selfie_Provided", "Failed");
            set("Liveness_Check", "Not Done");
            set("Register_Selfie", "Not Done");
        }
        (4, "1240") => set("Human_Review_Liveness_Check", "Passed"),
        (4, "1241") => {
            set("Human_Review_Update_Selfie", "Failed");
            set("Register_Selfie", "Rejected");
        }
        (4, "1242") => {
            set("Liveness_Check", "Failed");
            set("Human_Review_Liveness_Check", "Failed");
            set("Register_Selfie", "Rejected");
        }
        // Biometric KYC.
        (1, "0811") => {
            set("Selfie_To_ID_Authority_Compare", "Failed");
            set("Register_Selfie", "Rejected");
        }
        (1, "0812" | "0814") => {
            set("Liveness_Check", "Under Review");
            set("Register_Selfie", "Under Review");
        }
        (1, "0815") => {
            set("Selfie_To_ID_Authority_Compare", "Under Review");
            set("Register_Selfie", "Under Review");
        }
        (1, "0813") => {
            set("Liveness_Check", "Failed");
            set("Register_Selfie", "Rejected");
        }
        (1, "0911" | "0912") => {
            set("Selfie_Provided", "Failed");
            set("Liveness_Check", "Not Done");
            set("Selfie_To_ID_Authority_Compare", "Not Done");
            set("Register_Selfie", "Not Done");
        }
        (1, "1210") => {
            if after_spoof_review {
                set("Human_Review_Liveness_Check", "Passed");
            }
            set("Human_Review_Compare", "Passed");
        }
        (1, "1211" | "1214") => {
            set("Human_Review_Compare", "Failed");
            set("Register_Selfie", "Rejected");
        }
        (1, "1212" | "1213") => {
            set("Liveness_Check", "Failed");
            set("Human_Review_Liveness_Check", "Failed");
            set("Register_Selfie", "Rejected");
        }
        // Document Verification and Enhanced Document Verification.
        (6 | 11, "0811") => {
            set("Selfie_To_ID_Card_Compare", "Failed");
            set("Register_Selfie", "Rejected");
        }
        (6 | 11, "0812") => set("Document_Check", "Failed"),
        (6 | 11, "0813") => set("Verify_Document", "Failed"),
        (6 | 11, "0816") => {
            set("Document_Check", "Not Done");
            set("Verify_Document", "Not Done");
        }
        // ID authority lookups.
        (5 | 7, "1013" | "1022" | "1023") => {
            let (verify, ret) = if job_type == 7 {
                ("Verify_Business", "Return_Business_Info")
            } else {
                ("Verify_ID_Number", "Return_Personal_Info")
            };
            set(verify, "Not Verified");
            set(ret, "Not Returned");
        }
        (5 | 7, "1014" | "1015" | "1016") => {
            let (verify, ret) = if job_type == 7 {
                ("Verify_Business", "Return_Business_Info")
            } else {
                ("Verify_ID_Number", "Return_Personal_Info")
            };
            set(
                verify,
                if code == "1015" {
                    "Issuer Unavailable"
                } else {
                    "Not Done"
                },
            );
            set(ret, "Not Returned");
        }
        (5 | 7, "1021") => set(
            if job_type == 7 {
                "Verify_Business"
            } else {
                "Verify_ID_Number"
            },
            "Partial Match",
        ),
        _ => {}
    }
    a
}

/// Everything a result entry needs besides the code.
pub(crate) struct EntryContext<'a> {
    pub(crate) job_type: u32,
    pub(crate) smile_job_id: &'a str,
    pub(crate) partner_params: &'a Map<String, Value>,
}

/// Builds one result entry (as in `job_status` `result` / `history` and in callbacks, without
/// `timestamp` and `signature`).
pub(crate) fn result_entry(
    ctx: &EntryContext<'_>,
    code: &str,
    prior: Option<&str>,
    detail: Option<&str>,
) -> Map<String, Value> {
    let (category, is_final, text) =
        meta(code, ctx.job_type).map_or((Category::Error, true, "Unknown"), |(c, f, t)| (c, f, t));
    let confidence = match category {
        Category::Approved | Category::Provisional | Category::SpoofSuspected => "99.84",
        Category::Rejected if !matches!(code, "0001" | "0903") => "12.31",
        _ => "0",
    };
    let human = code.starts_with("12");
    let mut e = Map::new();
    e.insert("Source".into(), json!("WebAPI"));
    e.insert(
        "Actions".into(),
        Value::Object(actions(ctx.job_type, code, prior)),
    );
    e.insert("ResultCode".into(), json!(code));
    e.insert("ResultText".into(), json!(text));
    e.insert("ResultType".into(), json!(result_type(ctx.job_type)));
    e.insert("SmileJobID".into(), json!(ctx.smile_job_id));
    e.insert("JSONVersion".into(), json!("1.0.0"));
    e.insert("IsFinalResult".into(), json!(is_final.to_string()));
    e.insert("IsMachineResult".into(), json!((!human).to_string()));
    e.insert(
        "PartnerParams".into(),
        Value::Object(ctx.partner_params.clone()),
    );
    e.insert("ConfidenceValue".into(), json!(confidence));
    if let Some(detail) = detail {
        e.insert("EmulatorDetail".into(), json!(detail));
    }
    e
}

/// The result entry of an ID lookup (job 5), a business lookup (job 7) or the ID step of a
/// Biometric KYC job.
pub(crate) fn id_result_entry(
    ctx: &EntryContext<'_>,
    code: &str,
    id_info: &Map<String, Value>,
) -> Map<String, Value> {
    let (text, is_final) = meta(code, ctx.job_type).map_or(("Unknown", true), |(_, f, t)| (t, f));
    let found = is_approved(ctx.job_type, code);
    let field = |k: &str| {
        id_info
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or("Not Available")
            .to_owned()
    };
    let mut e = Map::new();
    e.insert("SmileJobID".into(), json!(ctx.smile_job_id));
    e.insert(
        "PartnerParams".into(),
        Value::Object(ctx.partner_params.clone()),
    );
    let business = ctx.job_type == 7;
    e.insert(
        "ResultType".into(),
        json!(if business {
            "Business Verification"
        } else {
            "ID Verification"
        }),
    );
    e.insert("ResultText".into(), json!(text));
    e.insert("ResultCode".into(), json!(code));
    e.insert("IsFinalResult".into(), json!(is_final.to_string()));
    e.insert(
        "Actions".into(),
        Value::Object(actions(ctx.job_type, code, None)),
    );
    e.insert("Country".into(), json!(field("country")));
    e.insert("IDType".into(), json!(field("id_type")));
    e.insert("IDNumber".into(), json!(field("id_number")));
    if business {
        if found {
            e.insert(
                "company_information".into(),
                json!({
                    "company_type": "PRIVATE_COMPANY_LIMITED_BY_SHARES",
                    "country": field("country"),
                    "address": "1 Emulator Way, Lagos",
                    "registration_number": field("id_number"),
                    "search_number": field("id_number"),
                    "authorized_shared_capital": "10000000",
                    "industry": "Software",
                    "tax_id": "Not Available",
                    "registration_date": "2020-01-01T00:00:00.000Z",
                    "phone": "Not Available",
                    "legal_name": "EMULATOR TEST LIMITED",
                    "state": "Lagos",
                    "email": "Not Available",
                    "status": "ACTIVE"
                }),
            );
            e.insert(
                "directors".into(),
                json!([{"name": "ADA LOVELACE", "shareholdings": "100", "id_number": "Not Available", "id_type": "Not Available", "nationality": "Nigerian", "occupation": "Director", "phone_number": "Not Available", "address": "Not Available"}]),
            );
            e.insert("beneficial_owners".into(), json!([]));
        }
    } else {
        let (full_name, dob) = if found {
            let first = field("first_name");
            let last = field("last_name");
            let name = if id_info.contains_key("first_name") || id_info.contains_key("last_name") {
                format!("{first} {last}")
                    .replace("Not Available", "")
                    .trim()
                    .to_owned()
            } else {
                "Ada Lovelace".to_owned()
            };
            let dob = id_info
                .get("dob")
                .and_then(Value::as_str)
                .unwrap_or("1990-01-01")
                .to_owned();
            (name, dob)
        } else {
            ("Not Available".to_owned(), "Not Available".to_owned())
        };
        e.insert("FullName".into(), json!(full_name));
        e.insert("DOB".into(), json!(dob));
        e.insert(
            "Gender".into(),
            json!(if found { "F" } else { "Not Available" }),
        );
        e.insert("PhoneNumber".into(), json!(field("phone_number")));
        e.insert("ExpirationDate".into(), json!("Not Available"));
        e.insert("Photo".into(), json!("Not Available"));
        e.insert("Address".into(), json!("Not Available"));
        e.insert("FullData".into(), json!({}));
    }
    e.insert("Source".into(), json!("ID API"));
    e
}

/// Whether a job with this last result counts as successful (`job_success`): approved, or
/// provisionally approved / under review.
pub(crate) fn is_success(job_type: u32, code: &str) -> bool {
    matches!(
        meta(code, job_type),
        Some((
            Category::Approved | Category::Provisional | Category::SpoofSuspected,
            _,
            _
        ))
    )
}

/// Whether the result approves the user (enrolment for jobs 1, 4 and 6).
pub(crate) fn is_approved(job_type: u32, code: &str) -> bool {
    matches!(meta(code, job_type), Some((Category::Approved, _, _)))
}

/// The partner params as echoed in results: `user_id`, `job_id`, `job_type` as a string, then
/// the extra keys in the caller's order.
pub(crate) fn echo_partner_params(
    user_id: &str,
    job_id: &str,
    job_type: u32,
    extras: &Map<String, Value>,
) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("user_id".into(), json!(user_id));
    m.insert("job_id".into(), json!(job_id));
    m.insert("job_type".into(), json!(job_type.to_string()));
    for (k, v) in extras {
        m.insert(k.clone(), v.clone());
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn extras(pairs: &[(&str, &str)]) -> Map<String, Value> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), json!(v)))
            .collect()
    }

    #[test]
    fn defaults_per_job_type() {
        for (jt, code) in [
            (1, "0810"),
            (2, "0820"),
            (4, "0840"),
            (6, "0810"),
            (11, "0810"),
        ] {
            let o = choose(jt, &Map::new()).unwrap();
            assert_eq!(o.result, code);
            assert_eq!(o.final_result, None);
            assert!(is_approved(jt, code));
        }
    }

    #[test]
    fn provisional_gets_a_final() {
        let o = choose(2, &extras(&[(RESULT_KEY, "0824")])).unwrap();
        assert_eq!(o.final_result.as_deref(), Some("1220"));
        let o = choose(
            2,
            &extras(&[(RESULT_KEY, "0825"), (FINAL_RESULT_KEY, "1221")]),
        )
        .unwrap();
        assert_eq!(o.final_result.as_deref(), Some("1221"));
        let o = choose(4, &extras(&[(RESULT_KEY, "0844")])).unwrap();
        assert_eq!(o.final_result.as_deref(), Some("1240"));
    }

    #[test]
    fn bad_choices_are_explained() {
        let e = choose(2, &extras(&[(RESULT_KEY, "0840")])).unwrap_err();
        assert!(e.contains("not a result code of job type 2"), "{e}");
        assert!(e.contains("0820"), "lists the known codes: {e}");
        let e = choose(
            2,
            &extras(&[(RESULT_KEY, "0820"), (FINAL_RESULT_KEY, "1220")]),
        )
        .unwrap_err();
        assert!(e.contains("already final"), "{e}");
        let e = choose(
            2,
            &extras(&[(RESULT_KEY, "0824"), (FINAL_RESULT_KEY, "0822")]),
        )
        .unwrap_err();
        assert!(e.contains("not a final result code"), "{e}");
        let mut m = Map::new();
        m.insert(RESULT_KEY.into(), json!(true));
        assert!(choose(2, &m).is_err());
    }

    #[test]
    fn numeric_choice_is_zero_padded() {
        let mut m = Map::new();
        m.insert(RESULT_KEY.into(), json!(821));
        assert_eq!(choose(2, &m).unwrap().result, "0821");
    }

    #[test]
    fn general_codes_are_allowed_everywhere() {
        for jt in [1, 2, 4, 6, 11] {
            assert!(choose(jt, &extras(&[(RESULT_KEY, "0903")])).is_ok());
        }
    }

    #[test]
    fn job2_actions_follow_the_samples() {
        let a = actions(2, "0820", None);
        assert_eq!(a.len(), 12);
        assert_eq!(a["Liveness_Check"], "Passed");
        assert_eq!(a["Selfie_To_Registered_Selfie_Compare"], "Completed");
        assert_eq!(a["Register_Selfie"], "Not Applicable");
        assert_eq!(
            actions(2, "0821", None)["Selfie_To_Registered_Selfie_Compare"],
            "Failed"
        );
        assert_eq!(actions(2, "0824", None)["Liveness_Check"], "Under Review");
        let final_ = actions(2, "1220", Some("0824"));
        assert_eq!(final_["Liveness_Check"], "Passed");
        assert_eq!(final_["Human_Review_Liveness_Check"], "Passed");
        assert_eq!(final_["Human_Review_Compare"], "Not Applicable");
        assert_eq!(
            actions(2, "1220", Some("0825"))["Human_Review_Compare"],
            "Passed"
        );
        assert_eq!(
            actions(2, "1222", Some("0824"))["Human_Review_Liveness_Check"],
            "Failed"
        );
    }

    #[test]
    fn entry_shape() {
        let pp = echo_partner_params("u", "j", 2, &extras(&[("tag", "x")]));
        let ctx = EntryContext {
            job_type: 2,
            smile_job_id: "0000000001",
            partner_params: &pp,
        };
        let e = result_entry(&ctx, "0824", None, None);
        let keys: Vec<&str> = e.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "Source",
                "Actions",
                "ResultCode",
                "ResultText",
                "ResultType",
                "SmileJobID",
                "JSONVersion",
                "IsFinalResult",
                "IsMachineResult",
                "PartnerParams",
                "ConfidenceValue"
            ]
        );
        assert_eq!(e["ResultText"], "Provisional Authentication - Under Review");
        assert_eq!(e["IsFinalResult"], "false");
        assert_eq!(
            serde_json::to_string(&e["PartnerParams"]).unwrap(),
            r#"{"user_id":"u","job_id":"j","job_type":"2","tag":"x"}"#
        );
        let e = result_entry(&ctx, "1220", Some("0824"), None);
        assert_eq!(e["IsMachineResult"], "false");
        assert_eq!(e["IsFinalResult"], "true");
    }
}

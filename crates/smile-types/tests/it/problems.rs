//! ProblemCode covers exactly the `problem_codes` of validation_cases.json.

use smile_types::ProblemCode;

use crate::support::interop;

#[test]
fn problem_codes_match_validation_cases_exactly() {
    let v = interop("validation_cases.json");
    let file_codes: Vec<&str> = v["problem_codes"]
        .as_object()
        .expect("problem_codes object")
        .keys()
        .map(String::as_str)
        .collect();
    let ours: Vec<&str> = ProblemCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(ours, file_codes);
    for code in file_codes {
        assert_eq!(code.parse::<ProblemCode>().unwrap().as_str(), code);
    }
}

#[test]
fn every_expected_code_in_cases_is_known() {
    let v = interop("validation_cases.json");
    let mut seen = 0;
    for case in v["cases"].as_array().expect("cases") {
        if let Some(codes) = case["ours"]
            .get("problems")
            .or_else(|| case["ours"].get("codes"))
        {
            for c in codes.as_array().into_iter().flatten() {
                let s = c
                    .as_str()
                    .or_else(|| c.get("code").and_then(|x| x.as_str()));
                if let Some(s) = s {
                    s.parse::<ProblemCode>()
                        .unwrap_or_else(|e| panic!("{}: {e}", case["id"]));
                    seen += 1;
                }
            }
        }
    }
    assert!(seen > 10, "only {seen} codes found in cases");
}

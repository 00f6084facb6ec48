//! docs/protocol.md §8 (other calls) and §9 (callbacks) for them: Enhanced KYC (job 5) and
//! business verification (job 7), sync and async, `/token`, `/services`, `/valid_documents`,
//! and `job_status` for jobs of every type.

mod common;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use common::*;
use serde_json::{Value, json};
use smile_emulator::{Emulator, FixedClock};

async fn quick() -> Emulator {
    Emulator::builder()
        .processing_delay(Duration::ZERO)
        .callback_retries(2, Duration::from_millis(10))
        .start()
        .await
        .unwrap()
}

/// A signed ID-API body (§8.2 / §8.3) for `job_id` of user "u"; `fields` go at the top level.
fn id_body(api: &Api, job_id: &str, job_type: Value, fields: Value) -> Value {
    let (ts, sig) = api.signed();
    let mut body = json!({
        "partner_id": api.partner_id,
        "partner_params": {"user_id": "u", "job_id": job_id, "job_type": job_type},
    });
    for (k, v) in fields.as_object().unwrap() {
        body[k] = v.clone();
    }
    body["source_sdk"] = json!("rust");
    body["source_sdk_version"] = json!("0.1.0");
    body["timestamp"] = json!(ts);
    body["signature"] = json!(sig);
    body
}

fn kyc_fields() -> Value {
    json!({"country": "NG", "id_type": "BVN", "id_number": "00000000000", "first_name": "Ada", "last_name": "Lovelace", "dob": "1815-12-10", "bank_code": "058", "consent_information": {"consented": true}})
}

fn kyb_fields() -> Value {
    json!({"country": "NG", "id_type": "BUSINESS_REGISTRATION", "id_number": "RC0000000", "business_type": "co"})
}

/// The fields §8.2 lists for an ID lookup result, with the values of `kyc_fields`.
fn assert_kyc_entry(entry: &Value, job_id: &str) {
    assert_eq!(
        entry["PartnerParams"],
        json!({"user_id": "u", "job_id": job_id, "job_type": "5"})
    );
    assert_eq!(entry["ResultType"], "ID Verification");
    assert_eq!(entry["ResultCode"], "1012");
    assert_eq!(entry["ResultText"], "ID Number Validated");
    assert_eq!(entry["IsFinalResult"], "true");
    assert_eq!(
        entry["Actions"],
        json!({"Return_Personal_Info": "Returned", "Verify_ID_Number": "Verified"})
    );
    assert_eq!(entry["Country"], "NG");
    assert_eq!(entry["IDType"], "BVN");
    assert_eq!(entry["IDNumber"], "00000000000");
    assert_eq!(entry["FullName"], "Ada Lovelace");
    assert_eq!(entry["DOB"], "1815-12-10");
    for key in ["ExpirationDate", "Photo", "FullData", "SmileJobID"] {
        assert!(entry.get(key).is_some(), "{key} in {entry}");
    }
}

/// The fields §8.3 lists for a business verification result.
fn assert_kyb_entry(entry: &Value, job_id: &str) {
    assert_eq!(
        entry["PartnerParams"],
        json!({"user_id": "u", "job_id": job_id, "job_type": "7"})
    );
    assert_eq!(entry["ResultType"], "Business Verification");
    assert_eq!(entry["ResultCode"], "1012");
    assert_eq!(
        entry["Actions"],
        json!({"Return_Business_Info": "Returned", "Verify_Business": "Verified"})
    );
    assert_eq!(
        entry["company_information"]["registration_number"],
        "RC0000000"
    );
    assert!(entry["directors"].is_array(), "{entry}");
    assert!(entry["beneficial_owners"].is_array(), "{entry}");
}

#[tokio::test]
async fn enhanced_kyc_sync_answers_a_signed_result_kept_for_job_status() {
    let emulator = quick().await;
    let api = Api::new(&emulator);
    let (status, body) = api
        .post(
            "id_verification",
            &id_body(&api, "k1", json!(5), kyc_fields()),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        verify(&api.api_key, &api.partner_id, &body),
        "signed: {body}"
    );
    assert_kyc_entry(&body, "k1");
    let (status, s) = api.job_status("u", "k1", true, false).await;
    assert_eq!(status, 200, "{s}");
    assert!(verify(&api.api_key, &api.partner_id, &s));
    assert_eq!(
        (s["job_complete"].as_bool(), s["job_success"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(s["code"], "2302");
    assert_eq!(s["smile_job_id"], body["SmileJobID"]);
    let mut entry = body.clone();
    entry.as_object_mut().unwrap().remove("timestamp");
    entry.as_object_mut().unwrap().remove("signature");
    assert_eq!(s["result"], entry, "job_status shows the same result");
    assert_eq!(s["history"], json!([entry]));
}

#[tokio::test]
async fn business_verification_sync_answers_a_signed_result_kept_for_job_status() {
    let emulator = quick().await;
    let api = Api::new(&emulator);
    let (status, body) = api
        .post(
            "business_verification",
            &id_body(&api, "b1", json!(7), kyb_fields()),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(verify(&api.api_key, &api.partner_id, &body));
    assert_kyb_entry(&body, "b1");
    let (_, s) = api.job_status("u", "b1", true, false).await;
    assert_eq!(s["job_complete"], true);
    assert_eq!(s["history"].as_array().unwrap().len(), 1);
    assert_kyb_entry(&s["result"], "b1");
}

/// The async forms answer `{"success": true, "smile_job_id"}` at once, show the job as
/// processing in `job_status` until the result is due (by the emulator's clock), then POST a
/// signed callback carrying the result, which `job_status` (with history) then shows too.
#[tokio::test]
async fn async_kyc_and_kyb_post_signed_callbacks_and_answer_job_status() {
    let clock = Arc::new(FixedClock::new(SystemTime::now()));
    let emulator = Emulator::builder()
        .processing_delay(Duration::from_secs(3))
        .clock(clock.clone())
        .start()
        .await
        .unwrap();
    let api = Api::new(&emulator);
    let mut rx = receiver(vec![]).await;
    for (path, job_id, job_type, fields) in [
        ("async_id_verification", "ak", 5, kyc_fields()),
        ("async_business_verification", "ab", 7, kyb_fields()),
    ] {
        let mut fields = fields;
        fields["callback_url"] = json!(rx.url);
        let (status, body) = api
            .post(path, &id_body(&api, job_id, json!(job_type), fields))
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["success"], true);
        let smile_job_id = body["smile_job_id"].as_str().unwrap().to_owned();

        let (status, s) = api.job_status("u", job_id, true, false).await;
        assert_eq!(status, 200);
        assert!(verify(&api.api_key, &api.partner_id, &s));
        assert_eq!(s["job_complete"], false, "{s}");
        assert_eq!(s["result"], Value::Null);
        assert_eq!(s["history"], json!([]));

        clock.advance(Duration::from_secs(3));
        let callback = rx.next().await;
        assert!(
            verify(&api.api_key, &api.partner_id, &callback),
            "{callback}"
        );
        assert_eq!(callback["SmileJobID"], smile_job_id.as_str());
        if job_type == 5 {
            assert_kyc_entry(&callback, job_id);
        } else {
            assert_kyb_entry(&callback, job_id);
        }
        let (_, s) = api.job_status("u", job_id, true, false).await;
        assert_eq!(s["job_complete"], true, "{s}");
        assert_eq!(s["job_success"], true);
        let mut entry = callback.clone();
        entry.as_object_mut().unwrap().remove("timestamp");
        entry.as_object_mut().unwrap().remove("signature");
        assert_eq!(s["result"], entry);
        assert_eq!(s["history"], json!([entry]));
    }
    let log = emulator.state().callbacks();
    assert_eq!(log.len(), 2, "{log:?}");
}

/// A rejected lookup is a 200 with the rejection's code (not an HTTP error).
#[tokio::test]
async fn a_rejected_lookup_is_a_result_not_an_error() {
    let emulator = quick().await;
    let api = Api::new(&emulator);
    let mut body = id_body(&api, "k-nf", json!(5), kyc_fields());
    body["partner_params"]["emulator_result"] = json!("1013");
    let (status, body) = api.post("id_verification", &body).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ResultCode"], "1013");
    assert_eq!(body["Actions"]["Verify_ID_Number"], "Not Verified");
    assert_eq!(body["FullName"], "Not Available");
    let (_, s) = api.job_status("u", "k-nf", false, false).await;
    assert_eq!(
        (s["job_complete"].as_bool(), s["job_success"].as_bool()),
        (Some(true), Some(false))
    );
}

/// Request validation on the ID API: 2405 for authentication, 2413 for every field problem
/// (missing, wrong type, bad format, unsupported business type), 2215 for a reused job id.
#[tokio::test]
async fn id_api_validation_uses_the_id_api_codes() {
    let emulator = quick().await;
    let api = Api::new(&emulator);
    let without = |key: &str| {
        let mut fields = kyc_fields();
        fields.as_object_mut().unwrap().remove(key);
        fields
    };
    let with = |key: &str, value: Value| {
        let mut fields = kyc_fields();
        fields[key] = value;
        fields
    };
    let cases: Vec<(&str, &str, Value, u16, &str, &str)> = vec![
        (
            "id_verification",
            "v1",
            without("country"),
            400,
            "2413",
            "country",
        ),
        (
            "id_verification",
            "v2",
            without("id_type"),
            400,
            "2413",
            "id_type",
        ),
        (
            "id_verification",
            "v3",
            without("id_number"),
            400,
            "2413",
            "id_number",
        ),
        (
            "id_verification",
            "v4",
            with("id_number", json!("")),
            400,
            "2413",
            "id_number",
        ),
        (
            "id_verification",
            "v5",
            with("country", json!("ng")),
            400,
            "2413",
            "ISO 3166-1",
        ),
        (
            "id_verification",
            "v6",
            with("country", json!("NGA")),
            400,
            "2413",
            "ISO 3166-1",
        ),
        (
            "id_verification",
            "v7",
            with("id_number", json!(123)),
            400,
            "2413",
            "wrong data type",
        ),
        (
            "id_verification",
            "v8",
            with("dob", json!(false)),
            400,
            "2413",
            "wrong data type",
        ),
        (
            "id_verification",
            "v9",
            with("callback_url", json!("/relative")),
            400,
            "2413",
            "callback_url",
        ),
        (
            "async_id_verification",
            "v10",
            kyc_fields(),
            400,
            "2413",
            "callback_url",
        ),
        (
            "async_business_verification",
            "v11",
            kyb_fields(),
            400,
            "2413",
            "callback_url",
        ),
        (
            "business_verification",
            "v12",
            json!({"country": "NG", "id_type": "BVN", "id_number": "1"}),
            400,
            "2413",
            "id_type",
        ),
        (
            "business_verification",
            "v13",
            json!({"country": "NG", "id_type": "BUSINESS_REGISTRATION", "id_number": "1", "business_type": "xx"}),
            400,
            "2413",
            "Unsupported business type",
        ),
    ];
    for (path, job_id, fields, status, code, needle) in cases {
        let (got, body) = api
            .post(
                path,
                &id_body(
                    &api,
                    job_id,
                    json!(5 + 2 * u32::from(path.contains("business"))),
                    fields,
                ),
            )
            .await;
        assert_eq!(
            (got, body["code"].as_str()),
            (status, Some(code)),
            "{path} {job_id}: {body}"
        );
        assert!(
            body["error"].as_str().unwrap().contains(needle),
            "{path} {job_id}: {body}"
        );
        assert!(emulator.state().job(job_id).is_none(), "{job_id}: no job");
    }
    // The job type must be the endpoint's.
    let wrong_type = id_body(&api, "v14", json!(7), kyc_fields());
    let (status, body) = api.post("id_verification", &wrong_type).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("2413")),
        "{body}"
    );
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("\"job_type\" must be 5")
    );
    for (mutate, needle) in [
        (json!({"partner_params": null}), "partner_params"),
        (
            json!({"partner_params": {"user_id": "u", "job_type": 5}}),
            "job_id",
        ),
        (
            json!({"partner_params": {"user_id": "", "job_id": "x", "job_type": 5}}),
            "user_id",
        ),
        (json!({"partner_params": "u"}), "partner_params"),
    ] {
        let mut body = id_body(&api, "pp", json!(5), kyc_fields());
        for (k, v) in mutate.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (status, body) = api.post("id_verification", &body).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (400, Some("2413")),
            "{needle}: {body}"
        );
        assert!(body["error"].as_str().unwrap().contains(needle), "{body}");
    }
    // Authentication: 2405 on the ID API.
    let mut bad_sig = id_body(&api, "s1", json!(5), kyc_fields());
    bad_sig["signature"] = json!("M3cQo5OzgcEz2Z+rTIzsnqZscb0YgycidLTnE0g9YjY=");
    let mut bad_partner = id_body(&api, "s2", json!(5), kyc_fields());
    bad_partner["partner_id"] = json!("002");
    let mut no_timestamp = id_body(&api, "s3", json!(5), kyc_fields());
    no_timestamp.as_object_mut().unwrap().remove("timestamp");
    for body in [bad_sig, bad_partner, no_timestamp] {
        let (status, reply) = api.post("business_verification", &body).await;
        assert_eq!(
            (status, reply["code"].as_str()),
            (401, Some("2405")),
            "{reply}"
        );
    }
    // A job id used before.
    let (status, _) = api
        .post(
            "id_verification",
            &id_body(&api, "dup", json!(5), kyc_fields()),
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = api
        .post(
            "async_business_verification",
            &id_body(&api, "dup", json!(7), {
                let mut f = kyb_fields();
                f["callback_url"] = json!("http://127.0.0.1:9/cb");
                f
            }),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("2215")),
        "{body}"
    );
}

#[tokio::test]
async fn token_checks_the_callback_first_with_the_official_messages() {
    let emulator = quick().await;
    let api = Api::new(&emulator);
    let api = &api;
    let token = |fields: Value| {
        let (ts, sig) = api.signed();
        let mut body = json!({"partner_id": api.partner_id});
        for (k, v) in fields.as_object().unwrap() {
            body[k] = v.clone();
        }
        body["timestamp"] = json!(ts);
        body["signature"] = json!(sig);
        async move { api.post("token", &body).await }
    };
    let (status, body) = token(json!({"user_id": "u", "job_id": "t", "product": "biometric_kyc", "callback_url": "http://127.0.0.1:9/cb"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["success"], true);
    assert!(
        body["token"]
            .as_str()
            .unwrap()
            .starts_with("emulator-web-token-biometric_kyc-")
    );
    assert_eq!(body.as_object().unwrap().len(), 2, "{body}");
    for (fields, code, message) in [
        (
            json!({}),
            "2213",
            "Callback URL is required for this method",
        ),
        (
            json!({"product": "smartselfie", "callback_url": "http://127.0.0.1:9/cb"}),
            "2213",
            "user_id is required to get a web token",
        ),
        (
            json!({"user_id": "u", "callback_url": "http://127.0.0.1:9/cb"}),
            "2213",
            "job_id is required to get a web token",
        ),
        (
            json!({"user_id": "u", "job_id": "t", "callback_url": "http://127.0.0.1:9/cb"}),
            "2213",
            "product is required to get a web token",
        ),
        (
            json!({"user_id": "u", "job_id": "t", "product": "x", "callback_url": "ftp://x"}),
            "2204",
            "callback_url",
        ),
    ] {
        let (status, body) = token(fields.clone()).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (400, Some(code)),
            "{fields}: {body}"
        );
        assert!(
            body["error"].as_str().unwrap().contains(message),
            "{fields}: {body}"
        );
    }
    let (status, body) = api
        .post("token", &json!({"partner_id": api.partner_id, "user_id": "u", "job_id": "t", "product": "x", "callback_url": "http://127.0.0.1:9/cb", "timestamp": "2024-01-01T00:00:00.000Z", "signature": "AAAA"}))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("2205")),
        "{body}"
    );
}

#[tokio::test]
async fn services_and_valid_documents_have_the_documented_shapes() {
    let emulator = quick().await;
    let api = Api::new(&emulator);
    let resp = api
        .http
        .get(format!("{}/services", api.base))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.headers()["content-type"], "application/json");
    let services: Value = resp.json().await.unwrap();
    for bank in services["bank_codes"].as_array().unwrap() {
        assert!(
            bank["name"].is_string() && bank["code"].is_string(),
            "{bank}"
        );
    }
    for product in [
        "basic_kyc",
        "biometric_kyc",
        "enhanced_kyc",
        "doc_verification",
        "enhanced_document_verification",
        "ekyc_smartselfie",
    ] {
        assert!(services["hosted_web"][product].is_object(), "{product}");
    }
    assert!(services["hosted_web"]["enhanced_kyc"]["NG"]["id_types"]["BVN"].is_object());

    let (ts, sig) = api.signed();
    let (status, body) = api
        .post("valid_documents", &json!({"partner_id": api.partner_id, "source_sdk": "rust", "source_sdk_version": "0.1.0", "timestamp": ts, "signature": sig}))
        .await;
    assert_eq!(status, 200, "{body}");
    let documents = body["valid_documents"].as_array().unwrap();
    assert!(!documents.is_empty());
    for doc in documents {
        let country = &doc["country"];
        assert!(
            country["code"].is_string()
                && country["continent"].is_string()
                && country["name"].is_string(),
            "{doc}"
        );
        for id in doc["id_types"].as_array().unwrap() {
            assert!(
                id["code"].is_string()
                    && id["name"].is_string()
                    && id["has_back"].is_boolean()
                    && id["example"].is_array(),
                "{id}"
            );
        }
    }
    let (status, body) = api
        .post(
            "valid_documents",
            &json!({"partner_id": api.partner_id, "timestamp": ts, "signature": "AAAA"}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("2205")),
        "{body}"
    );
}

/// `job_status` answers (signed, with history) for a job of every type: the upload flow's 1,
/// 2, 4, 6 and 11, and the ID API's 5 and 7, sync and async.
#[tokio::test]
async fn job_status_answers_for_every_job_type() {
    let emulator = quick().await;
    let api = Api::new(&emulator);
    emulator.state().enrol_user("u");
    let images = json!([
        {"image_type_id": 0, "image": "", "file_name": "selfie.jpg"},
        {"image_type_id": 1, "image": "", "file_name": "id_card_front.jpg"}
    ]);
    for (job_id, job_type, user, id_info) in [
        (
            "t1",
            1,
            "u1",
            json!({"country": "NG", "id_type": "BVN", "id_number": "00000000000", "entered": "true"}),
        ),
        ("t2", 2, "u", json!({"entered": "false"})),
        ("t4", 4, "u4", json!({"entered": "false"})),
        (
            "t6",
            6,
            "u6",
            json!({"country": "NG", "id_type": "PASSPORT", "entered": "false"}),
        ),
        (
            "t11",
            11,
            "u11",
            json!({"country": "NG", "id_type": "PASSPORT", "id_number": "A00000000", "entered": "true"}),
        ),
    ] {
        let (status, prep) = api.prep(user, job_id, job_type, &[], None).await;
        assert_eq!(status, 200, "{prep}");
        let images = if matches!(job_type, 2 | 4) {
            json!([images[0]])
        } else {
            images.clone()
        };
        let info = info_json_with(&api, &prep, user, job_id, job_type, images, id_info);
        let zip = store_zip(&[
            ("info.json", info.into_bytes()),
            ("selfie.jpg", fixture("selfie.jpg")),
            ("id_card_front.jpg", fixture("id_card_front.jpg")),
        ]);
        let (status, _) = api.put_zip(prep["upload_url"].as_str().unwrap(), zip).await;
        assert_eq!(status, 200);
    }
    let cb = "http://127.0.0.1:9/cb";
    for (path, job_id, job_type, mut fields) in [
        ("id_verification", "t5", 5, kyc_fields()),
        ("async_id_verification", "t5a", 5, kyc_fields()),
        ("business_verification", "t7", 7, kyb_fields()),
        ("async_business_verification", "t7a", 7, kyb_fields()),
    ] {
        if path.starts_with("async") {
            fields["callback_url"] = json!(cb);
        }
        let (status, body) = api
            .post(path, &id_body(&api, job_id, json!(job_type), fields))
            .await;
        assert_eq!(status, 200, "{path}: {body}");
    }
    for (job_id, user, job_type, entries) in [
        ("t1", "u1", "1", 2), // the ID lookup, then the result
        ("t2", "u", "2", 1),
        ("t4", "u4", "4", 1),
        ("t5", "u", "5", 1),
        ("t5a", "u", "5", 1),
        ("t6", "u6", "6", 1),
        ("t7", "u", "7", 1),
        ("t7a", "u", "7", 1),
        ("t11", "u11", "11", 1),
    ] {
        let s = poll_complete(&api, user, job_id, true).await;
        assert!(verify(&api.api_key, &api.partner_id, &s), "{job_id}: {s}");
        assert_eq!(s["job_success"], true, "{job_id}: {s}");
        assert_eq!(
            s["result"]["PartnerParams"]["job_type"], job_type,
            "{job_id}"
        );
        let history = s["history"].as_array().unwrap();
        assert_eq!(history.len(), entries, "{job_id}: {s}");
        assert_eq!(history.last().unwrap(), &s["result"], "{job_id}");
    }
}

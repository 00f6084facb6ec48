//! Every call of the endpoint layer on both clients against wiremock: the exact request
//! bodies against the official SDKs' bodies (`other_requests.json`: the same keys and values,
//! our documented order, the defects of docs/protocol.md §13 fixed), typed responses, every
//! error path, and retries only where the endpoint is idempotent.

use serde_json::{Map, Value, json};
use smile_core::endpoint::{JobStatus, Services, ValidDocuments, WebTokenRequest};
use smile_core::{Error, JobStatusOptions, RequestKind};
use smile_tests::mock::{json_response, mount, mount_then, received};
use smile_tests::{
    CALLBACK_URL, Client, ClientKind, Received, Setup, both_clients, client, interop,
    json_headers_problem, signed_status, signer,
};
use smile_types::{IdInfo, JobType, PartnerParams, ResultCategory};
use wiremock::{MockServer, ResponseTemplate};

both_clients!(
    enhanced_kyc_sync,
    enhanced_kyc_async,
    business_verification_sync_and_async,
    web_token,
    services_and_valid_documents,
    job_creating_calls_are_sent_once_and_say_the_job_may_exist,
    idempotent_calls_are_retried,
    error_bodies_and_bad_signatures,
    job_status_of_every_job_type,
    input_is_checked_before_any_request,
);

fn setup(server: &MockServer) -> Setup {
    let mut s = Setup::new(format!("{}/v1", server.uri()));
    s.default_callback = Some(CALLBACK_URL.to_owned());
    s
}

async fn api(server: &MockServer, kind: ClientKind) -> Client {
    client(kind, &setup(server))
}

/// The official Node SDK's body for `call` (by its `call` text) from `other_requests.json`.
fn official(call: &str) -> Map<String, Value> {
    interop("other_requests.json")["requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["sdk"].as_str().unwrap().starts_with("official Node") && r["call"] == call)
        .and_then(|r| r["body"].as_object().cloned())
        .unwrap_or_else(|| panic!("no official body for {call}"))
}

/// Our body has exactly the official keys and values, except: `timestamp` and `signature`
/// (fresh), `source_sdk`/`source_sdk_version` (ours), `entered` (not sent, docs/protocol.md
/// §8.2), and `job_type` as a number. Its keys come in `order`.
fn assert_same_as_official(ours: &Received, official: &Map<String, Value>, order: &[&str]) {
    assert_eq!(json_headers_problem(ours), None);
    let body = ours.json();
    let ours_map = body.as_object().unwrap();
    let keys: Vec<&str> = ours_map.keys().map(String::as_str).collect();
    assert_eq!(keys, order, "key order of {}", ours.path());
    let skip = [
        "timestamp",
        "signature",
        "source_sdk",
        "source_sdk_version",
        "entered",
    ];
    for (k, v) in official {
        if skip.contains(&k.as_str()) {
            continue;
        }
        assert_eq!(ours_map.get(k), Some(v), "{k} in {}", ours.path());
    }
    for k in ours_map.keys() {
        assert!(
            official.contains_key(k) || skip.contains(&k.as_str()),
            "{k} is not in the official body"
        );
    }
    assert!(!ours_map.contains_key("entered"));
    let ts = ours_map["timestamp"].as_str().unwrap();
    assert!(
        signer()
            .verify(ts, ours_map["signature"].as_str().unwrap())
            .is_ok()
    );
}

fn ada() -> IdInfo {
    IdInfo {
        first_name: Some("Ada".into()),
        last_name: Some("Lovelace".into()),
        dob: Some("1990-01-01".into()),
        ..IdInfo::verify("NG", "BVN", "00000000000")
    }
}

const KYC_ORDER: [&str; 13] = [
    "partner_id",
    "partner_params",
    "country",
    "id_type",
    "id_number",
    "first_name",
    "last_name",
    "dob",
    "source_sdk",
    "source_sdk_version",
    "timestamp",
    "signature",
    "",
];

/// A signed sync KYC result with ID data.
fn kyc_result(code: &str) -> String {
    signed_status(
        &json!({
            "SmileJobID": "0000000505", "ResultType": "ID Verification", "ResultText": "ID Number Validated",
            "ResultCode": code, "IsFinalResult": "true",
            "PartnerParams": {"user_id": "user-0001", "job_id": "job-0005", "job_type": 5},
            "Actions": {"Verify_ID_Number": "Verified", "Return_Personal_Info": "Returned"},
            "Country": "NG", "IDType": "BVN", "IDNumber": "00000000000", "FullName": "Ada Lovelace",
            "DOB": "1990-01-01", "FullData": {"firstName": "Ada", "nin": "123"}
        }),
        "2026-11-27T13:23:43.000Z",
    )
}

async fn enhanced_kyc_sync(kind: ClientKind) {
    let server = MockServer::start().await;
    mount(
        &server,
        "POST",
        "/v1/id_verification",
        json_response(200, kyc_result("1012")),
    )
    .await;
    let result = api(&server, kind)
        .await
        .call(smile_core::endpoint::IdVerification::new(
            PartnerParams::new("user-0001", "job-0005", JobType::EnhancedKyc),
            ada(),
        ))
        .await
        .unwrap();
    assert!(result.is_final_approval());
    assert_eq!(result.interpret().category, ResultCategory::Approved);
    assert_eq!(result.smile_job_id().unwrap().as_str(), "0000000505");
    assert_eq!(result.field("FullName"), Some(&json!("Ada Lovelace")));
    assert_eq!(result.full_data().unwrap()["nin"], "123");
    // Personal data stays out of Debug.
    let shown = format!("{result:?}");
    assert!(
        !shown.contains("Lovelace") && !shown.contains("00000000000"),
        "{shown}"
    );

    let reqs = received(&server).await;
    assert_eq!(reqs.len(), 1);
    assert_same_as_official(
        &reqs[0],
        &official("IDApi.submit_job, job type 5"),
        &KYC_ORDER[..12],
    );
    assert_eq!(reqs[0].json()["partner_params"]["job_type"], 5);
}

async fn enhanced_kyc_async(kind: ClientKind) {
    let server = MockServer::start().await;
    mount(
        &server,
        "POST",
        "/v1/async_id_verification",
        json_response(200, r#"{"success":true,"smile_job_id":"0000000506"}"#),
    )
    .await;
    let ack = api(&server, kind)
        .await
        .call(smile_core::endpoint::AsyncIdVerification::new(
            PartnerParams::new("user-0001", "job-0005a", JobType::EnhancedKyc),
            ada(),
            Some("https://callback.example.com/async"),
        ))
        .await
        .unwrap();
    assert_eq!(ack.smile_job_id.unwrap().as_str(), "0000000506");
    assert_eq!(ack.job_id.as_str(), "job-0005a");
    let reqs = received(&server).await;
    let mut order: Vec<&str> = KYC_ORDER[..8].to_vec();
    order.extend([
        "callback_url",
        "source_sdk",
        "source_sdk_version",
        "timestamp",
        "signature",
    ]);
    assert_same_as_official(
        &reqs[0],
        &official("IDApi.submitAsyncjob, job type 5"),
        &order,
    );
}

async fn business_verification_sync_and_async(kind: ClientKind) {
    let server = MockServer::start().await;
    let result = signed_status(
        &json!({
            "SmileJobID": "0000000707", "ResultCode": "1012", "ResultText": "Business Verified",
            "PartnerParams": {"user_id": "user-0001", "job_id": "job-0007", "job_type": 7},
            "Actions": {"Verify_Business": "Verified", "Return_Business_Info": "Returned"},
            "company_information": {"name": "Acme Ltd", "registration_number": "A000000"},
            "directors": [{"name": "Ada Lovelace"}], "beneficial_owners": []
        }),
        "2026-11-27T13:23:43.000Z",
    );
    mount(
        &server,
        "POST",
        "/v1/business_verification",
        json_response(200, result),
    )
    .await;
    mount(
        &server,
        "POST",
        "/v1/async_business_verification",
        json_response(200, r#"{"success":true}"#),
    )
    .await;
    let c = api(&server, kind).await;
    let id = || IdInfo::verify("NG", "BUSINESS_REGISTRATION", "A000000");
    let pp = |job: &str| PartnerParams::new("user-0001", job, JobType::BusinessVerification);
    let result = c
        .call(
            smile_core::endpoint::BusinessVerification::new(pp("job-0007"), id())
                .with_business_type("co"),
        )
        .await
        .unwrap();
    assert!(result.is_final_approval(), "{result:?}");
    assert_eq!(result.company_information().unwrap()["name"], "Acme Ltd");
    assert_eq!(result.directors().unwrap()[0]["name"], "Ada Lovelace");
    assert_eq!(result.beneficial_owners(), Some(&json!([])));
    let ack = c
        .call(
            smile_core::endpoint::AsyncBusinessVerification::new(pp("job-0007a"), id(), None)
                .with_business_type("co"),
        )
        .await
        .unwrap();
    assert_eq!(ack.smile_job_id, None);

    let reqs = received(&server).await;
    let order = [
        "partner_id",
        "partner_params",
        "country",
        "id_type",
        "id_number",
        "business_type",
        "source_sdk",
        "source_sdk_version",
        "timestamp",
        "signature",
    ];
    assert_same_as_official(&reqs[0], &official("IDApi.submit_job, job type 7"), &order);
    assert_eq!(reqs[0].json()["partner_params"]["job_type"], 7);
    // The async form takes the client's default callback.
    assert_eq!(reqs[1].json()["callback_url"], CALLBACK_URL);
}

async fn web_token(kind: ClientKind) {
    let server = MockServer::start().await;
    mount(
        &server,
        "POST",
        "/v1/token",
        json_response(200, r#"{"success":true,"token":"tok-123"}"#),
    )
    .await;
    let token = api(&server, kind)
        .await
        .call(WebTokenRequest::new(
            "user-0001",
            "token-job",
            "biometric_kyc",
            None,
        ))
        .await
        .unwrap();
    assert_eq!(token.token, "tok-123");
    assert!(!format!("{token:?}").contains("tok-123"));
    let reqs = received(&server).await;
    let order = [
        "partner_id",
        "user_id",
        "job_id",
        "product",
        "callback_url",
        "timestamp",
        "signature",
    ];
    assert_same_as_official(&reqs[0], &official("get_web_token"), &order);
}

async fn services_and_valid_documents(kind: ClientKind) {
    let server = MockServer::start().await;
    mount(
        &server,
        "GET",
        "/v1/services",
        json_response(200, r#"{"bank_codes":[{"name":"Access Bank","code":"044"},{"name":7}],"hosted_web":{"enhanced_kyc":{}}}"#),
    )
    .await;
    mount(
        &server,
        "POST",
        "/v1/valid_documents",
        json_response(200, r#"{"valid_documents":[{"country":{"code":"NG","name":"Nigeria","continent":"Africa"},"id_types":[{"code":"PASSPORT","has_back":false},{"code":"NIN"}]}]}"#),
    )
    .await;
    let c = api(&server, kind).await;
    let services = c.call(Services::new()).await.unwrap();
    assert_eq!(services.bank_codes().len(), 1);
    assert_eq!(services.bank_codes()[0].name, "Access Bank");
    assert!(services.hosted_web().unwrap().contains_key("enhanced_kyc"));
    let docs = c.call(ValidDocuments::new()).await.unwrap();
    let countries = docs.countries();
    assert_eq!(countries[0].country_code.as_deref(), Some("NG"));
    assert_eq!(countries[0].id_types, ["PASSPORT", "NIN"]);

    let reqs = received(&server).await;
    assert_eq!((reqs[0].method.as_str(), reqs[0].body.len()), ("GET", 0));
    assert_eq!(reqs[0].header("accept"), Some("application/json"));
    let body = reqs[1].json();
    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "partner_id",
            "source_sdk",
            "source_sdk_version",
            "timestamp",
            "signature"
        ]
    );
    assert_eq!(body["partner_id"], "085");
}

async fn job_creating_calls_are_sent_once_and_say_the_job_may_exist(kind: ClientKind) {
    let server = MockServer::start().await;
    mount(
        &server,
        "POST",
        "/v1/id_verification",
        ResponseTemplate::new(503),
    )
    .await;
    mount(
        &server,
        "POST",
        "/v1/business_verification",
        json_response(200, "{\"SmileJobID\":\"0000000808\","),
    )
    .await;
    mount(&server, "POST", "/v1/token", ResponseTemplate::new(503)).await;
    let c = api(&server, kind).await;
    let kyc = smile_core::endpoint::IdVerification::new(
        PartnerParams::new("user-0001", "job-0005", JobType::EnhancedKyc),
        ada(),
    );
    let err = c.call(kyc).await.unwrap_err();
    assert!(
        matches!(err, Error::Api { status, .. } if status == 503),
        "{err:?}"
    );
    assert!(err.job_may_exist(), "{err:?}");
    assert!(err.to_string().contains("503"), "{err}");
    // A cut 2xx body that names the job: the id is kept.
    let kyb = smile_core::endpoint::BusinessVerification::new(
        PartnerParams::new("user-0001", "job-0007", JobType::BusinessVerification),
        IdInfo::verify("NG", "BUSINESS_REGISTRATION", "A000000"),
    );
    let err = c.call(kyb).await.unwrap_err();
    assert!(
        matches!(&err, Error::UnexpectedResponse { smile_job_id: Some(id), .. } if id.as_str() == "0000000808"),
        "{err:?}"
    );
    assert!(err.job_may_exist());
    // The token creates no job but is not idempotent either: sent once, no job.
    let err = c
        .call(WebTokenRequest::new(
            "user-0001",
            "token-job",
            "biometric_kyc",
            None,
        ))
        .await
        .unwrap_err();
    assert!(!err.job_may_exist(), "{err:?}");
    let reqs = received(&server).await;
    let paths: Vec<&str> = reqs.iter().map(Received::path).collect();
    assert_eq!(
        paths,
        [
            "/v1/id_verification",
            "/v1/business_verification",
            "/v1/token"
        ]
    );
}

async fn idempotent_calls_are_retried(kind: ClientKind) {
    let server = MockServer::start().await;
    mount_then(
        &server,
        "GET",
        "/v1/services",
        (ResponseTemplate::new(503), 2),
        json_response(200, r#"{"bank_codes":[]}"#),
    )
    .await;
    mount_then(
        &server,
        "POST",
        "/v1/valid_documents",
        (
            ResponseTemplate::new(429).insert_header("Retry-After", "0"),
            1,
        ),
        json_response(200, r#"{"valid_documents":[]}"#),
    )
    .await;
    let c = api(&server, kind).await;
    assert!(
        c.call(Services::new())
            .await
            .unwrap()
            .bank_codes()
            .is_empty()
    );
    assert!(
        c.call(ValidDocuments::new())
            .await
            .unwrap()
            .countries()
            .is_empty()
    );
    let reqs = received(&server).await;
    assert_eq!(reqs.len(), 5, "3 for services, 2 for valid_documents");
    // Each attempt of a signed call is signed afresh (virtual time moves with the backoff).
    let sigs: Vec<Value> = reqs[3..]
        .iter()
        .map(|r| r.json()["timestamp"].clone())
        .collect();
    assert_ne!(sigs[0], sigs[1]);
}

async fn error_bodies_and_bad_signatures(kind: ClientKind) {
    let server = MockServer::start().await;
    mount(
        &server,
        "POST",
        "/v1/id_verification",
        json_response(
            400,
            r#"{"code":"2413","error":"\"country\" must be one of [NG, ZA]"}"#,
        ),
    )
    .await;
    mount(
        &server,
        "POST",
        "/v1/business_verification",
        json_response(200, r#"{"ResultCode":"1012","timestamp":"2026-11-27T13:23:43.000Z","signature":"Zm9yZ2Vk"}"#),
    )
    .await;
    mount(
        &server,
        "POST",
        "/v1/token",
        json_response(
            200,
            r#"{"success":false,"error":"Invalid product","code":"2413"}"#,
        ),
    )
    .await;
    mount(
        &server,
        "POST",
        "/v1/valid_documents",
        json_response(200, "<html>maintenance</html>"),
    )
    .await;
    let c = api(&server, kind).await;
    let err = c
        .call(smile_core::endpoint::IdVerification::new(
            PartnerParams::new("user-0001", "job-0005", JobType::EnhancedKyc),
            ada(),
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("2413"));
    assert!(!err.job_may_exist(), "refused before a job: {err:?}");
    assert!(err.to_string().contains("must be one of [NG, ZA]"), "{err}");
    let err = c
        .call(smile_core::endpoint::BusinessVerification::new(
            PartnerParams::new("user-0001", "job-0007", JobType::BusinessVerification),
            IdInfo::verify("NG", "BUSINESS_REGISTRATION", "A000000"),
        ))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::ResponseSignatureInvalid { .. }),
        "{err:?}"
    );
    let err = c
        .call(WebTokenRequest::new("user-0001", "j", "nonsense", None))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Api { message: Some(m), .. } if m == "Invalid product"),
        "{err:?}"
    );
    let err = c.call(ValidDocuments::new()).await.unwrap_err();
    assert!(
        matches!(&err, Error::UnexpectedResponse { during: RequestKind::Call(i), problem, .. } if i.path == "valid_documents" && problem.contains("not JSON")),
        "{err:?}"
    );
    assert!(!err.job_may_exist());
}

async fn job_status_of_every_job_type(kind: ClientKind) {
    let server = MockServer::start().await;
    let entry = |code: &str, job_type: u32| {
        signed_status(
            &json!({"job_complete": true, "job_success": true, "code": "2302", "result": {
                "ResultCode": code, "SmileJobID": "0000001111",
                "PartnerParams": {"user_id": "u", "job_id": format!("job-{job_type}"), "job_type": job_type}
            }}),
            "2026-11-27T13:23:43.000Z",
        )
    };
    for (job_type, code) in [
        (11u32, "0810"),
        (7, "1012"),
        (5, "1022"),
        (6, "0811"),
        (1, "0810"),
    ] {
        mount(
            &server,
            "POST",
            "/v1/job_status",
            json_response(200, entry(code, job_type)),
        )
        .await;
        let status = api(&server, kind)
            .await
            .call(JobStatus::new(
                "u",
                format!("job-{job_type}"),
                JobStatusOptions::all(),
            ))
            .await
            .unwrap();
        let i = status.interpret(JobType::from_code(job_type)).unwrap();
        let want = match code {
            "0810" | "1012" => ResultCategory::Approved,
            _ => ResultCategory::Rejected,
        };
        assert_eq!(
            (i.category, i.is_final),
            (want, true),
            "job type {job_type} code {code}"
        );
        server.reset().await;
    }
}

async fn input_is_checked_before_any_request(kind: ClientKind) {
    let server = MockServer::start().await;
    // No default callback here: the async form needs one.
    let c = client(kind, &Setup::new(format!("{}/v1", server.uri())));
    let err = c
        .call(smile_core::endpoint::AsyncIdVerification::new(
            PartnerParams::new("user-0001", "", JobType::EnhancedKyc),
            IdInfo::verify("ng", "BVN", ""),
            None,
        ))
        .await
        .unwrap_err();
    let Error::InvalidInput { problems } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        problems.codes().collect::<Vec<_>>(),
        [
            "partner_params.job_id.missing",
            "id_info.country.invalid",
            "id_info.id_number.missing",
            "callback.missing"
        ]
    );
    let err = c
        .call(WebTokenRequest::new(
            "u",
            "j",
            "biometric_kyc",
            Some(" https://x.example/cb"),
        ))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("whitespace"), "{err}");
    assert!(received(&server).await.is_empty());
}

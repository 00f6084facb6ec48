//! The emulator accepts exactly what the official SDKs (and ours) send: the recorded request
//! bodies of `testdata/interop`, replayed byte for byte, and zips with their `info.json` texts
//! and entry layouts.

mod common;

use std::io::Write as _;
use std::time::Duration;

use common::*;
use serde_json::Value;
use smile_emulator::{CallbackOutcome, Emulator};

const PARTNER: &str = "085";
const KEY: &str = "sdk-interop-test-key-0001";

/// An emulator for the interop key; the recorded timestamps are old, and no freshness window
/// applies by default.
async fn interop_emulator() -> Emulator {
    Emulator::builder()
        .partner_id(PARTNER)
        .api_key(KEY)
        .processing_delay(Duration::ZERO)
        .manual_review()
        .start()
        .await
        .unwrap()
}

fn variant<'a>(file: &'a Value, name: &str) -> &'a Value {
    file["variants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == name)
        .unwrap_or_else(|| panic!("variant {name}"))
}

/// Entry names of an official zip, from `zip_layout.json`.
fn layout(sdk: &str, variant_name: &str) -> Vec<String> {
    let layout = interop("zip_layout.json");
    layout["official"][sdk]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["variant"] == variant_name)
        .unwrap()["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_owned())
        .collect()
}

/// The zip entries of an official upload: `info.json` from the recorded text, images from the
/// fixtures, and the Python SDK's `base64imgString` junk (the text after the last `/` of each
/// base64 image, in order).
fn entries(names: &[String], info_json: &str) -> Vec<(String, Vec<u8>)> {
    let info: Value = serde_json::from_str(info_json).unwrap();
    let mut junk = info["images"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["file_name"] == "" && i["image"] != "")
        .map(|i| {
            let text = i["image"].as_str().unwrap();
            text.rsplit('/').next().unwrap().as_bytes().to_vec()
        });
    names
        .iter()
        .map(|name| {
            let data = match name.as_str() {
                "info.json" => info_json.as_bytes().to_vec(),
                "base64imgString" => junk.next().expect("one fragment per base64 image"),
                image => fixture(image),
            };
            (name.clone(), data)
        })
        .collect()
}

/// A DEFLATE zip that may repeat entry names (the zip crate refuses duplicates, so they are
/// written under same-length placeholders and renamed in the bytes).
fn python_zip(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut renames = Vec::new();
    for (i, (name, data)) in entries.iter().enumerate() {
        let unique = if entries[..i].iter().any(|(n, _)| n == name) {
            let placeholder = format!("{}{:x}", &name[..name.len() - 1], renames.len());
            assert_eq!(placeholder.len(), name.len());
            renames.push((placeholder.clone(), name.clone()));
            placeholder
        } else {
            name.clone()
        };
        writer.start_file(unique, options).unwrap();
        writer.write_all(data).unwrap();
    }
    let mut bytes = writer.finish().unwrap().into_inner();
    for (from, to) in renames {
        let (from, to) = (from.as_bytes(), to.as_bytes());
        let mut i = 0;
        while i + from.len() <= bytes.len() {
            if &bytes[i..i + from.len()] == from {
                bytes[i..i + from.len()].copy_from_slice(to);
            }
            i += 1;
        }
    }
    bytes
}

fn store(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let refs: Vec<(&str, Vec<u8>)> = entries
        .iter()
        .map(|(n, d)| (n.as_str(), d.clone()))
        .collect();
    store_zip(&refs)
}

#[tokio::test]
async fn official_sdk_uploads_replayed() {
    let emulator = interop_emulator().await;
    emulator.state().enrol_user("user-0001");
    let api = Api::new(&emulator);
    // (prep file, info file, sdk, variant, zip builder, expected result code)
    type BuildZip = fn(&[(String, Vec<u8>)]) -> Vec<u8>;
    let cases: [(&str, &str, &str, &str, BuildZip, &str); 4] = [
        (
            "prep_upload_node.json",
            "info_json_node.json",
            "node-3.2.1",
            "liveness_as_files",
            store,
            "0820",
        ),
        (
            "prep_upload_node.json",
            "info_json_node.json",
            "node-3.2.1",
            "liveness_as_base64",
            store,
            "0820",
        ),
        (
            "prep_upload_python.json",
            "info_json_python.json",
            "python-3.0.1",
            "liveness_as_files",
            python_zip,
            "0820",
        ),
        (
            "prep_upload_python.json",
            "info_json_python.json",
            "python-3.0.1",
            "liveness_as_base64",
            python_zip,
            "0820",
        ),
    ];
    for (prep_file, info_file, sdk, name, build, expected) in cases {
        let prep_vector = variant(&interop(prep_file), name).clone();
        let job_id = prep_vector["body"]["partner_params"]["job_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let (status, prep) = api
            .post_raw("upload", prep_vector["body_text"].as_str().unwrap())
            .await;
        assert_eq!(status, 200, "{sdk} {name}: {prep}");
        assert_eq!(prep["code"], "2202");
        let info_text = variant(&interop(info_file), name)["info_json_text"]
            .as_str()
            .unwrap()
            .to_owned();
        let zip = build(&entries(&layout(sdk, name), &info_text));
        let (status, body) = api.put_zip(prep["upload_url"].as_str().unwrap(), zip).await;
        assert_eq!(status, 200, "{sdk} {name}: {body}");
        let s = poll_complete(&api, "user-0001", &job_id, false).await;
        assert!(verify(KEY, PARTNER, &s));
        assert_eq!(s["result"]["ResultCode"], expected, "{sdk} {name}: {s}");
        if (sdk, name) == ("node-3.2.1", "liveness_as_files") {
            // The Node SDK listed the liveness files by local path and never uploaded them:
            // the job goes on without them, with one warning per skipped frame.
            let warnings = s["result"]["EmulatorWarnings"].as_array().unwrap();
            let listed = variant(&interop(info_file), name)["info_json"]["images"]
                .as_array()
                .map_or(0, |a| a.iter().filter(|i| i["image_type_id"] == 4).count());
            assert!(!warnings.is_empty() && warnings.len() == listed, "{s}");
            let first = warnings[0].as_str().unwrap();
            assert!(first.contains("fixtures/liveness_1.jpg"), "{first}");
            assert!(first.contains("Node SDK"), "{first}");
        } else {
            assert!(s["result"].get("EmulatorWarnings").is_none(), "{s}");
        }
    }
    // The callback URL of the recorded bodies is not a loopback host: nothing was sent there.
    for _ in 0..2000 {
        if emulator.state().callbacks().len() == 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let log = emulator.state().callbacks();
    assert_eq!(log.len(), 4);
    assert!(
        log.iter()
            .all(|r| matches!(r.outcome, CallbackOutcome::Blocked { .. }))
    );

    // The recorded polls of the same jobs (Node signs each afresh, Python reuses its
    // construction-time signature).
    let polls = interop("other_requests.json");
    for request in polls["requests"].as_array().unwrap() {
        if request["call"]
            .as_str()
            .unwrap()
            .starts_with("job_status poll")
        {
            let (status, body) = api
                .post_raw("job_status", request["body_text"].as_str().unwrap())
                .await;
            assert_eq!(status, 200, "{}: {body}", request["sdk"]);
            assert_eq!(body["job_complete"], true);
            assert!(verify(KEY, PARTNER, &body));
        }
    }
}

#[tokio::test]
async fn our_canonical_job2_replayed() {
    let emulator = interop_emulator().await;
    emulator.state().enrol_user("user-0001");
    let api = Api::new(&emulator);
    let canonical = interop("canonical_job2.json");
    let (status, prep) = api
        .post_raw(
            "upload",
            canonical["prep_upload"]["body_text"].as_str().unwrap(),
        )
        .await;
    assert_eq!(status, 200, "{prep}");
    for (info, zip, job_id) in [("info_json_files_variant", "zip_files_variant", "job-0002")] {
        let info_text = canonical[info]["text"].as_str().unwrap();
        let names: Vec<String> = canonical[zip]["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap().to_owned())
            .collect();
        let (status, _) = api
            .put_zip(
                prep["upload_url"].as_str().unwrap(),
                store(&entries(&names, info_text)),
            )
            .await;
        assert_eq!(status, 200);
        let (status, s) = api
            .post_raw(
                "job_status",
                canonical["first_job_status"]["body_text"].as_str().unwrap(),
            )
            .await;
        assert_eq!(status, 200, "{s}");
        assert_eq!(s["result"]["ResultCode"], "0820", "{job_id}: {s}");
        assert_eq!(s["result"]["PartnerParams"]["user_id"], "user-0001");
    }
    // A second prep for the same job: 2215, as the real server answers.
    let (status, body) = api
        .post_raw(
            "upload",
            canonical["prep_upload"]["body_text"].as_str().unwrap(),
        )
        .await;
    assert_eq!((status, body["code"].as_str()), (400, Some("2215")));
}

#[tokio::test]
async fn other_official_requests_replayed() {
    let emulator = interop_emulator().await;
    let api = Api::new(&emulator);
    let requests = interop("other_requests.json");
    let mut seen = 0;
    for request in requests["requests"].as_array().unwrap() {
        let endpoint = request["endpoint"].as_str().unwrap();
        let path = endpoint.trim_start_matches("POST {base}/");
        if path == "job_status" {
            continue; // replayed with their jobs in official_sdk_uploads_replayed
        }
        let (status, body) = api
            .post_raw(path, request["body_text"].as_str().unwrap())
            .await;
        assert_eq!(
            status, 200,
            "{} {}: {body}",
            request["sdk"], request["call"]
        );
        seen += 1;
        match path {
            "token" => assert_eq!(body["success"], true),
            "id_verification" | "business_verification" => {
                assert!(verify(KEY, PARTNER, &body), "signed: {body}");
                assert_eq!(body["ResultCode"], "1012");
            }
            "async_id_verification" => assert_eq!(body["success"], true),
            other => panic!("unexpected endpoint {other}"),
        }
    }
    assert_eq!(seen, 8);
}

#[tokio::test]
async fn official_get_job_status_with_history_and_image_links() {
    for sdk_job in ["job-0004", "job-0004-python"] {
        let emulator = interop_emulator().await;
        let api = Api::new(&emulator);
        api.submit("user-0001", sdk_job, 4, &[], None).await;
        let requests = interop("other_requests.json");
        let request = requests["requests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["body"]["job_id"] == sdk_job)
            .unwrap();
        let (status, body) = api
            .post_raw("job_status", request["body_text"].as_str().unwrap())
            .await;
        assert_eq!(status, 200, "{body}");
        assert!(verify(KEY, PARTNER, &body));
        assert_eq!(body["result"]["ResultCode"], "0840");
        assert_eq!(body["history"].as_array().unwrap().len(), 1);
        assert!(body["image_links"]["selfie_image"].is_string(), "{body}");
    }
}

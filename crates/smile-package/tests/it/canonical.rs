//! The job-2 example of docs/protocol.md §5.5/§5.6 against `testdata/interop/canonical_job2.json` and
//! `testdata/interop/zip_layout.json` (`ours`): info.json byte for byte, zip entries field by field,
//! the whole zip against the reference hash (our header values follow §5.6 item 6), and
//! `unzip -t`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value};
use smile_package::{Image, LoadedJob, SubmitRequest, UploadContext};
use smile_types::{JobOptions, PartnerId, PartnerParams};

use crate::support::{fixture, interop, sha256_hex, unzip, unzip_t};

struct Canonical {
    doc: Value,
    partner_id: PartnerId,
    timestamp: String,
    signature: String,
    response: Map<String, Value>,
}

fn canonical() -> Canonical {
    let doc = interop("canonical_job2.json");
    let inputs = &doc["inputs"];
    let partner_id = PartnerId::new(inputs["partner_id"].as_str().unwrap());
    let timestamp = inputs["timestamp"].as_str().unwrap().to_owned();
    // The signature of the prep upload (smile-sign's job); taken from the expected body so this
    // crate's tests do not depend on the signer.
    let signature = doc["prep_upload"]["body"]["signature"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(doc["prep_upload"]["body"]["timestamp"], inputs["timestamp"]);
    let response = inputs["prep_upload_response"].as_object().unwrap().clone();
    Canonical {
        doc,
        partner_id,
        timestamp,
        signature,
        response,
    }
}

/// The canonical job; `liveness_base64` selects variant B.
fn job(c: &Canonical, liveness_base64: bool) -> LoadedJob {
    let inputs = &c.doc["inputs"];
    let partner_params: PartnerParams =
        serde_json::from_value(inputs["partner_params"].clone()).unwrap();
    let options: JobOptions = serde_json::from_value(inputs["options"].clone()).unwrap();
    let mut images = vec![Image::selfie_file(fixture("selfie.jpg"))];
    for n in 1..=8 {
        let path = fixture(&format!("liveness_{n}.jpg"));
        images.push(if liveness_base64 {
            Image::liveness_base64(STANDARD.encode(std::fs::read(&path).unwrap()))
        } else {
            Image::liveness_file(path)
        });
    }
    SubmitRequest::new(partner_params, images)
        .with_options(options)
        .with_default_callback_url(inputs["callback_url"].as_str().unwrap())
        .validate()
        .unwrap_or_else(|p| panic!("canonical input rejected: {p}"))
}

fn ctx(c: &Canonical) -> UploadContext<'_> {
    UploadContext::new(&c.partner_id, &c.timestamp, &c.signature, &c.response)
}

fn check_info_json(variant: &str, liveness_base64: bool) {
    let c = canonical();
    let expected = &c.doc[variant];
    let ours = job(&c, liveness_base64).info_json(&ctx(&c)).unwrap();
    let text = std::str::from_utf8(&ours).unwrap();
    assert_eq!(text, expected["text"].as_str().unwrap());
    assert_eq!(ours.len() as u64, expected["length"].as_u64().unwrap());
    assert_eq!(sha256_hex(&ours), expected["sha256"].as_str().unwrap());
}

#[test]
fn info_json_files_variant_is_byte_exact() {
    check_info_json("info_json_files_variant", false);
}

#[test]
fn info_json_base64_variant_is_byte_exact() {
    check_info_json("info_json_base64_variant", true);
}

fn check_zip(variant: &str, layout_key: &str, liveness_base64: bool) {
    let c = canonical();
    let expected = &c.doc[variant];
    let loaded = job(&c, liveness_base64);
    let zip = loaded.build_zip(&ctx(&c)).unwrap();
    let seen = unzip(&zip);

    let layout = interop("zip_layout.json");
    let lists = [
        expected["entries"].as_array().unwrap(),
        layout["ours"][layout_key].as_array().unwrap(),
    ];
    for want in lists {
        assert_eq!(seen.len(), want.len(), "entry count");
        for (got, want) in seen.iter().zip(want) {
            assert_eq!(got.name, want["name"].as_str().unwrap());
            assert_eq!(
                u64::from(got.method),
                want["method"].as_u64().unwrap(),
                "{}",
                got.name
            );
            assert_eq!(got.size, want["size"].as_u64().unwrap(), "{}", got.name);
            assert_eq!(
                format!("{:08x}", got.crc32),
                want["crc32"].as_str().unwrap(),
                "{}",
                got.name
            );
            assert_eq!(
                sha256_hex(&got.data),
                want["sha256"].as_str().unwrap(),
                "{}",
                got.name
            );
            assert_eq!(
                got.offset,
                want["local_header_offset"].as_u64().unwrap(),
                "{}",
                got.name
            );
        }
    }
    // Each image entry holds exactly the fixture's bytes.
    for entry in &seen[1..] {
        assert_eq!(entry.data, std::fs::read(fixture(&entry.name)).unwrap());
    }
    // Our header values are those of §5.6 item 6, so the whole file matches the reference.
    assert_eq!(
        zip.len() as u64,
        expected["reference_zip_size"].as_u64().unwrap()
    );
    assert_eq!(
        sha256_hex(&zip),
        expected["reference_zip_sha256"].as_str().unwrap()
    );
    // Deterministic: building again gives the same bytes.
    assert_eq!(loaded.build_zip(&ctx(&c)).unwrap(), zip);
    if let Some(out) = unzip_t(&zip) {
        assert_eq!(out.matches("OK").count(), seen.len(), "{out}");
    }
}

#[test]
fn zip_files_variant_matches_entries_and_reference_hash() {
    check_zip("zip_files_variant", "liveness_as_files", false);
}

#[test]
fn zip_base64_variant_matches_entries_and_reference_hash() {
    check_zip("zip_base64_variant", "liveness_as_base64", true);
}

#[test]
fn put_content_length_is_the_zip_length() {
    let c = canonical();
    let zip = job(&c, false).build_zip(&ctx(&c)).unwrap();
    let headers = c.doc["put"]["headers"].as_array().unwrap();
    let len = headers
        .iter()
        .find(|h| h[0] == "Content-Length")
        .map(|h| h[1].as_str().unwrap().parse::<usize>().unwrap())
        .unwrap();
    assert_eq!(zip.len(), len);
}

/// Every key path of `v`, with its value for leaves, and each object's key order.
fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Object(m) => {
            let keys: Vec<Value> = m.keys().map(|k| Value::String(k.clone())).collect();
            out.push((format!("{prefix}#keys"), Value::Array(keys)));
            for (k, x) in m {
                flatten(&format!("{prefix}/{k}"), x, out);
            }
        }
        Value::Array(a) => {
            out.push((format!("{prefix}#len"), Value::from(a.len())));
            for (i, x) in a.iter().enumerate() {
                flatten(&format!("{prefix}/{i}"), x, out);
            }
        }
        leaf => out.push((prefix.to_owned(), leaf.clone())),
    }
}

/// Ours against the official Python SDK's info.json for the same job, field by field: equal
/// everywhere except what differs by design (docs/protocol.md §5.5, `testdata/interop/info_json_python.json`
/// notes): timestamps and signatures, the renamed job ids of the observed runs, `language`,
/// `id_info` (Python `{}`, ours `{"entered":"false"}`), `server_information` (Python: only the
/// URL string), and the upload URL the prep upload returned.
#[test]
fn info_json_matches_the_python_sdk_field_by_field() {
    let c = canonical();
    let python = interop("info_json_python.json");
    for (variant, b64) in [("liveness_as_files", false), ("liveness_as_base64", true)] {
        let theirs = python["variants"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == variant)
            .unwrap()["info_json"]
            .clone();
        let ours: Value =
            serde_json::from_slice(&job(&c, b64).info_json(&ctx(&c)).unwrap()).unwrap();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        flatten("", &ours, &mut a);
        flatten("", &theirs, &mut b);
        let skip = |path: &str| {
            [
                "/misc_information/timestamp",
                "/misc_information/signature",
                "/misc_information/partner_params/job_id",
                "/package_information/language",
                "/id_info",
                "/server_information",
            ]
            .iter()
            .any(|s| path.starts_with(s))
        };
        a.retain(|(p, _)| !skip(p));
        b.retain(|(p, _)| !skip(p));
        assert_eq!(a, b, "{variant}");
        assert_eq!(ours["package_information"]["language"], "rust");
        assert_eq!(ours["id_info"], serde_json::json!({"entered": "false"}));
        assert_eq!(
            ours["server_information"]["upload_url"],
            c.doc["inputs"]["prep_upload_response"]["upload_url"]
        );
    }
}

/// The Node SDK's info.json has the same top-level layout and `userData` keys (with its known
/// defects: no signature, `firstName: "Bill"`, liveness paths instead of files).
#[test]
fn info_json_layout_matches_the_node_sdk() {
    let c = canonical();
    let node = interop("info_json_node.json");
    let theirs = &node["variants"][0]["info_json"];
    let ours: Value = serde_json::from_slice(&job(&c, false).info_json(&ctx(&c)).unwrap()).unwrap();
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&ours), keys(theirs));
    assert_eq!(
        keys(&ours["misc_information"]["userData"]),
        keys(&theirs["misc_information"]["userData"])
    );
    assert_eq!(ours["id_info"], theirs["id_info"]);
    assert_eq!(
        keys(&ours["server_information"]),
        keys(&theirs["server_information"])
    );
    assert_eq!(theirs["misc_information"]["userData"]["firstName"], "Bill");
    assert_eq!(ours["misc_information"]["userData"]["firstName"], "");
}

#[test]
fn retry_and_no_callback() {
    let c = canonical();
    let partner_params: PartnerParams =
        serde_json::from_value(c.doc["inputs"]["partner_params"].clone()).unwrap();
    let job = SubmitRequest::new(
        partner_params,
        vec![Image::selfie_file(fixture("selfie.jpg"))],
    )
    .with_options(JobOptions {
        return_job_status: true,
        ..JobOptions::default()
    })
    .validate()
    .unwrap();
    assert_eq!(job.callback_url(), None);
    let info = job.info_json(&ctx(&c).with_retry(true)).unwrap();
    let v: Value = serde_json::from_slice(&info).unwrap();
    assert_eq!(v["misc_information"]["retry"], "true");
    assert!(v["misc_information"].get("callback_url").is_none());
    let keys: Vec<&str> = v["misc_information"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "timestamp",
            "signature",
            "retry",
            "partner_params",
            "file_name",
            "smile_client_id",
            "userData"
        ]
    );
    // The text is exactly what serde_json writes for the parsed value (no stray spaces or
    // escapes), so any JSON reader sees the same document.
    assert_eq!(serde_json::to_vec(&v).unwrap(), info);
}

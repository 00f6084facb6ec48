//! The upload URL (`PUT` of the zip) and the checks the emulator applies to the package.

use std::sync::Arc;

use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::{Map, Value};

use crate::budget::{Refused, Reservation, declared_inflated_size};
use crate::error_chain::error_chain;
use crate::processing;
use crate::shared::Shared;
use crate::store::{Failure, Job, JobPhase, StoredImage};
use crate::wire::{random_token, read_body};
use smile_package::{ImageFormat, ReadError, ReadLimits, read_upload_zip_with};
use smile_sign::Signer;

/// Request extension set by the fault layer: answer the `PUT` as if the URL had expired.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ExpiredUpload;

/// A storage-service style XML error.
fn s3_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message><RequestId>smile-emulator</RequestId></Error>"
    );
    (status, [(header::CONTENT_TYPE, "application/xml")], body).into_response()
}

/// `PUT /__emulator/uploads/{token}/{file}`: the presigned upload URL.
pub(crate) async fn put_zip(
    State(shared): State<Arc<Shared>>,
    Path((token, _file)): Path<(String, String)>,
    req: Request,
) -> Response {
    let (parts, body) = req.into_parts();
    let expired_by_fault = parts.extensions.get::<ExpiredUpload>().is_some();
    let now = shared.now();
    let slot_state = {
        let store = shared.store();
        store
            .uploads
            .get(&token)
            .and_then(|job_id| store.jobs.get(job_id))
            .and_then(|job| {
                let slot = job.upload.as_ref()?;
                (slot.token == token).then(|| (job.job_id.clone(), slot.expires_at))
            })
    };
    let Some((job_id, expires_at)) = slot_state else {
        return s3_error(
            StatusCode::FORBIDDEN,
            "AccessDenied",
            "Access Denied (unknown or superseded upload URL)",
        );
    };
    if expired_by_fault || now > expires_at {
        return s3_error(StatusCode::FORBIDDEN, "AccessDenied", "Request has expired");
    }
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !content_type.eq_ignore_ascii_case("application/zip") {
        return s3_error(
            StatusCode::FORBIDDEN,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided (the upload URL is signed for Content-Type: application/zip)",
        );
    }
    if !parts.headers.contains_key(header::CONTENT_LENGTH) {
        return s3_error(
            StatusCode::LENGTH_REQUIRED,
            "MissingContentLength",
            "You must provide the Content-Length HTTP header.",
        );
    }
    let limit = shared.config.max_zip_body;
    let bytes = match read_body(&parts.headers, body, limit).await {
        Ok(b) => b,
        Err(e) if e.status == StatusCode::PAYLOAD_TOO_LARGE => {
            return s3_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "EntityTooLarge",
                &format!("Your proposed upload exceeds the maximum allowed size ({limit} bytes)"),
            );
        }
        Err(e) if e.status == StatusCode::REQUEST_TIMEOUT => {
            return s3_error(
                StatusCode::BAD_REQUEST,
                "RequestTimeout",
                "Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed.",
            );
        }
        Err(e) => return s3_error(StatusCode::BAD_REQUEST, "IncompleteBody", &e.message),
    };
    // A second PUT to a URL that already delivered a zip (a client retrying after a lost
    // response) overwrites the object, as a storage service does, and changes nothing.
    let is_fresh = |job: &Job| {
        job.upload
            .as_ref()
            .is_some_and(|slot| slot.token == token && !slot.received)
    };
    let job_copy = {
        let store = shared.store();
        match store.jobs.get(&job_id) {
            None => return s3_error(StatusCode::FORBIDDEN, "AccessDenied", "Access Denied"),
            Some(job) if is_fresh(job) => Some(job.clone()),
            Some(_) => None,
        }
    };
    let Some(job_copy) = job_copy else {
        return StatusCode::OK.into_response();
    };
    // Unpacking and checking may take a while: off the async workers, without the store lock,
    // and within the inflate budget shared by every upload in flight.
    let checked = match reserve_inflate(&shared, &bytes).await {
        Err(refused) => return refused,
        Ok(Err(failure)) => Err(failure),
        Ok(Ok(reservation)) => {
            let checker = Arc::clone(&shared);
            match tokio::task::spawn_blocking(move || {
                let checked = check_package(
                    &job_copy,
                    &checker.signer,
                    &checker.config.partner_id,
                    &bytes,
                    reservation.bytes() as u64,
                );
                // The inflated entries are gone once the check returns.
                drop(reservation);
                checked
            })
            .await
            {
                Ok(checked) => checked,
                Err(e) => {
                    tracing::error!(job_id = %job_id, error = %e, "package check did not finish");
                    return s3_error(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "InternalError",
                        "We encountered an internal error. Please try again.",
                    );
                }
            }
        }
    };
    {
        let mut guard = shared.store();
        let store = &mut *guard;
        let Some(job) = store.jobs.get_mut(&job_id) else {
            return s3_error(StatusCode::FORBIDDEN, "AccessDenied", "Access Denied");
        };
        // Another PUT of the same URL may have been accepted while this one was checked.
        if !is_fresh(job) {
            return StatusCode::OK.into_response();
        }
        let mut new_images = Vec::new();
        job.results.clear();
        job.review = None;
        job.images.clear();
        job.warnings.clear();
        match checked {
            Ok(package) => {
                job.failure = None;
                job.warnings = package.warnings;
                // Biometric KYC looks the ID up; Enhanced Document Verification reports
                // the ID details with its result.
                if matches!(job.job_type, 1 | 11) {
                    job.id_info = package.id_info;
                }
                for (name, content_type, data) in package.images {
                    let image_token = random_token();
                    job.images.push((name, image_token.clone()));
                    new_images.push((
                        image_token,
                        StoredImage {
                            content_type,
                            bytes: data,
                        },
                    ));
                }
            }
            Err(failure) => {
                tracing::info!(job_id = %job_id, code = %failure.code, detail = %failure.detail, "package refused");
                job.failure = Some(failure);
            }
        }
        job.phase = JobPhase::Processing;
        job.processing_due = Some(crate::shared::later(now, shared.config.processing_delay));
        if let Some(slot) = job.upload.as_mut() {
            slot.received = true;
        }
        for (image_token, image) in new_images {
            store.add_image(image_token, image);
        }
    }
    shared.persist();
    processing::run_due(&shared);
    shared.wake.notify_one();
    StatusCode::OK.into_response()
}

/// Reserves from the inflate budget what `zip` declares it inflates to. `Ok(Err(failure))`:
/// the zip declares more than one upload may inflate to (its job fails with `0903`); `Err`:
/// the budget stayed full for the whole wait (the `PUT` is refused with 503 `SlowDown`, and
/// may be retried).
async fn reserve_inflate(
    shared: &Shared,
    zip: &[u8],
) -> Result<Result<Reservation, Failure>, Response> {
    let per_upload = shared.config.max_inflated_per_upload();
    // A zip that cannot be opened is refused before anything is inflated: nothing to reserve.
    let declared = declared_inflated_size(zip).unwrap_or(0);
    let too_large = || {
        zip_corrupt(format!(
            "the zip's entries add up to {declared} bytes inflated, more than the {per_upload} bytes one upload may inflate to"
        ))
    };
    let Some(wanted) = usize::try_from(declared).ok().filter(|n| *n <= per_upload) else {
        return Ok(Err(too_large()));
    };
    match shared
        .inflate
        .reserve(wanted, shared.config.inflate_wait)
        .await
    {
        Ok(reservation) => Ok(Ok(reservation)),
        Err(Refused::TooLarge) => Ok(Err(too_large())),
        Err(Refused::Busy) => {
            tracing::info!(
                wanted,
                budget = shared.inflate.limit(),
                "inflate budget full: upload refused"
            );
            let mut resp = s3_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "SlowDown",
                "Please reduce your request rate. (The emulator's budget for zips being unpacked at once is in use; retry the PUT.)",
            );
            resp.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
            Err(resp)
        }
    }
}

/// A package that passed the checks.
#[derive(Debug)]
pub(crate) struct Package {
    /// (image link name, content type, bytes) of the selfie and ID card images.
    pub(crate) images: Vec<(String, &'static str, Vec<u8>)>,
    pub(crate) id_info: Map<String, Value>,
    /// Images the check skipped instead of refusing the package, and why.
    pub(crate) warnings: Vec<String>,
}

fn zip_corrupt(detail: impl Into<String>) -> Failure {
    Failure {
        code: "0903".into(),
        detail: detail.into(),
    }
}

fn data_invalid(detail: impl Into<String>) -> Failure {
    Failure {
        code: "0001".into(),
        detail: detail.into(),
    }
}

fn image_content_type(bytes: &[u8]) -> Option<&'static str> {
    ImageFormat::sniff(bytes).map(ImageFormat::mime_type)
}

fn decode_base64(text: &str) -> Option<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
    STANDARD
        .decode(text)
        .or_else(|_| STANDARD_NO_PAD.decode(text))
        .ok()
}

fn string_or_number(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Checks an uploaded zip against its job: readable zip, `info.json` (partner params,
/// signature when present, id_info), and every image it references present and a JPEG or PNG.
/// The entries may add up to `max_inflated` bytes inflated.
pub(crate) fn check_package(
    job: &Job,
    signer: &Signer,
    partner_id: &str,
    zip: &[u8],
    max_inflated: u64,
) -> Result<Package, Failure> {
    // Unreferenced entries are ignored, duplicates included (the official Python SDK writes
    // one junk entry named `base64imgString` per base64 image).
    let limits = ReadLimits::default()
        .allow_duplicate_names(true)
        .max_total_bytes(max_inflated);
    let upload = read_upload_zip_with(zip, limits).map_err(|e| match e {
        ReadError::MissingInfoJson => zip_corrupt("the zip has no info.json entry"),
        ReadError::InfoJson(e) => zip_corrupt(format!("info.json is not valid JSON: {e}")),
        other => zip_corrupt(format!(
            "the upload is not a readable zip: {}",
            error_chain(&other)
        )),
    })?;
    let entries = upload.entries;
    let Value::Object(info) = upload.info else {
        return Err(data_invalid("info.json is not a JSON object"));
    };
    let misc = match info.get("misc_information") {
        Some(Value::Object(m)) => m,
        _ => return Err(data_invalid("info.json: misc_information is missing")),
    };
    let pp = match misc.get("partner_params") {
        Some(Value::Object(pp)) => pp,
        _ => {
            return Err(data_invalid(
                "info.json: misc_information.partner_params is missing",
            ));
        }
    };
    let pp_job_type = match pp.get("job_type") {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.parse().ok(),
        _ => None,
    };
    if pp.get("user_id").and_then(Value::as_str) != Some(job.user_id.as_str())
        || pp.get("job_id").and_then(Value::as_str) != Some(job.job_id.as_str())
        || pp_job_type != Some(u64::from(job.job_type))
    {
        return Err(data_invalid(format!(
            "info.json: partner_params {} do not match the prepared job (user_id {:?}, job_id {:?}, job_type {})",
            Value::Object(pp.clone()),
            job.user_id,
            job.job_id,
            job.job_type
        )));
    }
    if let Some(client) = string_or_number(misc.get("smile_client_id"))
        && client != partner_id
    {
        return Err(data_invalid(format!(
            "info.json: misc_information.smile_client_id {client:?} is not this partner"
        )));
    }
    // The official Node SDK omits the signature here; when present it must verify.
    if let Some(sig) = misc.get("signature") {
        let ts = misc.get("timestamp").and_then(Value::as_str);
        match (ts, sig.as_str()) {
            (Some(ts), Some(sig)) if signer.verify(ts, sig).is_ok() => {}
            _ => {
                return Err(data_invalid(
                    "info.json: misc_information.signature does not verify over misc_information.timestamp",
                ));
            }
        }
    }
    let id_info = match info.get("id_info") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err(data_invalid("info.json: id_info is not an object")),
    };
    let id_field = |k: &str| {
        id_info
            .get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    if matches!(job.job_type, 6 | 11) && id_field("country").is_none() {
        return Err(data_invalid(format!(
            "info.json: id_info.country is required for job type {}",
            job.job_type
        )));
    }
    if job.job_type == 11 && id_field("id_type").is_none() {
        return Err(data_invalid(
            "info.json: id_info.id_type is required for job type 11",
        ));
    }
    let images = match info.get("images") {
        Some(Value::Array(a)) => a,
        _ => return Err(data_invalid("info.json: images is missing")),
    };
    let mut selfies = 0;
    let mut id_fronts = 0;
    let mut linked = Vec::new();
    let mut warnings = Vec::new();
    for (i, image) in images.iter().enumerate() {
        let Value::Object(image) = image else {
            return Err(data_invalid(format!(
                "info.json: images[{i}] is not an object"
            )));
        };
        let type_id = match image.get("image_type_id") {
            Some(Value::Number(n)) => n.as_u64(),
            Some(Value::String(s)) => s.parse().ok(),
            _ => None,
        }
        .filter(|t| *t <= 7)
        .ok_or_else(|| {
            data_invalid(format!(
                "info.json: images[{i}].image_type_id is missing or not 0-7"
            ))
        })?;
        let text = |k: &str| image.get(k).and_then(Value::as_str).unwrap_or_default();
        let (image_text, file_name) = (text("image"), text("file_name"));
        let bytes: Vec<u8> = if matches!(type_id, 0 | 1 | 4 | 5) {
            if file_name.is_empty() {
                let hint = if image_text.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; its \"image\" holds {image_text:?}, which is not uploaded (the official Node SDK 3.2.1 writes local paths of liveness and ID-back files there instead of zipping them)"
                    )
                };
                let problem = format!(
                    "info.json: images[{i}] (image_type_id {type_id}) has no file_name, so its image is not in the zip{hint}"
                );
                // Liveness frames and ID backs are optional: the real server processes the
                // job without them (docs/protocol.md §13.1), so the emulator skips them too and
                // says so. A missing selfie or ID front is refused below.
                if matches!(type_id, 4 | 5) {
                    warnings.push(format!("{problem}; skipped"));
                    continue;
                }
                return Err(data_invalid(problem));
            }
            entries
                .iter()
                .find(|e| e.name == file_name)
                .map(|e| e.data.clone())
                .ok_or_else(|| {
                    data_invalid(format!(
                        "info.json: images[{i}].file_name {file_name:?} is not in the zip"
                    ))
                })?
        } else {
            if image_text.is_empty() {
                return Err(data_invalid(format!(
                    "info.json: images[{i}] (image_type_id {type_id}) has no base64 image"
                )));
            }
            decode_base64(image_text).ok_or_else(|| {
                data_invalid(format!(
                    "info.json: images[{i}].image is not valid base64 (no data: prefix, no line breaks)"
                ))
            })?
        };
        let Some(content_type) = image_content_type(&bytes) else {
            return Err(data_invalid(format!(
                "info.json: images[{i}] (image_type_id {type_id}) is not a JPEG or PNG image"
            )));
        };
        let link = match type_id {
            0 | 2 => {
                selfies += 1;
                Some("selfie_image")
            }
            1 | 3 => {
                id_fronts += 1;
                Some("id_card_image")
            }
            5 | 7 => Some("id_card_back_image"),
            _ => None,
        };
        if let Some(link) = link
            && !linked.iter().any(|(n, _, _): &(String, _, _)| n == link)
        {
            linked.push((link.to_owned(), content_type, bytes));
        }
    }
    let document_job = matches!(job.job_type, 6 | 11);
    if selfies == 0 && !(document_job && job.use_enrolled_image) {
        return Err(data_invalid(
            "info.json: no selfie image (image_type_id 0 or 2)",
        ));
    }
    if document_job && id_fronts == 0 {
        return Err(data_invalid(format!(
            "info.json: job type {} needs an ID card front image (image_type_id 1 or 3)",
            job.job_type
        )));
    }
    Ok(Package {
        images: linked,
        id_info,
        warnings,
    })
}

/// `GET /__emulator/images/{token}`: an image link.
pub(crate) async fn get_image(
    State(shared): State<Arc<Shared>>,
    Path(token): Path<String>,
) -> Response {
    let store = shared.store();
    match store.images.get(&token) {
        Some(img) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, img.content_type)],
            img.bytes.clone(),
        )
            .into_response(),
        None => s3_error(
            StatusCode::NOT_FOUND,
            "NoSuchKey",
            "The specified key does not exist.",
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;
    use std::time::SystemTime;

    use serde_json::json;
    use smile_types::PartnerId;

    use super::*;
    use crate::outcome::Outcome;
    use crate::store::{JobKind, PartnerParams};

    const LIMIT: u64 = 1 << 20;
    const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10];
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0";

    fn signer() -> Signer {
        Signer::new(PartnerId::new("001"), "k".to_owned())
    }

    fn job(job_type: u32) -> Job {
        let pp = PartnerParams {
            user_id: "u".into(),
            job_id: "j".into(),
            job_type,
            extras: Map::new(),
        };
        let outcome = Outcome {
            result: "0820".into(),
            final_result: None,
        };
        Job {
            partner_params: Map::new(),
            ..Job::new(
                "0000000001".into(),
                &pp,
                job_type,
                JobKind::Upload,
                SystemTime::UNIX_EPOCH,
                outcome,
            )
        }
    }

    fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, data) in entries {
            w.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    fn info(images: Value, extra_misc: Value) -> Vec<u8> {
        let mut misc = json!({"partner_params": {"user_id": "u", "job_id": "j", "job_type": "2"}});
        for (k, v) in extra_misc.as_object().unwrap() {
            misc[k] = v.clone();
        }
        json!({"misc_information": misc, "id_info": {"entered": false}, "images": images, "server_information": "https://example.com/upload"})
            .to_string()
            .into_bytes()
    }

    #[test]
    fn accepts_files_base64_png_and_unreferenced_entries() {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD.encode(PNG);
        let info = info(
            json!([
                {"image_type_id": "0", "image": "", "file_name": "s.jpg"},
                {"image_type_id": 6, "image": b64},
                {"image_type_id": 4, "file_name": "l.png"}
            ]),
            json!({}),
        );
        let bytes = zip(&[
            ("info.json", &info),
            ("s.jpg", JPEG),
            ("l.png", PNG),
            ("junk", b"x"),
        ]);
        let package = check_package(&job(2), &signer(), "001", &bytes, LIMIT).unwrap();
        assert_eq!(package.images.len(), 1);
        assert_eq!(package.images[0].0, "selfie_image");
        assert_eq!(package.images[0].1, "image/jpeg");
    }

    #[test]
    fn explains_each_refusal() {
        type Files<'a> = Vec<(&'a str, &'a [u8])>;
        let cases: Vec<(Value, Value, Files<'_>, &str, &str)> = vec![
            (
                json!([{"image_type_id": 9, "file_name": "s.jpg"}]),
                json!({}),
                vec![("s.jpg", JPEG)],
                "0001",
                "not 0-7",
            ),
            (
                json!([{"image_type_id": 2, "image": "data:image/jpeg;base64,AAAA"}]),
                json!({}),
                vec![],
                "0001",
                "not valid base64",
            ),
            (
                json!([{"image_type_id": 0, "image": "/tmp/s.jpg", "file_name": ""}]),
                json!({}),
                vec![],
                "0001",
                "\"/tmp/s.jpg\"",
            ),
            (
                json!([{"image_type_id": 4, "image": "/tmp/l.jpg", "file_name": ""}]),
                json!({}),
                vec![],
                "0001",
                "no selfie",
            ),
            (
                json!([{"image_type_id": 4, "file_name": "l.jpg"}]),
                json!({}),
                vec![("l.jpg", JPEG)],
                "0001",
                "no selfie",
            ),
            (
                json!([{"image_type_id": 0, "file_name": "s.jpg"}]),
                json!({"smile_client_id": "002"}),
                vec![("s.jpg", JPEG)],
                "0001",
                "smile_client_id",
            ),
            (
                json!([{"image_type_id": 0, "file_name": "s.jpg"}]),
                json!({"signature": 5}),
                vec![("s.jpg", JPEG)],
                "0001",
                "signature does not verify",
            ),
            (json!({}), json!({}), vec![], "0001", "images is missing"),
        ];
        for (images, misc, files, code, needle) in cases {
            let info = info(images, misc);
            let mut entries: Vec<(&str, &[u8])> = vec![("info.json", &info)];
            entries.extend(files);
            let failure =
                check_package(&job(2), &signer(), "001", &zip(&entries), LIMIT).unwrap_err();
            assert_eq!(failure.code, code, "{needle}: {failure:?}");
            assert!(
                failure.detail.contains(needle),
                "{needle}: {}",
                failure.detail
            );
        }
        let failure =
            check_package(&job(2), &signer(), "001", b"PK\x03\x04 truncated", LIMIT).unwrap_err();
        assert_eq!(failure.code, "0903");
        let failure = check_package(
            &job(2),
            &signer(),
            "001",
            &zip(&[("info.json", b"{")]),
            LIMIT,
        )
        .unwrap_err();
        assert_eq!(
            (
                failure.code.as_str(),
                failure.detail.contains("not valid JSON")
            ),
            ("0903", true)
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]
        /// Garbage, and valid packages with bytes flipped, never panic the checks.
        #[test]
        fn checks_never_panic(
            garbage in proptest::collection::vec(proptest::num::u8::ANY, 0..300),
            flips in proptest::collection::vec((0usize..2000, proptest::num::u8::ANY), 0..6),
        ) {
            let _ = check_package(&job(2), &signer(), "001", &garbage, LIMIT);
            let info = info(json!([{"image_type_id": 0, "image": "", "file_name": "s.jpg"}]), json!({}));
            let mut bytes = zip(&[("info.json", &info), ("s.jpg", JPEG)]);
            for (at, value) in flips {
                let len = bytes.len();
                bytes[at % len] = value;
            }
            let _ = check_package(&job(2), &signer(), "001", &bytes, LIMIT);
        }
    }

    #[test]
    fn liveness_and_id_back_files_without_file_name_are_skipped_with_a_warning() {
        let info = info(
            json!([
                {"image_type_id": 0, "image": "", "file_name": "s.jpg"},
                {"image_type_id": 4, "image": "/home/me/l1.jpg", "file_name": ""},
                {"image_type_id": 5, "image": "/home/me/back.jpg", "file_name": ""}
            ]),
            json!({}),
        );
        let bytes = zip(&[("info.json", &info), ("s.jpg", JPEG)]);
        let package = check_package(&job(2), &signer(), "001", &bytes, LIMIT).unwrap();
        assert_eq!(package.images.len(), 1);
        assert_eq!(package.warnings.len(), 2, "{:?}", package.warnings);
        assert!(package.warnings[0].contains("images[1] (image_type_id 4)"));
        assert!(package.warnings[0].contains("\"/home/me/l1.jpg\""));
        assert!(package.warnings[0].contains("Node SDK"));
        assert!(package.warnings[1].contains("images[2] (image_type_id 5)"));
    }

    #[test]
    fn inflated_size_is_capped() {
        let info = info(
            json!([{"image_type_id": 0, "image": "", "file_name": "s.jpg"}]),
            json!({}),
        );
        let padding = vec![0u8; 100_000];
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let deflated = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in [
            ("info.json", info.as_slice()),
            ("s.jpg", JPEG),
            ("padding", padding.as_slice()),
        ] {
            w.start_file(name, deflated).unwrap();
            w.write_all(data).unwrap();
        }
        let bytes = w.finish().unwrap().into_inner();
        assert!(bytes.len() < 5_000, "{}", bytes.len());
        // 80 000 < 100 000 inflated: refused as unreadable.
        let failure = check_package(&job(2), &signer(), "001", &bytes, 80_000).unwrap_err();
        assert_eq!(failure.code, "0903", "{failure:?}");
        assert!(check_package(&job(2), &signer(), "001", &bytes, 120_000).is_ok());
    }

    #[test]
    fn a_valid_info_json_signature_is_accepted() {
        let ts = "2026-11-27T13:23:44.376190+00:00";
        let sig = signer().sign(ts);
        let info = info(
            json!([{"image_type_id": 0, "image": "", "file_name": "s.jpg"}]),
            json!({"timestamp": ts, "signature": sig, "smile_client_id": "001"}),
        );
        let bytes = zip(&[("info.json", &info), ("s.jpg", JPEG)]);
        assert!(check_package(&job(2), &signer(), "001", &bytes, LIMIT).is_ok());
    }
}

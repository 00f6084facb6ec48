//! The Smile ID upload package: a validated image list, `info.json` and the STORE zip that
//! `submit_job` uploads ([protocol §5.2](smile_types::protocol#52-step-1-local-validation), §5.5, §5.6, §6.1).
//!
//! ```
//! use serde_json::{Map, Value};
//! use smile_package::{Image, SubmitRequest, UploadContext};
//! use smile_types::{JobOptions, JobType, PartnerId, PartnerParams};
//!
//! # let jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0];
//! // 1. Validate everything and load every image, before any network call.
//! let job = SubmitRequest::new(
//!     PartnerParams::new("user-0001", "job-0002", JobType::SmartSelfieAuthentication),
//!     vec![
//!         Image::selfie_bytes(jpeg.clone()),
//!         Image::liveness_bytes(jpeg.clone()),
//!         Image::liveness_base64("/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQH/wAALCAABAAEBAREA/8QAFAABAAAAAAAAAAAAAAAAAAAACf/EABQQAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQEAAD8AKp//2Q=="),
//!     ],
//! )
//! .with_options(JobOptions { return_job_status: true, ..JobOptions::default() })
//! .validate()
//! .expect("valid input");
//!
//! // 2. After the prep upload: info.json and the zip, from the prep-upload response.
//! let partner = PartnerId::new("085");
//! let response: Map<String, Value> = serde_json::from_str(
//!     r#"{"upload_url":"https://uploads.example/x","smile_job_id":"0000000001","code":"2202"}"#,
//! )?;
//! let ctx = UploadContext::new(&partner, "2024-01-01T00:00:00.000Z", "c2lnbmF0dXJl", &response);
//! let zip = job.build_zip(&ctx)?;
//! assert_eq!(&zip[..4], b"PK\x03\x04");
//! let info: Value = serde_json::from_slice(&job.info_json(&ctx)?)?;
//! assert_eq!(info["images"][0]["file_name"], "selfie.jpg");
//! assert_eq!(info["images"][1]["file_name"], "liveness_1.jpg");
//! assert_eq!(info["images"][2]["image_type_id"], 6);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What it checks
//!
//! [`validate_and_load`] applies every rule of [protocol §6.1](smile_types::protocol#61-submit_job-job-types-1-2-4-6-11) (partner params, the job type
//! allow-list 1, 2, 4, 6, 11, the images each job type needs, id info, callback, options) and
//! returns **all** problems at once as [`Problems`](smile_types::Problems), each with a stable
//! [`ProblemCode`](smile_types::ProblemCode), the field and a message. Files must be readable
//! regular files; base64 must be strict standard padded base64 without a `data:` prefix; every
//! image must be a JPEG or PNG by content and at most [`DEFAULT_MAX_IMAGE_BYTES`] (20 MiB; all
//! images of a job at most [`DEFAULT_MAX_TOTAL_BYTES`], 100 MiB; see [`Limits`]). Besides the
//! codes of `testdata/interop/validation_cases.json`, these SDK-only codes exist:
//! `images.file.too_large` and `images.base64.too_large` (size limits),
//! `partner_params.extra.reserved_key` (an extra named `user_id`, `job_id` or `job_type`),
//! `partner_params.extra.not_string` (an extra whose value is not a JSON string) and
//! `id_info.not_allowed` (id info with a field set or `entered: true` on job 2 or 4, which send
//! exactly `{"entered":"false"}`).
//!
//! Problems are reported in a stable order: partner params, image composition, each image in
//! list order, id info, callback, options.
//!
//! # Memory
//!
//! A [`LoadedJob`] holds each image's bytes once, with its CRC-32 (computed once, when it is
//! loaded): files are read into buffers of their exact size, [`ImageSource::Bytes`] and
//! [`Base64Text`] are shared ([`Bytes`], no copy), base64 text is kept as given and never
//! re-encoded (its decoded form is only checked, never stored). [`build_zip_chunks`] gives the
//! archive as its headers plus chunks that share the images (nothing of the payload's size is
//! allocated or copied; this is what the clients send); [`build_zip`] writes the same bytes
//! into one buffer of their exact final size, copying each image once.
//!
//! # Features
//!
//! | feature | what it adds |
//! |---|---|
//! | `reader` | `read_upload_zip`: unpack and check an upload zip (STORE or DEFLATE, as the official SDKs send), with limits against zip bombs |
//!
//! # Errors
//!
//! Validation errors are [`Problems`](smile_types::Problems). [`BuildError`] only reports the
//! zip format's own limits (4 GiB, 65534 entries). No function panics on bad input.
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod b64;
mod base64_text;
mod format;
mod image;
mod naming;
#[cfg(feature = "reader")]
mod reader;
mod store;
mod upload;
mod validate;

pub use base64_text::Base64Text;
/// The shared byte buffer of [`ImageSource::Bytes`] and of the zip's chunks (re-exported from
/// the `bytes` crate).
pub use bytes::Bytes;
pub use format::ImageFormat;
pub use image::{Image, ImageSource};
#[cfg(feature = "reader")]
#[cfg_attr(docsrs, doc(cfg(feature = "reader")))]
pub use reader::{
    EntryMethod, ReadError, ReadLimits, UploadZip, ZipEntry, read_upload_zip, read_upload_zip_with,
};
pub use upload::{BuildError, UploadContext, build_zip, build_zip_chunks, info_json};
pub use validate::{
    DEFAULT_MAX_IMAGE_BYTES, DEFAULT_MAX_TOTAL_BYTES, Limits, LoadedImage, LoadedJob,
    SubmitRequest, validate_and_load,
};

/// The name of the `info.json` zip entry (always the first entry).
pub const INFO_JSON_NAME: &str = naming::INFO_JSON;

/// The crate README's example (its crates.io page), compiled as a doc test so it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

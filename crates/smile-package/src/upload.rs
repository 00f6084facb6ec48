//! Step 3 of `submit_job`: `info.json` ([protocol §5.5](smile_types::protocol#55-step-3-infojson)) and the upload zip (§5.6).

use bytes::Bytes;
use serde_json::{Map, Value};
use smile_types::{IdInfo, PartnerId};

use crate::naming::INFO_JSON;
use crate::store::{Chunks, Measure, Sink, StoreWriter, archive_len};
use crate::{LoadedImage, LoadedJob};

/// Why the upload could not be built. Validation rules out every input problem, so these are
/// limits of the zip format (no ZIP64) and should not occur in practice.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The zip would be 4 GiB or larger (ZIP64 is not written).
    #[error("the upload zip would be {len} bytes; zips of 4 GiB or more are not supported")]
    TooLarge {
        /// The length the archive would have.
        len: u64,
    },
    /// The zip would have more than 65534 entries (ZIP64 is not written).
    #[error("the upload zip would have {count} entries; at most 65534 are supported")]
    TooManyEntries {
        /// The number of entries.
        count: usize,
    },
    /// An entry name is longer than 65535 bytes.
    #[error("zip entry name of {} bytes is longer than 65535 bytes", name.len())]
    NameTooLong {
        /// The name.
        name: String,
    },
    /// A part of `info.json` could not be serialized.
    #[error("info.json could not be serialized")]
    Json(#[source] serde_json::Error),
}

/// What `info.json` needs besides the job: who signs, when, and the prep-upload response.
///
/// `timestamp` and `signature` are those of the prep-upload request (§5.3); `server_information`
/// is the whole prep-upload response object, in its original key order.
///
/// ```
/// use serde_json::{Map, Value};
/// use smile_package::UploadContext;
/// use smile_types::PartnerId;
///
/// let partner = PartnerId::new("085");
/// let response: Map<String, Value> =
///     serde_json::from_str(r#"{"upload_url":"https://u.example/x","smile_job_id":"1"}"#).unwrap();
/// let ctx = UploadContext::new(&partner, "2024-01-01T00:00:00.000Z", "c2lnbmF0dXJl", &response)
///     .with_retry(true);
/// assert!(ctx.retry);
/// ```
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct UploadContext<'a> {
    /// The partner id (`smile_client_id`).
    pub partner_id: &'a PartnerId,
    /// The prep-upload request's timestamp.
    pub timestamp: &'a str,
    /// The prep-upload request's signature.
    pub signature: &'a str,
    /// `misc_information.retry`: true only after a `retry: true` re-prep (§5.10).
    pub retry: bool,
    /// The prep-upload response object, embedded verbatim as `server_information`.
    pub server_information: &'a Map<String, Value>,
}

impl<'a> UploadContext<'a> {
    /// A context with `retry: false`.
    pub fn new(
        partner_id: &'a PartnerId,
        timestamp: &'a str,
        signature: &'a str,
        server_information: &'a Map<String, Value>,
    ) -> Self {
        UploadContext {
            partner_id,
            timestamp,
            signature,
            retry: false,
            server_information,
        }
    }

    /// Sets `retry`.
    #[must_use]
    pub fn with_retry(mut self, retry: bool) -> Self {
        self.retry = retry;
        self
    }
}

const PACKAGE_INFORMATION: &[u8] = br#"{"package_information":{"apiVersion":{"buildNumber":0,"majorVersion":2,"minorVersion":0},"language":"rust"},"misc_information":{"timestamp":"#;
const USER_DATA: &[u8] = br#","userData":{"isVerifiedProcess":false,"name":"","fbUserID":"","firstName":"","lastName":"","gender":"","email":"","phone":"","countryCode":"+","countryName":""}},"id_info":"#;
const IMAGE_TYPE_ID: &[u8] = br#"{"image_type_id":"#;
const IMAGE: &[u8] = br#","image":""#;
const FILE_NAME: &[u8] = br#"","file_name":"#;

/// `info.json` split into its small serialized parts and the images, whose base64 texts are
/// written as shared parts (so the chunked zip points at the caller's text, and the contiguous
/// one copies it once).
struct InfoJson<'a> {
    head: Vec<u8>,
    job: &'a LoadedJob,
    tail: Vec<u8>,
}

fn json_into(buf: &mut Vec<u8>, value: &impl serde::Serialize) -> Result<(), BuildError> {
    serde_json::to_writer(buf, value).map_err(BuildError::Json)
}

impl<'a> InfoJson<'a> {
    fn new(job: &'a LoadedJob, ctx: &UploadContext<'_>) -> Result<Self, BuildError> {
        let mut head = Vec::with_capacity(1024);
        head.extend_from_slice(PACKAGE_INFORMATION);
        json_into(&mut head, &ctx.timestamp)?;
        head.extend_from_slice(br#","signature":"#);
        json_into(&mut head, &ctx.signature)?;
        head.extend_from_slice(if ctx.retry {
            br#","retry":"true","partner_params":"#
        } else {
            br#","retry":"false","partner_params":"#
        });
        json_into(&mut head, job.partner_params())?;
        head.extend_from_slice(br#","file_name":"selfie.zip","smile_client_id":"#);
        json_into(&mut head, &ctx.partner_id.as_str())?;
        if let Some(cb) = job.callback_url() {
            head.extend_from_slice(br#","callback_url":"#);
            json_into(&mut head, &cb)?;
        }
        head.extend_from_slice(USER_DATA);
        match job.id_info() {
            Some(info) => json_into(&mut head, info)?,
            None => json_into(&mut head, &IdInfo::default())?,
        }
        head.extend_from_slice(br#","images":["#);

        let mut tail = Vec::with_capacity(512);
        tail.extend_from_slice(br#"],"server_information":"#);
        json_into(&mut tail, ctx.server_information)?;
        tail.push(b'}');
        Ok(InfoJson { head, job, tail })
    }

    /// The CRC-32 and exact length of the document (measured by writing it to nowhere: the
    /// base64 texts are not read again, their CRC-32 from loading is combined in).
    fn measure(&self) -> (u32, u64) {
        let mut m = Measure::default();
        self.write_to(&mut m);
        m.finish()
    }

    fn write_to(&self, out: &mut impl Sink) {
        out.put(&self.head);
        for (i, img) in self.job.images().iter().enumerate() {
            if i > 0 {
                out.put(b",");
            }
            out.put(IMAGE_TYPE_ID);
            out.put(&[b'0' + img.image_type().id()]);
            out.put(IMAGE);
            // Entry names are ASCII from [A-Za-z0-9._-] and base64 text is from the base64
            // alphabet: neither needs JSON escaping.
            if let Some((text, crc)) = img.base64_text() {
                out.put_shared(text, crc);
            }
            out.put(FILE_NAME);
            out.put(b"\"");
            out.put(img.entry_name().unwrap_or_default().as_bytes());
            out.put(b"\"}");
        }
        out.put(&self.tail);
    }
}

/// The `info.json` document (compact UTF-8 JSON, key order of [protocol §5.5](smile_types::protocol#55-step-3-infojson)).
///
/// `images` lists every image in the caller's order: file and bytes images with `"image": ""`
/// and their zip entry name, base64 images with their text and `"file_name": ""`. `id_info` is
/// the given id info (`{"entered":"false"}` when there is none, always for job types 2 and 4);
/// `callback_url` is left out when the job has none.
pub fn info_json(job: &LoadedJob, ctx: &UploadContext<'_>) -> Result<Vec<u8>, BuildError> {
    let info = InfoJson::new(job, ctx)?;
    let (_, len) = info.measure();
    let len = usize::try_from(len).map_err(|_| BuildError::TooLarge { len })?;
    let mut out = Vec::with_capacity(len);
    info.write_to(&mut out);
    debug_assert_eq!(out.len(), len);
    Ok(out)
}

/// Writes the archive of `job` into the empty sink that `out` makes for its total length.
fn write_zip<S: Sink>(
    job: &LoadedJob,
    ctx: &UploadContext<'_>,
    out: impl FnOnce(u64) -> Result<S, BuildError>,
) -> Result<S, BuildError> {
    let info = InfoJson::new(job, ctx)?;
    let (info_crc, info_len) = info.measure();
    let zipped = || job.images().iter().filter_map(LoadedImage::zipped);
    let sizes = std::iter::once((INFO_JSON.len(), info_len))
        .chain(zipped().map(|(name, bytes, _)| (name.len(), bytes.len() as u64)));
    let (total, count) = archive_len(sizes)?;
    let mut w = StoreWriter::new(out(total)?, count);
    w.add_with(INFO_JSON, info_crc, info_len, |out| info.write_to(out))?;
    for (name, bytes, crc) in zipped() {
        w.add_shared(name, bytes, crc)?;
    }
    let out = w.finish()?;
    debug_assert_eq!(out.written(), total);
    Ok(out)
}

/// The upload zip ([protocol §5.6](smile_types::protocol#56-step-3-cont-the-zip)): STORE entries, `info.json` first, then one entry per file
/// or bytes image in list order under the name `info.json` gives it, nothing else.
///
/// Deterministic: the same job and context give the same bytes (fixed DOS date 1980-01-01,
/// fixed header values). The archive is written into one buffer of its exact final size;
/// every image byte and `info.json` are copied into it once. [`build_zip_chunks`] gives the
/// same bytes without the copy.
pub fn build_zip(job: &LoadedJob, ctx: &UploadContext<'_>) -> Result<Vec<u8>, BuildError> {
    write_zip(job, ctx, |total| {
        let len = usize::try_from(total).map_err(|_| BuildError::TooLarge { len: total })?;
        Ok(Vec::with_capacity(len))
    })
}

/// The upload zip of [`build_zip`], byte for byte, as shared chunks in order: the headers and
/// `info.json`'s own parts are small chunks made here, each image (and each base64 text inside
/// `info.json`) is a chunk that shares the loaded job's bytes instead of copying them
/// (images under 4 KiB are copied into their neighbour). No CRC-32 is computed here either:
/// every image's was computed once, when it was loaded.
///
/// So a job in flight holds its images once, not twice, and the transport can send the chunks
/// as they are (a vectored write).
///
/// ```
/// # use serde_json::{Map, Value};
/// # use smile_package::{Image, SubmitRequest, UploadContext};
/// # use smile_types::{JobOptions, JobType, PartnerId, PartnerParams};
/// let selfie = std::fs::read(smile_testdata::bench_dir().join("selfie_large.jpg"))?; // 287 KB
/// let job = SubmitRequest::new(
///     PartnerParams::new("user-1", "job-1", JobType::SmartSelfieAuthentication),
///     vec![Image::selfie_bytes(selfie.clone())],
/// )
/// .with_options(JobOptions { return_job_status: true, ..JobOptions::default() })
/// .validate()
/// .expect("valid input");
/// # let partner = PartnerId::new("085");
/// # let response: Map<String, Value> = serde_json::from_str(r#"{"upload_url":"https://u.example/x"}"#)?;
/// # let ctx = UploadContext::new(&partner, "2024-01-01T00:00:00.000Z", "c2lnbmF0dXJl", &response);
/// let chunks = job.build_zip_chunks(&ctx)?;
/// assert_eq!(chunks.concat(), job.build_zip(&ctx)?);
/// assert!(chunks.iter().any(|c| c[..] == selfie[..]), "the selfie is one chunk of its own");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn build_zip_chunks(
    job: &LoadedJob,
    ctx: &UploadContext<'_>,
) -> Result<Vec<Bytes>, BuildError> {
    Ok(write_zip(job, ctx, |_| Ok(Chunks::default()))?.finish())
}

impl LoadedJob {
    /// Same as [`info_json`].
    pub fn info_json(&self, ctx: &UploadContext<'_>) -> Result<Vec<u8>, BuildError> {
        info_json(self, ctx)
    }

    /// Same as [`build_zip`].
    pub fn build_zip(&self, ctx: &UploadContext<'_>) -> Result<Vec<u8>, BuildError> {
        build_zip(self, ctx)
    }

    /// Same as [`build_zip_chunks`].
    pub fn build_zip_chunks(&self, ctx: &UploadContext<'_>) -> Result<Vec<Bytes>, BuildError> {
        build_zip_chunks(self, ctx)
    }
}

//! Step 1 of `submit_job`: every rule of [protocol §6.1](smile_types::protocol#61-submit_job-job-types-1-2-4-6-11), all problems at once, every image
//! loaded (files read once, base64 decoded once) before anything is sent.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use bytes::Bytes;

use smile_types::{
    EnrolledImage, IdInfo, IdInfoRule, ImageKind, ImageType, JobOptions, JobType, Need,
    PartnerParams, Problem, ProblemCode, Problems, RESERVED_PARTNER_PARAMS_KEYS,
    check_callback_url, check_ids,
};

use crate::b64::{Base64Problem, check_base64_image};
use crate::naming::{EntryNamer, candidate};
use crate::{Image, ImageFormat, ImageSource};

/// Default per-image limit: 20 MiB of image bytes (decoded, for base64).
///
/// Selfies and liveness frames from the official capture SDKs are 20–300 KB, ID card photos a
/// few hundred KB to a few MB; a 12-megapixel phone JPEG at high quality stays under 10 MB. An
/// image above 20 MiB is almost certainly the wrong file (a video, a RAW or an uncompressed
/// scan); refusing it locally also bounds the memory a job needs. Raise it with
/// [`Limits::max_image_bytes`] if your ID scans really are larger.
pub const DEFAULT_MAX_IMAGE_BYTES: u64 = 20 * 1024 * 1024;

/// Default limit for all images of one job together: 100 MiB (decoded, for base64).
///
/// Enough for a selfie, dozens of liveness frames and both sides of an ID card at the per-image
/// limit's typical sizes, while keeping a job's memory (the images plus the zip, about twice
/// this) bounded and far from the zip format's 4 GiB ceiling.
pub const DEFAULT_MAX_TOTAL_BYTES: u64 = 100 * 1024 * 1024;

/// Size limits checked during validation (see [`DEFAULT_MAX_IMAGE_BYTES`] and
/// [`DEFAULT_MAX_TOTAL_BYTES`] for why these values).
///
/// ```
/// use smile_package::Limits;
/// let l = Limits::default().max_image_bytes(50 << 20).max_total_bytes(200 << 20);
/// assert_eq!(l.image_bytes(), 50 << 20);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Limits {
    max_image: u64,
    max_total: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_image: DEFAULT_MAX_IMAGE_BYTES,
            max_total: DEFAULT_MAX_TOTAL_BYTES,
        }
    }
}

impl Limits {
    /// Sets the largest accepted image (bytes; decoded size for base64).
    #[must_use]
    pub fn max_image_bytes(mut self, bytes: u64) -> Self {
        self.max_image = bytes;
        self
    }

    /// Sets the largest accepted sum of all image sizes of a job (bytes; decoded for base64).
    #[must_use]
    pub fn max_total_bytes(mut self, bytes: u64) -> Self {
        self.max_total = bytes;
        self
    }

    /// The per-image limit.
    pub fn image_bytes(&self) -> u64 {
        self.max_image
    }

    /// The per-job limit.
    pub fn total_bytes(&self) -> u64 {
        self.max_total
    }
}

/// Everything `submit_job` is given, before validation.
///
/// The callback URL used is the per-job [`JobOptions::callback_url`] if set, else
/// [`default_callback_url`](Self::default_callback_url) (the client's default). An empty
/// string counts as not set.
///
/// ```
/// use smile_package::{Image, SubmitRequest};
/// use smile_types::{JobOptions, JobType, PartnerParams};
///
/// let request = SubmitRequest::new(
///     PartnerParams::new("user-0001", "job-0002", JobType::SmartSelfieAuthentication),
///     vec![Image::selfie_file("/no/such/selfie.jpg")],
/// )
/// .with_default_callback_url("https://callback.example.com/smile");
/// let problems = request.validate().unwrap_err();
/// assert_eq!(problems.codes().collect::<Vec<_>>(), ["images.file.not_found"]);
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SubmitRequest {
    /// `partner_params` (user, job id, job type, extras).
    pub partner_params: PartnerParams,
    /// The images, in the order they are sent.
    pub images: Vec<Image>,
    /// ID details (`None`: none, written as `{"entered":"false"}`). Job types 2 and 4 take
    /// none: an id info with any field set or `entered: true` is refused
    /// (`id_info.not_allowed`); an empty one is accepted and written as `{"entered":"false"}`.
    pub id_info: Option<IdInfo>,
    /// Job options, including the per-job callback URL.
    pub options: JobOptions,
    /// The client's default callback URL, used when the options carry none.
    pub default_callback_url: Option<String>,
    /// Size limits.
    pub limits: Limits,
}

impl SubmitRequest {
    /// A request with default options, no id info, no default callback and default limits.
    pub fn new(partner_params: PartnerParams, images: Vec<Image>) -> Self {
        SubmitRequest {
            partner_params,
            images,
            id_info: None,
            options: JobOptions::default(),
            default_callback_url: None,
            limits: Limits::default(),
        }
    }

    /// A request from the four arguments of the official `submit_job(partner_params,
    /// image_details, id_info, options)`, as both clients' `submit_job` take them.
    #[must_use]
    pub fn from_official(
        partner_params: PartnerParams,
        images: Vec<Image>,
        id_info: Option<IdInfo>,
        options: JobOptions,
    ) -> Self {
        SubmitRequest {
            id_info,
            ..Self::new(partner_params, images).with_options(options)
        }
    }

    /// Sets the id info.
    #[must_use]
    pub fn with_id_info(mut self, id_info: IdInfo) -> Self {
        self.id_info = Some(id_info);
        self
    }

    /// Sets the options.
    #[must_use]
    pub fn with_options(mut self, options: JobOptions) -> Self {
        self.options = options;
        self
    }

    /// Sets the client's default callback URL.
    #[must_use]
    pub fn with_default_callback_url(mut self, url: impl Into<String>) -> Self {
        self.default_callback_url = Some(url.into());
        self
    }

    /// Sets the size limits.
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Same as [`validate_and_load`].
    pub fn validate(self) -> Result<LoadedJob, Problems> {
        validate_and_load(self)
    }
}

/// An image that passed validation, holding its bytes once.
#[derive(Clone)]
pub struct LoadedImage {
    image_type: ImageType,
    format: ImageFormat,
    len: u64,
    content: Content,
}

/// An image's content with its CRC-32, computed once when it is loaded (the zip needs it:
/// the image's own entry, or `info.json` for base64 text, by combination).
#[derive(Clone)]
enum Content {
    /// Read from a file (exact capacity) or shared from the caller; zipped under `name`.
    Zipped {
        name: String,
        bytes: Bytes,
        crc: u32,
    },
    /// Validated base64 text (ASCII), sent inline.
    Base64 { text: Bytes, crc: u32 },
}

impl std::fmt::Debug for LoadedImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedImage")
            .field("image_type", &self.image_type)
            .field("format", &self.format)
            .field("len", &self.len)
            .field("entry_name", &self.entry_name())
            .finish()
    }
}

impl LoadedImage {
    /// The wire `image_type_id`.
    pub fn image_type(&self) -> ImageType {
        self.image_type
    }

    /// What the image shows.
    pub fn kind(&self) -> ImageKind {
        self.image_type.kind()
    }

    /// JPEG or PNG, by content.
    pub fn format(&self) -> ImageFormat {
        self.format
    }

    /// The image's size in bytes (decoded size for base64).
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Always false: empty images do not pass validation.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The zip entry name (file and bytes images), also written as `file_name` in `info.json`.
    pub fn entry_name(&self) -> Option<&str> {
        match &self.content {
            Content::Zipped { name, .. } => Some(name),
            Content::Base64 { .. } => None,
        }
    }

    /// The bytes that go into the zip (file and bytes images).
    pub fn bytes(&self) -> Option<&[u8]> {
        self.zipped().map(|(_, bytes, _)| &bytes[..])
    }

    /// The base64 text that goes into `info.json` (base64 images), exactly as given.
    pub fn base64(&self) -> Option<&str> {
        // Validated as base64, so ASCII: the conversion cannot fail.
        self.base64_text()
            .and_then(|(text, _)| std::str::from_utf8(text).ok())
    }

    /// The zip entry name, the shared bytes and their CRC-32 (file and bytes images).
    pub(crate) fn zipped(&self) -> Option<(&str, &Bytes, u32)> {
        match &self.content {
            Content::Zipped { name, bytes, crc } => Some((name, bytes, *crc)),
            Content::Base64 { .. } => None,
        }
    }

    /// The shared base64 text and its CRC-32 (base64 images).
    pub(crate) fn base64_text(&self) -> Option<(&Bytes, u32)> {
        match &self.content {
            Content::Base64 { text, crc } => Some((text, *crc)),
            Content::Zipped { .. } => None,
        }
    }
}

/// A validated job: partner params, loaded images, id info, options and the resolved callback.
///
/// Built only by [`validate_and_load`]; it is what [`info_json`](crate::info_json) and
/// [`build_zip`](crate::build_zip) turn into the upload (any number of times, e.g. again after
/// a `retry: true` re-prep).
#[derive(Clone, Debug)]
pub struct LoadedJob {
    partner_params: PartnerParams,
    images: Vec<LoadedImage>,
    id_info: Option<IdInfo>,
    options: JobOptions,
    callback_url: Option<String>,
}

impl LoadedJob {
    /// The partner params.
    pub fn partner_params(&self) -> &PartnerParams {
        &self.partner_params
    }

    /// The job type.
    pub fn job_type(&self) -> JobType {
        self.partner_params.job_type
    }

    /// The images, in the caller's order.
    pub fn images(&self) -> &[LoadedImage] {
        &self.images
    }

    /// The id info as given (`None` is written as `{"entered":"false"}`); always `None` for
    /// job types 2 and 4.
    pub fn id_info(&self) -> Option<&IdInfo> {
        self.id_info.as_ref()
    }

    /// The options.
    pub fn options(&self) -> &JobOptions {
        &self.options
    }

    /// The resolved callback URL (per job, else the client default), if any.
    pub fn callback_url(&self) -> Option<&str> {
        self.callback_url.as_deref()
    }

    /// Sum of the image sizes in bytes (decoded size for base64).
    pub fn payload_len(&self) -> u64 {
        self.images.iter().map(LoadedImage::len).sum()
    }
}

/// Applies every rule of [protocol §6.1](smile_types::protocol#61-submit_job-job-types-1-2-4-6-11) and loads every image, reporting **all** problems.
///
/// Files are opened, checked (regular, non-empty, within the size limit) and read once into a
/// buffer of the exact size; base64 text is validated strictly and decoded once (in chunks, so
/// the decoded copy is never held); every image must be JPEG or PNG by content. Problems come
/// in this order: partner params, image composition, each image in list order, id info,
/// callback, options.
///
/// The request is taken by value so that base64 text and shared bytes are moved, not copied.
pub fn validate_and_load(request: SubmitRequest) -> Result<LoadedJob, Problems> {
    let SubmitRequest {
        partner_params,
        images,
        id_info,
        options,
        default_callback_url,
        limits,
    } = request;
    let mut problems = Problems::new();
    let job_type = partner_params.job_type;

    check_partner_params(&partner_params, &mut problems);
    check_composition(job_type, &images, id_info.as_ref(), &options, &mut problems);
    let loaded = load_images(images, limits, &mut problems);
    check_id_info(job_type, id_info.as_ref(), &mut problems);
    let callback_url = check_callback(&options, default_callback_url, &mut problems);
    check_options(job_type, &options, &mut problems);

    if !problems.is_empty() {
        return Err(problems);
    }
    // Jobs 2 and 4 carry no id info (an empty one was accepted above): keep none, so
    // info.json writes exactly {"entered":"false"}.
    let id_info = id_info.filter(|_| {
        job_type
            .spec()
            .is_none_or(|s| s.id_info != IdInfoRule::Forbidden)
    });
    Ok(LoadedJob {
        partner_params,
        images: loaded,
        id_info,
        options,
        callback_url,
    })
}

fn present(s: Option<&str>) -> bool {
    s.is_some_and(|s| !s.trim().is_empty())
}

fn check_partner_params(p: &PartnerParams, problems: &mut Problems) {
    check_ids(p.user_id.as_str(), p.job_id.as_str(), problems);
    let code = p.job_type.code();
    if !p.job_type.is_submit_job_type() {
        // The job-type table names the call that runs it.
        let name = p.job_type.name().unwrap_or("unknown");
        let why = match p.job_type.spec().and_then(|s| s.call.method()) {
            Some(method) => {
                format!("job type {code} ({name}) does not upload images: call {method} instead")
            }
            None if p.job_type.name().is_some() => {
                format!("job type {code} ({name}) is not supported by this SDK")
            }
            None => format!("job type {code} does not exist for submit_job"),
        };
        problems.add(
            ProblemCode::JobTypeUnsupported,
            "partner_params.job_type",
            format!("{why}; submit_job accepts job types 1, 2, 4, 6 and 11"),
        );
    }
    for key in p.reserved_extra_keys() {
        problems.add(
            ProblemCode::PartnerParamsExtraReservedKey,
            format!("partner_params.extra.{key}"),
            format!(
                "the extra key {key:?} would overwrite the fixed partner_params key; \
                 set it through the {key} field instead"
            ),
        );
    }
    // A reserved key is reported once, as reserved.
    for key in p
        .non_string_extra_keys()
        .filter(|k| !RESERVED_PARTNER_PARAMS_KEYS.contains(k))
    {
        let kind = match &p.extra[key] {
            serde_json::Value::Null => "null",
            serde_json::Value::Bool(_) => "a boolean",
            serde_json::Value::Number(_) => "a number",
            serde_json::Value::Array(_) => "an array",
            serde_json::Value::Object(_) => "an object",
            serde_json::Value::String(_) => "a string",
        };
        problems.add(
            ProblemCode::PartnerParamsExtraNotString,
            format!("partner_params.extra.{key}"),
            format!(
                "the extra key {key:?} is {kind}; partner_params extras are sent as JSON \
                 strings (convert the value to a string)"
            ),
        );
    }
}

fn indexes(images: &[Image], pred: impl Fn(ImageKind) -> bool) -> Vec<usize> {
    images
        .iter()
        .enumerate()
        .filter(|(_, img)| pred(img.kind))
        .map(|(i, _)| i)
        .collect()
}

fn list(ix: &[usize]) -> String {
    ix.iter()
        .map(|i| format!("images[{i}]"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn check_composition(
    job_type: JobType,
    images: &[Image],
    id_info: Option<&IdInfo>,
    options: &JobOptions,
    problems: &mut Problems,
) {
    let code = job_type.code();
    let Some(spec) = job_type.spec().filter(|s| s.is_image_job()) else {
        return; // no image rules for a job type submit_job does not run
    };
    let selfies = indexes(images, |k| k == ImageKind::Selfie);
    let fronts = indexes(images, |k| k == ImageKind::IdFront);
    let backs = indexes(images, |k| k == ImageKind::IdBack);
    let document_job = spec.id_front == Need::Required;
    let enrolled_selfie =
        spec.enrolled_image == EnrolledImage::Optional && options.use_enrolled_image;

    if selfies.is_empty() && !enrolled_selfie {
        let hint = if spec.enrolled_image == EnrolledImage::Optional {
            " (or set use_enrolled_image to use the selfie on file)"
        } else {
            ""
        };
        problems.add(
            ProblemCode::SelfieMissing,
            "images",
            format!(
                "You need to send through at least one selfie image: job type {code} needs \
                 exactly one selfie (file, bytes or base64){hint}"
            ),
        );
    }
    if selfies.len() > 1 {
        problems.add(
            ProblemCode::SelfieMultiple,
            "images",
            format!(
                "exactly one selfie is allowed, found {}: {}",
                selfies.len(),
                list(&selfies)
            ),
        );
    }
    if document_job && fronts.is_empty() {
        let back_note = if backs.is_empty() {
            ""
        } else {
            " (an ID card back image does not count)"
        };
        problems.add(
            ProblemCode::IdFrontMissing,
            "images",
            format!(
                "You are attempting to complete a Document Verification job without providing \
                 an id card image: job type {code} needs the front of the ID card{back_note}"
            ),
        );
    }
    if spec.takes_id_card() {
        if fronts.len() > 1 {
            problems.add(
                ProblemCode::IdFrontMultiple,
                "images",
                format!(
                    "at most one ID card front image is allowed, found {}: {}",
                    fronts.len(),
                    list(&fronts)
                ),
            );
        }
        if backs.len() > 1 {
            problems.add(
                ProblemCode::IdBackMultiple,
                "images",
                format!(
                    "at most one ID card back image is allowed, found {}: {}",
                    backs.len(),
                    list(&backs)
                ),
            );
        }
    }
    if spec.id_info == IdInfoRule::WhenEntered
        && spec.id_front == Need::Optional
        && fronts.is_empty()
        && !id_info.is_some_and(|i| i.entered)
    {
        problems.add(
            ProblemCode::IdOrIdInfoMissing,
            "images",
            "You are attempting to complete a job type 1 without providing an id card image or \
             id info: add the ID card front image or id_info with entered = true",
        );
    }
    if !spec.takes_id_card() {
        for i in indexes(images, ImageKind::is_id_card) {
            problems.add(
                ProblemCode::IdCardNotAllowed,
                format!("images[{i}]"),
                format!(
                    "job type {code} takes no ID card images (only a selfie and liveness frames)"
                ),
            );
        }
    }
}

fn load_images(images: Vec<Image>, limits: Limits, problems: &mut Problems) -> Vec<LoadedImage> {
    let mut loaded = Vec::with_capacity(images.len());
    let mut namer = EntryNamer::default();
    let mut liveness_n = 0usize;
    let mut total = 0u64;
    let mut total_reported = false;
    for (i, image) in images.into_iter().enumerate() {
        let field = format!("images[{i}]");
        if image.kind == ImageKind::Liveness {
            liveness_n += 1;
        }
        let image_type = image.image_type();
        let result = match image.source {
            ImageSource::File(path) => load_file(&path, limits.max_image)
                .map(|(bytes, format)| (Some(path), Bytes::from(bytes), format)),
            ImageSource::Bytes(bytes) => {
                check_bytes(&bytes, limits.max_image).map(|format| (None, bytes, format))
            }
            ImageSource::Base64(text) => match check_base64_image(&text, limits.max_image) {
                Ok(ok) => {
                    total += ok.decoded_len;
                    let text = text.to_bytes();
                    let crc = crc32fast::hash(&text);
                    loaded.push(LoadedImage {
                        image_type,
                        format: ok.format,
                        len: ok.decoded_len,
                        content: Content::Base64 { text, crc },
                    });
                    check_total(total, limits, true, &field, &mut total_reported, problems);
                    continue;
                }
                Err(p) => {
                    problems.push(base64_problem(p, &field, limits));
                    continue;
                }
            },
        };
        match result {
            Ok((path, bytes, format)) => {
                let len = bytes.len() as u64;
                total += len;
                let name = namer.unique(candidate(path.as_deref(), image.kind, liveness_n, format));
                let crc = crc32fast::hash(&bytes);
                loaded.push(LoadedImage {
                    image_type,
                    format,
                    len,
                    content: Content::Zipped { name, bytes, crc },
                });
                check_total(total, limits, false, &field, &mut total_reported, problems);
            }
            Err((code, message)) => problems.add(code, field, message),
        }
    }
    loaded
}

fn check_total(
    total: u64,
    limits: Limits,
    base64: bool,
    field: &str,
    reported: &mut bool,
    problems: &mut Problems,
) {
    if total > limits.max_total && !*reported {
        *reported = true;
        let code = if base64 {
            ProblemCode::ImagesBase64TooLarge
        } else {
            ProblemCode::ImagesFileTooLarge
        };
        problems.add(
            code,
            field,
            format!(
                "with this image the job's images add up to {total} bytes, above the limit of \
                 {} bytes for all images of a job",
                limits.max_total
            ),
        );
    }
}

type LoadError = (ProblemCode, String);

fn io_unreadable(path: &Path, e: &io::Error) -> LoadError {
    (
        ProblemCode::FileUnreadable,
        format!("cannot read image file {}: {e}", path.display()),
    )
}

/// Opens, checks and reads one image file completely (one read into an exact-size buffer).
fn load_file(path: &Path, max: u64) -> Result<(Vec<u8>, ImageFormat), LoadError> {
    // Check the type before opening: opening a FIFO for reading would block.
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => (
            ProblemCode::FileNotFound,
            format!("No such file or directory {}", path.display()),
        ),
        _ => io_unreadable(path, &e),
    })?;
    let not_regular = |meta: &std::fs::Metadata| -> Result<(), LoadError> {
        if meta.is_file() {
            return Ok(());
        }
        let what = if meta.is_dir() {
            "a directory"
        } else {
            "not a regular file"
        };
        Err((
            ProblemCode::FileUnreadable,
            format!("image path {} is {what}", path.display()),
        ))
    };
    not_regular(&meta)?;
    let file = File::open(path).map_err(|e| io_unreadable(path, &e))?;
    // Check the opened file again: the path may have changed in between.
    let meta = file.metadata().map_err(|e| io_unreadable(path, &e))?;
    not_regular(&meta)?;
    size_ok(meta.len(), max, path)?;
    let capacity = usize::try_from(meta.len()).map_err(|_| too_large(meta.len(), max, path))?;
    let mut bytes = Vec::with_capacity(capacity);
    // `take` guards against a file that grows while it is read.
    file.take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| io_unreadable(path, &e))?;
    size_ok(bytes.len() as u64, max, path)?;
    match ImageFormat::sniff(&bytes) {
        Some(format) => Ok((bytes, format)),
        None => Err((
            ProblemCode::FileNotImage,
            format!(
                "image file {} is not a JPEG or PNG (it starts with {})",
                path.display(),
                hex_head(&bytes)
            ),
        )),
    }
}

fn size_ok(len: u64, max: u64, path: &Path) -> Result<(), LoadError> {
    if len == 0 {
        return Err((
            ProblemCode::FileEmpty,
            format!("image file {} is empty", path.display()),
        ));
    }
    if len > max {
        return Err(too_large(len, max, path));
    }
    Ok(())
}

fn too_large(len: u64, max: u64, path: &Path) -> LoadError {
    (
        ProblemCode::ImagesFileTooLarge,
        format!(
            "image file {} is {len} bytes, above the limit of {max} bytes per image",
            path.display()
        ),
    )
}

fn check_bytes(bytes: &[u8], max: u64) -> Result<ImageFormat, LoadError> {
    if bytes.is_empty() {
        return Err((ProblemCode::FileEmpty, "image bytes are empty".to_owned()));
    }
    if bytes.len() as u64 > max {
        return Err((
            ProblemCode::ImagesFileTooLarge,
            format!(
                "image is {} bytes, above the limit of {max} bytes per image",
                bytes.len()
            ),
        ));
    }
    ImageFormat::sniff(bytes).ok_or_else(|| {
        (
            ProblemCode::FileNotImage,
            format!(
                "image bytes are not a JPEG or PNG (they start with {})",
                hex_head(bytes)
            ),
        )
    })
}

fn hex_head(bytes: &[u8]) -> String {
    bytes
        .iter()
        .take(8)
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn base64_problem(p: Base64Problem, field: &str, limits: Limits) -> Problem {
    let (code, message) = match p {
        Base64Problem::Empty => (
            ProblemCode::Base64Empty,
            "the base64 image text is empty".to_owned(),
        ),
        Base64Problem::DataUri => (
            ProblemCode::Base64DataUri,
            "the base64 image starts with a data: URI prefix; pass only the base64 text after \
             the comma"
                .to_owned(),
        ),
        Base64Problem::Invalid(why) => (ProblemCode::Base64Invalid, why),
        Base64Problem::TooLarge { decoded } => (
            ProblemCode::ImagesBase64TooLarge,
            format!(
                "the base64 image decodes to {decoded} bytes, above the limit of {} bytes per \
                 image",
                limits.max_image
            ),
        ),
        Base64Problem::NotImage => (
            ProblemCode::Base64NotImage,
            "the base64 text does not decode to a JPEG or PNG".to_owned(),
        ),
    };
    Problem::new(code, field, message)
}

fn check_id_info(job_type: JobType, id_info: Option<&IdInfo>, problems: &mut Problems) {
    let code = job_type.code();
    let rule = job_type.spec().map(|s| s.id_info);
    if rule == Some(IdInfoRule::Forbidden) {
        // docs/protocol.md §4.4, §5.5: jobs 2 and 4 send exactly {"entered":"false"}.
        if let Some(info) = id_info.filter(|i| i.entered || !i.is_empty()) {
            let mut found: Vec<&str> = info.present_keys().collect();
            if info.entered {
                found.push("entered = true");
            }
            problems.add(
                ProblemCode::IdInfoNotAllowed,
                "id_info",
                format!(
                    "job type {code} takes no id info (it is sent as {{\"entered\":\"false\"}}); \
                     found {}",
                    found.join(", ")
                ),
            );
        }
        return;
    }
    let entered = id_info.is_some_and(|i| i.entered);
    let country = id_info.and_then(|i| i.country.as_deref());
    let id_type = id_info.and_then(|i| i.id_type.as_deref());
    let id_number = id_info.and_then(|i| i.id_number.as_deref());
    let why_entered = "is required when entered is true (the ID details are verified)";

    if present(country) {
        let c = country.unwrap_or_default();
        if !(c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase())) {
            problems.add(
                ProblemCode::CountryInvalid,
                "id_info.country",
                format!(
                    "country {c:?} must be a 2-letter upper-case ISO 3166-1 alpha-2 code \
                     (e.g. NG, KE, ZA)"
                ),
            );
        }
    } else if entered || matches!(rule, Some(IdInfoRule::Document { .. })) {
        let why = if entered {
            why_entered.to_owned()
        } else {
            format!("is required for job type {code}")
        };
        problems.add(
            ProblemCode::CountryMissing,
            "id_info.country",
            format!("Please make sure that country is included in the id_info: country {why}"),
        );
    }
    let id_type_required = matches!(
        rule,
        Some(IdInfoRule::Document {
            id_type_required: true
        })
    );
    if !present(id_type) && (entered || id_type_required) {
        let why = if entered {
            why_entered.to_owned()
        } else {
            format!("is required for job type {code}")
        };
        problems.add(
            ProblemCode::IdTypeMissing,
            "id_info.id_type",
            format!("Please make sure that id_type is included in the id_info: id_type {why}"),
        );
    }
    if !present(id_number) && entered {
        problems.add(
            ProblemCode::IdNumberMissing,
            "id_info.id_number",
            format!("Please make sure that id_number is included in the id_info: id_number {why_entered}"),
        );
    }
}

fn check_callback(
    options: &JobOptions,
    default: Option<String>,
    problems: &mut Problems,
) -> Option<String> {
    let (field, url) = match options.callback_url.as_deref() {
        Some(u) if !u.is_empty() => ("options.callback_url", Some(u.to_owned())),
        _ => ("default_callback_url", default.filter(|u| !u.is_empty())),
    };
    match &url {
        None if !options.return_job_status => problems.add(
            ProblemCode::CallbackMissing,
            "callback_url",
            "Please choose to either get your response via the callback or job status query: \
             set a callback URL or return_job_status",
        ),
        None => {}
        Some(u) => {
            check_callback_url(field, u, problems);
        }
    }
    url
}

fn check_options(job_type: JobType, options: &JobOptions, problems: &mut Problems) {
    if options.return_history && !options.return_job_status {
        problems.add(
            ProblemCode::ReturnHistoryRequiresReturnJobStatus,
            "options.return_history",
            "return_history only applies when return_job_status is true",
        );
    }
    if options.return_image_links && !options.return_job_status {
        problems.add(
            ProblemCode::ReturnImageLinksRequiresReturnJobStatus,
            "options.return_image_links",
            "return_image_links only applies when return_job_status is true",
        );
    }
    let enrolled_optional = job_type
        .spec()
        .is_some_and(|s| s.enrolled_image == EnrolledImage::Optional);
    if options.use_enrolled_image && !enrolled_optional {
        problems.add(
            ProblemCode::UseEnrolledImageNotAllowed,
            "options.use_enrolled_image",
            format!(
                "use_enrolled_image applies to job types 6 and 11 only, not {}",
                job_type.code()
            ),
        );
    }
}

//! The images a browser sends: the `imagesComputed` payload of Smile ID's web component
//! (`<smart-camera-web>`) and, in general, the official `image_details` list, validated.

use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http_body_util::{BodyExt as _, LengthLimitError, Limited};
use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use smile_async::package::ImageFormat;
use smile_async::types::{ImageKind, ImageType, RESERVED_PARTNER_PARAMS_KEYS};
use smile_async::{Image, ImageSource, PartnerParams};

/// Bounds on what a browser may send ([`CapturedImages`]).
///
/// The defaults fit the web component with room to spare: it sends a 640×480 selfie
/// (about 100 KB) and 8 liveness frames of 320×240 (about 25 KB each), plus, with `capture-id`,
/// the ID card's sides (a camera capture, or an uploaded photo of up to 10,240,000 bytes, the
/// component's own upload limit).
///
/// ```
/// use smile_axum::CaptureLimits;
/// let limits = CaptureLimits::default().max_body_bytes(4 << 20);
/// assert_eq!(limits.body_bytes(), 4 << 20);
/// assert_eq!(limits.image_bytes(), 10_240_000);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaptureLimits {
    max_body: usize,
    max_images: usize,
    max_image: usize,
}

impl CaptureLimits {
    /// Default largest request body: 16 MiB (the JSON text, base64 included).
    pub const DEFAULT_MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
    /// Default largest number of images: 16 (the component sends at most 11).
    pub const DEFAULT_MAX_IMAGES: usize = 16;
    /// Default largest image, decoded: 10,240,000 bytes (the component's upload limit).
    pub const DEFAULT_MAX_IMAGE_BYTES: usize = 10_240_000;

    /// Sets the largest request body in bytes (checked before parsing; HTTP 413 above it).
    #[must_use]
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// Sets the largest number of images.
    #[must_use]
    pub fn max_images(mut self, count: usize) -> Self {
        self.max_images = count;
        self
    }

    /// Sets the largest image in bytes, decoded.
    #[must_use]
    pub fn max_image_bytes(mut self, bytes: usize) -> Self {
        self.max_image = bytes;
        self
    }

    /// The body limit in bytes.
    #[must_use]
    pub fn body_bytes(&self) -> usize {
        self.max_body
    }

    /// The image count limit.
    #[must_use]
    pub fn images(&self) -> usize {
        self.max_images
    }

    /// The per-image limit in bytes, decoded.
    #[must_use]
    pub fn image_bytes(&self) -> usize {
        self.max_image
    }
}

impl Default for CaptureLimits {
    fn default() -> Self {
        Self {
            max_body: Self::DEFAULT_MAX_BODY_BYTES,
            max_images: Self::DEFAULT_MAX_IMAGES,
            max_image: Self::DEFAULT_MAX_IMAGE_BYTES,
        }
    }
}

/// The `partner_params` a browser sent (the web component sends
/// `{"libraryVersion": "1.0.2", "permissionGranted": true}`): **untrusted** data, kept apart
/// from the [`PartnerParams`] your server decides.
///
/// Nothing here reaches a job unless your code copies it, with [`forward`](Self::forward),
/// which never copies `user_id`, `job_id` or `job_type`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(transparent)]
pub struct ClientParams(Map<String, Value>);

impl ClientParams {
    /// The value the browser sent under `key`.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }

    /// Everything the browser sent, in its order.
    #[must_use]
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }

    /// `libraryVersion`: the web component's version, when sent as a string.
    #[must_use]
    pub fn library_version(&self) -> Option<&str> {
        self.0.get("libraryVersion").and_then(Value::as_str)
    }

    /// `permissionGranted`: whether the user let the page use the camera, when sent as a
    /// boolean.
    #[must_use]
    pub fn permission_granted(&self) -> Option<bool> {
        self.0.get("permissionGranted").and_then(Value::as_bool)
    }

    /// Copies the browser's values of `keys` into `params` as extra keys (they are echoed in
    /// results and callbacks). Strings are copied as they are, numbers and booleans as their
    /// JSON text; other values, absent keys, the reserved keys (`user_id`, `job_id`,
    /// `job_type`) and keys `params` already has are skipped: the browser never overrides
    /// what the server decided.
    ///
    /// ```
    /// use smile_axum::CapturedImages;
    /// use smile_axum::smile_async::{JobType, PartnerParams};
    ///
    /// # let selfie = "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQH/wAALCAABAAEBAREA/8QAFAABAAAAAAAAAAAAAAAAAAAACf/EABQQAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQEAAD8AKp//2Q==";
    /// let body = format!(r#"{{"images":[{{"image_type_id":2,"image":"{selfie}"}}],
    ///   "partner_params":{{"libraryVersion":"1.0.2","permissionGranted":true,"user_id":"someone-else"}}}}"#);
    /// let captured = CapturedImages::from_json(body.as_bytes())?;
    ///
    /// let server_decided = PartnerParams::new("user-17", "enrol-0001", JobType::SmartSelfieRegistration);
    /// let params = captured.client_params()
    ///     .forward(server_decided, &["libraryVersion", "permissionGranted", "user_id"]);
    /// assert_eq!(params.user_id.as_str(), "user-17"); // never the browser's
    /// assert_eq!(params.extra["libraryVersion"], "1.0.2");
    /// assert_eq!(params.extra["permissionGranted"], "true");
    /// # Ok::<(), smile_axum::CaptureError>(())
    /// ```
    #[must_use]
    pub fn forward(&self, mut params: PartnerParams, keys: &[&str]) -> PartnerParams {
        for key in keys {
            if RESERVED_PARTNER_PARAMS_KEYS.contains(key) || params.extra.contains_key(*key) {
                continue;
            }
            let text = match self.0.get(*key) {
                Some(Value::String(s)) => s.clone(),
                Some(v @ (Value::Number(_) | Value::Bool(_))) => v.to_string(),
                _ => continue,
            };
            params.extra.insert((*key).to_owned(), Value::String(text));
        }
        params
    }
}

/// What a browser sends to be submitted: the `detail` of the web component's
/// `imagesComputed` event, validated.
///
/// ```json
/// {"images": [{"image_type_id": 2, "image": "<base64 JPEG>"},
///             {"image_type_id": 6, "image": "<base64 JPEG>"}, ...],
///  "partner_params": {"libraryVersion": "1.0.2", "permissionGranted": true}}
/// ```
///
/// A bare `image_details` array (the official SDKs' list of `{"image_type_id", "image"}`) is
/// accepted too. Every image must be a **base64** type (2 selfie, 3 ID front, 6 liveness, 7 ID
/// back) whose text is strict standard base64 (padded, no `data:` prefix, no whitespace) of a
/// JPEG or PNG within [`CaptureLimits`]. A file type (0, 1, 4, 5) or an `image_path` is refused
/// with [`CaptureError::FileImage`]: a path from a browser must never name a file on the
/// server. The browser's `partner_params` are kept as [`ClientParams`], apart from the
/// `user_id`, `job_id` and `job_type` the server decides.
///
/// As an axum extractor it requires `Content-Type: application/json` (415 otherwise: a
/// cross-site form cannot send that without a CORS preflight), reads the body up to
/// [`CaptureLimits::body_bytes`] (413 above it) and answers 400 with a JSON error for anything
/// invalid; put an
/// [`Extension`](axum::Extension)`(CaptureLimits)` layer on the route to change the limits.
///
/// ```
/// use axum::{Json, Router, routing::post};
/// use smile_axum::CapturedImages;
/// use smile_axum::smile_async::{JobOptions, JobType, PartnerParams, WebApi};
///
/// async fn enrol(captured: CapturedImages) -> Json<serde_json::Value> {
///     // Decided by the server (from its session), never by the browser:
///     let params = PartnerParams::new("user-17", "enrol-0001", JobType::SmartSelfieRegistration);
///     let params = captured.client_params().forward(params, &["libraryVersion"]);
///     let images = captured.into_images();
///     // api.submit_job(params, images, None, JobOptions { callback_url: .., ..Default::default() })
/// #   let _ = (params, images, JobOptions::default());
///     Json(serde_json::json!({"status": "submitted"}))
/// }
///
/// let app: Router = Router::new().route("/api/enrol", post(enrol));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CapturedImages {
    images: Vec<Image>,
    client_params: ClientParams,
}

impl CapturedImages {
    /// Parses and validates a body with the default [`CaptureLimits`].
    ///
    /// # Errors
    /// [`CaptureError`] naming the first problem (and the image's index).
    pub fn from_json(body: &[u8]) -> Result<Self, CaptureError> {
        Self::from_json_with(body, &CaptureLimits::default())
    }

    /// Parses and validates a body within `limits`.
    ///
    /// # Errors
    /// [`CaptureError`] naming the first problem (and the image's index).
    pub fn from_json_with(body: &[u8], limits: &CaptureLimits) -> Result<Self, CaptureError> {
        if body.len() > limits.max_body {
            return Err(CaptureError::TooLarge {
                limit: limits.max_body,
            });
        }
        let value: Value =
            serde_json::from_slice(body).map_err(|source| CaptureError::NotJson { source })?;
        Self::from_value(value, limits)
    }

    /// Validates an already parsed JSON value within `limits`.
    ///
    /// # Errors
    /// [`CaptureError`] naming the first problem (and the image's index).
    pub fn from_value(value: Value, limits: &CaptureLimits) -> Result<Self, CaptureError> {
        let (images, client_params) = match value {
            Value::Array(images) => (images, Map::new()),
            Value::Object(mut object) => {
                let images = match object.shift_remove("images") {
                    Some(Value::Array(images)) => images,
                    _ => return Err(CaptureError::Shape),
                };
                let client_params = match object.shift_remove("partner_params") {
                    None | Some(Value::Null) => Map::new(),
                    Some(Value::Object(p)) => p,
                    Some(_) => return Err(CaptureError::InvalidClientParams),
                };
                (images, client_params)
            }
            _ => return Err(CaptureError::Shape),
        };
        if images.is_empty() {
            return Err(CaptureError::NoImages);
        }
        if images.len() > limits.max_images {
            return Err(CaptureError::TooManyImages {
                count: images.len(),
                limit: limits.max_images,
            });
        }
        let images = images
            .into_iter()
            .enumerate()
            .map(|(index, entry)| image_from_entry(index, entry, limits))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            images,
            client_params: ClientParams(client_params),
        })
    }

    /// The images, in the order the browser sent them (all [`ImageSource::Base64`]).
    #[must_use]
    pub fn images(&self) -> &[Image] {
        &self.images
    }

    /// The images, to pass to `submit_job`.
    #[must_use]
    pub fn into_images(self) -> Vec<Image> {
        self.images
    }

    /// The images and the browser's partner params.
    #[must_use]
    pub fn into_parts(self) -> (Vec<Image>, ClientParams) {
        (self.images, self.client_params)
    }

    /// The `partner_params` the browser sent (untrusted).
    #[must_use]
    pub fn client_params(&self) -> &ClientParams {
        &self.client_params
    }

    /// The number of images of `kind`.
    #[must_use]
    pub fn count(&self, kind: ImageKind) -> usize {
        self.images.iter().filter(|i| i.kind == kind).count()
    }
}

/// One `image_details` entry: `{"image_type_id": 2|3|6|7, "image": "<base64>"}`.
fn image_from_entry(
    index: usize,
    entry: Value,
    limits: &CaptureLimits,
) -> Result<Image, CaptureError> {
    let Value::Object(mut entry) = entry else {
        return Err(CaptureError::InvalidImageEntry { index });
    };
    let image_type = entry
        .get("image_type_id")
        .and_then(|v| match v {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        })
        .and_then(|id| u8::try_from(id).ok())
        .and_then(ImageType::from_id)
        .ok_or(CaptureError::InvalidImageType { index })?;
    let names_a_file = ["image_path", "file_name"]
        .iter()
        .any(|k| entry.get(*k).is_some_and(|v| !v.is_null()));
    if image_type.is_file() || names_a_file {
        return Err(CaptureError::FileImage { index, image_type });
    }
    let Some(Value::String(text)) = entry.shift_remove("image") else {
        return Err(CaptureError::MissingImage { index });
    };
    check_base64(index, &text, limits.max_image)?;
    Ok(Image::new(
        image_type.kind(),
        ImageSource::Base64(text.into()),
    ))
}

/// Strict standard base64 of a JPEG or PNG of at most `max` bytes.
fn check_base64(index: usize, text: &str, max: usize) -> Result<(), CaptureError> {
    if text.len() >= 5 && text.as_bytes()[..5].eq_ignore_ascii_case(b"data:") {
        return Err(CaptureError::InvalidBase64 {
            index,
            reason: "starts with a `data:` prefix (send only the base64 text after the comma)"
                .to_owned(),
        });
    }
    // The smallest decoded size this length can have: refuse huge texts before decoding.
    let at_least = (text.len() / 4 * 3).saturating_sub(2);
    if at_least > max {
        return Err(CaptureError::ImageTooLarge {
            index,
            size: at_least,
            limit: max,
        });
    }
    let bytes = STANDARD
        .decode(text)
        .map_err(|e| CaptureError::InvalidBase64 {
            index,
            reason: e.to_string(),
        })?;
    if bytes.len() > max {
        return Err(CaptureError::ImageTooLarge {
            index,
            size: bytes.len(),
            limit: max,
        });
    }
    if ImageFormat::sniff(&bytes).is_none() {
        return Err(CaptureError::NotAnImage { index });
    }
    Ok(())
}

/// Deserializes with the default [`CaptureLimits`] (use [`CapturedImages::from_json_with`] for
/// others).
impl<'de> Deserialize<'de> for CapturedImages {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Self::from_value(value, &CaptureLimits::default()).map_err(de::Error::custom)
    }
}

impl<S: Send + Sync> FromRequest<S> for CapturedImages {
    type Rejection = CaptureError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let limits = req
            .extensions()
            .get::<CaptureLimits>()
            .copied()
            .unwrap_or_default();
        // JSON only: a cross-site form cannot send it without the browser asking first (CORS).
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"));
        if !is_json {
            return Err(CaptureError::NotJsonContentType);
        }
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > limits.max_body as u64) {
            return Err(CaptureError::TooLarge {
                limit: limits.max_body,
            });
        }
        let body = Limited::new(req.into_body(), limits.max_body)
            .collect()
            .await
            .map_err(|e| {
                if e.downcast_ref::<LengthLimitError>().is_some() {
                    CaptureError::TooLarge {
                        limit: limits.max_body,
                    }
                } else {
                    CaptureError::Body
                }
            })?
            .to_bytes();
        Self::from_json_with(&body, &limits)
    }
}

/// Why a browser's images were refused. As an axum response: 413 for
/// [`TooLarge`](Self::TooLarge), 415 for [`NotJsonContentType`](Self::NotJsonContentType), 400
/// otherwise, with `{"error": code, "message": text}`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CaptureError {
    /// The body is over [`CaptureLimits::body_bytes`].
    #[error("the request body is over the limit of {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The request's `Content-Type` is not `application/json` (HTTP 415).
    #[error("the request must have Content-Type: application/json")]
    NotJsonContentType,
    /// The body could not be read.
    #[error("the request body could not be read")]
    Body,
    /// The body is not JSON.
    #[error("the request body is not JSON")]
    NotJson {
        /// The parser's finding.
        #[source]
        source: serde_json::Error,
    },
    /// The JSON is neither `{"images": [...], ...}` nor an `image_details` array.
    #[error(
        "expected an object with an `images` array (the imagesComputed detail) or an image_details array"
    )]
    Shape,
    /// `partner_params` is not an object.
    #[error("`partner_params` must be an object")]
    InvalidClientParams,
    /// No images.
    #[error("no images were sent")]
    NoImages,
    /// More images than [`CaptureLimits::images`].
    #[error("{count} images were sent, over the limit of {limit}")]
    TooManyImages {
        /// How many were sent.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// An entry is not an object.
    #[error("image #{index} is not an object")]
    InvalidImageEntry {
        /// The entry's index.
        index: usize,
    },
    /// `image_type_id` is missing or not 0 to 7.
    #[error("image #{index} has no valid image_type_id (0 to 7)")]
    InvalidImageType {
        /// The entry's index.
        index: usize,
    },
    /// A file image type (0, 1, 4, 5), or an `image_path` / `file_name`: a browser may only send
    /// base64 images, and a path it sends must never name a file on the server.
    #[error(
        "image #{index} (image_type_id {}) is a file image: a browser may only send base64 images (types 2, 3, 6, 7), never a file path",
        image_type.id()
    )]
    FileImage {
        /// The entry's index.
        index: usize,
        /// Its declared type.
        image_type: ImageType,
    },
    /// No `image` string.
    #[error("image #{index} has no `image` text")]
    MissingImage {
        /// The entry's index.
        index: usize,
    },
    /// The text is not strict standard padded base64 (or carries a `data:` prefix).
    #[error("image #{index} is not valid base64: {reason}")]
    InvalidBase64 {
        /// The entry's index.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// The decoded bytes are neither JPEG nor PNG.
    #[error("image #{index} is not a JPEG or PNG image")]
    NotAnImage {
        /// The entry's index.
        index: usize,
    },
    /// The decoded image is over [`CaptureLimits::image_bytes`].
    #[error("image #{index} is {size} bytes, over the limit of {limit} bytes")]
    ImageTooLarge {
        /// The entry's index.
        index: usize,
        /// Its decoded size (at least).
        size: usize,
        /// The limit.
        limit: usize,
    },
}

impl CaptureError {
    /// A stable code for the error, e.g. `capture.file_image` (the `error` member of the
    /// response).
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "capture.too_large",
            Self::NotJsonContentType => "capture.content_type",
            Self::Body => "capture.body",
            Self::NotJson { .. } => "capture.not_json",
            Self::Shape => "capture.shape",
            Self::InvalidClientParams => "capture.partner_params",
            Self::NoImages => "capture.no_images",
            Self::TooManyImages { .. } => "capture.too_many_images",
            Self::InvalidImageEntry { .. } => "capture.image_entry",
            Self::InvalidImageType { .. } => "capture.image_type",
            Self::FileImage { .. } => "capture.file_image",
            Self::MissingImage { .. } => "capture.missing_image",
            Self::InvalidBase64 { .. } => "capture.base64",
            Self::NotAnImage { .. } => "capture.not_an_image",
            Self::ImageTooLarge { .. } => "capture.image_too_large",
        }
    }

    /// The HTTP status of the response: 413 for [`TooLarge`](Self::TooLarge), 415 for
    /// [`NotJsonContentType`](Self::NotJsonContentType), else 400.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        match self {
            Self::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::NotJsonContentType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

impl IntoResponse for CaptureError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"error": self.code(), "message": self.to_string()});
        (self.status(), axum::Json(body)).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 1×1 JPEG.
    const JPEG: &str = "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQH/wAALCAABAAEBAREA/8QAFAABAAAAAAAAAAAAAAAAAAAACf/EABQQAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQEAAD8AKp//2Q==";

    fn entry(id: impl Into<Value>, image: &str) -> Value {
        serde_json::json!({"image_type_id": id.into(), "image": image})
    }

    fn parse(v: Value) -> Result<CapturedImages, CaptureError> {
        CapturedImages::from_json(v.to_string().as_bytes())
    }

    #[test]
    fn component_payload() {
        let mut images = vec![entry(2, JPEG)];
        images.extend((0..8).map(|_| entry(6, JPEG)));
        let c = parse(serde_json::json!({
            "images": images,
            "partner_params": {"libraryVersion": "1.0.2", "permissionGranted": true},
        }))
        .unwrap();
        assert_eq!(c.count(ImageKind::Selfie), 1);
        assert_eq!(c.count(ImageKind::Liveness), 8);
        assert_eq!(c.images()[0].image_type(), ImageType::SelfieBase64);
        assert_eq!(c.images()[1].image_type(), ImageType::LivenessBase64);
        assert_eq!(c.client_params().library_version(), Some("1.0.2"));
        assert_eq!(c.client_params().permission_granted(), Some(true));
        // With capture-id: types 3 and 7, and numeric strings for the type.
        let c = parse(
            serde_json::json!({"images": [entry(2, JPEG), entry("3", JPEG), entry(7, JPEG)]}),
        )
        .unwrap();
        assert_eq!(c.count(ImageKind::IdFront), 1);
        assert_eq!(c.count(ImageKind::IdBack), 1);
        assert!(c.client_params().as_map().is_empty());
        // A bare image_details array.
        let c = parse(serde_json::json!([entry(2, JPEG)])).unwrap();
        assert_eq!(c.images().len(), 1);
        // Through serde, with the default limits.
        let c: CapturedImages =
            serde_json::from_value(serde_json::json!([entry(6, JPEG)])).unwrap();
        assert_eq!(c.count(ImageKind::Liveness), 1);
    }

    #[test]
    fn files_and_paths_from_a_browser_are_refused() {
        for id in [0, 1, 4, 5] {
            let err =
                parse(serde_json::json!([{"image_type_id": id, "image_path": "/etc/passwd"}]))
                    .unwrap_err();
            assert!(
                matches!(err, CaptureError::FileImage { index: 0, .. }),
                "{err:?}"
            );
            assert_eq!(err.code(), "capture.file_image");
            assert!(err.to_string().contains("never a file path"), "{err}");
        }
        // A base64 type that also names a path.
        let err = parse(serde_json::json!([entry(2, JPEG), {"image_type_id": 6, "image": JPEG, "image_path": "x.jpg"}]))
            .unwrap_err();
        assert!(
            matches!(err, CaptureError::FileImage { index: 1, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn invalid_images() {
        let cases: Vec<(Value, &str)> = vec![
            (serde_json::json!({"images": []}), "capture.no_images"),
            (serde_json::json!({"image": 1}), "capture.shape"),
            (serde_json::json!("x"), "capture.shape"),
            (
                serde_json::json!({"images": [entry(2, JPEG)], "partner_params": []}),
                "capture.partner_params",
            ),
            (serde_json::json!([1]), "capture.image_entry"),
            (serde_json::json!([entry(8, JPEG)]), "capture.image_type"),
            (serde_json::json!([entry(-1, JPEG)]), "capture.image_type"),
            (
                serde_json::json!([{"image_type_id": 2}]),
                "capture.missing_image",
            ),
            (
                serde_json::json!([{"image_type_id": 2, "image": 5}]),
                "capture.missing_image",
            ),
            (
                serde_json::json!([entry(2, &format!("data:image/jpeg;base64,{JPEG}"))]),
                "capture.base64",
            ),
            (
                serde_json::json!([entry(2, &format!(" {JPEG}"))]),
                "capture.base64",
            ),
            (
                serde_json::json!([entry(2, JPEG.trim_end_matches('='))]),
                "capture.base64",
            ),
            (
                serde_json::json!([entry(2, "aGVsbG8=")]),
                "capture.not_an_image",
            ),
        ];
        for (body, code) in cases {
            let err = parse(body.clone()).unwrap_err();
            assert_eq!(err.code(), code, "{body}: {err}");
            assert_eq!(err.status(), StatusCode::BAD_REQUEST);
        }
        assert_eq!(
            CapturedImages::from_json(b"not json").unwrap_err().code(),
            "capture.not_json"
        );
    }

    #[test]
    fn limits() {
        let body = serde_json::json!([entry(2, JPEG), entry(6, JPEG)]).to_string();
        let small = CaptureLimits::default().max_body_bytes(body.len() - 1);
        let err = CapturedImages::from_json_with(body.as_bytes(), &small).unwrap_err();
        assert!(matches!(err, CaptureError::TooLarge { .. }));
        assert_eq!(err.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let one = CaptureLimits::default().max_images(1);
        let err = CapturedImages::from_json_with(body.as_bytes(), &one).unwrap_err();
        assert!(matches!(
            err,
            CaptureError::TooManyImages { count: 2, limit: 1 }
        ));
        let tiny = CaptureLimits::default().max_image_bytes(100);
        let err = CapturedImages::from_json_with(body.as_bytes(), &tiny).unwrap_err();
        assert!(
            matches!(
                err,
                CaptureError::ImageTooLarge {
                    index: 0,
                    limit: 100,
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn forward_never_overrides_the_server() {
        let c = parse(serde_json::json!({
            "images": [entry(2, JPEG)],
            "partner_params": {"libraryVersion": "1.0.2", "job_type": 1, "emulator_result": "0821",
                               "n": 3, "nested": {"a": 1}},
        }))
        .unwrap();
        let server = PartnerParams::new("u", "j", smile_async::JobType::SmartSelfieAuthentication)
            .with_extra("emulator_result", "0824");
        let p = c.client_params().forward(
            server,
            &[
                "libraryVersion",
                "job_type",
                "emulator_result",
                "n",
                "nested",
                "absent",
            ],
        );
        assert_eq!(p.job_type, smile_async::JobType::SmartSelfieAuthentication);
        assert_eq!(
            serde_json::to_string(&p.extra).unwrap(),
            r#"{"emulator_result":"0824","libraryVersion":"1.0.2","n":"3"}"#
        );
    }
}

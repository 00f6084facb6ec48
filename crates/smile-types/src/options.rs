//! [`JobOptions`] ([protocol §4.5](crate::protocol#45-submit_job-options)).

use serde::de::{Deserializer, IgnoredAny};
use serde::{Deserialize, Serialize};

/// Options of a `submit_job` call ([protocol §4.5](crate::protocol#45-submit_job-options)). `Default` is all `false` / `None`.
///
/// Serializes with our names (`callback_url` left out when `None`).
///
/// Deserializes from our names **and** from the official SDKs' options JSON:
///
/// | accepted key | meaning |
/// |---|---|
/// | `return_job_status`, `return_history`, `use_enrolled_image`, `resume_existing_job` | as named |
/// | `return_image_links` or its alias `return_images` (Node/Python SDK code) | [`return_image_links`](Self::return_image_links) |
/// | `callback_url` or its alias `optional_callback` (Node SDK) | [`callback_url`](Self::callback_url) |
/// | `signature` (any value) | accepted and **ignored**: signatures are always used, this SDK has no such option |
///
/// Values must be JSON booleans (and a string or `null` for the callback), as the official SDKs
/// require (`<key> needs to be a boolean`). Any other key is an error, so a misspelt option is
/// never silently ignored; giving both a name and its alias is an error too.
///
/// ```
/// use smile_types::JobOptions;
/// let o: JobOptions = serde_json::from_str(
///     r#"{"return_job_status":true,"return_images":true,"signature":true,"optional_callback":"https://cb.example/x"}"#,
/// ).unwrap();
/// assert!(o.return_job_status && o.return_image_links && !o.return_history);
/// assert_eq!(o.callback_url.as_deref(), Some("https://cb.example/x"));
/// assert!(serde_json::from_str::<JobOptions>(r#"{"return_job_stauts":true}"#).is_err());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct JobOptions {
    /// After the upload, poll `POST /job_status` and return the status (§5.8).
    pub return_job_status: bool,
    /// Ask for `history` in every job-status request (needs `return_job_status`).
    pub return_history: bool,
    /// Ask for `image_links` in every job-status request (needs `return_job_status`).
    pub return_image_links: bool,
    /// Jobs 6 and 11 only: compare the document with the selfie already on file.
    pub use_enrolled_image: bool,
    /// Allow the `retry: true` re-prep after a 2215 (§5.10).
    pub resume_existing_job: bool,
    /// Per-job callback URL (overrides the client default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireOptions {
    #[serde(default)]
    return_job_status: bool,
    #[serde(default)]
    return_history: bool,
    #[serde(default, alias = "return_images")]
    return_image_links: bool,
    #[serde(default)]
    use_enrolled_image: bool,
    #[serde(default)]
    resume_existing_job: bool,
    #[serde(default, alias = "optional_callback")]
    callback_url: Option<String>,
    #[serde(default, rename = "signature")]
    _signature: Option<IgnoredAny>,
}

impl<'de> Deserialize<'de> for JobOptions {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let w = WireOptions::deserialize(deserializer)?;
        Ok(Self {
            return_job_status: w.return_job_status,
            return_history: w.return_history,
            return_image_links: w.return_image_links,
            use_enrolled_image: w.use_enrolled_image,
            resume_existing_job: w.resume_existing_job,
            callback_url: w.callback_url,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_round_trip() {
        let o: JobOptions = serde_json::from_str("{}").unwrap();
        assert_eq!(o, JobOptions::default());
        let o = JobOptions {
            return_job_status: true,
            callback_url: Some("https://x.example/cb".into()),
            ..JobOptions::default()
        };
        let text = serde_json::to_string(&o).unwrap();
        assert_eq!(
            text,
            r#"{"return_job_status":true,"return_history":false,"return_image_links":false,"use_enrolled_image":false,"resume_existing_job":false,"callback_url":"https://x.example/cb"}"#
        );
        assert_eq!(serde_json::from_str::<JobOptions>(&text).unwrap(), o);
    }

    #[test]
    fn strictness() {
        assert!(serde_json::from_str::<JobOptions>(r#"{"return_job_status":"true"}"#).is_err());
        assert!(
            serde_json::from_str::<JobOptions>(
                r#"{"return_images":true,"return_image_links":true}"#
            )
            .is_err()
        );
        let o: JobOptions = serde_json::from_str(r#"{"signature":{"any":1}}"#).unwrap();
        assert_eq!(o, JobOptions::default());
    }
}

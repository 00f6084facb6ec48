//! [`PartnerParams`] ([protocol §4.3](crate::protocol#43-partner_params)).

use serde::de::{self, Deserializer};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{JobId, JobType, UserId};

/// The keys [`PartnerParams`] owns; an extra key with one of these names is not allowed
/// (validation reports it; serialization skips it so no duplicate key is ever written).
pub const RESERVED_PARTNER_PARAMS_KEYS: [&str; 3] = ["user_id", "job_id", "job_type"];

/// `partner_params`: who and which job, plus the caller's extra keys ([protocol §4.3](crate::protocol#43-partner_params)).
///
/// Serializes as `{"user_id", "job_id", "job_type" (JSON number), extras…}` with the extras in
/// insertion order. An extra named `user_id`, `job_id` or `job_type` is **not** written (it
/// would duplicate a key); validation rejects such extras before anything is sent.
///
/// Deserializes leniently: `job_type` as a number or numeric string; every other key lands in
/// [`extra`](Self::extra) in document order, whatever its JSON type.
///
/// ```
/// use smile_types::{JobType, PartnerParams};
/// let p = PartnerParams::new("user-0001", "job-0002", JobType::SmartSelfieAuthentication)
///     .with_extra("branch", "nairobi-3");
/// assert_eq!(
///     serde_json::to_string(&p).unwrap(),
///     r#"{"user_id":"user-0001","job_id":"job-0002","job_type":2,"branch":"nairobi-3"}"#
/// );
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct PartnerParams {
    /// The partner's user id.
    pub user_id: UserId,
    /// The partner's job id (idempotency key; never generated or changed by the SDK).
    pub job_id: JobId,
    /// The job type.
    pub job_type: JobType,
    /// Extra keys, in order (string values when built through [`with_extra`](Self::with_extra);
    /// validation refuses any other JSON type before sending).
    pub extra: Map<String, Value>,
}

impl PartnerParams {
    /// Partner params with no extra keys.
    pub fn new(user_id: impl Into<UserId>, job_id: impl Into<JobId>, job_type: JobType) -> Self {
        Self {
            user_id: user_id.into(),
            job_id: job_id.into(),
            job_type,
            extra: Map::new(),
        }
    }

    /// Appends (or replaces, keeping its position) an extra key with a string value. No check
    /// here: validation rejects the reserved names `user_id`, `job_id`, `job_type`.
    #[must_use]
    pub fn with_extra(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra.insert(key.into(), Value::String(value.into()));
        self
    }

    /// The extra keys whose value is not a JSON string, in order (extras are sent as strings,
    /// [protocol §4.3](crate::protocol#43-partner_params); validation reports them). Decoding from the server does not care.
    pub fn non_string_extra_keys(&self) -> impl Iterator<Item = &str> {
        self.extra
            .iter()
            .filter(|(_, v)| !v.is_string())
            .map(|(k, _)| k.as_str())
    }

    /// The extra keys that collide with the three fixed keys, in order.
    pub fn reserved_extra_keys(&self) -> impl Iterator<Item = &str> {
        self.extra
            .keys()
            .map(String::as_str)
            .filter(|k| RESERVED_PARTNER_PARAMS_KEYS.contains(k))
    }
}

impl Serialize for PartnerParams {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("user_id", &self.user_id)?;
        map.serialize_entry("job_id", &self.job_id)?;
        map.serialize_entry("job_type", &self.job_type)?;
        for (k, v) in &self.extra {
            if !RESERVED_PARTNER_PARAMS_KEYS.contains(&k.as_str()) {
                map.serialize_entry(k, v)?;
            }
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for PartnerParams {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = Map::<String, Value>::deserialize(deserializer)?;
        Self::try_from(map).map_err(de::Error::custom)
    }
}

/// Why a JSON object is not a valid [`PartnerParams`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PartnerParamsError {
    /// A required key is absent.
    #[error("partner_params.{0} is missing")]
    Missing(&'static str),
    /// A key has a value of the wrong JSON type or format.
    #[error("partner_params.{field} is invalid: expected {expected}")]
    Invalid {
        /// The key.
        field: &'static str,
        /// What was expected.
        expected: &'static str,
    },
}

impl TryFrom<Map<String, Value>> for PartnerParams {
    type Error = PartnerParamsError;

    fn try_from(mut map: Map<String, Value>) -> Result<Self, Self::Error> {
        fn take_string(
            map: &mut Map<String, Value>,
            field: &'static str,
        ) -> Result<String, PartnerParamsError> {
            match map.shift_remove(field) {
                None => Err(PartnerParamsError::Missing(field)),
                Some(Value::String(s)) => Ok(s),
                Some(_) => Err(PartnerParamsError::Invalid {
                    field,
                    expected: "a JSON string",
                }),
            }
        }
        let user_id = take_string(&mut map, "user_id")?;
        let job_id = take_string(&mut map, "job_id")?;
        let job_type = match map.shift_remove("job_type") {
            None => return Err(PartnerParamsError::Missing("job_type")),
            Some(v) => JobType::from_json(&v).ok_or(PartnerParamsError::Invalid {
                field: "job_type",
                expected: "a JSON number or numeric string",
            })?,
        };
        Ok(Self {
            user_id: UserId::new(user_id),
            job_id: JobId::new(job_id),
            job_type,
            extra: map,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialize_order_and_reserved_skip() {
        let mut p = PartnerParams::new("u", "j", JobType::BiometricKyc)
            .with_extra("z", "1")
            .with_extra("a", "2");
        p.extra
            .insert("job_id".into(), Value::String("evil".into()));
        assert_eq!(
            serde_json::to_string(&p).unwrap(),
            r#"{"user_id":"u","job_id":"j","job_type":1,"z":"1","a":"2"}"#
        );
        assert_eq!(p.reserved_extra_keys().collect::<Vec<_>>(), ["job_id"]);
    }

    #[test]
    fn lenient_deserialize() {
        let p: PartnerParams =
            serde_json::from_str(r#"{"job_id":"j","b":"x","job_type":"2","user_id":"u","a":3}"#)
                .unwrap();
        assert_eq!(p.job_type, JobType::SmartSelfieAuthentication);
        assert_eq!(p.extra.keys().collect::<Vec<_>>(), ["b", "a"]);
        let err = serde_json::from_str::<PartnerParams>(r#"{"user_id":"u","job_id":"j"}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("partner_params.job_type is missing"), "{err}");
        let err =
            serde_json::from_str::<PartnerParams>(r#"{"user_id":"u","job_id":"j","job_type":"x"}"#)
                .unwrap_err()
                .to_string();
        assert!(err.contains("partner_params.job_type is invalid"), "{err}");
    }
}

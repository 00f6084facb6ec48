//! [`IdInfo`] ([protocol §4.4](crate::protocol#44-id_info)).

use std::fmt;

use serde::de::{self, Deserializer};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The named keys of `id_info`, in the order they are serialized.
const NAMED_KEYS: [&str; 8] = [
    "first_name",
    "middle_name",
    "last_name",
    "country",
    "id_type",
    "id_number",
    "dob",
    "phone_number",
];

/// `id_info`: the ID details of the user ([protocol §4.4](crate::protocol#44-id_info)).
///
/// Serialization (for `info.json`) writes the present named keys in the order `first_name,
/// middle_name, last_name, country, id_type, id_number, dob, phone_number`, then the
/// [`extra`](Self::extra) keys in insertion order, then `entered` as the **string** `"true"` or
/// `"false"`. Absent values are left out. Extras named like a named key or `entered` are skipped
/// (they would duplicate a key).
///
/// Deserialization accepts `entered` as a bool or a `"true"`/`"false"` string (case-insensitive;
/// absent means `false`; any other value is an error naming the field), the named keys as
/// strings (or `null` for absent), and keeps every other key in `extra`.
///
/// ```
/// use smile_types::IdInfo;
/// assert_eq!(serde_json::to_string(&IdInfo::default()).unwrap(), r#"{"entered":"false"}"#);
/// let info = IdInfo::verify("NG", "BVN", "00000000000");
/// assert_eq!(
///     serde_json::to_string(&info).unwrap(),
///     r#"{"country":"NG","id_type":"BVN","id_number":"00000000000","entered":"true"}"#
/// );
/// ```
///
/// `Debug` shows which keys are present but not the personal data: `country`, `id_type` and
/// `entered` are shown, the values of names, `id_number`, `dob`, `phone_number` and every extra
/// key are printed as `<redacted>`.
///
/// ```
/// use smile_types::IdInfo;
/// let info = IdInfo::verify("NG", "BVN", "00000000000").with_extra("bank_code", "058");
/// let shown = format!("{info:?}");
/// assert_eq!(
///     shown,
///     r#"IdInfo { country: "NG", id_type: "BVN", id_number: <redacted>, extra: {"bank_code": <redacted>}, entered: true }"#
/// );
/// ```
#[derive(Clone, Default, PartialEq)]
pub struct IdInfo {
    /// First name.
    pub first_name: Option<String>,
    /// Middle name.
    pub middle_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// ISO 3166-1 alpha-2 country code, upper case (`NG`, `KE`, …).
    pub country: Option<String>,
    /// ID type (`BVN`, `NIN`, `PASSPORT`, `NATIONAL_ID`, …).
    pub id_type: Option<String>,
    /// ID number.
    pub id_number: Option<String>,
    /// Date of birth, `YYYY-MM-DD`.
    pub dob: Option<String>,
    /// Phone number.
    pub phone_number: Option<String>,
    /// Other keys passed through in order (e.g. `bank_code`; `consent_information` objects).
    pub extra: Map<String, Value>,
    /// `true`: verify these details against the ID authority (then `country`, `id_type` and
    /// `id_number` are required). Written as the string `"true"`/`"false"`.
    pub entered: bool,
}

impl IdInfo {
    /// Empty id info (`entered: false`), as sent for job types 2 and 4.
    pub fn new() -> Self {
        Self::default()
    }

    /// ID details to verify against the ID authority: sets `country`, `id_type`, `id_number`
    /// and `entered: true`.
    pub fn verify(
        country: impl Into<String>,
        id_type: impl Into<String>,
        id_number: impl Into<String>,
    ) -> Self {
        Self {
            country: Some(country.into()),
            id_type: Some(id_type.into()),
            id_number: Some(id_number.into()),
            entered: true,
            ..Self::default()
        }
    }

    /// Appends (or replaces, keeping its position) an extra key with a string value.
    #[must_use]
    pub fn with_extra(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra.insert(key.into(), Value::String(value.into()));
        self
    }

    fn named(&self) -> [(&'static str, Option<&String>); 8] {
        [
            ("first_name", self.first_name.as_ref()),
            ("middle_name", self.middle_name.as_ref()),
            ("last_name", self.last_name.as_ref()),
            ("country", self.country.as_ref()),
            ("id_type", self.id_type.as_ref()),
            ("id_number", self.id_number.as_ref()),
            ("dob", self.dob.as_ref()),
            ("phone_number", self.phone_number.as_ref()),
        ]
    }

    /// The keys that are set (named keys in serialization order, then extras), without
    /// `entered`. Values are not exposed here (they are personal data).
    pub fn present_keys(&self) -> impl Iterator<Item = &str> {
        self.named()
            .into_iter()
            .filter(|(_, v)| v.is_some())
            .map(|(k, _)| k)
            .chain(self.extra.keys().map(String::as_str))
    }

    /// True when no named field and no extra is set (whatever `entered` says).
    pub fn is_empty(&self) -> bool {
        self.named().iter().all(|(_, v)| v.is_none()) && self.extra.is_empty()
    }
}

/// Prints `<redacted>` (for personal data in `Debug`).
struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// The extra keys, each with a redacted value.
struct RedactedExtra<'a>(&'a Map<String, Value>);

impl fmt::Debug for RedactedExtra<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.0.keys().map(|k| (k, Redacted)))
            .finish()
    }
}

/// Present keys only; personal values redacted (see the type docs).
impl fmt::Debug for IdInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("IdInfo");
        for (key, value) in self.named() {
            match (key, value) {
                (_, None) => {}
                ("country" | "id_type", Some(v)) => {
                    d.field(key, v);
                }
                (_, Some(_)) => {
                    d.field(key, &Redacted);
                }
            }
        }
        if !self.extra.is_empty() {
            d.field("extra", &RedactedExtra(&self.extra));
        }
        d.field("entered", &self.entered).finish()
    }
}

impl Serialize for IdInfo {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        for (k, v) in self.named() {
            if let Some(v) = v {
                map.serialize_entry(k, v)?;
            }
        }
        for (k, v) in &self.extra {
            if !NAMED_KEYS.contains(&k.as_str()) && k != "entered" {
                map.serialize_entry(k, v)?;
            }
        }
        map.serialize_entry("entered", if self.entered { "true" } else { "false" })?;
        map.end()
    }
}

/// Why a JSON object is not a valid [`IdInfo`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdInfoError {
    /// A named key has a non-string value.
    #[error("id_info.{0} must be a JSON string")]
    NotAString(&'static str),
    /// `entered` is not a bool or `"true"`/`"false"`.
    #[error("id_info.entered must be true, false, \"true\" or \"false\"")]
    Entered,
}

impl TryFrom<Map<String, Value>> for IdInfo {
    type Error = IdInfoError;

    fn try_from(mut map: Map<String, Value>) -> Result<Self, Self::Error> {
        let mut take = |key: &'static str| -> Result<Option<String>, IdInfoError> {
            match map.shift_remove(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s)),
                Some(_) => Err(IdInfoError::NotAString(key)),
            }
        };
        let mut info = IdInfo {
            first_name: take("first_name")?,
            middle_name: take("middle_name")?,
            last_name: take("last_name")?,
            country: take("country")?,
            id_type: take("id_type")?,
            id_number: take("id_number")?,
            dob: take("dob")?,
            phone_number: take("phone_number")?,
            ..IdInfo::default()
        };
        info.entered = match map.shift_remove("entered") {
            None | Some(Value::Null) => false,
            Some(v) => crate::lenient::bool_from_json(&v).ok_or(IdInfoError::Entered)?,
        };
        info.extra = map;
        Ok(info)
    }
}

impl<'de> Deserialize<'de> for IdInfo {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = Map::<String, Value>::deserialize(deserializer)?;
        Self::try_from(map).map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_order() {
        let mut info = IdInfo {
            first_name: Some("A".into()),
            middle_name: Some("B".into()),
            last_name: Some("C".into()),
            country: Some("NG".into()),
            id_type: Some("BVN".into()),
            id_number: Some("1".into()),
            dob: Some("2000-01-01".into()),
            phone_number: Some("+234".into()),
            extra: Map::new(),
            entered: true,
        }
        .with_extra("bank_code", "058");
        info.extra.insert("entered".into(), Value::Bool(false));
        assert_eq!(
            serde_json::to_string(&info).unwrap(),
            r#"{"first_name":"A","middle_name":"B","last_name":"C","country":"NG","id_type":"BVN","id_number":"1","dob":"2000-01-01","phone_number":"+234","bank_code":"058","entered":"true"}"#
        );
    }

    #[test]
    fn lenient_entered() {
        for (text, want) in [
            (r#"{"entered":"TRUE"}"#, true),
            (r#"{"entered":true}"#, true),
            (r#"{"entered":"false"}"#, false),
            (r#"{}"#, false),
        ] {
            let info: IdInfo = serde_json::from_str(text).unwrap();
            assert_eq!(info.entered, want, "{text}");
        }
        let err = serde_json::from_str::<IdInfo>(r#"{"entered":"yes"}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("id_info.entered"), "{err}");
        let err = serde_json::from_str::<IdInfo>(r#"{"country":5}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("id_info.country"), "{err}");
    }

    #[test]
    fn round_trip_with_extra_objects() {
        let text = r#"{"country":"KE","consent_information":{"consented":true},"entered":"true"}"#;
        let info: IdInfo = serde_json::from_str(text).unwrap();
        assert!(info.entered);
        assert!(!info.is_empty());
        assert_eq!(serde_json::to_string(&info).unwrap(), text);
        assert!(IdInfo::new().is_empty());
    }
}

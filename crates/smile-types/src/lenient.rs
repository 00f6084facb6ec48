//! Lenient readers for the loosely typed values the server sends ([protocol §7.3](crate::protocol#73-lenient-parsing-must)).

use serde_json::Value;

/// A boolean as the server may send it: a JSON bool, or the string `"true"`/`"false"` in any
/// letter case. Anything else (including `null`, numbers, `"yes"`) gives `None` ("unknown").
///
/// ```
/// use serde_json::json;
/// use smile_types::bool_from_json;
/// assert_eq!(bool_from_json(&json!("TRUE")), Some(true));
/// assert_eq!(bool_from_json(&json!(false)), Some(false));
/// assert_eq!(bool_from_json(&json!("1")), None);
/// ```
pub fn bool_from_json(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) => bool_from_str(s),
        _ => None,
    }
}

/// `"true"`/`"false"` in any letter case; anything else gives `None`.
pub(crate) fn bool_from_str(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeOwned, Deserializer};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Map;

use crate::JobType;

/// A type that can be read leniently from a JSON value (see [`Lenient`]).
pub trait LenientValue: Sized {
    /// The value, or `None` when the JSON is not a recognised form.
    fn from_json(value: &Value) -> Option<Self>;
}

/// `true`/`false` or `"true"`/`"false"` (any letter case).
impl LenientValue for bool {
    fn from_json(value: &Value) -> Option<Self> {
        bool_from_json(value)
    }
}

/// A non-negative integer or a numeric string.
impl LenientValue for JobType {
    fn from_json(value: &Value) -> Option<Self> {
        JobType::from_json(value)
    }
}

/// A value the server sends in more than one JSON form, kept **exactly as received** next to
/// its interpretation.
///
/// Serializing writes the original JSON back unchanged, so decoding and re-encoding never
/// changes `"true"` into `true` or `"2"` into `2`. [`get`](Self::get) gives the interpretation,
/// `None` when the JSON form is not recognised ("unknown", never an error).
///
/// ```
/// use serde_json::json;
/// use smile_types::{JobType, Lenient};
/// let f: Lenient<bool> = serde_json::from_value(json!("TRUE")).unwrap();
/// assert_eq!(f.value(), Some(true));
/// assert_eq!(serde_json::to_value(&f).unwrap(), json!("TRUE"));
/// let odd: Lenient<bool> = serde_json::from_value(json!("yes")).unwrap();
/// assert_eq!(odd.value(), None);
/// let t = Lenient::<JobType>::text(JobType::SmartSelfieAuthentication);
/// assert_eq!(serde_json::to_value(&t).unwrap(), json!("2"));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Lenient<T> {
    raw: Value,
    value: Option<T>,
}

/// A boolean such as `IsFinalResult`, kept as received (`"true"` or `true`).
pub type LenientBool = Lenient<bool>;

impl<T: LenientValue> Lenient<T> {
    /// Interprets `raw`, keeping it.
    pub fn from_json(raw: Value) -> Self {
        let value = T::from_json(&raw);
        Self { raw, value }
    }
}

impl<T> Lenient<T> {
    /// The interpretation, `None` when the JSON form is not recognised.
    pub fn get(&self) -> Option<&T> {
        self.value.as_ref()
    }

    /// The JSON exactly as received.
    pub fn raw(&self) -> &Value {
        &self.raw
    }

    /// The JSON exactly as received.
    pub fn into_raw(self) -> Value {
        self.raw
    }
}

impl<T: Copy> Lenient<T> {
    /// The interpretation, `None` when the JSON form is not recognised.
    pub fn value(&self) -> Option<T> {
        self.value
    }
}

impl Lenient<bool> {
    /// The string form the server uses in result entries (`"true"` / `"false"`).
    pub fn text(b: bool) -> Self {
        Self {
            raw: Value::String(b.to_string()),
            value: Some(b),
        }
    }

    /// A JSON boolean.
    pub fn json(b: bool) -> Self {
        Self {
            raw: Value::Bool(b),
            value: Some(b),
        }
    }
}

impl Lenient<JobType> {
    /// A JSON number (the form requests use).
    pub fn number(t: JobType) -> Self {
        Self {
            raw: Value::from(t.code()),
            value: Some(t),
        }
    }

    /// A numeric string (the form the server often echoes: `"2"`).
    pub fn text(t: JobType) -> Self {
        Self {
            raw: Value::String(t.code().to_string()),
            value: Some(t),
        }
    }
}

impl<T> Serialize for Lenient<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.raw.serialize(serializer)
    }
}

impl<'de, T: LenientValue> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Value::deserialize(deserializer).map(Self::from_json)
    }
}

/// `ConfidenceValue`: a decimal the server sends as a string (`"99"`, `"97.000000"`) or a
/// number (`99.84`). The original JSON is kept and written back unchanged.
///
/// ```
/// use smile_types::ConfidenceValue;
/// let c: ConfidenceValue = serde_json::from_str("\"97.000000\"").unwrap();
/// assert_eq!(c.text(), "97.000000");
/// assert_eq!(c.as_f64(), Some(97.0));
/// let n: ConfidenceValue = serde_json::from_str("99.84").unwrap();
/// assert_eq!(n.text(), "99.84");
/// assert_eq!(serde_json::to_string(&n).unwrap(), "99.84");
/// assert!(serde_json::from_str::<ConfidenceValue>("true").is_err());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ConfidenceValue(Value);

impl ConfidenceValue {
    /// From the string form, kept verbatim.
    pub fn from_text(text: impl Into<String>) -> Self {
        Self(Value::String(text.into()))
    }

    /// From a number; `None` for NaN or infinity.
    pub fn from_f64(v: f64) -> Option<Self> {
        serde_json::Number::from_f64(v).map(|n| Self(Value::Number(n)))
    }

    /// From a JSON string or number; `None` for other JSON types.
    pub fn from_json(raw: Value) -> Option<Self> {
        match raw {
            Value::String(_) | Value::Number(_) => Some(Self(raw)),
            _ => None,
        }
    }

    /// The original text: the string as sent, or the number's JSON text.
    pub fn text(&self) -> Cow<'_, str> {
        match &self.0 {
            Value::String(s) => Cow::Borrowed(s),
            other => Cow::Owned(other.to_string()),
        }
    }

    /// True when it was sent as a JSON number.
    pub fn is_number(&self) -> bool {
        self.0.is_number()
    }

    /// The value as a decimal number; `None` when the string is not a finite decimal number
    /// (surrounding whitespace is allowed; `NaN`, `inf` and the like are not).
    pub fn as_f64(&self) -> Option<f64> {
        match &self.0 {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => {
                let t = s.trim();
                let decimal = !t.is_empty()
                    && t.bytes().any(|b| b.is_ascii_digit())
                    && t.bytes().all(|b| {
                        b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E')
                    });
                if !decimal {
                    return None;
                }
                t.parse::<f64>().ok().filter(|v| v.is_finite())
            }
            _ => None,
        }
    }

    /// The JSON exactly as received.
    pub fn raw(&self) -> &Value {
        &self.0
    }
}

impl fmt::Display for ConfidenceValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

impl Serialize for ConfidenceValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for ConfidenceValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(deserializer)?;
        Self::from_json(v).ok_or_else(|| {
            serde::de::Error::custom("ConfidenceValue must be a JSON string or number")
        })
    }
}

/// A JSON object being taken apart: typed fields are removed when they decode, and everything
/// else (unknown keys, and known keys whose value does not decode) stays, in order, for
/// `extra`.
pub(crate) struct Fields(pub(crate) Map<String, Value>);

impl Fields {
    /// Removes `key` and returns it decoded as `T`; on a decode failure the key stays.
    pub(crate) fn take<T: DeserializeOwned>(&mut self, key: &str) -> Option<T> {
        let v = self.0.get(key)?;
        let t = T::deserialize(v).ok()?;
        self.0.shift_remove(key);
        Some(t)
    }

    /// Removes `key` when `f` accepts its value.
    pub(crate) fn take_with<T>(
        &mut self,
        key: &str,
        f: impl FnOnce(&Value) -> Option<T>,
    ) -> Option<T> {
        let t = f(self.0.get(key)?)?;
        self.0.shift_remove(key);
        Some(t)
    }

    /// Removes `key` as a code (string verbatim, number zero-padded to 4).
    pub(crate) fn take_code(&mut self, key: &str) -> Option<String> {
        self.take_with(key, |v| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(
                crate::ResultCode::from_number(n.clone())
                    .as_str()
                    .to_owned(),
            ),
            _ => None,
        })
    }

    pub(crate) fn into_inner(self) -> Map<String, Value> {
        self.0
    }
}

/// Serializes an object: each `key => Option<&T>` present in order, then the `extra` entries
/// whose key is not among the present typed keys (so no key is ever written twice).
macro_rules! serialize_object {
    ($serializer:expr, $extra:expr, { $( $key:literal => $val:expr, )* }) => {{
        use serde::ser::SerializeMap as _;
        let mut map = $serializer.serialize_map(None)?;
        let mut present: [&str; [$($key),*].len()] = [""; [$($key),*].len()];
        let mut n = 0usize;
        $(
            if let Some(v) = $val {
                map.serialize_entry($key, v)?;
                present[n] = $key;
                n += 1;
            }
        )*
        for (k, v) in $extra {
            if !present[..n].contains(&k.as_str()) {
                map.serialize_entry(k, v)?;
            }
        }
        map.end()
    }};
}
pub(crate) use serialize_object;

//! [`CallbackUrl`]: a callback URL checked once, where it enters the SDK (the client's default,
//! a job's options, a call's argument), by one rule.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An absolute `http` or `https` URL with a host, kept exactly as given (it is sent verbatim).
///
/// One rule for every place a callback URL enters: no leading or trailing whitespace (a URL
/// parser would silently strip it, and the server would get another URL than the one checked),
/// no other whitespace or control characters, parseable, scheme `http` or `https`, a host.
///
/// ```
/// use smile_types::{CallbackUrl, CallbackUrlError};
/// let url = CallbackUrl::parse("https://example.com/smile/callback")?;
/// assert_eq!(url.as_str(), "https://example.com/smile/callback");
/// assert_eq!(CallbackUrl::parse(" https://x.example").unwrap_err(), CallbackUrlError::Whitespace);
/// assert_eq!(CallbackUrl::parse("ftp://x.example/cb").unwrap_err(), CallbackUrlError::Scheme("ftp".into()));
/// assert_eq!(CallbackUrl::parse("").unwrap_err(), CallbackUrlError::Empty);
/// # Ok::<(), CallbackUrlError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallbackUrl(String);

/// Why a text is not a [`CallbackUrl`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CallbackUrlError {
    /// The text is empty.
    #[error("it is empty")]
    Empty,
    /// The text has leading, trailing or inner whitespace or control characters.
    #[error("it contains whitespace or control characters (leading or trailing ones included)")]
    Whitespace,
    /// The text does not parse as an absolute URL.
    #[error("it is not an absolute URL ({0})")]
    NotAUrl(String),
    /// The scheme is not `http` or `https`.
    #[error("its scheme is {0:?}, not http or https")]
    Scheme(String),
    /// There is no host.
    #[error("it has no host")]
    NoHost,
}

impl CallbackUrl {
    /// Checks `text` (see the type's rule).
    ///
    /// # Errors
    /// [`CallbackUrlError`] saying what is wrong.
    pub fn parse(text: impl Into<String>) -> Result<Self, CallbackUrlError> {
        let text = text.into();
        if text.is_empty() {
            return Err(CallbackUrlError::Empty);
        }
        if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(CallbackUrlError::Whitespace);
        }
        let parsed =
            url::Url::parse(&text).map_err(|e| CallbackUrlError::NotAUrl(e.to_string()))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(CallbackUrlError::Scheme(parsed.scheme().to_owned()));
        }
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(CallbackUrlError::NoHost);
        }
        Ok(Self(text))
    }

    /// The URL, exactly as given.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The URL as an owned string.
    #[must_use]
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Debug for CallbackUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CallbackUrl({:?})", self.0)
    }
}

impl fmt::Display for CallbackUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for CallbackUrl {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for CallbackUrl {
    type Err = CallbackUrlError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for CallbackUrl {
    type Error = CallbackUrlError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(s)
    }
}

impl TryFrom<&str> for CallbackUrl {
    type Error = CallbackUrlError;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Self::parse(s)
    }
}

impl Serialize for CallbackUrl {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for CallbackUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_rule_for_every_callback_url() {
        for ok in [
            "https://example.com/cb",
            "http://127.0.0.1:8080/smile?x=1",
            "https://[::1]/cb",
        ] {
            assert_eq!(CallbackUrl::parse(ok).unwrap().as_str(), ok);
        }
        let bad = [
            ("", CallbackUrlError::Empty),
            (" https://x.example", CallbackUrlError::Whitespace),
            ("https://x.example/ ", CallbackUrlError::Whitespace),
            ("https://x.example/a b", CallbackUrlError::Whitespace),
            ("https://x.example/\t", CallbackUrlError::Whitespace),
            (
                "mailto:a@b.example",
                CallbackUrlError::Scheme("mailto".into()),
            ),
        ];
        for (text, want) in bad {
            assert_eq!(CallbackUrl::parse(text).unwrap_err(), want, "{text:?}");
        }
        assert!(matches!(
            CallbackUrl::parse("not-a-url").unwrap_err(),
            CallbackUrlError::NotAUrl(_)
        ));
        assert!(matches!(
            CallbackUrl::parse("/relative").unwrap_err(),
            CallbackUrlError::NotAUrl(_)
        ));
        let json: CallbackUrl = serde_json::from_str("\"https://x.example/cb\"").unwrap();
        assert_eq!(
            serde_json::to_string(&json).unwrap(),
            "\"https://x.example/cb\""
        );
        assert!(serde_json::from_str::<CallbackUrl>("\"ftp://x\"").is_err());
    }
}

//! Environments and base URLs ([protocol §1.1](smile_types::protocol#11-base-urls)).

use std::fmt;
use std::str::FromStr;

/// The sandbox base URL (`sid_server` 0 in the official SDKs).
pub const SANDBOX_BASE_URL: &str = "https://testapi.smileidentity.com/v1";
/// The production base URL (`sid_server` 1 in the official SDKs).
pub const PRODUCTION_BASE_URL: &str = "https://api.smileidentity.com/v1";

/// A validated, normalised base URL such as `https://testapi.smileidentity.com/v1`.
///
/// Rules ([protocol §1.1](smile_types::protocol#11-base-urls)): an absolute `http` or `https` URL (scheme compared
/// case-insensitively and kept as given; plain `http` is accepted for loopback tests and
/// emulators) with a host, no query, no fragment and no user info. Every trailing `/` is
/// removed; host and path are otherwise kept byte for byte. The version prefix (`/v1`) is part
/// of the base URL.
///
/// ```
/// use smile_core::BaseUrl;
///
/// let base = BaseUrl::parse("http://127.0.0.1:8080/v1/")?;
/// assert_eq!(base.as_str(), "http://127.0.0.1:8080/v1");
/// assert_eq!(base.endpoint("upload"), "http://127.0.0.1:8080/v1/upload");
/// assert!(BaseUrl::parse("ftp://x").is_err());
/// # Ok::<(), smile_core::BaseUrlError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct BaseUrl {
    text: String,
    https: bool,
    loopback: bool,
}

/// Why a base URL was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid base URL {value:?}: {reason}")]
pub struct BaseUrlError {
    value: String,
    reason: BaseUrlProblem,
}

impl BaseUrlError {
    fn new(value: &str, reason: BaseUrlProblem) -> Self {
        Self {
            value: value.to_owned(),
            reason,
        }
    }

    /// The rejected input, as given.
    #[must_use]
    pub fn value(&self) -> &str {
        &self.value
    }

    /// What is wrong with it.
    #[must_use]
    pub fn problem(&self) -> &BaseUrlProblem {
        &self.reason
    }
}

/// The specific problem found in a base URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BaseUrlProblem {
    /// The text is empty.
    #[error("it is empty")]
    Empty,
    /// No `scheme://` prefix: the URL is not absolute.
    #[error("it has no scheme (expected http:// or https://)")]
    NoScheme,
    /// The scheme is neither `http` nor `https`.
    #[error("scheme {0:?} is not http or https")]
    Scheme(String),
    /// No host after the scheme.
    #[error("it has no host")]
    NoHost,
    /// A query string (`?…`) is present.
    #[error("it has a query string")]
    Query,
    /// A fragment (`#…`) is present.
    #[error("it has a fragment")]
    Fragment,
    /// User info (`user:password@`) is present; credentials do not belong in a base URL.
    #[error("it contains user info (credentials)")]
    UserInfo,
    /// Whitespace or a control character is present.
    #[error("it contains whitespace or control characters")]
    Whitespace,
    /// The URL is not syntactically valid (bad port, bad IPv6 literal, ...).
    #[error("it is not a valid URL ({0})")]
    Syntax(String),
}

impl BaseUrl {
    /// Validates and normalises `value` (see the type documentation for the rules).
    ///
    /// # Errors
    /// [`BaseUrlError`] naming the value and the rule it breaks.
    pub fn parse(value: &str) -> Result<Self, BaseUrlError> {
        let err = |p| Err(BaseUrlError::new(value, p));
        if value.is_empty() {
            return err(BaseUrlProblem::Empty);
        }
        if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return err(BaseUrlProblem::Whitespace);
        }
        let Some((scheme, rest)) = value.split_once("://") else {
            return err(BaseUrlProblem::NoScheme);
        };
        if scheme.is_empty()
            || !scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        {
            return err(BaseUrlProblem::NoScheme);
        }
        let https = if scheme.eq_ignore_ascii_case("https") {
            true
        } else if scheme.eq_ignore_ascii_case("http") {
            false
        } else {
            return err(BaseUrlProblem::Scheme(scheme.to_owned()));
        };
        if rest.contains('#') {
            return err(BaseUrlProblem::Fragment);
        }
        if rest.contains('?') {
            return err(BaseUrlProblem::Query);
        }
        let (authority, _path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        if authority.contains('@') {
            return err(BaseUrlProblem::UserInfo);
        }
        if authority.is_empty() || authority.starts_with(':') {
            return err(BaseUrlProblem::NoHost);
        }
        let parsed = match url::Url::parse(value) {
            Ok(u) => u,
            Err(e) => return err(BaseUrlProblem::Syntax(e.to_string())),
        };
        let loopback = match parsed.host() {
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => return err(BaseUrlProblem::NoHost),
        };
        let text = value.trim_end_matches('/').to_owned();
        // The endpoint URLs must be usable as HTTP request targets.
        if let Err(e) = format!("{text}/upload").parse::<http::Uri>() {
            return err(BaseUrlProblem::Syntax(e.to_string()));
        }
        Ok(Self {
            text,
            https,
            loopback,
        })
    }

    /// The normalised text (no trailing `/`).
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// `{base}/{path}` for an endpoint path such as `upload` or `job_status`.
    #[must_use]
    pub fn endpoint(&self, path: &str) -> String {
        format!("{}/{}", self.text, path.trim_start_matches('/'))
    }

    /// Whether the scheme is `https`.
    #[must_use]
    pub fn is_https(&self) -> bool {
        self.https
    }

    /// Whether the host is a loopback address (`localhost`, `127.0.0.0/8`, `::1`).
    #[must_use]
    pub fn is_loopback(&self) -> bool {
        self.loopback
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("BaseUrl").field(&self.text).finish()
    }
}

impl FromStr for BaseUrl {
    type Err = BaseUrlError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl AsRef<str> for BaseUrl {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

/// Which Smile ID server a client talks to.
///
/// API keys are per environment: a sandbox key does not work in production.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Server {
    /// `https://testapi.smileidentity.com/v1` (`sid_server` 0). The default.
    #[default]
    Sandbox,
    /// `https://api.smileidentity.com/v1` (`sid_server` 1).
    Production,
    /// Any other base URL: an emulator, a proxy, a test server.
    Custom(BaseUrl),
}

/// A `sid_server` value or server name that is not recognised.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// A number other than 0 (sandbox) or 1 (production).
    #[error("sid_server {0} is not 0 (sandbox) or 1 (production)")]
    UnknownSidServer(u64),
    /// A URL that is not a valid base URL.
    #[error(transparent)]
    BaseUrl(#[from] BaseUrlError),
}

impl Server {
    /// The official SDKs' `sid_server`: 0 = sandbox, 1 = production.
    ///
    /// # Errors
    /// [`ServerError::UnknownSidServer`] for any other number.
    pub fn from_sid_server(sid_server: u64) -> Result<Self, ServerError> {
        match sid_server {
            0 => Ok(Self::Sandbox),
            1 => Ok(Self::Production),
            n => Err(ServerError::UnknownSidServer(n)),
        }
    }

    /// A custom base URL (validated as [`BaseUrl::parse`] does).
    ///
    /// # Errors
    /// [`BaseUrlError`] naming the value and the problem.
    pub fn custom(base_url: &str) -> Result<Self, BaseUrlError> {
        BaseUrl::parse(base_url).map(Self::Custom)
    }

    /// The base URL of this server.
    #[must_use]
    pub fn base_url(&self) -> BaseUrl {
        match self {
            Self::Sandbox => BaseUrl {
                text: SANDBOX_BASE_URL.to_owned(),
                https: true,
                loopback: false,
            },
            Self::Production => BaseUrl {
                text: PRODUCTION_BASE_URL.to_owned(),
                https: true,
                loopback: false,
            },
            Self::Custom(b) => b.clone(),
        }
    }
}

impl FromStr for Server {
    type Err = ServerError;

    /// `"0"` / `"sandbox"`, `"1"` / `"production"`, or an `http(s)://` base URL.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("sandbox") || t.eq_ignore_ascii_case("test") {
            return Ok(Self::Sandbox);
        }
        if t.eq_ignore_ascii_case("production") || t.eq_ignore_ascii_case("prod") {
            return Ok(Self::Production);
        }
        if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
            let n = t.parse::<u64>().unwrap_or(u64::MAX);
            return Self::from_sid_server(n);
        }
        Ok(Self::Custom(BaseUrl::parse(s)?))
    }
}

impl From<BaseUrl> for Server {
    fn from(b: BaseUrl) -> Self {
        Self::Custom(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table of [protocol §1.1](smile_types::protocol#11-base-urls).
    #[test]
    fn protocol_table() {
        let ok = [
            (
                "https://testapi.smileidentity.com/v1",
                "https://testapi.smileidentity.com/v1",
            ),
            ("http://127.0.0.1:8080/v1/", "http://127.0.0.1:8080/v1"),
            ("HTTPS://Example.COM/v1///", "HTTPS://Example.COM/v1"),
            ("http://[::1]:9000/v1", "http://[::1]:9000/v1"),
        ];
        for (input, want) in ok {
            let b = BaseUrl::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(b.as_str(), want, "{input}");
        }
        let bad = [
            ("example.com/v1", BaseUrlProblem::NoScheme),
            ("ftp://x", BaseUrlProblem::Scheme("ftp".into())),
            ("https://h/v1?x=1", BaseUrlProblem::Query),
        ];
        for (input, problem) in bad {
            let e = BaseUrl::parse(input).unwrap_err();
            assert_eq!(e.problem(), &problem, "{input}");
            assert_eq!(e.value(), input);
            assert!(e.to_string().contains(input), "{e}");
        }
    }

    #[test]
    fn more_rejections() {
        let cases = [
            ("", BaseUrlProblem::Empty),
            ("/v1", BaseUrlProblem::NoScheme),
            ("://x/v1", BaseUrlProblem::NoScheme),
            ("http://", BaseUrlProblem::NoHost),
            ("http:///v1", BaseUrlProblem::NoHost),
            ("https://h/v1#frag", BaseUrlProblem::Fragment),
            ("https://u:p@h/v1", BaseUrlProblem::UserInfo),
            ("https://h /v1", BaseUrlProblem::Whitespace),
            ("https://h/v1\n", BaseUrlProblem::Whitespace),
            ("http://[::1/v1", BaseUrlProblem::Syntax(String::new())),
        ];
        for (input, problem) in cases {
            let e = BaseUrl::parse(input).expect_err(input);
            match (&problem, e.problem()) {
                (BaseUrlProblem::Syntax(_), BaseUrlProblem::Syntax(_))
                | (BaseUrlProblem::NoHost, BaseUrlProblem::Syntax(_)) => {}
                (want, got) => assert_eq!(got, want, "{input}"),
            }
        }
        assert!(BaseUrl::parse("http://h:99999/v1").is_err());
    }

    #[test]
    fn endpoints_and_flags() {
        let b = BaseUrl::parse("http://localhost:1234/").unwrap();
        assert_eq!(b.as_str(), "http://localhost:1234");
        assert_eq!(b.endpoint("job_status"), "http://localhost:1234/job_status");
        assert!(b.is_loopback());
        assert!(!b.is_https());
        let p = BaseUrl::parse("http://PROXY.corp/Smile/V1").unwrap();
        assert_eq!(p.endpoint("upload"), "http://PROXY.corp/Smile/V1/upload");
        assert!(!p.is_loopback());
        assert!(BaseUrl::parse("http://127.8.9.1/v1").unwrap().is_loopback());
        let s = Server::Sandbox.base_url();
        assert_eq!(
            s.endpoint("upload"),
            "https://testapi.smileidentity.com/v1/upload"
        );
        assert_eq!(Server::Production.base_url().as_str(), PRODUCTION_BASE_URL);
    }

    #[test]
    fn server_from_str() {
        assert_eq!("0".parse::<Server>().unwrap(), Server::Sandbox);
        assert_eq!("1".parse::<Server>().unwrap(), Server::Production);
        assert_eq!("sandbox".parse::<Server>().unwrap(), Server::Sandbox);
        assert_eq!("Production".parse::<Server>().unwrap(), Server::Production);
        assert_eq!(
            "2".parse::<Server>().unwrap_err(),
            ServerError::UnknownSidServer(2)
        );
        assert!(matches!(
            "http://127.0.0.1:1/v1".parse::<Server>().unwrap(),
            Server::Custom(b) if b.as_str() == "http://127.0.0.1:1/v1"
        ));
        assert!("nonsense".parse::<Server>().is_err());
        assert_eq!(Server::from_sid_server(1).unwrap(), Server::Production);
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_normalises(s in "\\PC{0,40}") {
            if let Ok(b) = BaseUrl::parse(&s) {
                proptest::prop_assert!(!b.as_str().ends_with('/'));
                proptest::prop_assert!(b.endpoint("upload").parse::<http::Uri>().is_ok());
            }
        }

        #[test]
        fn trailing_slashes_removed(n in 0usize..5, path in "(/[a-z0-9]{1,5}){0,3}") {
            let input = format!("https://example.com{path}{}", "/".repeat(n));
            let b = BaseUrl::parse(&input).unwrap();
            proptest::prop_assert_eq!(b.as_str(), format!("https://example.com{path}"));
        }
    }
}

//! Client configuration shared by both drivers: credentials, server, default callback,
//! timeouts, poll and retry policies, and the clock.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use smile_sign::{Clock, Signer, SystemClock};
use smile_types::{CallbackUrl, PartnerId};

use crate::policy::{PollPolicy, RetryPolicy};
use crate::server::{BaseUrl, BaseUrlError, Server};

/// The SDK version sent as `source_sdk_version` and in the `User-Agent`.
pub const SDK_VERSION: &str = env!("CARGO_PKG_VERSION");
/// The `source_sdk` value of this SDK.
pub const SOURCE_SDK: &str = "rust";

/// The default `User-Agent`: `smile-id-rust/<version>`.
#[must_use]
pub fn default_user_agent() -> String {
    format!("smile-id-rust/{SDK_VERSION}")
}

/// Connect, request and upload timeouts ([protocol §2.4](smile_types::protocol#24-timeouts-and-retries-our-sdk)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// Time allowed to establish a connection (default 10 s). Applied by the transport.
    pub connect: Duration,
    /// Total time for one JSON call (default 30 s).
    pub request: Duration,
    /// Total time for the zip `PUT` (default 120 s).
    pub upload: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(10),
            request: Duration::from_secs(30),
            upload: Duration::from_secs(120),
        }
    }
}

/// A client setting that is not valid.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The partner id is empty.
    #[error("partner_id is empty: use the id shown in the Smile ID portal, e.g. \"085\"")]
    EmptyPartnerId,
    /// The API key is empty.
    #[error("api_key is empty: generate one in the Smile ID portal for this environment")]
    EmptyApiKey,
    /// The base URL is not valid.
    #[error("base_url: {0}")]
    BaseUrl(#[from] BaseUrlError),
    /// The default callback URL is not an absolute http(s) URL.
    #[error("default_callback {value:?} is not an absolute http or https URL: {reason}")]
    CallbackUrl {
        /// The rejected value.
        value: String,
        /// What is wrong with it.
        reason: smile_types::CallbackUrlError,
    },
    /// A timeout is zero.
    #[error("{name} timeout must be greater than zero")]
    Timeout {
        /// `connect`, `request` or `upload`.
        name: &'static str,
    },
    /// The poll policy is not usable.
    #[error("poll_policy: {0}")]
    PollPolicy(String),
    /// The `User-Agent` is not a valid header value.
    #[error("user_agent {0:?} is not a valid header value")]
    UserAgent(String),
    /// A root certificate given to `root_certificates_pem` is not usable.
    #[error("root_certificates_pem: {problem}")]
    RootCertificates {
        /// What is wrong, e.g. "no CERTIFICATE block in the PEM text".
        problem: String,
        /// The parser's error, when there is one.
        #[source]
        source: Option<Box<dyn StdError + Send + Sync + 'static>>,
    },
    /// The base URL is `https` (or root certificates were given) but the driver was built
    /// without a TLS back-end (both its `rustls` and `native-tls` features off).
    #[error(
        "{what} needs TLS, but this client was built without a TLS back-end: enable the `rustls` (default) or `native-tls` feature, or give a transport of your own"
    )]
    NoTls {
        /// What needs TLS: `base_url <url>` or `root_certificates_pem`.
        what: String,
    },
    /// The HTTP client of a driver could not be built (TLS set-up, ...).
    #[error("the HTTP client could not be built")]
    HttpClient(#[source] Box<dyn StdError + Send + Sync + 'static>),
}

/// The validated configuration of a client (built by [`ClientConfigBuilder`]).
///
/// Both `smile_blocking::WebApi` and `smile_async::WebApi` hold one; they differ only in
/// their transport and in how they wait. The API key lives only inside the [`Signer`]; this
/// type's `Debug` output never shows it.
#[derive(Clone)]
pub struct ClientConfig {
    signer: Signer,
    base_url: BaseUrl,
    default_callback: Option<CallbackUrl>,
    timeouts: Timeouts,
    poll_policy: PollPolicy,
    retry_policy: RetryPolicy,
    user_agent: String,
    clock: Arc<dyn Clock>,
    root_certificates_pem: Vec<String>,
    allow_insecure_upload_url: bool,
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("partner_id", &self.signer.partner_id().as_str())
            .field("api_key", &"[REDACTED]")
            .field("base_url", &self.base_url.as_str())
            .field("default_callback", &self.default_callback)
            .field("timeouts", &self.timeouts)
            .field("poll_policy", &self.poll_policy)
            .field("retry_policy", &self.retry_policy)
            .field("user_agent", &self.user_agent)
            .field("clock", &self.clock)
            .field("root_certificates", &self.root_certificates_pem.len())
            .finish()
    }
}

impl ClientConfig {
    /// A builder with the required credentials; everything else has defaults.
    pub fn builder(
        partner_id: impl Into<PartnerId>,
        api_key: impl Into<SecretString>,
    ) -> ClientConfigBuilder {
        ClientConfigBuilder::new(partner_id, api_key)
    }

    /// The signer (partner id + API key).
    #[must_use]
    pub fn signer(&self) -> &Signer {
        &self.signer
    }

    /// The partner id.
    #[must_use]
    pub fn partner_id(&self) -> &PartnerId {
        self.signer.partner_id()
    }

    /// The base URL of the server.
    #[must_use]
    pub fn base_url(&self) -> &BaseUrl {
        &self.base_url
    }

    /// The default callback URL, used when a job has none of its own.
    #[must_use]
    pub fn default_callback(&self) -> Option<&str> {
        self.default_callback.as_ref().map(CallbackUrl::as_str)
    }

    /// Whether an `https` API may hand out a plain-`http` upload URL (default `false`: such a
    /// job ends with [`Error::InsecureUploadUrl`](crate::Error::InsecureUploadUrl) before any
    /// image is sent).
    #[must_use]
    pub fn allow_insecure_upload_url(&self) -> bool {
        self.allow_insecure_upload_url
    }

    /// The timeouts.
    #[must_use]
    pub fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    /// The poll policy used by `submit_job` with `return_job_status`.
    #[must_use]
    pub fn poll_policy(&self) -> &PollPolicy {
        &self.poll_policy
    }

    /// The retry policy for idempotent calls (zip `PUT`, `get_job_status`).
    #[must_use]
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry_policy
    }

    /// The `User-Agent` sent on JSON calls.
    #[must_use]
    pub fn user_agent(&self) -> &str {
        &self.user_agent
    }

    /// The clock that gives request timestamps and poll deadlines ([`SystemClock`] unless
    /// [`ClientConfigBuilder::clock`] set another). The drivers read `now` from it for every
    /// step of a [`Machine`](crate::Machine).
    #[must_use]
    pub fn clock(&self) -> &dyn Clock {
        &*self.clock
    }

    /// The PEM texts of the root certificates that the drivers' default transports trust
    /// **instead of** the built-in web PKI roots; empty (the default) means the web PKI roots.
    /// See [`ClientConfigBuilder::root_certificates_pem`].
    #[must_use]
    pub fn root_certificates_pem(&self) -> &[String] {
        &self.root_certificates_pem
    }

    /// For a driver building its default transport: fails when the configuration needs TLS
    /// (an `https` base URL, or root certificates) and the driver has none (`tls_available`
    /// is `false` when all its TLS features are off). So the mistake shows at `build()`, not
    /// as a transport error on the first call.
    ///
    /// ```
    /// use smile_core::{ClientConfig, ConfigError};
    ///
    /// let sandbox = ClientConfig::builder("085", "key").build()?;
    /// assert!(sandbox.check_tls(true).is_ok());
    /// let e = sandbox.check_tls(false).unwrap_err();
    /// assert!(matches!(e, ConfigError::NoTls { .. }));
    /// assert!(e.to_string().contains("https://testapi.smileidentity.com/v1"), "{e}");
    ///
    /// let local = ClientConfig::builder("085", "key").base_url("http://127.0.0.1:8080/v1").build()?;
    /// assert!(local.check_tls(false).is_ok());
    /// # Ok::<(), ConfigError>(())
    /// ```
    ///
    /// # Errors
    /// [`ConfigError::NoTls`] naming what needs TLS.
    pub fn check_tls(&self, tls_available: bool) -> Result<(), ConfigError> {
        if tls_available {
            return Ok(());
        }
        if self.base_url.is_https() {
            return Err(ConfigError::NoTls {
                what: format!("base_url {}", self.base_url),
            });
        }
        if !self.root_certificates_pem.is_empty() {
            return Err(ConfigError::NoTls {
                what: "root_certificates_pem".into(),
            });
        }
        Ok(())
    }
}

/// Builds a [`ClientConfig`]; the drivers' `WebApi::builder` wraps it and forwards every
/// setter.
///
/// ```
/// use std::time::Duration;
/// use smile_core::{ClientConfig, Server};
///
/// let config = ClientConfig::builder("085", "api-key")
///     .server(Server::Sandbox)
///     .default_callback("https://example.com/smile/callback")
///     .request_timeout(Duration::from_secs(20))
///     .build()?;
/// assert_eq!(config.base_url().as_str(), "https://testapi.smileidentity.com/v1");
/// assert!(!format!("{config:?}").contains("api-key"));
///
/// let err = ClientConfig::builder("085", "k").base_url("ftp://x").build().unwrap_err();
/// assert!(err.to_string().contains("ftp://x"));
/// # Ok::<(), smile_core::ConfigError>(())
/// ```
pub struct ClientConfigBuilder {
    partner_id: PartnerId,
    api_key: SecretString,
    server: Result<Server, BaseUrlError>,
    default_callback: Option<String>,
    timeouts: Timeouts,
    poll_policy: PollPolicy,
    retry_policy: RetryPolicy,
    user_agent: String,
    clock: Option<Arc<dyn Clock>>,
    root_certificates_pem: Vec<String>,
    allow_insecure_upload_url: bool,
}

impl fmt::Debug for ClientConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfigBuilder")
            .field("partner_id", &self.partner_id.as_str())
            .field("api_key", &"[REDACTED]")
            .field("server", &self.server)
            .field("default_callback", &self.default_callback)
            .field("timeouts", &self.timeouts)
            .finish_non_exhaustive()
    }
}

impl ClientConfigBuilder {
    /// A builder with the required credentials: the partner id exactly as shown in the portal
    /// (`"085"` and `"85"` are different ids) and the API key of the chosen environment.
    pub fn new(partner_id: impl Into<PartnerId>, api_key: impl Into<SecretString>) -> Self {
        Self {
            partner_id: partner_id.into(),
            api_key: api_key.into(),
            server: Ok(Server::Sandbox),
            default_callback: None,
            timeouts: Timeouts::default(),
            poll_policy: PollPolicy::default(),
            retry_policy: RetryPolicy::default(),
            user_agent: default_user_agent(),
            clock: None,
            root_certificates_pem: Vec::new(),
            allow_insecure_upload_url: false,
        }
    }

    /// Lets an `https` API hand out plain-`http` upload URLs (default: refused with
    /// [`Error::InsecureUploadUrl`](crate::Error::InsecureUploadUrl), since the zip holds the
    /// selfie and ID images). Only for test servers; a plain-`http` base URL (the emulator)
    /// needs no opt-out.
    #[must_use]
    pub fn allow_insecure_upload_url(mut self, allow: bool) -> Self {
        self.allow_insecure_upload_url = allow;
        self
    }

    /// The server: [`Server::Sandbox`] (the default), [`Server::Production`] or a custom base URL.
    #[must_use]
    pub fn server(mut self, server: Server) -> Self {
        self.server = Ok(server);
        self
    }

    /// A custom base URL such as `http://127.0.0.1:8080/v1` (an emulator, a proxy, a test
    /// server); checked by [`build`](Self::build) with [`BaseUrl::parse`].
    #[must_use]
    pub fn base_url(mut self, base_url: &str) -> Self {
        self.server = BaseUrl::parse(base_url).map(Server::Custom);
        self
    }

    /// The default callback URL, used by jobs that do not set their own `callback_url`.
    #[must_use]
    pub fn default_callback(mut self, url: impl Into<String>) -> Self {
        self.default_callback = Some(url.into());
        self
    }

    /// The connect timeout (default 10 s).
    #[must_use]
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.timeouts.connect = d;
        self
    }

    /// The total timeout of a JSON call (default 30 s).
    #[must_use]
    pub fn request_timeout(mut self, d: Duration) -> Self {
        self.timeouts.request = d;
        self
    }

    /// The total timeout of the zip `PUT` (default 120 s).
    #[must_use]
    pub fn upload_timeout(mut self, d: Duration) -> Self {
        self.timeouts.upload = d;
        self
    }

    /// The poll policy for `submit_job` with `return_job_status` (see [`PollPolicy`]).
    #[must_use]
    pub fn poll_policy(mut self, policy: PollPolicy) -> Self {
        self.poll_policy = policy;
        self
    }

    /// The retry policy for idempotent calls (see [`RetryPolicy`]).
    #[must_use]
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry_policy = policy;
        self
    }

    /// The `User-Agent` of JSON calls (default `smile-id-rust/<version>`).
    #[must_use]
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        self.user_agent = ua.into();
        self
    }

    /// The clock for request timestamps and poll deadlines (default [`SystemClock`]). Tests
    /// pass a [`FixedClock`](smile_sign::FixedClock) that their sleep hook advances.
    #[must_use]
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// Trusts the root certificates in this PEM text (one or more `CERTIFICATE` blocks)
    /// **instead of** the built-in web PKI roots: for a server with a private or self-signed
    /// certificate, such as `smile-emulator` with TLS (`emulator.cert_pem()`). Calling it again
    /// adds more roots. The drivers' default transports apply it; a transport of your own
    /// ignores it. `build()` fails with [`ConfigError::RootCertificates`] when the text holds
    /// no certificate (the drivers also reject one they cannot parse).
    #[must_use]
    pub fn root_certificates_pem(mut self, pem: impl Into<String>) -> Self {
        self.root_certificates_pem.push(pem.into());
        self
    }

    /// The connect timeout currently set (drivers read it to configure their transport).
    #[must_use]
    pub fn connect_timeout_value(&self) -> Duration {
        self.timeouts.connect
    }

    /// Validates everything and builds the configuration.
    ///
    /// # Errors
    /// [`ConfigError`] naming the first invalid setting.
    pub fn build(self) -> Result<ClientConfig, ConfigError> {
        if self.partner_id.as_str().trim().is_empty() {
            return Err(ConfigError::EmptyPartnerId);
        }
        if self.api_key.expose_secret().is_empty() {
            return Err(ConfigError::EmptyApiKey);
        }
        let server = self.server?;
        let default_callback = match self.default_callback {
            None => None,
            Some(cb) => Some(CallbackUrl::parse(cb.as_str()).map_err(|reason| {
                ConfigError::CallbackUrl {
                    value: cb.clone(),
                    reason,
                }
            })?),
        };
        for (name, d) in [
            ("connect", self.timeouts.connect),
            ("request", self.timeouts.request),
            ("upload", self.timeouts.upload),
        ] {
            if d.is_zero() {
                return Err(ConfigError::Timeout { name });
            }
        }
        self.poll_policy.validate()?;
        if let Some(n) = self
            .root_certificates_pem
            .iter()
            .position(|pem| !pem.contains("-----BEGIN CERTIFICATE-----"))
        {
            return Err(ConfigError::RootCertificates {
                problem: format!("PEM text #{} holds no CERTIFICATE block", n + 1),
                source: None,
            });
        }
        if http::HeaderValue::from_str(&self.user_agent).is_err() {
            return Err(ConfigError::UserAgent(self.user_agent));
        }
        let base_url = server.base_url();
        if !base_url.is_https() && !base_url.is_loopback() {
            tracing::warn!(
                base_url = base_url.as_str(),
                "plain http base URL to a non-loopback host: requests are not encrypted"
            );
        }
        Ok(ClientConfig {
            signer: Signer::new(self.partner_id, self.api_key),
            base_url,
            default_callback,
            timeouts: self.timeouts,
            poll_policy: self.poll_policy,
            retry_policy: self.retry_policy,
            user_agent: self.user_agent,
            clock: self.clock.unwrap_or_else(|| Arc::new(SystemClock)),
            root_certificates_pem: self.root_certificates_pem,
            allow_insecure_upload_url: self.allow_insecure_upload_url,
        })
    }
}

/// Generates the configuration setters of a driver's `WebApiBuilder`, forwarding each to the
/// field named in the call (default `config`), which must have a setter of the same name
/// taking `self` ([`ClientConfigBuilder`] or [`DriverBuilder`](crate::DriverBuilder)). Used by
/// `smile-blocking` and `smile-async` so that both builders offer exactly the same settings.
#[doc(hidden)]
#[macro_export]
macro_rules! __forward_config_setters {
    () => {
        $crate::__forward_config_setters!(config);
    };
    ($field:ident) => {
        /// The server: `Server::Sandbox` (the default), `Server::Production` or a custom base URL.
        #[must_use]
        pub fn server(mut self, server: $crate::Server) -> Self {
            self.$field = self.$field.server(server);
            self
        }

        /// A custom base URL such as `http://127.0.0.1:8080/v1` (emulator, proxy, test
        /// server). Plain `http` is accepted; trailing `/` are removed; a query, fragment or
        /// other scheme is rejected by `build()`.
        #[must_use]
        pub fn base_url(mut self, base_url: &str) -> Self {
            self.$field = self.$field.base_url(base_url);
            self
        }

        /// The default callback URL, used by jobs that do not set their own `callback_url`.
        #[must_use]
        pub fn default_callback(mut self, url: impl Into<String>) -> Self {
            self.$field = self.$field.default_callback(url);
            self
        }

        /// Lets an `https` API hand out plain-`http` upload URLs (default: refused with
        /// `Error::InsecureUploadUrl`). Only for test servers.
        #[must_use]
        pub fn allow_insecure_upload_url(mut self, allow: bool) -> Self {
            self.$field = self.$field.allow_insecure_upload_url(allow);
            self
        }

        /// The connect timeout (default 10 s).
        #[must_use]
        pub fn connect_timeout(mut self, d: ::std::time::Duration) -> Self {
            self.$field = self.$field.connect_timeout(d);
            self
        }

        /// The total timeout of a JSON call (default 30 s).
        #[must_use]
        pub fn request_timeout(mut self, d: ::std::time::Duration) -> Self {
            self.$field = self.$field.request_timeout(d);
            self
        }

        /// The total timeout of the zip `PUT` (default 120 s).
        #[must_use]
        pub fn upload_timeout(mut self, d: ::std::time::Duration) -> Self {
            self.$field = self.$field.upload_timeout(d);
            self
        }

        /// The poll policy of `submit_job` with `return_job_status` (see `PollPolicy`).
        #[must_use]
        pub fn poll_policy(mut self, policy: $crate::PollPolicy) -> Self {
            self.$field = self.$field.poll_policy(policy);
            self
        }

        /// The retry policy of idempotent calls (see `RetryPolicy`).
        #[must_use]
        pub fn retry_policy(mut self, policy: $crate::RetryPolicy) -> Self {
            self.$field = self.$field.retry_policy(policy);
            self
        }

        /// The `User-Agent` of JSON calls (default `smile-id-rust/<version>`).
        #[must_use]
        pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
            self.$field = self.$field.user_agent(ua);
            self
        }

        /// Trusts the root certificates in this PEM text (one or more `CERTIFICATE` blocks)
        /// **instead of** the built-in web PKI roots, e.g. the emulator's self-signed
        /// certificate; calling it again adds more. Ignored by a transport of your own.
        #[must_use]
        pub fn root_certificates_pem(mut self, pem: impl Into<String>) -> Self {
            self.$field = self.$field.root_certificates_pem(pem);
            self
        }

        /// Uses this clock for request timestamps and poll deadlines (default `SystemClock`).
        /// Tests pass a `FixedClock` that the sleep hook advances.
        #[must_use]
        pub fn clock(mut self, clock: impl $crate::Clock + 'static) -> Self {
            self.$field = self.$field.clock(clock);
            self
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let c = ClientConfig::builder("085", "key").build().unwrap();
        assert_eq!(c.base_url().as_str(), crate::server::SANDBOX_BASE_URL);
        assert_eq!(c.timeouts(), Timeouts::default());
        assert_eq!(c.timeouts().connect, Duration::from_secs(10));
        assert_eq!(c.timeouts().request, Duration::from_secs(30));
        assert_eq!(c.timeouts().upload, Duration::from_secs(120));
        assert_eq!(c.user_agent(), format!("smile-id-rust/{SDK_VERSION}"));
        assert_eq!(c.partner_id().as_str(), "085");
        assert_eq!(c.default_callback(), None);
    }

    #[test]
    fn rejects_bad_settings() {
        let b = || ClientConfig::builder("085", "key");
        assert!(matches!(
            ClientConfig::builder("", "key").build(),
            Err(ConfigError::EmptyPartnerId)
        ));
        assert!(matches!(
            ClientConfig::builder("085", "").build(),
            Err(ConfigError::EmptyApiKey)
        ));
        assert!(matches!(
            b().base_url("example.com/v1").build(),
            Err(ConfigError::BaseUrl(_))
        ));
        let e = b().default_callback("not a url").build().unwrap_err();
        assert!(e.to_string().contains("not a url"), "{e}");
        assert!(matches!(
            b().default_callback("ftp://h/x").build(),
            Err(ConfigError::CallbackUrl { .. })
        ));
        assert!(matches!(
            b().upload_timeout(Duration::ZERO).build(),
            Err(ConfigError::Timeout { name: "upload" })
        ));
        assert!(matches!(
            b().poll_policy(PollPolicy::default().with_intervals([]))
                .build(),
            Err(ConfigError::PollPolicy(_))
        ));
        assert!(matches!(
            b().user_agent("bad\nua").build(),
            Err(ConfigError::UserAgent(_))
        ));
        // A later valid server replaces an earlier invalid base URL.
        assert!(
            b().base_url("ftp://x")
                .server(Server::Production)
                .build()
                .is_ok()
        );
    }

    #[test]
    fn the_clock_is_the_system_clock_unless_set() {
        use std::time::{SystemTime, UNIX_EPOCH};
        let before = SystemTime::now();
        let c = ClientConfig::builder("085", "key").build().unwrap();
        assert!(c.clock().now() >= before);
        let at = UNIX_EPOCH + Duration::from_secs(1_704_067_200);
        let fixed = smile_sign::FixedClock::new(at);
        let c = ClientConfig::builder("085", "key")
            .clock(fixed.clone())
            .build()
            .unwrap();
        assert_eq!(c.clock().now(), at);
        fixed.advance(Duration::from_secs(5));
        assert_eq!(c.clock().now(), at + Duration::from_secs(5));
    }

    #[test]
    fn root_certificates_must_hold_a_certificate() {
        let e = ClientConfig::builder("085", "key")
            .root_certificates_pem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
            .root_certificates_pem("not pem")
            .build()
            .unwrap_err();
        assert!(matches!(e, ConfigError::RootCertificates { .. }), "{e:?}");
        assert_eq!(
            e.to_string(),
            "root_certificates_pem: PEM text #2 holds no CERTIFICATE block"
        );
        let c = ClientConfig::builder("085", "key").build().unwrap();
        assert!(c.root_certificates_pem().is_empty());
    }

    #[test]
    fn debug_never_shows_the_key() {
        let secret = "super-secret-api-key-0123";
        let builder = ClientConfig::builder("085", secret).default_callback("https://cb.example/x");
        assert!(!format!("{builder:?}").contains(secret));
        let c = builder.build().unwrap();
        let dbg = format!("{c:?}");
        assert!(!dbg.contains(secret), "{dbg}");
        assert!(dbg.contains("085") && dbg.contains("REDACTED"));
    }
}

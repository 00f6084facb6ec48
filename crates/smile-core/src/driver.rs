//! The part of a client that does not depend on how it sends and waits, shared by the
//! drivers (`smile-blocking`, `smile-async`) and by anyone writing a driver of their own.

use secrecy::SecretString;
use smile_types::PartnerId;
use std::fmt;
use std::sync::Arc;

use crate::config::{ClientConfig, ClientConfigBuilder, ConfigError};

/// Builds a [`Driver`]: a [`ClientConfigBuilder`] plus an optional transport and an optional
/// sleep hook of the caller's, both left generic (`T` is `dyn Transport` or
/// `dyn AsyncTransport`, `S` the driver's sleep function type).
///
/// It has every setter of [`ClientConfigBuilder`]. A driver's `WebApiBuilder` wraps one, adds
/// typed `transport` and `sleep` setters and calls [`build`](Self::build) with its defaults.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use smile_core::{DriverBuilder, Transport};
///
/// type Sleep = dyn Fn(Duration) + Send + Sync;
/// let driver = DriverBuilder::<dyn Transport, Sleep>::new("085", "api-key")
///     .request_timeout(Duration::from_secs(20))
///     .build(
///         |_config| Ok(Arc::new(|_req: smile_core::HttpRequest| -> Result<smile_core::HttpResponse, smile_core::TransportFailure> {
///             Ok(http::Response::new(Vec::new()))
///         })),
///         || Arc::new(std::thread::sleep),
///     )?;
/// assert_eq!(driver.config().timeouts().request, Duration::from_secs(20));
/// assert!(!format!("{driver:?}").contains("api-key"));
/// # Ok::<(), smile_core::ConfigError>(())
/// ```
pub struct DriverBuilder<T: ?Sized, S: ?Sized> {
    config: ClientConfigBuilder,
    transport: Option<Arc<T>>,
    sleep: Option<Arc<S>>,
}

impl<T: ?Sized, S: ?Sized> fmt::Debug for DriverBuilder<T, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DriverBuilder")
            .field("config", &self.config)
            .field("custom_transport", &self.transport.is_some())
            .field("custom_sleep", &self.sleep.is_some())
            .finish()
    }
}

impl<T: ?Sized, S: ?Sized> DriverBuilder<T, S> {
    crate::__forward_config_setters!(config);

    /// A builder with the required credentials (see [`ClientConfigBuilder::new`]).
    #[must_use]
    pub fn new(partner_id: impl Into<PartnerId>, api_key: impl Into<SecretString>) -> Self {
        Self {
            config: ClientConfig::builder(partner_id, api_key),
            transport: None,
            sleep: None,
        }
    }

    /// Uses this transport instead of the driver's default.
    #[must_use]
    pub fn transport(mut self, transport: Arc<T>) -> Self {
        self.transport = Some(transport);
        self
    }

    /// Uses this sleep hook instead of the driver's default.
    #[must_use]
    pub fn sleep(mut self, sleep: Arc<S>) -> Self {
        self.sleep = Some(sleep);
        self
    }

    /// Validates the configuration, then builds the default transport (from the validated
    /// configuration: connect timeout, root certificates) unless one was set, and takes the
    /// default sleep unless one was set.
    ///
    /// # Errors
    /// [`ConfigError`] naming the invalid setting, or the error of `default_transport`.
    pub fn build(
        self,
        default_transport: impl FnOnce(&ClientConfig) -> Result<Arc<T>, ConfigError>,
        default_sleep: impl FnOnce() -> Arc<S>,
    ) -> Result<Driver<T, S>, ConfigError> {
        let config = self.config.build()?;
        let transport = match self.transport {
            Some(t) => t,
            None => default_transport(&config)?,
        };
        Ok(Driver {
            config: Arc::new(config),
            transport,
            sleep: self.sleep.unwrap_or_else(default_sleep),
        })
    }
}

/// A validated [`ClientConfig`] (with its clock) plus a transport and a sleep hook: what a
/// driver's `WebApi` is made of. Cheap to clone (everything is shared). Its `Debug` output
/// never shows the API key.
pub struct Driver<T: ?Sized, S: ?Sized> {
    config: Arc<ClientConfig>,
    transport: Arc<T>,
    sleep: Arc<S>,
}

impl<T: ?Sized, S: ?Sized> Clone for Driver<T, S> {
    fn clone(&self) -> Self {
        Self {
            config: Arc::clone(&self.config),
            transport: Arc::clone(&self.transport),
            sleep: Arc::clone(&self.sleep),
        }
    }
}

impl<T: ?Sized, S: ?Sized> fmt::Debug for Driver<T, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Driver")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl<T: ?Sized, S: ?Sized> Driver<T, S> {
    /// The configuration (its [`clock`](ClientConfig::clock) gives `now` for each step).
    #[must_use]
    pub fn config(&self) -> &Arc<ClientConfig> {
        &self.config
    }

    /// The transport.
    #[must_use]
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// The sleep hook.
    #[must_use]
    pub fn sleep(&self) -> &S {
        &self.sleep
    }
}

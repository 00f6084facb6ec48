//! The default transport: a ureq 3 agent configured for the protocol.

use std::fmt;
use std::time::Duration;

use smile_core::{
    ClientConfig, ConfigError, HttpRequest, HttpResponse, Transport, TransportFailure,
    TransportFailureKind,
};

/// The default [`Transport`]: a ureq 3 `Agent` configured for the protocol (every status
/// returned, no redirects, connect timeout, per-request total timeout from the request, no
/// automatic `User-Agent`/`Accept` headers, connection reuse).
#[derive(Clone)]
pub struct UreqTransport {
    agent: ureq::Agent,
}

impl fmt::Debug for UreqTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UreqTransport").finish_non_exhaustive()
    }
}

impl UreqTransport {
    /// A transport with its own agent and this connect timeout, trusting the web PKI roots.
    #[must_use]
    pub fn new(connect_timeout: Duration) -> Self {
        Self {
            agent: agent(connect_timeout, None),
        }
    }

    /// The transport that [`WebApiBuilder::build`](crate::WebApiBuilder::build) makes: the configuration's connect timeout
    /// and, when it has any, its [root certificates](ClientConfig::root_certificates_pem)
    /// instead of the web PKI roots.
    ///
    /// # Errors
    /// [`ConfigError::RootCertificates`] when a root certificate cannot be parsed;
    /// [`ConfigError::NoTls`] when the base URL is `https` (or root certificates were given)
    /// and both TLS features are off.
    pub fn for_config(config: &ClientConfig) -> Result<Self, ConfigError> {
        config.check_tls(TLS_AVAILABLE)?;
        let roots = root_certs(config.root_certificates_pem())?;
        Ok(Self {
            agent: agent(config.timeouts().connect, roots),
        })
    }

    /// Wraps an agent of your own. It **must** be configured with
    /// `http_status_as_error(false)` and `max_redirects(0)`.
    #[must_use]
    pub fn from_agent(agent: ureq::Agent) -> Self {
        Self { agent }
    }
}

/// Whether a TLS back-end was compiled in.
pub(crate) const TLS_AVAILABLE: bool = cfg!(any(feature = "rustls", feature = "native-tls"));

/// Root certificates for the agent.
#[cfg(any(feature = "rustls", feature = "native-tls"))]
type RootCerts = ureq::tls::RootCerts;
/// Without a TLS back-end there are none ([`ClientConfig::check_tls`] refuses them).
#[cfg(not(any(feature = "rustls", feature = "native-tls")))]
type RootCerts = std::convert::Infallible;

/// ureq's output buffer per connection (its default is 128 KiB). ureq copies a body into this
/// buffer and writes the buffer to the socket: with 512 KiB the seed job's 1 MB zip goes out
/// in 2 writes instead of 8, which on loopback took about 40 % off the client's CPU per job
/// (docs/benchmarks.md, "The upload without a copy"), for 384 KiB more memory per pooled
/// connection.
const OUTPUT_BUFFER: usize = 512 * 1024;

/// An agent configured for the protocol (see [`UreqTransport`]).
fn agent(connect_timeout: Duration, roots: Option<RootCerts>) -> ureq::Agent {
    use ureq::config::AutoHeaderValue;
    let config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_connect(Some(connect_timeout))
        .user_agent(AutoHeaderValue::None)
        .accept(AutoHeaderValue::None)
        .accept_encoding(AutoHeaderValue::None)
        .output_buffer_size(OUTPUT_BUFFER);
    #[cfg(any(feature = "rustls", feature = "native-tls"))]
    let config = {
        let tls = ureq::tls::TlsConfig::builder();
        #[cfg(all(feature = "native-tls", not(feature = "rustls")))]
        let tls = tls.provider(ureq::tls::TlsProvider::NativeTls);
        let tls = match roots {
            Some(roots) => tls.root_certs(roots),
            None => tls,
        };
        config.tls_config(tls.build())
    };
    #[cfg(not(any(feature = "rustls", feature = "native-tls")))]
    let _ = roots;
    ureq::Agent::with_parts(
        config.build(),
        ureq::unversioned::transport::DefaultConnector::default(),
        crate::resolver::CachingResolver::new(crate::resolver::TTL),
    )
}

/// Without a TLS back-end: no certificates ([`ClientConfig::check_tls`] refused any).
#[cfg(not(any(feature = "rustls", feature = "native-tls")))]
#[allow(clippy::unnecessary_wraps)]
fn root_certs(_pems: &[String]) -> Result<Option<RootCerts>, ConfigError> {
    Ok(None)
}

/// The certificates of every PEM text, or `None` (web PKI roots) when there is none.
#[cfg(any(feature = "rustls", feature = "native-tls"))]
fn root_certs(pems: &[String]) -> Result<Option<RootCerts>, ConfigError> {
    use ureq::tls::{PemItem, parse_pem};
    if pems.is_empty() {
        return Ok(None);
    }
    let mut certs = Vec::new();
    for (n, pem) in pems.iter().enumerate() {
        let before = certs.len();
        for item in parse_pem(pem.as_bytes()) {
            match item {
                Ok(PemItem::Certificate(c)) => certs.push(c),
                Ok(_) => {}
                Err(e) => {
                    return Err(ConfigError::RootCertificates {
                        problem: format!("PEM text #{} cannot be parsed", n + 1),
                        source: Some(Box::new(e)),
                    });
                }
            }
        }
        if certs.len() == before {
            return Err(ConfigError::RootCertificates {
                problem: format!("PEM text #{} holds no certificate", n + 1),
                source: None,
            });
        }
    }
    Ok(Some(ureq::tls::RootCerts::new_with_certs(&certs)))
}

impl Transport for UreqTransport {
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportFailure> {
        let timeout = smile_core::request_timeout(&request);
        let target = smile_core::request_target(&request);
        // The body's chunks are read straight into ureq's output buffer, one window at a time
        // (its only copy; the zip is never joined into one buffer). The requests carry their
        // Content-Length, so ureq sends a fixed-length body, never chunked encoding.
        let request = request.map(|body| {
            if body.is_empty() {
                ureq::SendBody::none()
            } else {
                ureq::SendBody::from_owned_reader(body.reader())
            }
        });
        let request = self
            .agent
            .configure_request(request)
            .timeout_global(timeout)
            .build();
        let response = self.agent.run(request).map_err(|e| failure(e, &target))?;
        let (parts, mut body) = response.into_parts();
        let bytes = body
            .with_config()
            .limit(smile_core::MAX_RESPONSE_BODY_BYTES)
            .read_to_vec()
            .map_err(|e| failure(e, &target))?;
        Ok(http::Response::from_parts(parts, bytes))
    }
}

fn failure(e: ureq::Error, target: &str) -> TransportFailure {
    use std::io::ErrorKind as K;
    use ureq::Error as E;
    let kind = match &e {
        // ureq's `source()` skips the I/O error's inner one: look there too.
        E::Io(io) if tls_cause(io) => TransportFailureKind::Tls,
        _ if tls_cause(&e) => TransportFailureKind::Tls,
        E::Timeout(ureq::Timeout::Resolve | ureq::Timeout::Connect) => {
            TransportFailureKind::Connect
        }
        E::Timeout(_) => TransportFailureKind::Timeout,
        E::HostNotFound | E::ConnectionFailed => TransportFailureKind::Connect,
        // A failed DNS lookup (std's resolver answers with an uncategorized I/O error): no
        // connection was made, as the async client reports it.
        E::Io(io) if is_lookup_failure(io) => TransportFailureKind::Connect,
        E::Io(io) => match io.kind() {
            K::TimedOut | K::WouldBlock => TransportFailureKind::Timeout,
            K::ConnectionRefused
            | K::AddrNotAvailable
            | K::NetworkUnreachable
            | K::HostUnreachable
            | K::NotConnected => TransportFailureKind::Connect,
            _ => TransportFailureKind::Io,
        },
        E::Protocol(_) => TransportFailureKind::Io,
        E::Tls(_) => TransportFailureKind::Tls,
        E::BadUri(_) | E::Http(_) => TransportFailureKind::InvalidRequest,
        E::BodyExceedsLimit(_) => TransportFailureKind::BodyTooLarge,
        _ => tls_or_other(&e),
    };
    TransportFailure::new(kind, target).with_source(e)
}

/// Whether `io` is std's "failed to lookup address information" (the resolver's answer when a
/// host name does not resolve).
fn is_lookup_failure(io: &std::io::Error) -> bool {
    io.to_string().starts_with("failed to lookup address")
}

/// Whether the TLS library's error is behind `e` (a failed handshake, e.g. an untrusted
/// certificate, surfaces as an I/O or connect error).
fn tls_cause(e: &(dyn std::error::Error + 'static)) -> bool {
    #[cfg(feature = "rustls")]
    if smile_core::caused_by::<rustls::Error>(e) {
        return true;
    }
    let _ = e;
    false
}

fn tls_or_other(e: &ureq::Error) -> TransportFailureKind {
    #[cfg(feature = "rustls")]
    if matches!(e, ureq::Error::Rustls(_) | ureq::Error::Pem(_)) {
        return TransportFailureKind::Tls;
    }
    #[cfg(feature = "native-tls")]
    if matches!(e, ureq::Error::NativeTls(_) | ureq::Error::Der(_)) {
        return TransportFailureKind::Tls;
    }
    let _ = e;
    TransportFailureKind::Other
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A DNS failure is a connect failure (no connection, so no job), in both clients: the
    /// async one gets it from reqwest's `is_connect`; here std's resolver error is recognised.
    #[test]
    fn a_dns_failure_is_a_connect_failure() {
        let dns = std::io::Error::other(
            "failed to lookup address information: Name or service not known",
        );
        let f = failure(
            ureq::Error::Io(dns),
            "POST https://nowhere.invalid/v1/upload",
        );
        assert_eq!(f.kind(), TransportFailureKind::Connect);
        assert_eq!(
            failure(ureq::Error::HostNotFound, "x").kind(),
            TransportFailureKind::Connect
        );
        let reset = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset by peer");
        assert_eq!(
            failure(ureq::Error::Io(reset), "x").kind(),
            TransportFailureKind::Io
        );
    }
}

//! The alternative to smile-blocking's caching resolver, kept for comparison: with any timeout
//! that covers name resolution (`timeout_global`, `timeout_per_call`, `timeout_resolve`), ureq
//! 3's default resolver spawns a thread for every lookup, before every request. smile-blocking
//! keeps `timeout_global` and caches lookups (`crates/smile-blocking/src/resolver.rs`);
//!
//! - [`Variant::PhaseTimeouts`] drops `timeout_global` instead: the request's timeout bounds each
//!   phase (send request, send body, receive response head, receive body) instead of their
//!   total. Only ureq's stable configuration API.
//!
//! It keeps the rest of the default transport's configuration (every status returned, no
//! redirects, connect timeout, no automatic headers, the configured root certificates).

use std::time::Duration;

use smile_blocking::ureq;
use smile_core::{HttpRequest, HttpResponse, Transport, TransportFailure, TransportFailureKind};

/// Which way around `timeout_global`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Variant {
    /// Per-phase timeouts from the request's timeout; no total.
    PhaseTimeouts,
}

/// A ureq transport of one [`Variant`].
pub(crate) struct BenchUreq {
    agent: ureq::Agent,
    variant: Variant,
}

impl BenchUreq {
    /// Configured like smile-blocking's default transport, trusting `root_pem` when given.
    pub(crate) fn new(variant: Variant, connect_timeout: Duration, root_pem: Option<&str>) -> Self {
        use ureq::config::AutoHeaderValue;
        let mut tls = ureq::tls::TlsConfig::builder();
        if let Some(pem) = root_pem {
            let certs: Vec<_> = ureq::tls::parse_pem(pem.as_bytes())
                .filter_map(|item| match item {
                    Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
                    _ => None,
                })
                .collect();
            tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&certs));
        }
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_connect(Some(connect_timeout))
            .user_agent(AutoHeaderValue::None)
            .accept(AutoHeaderValue::None)
            .accept_encoding(AutoHeaderValue::None)
            .tls_config(tls.build())
            .build();
        let agent = ureq::Agent::new_with_config(config);
        Self { agent, variant }
    }
}

impl Transport for BenchUreq {
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportFailure> {
        let timeout = smile_core::request_timeout(&request);
        let target = smile_core::request_target(&request);
        // As smile-blocking's transport: the chunks read into ureq's buffer, no join.
        let request = request.map(|body| {
            if body.is_empty() {
                ureq::SendBody::none()
            } else {
                ureq::SendBody::from_owned_reader(body.reader())
            }
        });
        let configured = self.agent.configure_request(request);
        let request = match self.variant {
            Variant::PhaseTimeouts => configured
                .timeout_send_request(timeout)
                .timeout_send_body(timeout)
                .timeout_recv_response(timeout)
                .timeout_recv_body(timeout)
                .build(),
        };
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
    let kind = match &e {
        ureq::Error::Timeout(ureq::Timeout::Resolve | ureq::Timeout::Connect)
        | ureq::Error::HostNotFound
        | ureq::Error::ConnectionFailed => TransportFailureKind::Connect,
        ureq::Error::Timeout(_) => TransportFailureKind::Timeout,
        ureq::Error::BodyExceedsLimit(_) => TransportFailureKind::BodyTooLarge,
        _ => TransportFailureKind::Io,
    };
    TransportFailure::new(kind, target).with_source(e)
}

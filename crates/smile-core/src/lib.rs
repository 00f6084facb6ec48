//! smile-core: the Smile ID v1 protocol without I/O.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod config;
mod policy;
mod server;
mod transport;

pub use config::{ClientConfig, ClientConfigBuilder, ConfigError, SDK_VERSION, SOURCE_SDK, Timeouts, default_user_agent};
pub use policy::{PollPolicy, RetryPolicy, is_transient_status, parse_retry_after, retry_after_of};
pub use server::{BaseUrl, BaseUrlError, BaseUrlProblem, PRODUCTION_BASE_URL, SANDBOX_BASE_URL, Server, ServerError};
pub use transport::{
    AsyncTransport, HttpRequest, HttpResponse, MAX_RESPONSE_BODY_BYTES, RequestKind, RequestTimeout, Transport,
    TransportFailure, TransportFailureKind, request_kind, request_timeout,
};
pub use secrecy::SecretString;
pub use fastrand;

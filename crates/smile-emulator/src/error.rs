//! Why an emulator could not start.

use std::net::SocketAddr;
use std::path::PathBuf;

/// The emulator could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The listening address could not be bound.
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The self-signed certificate or the TLS configuration could not be made.
    #[error("cannot set up TLS")]
    Tls(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The state file exists but cannot be read or parsed.
    #[error("cannot load the state file {path}")]
    StateFile {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The background runtime of [`EmulatorBuilder::start_blocking`](crate::EmulatorBuilder::start_blocking)
    /// could not start.
    #[error("cannot start the emulator's runtime")]
    Runtime(#[source] std::io::Error),
    /// The background thread of [`EmulatorBuilder::start_blocking`](crate::EmulatorBuilder::start_blocking)
    /// ended before the server was ready.
    #[error("the emulator thread stopped before the server was ready")]
    ThreadStopped,
}

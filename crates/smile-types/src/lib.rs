//! smile-types: work in progress.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

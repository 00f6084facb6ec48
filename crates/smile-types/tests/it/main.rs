//! Integration tests for smile-types: interop vectors read from `testdata/interop/`.

mod codes;
mod decoding;
mod problems;
mod props;
mod requests;
mod responses;
mod support;

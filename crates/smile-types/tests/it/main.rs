//! Integration tests for smile-types: interop vectors read from `shared/interop/`.

mod codes;
mod problems;
mod props;
mod responses;
mod support;

//! Integration tests for smile-types: interop vectors read from `testdata/interop/`.

mod codes;
mod problems;
mod props;
mod requests;
mod responses;
mod review_fixes;
mod support;

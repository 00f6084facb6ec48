//! Integration tests for smile-types: interop vectors read from `shared/interop/`.

mod codes;
mod problems;
mod props;
mod requests;
mod responses;
mod review_fixes;
mod support;

//! Integration tests for smile-types: interop vectors read from `shared/interop/`.

mod problems;
mod support;

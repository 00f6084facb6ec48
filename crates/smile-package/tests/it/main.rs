//! Integration tests for smile-package (one binary; modules by topic).

mod canonical;
mod fuzz;
#[cfg(feature = "reader")]
mod reader;
mod review_fixes;
mod roundtrip;
mod rules;
mod support;
mod validation_cases;

//! Integration tests for smile-package (one binary; modules by topic).

mod canonical;
mod fuzz;
mod id_info_and_extras;
#[cfg(feature = "reader")]
mod reader;
mod roundtrip;
mod rules;
mod support;
mod validation_cases;

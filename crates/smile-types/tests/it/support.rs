//! Helpers to read the interop vectors.

pub(crate) use smile_testdata::interop;

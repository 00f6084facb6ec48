//! `-v`/`-vv` and `RUST_LOG`: the SDK's tracing, to stderr.
//!
//! `-v` and `-vv` enable the `smile_*` targets only (info, then debug; `-vvv` trace). The HTTP
//! libraries underneath (ureq, hyper) log request URIs on their own targets at `DEBUG`,
//! presigned upload-URL queries included, so they stay off unless `RUST_LOG` (the user's
//! explicit choice, used as given) turns them on. Without either, the `smile_*` targets log
//! warnings only (and `smile emulator` its requests, at info). The SDK never logs the API key,
//! a signature, image data or an ID number.

use std::io::Write;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// The crates whose tracing `-v` turns on.
const TARGETS: [&str; 7] = [
    "smile_cli",
    "smile_core",
    "smile_blocking",
    "smile_sign",
    "smile_package",
    "smile_types",
    "smile_emulator",
];

/// The filter for `-v` repeated `verbose` times, over `base` (the command's default).
pub(crate) fn directives(verbose: u8, base: &str) -> String {
    let level = match verbose {
        0 => return base.to_owned(),
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    TARGETS
        .iter()
        .map(|t| format!("{t}={level}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// Installs the subscriber: `RUST_LOG` when set, else `-v`, else `base`.
pub(crate) fn init(verbose: u8, base: &str) {
    let filter = match std::env::var("RUST_LOG") {
        Ok(spec) if !spec.trim().is_empty() => EnvFilter::try_new(&spec).unwrap_or_else(|e| {
            eprintln!(
                "smile: RUST_LOG {} is not a valid filter ({e}); using -v levels",
                crate::shell::quote(&spec)
            );
            EnvFilter::new(directives(verbose, base))
        }),
        _ => EnvFilter::new(directives(verbose, base)),
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(StderrAroundProgress)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

/// The default filter of a command: warnings of the `smile_*` targets (and, for the
/// emulator, its request log).
pub(crate) fn base_for(command: &str) -> String {
    let mut d: Vec<String> = TARGETS.iter().map(|t| format!("{t}=warn")).collect();
    if command == "emulator" {
        d.retain(|t| !t.starts_with("smile_emulator="));
        d.push("smile_emulator=info".into());
    }
    d.join(",")
}

/// Writes log lines to stderr, moving the progress line out of the way first.
#[derive(Clone, Copy)]
struct StderrAroundProgress;

impl<'a> MakeWriter<'a> for StderrAroundProgress {
    type Writer = Self;
    fn make_writer(&'a self) -> Self::Writer {
        *self
    }
}

impl Write for StderrAroundProgress {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        crate::progress::suspended(|| std::io::stderr().write_all(buf))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbose_flags_enable_only_the_smile_targets() {
        let d = directives(2, "x");
        assert!(d.contains("smile_core=debug"), "{d}");
        assert!(!d.contains("ureq") && !d.contains("hyper"), "{d}");
        assert_eq!(directives(0, "base"), "base");
        assert!(base_for("emulator").contains("smile_emulator=info"));
        assert!(base_for("auth").contains("smile_emulator=warn"));
    }
}

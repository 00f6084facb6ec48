//! Project automation, run as `cargo xtask <command>`.
//!
//! - `ci`: what CI runs (`.ci/run`): fmt, clippy, doc and the test suite.
//! - `doc [--open]`: the API documentation, every cross-crate link rendered and checked.
//! - `bench [criterion args]`: the package benchmarks (criterion), with their summary line.
//! - `bench e2e [--jobs N] [--quick] [--only NAME,..]`: both clients end to end against a
//!   loopback server, and the floor (the `smile-bench` member, release build; see
//!   docs/benchmarks.md).
//! - `bench poll [--jobs N] [--quick]`: the poll schedules' time to result and polls per job
//!   against the embedded emulator at several processing delays (`smile-bench`, release build).

mod doc;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

fn run(cmd: &mut Command) -> ExitCode {
    eprintln!("xtask: running {cmd:?}");
    match cmd.current_dir(root()).status() {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        Ok(s) => {
            eprintln!("xtask: {cmd:?} failed: {s}");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("xtask: could not start {cmd:?}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("ci") => run(Command::new("bash").arg(".ci/run")),
        Some("doc") => match doc::run(&root(), &args[1..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("xtask doc: {e}");
                ExitCode::FAILURE
            }
        },
        Some("bench") if matches!(args.get(1).map(String::as_str), Some("e2e" | "poll")) => {
            run(Command::new("cargo")
                .args(["run", "--release", "--package", "smile-bench", "--"])
                .args(&args[1..]))
        }
        Some("bench") => run(Command::new("cargo")
            .args(["bench", "--package", "smile-package", "--bench", "package"])
            .args(&args[1..])),
        _ => {
            eprintln!(
                "usage: cargo xtask <ci | doc [--open] | bench [criterion args] | bench e2e [--jobs N] [--quick] [--only NAME,..] | bench poll [--jobs N] [--quick]>"
            );
            ExitCode::FAILURE
        }
    }
}

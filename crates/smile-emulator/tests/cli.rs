//! The `smile-emulator` binary: options, banner, faults from the command line.

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_smile-emulator");

#[test]
fn help_lists_the_documented_defaults() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "--port",
        "[default: 8080]",
        "[default: 001]",
        "--fault",
        "--tls",
        "--state-file",
    ] {
        assert!(help.contains(needle), "{needle} in\n{help}");
    }
    assert!(help.contains("[default: emulator-api-key]"), "{help}");
}

#[test]
fn bad_fault_spec_exits_with_usage_error() {
    let out = Command::new(BIN)
        .args(["--port", "0", "--fault", "nowhere:status=500"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown endpoint"));
}

#[tokio::test]
async fn serves_with_command_line_faults() {
    let mut child = Command::new(BIN)
        .args([
            "--port",
            "0",
            "--partner-id",
            "085",
            "--api-key",
            "cli-key",
            "--fault",
            "services:status=418,times=1",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let mut base = None;
    let mut banner = String::new();
    for line in lines.by_ref().take(8) {
        let line = line.unwrap();
        banner.push_str(&line);
        banner.push('\n');
        if let Some(url) = line.trim().strip_prefix("base URL:") {
            base = Some(url.trim().to_owned());
        }
        if line.starts_with("Press Ctrl-C") {
            break;
        }
    }
    let base = base.unwrap_or_else(|| panic!("no base URL in:\n{banner}"));
    assert!(banner.contains("partner id: 085"), "{banner}");
    assert!(
        base.starts_with("http://127.0.0.1:") && base.ends_with("/v1"),
        "{base}"
    );
    let first = reqwest::get(format!("{base}/services")).await.unwrap();
    assert_eq!(first.status().as_u16(), 418);
    let second = reqwest::get(format!("{base}/services")).await.unwrap();
    assert_eq!(second.status().as_u16(), 200);
    child.kill().unwrap();
    child.wait().unwrap();
}

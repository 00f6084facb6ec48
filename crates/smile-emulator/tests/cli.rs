//! The `smile-emulator` binary: options, banner, faults from the command line.

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};

use smile_testdata::ChildGuard;

mod common;

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
    let mut child = ChildGuard::new(
        Command::new(BIN)
            .args([
                "--port",
                "0",
                "--partner-id",
                "085",
                "--api-key",
                "cli-key",
                "--fault",
                "services:status=418,times=1",
                "--fault",
                "job_status:status=429,retry_after=120",
                "--fault",
                "upload:status=502,after_handler,times=1",
                "--fault",
                "valid_documents:truncated",
                "--fault",
                "zip_upload:redirect,times=1",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
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
    assert!(banner.contains("API key:    from --api-key\n"), "{banner}");
    assert!(
        !banner.contains("cli-key"),
        "the key is never printed:\n{banner}"
    );
    assert!(
        base.starts_with("http://127.0.0.1:") && base.ends_with("/v1"),
        "{base}"
    );
    let first = reqwest::get(format!("{base}/services")).await.unwrap();
    assert_eq!(first.status().as_u16(), 418);
    let second = reqwest::get(format!("{base}/services")).await.unwrap();
    assert_eq!(second.status().as_u16(), 200);
    let origin = base.trim_end_matches("/v1");
    let faults: serde_json::Value = reqwest::get(format!("{origin}/__emulator/faults"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        faults["faults"],
        serde_json::json!([
            {"status": 502, "after_handler": true, "times": 1, "endpoint": "upload"},
            {"redirect": true, "times": 1, "endpoint": "zip_upload"},
            {"status": 429, "retry_after": 120, "endpoint": "job_status"},
            {"truncated": true, "endpoint": "valid_documents"}
        ]),
        "{faults}"
    );
}

/// The banner says where the API key came from and never prints a key the user chose.
#[test]
fn banner_names_the_key_source_not_the_key() {
    for (args, envs, expected) in [
        (
            vec![],
            vec![],
            "API key:    the default (emulator-api-key, see --help)",
        ),
        (
            vec![],
            vec![("SMILE_EMULATOR_API_KEY", "env-s3cret")],
            "API key:    from SMILE_EMULATOR_API_KEY",
        ),
        (
            vec!["--api-key", "flag-s3cret"],
            vec![("SMILE_EMULATOR_API_KEY", "env-s3cret")],
            "API key:    from --api-key",
        ),
    ] {
        let (banner, _child) = banner_of(&args, &envs);
        assert!(banner.contains(expected), "{args:?} {envs:?}:\n{banner}");
        assert!(
            !banner.contains("s3cret"),
            "{args:?} {envs:?}: the key is printed:\n{banner}"
        );
    }
}

/// Starts the binary on a free port with `args` and `envs`; its banner (up to "Press Ctrl-C")
/// and the running child.
fn banner_of(args: &[&str], envs: &[(&str, &str)]) -> (String, ChildGuard) {
    let mut cmd = Command::new(BIN);
    cmd.args(["--port", "0"])
        .args(args)
        .env_remove("SMILE_EMULATOR_API_KEY")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = ChildGuard::new(cmd.spawn().unwrap());
    let stdout = child.stdout.take().unwrap();
    let mut banner = String::new();
    for line in BufReader::new(stdout).lines().take(8) {
        let line = line.unwrap();
        banner.push_str(&line);
        banner.push('\n');
        if line.starts_with("Press Ctrl-C") {
            break;
        }
    }
    (banner, child)
}

/// Starts the binary with `envs` set; its base URL and the child.
fn spawn_with_env(envs: &[(&str, &str)]) -> (String, ChildGuard) {
    let mut cmd = Command::new(BIN);
    cmd.args(["--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for var in ["NO_PROXY", "no_proxy"] {
        cmd.env_remove(var);
    }
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = ChildGuard::new(cmd.spawn().unwrap());
    let stdout = child.stdout.take().unwrap();
    let mut base = None;
    for line in BufReader::new(stdout).lines().take(8) {
        let line = line.unwrap();
        if let Some(url) = line.trim().strip_prefix("base URL:") {
            base = Some(url.trim().to_owned());
        }
        if line.starts_with("Press Ctrl-C") {
            break;
        }
    }
    (base.expect("a base URL in the banner"), child)
}

/// A loopback-only callback goes straight to its target even when the environment names a
/// proxy (which would carry it off the machine).
#[tokio::test]
async fn callbacks_ignore_proxy_environment() {
    // The "proxy": a listener that records whether anything connected to it.
    let proxy = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
    let proxied = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = std::sync::Arc::clone(&proxied);
    let _proxy_task = tokio::spawn(async move {
        while let Ok((_conn, _)) = proxy.accept().await {
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    });
    let (base, _child) = spawn_with_env(&[
        ("HTTP_PROXY", &proxy_url),
        ("http_proxy", &proxy_url),
        ("HTTPS_PROXY", &proxy_url),
        ("ALL_PROXY", &proxy_url),
        ("all_proxy", &proxy_url),
    ]);
    let api = common::Api {
        origin: base.trim_end_matches("/v1").to_owned(),
        base,
        partner_id: "001".into(),
        api_key: "emulator-api-key".into(),
        http: reqwest::Client::builder().no_proxy().build().unwrap(),
    };
    let mut rx = common::receiver(vec![]).await;
    api.submit("u-proxy", "j-proxy", 4, &[], Some(&rx.url))
        .await;
    let body = rx.next().await;
    assert_eq!(body["PartnerParams"]["job_id"], "j-proxy", "{body}");
    assert!(
        !proxied.load(std::sync::atomic::Ordering::SeqCst),
        "the callback went to the proxy"
    );
}

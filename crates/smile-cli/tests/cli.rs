//! The `smile` binary, run as a user would.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn smile(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = smile_testdata::ChildGuard::new(
        Command::new(env!("CARGO_BIN_EXE_smile"))
            .args(args)
            .env_remove("SMILE_PARTNER_ID")
            .env_remove("SMILE_API_KEY")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the smile binary starts"),
    );
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin is piped")
            .write_all(input)
            .expect("stdin accepts the body");
    }
    child.wait_with_output().expect("the smile binary ends")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn demo_runs_the_whole_flow_on_the_embedded_emulator() {
    let out = smile(&["demo"], None);
    let stdout = text(&out.stdout);
    assert!(
        out.status.success(),
        "demo failed:\n{stdout}\n{}",
        text(&out.stderr)
    );
    for line in [
        "ResultCode 0840 \"Enroll User - PASS - Machine Judgement\"",
        "ResultCode 0820 \"Machine Judgement - PASS\"",
        "ok: the user is authenticated",
        "ResultCode 0824 \"Provisional Authentication - Under Review\"",
        "ok: the polled result is provisional, not an approval",
        "ResultCode 1220 \"Authenticated\"",
        "ok: the final result arrived by callback",
        "Smile code 2210",
        "Smile code 2215",
        "[partner_params.user_id.missing]",
        "[images.file.not_found]",
        "[options.return_history.requires_return_job_status]",
        "demo complete",
    ] {
        assert!(
            stdout.contains(line),
            "demo output lacks {line:?}:\n{stdout}"
        );
    }
}

fn callback_vector(name: &str) -> (String, String, String) {
    let file = smile_testdata::interop("callbacks.json");
    let body = file["callbacks"]
        .as_array()
        .expect("a callbacks array")
        .iter()
        .find(|c| c["name"] == name)
        .expect("the named vector exists")["body_text"]
        .as_str()
        .expect("body_text is a string")
        .to_owned();
    let partner = file["signing"]["partner_id"].as_str().unwrap().to_owned();
    let key = file["signing"]["api_key"].as_str().unwrap().to_owned();
    (body, partner, key)
}

#[test]
fn verify_callback_accepts_a_signed_body_and_refuses_a_forged_one() {
    let (body, partner, key) = callback_vector("approved_human_1220");
    // The vectors are old: the freshness window is turned off (0).
    let args = [
        "verify-callback",
        "--partner-id",
        &partner,
        "--api-key",
        &key,
        "--tolerance-secs",
        "0",
        "-",
    ];
    let ok = smile(&args, Some(body.as_bytes()));
    let stdout = text(&ok.stdout);
    assert!(ok.status.success(), "{stdout}{}", text(&ok.stderr));
    assert!(stdout.starts_with("signature valid\n"), "{stdout}");
    assert!(
        stdout.contains("ResultCode 1220 \"Authenticated\""),
        "{stdout}"
    );
    assert!(stdout.contains("category approved, final"), "{stdout}");
    assert!(!stdout.contains(&key) && !text(&ok.stderr).contains(&key));

    let (forged, _, _) = callback_vector("bad_signature");
    let bad = smile(&args, Some(forged.as_bytes()));
    assert!(!bad.status.success());
    let stderr = text(&bad.stderr);
    assert!(stderr.contains("callback signature is invalid"), "{stderr}");
    assert!(!stderr.contains(&key));

    // With the default 15-minute window, the 2021 body is stale.
    let default_window = [&args[..5], &["-"]].concat();
    let stale = smile(&default_window, Some(body.as_bytes()));
    assert!(
        !stale.status.success(),
        "an old callback must be refused by default"
    );
    let stderr = text(&stale.stderr);
    assert!(stderr.contains("outside the tolerance"), "{stderr}");
}

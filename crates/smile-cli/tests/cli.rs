//! The `smile` binary, run as a user would: as a process, against the emulator (in this test
//! process, or `smile emulator` as a child), with every wait bounded.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;
use smile_blocking::Signer;
use smile_blocking::types::PartnerId;
use smile_emulator::{Emulator, Endpoint, Fault};
use smile_testdata::ChildGuard;

/// The emulator's key in these tests: it must never show in any output.
const KEY: &str = "cli-test-key-do-not-print-0123";
const PARTNER: &str = "085";

fn emulator_with(processing: Duration, review: Duration) -> Emulator {
    Emulator::builder()
        .partner_id(PARTNER)
        .api_key(KEY)
        .processing_delay(processing)
        .review_delay(review)
        .start_blocking()
        .expect("the emulator starts")
}

fn emulator() -> Emulator {
    emulator_with(Duration::ZERO, Duration::from_millis(300))
}

fn fixture(name: &str) -> String {
    smile_testdata::fixture_path(name).display().to_string()
}

fn liveness() -> Vec<String> {
    (1..=8)
        .map(|i| fixture(&format!("liveness_{i}.jpg")))
        .collect()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn command(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_smile"));
    c.args(args)
        .env_remove("SMILE_PARTNER_ID")
        .env_remove("SMILE_API_KEY")
        .env_remove("SMILE_SID_SERVER")
        .env_remove("SMILE_CALLBACK_URL")
        .env_remove("RUST_LOG")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

/// Runs `smile` to its end (bounded: a child still running after 60 s is killed) and checks
/// that the key shows nowhere.
fn run(args: &[&str], env: &[(&str, &str)], stdin: Option<&[u8]>) -> Output {
    let mut child = ChildGuard::new(command(args, env).spawn().expect("the smile binary starts"));
    let mut input = child.stdin.take().expect("stdin is piped");
    let data = stdin.map(<[u8]>::to_vec);
    let writer = std::thread::spawn(move || {
        if let Some(d) = data {
            let _ = input.write_all(&d); // the child may stop reading early
        }
    });
    let pid = child.id();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if done_rx.recv_timeout(Duration::from_secs(60)).is_err() {
            let _ = Command::new("kill").arg(pid.to_string()).status();
        }
    });
    let out = child.wait_with_output().expect("the smile binary ends");
    let _ = done_tx.send(());
    let _ = watchdog.join();
    let _ = writer.join();
    for stream in [&out.stdout, &out.stderr] {
        assert!(
            !text(stream).contains(KEY),
            "the API key was printed: {}",
            text(stream)
        );
    }
    out
}

fn env_for(e: &Emulator) -> Vec<(&'static str, String)> {
    vec![
        ("SMILE_PARTNER_ID", e.partner_id().to_owned()),
        ("SMILE_API_KEY", KEY.to_owned()),
        ("SMILE_SID_SERVER", e.base_url().to_owned()),
    ]
}

/// `smile ARGS` against `e`, credentials from the environment.
fn at(e: &Emulator, args: &[&str]) -> Output {
    let env = env_for(e);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    run(args, &env, None)
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("the process exited")
}

fn show(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    )
}

/// stdout as exactly one JSON document (nothing else on stdout).
fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{}", show(out)))
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect()
}

fn enrol(e: &Emulator, user: &str) {
    let out = at(
        e,
        &[
            "register",
            "--user-id",
            user,
            "--selfie",
            &fixture("selfie.jpg"),
        ],
    );
    assert_eq!(code(&out), 0, "{}", show(&out));
}

fn auth_args<'a>(user: &'a str, extra: &[&'a str], live: &'a [String]) -> Vec<&'a str> {
    let mut a = vec!["auth", "--user-id", user, "--selfie"];
    a.push(Box::leak(fixture("selfie.jpg").into_boxed_str()));
    a.push("--liveness");
    a.extend(live.iter().map(String::as_str));
    a.extend_from_slice(extra);
    a
}

// ------------------------------------------------------------------------------------------
// demo

#[test]
fn demo_runs_the_whole_flow_on_the_embedded_emulator() {
    let out = run(&["demo"], &[], None);
    let stdout = text(&out.stdout);
    assert_eq!(code(&out), 0, "{}", show(&out));
    for line in [
        "ResultCode 0840 \"Enroll User - PASS - Machine Judgement\"",
        "ResultCode 0820 \"Machine Judgement - PASS\"",
        "ok: the user is authenticated",
        "ResultCode 0824 \"Provisional Authentication - Under Review\"",
        "ok: the polled result is provisional, not an approval",
        "ResultCode 1220 \"Authenticated\"",
        "final after provisional",
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
    for debug in ["Some(", "{success: true", "Completed {"] {
        assert!(!stdout.contains(debug), "Debug output {debug:?}:\n{stdout}");
    }
}

#[test]
fn demo_json_is_one_document_with_the_steps() {
    let out = run(&["demo", "--json"], &[], None);
    assert_eq!(code(&out), 0, "{}", show(&out));
    let doc = json(&out);
    assert_eq!(doc["command"], "demo");
    assert_eq!(doc["outcome"], "ok");
    let steps: Vec<&str> = doc["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(
        &steps[..4],
        ["enrol", "authenticate", "review", "final_callback"]
    );
}

// ------------------------------------------------------------------------------------------
// image jobs

#[test]
fn register_then_auth_with_files_history_and_image_links() {
    let e = emulator();
    let out = at(
        &e,
        &[
            "register",
            "--user-id",
            "user-17",
            "--selfie",
            &fixture("selfie.jpg"),
        ],
    );
    assert_eq!(code(&out), 0, "{}", show(&out));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("ResultCode 0840"), "{stdout}");
    assert!(stdout.contains("=> final approval"), "{stdout}");
    // A generated job id is printed on stderr, with how to resume.
    let stderr = text(&out.stderr);
    assert!(stderr.contains("job_id job-"), "{stderr}");
    assert!(stderr.contains("--resume"), "{stderr}");

    let live = liveness();
    let args = auth_args(
        "user-17",
        &["--job-id", "auth-1", "--history", "--image-links"],
        &live,
    );
    let out = at(&e, &args);
    assert_eq!(code(&out), 0, "{}", show(&out));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("job_id auth-1"), "{stdout}");
    assert!(
        stdout.contains("ResultCode 0820 \"Machine Judgement - PASS\""),
        "{stdout}"
    );
    assert!(stdout.contains("history: 0820"), "{stdout}");
    assert!(stdout.contains("selfie image link: http://"), "{stdout}");
    // Not a terminal: no progress line, and with --job-id given no note either.
    assert_eq!(text(&out.stderr), "", "{}", show(&out));
    let job = e.state().job("auth-1").expect("the job exists");
    assert_eq!(
        (job.job_type, job.result_codes.as_slice()),
        (2, &["0820".to_owned()][..])
    );
}

#[test]
fn auth_with_base64_files_and_the_json_shape_of_a_result() {
    use base64::Engine as _;
    let e = emulator();
    enrol(&e, "user-b64");
    let dir = tempfile::tempdir().unwrap();
    let b64 = |name: &str| -> String {
        let bytes = std::fs::read(fixture(name)).unwrap();
        let path = dir.path().join(format!("{name}.b64"));
        let text = base64::engine::general_purpose::STANDARD.encode(bytes) + "\n";
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    };
    let selfie = b64("selfie.jpg");
    let l1 = b64("liveness_1.jpg");
    let l2 = b64("liveness_2.jpg");
    let out = at(
        &e,
        &[
            "auth",
            "--json",
            "--user-id",
            "user-b64",
            "--selfie-base64",
            &selfie,
            "--liveness-base64",
            &l1,
            &l2,
        ],
    );
    assert_eq!(code(&out), 0, "{}", show(&out));
    let doc = json(&out);
    assert_eq!(
        keys(&doc),
        [
            "schema_version",
            "command",
            "exit_code",
            "outcome",
            "job",
            "result",
            "response",
            "error"
        ]
    );
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["command"], "auth");
    assert_eq!(
        (doc["exit_code"].as_i64(), doc["outcome"].as_str()),
        (Some(0), Some("approved"))
    );
    assert_eq!(
        keys(&doc["job"]),
        [
            "user_id",
            "job_id",
            "job_id_generated",
            "job_type",
            "smile_job_id"
        ]
    );
    assert_eq!(doc["job"]["job_id_generated"], true);
    assert!(doc["job"]["job_id"].as_str().unwrap().starts_with("job-"));
    assert_eq!(doc["job"]["job_type"], 2);
    assert!(doc["job"]["smile_job_id"].is_string());
    assert_eq!(
        keys(&doc["result"]),
        [
            "code",
            "text",
            "type",
            "category",
            "final",
            "finality",
            "approved",
            "confidence",
            "actions"
        ]
    );
    assert_eq!(doc["result"]["code"], "0820");
    assert_eq!(doc["result"]["category"], "approved");
    assert_eq!(doc["result"]["final"], true);
    assert_eq!(doc["response"]["job_complete"], true);
    assert!(
        doc["response"].get("signature").is_none(),
        "the signature is left out"
    );
    assert!(doc["error"].is_null());
    // Nothing on stderr in JSON mode (no note, no progress).
    assert_eq!(text(&out.stderr), "");
}

#[test]
fn every_image_job_type_runs_from_the_job_type_table() {
    let e = emulator();
    let selfie = fixture("selfie.jpg");
    let front = fixture("id_card_front.jpg");
    let back = fixture("id_card_back.jpg");
    let cases: [(&str, Vec<&str>, &str); 4] = [
        ("1", vec!["--id-front", &front, "--country", "NG"], "0810"),
        (
            "1",
            vec![
                "--country",
                "NG",
                "--id-type",
                "BVN",
                "--id-number",
                "00000000000",
            ],
            "0810",
        ),
        (
            "6",
            vec!["--id-front", &front, "--id-back", &back, "--country", "NG"],
            "0810",
        ),
        (
            "11",
            vec!["--id-front", &front, "--country", "NG", "--id-type", "NIN"],
            "0810",
        ),
    ];
    for (n, (job_type, extra, want)) in cases.into_iter().enumerate() {
        let user = format!("user-doc-{n}");
        let mut args = vec![
            "submit",
            "--json",
            "--job-type",
            job_type,
            "--user-id",
            &user,
            "--selfie",
            &selfie,
        ];
        args.extend(extra);
        let out = at(&e, &args);
        assert_eq!(code(&out), 0, "job type {job_type}: {}", show(&out));
        let doc = json(&out);
        assert_eq!(doc["result"]["code"], want, "{doc}");
        assert_eq!(doc["job"]["job_type"].to_string(), job_type);
    }
    // Job 2 through submit, for an enrolled user.
    let out = at(
        &e,
        &[
            "submit",
            "--job-type",
            "2",
            "--user-id",
            "user-doc-0",
            "--selfie",
            &selfie,
        ],
    );
    assert_eq!(code(&out), 0, "{}", show(&out));
}

#[test]
fn usage_errors_exit_2_and_name_the_flag() {
    let e = emulator();
    let selfie = fixture("selfie.jpg");
    let front = fixture("id_card_front.jpg");
    let cases: [(Vec<&str>, &str); 7] = [
        (vec!["auth", "--selfie", &selfie], "--user-id"),
        (
            vec!["auth", "--user-id", "u"],
            "--selfie FILE or --selfie-base64 FILE",
        ),
        (
            vec![
                "auth",
                "--user-id",
                "u",
                "--selfie",
                &selfie,
                "--no-wait",
                "--history",
            ],
            "--history",
        ),
        (
            vec![
                "submit",
                "--job-type",
                "2",
                "--user-id",
                "u",
                "--selfie",
                &selfie,
                "--id-front",
                &front,
            ],
            "leave out --id-front",
        ),
        (
            vec![
                "submit",
                "--job-type",
                "6",
                "--user-id",
                "u",
                "--selfie",
                &selfie,
                "--id-front",
                &front,
            ],
            "--country CC",
        ),
        (
            vec!["submit", "--job-type", "5", "--user-id", "u"],
            "smile kyc",
        ),
        (
            vec!["auth", "--user-id", "u", "--selfie", &selfie, "--resume"],
            "--job-id",
        ),
    ];
    for (args, needle) in cases {
        let out = at(&e, &args);
        assert_eq!(code(&out), 2, "{args:?}: {}", show(&out));
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains(needle),
            "{args:?}: {needle:?} not in:\n{stderr}"
        );
    }
    // Without credentials: named by flag and variable.
    let out = run(&["status", "--user-id", "u", "--job-id", "j"], &[], None);
    assert_eq!(code(&out), 2, "{}", show(&out));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("--partner-id") && stderr.contains("SMILE_PARTNER_ID"),
        "{stderr}"
    );
    // A usage error in JSON: one document, exit 2.
    let out = at(&e, &["auth", "--json", "--user-id", "u", "--bogus"]);
    assert_eq!(code(&out), 2, "{}", show(&out));
    let doc = json(&out);
    assert_eq!(
        (doc["command"].as_str(), doc["outcome"].as_str()),
        (Some("auth"), Some("error"))
    );
    assert_eq!(doc["error"]["kind"], "usage");
    assert!(
        doc["error"]["message"]
            .as_str()
            .unwrap()
            .contains("--bogus")
    );
}

#[test]
fn bad_input_exits_1_before_any_job_and_names_the_flag() {
    let e = emulator();
    enrol(&e, "user-bad");
    let dir = tempfile::tempdir().unwrap();
    let not_image = dir.path().join("notes.txt");
    std::fs::write(&not_image, "hello").unwrap();
    let not_image = not_image.display().to_string();
    let missing = dir.path().join("missing.jpg").display().to_string();

    // A missing file and a file that is not an image: every problem, each with its flag.
    let out = at(
        &e,
        &[
            "auth",
            "--user-id",
            "user-bad",
            "--selfie",
            &missing,
            "--liveness",
            &not_image,
        ],
    );
    assert_eq!(code(&out), 1, "{}", show(&out));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("invalid input, nothing was sent (2 problems):"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("--selfie {missing}: No such file")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("--liveness {not_image}: image file")),
        "{stderr}"
    );
    assert!(stderr.contains("[images.file.not_image]"), "{stderr}");

    // --no-wait without a callback: the flag and the variable, not a library option.
    let out = at(
        &e,
        &[
            "auth",
            "--user-id",
            "user-bad",
            "--selfie",
            &fixture("selfie.jpg"),
            "--no-wait",
        ],
    );
    assert_eq!(code(&out), 1, "{}", show(&out));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("--no-wait needs a callback URL"),
        "{stderr}"
    );
    assert!(
        stderr.contains("--callback-url URL or set SMILE_CALLBACK_URL"),
        "{stderr}"
    );
    assert!(!stderr.contains("return_job_status"), "{stderr}");

    // A callback URL that is not a URL.
    let out = at(
        &e,
        &[
            "auth",
            "--user-id",
            "user-bad",
            "--selfie",
            &fixture("selfie.jpg"),
            "--callback-url",
            "not a url",
        ],
    );
    assert_eq!(code(&out), 1, "{}", show(&out));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("--callback-url 'not a url'"), "{stderr}");
    assert!(!stderr.contains("default_callback"), "{stderr}");

    // An unknown user: 2210, with what to do.
    let out = at(
        &e,
        &[
            "auth",
            "--user-id",
            "nobody",
            "--selfie",
            &fixture("selfie.jpg"),
        ],
    );
    assert_eq!(code(&out), 1, "{}", show(&out));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("Smile code 2210"), "{stderr}");
    assert!(
        stderr.contains("smile register --user-id nobody"),
        "{stderr}"
    );

    // A wrong key: 2205, naming the flags and variables.
    let out = run(
        &[
            "auth",
            "--user-id",
            "user-bad",
            "--selfie",
            &fixture("selfie.jpg"),
            "--partner-id",
            PARTNER,
            "--server",
            e.base_url(),
            "--api-key",
            "wrong-key",
        ],
        &[],
        None,
    );
    assert_eq!(code(&out), 1, "{}", show(&out));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("Smile code 2205"), "{stderr}");
    assert!(
        stderr.contains("--api-key") && stderr.contains("SMILE_API_KEY"),
        "{stderr}"
    );
    assert!(!stderr.contains("wrong-key"), "{stderr}");
}

#[test]
fn an_unreachable_server_exits_1_in_human_and_json_form() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    }; // closed again: nothing listens there
    let server = format!("http://127.0.0.1:{port}/v1");
    let env = [
        ("SMILE_PARTNER_ID", PARTNER),
        ("SMILE_API_KEY", KEY),
        ("SMILE_SID_SERVER", server.as_str()),
    ];
    let selfie = fixture("selfie.jpg");
    let out = run(&["auth", "--user-id", "u", "--selfie", &selfie], &env, None);
    assert_eq!(code(&out), 1, "{}", show(&out));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("POST /upload got no response"), "{stderr}");
    assert!(stderr.contains("--server (SMILE_SID_SERVER)"), "{stderr}");

    let out = run(
        &[
            "auth",
            "--json",
            "--user-id",
            "u",
            "--selfie",
            &selfie,
            "--job-id",
            "j-1",
        ],
        &env,
        None,
    );
    assert_eq!(code(&out), 1, "{}", show(&out));
    let doc = json(&out);
    assert_eq!(
        keys(&doc),
        [
            "schema_version",
            "command",
            "exit_code",
            "outcome",
            "job",
            "error"
        ]
    );
    assert_eq!(
        (doc["exit_code"].as_i64(), doc["outcome"].as_str()),
        (Some(1), Some("error"))
    );
    assert_eq!(doc["job"]["job_id"], "j-1");
    let err = &doc["error"];
    assert_eq!(
        keys(err),
        [
            "kind",
            "message",
            "hints",
            "code",
            "http_status",
            "job_may_exist",
            "problems",
            "resume_command",
            "status_command"
        ]
    );
    assert_eq!(err["kind"], "transport");
    assert_eq!(err["job_may_exist"], false);
    assert!(err["resume_command"].is_null());
    assert_eq!(text(&out.stderr), "");
}

#[test]
fn exit_codes_3_and_4_for_a_rejection_and_a_provisional_result() {
    let e = emulator();
    enrol(&e, "user-x");
    let selfie = fixture("selfie.jpg");
    let out = at(
        &e,
        &[
            "auth",
            "--user-id",
            "user-x",
            "--selfie",
            &selfie,
            "--extra",
            "emulator_result=0821",
        ],
    );
    assert_eq!(code(&out), 3, "{}", show(&out));
    assert!(
        text(&out.stdout).contains("=> final rejection"),
        "{}",
        show(&out)
    );

    let out = at(
        &e,
        &[
            "auth",
            "--json",
            "--user-id",
            "user-x",
            "--selfie",
            &selfie,
            "--extra",
            "emulator_result=0824",
        ],
    );
    assert_eq!(code(&out), 4, "{}", show(&out));
    let doc = json(&out);
    assert_eq!(doc["outcome"], "not_final");
    assert_eq!(doc["result"]["code"], "0824");
    assert_eq!(doc["result"]["final"], false);
}

#[test]
fn exit_4_when_the_wait_ends_before_the_result() {
    let e = emulator_with(Duration::from_secs(60), Duration::from_secs(1));
    enrol_directly(&e, "user-slow");
    let started = Instant::now();
    let out = at(
        &e,
        &[
            "auth",
            "--json",
            "--user-id",
            "user-slow",
            "--selfie",
            &fixture("selfie.jpg"),
            "--timeout",
            "1",
            "--job-id",
            "slow-1",
        ],
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(code(&out), 4, "{}", show(&out));
    let doc = json(&out);
    assert_eq!(doc["outcome"], "not_final");
    assert_eq!(doc["error"]["kind"], "poll_timeout");
    assert_eq!(
        doc["error"]["status_command"],
        "smile status --user-id user-slow --job-id slow-1"
    );
    let message = doc["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(" s ("),
        "durations as people write them: {message}"
    );
    assert!(
        !message.contains("ms") && !message.contains("Some("),
        "{message}"
    );
    assert!(doc["job"]["smile_job_id"].is_string());
    // The job is still processing: status says so, exit 4.
    let out = at(
        &e,
        &["status", "--user-id", "user-slow", "--job-id", "slow-1"],
    );
    assert_eq!(code(&out), 4, "{}", show(&out));
    assert!(
        text(&out.stdout).contains("job_complete no"),
        "{}",
        show(&out)
    );
}

fn enrol_directly(e: &Emulator, user: &str) {
    e.state().enrol_user(user);
}

#[test]
fn exit_5_when_the_job_may_exist_and_resume_finishes_it() {
    let e = emulator();
    enrol_directly(&e, "user-r");
    // The job is made, then the answer is lost (502 after the handler).
    e.faults().set(
        Endpoint::Upload,
        Fault::status(502).after_handler().times(1),
    );
    let selfie = fixture("selfie.jpg");
    let out = at(
        &e,
        &[
            "auth",
            "--user-id",
            "user-r",
            "--selfie",
            &selfie,
            "--job-id",
            "res-1",
        ],
    );
    assert_eq!(code(&out), 5, "{}", show(&out));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("HTTP 502"), "{stderr}");
    let resume = stderr
        .lines()
        .skip_while(|l| !l.contains("to finish this job"))
        .nth(1)
        .expect("the resume command is printed")
        .trim()
        .to_owned();
    assert_eq!(
        resume,
        format!("smile auth --user-id user-r --selfie {selfie} --job-id res-1 --resume")
    );

    // The same in JSON.
    e.faults().set(
        Endpoint::Upload,
        Fault::status(502).after_handler().times(1),
    );
    let out = at(
        &e,
        &[
            "auth",
            "--json",
            "--user-id",
            "user-r",
            "--selfie",
            &selfie,
            "--job-id",
            "res-2",
        ],
    );
    assert_eq!(code(&out), 5, "{}", show(&out));
    let doc = json(&out);
    assert_eq!(doc["error"]["job_may_exist"], true);
    assert_eq!(doc["error"]["http_status"], 502);
    assert!(
        doc["error"]["resume_command"]
            .as_str()
            .unwrap()
            .ends_with("--job-id res-2 --resume"),
        "{doc}"
    );

    // Running the printed command finishes the same job.
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_smile")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut env = env_for(&e);
    env.push(("PATH", path));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut sh = Command::new("sh");
    sh.arg("-c")
        .arg(&resume)
        .env_remove("SMILE_CALLBACK_URL")
        .envs(env.iter().copied());
    let out = sh.output().expect("sh runs");
    assert_eq!(code(&out), 0, "{}", show(&out));
    assert!(text(&out.stdout).contains("job_id res-1"), "{}", show(&out));
    assert!(
        text(&out.stdout).contains("=> final approval"),
        "{}",
        show(&out)
    );
}

// ------------------------------------------------------------------------------------------
// the other calls

#[test]
fn kyc_business_token_services_documents_and_status() {
    let e = emulator();
    let out = at(
        &e,
        &[
            "kyc",
            "--user-id",
            "u-kyc",
            "--country",
            "NG",
            "--id-type",
            "BVN",
            "--id-number",
            "00000000000",
            "--first-name",
            "Ada",
            "--dob",
            "1990-01-01",
        ],
    );
    assert_eq!(code(&out), 0, "{}", show(&out));
    assert!(
        text(&out.stdout).contains("ResultCode 1012"),
        "{}",
        show(&out)
    );

    let out = at(
        &e,
        &[
            "kyc",
            "--json",
            "--user-id",
            "u-kyc",
            "--country",
            "NG",
            "--id-type",
            "BVN",
            "--id-number",
            "00000000000",
            "--extra",
            "emulator_result=1013",
        ],
    );
    assert_eq!(code(&out), 3, "{}", show(&out));
    assert_eq!(json(&out)["result"]["code"], "1013");

    let out = at(
        &e,
        &[
            "kyc",
            "--json",
            "--async",
            "--user-id",
            "u-kyc",
            "--country",
            "NG",
            "--id-type",
            "BVN",
            "--id-number",
            "00000000000",
            "--callback-url",
            "http://127.0.0.1:9/cb",
        ],
    );
    assert_eq!(code(&out), 0, "{}", show(&out));
    assert_eq!(json(&out)["outcome"], "submitted");

    let out = at(
        &e,
        &[
            "kyc",
            "--async",
            "--user-id",
            "u",
            "--country",
            "NG",
            "--id-type",
            "BVN",
            "--id-number",
            "1",
        ],
    );
    assert_eq!(code(&out), 1, "{}", show(&out));
    assert!(
        text(&out.stderr).contains("SMILE_CALLBACK_URL"),
        "{}",
        show(&out)
    );

    let out = at(
        &e,
        &[
            "business",
            "--user-id",
            "u-kyb",
            "--country",
            "NG",
            "--id-type",
            "BUSINESS_REGISTRATION",
            "--id-number",
            "RC-0000000",
            "--business-type",
            "co",
        ],
    );
    assert_eq!(code(&out), 0, "{}", show(&out));
    assert!(text(&out.stdout).contains("job type 7"), "{}", show(&out));

    let out = at(
        &e,
        &[
            "token",
            "--json",
            "--user-id",
            "u-web",
            "--product",
            "biometric_kyc",
            "--callback-url",
            "https://example.com/cb",
        ],
    );
    assert_eq!(code(&out), 0, "{}", show(&out));
    let doc = json(&out);
    assert!(!doc["token"].as_str().unwrap().is_empty(), "{doc}");

    let out = run(&["services", "--server", e.base_url()], &[], None);
    assert_eq!(code(&out), 0, "{}", show(&out));
    assert!(
        text(&out.stdout).contains("hosted web products"),
        "{}",
        show(&out)
    );

    let out = at(&e, &["documents", "--json"]);
    assert_eq!(code(&out), 0, "{}", show(&out));
    assert!(json(&out)["response"]["valid_documents"].is_array());

    enrol_directly(&e, "u-st");
    let live = liveness();
    let out = at(&e, &auth_args("u-st", &["--job-id", "st-1"], &live));
    assert_eq!(code(&out), 0, "{}", show(&out));
    let out = at(
        &e,
        &[
            "status",
            "--json",
            "--user-id",
            "u-st",
            "--job-id",
            "st-1",
            "--history",
        ],
    );
    assert_eq!(code(&out), 0, "{}", show(&out));
    let doc = json(&out);
    assert_eq!(doc["job_complete"], true);
    assert_eq!(doc["result"]["code"], "0820");
    assert!(doc["response"].get("signature").is_none());

    let out = at(
        &e,
        &["status", "--user-id", "u-st", "--job-id", "no-such-job"],
    );
    assert_eq!(code(&out), 1, "{}", show(&out));
    assert!(text(&out.stderr).contains("no job found"), "{}", show(&out));
}

#[test]
fn completions_and_help() {
    let out = run(&["completions", "bash"], &[], None);
    assert_eq!(code(&out), 0, "{}", show(&out));
    assert!(text(&out.stdout).contains("_smile"), "{}", show(&out));
    let out = run(&["auth", "--help"], &[], None);
    assert_eq!(code(&out), 0, "{}", show(&out));
    let help = text(&out.stdout);
    for needle in [
        "Exit codes:",
        "5  error after which the job may exist",
        "--selfie-base64",
        "--resume",
    ] {
        assert!(help.contains(needle), "{needle:?} not in:\n{help}");
    }
}

#[test]
fn verbose_logs_the_sdk_on_stderr_and_never_the_key() {
    let e = emulator();
    enrol_directly(&e, "u-log");
    let args = [
        "-vv",
        "auth",
        "--user-id",
        "u-log",
        "--selfie",
        &fixture("selfie.jpg"),
        "--job-id",
        "log-1",
    ];
    let out = at(&e, &args);
    assert_eq!(code(&out), 0, "{}", show(&out));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("smile_core"), "{stderr}");
    assert!(stderr.contains("POST /upload"), "{stderr}");
    assert!(
        !stderr.contains("X-Amz") && !stderr.contains("ureq"),
        "{stderr}"
    );
    // RUST_LOG is used as given.
    let mut env = env_for(&e);
    env.push(("RUST_LOG", "smile_core=info".into()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let out = run(
        &["status", "--user-id", "u-log", "--job-id", "log-1"],
        &env,
        None,
    );
    assert_eq!(code(&out), 0, "{}", show(&out));
    assert!(text(&out.stderr).contains("INFO"), "{}", show(&out));
}

#[test]
fn the_progress_line_shows_on_a_terminal_only() {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: `script` (util-linux) is not installed");
        return;
    }
    let e = emulator_with(Duration::from_millis(1500), Duration::from_secs(1));
    enrol_directly(&e, "u-tty");
    let cmd = format!(
        "{} auth --user-id u-tty --selfie {} --job-id tty-1",
        env!("CARGO_BIN_EXE_smile"),
        fixture("selfie.jpg")
    );
    let env = env_for(&e);
    let out = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(Stdio::null())
        .output()
        .expect("script runs");
    let screen = text(&out.stdout);
    assert!(screen.contains("waiting for the result: poll"), "{screen}");
    assert!(screen.contains(" left)"), "{screen}");
    assert!(screen.contains("=> final approval"), "{screen}");
}

// ------------------------------------------------------------------------------------------
// callbacks: verify-callback

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
    let ok = run(&args, &[], Some(body.as_bytes()));
    let stdout = text(&ok.stdout);
    assert_eq!(code(&ok), 0, "{}", show(&ok));
    assert!(stdout.starts_with("signature valid"), "{stdout}");
    assert!(
        stdout.contains("the signature covers the timestamp, not the body"),
        "{stdout}"
    );
    assert!(
        stdout.contains("ResultCode 1220 \"Authenticated\""),
        "{stdout}"
    );
    assert!(stdout.contains("category approved, final"), "{stdout}");
    assert!(!stdout.contains(&key) && !text(&ok.stderr).contains(&key));

    let (forged, _, _) = callback_vector("bad_signature");
    let bad = run(&args, &[], Some(forged.as_bytes()));
    assert_eq!(code(&bad), 1, "{}", show(&bad));
    let stderr = text(&bad.stderr);
    assert!(stderr.contains("callback signature is invalid"), "{stderr}");
    assert!(!stderr.contains(&key));

    // With the default 15-minute window, the 2021 body is stale.
    let default_window = [&args[..5], &["-"]].concat();
    let stale = run(&default_window, &[], Some(body.as_bytes()));
    assert_eq!(code(&stale), 1, "{}", show(&stale));
    let stderr = text(&stale.stderr);
    assert!(
        stderr.contains("outside the freshness window of 15 min"),
        "{stderr}"
    );
    assert!(!stderr.contains("900s"), "{stderr}");

    // A provisional callback: verified, exit 4; JSON has the callback and the result.
    let (prov, _, _) = callback_vector("provisional_0824_first");
    let out = run(
        &[&args[..], &["--json"]].concat(),
        &[],
        Some(prov.as_bytes()),
    );
    assert_eq!(code(&out), 4, "{}", show(&out));
    let doc = json(&out);
    assert_eq!(doc["callback"]["signature_covers"], "timestamp");
    assert_eq!(doc["result"]["code"], "0824");
}

#[test]
fn verify_callback_names_a_missing_file_and_reads_no_more_than_the_limit() {
    let args = ["verify-callback", "--partner-id", PARTNER, "--api-key", KEY];
    let out = run(&[&args[..], &["/no/such/body.json"]].concat(), &[], None);
    assert_eq!(code(&out), 1, "{}", show(&out));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("the file /no/such/body.json"), "{stderr}");
    assert!(stderr.contains("No such file"), "{stderr}");

    // 64 MiB on stdin: refused after the limit plus one byte, quickly.
    let big = vec![b' '; 64 << 20];
    let started = Instant::now();
    let out = run(&[&args[..], &["-"]].concat(), &[], Some(&big));
    assert_eq!(code(&out), 1, "{}", show(&out));
    assert!(
        text(&out.stderr).contains("over the limit of 2.1 MB"),
        "{}",
        show(&out)
    );
    assert!(started.elapsed() < Duration::from_secs(20));
}

// ------------------------------------------------------------------------------------------
// callbacks: listen

/// A running `smile listen --json`, read line by line.
struct Listen {
    _child: ChildGuard,
    lines: mpsc::Receiver<String>,
    url: String,
    addr: SocketAddr,
}

impl Listen {
    fn start(extra: &[&str]) -> Self {
        let mut args = vec![
            "listen",
            "--json",
            "--addr",
            "127.0.0.1:0",
            "--partner-id",
            PARTNER,
            "--api-key",
            KEY,
        ];
        args.extend_from_slice(extra);
        let mut child = ChildGuard::new(command(&args, &[]).spawn().expect("listen starts"));
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut this = Self {
            _child: child,
            lines,
            url: String::new(),
            addr: "127.0.0.1:1".parse().unwrap(),
        };
        let first = this.event();
        assert_eq!(first["event"], "listening", "{first}");
        this.url = first["url"].as_str().unwrap().to_owned();
        let authority = this
            .url
            .trim_start_matches("http://")
            .split('/')
            .next()
            .unwrap();
        this.addr = authority.parse().unwrap();
        this
    }

    /// The next event (waiting at most 10 s).
    fn event(&self) -> Value {
        let line = self
            .lines
            .recv_timeout(Duration::from_secs(10))
            .expect("an event within 10 s");
        assert!(!line.contains(KEY), "{line}");
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
    }
}

/// A signed callback body for job `job_id`.
fn signed_callback(job_id: &str, code: &str, is_final: bool) -> String {
    let signer = Signer::new(PartnerId::new(PARTNER), KEY);
    let signed = signer.sign_at(SystemTime::now());
    format!(
        r#"{{"ResultCode":"{code}","ResultText":"t","IsFinalResult":"{is_final}","SmileJobID":"0000000042","PartnerParams":{{"user_id":"u","job_id":"{job_id}","job_type":"2"}},"timestamp":"{}","signature":"{}"}}"#,
        signed.timestamp, signed.signature
    )
}

/// POSTs `body` with a fresh connection; the status code.
fn post(addr: SocketAddr, body: &str) -> u16 {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(
        s,
        "POST /smile/callback HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    answer
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP answer: {answer:?}"))
}

#[test]
fn listen_verifies_marks_duplicates_and_the_final_after_provisional() {
    let l = Listen::start(&[]);
    let prov = signed_callback("job-d", "0824", false);
    assert_eq!(post(l.addr, &prov), 200);
    let ev = l.event();
    assert_eq!(
        (ev["event"].as_str(), ev["dedupe"].as_str()),
        (Some("callback"), Some("first"))
    );
    assert_eq!(ev["job"]["job_id"], "job-d");
    assert_eq!(ev["job"]["smile_job_id"], "0000000042");
    assert_eq!(ev["result"]["code"], "0824");
    assert_eq!(ev["result"]["final"], false);
    // The same body again: a replay, marked as a duplicate.
    assert_eq!(post(l.addr, &prov), 200);
    let ev = l.event();
    assert_eq!(
        (ev["dedupe"].as_str(), ev["duplicate"].as_bool()),
        (Some("duplicate"), Some(true))
    );
    // The final one.
    std::thread::sleep(Duration::from_millis(5));
    assert_eq!(post(l.addr, &signed_callback("job-d", "1220", true)), 200);
    let ev = l.event();
    assert_eq!(ev["dedupe"], "final_after_provisional");
    assert_eq!(ev["previous_code"], "0824");
    // A forged one: refused, 401.
    let forged = prov.replace("\"signature\":\"", "\"signature\":\"AAAA");
    assert_eq!(post(l.addr, &forged), 401);
    let ev = l.event();
    assert_eq!(ev["event"], "refused");
    assert!(
        ev["error"]["message"]
            .as_str()
            .unwrap()
            .contains("signature"),
        "{ev}"
    );
}

#[test]
fn listen_serves_others_while_a_slow_client_trickles_and_cuts_it_off() {
    let l = Listen::start(&["--read-timeout-secs", "1"]);
    let mut slow = TcpStream::connect(l.addr).unwrap();
    slow.write_all(b"POST /smile/callback HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let (stop_tx, stop_rx) = mpsc::channel::<()>();
    let mut trickle = slow.try_clone().unwrap();
    let trickler = std::thread::spawn(move || {
        // One header byte every 100 ms, for at most 5 s.
        for _ in 0..50 {
            if stop_rx.recv_timeout(Duration::from_millis(100)).is_ok()
                || trickle.write_all(b"X").is_err()
            {
                return;
            }
        }
    });
    // A valid callback on another connection is answered at once.
    let started = Instant::now();
    assert_eq!(post(l.addr, &signed_callback("job-s", "0820", true)), 200);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(l.event()["dedupe"], "first");
    // The slow client is disconnected after the read timeout.
    slow.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut rest = Vec::new();
    let _ = slow.read_to_end(&mut rest);
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(4),
        "the slow client was held {took:?}"
    );
    let _ = stop_tx.send(());
    trickler.join().unwrap();
}

#[test]
fn listen_survives_a_flood_of_header_bytes() {
    let l = Listen::start(&[]);
    let mut flood = TcpStream::connect(l.addr).unwrap();
    flood
        .set_write_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    flood
        .write_all(b"POST /smile/callback HTTP/1.1\r\nX-Flood: ")
        .unwrap();
    let chunk = vec![b'a'; 64 * 1024];
    let started = Instant::now();
    let mut sent = 0usize;
    // At most 256 MiB, at most 10 s: the listener must close the connection long before.
    while sent < (256 << 20) && started.elapsed() < Duration::from_secs(10) {
        match flood.write(&chunk) {
            Ok(n) => sent += n,
            Err(_) => break,
        }
    }
    assert!(
        sent < (64 << 20),
        "the listener kept reading a header line: {sent} bytes"
    );
    // Still serving.
    assert_eq!(post(l.addr, &signed_callback("job-f", "0820", true)), 200);
    let mut ev = l.event();
    while ev["event"] != "callback" {
        ev = l.event();
    }
    assert_eq!(ev["job"]["job_id"], "job-f");
}

#[test]
fn listen_forwards_the_body_unchanged_and_reports_the_answer() {
    let hook = TcpListener::bind("127.0.0.1:0").unwrap();
    let hook_url = format!("http://{}/my/handler", hook.local_addr().unwrap());
    let (got_tx, got_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let (mut s, _) = hook.accept().unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut reader = BufReader::new(s.try_clone().unwrap());
        let mut len = 0usize;
        let mut line = String::new();
        while reader.read_line(&mut line).unwrap_or(0) > 2 {
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().unwrap();
            }
            line.clear();
        }
        let mut body = vec![0; len];
        reader.read_exact(&mut body).unwrap();
        s.write_all(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .unwrap();
        let _ = got_tx.send(body);
    });
    let l = Listen::start(&["--forward-to", &hook_url]);
    let body = signed_callback("job-fw", "0820", true);
    assert_eq!(post(l.addr, &body), 200);
    assert_eq!(l.event()["event"], "callback");
    let ev = l.event();
    assert_eq!(ev["event"], "forwarded", "{ev}");
    assert_eq!(ev["status"], 202);
    assert_eq!(ev["url"], hook_url.as_str());
    let forwarded = got_rx.recv_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(
        forwarded,
        body.as_bytes(),
        "the body is forwarded unchanged"
    );
}

#[test]
fn the_review_flow_from_the_command_line() {
    let e = emulator();
    enrol_directly(&e, "u-review");
    let l = Listen::start(&[]);
    let out = at(
        &e,
        &[
            "auth",
            "--user-id",
            "u-review",
            "--selfie",
            &fixture("selfie.jpg"),
            "--job-id",
            "rev-1",
            "--callback-url",
            &l.url,
            "--extra",
            "emulator_result=0824",
        ],
    );
    assert_eq!(code(&out), 4, "{}", show(&out));
    let first = l.event();
    assert_eq!(
        (
            first["job"]["job_id"].as_str(),
            first["result"]["code"].as_str()
        ),
        (Some("rev-1"), Some("0824"))
    );
    let last = l.event();
    assert_eq!(last["result"]["code"], "1220");
    assert_eq!(last["dedupe"], "final_after_provisional");
    let out = at(
        &e,
        &["status", "--user-id", "u-review", "--job-id", "rev-1"],
    );
    assert_eq!(code(&out), 0, "{}", show(&out));
    // --no-wait: exit 0 once uploaded; the result arrives at the listener.
    let out = at(
        &e,
        &[
            "auth",
            "--user-id",
            "u-review",
            "--selfie",
            &fixture("selfie.jpg"),
            "--job-id",
            "rev-2",
            "--no-wait",
            "--callback-url",
            &l.url,
        ],
    );
    assert_eq!(code(&out), 0, "{}", show(&out));
    assert!(text(&out.stdout).contains("submitted"), "{}", show(&out));
    let ev = l.event();
    assert_eq!(
        (ev["job"]["job_id"].as_str(), ev["result"]["code"].as_str()),
        (Some("rev-2"), Some("0820"))
    );
}

// ------------------------------------------------------------------------------------------
// smile emulator, as a child process

#[test]
fn the_emulator_command_serves_the_api() {
    let mut child = ChildGuard::new(
        command(
            &[
                "emulator",
                "--json",
                "--port",
                "0",
                "--processing-delay-ms",
                "0",
            ],
            &[],
        )
        .spawn()
        .expect("smile emulator starts"),
    );
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the emulator says where it listens");
    let ev: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(ev["event"], "listening");
    let base = ev["base_url"].as_str().unwrap();
    let env = [
        ("SMILE_PARTNER_ID", "001"),
        ("SMILE_API_KEY", "emulator-api-key"),
        ("SMILE_SID_SERVER", base),
    ];
    let out = run(
        &[
            "register",
            "--user-id",
            "u-child",
            "--selfie",
            &fixture("selfie.jpg"),
        ],
        &env,
        None,
    );
    assert_eq!(code(&out), 0, "{}", show(&out));
    let out = run(&["services", "--server", base, "--json"], &[], None);
    assert_eq!(code(&out), 0, "{}", show(&out));
    assert!(json(&out)["response"]["hosted_web"].is_object());
}

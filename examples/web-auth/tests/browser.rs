//! The example app in a real browser: headless Chromium, driven through chromedriver, runs Smile
//! ID's real web component against a fake camera that shows the fixture selfie; the page enrols
//! the user (job 4), then authenticates them (job 2, through the emulator's human review), and
//! shows the final results that the verified callbacks brought. Then the callback endpoint is
//! checked from outside: a forged callback (401), garbage (400), a body over the limit (413), a
//! replay (200, not delivered again), and a replay after the app restarted on the same SQLite
//! file (still not delivered again). A screenshot is saved as `target/tmp/web-auth.png`.
//!
//! Needs `chromium`, `chromedriver` and the web component from npm: `.ci/browser-deps` installs
//! them. Without them the test says so and passes, unless `CI` is set: then it fails.
//!
//! The browser is driven with the W3C WebDriver protocol spoken directly over `reqwest` (a
//! dozen lines of JSON calls): fantoccini depends on the `webdriver` crate, whose MPL-2.0
//! licence `deny.toml` does not allow, thirtyfour brings a large dependency tree for the six
//! commands used here, and the DevTools protocol would need a WebSocket client and our own
//! management of the browser process, which chromedriver does.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};
use smile_emulator::Emulator;

/// The whole test must finish within this (every wait below is bounded by it, too).
const BUDGET: Duration = Duration::from_secs(58);
/// How long one attempt to start the browser session may take (see [`WebDriver::start`]).
const SESSION_ATTEMPT: Duration = Duration::from_secs(15);
/// How many attempts are made.
const SESSION_ATTEMPTS: usize = 3;

/// An error with its causes (`error sending request` alone does not say what happened).
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        next = cause.source();
    }
    out
}

/// A line on stderr that the test harness does not capture (it captures `eprintln!`), so that a
/// skip or the summary shows in `cargo test`'s output.
fn say(line: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "{line}");
}

fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "0" && v != "false")
}

fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

fn component_script() -> PathBuf {
    std::env::var_os("SMART_CAMERA_WEB_SRC").map_or_else(
        || {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(".web-deps/node_modules/@smile_identity/smart-camera-web/smart-camera-web.js")
        },
        PathBuf::from,
    )
}

/// A process started in its own process group; the whole group (chromedriver and the browser
/// it started, or the app) is killed and reaped on drop, also when the test panics.
struct Group(Option<Child>);

impl Group {
    fn spawn(cmd: &mut Command) -> std::io::Result<Self> {
        use std::os::unix::process::CommandExt as _;
        cmd.process_group(0);
        Ok(Self(Some(cmd.spawn()?)))
    }

    fn child(&mut self) -> &mut Child {
        self.0.as_mut().expect("a child")
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            // The group id is the child's pid (process_group(0)).
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .stderr(Stdio::null())
                .status();
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// The app as a child process, and the URL it printed.
struct App {
    _process: Group,
    url: String,
    log: PathBuf,
}

fn start_app(emulator: &Emulator, db: &Path, log: PathBuf, deadline: Instant) -> App {
    let log_file = std::fs::File::create(&log).expect("the app's log file");
    let mut process = Group::spawn(
        Command::new(env!("CARGO_BIN_EXE_web-auth"))
            .env("WEB_AUTH_ADDR", "127.0.0.1:0")
            .env("WEB_AUTH_DB", db)
            .env("SMILE_PARTNER_ID", emulator.partner_id())
            .env("SMILE_API_KEY", smile_emulator::DEFAULT_API_KEY)
            .env("SMILE_BASE_URL", emulator.base_url())
            .env("SMART_CAMERA_WEB_SRC", component_script())
            .env("RUST_LOG", "info")
            .env_remove("SMILE_CALLBACK_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log_file),
    )
    .expect("the web-auth binary starts");
    let stdout = process.child().stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(url) = line.strip_prefix("web-auth listening on ") {
                let _ = tx.send(url.to_owned());
            }
        }
    });
    let url = rx
        .recv_timeout(
            deadline
                .saturating_duration_since(Instant::now())
                .min(Duration::from_secs(20)),
        )
        .unwrap_or_else(|_| {
            panic!(
                "web-auth did not start; its log:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            )
        });
    App {
        _process: process,
        url,
        log,
    }
}

/// The W3C WebDriver commands the test needs.
struct WebDriver {
    http: reqwest::Client,
    session: String,
}

impl WebDriver {
    async fn call(
        &self,
        method: reqwest::Method,
        url: &str,
        body: Option<Value>,
    ) -> Result<Value, String> {
        let mut req = self.http.request(method, url);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req
            .send()
            .await
            .map_err(|e| format!("{url}: {}", chain(&e)))?;
        let value: Value = res
            .json()
            .await
            .map_err(|e| format!("{url}: {}", chain(&e)))?;
        let value = value.get("value").cloned().unwrap_or(Value::Null);
        match value.get("error") {
            Some(error) => Err(format!("{url}: {error}: {}", value["message"])),
            None => Ok(value),
        }
    }

    /// A new session: Chromium starts in under 5 s here, but once in a while its start hangs
    /// (seen once in about ten runs: no answer within 30 s), so an attempt that takes more than
    /// [`SESSION_ATTEMPT`] is abandoned and another one made (chromedriver's process group,
    /// killed at the end, takes any browser left behind).
    async fn start(http: reqwest::Client, base: &str, capabilities: Value) -> Result<Self, String> {
        let mut driver = Self {
            http,
            session: base.to_owned(),
        };
        let body = json!({"capabilities": capabilities});
        let url = format!("{base}/session");
        let mut failures = Vec::new();
        for _ in 0..SESSION_ATTEMPTS {
            let attempt = driver.call(reqwest::Method::POST, &url, Some(body.clone()));
            let created = match tokio::time::timeout(SESSION_ATTEMPT, attempt).await {
                Ok(Ok(created)) => created,
                Ok(Err(e)) => {
                    failures.push(e);
                    continue;
                }
                Err(_) => {
                    failures.push(format!("{url}: no session within {SESSION_ATTEMPT:?}"));
                    continue;
                }
            };
            let id = created["sessionId"].as_str().ok_or("no session id")?;
            driver.session = format!("{base}/session/{id}");
            if !failures.is_empty() {
                eprintln!(
                    "browser session after {} failed attempts: {failures:?}",
                    failures.len()
                );
            }
            return Ok(driver);
        }
        Err(failures.join("; "))
    }

    async fn goto(&self, url: &str) -> Result<(), String> {
        self.call(
            reqwest::Method::POST,
            &format!("{}/url", self.session),
            Some(json!({"url": url})),
        )
        .await
        .map(drop)
    }

    async fn js(&self, script: &str) -> Result<Value, String> {
        self.call(
            reqwest::Method::POST,
            &format!("{}/execute/sync", self.session),
            Some(json!({"script": script, "args": []})),
        )
        .await
    }

    /// Runs `script` until it returns something other than `null` / `false`.
    async fn wait_for(&self, what: &str, script: &str, timeout: Duration) -> Result<Value, String> {
        let until = Instant::now() + timeout;
        loop {
            let v = self.js(script).await?;
            if !v.is_null() && v != Value::Bool(false) {
                return Ok(v);
            }
            if Instant::now() > until {
                return Err(format!("timed out after {timeout:?} waiting for {what}"));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn screenshot(&self) -> Result<Vec<u8>, String> {
        let b64 = self
            .call(
                reqwest::Method::GET,
                &format!("{}/screenshot", self.session),
                None,
            )
            .await?;
        base64::engine::general_purpose::STANDARD
            .decode(b64.as_str().unwrap_or_default())
            .map_err(|e| e.to_string())
    }

    async fn quit(&self) {
        let _ = self
            .call(reqwest::Method::DELETE, &self.session, None)
            .await;
    }
}

/// A selector in the component's shadow root (JS expression).
fn shadow(selector: &str) -> String {
    format!("document.querySelector('smart-camera-web')?.shadowRoot?.querySelector('{selector}')")
}

/// One capture through the real component, as a user would click it: allow the camera, start
/// (it records for 7.8 s), use the selfie.
async fn capture(driver: &WebDriver) -> Result<(), String> {
    driver
        .wait_for(
            "the component",
            &format!("return !!{}", shadow("#request-camera-access")),
            Duration::from_secs(10),
        )
        .await?;
    driver
        .js(&format!("{}.click()", shadow("#request-camera-access")))
        .await?;
    driver
        .wait_for(
            "the camera screen with a playing video",
            &format!(
                "const s = {}; const v = {}; return !!(s && !s.hidden && v && v.videoWidth > 0 && v.readyState >= 2)",
                shadow("#camera-screen"),
                shadow("video")
            ),
            Duration::from_secs(10),
        )
        .await?;
    driver
        .js(&format!("{}.click()", shadow("#start-image-capture")))
        .await?;
    let screen = driver
        .wait_for(
            "the review screen",
            &format!(
                "const r = {}; const f = {}; return (r && !r.hidden) ? 'review' : (f && !f.hidden) ? 'failed' : null",
                shadow("#review-screen"),
                shadow("#failed-image-test-screen")
            ),
            Duration::from_secs(20),
        )
        .await?;
    if screen != "review" {
        return Err("the component's image test failed (\"Device not supported\")".into());
    }
    driver
        .js(&format!("{}.click()", shadow("#select-selfie")))
        .await?;
    Ok(())
}

/// The job card of the page's `nth` job (0: the first submitted), once its state is final.
async fn final_card(driver: &WebDriver, nth: usize, timeout: Duration) -> Result<Value, String> {
    driver
        .wait_for(
            "a final result on the page",
            &format!(
                "const cards = [...document.querySelectorAll('#jobs > li[data-job-id]')].reverse();
                 const c = cards[{nth}];
                 if (!c || c.dataset.state === 'failed') return c ? {{failed: c.innerText}} : null;
                 if (c.dataset.state !== 'final') return null;
                 return {{job_id: c.dataset.jobId, text: c.innerText,
                         codes: [...c.querySelectorAll('li.result')].map(r => [r.dataset.code, r.dataset.final])}};"
            ),
            timeout,
        )
        .await
}

async fn get_json(http: &reqwest::Client, url: &str) -> Value {
    http.get(url).send().await.unwrap().json().await.unwrap()
}

async fn post(http: &reqwest::Client, url: &str, body: impl Into<reqwest::Body>) -> (u16, String) {
    let res = http
        .post(url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enrol_then_authenticate_in_a_real_browser() {
    let started = Instant::now();
    let deadline = started + BUDGET;

    let chromium = find_program(&["chromium", "chromium-browser"]);
    let chromedriver = find_program(&["chromedriver"]);
    let script = component_script();
    let missing: Vec<String> = [
        chromium.is_none().then(|| "chromium".to_owned()),
        chromedriver.is_none().then(|| "chromedriver".to_owned()),
        (!script.is_file()).then(|| format!("the web component ({})", script.display())),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !missing.is_empty() {
        let why = format!(
            "missing {}; `.ci/browser-deps` installs them",
            missing.join(", ")
        );
        assert!(!in_ci(), "the browser test cannot run in CI: {why}");
        say(&format!(
            "SKIPPED enrol_then_authenticate_in_a_real_browser: {why}"
        ));
        return;
    }
    let (chromium, chromedriver) = (chromium.unwrap(), chromedriver.unwrap());

    let tmp = tempfile::tempdir().unwrap();
    // The fake camera shows the fixture selfie: Chromium reads an .mjpeg file (JPEG frames).
    let camera = tmp.path().join("selfie.mjpeg");
    std::fs::copy(
        smile_testdata::bench_dir().join("selfie_large.jpg"),
        &camera,
    )
    .unwrap();
    let db = tmp.path().join("web-auth.db");
    let out_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));

    let emulator = Emulator::builder()
        .review_delay(Duration::from_millis(1500))
        .start()
        .await
        .unwrap();
    let app = start_app(&emulator, &db, out_dir.join("web-auth-1.log"), deadline);
    let phase = |what: &str| eprintln!("[{:>5.1?}] {what}", started.elapsed());
    phase("emulator and app started");

    let port = free_port();
    let _driver_process = Group::spawn(
        Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    )
    .expect("chromedriver starts");
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .no_proxy()
        .build()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let ready = async {
        loop {
            if let Ok(r) = http.get(format!("{base}/status")).send().await
                && let Ok(v) = r.json::<Value>().await
                && v["value"]["ready"] == true
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), ready)
        .await
        .expect("chromedriver ready within 10 s");
    phase("chromedriver ready");

    let profile = tmp.path().join("chromium-profile");
    let capabilities = json!({"alwaysMatch": {
        "browserName": "chrome",
        "pageLoadStrategy": "eager",
        "goog:chromeOptions": {
            "binary": chromium,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1200,880", "--no-first-run", "--no-default-browser-check",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                format!("--user-data-dir={}", profile.display()),
                // Nothing but loopback: the component's Google Fonts request fails at once.
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                format!("--use-file-for-fake-video-capture={}", camera.display()),
            ],
        },
    }});
    let driver = WebDriver::start(http.clone(), &base, capabilities)
        .await
        .expect("a browser session");
    phase("browser started");

    // The browser part runs in its own task so that the session is closed even if it fails.
    let browser = {
        let url = app.url.clone();
        let driver = WebDriver {
            http: http.clone(),
            session: driver.session.clone(),
        };
        let out = out_dir.clone();
        tokio::spawn(async move {
            let result = async {
                driver.goto(&url).await?;
                // 1. Enrol (job 4): the default action.
                capture(&driver).await?;
                let enrol = final_card(&driver, 0, Duration::from_secs(20)).await?;
                eprintln!("[{:>5.1?}] enrolled", started.elapsed());
                // 2. Authenticate (job 2) through the emulator's human review.
                driver
                    .wait_for("the authenticate option", "return !document.getElementById('action-authenticate').disabled", Duration::from_secs(5))
                    .await?;
                driver.js("document.getElementById('review').click(); document.getElementById('action-authenticate').click();").await?;
                capture(&driver).await?;
                let auth = final_card(&driver, 1, Duration::from_secs(25)).await?;
                eprintln!("[{:>5.1?}] authenticated", started.elapsed());
                let png = driver.screenshot().await?;
                std::fs::write(out.join("web-auth.png"), &png).map_err(|e| e.to_string())?;
                Ok::<_, String>((enrol, auth))
            }
            .await;
            if result.is_err()
                && let Ok(png) = driver.screenshot().await
            {
                let _ = std::fs::write(out.join("web-auth-failed.png"), png);
            }
            result
        })
    };
    let outcome =
        tokio::time::timeout(deadline.saturating_duration_since(Instant::now()), browser).await;
    driver.quit().await;
    let (enrol, auth) = match outcome {
        Ok(Ok(Ok(cards))) => cards,
        Ok(Ok(Err(e))) => panic!(
            "in the browser: {e} (screenshot: {}/web-auth-failed.png; app log: {})",
            out_dir.display(),
            app.log.display()
        ),
        Ok(Err(join)) => panic!("the browser task failed: {join}"),
        Err(_) => panic!("the browser part ran out of the {BUDGET:?} budget"),
    };

    // What the page showed: the final results, from the verified callbacks.
    assert!(
        enrol.get("failed").is_none(),
        "enrolment failed on the page: {enrol}"
    );
    assert_eq!(enrol["codes"], json!([["0840", "true"]]), "{enrol}");
    let enrol_text = enrol["text"].as_str().unwrap();
    assert!(
        enrol_text.contains("Enrolment · job type 4"),
        "{enrol_text}"
    );
    assert!(enrol_text.contains("verified callback"), "{enrol_text}");
    assert!(
        auth.get("failed").is_none(),
        "authentication failed on the page: {auth}"
    );
    assert_eq!(
        auth["codes"],
        json!([["0824", "false"], ["1220", "true"]]),
        "{auth}"
    );
    let auth_text = auth["text"].as_str().unwrap();
    for shown in [
        "Authentication · job type 2",
        "0824",
        "1220",
        "Authenticated",
        "final, approved, verified callback",
    ] {
        assert!(
            auth_text.contains(shown),
            "{shown:?} not on the page:\n{auth_text}"
        );
    }

    // The same through the app's API, and the callback endpoint from outside.
    let auth_job = get_json(
        &http,
        &format!("{}/api/jobs/{}", app.url, auth["job_id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(auth_job["deliveries"], 2, "{auth_job}");
    assert_eq!(auth_job["job_type"], 2);
    let genuine = auth_job["last_callback"].as_str().unwrap().to_owned();
    let genuine_json: Value = serde_json::from_str(&genuine).unwrap();
    assert_eq!(genuine_json["ResultCode"], "1220");
    let callback_url = format!("{}/smile/callback", app.url);

    // Forged: a well-formed signature that is not the partner's.
    let mut forged = genuine_json.clone();
    forged["signature"] = Value::from(base64::engine::general_purpose::STANDARD.encode([7u8; 32]));
    let (status, body) = post(&http, &callback_url, forged.to_string()).await;
    assert_eq!(status, 401, "forged callback: {body}");
    let (status, _) = post(&http, &callback_url, "not a callback").await;
    assert_eq!(status, 400);
    let (status, _) = post(&http, &callback_url, vec![b' '; 3 << 20]).await;
    assert_eq!(status, 413);
    // Replayed: answered 200, not delivered again.
    let (status, body) = post(&http, &callback_url, genuine.clone()).await;
    assert_eq!(
        (status, body.as_str()),
        (200, r#"{"status":"ignored","reason":"duplicate"}"#)
    );
    let stats = get_json(&http, &format!("{}/api/stats", app.url)).await;
    assert_eq!(
        stats["deliveries"], 3,
        "0840, 0824, 1220 once each: {stats}"
    );
    let again = get_json(
        &http,
        &format!("{}/api/jobs/{}", app.url, auth["job_id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(again["deliveries"], 2, "{again}");

    phase("callback endpoint checked");

    // Restart on the same SQLite file: the replay is still recognised, and nothing is delivered.
    drop(app);
    let app = start_app(&emulator, &db, out_dir.join("web-auth-2.log"), deadline);
    let callback_url = format!("{}/smile/callback", app.url);
    let (status, body) = post(&http, &callback_url, genuine.clone()).await;
    assert_eq!(
        (status, body.as_str()),
        (200, r#"{"status":"ignored","reason":"duplicate"}"#)
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stats = get_json(&http, &format!("{}/api/stats", app.url)).await;
    assert_eq!(
        stats["deliveries"], 0,
        "nothing delivered after the restart: {stats}"
    );

    let took = started.elapsed();
    say(&format!(
        "browser test: enrolled and authenticated in Chromium in {took:.1?}; screenshot {}",
        out_dir.join("web-auth.png").display()
    ));
    assert!(took < BUDGET, "the browser test took {took:?}");
}

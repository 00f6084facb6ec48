//! `smile demo`: SmartSelfie™ Authentication end to end on the embedded emulator, with no
//! account and no network beyond loopback.
//!
//! 1. enrol a user (job type 4) from a selfie;
//! 2. authenticate them (job type 2) with a selfie and 8 liveness frames read from files,
//!    waiting for the result with history and image links;
//! 3. a result that needs a human review: provisional on the poll, then the final result on the
//!    callback endpoint (the one `smile listen` runs), whose signature is verified;
//! 4. what goes wrong: an unknown user (2210), a reused job id (2215), invalid input (nothing
//!    sent).
//!
//! The demo shows the library, so its messages name the SDK's calls and fields.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use smile_blocking::types::PartnerId;
use smile_blocking::{
    CallbackVerifier, Error, Image, JobOptions, JobOutcome, JobType, PartnerParams, Signer, WebApi,
};
use smile_emulator::{Emulator, RESULT_KEY};

use crate::listen::{self, Event, Listener};
use crate::output::{CliError, Done, Outcome};
use crate::report;

const SELFIE: &[u8] = include_bytes!("../assets/selfie.jpg");
const LIVENESS: [&[u8]; 8] = [
    include_bytes!("../assets/liveness_1.jpg"),
    include_bytes!("../assets/liveness_2.jpg"),
    include_bytes!("../assets/liveness_3.jpg"),
    include_bytes!("../assets/liveness_4.jpg"),
    include_bytes!("../assets/liveness_5.jpg"),
    include_bytes!("../assets/liveness_6.jpg"),
    include_bytes!("../assets/liveness_7.jpg"),
    include_bytes!("../assets/liveness_8.jpg"),
];

/// How long the demo waits for the human-review callback.
const CALLBACK_WAIT: Duration = Duration::from_secs(20);

/// Prints as it goes (human mode) and keeps the steps (for `--json`).
struct Narrator {
    json: bool,
    steps: Vec<Value>,
}

impl Narrator {
    fn say(&self, text: impl AsRef<str>) {
        if !self.json {
            crate::output::print_line(text.as_ref());
        }
    }

    fn step(&mut self, step: &str, outcome: &JobOutcome) {
        self.steps.push(json!({
            "step": step,
            "smile_job_id": outcome.smile_job_id().as_str(),
            "code": outcome.interpretation().and_then(|i| i.code.as_ref()).map(|c| c.as_str()),
            "category": outcome.category().map(|c| c.as_str()),
            "final": outcome.is_final(),
        }));
    }

    fn expect(&self, ok: bool, what: &str) -> Result<(), CliError> {
        if ok {
            self.say(format!("   ok: {what}"));
            Ok(())
        } else {
            Err(CliError::failure(
                "demo",
                format!("demo expectation failed: {what}"),
            ))
        }
    }
}

fn sdk(e: &Error) -> CliError {
    CliError::failure("demo", format!("demo step failed: {}", report::chain(e)))
}

/// Runs the demo; any unexpected outcome is an error (so the command fails loudly).
pub(crate) fn run(json: bool) -> Result<Done, CliError> {
    let mut n = Narrator {
        json,
        steps: Vec::new(),
    };
    n.say("smile demo: SmartSelfie(TM) Authentication on the embedded Smile ID emulator\n");

    let emulator = Emulator::builder()
        .processing_delay(Duration::from_millis(200))
        .review_delay(Duration::from_millis(1500))
        .start_blocking()
        .map_err(|e| CliError::failure("demo", format!("the emulator did not start: {e}")))?;
    n.say(format!(
        "emulator: {} (partner id {})",
        emulator.base_url(),
        emulator.partner_id()
    ));

    // Step 3 of the product page: a callback endpoint (smile listen's). Its verifier holds the
    // same credentials.
    let signer = Signer::new(
        PartnerId::new(emulator.partner_id()),
        emulator.api_key().clone(),
    );
    let listener = Listener::start(listen::Config {
        addr: "127.0.0.1:0".parse().expect("a valid address literal"),
        verifier: CallbackVerifier::new(signer),
        forward_to: None,
        read_timeout: Duration::from_secs(10),
    })
    .map_err(|e| CliError::failure("demo", format!("the callback endpoint did not start: {e}")))?;
    n.say(format!("callback endpoint: {}\n", listener.url()));

    // Steps 1 and 2: partner id and API key (here the emulator's), sandbox-like base URL.
    let api = WebApi::builder(emulator.partner_id(), emulator.api_key().clone())
        .base_url(emulator.base_url())
        .default_callback(listener.url())
        .build()
        .map_err(|e| CliError::failure("demo", report::chain(&e)))?;

    // Step 4: the user's selfie and 8 liveness frames, as files.
    let dir = ImageDir::create()
        .map_err(|e| CliError::failure("demo", format!("cannot write the demo images: {e}")))?;
    let write = |name: &str, bytes: &[u8]| {
        dir.write(name, bytes)
            .map_err(|e| CliError::failure("demo", format!("cannot write the demo images: {e}")))
    };
    let selfie = write("selfie.jpg", SELFIE)?;
    let liveness = LIVENESS
        .iter()
        .enumerate()
        .map(|(i, bytes)| write(&format!("liveness_{}.jpg", i + 1), bytes))
        .collect::<Result<Vec<_>, _>>()?;
    let images = || {
        let mut v = vec![Image::selfie_file(&selfie)];
        v.extend(liveness.iter().map(Image::liveness_file));
        v
    };
    let wait_for_result = JobOptions {
        return_job_status: true,
        return_history: true,
        return_image_links: true,
        ..JobOptions::default()
    };

    let user_id = format!("demo-user-{}", std::process::id());
    let auth_params = |job_id: &str| {
        PartnerParams::new(user_id.as_str(), job_id, JobType::SmartSelfieAuthentication)
    };

    n.say(format!(
        "1. enrol {user_id} (job type 4, SmartSelfie Registration)"
    ));
    let enrol = api
        .submit_job(
            PartnerParams::new(
                user_id.as_str(),
                "demo-job-enrol",
                JobType::SmartSelfieRegistration,
            ),
            vec![Image::selfie_file(&selfie)],
            None,
            JobOptions {
                return_job_status: true,
                ..JobOptions::default()
            },
        )
        .map_err(|e| sdk(&e))?;
    n.say(outcome_text(&enrol, JobType::SmartSelfieRegistration));
    n.step("enrol", &enrol);
    n.expect(enrol.is_final_approval(), "the enrolment is approved")?;

    n.say(format!(
        "\n2. authenticate {user_id} (job type 2): selfie + 8 liveness frames"
    ));
    let auth = api
        .submit_job(
            auth_params("demo-job-auth"),
            images(),
            None,
            wait_for_result.clone(),
        )
        .map_err(|e| sdk(&e))?;
    n.say(outcome_text(&auth, JobType::SmartSelfieAuthentication));
    n.step("authenticate", &auth);
    n.expect(auth.is_final_approval(), "the user is authenticated")?;

    n.say("\n3. a job that goes to human review (the emulator is asked for result 0824)");
    let review = api
        .submit_job(
            auth_params("demo-job-review").with_extra(RESULT_KEY, "0824"),
            images(),
            None,
            wait_for_result,
        )
        .map_err(|e| sdk(&e))?;
    n.say(outcome_text(&review, JobType::SmartSelfieAuthentication));
    n.step("review", &review);
    n.expect(
        !review.is_final() && !review.is_final_approval(),
        "the polled result is provisional, not an approval",
    )?;
    n.say("   waiting for the final result on the callback endpoint...");
    let code = wait_for_final_callback(&n, &listener, "demo-job-review")?;
    n.steps
        .push(json!({"step": "final_callback", "code": code, "final": true}));

    n.say("\n4. what goes wrong, with typed errors");
    let unknown = api.submit_job(
        PartnerParams::new(
            "nobody-enrolled-this-user",
            "demo-job-unknown",
            JobType::SmartSelfieAuthentication,
        ),
        images(),
        None,
        JobOptions::default(),
    );
    show_error(&mut n, "unknown user", unknown.err(), Some("2210"))?;

    let reused = api.submit_job(
        auth_params("demo-job-auth"),
        images(),
        None,
        JobOptions::default(),
    );
    show_error(&mut n, "job id used twice", reused.err(), Some("2215"))?;

    let invalid = api.submit_job(
        PartnerParams::new("", "demo-job-invalid", JobType::SmartSelfieAuthentication),
        vec![
            Image::liveness_file(dir.path().join("missing.jpg")),
            Image::id_front_bytes(b"not an image".to_vec()),
        ],
        None,
        JobOptions {
            return_history: true,
            ..JobOptions::default()
        },
    );
    show_error(&mut n, "invalid input", invalid.err(), None)?;

    let delivered = emulator.state().callbacks().len();
    n.say(format!(
        "\ndemo complete: {delivered} callbacks delivered by the emulator"
    ));
    Ok(Done::new(Outcome::Ok, String::new())
        .field("steps", Value::Array(n.steps))
        .field("callbacks_delivered", Value::from(delivered)))
}

/// What `submit_job` returned, indented for the demo.
fn outcome_text(outcome: &JobOutcome, job_type: JobType) -> String {
    let indent = "   ";
    match outcome {
        JobOutcome::Completed { status, .. } => format!(
            "{indent}smile_job_id {}\n{}",
            outcome.smile_job_id(),
            report::status(status, Some(job_type), indent)
        ),
        _ => format!(
            "{indent}submitted: smile_job_id {}; the result goes to the callback",
            outcome.smile_job_id()
        ),
    }
}

fn show_error(
    n: &mut Narrator,
    what: &str,
    err: Option<Error>,
    code: Option<&str>,
) -> Result<(), CliError> {
    let Some(err) = err else {
        return Err(CliError::failure(
            "demo",
            format!("demo expectation failed: {what} should be refused"),
        ));
    };
    let mut text = report::chain(&err);
    if let Error::InvalidInput { problems } = &err {
        text = format!(
            "invalid input, nothing was sent ({} problems):",
            problems.len()
        );
        for p in problems {
            text.push_str(&format!("\n     - {p}"));
        }
    }
    n.say(format!("   {what}: {text}"));
    n.steps.push(
        json!({"step": what, "error_code": err.code(), "job_may_exist": err.job_may_exist()}),
    );
    if code.is_some() && err.code() != code {
        return Err(CliError::failure(
            "demo",
            format!(
                "demo expectation failed: {what}: expected Smile code {}",
                code.unwrap_or("-")
            ),
        ));
    }
    Ok(())
}

/// Prints callbacks as they arrive until the final one for `job_id`; returns its code.
fn wait_for_final_callback(
    n: &Narrator,
    listener: &Listener,
    job_id: &str,
) -> Result<String, CliError> {
    let deadline = Instant::now() + CALLBACK_WAIT;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        let Some(event) = listener.next(left) else {
            break;
        };
        let Event::Callback {
            verified, class, ..
        } = event
        else {
            if let Event::Refused { error, .. } = event {
                return Err(CliError::failure(
                    "demo",
                    format!("a callback failed verification: {}", report::chain(&error)),
                ));
            }
            continue;
        };
        let callback = &verified.callback;
        let this_job = callback.job_id().map(|j| j.as_str()) == Some(job_id);
        n.say(format!(
            "   callback (signature verified) for job {}, {}:\n{}",
            callback.job_id().map_or("?", |j| j.as_str()),
            class.as_str().replace('_', " "),
            report::entry(callback, None, "     ")
        ));
        if this_job && callback.interpret(None).is_final {
            n.say("   ok: the final result arrived by callback");
            return Ok(callback
                .result_code
                .as_ref()
                .map_or_else(String::new, |c| c.as_str().to_owned()));
        }
    }
    Err(CliError::failure(
        "demo",
        format!(
            "no final callback for {job_id} within {}",
            report::duration(CALLBACK_WAIT)
        ),
    ))
}

/// A private temporary folder for the demo's image files, removed on drop.
struct ImageDir(PathBuf);

impl ImageDir {
    fn create() -> std::io::Result<Self> {
        let dir = std::env::temp_dir().join(format!("smile-demo-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        Ok(Self(dir))
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn write(&self, name: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
        let path = self.0.join(name);
        std::fs::write(&path, bytes)?;
        Ok(path)
    }
}

impl Drop for ImageDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

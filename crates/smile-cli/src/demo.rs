//! `smile demo`: SmartSelfie™ Authentication end to end on the embedded emulator, with no
//! account and no network beyond loopback.
//!
//! 1. enrol a user (job type 4) from a selfie;
//! 2. authenticate them (job type 2) with a selfie and 8 liveness frames read from files,
//!    waiting for the result with history and image links;
//! 3. a result that needs a human review: provisional on the poll, then the final result on the
//!    callback endpoint, whose signature is verified;
//! 4. what goes wrong: an unknown user (2210), a reused job id (2215), invalid input (nothing
//!    sent).

use std::error::Error as StdError;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use smile_blocking::types::PartnerId;
use smile_blocking::{
    CallbackVerifier, Error, Image, JobOptions, JobType, PartnerParams, Signer, WebApi,
};
use smile_emulator::{Emulator, RESULT_KEY};

use crate::receiver::Receiver;
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

/// Runs the demo; any unexpected outcome is an error (so the command fails loudly).
pub(crate) fn run() -> Result<(), Box<dyn StdError>> {
    println!("smile demo: SmartSelfie(TM) Authentication on the embedded Smile ID emulator\n");

    let emulator = Emulator::builder()
        .processing_delay(Duration::from_millis(300))
        .review_delay(Duration::from_secs(2))
        .start_blocking()?;
    println!(
        "emulator: {} (partner id {})",
        emulator.base_url(),
        emulator.partner_id()
    );

    // Step 3 of the product page: a callback endpoint. Its verifier holds the same credentials.
    let signer = Signer::new(
        PartnerId::new(emulator.partner_id()),
        emulator.api_key().clone(),
    );
    let receiver = Receiver::start(
        "127.0.0.1:0".parse().expect("a valid address literal"),
        CallbackVerifier::new(signer),
    )?;
    println!("callback endpoint: {}\n", receiver.url());

    // Steps 1 and 2: partner id and API key (here the emulator's), sandbox-like base URL.
    let api = WebApi::builder(emulator.partner_id(), emulator.api_key().clone())
        .base_url(emulator.base_url())
        .default_callback(receiver.url())
        .build()?;

    // Step 4: the user's selfie and 8 liveness frames, as files.
    let dir = ImageDir::create()?;
    let selfie = dir.write("selfie.jpg", SELFIE)?;
    let liveness = LIVENESS
        .iter()
        .enumerate()
        .map(|(i, bytes)| dir.write(&format!("liveness_{}.jpg", i + 1), bytes))
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

    println!("1. enrol {user_id} (job type 4, SmartSelfie Registration)");
    let enrol = api.submit_job(
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
    )?;
    report::outcome(&enrol, JobType::SmartSelfieRegistration, "   ");
    expect(enrol.is_final_approval(), "the enrolment is approved")?;

    println!("\n2. authenticate {user_id} (job type 2): selfie + 8 liveness frames");
    let auth = api.submit_job(
        auth_params("demo-job-auth"),
        images(),
        None,
        wait_for_result.clone(),
    )?;
    report::outcome(&auth, JobType::SmartSelfieAuthentication, "   ");
    expect(auth.is_final_approval(), "the user is authenticated")?;

    println!("\n3. a job that goes to human review (the emulator is asked for result 0824)");
    let review = api.submit_job(
        auth_params("demo-job-review").with_extra(RESULT_KEY, "0824"),
        images(),
        None,
        wait_for_result,
    )?;
    report::outcome(&review, JobType::SmartSelfieAuthentication, "   ");
    expect(
        !review.is_final() && !review.is_final_approval(),
        "the polled result is provisional, not an approval",
    )?;
    println!("   waiting for the final result on the callback endpoint...");
    wait_for_final_callback(&receiver, "demo-job-review")?;

    println!("\n4. what goes wrong, with typed errors");
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
    show_error("unknown user", unknown.err(), Some("2210"))?;

    let reused = api.submit_job(
        auth_params("demo-job-auth"),
        images(),
        None,
        JobOptions::default(),
    );
    show_error("job id used twice", reused.err(), Some("2215"))?;

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
    show_error("invalid input", invalid.err(), None)?;

    println!(
        "\ndemo complete: {} callbacks delivered by the emulator",
        emulator.state().callbacks().len()
    );
    Ok(())
}

fn expect(ok: bool, what: &str) -> Result<(), Box<dyn StdError>> {
    if ok {
        println!("   ok: {what}");
        Ok(())
    } else {
        Err(format!("demo expectation failed: {what}").into())
    }
}

fn show_error(what: &str, err: Option<Error>, code: Option<&str>) -> Result<(), Box<dyn StdError>> {
    let Some(err) = err else {
        return Err(format!("demo expectation failed: {what} should be refused").into());
    };
    println!(
        "   {what}: {}",
        report::client_error(&err).replace('\n', "\n   ")
    );
    if code.is_some() && err.code() != code {
        return Err(format!("demo expectation failed: {what}: expected code {code:?}").into());
    }
    Ok(())
}

/// Prints callbacks as they arrive until the final one for `job_id`.
fn wait_for_final_callback(receiver: &Receiver, job_id: &str) -> Result<(), Box<dyn StdError>> {
    let deadline = Instant::now() + CALLBACK_WAIT;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        let Some(delivery) = receiver.next(left) else {
            break;
        };
        let verified = delivery.map_err(|e| format!("a callback failed verification: {e}"))?;
        let callback = &verified.callback;
        let this_job = callback.job_id().map(|j| j.as_str()) == Some(job_id);
        println!(
            "   callback (signature verified) for job {}:",
            callback.job_id().map_or("?", |j| j.as_str())
        );
        report::entry(callback, None, "     ");
        if this_job && callback.interpret(None).is_final {
            println!("   ok: the final result arrived by callback");
            return Ok(());
        }
    }
    Err(format!("no final callback for {job_id} within {CALLBACK_WAIT:?}").into())
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

//! Shared by the `emulator_*` tests: both clients behind one small trait (so every scenario
//! runs against the blocking and the async client), fixtures, and a loopback callback receiver.
#![allow(dead_code, unreachable_pub)]

use std::io::{BufReader, Write as _};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::{Duration, SystemTime};

use smile_core::{Error, JobOutcome, JobStatusOptions, PollPolicy, RetryPolicy, SecretString};
use smile_emulator::Emulator;
use smile_package::Image;
use smile_sign::{CallbackVerifier, VerifiedCallback};
use smile_types::{JobOptions, JobStatusResponse, JobType, PartnerParams};

/// A selfie and eight liveness frames, as files.
pub fn images() -> Vec<Image> {
    smile_tests::seed_images()
}

/// Polls quickly: the emulator answers at once.
pub fn fast_polls() -> PollPolicy {
    PollPolicy::default()
        .with_initial_delay(Duration::ZERO)
        .with_intervals([Duration::from_millis(10)])
        .with_deadline(Duration::from_secs(30))
}

/// Retries quickly.
pub fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .with_initial_backoff(Duration::from_millis(10))
        .with_max_backoff(Duration::from_millis(50))
}

/// Waits for the job result (return_job_status).
pub fn polling() -> JobOptions {
    JobOptions {
        return_job_status: true,
        return_history: true,
        ..JobOptions::default()
    }
}

/// What a test needs from a client; implemented by the blocking and the async one.
pub trait Client {
    /// `"blocking"` or `"async"`, for messages.
    fn name(&self) -> &'static str;
    /// `submit_job` without id_info.
    fn submit(
        &self,
        partner_params: PartnerParams,
        images: Vec<Image>,
        options: JobOptions,
    ) -> Result<JobOutcome, Error>;
    /// `get_job_status`.
    fn status(
        &self,
        user_id: &str,
        job_id: &str,
        options: JobStatusOptions,
    ) -> Result<JobStatusResponse, Error>;
}

/// Client settings a test may change.
#[derive(Clone)]
pub struct Settings {
    pub api_key: SecretString,
    pub request_timeout: Option<Duration>,
    pub poll_policy: PollPolicy,
}

impl Settings {
    pub fn for_emulator(emulator: &Emulator) -> Self {
        Self {
            api_key: emulator.api_key().clone(),
            request_timeout: None,
            poll_policy: fast_polls(),
        }
    }
}

pub struct Blocking(smile_blocking::WebApi);

impl Client for Blocking {
    fn name(&self) -> &'static str {
        "blocking"
    }

    fn submit(
        &self,
        partner_params: PartnerParams,
        images: Vec<Image>,
        options: JobOptions,
    ) -> Result<JobOutcome, Error> {
        self.0.submit_job(partner_params, images, None, options)
    }

    fn status(
        &self,
        user_id: &str,
        job_id: &str,
        options: JobStatusOptions,
    ) -> Result<JobStatusResponse, Error> {
        self.0.get_job_status(user_id, job_id, options)
    }
}

pub struct Async {
    api: smile_async::WebApi,
    runtime: tokio::runtime::Runtime,
}

impl Client for Async {
    fn name(&self) -> &'static str {
        "async"
    }

    fn submit(
        &self,
        partner_params: PartnerParams,
        images: Vec<Image>,
        options: JobOptions,
    ) -> Result<JobOutcome, Error> {
        self.runtime
            .block_on(self.api.submit_job(partner_params, images, None, options))
    }

    fn status(
        &self,
        user_id: &str,
        job_id: &str,
        options: JobStatusOptions,
    ) -> Result<JobStatusResponse, Error> {
        self.runtime
            .block_on(self.api.get_job_status(user_id, job_id, options))
    }
}

/// Both clients, configured for `emulator` with `settings`.
pub fn clients(emulator: &Emulator, settings: &Settings) -> Vec<Box<dyn Client>> {
    // The builders have the same setters but no common trait.
    macro_rules! configured {
        ($api:ty) => {{
            let b = <$api>::builder(emulator.partner_id(), settings.api_key.clone())
                .base_url(emulator.base_url())
                .poll_policy(settings.poll_policy.clone())
                .retry_policy(fast_retries());
            match settings.request_timeout {
                Some(t) => b.request_timeout(t),
                None => b,
            }
        }};
    }
    let blocking = configured!(smile_blocking::WebApi);
    let asynchronous = configured!(smile_async::WebApi);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    vec![
        Box::new(Blocking(blocking.build().unwrap())),
        Box::new(Async {
            api: asynchronous.build().unwrap(),
            runtime,
        }),
    ]
}

/// A quick emulator on its own thread: results at once, reviews on request, fast callback
/// retries.
pub fn emulator() -> Emulator {
    Emulator::builder()
        .processing_delay(Duration::ZERO)
        .manual_review()
        .callback_retries(3, Duration::from_millis(10))
        .start_blocking()
        .unwrap()
}

/// Partner params for a job.
pub fn params(user_id: &str, job_id: &str, job_type: JobType) -> PartnerParams {
    PartnerParams::new(user_id, job_id, job_type)
}

/// Submits `job_type` for `user_id` / `job_id` with all [`images`] and [`polling`].
pub fn submit_polling(
    client: &dyn Client,
    user_id: &str,
    job_id: &str,
    job_type: JobType,
) -> Result<JobOutcome, Error> {
    client.submit(params(user_id, job_id, job_type), images(), polling())
}

/// The result code of the outcome's status (empty when there is none).
pub fn result_code(outcome: &JobOutcome) -> String {
    outcome
        .status()
        .and_then(|s| s.result_entry())
        .and_then(|e| e.result_code.as_ref())
        .map(|c| c.as_str().to_owned())
        .unwrap_or_default()
}

/// A callback receiver on 127.0.0.1 (a plain HTTP/1.1 listener on its own thread): every POST
/// body arrives on the channel and is answered 200.
pub struct Receiver {
    pub url: String,
    bodies: mpsc::Receiver<Vec<u8>>,
}

impl Receiver {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/callback", listener.local_addr().unwrap());
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                if let Some(body) = smile_tests::read_http_request_body(&mut reader) {
                    let _ = tx.send(body);
                }
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                );
            }
        });
        Self { url, bodies: rx }
    }

    /// The next callback body, verified with smile-sign's `CallbackVerifier` (panics after
    /// 20 s: a safety net, not a timing assertion).
    pub fn next_verified(&self, emulator: &Emulator) -> VerifiedCallback {
        let body = self
            .bodies
            .recv_timeout(Duration::from_secs(20))
            .expect("a callback within 20 s");
        CallbackVerifier::new(emulator.signer())
            .verify(&body, SystemTime::now())
            .unwrap_or_else(|e| {
                panic!(
                    "callback fails verification: {e}: {}",
                    String::from_utf8_lossy(&body)
                )
            })
    }
}

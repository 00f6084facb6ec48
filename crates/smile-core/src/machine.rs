//! The protocol state machines: [`SubmitJob`] ([protocol §5](smile_types::protocol#5-the-submit-job-flow-job-types-1-2-4-6-11)) and [`GetJobStatus`] (§7).
//!
//! A machine does no I/O and never reads the clock. A driver runs it in a short loop:
//!
//! ```text
//! loop {
//!     match machine.next(clock.now()) {
//!         Step::Send(request) => machine.on_response(transport.send(request)),
//!         Step::Wait(d)       => sleep(d),
//!         Step::Done(result)  => return result,
//!     }
//! }
//! ```
//!
//! Each request is signed with the `now` given to the `next` call that emits it. Time spent
//! (for the poll deadline and for ending a wait) is the larger of the wall-clock time between
//! those `now` values and the sum of the [`Step::Wait`] durations handed out since: the machine
//! assumes the driver slept at least what it was told. So a clock that stops (a
//! [`FixedClock`](smile_sign::FixedClock) nobody advances) or steps back can neither make
//! polling run forever nor stretch a wait past the deadline, and a test still drives the whole
//! flow with a fake clock and no real waiting.

use std::time::{Duration, SystemTime};

use smile_package::{LoadedJob, SubmitRequest, UploadContext};
use smile_sign::{SignedTimestamp, Signer};
use smile_types::{
    JobId, JobResult, JobStatusResponse, PrepUploadResponse, Problem, ProblemCode, Problems,
    SmileJobId, UserId,
};

use crate::config::{ClientConfig, SDK_VERSION, Timeouts};
use crate::error::{Error, bounded_text};
use crate::outcome::JobOutcome;
use crate::policy::{PollPolicy, RetryPolicy, is_transient_status, retry_after_of};
use crate::requests::{
    JobStatusParams, PrepUploadParams, job_status_body, json_post, prep_upload_body, upload_put,
};
use crate::responses::{api_error, is_success, parse_job_status, parse_prep_upload};
use crate::server::BaseUrl;
use crate::transport::{HttpRequest, HttpResponse, RequestKind, TransportFailure};

/// What a driver must do next.
#[must_use]
pub enum Step<T> {
    /// Send this request with the transport and hand the outcome to `on_response`.
    Send(HttpRequest),
    /// Sleep (at least) this long, then call `next` again. The machine counts the wait as
    /// done when `next` is called again: a driver that comes back early shortens it.
    Wait(Duration),
    /// The call is over.
    Done(Result<T, Error>),
}

impl<T: std::fmt::Debug> std::fmt::Debug for Step<T> {
    /// Shows a request as its method, URI without the query (presigned URLs carry credentials
    /// there) and body length, never the body.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Send(r) => write!(
                f,
                "Send({} {}{} [{} bytes])",
                r.method(),
                r.uri()
                    .scheme_str()
                    .map(|s| format!("{s}://"))
                    .unwrap_or_default(),
                r.uri()
                    .authority()
                    .map_or_else(String::new, |a| format!("{a}{}", r.uri().path())),
                r.body().len()
            ),
            Self::Wait(d) => f.debug_tuple("Wait").field(d).finish(),
            Self::Done(r) => f.debug_tuple("Done").field(r).finish(),
        }
    }
}

/// A sans-IO protocol machine (implemented by [`SubmitJob`] and [`GetJobStatus`]).
pub trait Machine {
    /// What the call returns.
    type Output;

    /// The next thing to do, given the current time. After [`Step::Send`], call
    /// [`on_response`](Self::on_response) before calling `next` again.
    fn next(&mut self, now: SystemTime) -> Step<Self::Output>;

    /// Hands over the transport's outcome for the request of the last [`Step::Send`].
    fn on_response(&mut self, response: Result<HttpResponse, TransportFailure>);
}

/// Options of a `get_job_status` call ([protocol §7.1](smile_types::protocol#71-request)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct JobStatusOptions {
    /// Ask for `history` (every result of the job).
    pub history: bool,
    /// Ask for `image_links` (signed URLs of the uploaded images).
    pub image_links: bool,
}

impl JobStatusOptions {
    /// Both `history` and `image_links`.
    #[must_use]
    pub fn all() -> Self {
        Self {
            history: true,
            image_links: true,
        }
    }
}

/// The transport outcome waiting to be processed.
enum Inbox {
    Idle,
    Waiting,
    Got(Result<HttpResponse, TransportFailure>),
    Misuse,
}

impl Inbox {
    fn accept(&mut self, r: Result<HttpResponse, TransportFailure>) {
        *self = match self {
            Self::Waiting => Self::Got(r),
            _ => Self::Misuse,
        };
    }

    /// The response to process now, or the misuse to report.
    fn take(&mut self) -> Result<Option<Result<HttpResponse, TransportFailure>>, Error> {
        match std::mem::replace(self, Self::Idle) {
            Self::Idle => Ok(None),
            Self::Got(r) => Ok(Some(r)),
            Self::Waiting => Err(Error::InvalidState(
                "next() was called before on_response() for the request it returned",
            )),
            Self::Misuse => Err(Error::InvalidState(
                "on_response() was called without a pending request",
            )),
        }
    }
}

/// A point in time as a machine sees it: the wall clock and the total waited so far.
#[derive(Clone, Copy, Debug)]
struct Mark {
    wall: SystemTime,
    waited: Duration,
}

/// The machine's own measure of time: the sum of the waits it handed out (the driver slept at
/// least that long) and the wait in progress. Elapsed time is the larger of the wall-clock
/// difference and the waits in between, so a stopped or backward clock cannot stall the
/// machine.
#[derive(Debug, Default)]
struct Waits {
    /// Sum of every `Step::Wait` handed out.
    total: Duration,
    /// The wait in progress: when it was scheduled and how long it is.
    current: Option<(Mark, Duration)>,
}

impl Waits {
    fn mark(&self, now: SystemTime) -> Mark {
        Mark {
            wall: now,
            waited: self.total,
        }
    }

    /// Time since `m`: wall-clock time or time waited, whichever is larger.
    fn since(&self, m: Mark, now: SystemTime) -> Duration {
        now.duration_since(m.wall)
            .unwrap_or(Duration::ZERO)
            .max(self.total.saturating_sub(m.waited))
    }

    /// Starts a wait of `d` from `now` (handed out by [`Self::resume`]).
    fn schedule(&mut self, now: SystemTime, d: Duration) {
        self.current = (!d.is_zero()).then(|| (self.mark(now), d));
    }

    fn cancel(&mut self) {
        self.current = None;
    }

    /// What is left of the wait in progress (counted as waited), or `None` when it is over.
    fn resume(&mut self, now: SystemTime) -> Option<Duration> {
        let (from, d) = self.current?;
        let left = d.saturating_sub(self.since(from, now));
        if left.is_zero() {
            self.current = None;
            return None;
        }
        self.total = self.total.saturating_add(left);
        Some(left)
    }
}

/// What both machines do at the start of `next`: process the response that arrived (or report
/// a misuse), then keep waiting while a backoff or poll delay is running.
trait Resume {
    type Output;

    /// The inbox and the waits.
    fn pending(&mut self) -> (&mut Inbox, &mut Waits);

    /// Processes a response; `Some` when it decides the next step.
    fn handle(
        &mut self,
        r: Result<HttpResponse, TransportFailure>,
        now: SystemTime,
    ) -> Option<Step<Self::Output>>;

    /// Ends the machine with this error.
    fn fail(&mut self, e: Error) -> Step<Self::Output>;

    /// `Some(step)` when a response, a misuse or a running wait decides the step; `None` when
    /// the machine should go on with its phase.
    fn resume(&mut self, now: SystemTime) -> Option<Step<Self::Output>> {
        match self.pending().0.take() {
            Err(e) => return Some(self.fail(e)),
            Ok(Some(r)) => {
                if let Some(step) = self.handle(r, now) {
                    return Some(step);
                }
            }
            Ok(None) => {}
        }
        self.pending().1.resume(now).map(Step::Wait)
    }
}

/// Why `upload_url` cannot be used as the `PUT` target ([protocol §1.1](smile_types::protocol#11-base-urls): an absolute http or
/// https URL, used verbatim), or `None` when it can. Never quotes the URL (its query is a
/// credential).
fn upload_url_problem(url: &str) -> Option<&'static str> {
    let Ok(uri) = url.parse::<http::Uri>() else {
        return Some("is not a valid URL");
    };
    if !matches!(uri.scheme_str(), Some("http" | "https")) {
        return Some("is not an http or https URL");
    }
    if uri.authority().is_none_or(|a| a.host().is_empty()) {
        return Some("has no host");
    }
    None
}

/// Where the submit flow is.
enum Phase {
    /// Send `POST /upload` (with `retry` as given).
    Prep { retry: bool },
    /// Waiting for the `POST /upload` response.
    AwaitPrep {
        retry: bool,
        signed: SignedTimestamp,
    },
    /// Send the zip `PUT`.
    Put,
    /// Waiting for the `PUT` response.
    AwaitPut,
    /// The `PUT` succeeded; polling starts at the next `next(now)`.
    Uploaded,
    /// Send the next poll.
    Poll,
    /// Waiting for a poll response.
    AwaitPoll,
    /// `Done` was returned.
    Finished,
}

/// The prepared upload: where to, and what `info.json` says. The zip itself is built when each
/// `PUT` is sent and moved into the request, so the job's images and one zip are the only
/// copies of the payload in memory (a transient retry rebuilds it from the loaded images).
struct Upload {
    url: String,
    signed: SignedTimestamp,
    server_information: serde_json::Map<String, serde_json::Value>,
    retry: bool,
    /// Retries of the `PUT` so far (transient failures).
    retries: u32,
}

/// Polling progress.
struct PollState {
    policy: PollPolicy,
    /// The end of the `PUT` (the deadline counts from there).
    started: Option<Mark>,
    polls: u32,
    consecutive_failures: u32,
    last_status: Option<Box<JobStatusResponse>>,
}

/// The `submit_job` flow ([protocol §5](smile_types::protocol#5-the-submit-job-flow-job-types-1-2-4-6-11)) as a state machine.
///
/// [`new`](Self::new) validates the job and reads every image (before any request, so bad
/// input never leaves an orphan job behind). Then the machine sends `POST /upload`, builds
/// `info.json` and the zip, `PUT`s it, and, when `return_job_status` is set, polls
/// `POST /job_status` on the [`PollPolicy`], verifying every response's signature.
///
/// Decisions it makes (all unit-tested without I/O):
///
/// * `POST /upload` is never retried; a transport failure there says the job may exist.
/// * Smile code 2215 ends with [`Error::JobAlreadyExists`], unless `resume_existing_job` is
///   set: then one re-prep with `retry: true` follows. On a re-prep after a refused `PUT`
///   (the job exists), 2215 and every other error is [`Error::Api`] (or `Transport`,
///   `UnexpectedResponse`) carrying the `smile_job_id`.
/// * A `PUT` answered 403 (expired or refused URL) triggers one re-prep with `retry: true`,
///   a rebuilt `info.json` (`retry: "true"`, new signature, new `server_information`) and a
///   new zip; at most one re-prep per job. Transient `PUT` failures are retried to the same
///   URL per the [`RetryPolicy`]. Any other failure is [`Error::UploadFailed`].
/// * Polling follows §5.8 (see [`PollPolicy`]); a completed status is returned as
///   [`JobOutcome::Completed`] with its interpretation (which may be **not final**).
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use smile_core::{ClientConfig, Machine, Step, SubmitJob};
/// use smile_package::{Image, SubmitRequest};
/// use smile_types::{JobOptions, JobType, PartnerParams};
///
/// let config = ClientConfig::builder("085", "key").build()?;
/// let jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0];
/// let request = SubmitRequest::new(
///     PartnerParams::new("user-1", "job-1", JobType::SmartSelfieAuthentication),
///     vec![Image::selfie_bytes(jpeg)],
/// )
/// .with_options(JobOptions { callback_url: Some("https://cb.example/x".into()), ..JobOptions::default() });
/// let mut job = SubmitJob::new(&config, request)?;
/// let Step::Send(prep) = job.next(UNIX_EPOCH + Duration::from_secs(1_704_067_200)) else { panic!() };
/// assert_eq!(prep.uri(), "https://testapi.smileidentity.com/v1/upload");
/// # Ok::<(), smile_core::Error>(())
/// ```
pub struct SubmitJob {
    signer: Signer,
    base: BaseUrl,
    user_agent: String,
    timeouts: Timeouts,
    retry_policy: RetryPolicy,
    job: LoadedJob,
    rng: fastrand::Rng,
    phase: Phase,
    inbox: Inbox,
    waits: Waits,
    smile_job_id: Option<SmileJobId>,
    reprep_used: bool,
    upload: Option<Upload>,
    poll: PollState,
}

impl std::fmt::Debug for SubmitJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubmitJob")
            .field("job_id", &self.job.partner_params().job_id)
            .field("smile_job_id", &self.smile_job_id)
            .field("polls", &self.poll.polls)
            .finish_non_exhaustive()
    }
}

fn invalid_input(problems: Problems) -> Error {
    Error::InvalidInput { problems }
}

impl SubmitJob {
    /// Validates `request` (every rule of [protocol §6.1](smile_types::protocol#61-submit_job-job-types-1-2-4-6-11)) and reads every image, applying
    /// the client's default callback when the job has none.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] listing every problem; nothing is sent.
    pub fn new(config: &ClientConfig, mut request: SubmitRequest) -> Result<Self, Error> {
        if request.default_callback_url.is_none() {
            request.default_callback_url = config.default_callback().map(str::to_owned);
        }
        let job = request.validate().map_err(invalid_input)?;
        Ok(Self::from_loaded(config, job))
    }

    /// A machine for an already validated job.
    #[must_use]
    pub fn from_loaded(config: &ClientConfig, job: LoadedJob) -> Self {
        Self {
            signer: config.signer().clone(),
            base: config.base_url().clone(),
            user_agent: config.user_agent().to_owned(),
            timeouts: config.timeouts(),
            retry_policy: config.retry_policy().clone(),
            job,
            rng: fastrand::Rng::new(),
            phase: Phase::Prep { retry: false },
            inbox: Inbox::Idle,
            waits: Waits::default(),
            smile_job_id: None,
            reprep_used: false,
            upload: None,
            poll: PollState {
                policy: config.poll_policy().clone(),
                started: None,
                polls: 0,
                consecutive_failures: 0,
                last_status: None,
            },
        }
    }

    /// Uses `policy` for this job instead of the client's poll policy.
    ///
    /// # Errors
    /// [`Error::Config`] when the policy is not usable.
    pub fn with_poll_policy(mut self, policy: PollPolicy) -> Result<Self, Error> {
        policy.validate()?;
        self.poll.policy = policy;
        Ok(self)
    }

    /// Seeds the jitter of retry backoffs (for reproducible tests).
    #[must_use]
    pub fn with_rng_seed(mut self, seed: u64) -> Self {
        self.rng = fastrand::Rng::with_seed(seed);
        self
    }

    /// The validated job.
    #[must_use]
    pub fn job(&self) -> &LoadedJob {
        &self.job
    }

    /// The Smile job id, once `POST /upload` succeeded.
    #[must_use]
    pub fn smile_job_id(&self) -> Option<&SmileJobId> {
        self.smile_job_id.as_ref()
    }

    /// How many polls were sent so far.
    #[must_use]
    pub fn polls(&self) -> u32 {
        self.poll.polls
    }

    fn job_id(&self) -> &JobId {
        &self.job.partner_params().job_id
    }

    fn finish(&mut self, r: Result<JobOutcome, Error>) -> Step<JobOutcome> {
        self.phase = Phase::Finished;
        self.upload = None;
        Step::Done(r)
    }

    fn upload_failed(
        &mut self,
        status: Option<http::StatusCode>,
        body: &[u8],
        source: Option<TransportFailure>,
    ) -> Step<JobOutcome> {
        let e = match self.smile_job_id.clone() {
            Some(smile_job_id) => Error::UploadFailed {
                smile_job_id,
                job_id: self.job_id().clone(),
                status,
                body: bounded_text(body),
                source: source.map(Box::new),
            },
            None => Error::InvalidState("upload failed before a job was created"),
        };
        self.fail(e)
    }

    // -- request builders -----------------------------------------------------------------

    fn prep_request(&mut self, retry: bool, now: SystemTime) -> Step<JobOutcome> {
        let signed = self.signer.sign_at(now);
        let body = prep_upload_body(&PrepUploadParams {
            partner_id: self.signer.partner_id(),
            partner_params: self.job.partner_params(),
            callback_url: self.job.callback_url(),
            use_enrolled_image: self.job.options().use_enrolled_image,
            retry,
            sdk_version: SDK_VERSION,
            signed: &signed,
        });
        let Some(req) = json_post(
            &self.base,
            "upload",
            body,
            &self.user_agent,
            RequestKind::PrepUpload,
            self.timeouts.request,
        ) else {
            return self.fail(Error::InvalidState(
                "the prep-upload request could not be built",
            ));
        };
        tracing::debug!(job_id = %self.job_id(), retry, "POST /upload");
        self.phase = Phase::AwaitPrep { retry, signed };
        self.inbox = Inbox::Waiting;
        Step::Send(req)
    }

    fn put_request(&mut self) -> Step<JobOutcome> {
        let Some(up) = &self.upload else {
            return self.fail(Error::InvalidState("no upload prepared"));
        };
        let ctx = UploadContext::new(
            self.signer.partner_id(),
            &up.signed.timestamp,
            &up.signed.signature,
            &up.server_information,
        )
        .with_retry(up.retry);
        let zip = match self.job.build_zip(&ctx) {
            Ok(z) => z,
            Err(source) => {
                let Some(smile_job_id) = self.smile_job_id.clone() else {
                    return self.fail(Error::InvalidState("an upload without a smile_job_id"));
                };
                return self.fail(Error::Package {
                    smile_job_id,
                    source,
                });
            }
        };
        let bytes = zip.len();
        match upload_put(&up.url, zip, self.timeouts.upload) {
            Ok(req) => {
                tracing::debug!(smile_job_id = ?self.smile_job_id, bytes, retry = up.retries, "PUT upload_url");
                self.phase = Phase::AwaitPut;
                self.inbox = Inbox::Waiting;
                Step::Send(req)
            }
            // Checked when the prep-upload response was accepted.
            Err(_) => self.fail(Error::InvalidState("the upload URL became unusable")),
        }
    }

    /// Sends the next poll, or gives up when the deadline has passed.
    fn poll_now(&mut self, now: SystemTime) -> Step<JobOutcome> {
        match self.deadline_left(now) {
            Some(left) => self.poll_request(now, left),
            None => self.poll_timeout(now),
        }
    }

    fn poll_request(&mut self, now: SystemTime, left: Duration) -> Step<JobOutcome> {
        let signed = self.signer.sign_at(now);
        let options = self.job.options();
        let pp = self.job.partner_params();
        let body = job_status_body(&JobStatusParams {
            partner_id: self.signer.partner_id(),
            user_id: &pp.user_id,
            job_id: &pp.job_id,
            image_links: options.return_image_links,
            history: options.return_history,
            signed: &signed,
        });
        let Some(req) = json_post(
            &self.base,
            "job_status",
            body,
            &self.user_agent,
            RequestKind::JobStatus,
            self.timeouts.request.min(left),
        ) else {
            return self.fail(Error::InvalidState(
                "the job-status request could not be built",
            ));
        };
        self.poll.polls += 1;
        tracing::debug!(smile_job_id = ?self.smile_job_id, poll = self.poll.polls, "POST /job_status");
        self.phase = Phase::AwaitPoll;
        self.inbox = Inbox::Waiting;
        Step::Send(req)
    }

    // -- response handlers ------------------------------------------------------------------

    /// Handles the `POST /upload` outcome; returns a terminal step if the flow ends.
    fn on_prep(
        &mut self,
        r: Result<HttpResponse, TransportFailure>,
        retry: bool,
        signed: &SignedTimestamp,
    ) -> Option<Step<JobOutcome>> {
        let during = RequestKind::PrepUpload;
        let resp = match r {
            Ok(resp) => resp,
            // Never retried: the request may have created the job (§2.4, §5.10).
            Err(source) => {
                return Some(self.fail(Error::Transport {
                    during,
                    smile_job_id: self.smile_job_id.clone(),
                    source,
                }));
            }
        };
        if !is_success(resp.status()) {
            let e = api_error(during, &resp, self.smile_job_id.as_ref());
            // After a job was created (a re-prep after a refused PUT), 2215 or any other error
            // is reported as is: an `Api` error carrying the known smile_job_id, never "use
            // a new job_id".
            if e.code() == Some("2215") && self.smile_job_id.is_none() {
                if self.job.options().resume_existing_job && !retry && !self.reprep_used {
                    tracing::info!(job_id = %self.job_id(), "2215: job exists, re-prepping with retry: true");
                    self.reprep_used = true;
                    self.phase = Phase::Prep { retry: true };
                    return None;
                }
                let message = match &e {
                    Error::Api { message, .. } => message.clone(),
                    _ => None,
                };
                return Some(self.fail(Error::JobAlreadyExists {
                    job_id: self.job_id().clone(),
                    message,
                }));
            }
            return Some(self.fail(e));
        }
        let prep = match parse_prep_upload(&resp, self.smile_job_id.as_ref()) {
            Ok(p) => p,
            Err(e) => return Some(self.fail(e)),
        };
        self.accept_prep(prep, &resp, retry, signed)
    }

    fn accept_prep(
        &mut self,
        prep: PrepUploadResponse,
        resp: &HttpResponse,
        retry: bool,
        signed: &SignedTimestamp,
    ) -> Option<Step<JobOutcome>> {
        if let Some(old) = &self.smile_job_id
            && *old != prep.smile_job_id
        {
            tracing::warn!(old = %old, new = %prep.smile_job_id, "re-prep returned another smile_job_id");
        }
        self.smile_job_id = Some(prep.smile_job_id.clone());
        if let Some(problem) = upload_url_problem(&prep.upload_url) {
            // The body again, without the URL: a presigned URL's query is a credential.
            let mut redacted = prep.raw;
            redacted.insert("upload_url".into(), "[redacted]".into());
            let body = serde_json::to_vec(&redacted).unwrap_or_default();
            return Some(self.fail(Error::UnexpectedResponse {
                during: RequestKind::PrepUpload,
                status: resp.status(),
                problem: format!("response field `upload_url` {problem}"),
                body: bounded_text(&body),
                smile_job_id: self.smile_job_id.clone(),
            }));
        }
        self.upload = Some(Upload {
            url: prep.upload_url,
            signed: signed.clone(),
            server_information: prep.raw,
            retry,
            retries: 0,
        });
        self.waits.cancel();
        self.phase = Phase::Put;
        None
    }

    fn on_put(
        &mut self,
        r: Result<HttpResponse, TransportFailure>,
        now: SystemTime,
    ) -> Option<Step<JobOutcome>> {
        let (status, retry_after, body, failure) = match r {
            Ok(resp) if is_success(resp.status()) => {
                self.upload = None;
                self.phase = Phase::Uploaded;
                return None;
            }
            Ok(resp) if resp.status() == http::StatusCode::FORBIDDEN => {
                if self.reprep_used {
                    return Some(self.upload_failed(Some(resp.status()), resp.body(), None));
                }
                tracing::info!(smile_job_id = ?self.smile_job_id, "PUT 403 (upload URL expired or refused): re-prepping with retry: true");
                self.reprep_used = true;
                self.upload = None;
                self.phase = Phase::Prep { retry: true };
                return None;
            }
            Ok(resp) if is_transient_status(resp.status()) => {
                let ra = retry_after_of(resp.headers(), now);
                (Some(resp.status()), ra, resp.into_body(), None)
            }
            Ok(resp) => return Some(self.upload_failed(Some(resp.status()), resp.body(), None)),
            Err(f) if f.is_transient() => (None, None, Vec::new(), Some(f)),
            Err(f) => return Some(self.upload_failed(None, &[], Some(f))),
        };
        let Some(up) = self.upload.as_mut() else {
            return Some(self.fail(Error::InvalidState("no upload prepared")));
        };
        up.retries += 1;
        match self
            .retry_policy
            .delay_for(up.retries, retry_after, &mut self.rng)
        {
            Some(d) => {
                tracing::debug!(retry = up.retries, delay = ?d, "PUT failed transiently; retrying");
                self.waits.schedule(now, d);
                self.phase = Phase::Put;
                None
            }
            None => Some(self.upload_failed(status, &body, failure)),
        }
    }

    /// Time since the end of the `PUT` (see [`Waits::since`]).
    fn poll_elapsed(&self, now: SystemTime) -> Duration {
        self.poll
            .started
            .map_or(Duration::ZERO, |m| self.waits.since(m, now))
    }

    /// What is left until the poll deadline; `None` when it has passed.
    fn deadline_left(&self, now: SystemTime) -> Option<Duration> {
        self.poll
            .policy
            .deadline()
            .checked_sub(self.poll_elapsed(now))
            .filter(|left| !left.is_zero())
    }

    /// Whether a wait of `delay` from `now` ends before the deadline (an overflow counts as
    /// past it).
    fn ends_before_deadline(&self, now: SystemTime, delay: Duration) -> bool {
        self.poll_elapsed(now)
            .checked_add(delay)
            .is_some_and(|end| end < self.poll.policy.deadline())
    }

    fn poll_timeout(&mut self, now: SystemTime) -> Step<JobOutcome> {
        let elapsed = self.poll_elapsed(now);
        let e = match self.smile_job_id.clone() {
            Some(smile_job_id) => Error::PollTimeout {
                smile_job_id,
                job_id: self.job_id().clone(),
                polls: self.poll.polls,
                elapsed,
                last_status: self.poll.last_status.take(),
            },
            None => Error::InvalidState("polling without a job"),
        };
        self.fail(e)
    }

    /// Schedules the next poll after `self.poll.polls` polls, or gives up.
    fn schedule_poll(
        &mut self,
        retry_after: Option<Duration>,
        now: SystemTime,
    ) -> Option<Step<JobOutcome>> {
        if let Some(max) = self.poll.policy.max_polls()
            && self.poll.polls >= max
        {
            return Some(self.poll_timeout(now));
        }
        let mut delay = self.poll.policy.interval_after(self.poll.polls);
        if let Some(ra) = retry_after {
            delay = delay.max(ra);
        }
        if self.ends_before_deadline(now, delay) {
            self.waits.schedule(now, delay);
            self.phase = Phase::Poll;
            None
        } else {
            Some(self.poll_timeout(now))
        }
    }

    fn transient_poll_failure(
        &mut self,
        e: Error,
        retry_after: Option<Duration>,
        now: SystemTime,
    ) -> Option<Step<JobOutcome>> {
        self.poll.consecutive_failures += 1;
        if self.poll.consecutive_failures > self.poll.policy.max_consecutive_transient_failures() {
            return Some(self.fail(e));
        }
        tracing::debug!(error = %e, failures = self.poll.consecutive_failures, "poll failed transiently");
        self.schedule_poll(retry_after, now)
    }

    fn on_poll(
        &mut self,
        r: Result<HttpResponse, TransportFailure>,
        now: SystemTime,
    ) -> Option<Step<JobOutcome>> {
        let during = RequestKind::JobStatus;
        let resp = match r {
            Ok(resp) => resp,
            Err(source) => {
                let transient = source.is_transient();
                let e = Error::Transport {
                    during,
                    smile_job_id: self.smile_job_id.clone(),
                    source,
                };
                return if transient {
                    self.transient_poll_failure(e, None, now)
                } else {
                    Some(self.fail(e))
                };
            }
        };
        if !is_success(resp.status()) {
            let e = api_error(during, &resp, self.smile_job_id.as_ref());
            return if is_transient_status(resp.status()) {
                let ra = retry_after_of(resp.headers(), now);
                self.transient_poll_failure(e, ra, now)
            } else {
                Some(self.fail(e))
            };
        }
        let status = match parse_job_status(
            &resp,
            &self.signer,
            &self.job.partner_params().job_id,
            self.smile_job_id.as_ref(),
        ) {
            Ok(s) => s,
            Err(e) => return Some(self.fail(e)),
        };
        self.poll.consecutive_failures = 0;
        if status.is_complete() {
            return Some(self.complete(status, &resp));
        }
        self.poll.last_status = Some(Box::new(status));
        self.schedule_poll(None, now)
    }

    fn complete(&mut self, status: JobStatusResponse, resp: &HttpResponse) -> Step<JobOutcome> {
        let Some(smile_job_id) = self.smile_job_id.clone() else {
            return self.fail(Error::InvalidState("polling without a job"));
        };
        let job_id = self.job_id().clone();
        let entry = match &status.result {
            JobResult::Entry(e) => e,
            JobResult::Message(m) => {
                let message = Some(m.clone());
                return self.fail(Error::NoResult {
                    smile_job_id,
                    job_id,
                    message,
                    status: Box::new(status),
                });
            }
            _ => {
                return self.fail(Error::NoResult {
                    smile_job_id,
                    job_id,
                    message: None,
                    status: Box::new(status),
                });
            }
        };
        if let Some(echoed) = entry.job_id()
            && *echoed != job_id
        {
            return self.fail(Error::UnexpectedResponse {
                during: RequestKind::JobStatus,
                status: resp.status(),
                problem: format!("the result is for job_id {echoed}, not {job_id}"),
                body: bounded_text(resp.body()),
                smile_job_id: Some(smile_job_id),
            });
        }
        let interpretation = entry.interpret(self.job.job_type());
        if !interpretation.is_final {
            tracing::info!(
                smile_job_id = %smile_job_id,
                code = ?interpretation.code,
                "job complete but the result is not final: the final result arrives by callback"
            );
        }
        self.finish(Ok(JobOutcome::Completed {
            smile_job_id,
            status: Box::new(status),
            interpretation,
        }))
    }

    fn submitted(&mut self) -> Step<JobOutcome> {
        let Some(smile_job_id) = self.smile_job_id.clone() else {
            return self.fail(Error::InvalidState("submitted without a job"));
        };
        let pp = self.job.partner_params();
        let outcome = JobOutcome::Submitted {
            smile_job_id,
            user_id: pp.user_id.clone(),
            job_id: pp.job_id.clone(),
            job_type: pp.job_type,
        };
        self.finish(Ok(outcome))
    }
}

impl Resume for SubmitJob {
    type Output = JobOutcome;

    fn pending(&mut self) -> (&mut Inbox, &mut Waits) {
        (&mut self.inbox, &mut self.waits)
    }

    fn handle(
        &mut self,
        r: Result<HttpResponse, TransportFailure>,
        now: SystemTime,
    ) -> Option<Step<JobOutcome>> {
        match std::mem::replace(&mut self.phase, Phase::Finished) {
            Phase::AwaitPrep { retry, signed } => self.on_prep(r, retry, &signed),
            Phase::AwaitPut => self.on_put(r, now),
            Phase::AwaitPoll => self.on_poll(r, now),
            _ => Some(self.fail(Error::InvalidState("a response arrived in the wrong phase"))),
        }
    }

    fn fail(&mut self, e: Error) -> Step<JobOutcome> {
        self.finish(Err(e))
    }
}

impl Machine for SubmitJob {
    type Output = JobOutcome;

    fn next(&mut self, now: SystemTime) -> Step<JobOutcome> {
        if matches!(self.phase, Phase::Finished) {
            return Step::Done(Err(Error::InvalidState("the job has already finished")));
        }
        if let Some(step) = self.resume(now) {
            return step;
        }
        match std::mem::replace(&mut self.phase, Phase::Finished) {
            Phase::Prep { retry } => self.prep_request(retry, now),
            Phase::Put => self.put_request(),
            Phase::Uploaded => {
                if !self.job.options().return_job_status {
                    return self.submitted();
                }
                self.poll.started = Some(self.waits.mark(now));
                let delay = self.poll.policy.initial_delay();
                if !self.ends_before_deadline(now, delay) {
                    return self.poll_timeout(now);
                }
                self.phase = Phase::Poll;
                self.waits.schedule(now, delay);
                match self.waits.resume(now) {
                    Some(d) => Step::Wait(d),
                    None => self.poll_now(now),
                }
            }
            Phase::Poll => self.poll_now(now),
            Phase::AwaitPrep { .. } | Phase::AwaitPut | Phase::AwaitPoll => {
                self.fail(Error::InvalidState(
                    "next() was called before on_response() for the request it returned",
                ))
            }
            Phase::Finished => Step::Done(Err(Error::InvalidState("the job has already finished"))),
        }
    }

    fn on_response(&mut self, response: Result<HttpResponse, TransportFailure>) {
        self.inbox.accept(response);
    }
}

/// A `get_job_status` call ([protocol §7](smile_types::protocol#7-job-status)) as a state machine: one signed
/// `POST /job_status`, retried on transient failures per the [`RetryPolicy`] (signed afresh
/// each time), the response's signature verified.
pub struct GetJobStatus {
    signer: Signer,
    base: BaseUrl,
    user_agent: String,
    timeout: Duration,
    retry_policy: RetryPolicy,
    user_id: UserId,
    job_id: JobId,
    options: JobStatusOptions,
    rng: fastrand::Rng,
    inbox: Inbox,
    retries: u32,
    waits: Waits,
    finished: bool,
}

impl std::fmt::Debug for GetJobStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GetJobStatus")
            .field("user_id", &self.user_id)
            .field("job_id", &self.job_id)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl GetJobStatus {
    /// A status query for (`user_id`, `job_id`).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when `user_id` or `job_id` is empty; nothing is sent.
    pub fn new(
        config: &ClientConfig,
        user_id: impl Into<UserId>,
        job_id: impl Into<JobId>,
        options: JobStatusOptions,
    ) -> Result<Self, Error> {
        let user_id = user_id.into();
        let job_id = job_id.into();
        let mut problems = Problems::new();
        if user_id.as_str().trim().is_empty() {
            problems.push(Problem::new(
                ProblemCode::UserIdMissing,
                "user_id",
                "user_id must not be empty",
            ));
        }
        if job_id.as_str().trim().is_empty() {
            problems.push(Problem::new(
                ProblemCode::JobIdMissing,
                "job_id",
                "job_id must not be empty",
            ));
        }
        problems.into_result().map_err(invalid_input)?;
        Ok(Self {
            signer: config.signer().clone(),
            base: config.base_url().clone(),
            user_agent: config.user_agent().to_owned(),
            timeout: config.timeouts().request,
            retry_policy: config.retry_policy().clone(),
            user_id,
            job_id,
            options,
            rng: fastrand::Rng::new(),
            inbox: Inbox::Idle,
            retries: 0,
            waits: Waits::default(),
            finished: false,
        })
    }

    /// Seeds the jitter of retry backoffs (for reproducible tests).
    #[must_use]
    pub fn with_rng_seed(mut self, seed: u64) -> Self {
        self.rng = fastrand::Rng::with_seed(seed);
        self
    }

    fn done(&mut self, r: Result<JobStatusResponse, Error>) -> Step<JobStatusResponse> {
        self.finished = true;
        Step::Done(r)
    }

    fn retry_or_fail(
        &mut self,
        e: Error,
        retry_after: Option<Duration>,
        now: SystemTime,
    ) -> Option<Step<JobStatusResponse>> {
        self.retries += 1;
        match self
            .retry_policy
            .delay_for(self.retries, retry_after, &mut self.rng)
        {
            Some(d) => {
                self.waits.schedule(now, d);
                None
            }
            None => Some(self.done(Err(e))),
        }
    }
}

impl Resume for GetJobStatus {
    type Output = JobStatusResponse;

    fn pending(&mut self) -> (&mut Inbox, &mut Waits) {
        (&mut self.inbox, &mut self.waits)
    }

    fn fail(&mut self, e: Error) -> Step<JobStatusResponse> {
        self.done(Err(e))
    }

    fn handle(
        &mut self,
        r: Result<HttpResponse, TransportFailure>,
        now: SystemTime,
    ) -> Option<Step<JobStatusResponse>> {
        let during = RequestKind::JobStatus;
        match r {
            Err(source) => {
                let transient = source.is_transient();
                let e = Error::Transport {
                    during,
                    smile_job_id: None,
                    source,
                };
                if transient {
                    self.retry_or_fail(e, None, now)
                } else {
                    Some(self.done(Err(e)))
                }
            }
            Ok(resp) if !is_success(resp.status()) => {
                let e = api_error(during, &resp, None);
                if is_transient_status(resp.status()) {
                    let ra = retry_after_of(resp.headers(), now);
                    self.retry_or_fail(e, ra, now)
                } else {
                    Some(self.done(Err(e)))
                }
            }
            Ok(resp) => {
                let r = parse_job_status(&resp, &self.signer, &self.job_id, None);
                Some(self.done(r))
            }
        }
    }
}

impl Machine for GetJobStatus {
    type Output = JobStatusResponse;

    fn next(&mut self, now: SystemTime) -> Step<JobStatusResponse> {
        if self.finished {
            return Step::Done(Err(Error::InvalidState("the call has already finished")));
        }
        if let Some(step) = self.resume(now) {
            return step;
        }
        let signed = self.signer.sign_at(now);
        let body = job_status_body(&JobStatusParams {
            partner_id: self.signer.partner_id(),
            user_id: &self.user_id,
            job_id: &self.job_id,
            image_links: self.options.image_links,
            history: self.options.history,
            signed: &signed,
        });
        match json_post(
            &self.base,
            "job_status",
            body,
            &self.user_agent,
            RequestKind::JobStatus,
            self.timeout,
        ) {
            Some(req) => {
                self.inbox = Inbox::Waiting;
                Step::Send(req)
            }
            None => self.done(Err(Error::InvalidState(
                "the job-status request could not be built",
            ))),
        }
    }

    fn on_response(&mut self, response: Result<HttpResponse, TransportFailure>) {
        self.inbox.accept(response);
    }
}

//! The image-job flow ([protocol §5](smile_types::protocol#5-the-submit-job-flow-job-types-1-2-4-6-11))
//! as one machine with three phases that can also run apart:
//!
//! - [`CreateJob`]: validation and `POST /upload`; returns a [`CreatedJob`] (the
//!   `smile_job_id` and the upload URL) **before any image is sent**, so a caller can store it;
//! - [`UploadJob`]: the zip `PUT` for a stored [`CreatedJob`] (a re-prep with `retry: true` if
//!   its URL has expired), then the result per the options;
//! - [`WaitForResult`]: polls `POST /job_status` until the job completes or the deadline.
//!
//! [`SubmitJob`] runs the three at once (what `submit_job` does), and [`SubmitJob::resume`]
//! finishes a job that may exist (same `job_id`, `retry: true`, [protocol §5.10](smile_types::protocol#510-error-2215-and-the-retry-true-re-prep)).

use std::fmt;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use smile_package::{LoadedJob, SubmitRequest, UploadContext};
use smile_sign::{SignedTimestamp, Signer};
use smile_types::{
    JobId, JobOptions, JobResult, JobStatusResponse, PartnerParams, PrepUploadResponse,
    ProblemCode, Problems, SmileJobId,
};

use super::{Inbox, Machine, Mark, Resume, Step, Waits};
use crate::config::{ClientConfig, SDK_VERSION, Timeouts};
use crate::endpoint::JobStatusOptions;
use crate::error::{Error, bounded_text};
use crate::outcome::JobOutcome;
use crate::policy::{PollPolicy, RetryPolicy, is_transient_status, retry_after_of};
use crate::requests::{
    JobStatusParams, PrepUploadParams, job_status_body, json_post, prep_upload_body, upload_put,
};
use crate::responses::{
    Seen, api_error_seen, is_success, parse_job_status, parse_prep_upload_seen, unexpected,
};
use crate::server::BaseUrl;
use crate::transport::{HttpResponse, RequestKind, TransportFailure};

/// Why `upload_url` cannot be used as the `PUT` target ([protocol §1.1](smile_types::protocol#11-base-urls):
/// an absolute http or https URL, used verbatim), or `None` when it can. Never quotes the URL
/// (its query is a credential).
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

/// `scheme://host/path` of a URL, without its query (a presigned URL's query is a credential).
fn without_query(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or(url)
}

/// A job that `POST /upload` created: what is needed to upload its zip later, in this process
/// or after a restart. Serialize it (serde) to store it; its `Debug` output hides the upload
/// URL's query (a credential).
///
/// ```
/// use smile_core::CreatedJob;
/// use smile_types::{JobType, PartnerParams};
///
/// let job = CreatedJob::new(
///     "0000000042".into(),
///     PartnerParams::new("user-1", "job-1", JobType::SmartSelfieAuthentication),
///     "https://uploads.example/x.zip?X-Amz-Signature=secret",
/// );
/// let stored = serde_json::to_string(&job)?;
/// let back: CreatedJob = serde_json::from_str(&stored)?;
/// assert_eq!(back, job);
/// assert!(!format!("{job:?}").contains("secret"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CreatedJob {
    /// The server's id of the job.
    pub smile_job_id: SmileJobId,
    /// The partner params sent (user, job, job type, extras).
    pub partner_params: PartnerParams,
    /// The presigned URL to `PUT` the zip to (it expires).
    pub upload_url: String,
    /// The whole `POST /upload` answer: `info.json`'s `server_information`.
    #[serde(default)]
    pub server_information: Map<String, Value>,
    /// Whether it came from a `retry: true` prep (the zip's `info.json` says so).
    #[serde(default)]
    pub retry: bool,
}

impl CreatedJob {
    /// A created job from its parts (`server_information` empty, `retry` false).
    #[must_use]
    pub fn new(
        smile_job_id: SmileJobId,
        partner_params: PartnerParams,
        upload_url: impl Into<String>,
    ) -> Self {
        Self {
            smile_job_id,
            partner_params,
            upload_url: upload_url.into(),
            server_information: Map::new(),
            retry: false,
        }
    }

    /// The partner's job id.
    #[must_use]
    pub fn job_id(&self) -> &JobId {
        &self.partner_params.job_id
    }
}

impl fmt::Debug for CreatedJob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreatedJob")
            .field("smile_job_id", &self.smile_job_id)
            .field("job_id", &self.partner_params.job_id)
            .field("job_type", &self.partner_params.job_type.code())
            .field("upload_url", &without_query(&self.upload_url))
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

/// Where the flow is.
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
    /// The `PUT` succeeded; polling (if asked for) starts at the next `next(now)`.
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
    /// The prep's timestamp and signature, reused in `info.json`; `None` (an upload resumed
    /// from a stored [`CreatedJob`]) signs afresh.
    signed: Option<SignedTimestamp>,
    server_information: Map<String, Value>,
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
    /// The last poll's failure and its `Retry-After` (cleared by a good poll).
    last_failure: Option<(Error, Option<Duration>)>,
    history: bool,
    image_links: bool,
}

/// Where the flow stops.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// After `POST /upload` succeeded ([`CreateJob`]).
    Created,
    /// At the end ([`JobOutcome`]).
    End,
}

/// What the flow ends with.
enum Reached {
    Created(CreatedJob),
    Outcome(JobOutcome),
}

/// The flow itself; the public machines wrap it.
struct Flow {
    signer: Signer,
    base: BaseUrl,
    user_agent: String,
    timeouts: Timeouts,
    retry_policy: RetryPolicy,
    allow_insecure_upload_url: bool,
    params: PartnerParams,
    options: JobOptions,
    /// The validated job with its images (absent for [`WaitForResult`]).
    job: Option<LoadedJob>,
    rng: fastrand::Rng,
    phase: Phase,
    inbox: Inbox,
    waits: Waits,
    smile_job_id: Option<SmileJobId>,
    /// A 2215 said the job exists (its smile_job_id may still be unknown).
    job_exists: bool,
    reprep_used: bool,
    upload: Option<Upload>,
    poll: PollState,
    stop: Stop,
    span: tracing::Span,
}

fn invalid_input(problems: Problems) -> Error {
    Error::InvalidInput { problems }
}

impl Flow {
    fn new(
        config: &ClientConfig,
        params: PartnerParams,
        options: JobOptions,
        job: Option<LoadedJob>,
        phase: Phase,
        stop: Stop,
    ) -> Self {
        let span = tracing::info_span!(
            "smile.job",
            job_id = params.job_id.as_str(),
            job_type = params.job_type.code(),
            smile_job_id = tracing::field::Empty,
        );
        let (history, image_links) = (options.return_history, options.return_image_links);
        Self {
            signer: config.signer().clone(),
            base: config.base_url().clone(),
            user_agent: config.user_agent().to_owned(),
            timeouts: config.timeouts(),
            retry_policy: config.retry_policy().clone(),
            allow_insecure_upload_url: config.allow_insecure_upload_url(),
            params,
            options,
            job,
            rng: fastrand::Rng::new(),
            phase,
            inbox: Inbox::Idle,
            waits: Waits::default(),
            smile_job_id: None,
            job_exists: false,
            reprep_used: false,
            upload: None,
            poll: PollState {
                policy: config.poll_policy().clone(),
                started: None,
                polls: 0,
                consecutive_failures: 0,
                last_status: None,
                last_failure: None,
                history,
                image_links,
            },
            stop,
            span,
        }
    }

    /// A flow for a validated request, starting with `POST /upload`.
    fn from_request(
        config: &ClientConfig,
        mut request: SubmitRequest,
        retry: bool,
        stop: Stop,
    ) -> Result<Self, Error> {
        if request.default_callback_url.is_none() {
            request.default_callback_url = config.default_callback().map(str::to_owned);
        }
        let job = request.validate().map_err(invalid_input)?;
        Ok(Self::new(
            config,
            job.partner_params().clone(),
            job.options().clone(),
            Some(job),
            Phase::Prep { retry },
            stop,
        ))
    }

    fn job_id(&self) -> &JobId {
        &self.params.job_id
    }

    fn seen(&self) -> Seen {
        Seen {
            smile_job_id: self.smile_job_id.clone(),
            job_exists: self.job_exists,
        }
    }

    fn learn(&mut self, id: SmileJobId) {
        if let Some(old) = &self.smile_job_id
            && *old != id
        {
            tracing::warn!(old = %old, new = %id, "re-prep returned another smile_job_id");
        }
        self.span.record("smile_job_id", id.as_str());
        self.smile_job_id = Some(id);
    }

    fn finish(&mut self, r: Result<Reached, Error>) -> Step<Reached> {
        self.phase = Phase::Finished;
        self.upload = None;
        match &r {
            Ok(_) => tracing::info!(outcome = "ok", "job step done"),
            Err(e) => {
                tracing::info!(outcome = "error", job_may_exist = e.job_may_exist(), error = %e, "job failed")
            }
        }
        Step::Done(r)
    }

    fn upload_failed(
        &mut self,
        status: Option<http::StatusCode>,
        body: &[u8],
        source: Option<TransportFailure>,
    ) -> Step<Reached> {
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

    fn prep_request(&mut self, retry: bool, now: SystemTime) -> Step<Reached> {
        let Some(job) = &self.job else {
            return self.fail(Error::InvalidState(
                "a prep upload without the job's images",
            ));
        };
        let signed = self.signer.sign_at(now);
        let body = prep_upload_body(&PrepUploadParams {
            partner_id: self.signer.partner_id(),
            partner_params: job.partner_params(),
            callback_url: job.callback_url(),
            use_enrolled_image: job.options().use_enrolled_image,
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
        tracing::debug!(retry, "POST /upload");
        self.phase = Phase::AwaitPrep { retry, signed };
        self.inbox = Inbox::Waiting;
        Step::Send(req)
    }

    fn put_request(&mut self, now: SystemTime) -> Step<Reached> {
        let (Some(up), Some(job)) = (&self.upload, &self.job) else {
            return self.fail(Error::InvalidState("no upload prepared"));
        };
        let signed = up
            .signed
            .clone()
            .unwrap_or_else(|| self.signer.sign_at(now));
        let ctx = UploadContext::new(
            self.signer.partner_id(),
            &signed.timestamp,
            &signed.signature,
            &up.server_information,
        )
        .with_retry(up.retry);
        let zip = match job.build_zip_chunks(&ctx) {
            Ok(chunks) => crate::Body::from_chunks(chunks),
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
        let attempt = up.retries + 1;
        match upload_put(&up.url, zip, self.timeouts.upload) {
            Ok(req) => {
                tracing::debug!(bytes, attempt, "PUT upload_url");
                self.phase = Phase::AwaitPut;
                self.inbox = Inbox::Waiting;
                Step::Send(req)
            }
            // Checked when the prep-upload response was accepted.
            Err(_) => self.fail(Error::InvalidState("the upload URL became unusable")),
        }
    }

    /// Sends the next poll, or gives up when the deadline has passed.
    fn poll_now(&mut self, now: SystemTime) -> Step<Reached> {
        match self.deadline_left(now) {
            Some(left) => self.poll_request(now, left),
            None => self.poll_timeout(now),
        }
    }

    fn poll_request(&mut self, now: SystemTime, left: Duration) -> Step<Reached> {
        let signed = self.signer.sign_at(now);
        let body = job_status_body(&JobStatusParams {
            partner_id: self.signer.partner_id(),
            user_id: &self.params.user_id,
            job_id: &self.params.job_id,
            image_links: self.poll.image_links,
            history: self.poll.history,
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
        tracing::debug!(poll = self.poll.polls, "POST /job_status");
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
        signed: SignedTimestamp,
    ) -> Option<Step<Reached>> {
        let during = RequestKind::PrepUpload;
        let resp = match r {
            Ok(resp) => resp,
            // Never retried: the request may have created the job (§2.4, §5.10).
            Err(source) => {
                tracing::debug!(outcome = "no response", kind = ?source.kind(), "POST /upload");
                return Some(self.fail(Error::Transport {
                    during,
                    smile_job_id: self.smile_job_id.clone(),
                    job_exists: self.job_exists,
                    source,
                }));
            }
        };
        tracing::debug!(status = resp.status().as_u16(), "POST /upload answered");
        if !is_success(resp.status()) {
            let e = api_error_seen(during, &resp, &self.seen());
            // 2215 before any job of ours is known: the job exists. With resume_existing_job,
            // one re-prep with retry: true; otherwise JobAlreadyExists. After a job was known
            // (a re-prep after a refused PUT, or a second 2215), it is reported as is, carrying
            // what is known.
            if e.code() == Some("2215") && self.smile_job_id.is_none() {
                self.job_exists = true;
                if self.options.resume_existing_job && !retry && !self.reprep_used {
                    tracing::info!("2215: job exists, re-prepping with retry: true");
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
        let prep = match parse_prep_upload_seen(&resp, &self.seen()) {
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
        signed: SignedTimestamp,
    ) -> Option<Step<Reached>> {
        self.learn(prep.smile_job_id.clone());
        if let Some(problem) = upload_url_problem(&prep.upload_url) {
            // The body again, without the URL: a presigned URL's query is a credential.
            let mut redacted = prep.raw;
            redacted.insert("upload_url".into(), "[redacted]".into());
            let body = serde_json::to_vec(&redacted).unwrap_or_default();
            let redacted_resp = http::Response::builder()
                .status(resp.status())
                .body(body)
                .unwrap_or_default();
            return Some(self.fail(unexpected(
                RequestKind::PrepUpload,
                &redacted_resp,
                format!("response field `upload_url` {problem}"),
                &self.seen(),
            )));
        }
        let insecure = self.base.is_https()
            && !prep
                .upload_url
                .get(..8)
                .is_some_and(|s| s.eq_ignore_ascii_case("https://"));
        if insecure && !self.allow_insecure_upload_url {
            return Some(self.fail(Error::InsecureUploadUrl {
                smile_job_id: prep.smile_job_id,
                job_id: self.job_id().clone(),
            }));
        }
        let created = CreatedJob {
            smile_job_id: prep.smile_job_id.clone(),
            partner_params: self.params.clone(),
            upload_url: prep.upload_url.clone(),
            server_information: prep.raw.clone(),
            retry,
        };
        self.upload = Some(Upload {
            url: prep.upload_url,
            signed: Some(signed),
            server_information: prep.raw,
            retry,
            retries: 0,
        });
        self.waits.cancel();
        // CreateJob ends here; a re-prep inside UploadJob (expired URL) goes on with the PUT.
        if self.stop == Stop::Created {
            return Some(self.finish(Ok(Reached::Created(created))));
        }
        self.phase = Phase::Put;
        None
    }

    fn on_put(
        &mut self,
        r: Result<HttpResponse, TransportFailure>,
        now: SystemTime,
    ) -> Option<Step<Reached>> {
        let (status, retry_after, body, failure) = match r {
            Ok(resp) if is_success(resp.status()) => {
                tracing::debug!(status = resp.status().as_u16(), "PUT done");
                self.upload = None;
                self.phase = Phase::Uploaded;
                return None;
            }
            Ok(resp) if resp.status() == http::StatusCode::FORBIDDEN => {
                if self.reprep_used {
                    return Some(self.upload_failed(Some(resp.status()), resp.body(), None));
                }
                tracing::info!(
                    "PUT 403 (upload URL expired or refused): re-prepping with retry: true"
                );
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
                tracing::debug!(
                    attempt = up.retries,
                    delay_ms = d.as_millis() as u64,
                    "PUT failed transiently; retrying"
                );
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

    fn poll_timeout(&mut self, now: SystemTime) -> Step<Reached> {
        let elapsed = self.poll_elapsed(now);
        let (last_failure, retry_after) = match self.poll.last_failure.take() {
            Some((e, ra)) => (Some(Box::new(e)), ra),
            None => (None, None),
        };
        let e = match self.smile_job_id.clone() {
            Some(smile_job_id) => Error::PollTimeout {
                smile_job_id,
                job_id: self.job_id().clone(),
                polls: self.poll.polls,
                elapsed,
                last_status: self.poll.last_status.take(),
                last_failure,
                retry_after,
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
    ) -> Option<Step<Reached>> {
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
    ) -> Option<Step<Reached>> {
        self.poll.consecutive_failures += 1;
        if self.poll.consecutive_failures > self.poll.policy.max_consecutive_transient_failures() {
            return Some(self.fail(e));
        }
        tracing::debug!(error = %e, failures = self.poll.consecutive_failures, "poll failed transiently");
        self.poll.last_failure = Some((e, retry_after));
        self.schedule_poll(retry_after, now)
    }

    fn on_poll(
        &mut self,
        r: Result<HttpResponse, TransportFailure>,
        now: SystemTime,
    ) -> Option<Step<Reached>> {
        let during = RequestKind::JobStatus;
        let resp = match r {
            Ok(resp) => resp,
            Err(source) => {
                let transient = source.is_transient();
                let e = Error::Transport {
                    during,
                    smile_job_id: self.smile_job_id.clone(),
                    job_exists: self.job_exists,
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
            let e = api_error_seen(during, &resp, &self.seen());
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
            &self.params.job_id,
            self.smile_job_id.as_ref(),
        ) {
            Ok(s) => s,
            Err(e) => return Some(self.fail(e)),
        };
        self.poll.consecutive_failures = 0;
        self.poll.last_failure = None;
        if self.smile_job_id.is_none()
            && let JobResult::Entry(e) = &status.result
            && let Some(id) = &e.smile_job_id
        {
            self.learn(id.clone());
        }
        if status.is_complete() {
            return Some(self.complete(status, &resp));
        }
        self.poll.last_status = Some(Box::new(status));
        self.schedule_poll(None, now)
    }

    fn complete(&mut self, status: JobStatusResponse, resp: &HttpResponse) -> Step<Reached> {
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
            return self.fail(unexpected(
                RequestKind::JobStatus,
                resp,
                format!("the result is for job_id {echoed}, not {job_id}"),
                &self.seen(),
            ));
        }
        let interpretation = entry.interpret(self.params.job_type);
        if !interpretation.is_final {
            tracing::info!(
                code = ?interpretation.code,
                "job complete but the result is not final: the final result arrives by callback"
            );
        }
        self.finish(Ok(Reached::Outcome(JobOutcome::Completed {
            smile_job_id,
            status: Box::new(status),
            interpretation,
        })))
    }

    fn submitted(&mut self) -> Step<Reached> {
        let Some(smile_job_id) = self.smile_job_id.clone() else {
            return self.fail(Error::InvalidState("submitted without a job"));
        };
        let outcome = JobOutcome::Submitted {
            smile_job_id,
            user_id: self.params.user_id.clone(),
            job_id: self.params.job_id.clone(),
            job_type: self.params.job_type,
        };
        self.finish(Ok(Reached::Outcome(outcome)))
    }

    fn start_polling(&mut self, now: SystemTime) -> Step<Reached> {
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
}

impl Resume for Flow {
    type Output = Reached;

    fn pending(&mut self) -> (&mut Inbox, &mut Waits) {
        (&mut self.inbox, &mut self.waits)
    }

    fn handle(
        &mut self,
        r: Result<HttpResponse, TransportFailure>,
        now: SystemTime,
    ) -> Option<Step<Reached>> {
        match std::mem::replace(&mut self.phase, Phase::Finished) {
            Phase::AwaitPrep { retry, signed } => self.on_prep(r, retry, signed),
            Phase::AwaitPut => self.on_put(r, now),
            Phase::AwaitPoll => self.on_poll(r, now),
            _ => Some(self.fail(Error::InvalidState("a response arrived in the wrong phase"))),
        }
    }

    fn fail(&mut self, e: Error) -> Step<Reached> {
        self.finish(Err(e))
    }
}

impl Flow {
    fn next(&mut self, now: SystemTime) -> Step<Reached> {
        let span = self.span.clone();
        let _entered = span.enter();
        if matches!(self.phase, Phase::Finished) {
            return Step::Done(Err(Error::InvalidState("the job has already finished")));
        }
        if let Some(step) = self.resume(now) {
            return step;
        }
        match std::mem::replace(&mut self.phase, Phase::Finished) {
            Phase::Prep { retry } => self.prep_request(retry, now),
            Phase::Put => self.put_request(now),
            Phase::Uploaded => {
                if !self.options.return_job_status {
                    return self.submitted();
                }
                self.start_polling(now)
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

    fn with_poll_policy(mut self, policy: PollPolicy) -> Result<Self, Error> {
        policy.validate()?;
        self.poll.policy = policy;
        Ok(self)
    }
}

/// Maps the flow's end to a machine's output.
fn map_step<T>(step: Step<Reached>, f: impl FnOnce(Reached) -> Result<T, Error>) -> Step<T> {
    match step {
        Step::Send(r) => Step::Send(r),
        Step::Wait(d) => Step::Wait(d),
        Step::Done(r) => Step::Done(r.and_then(f)),
    }
}

fn outcome(r: Reached) -> Result<JobOutcome, Error> {
    match r {
        Reached::Outcome(o) => Ok(o),
        Reached::Created(_) => Err(Error::InvalidState(
            "the flow stopped after the prep upload",
        )),
    }
}

/// Implements [`Machine`] and the common accessors for a wrapper of [`Flow`].
macro_rules! flow_machine {
    ($name:ident, $output:ty, $map:expr) => {
        impl Machine for $name {
            type Output = $output;

            fn next(&mut self, now: SystemTime) -> Step<$output> {
                map_step(self.0.next(now), $map)
            }

            fn on_response(&mut self, response: Result<HttpResponse, TransportFailure>) {
                self.0.on_response(response);
            }
        }

        impl $name {
            /// Seeds the jitter of retry backoffs (for reproducible tests).
            #[must_use]
            pub fn with_rng_seed(mut self, seed: u64) -> Self {
                self.0.rng = fastrand::Rng::with_seed(seed);
                self
            }

            /// Uses `policy` for this job instead of the client's poll policy.
            ///
            /// # Errors
            /// [`Error::Config`] when the policy is not usable.
            pub fn with_poll_policy(self, policy: PollPolicy) -> Result<Self, Error> {
                Ok(Self(self.0.with_poll_policy(policy)?))
            }

            /// The Smile job id, once a response gave it.
            #[must_use]
            pub fn smile_job_id(&self) -> Option<&SmileJobId> {
                self.0.smile_job_id.as_ref()
            }

            /// How many polls were sent so far.
            #[must_use]
            pub fn polls(&self) -> u32 {
                self.0.poll.polls
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("job_id", &self.0.params.job_id)
                    .field("smile_job_id", &self.0.smile_job_id)
                    .field("polls", &self.0.poll.polls)
                    .finish_non_exhaustive()
            }
        }
    };
}

/// The `submit_job` flow ([protocol §5](smile_types::protocol#5-the-submit-job-flow-job-types-1-2-4-6-11)) as a state machine:
/// [`CreateJob`], [`UploadJob`] and [`WaitForResult`] at once.
///
/// [`new`](Self::new) validates the job and reads every image (before any request, so bad
/// input never leaves an orphan job behind). Then the machine sends `POST /upload`, builds
/// `info.json` and the zip, `PUT`s it, and, when `return_job_status` is set, polls
/// `POST /job_status` on the [`PollPolicy`], verifying every response's signature.
///
/// Decisions it makes (all unit-tested without I/O):
///
/// * `POST /upload` is never retried; its failure says whether the job may exist
///   ([`Error::job_may_exist`]), and every error after a `smile_job_id` or a 2215 was seen
///   carries it.
/// * Smile code 2215 ends with [`Error::JobAlreadyExists`], unless `resume_existing_job` is
///   set: then one re-prep with `retry: true` follows.
/// * A `PUT` answered 403 (expired or refused URL) triggers one re-prep with `retry: true`,
///   a rebuilt `info.json` and a new zip; at most one re-prep per job. Transient `PUT`
///   failures are retried to the same URL per the [`RetryPolicy`].
/// * An `https` API that hands out a plain-`http` upload URL ends with
///   [`Error::InsecureUploadUrl`] before any image is sent.
/// * Polling follows the [`PollPolicy`]; a completed status is returned as
///   [`JobOutcome::Completed`] with its interpretation (which may be **not final**); a 429 or
///   5xx that outlasts the deadline is named in [`Error::PollTimeout`].
///
/// An async driver that drops the future running this machine stops it between two steps:
/// a request already sent may still reach the server, so a job may exist; use
/// [`CreateJob`] first to learn its `smile_job_id` before the upload, or
/// [`resume`](Self::resume) it later.
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
pub struct SubmitJob(Flow);

flow_machine!(SubmitJob, JobOutcome, outcome);

impl SubmitJob {
    /// Validates `request` (every rule of [protocol §6.1](smile_types::protocol#61-submit_job-job-types-1-2-4-6-11))
    /// and reads every image, applying the client's default callback when the job has none.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] listing every problem; nothing is sent.
    pub fn new(config: &ClientConfig, request: SubmitRequest) -> Result<Self, Error> {
        Ok(Self(Flow::from_request(config, request, false, Stop::End)?))
    }

    /// Finishes a job that may exist (after an error whose [`Error::job_may_exist`] is true):
    /// the same request, sent with `retry: true` ([protocol §5.10](smile_types::protocol#510-error-2215-and-the-retry-true-re-prep)),
    /// so the server hands out a new upload URL for the **same** job (or creates it, if the
    /// first attempt never got that far), then the upload and the wait as for [`new`](Self::new).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] listing every problem; nothing is sent.
    pub fn resume(config: &ClientConfig, request: SubmitRequest) -> Result<Self, Error> {
        Ok(Self(Flow::from_request(config, request, true, Stop::End)?))
    }

    /// A machine for an already validated job.
    #[must_use]
    pub fn from_loaded(config: &ClientConfig, job: LoadedJob) -> Self {
        let (params, options) = (job.partner_params().clone(), job.options().clone());
        Self(Flow::new(
            config,
            params,
            options,
            Some(job),
            Phase::Prep { retry: false },
            Stop::End,
        ))
    }

    /// The validated job.
    #[must_use]
    pub fn job(&self) -> Option<&LoadedJob> {
        self.0.job.as_ref()
    }
}

/// Phase one of the two-phase form: validation and `POST /upload`, ending with the
/// [`CreatedJob`] (its `smile_job_id` and upload URL) **before any image is sent**. Store it;
/// then run [`UploadJob`] (in this process or, after a crash, in the next).
pub struct CreateJob(Flow);

flow_machine!(CreateJob, CreatedJob, |r| match r {
    Reached::Created(c) => Ok(c),
    Reached::Outcome(_) => Err(Error::InvalidState("the flow went past the prep upload")),
});

impl CreateJob {
    /// Validates `request` and reads every image, as [`SubmitJob::new`]; nothing is sent
    /// when it fails.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] listing every problem.
    pub fn new(config: &ClientConfig, request: SubmitRequest) -> Result<Self, Error> {
        Ok(Self(Flow::from_request(
            config,
            request,
            false,
            Stop::Created,
        )?))
    }
}

/// Phase two: uploads the zip of `request` to a [`CreatedJob`] (re-prepping with `retry:
/// true` once if its URL has expired), then returns per the request's options:
/// [`JobOutcome::Submitted`], or with `return_job_status` the polled result.
pub struct UploadJob(Flow);

flow_machine!(UploadJob, JobOutcome, outcome);

impl UploadJob {
    /// Validates `request` (the same images and partner params as when the job was created)
    /// and prepares the upload to `created`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] listing every problem, including a `job_id` other than the
    /// created job's; nothing is sent.
    pub fn new(
        config: &ClientConfig,
        created: &CreatedJob,
        request: SubmitRequest,
    ) -> Result<Self, Error> {
        let mut flow = Flow::from_request(config, request, created.retry, Stop::End)?;
        if flow.params.job_id != created.partner_params.job_id
            || flow.params.user_id != created.partner_params.user_id
        {
            let mut problems = Problems::new();
            problems.add(
                ProblemCode::JobIdMissing,
                "partner_params.job_id",
                format!(
                    "the request is for user_id {} job_id {}, but the created job is user_id {} job_id {}",
                    flow.params.user_id,
                    flow.params.job_id,
                    created.partner_params.user_id,
                    created.partner_params.job_id
                ),
            );
            return Err(invalid_input(problems));
        }
        flow.learn(created.smile_job_id.clone());
        flow.upload = Some(Upload {
            url: created.upload_url.clone(),
            signed: None,
            server_information: created.server_information.clone(),
            retry: created.retry,
            retries: 0,
        });
        flow.phase = Phase::Put;
        Ok(Self(flow))
    }
}

/// Phase three: polls `POST /job_status` for an uploaded job until it completes or the poll
/// deadline passes (as the polling of [`SubmitJob`]).
pub struct WaitForResult(Flow);

flow_machine!(WaitForResult, JobOutcome, outcome);

impl WaitForResult {
    /// Waits for the job `smile_job_id` of `partner_params` (user, job and job type: the
    /// result is interpreted with the job type's code table) with the given `history` /
    /// `image_links` options.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when `user_id` or `job_id` is empty.
    pub fn new(
        config: &ClientConfig,
        partner_params: PartnerParams,
        smile_job_id: SmileJobId,
        options: JobStatusOptions,
    ) -> Result<Self, Error> {
        let mut problems = Problems::new();
        smile_types::check_ids(
            partner_params.user_id.as_str(),
            partner_params.job_id.as_str(),
            &mut problems,
        );
        problems.into_result().map_err(invalid_input)?;
        let job_options = JobOptions {
            return_job_status: true,
            return_history: options.history,
            return_image_links: options.image_links,
            ..JobOptions::default()
        };
        let mut flow = Flow::new(
            config,
            partner_params,
            job_options,
            None,
            Phase::Uploaded,
            Stop::End,
        );
        flow.learn(smile_job_id);
        Ok(Self(flow))
    }

    /// Waits for a [`CreatedJob`] (after [`UploadJob`] without `return_job_status`).
    ///
    /// # Errors
    /// As [`new`](Self::new).
    pub fn for_created(
        config: &ClientConfig,
        created: &CreatedJob,
        options: JobStatusOptions,
    ) -> Result<Self, Error> {
        Self::new(
            config,
            created.partner_params.clone(),
            created.smile_job_id.clone(),
            options,
        )
    }
}

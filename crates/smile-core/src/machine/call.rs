//! [`Call`]: the one machine that drives every single-request [`Endpoint`]: sign, send, retry
//! per the [`RetryPolicy`] when the endpoint is idempotent, parse and verify.

use std::time::{Duration, SystemTime};

use smile_sign::Signer;
use smile_types::Problems;

use super::{Inbox, Machine, Resume, Step, Waits};
use crate::config::{ClientConfig, SDK_VERSION};
use crate::endpoint::{BodyContext, Endpoint, ParseContext};
use crate::error::Error;
use crate::policy::{RetryPolicy, is_transient_status, retry_after_of};
use crate::requests::{get_request, json_post};
use crate::responses::{Seen, api_error_seen, is_success};
use crate::server::BaseUrl;
use crate::transport::{EndpointMethod, HttpResponse, RequestKind, TransportFailure};

/// A single-request call of any [`Endpoint`] as a state machine.
///
/// [`new`](Self::new) validates the input (nothing is sent when it fails). Each attempt is
/// signed afresh. A transient failure (no connection, timeout, HTTP 408/429/5xx) is retried
/// per the client's [`RetryPolicy`] (honouring `Retry-After`) **only** when the endpoint is
/// idempotent; a call that can create a job is sent once, and its failure says whether the
/// job may exist ([`Error::job_may_exist`]).
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use smile_core::{Call, ClientConfig, Machine, Step, endpoint::Services};
///
/// let config = ClientConfig::builder("085", "key").build()?;
/// let mut call = Call::new(&config, Services::new())?;
/// let Step::Send(req) = call.next(UNIX_EPOCH + Duration::from_secs(1_704_067_200)) else { panic!() };
/// assert_eq!((req.method().as_str(), req.uri().path()), ("GET", "/v1/services"));
/// call.on_response(Ok(http::Response::builder().status(200).body(br#"{"bank_codes":[]}"#.to_vec())?));
/// let Step::Done(Ok(services)) = call.next(UNIX_EPOCH) else { panic!() };
/// assert!(services.bank_codes().is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Call<E: Endpoint> {
    endpoint: E,
    signer: Signer,
    base: BaseUrl,
    user_agent: String,
    timeout: Duration,
    retry_policy: RetryPolicy,
    rng: fastrand::Rng,
    inbox: Inbox,
    waits: Waits,
    attempts: u32,
    finished: bool,
    span: tracing::Span,
}

impl<E: Endpoint> std::fmt::Debug for Call<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Call")
            .field("endpoint", &self.endpoint.info().name)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

impl<E: Endpoint> Call<E> {
    /// Validates `endpoint`'s input against the client (its default callback, ...) and
    /// prepares the call.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] listing every problem; nothing is sent.
    pub fn new(config: &ClientConfig, mut endpoint: E) -> Result<Self, Error> {
        endpoint
            .prepare(config)
            .map_err(|problems: Problems| Error::InvalidInput { problems })?;
        let info = endpoint.info();
        let span = tracing::info_span!(
            "smile.call",
            endpoint = info.name,
            job_id = endpoint.job_id().map(|j| j.as_str().to_owned()),
        );
        Ok(Self {
            signer: config.signer().clone(),
            base: config.base_url().clone(),
            user_agent: config.user_agent().to_owned(),
            timeout: config.timeouts().request,
            retry_policy: config.retry_policy().clone(),
            rng: fastrand::Rng::new(),
            inbox: Inbox::Idle,
            waits: Waits::default(),
            attempts: 0,
            finished: false,
            span,
            endpoint,
        })
    }

    /// Seeds the jitter of retry backoffs (for reproducible tests).
    #[must_use]
    pub fn with_rng_seed(mut self, seed: u64) -> Self {
        self.rng = fastrand::Rng::with_seed(seed);
        self
    }

    /// The endpoint.
    #[must_use]
    pub fn endpoint(&self) -> &E {
        &self.endpoint
    }

    /// How many requests were sent so far.
    #[must_use]
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    fn kind(&self) -> RequestKind {
        self.endpoint.kind()
    }

    fn done(&mut self, r: Result<E::Output, Error>) -> Step<E::Output> {
        self.finished = true;
        match &r {
            Ok(_) => tracing::info!(attempt = self.attempts, outcome = "ok", "call done"),
            Err(e) => tracing::info!(
                attempt = self.attempts,
                outcome = "error",
                job_may_exist = e.job_may_exist(),
                error = %e,
                "call failed"
            ),
        }
        Step::Done(r)
    }

    /// A transient failure: retried when the endpoint allows it and the policy has room.
    fn transient(
        &mut self,
        e: Error,
        retry_after: Option<Duration>,
        now: SystemTime,
    ) -> Option<Step<E::Output>> {
        if !self.kind().is_idempotent() {
            return Some(self.done(Err(e)));
        }
        match self
            .retry_policy
            .delay_for(self.attempts, retry_after, &mut self.rng)
        {
            Some(d) => {
                tracing::debug!(attempt = self.attempts, delay_ms = d.as_millis() as u64, error = %e, "transient failure; retrying");
                self.waits.schedule(now, d);
                None
            }
            None => Some(self.done(Err(e))),
        }
    }

    fn send(&mut self, now: SystemTime) -> Step<E::Output> {
        let info = self.endpoint.info();
        let kind = self.kind();
        let req = match info.method {
            EndpointMethod::Get => {
                get_request(&self.base, info.path, &self.user_agent, kind, self.timeout)
            }
            EndpointMethod::Post => {
                let signed = self.signer.sign_at(now);
                let body = self.endpoint.body(&BodyContext {
                    partner_id: self.signer.partner_id(),
                    signed: &signed,
                    sdk_version: SDK_VERSION,
                });
                json_post(
                    &self.base,
                    info.path,
                    body,
                    &self.user_agent,
                    kind,
                    self.timeout,
                )
            }
        };
        let Some(req) = req else {
            return self.done(Err(Error::InvalidState("the request could not be built")));
        };
        self.attempts += 1;
        tracing::debug!(attempt = self.attempts, "send");
        self.inbox = Inbox::Waiting;
        Step::Send(req)
    }
}

impl<E: Endpoint> Resume for Call<E> {
    type Output = E::Output;

    fn pending(&mut self) -> (&mut Inbox, &mut Waits) {
        (&mut self.inbox, &mut self.waits)
    }

    fn fail(&mut self, e: Error) -> Step<E::Output> {
        self.done(Err(e))
    }

    fn handle(
        &mut self,
        r: Result<HttpResponse, TransportFailure>,
        now: SystemTime,
    ) -> Option<Step<E::Output>> {
        let during = self.kind();
        match r {
            Err(source) => {
                tracing::debug!(attempt = self.attempts, outcome = "no response", kind = ?source.kind(), "response");
                let transient = source.is_transient();
                let e = Error::Transport {
                    during,
                    smile_job_id: None,
                    job_exists: false,
                    source,
                };
                if transient {
                    self.transient(e, None, now)
                } else {
                    Some(self.done(Err(e)))
                }
            }
            Ok(resp) if !is_success(resp.status()) => {
                tracing::debug!(
                    attempt = self.attempts,
                    status = resp.status().as_u16(),
                    "response"
                );
                let e = api_error_seen(during, &resp, &Seen::default());
                if is_transient_status(resp.status()) {
                    let ra = retry_after_of(resp.headers(), now);
                    self.transient(e, ra, now)
                } else {
                    Some(self.done(Err(e)))
                }
            }
            Ok(resp) => {
                tracing::debug!(
                    attempt = self.attempts,
                    status = resp.status().as_u16(),
                    "response"
                );
                let r = self.endpoint.parse(
                    &resp,
                    &ParseContext {
                        signer: &self.signer,
                        kind: during,
                    },
                );
                Some(self.done(r))
            }
        }
    }
}

impl<E: Endpoint> Machine for Call<E> {
    type Output = E::Output;

    fn next(&mut self, now: SystemTime) -> Step<E::Output> {
        let span = self.span.clone();
        let _entered = span.enter();
        if self.finished {
            return Step::Done(Err(Error::InvalidState("the call has already finished")));
        }
        if let Some(step) = self.resume(now) {
            return step;
        }
        self.send(now)
    }

    fn on_response(&mut self, response: Result<HttpResponse, TransportFailure>) {
        self.inbox.accept(response);
    }
}

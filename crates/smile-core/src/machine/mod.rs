//! The protocol state machines, and what they share.
//!
//! - [`submit`]: the image-job flow ([protocol §5](smile_types::protocol#5-the-submit-job-flow-job-types-1-2-4-6-11)):
//!   [`SubmitJob`] and its phases run apart ([`CreateJob`], [`UploadJob`], [`WaitForResult`]).
//! - [`call`]: one generic machine, [`Call`], for every single-request endpoint
//!   ([`Endpoint`](crate::Endpoint)): job status, Enhanced KYC, business verification, the
//!   web token, the lookups.
//! - This module: [`Step`], [`Machine`], and the inbox and wait bookkeeping both use.
//!
//! ```text
//!  SubmitJob:  Prep ──POST /upload──▶ AwaitPrep ──2xx──▶ Put ──PUT zip──▶ AwaitPut ──2xx──▶ Uploaded
//!               ▲  │ 2215 + resume_existing_job             ▲   │ 5xx/timeout: backoff, same URL    │
//!               │  └──── retry: true (once) ◀── 403 (URL expired) ◀┘                              │
//!               │                                                                                   ▼
//!   CreateJob ends at Put (returns a CreatedJob)      return_job_status? ──no──▶ Done(Submitted)
//!   UploadJob starts at Put                                     │ yes
//!                                                                ▼
//!   WaitForResult starts here ─────────────────────▶ Poll ──POST /job_status──▶ AwaitPoll ──complete──▶ Done(Completed)
//!                                                     ▲   incomplete / 429 / 5xx: wait (Retry-After)  │
//!                                                     └────────────────────────────────────────────────┘  deadline: PollTimeout
//!
//!  Call<E>:    Send ──request──▶ Await ──2xx──▶ parse ──▶ Done
//!               ▲                  │ transient failure and E is idempotent: backoff (Retry-After)
//!               └──────────────────┘ otherwise: Done(Err), job_may_exist per E's info
//! ```
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

use crate::error::Error;
use crate::transport::{HttpRequest, HttpResponse, TransportFailure};

pub mod call;
pub mod submit;

pub use call::Call;
pub use submit::{CreateJob, CreatedJob, SubmitJob, UploadJob, WaitForResult};

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

/// A sans-IO protocol machine (implemented by [`SubmitJob`], its phases and [`Call`]).
pub trait Machine {
    /// What the call returns.
    type Output;

    /// The next thing to do, given the current time. After [`Step::Send`], call
    /// [`on_response`](Self::on_response) before calling `next` again.
    fn next(&mut self, now: SystemTime) -> Step<Self::Output>;

    /// Hands over the transport's outcome for the request of the last [`Step::Send`].
    fn on_response(&mut self, response: Result<HttpResponse, TransportFailure>);
}

/// The transport outcome waiting to be processed.
pub(crate) enum Inbox {
    Idle,
    Waiting,
    Got(Result<HttpResponse, TransportFailure>),
    Misuse,
}

impl Inbox {
    pub(crate) fn accept(&mut self, r: Result<HttpResponse, TransportFailure>) {
        *self = match self {
            Self::Waiting => Self::Got(r),
            _ => Self::Misuse,
        };
    }

    /// The response to process now, or the misuse to report.
    pub(crate) fn take(&mut self) -> Result<Option<Result<HttpResponse, TransportFailure>>, Error> {
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
pub(crate) struct Mark {
    wall: SystemTime,
    waited: Duration,
}

/// The machine's own measure of time: the sum of the waits it handed out (the driver slept at
/// least that long) and the wait in progress. Elapsed time is the larger of the wall-clock
/// difference and the waits in between, so a stopped or backward clock cannot stall the
/// machine.
#[derive(Debug, Default)]
pub(crate) struct Waits {
    /// Sum of every `Step::Wait` handed out.
    total: Duration,
    /// The wait in progress: when it was scheduled and how long it is.
    current: Option<(Mark, Duration)>,
}

impl Waits {
    pub(crate) fn mark(&self, now: SystemTime) -> Mark {
        Mark {
            wall: now,
            waited: self.total,
        }
    }

    /// Time since `m`: wall-clock time or time waited, whichever is larger.
    pub(crate) fn since(&self, m: Mark, now: SystemTime) -> Duration {
        now.duration_since(m.wall)
            .unwrap_or(Duration::ZERO)
            .max(self.total.saturating_sub(m.waited))
    }

    /// Starts a wait of `d` from `now` (handed out by [`Self::resume`]).
    pub(crate) fn schedule(&mut self, now: SystemTime, d: Duration) {
        self.current = (!d.is_zero()).then(|| (self.mark(now), d));
    }

    pub(crate) fn cancel(&mut self) {
        self.current = None;
    }

    /// What is left of the wait in progress (counted as waited), or `None` when it is over.
    pub(crate) fn resume(&mut self, now: SystemTime) -> Option<Duration> {
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
pub(crate) trait Resume {
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

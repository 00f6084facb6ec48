//! The progress line on a terminal: what the SDK is doing (creating the job, uploading,
//! each poll, each retry) and the time left before the poll deadline.
//!
//! How: the SDK's calls are sans-IO machines that `WebApi::run` drives. The CLI hands `run`
//! its machine wrapped in [`Observed`], a [`Machine`] that forwards every step and watches it
//! go by: each [`Step::Send`] (its [`RequestKind`] says upload, poll or call), each response
//! (a failure or a transient status means the next send is a retry) and each [`Step::Wait`]
//! (a poll interval or a retry backoff). So the progress line sees exactly what the protocol
//! does, the client keeps its own transport, clock and sleep, and nothing is re-implemented.
//! The line is drawn by indicatif on stderr with a steady tick, only when stdout and stderr
//! are terminals and `--json` is off; otherwise nothing is drawn.

use std::fmt::Write as _;
use std::io::IsTerminal as _;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use smile_blocking::core::{is_transient_status, request_kind};
use smile_blocking::{HttpResponse, Machine, RequestKind, Step, TransportFailure};

use crate::report;

/// The bar being drawn, if any: the log writer suspends it to print a line.
static ACTIVE: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// Runs `f` with the progress line (if one is drawn) out of the way.
pub(crate) fn suspended<R>(f: impl FnOnce() -> R) -> R {
    let bar = ACTIVE
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    match bar {
        Some(bar) => bar.suspend(f),
        None => f(),
    }
}

/// Whether a progress line should be drawn: stdout and stderr are terminals and `--json` is
/// off.
pub(crate) fn wanted(json: bool) -> bool {
    !json && std::io::stdout().is_terminal() && std::io::stderr().is_terminal()
}

/// The progress line of one command.
pub(crate) struct Progress {
    bar: Option<ProgressBar>,
    /// When the poll deadline passes, once the upload is done.
    deadline: Arc<Mutex<Option<Instant>>>,
}

impl Progress {
    /// A progress line drawn on stderr when `enabled`, else one that shows nothing.
    pub(crate) fn new(enabled: bool) -> Self {
        let deadline: Arc<Mutex<Option<Instant>>> = Arc::new(Mutex::new(None));
        if !enabled {
            return Self {
                bar: None,
                deadline,
            };
        }
        let left = Arc::clone(&deadline);
        let style = ProgressStyle::with_template("{spinner} {msg}{left}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner())
            .with_key(
                "left",
                move |_: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let at = *left.lock().unwrap_or_else(PoisonError::into_inner);
                    if let Some(at) = at {
                        let remaining = at.saturating_duration_since(Instant::now());
                        let _ = write!(w, " ({} left)", report::duration(remaining));
                    }
                },
            );
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(style);
        bar.enable_steady_tick(Duration::from_millis(120));
        *ACTIVE.lock().unwrap_or_else(PoisonError::into_inner) = Some(bar.clone());
        Self {
            bar: Some(bar),
            deadline,
        }
    }

    /// `machine`, watched by this progress line; `poll_deadline` is how long polling may go
    /// on after the upload.
    pub(crate) fn observe<M: Machine>(
        &self,
        machine: M,
        poll_deadline: Duration,
    ) -> Observed<'_, M> {
        Observed {
            inner: machine,
            tracker: Tracker::new(poll_deadline),
            progress: self,
        }
    }

    fn show(&self, message: String, deadline: Option<Instant>) {
        *self.deadline.lock().unwrap_or_else(PoisonError::into_inner) = deadline;
        if let Some(bar) = &self.bar {
            bar.set_message(message);
        }
    }

    fn clear(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.clear();
        if self.bar.is_some() {
            *ACTIVE.lock().unwrap_or_else(PoisonError::into_inner) = None;
        }
    }
}

/// A machine whose steps the progress line watches (see the module docs).
pub(crate) struct Observed<'a, M> {
    inner: M,
    tracker: Tracker,
    progress: &'a Progress,
}

impl<M: Machine> Machine for Observed<'_, M> {
    type Output = M::Output;

    fn next(&mut self, now: SystemTime) -> Step<Self::Output> {
        let step = self.inner.next(now);
        match &step {
            Step::Send(request) => {
                let message = self
                    .tracker
                    .on_send(request_kind(request), request.body().len());
                self.progress.show(message, self.tracker.deadline);
            }
            Step::Wait(d) => {
                let message = self.tracker.on_wait(*d);
                self.progress.show(message, self.tracker.deadline);
            }
            Step::Done(_) => self.progress.clear(),
        }
        step
    }

    fn on_response(&mut self, response: Result<HttpResponse, TransportFailure>) {
        self.tracker.on_response(&response);
        self.inner.on_response(response);
    }
}

/// What the progress line says, step by step (no I/O: unit-tested).
#[derive(Debug)]
pub(crate) struct Tracker {
    poll_deadline: Duration,
    /// When the poll deadline passes (set when the upload succeeds).
    deadline: Option<Instant>,
    kind: Option<RequestKind>,
    polls: u32,
    /// Retries of the current request so far.
    retries: u32,
    /// Why the last request failed, when it failed in a way that is retried.
    failure: Option<String>,
}

impl Tracker {
    pub(crate) fn new(poll_deadline: Duration) -> Self {
        Self {
            poll_deadline,
            deadline: None,
            kind: None,
            polls: 0,
            retries: 0,
            failure: None,
        }
    }

    fn what(kind: Option<RequestKind>) -> String {
        match kind {
            Some(RequestKind::PrepUpload) => "creating the job (POST /upload)".to_owned(),
            Some(RequestKind::Upload) => "uploading the images".to_owned(),
            Some(RequestKind::JobStatus) => "asking for the job status".to_owned(),
            Some(k) => format!("calling {}", k.describe()),
            None => "sending a request".to_owned(),
        }
    }

    pub(crate) fn on_send(&mut self, kind: Option<RequestKind>, bytes: usize) -> String {
        let retry = self.failure.take();
        if retry.is_some() && kind == self.kind {
            self.retries += 1;
        } else if kind != self.kind {
            self.retries = 0;
        }
        self.kind = kind;
        let mut s = match kind {
            Some(RequestKind::Upload) => {
                format!("uploading the images ({})", report::size(bytes as u64))
            }
            Some(RequestKind::JobStatus) if self.deadline.is_some() => {
                self.polls += 1;
                format!("waiting for the result: poll {}", self.polls)
            }
            _ => Self::what(kind),
        };
        if let Some(why) = retry {
            let _ = write!(s, ", retry {} after {why}", self.retries.max(1));
        }
        s
    }

    pub(crate) fn on_response(&mut self, response: &Result<HttpResponse, TransportFailure>) {
        self.failure = match response {
            Err(f) => Some(f.kind().to_string()),
            Ok(r) if is_transient_status(r.status()) => {
                Some(format!("HTTP {}", r.status().as_u16()))
            }
            Ok(r) => {
                if self.kind == Some(RequestKind::Upload) && r.status().is_success() {
                    self.deadline = Some(Instant::now() + self.poll_deadline);
                }
                None
            }
        };
    }

    pub(crate) fn on_wait(&mut self, d: Duration) -> String {
        let wait = report::duration(d);
        match (&self.failure, self.kind) {
            (Some(why), kind) => format!(
                "{} failed ({why}): retry {} in {wait}",
                Self::what(kind),
                self.retries + 1
            ),
            (None, Some(RequestKind::JobStatus)) if self.deadline.is_some() => format!(
                "waiting for the result: poll {} found it incomplete, next poll in {wait}",
                self.polls
            ),
            (None, _) if self.kind.is_none() => format!("waiting {wait} before the first poll"),
            (None, kind) => format!("{}: waiting {wait}", Self::what(kind)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(status: u16) -> Result<HttpResponse, TransportFailure> {
        Ok(http_response(status))
    }

    fn http_response(status: u16) -> HttpResponse {
        smile_blocking::http::Response::builder()
            .status(status)
            .body(Vec::new())
            .unwrap()
    }

    #[test]
    fn the_line_follows_a_job_through_upload_polls_and_retries() {
        let mut t = Tracker::new(Duration::from_secs(90));
        assert_eq!(
            t.on_send(Some(RequestKind::PrepUpload), 300),
            "creating the job (POST /upload)"
        );
        t.on_response(&ok(200));
        assert_eq!(
            t.on_send(Some(RequestKind::Upload), 12_345),
            "uploading the images (12.3 KB)"
        );
        t.on_response(&ok(200));
        assert!(
            t.deadline.is_some(),
            "the poll deadline starts after the upload"
        );
        assert_eq!(
            t.on_send(Some(RequestKind::JobStatus), 200),
            "waiting for the result: poll 1"
        );
        t.on_response(&ok(200));
        assert_eq!(
            t.on_wait(Duration::from_secs(2)),
            "waiting for the result: poll 1 found it incomplete, next poll in 2.0 s"
        );
        t.on_send(Some(RequestKind::JobStatus), 200);
        t.on_response(&ok(503));
        assert_eq!(
            t.on_wait(Duration::from_millis(500)),
            "asking for the job status failed (HTTP 503): retry 1 in 0.5 s"
        );
        assert_eq!(
            t.on_send(Some(RequestKind::JobStatus), 200),
            "waiting for the result: poll 3, retry 1 after HTTP 503"
        );
        t.on_response(&Err(TransportFailure::timeout("x")));
        assert_eq!(
            t.on_wait(Duration::from_secs(4)),
            "asking for the job status failed (timed out): retry 2 in 4.0 s"
        );
    }

    #[test]
    fn a_call_shows_its_retries() {
        let mut t = Tracker::new(Duration::from_secs(90));
        assert_eq!(
            t.on_send(Some(RequestKind::JobStatus), 10),
            "asking for the job status"
        );
        t.on_response(&Err(TransportFailure::connect("x")));
        assert_eq!(
            t.on_wait(Duration::from_secs(1)),
            "asking for the job status failed (connection failed): retry 1 in 1.0 s"
        );
        assert_eq!(
            t.on_send(Some(RequestKind::JobStatus), 10),
            "asking for the job status, retry 1 after connection failed"
        );
    }
}

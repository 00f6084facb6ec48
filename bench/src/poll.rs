//! `smile-bench poll`: the poll schedule's time to result against the embedded emulator.
//!
//! ```text
//! smile-bench poll [--jobs N] [--quick]
//! ```
//!
//! For each processing delay (0 ms, 200 ms, 1 s, 3 s; `--quick`: 0 and 200 ms) and each
//! schedule ([`PollPolicy::default`], [`PollPolicy::official`]) it starts a fresh
//! `smile-emulator` with that processing delay (the emulator completes a job that long after
//! its zip `PUT`), enrols one user and submits N SmartSelfie™ Authentication jobs (job type 2,
//! the bench selfie and 8 liveness frames as files) one after the other with
//! `smile_blocking::WebApi`, `return_job_status: true` and that poll policy.
//!
//! The client's transport is smile-blocking's own ([`UreqTransport::for_config`]) wrapped in a
//! recording one: per job it notes the instant the `PUT`'s response arrived, counts the
//! `POST /job_status` requests and notes the instant the last one's response arrived. Time to
//! result is the second instant minus the first. Each row also gives what the schedule alone
//! predicts: the first poll at or after the processing delay, request times not counted.
//!
//! Default N: 10 for the default schedule, 3 for the official one (at least 2 s per job);
//! `--jobs N` sets both; `--quick`: 1 job each, delays 0 and 200 ms (a smoke run of a few
//! seconds).

use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use smile_blocking::{
    Image, JobOptions, JobOutcome, JobType, PartnerParams, PollPolicy, UreqTransport, WebApi,
};
use smile_core::{HttpRequest, HttpResponse, RequestKind, Transport, TransportFailure};
use smile_emulator::{DEFAULT_API_KEY, DEFAULT_PARTNER_ID, Emulator};

/// The user every job authenticates (enrolled directly in each emulator).
const USER_ID: &str = "bench-poll-user";

/// The processing delays of a full run.
const DELAYS: [Duration; 4] = [
    Duration::ZERO,
    Duration::from_millis(200),
    Duration::from_secs(1),
    Duration::from_secs(3),
];

/// The processing delays of `--quick`.
const QUICK_DELAYS: [Duration; 2] = [Duration::ZERO, Duration::from_millis(200)];

/// The wait whose poll count the table's footer gives (the default deadline).
const LONG_WAIT: Duration = Duration::from_secs(90);

/// The arguments of `smile-bench poll`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Args {
    /// Jobs per row for every schedule (`None`: each schedule's default).
    jobs: Option<usize>,
    /// One job per row, delays 0 and 200 ms only.
    quick: bool,
}

/// Parses the arguments after `poll`.
pub(crate) fn parse(args: &[String]) -> Result<Args, String> {
    let mut out = Args {
        jobs: None,
        quick: false,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--jobs" => {
                let v = it.next().ok_or("--jobs needs a value")?;
                let n: usize = v.parse().map_err(|e| format!("--jobs: {e}"))?;
                if n == 0 {
                    return Err("--jobs must be at least 1".into());
                }
                out.jobs = Some(n);
            }
            "--quick" => out.quick = true,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(out)
}

/// A poll schedule under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Schedule {
    /// [`PollPolicy::default`]: 250 ms, 500 ms, 1 s, 2 s, 2 s, then 4 s.
    Default,
    /// [`PollPolicy::official`]: the Node SDK's 2 s ×4, then 4 s.
    Official,
}

impl Schedule {
    const ALL: [Self; 2] = [Self::Default, Self::Official];

    fn name(self) -> &'static str {
        match self {
            Self::Default => "default",
            Self::Official => "official",
        }
    }

    fn policy(self) -> PollPolicy {
        match self {
            Self::Default => PollPolicy::default(),
            Self::Official => PollPolicy::official(),
        }
    }

    /// Jobs per row unless `--jobs` or `--quick` says otherwise.
    fn default_jobs(self) -> usize {
        match self {
            Self::Default => 10,
            Self::Official => 3,
        }
    }
}

/// What the recording transport saw of the current job.
#[derive(Clone, Copy, Debug, Default)]
struct Trace {
    /// When the (last) `PUT`'s response arrived.
    put_end: Option<Instant>,
    /// `POST /job_status` requests sent.
    polls: u32,
    /// When the last of them got its response.
    last_poll_end: Option<Instant>,
}

/// A transport that forwards to `inner` and notes the instants of [`Trace`].
struct Recording<T> {
    inner: T,
    trace: Arc<Mutex<Trace>>,
}

impl<T: Transport> Transport for Recording<T> {
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportFailure> {
        let kind = smile_core::request_kind(&request);
        let response = self.inner.send(request);
        let end = Instant::now();
        let mut trace = self.trace.lock().expect("trace lock");
        match kind {
            Some(RequestKind::Upload) => trace.put_end = Some(end),
            Some(RequestKind::JobStatus) => {
                trace.polls += 1;
                trace.last_poll_end = Some(end);
            }
            _ => {}
        }
        response
    }
}

/// One job's figures.
#[derive(Clone, Copy, Debug)]
struct Sample {
    /// From the `PUT`'s response to the response of the poll that returned the result.
    to_result: Duration,
    /// Polls sent.
    polls: u32,
    /// `submit_job` from call to return.
    wall: Duration,
}

/// One row of the table: a processing delay and a schedule.
#[derive(Clone, Debug)]
struct Row {
    delay: Duration,
    schedule: Schedule,
    samples: Vec<Sample>,
}

/// When the schedule's first poll at or after `delay` (from the end of the `PUT`) is sent,
/// and how many polls that makes: what the schedule alone predicts, request times not counted.
fn predicted(policy: &PollPolicy, delay: Duration) -> (Duration, u32) {
    let mut at = policy.initial_delay();
    let mut polls = 1;
    while at < delay {
        at += policy.interval_after(polls).max(PollPolicy::MIN_INTERVAL);
        polls += 1;
    }
    (at, polls)
}

/// How many polls the schedule sends within `wait` when no result comes (the last at or
/// before `wait`), request times not counted.
fn polls_within(policy: &PollPolicy, wait: Duration) -> u32 {
    let mut at = policy.initial_delay();
    let mut polls = 0;
    while at <= wait {
        polls += 1;
        at += policy.interval_after(polls).max(PollPolicy::MIN_INTERVAL);
    }
    polls
}

/// The seed images as files: the selfie and the 8 liveness frames.
fn images(dir: &std::path::Path) -> Vec<Image> {
    std::iter::once(Image::selfie_file(dir.join("selfie_large.jpg")))
        .chain((1..=8).map(|n| Image::liveness_file(dir.join(format!("liveness_large_{n}.jpg")))))
        .collect()
}

/// Runs `jobs` jobs against a fresh emulator with `delay` under `schedule`.
fn run_row(delay: Duration, schedule: Schedule, jobs: usize) -> Result<Row, String> {
    let emulator = Emulator::builder()
        .processing_delay(delay)
        .start_blocking()
        .map_err(|e| format!("cannot start the emulator: {e}"))?;
    emulator.state().enrol_user(USER_ID);
    let config = smile_core::ClientConfig::builder(DEFAULT_PARTNER_ID, DEFAULT_API_KEY)
        .base_url(emulator.base_url())
        .build()
        .map_err(|e| format!("client configuration: {e}"))?;
    let trace = Arc::new(Mutex::new(Trace::default()));
    let transport = Recording {
        inner: UreqTransport::for_config(&config).map_err(|e| format!("transport: {e}"))?,
        trace: Arc::clone(&trace),
    };
    let api = WebApi::builder(DEFAULT_PARTNER_ID, DEFAULT_API_KEY)
        .base_url(emulator.base_url())
        .poll_policy(schedule.policy())
        .transport(transport)
        .build()
        .map_err(|e| format!("client: {e}"))?;
    let dir = smile_testdata::bench_dir();
    let mut samples = Vec::with_capacity(jobs);
    for n in 0..jobs {
        *trace.lock().expect("trace lock") = Trace::default();
        let params = PartnerParams::new(
            USER_ID,
            format!("poll-{n:04}"),
            JobType::SmartSelfieAuthentication,
        );
        let options = JobOptions {
            return_job_status: true,
            ..JobOptions::default()
        };
        let t0 = Instant::now();
        let outcome = api
            .submit_job(params, images(&dir), None, options)
            .map_err(|e| format!("job {n}: {e}"))?;
        let wall = t0.elapsed();
        check(&outcome, n)?;
        let t = *trace.lock().expect("trace lock");
        let (Some(put_end), Some(last_poll_end)) = (t.put_end, t.last_poll_end) else {
            return Err(format!("job {n}: no PUT or no poll was recorded: {t:?}"));
        };
        samples.push(Sample {
            to_result: last_poll_end.saturating_duration_since(put_end),
            polls: t.polls,
            wall,
        });
    }
    Ok(Row {
        delay,
        schedule,
        samples,
    })
}

fn check(outcome: &JobOutcome, n: usize) -> Result<(), String> {
    if outcome.is_final_approval() {
        Ok(())
    } else {
        Err(format!(
            "job {n}: not a final approval: {}",
            outcome.summary()
        ))
    }
}

/// The median (nearest rank, the lower one for an even count) and the maximum.
fn median_max(mut v: Vec<Duration>) -> (Duration, Duration) {
    v.sort();
    let median = v.get(v.len().saturating_sub(1) / 2).copied();
    (
        median.unwrap_or_default(),
        v.last().copied().unwrap_or_default(),
    )
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// `0 ms`, `200 ms`, `1 s`, `3 s`.
fn label(d: Duration) -> String {
    if d >= Duration::from_secs(1) && d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}

/// The 1-minute load average (`/proc/loadavg`), or `?`.
fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned())
}

/// Runs `smile-bench poll` and prints its table.
pub(crate) fn run(args: &Args) -> ExitCode {
    let delays: &[Duration] = if args.quick { &QUICK_DELAYS } else { &DELAYS };
    let jobs_of = |s: Schedule| {
        if args.quick {
            1
        } else {
            args.jobs.unwrap_or(s.default_jobs())
        }
    };
    let load_before = load();
    eprintln!(
        "smile-bench: poll: {} processing delays x {} schedules ({} / {} jobs), a fresh emulator each",
        delays.len(),
        Schedule::ALL.len(),
        jobs_of(Schedule::Default),
        jobs_of(Schedule::Official),
    );
    let started = Instant::now();
    let mut rows = Vec::new();
    for &delay in delays {
        for schedule in Schedule::ALL {
            match run_row(delay, schedule, jobs_of(schedule)) {
                Ok(row) => rows.push(row),
                Err(e) => {
                    eprintln!(
                        "smile-bench: poll: {} / {}: {e}",
                        label(delay),
                        schedule.name()
                    );
                    return ExitCode::FAILURE;
                }
            }
        }
    }
    print_table(&rows, &load_before, &load());
    eprintln!(
        "smile-bench: done in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    ExitCode::SUCCESS
}

fn print_table(rows: &[Row], load_before: &str, load_after: &str) {
    println!();
    println!(
        "Sequential SmartSelfie Authentication jobs (job type 2, selfie + 8 liveness frames as files, \
         return_job_status) with smile_blocking::WebApi against the embedded smile-emulator, \
         a fresh one per row with that processing delay"
    );
    println!(
        "| processing delay | schedule | jobs | PUT → result p50 / max ms | polls/job | schedule: PUT → result ms / polls | submit → outcome p50 ms |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|");
    for row in rows {
        let (p50, max) = median_max(row.samples.iter().map(|s| s.to_result).collect());
        let (wall, _) = median_max(row.samples.iter().map(|s| s.wall).collect());
        let polls: u32 = row.samples.iter().map(|s| s.polls).sum();
        let (at, expected) = predicted(&row.schedule.policy(), row.delay);
        println!(
            "| {} | {} | {} | {:.1} / {:.1} | {:.1} | {:.0} / {} | {:.1} |",
            label(row.delay),
            row.schedule.name(),
            row.samples.len(),
            ms(p50),
            ms(max),
            f64::from(polls) / row.samples.len() as f64,
            ms(at),
            expected,
            ms(wall),
        );
    }
    println!();
    println!(
        "PUT → result = from the PUT's response to the response of the poll that returned the result \
         (instants noted by a recording transport around smile-blocking's); \
         schedule = the schedule's first poll at or after the processing delay, request times not counted; \
         submit → outcome = the whole submit_job call"
    );
    let wait = |s: Schedule| polls_within(&s.policy(), LONG_WAIT);
    println!(
        "a {} s wait without a result costs {} polls with the default schedule, {} with the official one; \
         load average (1 min) before / after: {load_before} / {load_after}",
        LONG_WAIT.as_secs(),
        wait(Schedule::Default),
        wait(Schedule::Official),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedules_predict_the_documented_figures() {
        let ms = Duration::from_millis;
        let default = PollPolicy::default();
        assert_eq!(predicted(&default, Duration::ZERO), (Duration::ZERO, 1));
        assert_eq!(predicted(&default, ms(200)), (ms(250), 2));
        assert_eq!(predicted(&default, ms(1000)), (ms(1750), 4));
        assert_eq!(predicted(&default, ms(3000)), (ms(3750), 5));
        let official = PollPolicy::official();
        assert_eq!(predicted(&official, Duration::ZERO), (Duration::ZERO, 1));
        assert_eq!(predicted(&official, ms(200)), (ms(2000), 2));
        assert_eq!(predicted(&official, ms(1000)), (ms(2000), 2));
        assert_eq!(predicted(&official, ms(3000)), (ms(4000), 3));
        // docs/protocol.md §5.8: 27 polls in 90 s, the Node schedule 25.
        assert_eq!(polls_within(&default, LONG_WAIT), 27);
        assert_eq!(polls_within(&official, LONG_WAIT), 25);
    }

    #[test]
    fn arguments() {
        let s = |v: &[&str]| v.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            parse(&s(&["--jobs", "4", "--quick"])),
            Ok(Args {
                jobs: Some(4),
                quick: true
            })
        );
        assert!(parse(&s(&["--jobs", "0"])).is_err());
        assert!(parse(&s(&["--jobs"])).is_err());
        assert!(parse(&s(&["--repeat", "2"])).is_err());
        assert_eq!(label(Duration::ZERO), "0 ms");
        assert_eq!(label(Duration::from_millis(200)), "200 ms");
        assert_eq!(label(Duration::from_secs(3)), "3 s");
        let d = Duration::from_millis;
        assert_eq!(median_max(vec![d(3), d(1), d(2), d(9)]), (d(2), d(9)));
    }
}

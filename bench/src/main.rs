//! `cargo xtask bench e2e`: both Smile ID clients, end to end, against a lean loopback server;
//! `cargo xtask bench poll`: the poll schedule's time to result against the emulator
//! (see `poll.rs`).
//!
//! ```text
//! smile-bench e2e [--jobs N] [--warmup N] [--repeat R] [--quick] [--only NAME,NAME..]
//! smile-bench poll [--jobs N] [--quick]
//! smile-bench list
//! smile-bench child NAME --jobs N --warmup N     (one configuration; run by `e2e`)
//! ```
//!
//! The job is the seed case of `testdata/fixtures/bench`: SmartSelfie™ Authentication (job
//! type 2) with the 287 KB selfie as a file and the 8 liveness frames of 74 KB as base64
//! (the `files` configurations give all nine as files). Each job is the whole flow: validate,
//! `POST /v1/upload`, build the zip, `PUT` it, `POST /v1/job_status` (first poll immediate)
//! and check the signed, completed 0820 result.
//!
//! Every configuration runs in a fresh child process (so peak RSS figures do not mix): the
//! child starts the server on a thread of its own, warms up, then runs the measured jobs.
//! Client CPU is the process's CPU time (getrusage `RUSAGE_SELF`, which includes threads that
//! have exited, such as ureq's DNS threads) minus the server thread's (`RUSAGE_THREAD`, read
//! on that thread). Peak RSS is `VmHWM` of the child (client and server together; the
//! server's read buffers are capped at 64 KiB per connection).
//!
//! The floor copies the same bytes once into a fresh buffer, computes their CRC-32 and sends
//! them over one kept-alive loopback TCP connection to a thread that reads them and answers
//! with one byte: what any client must at least do per job.

mod client;
mod measure;
mod poll;
mod server;

use std::process::{Command, ExitCode, Stdio};
use std::time::Duration;

use client::{Client, Configuration, Payload};

/// Every configuration, in the order of the table.
fn configurations() -> Vec<Configuration> {
    use client::Host::{Localhost, Loopback};
    let b = |name, https, payload, host| Configuration {
        name,
        https,
        payload,
        host,
        client: Client::Blocking,
    };
    let a = |name, https, concurrency| Configuration {
        name,
        https,
        payload: Payload::Seed,
        host: Loopback,
        client: Client::Async { concurrency },
    };
    vec![
        b("blocking http", false, Payload::Seed, Loopback),
        b("blocking https", true, Payload::Seed, Loopback),
        b("blocking http files", false, Payload::Files, Loopback),
        b("blocking localhost", false, Payload::Seed, Localhost),
        a("async http c1", false, 1),
        a("async http c8", false, 8),
        a("async http c32", false, 32),
        a("async https c1", true, 1),
        a("async https c8", true, 8),
        a("async https c32", true, 32),
        Configuration {
            name: "floor",
            https: false,
            payload: Payload::Seed,
            host: Loopback,
            client: Client::Floor,
        },
        Configuration {
            name: "floor files",
            https: false,
            payload: Payload::Files,
            host: Loopback,
            client: Client::Floor,
        },
    ]
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: smile-bench e2e [--jobs N (default 200)] [--warmup N] [--repeat R] [--quick] [--only NAME,NAME..]\n       smile-bench poll [--jobs N (default 10, official schedule 3)] [--quick]\n       smile-bench list\n       smile-bench child NAME --jobs N --warmup N"
    );
    ExitCode::FAILURE
}

struct Args {
    jobs: usize,
    warmup: Option<usize>,
    repeat: usize,
    only: Option<Vec<String>>,
}

fn parse(args: &[String]) -> Result<Args, String> {
    let mut out = Args {
        jobs: 200,
        warmup: None,
        repeat: 1,
        only: None,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().cloned().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--jobs" => {
                out.jobs = value("--jobs")?
                    .parse()
                    .map_err(|e| format!("--jobs: {e}"))?;
            }
            "--warmup" => {
                out.warmup = Some(
                    value("--warmup")?
                        .parse()
                        .map_err(|e| format!("--warmup: {e}"))?,
                );
            }
            "--repeat" => {
                out.repeat = value("--repeat")?
                    .parse()
                    .map_err(|e| format!("--repeat: {e}"))?;
            }
            "--quick" => {
                out.jobs = 1;
                out.warmup = Some(0);
            }
            "--only" => {
                out.only = Some(
                    value("--only")?
                        .split(',')
                        .map(|s| s.trim().to_owned())
                        .collect(),
                );
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if out.jobs == 0 || out.repeat == 0 {
        return Err("--jobs and --repeat must be at least 1".into());
    }
    Ok(out)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("e2e") => match parse(&args[1..]) {
            Ok(a) => e2e(&a),
            Err(e) => {
                eprintln!("smile-bench: {e}");
                usage()
            }
        },
        Some("poll") => match poll::parse(&args[1..]) {
            Ok(a) => poll::run(&a),
            Err(e) => {
                eprintln!("smile-bench: {e}");
                usage()
            }
        },
        Some("list") => {
            for c in configurations() {
                println!("{}", c.name);
            }
            ExitCode::SUCCESS
        }
        Some("child") if args.len() >= 2 => {
            let name = args[1].as_str();
            let Some(config) = configurations().into_iter().find(|c| c.name == name) else {
                eprintln!("smile-bench: no configuration {name:?} (see `smile-bench list`)");
                return ExitCode::FAILURE;
            };
            match parse(&args[2..]) {
                Ok(a) => {
                    let m = client::run(&config, a.jobs, a.warmup.unwrap_or(0));
                    println!("{}", m.to_line());
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("smile-bench: {e}");
                    usage()
                }
            }
        }
        _ => usage(),
    }
}

/// The default warm-up: 10 % of the jobs, at least 1 and at most 20.
fn default_warmup(jobs: usize) -> usize {
    (jobs / 10).clamp(1, 20)
}

fn e2e(a: &Args) -> ExitCode {
    let warmup = a.warmup.unwrap_or_else(|| default_warmup(a.jobs));
    let all = configurations();
    let chosen: Vec<&Configuration> = match &a.only {
        Some(names) => {
            if let Some(bad) = names.iter().find(|n| !all.iter().any(|c| c.name == *n)) {
                eprintln!("smile-bench: no configuration {bad:?} (see `smile-bench list`)");
                return ExitCode::FAILURE;
            }
            all.iter()
                .filter(|c| names.iter().any(|n| n == c.name))
                .collect()
        }
        None => all.iter().collect(),
    };
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("smile-bench: cannot find this executable: {e}");
            return ExitCode::FAILURE;
        }
    };
    eprintln!(
        "smile-bench: {} configurations x {} rounds, {} jobs each after {warmup} warm-up jobs, each run in a fresh process",
        chosen.len(),
        a.repeat,
        a.jobs
    );
    let started = std::time::Instant::now();
    let mut runs: Vec<Vec<client::Measured>> = vec![Vec::new(); chosen.len()];
    // Rounds over all configurations (not one configuration R times in a row), so that a
    // burst of load elsewhere on the machine does not hit the runs of one configuration only.
    for _ in 0..a.repeat {
        for (c, runs) in chosen.iter().zip(&mut runs) {
            match run_child(&exe, c, a.jobs, warmup) {
                Ok(m) => runs.push(m),
                Err(e) => {
                    eprintln!("smile-bench: configuration {:?}: {e}", c.name);
                    return ExitCode::FAILURE;
                }
            }
        }
    }
    // Per configuration, the run of median wall time (all its figures, so a row is one run).
    let results: Vec<(&Configuration, client::Measured)> = chosen
        .iter()
        .zip(runs)
        .map(|(c, mut runs)| {
            runs.sort_by_key(|m| m.wall);
            (*c, runs.swap_remove(runs.len() / 2))
        })
        .collect();
    print_table(&results, a.jobs, warmup, a.repeat);
    eprintln!(
        "smile-bench: done in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    ExitCode::SUCCESS
}

/// Runs one configuration in a fresh process and reads its result line.
fn run_child(
    exe: &std::path::Path,
    c: &Configuration,
    jobs: usize,
    warmup: usize,
) -> Result<client::Measured, String> {
    let out = Command::new(exe)
        .args(["child", c.name, "--jobs", &jobs.to_string()])
        .args(["--warmup", &warmup.to_string()])
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot start {exe:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!("failed: {}", out.status));
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .rev()
        .find_map(client::Measured::from_line)
        .ok_or_else(|| "printed no result".to_owned())
}

fn ms(d: Duration, jobs: usize) -> f64 {
    d.as_secs_f64() * 1e3 / jobs as f64
}

fn print_table(
    results: &[(&Configuration, client::Measured)],
    jobs: usize,
    warmup: usize,
    repeat: usize,
) {
    let floor_of = |payload: Payload| {
        results
            .iter()
            .find(|(c, _)| matches!(c.client, Client::Floor) && c.payload == payload)
            .map(|(_, m)| m)
    };
    println!();
    let median = if repeat > 1 {
        format!(", the run of median wall time of {repeat}")
    } else {
        String::new()
    };
    println!(
        "{jobs} jobs per configuration (after {warmup} warm-up{median}), sequential unless cN (N jobs in flight); \
         seed job = selfie 287 KB as a file + 8 liveness frames of 74 KB as base64; \
         files = all nine as files"
    );
    println!(
        "| configuration | jobs/s | wall ms/job | client CPU ms/job | server CPU ms/job | peak RSS MB | upload MB/s | wall / floor | CPU / floor | job p50 / p99 ms |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (c, m) in results {
        let n = m.jobs;
        let wall = ms(m.wall, n);
        let cpu = ms(m.client_cpu, n);
        let (wall_x, cpu_x) = match floor_of(c.payload) {
            Some(f) if !matches!(c.client, Client::Floor) => (
                format!("{:.1}x", wall / ms(f.wall, f.jobs)),
                format!("{:.1}x", cpu / ms(f.client_cpu, f.jobs)),
            ),
            _ => ("-".to_owned(), "-".to_owned()),
        };
        println!(
            "| {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.1} | {:.0} | {} | {} | {:.2} / {:.2} |",
            c.name,
            n as f64 / m.wall.as_secs_f64(),
            wall,
            cpu,
            ms(m.server_cpu, n),
            m.peak_rss as f64 / 1e6,
            m.bytes_per_job as f64 * n as f64 / m.wall.as_secs_f64() / 1e6,
            wall_x,
            cpu_x,
            m.p50.as_secs_f64() * 1e3,
            m.p99.as_secs_f64() * 1e3,
        );
    }
    println!();
    println!(
        "client CPU = process CPU (getrusage RUSAGE_SELF, incl. exited threads) - server thread CPU (RUSAGE_THREAD); \
         peak RSS = VmHWM of the configuration's own process (client + server thread); \
         upload MB/s = zip bytes received by the server (floor: bytes sent) per wall second, 10^6 bytes"
    );
}

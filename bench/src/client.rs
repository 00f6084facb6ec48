//! One configuration: the seed payload, the client under test and the measurement.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use smile_blocking::{Image, JobOptions, JobOutcome, JobType, PartnerParams, PollPolicy};

use crate::measure;
use crate::server::{self, Server};

/// How the images are given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Payload {
    /// The selfie as a file, the 8 liveness frames as base64.
    Seed,
    /// All nine as files.
    Files,
}

/// The host name the client uses for the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Host {
    /// `127.0.0.1` (an IP literal: no lookup).
    Loopback,
    /// `localhost` (a name: looked up through /etc/hosts).
    Localhost,
}

/// What runs the jobs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Client {
    /// `smile_blocking::WebApi` (its own transport), one job after the other.
    Blocking,
    /// `smile_async::WebApi` with this many jobs in flight.
    Async {
        /// Jobs in flight.
        concurrency: usize,
    },
    /// The floor (copy + CRC-32 + loopback send and receive).
    Floor,
}

/// A configuration of the table.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Configuration {
    pub(crate) name: &'static str,
    pub(crate) https: bool,
    pub(crate) payload: Payload,
    pub(crate) host: Host,
    pub(crate) client: Client,
}

/// What one configuration measured over its jobs (warm-up excluded).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Measured {
    pub(crate) jobs: usize,
    pub(crate) wall: Duration,
    pub(crate) client_cpu: Duration,
    pub(crate) server_cpu: Duration,
    /// VmHWM at the end, bytes.
    pub(crate) peak_rss: u64,
    /// Upload (zip) bytes per job as the server received them; the floor's bytes sent.
    pub(crate) bytes_per_job: u64,
    /// Median and 99th percentile of one job's wall time (submit to outcome).
    pub(crate) p50: Duration,
    pub(crate) p99: Duration,
}

impl Measured {
    /// The line a child prints.
    pub(crate) fn to_line(&self) -> String {
        format!(
            "RESULT jobs={} wall_ns={} client_cpu_ns={} server_cpu_ns={} peak_rss={} bytes_per_job={} p50_ns={} p99_ns={}",
            self.jobs,
            self.wall.as_nanos(),
            self.client_cpu.as_nanos(),
            self.server_cpu.as_nanos(),
            self.peak_rss,
            self.bytes_per_job,
            self.p50.as_nanos(),
            self.p99.as_nanos()
        )
    }

    /// Parses [`to_line`](Self::to_line).
    pub(crate) fn from_line(line: &str) -> Option<Self> {
        let rest = line.strip_prefix("RESULT ")?;
        let get = |key: &str| -> Option<u64> {
            rest.split(' ')
                .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))?
                .parse()
                .ok()
        };
        let ns = |v: u64| Duration::from_nanos(v);
        Some(Self {
            jobs: usize::try_from(get("jobs")?).ok()?,
            wall: ns(get("wall_ns")?),
            client_cpu: ns(get("client_cpu_ns")?),
            server_cpu: ns(get("server_cpu_ns")?),
            peak_rss: get("peak_rss")?,
            bytes_per_job: get("bytes_per_job")?,
            p50: ns(get("p50_ns")?),
            p99: ns(get("p99_ns")?),
        })
    }
}

/// The seed images.
pub(crate) struct Seed {
    selfie: PathBuf,
    liveness: Vec<PathBuf>,
    /// The liveness frames as base64 (encoded once, before anything is measured), shared with
    /// every job (`Arc<str>`: the SDK takes the text without copying it).
    liveness_b64: Vec<Arc<str>>,
}

impl Seed {
    fn load() -> Self {
        let dir = smile_testdata::bench_dir();
        let selfie = dir.join("selfie_large.jpg");
        let liveness: Vec<PathBuf> = (1..=8)
            .map(|n| dir.join(format!("liveness_large_{n}.jpg")))
            .collect();
        let liveness_b64 = liveness
            .iter()
            .map(|p| Arc::from(STANDARD.encode(std::fs::read(p).expect("bench fixture"))))
            .collect();
        Self {
            selfie,
            liveness,
            liveness_b64,
        }
    }

    /// The images of one job (the base64 texts shared, not copied).
    fn images(&self, payload: Payload) -> Vec<Image> {
        let mut images = vec![Image::selfie_file(&self.selfie)];
        match payload {
            Payload::Seed => images.extend(
                self.liveness_b64
                    .iter()
                    .map(|t| Image::liveness_base64(Arc::clone(t))),
            ),
            Payload::Files => images.extend(self.liveness.iter().map(Image::liveness_file)),
        }
        images
    }

    /// The bytes the floor moves per job: what the job's images are in memory (the selfie's
    /// bytes, then each frame's base64 text or file bytes), about the zip's size.
    fn floor_parts(&self, payload: Payload) -> Vec<Vec<u8>> {
        let mut parts = vec![std::fs::read(&self.selfie).expect("bench fixture")];
        match payload {
            Payload::Seed => parts.extend(self.liveness_b64.iter().map(|t| t.as_bytes().to_vec())),
            Payload::Files => parts.extend(
                self.liveness
                    .iter()
                    .map(|p| std::fs::read(p).expect("bench fixture")),
            ),
        }
        parts
    }
}

fn params(n: usize) -> PartnerParams {
    PartnerParams::new(
        "user-0001",
        format!("job-{n:07}"),
        JobType::SmartSelfieAuthentication,
    )
}

fn options() -> JobOptions {
    JobOptions {
        return_job_status: true,
        ..JobOptions::default()
    }
}

fn poll_policy() -> PollPolicy {
    // The first poll right after the PUT: the server has the result at once.
    PollPolicy::default().with_initial_delay(Duration::ZERO)
}

fn check(outcome: &JobOutcome, n: usize) {
    assert!(
        outcome.is_final_approval(),
        "job {n}: not a final approval: {}",
        outcome.summary()
    );
}

/// Runs `warmup` then `jobs` jobs of `config`; measures the latter.
pub(crate) fn run(config: &Configuration, jobs: usize, warmup: usize) -> Measured {
    let seed = Arc::new(Seed::load());
    if let Client::Floor = config.client {
        return floor(&seed, config.payload, jobs, warmup);
    }
    let host = match config.host {
        Host::Loopback => "127.0.0.1",
        Host::Localhost => "localhost",
    };
    let server = Server::start(config.https, host);
    let latencies = Arc::new(Latencies::default());
    let measured = match config.client {
        Client::Blocking => {
            let mut b = smile_blocking::WebApi::builder(server::PARTNER_ID, server::API_KEY)
                .base_url(server.base_url())
                .poll_policy(poll_policy());
            if let Some(pem) = server.cert_pem() {
                b = b.root_certificates_pem(pem);
            }
            let api = b.build().expect("blocking client");
            let one = |n: usize| {
                let t = Instant::now();
                let outcome = api
                    .submit_job(params(n), seed.images(config.payload), None, options())
                    .unwrap_or_else(|e| panic!("job {n}: {e}"));
                check(&outcome, n);
                latencies.record(t.elapsed());
            };
            (0..warmup).for_each(&one);
            latencies.clear();
            measure_window(&server, jobs, || (warmup..warmup + jobs).for_each(&one))
        }
        Client::Async { concurrency } => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .expect("client runtime");
            let mut b = smile_async::WebApi::builder(server::PARTNER_ID, server::API_KEY)
                .base_url(server.base_url())
                .poll_policy(poll_policy());
            if let Some(pem) = server.cert_pem() {
                b = b.root_certificates_pem(pem);
            }
            let api = b.build().expect("async client");
            let batch = |from: usize, to: usize| {
                let next = Arc::new(AtomicUsize::new(from));
                runtime.block_on(async {
                    let tasks: Vec<_> = (0..concurrency.min(to - from).max(1))
                        .map(|_| {
                            let (api, seed, next) = (api.clone(), seed.clone(), next.clone());
                            let latencies = latencies.clone();
                            let payload = config.payload;
                            tokio::spawn(async move {
                                loop {
                                    let n = next.fetch_add(1, Ordering::Relaxed);
                                    if n >= to {
                                        return;
                                    }
                                    let t = Instant::now();
                                    let outcome = api
                                        .submit_job(
                                            params(n),
                                            seed.images(payload),
                                            None,
                                            options(),
                                        )
                                        .await
                                        .unwrap_or_else(|e| panic!("job {n}: {e}"));
                                    check(&outcome, n);
                                    latencies.record(t.elapsed());
                                }
                            })
                        })
                        .collect();
                    for t in tasks {
                        t.await.expect("a job task panicked");
                    }
                });
            };
            if warmup > 0 {
                batch(0, warmup);
            }
            latencies.clear();
            measure_window(&server, jobs, || batch(warmup, warmup + jobs))
        }
        Client::Floor => unreachable!("handled above"),
    };
    let (put_bytes, puts) = server.uploads();
    assert_eq!(puts as usize, warmup + jobs, "one PUT per job");
    let (p50, p99) = latencies.percentiles();
    Measured {
        bytes_per_job: put_bytes / puts.max(1),
        p50,
        p99,
        ..measured
    }
}

/// Each job's wall time.
#[derive(Default)]
struct Latencies(std::sync::Mutex<Vec<Duration>>);

impl Latencies {
    fn record(&self, d: Duration) {
        self.0.lock().expect("latencies").push(d);
    }

    fn clear(&self) {
        self.0.lock().expect("latencies").clear();
    }

    /// The median and the 99th percentile (nearest rank).
    fn percentiles(&self) -> (Duration, Duration) {
        let mut v = self.0.lock().expect("latencies").clone();
        v.sort();
        let at = |q: f64| {
            if v.is_empty() {
                return Duration::ZERO;
            }
            let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
            v[rank - 1]
        };
        (at(0.5), at(0.99))
    }
}

/// Times `f` (which runs `jobs` jobs): wall, process CPU minus the server thread's, and the
/// peak RSS at the end.
fn measure_window(server: &Server, jobs: usize, f: impl FnOnce()) -> Measured {
    let server0 = server.cpu();
    let cpu0 = measure::process_cpu();
    let t0 = Instant::now();
    f();
    let wall = t0.elapsed();
    let cpu = measure::process_cpu() - cpu0;
    let server_cpu = server.cpu() - server0;
    Measured {
        jobs,
        wall,
        client_cpu: cpu.saturating_sub(server_cpu),
        server_cpu,
        peak_rss: measure::status_bytes("VmHWM"),
        bytes_per_job: 0,
        p50: Duration::ZERO,
        p99: Duration::ZERO,
    }
}

/// The floor: per job, copy the job's bytes once into a fresh buffer, CRC-32 them, send them
/// with a length prefix over one kept-alive loopback connection and read the 1-byte answer.
fn floor(seed: &Seed, payload: Payload, jobs: usize, warmup: usize) -> Measured {
    let parts = seed.floor_parts(payload);
    let total: usize = parts.iter().map(Vec::len).sum();
    let addr = server::start_sink();
    let mut s = TcpStream::connect(addr).expect("connect to the sink");
    s.set_nodelay(true).expect("nodelay");
    let mut crc_sink = 0u32;
    let latencies = Latencies::default();
    let mut one = |s: &mut TcpStream| {
        let t = Instant::now();
        let mut buf = Vec::with_capacity(total);
        for p in &parts {
            buf.extend_from_slice(p);
        }
        crc_sink ^= crc32fast::hash(&buf);
        s.write_all(&(total as u64).to_le_bytes()).expect("send");
        s.write_all(&buf).expect("send");
        let mut ack = [0u8; 1];
        s.read_exact(&mut ack).expect("receive");
        drop(std::hint::black_box(buf));
        latencies.record(t.elapsed());
    };
    for _ in 0..warmup {
        one(&mut s);
    }
    let sink_cpu = |s: &mut TcpStream| {
        s.write_all(&0u64.to_le_bytes()).expect("send");
        let mut micros = [0u8; 8];
        s.read_exact(&mut micros).expect("receive");
        Duration::from_micros(u64::from_le_bytes(micros))
    };
    latencies.clear();
    let server0 = sink_cpu(&mut s);
    let cpu0 = measure::process_cpu();
    let t0 = Instant::now();
    for _ in 0..jobs {
        one(&mut s);
    }
    let wall = t0.elapsed();
    let cpu = measure::process_cpu() - cpu0;
    let server_cpu = sink_cpu(&mut s) - server0;
    std::hint::black_box(crc_sink);
    let (p50, p99) = latencies.percentiles();
    Measured {
        p50,
        p99,
        jobs,
        wall,
        client_cpu: cpu.saturating_sub(server_cpu),
        server_cpu,
        peak_rss: measure::status_bytes("VmHWM"),
        bytes_per_job: total as u64,
    }
}

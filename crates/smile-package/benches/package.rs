//! `cargo xtask bench`: building the upload package for the seed case (1 selfie + 8 liveness
//! frames from `testdata/fixtures/bench`), from files and from base64, as throughput over the
//! image payload, plus the peak heap each scenario needs (counting global allocator).
//!
//! Scenarios (throughput = image payload bytes; for base64 the decoded bytes):
//! - `files/load+zip`: validate (open, stat, read each file once, sniff) and build the zip.
//! - `files/zip`: build the zip from an already loaded job (what a re-prep retry repeats).
//! - `files/zip-chunks`: build the zip as shared chunks (`build_zip_chunks`, what the clients
//!   send): headers only, no copy of the images.
//! - `base64/load+zip`: the same nine images, all base64 (selfie type 2, liveness type 6):
//!   validate the texts strictly (alphabet scan, CRC-32) and build the zip (the texts go into
//!   info.json, written in place in the zip).
//! - `base64/zip`, `base64/zip-chunks`: build only.
//!
//! Each routine drops what it built before it returns (its output is `()`): criterion's
//! `iter_batched` keeps a whole batch's outputs alive until the batch ends, so returning the
//! zip (and the loaded job) would make every iteration allocate fresh memory (new pages, page
//! faults) and measure the allocator instead of the package. Dropped inside, the allocator
//! reuses the previous iteration's memory, as in a client that submits one job after another,
//! and as in the summary line below. Each input is made, untimed, right before its iteration
//! (`BatchSize::PerIteration`, and the same in the summary line): a base64 request holds 1.2 MB
//! of text, so a batch of them made in advance (`SmallInput`) is read back from beyond the
//! caches, by a different amount in criterion's batches and in the summary's, while a client
//! validates a text it has just received.
//!
//! The allocator is warmed up first ([`warm_allocator`]): glibc's malloc otherwise gives
//! blocks of 128 KiB and more their own `mmap` until one such block has been freed, and after
//! that trims the top of the heap whenever more than twice the largest block freed so far is
//! free there. One iteration here frees about twice its largest block (the zip), so whether
//! each iteration gets fresh pages (about 0.7 µs per KiB in page faults on a VM) depended on
//! what else was on the heap: the first criterion benchmark got them and the summary line,
//! run later, did not (files/load+zip: 1.3 ms against 0.15 ms). Warmed up, both measure a
//! long-running client's steady state, where the memory of the previous job is reused.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use peak_alloc::PeakAlloc;
use serde_json::{Map, Value};
use smile_package::{Image, LoadedJob, SubmitRequest, UploadContext};
use smile_types::{JobOptions, JobType, PartnerId, PartnerParams};

#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc;

fn fixture(name: &str) -> PathBuf {
    smile_testdata::bench_dir().join(name)
}

struct Seed {
    paths: Vec<PathBuf>,
    /// The selfie and the 8 liveness frames as base64, in that order.
    images_b64: Vec<String>,
    payload: u64,
    response: Map<String, Value>,
    partner: PartnerId,
}

fn seed() -> Seed {
    let mut paths = vec![fixture("selfie_large.jpg")];
    paths.extend((1..=8).map(|n| fixture(&format!("liveness_large_{n}.jpg"))));
    let payload = paths
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().len())
        .sum();
    let images_b64 = paths
        .iter()
        .map(|p| STANDARD.encode(std::fs::read(p).unwrap()))
        .collect();
    let response = serde_json::from_str(
        r#"{"upload_url":"https://smile-uploads-example.s3.amazonaws.com/videos/085/085-0000000001-3f9a1c2e/selfie.zip?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=3600&X-Amz-Signature=7c1f0b5e2d9a4c3b8e6f1a0d2c4b6e8f9a1b3c5d7e9f0a2b4c6d8e0f1a3b5c7d","ref_id":"085-0000000001-3f9a1c2e","smile_job_id":"0000000001","camera_config":null,"code":"2202"}"#,
    )
    .unwrap();
    Seed {
        paths,
        images_b64,
        payload,
        response,
        partner: PartnerId::new("085"),
    }
}

fn request(images: Vec<Image>) -> SubmitRequest {
    SubmitRequest::new(
        PartnerParams::new("user-0001", "job-0002", JobType::SmartSelfieAuthentication),
        images,
    )
    .with_options(JobOptions {
        return_job_status: true,
        ..JobOptions::default()
    })
    .with_default_callback_url("https://callback.example.com/smile")
}

fn files_request(s: &Seed) -> SubmitRequest {
    let mut images = vec![Image::selfie_file(&s.paths[0])];
    images.extend(s.paths[1..].iter().map(Image::liveness_file));
    request(images)
}

fn base64_request(s: &Seed) -> SubmitRequest {
    let mut images = vec![Image::selfie_base64(s.images_b64[0].clone())];
    images.extend(
        s.images_b64[1..]
            .iter()
            .cloned()
            .map(Image::liveness_base64),
    );
    request(images)
}

fn zip(s: &Seed, job: &LoadedJob) -> Vec<u8> {
    let ctx = UploadContext::new(
        &s.partner,
        "2024-01-01T00:00:00.000Z",
        "fPrLyD/xE8xIhfqurdEPHUPf3LN+5HSBoqYgPuTi3RI=",
        &s.response,
    );
    job.build_zip(&ctx).unwrap()
}

/// What `zip-chunks` measures: the zip of a loaded job as shared chunks (what the clients
/// send), dropped before returning.
fn zip_chunks_only(s: &Seed, job: &LoadedJob) {
    let ctx = UploadContext::new(
        &s.partner,
        "2024-01-01T00:00:00.000Z",
        "fPrLyD/xE8xIhfqurdEPHUPf3LN+5HSBoqYgPuTi3RI=",
        &s.response,
    );
    let z = job.build_zip_chunks(&ctx).unwrap();
    black_box(&z);
}

/// What `load+zip` measures: validate (load) the request and build the zip, both dropped
/// before returning (see the module documentation).
fn load_and_zip(s: &Seed, req: SubmitRequest) {
    let job = req.validate().unwrap();
    let z = zip(s, &job);
    black_box(&z);
}

/// What `zip` measures: build the zip of a loaded job, dropped before returning.
fn zip_only(s: &Seed, job: &LoadedJob) {
    let z = zip(s, job);
    black_box(&z);
}

/// Peak heap growth while loading and building once, with the caller's own inputs (the base64
/// texts) counted as already held, like the payload of a file on disk is not.
fn peak(s: &Seed, make: fn(&Seed) -> SubmitRequest) -> (usize, usize, usize) {
    let req = make(s);
    let base = ALLOC.current_usage();
    ALLOC.reset_peak_usage();
    let job = req.validate().unwrap();
    let z = zip(s, &job);
    let peak = ALLOC.peak_usage() - base;
    let held = ALLOC.current_usage() - base;
    let len = z.len();
    drop((job, z));
    (peak, held, len)
}

/// A plain timing for the summary line: the median time per iteration of 7 runs of 50
/// iterations, each input made right before its iteration, outside the timed section.
fn median_time<T>(mut setup: impl FnMut() -> T, mut run: impl FnMut(T)) -> Duration {
    let mut runs: Vec<Duration> = (0..7)
        .map(|_| {
            let mut total = Duration::ZERO;
            for _ in 0..50 {
                let input = black_box(setup());
                let t = Instant::now();
                run(input);
                total += t.elapsed();
            }
            total / 50
        })
        .collect();
    runs.sort();
    runs[3]
}

/// MB/s (10^6 bytes) of `bytes` in `d`.
fn mb_per_s(bytes: u64, d: Duration) -> f64 {
    bytes as f64 / d.as_secs_f64() / 1e6
}

/// Puts glibc's malloc in the steady state of a long-running process: freeing one large
/// `mmap`ed block raises its mmap threshold to that block's size and its trim threshold to
/// twice that, so the jobs' buffers (the largest about 1.2 MB) come from the heap and their
/// memory is reused rather than returned to the system after every iteration. Other
/// allocators ignore it.
fn warm_allocator() {
    drop(black_box(vec![0u8; 16 << 20]));
}

fn bench(c: &mut Criterion) {
    warm_allocator();
    let s = seed();
    let payload = s.payload;
    let mut g = c.benchmark_group("package");
    // Decimal units (MB/s, GB/s), like the summary line.
    g.throughput(Throughput::BytesDecimal(payload));
    g.bench_function("files/load+zip", |b| {
        b.iter_batched(
            || files_request(&s),
            |req| load_and_zip(&s, req),
            BatchSize::PerIteration,
        )
    });
    let job = files_request(&s).validate().unwrap();
    g.bench_function("files/zip", |b| b.iter(|| zip_only(&s, &job)));
    g.bench_function("files/zip-chunks", |b| b.iter(|| zip_chunks_only(&s, &job)));
    g.bench_function("base64/load+zip", |b| {
        b.iter_batched(
            || base64_request(&s),
            |req| load_and_zip(&s, req),
            BatchSize::PerIteration,
        )
    });
    let job64 = base64_request(&s).validate().unwrap();
    g.bench_function("base64/zip", |b| b.iter(|| zip_only(&s, &job64)));
    g.bench_function("base64/zip-chunks", |b| {
        b.iter(|| zip_chunks_only(&s, &job64))
    });
    g.finish();

    // Summary: MB/s (10^6 bytes) over the image payload and peak heap vs the payload.
    println!();
    println!("seed case: 1 selfie + 8 liveness frames, payload {payload} bytes");
    for (name, make) in [
        ("files", files_request as fn(&Seed) -> SubmitRequest),
        ("base64", base64_request),
    ] {
        let load_zip = median_time(|| make(&s), |req| load_and_zip(&s, req));
        let loaded = make(&s).validate().unwrap();
        let zip_time = median_time(|| (), |()| zip_only(&s, &loaded));
        drop(loaded);
        let (peak, held, zip_len) = peak(&s, make);
        println!(
            "{name:>6}: load+zip {:8.0} MB/s ({:7.1} µs), zip only {:8.0} MB/s ({:7.1} µs), \
             peak heap {peak} bytes = {:.3} x payload (job + zip held after: {held}; zip {zip_len})",
            mb_per_s(payload, load_zip),
            load_zip.as_secs_f64() * 1e6,
            mb_per_s(payload, zip_time),
            zip_time.as_secs_f64() * 1e6,
            peak as f64 / payload as f64
        );
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! `cargo xtask bench`: building the upload package for the seed case (1 selfie + 8 liveness
//! frames from `testdata/fixtures/bench`), from files and from base64, as throughput over the
//! image payload, plus the peak heap each scenario needs (counting global allocator).
//!
//! Scenarios (throughput = image payload bytes; for base64 the decoded bytes):
//! - `files/load+zip`: validate (open, stat, read each file once, sniff) and build the zip.
//! - `files/zip`: build the zip from an already loaded job (what a re-prep retry repeats).
//! - `base64/load+zip`: the same nine images, all base64 (selfie type 2, liveness type 6):
//!   validate the texts strictly (chunked decode) and build the zip (the texts go into
//!   info.json, written in place in the zip).
//! - `base64/zip`: build only.

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

/// A plain timing for the summary line in MB/s: median of 7 runs of 50 iterations, inputs
/// prepared outside the timed section.
fn mb_per_s<T>(bytes: u64, mut setup: impl FnMut() -> T, mut run: impl FnMut(T)) -> f64 {
    let mut runs: Vec<Duration> = (0..7)
        .map(|_| {
            let inputs: Vec<T> = (0..50).map(|_| setup()).collect();
            let t = Instant::now();
            for input in inputs {
                run(input);
            }
            t.elapsed() / 50
        })
        .collect();
    runs.sort();
    bytes as f64 / runs[3].as_secs_f64() / 1e6
}

fn bench(c: &mut Criterion) {
    let s = seed();
    let payload = s.payload;
    let mut g = c.benchmark_group("package");
    g.throughput(Throughput::Bytes(payload));
    g.bench_function("files/load+zip", |b| {
        b.iter_batched(
            || files_request(&s),
            |req| black_box(zip(&s, &req.validate().unwrap())),
            BatchSize::SmallInput,
        )
    });
    let job = files_request(&s).validate().unwrap();
    g.bench_function("files/zip", |b| b.iter(|| black_box(zip(&s, &job))));
    g.bench_function("base64/load+zip", |b| {
        b.iter_batched(
            || base64_request(&s),
            |req| black_box(zip(&s, &req.validate().unwrap())),
            BatchSize::SmallInput,
        )
    });
    let job64 = base64_request(&s).validate().unwrap();
    g.bench_function("base64/zip", |b| b.iter(|| black_box(zip(&s, &job64))));
    g.finish();

    // Summary: MB/s (10^6 bytes) over the image payload and peak heap vs the payload.
    println!();
    println!("seed case: 1 selfie + 8 liveness frames, payload {payload} bytes");
    for (name, make) in [
        ("files", files_request as fn(&Seed) -> SubmitRequest),
        ("base64", base64_request),
    ] {
        let load_zip = mb_per_s(
            payload,
            || make(&s),
            |req| {
                black_box(zip(&s, &req.validate().unwrap()));
            },
        );
        let loaded = make(&s).validate().unwrap();
        let zip_only = mb_per_s(
            payload,
            || (),
            |()| {
                black_box(zip(&s, &loaded));
            },
        );
        drop(loaded);
        let (peak, held, zip_len) = peak(&s, make);
        println!(
            "{name:>6}: load+zip {load_zip:8.0} MB/s, zip only {zip_only:8.0} MB/s, \
             peak heap {peak} bytes = {:.3} x payload (job + zip held after: {held}; zip {zip_len})",
            peak as f64 / payload as f64
        );
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! Memory: a loaded job holds each image's bytes once, building the zip copies the payload
//! exactly once more (one buffer of the zip's exact size), and building it as chunks copies
//! none of it (only headers and `info.json`'s own parts are allocated). Measured with a counting global
//! allocator (peak_alloc), so this is its own test binary with a single test: nothing else
//! allocates concurrently. Not timed.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use peak_alloc::PeakAlloc;
use serde_json::{Map, Value};
use smile_package::{Image, LoadedJob, SubmitRequest, UploadContext};
use smile_types::{JobOptions, JobType, PartnerId, PartnerParams};

#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc;

/// Bookkeeping allowed on top of the payload: paths, names, problem list, info.json parts,
/// zip records (measured: under 2 KiB for nine images).
const SLACK: usize = 8 * 1024;

fn bench_fixture(name: &str) -> std::path::PathBuf {
    smile_testdata::bench_dir().join(name)
}

fn seed_paths() -> Vec<std::path::PathBuf> {
    let mut paths = vec![bench_fixture("selfie_large.jpg")];
    paths.extend((1..=8).map(|n| bench_fixture(&format!("liveness_large_{n}.jpg"))));
    paths
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
}

/// Runs `f` and returns its result with the peak heap growth above the starting point.
fn peak_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = ALLOC.current_usage();
    ALLOC.reset_peak_usage();
    let out = f();
    (out, ALLOC.peak_usage() - base)
}

fn build(job: &LoadedJob, response: &Map<String, Value>) -> (Vec<u8>, usize) {
    let pid = PartnerId::new("085");
    let ctx = UploadContext::new(&pid, "2024-01-01T00:00:00.000Z", "c2lnbmF0dXJl", response);
    peak_during(|| job.build_zip(&ctx).unwrap())
}

/// The chunked zip: checks it holds the same bytes as `zip`, returns its peak heap growth.
fn build_chunks(job: &LoadedJob, response: &Map<String, Value>, zip: &[u8]) -> usize {
    let pid = PartnerId::new("085");
    let ctx = UploadContext::new(&pid, "2024-01-01T00:00:00.000Z", "c2lnbmF0dXJl", response);
    let (chunks, peak) = peak_during(|| job.build_zip_chunks(&ctx).unwrap());
    assert_eq!(chunks.concat(), zip);
    peak
}

#[test]
fn payload_is_held_once_and_copied_once() {
    let response: Map<String, Value> = serde_json::from_str(
        r#"{"upload_url":"https://u.example/x","ref_id":"r","smile_job_id":"1","camera_config":null,"code":"2202"}"#,
    )
    .unwrap();

    // Files: loading reads each file once into an exact-size buffer.
    let paths = seed_paths();
    let payload: usize = paths
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().len() as usize)
        .sum();
    assert!(payload > 800_000, "bench fixtures: {payload} bytes");
    let mut images = vec![Image::selfie_file(&paths[0])];
    images.extend(paths[1..].iter().map(Image::liveness_file));
    let req = request(images);
    let (job, load_peak) = peak_during(|| req.validate().unwrap());
    assert!(
        load_peak <= payload + SLACK,
        "loading files peaked at {load_peak} bytes for a {payload}-byte payload"
    );
    assert!(
        load_peak >= payload,
        "the images are held ({load_peak} < {payload})"
    );
    eprintln!("files: payload {payload}, load peak {load_peak}");

    // Building: exactly one more copy (the zip), nothing else of payload size.
    let (zip, build_peak) = build(&job, &response);
    assert!(zip.len() > payload && zip.len() < payload + 4096);
    assert!(
        build_peak <= zip.len() + SLACK,
        "building peaked at {build_peak} bytes for a {}-byte zip",
        zip.len()
    );
    eprintln!("files: zip {}, build peak {build_peak}", zip.len());
    let chunks_peak = build_chunks(&job, &response, &zip);
    assert!(
        chunks_peak <= SLACK,
        "building chunks peaked at {chunks_peak} bytes (nothing of payload size may be allocated)"
    );
    drop(zip);
    drop(job);

    // Base64 (selfie type 2 and 8 liveness frames type 6): the text is moved into the job (not
    // copied) and never held decoded.
    let texts: Vec<String> = paths
        .iter()
        .map(|p| STANDARD.encode(std::fs::read(p).unwrap()))
        .collect();
    let text_len: usize = texts.iter().map(String::len).sum();
    let mut texts = texts.into_iter();
    let mut images = vec![Image::selfie_base64(texts.next().unwrap())];
    images.extend(texts.map(Image::liveness_base64));
    let req = request(images);
    let (job, load_peak) = peak_during(|| req.validate().unwrap());
    assert!(
        load_peak <= SLACK,
        "loading base64 peaked at {load_peak} bytes (nothing of payload size may be allocated)"
    );
    assert!(job.images().iter().all(|i| i.base64().is_some()));
    let (zip, build_peak) = build(&job, &response);
    eprintln!(
        "base64: text {text_len}, load peak {load_peak}, zip {}, build peak {build_peak}",
        zip.len()
    );
    assert!(zip.len() > text_len && zip.len() < text_len + 4096);
    assert!(
        build_peak <= zip.len() + SLACK,
        "building peaked at {build_peak} bytes for a {}-byte zip",
        zip.len()
    );
    let chunks_peak = build_chunks(&job, &response, &zip);
    assert!(
        chunks_peak <= SLACK,
        "building chunks peaked at {chunks_peak} bytes (nothing of payload size may be allocated)"
    );
}

//! Job processing: produces the results that are due by the emulator's clock (machine results
//! of processed jobs, final results of human reviews), enrols approved users and queues the
//! callbacks; and the scheduler task that drives it.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde_json::{Map, Value, json};
use tokio::sync::watch;

use crate::outcome::{self, EntryContext};
use crate::shared::{Delivery, Shared, later};
use crate::store::{Job, JobKind, JobPhase, Review, User};

/// Produces every result that is due by the clock: machine results of processed jobs
/// and final results of reviews. Queues their callbacks. Returns whether anything changed.
///
/// The callbacks are queued while the store lock is still held (the queue is unbounded and
/// never blocks), so a job's results are queued in the order they were produced even when
/// two callers run this at once.
pub(crate) fn run_due(shared: &Shared) -> bool {
    let now = shared.now();
    let changed = {
        let mut store = shared.store();
        let store = &mut *store;
        let mut deliveries = Vec::new();
        for job in store.jobs.values_mut() {
            if job.phase == JobPhase::Processing && job.processing_due.is_none_or(|d| d <= now) {
                process(job, &mut store.users, shared.config.review_delay, now);
                queue_last(job, &mut deliveries);
            }
            if job
                .review
                .as_ref()
                .is_some_and(|r| r.due.is_some_and(|d| d <= now))
            {
                finish_review(job, &mut store.users, now);
                queue_last(job, &mut deliveries);
            }
        }
        let changed = !deliveries.is_empty();
        shared.dispatch(deliveries);
        changed
    };
    if changed {
        shared.persist();
    }
    changed
}

/// Completes every pending review now (whatever its due time).
pub(crate) fn complete_reviews(shared: &Shared) -> usize {
    let now = shared.now();
    let mut count = 0;
    {
        let mut store = shared.store();
        for job in store.jobs.values_mut() {
            if let Some(review) = job.review.as_mut() {
                review.due = Some(now);
                count += 1;
            }
        }
    }
    run_due(shared);
    count
}

/// The earliest time something becomes due, if anything is scheduled.
pub(crate) fn next_due(shared: &Shared) -> Option<SystemTime> {
    let store = shared.store();
    store
        .jobs
        .values()
        .flat_map(|j| {
            let processing = (j.phase == JobPhase::Processing)
                .then_some(j.processing_due)
                .flatten();
            let review = j.review.as_ref().and_then(|r| r.due);
            processing.into_iter().chain(review)
        })
        .min()
}

/// Drives due work: wakes when notified or when the next due time (by the emulator's clock)
/// is near, and at least every 50 ms while something is scheduled (a test clock may have been
/// advanced meanwhile).
pub(crate) async fn scheduler(shared: Arc<Shared>, mut shutdown: watch::Receiver<bool>) {
    const MAX_NAP: Duration = Duration::from_millis(50);
    loop {
        run_due(&shared);
        let nap = next_due(&shared).map(|due| {
            due.duration_since(shared.now())
                .unwrap_or(Duration::ZERO)
                .min(MAX_NAP)
        });
        tokio::select! {
            () = shared.wake.notified() => {}
            () = async {
                match nap {
                    Some(d) => tokio::time::sleep(d).await,
                    None => std::future::pending::<()>().await,
                }
            } => {}
            _ = shutdown.changed() => return,
        }
    }
}

fn queue_last(job: &Job, deliveries: &mut Vec<Delivery>) {
    if let (Some(url), Some(entry)) = (&job.callback_url, job.results.last()) {
        deliveries.push(Delivery {
            job_id: job.job_id.clone(),
            smile_job_id: job.smile_job_id.clone(),
            url: url.clone(),
            entry: entry.clone(),
        });
    }
}

/// Produces the machine result of a processed job.
fn process(
    job: &mut Job,
    users: &mut BTreeMap<String, User>,
    review_delay: Option<Duration>,
    now: SystemTime,
) {
    job.phase = JobPhase::Complete;
    job.processing_due = None;
    let ctx = EntryContext {
        job_type: job.job_type,
        smile_job_id: &job.smile_job_id,
        partner_params: &job.partner_params,
    };
    if let Some(failure) = &job.failure {
        let entry = outcome::result_entry(&ctx, &failure.code, None, Some(&failure.detail));
        job.results.push(entry);
        return;
    }
    let code = job.outcome.result.clone();
    if job.kind == JobKind::IdApi {
        let entry = outcome::id_result_entry(&ctx, &code, &job.id_info);
        job.results.push(entry);
        return;
    }
    if job.job_type == 1 && entered(&job.id_info) {
        // Biometric KYC looks the ID up first; that lookup is part of the history.
        let lookup_ctx = EntryContext {
            job_type: 5,
            smile_job_id: &job.smile_job_id,
            partner_params: &job.partner_params,
        };
        let lookup = outcome::id_result_entry(&lookup_ctx, "1012", &job.id_info);
        job.results.push(lookup);
    }
    let mut entry = outcome::result_entry(&ctx, &code, None, None);
    add_id_fields(job, &mut entry, &code);
    add_warnings(&mut entry, &job.warnings);
    job.results.push(entry);
    if let Some(final_code) = job.outcome.final_result.clone() {
        job.review = Some(Review {
            due: review_delay.map(|d| later(now, d)),
            prior: code,
            final_code,
        });
    } else {
        enrol_if_approved(job, users, now);
    }
}

/// Job 11 (Enhanced Document Verification) reports the ID details with its result: the same
/// fields as an ID lookup (`Country`, `IDType`, `IDNumber`, `FullName`, `DOB`, ...), filled in
/// when the result is a success and "Not Available" otherwise.
fn add_id_fields(job: &Job, entry: &mut Map<String, Value>, code: &str) {
    if job.job_type != 11 {
        return;
    }
    let lookup_ctx = EntryContext {
        job_type: 5,
        smile_job_id: &job.smile_job_id,
        partner_params: &job.partner_params,
    };
    let lookup_code = if outcome::is_success(11, code) {
        "1012"
    } else {
        "1013"
    };
    let lookup = outcome::id_result_entry(&lookup_ctx, lookup_code, &job.id_info);
    for key in [
        "Country",
        "IDType",
        "IDNumber",
        "FullName",
        "DOB",
        "Gender",
        "PhoneNumber",
        "ExpirationDate",
        "Photo",
        "Address",
    ] {
        if let Some(value) = lookup.get(key) {
            entry.insert(key.into(), value.clone());
        }
    }
}

/// Adds `EmulatorWarnings` (what the package check skipped) to a result entry, if any.
fn add_warnings(entry: &mut Map<String, Value>, warnings: &[String]) {
    if !warnings.is_empty() {
        entry.insert("EmulatorWarnings".into(), json!(warnings));
    }
}

fn entered(id_info: &Map<String, Value>) -> bool {
    match id_info.get("entered") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

fn finish_review(job: &mut Job, users: &mut BTreeMap<String, User>, now: SystemTime) {
    let Some(review) = job.review.take() else {
        return;
    };
    let ctx = EntryContext {
        job_type: job.job_type,
        smile_job_id: &job.smile_job_id,
        partner_params: &job.partner_params,
    };
    let mut entry = outcome::result_entry(&ctx, &review.final_code, Some(&review.prior), None);
    add_id_fields(job, &mut entry, &review.final_code);
    add_warnings(&mut entry, &job.warnings);
    job.results.push(entry);
    enrol_if_approved(job, users, now);
}

/// Jobs 1, 4 and 6 enrol their user when approved ([protocol §4.3](smile_types::protocol#43-partner_params)).
fn enrol_if_approved(job: &Job, users: &mut BTreeMap<String, User>, now: SystemTime) {
    if !matches!(job.job_type, 1 | 4 | 6) {
        return;
    }
    let Some(code) = job
        .results
        .last()
        .and_then(|r| r.get("ResultCode"))
        .and_then(Value::as_str)
    else {
        return;
    };
    if !outcome::is_approved(job.job_type, code) {
        return;
    }
    // A document-verification job that reused the enrolled selfie enrols nobody new.
    if users.contains_key(&job.user_id) && job.job_type != 4 {
        return;
    }
    users.insert(
        job.user_id.clone(),
        User {
            user_id: job.user_id.clone(),
            job_id: Some(job.job_id.clone()),
            smile_job_id: Some(job.smile_job_id.clone()),
            has_photo: !job.use_enrolled_image,
            enrolled_at: now,
        },
    );
}

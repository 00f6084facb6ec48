//! In-memory state: enrolled users, jobs, upload slots, stored images, callback log.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::outcome::{Outcome, echo_partner_params};

/// Most callback attempts kept in the log.
const CALLBACK_LOG_LIMIT: usize = 1000;
/// Most image bytes kept for image links (oldest dropped first).
const IMAGE_BYTES_LIMIT: usize = 128 << 20;

/// Parsed `partner_params`.
pub(crate) struct PartnerParams {
    pub(crate) user_id: String,
    pub(crate) job_id: String,
    pub(crate) job_type: u32,
    pub(crate) extras: Map<String, Value>,
}

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum JobPhase {
    /// Prepared (`POST /upload`), waiting for its zip.
    AwaitingUpload,
    /// Zip received (or ID API call accepted), result not yet produced.
    Processing,
    /// A result exists (it may still be provisional; see [`JobInfo::review_pending`]).
    Complete,
}

/// A presigned-URL stand-in: the token in the upload URL and when it stops working.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct UploadSlot {
    pub(crate) token: String,
    pub(crate) expires_at: SystemTime,
    /// A zip has been received through this URL.
    #[serde(default)]
    pub(crate) received: bool,
}

/// A pending human review.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Review {
    /// When it completes; `None`: only on request.
    pub(crate) due: Option<SystemTime>,
    pub(crate) prior: String,
    pub(crate) final_code: String,
}

/// Why a package (zip) was refused: the result code the job gets and an explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Failure {
    pub(crate) code: String,
    pub(crate) detail: String,
}

/// How the job came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum JobKind {
    /// The prep-upload + zip flow (jobs 1, 2, 4, 6, 11).
    Upload,
    /// `id_verification` / `business_verification` (jobs 5, 7).
    IdApi,
}

/// One job.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Job {
    pub(crate) smile_job_id: String,
    pub(crate) job_id: String,
    pub(crate) user_id: String,
    pub(crate) job_type: u32,
    pub(crate) kind: JobKind,
    /// Partner params as echoed in results.
    pub(crate) partner_params: Map<String, Value>,
    pub(crate) callback_url: Option<String>,
    pub(crate) use_enrolled_image: bool,
    pub(crate) created_at: SystemTime,
    pub(crate) phase: JobPhase,
    pub(crate) outcome: Outcome,
    pub(crate) upload: Option<UploadSlot>,
    pub(crate) processing_due: Option<SystemTime>,
    pub(crate) failure: Option<Failure>,
    /// ID details (job 1's `id_info` when entered; the ID API request's fields).
    pub(crate) id_info: Map<String, Value>,
    /// Every result so far, oldest first (the last one is `result`).
    pub(crate) results: Vec<Map<String, Value>>,
    pub(crate) review: Option<Review>,
    /// Image link name (`selfie_image`, …) → image token.
    pub(crate) images: Vec<(String, String)>,
    /// What the package check skipped (shown as `EmulatorWarnings` in the results).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) warnings: Vec<String>,
}

impl Job {
    /// A new job for `pp` (its partner params echoed with `job_type`), awaiting its upload,
    /// with no callback URL, upload slot, due time, failure, ID details, results, review or
    /// images yet: callers set what their flow adds.
    pub(crate) fn new(
        smile_job_id: String,
        pp: &PartnerParams,
        job_type: u32,
        kind: JobKind,
        created_at: SystemTime,
        outcome: Outcome,
    ) -> Job {
        Job {
            smile_job_id,
            job_id: pp.job_id.clone(),
            user_id: pp.user_id.clone(),
            job_type,
            kind,
            partner_params: echo_partner_params(&pp.user_id, &pp.job_id, job_type, &pp.extras),
            callback_url: None,
            use_enrolled_image: false,
            created_at,
            phase: JobPhase::AwaitingUpload,
            outcome,
            upload: None,
            processing_due: None,
            failure: None,
            id_info: Map::new(),
            results: Vec::new(),
            review: None,
            images: Vec::new(),
            warnings: Vec::new(),
        }
    }
}

/// An enrolled user.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct User {
    pub(crate) user_id: String,
    /// The job that enrolled the user (`None`: enrolled through the control API).
    pub(crate) job_id: Option<String>,
    pub(crate) smile_job_id: Option<String>,
    pub(crate) has_photo: bool,
    pub(crate) enrolled_at: SystemTime,
}

/// What happened to one callback delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[non_exhaustive]
pub enum CallbackOutcome {
    /// The receiver answered 2xx.
    Delivered {
        /// HTTP status.
        status: u16,
    },
    /// The receiver answered with another status; retried while attempts remain.
    Rejected {
        /// HTTP status.
        status: u16,
    },
    /// The request failed (connection refused, timeout…); retried while attempts remain.
    Failed {
        /// Error text.
        error: String,
    },
    /// Not sent: the target is not a loopback address and external callbacks are not allowed,
    /// or the URL is unusable.
    Blocked {
        /// Why.
        reason: String,
    },
}

/// One entry of the callback log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CallbackRecord {
    /// Smile job id of the job.
    pub smile_job_id: String,
    /// Partner job id.
    pub job_id: String,
    /// Target URL.
    pub url: String,
    /// `ResultCode` of the delivered result.
    pub result_code: String,
    /// Attempt number, from 1.
    pub attempt: u32,
    /// What happened.
    #[serde(flatten)]
    pub outcome: CallbackOutcome,
}

/// A stored image served through image links.
#[derive(Debug, Clone)]
pub(crate) struct StoredImage {
    pub(crate) content_type: &'static str,
    pub(crate) bytes: Vec<u8>,
}

/// The whole state.
#[derive(Debug, Default)]
pub(crate) struct Store {
    pub(crate) next_job_number: u64,
    pub(crate) jobs: BTreeMap<String, Job>,
    pub(crate) users: BTreeMap<String, User>,
    /// Upload token → job id.
    pub(crate) uploads: HashMap<String, String>,
    pub(crate) images: HashMap<String, StoredImage>,
    image_order: VecDeque<String>,
    image_bytes: usize,
    pub(crate) callback_log: VecDeque<CallbackRecord>,
    /// Web tokens issued.
    pub(crate) tokens_issued: u64,
}

/// The persisted form of [`Store`] (images and the callback log are not kept).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Snapshot {
    pub(crate) version: u32,
    pub(crate) next_job_number: u64,
    pub(crate) users: Vec<User>,
    pub(crate) jobs: Vec<Job>,
}

impl Store {
    /// Allocates the next Smile job id (`"0000000001"`, …).
    pub(crate) fn next_smile_job_id(&mut self) -> String {
        self.next_job_number += 1;
        format!("{:010}", self.next_job_number)
    }

    pub(crate) fn add_image(&mut self, token: String, image: StoredImage) {
        self.image_bytes += image.bytes.len();
        self.image_order.push_back(token.clone());
        self.images.insert(token, image);
        while self.image_bytes > IMAGE_BYTES_LIMIT {
            let Some(oldest) = self.image_order.pop_front() else {
                break;
            };
            if let Some(img) = self.images.remove(&oldest) {
                self.image_bytes -= img.bytes.len();
            }
        }
    }

    pub(crate) fn log_callback(&mut self, record: CallbackRecord) {
        if self.callback_log.len() >= CALLBACK_LOG_LIMIT {
            self.callback_log.pop_front();
        }
        self.callback_log.push_back(record);
    }

    pub(crate) fn snapshot(&self) -> Snapshot {
        Snapshot {
            version: 1,
            next_job_number: self.next_job_number,
            users: self.users.values().cloned().collect(),
            jobs: self.jobs.values().cloned().collect(),
        }
    }

    pub(crate) fn restore(snapshot: Snapshot) -> Self {
        let mut store = Store {
            next_job_number: snapshot.next_job_number,
            ..Store::default()
        };
        for user in snapshot.users {
            store.users.insert(user.user_id.clone(), user);
        }
        for mut job in snapshot.jobs {
            // Images are not persisted: links to them would be dead.
            job.images.clear();
            if let Some(slot) = &job.upload {
                store.uploads.insert(slot.token.clone(), job.job_id.clone());
            }
            store.jobs.insert(job.job_id.clone(), job);
        }
        store
    }

    pub(crate) fn clear(&mut self) {
        *self = Store::default();
    }
}

/// A read-only view of one job, for tests and the control API.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct JobInfo {
    /// The emulator's id of the job.
    pub smile_job_id: String,
    /// The partner's job id.
    pub job_id: String,
    /// The partner's user id.
    pub user_id: String,
    /// Job type number.
    pub job_type: u32,
    /// Where the job is.
    pub phase: JobPhase,
    /// The callback URL given, if any.
    pub callback_url: Option<String>,
    /// `ResultCode` of every result so far, oldest first.
    pub result_codes: Vec<String>,
    /// Every result entry so far, oldest first.
    pub results: Vec<Value>,
    /// A provisional result waits for its final one.
    pub review_pending: bool,
    /// Why the uploaded package was refused, if it was.
    pub failure: Option<String>,
}

impl From<&Job> for JobInfo {
    fn from(job: &Job) -> Self {
        JobInfo {
            smile_job_id: job.smile_job_id.clone(),
            job_id: job.job_id.clone(),
            user_id: job.user_id.clone(),
            job_type: job.job_type,
            phase: job.phase,
            callback_url: job.callback_url.clone(),
            result_codes: job
                .results
                .iter()
                .filter_map(|r| r.get("ResultCode").and_then(Value::as_str))
                .map(str::to_owned)
                .collect(),
            results: job.results.iter().cloned().map(Value::Object).collect(),
            review_pending: job.review.is_some(),
            failure: job
                .failure
                .as_ref()
                .map(|f| format!("{}: {}", f.code, f.detail)),
        }
    }
}

/// A read-only view of one enrolled user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct UserInfo {
    /// The partner's user id.
    pub user_id: String,
    /// The job that enrolled the user, if any.
    pub job_id: Option<String>,
    /// Whether a photo is on file (job 2 fails with 2216 otherwise).
    pub has_photo: bool,
}

impl From<&User> for UserInfo {
    fn from(u: &User) -> Self {
        UserInfo {
            user_id: u.user_id.clone(),
            job_id: u.job_id.clone(),
            has_photo: u.has_photo,
        }
    }
}

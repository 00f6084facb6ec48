//! The one place the app submits a job to Smile ID: the two-phase form.
//!
//! 1. `create_job` validates the images and sends `POST /upload`: the job exists and its
//!    `smile_job_id` is known **before** any image is uploaded. A real server stores the
//!    returned `CreatedJob` (it is serde-serializable) with its own record of the job, so that a
//!    process that dies before the upload can finish it (`upload_job`) after a restart, and any
//!    error that says the job may exist is finished with `resume_job`, never a new job id.
//! 2. `upload_job` sends the zip, with `return_job_status: false`: every result (provisional,
//!    then final) arrives on the app's callback route.

use smile_async::{Image, JobOptions, JobOutcome, PartnerParams, SubmitRequest, WebApi};

/// Submits `images` for `params`; the results go to `callback_url`.
pub(crate) async fn submit(
    api: &WebApi,
    params: PartnerParams,
    images: Vec<Image>,
    callback_url: &str,
) -> Result<JobOutcome, smile_async::Error> {
    let options = JobOptions {
        return_job_status: false,
        callback_url: Some(callback_url.to_owned()),
        ..JobOptions::default()
    };
    let request = SubmitRequest::new(params, images).with_options(options);
    // Phase one; this example keeps its jobs in memory, so the CreatedJob is only logged here.
    let created = api.create_job(request.clone()).await?;
    tracing::info!(smile_job_id = %created.smile_job_id, job_id = %created.job_id(), "job created");
    api.upload_job(&created, request).await
}

//! SmartSelfie™ Authentication, step by step as on the Smile ID product page (Node sample),
//! with the async client.
//!
//! ```sh
//! SMILE_PARTNER_ID=085 SMILE_API_KEY=... SMILE_USER_ID=enrolled-user \
//! SMILE_SELFIE=selfie.jpg SMILE_LIVENESS=l1.jpg,l2.jpg,... \
//! cargo run -p smile-async --example smartselfie_auth_async
//! ```
//!
//! Without the required variables it prints what it needs and exits successfully (so CI can run
//! it without credentials or network).

use std::env;
use std::process::ExitCode;

use smile_async::{Image, JobOptions, JobType, PartnerParams, Server, WebApi};

const HELP: &str = "\
This example submits a SmartSelfie(TM) Authentication job (job type 2) to Smile ID.
Set these environment variables to run it:

  SMILE_PARTNER_ID   your partner id, as shown in the portal (e.g. 085)          [required]
  SMILE_API_KEY      the API key of the chosen environment                          [required]
  SMILE_USER_ID      the user_id under which the user was enrolled                  [required]
  SMILE_SELFIE       path to the selfie (JPEG)                                       [required]
  SMILE_LIVENESS     comma-separated paths to liveness frames (8 recommended)       [optional]
  SMILE_SID_SERVER   0 = sandbox (default), 1 = production, or a base URL           [optional]
  SMILE_CALLBACK_URL your callback endpoint (the reliable channel for the result)   [optional]
  SMILE_JOB_ID       a new, unique job id (default: generated from the time)        [optional]
  SMILE_RETURN_JOB_STATUS  true (default) to wait for the result, false to return at once
";

fn var(name: &str) -> Option<String> {
    env::var(name).ok().filter(|v| !v.trim().is_empty())
}

#[tokio::main]
async fn main() -> ExitCode {
    // 1 + 2. Get your Partner ID and API key (from the portal; per environment).
    let (Some(partner_id), Some(api_key), Some(user_id), Some(selfie)) = (
        var("SMILE_PARTNER_ID"),
        var("SMILE_API_KEY"),
        var("SMILE_USER_ID"),
        var("SMILE_SELFIE"),
    ) else {
        println!("{HELP}");
        return ExitCode::SUCCESS;
    };
    match run(partner_id, api_key, user_id, selfie).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            let mut source = std::error::Error::source(e.as_ref());
            while let Some(s) = source {
                eprintln!("  caused by: {s}");
                source = s.source();
            }
            ExitCode::FAILURE
        }
    }
}

async fn run(
    partner_id: String,
    api_key: String,
    user_id: String,
    selfie: String,
) -> Result<(), Box<dyn std::error::Error>> {
    // Initialize: partner id, default callback, API key and sid_server (0 sandbox, 1 production).
    let server: Server = var("SMILE_SID_SERVER")
        .unwrap_or_else(|| "0".into())
        .parse()?;
    let mut builder = WebApi::builder(partner_id, api_key).server(server);
    // 3. Create a callback endpoint: results (including the final result after a human review)
    //    are delivered there.
    if let Some(callback) = var("SMILE_CALLBACK_URL") {
        builder = builder.default_callback(callback);
    }
    let connection = builder.build()?;

    // 5. The user id under which the user was enrolled, and a new unique job id.
    let job_id = var("SMILE_JOB_ID").unwrap_or_else(|| {
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or_default();
        format!("job-{ms}")
    });
    let partner_params = PartnerParams::new(user_id, job_id, JobType::SmartSelfieAuthentication);

    // 4. The user's selfie (image_type_id 0: a file) and, for proof of life, liveness frames
    //    (image_type_id 4). Image::selfie_base64 / liveness_base64 give types 2 and 6.
    let mut image_details = vec![Image::selfie_file(selfie)];
    for path in var("SMILE_LIVENESS").unwrap_or_default().split(',') {
        if !path.trim().is_empty() {
            image_details.push(Image::liveness_file(path.trim()));
        }
    }

    // The options of the job.
    let return_job_status = var("SMILE_RETURN_JOB_STATUS").is_none_or(|v| v != "false");
    let options = JobOptions {
        return_job_status,
        return_history: return_job_status,
        return_image_links: return_job_status,
        ..JobOptions::default()
    };

    // 6. Submit the job (validated and read completely before anything is sent).
    let response = connection
        .submit_job(partner_params, image_details, None, options)
        .await?;

    // 7. Interpret the results. Act on `is_final_approval()` only: a result that is not final
    //    (e.g. under human review) is settled later, and the final one reaches the callback.
    println!("{}", response.summary());
    if response.is_final_approval() {
        println!("Authenticated.");
    }
    Ok(())
}

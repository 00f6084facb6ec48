//! The image jobs: `smile submit --job-type 1|2|4|6|11`, and its short forms `smile register`
//! (job 4) and `smile auth` (job 2). What each job type takes comes from the job-type table
//! ([`JobSpec`]); a flag the job type does not take, or a missing one it needs, is a usage
//! error naming the flag.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use serde_json::Value;
use smile_blocking::types::{EnrolledImage, IdInfoRule, JobSpec, Need};
use smile_blocking::{
    Image, JobOptions, JobOutcome, JobType, PartnerParams, SubmitJob, SubmitRequest,
};

use crate::args::{Connection, DocumentImages, IdFields, JobFlow, JobIds, SelfieImages};
use crate::fail::{self, Context};
use crate::output::{CliError, Done, JobRef, Outcome, ProblemOut, result_json, without_signature};
use crate::progress::Progress;
use crate::{Run, report, shell};

/// `smile register` and `smile auth`: a selfie and liveness frames.
#[derive(Debug, Args)]
pub(crate) struct SelfieJobArgs {
    #[command(flatten)]
    pub(crate) conn: Connection,
    #[command(flatten)]
    pub(crate) ids: JobIds,
    #[command(flatten)]
    pub(crate) images: SelfieImages,
    #[command(flatten)]
    pub(crate) flow: JobFlow,
}

/// `smile submit`: any image job.
#[derive(Debug, Args)]
pub(crate) struct SubmitArgs {
    /// The job type: 1 Biometric KYC, 2 SmartSelfie Authentication, 4 SmartSelfie Registration,
    /// 6 Document Verification, 11 Enhanced Document Verification.
    #[arg(long, value_name = "N", value_parser = crate::args::image_job_type)]
    pub(crate) job_type: JobType,
    #[command(flatten)]
    pub(crate) conn: Connection,
    #[command(flatten)]
    pub(crate) ids: JobIds,
    #[command(flatten)]
    pub(crate) images: SelfieImages,
    #[command(flatten)]
    pub(crate) documents: DocumentImages,
    #[command(flatten)]
    pub(crate) id: IdFields,
    #[command(flatten)]
    pub(crate) flow: JobFlow,
}

impl SelfieJobArgs {
    pub(crate) fn into_submit(self, job_type: JobType) -> SubmitArgs {
        SubmitArgs {
            job_type,
            conn: self.conn,
            ids: self.ids,
            images: self.images,
            documents: DocumentImages::default(),
            id: IdFields::default(),
            flow: self.flow,
        }
    }
}

/// The largest base64 image file read (the SDK's own per-image limit is far below this).
const MAX_BASE64_FILE: u64 = 64 * 1024 * 1024;

/// Runs an image job.
pub(crate) fn run(args: SubmitArgs, run: &Run) -> Result<Done, CliError> {
    let spec = JobSpec::of(args.job_type)
        .filter(|s| s.is_image_job())
        .ok_or_else(|| CliError::usage("not an image job type"))?;
    check_against_spec(spec, &args)?;

    let (job_id, generated) = args.ids.job_id();
    let job = JobRef {
        user_id: Some(args.ids.user_id.clone()),
        job_id: Some(job_id.clone()),
        job_id_generated: generated,
        job_type: Some(args.job_type.code()),
        smile_job_id: None,
    };
    let resume_command = shell::resume_command(&run.args, &job_id);
    let mut ctx = Context {
        job: Some(job.clone()),
        resume_command: Some(resume_command),
        base_url: args.conn.base_url(),
        image_flags: Vec::new(),
        callback_url: args.flow.callback_url.clone(),
        waits: !args.flow.no_wait,
    };

    let (images, flags) = images(&args).map_err(|problems| {
        let mut e = CliError::failure(
            "invalid_input",
            format!(
                "invalid input, nothing was sent ({} problem{})",
                problems.len(),
                if problems.len() == 1 { "" } else { "s" }
            ),
        );
        e.problems = problems;
        e.with_job(Some(job.clone()))
    })?;
    ctx.image_flags = flags;

    let mut params = PartnerParams::new(args.ids.user_id.as_str(), job_id.as_str(), args.job_type);
    for (k, v) in &args.flow.extra {
        params = params.with_extra(k.as_str(), v.as_str());
    }
    let wait = !args.flow.no_wait;
    let options = JobOptions {
        return_job_status: wait,
        return_history: args.flow.history,
        return_image_links: args.flow.image_links,
        use_enrolled_image: args.documents.use_enrolled_image,
        callback_url: args.flow.callback_url.clone(),
        ..JobOptions::default()
    };
    let mut request = SubmitRequest::new(params, images).with_options(options);
    if spec.id_info != IdInfoRule::Forbidden && !args.id.given().is_empty() {
        request = request.with_id_info(args.id.to_id_info());
    }

    let deadline = Duration::from_secs(args.flow.timeout);
    let api = args
        .conn
        .client(Some(deadline))
        .map_err(|e| e.with_job(Some(job.clone())))?;
    let machine = if args.flow.resume {
        SubmitJob::resume(api.config(), request)
    } else {
        SubmitJob::new(api.config(), request)
    }
    .map_err(|e| fail::sdk_error(&e, &ctx))?;
    // Said once the input is valid, just before the job is created.
    if generated && !run.json {
        eprintln!(
            "smile: job_id {job_id} (generated: if this run is interrupted, finish the job with \
             --job-id {job_id} --resume)"
        );
    }
    let progress = Progress::new(run.progress);
    let outcome = api
        .run(progress.observe(machine, deadline))
        .map_err(|e| fail::sdk_error(&e, &ctx))?;
    drop(progress);
    Ok(done(&outcome, job, args.job_type, &args.flow))
}

/// What the job's outcome means, for both outputs.
fn done(outcome: &JobOutcome, mut job: JobRef, job_type: JobType, flow: &JobFlow) -> Done {
    job.smile_job_id = Some(outcome.smile_job_id().as_str().to_owned());
    let name = job_type.name().unwrap_or("job");
    let mut human = format!(
        "job type {} ({name}), user_id {}, job_id {}\nsmile_job_id {}\n",
        job_type.code(),
        job.user_id.as_deref().unwrap_or("-"),
        job.job_id.as_deref().unwrap_or("-"),
        outcome.smile_job_id(),
    );
    let status_command = shell::status_command(
        job.user_id.as_deref().unwrap_or(""),
        job.job_id.as_deref().unwrap_or(""),
    );
    match outcome {
        JobOutcome::Completed {
            status,
            interpretation,
            ..
        } => {
            human.push_str(&report::status(status, Some(job_type), ""));
            human.push('\n');
            human.push_str(&report::verdict(interpretation, &status_command));
            let result = status
                .result_entry()
                .map_or(Value::Null, |e| result_json(e, interpretation));
            let response = serde_json::to_value(&**status).map_or(Value::Null, without_signature);
            Done::new(Outcome::of(interpretation), human)
                .job(job)
                .field("result", result)
                .field("response", response)
        }
        _ => {
            human.push_str(&format!(
                "submitted: the images are uploaded; the result goes to the callback URL {}",
                flow.callback_url
                    .as_deref()
                    .unwrap_or("(the portal's default)")
            ));
            human.push_str(&format!("\nto ask for it later: {status_command}"));
            Done::new(Outcome::Submitted, human)
                .job(job)
                .field("result", Value::Null)
                .field("response", Value::Null)
        }
    }
}

/// The job-type table against the flags: every flag the job type does not take and every
/// input it needs that is missing, in one usage error.
fn check_against_spec(spec: &JobSpec, args: &SubmitArgs) -> Result<(), CliError> {
    let t = spec.job_type.code();
    let name = spec.job_type.name().unwrap_or("this job");
    let mut problems: Vec<String> = Vec::new();
    let img = &args.images;
    let doc = &args.documents;
    let has_selfie = img.selfie.is_some() || img.selfie_base64.is_some();
    let enrolled = doc.use_enrolled_image && spec.enrolled_image == EnrolledImage::Optional;
    if spec.selfie == Need::Required && !has_selfie && !enrolled {
        problems.push(format!(
            "job type {t} ({name}) needs a selfie: --selfie FILE or --selfie-base64 FILE{}",
            if spec.enrolled_image == EnrolledImage::Optional {
                " (or --use-enrolled-image)"
            } else {
                ""
            }
        ));
    }
    if spec.liveness == Need::Forbidden
        && !(img.liveness.is_empty() && img.liveness_base64.is_empty())
    {
        problems.push(format!(
            "job type {t} ({name}) takes no liveness frames: leave out --liveness"
        ));
    }
    let front = doc.id_front.is_some() || doc.id_front_base64.is_some();
    let back = doc.id_back.is_some() || doc.id_back_base64.is_some();
    match spec.id_front {
        Need::Required if !front => problems.push(format!(
            "job type {t} ({name}) needs the front of the ID document: --id-front FILE or \
             --id-front-base64 FILE"
        )),
        Need::Forbidden if front => problems.push(format!(
            "job type {t} ({name}) takes no ID document images: leave out --id-front"
        )),
        _ => {}
    }
    if spec.id_back == Need::Forbidden && back {
        problems.push(format!(
            "job type {t} ({name}) takes no ID document images: leave out --id-back"
        ));
    }
    if doc.use_enrolled_image && spec.enrolled_image != EnrolledImage::Optional {
        problems.push(format!(
            "--use-enrolled-image is for job types 6 and 11, not {t} ({name})"
        ));
    }
    let id = &args.id;
    let given = id.given();
    match spec.id_info {
        IdInfoRule::Forbidden if !given.is_empty() => problems.push(format!(
            "job type {t} ({name}) takes no ID details: leave out {}",
            given.join(", ")
        )),
        IdInfoRule::Document { id_type_required } => {
            if id.country.is_none() {
                problems.push(format!(
                    "job type {t} ({name}) needs the document's country: --country CC (e.g. NG)"
                ));
            }
            if id_type_required && id.id_type.is_none() {
                problems.push(format!(
                    "job type {t} ({name}) needs the document's type: --id-type TYPE (`smile \
                     documents` lists them)"
                ));
            }
        }
        IdInfoRule::WhenEntered => {
            if id.id_number.is_some() {
                for (flag, v) in [("--country", &id.country), ("--id-type", &id.id_type)] {
                    if v.is_none() {
                        problems.push(format!(
                            "--id-number is verified with the ID authority, which needs {flag} too"
                        ));
                    }
                }
            } else if !front {
                problems.push(format!(
                    "job type {t} ({name}) needs the front of the ID document (--id-front FILE) \
                     or the ID details to verify (--country, --id-type and --id-number)"
                ));
            }
        }
        _ => {}
    }
    if problems.is_empty() {
        return Ok(());
    }
    let mut e = CliError::usage(if problems.len() == 1 {
        problems.remove(0)
    } else {
        format!("{} problems with the flags:", problems.len())
    });
    e.problems = problems
        .into_iter()
        .map(|message| ProblemOut {
            code: "usage".into(),
            flag: None,
            message,
        })
        .collect();
    Err(e.hint(format!(
        "see `smile {} --help`",
        match spec.job_type {
            JobType::SmartSelfieAuthentication => "auth",
            JobType::SmartSelfieRegistration => "register",
            _ => "submit",
        }
    )))
}

/// The images of the job, in order, with the flag that gave each (for messages). Base64 files
/// are read here; one that cannot be read is a problem naming the file.
fn images(args: &SubmitArgs) -> Result<(Vec<Image>, Vec<String>), Vec<ProblemOut>> {
    let mut images = Vec::new();
    let mut flags = Vec::new();
    let mut problems = Vec::new();
    let mut file = |flag: &str, path: &Path, make: fn(PathBuf) -> Image| {
        flags.push(format!(
            "{flag} {}",
            shell::quote(&path.display().to_string())
        ));
        images.push(make(path.to_path_buf()));
    };
    let img = &args.images;
    let doc = &args.documents;
    if let Some(p) = &img.selfie {
        file("--selfie", p, Image::selfie_file);
    }
    for p in &img.liveness {
        file("--liveness", p, Image::liveness_file);
    }
    if let Some(p) = &doc.id_front {
        file("--id-front", p, Image::id_front_file);
    }
    if let Some(p) = &doc.id_back {
        file("--id-back", p, Image::id_back_file);
    }
    let mut base64 = |flag: &str, path: &Path, make: fn(String) -> Image| {
        let shown = format!("{flag} {}", shell::quote(&path.display().to_string()));
        match read_base64_file(path) {
            Ok(text) => {
                flags.push(shown);
                images.push(make(text));
            }
            Err(message) => problems.push(ProblemOut {
                code: "images.file.unreadable".into(),
                flag: Some(shown),
                message,
            }),
        }
    };
    if let Some(p) = &img.selfie_base64 {
        base64("--selfie-base64", p, Image::selfie_base64);
    }
    for p in &img.liveness_base64 {
        base64("--liveness-base64", p, Image::liveness_base64);
    }
    if let Some(p) = &doc.id_front_base64 {
        base64("--id-front-base64", p, Image::id_front_base64);
    }
    if let Some(p) = &doc.id_back_base64 {
        base64("--id-back-base64", p, Image::id_back_base64);
    }
    if problems.is_empty() {
        Ok((images, flags))
    } else {
        Err(problems)
    }
}

/// The base64 text of a file, without one final newline (the file convention, not content).
fn read_base64_file(path: &Path) -> Result<String, String> {
    let file = std::fs::File::open(path)
        .map_err(|e| format!("cannot read the base64 image file {}: {e}", path.display()))?;
    let mut text = String::new();
    file.take(MAX_BASE64_FILE + 1)
        .read_to_string(&mut text)
        .map_err(|e| format!("cannot read the base64 image file {}: {e}", path.display()))?;
    if text.len() as u64 > MAX_BASE64_FILE {
        return Err(format!(
            "the base64 image file {} is larger than {}",
            path.display(),
            report::size(MAX_BASE64_FILE)
        ));
    }
    if text.ends_with("\r\n") {
        text.truncate(text.len() - 2);
    } else if text.ends_with('\n') {
        text.truncate(text.len() - 1);
    }
    Ok(text)
}

//! The single-request calls: `kyc` (job 5), `business` (job 7), `token`, `services`,
//! `documents` and `status`.

use std::fmt::Write as _;
use std::time::Duration;

use clap::Args;
use serde_json::{Value, json};
use smile_blocking::{
    AsyncBusinessVerification, AsyncIdVerification, BusinessVerification, Endpoint, IdVerification,
    IdVerificationResult, JobStatus, JobStatusOptions, JobType, PartnerParams, Services,
    ValidDocuments, WebApi, WebTokenRequest,
};

use crate::args::{Connection, IdFields, JobIds, PersonFields};
use crate::fail::{self, Context};
use crate::output::{CliError, Done, JobRef, Outcome, result_json, without_signature};
use crate::progress::Progress;
use crate::{Run, report, shell};

/// `smile kyc`: Enhanced KYC (job type 5).
#[derive(Debug, Args)]
pub(crate) struct KycArgs {
    #[command(flatten)]
    pub(crate) conn: Connection,
    #[command(flatten)]
    pub(crate) ids: JobIds,
    /// Country of the ID: ISO 3166-1 alpha-2, upper case (NG, KE, ZA, GH, ...).
    #[arg(long, value_name = "CC")]
    pub(crate) country: String,
    /// ID type (BVN, NIN, PASSPORT, NATIONAL_ID, ...; `smile services` lists them).
    #[arg(long, value_name = "TYPE")]
    pub(crate) id_type: String,
    /// ID number.
    #[arg(long, value_name = "NUMBER")]
    pub(crate) id_number: String,
    #[command(flatten)]
    pub(crate) person: PersonFields,
    #[command(flatten)]
    pub(crate) lookup: LookupFlow,
}

/// `smile business`: business verification (job type 7).
#[derive(Debug, Args)]
pub(crate) struct BusinessArgs {
    #[command(flatten)]
    pub(crate) conn: Connection,
    #[command(flatten)]
    pub(crate) ids: JobIds,
    /// Country of the business registry: ISO 3166-1 alpha-2 (NG, KE, ZA, ...).
    #[arg(long, value_name = "CC")]
    pub(crate) country: String,
    /// BASIC_BUSINESS_REGISTRATION, BUSINESS_REGISTRATION or TAX_INFORMATION.
    #[arg(long, value_name = "TYPE")]
    pub(crate) id_type: String,
    /// The registration or tax number.
    #[arg(long, value_name = "NUMBER")]
    pub(crate) id_number: String,
    /// bn, co or it, where the country needs it.
    #[arg(long, value_name = "TYPE")]
    pub(crate) business_type: Option<String>,
    #[command(flatten)]
    pub(crate) lookup: LookupFlow,
}

/// `--async`, `--callback-url`, `--extra` of the lookups.
#[derive(Debug, Args)]
pub(crate) struct LookupFlow {
    /// Send the result to --callback-url instead of waiting for it here.
    #[arg(long = "async")]
    pub(crate) asynchronous: bool,
    /// Where the result goes with --async (`smile listen` gives one).
    #[arg(long, env = "SMILE_CALLBACK_URL", value_name = "URL")]
    pub(crate) callback_url: Option<String>,
    /// An extra partner_params key, echoed in the result; repeatable (the emulator reads
    /// emulator_result=CODE and emulator_error=CODE).
    #[arg(long = "extra", value_name = "KEY=VALUE", value_parser = crate::args::key_value)]
    pub(crate) extra: Vec<(String, String)>,
}

/// `smile token`: a web token for the hosted web flow / Web SDK.
#[derive(Debug, Args)]
pub(crate) struct TokenArgs {
    #[command(flatten)]
    pub(crate) conn: Connection,
    #[command(flatten)]
    pub(crate) ids: JobIds,
    /// The product: authentication, smartselfie, biometric_kyc, doc_verification,
    /// enhanced_kyc, basic_kyc, ekyc_smartselfie, identity_verification,
    /// enhanced_document_verification.
    #[arg(long, value_name = "PRODUCT")]
    pub(crate) product: String,
    /// Where the result of the web flow goes (required).
    #[arg(long, env = "SMILE_CALLBACK_URL", value_name = "URL")]
    pub(crate) callback_url: Option<String>,
}

/// `smile services`.
#[derive(Debug, Args)]
pub(crate) struct ServicesArgs {
    /// 0 = sandbox, 1 = production, or a base URL such as http://127.0.0.1:8080/v1. (No
    /// credentials are needed: the call is not signed.)
    #[arg(long, env = "SMILE_SID_SERVER", default_value = "0", value_parser = crate::args::parse_server_value, value_name = "SERVER")]
    pub(crate) server: smile_blocking::Server,
}

/// `smile documents`.
#[derive(Debug, Args)]
pub(crate) struct DocumentsArgs {
    #[command(flatten)]
    pub(crate) conn: Connection,
}

/// `smile status`.
#[derive(Debug, Args)]
pub(crate) struct StatusArgs {
    #[command(flatten)]
    pub(crate) conn: Connection,
    /// The user id of the job.
    #[arg(long, value_name = "ID")]
    pub(crate) user_id: String,
    /// The job id of the job.
    #[arg(long, value_name = "ID")]
    pub(crate) job_id: String,
    /// Include the job's history.
    #[arg(long)]
    pub(crate) history: bool,
    /// Include links to the job's images.
    #[arg(long)]
    pub(crate) image_links: bool,
}

/// Runs `endpoint` on `api` under the progress line.
fn call<E>(api: &WebApi, endpoint: E, run: &Run) -> Result<E::Output, smile_blocking::Error>
where
    E: Endpoint + Send,
    E::Output: Send,
{
    let machine = smile_blocking::Call::new(api.config(), endpoint)?;
    let progress = Progress::new(run.progress);
    api.run(progress.observe(machine, Duration::ZERO))
}

fn context(conn: &Connection, job: Option<JobRef>, callback_url: Option<&str>) -> Context {
    Context {
        job,
        base_url: conn.base_url(),
        callback_url: callback_url.map(str::to_owned),
        waits: true,
        ..Context::default()
    }
}

fn job_ref(ids: &JobIds, job_type: JobType, run: &Run) -> JobRef {
    let (job_id, generated) = ids.job_id();
    if generated && !run.json {
        eprintln!("smile: job_id {job_id} (generated)");
    }
    JobRef {
        user_id: Some(ids.user_id.clone()),
        job_id: Some(job_id),
        job_id_generated: generated,
        job_type: Some(job_type.code()),
        smile_job_id: None,
    }
}

fn params(job: &JobRef, job_type: JobType, extra: &[(String, String)]) -> PartnerParams {
    let mut p = PartnerParams::new(
        job.user_id.clone().unwrap_or_default(),
        job.job_id.clone().unwrap_or_default(),
        job_type,
    );
    for (k, v) in extra {
        p = p.with_extra(k.as_str(), v.as_str());
    }
    p
}

fn status_command(job: &JobRef) -> String {
    shell::status_command(
        job.user_id.as_deref().unwrap_or(""),
        job.job_id.as_deref().unwrap_or(""),
    )
}

/// `smile kyc`.
pub(crate) fn kyc(args: KycArgs, run: &Run) -> Result<Done, CliError> {
    let job = job_ref(&args.ids, JobType::EnhancedKyc, run);
    let flow = &args.lookup;
    let ctx = context(&args.conn, Some(job.clone()), flow.callback_url.as_deref());
    let id = IdFields {
        country: Some(args.country.clone()),
        id_type: Some(args.id_type.clone()),
        id_number: Some(args.id_number.clone()),
        person: args.person.clone(),
    };
    let mut info = id.to_id_info();
    info.entered = false; // not sent to the ID API
    let pp = params(&job, JobType::EnhancedKyc, &flow.extra);
    let api = args
        .conn
        .client(None)
        .map_err(|e| e.with_job(Some(job.clone())))?;
    if flow.asynchronous {
        let ack = call(
            &api,
            AsyncIdVerification::new(pp, info, flow.callback_url.as_deref()),
            run,
        )
        .map_err(|e| fail::sdk_error(&e, &ctx))?;
        return Ok(submitted(
            job,
            ack.smile_job_id.as_ref(),
            flow,
            "Enhanced KYC",
        ));
    }
    let result =
        call(&api, IdVerification::new(pp, info), run).map_err(|e| fail::sdk_error(&e, &ctx))?;
    Ok(lookup_done(
        job,
        &result,
        &["Country", "IDType", "FullName", "DOB", "ExpirationDate"],
        &[],
    ))
}

/// `smile business`.
pub(crate) fn business(args: BusinessArgs, run: &Run) -> Result<Done, CliError> {
    let job = job_ref(&args.ids, JobType::BusinessVerification, run);
    let flow = &args.lookup;
    let ctx = context(&args.conn, Some(job.clone()), flow.callback_url.as_deref());
    let info = smile_blocking::IdInfo {
        country: Some(args.country.clone()),
        id_type: Some(args.id_type.clone()),
        id_number: Some(args.id_number.clone()),
        ..smile_blocking::IdInfo::default()
    };
    let pp = params(&job, JobType::BusinessVerification, &flow.extra);
    let api = args
        .conn
        .client(None)
        .map_err(|e| e.with_job(Some(job.clone())))?;
    let business_type = args.business_type.as_deref();
    if flow.asynchronous {
        let mut endpoint = AsyncBusinessVerification::new(pp, info, flow.callback_url.as_deref());
        if let Some(t) = business_type {
            endpoint = endpoint.with_business_type(t);
        }
        let ack = call(&api, endpoint, run).map_err(|e| fail::sdk_error(&e, &ctx))?;
        return Ok(submitted(
            job,
            ack.smile_job_id.as_ref(),
            flow,
            "business verification",
        ));
    }
    let mut endpoint = BusinessVerification::new(pp, info);
    if let Some(t) = business_type {
        endpoint = endpoint.with_business_type(t);
    }
    let result = call(&api, endpoint, run).map_err(|e| fail::sdk_error(&e, &ctx))?;
    let mut more = Vec::new();
    if let Some(info) = result.company_information() {
        for (key, label) in [
            ("legal_name", "company"),
            ("registration_number", "registration number"),
            ("status", "status"),
        ] {
            if let Some(v) = info.get(key).and_then(Value::as_str) {
                more.push(format!("{label}: {v}"));
            }
        }
    }
    if let Some(n) = result.directors().and_then(Value::as_array).map(Vec::len) {
        more.push(format!("directors: {n}"));
    }
    Ok(lookup_done(job, &result, &["Country", "IDType"], &more))
}

fn submitted(
    mut job: JobRef,
    smile_job_id: Option<&smile_blocking::SmileJobId>,
    flow: &LookupFlow,
    what: &str,
) -> Done {
    job.smile_job_id = smile_job_id.map(|s| s.as_str().to_owned());
    let human = format!(
        "{what} submitted: job_id {}{}\nthe result goes to the callback URL {}\nto ask for it later: {}",
        job.job_id.as_deref().unwrap_or("-"),
        job.smile_job_id
            .as_deref()
            .map(|s| format!(", smile_job_id {s}"))
            .unwrap_or_default(),
        flow.callback_url.as_deref().unwrap_or("-"),
        status_command(&job),
    );
    Done::new(Outcome::Submitted, human)
        .job(job)
        .field("result", Value::Null)
        .field("response", Value::Null)
}

fn lookup_done(
    mut job: JobRef,
    result: &IdVerificationResult,
    fields: &[&str],
    more: &[String],
) -> Done {
    job.smile_job_id = result.smile_job_id().map(|s| s.as_str().to_owned());
    let i = result.interpret();
    let mut human = format!(
        "job type {} ({}), user_id {}, job_id {}, smile_job_id {}\n",
        result.job_type.code(),
        result.job_type.name().unwrap_or("lookup"),
        job.user_id.as_deref().unwrap_or("-"),
        job.job_id.as_deref().unwrap_or("-"),
        job.smile_job_id.as_deref().unwrap_or("-"),
    );
    human.push_str(&report::entry(&result.entry, Some(result.job_type), ""));
    for key in fields {
        if let Some(v) = result.field(key).and_then(Value::as_str) {
            let _ = write!(human, "\n{key}: {v}");
        }
    }
    for line in more {
        let _ = write!(human, "\n{line}");
    }
    let _ = write!(human, "\n{}", report::verdict(&i, &status_command(&job)));
    Done::new(Outcome::of(&i), human)
        .job(job)
        .field("result", result_json(&result.entry, &i))
        .field(
            "response",
            without_signature(Value::Object(result.raw.clone())),
        )
}

/// `smile token`.
pub(crate) fn token(args: TokenArgs, run: &Run) -> Result<Done, CliError> {
    let (job_id, generated) = args.ids.job_id();
    if generated && !run.json {
        eprintln!("smile: job_id {job_id} (generated)");
    }
    let job = JobRef {
        user_id: Some(args.ids.user_id.clone()),
        job_id: Some(job_id.clone()),
        job_id_generated: generated,
        job_type: None,
        smile_job_id: None,
    };
    let ctx = context(&args.conn, Some(job.clone()), args.callback_url.as_deref());
    let api = args
        .conn
        .client(None)
        .map_err(|e| e.with_job(Some(job.clone())))?;
    let token = call(
        &api,
        WebTokenRequest::new(
            args.ids.user_id.as_str(),
            job_id.as_str(),
            args.product.as_str(),
            args.callback_url.as_deref(),
        ),
        run,
    )
    .map_err(|e| fail::sdk_error(&e, &ctx))?;
    let human = format!(
        "web token for product {}, user_id {}, job_id {job_id}:\n{}",
        args.product, args.ids.user_id, token.token
    );
    Ok(Done::new(Outcome::Ok, human)
        .job(job)
        .field("product", Value::from(args.product))
        .field("token", Value::from(token.token)))
}

/// `smile services`.
pub(crate) fn services(args: &ServicesArgs, run: &Run) -> Result<Done, CliError> {
    let conn = Connection {
        keys: crate::args::Keys {
            partner_id: Some("0".into()),
            api_key: Some("unused: GET /services is not signed".into()),
        },
        server: args.server.clone(),
    };
    let api = conn.client(None)?;
    let ctx = context(&conn, None, None);
    let list = call(&api, Services::new(), run).map_err(|e| fail::sdk_error(&e, &ctx))?;
    let mut human = String::new();
    if let Some(hosted) = list.hosted_web() {
        let _ = writeln!(human, "hosted web products:");
        for (product, detail) in hosted {
            let countries = detail
                .as_object()
                .map(|m| m.keys().cloned().collect::<Vec<_>>().join(" "))
                .unwrap_or_default();
            let _ = writeln!(human, "  {product}: {countries}");
        }
    }
    let banks = list.bank_codes();
    let _ = write!(human, "bank codes: {}", banks.len());
    Ok(Done::new(Outcome::Ok, human).field("response", Value::Object(list.raw)))
}

/// `smile documents`.
pub(crate) fn documents(args: &DocumentsArgs, run: &Run) -> Result<Done, CliError> {
    let api = args.conn.client(None)?;
    let ctx = context(&args.conn, None, None);
    let list = call(&api, ValidDocuments::new(), run).map_err(|e| fail::sdk_error(&e, &ctx))?;
    let mut human = String::new();
    let countries = list.countries();
    for c in &countries {
        let _ = writeln!(
            human,
            "{} ({}): {}",
            c.country_code.as_deref().unwrap_or("-"),
            c.country_name.as_deref().unwrap_or("-"),
            c.id_types.join(", ")
        );
    }
    let _ = write!(human, "{} countries", countries.len());
    Ok(Done::new(Outcome::Ok, human).field("response", without_signature(Value::Object(list.raw))))
}

/// `smile status`.
pub(crate) fn status(args: StatusArgs, run: &Run) -> Result<Done, CliError> {
    let job = JobRef {
        user_id: Some(args.user_id.clone()),
        job_id: Some(args.job_id.clone()),
        ..JobRef::default()
    };
    let ctx = context(&args.conn, Some(job.clone()), None);
    let api = args
        .conn
        .client(None)
        .map_err(|e| e.with_job(Some(job.clone())))?;
    let status = call(
        &api,
        JobStatus::new(
            args.user_id.as_str(),
            args.job_id.as_str(),
            JobStatusOptions {
                history: args.history,
                image_links: args.image_links,
            },
        ),
        run,
    )
    .map_err(|e| fail::sdk_error(&e, &ctx))?;
    let mut job = job;
    let entry = status.result_entry();
    job.smile_job_id = status
        .smile_job_id
        .as_ref()
        .or_else(|| entry.and_then(|e| e.smile_job_id.as_ref()))
        .map(|s| s.as_str().to_owned());
    job.job_type = entry.and_then(|e| e.job_type()).map(JobType::code);
    let complete = status.is_complete();
    let interpretation = status.interpret(None);
    let mut human = format!(
        "user_id {}, job_id {}{}\njob_complete {}, job_success {}\n",
        args.user_id,
        args.job_id,
        job.smile_job_id
            .as_deref()
            .map(|s| format!(", smile_job_id {s}"))
            .unwrap_or_default(),
        yes_no(status.job_complete()),
        yes_no(status.job_success()),
    );
    human.push_str(&report::status(&status, None, ""));
    let outcome = match (&interpretation, complete) {
        (Some(i), true) => {
            let _ = write!(human, "\n{}", report::verdict(i, &status_command(&job)));
            Outcome::of(i)
        }
        _ => {
            human.push_str("\n=> not complete yet: ask again later");
            Outcome::NotFinal
        }
    };
    let result = match (entry, &interpretation) {
        (Some(e), Some(i)) => result_json(e, i),
        _ => Value::Null,
    };
    let response = serde_json::to_value(&status).map_or(Value::Null, without_signature);
    Ok(Done::new(outcome, human)
        .job(job)
        .field("job_complete", json!(status.job_complete()))
        .field("job_success", json!(status.job_success()))
        .field("result", result)
        .field("response", response))
}

fn yes_no(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "yes",
        Some(false) => "no",
        None => "unknown",
    }
}

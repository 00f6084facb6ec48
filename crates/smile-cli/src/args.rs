//! The flags shared by several commands, their parsers, and the client built from them.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use smile_blocking::types::{JobCall, JobSpec, JobType};
use smile_blocking::{ConfigError, PollPolicy, SecretString, Server, WebApi};

use crate::output::CliError;

/// The partner's credentials: `--partner-id`, `--api-key`.
#[derive(Debug, Args, Clone)]
pub(crate) struct Keys {
    /// Partner id, exactly as in the Smile ID portal ("085" and "85" differ).
    #[arg(long, env = "SMILE_PARTNER_ID", value_name = "ID")]
    pub(crate) partner_id: Option<String>,
    /// API key of the environment --server points at (never printed, not even by -vv).
    #[arg(long, env = "SMILE_API_KEY", hide_env_values = true, value_parser = secret, value_name = "KEY")]
    pub(crate) api_key: Option<SecretString>,
}

impl Keys {
    /// The partner id and key, or a usage error naming the flag and the variable.
    pub(crate) fn get(&self) -> Result<(String, SecretString), CliError> {
        let partner = self
            .partner_id
            .as_deref()
            .filter(|p| !p.trim().is_empty())
            .ok_or_else(|| {
                CliError::usage(
                    "no partner id: give --partner-id ID or set SMILE_PARTNER_ID (the id shown in \
                     the Smile ID portal, e.g. 085; `smile emulator` uses 001)",
                )
            })?;
        let key = self.api_key.clone().ok_or_else(|| {
            CliError::usage(
                "no API key: give --api-key KEY or set SMILE_API_KEY (the key of the \
                 environment --server points at; `smile emulator` uses emulator-api-key)",
            )
        })?;
        Ok((partner.to_owned(), key))
    }

    /// A signer for callbacks and responses.
    pub(crate) fn signer(&self) -> Result<smile_blocking::Signer, CliError> {
        let (partner, key) = self.get()?;
        Ok(smile_blocking::Signer::new(
            smile_blocking::types::PartnerId::new(partner),
            key,
        ))
    }
}

/// Who is asking, and where: `--partner-id`, `--api-key`, `--server`.
#[derive(Debug, Args, Clone)]
pub(crate) struct Connection {
    #[command(flatten)]
    pub(crate) keys: Keys,
    /// 0 = sandbox, 1 = production, or a base URL such as http://127.0.0.1:8080/v1 (`smile
    /// emulator`).
    #[arg(long, env = "SMILE_SID_SERVER", default_value = "0", value_parser = parse_server_value, value_name = "SERVER")]
    pub(crate) server: Server,
}

impl Connection {
    /// The base URL, for messages.
    pub(crate) fn base_url(&self) -> String {
        self.server.base_url().as_str().to_owned()
    }

    /// A client for these credentials; `poll_deadline` sets how long `submit_job` waits.
    pub(crate) fn client(&self, poll_deadline: Option<Duration>) -> Result<WebApi, CliError> {
        let (partner, key) = self.keys.get()?;
        let mut builder = WebApi::builder(partner, key).server(self.server.clone());
        if let Some(deadline) = poll_deadline {
            builder = builder.poll_policy(PollPolicy::default().with_deadline(deadline));
        }
        builder.build().map_err(|e| config_error(&e))
    }
}

/// A client setting the SDK refused, named by its flag.
pub(crate) fn config_error(e: &ConfigError) -> CliError {
    let message = match e {
        ConfigError::EmptyPartnerId => {
            "--partner-id (SMILE_PARTNER_ID) is empty: use the id shown in the Smile ID portal"
                .to_owned()
        }
        ConfigError::EmptyApiKey => {
            "--api-key (SMILE_API_KEY) is empty: generate one in the Smile ID portal".to_owned()
        }
        ConfigError::BaseUrl(b) => format!("--server (SMILE_SID_SERVER): {b}"),
        ConfigError::CallbackUrl { value, reason } => {
            format!(
                "--callback-url (SMILE_CALLBACK_URL) {} is not usable: {reason}",
                crate::shell::quote(value)
            )
        }
        ConfigError::PollPolicy(p) => format!("--timeout: {p}"),
        other => crate::report::chain(other),
    };
    CliError::failure("config", message)
}

/// Parses a command-line value straight into a [`SecretString`].
fn secret(value: &str) -> Result<SecretString, std::convert::Infallible> {
    Ok(SecretString::from(value))
}

pub(crate) fn parse_server_value(value: &str) -> Result<Server, String> {
    value.parse::<Server>().map_err(|e| {
        format!(
            "{e} (expected 0 for the sandbox, 1 for production, or a base URL such as \
             http://127.0.0.1:8080/v1; from --server or SMILE_SID_SERVER)"
        )
    })
}

/// `KEY=VALUE`, for `--extra`.
pub(crate) fn key_value(value: &str) -> Result<(String, String), String> {
    match value.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.to_owned(), v.to_owned())),
        _ => Err(format!(
            "{} is not KEY=VALUE (e.g. emulator_result=0824)",
            crate::shell::quote(value)
        )),
    }
}

/// The image job types (`--job-type`), from the job-type table.
pub(crate) fn image_job_type(value: &str) -> Result<JobType, String> {
    let n: u32 = value.parse().map_err(|_| {
        format!(
            "{} is not a job type number (1, 2, 4, 6 or 11)",
            crate::shell::quote(value)
        )
    })?;
    let t = JobType::from_code(n);
    match JobSpec::of(t).map(|s| s.call) {
        Some(JobCall::SubmitJob) => Ok(t),
        Some(JobCall::IdVerification) => Err(format!(
            "job type {n} is Enhanced KYC, which takes no images: use `smile kyc`"
        )),
        Some(JobCall::BusinessVerification) => Err(format!(
            "job type {n} is Business Verification, which takes no images: use `smile business`"
        )),
        _ => Err(format!(
            "job type {n} is not an image job this command runs: use 1 (Biometric KYC), 2 \
             (SmartSelfie Authentication), 4 (SmartSelfie Registration), 6 (Document \
             Verification) or 11 (Enhanced Document Verification)"
        )),
    }
}

/// `--user-id` and `--job-id`.
#[derive(Debug, Args, Clone)]
pub(crate) struct JobIds {
    /// Your id of the user (for `auth`: the user_id they were enrolled under).
    #[arg(long, value_name = "ID")]
    pub(crate) user_id: String,
    /// Your id of this job, unique per job; default: a new one, printed (e.g.
    /// job-1717171717171-3fa2b1c9: Unix milliseconds and random hex digits).
    #[arg(long, value_name = "ID")]
    pub(crate) job_id: Option<String>,
}

impl JobIds {
    /// The job id given, or a new one (and whether it was generated).
    pub(crate) fn job_id(&self) -> (String, bool) {
        match &self.job_id {
            Some(id) => (id.clone(), false),
            None => (generate_job_id(), true),
        }
    }
}

/// `job-<unix-ms>-<8 random hex digits>`.
pub(crate) fn generate_job_id() -> String {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    format!("job-{ms}-{:08x}", fastrand::u32(..))
}

/// The selfie and liveness frames (every image job).
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct SelfieImages {
    /// The selfie: a JPEG or PNG file.
    #[arg(long, value_name = "FILE", conflicts_with = "selfie_base64")]
    pub(crate) selfie: Option<PathBuf>,
    /// The selfie as a file of base64 text (standard alphabet, padded, no data: prefix; a final
    /// newline is ignored).
    #[arg(long, value_name = "FILE")]
    pub(crate) selfie_base64: Option<PathBuf>,
    /// Liveness frames (8 recommended): JPEG or PNG files, in the order taken.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub(crate) liveness: Vec<PathBuf>,
    /// Liveness frames as files of base64 text.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub(crate) liveness_base64: Vec<PathBuf>,
}

/// The ID document images and `--use-enrolled-image` (`submit` only).
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct DocumentImages {
    /// The front of the ID document: a JPEG or PNG file (jobs 1, 6, 11).
    #[arg(long, value_name = "FILE", conflicts_with = "id_front_base64")]
    pub(crate) id_front: Option<PathBuf>,
    /// The front of the ID document as a file of base64 text.
    #[arg(long, value_name = "FILE")]
    pub(crate) id_front_base64: Option<PathBuf>,
    /// The back of the ID document: a JPEG or PNG file.
    #[arg(long, value_name = "FILE", conflicts_with = "id_back_base64")]
    pub(crate) id_back: Option<PathBuf>,
    /// The back of the ID document as a file of base64 text.
    #[arg(long, value_name = "FILE")]
    pub(crate) id_back_base64: Option<PathBuf>,
    /// Jobs 6 and 11: compare the document with the selfie on file instead of a new selfie.
    #[arg(long)]
    pub(crate) use_enrolled_image: bool,
}

/// The id_info fields (`submit`), and the lookup fields of `kyc`.
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct IdFields {
    /// Country of the ID: ISO 3166-1 alpha-2, upper case (NG, KE, ZA, GH, ...).
    #[arg(long, value_name = "CC")]
    pub(crate) country: Option<String>,
    /// ID type (BVN, NIN, PASSPORT, NATIONAL_ID, ...; `smile documents` lists them).
    #[arg(long, value_name = "TYPE")]
    pub(crate) id_type: Option<String>,
    /// ID number (for job 1: the ID details are then verified with the ID authority).
    #[arg(long, value_name = "NUMBER")]
    pub(crate) id_number: Option<String>,
    #[command(flatten)]
    pub(crate) person: PersonFields,
}

/// The person's details of an id info (`submit` and `kyc`), compared with the ID authority's
/// record.
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct PersonFields {
    /// First name (compared with the ID authority's record).
    #[arg(long, value_name = "NAME")]
    pub(crate) first_name: Option<String>,
    /// Middle name.
    #[arg(long, value_name = "NAME")]
    pub(crate) middle_name: Option<String>,
    /// Last name.
    #[arg(long, value_name = "NAME")]
    pub(crate) last_name: Option<String>,
    /// Date of birth, YYYY-MM-DD.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub(crate) dob: Option<String>,
    /// Phone number.
    #[arg(long, value_name = "NUMBER")]
    pub(crate) phone_number: Option<String>,
}

impl IdFields {
    /// The flags given, in order (for messages).
    pub(crate) fn given(&self) -> Vec<&'static str> {
        [
            ("--country", self.country.is_some()),
            ("--id-type", self.id_type.is_some()),
            ("--id-number", self.id_number.is_some()),
            ("--first-name", self.person.first_name.is_some()),
            ("--middle-name", self.person.middle_name.is_some()),
            ("--last-name", self.person.last_name.is_some()),
            ("--dob", self.person.dob.is_some()),
            ("--phone-number", self.person.phone_number.is_some()),
        ]
        .into_iter()
        .filter_map(|(f, g)| g.then_some(f))
        .collect()
    }

    /// As the SDK's id info; `entered` (verify with the ID authority) when an ID number is given.
    pub(crate) fn to_id_info(&self) -> smile_blocking::IdInfo {
        let p = &self.person;
        smile_blocking::IdInfo {
            first_name: p.first_name.clone(),
            middle_name: p.middle_name.clone(),
            last_name: p.last_name.clone(),
            country: self.country.clone(),
            id_type: self.id_type.clone(),
            id_number: self.id_number.clone(),
            dob: p.dob.clone(),
            phone_number: p.phone_number.clone(),
            entered: self.id_number.is_some(),
            ..smile_blocking::IdInfo::default()
        }
    }
}

/// How an image job is sent and waited for.
#[derive(Debug, Args, Clone)]
pub(crate) struct JobFlow {
    /// Where Smile ID sends the result (needed with --no-wait; `smile listen` gives one).
    #[arg(long, env = "SMILE_CALLBACK_URL", value_name = "URL")]
    pub(crate) callback_url: Option<String>,
    /// Return once the images are uploaded, without waiting for the result (it goes to
    /// --callback-url).
    #[arg(long)]
    pub(crate) no_wait: bool,
    /// With the result, also show the job's history.
    #[arg(long, conflicts_with = "no_wait")]
    pub(crate) history: bool,
    /// With the result, also show links to the job's images.
    #[arg(long, conflicts_with = "no_wait")]
    pub(crate) image_links: bool,
    /// How long to wait for the result, in seconds (the poll deadline).
    #[arg(long, value_name = "SECS", default_value_t = 90, conflicts_with = "no_wait", value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub(crate) timeout: u64,
    /// Finish a job that an earlier run left unfinished: the same --job-id, sent with
    /// `retry: true` (the same job, never a second one).
    #[arg(long, requires = "job_id")]
    pub(crate) resume: bool,
    /// An extra partner_params key, echoed in results and callbacks; repeatable. The emulator
    /// reads emulator_result=CODE, emulator_final_result=CODE and emulator_error=CODE.
    #[arg(long = "extra", value_name = "KEY=VALUE", value_parser = key_value)]
    pub(crate) extra: Vec<(String, String)>,
}

//! What Enhanced KYC (job 5) and business verification (job 7) share
//! ([protocol §8.2](smile_types::protocol#82-enhanced-kyc-job-type-5), §8.3): the body (the ID
//! fields at the top level), the sync result and the async acknowledgement.

use std::fmt;
use std::ops::Deref;

use serde_json::{Map, Value};
use smile_types::{
    CallbackUrl, IdInfo, Interpretation, JobId, JobType, PartnerParams, Problems, ResultEntry,
    SmileJobId,
};

use super::{BodyContext, ParseContext};
use crate::config::{ClientConfig, SOURCE_SDK};
use crate::error::Error;
use crate::requests::to_vec;
use crate::responses::{
    Seen, api_error_seen, error_in_success, object_of, scan_smile_job_id, unexpected,
};
use crate::transport::HttpResponse;
use crate::validate::{Callback, Mode};

/// Body keys an `id_info` extra may not take (they would overwrite the protocol's own).
const RESERVED: [&str; 8] = [
    "partner_id",
    "partner_params",
    "callback_url",
    "source_sdk",
    "source_sdk_version",
    "timestamp",
    "signature",
    "entered",
];

/// The input of an ID lookup: who (partner params, with the job type the call implies), what
/// (`id_info`), and for the async forms the callback.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Lookup {
    pub(crate) partner_params: PartnerParams,
    pub(crate) id_info: IdInfo,
    pub(crate) mode: Mode,
    callback_url: Option<String>,
    resolved: Option<CallbackUrl>,
}

impl Lookup {
    pub(crate) fn new(
        mut partner_params: PartnerParams,
        id_info: IdInfo,
        job_type: JobType,
        mode: Mode,
        callback_url: Option<&str>,
    ) -> Self {
        partner_params.job_type = job_type;
        Self {
            partner_params,
            id_info,
            mode,
            callback_url: callback_url.map(str::to_owned),
            resolved: None,
        }
    }

    pub(crate) fn job_id(&self) -> &JobId {
        &self.partner_params.job_id
    }

    /// Runs `check` (the §6.2 rules of the call) and resolves the callback URL.
    pub(crate) fn prepare(
        &mut self,
        config: &ClientConfig,
        check: fn(&PartnerParams, &IdInfo, Mode, Callback<'_>) -> Result<(), Problems>,
    ) -> Result<(), Problems> {
        let callback = Callback::new(self.callback_url.as_deref(), config.default_callback());
        check(&self.partner_params, &self.id_info, self.mode, callback)?;
        if self.mode == Mode::Async {
            self.resolved = callback
                .effective()
                .and_then(|u| CallbackUrl::parse(u).ok());
        }
        Ok(())
    }

    /// The exact body: `partner_id`, `partner_params`, the ID fields in their documented order,
    /// the extras, `callback_url` (async), `source_sdk`, `source_sdk_version`, `timestamp`,
    /// `signature`.
    pub(crate) fn body(&self, ctx: &BodyContext<'_>) -> Vec<u8> {
        let mut m = Map::new();
        m.insert("partner_id".into(), ctx.partner_id.as_str().into());
        m.insert(
            "partner_params".into(),
            serde_json::to_value(&self.partner_params).unwrap_or(Value::Null),
        );
        let i = &self.id_info;
        for (key, value) in [
            ("country", &i.country),
            ("id_type", &i.id_type),
            ("id_number", &i.id_number),
            ("first_name", &i.first_name),
            ("middle_name", &i.middle_name),
            ("last_name", &i.last_name),
            ("dob", &i.dob),
            ("phone_number", &i.phone_number),
        ] {
            if let Some(v) = value {
                m.insert(key.into(), v.as_str().into());
            }
        }
        for (k, v) in &i.extra {
            if !RESERVED.contains(&k.as_str()) && !m.contains_key(k) {
                m.insert(k.clone(), v.clone());
            }
        }
        if let Some(cb) = &self.resolved {
            m.insert("callback_url".into(), cb.as_str().into());
        }
        m.insert("source_sdk".into(), SOURCE_SDK.into());
        m.insert("source_sdk_version".into(), ctx.sdk_version.into());
        m.insert("timestamp".into(), ctx.signed.timestamp.as_str().into());
        m.insert("signature".into(), ctx.signed.signature.as_str().into());
        to_vec(&m)
    }

    /// A sync result: a result entry with the ID (or business) data; its signature verified
    /// when it has one.
    pub(crate) fn parse_result(
        &self,
        response: &HttpResponse,
        ctx: &ParseContext<'_>,
    ) -> Result<IdVerificationResult, Error> {
        let seen = Seen::default();
        let raw = object_of(ctx.kind, response, &seen)?;
        if let Some(e) = error_in_success(ctx.kind, response, &raw, "ResultCode", &seen) {
            return Err(e);
        }
        if (raw.contains_key("signature") || raw.contains_key("timestamp"))
            && let Err(source) = ctx.signer.verify_object(&raw)
        {
            return Err(Error::ResponseSignatureInvalid {
                smile_job_id: scan_smile_job_id(response.body()),
                job_id: self.partner_params.job_id.clone(),
                source,
            });
        }
        if !raw.contains_key("ResultCode") {
            return Err(unexpected(
                ctx.kind,
                response,
                "response field `ResultCode` is missing",
                &seen,
            ));
        }
        Ok(IdVerificationResult {
            job_type: self.partner_params.job_type,
            entry: ResultEntry::from_map(raw.clone()),
            raw,
        })
    }

    /// An async acknowledgement: `{"success": true}`, perhaps with the `smile_job_id`.
    pub(crate) fn parse_ack(
        &self,
        response: &HttpResponse,
        ctx: &ParseContext<'_>,
    ) -> Result<AsyncAcknowledgement, Error> {
        let seen = Seen::default();
        let raw = object_of(ctx.kind, response, &seen)?;
        if let Some(e) = error_in_success(ctx.kind, response, &raw, "success", &seen) {
            return Err(e);
        }
        if !raw
            .get("success")
            .and_then(smile_types::bool_from_json)
            .unwrap_or(false)
        {
            return Err(api_error_seen(ctx.kind, response, &seen));
        }
        Ok(AsyncAcknowledgement {
            smile_job_id: scan_smile_job_id(response.body()),
            job_id: self.partner_params.job_id.clone(),
            raw,
        })
    }
}

/// The result of a sync Enhanced KYC or business verification: a [`ResultEntry`] (derefs to
/// it) plus everything else the response holds, kept as received (`FullData`, `Photo`,
/// `company_information`, `directors`, `beneficial_owners`, ...). Its `Debug` output shows
/// the result code and the keys present, never the personal data.
#[derive(Clone, PartialEq)]
pub struct IdVerificationResult {
    /// The job type of the call (5 or 7).
    pub job_type: JobType,
    /// The result entry (code, text, actions, `SmileJobID`, echoed partner params).
    pub entry: ResultEntry,
    /// The whole response object.
    pub raw: Map<String, Value>,
}

impl IdVerificationResult {
    /// What the result means for this job type (category, finality).
    #[must_use]
    pub fn interpret(&self) -> Interpretation {
        self.entry.interpret(self.job_type)
    }

    /// Whether the lookup ended approved (verified) for good.
    #[must_use]
    pub fn is_final_approval(&self) -> bool {
        let i = self.interpret();
        i.is_final && i.category == smile_types::ResultCategory::Approved
    }

    /// A member of the response, as received (`"FullName"`, `"DOB"`, `"FullData"`, ...).
    #[must_use]
    pub fn field(&self, key: &str) -> Option<&Value> {
        self.raw.get(key)
    }

    /// `FullData`: the ID authority's record, as received.
    #[must_use]
    pub fn full_data(&self) -> Option<&Value> {
        self.raw.get("FullData")
    }

    /// `company_information` (business verification).
    #[must_use]
    pub fn company_information(&self) -> Option<&Value> {
        self.raw.get("company_information")
    }

    /// `directors` (business verification).
    #[must_use]
    pub fn directors(&self) -> Option<&Value> {
        self.raw.get("directors")
    }

    /// `beneficial_owners` (business verification).
    #[must_use]
    pub fn beneficial_owners(&self) -> Option<&Value> {
        self.raw.get("beneficial_owners")
    }

    /// The Smile job id (`SmileJobID`).
    #[must_use]
    pub fn smile_job_id(&self) -> Option<&SmileJobId> {
        self.entry.smile_job_id.as_ref()
    }
}

impl Deref for IdVerificationResult {
    type Target = ResultEntry;
    fn deref(&self) -> &ResultEntry {
        &self.entry
    }
}

impl fmt::Debug for IdVerificationResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdVerificationResult")
            .field("job_type", &self.job_type.code())
            .field(
                "result_code",
                &self.entry.result_code.as_ref().map(|c| c.as_str()),
            )
            .field("smile_job_id", &self.entry.smile_job_id)
            .field("keys", &self.raw.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// The answer of an async Enhanced KYC or business verification: the job was accepted; its
/// result arrives on the callback (read it with `CallbackVerifier`) and through
/// `get_job_status`.
#[derive(Clone, Debug, PartialEq)]
pub struct AsyncAcknowledgement {
    /// The Smile job id, when the acknowledgement carries it.
    pub smile_job_id: Option<SmileJobId>,
    /// The partner's job id.
    pub job_id: JobId,
    /// The whole response object.
    pub raw: Map<String, Value>,
}

/// `impl Endpoint` for a lookup type (a newtype over [`Lookup`]): its `EndpointInfo`, its
/// output and parser, and the §6.2 check of its call.
macro_rules! lookup_endpoint {
    ($name:ident, $info:ident, $output:ty, $parse:ident, $check:path) => {
        impl $crate::endpoint::Endpoint for $name {
            type Output = $output;

            fn info(&self) -> &'static $crate::transport::EndpointInfo {
                &$info
            }

            fn job_id(&self) -> Option<&smile_types::JobId> {
                Some(self.0.job_id())
            }

            fn prepare(
                &mut self,
                config: &$crate::config::ClientConfig,
            ) -> Result<(), smile_types::Problems> {
                self.0.prepare(config, $check)
            }

            fn body(&self, ctx: &$crate::endpoint::BodyContext<'_>) -> Vec<u8> {
                self.0.body(ctx)
            }

            fn parse(
                &self,
                response: &$crate::transport::HttpResponse,
                ctx: &$crate::endpoint::ParseContext<'_>,
            ) -> Result<$output, $crate::error::Error> {
                self.0.$parse(response, ctx)
            }
        }
    };
}
pub(crate) use lookup_endpoint;

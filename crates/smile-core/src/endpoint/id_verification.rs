//! Enhanced KYC (job type 5, [protocol §8.2](smile_types::protocol#82-enhanced-kyc-job-type-5)):
//! `POST /id_verification` (the result in the response) and `POST /async_id_verification`
//! (the result on the callback).

use smile_types::{IdInfo, JobType, PartnerParams};

use super::lookup::{AsyncAcknowledgement, IdVerificationResult, Lookup};
use crate::transport::{EndpointInfo, EndpointMethod};
use crate::validate::{self, Mode};

static SYNC: EndpointInfo = EndpointInfo::new(
    "POST /id_verification",
    EndpointMethod::Post,
    "id_verification",
    false,
    true,
);
static ASYNC: EndpointInfo = EndpointInfo::new(
    "POST /async_id_verification",
    EndpointMethod::Post,
    "async_id_verification",
    false,
    true,
);

/// Enhanced KYC with the result in the response. `partner_params.job_type` is set to 5.
///
/// ```
/// use smile_core::endpoint::{Endpoint, IdVerification};
/// use smile_types::{IdInfo, JobType, PartnerParams};
/// let call = IdVerification::new(
///     PartnerParams::new("user-1", "job-1", JobType::EnhancedKyc),
///     IdInfo::verify("NG", "BVN", "00000000000"),
/// );
/// assert!(call.info().creates_job && !call.info().idempotent);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct IdVerification(Lookup);

impl IdVerification {
    /// The lookup of `id_info` (country, id_type, id_number, optional names, dob, phone and
    /// extras such as `bank_code`).
    #[must_use]
    pub fn new(partner_params: PartnerParams, id_info: IdInfo) -> Self {
        Self(Lookup::new(
            partner_params,
            id_info,
            JobType::EnhancedKyc,
            Mode::Sync,
            None,
        ))
    }
}

/// Enhanced KYC with the result on the callback (`callback_url` `None`: the client's
/// default; one of them is required). Smile ID recommends this form for volume.
#[derive(Clone, Debug, PartialEq)]
pub struct AsyncIdVerification(Lookup);

impl AsyncIdVerification {
    /// The lookup of `id_info`, its result sent to `callback_url` (or the default).
    #[must_use]
    pub fn new(partner_params: PartnerParams, id_info: IdInfo, callback_url: Option<&str>) -> Self {
        Self(Lookup::new(
            partner_params,
            id_info,
            JobType::EnhancedKyc,
            Mode::Async,
            callback_url,
        ))
    }
}

super::lookup::lookup_endpoint!(
    IdVerification,
    SYNC,
    IdVerificationResult,
    parse_result,
    validate::enhanced_kyc
);
super::lookup::lookup_endpoint!(
    AsyncIdVerification,
    ASYNC,
    AsyncAcknowledgement,
    parse_ack,
    validate::enhanced_kyc
);

//! Business verification (job type 7, [protocol §8.3](smile_types::protocol#83-business-verification-job-type-7)):
//! `POST /business_verification` (the result in the response) and
//! `POST /async_business_verification` (the result on the callback).

use smile_types::{IdInfo, JobType, PartnerParams};

use super::lookup::{AsyncAcknowledgement, IdVerificationResult, Lookup};
use crate::transport::{EndpointInfo, EndpointMethod};
use crate::validate::{self, Mode};

static SYNC: EndpointInfo = EndpointInfo::new(
    "POST /business_verification",
    EndpointMethod::Post,
    "business_verification",
    false,
    true,
);
static ASYNC: EndpointInfo = EndpointInfo::new(
    "POST /async_business_verification",
    EndpointMethod::Post,
    "async_business_verification",
    false,
    true,
);

/// Business verification with the result in the response. `partner_params.job_type` is set to 7. `id_type` is `BASIC_BUSINESS_REGISTRATION`, `BUSINESS_REGISTRATION` or `TAX_INFORMATION`; `business_type` (`bn`, `co`, `it`) goes in as an `id_info` extra (see [`with_business_type`](Self::with_business_type)).
///
/// ```
/// use smile_core::endpoint::{BusinessVerification, Endpoint};
/// use smile_types::{IdInfo, JobType, PartnerParams};
/// let call = BusinessVerification::new(
///     PartnerParams::new("user-1", "job-1", JobType::BusinessVerification),
///     IdInfo::verify("NG", "BUSINESS_REGISTRATION", "A000000"),
/// );
/// assert!(call.info().creates_job && !call.info().idempotent);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct BusinessVerification(Lookup);

impl BusinessVerification {
    /// The lookup of `id_info` (country, id_type, id_number, optional names, dob, phone and
    /// extras such as `bank_code`).
    #[must_use]
    pub fn new(partner_params: PartnerParams, id_info: IdInfo) -> Self {
        Self(Lookup::new(
            partner_params,
            id_info,
            JobType::BusinessVerification,
            Mode::Sync,
            None,
        ))
    }

    /// Sets `business_type` (`bn`, `co`, `it`; needed for some countries).
    #[must_use]
    pub fn with_business_type(mut self, business_type: &str) -> Self {
        self.0.id_info = self.0.id_info.with_extra("business_type", business_type);
        self
    }
}

/// Business verification with the result on the callback (`callback_url` `None`: the client's
/// default; one of them is required). Smile ID recommends this form for volume.
#[derive(Clone, Debug, PartialEq)]
pub struct AsyncBusinessVerification(Lookup);

impl AsyncBusinessVerification {
    /// The lookup of `id_info`, its result sent to `callback_url` (or the default).
    #[must_use]
    pub fn new(partner_params: PartnerParams, id_info: IdInfo, callback_url: Option<&str>) -> Self {
        Self(Lookup::new(
            partner_params,
            id_info,
            JobType::BusinessVerification,
            Mode::Async,
            callback_url,
        ))
    }

    /// Sets `business_type` (`bn`, `co`, `it`; needed for some countries).
    #[must_use]
    pub fn with_business_type(mut self, business_type: &str) -> Self {
        self.0.id_info = self.0.id_info.with_extra("business_type", business_type);
        self
    }
}

super::lookup::lookup_endpoint!(
    BusinessVerification,
    SYNC,
    IdVerificationResult,
    parse_result,
    validate::business_verification
);
super::lookup::lookup_endpoint!(
    AsyncBusinessVerification,
    ASYNC,
    AsyncAcknowledgement,
    parse_ack,
    validate::business_verification
);

//! `POST /token` ([protocol §8.1](smile_types::protocol#81-web-token--post-basetoken)): a token
//! that starts a hosted web / Web SDK flow for one user and job.

use std::fmt;

use serde_json::{Map, Value};
use smile_types::{CallbackUrl, JobId, Problems, UserId};

use super::{BodyContext, Endpoint, ParseContext};
use crate::config::ClientConfig;
use crate::error::Error;
use crate::requests::to_vec;
use crate::responses::{Seen, error_in_success, object_of, unexpected};
use crate::transport::{EndpointInfo, EndpointMethod, HttpResponse};
use crate::validate::{self, Callback};

static INFO: EndpointInfo =
    EndpointInfo::new("POST /token", EndpointMethod::Post, "token", false, false);

/// The product a web token is for: an open set (values the SDK does not know are kept as
/// given in [`Other`](Self::Other)).
///
/// ```
/// use smile_core::endpoint::WebProduct;
/// assert_eq!(WebProduct::from("biometric_kyc"), WebProduct::BiometricKyc);
/// assert_eq!(WebProduct::from("new_product").as_str(), "new_product");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WebProduct {
    /// `authentication` (SmartSelfie™ Authentication, job 2).
    Authentication,
    /// `smartselfie` (SmartSelfie™ Registration, job 4).
    SmartSelfie,
    /// `biometric_kyc` (job 1).
    BiometricKyc,
    /// `doc_verification` (job 6).
    DocVerification,
    /// `enhanced_kyc` (job 5).
    EnhancedKyc,
    /// `basic_kyc` (job 5).
    BasicKyc,
    /// `ekyc_smartselfie`.
    EkycSmartselfie,
    /// `identity_verification`.
    IdentityVerification,
    /// `enhanced_document_verification` (job 11).
    EnhancedDocumentVerification,
    /// Any other product name, sent as given.
    Other(String),
}

const PRODUCTS: [(&str, WebProduct); 9] = [
    ("authentication", WebProduct::Authentication),
    ("smartselfie", WebProduct::SmartSelfie),
    ("biometric_kyc", WebProduct::BiometricKyc),
    ("doc_verification", WebProduct::DocVerification),
    ("enhanced_kyc", WebProduct::EnhancedKyc),
    ("basic_kyc", WebProduct::BasicKyc),
    ("ekyc_smartselfie", WebProduct::EkycSmartselfie),
    ("identity_verification", WebProduct::IdentityVerification),
    (
        "enhanced_document_verification",
        WebProduct::EnhancedDocumentVerification,
    ),
];

impl WebProduct {
    /// The wire name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::Other(s) => s,
            known => PRODUCTS
                .iter()
                .find(|(_, p)| p == known)
                .map_or("", |(name, _)| name),
        }
    }
}

impl From<&str> for WebProduct {
    fn from(s: &str) -> Self {
        PRODUCTS
            .iter()
            .find(|(name, _)| *name == s)
            .map_or_else(|| Self::Other(s.to_owned()), |(_, p)| p.clone())
    }
}

impl From<String> for WebProduct {
    fn from(s: String) -> Self {
        Self::from(s.as_str())
    }
}

impl fmt::Display for WebProduct {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `POST /token` for (`user_id`, `job_id`, `product`). A callback URL is required: the
/// call's own, else the client's default.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebTokenRequest {
    user_id: UserId,
    job_id: JobId,
    product: WebProduct,
    callback_url: Option<String>,
    resolved: Option<CallbackUrl>,
}

impl WebTokenRequest {
    /// A token request; `callback_url` `None` uses the client's default.
    #[must_use]
    pub fn new(
        user_id: impl Into<UserId>,
        job_id: impl Into<JobId>,
        product: impl Into<WebProduct>,
        callback_url: Option<&str>,
    ) -> Self {
        Self {
            user_id: user_id.into(),
            job_id: job_id.into(),
            product: product.into(),
            callback_url: callback_url.map(str::to_owned),
            resolved: None,
        }
    }
}

/// A web token. Its `Debug` output does not show the token.
#[derive(Clone, PartialEq)]
pub struct WebToken {
    /// The opaque token, for the web component.
    pub token: String,
    /// The whole response.
    pub raw: Map<String, Value>,
}

impl fmt::Debug for WebToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebToken")
            .field("token", &format_args!("[{} characters]", self.token.len()))
            .finish_non_exhaustive()
    }
}

impl Endpoint for WebTokenRequest {
    type Output = WebToken;

    fn info(&self) -> &'static EndpointInfo {
        &INFO
    }

    fn job_id(&self) -> Option<&JobId> {
        Some(&self.job_id)
    }

    fn prepare(&mut self, config: &ClientConfig) -> Result<(), Problems> {
        let callback = Callback::new(self.callback_url.as_deref(), config.default_callback());
        validate::web_token(
            self.user_id.as_str(),
            self.job_id.as_str(),
            self.product.as_str(),
            callback,
        )?;
        self.resolved = callback
            .effective()
            .and_then(|u| CallbackUrl::parse(u).ok());
        Ok(())
    }

    fn body(&self, ctx: &BodyContext<'_>) -> Vec<u8> {
        let mut m = Map::new();
        m.insert("partner_id".into(), ctx.partner_id.as_str().into());
        m.insert("user_id".into(), self.user_id.as_str().into());
        m.insert("job_id".into(), self.job_id.as_str().into());
        m.insert("product".into(), self.product.as_str().into());
        if let Some(cb) = &self.resolved {
            m.insert("callback_url".into(), cb.as_str().into());
        }
        m.insert("timestamp".into(), ctx.signed.timestamp.as_str().into());
        m.insert("signature".into(), ctx.signed.signature.as_str().into());
        to_vec(&m)
    }

    fn parse(&self, response: &HttpResponse, ctx: &ParseContext<'_>) -> Result<WebToken, Error> {
        let seen = Seen::default();
        let raw = object_of(ctx.kind, response, &seen)?;
        if let Some(e) = error_in_success(ctx.kind, response, &raw, "token", &seen) {
            return Err(e);
        }
        match raw.get("token").and_then(Value::as_str) {
            Some(t) if !t.is_empty() => Ok(WebToken {
                token: t.to_owned(),
                raw,
            }),
            _ => Err(unexpected(
                ctx.kind,
                response,
                "response field `token` is missing or not a non-empty string",
                &seen,
            )),
        }
    }
}

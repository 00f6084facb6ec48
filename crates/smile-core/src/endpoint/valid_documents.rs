//! `POST /valid_documents` ([protocol §8.5](smile_types::protocol#85-post-basevalid_documents)):
//! the ID documents accepted per country (for job 6 and 11 inputs), lightly typed.

use serde_json::{Map, Value};

use super::{BodyContext, Endpoint, ParseContext};
use crate::config::SOURCE_SDK;
use crate::error::Error;
use crate::requests::to_vec;
use crate::responses::{Seen, error_in_success, object_of, unexpected};
use crate::transport::{EndpointInfo, EndpointMethod, HttpResponse};

static INFO: EndpointInfo = EndpointInfo::new(
    "POST /valid_documents",
    EndpointMethod::Post,
    "valid_documents",
    true,
    false,
);

/// `POST /valid_documents`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ValidDocuments;

impl ValidDocuments {
    /// The request.
    #[must_use]
    pub fn new() -> Self {
        Self
    }
}

/// One country of [`ValidDocumentsList`].
#[derive(Clone, Debug, PartialEq)]
pub struct CountryDocuments {
    /// `country.code` (ISO 3166-1 alpha-2).
    pub country_code: Option<String>,
    /// `country.name`.
    pub country_name: Option<String>,
    /// `id_types[].code` (e.g. `PASSPORT`), in order.
    pub id_types: Vec<String>,
    /// The entry as received.
    pub raw: Value,
}

/// The answer of `POST /valid_documents`, kept as received.
#[derive(Clone, Debug, PartialEq)]
pub struct ValidDocumentsList {
    /// The whole object.
    pub raw: Map<String, Value>,
}

impl ValidDocumentsList {
    /// Every country with its document types.
    #[must_use]
    pub fn countries(&self) -> Vec<CountryDocuments> {
        let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
        self.raw
            .get("valid_documents")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|c| CountryDocuments {
                country_code: text(c.pointer("/country/code")),
                country_name: text(c.pointer("/country/name")),
                id_types: c
                    .get("id_types")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|t| text(t.get("code")))
                    .collect(),
                raw: c.clone(),
            })
            .collect()
    }
}

impl Endpoint for ValidDocuments {
    type Output = ValidDocumentsList;

    fn info(&self) -> &'static EndpointInfo {
        &INFO
    }

    fn body(&self, ctx: &BodyContext<'_>) -> Vec<u8> {
        let mut m = Map::new();
        m.insert("partner_id".into(), ctx.partner_id.as_str().into());
        m.insert("source_sdk".into(), SOURCE_SDK.into());
        m.insert("source_sdk_version".into(), ctx.sdk_version.into());
        m.insert("timestamp".into(), ctx.signed.timestamp.as_str().into());
        m.insert("signature".into(), ctx.signed.signature.as_str().into());
        to_vec(&m)
    }

    fn parse(
        &self,
        response: &HttpResponse,
        ctx: &ParseContext<'_>,
    ) -> Result<ValidDocumentsList, Error> {
        let seen = Seen::default();
        let raw = object_of(ctx.kind, response, &seen)?;
        if let Some(e) = error_in_success(ctx.kind, response, &raw, "valid_documents", &seen) {
            return Err(e);
        }
        if !raw.get("valid_documents").is_some_and(Value::is_array) {
            return Err(unexpected(
                ctx.kind,
                response,
                "response field `valid_documents` is missing or not an array",
                &seen,
            ));
        }
        Ok(ValidDocumentsList { raw })
    }
}

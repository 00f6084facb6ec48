//! `GET /services` ([protocol §8.4](smile_types::protocol#84-get-baseservices)): the supported
//! lookups, lightly typed. No signature.

use serde_json::{Map, Value};

use super::{BodyContext, Endpoint, ParseContext};
use crate::error::Error;
use crate::responses::{Seen, object_of};
use crate::transport::{EndpointInfo, EndpointMethod, HttpResponse};

static INFO: EndpointInfo = EndpointInfo::new(
    "GET /services",
    EndpointMethod::Get,
    "services",
    true,
    false,
);

/// `GET /services`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Services;

impl Services {
    /// The request.
    #[must_use]
    pub fn new() -> Self {
        Self
    }
}

/// A bank of `bank_codes` (for bank account lookups).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BankCode {
    /// The bank's name.
    pub name: String,
    /// Its code.
    pub code: String,
}

/// The answer of `GET /services`, kept as received, with accessors for the known parts. The
/// SDK does not validate jobs against it (the list is informative: docs/protocol.md §8.4).
#[derive(Clone, Debug, PartialEq)]
pub struct ServicesList {
    /// The whole object.
    pub raw: Map<String, Value>,
}

impl ServicesList {
    /// `bank_codes` (entries without a string `name` and `code` are skipped).
    #[must_use]
    pub fn bank_codes(&self) -> Vec<BankCode> {
        self.raw
            .get("bank_codes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|b| {
                Some(BankCode {
                    name: b.get("name")?.as_str()?.to_owned(),
                    code: b.get("code")?.as_str()?.to_owned(),
                })
            })
            .collect()
    }

    /// `hosted_web`: per product, the supported countries and id types (as received).
    #[must_use]
    pub fn hosted_web(&self) -> Option<&Map<String, Value>> {
        self.raw.get("hosted_web").and_then(Value::as_object)
    }
}

impl Endpoint for Services {
    type Output = ServicesList;

    fn info(&self) -> &'static EndpointInfo {
        &INFO
    }

    fn body(&self, _ctx: &BodyContext<'_>) -> Vec<u8> {
        Vec::new()
    }

    fn parse(
        &self,
        response: &HttpResponse,
        ctx: &ParseContext<'_>,
    ) -> Result<ServicesList, Error> {
        Ok(ServicesList {
            raw: object_of(ctx.kind, response, &Seen::default())?,
        })
    }
}

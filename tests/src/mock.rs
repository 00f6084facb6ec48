//! wiremock helpers for the suites: mounting answers and reading what the server received.

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::Received;

/// A response with a JSON body (`Content-Type: application/json`).
#[must_use]
pub fn json_response(status: u16, body: impl AsRef<str>) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .set_body_raw(body.as_ref().as_bytes().to_vec(), "application/json")
}

/// Answers every `verb route` request with `response`.
pub async fn mount(server: &MockServer, verb: &str, route: &str, response: ResponseTemplate) {
    Mock::given(method(verb))
        .and(path(route))
        .respond_with(response)
        .mount(server)
        .await;
}

/// Answers the first `n` `verb route` requests with `first`, the later ones with `then`.
pub async fn mount_then(
    server: &MockServer,
    verb: &str,
    route: &str,
    (first, n): (ResponseTemplate, u64),
    then: ResponseTemplate,
) {
    Mock::given(method(verb))
        .and(path(route))
        .respond_with(first)
        .up_to_n_times(n)
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(method(verb))
        .and(path(route))
        .respond_with(then)
        .with_priority(2)
        .mount(server)
        .await;
}

/// Every request the server received, in order.
///
/// # Panics
/// When request recording is off.
pub async fn received(server: &MockServer) -> Vec<Received> {
    server
        .received_requests()
        .await
        .expect("request recording is on")
        .into_iter()
        .map(|r| Received {
            method: r.method.to_string(),
            path_and_query: match r.url.query() {
                Some(q) => format!("{}?{q}", r.url.path()),
                None => r.url.path().to_owned(),
            },
            headers: r
                .headers
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_owned(),
                        v.to_str().unwrap_or("<binary>").to_owned(),
                    )
                })
                .collect(),
            body: r.body,
        })
        .collect()
}

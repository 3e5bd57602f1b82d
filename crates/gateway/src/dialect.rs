//! Which wire format a request speaks, so the gateway's own errors come back in it.

use axum::http::request::Parts;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    OpenAi,
    Anthropic,
}

impl Dialect {
    /// Anthropic's SDKs always send `anthropic-version`; `/v1/messages` is Anthropic's path.
    pub fn of(parts: &Parts) -> Dialect {
        if parts.headers.contains_key("anthropic-version")
            || parts.uri.path().starts_with("/v1/messages")
        {
            Dialect::Anthropic
        } else {
            Dialect::OpenAi
        }
    }
}

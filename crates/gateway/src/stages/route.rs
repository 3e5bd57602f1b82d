//! Stage 4, route: which upstream serves this request.

use axum::http::request::Parts;
use url::Url;

use crate::Error;
use crate::config::{Config, Mode};
use crate::dialect::Dialect;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upstream {
    OpenAi,
    Anthropic,
    Ollama,
    Hosted,
}

impl Upstream {
    /// The stable name stored in the request log.
    pub fn id(self) -> &'static str {
        match self {
            Upstream::OpenAi => "openai",
            Upstream::Anthropic => "anthropic",
            Upstream::Ollama => "ollama",
            Upstream::Hosted => "hosted",
        }
    }

    /// The name a person reads in an error message.
    pub fn display_name(self) -> &'static str {
        match self {
            Upstream::OpenAi => "OpenAI",
            Upstream::Anthropic => "Anthropic",
            Upstream::Ollama => "the local model server",
            Upstream::Hosted => "the hosted gateway",
        }
    }

    /// Whether this upstream speaks OpenAI's chat-completions dialect (and so honours
    /// `stream_options.include_usage`).
    pub fn speaks_openai(self) -> bool {
        !matches!(self, Upstream::Anthropic)
    }
}

pub struct Route {
    pub upstream: Upstream,
    pub base: Url,
}

/// Hosted mode sends everything to the hosted gateway; local mode sends Anthropic-dialect
/// requests to Anthropic and the rest to the OpenAI-compatible upstream.
pub fn route(parts: &Parts, config: &Config) -> Result<Route, Error> {
    let upstreams = &config.upstreams;
    let (upstream, base) = match config.mode {
        Mode::Hosted => (
            Upstream::Hosted,
            upstreams.hosted.clone().ok_or(Error::HostedUrlMissing)?,
        ),
        Mode::Local => match Dialect::of(parts) {
            Dialect::Anthropic => (Upstream::Anthropic, upstreams.anthropic.clone()),
            Dialect::OpenAi => (Upstream::OpenAi, upstreams.openai.clone()),
        },
    };
    Ok(Route { upstream, base })
}

//! Stage 4, route: which upstream serves this request.

use std::collections::HashSet;

use axum::http::request::Parts;
use url::Url;

use crate::config::{AuthMode, Config, Mode};
use crate::dialect::Dialect;
use crate::stages::{Caller, Credential};
use crate::{Error, routes};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upstream {
    OpenAi,
    Anthropic,
    Ollama,
    Hosted,
    /// The ChatGPT Codex backend, with the signed-in account (`auth_mode = codex`).
    Codex,
}

impl Upstream {
    /// The stable name stored in the request log.
    pub fn id(self) -> &'static str {
        match self {
            Upstream::OpenAi => "openai",
            Upstream::Anthropic => "anthropic",
            Upstream::Ollama => "ollama",
            Upstream::Hosted => "hosted",
            Upstream::Codex => "codex",
        }
    }

    /// Who pays for what this upstream serves (the log's `billing`).
    pub fn billing(self) -> &'static str {
        use clawbox_store::billing;
        match self {
            Upstream::OpenAi | Upstream::Anthropic => billing::API,
            Upstream::Codex => billing::PLAN,
            Upstream::Ollama => billing::LOCAL,
            Upstream::Hosted => billing::HOSTED,
        }
    }

    /// The name a person reads in an error message.
    pub fn display_name(self) -> &'static str {
        match self {
            Upstream::OpenAi => "OpenAI",
            Upstream::Anthropic => "Anthropic",
            Upstream::Ollama => "the local model server",
            Upstream::Hosted => "the hosted gateway",
            Upstream::Codex => "ChatGPT",
        }
    }

    /// Whether this upstream speaks OpenAI's chat-completions dialect (and so honours
    /// `stream_options.include_usage`).
    pub fn speaks_openai(self) -> bool {
        !matches!(self, Upstream::Anthropic | Upstream::Codex)
    }
}

pub struct Route {
    pub upstream: Upstream,
    pub base: Url,
    /// The incoming path (for messages that name it).
    pub path: String,
}

/// The paths the ChatGPT Codex backend can answer (chat completions by translation).
pub const CODEX_PATHS: [&str; 2] = ["/v1/responses", "/v1/chat/completions"];

/// Hosted mode sends everything to the hosted gateway. Local mode sends Anthropic-dialect
/// requests to Anthropic and the rest by model (the local model server's models, the user's
/// routes, then Anthropic's and OpenAI's families); with `auth_mode = codex`, OpenAI-bound
/// responses and chat completions from holders of the local key go to the signed-in ChatGPT
/// account (a caller's own key always goes where it belongs).
pub fn route(
    parts: &Parts,
    config: &Config,
    caller: &Caller,
    model: Option<&str>,
    local_models: &HashSet<String>,
    codex_backend: &Url,
) -> Result<Route, Error> {
    let upstreams = &config.upstreams;
    let (upstream, base) =
        match config.mode {
            Mode::Hosted => (
                Upstream::Hosted,
                upstreams.hosted.clone().ok_or(Error::HostedUrlMissing)?,
            ),
            Mode::Local => match Dialect::of(parts) {
                Dialect::Anthropic => (Upstream::Anthropic, upstreams.anthropic.clone()),
                Dialect::OpenAi => {
                    // By model (routes.rs); a request naming none (a model list, a file) is OpenAI's.
                    let by_model =
                        match model {
                            Some(model) => routes::pick(model, &config.routes, local_models)
                                .map_err(|tried| Error::UnknownModel {
                                    model: model.chars().take(100).collect(),
                                    tried,
                                })?,
                            None => Upstream::OpenAi,
                        };
                    match by_model {
                        Upstream::OpenAi
                            if config.auth_mode == AuthMode::Codex
                                && matches!(caller.credential, Credential::LocalKey(_))
                                && CODEX_PATHS.contains(&parts.uri.path()) =>
                        {
                            (Upstream::Codex, codex_backend.clone())
                        }
                        Upstream::Anthropic => (Upstream::Anthropic, upstreams.anthropic.clone()),
                        Upstream::Ollama => (Upstream::Ollama, upstreams.ollama.clone()),
                        _ => (Upstream::OpenAi, upstreams.openai.clone()),
                    }
                }
            },
        };
    Ok(Route {
        upstream,
        base,
        path: parts.uri.path().to_owned(),
    })
}

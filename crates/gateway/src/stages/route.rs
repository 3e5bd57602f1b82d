//! Stage 4, route: which upstream serves this request.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use axum::http::request::Parts;
use url::Url;

use crate::Error;
use crate::config::{AuthMode, Config, Mode};
use crate::dialect::Dialect;
use crate::providers::{Listed, ProviderKind, ProviderTag};
use crate::routes::{self, Candidates};
use crate::stages::{Caller, Credential};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upstream {
    OpenAi,
    Anthropic,
    Ollama,
    Hosted,
    /// The ChatGPT Codex backend, with the signed-in account (`auth_mode = codex`).
    Codex,
    /// A provider the person named in settings (`providers`).
    Named(&'static ProviderTag),
    /// ClawBox itself: a kept response read or deleted (conversations/).
    Kept,
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
            Upstream::Named(tag) => &tag.name,
            Upstream::Kept => "clawbox",
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
            Upstream::Named(tag) if tag.keyless => billing::LOCAL,
            Upstream::Kept => billing::LOCAL,
            Upstream::Named(_) => billing::API,
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
            Upstream::Named(tag) => &tag.name,
            Upstream::Kept => "ClawBox",
        }
    }

    /// Whether this upstream speaks OpenAI's chat-completions dialect (and so honours
    /// `stream_options.include_usage`).
    pub fn speaks_openai(self) -> bool {
        match self {
            Upstream::Anthropic | Upstream::Codex => false,
            Upstream::Named(tag) => tag.kind == ProviderKind::Openai,
            _ => true,
        }
    }

    /// Whether a saved key goes in Anthropic's `x-api-key` header (else as a bearer token).
    pub fn takes_x_api_key(self) -> bool {
        match self {
            Upstream::Anthropic => true,
            Upstream::Named(tag) => tag.kind == ProviderKind::Anthropic,
            _ => false,
        }
    }

    /// Whether this upstream takes no key (the local model server, a keyless named provider).
    pub fn takes_no_key(self) -> bool {
        match self {
            Upstream::Ollama => true,
            Upstream::Named(tag) => tag.keyless,
            _ => false,
        }
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
/// requests to Anthropic (or an Anthropic-compatible named provider of that model) and the rest
/// by model (routes.rs; a request naming no model — a file, a model list — is OpenAI's); with
/// `auth_mode = codex`, OpenAI-bound responses and chat completions from holders of the local
/// key go to the signed-in ChatGPT account (a caller's own key always goes where it belongs,
/// and `default_upstream = openai` means OpenAI's API, not the sign-in).
pub fn route(
    parts: &Parts,
    config: &Config,
    caller: &Caller,
    model: Option<&str>,
    known: &Known,
    codex_backend: &Url,
) -> Result<Route, Error> {
    let upstreams = &config.upstreams;
    let candidates = Candidates {
        rules: &config.routes,
        local_models: &known.local_models,
        providers: &config.providers,
        listed: &known.listed,
        default: &config.default_upstream,
    };
    let (upstream, base) = match config.mode {
        Mode::Hosted => (
            Upstream::Hosted,
            upstreams.hosted.clone().ok_or(Error::HostedUrlMissing)?,
        ),
        Mode::Local => {
            let picked = match (Dialect::of(parts), model) {
                (Dialect::Anthropic, model) => {
                    routes::Picked::of(routes::pick_anthropic(model, &candidates))
                }
                (Dialect::OpenAi, Some(model)) => {
                    routes::pick(model, &candidates).map_err(|tried| Error::UnknownModel {
                        model: model.chars().take(100).collect(),
                        tried,
                    })?
                }
                (Dialect::OpenAi, None) => routes::Picked::of(Upstream::OpenAi),
            };
            match picked.upstream {
                Upstream::OpenAi
                    if !picked.by_default
                        && config.auth_mode == AuthMode::Codex
                        && matches!(caller.credential, Credential::LocalKey(_))
                        && CODEX_PATHS.contains(&parts.uri.path()) =>
                {
                    (Upstream::Codex, codex_backend.clone())
                }
                Upstream::Anthropic => (Upstream::Anthropic, upstreams.anthropic.clone()),
                Upstream::Ollama => (Upstream::Ollama, upstreams.ollama.clone()),
                Upstream::Named(tag) => {
                    // The tag came from these settings, so its provider is among them.
                    let provider = config.providers.iter().find(|p| std::ptr::eq(p.tag, tag));
                    let base = provider.map(|p| p.base_url.clone()).ok_or_else(|| {
                        Error::UnknownModel {
                            model: model.unwrap_or_default().chars().take(100).collect(),
                            tried: format!("{} (no longer in the settings)", tag.name),
                        }
                    })?;
                    (picked.upstream, base)
                }
                _ => (Upstream::OpenAi, upstreams.openai.clone()),
            }
        }
    };
    Ok(Route {
        upstream,
        base,
        path: parts.uri.path().to_owned(),
    })
}

/// What the background refreshers know of the upstreams' models, as of now.
pub struct Known {
    pub local_models: Arc<HashSet<String>>,
    /// The named providers' reported lists, by name.
    pub listed: Arc<HashMap<String, Listed>>,
}

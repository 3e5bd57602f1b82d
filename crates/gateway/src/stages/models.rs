//! `GET /v1/models` in local mode (OpenAI dialect): every model ClawBox can route to by name, in
//! one list — OpenAI's (when there is a key to ask with), Anthropic's (with the saved key, for
//! holders of the local key), the named providers' (as they last reported them: those that take
//! no key always, the others for holders of the local key) and the local model server's
//! (always: they need no key).

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::request::Parts;
use clawbox_auth::Provider;

use crate::Gateway;
use crate::codex::Translation;
use crate::config::{Config, Mode};
use crate::dialect::Dialect;
use crate::stages::authorize::{check_local_key, saved_key};
use crate::stages::{Caller, Credential, Forwarded, Upstream};

/// How long the extra lists may take (a model list is not worth a long wait).
const LIST_TIMEOUT: Duration = Duration::from_secs(10);

/// A model to add to OpenAI's list: `(id, owned_by)`.
pub type ExtraModel = (String, &'static str);

/// Whether this request asks for the merged model list.
pub fn is_model_list(parts: &Parts, config: &Config) -> bool {
    config.mode == Mode::Local
        && parts.method == axum::http::Method::GET
        && parts.uri.path() == "/v1/models"
        && Dialect::of(parts) == Dialect::OpenAi
}

/// Whether OpenAI itself can be asked (the caller's own key, or a saved one for a local key).
pub async fn can_ask_openai(gateway: &Arc<Gateway>, caller: &Caller) -> bool {
    match &caller.credential {
        Credential::Provider => true,
        Credential::LocalKey(_) => saved_key(&gateway.credentials, Provider::OpenAi)
            .await
            .is_some(),
        Credential::None => false,
    }
}

/// The models to add after OpenAI's: Anthropic's, the named providers' and the local server's.
pub async fn extra_models(
    gateway: &Arc<Gateway>,
    config: &Config,
    caller: &Caller,
) -> Result<Vec<ExtraModel>, crate::Error> {
    let mut extra = Vec::new();
    let local_key = matches!(caller.credential, Credential::LocalKey(_));
    if let Credential::LocalKey(presented) = &caller.credential {
        check_local_key(&gateway.credentials, presented).await?;
        if let Some(key) = saved_key(&gateway.credentials, Provider::Anthropic).await {
            extra.extend(anthropic_models(gateway, config, &key).await);
        }
    }
    let listed = gateway.provider_models.get();
    for provider in config
        .providers
        .iter()
        .filter(|p| local_key || p.tag.keyless)
    {
        if let Some(list) = listed.get(provider.name()) {
            extra.extend(list.names.iter().map(|m| (m.clone(), provider.name())));
        }
    }
    // As the local server names them: `llama3.2:latest`, not also its short alias.
    let names = gateway.local_models.get();
    let mut local: Vec<String> = names
        .iter()
        .filter(|m| m.contains(':') || !names.contains(&format!("{m}:latest")))
        .cloned()
        .collect();
    local.sort();
    extra.extend(local.into_iter().map(|m| (m, "ollama")));
    Ok(extra)
}

/// An empty OpenAI-style list to which the extra models are added, when OpenAI cannot be asked.
pub fn without_openai(extra: Vec<ExtraModel>, request_bytes: usize) -> Forwarded {
    let response = http::Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(r#"{"object":"list","data":[]}"#)
        .unwrap_or_default();
    Forwarded {
        response: reqwest::Response::from(response),
        upstream: Upstream::Ollama,
        origin: String::new(),
        ttfb: Duration::ZERO,
        hide_usage_chunk: false,
        idle_timeout: LIST_TIMEOUT,
        request_bytes,
        head_request: false,
        translation: Translation::None,
        add_models: Some(extra),
        keeps_plan_events: false,
        keep: None,
    }
}

async fn anthropic_models(
    gateway: &Arc<Gateway>,
    config: &Config,
    key: &clawbox_auth::Secret,
) -> Vec<ExtraModel> {
    let base = &config.upstreams.anthropic;
    let url = format!(
        "{}/v1/models?limit=1000",
        base.as_str().trim_end_matches('/')
    );
    let started = Instant::now();
    let answer = gateway
        .client_for(base)
        .get(url)
        .header("x-api-key", key.expose())
        .header("anthropic-version", "2023-06-01")
        .timeout(LIST_TIMEOUT)
        .send()
        .await;
    let list: serde_json::Value = match answer {
        Ok(r) if r.status().is_success() => r.json().await.unwrap_or_default(),
        Ok(r) => {
            tracing::debug!(status = %r.status(), "Anthropic's model list was refused");
            return Vec::new();
        }
        Err(e) => {
            tracing::debug!(error = %e, "Anthropic's model list could not be fetched");
            return Vec::new();
        }
    };
    tracing::debug!(ms = started.elapsed().as_millis(), "Anthropic's model list");
    list["data"]
        .as_array()
        .map(|models| {
            models
                .iter()
                .filter_map(|m| m["id"].as_str())
                .map(|id| (id.to_owned(), "anthropic"))
                .collect()
        })
        .unwrap_or_default()
}

//! The model lists named providers report (`GET <base_url>/models`), fetched in the background —
//! never on a request's path — and used twice: merged into `GET /v1/models`, and to route a
//! model no pattern claims to the provider that lists it.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use clawbox_auth::Secret;
use futures_util::StreamExt;

use crate::Gateway;
use crate::providers::{NamedProvider, ProviderKind};
use crate::stages::named_key;

/// How often the loop looks; a provider that takes no key (a server of one's own, which comes and
/// goes) is asked every time.
const TICK: Duration = Duration::from_secs(15);
/// A remote provider's list changes rarely.
const REMOTE_EVERY: Duration = Duration::from_secs(600);
/// After a failure (no key yet, offline), ask again this soon.
const RETRY_EVERY: Duration = Duration::from_secs(60);
const ASK_TIMEOUT: Duration = Duration::from_secs(10);
/// A model list larger than this is not a model list.
const MAX_LIST_BYTES: usize = 8 << 20;
const MAX_MODELS: usize = 10_000;
const MAX_NAME: usize = 200;

/// One provider's list, as last fetched.
#[derive(Debug, Clone)]
pub struct Listed {
    /// Sorted, as the provider names them.
    pub names: Arc<Vec<String>>,
    lookup: Arc<HashSet<String>>,
    base: url::Url,
    at: Instant,
    ok: bool,
}

impl Listed {
    #[cfg(test)]
    pub(crate) fn of(names: &[&str]) -> Listed {
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        Listed {
            lookup: Arc::new(names.iter().cloned().collect()),
            names: Arc::new(names),
            base: url::Url::parse("http://127.0.0.1/").unwrap_or_else(|_| unreachable!()),
            at: Instant::now(),
            ok: true,
        }
    }

    pub fn contains(&self, model: &str) -> bool {
        self.lookup.contains(model)
    }
}

#[derive(Default)]
pub struct ProviderModels {
    lists: ArcSwap<HashMap<String, Listed>>,
    /// One refresh at a time, so an older answer never lands after a newer one.
    refreshing: tokio::sync::Mutex<()>,
}

impl ProviderModels {
    pub fn get(&self) -> Arc<HashMap<String, Listed>> {
        self.lists.load_full()
    }

    /// Asks each provider whose list is due, all at once; `force` asks them all. Providers no
    /// longer configured are forgotten.
    pub(crate) async fn refresh(&self, gateway: &Gateway, force: bool) {
        let _one_at_a_time = self.refreshing.lock().await;
        let providers = gateway.config().providers.clone();
        let old = self.get();
        let asked = providers.iter().map(|provider| {
            let before = old.get(provider.name()).cloned();
            async move {
                let listed = match before {
                    Some(before) if !force && !due(provider, &before) => before,
                    before => fetch(gateway, provider, before).await,
                };
                (provider.name().to_owned(), listed)
            }
        });
        let lists: HashMap<String, Listed> = futures_util::future::join_all(asked)
            .await
            .into_iter()
            .collect();
        self.lists.store(Arc::new(lists));
    }
}

/// One provider's list, asked now; on a failure, what to keep.
async fn fetch(gateway: &Gateway, provider: &NamedProvider, before: Option<Listed>) -> Listed {
    // A provider that takes no key is asked without one.
    let key = if provider.tag.keyless {
        None
    } else {
        named_key(gateway.credentials(), provider.key_id()).await
    };
    let fetched = match (&key, provider.tag.keyless) {
        (None, false) => Err("no key saved".to_owned()),
        _ => ask(gateway, provider, key.as_ref()).await,
    };
    match fetched {
        Ok(mut names) => {
            names.sort();
            names.dedup();
            Listed {
                lookup: Arc::new(names.iter().cloned().collect()),
                names: Arc::new(names),
                base: provider.base_url.clone(),
                at: Instant::now(),
                ok: true,
            }
        }
        Err(why) => {
            tracing::debug!(provider = provider.name(), %why, "no model list");
            // A provider's last good list stays (a hiccup is not a change); a server of one's
            // own that does not answer has no models.
            let keep = before.filter(|b| !provider.tag.keyless && b.base == provider.base_url);
            let mut listed = keep.unwrap_or_else(|| Listed {
                names: Arc::default(),
                lookup: Arc::default(),
                base: provider.base_url.clone(),
                at: Instant::now(),
                ok: false,
            });
            listed.at = Instant::now();
            listed.ok = false;
            listed
        }
    }
}

fn due(provider: &NamedProvider, listed: &Listed) -> bool {
    let every = if provider.tag.keyless {
        Duration::ZERO
    } else if listed.ok {
        REMOTE_EVERY
    } else {
        RETRY_EVERY
    };
    listed.base != provider.base_url || listed.at.elapsed() >= every
}

/// `GET <base_url>/models`, read bounded: the ids in `data`, as OpenAI's (and Anthropic's) list
/// has them. Gemini prefixes its ids with `models/`, which its chat endpoint does not want.
async fn ask(
    gateway: &Gateway,
    provider: &NamedProvider,
    key: Option<&Secret>,
) -> Result<Vec<String>, String> {
    let url = provider.url_for("/v1/models").ok_or("no URL")?;
    let mut request = gateway
        .client_for(&provider.base_url)
        .get(url)
        .timeout(ASK_TIMEOUT);
    if let Some(key) = key {
        request = match provider.kind() {
            ProviderKind::Openai => request.bearer_auth(key.expose()),
            ProviderKind::Anthropic => request
                .header("x-api-key", key.expose())
                .header("anthropic-version", "2023-06-01"),
        };
    }
    let response = request.send().await.map_err(|e| e.to_string())?;
    if !response.status().is_success() {
        return Err(format!("answered {}", response.status()));
    }
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| e.to_string())?;
        if body.len() + chunk.len() > MAX_LIST_BYTES {
            return Err("the model list is too large".into());
        }
        body.extend_from_slice(&chunk);
    }
    let list: serde_json::Value = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
    let data = list["data"].as_array().ok_or("no `data` list")?;
    Ok(data
        .iter()
        .filter_map(|m| m["id"].as_str())
        .map(|id| id.strip_prefix("models/").unwrap_or(id))
        .filter(|id| !id.is_empty() && id.len() <= MAX_NAME && !id.chars().any(char::is_control))
        .take(MAX_MODELS)
        .map(str::to_owned)
        .collect())
}

/// Runs until the gateway is dropped.
pub(crate) async fn keep_fresh(gateway: Weak<Gateway>) {
    let mut tick = tokio::time::interval(TICK);
    // A slow round (a provider timing out) is not made up for with a burst.
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(gateway) = gateway.upgrade() else {
            return;
        };
        gateway.provider_models.refresh(&gateway, false).await;
    }
}

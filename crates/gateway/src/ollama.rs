//! What the local Ollama-compatible server has: its model list, refreshed in the background
//! (never fetched on a request's path).

use std::collections::HashSet;
use std::sync::{Arc, Weak};
use std::time::Duration;

use arc_swap::ArcSwap;

use crate::Gateway;

const REFRESH_EVERY: Duration = Duration::from_secs(15);
const ASK_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Default)]
pub struct OllamaModels {
    names: ArcSwap<HashSet<String>>,
    /// One refresh at a time, so an older answer never lands after a newer one.
    refreshing: tokio::sync::Mutex<()>,
}

impl OllamaModels {
    pub fn get(&self) -> Arc<HashSet<String>> {
        self.names.load_full()
    }

    /// Asks the server for its models (`GET /api/tags`). A server that is not running simply has
    /// no models.
    pub async fn refresh(&self, client: &reqwest::Client, base: &url::Url) {
        let _one_at_a_time = self.refreshing.lock().await;
        let url = format!("{}/api/tags", base.as_str().trim_end_matches('/'));
        let names = match ask(client, &url).await {
            Ok(names) => names,
            Err(e) => {
                tracing::debug!(error = %e, "no models from the local model server");
                HashSet::new()
            }
        };
        self.names.store(Arc::new(names));
    }
}

async fn ask(client: &reqwest::Client, url: &str) -> Result<HashSet<String>, String> {
    let response = client
        .get(url)
        .timeout(ASK_TIMEOUT)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let bytes = response.bytes().await.map_err(|e| e.to_string())?;
    let answer: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
    let mut names = HashSet::new();
    for model in answer["models"].as_array().into_iter().flatten() {
        if let Some(name) = model["name"].as_str().or(model["model"].as_str()) {
            // `llama3.2:latest` also answers to `llama3.2`, as Ollama itself does.
            if let Some(short) = name.strip_suffix(":latest") {
                names.insert(short.to_owned());
            }
            names.insert(name.to_owned());
        }
    }
    Ok(names)
}

/// Runs until the gateway is dropped.
pub(crate) async fn keep_fresh(gateway: Weak<Gateway>) {
    let mut tick = tokio::time::interval(REFRESH_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(gateway) = gateway.upgrade() else {
            return;
        };
        gateway.refresh_local_models().await;
    }
}

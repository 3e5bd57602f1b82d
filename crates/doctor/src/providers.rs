//! One step per named provider: is a key saved (when it needs one), is the provider reachable at
//! its base URL, and does it accept the key? Asked with its model list (`GET <base_url>/models`),
//! which costs nothing, straight from here rather than through a prompt.

use std::time::Duration;

use clawbox_auth::{Credentials, Secret};
use clawbox_gateway::config::Config;
use clawbox_gateway::providers::ProviderKind;

use crate::{CheckStep, step};

const TIMEOUT: Duration = Duration::from_secs(15);

/// What checking one provider needs.
pub struct ProviderCheck {
    pub name: String,
    pub kind: ProviderKind,
    /// `<base_url>/models`.
    pub models_url: String,
    pub needs_key: bool,
    pub key: Option<Secret>,
}

/// The providers `config` names, with their saved keys (blocking: reads the keychain on a miss).
pub fn provider_checks(config: &Config, credentials: &Credentials) -> Vec<ProviderCheck> {
    config
        .providers
        .iter()
        .map(|p| ProviderCheck {
            name: p.name().to_owned(),
            kind: p.kind(),
            models_url: p.url_for("/v1/models").unwrap_or_default(),
            needs_key: !p.tag.keyless,
            // A provider that takes no key is asked without one.
            key: if p.tag.keyless {
                None
            } else {
                credentials.named_key(&p.key_id())
            },
        })
        .collect()
}

pub(crate) async fn provider_steps(checks: &[ProviderCheck]) -> Vec<CheckStep> {
    // No redirects: a key must not follow one to another host.
    let client = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build();
    let mut steps = Vec::with_capacity(checks.len());
    for check in checks {
        let title = format!("Provider {}", check.name);
        let set_key = format!("Save its key: `clawbox-gateway key set {}`", check.name);
        if check.needs_key && check.key.is_none() {
            steps.push(step(
                false,
                &title,
                "no API key saved for it".into(),
                Some(set_key),
            ));
            continue;
        }
        let Ok(client) = &client else {
            steps.push(step(
                false,
                &title,
                "cannot make an HTTP client".into(),
                None,
            ));
            continue;
        };
        let mut request = client.get(&check.models_url);
        if let Some(key) = &check.key {
            request = match check.kind {
                ProviderKind::Openai => request.bearer_auth(key.expose()),
                ProviderKind::Anthropic => request
                    .header("x-api-key", key.expose())
                    .header("anthropic-version", "2023-06-01"),
            };
        }
        let base = check.models_url.trim_end_matches("/models");
        let fix_url = format!(
            "Check its base URL (`clawbox-gateway provider add {} --base-url …`), your \
             connection, or that the server is running",
            check.name
        );
        let outcome = match request.send().await {
            Err(e) => step(
                false,
                &title,
                format!("could not reach {base} ({e})"),
                Some(fix_url),
            ),
            Ok(r) if matches!(r.status().as_u16(), 401 | 403) => step(
                false,
                &title,
                format!("{base} refused the saved key ({})", r.status()),
                Some(set_key),
            ),
            Ok(r) if !r.status().is_success() => step(
                false,
                &title,
                format!("{base}/models answered {}", r.status()),
                Some(fix_url),
            ),
            Ok(r) => {
                let listed = r
                    .json::<serde_json::Value>()
                    .await
                    .ok()
                    .and_then(|v| v["data"].as_array().map(Vec::len));
                let what = listed.map_or_else(
                    || "it answered".to_owned(),
                    |n| format!("it lists {n} models"),
                );
                let key = if check.key.is_some() {
                    ", the key works"
                } else {
                    ""
                };
                step(
                    true,
                    &title,
                    format!("{base} is reachable{key}; {what}"),
                    None,
                )
            }
        };
        steps.push(outcome);
    }
    steps
}

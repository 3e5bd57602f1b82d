//! Settings → Providers: the OpenAI-compatible (or Anthropic-compatible) providers ClawBox routes
//! models to, their keys (saved in the keychain under the provider's name, never shown again),
//! the presets, and where models no route claims go. Every change goes through the engine's
//! checks (clawbox_gateway::providers) before settings.json is written.

use std::sync::Arc;

use clawbox_auth::check_key_for;
use clawbox_gateway::Gateway;
use clawbox_gateway::providers::{
    DefaultUpstream, PRESETS, ProviderKind, ProviderSetting, add_provider as add, key_id_of,
    preset, remove_provider as remove, set_default_upstream as set_default,
};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Emitter, Runtime, State};
use ts_rs::TS;

use super::{CommandError, blocking, running};
use crate::GatewayHost;

/// Everything the Providers card shows.
#[derive(Debug, Clone, Serialize, Deserialize, TS, PartialEq)]
#[ts(export)]
pub struct ProvidersView {
    pub providers: Vec<ProviderView>,
    pub presets: Vec<PresetView>,
    /// `none`, `openai` or a provider's name.
    pub default_upstream: String,
    /// Set by CLAWBOX_DEFAULT_UPSTREAM, so not changeable here.
    pub default_pinned: bool,
}

/// A provider as configured, with whether its key is saved (never the key).
#[derive(Debug, Clone, Serialize, Deserialize, TS, PartialEq, Eq)]
#[ts(export)]
pub struct ProviderView {
    pub name: String,
    /// The preset's label ("DeepSeek"), else the name.
    pub label: String,
    /// `openai` or `anthropic`.
    pub kind: String,
    pub base_url: String,
    pub models: Vec<String>,
    pub needs_key: bool,
    pub key_saved: bool,
    /// How many models it reported (0 until it has been asked, or when it cannot be).
    pub listed_models: u32,
    /// Where to get a key (presets only).
    pub keys_at: String,
}

/// A provider ready to add.
#[derive(Debug, Clone, Serialize, Deserialize, TS, PartialEq, Eq)]
#[ts(export)]
pub struct PresetView {
    pub name: String,
    pub label: String,
    pub kind: String,
    pub base_url: String,
    pub models: Vec<String>,
    pub needs_key: bool,
    pub keys_at: String,
}

/// What the "Add a provider" form sends.
#[derive(Clone, Deserialize, TS)]
#[ts(export)]
pub struct NewProvider {
    pub name: String,
    /// `openai` or `anthropic`.
    pub kind: String,
    pub base_url: String,
    pub models: Vec<String>,
    pub needs_key: bool,
    /// Its API key, saved in the keychain (optional when it is already saved, or not needed).
    pub key: Option<String>,
}

impl std::fmt::Debug for NewProvider {
    /// Never the key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewProvider")
            .field("name", &self.name)
            .field("base_url", &self.base_url)
            .field("key", &self.key.as_ref().map(|_| "…"))
            .finish_non_exhaustive()
    }
}

#[tauri::command]
pub fn providers(host: State<'_, GatewayHost>) -> Result<ProvidersView, CommandError> {
    let (gateway, _) = running(&host)?;
    Ok(view(&gateway, &host))
}

/// Adds (or changes) a provider, saving its key when one is given; the gateway uses it at once.
#[tauri::command]
pub async fn add_provider<R: Runtime>(
    app: AppHandle<R>,
    host: State<'_, GatewayHost>,
    provider: NewProvider,
) -> Result<ProvidersView, CommandError> {
    let (gateway, _) = running(&host)?;
    let name = provider.name.trim().to_ascii_lowercase();
    let key = match provider.key.as_deref().map(str::trim) {
        Some(k) if !k.is_empty() => {
            Some(check_key_for(&name, k).map_err(|m| CommandError::new("bad_key", m))?)
        }
        _ => None,
    };
    let setting = ProviderSetting {
        name: name.clone(),
        kind: ProviderKind::parse(&provider.kind).map_err(|m| CommandError::new("invalid", m))?,
        base_url: provider.base_url.trim().to_owned(),
        models: provider
            .models
            .iter()
            .map(|m| m.trim().to_owned())
            .filter(|m| !m.is_empty())
            .collect(),
        needs_key: provider.needs_key,
    };
    let settings = gateway.settings_path().to_owned();
    let overrides = host.overrides();
    let credentials = Arc::clone(gateway.credentials());
    blocking(move || {
        // The key first: a provider is never listed without the key the person just gave.
        let id = key_id_of(&setting).map_err(|m| CommandError::new("invalid", m))?;
        if let Some(key) = key {
            credentials
                .save_named_key(&id, key)
                .map_err(|e| CommandError::new("keychain", e.to_string()))?;
        }
        let added = add(&settings, &setting, &overrides)
            .map_err(|e| CommandError::new("invalid", e.to_string()))?;
        if let Some(old) = added.moved_from {
            // The key saved for its old address does not follow it to the new one.
            let _ = credentials.remove_named_key(&old);
        }
        Ok(())
    })
    .await?;
    applied(&app, &gateway).await;
    Ok(view(&gateway, &host))
}

/// Saves (replaces) the key of a provider already added.
#[tauri::command]
pub async fn save_provider_key<R: Runtime>(
    app: AppHandle<R>,
    host: State<'_, GatewayHost>,
    name: String,
    key: String,
) -> Result<ProvidersView, CommandError> {
    let (gateway, _) = running(&host)?;
    let config = gateway.config();
    let Some(provider) = config.providers.iter().find(|p| p.name() == name) else {
        return Err(CommandError::new(
            "invalid",
            format!("there is no provider named `{name}`"),
        ));
    };
    let id = provider.key_id();
    let key = check_key_for(provider.name(), &key).map_err(|m| CommandError::new("bad_key", m))?;
    let credentials = Arc::clone(gateway.credentials());
    blocking(move || {
        credentials
            .save_named_key(&id, key)
            .map_err(|e| CommandError::new("keychain", e.to_string()))
    })
    .await?;
    applied(&app, &gateway).await;
    Ok(view(&gateway, &host))
}

/// Removes a provider, its saved key and the routes that name it.
#[tauri::command]
pub async fn remove_provider<R: Runtime>(
    app: AppHandle<R>,
    host: State<'_, GatewayHost>,
    name: String,
) -> Result<ProvidersView, CommandError> {
    let (gateway, _) = running(&host)?;
    let settings = gateway.settings_path().to_owned();
    let overrides = host.overrides();
    let credentials = Arc::clone(gateway.credentials());
    blocking(move || {
        let removed = remove(&settings, &name, &overrides)
            .map_err(|e| CommandError::new("invalid", e.to_string()))?;
        credentials
            .remove_named_key(&removed.key_id)
            .map_err(|e| CommandError::new("keychain", e.to_string()))
    })
    .await?;
    applied(&app, &gateway).await;
    Ok(view(&gateway, &host))
}

/// Where models no route claims go: `none`, `openai` or a provider's name.
#[tauri::command]
pub async fn set_default_upstream<R: Runtime>(
    app: AppHandle<R>,
    host: State<'_, GatewayHost>,
    upstream: String,
) -> Result<ProvidersView, CommandError> {
    let (gateway, _) = running(&host)?;
    if host.overrides().default_upstream.is_some() {
        return Err(CommandError::new(
            "pinned",
            "the default upstream is set by CLAWBOX_DEFAULT_UPSTREAM in the environment, so it \
             cannot be changed here",
        ));
    }
    let settings = gateway.settings_path().to_owned();
    let overrides = host.overrides();
    blocking(move || {
        set_default(&settings, &DefaultUpstream::parse(&upstream), &overrides)
            .map_err(|e| CommandError::new("invalid", e.to_string()))
    })
    .await?;
    applied(&app, &gateway).await;
    Ok(view(&gateway, &host))
}

/// The gateway takes the new settings now (not at the file watcher's next look), asks the
/// providers for their models, and the window hears that the status changed.
async fn applied<R: Runtime>(app: &AppHandle<R>, gateway: &Arc<Gateway>) {
    gateway.reload_settings();
    gateway.refresh_provider_models().await;
    let _ = app.emit("status", ());
}

fn view(gateway: &Gateway, host: &GatewayHost) -> ProvidersView {
    let config = gateway.config();
    let credentials = gateway.credentials();
    let listed = gateway.provider_model_lists();
    let providers = config
        .providers
        .iter()
        .map(|p| {
            let preset = preset(p.name());
            ProviderView {
                name: p.name().to_owned(),
                label: preset.map_or_else(|| p.name().to_owned(), |s| s.label.to_owned()),
                kind: p.kind().as_str().to_owned(),
                base_url: p.base_url.as_str().trim_end_matches('/').to_owned(),
                models: p.models.clone(),
                needs_key: !p.tag.keyless,
                key_saved: credentials.cached_named_key(&p.key_id()).is_some(),
                listed_models: listed
                    .iter()
                    .find(|(name, _)| name == p.name())
                    .map_or(0, |(_, models)| {
                        u32::try_from(models.len()).unwrap_or(u32::MAX)
                    }),
                keys_at: preset.map(|s| s.keys_at.to_owned()).unwrap_or_default(),
            }
        })
        .collect();
    ProvidersView {
        providers,
        presets: PRESETS
            .iter()
            .map(|p| PresetView {
                name: p.name.to_owned(),
                label: p.label.to_owned(),
                kind: p.kind.as_str().to_owned(),
                base_url: p.base_url.to_owned(),
                models: p.models.iter().map(|m| (*m).to_owned()).collect(),
                needs_key: p.needs_key,
                keys_at: p.keys_at.to_owned(),
            })
            .collect(),
        default_upstream: config.default_upstream.as_str().to_owned(),
        default_pinned: host.overrides().default_upstream.is_some(),
    }
}

/// The ids the named providers' keys are saved under (for "reset everything", which removes
/// them too).
pub(crate) fn provider_key_ids(gateway: &Gateway) -> Vec<String> {
    gateway
        .config()
        .providers
        .iter()
        .map(|p| p.key_id())
        .collect()
}

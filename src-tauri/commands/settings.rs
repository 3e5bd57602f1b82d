//! The settings form, and "reset everything". Settings live in `<data dir>/settings.json` — the
//! file the headless gateway reads — written through tauri-plugin-store; every change is
//! validated by the engine's own resolver before anything is written.

use clawbox_connect::{ClientSettings, Connector, Held};
use clawbox_gateway::config::{Config, DEFAULT_LISTEN, SETTINGS_FILE, SettingsLayer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use tauri::{AppHandle, Emitter, Runtime, State};
use tauri_plugin_store::StoreExt;
use ts_rs::TS;

use super::{CommandError, blocking, host};
use crate::GatewayHost;

/// Every setting the form shows, as in force now.
#[derive(Debug, Clone, Serialize, Deserialize, TS, PartialEq)]
#[ts(export)]
pub struct AppSettings {
    pub mode: String,
    pub port: u16,
    /// Empty when no hosted gateway is configured.
    pub hosted_url: String,
    pub openai_url: String,
    pub anthropic_url: String,
    pub ollama_url: String,
    /// Empty: requests name their user with X-User-ID, else `anonymous`.
    pub user_id: String,
    /// Requests per user per minute.
    pub rate_limit: u32,
    /// Requests per user per month; 0: no cap.
    #[ts(type = "number")]
    pub monthly_cap: u64,
    /// US dollars each user may spend through API keys per month; 0: no budget.
    pub monthly_budget_usd: f64,
    /// Desktop notifications when a ChatGPT plan window passes 80 % and 95 %, and when the
    /// budget passes 80 %.
    pub usage_alerts: bool,
    pub failover: bool,
    /// Days the request log keeps rows; 0: forever.
    pub retention_days: u32,
    /// Keep Responses API conversations for the routes whose upstream keeps none.
    pub keep_conversations: bool,
    /// Days kept conversations are kept; 0: until forgotten.
    pub conversation_retention_days: u32,
    pub launch_at_login: bool,
    /// `openai` (API keys) or `codex` (the ChatGPT sign-in).
    pub auth_mode: String,
    /// Settings fixed by `CLAWBOX_*` environment variables (shown locked).
    pub pinned: Vec<String>,
}

/// The fields to change; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize, TS)]
#[ts(export, optional_fields)]
pub struct SettingsChange {
    pub mode: Option<String>,
    pub port: Option<u16>,
    pub hosted_url: Option<String>,
    pub openai_url: Option<String>,
    pub anthropic_url: Option<String>,
    pub ollama_url: Option<String>,
    pub user_id: Option<String>,
    pub rate_limit: Option<u32>,
    #[ts(type = "number", optional)]
    pub monthly_cap: Option<u64>,
    pub monthly_budget_usd: Option<f64>,
    pub usage_alerts: Option<bool>,
    pub failover: Option<bool>,
    pub retention_days: Option<u32>,
    pub keep_conversations: Option<bool>,
    pub conversation_retention_days: Option<u32>,
    pub launch_at_login: Option<bool>,
    pub onboarded: Option<bool>,
}

#[tauri::command]
pub fn get_settings(host: State<'_, GatewayHost>) -> Result<AppSettings, CommandError> {
    current(&host)
}

#[tauri::command]
pub async fn save_settings<R: Runtime>(
    app: AppHandle<R>,
    change: SettingsChange,
) -> Result<AppSettings, CommandError> {
    let host = host(&app);
    let before = current(&host)?;
    let entries = entries(&change)?;
    let pinned: Vec<&str> = entries
        .iter()
        .map(|(k, _)| *k)
        .filter(|k| before.pinned.iter().any(|p| p == form_key(k)))
        .collect();
    if let Some(key) = pinned.first() {
        return Err(CommandError::new(
            "pinned",
            format!(
                "{key} is set by CLAWBOX_{} in the environment, so it cannot be changed here",
                key.to_ascii_uppercase()
            ),
        ));
    }
    validate(&host, &entries)?;
    if let Some(on) = change.launch_at_login {
        launch_at_login(&app, on)?;
    }
    write(&app, &host, &entries)?;
    let after = current(&host)?;
    let credentials = client_credentials(&host);
    if after.port != before.port {
        // Listening elsewhere needs a new socket: restart, and tell connected agents.
        host.restart(&app).await;
    } else if let Ok((gateway, _)) = host.gateway() {
        gateway.reload_settings();
    }
    if after.port != before.port || after.user_id != before.user_id {
        refresh_connections(&host, credentials).await;
    }
    let _ = app.emit("status", ());
    Ok(after)
}

/// Removes everything ClawBox keeps — settings, request history, kept conversations (and their
/// key), saved keys (providers' too), the local key and the ChatGPT sign-in (revoked) — and starts again as on first launch. Connected `.env` files
/// are restored first.
#[tauri::command]
pub async fn reset_everything<R: Runtime>(app: AppHandle<R>) -> Result<(), CommandError> {
    let host = host(&app);
    let (gateway, _) = super::running(&host)?;
    let dir = gateway.data_dir().to_owned();
    super::agents::forget_agents(&app).await?;
    if let (Some(store), Some(_)) = (gateway.credentials().secret_store(), gateway.codex()) {
        clawbox_auth::codex::sign_out_chatgpt(store, gateway.codex_endpoints())
            .await
            .map_err(|m| CommandError::new("keychain", m))?;
    }
    let credentials = std::sync::Arc::clone(gateway.credentials());
    let providers = super::providers::provider_key_ids(&gateway);
    let kept = std::sync::Arc::clone(gateway.conversations());
    let db = gateway.database_path();
    let undo_dir = dir.clone();
    blocking(move || {
        let connector = Connector::new(&undo_dir);
        for connection in connector.connections().unwrap_or_default() {
            if let Err(e) = connector.undo(&connection.path, false) {
                tracing::warn!(error = %e, "a connected file could not be restored");
            }
        }
        let named: Vec<&str> = providers.iter().map(String::as_str).collect();
        credentials
            .forget_all(&named)
            .map_err(|e| CommandError::new("keychain", e.to_string()))?;
        let conn = clawbox_store::database::connect(&db)
            .map_err(|e| CommandError::new("history", e.to_string()))?;
        clawbox_store::maintenance::clear(&conn)
            .map_err(|e| CommandError::new("history", e.to_string()))?;
        conn.execute("DELETE FROM monthly_usage", [])
            .map_err(|e| CommandError::new("history", e.to_string()))?;
        // The plan's last usage windows went with the sign-in.
        let _ = std::fs::remove_file(undo_dir.join(clawbox_gateway::plan_board::PLAN_FILE));
        // Kept conversations: emptied (the open file may not be removable everywhere), then
        // the file and the key that opens it.
        if let Some(store) = kept.store() {
            store
                .clear()
                .map_err(|e| CommandError::new("conversations", e.to_string()))?;
        }
        for suffix in ["", "-wal", "-shm"] {
            let file = format!("{}{suffix}", clawbox_conversations::CONVERSATIONS_FILE);
            let _ = std::fs::remove_file(undo_dir.join(file));
        }
        if let Some(store) = credentials.secret_store() {
            store
                .delete(clawbox_gateway::conversations::KEY_ITEM)
                .map_err(|e| CommandError::new("keychain", e.to_string()))?;
        }
        Ok(())
    })
    .await?;
    drop(gateway);
    let store = app
        .store(dir.join(SETTINGS_FILE))
        .map_err(|e| CommandError::new("settings", e.to_string()))?;
    store.clear();
    store
        .save()
        .map_err(|e| CommandError::new("settings", e.to_string()))?;
    let _ = launch_at_login(&app, false);
    host.restart(&app).await;
    Ok(())
}

/// Writes `entries` into settings.json (a `null` value removes the key), keeping every other
/// key, through the store plugin.
pub(crate) fn write<R: Runtime>(
    app: &AppHandle<R>,
    host: &GatewayHost,
    entries: &[(&str, Value)],
) -> Result<(), CommandError> {
    let dir = host
        .data_dir()
        .ok_or_else(|| CommandError::new("settings", "ClawBox has no data folder"))?;
    let path = dir.join(SETTINGS_FILE);
    let fail = |e: tauri_plugin_store::Error| {
        CommandError::new("settings", format!("{}: {e}", path.display()))
    };
    let store = app.store(&path).map_err(fail)?;
    // Someone else (the command line, a text editor) may have changed the file meanwhile.
    if path.exists() {
        store.reload().map_err(fail)?;
    }
    for (key, value) in entries {
        if value.is_null() {
            store.delete(key);
        } else {
            store.set(*key, value.clone());
        }
    }
    store.save().map_err(fail)
}

/// The form's name for a settings.json key (the form edits `listen` as a port).
fn form_key(key: &str) -> &str {
    if key == "listen" { "port" } else { key }
}

/// settings.json as a JSON object (empty when missing).
fn read_file(host: &GatewayHost) -> Result<Map<String, Value>, CommandError> {
    let Some(dir) = host.data_dir() else {
        return Ok(Map::new());
    };
    let path = dir.join(SETTINGS_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) if text.trim().is_empty() => Ok(Map::new()),
        Ok(text) => match serde_json::from_str(&text) {
            Ok(Value::Object(map)) => Ok(map),
            _ => Err(CommandError::new(
                "settings",
                format!(
                    "{} is not a JSON object of settings: fix or delete it",
                    path.display()
                ),
            )),
        },
        Err(_) => Ok(Map::new()),
    }
}

/// Usage alerts are on unless the person turned them off.
fn usage_alerts_on(file: &Map<String, Value>) -> bool {
    file.get("usage_alerts") != Some(&Value::Bool(false))
}

/// Whether to send usage alerts now (read at each alert: the setting may have just changed).
pub(crate) fn usage_alerts(host: &GatewayHost) -> bool {
    read_file(host).is_ok_and(|m| usage_alerts_on(&m))
}

pub(crate) fn onboarded(host: &GatewayHost) -> bool {
    read_file(host).is_ok_and(|m| m.get("onboarded") == Some(&Value::Bool(true)))
}

/// The port the settings ask for (also when the gateway could not take it).
pub(crate) fn configured_port(host: &GatewayHost) -> u16 {
    resolve(host, &Map::new()).map_or(DEFAULT_LISTEN.port(), |c| c.listen.port())
}

fn current(host: &GatewayHost) -> Result<AppSettings, CommandError> {
    let file = read_file(host)?;
    let config = resolve(host, &Map::new())?;
    let url = |u: &url::Url| u.as_str().trim_end_matches('/').to_owned();
    Ok(AppSettings {
        mode: config.mode.as_str().into(),
        port: config.listen.port(),
        hosted_url: config
            .upstreams
            .hosted
            .as_ref()
            .map(url)
            .unwrap_or_default(),
        openai_url: url(&config.upstreams.openai),
        anthropic_url: url(&config.upstreams.anthropic),
        ollama_url: url(&config.upstreams.ollama),
        user_id: config.user_id.clone().unwrap_or_default(),
        rate_limit: config.rate_limit,
        monthly_cap: config.monthly_cap.unwrap_or(0),
        monthly_budget_usd: config.monthly_budget_usd.unwrap_or(0.0),
        usage_alerts: usage_alerts_on(&file),
        failover: config.failover,
        retention_days: config.retention_days,
        keep_conversations: config.keep_conversations,
        conversation_retention_days: config.conversation_retention_days,
        launch_at_login: file.get("launch_at_login") == Some(&Value::Bool(true)),
        auth_mode: config.auth_mode.as_str().into(),
        pinned: config
            .pinned
            .iter()
            .map(|k| form_key(k).to_owned())
            .collect(),
    })
}

/// The configuration settings.json (plus `extra`) and the environment give.
fn resolve(host: &GatewayHost, extra: &Map<String, Value>) -> Result<Config, CommandError> {
    let mut file = read_file(host)?;
    file.extend(extra.clone());
    file.retain(|_, v| !v.is_null());
    let layer: SettingsLayer = serde_json::from_value(Value::Object(file))
        .map_err(|e| CommandError::new("invalid", e.to_string()))?;
    Config::resolve(&layer, &host.overrides())
        .map_err(|e| CommandError::new("invalid", e.to_string()))
}

/// Refuses a change the gateway would refuse, naming the setting, before anything is written.
fn validate(host: &GatewayHost, entries: &[(&str, Value)]) -> Result<(), CommandError> {
    let extra: Map<String, Value> = entries
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    resolve(host, &extra).map(|_| ())
}

/// The settings.json entries a change makes. Clearing an optional setting removes its key.
fn entries(change: &SettingsChange) -> Result<Vec<(&'static str, Value)>, CommandError> {
    let mut out = Vec::new();
    let text_or_remove = |v: &str| {
        let v = v.trim();
        if v.is_empty() { Value::Null } else { json!(v) }
    };
    if let Some(mode) = &change.mode {
        out.push(("mode", json!(mode)));
    }
    if let Some(port) = change.port {
        if port < 1024 {
            return Err(CommandError::new(
                "invalid",
                "the port must be between 1024 and 65535 (lower ones need administrator rights)",
            ));
        }
        out.push(("listen", json!(format!("127.0.0.1:{port}"))));
    }
    for (key, value) in [
        ("hosted_url", &change.hosted_url),
        ("openai_url", &change.openai_url),
        ("anthropic_url", &change.anthropic_url),
        ("ollama_url", &change.ollama_url),
        ("user_id", &change.user_id),
    ] {
        if let Some(v) = value {
            out.push((key, text_or_remove(v)));
        }
    }
    if let Some(limit) = change.rate_limit {
        out.push(("rate_limit", json!(limit)));
    }
    if let Some(cap) = change.monthly_cap {
        out.push((
            "monthly_cap",
            if cap == 0 { Value::Null } else { json!(cap) },
        ));
    }
    if let Some(budget) = change.monthly_budget_usd {
        if !(budget.is_finite() && budget >= 0.0) {
            return Err(CommandError::new(
                "invalid",
                "the monthly budget is an amount of US dollars, 0 or more (0: no budget)",
            ));
        }
        out.push((
            "monthly_budget_usd",
            if budget == 0.0 {
                Value::Null
            } else {
                json!(budget)
            },
        ));
    }
    if let Some(on) = change.usage_alerts {
        out.push(("usage_alerts", json!(on)));
    }
    if let Some(on) = change.failover {
        out.push(("failover", json!(on)));
    }
    if let Some(days) = change.retention_days {
        out.push(("retention_days", json!(days)));
    }
    if let Some(on) = change.keep_conversations {
        out.push(("keep_conversations", json!(on)));
    }
    if let Some(days) = change.conversation_retention_days {
        out.push(("conversation_retention_days", json!(days)));
    }
    if let Some(on) = change.launch_at_login {
        out.push(("launch_at_login", json!(on)));
    }
    if let Some(done) = change.onboarded {
        out.push(("onboarded", json!(done)));
    }
    Ok(out)
}

fn launch_at_login<R: Runtime>(app: &AppHandle<R>, on: bool) -> Result<(), CommandError> {
    use tauri::Manager;
    // Not registered in the tests' mock runtime: the setting is still saved.
    let Some(launcher) = app.try_state::<tauri_plugin_autostart::AutoLaunchManager>() else {
        return Ok(());
    };
    let result = if on {
        launcher.enable()
    } else {
        launcher.disable()
    };
    result.map_err(|e| {
        CommandError::new(
            "autostart",
            format!("launch at login could not be changed: {e}"),
        )
    })
}

/// What connected agents hold now: the local key when ClawBox holds credentials.
fn client_credentials(host: &GatewayHost) -> (Option<clawbox_auth::Secret>, Held) {
    match host.gateway() {
        Ok((gateway, _)) => (gateway.credentials().local_key(), Held::of(&gateway)),
        Err(_) => (None, Held::default()),
    }
}

/// Rewrites the connected `.env` files for the settings now in force.
async fn refresh_connections(
    host: &GatewayHost,
    (local_key, held): (Option<clawbox_auth::Secret>, Held),
) {
    let (Some(dir), Ok(config)) = (
        host.data_dir().map(ToOwned::to_owned),
        resolve(host, &Map::new()),
    ) else {
        return;
    };
    let _ = super::onboarding::refresh(
        dir,
        ClientSettings::new(config.listen.port(), &config, local_key, held),
    )
    .await;
}

/// What is kept of conversations, in numbers (never content).
#[derive(Debug, Clone, Serialize, Deserialize, TS, PartialEq, Eq)]
#[ts(export)]
pub struct ConversationsSummary {
    #[ts(type = "number")]
    pub responses: u64,
    #[ts(type = "number")]
    pub conversations: u64,
    /// The file's size on disk.
    #[ts(type = "number")]
    pub bytes: u64,
    /// Why nothing can be kept (no secret store), when nothing can be.
    pub problem: Option<String>,
}

#[tauri::command]
pub async fn conversations_summary(
    host: State<'_, GatewayHost>,
) -> Result<ConversationsSummary, CommandError> {
    let (gateway, _) = super::running(&host)?;
    let kept = std::sync::Arc::clone(gateway.conversations());
    blocking(move || summary(&kept)).await
}

/// Forgets every kept conversation ("Forget conversations" in Settings).
#[tauri::command]
pub async fn forget_conversations(
    host: State<'_, GatewayHost>,
) -> Result<ConversationsSummary, CommandError> {
    let (gateway, _) = super::running(&host)?;
    let kept = std::sync::Arc::clone(gateway.conversations());
    blocking(move || {
        if let Some(store) = kept.store() {
            store
                .clear()
                .map_err(|e| CommandError::new("conversations", e.to_string()))?;
        }
        summary(&kept)
    })
    .await
}

fn summary(
    kept: &clawbox_gateway::conversations::Conversations,
) -> Result<ConversationsSummary, CommandError> {
    let stats = match kept.store() {
        Some(store) => store
            .stats()
            .map_err(|e| CommandError::new("conversations", e.to_string()))?,
        None => clawbox_conversations::Stats::default(),
    };
    Ok(ConversationsSummary {
        responses: stats.responses,
        conversations: stats.conversations,
        bytes: stats.bytes,
        problem: kept.problem().map(str::to_owned),
    })
}

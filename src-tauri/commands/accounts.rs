//! The Accounts screen: the ChatGPT sign-in, saved API keys (never shown again once saved) and
//! the local key (copied to the clipboard from here, so it never enters the webview).

use std::sync::Arc;

use clawbox_auth::codex::{
    open_in_browser, sign_in_chatgpt as sign_in, sign_out_chatgpt as sign_out,
};
use clawbox_auth::{KeychainState, LocalKey, Provider, check_provider_key};
use clawbox_gateway::Gateway;
use clawbox_gateway::config::use_auth_mode;
use serde::Serialize;
use tauri::{AppHandle, Emitter, Runtime, State};
use ts_rs::TS;

use super::onboarding::{EnvChange, client_settings, refresh};
use super::{CommandError, blocking, running};
use crate::GatewayHost;

/// What is stored, by name only.
#[derive(Debug, Clone, Serialize, serde::Deserialize, TS, PartialEq, Eq)]
#[ts(export)]
pub struct Accounts {
    /// Where secrets are kept ("the system keychain").
    pub keychain: String,
    /// Why the keychain cannot be used, if it cannot.
    pub keychain_problem: Option<String>,
    /// The local key's fingerprint.
    pub local_key: Option<String>,
    pub api_keys: Vec<SavedKey>,
    pub chatgpt: Option<ChatGptAccount>,
    /// `openai` (API keys) or `codex` (the ChatGPT sign-in).
    pub auth_mode: String,
}

/// A saved provider API key (its name, never its value).
#[derive(Debug, Clone, Serialize, serde::Deserialize, TS, PartialEq, Eq)]
#[ts(export)]
pub struct SavedKey {
    /// `openai` or `anthropic`.
    pub provider: String,
    pub name: String,
}

/// The signed-in ChatGPT account.
#[derive(Debug, Clone, Serialize, serde::Deserialize, TS, PartialEq, Eq)]
#[ts(export)]
pub struct ChatGptAccount {
    pub email: Option<String>,
    pub plan: Option<String>,
    /// The sign-in stopped working: the user must sign in again.
    pub needs_sign_in: bool,
    /// When the current access token expires (ISO-8601, UTC); it renews by itself.
    pub expires: Option<String>,
}

#[tauri::command]
pub fn accounts(host: State<'_, GatewayHost>) -> Result<Accounts, CommandError> {
    let (gateway, _) = running(&host)?;
    Ok(describe(&gateway))
}

#[tauri::command]
pub async fn save_api_key(
    host: State<'_, GatewayHost>,
    provider: String,
    key: String,
) -> Result<Accounts, CommandError> {
    let provider = provider_named(&provider)?;
    let key = check_provider_key(provider, &key).map_err(|m| CommandError::new("bad_key", m))?;
    let (gateway, _) = running(&host)?;
    let credentials = Arc::clone(gateway.credentials());
    blocking(move || {
        credentials
            .save_provider_key(provider, key)
            .map_err(|e| CommandError::new("keychain", e.to_string()))
    })
    .await?;
    // Now that ClawBox holds a key, connected agents get the local key; a file that cannot be
    // rewritten is logged and does not undo the saved key.
    let _ = refresh_connections(&gateway).await;
    Ok(describe(&gateway))
}

#[tauri::command]
pub async fn remove_api_key(
    host: State<'_, GatewayHost>,
    provider: String,
) -> Result<Accounts, CommandError> {
    let provider = provider_named(&provider)?;
    let (gateway, _) = running(&host)?;
    let credentials = Arc::clone(gateway.credentials());
    blocking(move || {
        credentials
            .remove_provider_key(provider)
            .map_err(|e| CommandError::new("keychain", e.to_string()))
    })
    .await?;
    Ok(describe(&gateway))
}

/// Opens the system browser on OpenAI's sign-in page and waits (up to five minutes) for it to
/// come back; then ClawBox uses the ChatGPT plan (`auth_mode` = codex).
#[tauri::command]
pub async fn sign_in_chatgpt<R: Runtime>(
    app: AppHandle<R>,
    host: State<'_, GatewayHost>,
) -> Result<Accounts, CommandError> {
    let (gateway, _) = running(&host)?;
    let store = secret_store(&gateway)?;
    sign_in(store, gateway.codex_endpoints(), |url| {
        // The window shows the address too, for when no browser opens (or the wrong one did).
        let _ = app.emit("sign-in", url);
        if !open_in_browser(url) {
            tracing::warn!("no browser could be opened for the ChatGPT sign-in");
        }
    })
    .await
    .map_err(|m| CommandError::new("sign_in", m))?;
    finish_account_change(&app, &gateway, "codex").await?;
    Ok(describe(&gateway))
}

#[tauri::command]
pub async fn sign_out_chatgpt<R: Runtime>(
    app: AppHandle<R>,
    host: State<'_, GatewayHost>,
) -> Result<Accounts, CommandError> {
    let (gateway, _) = running(&host)?;
    let store = secret_store(&gateway)?;
    sign_out(store, gateway.codex_endpoints())
        .await
        .map_err(|m| CommandError::new("keychain", m))?;
    finish_account_change(&app, &gateway, "openai").await?;
    Ok(describe(&gateway))
}

/// Puts the local key on the clipboard (the key itself never goes to the window).
#[tauri::command]
pub fn copy_local_key<R: Runtime>(
    app: AppHandle<R>,
    host: State<'_, GatewayHost>,
) -> Result<(), CommandError> {
    use tauri_plugin_clipboard_manager::ClipboardExt;
    let (gateway, _) = running(&host)?;
    let key = gateway.credentials().local_key().ok_or_else(|| {
        CommandError::new(
            "keychain",
            "there is no local key: the keychain is not available",
        )
    })?;
    app.clipboard()
        .write_text(key.expose())
        .map_err(|e| CommandError::new("clipboard", format!("the clipboard is not available: {e}")))
}

/// Makes a new local key (the old one stops working at once) and rewrites the connected `.env`
/// files with it; returns what was rewritten.
#[tauri::command]
pub async fn rotate_local_key(
    host: State<'_, GatewayHost>,
) -> Result<Vec<EnvChange>, CommandError> {
    let (gateway, _) = running(&host)?;
    let credentials = Arc::clone(gateway.credentials());
    blocking(move || {
        credentials
            .rotate_local_key()
            .map(|_| ())
            .map_err(|e| CommandError::new("keychain", e.to_string()))
    })
    .await?;
    refresh_connections(&gateway).await
}

/// Rewrites the connected `.env` files for the credentials now held.
pub(crate) async fn refresh_connections(
    gateway: &Arc<Gateway>,
) -> Result<Vec<EnvChange>, CommandError> {
    refresh(gateway.data_dir().to_owned(), client_settings(gateway)).await
}

async fn finish_account_change<R: Runtime>(
    app: &AppHandle<R>,
    gateway: &Arc<Gateway>,
    auth_mode: &str,
) -> Result<(), CommandError> {
    use_auth_mode(gateway.data_dir(), auth_mode)
        .map_err(|e| CommandError::new("settings", e.to_string()))?;
    gateway.reload_settings();
    if let Some(session) = gateway.codex() {
        let _ = session.sync().await;
    }
    refresh_connections(gateway).await?;
    let _ = app.emit("status", ());
    Ok(())
}

fn describe(gateway: &Gateway) -> Accounts {
    let credentials = gateway.credentials();
    let (keychain_problem, local_key) = match credentials.state() {
        KeychainState::Ready => (
            None,
            credentials.local_key().map(|k| LocalKey::fingerprint(&k)),
        ),
        KeychainState::Unavailable(reason) => (Some(reason), None),
    };
    let chatgpt = gateway.codex().and_then(|session| {
        session.account().map(|a| ChatGptAccount {
            email: a.email,
            plan: a.plan,
            needs_sign_in: session.sign_in_problem().is_some(),
            expires: a
                .expires_at
                .and_then(|t| time::OffsetDateTime::from_unix_timestamp(t).ok())
                .and_then(|t| {
                    t.format(&time::format_description::well_known::Rfc3339)
                        .ok()
                }),
        })
    });
    Accounts {
        keychain: credentials.store_name().to_owned(),
        keychain_problem,
        local_key,
        api_keys: credentials
            .saved_providers()
            .into_iter()
            .map(|p| SavedKey {
                provider: p.name().to_owned(),
                name: display_name(p).to_owned(),
            })
            .collect(),
        chatgpt,
        auth_mode: gateway.config().auth_mode.as_str().to_owned(),
    }
}

fn display_name(provider: Provider) -> &'static str {
    match provider {
        Provider::OpenAi => "OpenAI",
        Provider::Anthropic => "Anthropic",
    }
}

fn provider_named(name: &str) -> Result<Provider, CommandError> {
    Provider::parse(name)
        .ok_or_else(|| CommandError::new("bad_provider", "the provider is openai or anthropic"))
}

fn secret_store(gateway: &Gateway) -> Result<Arc<dyn clawbox_auth::SecretStore>, CommandError> {
    gateway.credentials().secret_store().ok_or_else(|| {
        let reason = match gateway.credentials().state() {
            KeychainState::Unavailable(reason) => reason,
            KeychainState::Ready => "the keychain is not available".into(),
        };
        CommandError::new("keychain", reason)
    })
}

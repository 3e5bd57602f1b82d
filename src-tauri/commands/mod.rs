//! The IPC commands: thin adapters over the engine (crates/gateway, crates/store, crates/auth).
//! Their types are exported to the UI (ts-rs, ui/src/bindings) so the two sides cannot drift
//! apart; every error reaches the UI as a [`CommandError`].
//!
//! - status.rs: the gateway's state, the mode switch, a free port when ours is taken.
//! - settings.rs: the settings form, "reset everything".
//! - accounts.rs: ChatGPT sign-in, saved API keys, the local key.
//! - providers.rs: the providers models are routed to, their keys, the default upstream.
//! - onboarding.rs: the agent check and connecting an agent's `.env`.
//! - history.rs: the dashboard, the request log, its CSV export, "clear history".
//! - provisioning.rs: setup links and the provisioning file, offered to the wizard.
//! - updates.rs: checking for and installing a signed update.
//! - agents.rs: the Agent screen: coding agents over ACP in a project folder.

pub mod accounts;
pub mod agents;
pub mod history;
pub mod onboarding;
pub mod providers;
pub mod provisioning;
pub mod settings;
pub mod status;
pub mod updates;

use std::sync::Arc;

use clawbox_gateway::Gateway;
use serde::Serialize;
use tauri::{AppHandle, Manager, Runtime};
use ts_rs::TS;

use crate::GatewayHost;

/// An error the UI shows: `code` is stable for the UI to branch on; `message` is for people.
#[derive(Debug, Clone, Serialize, TS, PartialEq, Eq)]
#[ts(export)]
pub struct CommandError {
    pub code: String,
    pub message: String,
}

impl CommandError {
    pub(crate) fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            message: message.into(),
        }
    }
}

/// The running gateway, or `not_running` with the reason.
pub(crate) fn running(host: &GatewayHost) -> Result<(Arc<Gateway>, String), CommandError> {
    host.gateway()
        .map_err(|m| CommandError::new("not_running", m))
}

/// Runs blocking work (SQLite, the keychain, files) off the async workers.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, CommandError> + Send + 'static,
) -> Result<T, CommandError> {
    tauri::async_runtime::spawn_blocking(work)
        .await
        .map_err(|e| CommandError::new("internal", e.to_string()))?
}

/// The app's gateway host (managed in `setup`).
pub(crate) fn host<R: Runtime>(app: &AppHandle<R>) -> tauri::State<'_, GatewayHost> {
    app.state::<GatewayHost>()
}

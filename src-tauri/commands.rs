//! The IPC commands: thin adapters over the engine. Their types are exported to the UI
//! (ts-rs, ui/src/bindings) so the two sides cannot drift apart.

use clawbox_auth::{KeychainState, LocalKey};
use clawbox_gateway::config::{SETTINGS_FILE, set_setting};
use serde::Serialize;
use tauri::{Emitter, State};
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
    fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            message: message.into(),
        }
    }
}

/// What the window shows about the gateway.
#[derive(Debug, Clone, Serialize, serde::Deserialize, TS, PartialEq, Eq)]
#[ts(export)]
pub struct GatewayStatus {
    /// Whether the gateway is serving.
    pub running: bool,
    /// Still opening its database and keychain (not yet running, nothing wrong).
    pub starting: bool,
    /// Where agents reach it, e.g. `http://127.0.0.1:18789`.
    pub url: Option<String>,
    /// `local` or `hosted`.
    pub mode: Option<String>,
    /// `ok` or `degraded`, as `/health` says.
    pub health: Option<String>,
    /// Plain-language problems, each with what to do.
    pub problems: Vec<String>,
    /// Why the gateway is not running (the port is taken, …).
    pub error: Option<String>,
    /// The local key's fingerprint (never the key).
    pub local_key: Option<String>,
}

#[tauri::command]
pub fn gateway_status(host: State<'_, GatewayHost>) -> GatewayStatus {
    status(&host)
}

/// Switches between local and hosted mode, live (no restart).
#[tauri::command]
pub fn set_mode<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    host: State<'_, GatewayHost>,
    mode: String,
) -> Result<GatewayStatus, CommandError> {
    if mode != "local" && mode != "hosted" {
        return Err(CommandError::new("bad_mode", "the mode is local or hosted"));
    }
    let (gateway, _) = host
        .gateway()
        .map_err(|m| CommandError::new("not_running", m))?;
    if gateway.config().pinned.contains(&"mode") {
        return Err(CommandError::new(
            "pinned",
            "the mode is set by CLAWBOX_MODE in the environment, so it cannot be changed here",
        ));
    }
    set_setting(&gateway.data_dir().join(SETTINGS_FILE), "mode", mode.into())
        .map_err(|e| CommandError::new("settings", e.to_string()))?;
    gateway.reload_settings();
    let status = status(&host);
    // The tray can switch too: whoever did, the window shows the new mode.
    let _ = app.emit("status", ());
    Ok(status)
}

fn status(host: &GatewayHost) -> GatewayStatus {
    match host.gateway() {
        Ok((gateway, url)) => {
            let health = gateway.health();
            let credentials = gateway.credentials();
            GatewayStatus {
                running: true,
                starting: false,
                url: Some(url),
                mode: Some(health.mode.to_owned()),
                health: Some(health.status.to_owned()),
                problems: health.problems,
                error: None,
                local_key: match credentials.state() {
                    KeychainState::Ready => {
                        credentials.local_key().map(|k| LocalKey::fingerprint(&k))
                    }
                    KeychainState::Unavailable(_) => None,
                },
            }
        }
        Err(message) => GatewayStatus {
            running: false,
            starting: host.is_starting(),
            url: None,
            mode: None,
            health: None,
            problems: Vec::new(),
            error: (!host.is_starting()).then_some(message),
            local_key: None,
        },
    }
}

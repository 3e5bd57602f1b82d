//! The gateway's state as the window shows it, and the mode switch.

use clawbox_auth::{KeychainState, LocalKey};
use clawbox_gateway::config::DEFAULT_LISTEN;
use serde::Serialize;
use tauri::{AppHandle, Emitter, Runtime, State};
use ts_rs::TS;

use super::{CommandError, running, settings};
use crate::GatewayHost;

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
    /// The port the gateway uses (or tried to).
    pub port: u16,
    /// The gateway is not running because another program has its port.
    pub port_taken: bool,
    /// The onboarding wizard has been completed (it opens by itself until then).
    pub onboarded: bool,
}

#[tauri::command]
pub fn gateway_status(host: State<'_, GatewayHost>) -> GatewayStatus {
    status(&host)
}

/// Switches between local and hosted mode, live (no restart).
#[tauri::command]
pub fn set_mode<R: Runtime>(
    app: AppHandle<R>,
    host: State<'_, GatewayHost>,
    mode: String,
) -> Result<GatewayStatus, CommandError> {
    if mode != "local" && mode != "hosted" {
        return Err(CommandError::new("bad_mode", "the mode is local or hosted"));
    }
    let (gateway, _) = running(&host)?;
    if gateway.config().pinned.contains(&"mode") {
        return Err(CommandError::new(
            "pinned",
            "the mode is set by CLAWBOX_MODE in the environment, so it cannot be changed here",
        ));
    }
    settings::write(&app, &host, &[("mode", mode.into())])?;
    gateway.reload_settings();
    let status = status(&host);
    // The tray can switch too: whoever did, the window shows the new mode.
    let _ = app.emit("status", ());
    Ok(status)
}

/// A free port near ClawBox's usual one, to offer when that one is taken.
#[tauri::command]
pub async fn free_port() -> Result<u16, CommandError> {
    let first = DEFAULT_LISTEN.port() + 1;
    for port in first..first + 100 {
        if tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Ok(port);
        }
    }
    Err(CommandError::new(
        "no_port",
        format!("ports {first} to {} are all in use", first + 99),
    ))
}

pub(crate) fn status(host: &GatewayHost) -> GatewayStatus {
    let onboarded = settings::onboarded(host);
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
                port: gateway.port(),
                port_taken: false,
                onboarded,
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
            port: settings::configured_port(host),
            port_taken: host.port_taken(),
            onboarded,
        },
    }
}

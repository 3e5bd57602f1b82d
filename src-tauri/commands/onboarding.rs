//! The wizard's last two steps: "is the agent ready?" (the engine's check) and connecting the
//! agent's project (`.env`), with a dry-run diff and an exact undo.

use std::path::PathBuf;
use std::sync::Arc;

use clawbox_connect::{Change, ClientSettings, Connector, Held, Kind};
use clawbox_doctor::{CheckStep, Probe, check_agent as run_check, connection_steps, doctor};
use clawbox_gateway::Gateway;
use serde::Serialize;
use tauri::{AppHandle, Runtime, State};
use ts_rs::TS;

use super::{CommandError, blocking, running};
use crate::GatewayHost;

/// The outcome of the agent check: `ready` when every step passed.
#[derive(Debug, Clone, Serialize, TS, PartialEq, Eq)]
#[ts(export)]
pub struct AgentCheck {
    pub ready: bool,
    pub steps: Vec<CheckStep>,
}

/// What connecting (or undoing) did to a file.
#[derive(Debug, Clone, Serialize, serde::Deserialize, TS, PartialEq, Eq)]
#[ts(export)]
pub struct EnvChange {
    pub path: String,
    /// The file's content changed (or, in a dry run, would).
    pub changed: bool,
    /// A unified diff, secrets masked.
    pub diff: String,
    /// The private copy of the original, kept for undo.
    pub backup: Option<String>,
    /// One sentence for people (also the reason when it failed).
    pub message: String,
}

impl From<Change> for EnvChange {
    fn from(change: Change) -> Self {
        Self {
            path: change.path.display().to_string(),
            changed: change.changed,
            diff: change.diff,
            backup: change.backup.map(|b| b.display().to_string()),
            message: change.message,
        }
    }
}

impl EnvChange {
    pub(crate) fn failed(error: &clawbox_connect::Error) -> Self {
        Self {
            path: error.path.display().to_string(),
            changed: false,
            diff: String::new(),
            backup: None,
            message: format!("not updated: {}", error.message),
        }
    }
}

/// A client file ClawBox keeps pointed at itself.
#[derive(Debug, Clone, Serialize, TS, PartialEq, Eq)]
#[ts(export)]
pub struct Connection {
    /// `env` (an agent project's `.env`), `codex`, `claude` or `openclaw`.
    pub kind: String,
    pub path: String,
}

/// What the checks need to know, read off the async workers (providers' keys may need the
/// keychain).
async fn probe(gateway: &Arc<Gateway>, url: String) -> Result<Probe, CommandError> {
    let gateway = Arc::clone(gateway);
    blocking(move || Ok(Probe::of(&gateway, &url))).await
}

/// Hits `/health`, then sends one real test request through the gateway, as an agent would.
#[tauri::command]
pub async fn check_agent(host: State<'_, GatewayHost>) -> Result<AgentCheck, CommandError> {
    let (gateway, url) = running(&host)?;
    let steps = run_check(&probe(&gateway, url).await?).await;
    Ok(AgentCheck {
        ready: steps.iter().all(|s| s.ok),
        steps,
    })
}

/// The native folder picker; `None` when cancelled.
#[tauri::command]
pub async fn choose_folder<R: Runtime>(app: AppHandle<R>) -> Result<Option<String>, CommandError> {
    use tauri_plugin_dialog::DialogExt;
    let (send, receive) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_title("Choose your agent's project folder")
        .pick_folder(move |folder| {
            let _ = send.send(folder);
        });
    let folder = receive.await.ok().flatten();
    Ok(folder
        .and_then(|f| f.into_path().ok())
        .map(|p| p.display().to_string()))
}

/// Points the agent project at `path` (its folder or its `.env`) at ClawBox; with `dry_run`,
/// only says what would change.
#[tauri::command]
pub async fn connect_env(
    host: State<'_, GatewayHost>,
    path: String,
    dry_run: bool,
) -> Result<EnvChange, CommandError> {
    let (gateway, _) = running(&host)?;
    let target = project_path(&path)?;
    let settings = client_settings(&gateway);
    let dir = gateway.data_dir().to_owned();
    blocking(move || {
        Connector::new(&dir)
            .connect_env(&target, &settings, dry_run)
            .map(EnvChange::from)
            .map_err(connect_error)
    })
    .await
}

/// Points a tool on this computer at ClawBox in its own configuration file: `codex` (OpenAI's
/// Codex CLI), `claude` (Claude Code) or `openclaw`; with `dry_run`, only says what would change.
#[tauri::command]
pub async fn connect_tool(
    host: State<'_, GatewayHost>,
    kind: String,
    dry_run: bool,
) -> Result<EnvChange, CommandError> {
    let kind = match kind.as_str() {
        "codex" => Kind::Codex,
        "claude" => Kind::Claude,
        "openclaw" => Kind::OpenClaw,
        _ => {
            return Err(CommandError::new(
                "bad_tool",
                "the tools ClawBox connects are codex, claude and openclaw",
            ));
        }
    };
    let (gateway, _) = running(&host)?;
    let settings = client_settings(&gateway);
    let dir = gateway.data_dir().to_owned();
    blocking(move || {
        Connector::new(&dir)
            .connect_tool(kind, &settings, dry_run)
            .map(EnvChange::from)
            .map_err(connect_error)
    })
    .await
}

/// Checks that clients get answers through ClawBox (chat completions, streamed usage, the
/// Responses API, Anthropic Messages) and that every connected file still points at it.
#[tauri::command]
pub async fn run_doctor(host: State<'_, GatewayHost>) -> Result<AgentCheck, CommandError> {
    let (gateway, url) = running(&host)?;
    let mut steps = doctor(&probe(&gateway, url.clone()).await?).await;
    let settings = client_settings(&gateway);
    let dir = gateway.data_dir().to_owned();
    let verdicts = blocking(move || {
        Connector::new(&dir)
            .verify(&settings)
            .map_err(connect_error)
    })
    .await?;
    steps.extend(connection_steps(verdicts));
    Ok(AgentCheck {
        ready: steps.iter().all(|s| s.ok),
        steps,
    })
}

/// Restores the `.env` exactly as it was before ClawBox changed it.
#[tauri::command]
pub async fn undo_env(
    host: State<'_, GatewayHost>,
    path: String,
) -> Result<EnvChange, CommandError> {
    let (gateway, _) = running(&host)?;
    let target = project_path(&path)?;
    let dir = gateway.data_dir().to_owned();
    blocking(move || {
        Connector::new(&dir)
            .undo(&target, false)
            .map(EnvChange::from)
            .map_err(connect_error)
    })
    .await
}

#[tauri::command]
pub async fn connections(host: State<'_, GatewayHost>) -> Result<Vec<Connection>, CommandError> {
    let dir = host
        .data_dir()
        .ok_or_else(|| CommandError::new("connect", "ClawBox has no data folder"))?
        .to_owned();
    blocking(move || {
        Ok(Connector::new(&dir)
            .connections()
            .map_err(connect_error)?
            .into_iter()
            .map(|c| Connection {
                kind: c.kind.as_str().to_owned(),
                path: c.path.display().to_string(),
            })
            .collect())
    })
    .await
}

/// What connected agents should hold, from the running gateway.
pub(crate) fn client_settings(gateway: &Arc<Gateway>) -> ClientSettings {
    ClientSettings::new(
        gateway.port(),
        &gateway.config(),
        gateway.credentials().local_key(),
        Held::of(gateway),
    )
}

/// Rewrites every connected `.env` for `settings`; returns what happened to each.
pub(crate) async fn refresh(
    data_dir: PathBuf,
    settings: ClientSettings,
) -> Result<Vec<EnvChange>, CommandError> {
    blocking(move || {
        let changes = Connector::new(&data_dir)
            .refresh(&settings)
            .map_err(connect_error)?;
        Ok(changes
            .into_iter()
            .map(|change| match change {
                Ok(change) => EnvChange::from(change),
                Err(e) => {
                    tracing::warn!(error = %e, "a connected .env file could not be updated");
                    EnvChange::failed(&e)
                }
            })
            .collect())
    })
    .await
}

fn project_path(path: &str) -> Result<PathBuf, CommandError> {
    let path = path.trim();
    if path.is_empty() {
        return Err(CommandError::new(
            "connect",
            "choose the agent's project folder first",
        ));
    }
    // `~/project` as people type it.
    let path = match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(path),
    };
    if !path.is_absolute() {
        return Err(CommandError::new(
            "connect",
            "give the full path of the project folder (or choose it with Browse…)",
        ));
    }
    Ok(path)
}

fn connect_error(e: clawbox_connect::Error) -> CommandError {
    CommandError::new("connect", e.to_string())
}

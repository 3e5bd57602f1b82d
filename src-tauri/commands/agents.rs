//! The Agent screen: the agents ClawBox can run (and installing one), starting or reopening a
//! session in a project folder, its turns, permission answers and Stop. What the agent does
//! reaches the window as `agent-events` batches; none of it is logged or kept (only the
//! sessions' metadata, in the engine's `SessionBook`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clawbox_agents::{
    AgentEvent, AgentInfo, AgentSession, Answer, Approval, Catalog, GatewayTarget, SessionBook,
    SessionOptions, SessionRecord,
};
use clawbox_gateway::config::SETTINGS_FILE;
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, Runtime};
use ts_rs::TS;

use super::{CommandError, host, running};

/// The running sessions (their agents' processes are ClawBox's children).
#[derive(Default)]
pub struct AgentHost {
    sessions: tokio::sync::Mutex<HashMap<String, Arc<AgentSession>>>,
}

impl AgentHost {
    /// Ends every session (on quit and reset): each agent's process group is killed.
    pub async fn close_all(&self) {
        let sessions: Vec<Arc<AgentSession>> =
            self.sessions.lock().await.drain().map(|(_, s)| s).collect();
        for session in sessions {
            if let Ok(session) = Arc::try_unwrap(session) {
                session.close().await;
            }
        }
    }

    /// On quit, without waiting: dropping a session kills its agent's process group.
    pub fn kill_all(&self) {
        if let Ok(mut sessions) = self.sessions.try_lock() {
            sessions.clear();
        }
    }

    async fn get(&self, id: &str) -> Result<Arc<AgentSession>, CommandError> {
        self.sessions.lock().await.get(id).cloned().ok_or_else(|| {
            CommandError::new(
                "agent_ended",
                "This session has ended: start it again to go on.",
            )
        })
    }
}

/// What the Agent screen shows before a session starts.
#[derive(Debug, Clone, Serialize, TS, PartialEq, Eq)]
#[ts(export)]
pub struct AgentsView {
    pub agents: Vec<AgentInfo>,
    /// Folders of recent sessions, most recent first.
    pub projects: Vec<String>,
    /// Sessions ClawBox remembers, newest first, with whether each is running now.
    pub sessions: Vec<SessionView>,
}

#[derive(Debug, Clone, Serialize, TS, PartialEq, Eq)]
#[ts(export)]
pub struct SessionView {
    pub record: SessionRecord,
    pub running: bool,
}

/// A batch of one session's events (sent at most every 16 ms while it is busy).
#[derive(Debug, Clone, Serialize, TS, PartialEq)]
#[ts(export)]
pub struct AgentBatch {
    pub session: String,
    pub events: Vec<AgentEvent>,
}

/// One line of an agent's installation (`agent-install` events).
#[derive(Debug, Clone, Serialize, TS, PartialEq, Eq)]
#[ts(export)]
pub struct InstallProgress {
    pub agent: String,
    pub line: String,
}

fn agents_dir<R: Runtime>(app: &AppHandle<R>) -> Result<PathBuf, CommandError> {
    host(app)
        .data_dir()
        .map(|dir| dir.join("agents"))
        .ok_or_else(|| CommandError::new("settings", "ClawBox has no data folder"))
}

fn catalog<R: Runtime>(app: &AppHandle<R>) -> Result<Catalog, CommandError> {
    let dir = agents_dir(app)?;
    let settings = dir
        .parent()
        .map(|data| data.join(SETTINGS_FILE))
        .unwrap_or_default();
    let custom =
        Catalog::custom_from_settings(&settings).map_err(|m| CommandError::new("settings", m))?;
    Ok(Catalog::new(dir, custom))
}

#[tauri::command]
pub async fn agents<R: Runtime>(app: AppHandle<R>) -> Result<AgentsView, CommandError> {
    let catalog = catalog(&app)?;
    let book = SessionBook::new(catalog.dir());
    let running = app
        .state::<AgentHost>()
        .sessions
        .lock()
        .await
        .keys()
        .cloned()
        .collect::<Vec<_>>();
    Ok(AgentsView {
        agents: catalog.list(),
        projects: book.recent_projects(),
        sessions: book
            .list()
            .into_iter()
            .map(|record| SessionView {
                running: running.contains(&record.id),
                record,
            })
            .collect(),
    })
}

/// Installs a known agent from the npm registry, its progress as `agent-install` events.
#[tauri::command]
pub async fn install_agent<R: Runtime>(
    app: AppHandle<R>,
    name: String,
) -> Result<Vec<AgentInfo>, CommandError> {
    let catalog = catalog(&app)?;
    let emitter = app.clone();
    let agent = name.clone();
    catalog
        .install(&name, move |line| {
            let _ = emitter.emit(
                "agent-install",
                InstallProgress {
                    agent: agent.clone(),
                    line,
                },
            );
        })
        .await
        .map_err(|e| CommandError::new("install", e.to_string()))?;
    Ok(catalog.list())
}

/// Starts `agent` in `project`, or reopens session `resume` (a ClawBox session id) through the
/// agent. Its events follow as `agent-events`.
#[tauri::command]
pub async fn start_agent<R: Runtime>(
    app: AppHandle<R>,
    agent: String,
    project: String,
    resume: Option<String>,
) -> Result<SessionRecord, CommandError> {
    let catalog = catalog(&app)?;
    let book = SessionBook::new(catalog.dir());
    let earlier = match &resume {
        Some(id) => {
            if app
                .state::<AgentHost>()
                .sessions
                .lock()
                .await
                .contains_key(id)
            {
                return Err(CommandError::new(
                    "agent_running",
                    "This session is already running.",
                ));
            }
            let record = book.get(id).ok_or_else(|| {
                CommandError::new("agent_ended", "ClawBox no longer knows that session.")
            })?;
            if !record.resumable {
                return Err(CommandError::new(
                    "agent_ended",
                    "This agent cannot reopen earlier sessions.",
                ));
            }
            Some(record)
        }
        None => None,
    };
    let (gateway, url) = running(&host(&app))?;
    let key = gateway.credentials().local_key().ok_or_else(|| {
        CommandError::new("setup", "ClawBox has no local key yet: finish Setup first.")
    })?;
    let options = SessionOptions {
        agent: earlier.as_ref().map_or(agent.clone(), |r| r.agent.clone()),
        project: PathBuf::from(
            earlier
                .as_ref()
                .map_or(project.as_str(), |r| r.project.as_str()),
        ),
        gateway: GatewayTarget {
            base_url: url,
            key: key.expose().to_owned(),
        },
        session: earlier
            .as_ref()
            .map_or_else(|| uuid::Uuid::now_v7().to_string(), |r| r.id.clone()),
        resume: earlier.as_ref().map(|r| r.acp_session.clone()),
        approval: Approval::Ask,
    };
    let id = options.session.clone();
    let (session, events) = AgentSession::start(&catalog, options.clone())
        .await
        .map_err(|e| CommandError::new("agent_start", e.to_string()))?;
    let now = clawbox_agents::now();
    let record = SessionRecord {
        id: id.clone(),
        agent: options.agent.clone(),
        project: options.project.display().to_string(),
        title: title(&options.agent, &options.project),
        acp_session: session.started.acp_session.clone(),
        resumable: session.started.resumable,
        created_at: earlier.as_ref().map_or(now, |r| r.created_at),
        updated_at: now,
    };
    // Without its record the session still works; it just cannot be listed after a restart.
    if let Err(e) = book.put(record.clone()) {
        tracing::warn!(error = %e, "the agent sessions list could not be written");
    }
    let session = Arc::new(session);
    app.state::<AgentHost>()
        .sessions
        .lock()
        .await
        .insert(id.clone(), Arc::clone(&session));
    forward(app.clone(), id, Arc::downgrade(&session), events);
    Ok(record)
}

fn title(agent: &str, project: &Path) -> String {
    let agent = Catalog::known(agent).map_or(agent, |known| known.title);
    let folder = project.file_name().map_or_else(
        || project.display().to_string(),
        |f| f.to_string_lossy().into(),
    );
    format!("{agent} in {folder}")
}

/// Sends a session's events to the window in batches: whatever is waiting goes at once, then at
/// most one batch per 16 ms (a frame), so a burst of thousands is a few messages. When the agent
/// exits, the session is forgotten.
fn forward<R: Runtime>(
    app: AppHandle<R>,
    id: String,
    session: std::sync::Weak<AgentSession>,
    mut events: tokio::sync::mpsc::UnboundedReceiver<AgentEvent>,
) {
    tauri::async_runtime::spawn(async move {
        while let Some(first) = events.recv().await {
            let mut batch = vec![first];
            while batch.len() < 1024
                && let Ok(event) = events.try_recv()
            {
                batch.push(event);
            }
            let exited = batch
                .iter()
                .any(|event| matches!(event, AgentEvent::Exited { .. }));
            let _ = app.emit(
                "agent-events",
                AgentBatch {
                    session: id.clone(),
                    events: batch,
                },
            );
            if exited {
                break;
            }
            tokio::time::sleep(Duration::from_millis(16)).await;
        }
        // Only this session: the id may have been started again meanwhile.
        let host = app.state::<AgentHost>();
        let mut sessions = host.sessions.lock().await;
        if sessions
            .get(&id)
            .is_some_and(|running| std::ptr::eq(Arc::as_ptr(running), session.as_ptr()))
        {
            sessions.remove(&id);
        }
    });
}

#[tauri::command]
pub async fn agent_prompt<R: Runtime>(
    app: AppHandle<R>,
    session: String,
    text: String,
) -> Result<(), CommandError> {
    let running = app.state::<AgentHost>().get(&session).await?;
    if text.trim().is_empty() {
        return Err(CommandError::new(
            "empty",
            "Write something for the agent first.",
        ));
    }
    running
        .prompt(text)
        .map_err(|e| CommandError::new("agent_ended", e.to_string()))?;
    let book = SessionBook::new(&agents_dir(&app)?);
    let _ = book.touch(&session);
    Ok(())
}

#[tauri::command]
pub async fn agent_cancel<R: Runtime>(
    app: AppHandle<R>,
    session: String,
) -> Result<(), CommandError> {
    app.state::<AgentHost>().get(&session).await?.cancel();
    Ok(())
}

/// Answers permission request `request`; false when it was no longer waiting.
#[tauri::command]
pub async fn agent_answer<R: Runtime>(
    app: AppHandle<R>,
    session: String,
    request: u64,
    answer: Answer,
) -> Result<bool, CommandError> {
    Ok(app
        .state::<AgentHost>()
        .get(&session)
        .await?
        .answer(request, answer))
}

#[tauri::command]
pub async fn close_agent<R: Runtime>(
    app: AppHandle<R>,
    session: String,
) -> Result<(), CommandError> {
    let removed = app
        .state::<AgentHost>()
        .sessions
        .lock()
        .await
        .remove(&session);
    if let Some(session) = removed.and_then(|s| Arc::try_unwrap(s).ok()) {
        session.close().await;
    }
    Ok(())
}

/// For "reset everything": every session ended, installed agents, their homes and the book gone.
pub(crate) async fn forget_agents<R: Runtime>(app: &AppHandle<R>) -> Result<(), CommandError> {
    app.state::<AgentHost>().close_all().await;
    let dir = agents_dir(app)?;
    match std::fs::remove_dir_all(&dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(CommandError::new(
            "agents",
            format!("{}: {e}", dir.display()),
        )),
    }
}

//! One agent session as its caller holds it: starting it, a prompt, Stop, answering the
//! person's permission cards, closing; and the state its connection (connection.rs) and the
//! requests ClawBox answers (requests.rs) share.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use agent_client_protocol::v1::schema::{
    PermissionOption, RequestPermissionOutcome, SessionUpdate, ToolCallUpdate, ToolKind,
};
use tokio::sync::{mpsc, oneshot};

use crate::Error;
use crate::catalog::Catalog;
use crate::confine::ProjectRoot;
use crate::connection::{Handshake, run};
use crate::events::{AgentEvent, AnsweredBy, CommandRunner};
use crate::launch::{GatewayTarget, prepare};
use crate::permission::Grants;
use crate::permission::{Answer, Approval, outcome, outcome_name};
use crate::process::AgentProcess;
use crate::requests::Allows;
use crate::terminal::Terminals;

/// What to start.
#[derive(Debug, Clone)]
pub struct SessionOptions {
    pub agent: String,
    pub project: PathBuf,
    pub gateway: GatewayTarget,
    /// ClawBox's id for this session (tagged on every model call the agent makes).
    pub session: String,
    /// The agent's session id to reopen (`session/load` or `session/resume`).
    pub resume: Option<String>,
    pub approval: Approval,
}

/// What the agent said about itself when the session opened.
#[derive(Debug, Clone)]
pub struct Started {
    pub acp_session: String,
    pub client: String,
    pub runner: CommandRunner,
    pub resumable: bool,
}

pub(crate) enum Command {
    Prompt(String),
    Cancel,
    Close,
}

/// A running agent session. Dropping it kills the agent's process group.
pub struct AgentSession {
    commands: mpsc::UnboundedSender<Command>,
    shared: Arc<Shared>,
    process: Arc<AgentProcess>,
    task: Option<tokio::task::JoinHandle<()>>,
    pub started: Started,
}

pub(crate) struct Shared {
    pub(crate) events: mpsc::UnboundedSender<AgentEvent>,
    pub(crate) root: ProjectRoot,
    pub(crate) approval: Approval,
    pub(crate) pending: Mutex<HashMap<u64, Pending>>,
    pub(crate) next_request: AtomicU64,
    pub(crate) turn_running: AtomicBool,
    /// Each tool call's kind as announced: a permission request often names only the call's id
    /// (Claude Code), and the approval setting judges by kind.
    pub(crate) tool_kinds: Mutex<HashMap<String, ToolKind>>,
    pub(crate) terminals: Terminals,
    /// Commands and file writes allowed and not yet done.
    pub(crate) commands_allowed: Grants,
    pub(crate) writes_allowed: Grants,
    /// Kinds the person allowed "always for this session" (`edit`, `execute`).
    pub(crate) always: Mutex<Vec<ToolKind>>,
}

pub(crate) struct Pending {
    pub(crate) options: Vec<PermissionOption>,
    pub(crate) reply: oneshot::Sender<RequestPermissionOutcome>,
    /// What it would do, granted once when it is allowed (see `Grants`).
    pub(crate) allows: Allows,
}

/// How long an agent gets to answer `initialize` and open its session (Claude Code takes a few
/// seconds to boot; a hung command should not hang the window).
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(60);

impl AgentSession {
    /// Starts the agent and opens its session. Events (from `Started` on) arrive on the returned
    /// receiver until the agent exits.
    pub async fn start(
        catalog: &Catalog,
        options: SessionOptions,
    ) -> Result<(AgentSession, mpsc::UnboundedReceiver<AgentEvent>), Error> {
        let root = ProjectRoot::new(&options.project)?;
        let prepared = prepare(
            catalog,
            &options.agent,
            root.path(),
            &options.gateway,
            &options.session,
        )?;
        let (events, receiver) = mpsc::unbounded_channel();
        let spawned = AgentProcess::spawn(prepared.command, &options.agent)?;
        let process = Arc::new(spawned.process);
        let transport = crate::transport::lines(spawned.stdin, spawned.stdout, events.clone());
        let shared = Arc::new(Shared {
            events,
            root,
            approval: options.approval,
            pending: Mutex::new(HashMap::new()),
            next_request: AtomicU64::new(1),
            turn_running: AtomicBool::new(false),
            tool_kinds: Mutex::new(HashMap::new()),
            terminals: Terminals::default(),
            commands_allowed: Grants::default(),
            writes_allowed: Grants::default(),
            always: Mutex::new(Vec::new()),
        });
        let (commands, command_rx) = mpsc::unbounded_channel();
        let (started_tx, started_rx) = oneshot::channel();
        let handshake = Handshake {
            agent: options.agent.clone(),
            client: prepared.client,
            runner: prepared.runner,
            meta: prepared.session_meta,
            resume: options.resume.clone(),
            started: Some(started_tx),
        };
        let task = tokio::spawn(run(
            shared.clone(),
            process.clone(),
            spawned.stderr,
            transport,
            handshake,
            command_rx,
        ));
        let mut session = AgentSession {
            commands,
            shared,
            process,
            task: Some(task),
            started: placeholder(),
        };
        match tokio::time::timeout(HANDSHAKE_TIMEOUT, started_rx).await {
            Ok(Ok(Ok(started))) => {
                session.started = started;
                Ok((session, receiver))
            }
            Ok(Ok(Err(message))) => Err(Error::Handshake {
                agent: options.agent,
                message,
            }),
            Ok(Err(_)) => Err(Error::Handshake {
                agent: options.agent,
                message: "it exited".into(),
            }),
            Err(_) => Err(Error::Handshake {
                agent: options.agent,
                message: format!("no answer within {} s", HANDSHAKE_TIMEOUT.as_secs()),
            }),
        }
    }

    /// Sends one prompt; the turn's events follow, ending with `TurnEnded` (or `Error`).
    pub fn prompt(&self, text: impl Into<String>) -> Result<(), Error> {
        self.commands
            .send(Command::Prompt(text.into()))
            .map_err(|_| Error::Ended)
    }

    /// Stops the running turn (`session/cancel`); pending permission requests are cancelled.
    pub fn cancel(&self) {
        let _ = self.commands.send(Command::Cancel);
    }

    /// Answers the permission request `request` (from a `Permission` event). False when it is no
    /// longer pending.
    pub fn answer(&self, request: u64, answer: Answer) -> bool {
        let pending = self
            .shared
            .pending
            .lock()
            .map(|mut map| map.remove(&request))
            .ok()
            .flatten();
        let Some(pending) = pending else { return false };
        self.shared.allow(&pending.allows, answer);
        let outcome = outcome(&pending.options, answer);
        self.shared.events_send(AgentEvent::PermissionAnswered {
            request,
            outcome: outcome_name(&pending.options, &outcome),
            by: AnsweredBy::Person,
        });
        pending.reply.send(outcome).is_ok()
    }

    /// The agent's process id (its process group's id too).
    pub fn pid(&self) -> Option<u32> {
        self.process.pid()
    }

    pub fn turn_running(&self) -> bool {
        self.shared.turn_running.load(Ordering::Acquire)
    }

    /// Ends the session: closes the agent's stdin, gives it a moment, then ends its whole
    /// process group. Returns once it is gone.
    pub async fn close(mut self) {
        let _ = self.commands.send(Command::Close);
        if let Some(task) = self.task.take()
            && tokio::time::timeout(Duration::from_secs(5), task)
                .await
                .is_err()
        {
            self.process.kill_group();
        }
        self.process.end_group().await;
    }
}

impl Drop for AgentSession {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
        // Commands run in groups of their own: the agent's group does not take them along.
        self.shared.terminals.kill_all();
        self.process.kill_group();
    }
}

fn placeholder() -> Started {
    Started {
        acp_session: String::new(),
        client: String::new(),
        runner: CommandRunner::Asks,
        resumable: false,
    }
}

impl Shared {
    pub(crate) fn events_send(&self, event: AgentEvent) {
        let _ = self.events.send(event);
    }

    pub(crate) fn refuse(&self, what: &str, path: Option<String>, reason: String) {
        self.events_send(AgentEvent::Refused {
            what: what.into(),
            path,
            reason,
        });
    }

    /// Records what an allowed request lets ClawBox do: its command once, its paths once each,
    /// and with "always" every command or write of its kind for the rest of the session.
    pub(crate) fn allow(&self, allows: &Allows, answer: Answer) {
        if answer == Answer::Reject {
            return;
        }
        if let Some(command) = &allows.command {
            self.commands_allowed.grant(command);
        }
        for path in &allows.paths {
            self.writes_allowed.grant(path);
        }
        if let (Answer::AllowAlways, Some(kind @ (ToolKind::Edit | ToolKind::Execute))) =
            (answer, allows.kind)
            && let Ok(mut always) = self.always.lock()
            && !always.contains(&kind)
        {
            always.push(kind);
        }
    }

    pub(crate) fn always_allowed(&self, kind: ToolKind) -> bool {
        self.approval == Approval::All
            || self
                .always
                .lock()
                .is_ok_and(|always| always.contains(&kind))
    }

    pub(crate) fn remember_kind(&self, update: &SessionUpdate) {
        let (id, kind) = match update {
            SessionUpdate::ToolCall(call) => (&call.tool_call_id, call.kind),
            SessionUpdate::ToolCallUpdate(ToolCallUpdate {
                tool_call_id,
                fields,
                ..
            }) => match fields.kind {
                Some(kind) => (tool_call_id, kind),
                None => return,
            },
            _ => return,
        };
        if let Ok(mut kinds) = self.tool_kinds.lock() {
            // The agent decides how many calls there are; keep the memory bounded.
            if kinds.len() >= 10_000 {
                kinds.clear();
            }
            kinds.insert(id.0.to_string(), kind);
        }
    }

    pub(crate) fn kind_of(&self, id: &str) -> Option<ToolKind> {
        self.tool_kinds.lock().ok()?.get(id).copied()
    }

    pub(crate) fn cancel_pending(&self) {
        let drained: Vec<(u64, Pending)> = self
            .pending
            .lock()
            .map(|mut map| map.drain().collect())
            .unwrap_or_default();
        for (request, pending) in drained {
            self.events_send(AgentEvent::PermissionAnswered {
                request,
                outcome: "cancelled".into(),
                by: AnsweredBy::Setting,
            });
            let _ = pending.reply.send(RequestPermissionOutcome::Cancelled);
        }
    }
}

//! One agent session: the agent's process, the ACP connection over its stdio, and the requests
//! ClawBox answers for it. `initialize` → `session/new` (or `session/load` / `session/resume`
//! to reopen one) → a `session/prompt` per turn; every `session/update` becomes an
//! `AgentEvent` on the caller's channel.
//!
//! Handlers run inside the connection's dispatch loop, so nothing there waits on the person:
//! a permission request is answered from a spawned task once they decide.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use agent_client_protocol::schema::ProtocolVersion;
use agent_client_protocol::v1::ConnectionTo;
use agent_client_protocol::v1::schema::{
    CancelNotification, ClientCapabilities, ContentBlock, CreateTerminalRequest,
    CreateTerminalResponse, FileSystemCapabilities, Implementation, InitializeRequest,
    KillTerminalRequest, KillTerminalResponse, LoadSessionRequest, NewSessionRequest,
    PermissionOption, PromptRequest, ReadTextFileRequest, ReadTextFileResponse,
    ReleaseTerminalRequest, ReleaseTerminalResponse, RequestPermissionOutcome,
    RequestPermissionRequest, RequestPermissionResponse, ResumeSessionRequest, SessionNotification,
    SessionUpdate, TerminalOutputRequest, TerminalOutputResponse, TextContent, ToolCallUpdate,
    ToolKind, WaitForTerminalExitRequest, WaitForTerminalExitResponse, WriteTextFileRequest,
    WriteTextFileResponse,
};
use agent_client_protocol::{Agent, Client};
use tokio::sync::{mpsc, oneshot};

use crate::catalog::Catalog;
use crate::confine::{ProjectRoot, paths_in};
use crate::events::{
    AgentEvent, AnsweredBy, CommandRunner, FileDiff, PermissionAsk, PermissionChoice,
};
use crate::launch::{GatewayTarget, prepare};
use crate::permission::Grants;
use crate::permission::{Answer, Approval, kind_name, outcome, outcome_name};
use crate::process::{AgentProcess, StderrTail};
use crate::terminal::{Terminals, command_line};
use crate::updates::{kind_str, to_event};
use crate::{Error, MAX_FILE};

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

enum Command {
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

struct Shared {
    events: mpsc::UnboundedSender<AgentEvent>,
    root: ProjectRoot,
    approval: Approval,
    pending: Mutex<HashMap<u64, Pending>>,
    next_request: AtomicU64,
    turn_running: AtomicBool,
    /// Each tool call's kind as announced: a permission request often names only the call's id
    /// (Claude Code), and the approval setting judges by kind.
    tool_kinds: Mutex<HashMap<String, ToolKind>>,
    terminals: Terminals,
    /// Commands and file writes allowed and not yet done.
    commands_allowed: Grants,
    writes_allowed: Grants,
    /// Kinds the person allowed "always for this session" (`edit`, `execute`).
    always: Mutex<Vec<ToolKind>>,
}

struct Pending {
    options: Vec<PermissionOption>,
    reply: oneshot::Sender<RequestPermissionOutcome>,
    /// What it would do, granted once when it is allowed (see `Grants`).
    allows: Allows,
}

/// What an allowed permission request lets ClawBox do for the agent, once each.
#[derive(Default, Clone)]
struct Allows {
    kind: Option<ToolKind>,
    command: Option<String>,
    /// Resolved paths inside the project.
    paths: Vec<String>,
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
    fn events_send(&self, event: AgentEvent) {
        let _ = self.events.send(event);
    }

    fn refuse(&self, what: &str, path: Option<String>, reason: String) {
        self.events_send(AgentEvent::Refused {
            what: what.into(),
            path,
            reason,
        });
    }

    /// Records what an allowed request lets ClawBox do: its command once, its paths once each,
    /// and with "always" every command or write of its kind for the rest of the session.
    fn allow(&self, allows: &Allows, answer: Answer) {
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

    fn always_allowed(&self, kind: ToolKind) -> bool {
        self.approval == Approval::All
            || self
                .always
                .lock()
                .is_ok_and(|always| always.contains(&kind))
    }

    fn remember_kind(&self, update: &SessionUpdate) {
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

    fn kind_of(&self, id: &str) -> Option<ToolKind> {
        self.tool_kinds.lock().ok()?.get(id).copied()
    }

    fn cancel_pending(&self) {
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

struct Handshake {
    agent: String,
    client: String,
    runner: CommandRunner,
    meta: Option<serde_json::Map<String, serde_json::Value>>,
    resume: Option<String>,
    started: Option<oneshot::Sender<Result<Started, String>>>,
}

async fn run(
    shared: Arc<Shared>,
    process: Arc<AgentProcess>,
    stderr: StderrTail,
    transport: agent_client_protocol::Lines<crate::transport::Outgoing, crate::transport::Incoming>,
    mut handshake: Handshake,
    commands: mpsc::UnboundedReceiver<Command>,
) {
    let started_tx = handshake.started.take();
    let (started_back, started_rx) = oneshot::channel::<Result<Started, String>>();
    let forward = tokio::spawn(async move {
        if let (Ok(result), Some(tx)) = (started_rx.await, started_tx) {
            let _ = tx.send(result);
        }
    });
    let connection = connect(shared.clone(), transport, handshake, started_back, commands).await;
    let closed = matches!(connection, Ok(Closed::ByClawBox));
    if let Err(message) = &connection {
        shared.events_send(AgentEvent::Error {
            message: message.clone(),
        });
    }
    shared.cancel_pending();
    shared.terminals.kill_all();
    let code = process.end_group().await;
    forward.abort();
    shared.events_send(AgentEvent::Exited {
        code,
        closed,
        stderr: (!closed).then(|| stderr.text()).flatten(),
    });
}

enum Closed {
    ByClawBox,
    ByAgent,
}

async fn connect(
    shared: Arc<Shared>,
    transport: agent_client_protocol::Lines<crate::transport::Outgoing, crate::transport::Incoming>,
    handshake: Handshake,
    started: oneshot::Sender<Result<Started, String>>,
    commands: mpsc::UnboundedReceiver<Command>,
) -> Result<Closed, String> {
    let on_update = shared.clone();
    let on_permission = shared.clone();
    let on_read = shared.clone();
    let on_write = shared.clone();
    let (on_create, on_output, on_wait, on_kill, on_release) = (
        shared.clone(),
        shared.clone(),
        shared.clone(),
        shared.clone(),
        shared.clone(),
    );
    let foreground = shared.clone();
    let result = Client
        .v1()
        .name("clawbox")
        .on_receive_notification(
            async move |notification: SessionNotification, _cx| {
                on_update.remember_kind(&notification.update);
                if let Some(event) = to_event(notification.update, &on_update.root) {
                    on_update.events_send(event);
                }
                Ok(())
            },
            agent_client_protocol::on_receive_notification!(),
        )
        .on_receive_request(
            async move |request: RequestPermissionRequest, responder, cx| {
                let shared = on_permission.clone();
                let reply = permission(&shared, request);
                cx.spawn(async move {
                    let outcome = reply.await.unwrap_or(RequestPermissionOutcome::Cancelled);
                    responder.respond(RequestPermissionResponse::new(outcome))
                })
            },
            agent_client_protocol::on_receive_request!(),
        )
        .on_receive_request(
            async move |request: ReadTextFileRequest, responder, _cx| match read(&on_read, &request)
                .await
            {
                Ok(content) => responder.respond(ReadTextFileResponse::new(content)),
                Err(message) => responder.respond_with_error(
                    agent_client_protocol::Error::invalid_params().data(message),
                ),
            },
            agent_client_protocol::on_receive_request!(),
        )
        .on_receive_request(
            async move |request: WriteTextFileRequest, responder, cx| {
                let shared = on_write.clone();
                let respond = |result: Result<(), String>,
                               responder: agent_client_protocol::v1::Responder<
                    WriteTextFileResponse,
                >| match result {
                    Ok(()) => responder.respond(WriteTextFileResponse::new()),
                    Err(message) => responder.respond_with_error(
                        agent_client_protocol::Error::invalid_params().data(message),
                    ),
                };
                match write_permission(&shared, &request) {
                    Ok(Ruling::Run(path)) => {
                        respond(write(&shared, &path, &request.content).await, responder)
                    }
                    Ok(Ruling::Ask(path, reply)) => cx.spawn(async move {
                        let result = match reply.await {
                            Ok(RequestPermissionOutcome::Selected(selected))
                                if &*selected.option_id.0 == RUN =>
                            {
                                write(&shared, &path, &request.content).await
                            }
                            _ => Err("the person did not allow this change".to_owned()),
                        };
                        respond(result, responder)
                    }),
                    Err(message) => respond(Err(message), responder),
                }
            },
            agent_client_protocol::on_receive_request!(),
        )
        .on_receive_request(
            async move |request: CreateTerminalRequest, responder, cx| {
                let shared = on_create.clone();
                match run_permission(&shared, &request) {
                    Ok(Ruling::Run(cwd)) => respond_created(&shared, &request, &cwd, responder),
                    Ok(Ruling::Ask(cwd, reply)) => cx.spawn(async move {
                        match reply.await {
                            Ok(RequestPermissionOutcome::Selected(selected))
                                if &*selected.option_id.0 == RUN =>
                            {
                                respond_created(&shared, &request, &cwd, responder)
                            }
                            _ => responder.respond_with_error(
                                agent_client_protocol::Error::invalid_params()
                                    .data("the person did not allow this command"),
                            ),
                        }
                    }),
                    Err(message) => responder.respond_with_error(
                        agent_client_protocol::Error::invalid_params().data(message),
                    ),
                }
            },
            agent_client_protocol::on_receive_request!(),
        )
        .on_receive_request(
            async move |request: TerminalOutputRequest, responder, _cx| match on_output
                .terminals
                .output(&request.terminal_id.0)
            {
                Ok((output, truncated, exit)) => responder
                    .respond(TerminalOutputResponse::new(output, truncated).exit_status(exit)),
                Err(message) => responder.respond_with_error(
                    agent_client_protocol::Error::invalid_params().data(message),
                ),
            },
            agent_client_protocol::on_receive_request!(),
        )
        .on_receive_request(
            async move |request: WaitForTerminalExitRequest, responder, cx| {
                let shared = on_wait.clone();
                cx.spawn(async move {
                    match shared.terminals.wait(&request.terminal_id.0).await {
                        Ok(exit) => responder.respond(WaitForTerminalExitResponse::new(exit)),
                        Err(message) => responder.respond_with_error(
                            agent_client_protocol::Error::invalid_params().data(message),
                        ),
                    }
                })
            },
            agent_client_protocol::on_receive_request!(),
        )
        .on_receive_request(
            async move |request: KillTerminalRequest, responder, _cx| match on_kill
                .terminals
                .kill(&request.terminal_id.0)
            {
                Ok(()) => responder.respond(KillTerminalResponse::new()),
                Err(message) => responder.respond_with_error(
                    agent_client_protocol::Error::invalid_params().data(message),
                ),
            },
            agent_client_protocol::on_receive_request!(),
        )
        .on_receive_request(
            async move |request: ReleaseTerminalRequest, responder, _cx| match on_release
                .terminals
                .release(&request.terminal_id.0)
            {
                Ok(()) => responder.respond(ReleaseTerminalResponse::new()),
                Err(message) => responder.respond_with_error(
                    agent_client_protocol::Error::invalid_params().data(message),
                ),
            },
            agent_client_protocol::on_receive_request!(),
        )
        .connect_with(transport, async move |cx: ConnectionTo<Agent>| {
            drive(cx, foreground, handshake, started, commands).await
        })
        .await;
    match result {
        Ok(closed) => Ok(closed),
        Err(error) if agent_client_protocol::is_connection_terminated(&error) => {
            Ok(Closed::ByAgent)
        }
        Err(error) => Err(describe(&error)),
    }
}

/// The agent's end of the connection is gone (it exited, crashed or closed its stdout): what
/// follows is its `Exited` event, not an error of its own.
fn gone(error: &agent_client_protocol::Error) -> bool {
    agent_client_protocol::is_connection_terminated(error)
        || agent_client_protocol::is_incoming_transport_closed(error)
}

/// An ACP error as people read it (the agent's message, and its details when it sent any).
fn describe(error: &agent_client_protocol::Error) -> String {
    match &error.data {
        Some(serde_json::Value::String(data)) => format!("{}: {data}", error.message),
        Some(data) if !data.is_null() => format!("{}: {data}", error.message),
        _ => error.message.clone(),
    }
}

async fn drive(
    cx: ConnectionTo<Agent>,
    shared: Arc<Shared>,
    handshake: Handshake,
    started: oneshot::Sender<Result<Started, String>>,
    mut commands: mpsc::UnboundedReceiver<Command>,
) -> Result<Closed, agent_client_protocol::Error> {
    let capabilities = ClientCapabilities::new()
        .fs(FileSystemCapabilities::new()
            .read_text_file(true)
            .write_text_file(true))
        .terminal(true);
    let init = InitializeRequest::new(ProtocolVersion::V1)
        .client_capabilities(capabilities)
        .client_info(
            Implementation::new("clawbox", env!("CARGO_PKG_VERSION")).title("ClawBox".to_owned()),
        );
    let init = match cx.send_request(init).block_task().await {
        Ok(init) => init,
        Err(error) => {
            let _ = started.send(Err(describe(&error)));
            return Err(error);
        }
    };
    let agent_info = init
        .agent_info
        .as_ref()
        .map(|info| format!("{} {}", info.name, info.version));
    let capabilities = &init.agent_capabilities;
    let can_load = capabilities.load_session;
    let can_resume = capabilities.session_capabilities.resume.is_some();
    let root = shared.root.path().to_path_buf();
    let opened = match &handshake.resume {
        Some(id) if can_load => cx
            .send_request(LoadSessionRequest::new(id.clone(), root).meta(handshake.meta.clone()))
            .block_task()
            .await
            .map(|_| id.clone()),
        Some(id) if can_resume => cx
            .send_request(ResumeSessionRequest::new(id.clone(), root).meta(handshake.meta.clone()))
            .block_task()
            .await
            .map(|_| id.clone()),
        Some(_) => Err(agent_client_protocol::Error::method_not_found()
            .data("this agent cannot reopen earlier sessions".to_owned())),
        None => cx
            .send_request(NewSessionRequest::new(root).meta(handshake.meta.clone()))
            .block_task()
            .await
            .map(|new| new.session_id.0.to_string()),
    };
    let acp_session = match opened {
        Ok(id) => id,
        Err(error) => {
            let _ = started.send(Err(describe(&error)));
            return Err(error);
        }
    };
    let info = Started {
        acp_session: acp_session.clone(),
        client: handshake.client.clone(),
        runner: handshake.runner,
        resumable: can_load || can_resume,
    };
    shared.events_send(AgentEvent::Started {
        agent: handshake.agent.clone(),
        agent_info,
        acp_session: acp_session.clone(),
        resumed: handshake.resume.is_some(),
        resumable: info.resumable,
        commands: handshake.runner,
    });
    let _ = started.send(Ok(info));

    while let Some(command) = commands.recv().await {
        match command {
            Command::Close => return Ok(Closed::ByClawBox),
            Command::Cancel => {}
            Command::Prompt(text) => {
                if turn(&cx, &shared, &acp_session, text, &mut commands).await? {
                    return Ok(Closed::ByClawBox);
                }
            }
        }
    }
    Ok(Closed::ByClawBox)
}

/// One prompt turn. True when ClawBox closed the session during it.
async fn turn(
    cx: &ConnectionTo<Agent>,
    shared: &Arc<Shared>,
    acp_session: &str,
    text: String,
    commands: &mut mpsc::UnboundedReceiver<Command>,
) -> Result<bool, agent_client_protocol::Error> {
    shared.turn_running.store(true, Ordering::Release);
    let prompt = PromptRequest::new(
        acp_session.to_owned(),
        vec![ContentBlock::Text(TextContent::new(text))],
    );
    let reply = cx.send_request(prompt).block_task();
    tokio::pin!(reply);
    let result = loop {
        tokio::select! {
            result = &mut reply => break result,
            command = commands.recv() => match command {
                Some(Command::Cancel) => {
                    shared.cancel_pending();
                    cx.send_notification(CancelNotification::new(acp_session.to_owned()))?;
                }
                Some(Command::Prompt(_)) => shared.events_send(AgentEvent::Error {
                    message: "The agent is still working: wait for it, or press Stop.".into(),
                }),
                Some(Command::Close) | None => {
                    shared.turn_running.store(false, Ordering::Release);
                    return Ok(true);
                }
            },
        }
    };
    shared.turn_running.store(false, Ordering::Release);
    match result {
        Ok(response) => {
            let reason = serde_json::to_value(response.stop_reason)
                .ok()
                .and_then(|value| value.as_str().map(str::to_owned))
                .unwrap_or_else(|| "end_turn".into());
            shared.events_send(AgentEvent::TurnEnded {
                stop_reason: reason,
            });
            Ok(false)
        }
        Err(error) if gone(&error) => Err(error),
        Err(error) => {
            shared.events_send(AgentEvent::Error {
                message: format!("The turn failed: {}", describe(&error)),
            });
            Ok(false)
        }
    }
}

/// Judges a permission request: refused without asking when it names a path outside the
/// project, else answered by the setting, else put to the person.
fn permission(
    shared: &Arc<Shared>,
    request: RequestPermissionRequest,
) -> oneshot::Receiver<RequestPermissionOutcome> {
    let (reply, receiver) = oneshot::channel();
    let number = shared.next_request.fetch_add(1, Ordering::Relaxed);
    let fields = &request.tool_call.fields;
    let locations: Vec<PathBuf> = fields
        .locations
        .iter()
        .flatten()
        .map(|location| location.path.clone())
        .collect();
    let paths = paths_in(&locations, fields.raw_input.as_ref());
    let options = request.options;
    if let Some((path, why)) = shared.root.first_outside(&paths) {
        let outcome = outcome(&options, Answer::Reject);
        shared.refuse(
            "permission",
            Some(path.to_owned()),
            format!("ClawBox rejected it without asking: {why}"),
        );
        shared.events_send(AgentEvent::PermissionAnswered {
            request: number,
            outcome: outcome_name(&options, &outcome),
            by: AnsweredBy::Clawbox,
        });
        let _ = reply.send(outcome);
        return receiver;
    }
    let kind = fields
        .kind
        .or_else(|| shared.kind_of(&request.tool_call.tool_call_id.0));
    let diff = fields
        .content
        .iter()
        .flatten()
        .find_map(|content| match content {
            agent_client_protocol::v1::schema::ToolCallContent::Diff(diff) => {
                let path = shared.root.display(&diff.path);
                Some(FileDiff::between(
                    &path,
                    diff.old_text.as_deref().unwrap_or(""),
                    &diff.new_text,
                ))
            }
            _ => None,
        });
    let command = fields.raw_input.as_ref().and_then(|input| {
        input.get("command").map(|command| match command {
            serde_json::Value::String(text) => text.clone(),
            serde_json::Value::Array(parts) => parts
                .iter()
                .filter_map(serde_json::Value::as_str)
                .collect::<Vec<_>>()
                .join(" "),
            other => other.to_string(),
        })
    });
    let ask = PermissionAsk {
        request: number,
        tool_call_id: request.tool_call.tool_call_id.0.to_string(),
        title: fields
            .title
            .clone()
            .unwrap_or_else(|| "The agent asks for permission".into()),
        kind: kind.map(|kind| kind_str(kind).to_owned()),
        paths: paths
            .iter()
            .map(|path| shared.root.display(std::path::Path::new(path)))
            .collect(),
        command,
        diff,
        options: options
            .iter()
            .map(|option| PermissionChoice {
                kind: kind_name(option.kind).into(),
                name: option.name.clone(),
            })
            .collect(),
    };
    let allows = Allows {
        kind,
        command: ask.command.clone(),
        paths: paths
            .iter()
            .filter_map(|path| shared.root.resolve(std::path::Path::new(path)).ok())
            .map(|path| path.display().to_string())
            .collect(),
    };
    match shared.approval.answer(kind) {
        Some(answer) => {
            // `reads` allows looking, never a command or a write, whatever the request's kind says.
            if shared.approval == Approval::All {
                shared.allow(&allows, answer);
            }
            let outcome = outcome(&options, answer);
            shared.events_send(AgentEvent::Permission(ask));
            shared.events_send(AgentEvent::PermissionAnswered {
                request: number,
                outcome: outcome_name(&options, &outcome),
                by: AnsweredBy::Setting,
            });
            let _ = reply.send(outcome);
        }
        None => {
            if let Ok(mut pending) = shared.pending.lock() {
                pending.insert(
                    number,
                    Pending {
                        options,
                        reply,
                        allows,
                    },
                );
            }
            shared.events_send(AgentEvent::Permission(ask));
        }
    }
    receiver
}

async fn read(shared: &Shared, request: &ReadTextFileRequest) -> Result<String, String> {
    let path = shared.root.resolve(&request.path).map_err(|why| {
        shared.refuse(
            "read",
            Some(request.path.display().to_string()),
            why.clone(),
        );
        format!("ClawBox refused to read {}: {why}", request.path.display())
    })?;
    let metadata = tokio::fs::metadata(&path)
        .await
        .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    if !metadata.is_file() {
        return Err(format!("{} is not a plain file", path.display()));
    }
    if metadata.len() > MAX_FILE {
        return Err(format!(
            "{} is larger than {} MiB",
            path.display(),
            MAX_FILE >> 20
        ));
    }
    let text = tokio::fs::read_to_string(&path)
        .await
        .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    shared.events_send(AgentEvent::FileRead {
        path: shared.root.display(&path),
    });
    // ACP's `line` is 1-based; `limit` counts lines.
    let start = request
        .line
        .map_or(0, |line| line.saturating_sub(1) as usize);
    if start == 0 && request.limit.is_none() {
        return Ok(text);
    }
    let limit = request.limit.map_or(usize::MAX, |limit| limit as usize);
    Ok(text.split_inclusive('\n').skip(start).take(limit).collect())
}

/// Whether a file the agent asks ClawBox to write may be written: inside the project, and only
/// with permission — the setting's `all`, "always" for edits, the person's answer to the agent's
/// own request naming this file, or (when none) the person's answer to ClawBox's own question.
fn write_permission(
    shared: &Arc<Shared>,
    request: &WriteTextFileRequest,
) -> Result<Ruling, String> {
    let path = shared.root.resolve(&request.path).map_err(|why| {
        shared.refuse(
            "write",
            Some(request.path.display().to_string()),
            why.clone(),
        );
        format!("ClawBox refused to write {}: {why}", request.path.display())
    })?;
    if request.content.len() as u64 > MAX_FILE {
        return Err(format!("the content is larger than {} MiB", MAX_FILE >> 20));
    }
    if shared.always_allowed(ToolKind::Edit)
        || shared.writes_allowed.take(&path.display().to_string())
    {
        return Ok(Ruling::Run(path));
    }
    let shown = shared.root.display(&path);
    if shared.approval != Approval::Ask {
        let reason = "ClawBox changes a file only with permission";
        shared.refuse("write", Some(shown), reason.to_owned());
        return Err(format!("{reason}, and this change was not allowed"));
    }
    let old = std::fs::read_to_string(&path).unwrap_or_default();
    let ask = Question {
        title: format!("Change {shown}"),
        kind: "edit",
        paths: vec![shown.clone()],
        command: None,
        diff: Some(FileDiff::between(&shown, &old, &request.content)),
        allow: "Change it",
        reject: "Don't change it",
    };
    Ok(Ruling::Ask(path, ask_clawbox(shared, ask)))
}

/// Writes `content` to `path` (resolved inside the project): never through a symlink, never
/// into anything but a plain file.
async fn write(shared: &Shared, path: &std::path::Path, content: &str) -> Result<(), String> {
    let fail = |error: std::io::Error| format!("cannot write {}: {error}", path.display());
    let old = match std::fs::symlink_metadata(path) {
        Ok(metadata) if !metadata.file_type().is_file() => {
            return Err(format!("{} is not a plain file", path.display()));
        }
        Ok(_) => tokio::fs::read_to_string(path).await.unwrap_or_default(),
        Err(_) => String::new(),
    };
    if let Some(parent) = path.parent() {
        tokio::fs::create_dir_all(parent)
            .await
            .map_err(|error| format!("cannot create {}: {error}", parent.display()))?;
    }
    let mut options = tokio::fs::OpenOptions::new();
    options
        .write(true)
        .create(true)
        .truncate(true)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32);
    let mut file = options.open(path).await.map_err(fail)?;
    tokio::io::AsyncWriteExt::write_all(&mut file, content.as_bytes())
        .await
        .map_err(fail)?;
    let shown = shared.root.display(path);
    let diff = FileDiff::between(&shown, &old, content);
    shared.events_send(AgentEvent::FileWritten { path: shown, diff });
    Ok(())
}

/// The option id of ClawBox's own "run this command?" question.
const RUN: &str = "run";

enum Ruling {
    Run(PathBuf),
    Ask(PathBuf, oneshot::Receiver<RequestPermissionOutcome>),
}

/// Whether a command the agent asks ClawBox to run may run: in a folder inside the project, and
/// only with permission — the setting's `all`, the person's answer to the agent's own request
/// for this very command, or (when neither) the person's answer to ClawBox's own question.
fn run_permission(shared: &Arc<Shared>, request: &CreateTerminalRequest) -> Result<Ruling, String> {
    let line = command_line(request);
    let cwd = match &request.cwd {
        Some(dir) => shared.root.resolve(dir).map_err(|why| {
            shared.refuse("terminal", Some(dir.display().to_string()), why.clone());
            format!(
                "ClawBox refused to run a command in {}: {why}",
                dir.display()
            )
        })?,
        None => shared.root.path().to_path_buf(),
    };
    if shared.always_allowed(ToolKind::Execute) || shared.commands_allowed.take(&line) {
        return Ok(Ruling::Run(cwd));
    }
    if shared.approval != Approval::Ask {
        let reason = "ClawBox runs a command only with permission".to_owned();
        shared.refuse("terminal", None, format!("{reason}: {line}"));
        return Err(format!("{reason}, and this one was not allowed"));
    }
    let ask = Question {
        title: "Run a command in your project".into(),
        kind: "execute",
        paths: vec![],
        command: Some(line),
        diff: None,
        allow: "Run it",
        reject: "Don't run it",
    };
    Ok(Ruling::Ask(cwd, ask_clawbox(shared, ask)))
}

/// ClawBox's own question to the person, for a command or a change the agent did not ask
/// permission for.
struct Question {
    title: String,
    kind: &'static str,
    paths: Vec<String>,
    command: Option<String>,
    diff: Option<FileDiff>,
    allow: &'static str,
    reject: &'static str,
}

fn ask_clawbox(
    shared: &Arc<Shared>,
    question: Question,
) -> oneshot::Receiver<RequestPermissionOutcome> {
    use agent_client_protocol::v1::schema::PermissionOptionKind;
    let (reply, receiver) = oneshot::channel();
    let number = shared.next_request.fetch_add(1, Ordering::Relaxed);
    let options = vec![
        PermissionOption::new(RUN, question.allow, PermissionOptionKind::AllowOnce),
        PermissionOption::new("skip", question.reject, PermissionOptionKind::RejectOnce),
    ];
    let ask = PermissionAsk {
        request: number,
        tool_call_id: String::new(),
        title: question.title,
        kind: Some(question.kind.into()),
        paths: question.paths,
        command: question.command,
        diff: question.diff,
        options: options
            .iter()
            .map(|option| PermissionChoice {
                kind: kind_name(option.kind).into(),
                name: option.name.clone(),
            })
            .collect(),
    };
    if let Ok(mut pending) = shared.pending.lock() {
        // Answering it is the permission itself: nothing more is granted.
        pending.insert(
            number,
            Pending {
                options,
                reply,
                allows: Allows::default(),
            },
        );
    }
    shared.events_send(AgentEvent::Permission(ask));
    receiver
}

fn respond_created(
    shared: &Arc<Shared>,
    request: &CreateTerminalRequest,
    cwd: &std::path::Path,
    responder: agent_client_protocol::v1::Responder<CreateTerminalResponse>,
) -> Result<(), agent_client_protocol::Error> {
    let events = shared.events.clone();
    let created = shared
        .terminals
        .create(request, cwd, move |id, output, truncated, exit| {
            let _ = events.send(AgentEvent::TerminalOutput {
                id,
                output,
                truncated,
                exit_code: exit.exit_code,
            });
        });
    match created {
        Ok(id) => responder.respond(CreateTerminalResponse::new(id)),
        Err(message) => responder
            .respond_with_error(agent_client_protocol::Error::internal_error().data(message)),
    }
}

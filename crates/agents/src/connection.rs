//! The ACP connection over the agent's stdio: `initialize` → `session/new` (or `session/load` /
//! `session/resume` to reopen one) → a `session/prompt` per turn; every `session/update`
//! becomes an `AgentEvent` on the caller's channel, and the agent's requests go to requests.rs.
//!
//! Handlers run inside the connection's dispatch loop, so nothing there waits on the person:
//! a permission request (or a command or change ClawBox asks about itself) is answered from a
//! spawned task once they decide.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use agent_client_protocol::schema::ProtocolVersion;
use agent_client_protocol::v1::ConnectionTo;
use agent_client_protocol::v1::schema::{
    CancelNotification, ClientCapabilities, ContentBlock, CreateTerminalRequest,
    FileSystemCapabilities, Implementation, InitializeRequest, KillTerminalRequest,
    KillTerminalResponse, LoadSessionRequest, NewSessionRequest, PromptRequest,
    ReadTextFileRequest, ReadTextFileResponse, ReleaseTerminalRequest, ReleaseTerminalResponse,
    RequestPermissionOutcome, RequestPermissionRequest, RequestPermissionResponse,
    ResumeSessionRequest, SessionNotification, TerminalOutputRequest, TerminalOutputResponse,
    TextContent, WaitForTerminalExitRequest, WaitForTerminalExitResponse, WriteTextFileRequest,
    WriteTextFileResponse,
};
use agent_client_protocol::{Agent, Client};
use tokio::sync::{mpsc, oneshot};

use crate::events::{AgentEvent, CommandRunner};
use crate::process::{AgentProcess, StderrTail};
use crate::requests::{
    RUN, Ruling, permission, read, respond_created, run_permission, write, write_permission,
};
use crate::session::{Command, Shared, Started};
use crate::updates::to_event;

pub(crate) struct Handshake {
    pub(crate) agent: String,
    pub(crate) client: String,
    pub(crate) runner: CommandRunner,
    pub(crate) meta: Option<serde_json::Map<String, serde_json::Value>>,
    pub(crate) resume: Option<String>,
    pub(crate) started: Option<oneshot::Sender<Result<Started, String>>>,
}

pub(crate) async fn run(
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
            async move |request: ReadTextFileRequest, responder, _cx| {
                reply(
                    responder,
                    read(&on_read, &request)
                        .await
                        .map(ReadTextFileResponse::new),
                )
            },
            agent_client_protocol::on_receive_request!(),
        )
        .on_receive_request(
            async move |request: WriteTextFileRequest, responder, cx| {
                let shared = on_write.clone();
                let respond = |result: Result<(), String>, responder| {
                    reply(responder, result.map(|()| WriteTextFileResponse::new()))
                };
                match write_permission(&shared, &request) {
                    Ok(Ruling::Run(path)) => {
                        respond(write(&shared, &path, &request.content).await, responder)
                    }
                    Ok(Ruling::Ask(path, answer)) => cx.spawn(async move {
                        let result = match answer.await {
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
                    Ok(Ruling::Ask(cwd, answer)) => cx.spawn(async move {
                        match answer.await {
                            Ok(RequestPermissionOutcome::Selected(selected))
                                if &*selected.option_id.0 == RUN =>
                            {
                                respond_created(&shared, &request, &cwd, responder)
                            }
                            _ => reply(
                                responder,
                                Err("the person did not allow this command".into()),
                            ),
                        }
                    }),
                    Err(message) => reply(responder, Err(message)),
                }
            },
            agent_client_protocol::on_receive_request!(),
        )
        .on_receive_request(
            async move |request: TerminalOutputRequest, responder, _cx| {
                let output = on_output.terminals.output(&request.terminal_id.0);
                reply(
                    responder,
                    output.map(|(output, truncated, exit)| {
                        TerminalOutputResponse::new(output, truncated).exit_status(exit)
                    }),
                )
            },
            agent_client_protocol::on_receive_request!(),
        )
        .on_receive_request(
            async move |request: WaitForTerminalExitRequest, responder, cx| {
                let shared = on_wait.clone();
                cx.spawn(async move {
                    reply(
                        responder,
                        shared
                            .terminals
                            .wait(&request.terminal_id.0)
                            .await
                            .map(WaitForTerminalExitResponse::new),
                    )
                })
            },
            agent_client_protocol::on_receive_request!(),
        )
        .on_receive_request(
            async move |request: KillTerminalRequest, responder, _cx| {
                let killed = on_kill.terminals.kill(&request.terminal_id.0);
                reply(responder, killed.map(|()| KillTerminalResponse::new()))
            },
            agent_client_protocol::on_receive_request!(),
        )
        .on_receive_request(
            async move |request: ReleaseTerminalRequest, responder, _cx| {
                let released = on_release.terminals.release(&request.terminal_id.0);
                reply(responder, released.map(|()| ReleaseTerminalResponse::new()))
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

/// Answers an agent's request: its response, or an error whose message says why (the agent
/// shows it, or tells its model).
fn reply<T: agent_client_protocol::JsonRpcResponse>(
    responder: agent_client_protocol::v1::Responder<T>,
    result: Result<T, String>,
) -> Result<(), agent_client_protocol::Error> {
    match result {
        Ok(response) => responder.respond(response),
        Err(message) => responder
            .respond_with_error(agent_client_protocol::Error::invalid_params().data(message)),
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

//! The requests ClawBox answers for the agent, each judged at the trust line: permission
//! requests (refused without asking when they name a path outside the project, else answered by
//! the setting or put to the person), file reads and writes inside the project, and commands —
//! writes and commands only with a permission that covers them, or ClawBox's own question.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use agent_client_protocol::v1::schema::{
    CreateTerminalRequest, CreateTerminalResponse, PermissionOption, ReadTextFileRequest,
    RequestPermissionOutcome, RequestPermissionRequest, ToolKind, WriteTextFileRequest,
};
use tokio::sync::oneshot;

use crate::MAX_FILE;
use crate::confine::paths_in;
use crate::events::{AgentEvent, AnsweredBy, FileDiff, PermissionAsk, PermissionChoice};
use crate::permission::{Answer, Approval, kind_name, outcome, outcome_name};
use crate::session::{Pending, Shared};
use crate::terminal::command_line;
use crate::updates::kind_str;

/// What an allowed permission request lets ClawBox do for the agent, once each.
#[derive(Default, Clone)]
pub(crate) struct Allows {
    pub(crate) kind: Option<ToolKind>,
    pub(crate) command: Option<String>,
    /// Resolved paths inside the project.
    pub(crate) paths: Vec<String>,
}

/// Judges a permission request: refused without asking when it names a path outside the
/// project, else answered by the setting, else put to the person.
pub(crate) fn permission(
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

/// `path` inside the project, or the refusal shown to the person and the reason told the agent.
fn resolve_or_refuse(
    shared: &Shared,
    what: &str,
    path: &std::path::Path,
) -> Result<PathBuf, String> {
    shared.root.resolve(path).map_err(|why| {
        shared.refuse(what, Some(path.display().to_string()), why.clone());
        format!("ClawBox refused to {what} {}: {why}", path.display())
    })
}

pub(crate) async fn read(shared: &Shared, request: &ReadTextFileRequest) -> Result<String, String> {
    let path = resolve_or_refuse(shared, "read", &request.path)?;
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
pub(crate) fn write_permission(
    shared: &Arc<Shared>,
    request: &WriteTextFileRequest,
) -> Result<Ruling, String> {
    let path = resolve_or_refuse(shared, "write", &request.path)?;
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
pub(crate) async fn write(
    shared: &Shared,
    path: &std::path::Path,
    content: &str,
) -> Result<(), String> {
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
pub(crate) const RUN: &str = "run";

pub(crate) enum Ruling {
    Run(PathBuf),
    Ask(PathBuf, oneshot::Receiver<RequestPermissionOutcome>),
}

/// Whether a command the agent asks ClawBox to run may run: in a folder inside the project, and
/// only with permission — the setting's `all`, the person's answer to the agent's own request
/// for this very command, or (when neither) the person's answer to ClawBox's own question.
pub(crate) fn run_permission(
    shared: &Arc<Shared>,
    request: &CreateTerminalRequest,
) -> Result<Ruling, String> {
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

pub(crate) fn respond_created(
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

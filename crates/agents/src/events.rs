//! What a running agent session tells its caller (the window, `agent run`): ACP's
//! `session/update`s turned into a small set of typed events, plus what ClawBox itself did on
//! the person's behalf (permissions asked and answered, file reads and writes, refusals).
//!
//! These are shown, never logged or stored: they carry what the agent says.

use serde::Serialize;

/// One thing that happened in an agent session, in the order it happened.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum AgentEvent {
    /// The agent is running and its session is open.
    Started {
        agent: String,
        /// The agent's own name and version, when it gave them.
        agent_info: Option<String>,
        /// The agent's session id (what `session/load` / `session/resume` take).
        acp_session: String,
        /// Whether the session was resumed through the agent rather than started.
        resumed: bool,
        /// The agent can reopen this session after ClawBox restarts.
        resumable: bool,
        /// How the agent's commands run: `itself` (in its own sandbox) or `asks` (each command
        /// needs the person's permission).
        commands: CommandRunner,
    },
    /// A chunk of what the person said (replayed when a session is reopened).
    UserMessage { text: String },
    /// A chunk of the agent's answer.
    Message { text: String },
    /// A chunk of the agent's reasoning (shown collapsed).
    Thought { text: String },
    /// A tool call started or changed. Fields that did not change are `None`/empty.
    ToolCall(ToolCallView),
    /// The agent's plan, whole (each update replaces the last).
    Plan { entries: Vec<PlanItem> },
    /// How full the agent's context window is.
    Usage {
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        used: u64,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        size: u64,
    },
    /// The agent asks for permission and waits for the person's answer (see
    /// `AgentSession::answer`).
    Permission(PermissionAsk),
    /// A permission request was answered: by the person, by the session's approval setting, or by
    /// ClawBox refusing a path outside the project.
    PermissionAnswered {
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        request: u64,
        /// `allow_once`, `allow_always`, `reject_once`, `reject_always` or `cancelled`.
        outcome: String,
        by: AnsweredBy,
    },
    /// ClawBox refused something the agent asked for, and why.
    Refused {
        /// `read`, `write`, `permission` or `terminal`.
        what: String,
        path: Option<String>,
        reason: String,
    },
    /// A command ClawBox ran for the agent (a `terminal` in a tool call's content) ended.
    TerminalOutput {
        id: String,
        /// Its output, stdout and stderr together (the newest part, when `truncated`).
        output: String,
        truncated: bool,
        exit_code: Option<u32>,
    },
    /// The agent read a file through ClawBox (inside the project).
    FileRead { path: String },
    /// The agent wrote a file through ClawBox (inside the project).
    FileWritten { path: String, diff: FileDiff },
    /// Something odd but harmless (a line that is not ACP, a message too large to read).
    Notice { message: String },
    /// Something failed; the session may continue.
    Error { message: String },
    /// A prompt turn ended.
    TurnEnded {
        /// `end_turn`, `max_tokens`, `max_turn_requests`, `refusal` or `cancelled`.
        stop_reason: String,
    },
    /// The agent's process is gone.
    Exited {
        /// Its exit code, when it exited rather than being killed.
        code: Option<i32>,
        /// Whether ClawBox ended it (Stop/close) rather than it ending on its own.
        closed: bool,
        /// The last lines the agent wrote to stderr, when it ended on its own (shown, not kept).
        stderr: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum CommandRunner {
    /// The agent runs commands itself, inside its own sandbox limited to the project (Codex).
    Itself,
    /// The agent runs commands only after the person allows each one (Claude Code).
    Asks,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum AnsweredBy {
    Person,
    /// The session's approval setting (`--approve`).
    Setting,
    /// ClawBox, without asking: a path outside the project.
    Clawbox,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ToolCallView {
    pub id: String,
    /// True for the first event of this call.
    pub new: bool,
    pub title: Option<String>,
    /// ACP's tool kind: `read`, `edit`, `delete`, `move`, `search`, `execute`, `think`,
    /// `fetch`, `switch_mode` or `other`.
    pub kind: Option<String>,
    /// `pending`, `in_progress`, `completed` or `failed`.
    pub status: Option<String>,
    pub content: Vec<ToolContent>,
    pub paths: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum ToolContent {
    Text {
        text: String,
    },
    Diff {
        path: String,
        diff: FileDiff,
    },
    /// Output of a command (the agent's own, or a terminal it ran).
    Terminal {
        id: String,
        output: String,
    },
}

/// A file change as a unified diff, ready to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct FileDiff {
    pub unified: String,
    pub added: u32,
    pub removed: u32,
}

impl FileDiff {
    pub fn between(path: &str, old: &str, new: &str) -> FileDiff {
        let diff = similar::TextDiff::from_lines(old, new);
        let (mut added, mut removed) = (0, 0);
        for change in diff.iter_all_changes() {
            match change.tag() {
                similar::ChangeTag::Insert => added += 1,
                similar::ChangeTag::Delete => removed += 1,
                similar::ChangeTag::Equal => {}
            }
        }
        let unified = diff
            .unified_diff()
            .header(&format!("a/{path}"), &format!("b/{path}"))
            .to_string();
        FileDiff {
            unified,
            added,
            removed,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PlanItem {
    pub content: String,
    /// `pending`, `in_progress` or `completed`.
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PermissionAsk {
    /// ClawBox's number for this request (what `answer` takes).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub request: u64,
    pub tool_call_id: String,
    pub title: String,
    pub kind: Option<String>,
    /// Files it would touch (all inside the project: ClawBox refuses the rest without asking).
    pub paths: Vec<String>,
    /// The command it would run, when it is one.
    pub command: Option<String>,
    pub diff: Option<FileDiff>,
    pub options: Vec<PermissionChoice>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PermissionChoice {
    /// `allow_once`, `allow_always`, `reject_once` or `reject_always`.
    pub kind: String,
    /// The agent's label for it.
    pub name: String,
}

//! ClawBox as an Agent Client Protocol client: it starts a coding agent (Claude Code through
//! claude-code-acp, Codex through codex-acp, or an ACP command line the person added) in a
//! project folder, points the agent's model traffic at ClawBox's own gateway, and drives it
//! over ACP — streaming what the agent does as `AgentEvent`s, putting its permission requests
//! to the person (or the session's approval setting), and serving its file reads and writes
//! inside the project folder only.
//!
//! - catalog.rs: the agents ClawBox knows, the ones added in settings, installing from npm
//! - launch.rs: the agent's command line and minimal environment (gateway, tags, config home)
//! - process.rs: its process group and stderr tail
//! - transport.rs: its stdio as ACP lines, checked at the line
//! - session.rs: a session as its caller holds it; connection.rs: the ACP connection and a
//!   turn; requests.rs: the agent's requests ClawBox answers (permissions, files, commands)
//! - book.rs: the sessions' metadata (never their content), to list and reopen them
//! - terminal.rs: commands the agent asks ClawBox to run, with permission, in the folder
//! - confine.rs: the project folder as a boundary
//! - permission.rs: who answers a permission request, and with which option
//! - updates.rs / events.rs: what the caller is told
//!
//! Nothing an agent says is logged or stored here: events go to the caller only.

mod book;
mod catalog;
mod confine;
mod connection;
mod error;
mod events;
mod launch;
mod permission;
mod process;
mod requests;
mod session;
mod terminal;
mod transport;
mod updates;

pub use book::{SessionBook, SessionRecord, now};
pub use catalog::{AgentInfo, CLAUDE, CODEX, Catalog, CustomAgent, KNOWN, KnownAgent};
pub use clawbox_gateway::{AGENT_SESSION_HEADER as SESSION_HEADER, CLIENT_HEADER};
pub use confine::ProjectRoot;
pub use error::Error;
pub use events::{
    AgentEvent, AnsweredBy, CommandRunner, FileDiff, PermissionAsk, PermissionChoice, PlanItem,
    ToolCallView, ToolContent,
};
pub use launch::GatewayTarget;
pub use permission::{Answer, Approval};
pub use session::{AgentSession, SessionOptions, Started};

/// A log filter with the ACP crate's own logging turned off (it can quote what an agent sent:
/// method names, ids, parse errors), unless the filter names that crate itself.
pub fn without_protocol_log(filter: &str) -> String {
    if filter.contains("agent_client_protocol") {
        filter.to_owned()
    } else {
        format!("{filter},agent_client_protocol=off")
    }
}

/// The largest file an agent may read or write through ClawBox.
pub const MAX_FILE: u64 = 16 * 1024 * 1024;

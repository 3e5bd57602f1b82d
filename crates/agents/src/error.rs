//! The agents crate's one error: what could not start, in words for people.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "there is no agent called {name:?} (known: claude, codex, and the ones added in settings)"
    )]
    UnknownAgent { name: String },
    #[error(
        "{agent} is not installed yet: install it from the Agent screen or with `clawbox-gateway agent install {name}`"
    )]
    NotInstalled { agent: String, name: String },
    #[error(
        "{agent} needs Node.js, which is not installed on this computer: install it from nodejs.org, then try again"
    )]
    NodeMissing { agent: String },
    #[error("could not install {agent}: {message}")]
    Install { agent: String, message: String },
    #[error("the project folder {}: {message}", path.display())]
    Project { path: PathBuf, message: String },
    #[error("{agent} did not start: {message}")]
    Spawn { agent: String, message: String },
    #[error("{agent} did not open a session: {message}")]
    Handshake { agent: String, message: String },
    #[error("the agent session has ended")]
    Ended,
}

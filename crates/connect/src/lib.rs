//! Client configurators: pointing an agent's configuration at ClawBox, and undoing it exactly.
//!
//! Every file ClawBox changes is first copied, as it was, to a private (0600) backup in the data
//! folder — never beside the project, where it could be committed with the secrets it may hold —
//! and recorded in `connections.json`, so that `undo` restores it byte for byte (or removes it
//! when ClawBox created it), and so that a new port or a rotated local key reaches every
//! connected file ([`Connector::refresh`]).
//!
//! - connector.rs: [`Connector`]: connect, undo, verify and refresh, over the registry.
//! - env_file.rs: editing a `.env` while keeping its lines, comments and line endings.
//! - codex.rs, claude.rs, openclaw.rs: the Codex CLI's config.toml (toml_edit), Claude Code's
//!   settings.json and OpenClaw's openclaw.json (JSON5; json.rs keeps their comments).
//! - registry.rs: `connections.json` and the backups.
//! - diff.rs: the dry-run diff, with secrets masked.
//! - error.rs: the one error type (which file, and what went wrong).
//!
//! It sits above the request path: it reads the gateway's [`Config`] and, for [`Held::of`], the
//! running [`Gateway`]'s credentials; the request path knows nothing of it.

mod claude;
mod codex;
mod connector;
mod diff;
pub mod env_file;
mod error;
mod json;
mod openclaw;
#[cfg(test)]
mod properties;
mod registry;

use std::path::{Path, PathBuf};

use clawbox_auth::Secret;
use serde::Serialize;

use clawbox_gateway::Gateway;
use clawbox_gateway::config::{Config, Mode};
pub use connector::Connector;
pub use error::Error;

/// Which credentials ClawBox can attach for its clients.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Held {
    /// Any: a saved provider key or the ChatGPT sign-in (what OpenAI-style clients use).
    pub any: bool,
    /// An Anthropic key (what Anthropic clients such as Claude Code need).
    pub anthropic: bool,
}

impl Held {
    /// What the running `gateway` holds (saved provider keys, the ChatGPT sign-in): agents
    /// connected for those carry the local key instead of a key of their own.
    pub fn of(gateway: &Gateway) -> Held {
        let saved = gateway.credentials().saved_providers();
        Held {
            any: !saved.is_empty() || gateway.codex().is_some_and(|c| c.account().is_some()),
            anthropic: saved.contains(&clawbox_auth::Provider::Anthropic),
        }
    }
}

/// What a connected client needs to reach ClawBox.
#[derive(Clone)]
pub struct ClientSettings {
    /// The gateway's origin as clients write it, e.g. `http://localhost:18789`.
    pub gateway_url: String,
    /// The gateway's port.
    pub port: u16,
    pub user_id: Option<String>,
    /// The local key for OpenAI-style clients, when ClawBox holds credentials for them; `None`
    /// leaves the client's own key alone.
    pub local_key: Option<Secret>,
    /// The local key for Anthropic clients, when ClawBox holds an Anthropic key (or relays to
    /// the hosted gateway); `None` leaves the client's own sign-in or key alone.
    pub anthropic_key: Option<Secret>,
}

impl ClientSettings {
    /// The settings for the gateway `config` describes, listening on `port`. In hosted mode the
    /// hosted gateway holds the credentials, so clients always carry the local key.
    pub fn new(port: u16, config: &Config, local_key: Option<Secret>, held: Held) -> Self {
        let hosted = config.mode == Mode::Hosted;
        Self {
            gateway_url: format!("http://localhost:{port}"),
            port,
            user_id: config.user_id.clone(),
            local_key: local_key.clone().filter(|_| held.any || hosted),
            anthropic_key: local_key.filter(|_| held.anthropic || hosted),
        }
    }
}

/// The kinds of client ClawBox configures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// An agent project's `.env`.
    Env,
    /// OpenAI's Codex CLI.
    Codex,
    /// Anthropic's Claude Code.
    Claude,
    /// OpenClaw.
    #[serde(rename = "openclaw")]
    OpenClaw,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Env => "env",
            Kind::Codex => "codex",
            Kind::Claude => "claude",
            Kind::OpenClaw => "openclaw",
        }
    }

    /// The command that writes this kind of file again.
    fn fix_command(self, path: &Path) -> String {
        match self {
            Kind::Env => format!("clawbox-gateway connect env {}", path.display()),
            other => format!("clawbox-gateway connect {}", other.as_str()),
        }
    }

    /// Where this tool keeps its configuration (honouring `HOME` and the tool's own variable);
    /// `None` for an agent's `.env`, which the user points at.
    pub fn config_path(self) -> Option<Result<PathBuf, Error>> {
        match self {
            Kind::Env => None,
            Kind::Codex => Some(codex::config_path()),
            Kind::Claude => Some(claude::config_path()),
            Kind::OpenClaw => Some(openclaw::config_path()),
        }
    }
}

/// `before` with `kind`'s settings for ClawBox written in.
fn render(
    kind: Kind,
    path: &Path,
    before: &str,
    settings: &ClientSettings,
) -> Result<String, Error> {
    match kind {
        Kind::Env => Ok(env_file::update(before, &env_values(settings))),
        Kind::Codex => codex::render(path, before, settings),
        Kind::Claude => claude::render(path, before, settings),
        Kind::OpenClaw => openclaw::render(path, before, settings),
    }
}

/// The user's home folder (`HOME`, then the platform's idea of it).
fn home_dir() -> Result<PathBuf, Error> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .or_else(dirs::home_dir)
        .ok_or_else(|| connect_error(Path::new("~"), "no home folder is known (set HOME)"))
}

/// The outcome of a configurator (or of its dry run).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub kind: Kind,
    pub path: PathBuf,
    /// Whether the file's content differs (or would) from before.
    pub changed: bool,
    /// A unified diff of the change, secrets masked.
    pub diff: String,
    /// Where the original is kept (for undo); `None` when ClawBox created the file.
    pub backup: Option<PathBuf>,
    /// One plain sentence for people.
    pub message: String,
}

/// Whether a connected file still points at ClawBox (`Err`: what changed, and the fix).
pub type Verdict = (Connection, Result<(), String>);

/// A client configuration ClawBox keeps pointed at itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub kind: Kind,
    pub path: PathBuf,
}

fn env_values(settings: &ClientSettings) -> Vec<(&'static str, String)> {
    let mut values = vec![
        ("OPENCLAW_GATEWAY_URL", settings.gateway_url.clone()),
        ("OPENAI_BASE_URL", format!("{}/v1", settings.gateway_url)),
    ];
    if let Some(user) = &settings.user_id {
        values.push(("USER_ID", user.clone()));
    }
    if let Some(key) = &settings.local_key {
        values.push(("OPENAI_API_KEY", key.expose().to_owned()));
    }
    values
}

/// A project folder means its `.env`; anything else is the file itself (whose folder must exist).
fn env_path(target: &Path) -> Result<PathBuf, Error> {
    let target = if target.is_dir() {
        target.join(".env")
    } else {
        target.to_owned()
    };
    let path = absolute(&target)?;
    // Only dotenv files (`.env`, `.env.local`, `prod.env`): a mistyped path never turns another
    // file into one.
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !(name.starts_with(".env") || name.ends_with(".env")) {
        return Err(connect_error(
            &target,
            "ClawBox only edits .env files: choose the agent's project folder or its .env file",
        ));
    }
    Ok(path)
}

/// `target` with its folder made absolute (the folder must exist; the file need not).
fn absolute(target: &Path) -> Result<PathBuf, Error> {
    let folder = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    let folder = folder.canonicalize().map_err(|e| {
        connect_error(
            target,
            &format!(
                "its folder {} cannot be used ({e}); choose the agent's project folder",
                folder.display()
            ),
        )
    })?;
    let name = target
        .file_name()
        .ok_or_else(|| connect_error(target, "this is not a file name"))?;
    Ok(folder.join(name))
}

fn read_optional(path: &Path) -> Result<Option<String>, Error> {
    match std::fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes).map(Some).map_err(|_| {
            connect_error(
                path,
                "it is not a text file (not UTF-8); nothing was changed",
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(connect_error(path, &format!("it cannot be read: {e}"))),
    }
}

fn connect_error(path: &Path, message: &str) -> Error {
    Error {
        path: path.to_owned(),
        message: message.to_owned(),
    }
}

//! Client configurators: pointing an agent's configuration at ClawBox, and undoing it exactly.
//!
//! Every file ClawBox changes is first copied, as it was, to a private (0600) backup in the data
//! folder — never beside the project, where it could be committed with the secrets it may hold —
//! and recorded in `connections.json`, so that `undo` restores it byte for byte (or removes it
//! when ClawBox created it), and so that a new port or a rotated local key reaches every
//! connected file ([`Connector::refresh`]).
//!
//! - env_file.rs: editing a `.env` while keeping its lines, comments and line endings.
//! - registry.rs: `connections.json` and the backups.
//! - diff.rs: the dry-run diff, with secrets masked.

mod diff;
pub mod env_file;
mod registry;

use std::path::{Path, PathBuf};

use clawbox_auth::Secret;
use serde::Serialize;

use crate::Error;
use crate::config::Config;
use registry::{Record, Registry};

/// What a connected client needs to reach ClawBox.
#[derive(Clone)]
pub struct ClientSettings {
    /// The gateway's origin as clients write it, e.g. `http://localhost:18789`.
    pub gateway_url: String,
    pub user_id: Option<String>,
    /// The local key, written as the client's API key when ClawBox holds the credentials (a
    /// saved provider key or the ChatGPT sign-in); `None` leaves the client's own key alone.
    pub local_key: Option<Secret>,
}

impl ClientSettings {
    /// The settings for the gateway `config` describes, listening on `port`. The local key is
    /// included only when `holds_credentials` (a saved provider key, or the ChatGPT sign-in):
    /// otherwise the client's own key is what it must keep sending.
    pub fn new(
        port: u16,
        config: &Config,
        local_key: Option<Secret>,
        holds_credentials: bool,
    ) -> Self {
        Self {
            gateway_url: format!("http://localhost:{port}"),
            user_id: config.user_id.clone(),
            local_key: local_key.filter(|_| holds_credentials),
        }
    }
}

/// The kinds of client ClawBox configures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// An agent project's `.env`.
    Env,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Env => "env",
        }
    }

    /// The command that writes this kind of file again.
    fn fix_command(self, path: &Path) -> String {
        match self {
            Kind::Env => format!("clawbox-gateway connect env {}", path.display()),
        }
    }
}

/// `before` with `kind`'s settings for ClawBox written in.
fn render(
    kind: Kind,
    _path: &Path,
    before: &str,
    settings: &ClientSettings,
) -> Result<String, Error> {
    match kind {
        Kind::Env => Ok(env_file::update(before, &env_values(settings))),
    }
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
    /// Where the original is kept (for undo).
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

/// The configurators, over ClawBox's data folder (where backups and the registry live).
pub struct Connector {
    registry: Registry,
}

impl Connector {
    pub fn new(data_dir: &Path) -> Self {
        Self {
            registry: Registry::new(data_dir),
        }
    }

    /// Points the agent project at `target` (its folder, or its `.env` file) at ClawBox:
    /// `OPENCLAW_GATEWAY_URL`, `OPENAI_BASE_URL`, `USER_ID` (when set) and `OPENAI_API_KEY` (the
    /// local key, when ClawBox holds the credentials).
    pub fn connect_env(
        &self,
        target: &Path,
        settings: &ClientSettings,
        dry_run: bool,
    ) -> Result<Change, Error> {
        self.connect_at(Kind::Env, &env_path(target)?, settings, dry_run)
    }

    /// Restores a file ClawBox changed — `target` is the file, or an agent project's folder
    /// for its `.env` — exactly as it was before ClawBox first changed it.
    pub fn undo(&self, target: &Path, dry_run: bool) -> Result<Change, Error> {
        let path = if target.is_dir() {
            target.join(".env")
        } else {
            target.to_owned()
        };
        self.undo_at(&absolute(&path)?, dry_run)
    }

    /// Writes `kind`'s settings into the file at `path` (backing it up the first time).
    fn connect_at(
        &self,
        kind: Kind,
        path: &Path,
        settings: &ClientSettings,
        dry_run: bool,
    ) -> Result<Change, Error> {
        let original = read_optional(path)?;
        let before = original.clone().unwrap_or_default();
        let after = render(kind, path, &before, settings)?;
        let changed = original.as_deref() != Some(after.as_str());
        let diff = diff::unified(path, &before, &after);
        let known = self.registry.find(path)?;
        let (backup, message) = if dry_run {
            let message = if changed {
                format!("{} would be updated to point at ClawBox", path.display())
            } else {
                format!("{} already points at ClawBox", path.display())
            };
            (known.map(|r| r.backup), message)
        } else {
            let record = match known {
                Some(record) => record,
                None => self.registry.remember(kind, path, original.as_deref())?,
            };
            if changed {
                registry::write_private(path, after.as_bytes())?;
            }
            let message = if changed {
                format!(
                    "{} now points at ClawBox; the previous version is kept, and undo restores it",
                    path.display()
                )
            } else {
                format!("{} already points at ClawBox", path.display())
            };
            (Some(record.backup), message)
        };
        Ok(Change {
            kind,
            path: path.to_owned(),
            changed,
            diff,
            backup,
            message,
        })
    }

    /// Restores `path` exactly as it was before ClawBox first changed it (removing it when
    /// ClawBox created it), and forgets it.
    fn undo_at(&self, path: &Path, dry_run: bool) -> Result<Change, Error> {
        let Some(record) = self.registry.find(path)? else {
            return Err(connect_error(
                path,
                "ClawBox has not changed this file, so there is nothing to undo",
            ));
        };
        let current = read_optional(path)?.unwrap_or_default();
        let original = record.original()?;
        let restored = original.clone().unwrap_or_default();
        let diff = diff::unified(path, &current, &restored);
        let changed = current != restored || (original.is_none() && path.exists());
        if !dry_run {
            record.restore(original.as_deref())?;
            self.registry.forget(path)?;
        }
        let message = match (&original, dry_run) {
            (Some(_), false) => format!("{} is back as it was before ClawBox", path.display()),
            (None, false) => format!("{} was created by ClawBox and is removed", path.display()),
            (Some(_), true) => format!("{} would be restored", path.display()),
            (None, true) => format!("{} would be removed", path.display()),
        };
        Ok(Change {
            kind: record.kind,
            path: path.to_owned(),
            changed,
            diff,
            backup: None,
            message,
        })
    }

    /// Whether each connected file still points at ClawBox (for `doctor`): `Err` says what
    /// changed and how to fix it.
    pub fn verify(&self, settings: &ClientSettings) -> Result<Vec<Verdict>, Error> {
        Ok(self
            .registry
            .all()?
            .into_iter()
            .map(|Record { kind, path, .. }| {
                let verdict = match read_optional(&path) {
                    Ok(None) => Err(format!(
                        "{} is gone; run `{}` to write it again",
                        path.display(),
                        kind.fix_command(&path)
                    )),
                    Ok(Some(text)) => match render(kind, &path, &text, settings) {
                        Ok(rendered) if rendered == text => Ok(()),
                        Ok(_) => Err(format!(
                            "{} no longer points at ClawBox (it was changed, or ClawBox's port or \
                             key changed since); run `{}`",
                            path.display(),
                            kind.fix_command(&path)
                        )),
                        Err(e) => Err(e.to_string()),
                    },
                    Err(e) => Err(e.to_string()),
                };
                (Connection { kind, path }, verdict)
            })
            .collect())
    }

    /// The client files ClawBox keeps pointed at itself.
    pub fn connections(&self) -> Result<Vec<Connection>, Error> {
        Ok(self
            .registry
            .all()?
            .into_iter()
            .map(|r| Connection {
                kind: r.kind,
                path: r.path,
            })
            .collect())
    }

    /// Rewrites every connected file for new settings (a new port, a rotated local key). A file
    /// that cannot be rewritten is reported and the others still are.
    pub fn refresh(&self, settings: &ClientSettings) -> Result<Vec<Result<Change, Error>>, Error> {
        Ok(self
            .registry
            .all()?
            .into_iter()
            .map(|Record { kind, path, .. }| self.connect_at(kind, &path, settings, false))
            .collect())
    }
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
    Error::Connect {
        path: path.to_owned(),
        message: message.to_owned(),
    }
}

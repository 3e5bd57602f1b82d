//! [`Connector`]: the one path every configurator takes — render, diff, back up, record, write —
//! and its inverse (undo), its check (verify) and its follow-up (refresh).

use std::path::Path;

use crate::Error;
use crate::registry::{self, Record, Registry};
use crate::{
    Change, ClientSettings, Connection, Kind, Verdict, absolute, connect_error, diff, env_path,
    openclaw, read_optional, render,
};

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

    /// Points a tool (Codex CLI, Claude Code, OpenClaw) at ClawBox in its own configuration
    /// file, creating the file (and its folder) when the tool has none yet.
    pub fn connect_tool(
        &self,
        kind: Kind,
        settings: &ClientSettings,
        dry_run: bool,
    ) -> Result<Change, Error> {
        let path = kind.config_path().ok_or_else(|| {
            connect_error(
                Path::new(".env"),
                "an agent's .env needs its project folder",
            )
        })??;
        if !dry_run && let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder)
                .map_err(|e| connect_error(&path, &format!("its folder cannot be made: {e}")))?;
        }
        let path = if path.parent().is_some_and(Path::exists) {
            absolute(&path)?
        } else {
            path
        };
        self.connect_at(kind, &path, settings, dry_run)
    }

    /// Undoes [`Connector::connect_tool`] for `kind`.
    pub fn undo_tool(&self, kind: Kind, dry_run: bool) -> Result<Change, Error> {
        let path = kind.config_path().ok_or_else(|| {
            connect_error(
                Path::new(".env"),
                "an agent's .env needs its project folder",
            )
        })??;
        self.undo(&path, dry_run)
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
            // A file ClawBox created has no backup: undo removes it.
            (known.filter(|r| r.existed).map(|r| r.backup), message)
        } else {
            let record = match known {
                Some(record) => record,
                None => self.registry.remember(kind, path, original.as_deref())?,
            };
            if changed {
                registry::write_private(path, after.as_bytes())?;
            }
            let mut message = if changed {
                format!(
                    "{} now points at ClawBox; the previous version is kept, and undo restores it",
                    path.display()
                )
            } else {
                format!("{} already points at ClawBox", path.display())
            };
            if kind == Kind::OpenClaw
                && let Some(note) = openclaw::note(&before, &after)
            {
                message.push_str(&format!(". {note}"));
            }
            (record.existed.then_some(record.backup), message)
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

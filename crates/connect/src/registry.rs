//! `connections.json` (which client files ClawBox changed, and where their originals are) and the
//! private backups in `<data dir>/backups/`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::Error;
use crate::{Kind, connect_error};

const REGISTRY_FILE: &str = "connections.json";
const BACKUP_DIR: &str = "backups";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Record {
    pub kind: Kind,
    pub path: PathBuf,
    pub backup: PathBuf,
    /// Whether the file existed before ClawBox wrote it (undo removes it otherwise).
    pub existed: bool,
    /// Its Unix permissions before, restored by undo.
    #[serde(default)]
    pub mode: Option<u32>,
}

impl Record {
    /// The file's content before ClawBox changed it (`None`: it did not exist).
    pub fn original(&self) -> Result<Option<String>, Error> {
        if !self.existed {
            return Ok(None);
        }
        std::fs::read_to_string(&self.backup)
            .map(Some)
            .map_err(|e| {
                connect_error(
                    &self.path,
                    &format!(
                        "its backup {} cannot be read ({e}), so it cannot be restored",
                        self.backup.display()
                    ),
                )
            })
    }

    /// Puts `original` back (or removes the file ClawBox created), then drops the backup.
    pub fn restore(&self, original: Option<&str>) -> Result<(), Error> {
        match original {
            Some(text) => {
                write_private(&self.path, text.as_bytes())?;
                #[cfg(unix)]
                if let Some(mode) = self.mode {
                    use std::os::unix::fs::PermissionsExt;
                    std::fs::set_permissions(&self.path, std::fs::Permissions::from_mode(mode))
                        .map_err(|e| connect_error(&self.path, &e.to_string()))?;
                }
            }
            None => match std::fs::remove_file(&self.path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(connect_error(&self.path, &e.to_string())),
            },
        }
        let _ = std::fs::remove_file(&self.backup);
        Ok(())
    }
}

pub(crate) struct Registry {
    file: PathBuf,
    backups: PathBuf,
}

impl Registry {
    pub fn new(data_dir: &Path) -> Self {
        Self {
            file: data_dir.join(REGISTRY_FILE),
            backups: data_dir.join(BACKUP_DIR),
        }
    }

    pub fn all(&self) -> Result<Vec<Record>, Error> {
        match std::fs::read_to_string(&self.file) {
            Ok(text) if text.trim().is_empty() => Ok(Vec::new()),
            Ok(text) => serde_json::from_str(&text).map_err(|e| {
                connect_error(
                    &self.file,
                    &format!("it is not a list of connections ({e}); fix or delete it"),
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(connect_error(&self.file, &e.to_string())),
        }
    }

    pub fn find(&self, path: &Path) -> Result<Option<Record>, Error> {
        Ok(self.all()?.into_iter().find(|r| r.path == path))
    }

    /// Backs `path` up (its `original` content) and records it.
    pub fn remember(
        &self,
        kind: Kind,
        path: &Path,
        original: Option<&str>,
    ) -> Result<Record, Error> {
        std::fs::create_dir_all(&self.backups)
            .map_err(|e| connect_error(&self.backups, &e.to_string()))?;
        let digest = Sha256::digest(path.as_os_str().as_encoded_bytes());
        let id: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
        let backup = self.backups.join(format!("{}-{id}.bak", kind.as_str()));
        if let Some(text) = original {
            write_private(&backup, text.as_bytes())?;
        }
        let record = Record {
            kind,
            path: path.to_owned(),
            backup,
            existed: original.is_some(),
            mode: mode_of(path),
        };
        let mut all = self.all()?;
        all.push(record.clone());
        self.save(&all)?;
        Ok(record)
    }

    pub fn forget(&self, path: &Path) -> Result<(), Error> {
        let mut all = self.all()?;
        all.retain(|r| r.path != path);
        self.save(&all)
    }

    fn save(&self, all: &[Record]) -> Result<(), Error> {
        let text = serde_json::to_string_pretty(all)
            .map_err(|e| connect_error(&self.file, &e.to_string()))?;
        write_private(&self.file, (text + "\n").as_bytes())
    }
}

/// Writes `bytes` to `path` through a temporary file and a rename (a crash never leaves half a
/// file), readable by the owner only: these files hold the local key.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    use std::io::Write;
    let fail = |e: std::io::Error| connect_error(path, &format!("it cannot be written: {e}"));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.clawbox-tmp"));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp).map_err(fail)?;
    #[cfg(unix)]
    {
        // An old temporary file keeps its mode through `open`: set it again.
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(fail)?;
    }
    file.write_all(bytes).map_err(fail)?;
    file.sync_all().map_err(fail)?;
    drop(file);
    std::fs::rename(&tmp, path).map_err(fail)
}

fn mode_of(path: &Path) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path)
            .ok()
            .map(|m| m.permissions().mode() & 0o7777)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

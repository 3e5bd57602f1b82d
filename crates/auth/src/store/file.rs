//! The opt-in file store (`CLAWBOX_SECRET_STORE=file`) for servers with no keychain: a JSON
//! object in `<data dir>/secrets.json`, readable by the user only, replaced atomically.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use crate::store::SecretStore;
use crate::{AuthError, Secret};

pub const SECRETS_FILE: &str = "secrets.json";

pub struct FileStore {
    path: PathBuf,
    /// One writer at a time within the process.
    lock: Mutex<()>,
}

impl FileStore {
    pub fn new(data_dir: &Path) -> Self {
        Self {
            path: data_dir.join(SECRETS_FILE),
            lock: Mutex::new(()),
        }
    }

    fn fail(&self, reason: impl ToString) -> AuthError {
        AuthError::File {
            path: self.path.display().to_string(),
            reason: reason.to_string(),
        }
    }

    fn read(&self) -> Result<BTreeMap<String, String>, AuthError> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| self.fail(format!("it is not a ClawBox secrets file ({e})"))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(e) => Err(self.fail(e)),
        }
    }

    fn write(&self, items: &BTreeMap<String, String>) -> Result<(), AuthError> {
        let bytes = serde_json::to_vec_pretty(items).map_err(|e| self.fail(e))?;
        let tmp = self.path.with_extension("json.tmp");
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&tmp).map_err(|e| self.fail(e))?;
        file.write_all(&bytes).map_err(|e| self.fail(e))?;
        file.sync_all().map_err(|e| self.fail(e))?;
        std::fs::rename(&tmp, &self.path).map_err(|e| self.fail(e))
    }
}

impl SecretStore for FileStore {
    fn get(&self, name: &str) -> Result<Option<Secret>, AuthError> {
        Ok(self.read()?.remove(name).map(Secret::new))
    }

    fn set(&self, name: &str, value: &Secret) -> Result<(), AuthError> {
        let _guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        let mut items = self.read()?;
        items.insert(name.to_owned(), value.expose().to_owned());
        self.write(&items)
    }

    fn delete(&self, name: &str) -> Result<(), AuthError> {
        let _guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        let mut items = self.read()?;
        if items.remove(name).is_some() {
            self.write(&items)?;
        }
        Ok(())
    }

    fn describe(&self) -> &'static str {
        "the secrets file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_in_a_private_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path());
        assert_eq!(store.get("k").unwrap(), None);
        store.set("k", &Secret::new("v1")).unwrap();
        store.set("k", &Secret::new("v2")).unwrap();
        assert_eq!(store.get("k").unwrap(), Some(Secret::new("v2")));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(SECRETS_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        store.delete("k").unwrap();
        store.delete("k").unwrap();
        assert_eq!(store.get("k").unwrap(), None);
    }

    #[test]
    fn a_damaged_file_is_an_error_not_an_empty_store() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(SECRETS_FILE), "not json").unwrap();
        let store = FileStore::new(dir.path());
        assert!(matches!(store.get("k"), Err(AuthError::File { .. })));
        assert!(store.set("k", &Secret::new("v")).is_err());
        assert_eq!(
            std::fs::read_to_string(dir.path().join(SECRETS_FILE)).unwrap(),
            "not json"
        );
    }
}

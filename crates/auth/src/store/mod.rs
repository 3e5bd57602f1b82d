//! Where secrets live. The OS keychain is the default and the source of truth; a private file is
//! an explicit opt-in for servers without one; memory is for tests.

mod chunked;
mod file;
mod keychain;
mod memory;

use std::path::Path;
use std::sync::Arc;

pub use file::{FileStore, SECRETS_FILE};
pub use keychain::KeychainStore;
pub use memory::MemoryStore;

use crate::{AuthError, Secret};

/// A store of named secrets. Implementations update an existing item in place (never delete
/// and recreate: on macOS that re-prompts the user for access).
pub trait SecretStore: Send + Sync {
    fn get(&self, name: &str) -> Result<Option<Secret>, AuthError>;
    fn set(&self, name: &str, value: &Secret) -> Result<(), AuthError>;
    /// Removes the item; removing what is not there is not an error.
    fn delete(&self, name: &str) -> Result<(), AuthError>;
    /// What the user should call this store ("the system keychain").
    fn describe(&self) -> &'static str;
}

/// Which store to use (`CLAWBOX_SECRET_STORE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretStoreKind {
    Keychain,
    File,
}

impl SecretStoreKind {
    pub fn parse(value: &str) -> Result<Self, AuthError> {
        match value.trim().to_ascii_lowercase().as_str() {
            "" | "keychain" => Ok(Self::Keychain),
            "file" => Ok(Self::File),
            other => Err(AuthError::UnknownStore(other.to_owned())),
        }
    }
}

/// Opens the chosen store. There is no fallback: when the keychain is unavailable, that is the
/// answer, and the caller says so.
pub fn open_store(
    kind: SecretStoreKind,
    data_dir: &Path,
) -> Result<Arc<dyn SecretStore>, AuthError> {
    match kind {
        SecretStoreKind::Keychain => Ok(Arc::new(KeychainStore::open()?)),
        SecretStoreKind::File => {
            tracing::warn!(
                "secrets are kept in {} (CLAWBOX_SECRET_STORE=file), not in the system keychain",
                data_dir.join(SECRETS_FILE).display()
            );
            Ok(Arc::new(FileStore::new(data_dir)))
        }
    }
}

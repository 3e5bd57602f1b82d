//! The OS keychain through keyring-core and the platform's own store crate: Secret Service on
//! Linux, the login keychain on macOS, Credential Manager on Windows.

use std::sync::Arc;

use keyring_core::{CredentialStore, Entry, Error as KeyringError};

use crate::store::SecretStore;
use crate::store::chunked::{Chunked, RawStore};
use crate::{AuthError, KEYCHAIN_SERVICE, Secret};

/// The largest value written as one keychain item. Windows Credential Manager holds 2560 bytes
/// (UTF-16: 1280 characters), so an OAuth bundle (3–6 KB) is split there; the other platforms'
/// stores hold it whole.
#[cfg(target_os = "windows")]
const ITEM_LIMIT: usize = 1200;
#[cfg(not(target_os = "windows"))]
const ITEM_LIMIT: usize = 64 * 1024;

pub struct KeychainStore {
    inner: Chunked<Raw>,
}

struct Raw {
    store: Arc<CredentialStore>,
}

impl KeychainStore {
    /// Connects to the platform's keychain. Fails plainly when there is none (a headless Linux
    /// box without a Secret Service, for one).
    pub fn open() -> Result<Self, AuthError> {
        Self::open_with_item_limit(ITEM_LIMIT)
    }

    /// As [`KeychainStore::open`], splitting values larger than `limit` bytes (tests use a small
    /// limit to exercise the Windows path on any platform).
    pub fn open_with_item_limit(limit: usize) -> Result<Self, AuthError> {
        let store = platform_store().map_err(|e| AuthError::KeychainUnavailable(e.to_string()))?;
        Ok(Self {
            inner: Chunked::new(Raw { store }, limit),
        })
    }
}

#[cfg(target_os = "linux")]
fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Ok(zbus_secret_service_keyring_store::Store::new()?)
}

#[cfg(target_os = "macos")]
fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Ok(apple_native_keyring_store::keychain::Store::new()?)
}

#[cfg(target_os = "windows")]
fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Ok(windows_native_keyring_store::Store::new()?)
}

#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Err(KeyringError::NotSupportedByStore(
        "no keychain support on this platform".into(),
    ))
}

impl Raw {
    fn entry(&self, name: &str) -> Result<Entry, AuthError> {
        self.store
            .build(KEYCHAIN_SERVICE, name, None)
            .map_err(|e| map_error(name, e))
    }
}

impl RawStore for Raw {
    fn get(&self, name: &str) -> Result<Option<String>, AuthError> {
        match self.entry(name)?.get_password() {
            Ok(value) => Ok(Some(value)),
            Err(KeyringError::NoEntry) => Ok(None),
            Err(e) => Err(map_error(name, e)),
        }
    }

    fn set(&self, name: &str, value: &str) -> Result<(), AuthError> {
        self.entry(name)?
            .set_password(value)
            .map_err(|e| map_error(name, e))
    }

    fn delete(&self, name: &str) -> Result<(), AuthError> {
        match self.entry(name)?.delete_credential() {
            Ok(()) | Err(KeyringError::NoEntry) => Ok(()),
            Err(e) => Err(map_error(name, e)),
        }
    }
}

fn map_error(name: &str, e: KeyringError) -> AuthError {
    match e {
        KeyringError::PlatformFailure(inner) => AuthError::KeychainUnavailable(inner.to_string()),
        KeyringError::NoStorageAccess(inner) => AuthError::KeychainLocked(inner.to_string()),
        KeyringError::BadEncoding(_) | KeyringError::BadDataFormat(..) => AuthError::Corrupt {
            name: name.to_owned(),
            reason: "it is not text".into(),
        },
        other => AuthError::Keychain(other.to_string()),
    }
}

impl SecretStore for KeychainStore {
    fn get(&self, name: &str) -> Result<Option<Secret>, AuthError> {
        self.inner.get(name)
    }
    fn set(&self, name: &str, value: &Secret) -> Result<(), AuthError> {
        self.inner.set(name, value)
    }
    fn delete(&self, name: &str) -> Result<(), AuthError> {
        self.inner.delete(name)
    }
    fn describe(&self) -> &'static str {
        "the system keychain"
    }
}

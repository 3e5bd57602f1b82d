//! ClawBox's credentials, free of Tauri: shared by the desktop app, the headless gateway and the
//! command line, with the OS keychain as the single source of truth.
//!
//! Layout:
//! - [`Secret`]: the redacting type every secret travels in (`Debug` prints `<redacted>`, no
//!   `Serialize`, read through `expose()` so each use is greppable).
//! - [`SecretStore`] and its stores (store/): the OS keychain (default), an opt-in 0600 file for
//!   servers without one, and an in-memory store with error injection for tests. Values too
//!   large for a platform's keychain item are split with an integrity check (chunked.rs).
//! - [`LocalKey`]: the `cbx_…` key agents present to use stored credentials.
//! - [`Credentials`]: what the serving process holds in memory, re-read from the store on a miss.
//! - [`codex`]: "Sign in with ChatGPT" (OAuth with PKCE) and the refreshing session.

pub mod codex;
mod credentials;
mod error;
mod local_key;
mod secret;
mod store;

pub use credentials::{
    Credentials, KeychainState, Provider, check_key_for, check_provider_key, check_provider_name,
};
pub use error::AuthError;
pub use local_key::{LOCAL_KEY_PREFIX, LocalKey};
pub use secret::Secret;
pub use store::{
    FileStore, KeychainStore, MemoryStore, SECRETS_FILE, SecretStore, SecretStoreKind, open_store,
};

/// The keychain "service" every ClawBox item is filed under (the bundle identifier).
pub const KEYCHAIN_SERVICE: &str = "ai.organized.clawbox";

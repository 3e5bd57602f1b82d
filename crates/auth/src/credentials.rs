//! What the serving process knows of the stored credentials.
//!
//! The store (the keychain) is the source of truth, shared with the app and the command line,
//! which may rotate the local key or save a provider key while the gateway runs. So: everything
//! is read once at start-up and cached; a miss (a local key that does not match, a provider key
//! not cached) re-reads the store, at most once per [`REREAD_EVERY`], never per request.

use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use crate::{AuthError, LocalKey, Secret, SecretStore};

/// A miss re-reads the store at most this often (a wrong key cannot hammer the keychain). The
/// read at start-up does not count: the first miss after it always re-reads.
const REREAD_EVERY: Duration = Duration::from_millis(250);
const LOCAL_KEY_ITEM: &str = "local-key";

/// A provider whose API key ClawBox can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    OpenAi,
    Anthropic,
}

impl Provider {
    pub const ALL: [Provider; 2] = [Provider::OpenAi, Provider::Anthropic];

    pub fn name(self) -> &'static str {
        match self {
            Provider::OpenAi => "openai",
            Provider::Anthropic => "anthropic",
        }
    }

    pub fn parse(name: &str) -> Option<Provider> {
        Provider::ALL.into_iter().find(|p| p.name() == name)
    }

    fn item(self) -> &'static str {
        match self {
            Provider::OpenAi => "openai-api-key",
            Provider::Anthropic => "anthropic-api-key",
        }
    }
}

/// A provider API key as a person pasted it: trimmed, and refused with a plain reason when it
/// cannot be one (empty, a ClawBox local key, spaces or line breaks inside).
pub fn check_provider_key(provider: Provider, pasted: &str) -> Result<Secret, String> {
    let key = pasted.trim();
    if key.is_empty() {
        return Err(format!("no {} API key was given", provider.name()));
    }
    if key.starts_with(crate::LOCAL_KEY_PREFIX) {
        return Err(format!(
            "that is a ClawBox local key, not an {} API key",
            provider.name()
        ));
    }
    if key.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("an API key has no spaces or line breaks: paste the key alone".into());
    }
    if key.len() > 4096 {
        return Err("that is too long to be an API key: paste the key alone".into());
    }
    Ok(Secret::new(key))
}

/// Whether stored credentials can be used at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeychainState {
    Ready,
    /// The store could not be opened or read: why, in words for the user.
    Unavailable(String),
}

#[derive(Default)]
struct Cache {
    local_key: Option<Secret>,
    openai: Option<Secret>,
    anthropic: Option<Secret>,
    problem: Option<String>,
}

impl Cache {
    fn key(&self, provider: Provider) -> &Option<Secret> {
        match provider {
            Provider::OpenAi => &self.openai,
            Provider::Anthropic => &self.anthropic,
        }
    }
}

pub struct Credentials {
    store: Option<Arc<dyn SecretStore>>,
    cache: RwLock<Cache>,
    last_read: Mutex<Option<Instant>>,
}

impl Credentials {
    /// Reads everything from `store` (blocking: call at start-up or off the async workers),
    /// creating the local key on first run. An unavailable store is remembered, not fatal: a
    /// caller's own provider keys still work without it.
    pub fn load(store: Result<Arc<dyn SecretStore>, AuthError>) -> Self {
        let (store, problem) = match store {
            Ok(store) => (Some(store), None),
            Err(e) => (None, Some(e.to_string())),
        };
        let credentials = Self {
            store,
            cache: RwLock::new(Cache {
                problem,
                ..Cache::default()
            }),
            last_read: Mutex::new(None),
        };
        credentials.reread();
        if credentials.state() == KeychainState::Ready
            && credentials.local_key().is_none()
            && let Err(e) = credentials.rotate_local_key()
        {
            tracing::warn!(error = %e, "cannot create the local key");
        }
        credentials
    }

    pub fn state(&self) -> KeychainState {
        match &self.read_cache().problem {
            Some(p) => KeychainState::Unavailable(p.clone()),
            None => KeychainState::Ready,
        }
    }

    /// The secret store itself (for the ChatGPT sign-in, kept beside the keys), when usable.
    pub fn secret_store(&self) -> Option<Arc<dyn SecretStore>> {
        self.store.clone()
    }

    pub fn store_name(&self) -> &'static str {
        self.store
            .as_ref()
            .map_or("the system keychain", |s| s.describe())
    }

    pub fn local_key(&self) -> Option<Secret> {
        self.read_cache().local_key.clone()
    }

    /// Whether `presented` matches the cached local key (never touches the store).
    pub fn local_key_matches_cached(&self, presented: &str) -> bool {
        self.read_cache()
            .local_key
            .as_ref()
            .is_some_and(|k| LocalKey::matches(presented, k))
    }

    /// The cached key for `provider` (never touches the store).
    pub fn cached_provider_key(&self, provider: Provider) -> Option<Secret> {
        self.read_cache().key(provider).clone()
    }

    /// Whether `presented` is the current local key. On a mismatch the store is re-read once
    /// (the key may have been rotated by the app or the command line). Blocking on a miss.
    pub fn check_local_key(&self, presented: &str) -> bool {
        let matches = |c: &Cache| {
            c.local_key
                .as_ref()
                .is_some_and(|k| LocalKey::matches(presented, k))
        };
        if matches(&self.read_cache()) {
            return true;
        }
        self.reread_if_due() && matches(&self.read_cache())
    }

    /// The saved key for `provider`, re-reading the store once when none is cached. Blocking
    /// on a miss.
    pub fn provider_key(&self, provider: Provider) -> Option<Secret> {
        if let Some(key) = self.cached_provider_key(provider) {
            return Some(key);
        }
        self.reread_if_due();
        self.cached_provider_key(provider)
    }

    /// Which providers have a saved key (names only: for status screens).
    pub fn saved_providers(&self) -> Vec<Provider> {
        let cache = self.read_cache();
        Provider::ALL
            .into_iter()
            .filter(|p| cache.key(*p).is_some())
            .collect()
    }

    pub fn save_provider_key(&self, provider: Provider, key: Secret) -> Result<(), AuthError> {
        self.store()?.set(provider.item(), &key)?;
        let mut cache = self.write_cache();
        match provider {
            Provider::OpenAi => cache.openai = Some(key),
            Provider::Anthropic => cache.anthropic = Some(key),
        }
        Ok(())
    }

    pub fn remove_provider_key(&self, provider: Provider) -> Result<(), AuthError> {
        self.store()?.delete(provider.item())?;
        let mut cache = self.write_cache();
        match provider {
            Provider::OpenAi => cache.openai = None,
            Provider::Anthropic => cache.anthropic = None,
        }
        Ok(())
    }

    /// Makes a new local key, stores it (updating the item in place) and returns it. The old
    /// key stops working at once here, and in any other process at its next miss.
    pub fn rotate_local_key(&self) -> Result<Secret, AuthError> {
        let key = LocalKey::generate();
        self.store()?.set(LOCAL_KEY_ITEM, &key)?;
        self.write_cache().local_key = Some(key.clone());
        Ok(key)
    }

    /// Deletes the saved provider keys and the local key from the store ("reset ClawBox"; the
    /// ChatGPT sign-in is removed by signing out, which also revokes it).
    pub fn forget_all(&self) -> Result<(), AuthError> {
        let store = self.store()?;
        for item in [
            Provider::OpenAi.item(),
            Provider::Anthropic.item(),
            LOCAL_KEY_ITEM,
        ] {
            store.delete(item)?;
        }
        let mut cache = self.write_cache();
        cache.openai = None;
        cache.anthropic = None;
        cache.local_key = None;
        Ok(())
    }

    fn store(&self) -> Result<&Arc<dyn SecretStore>, AuthError> {
        match &self.store {
            Some(store) => Ok(store),
            None => Err(AuthError::KeychainUnavailable(
                self.read_cache().problem.clone().unwrap_or_default(),
            )),
        }
    }

    /// Re-reads the store unless it was read within [`REREAD_EVERY`]; returns whether it did.
    fn reread_if_due(&self) -> bool {
        {
            let mut last = self
                .last_read
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if last.is_some_and(|t| t.elapsed() < REREAD_EVERY) {
                return false;
            }
            *last = Some(Instant::now());
        }
        self.reread();
        true
    }

    fn reread(&self) {
        let Some(store) = &self.store else { return };
        let read = || -> Result<Cache, AuthError> {
            Ok(Cache {
                local_key: store.get(LOCAL_KEY_ITEM)?,
                openai: store.get(Provider::OpenAi.item())?,
                anthropic: store.get(Provider::Anthropic.item())?,
                problem: None,
            })
        };
        match read() {
            Ok(fresh) => *self.write_cache() = fresh,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read stored credentials");
                // Keep what is cached: a keychain hiccup must not sign everyone out.
                self.write_cache().problem = Some(e.to_string());
            }
        }
    }

    fn read_cache(&self) -> std::sync::RwLockReadGuard<'_, Cache> {
        self.cache.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write_cache(&self) -> std::sync::RwLockWriteGuard<'_, Cache> {
        self.cache.write().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemoryStore;

    fn load(store: &Arc<MemoryStore>) -> Credentials {
        Credentials::load(Ok(store.clone() as Arc<dyn SecretStore>))
    }

    #[test]
    fn first_run_creates_and_stores_a_local_key() {
        let store = Arc::new(MemoryStore::new());
        let creds = load(&store);
        let key = creds.local_key().expect("created");
        assert_eq!(store.get(LOCAL_KEY_ITEM).unwrap(), Some(key.clone()));
        // A second start reuses it.
        assert_eq!(load(&store).local_key(), Some(key));
    }

    #[test]
    fn a_key_rotated_elsewhere_is_picked_up_on_a_miss_and_the_old_one_refused() {
        let store = Arc::new(MemoryStore::new());
        let serving = load(&store);
        let old = serving.local_key().unwrap();
        let other_process = load(&store);
        std::thread::sleep(REREAD_EVERY);
        let new = other_process.rotate_local_key().unwrap();
        assert!(
            serving.check_local_key(new.expose()),
            "re-read after rotation"
        );
        assert!(!serving.check_local_key(old.expose()));
    }

    #[test]
    fn hits_are_served_from_memory() {
        let store = Arc::new(MemoryStore::new());
        let creds = load(&store);
        creds
            .save_provider_key(Provider::OpenAi, Secret::new("sk-saved"))
            .unwrap();
        let reads = store.reads();
        let key = creds.local_key().unwrap();
        for _ in 0..100 {
            assert!(creds.check_local_key(key.expose()));
            assert_eq!(
                creds.provider_key(Provider::OpenAi),
                Some(Secret::new("sk-saved"))
            );
        }
        assert_eq!(store.reads(), reads);
        // Wrong keys re-read the store at most once per REREAD_EVERY.
        let started = Instant::now();
        for _ in 0..100 {
            assert!(!creds.check_local_key("cbx_wrong"));
        }
        let allowed = 1 + started.elapsed().as_millis() / REREAD_EVERY.as_millis();
        assert!((store.reads() - reads) / 3 <= allowed as usize);
    }

    #[test]
    fn an_unavailable_store_is_a_state_not_a_crash() {
        let creds = Credentials::load(Err(AuthError::KeychainUnavailable("no bus".into())));
        assert!(matches!(creds.state(), KeychainState::Unavailable(m) if m.contains("no bus")));
        assert_eq!(creds.local_key(), None);
        assert!(!creds.check_local_key("cbx_x"));
        let err = creds
            .save_provider_key(Provider::OpenAi, Secret::new("sk"))
            .unwrap_err();
        assert!(
            err.to_string().contains("CLAWBOX_SECRET_STORE=file"),
            "{err}"
        );
    }

    #[test]
    fn a_failing_read_keeps_what_was_cached() {
        let store = Arc::new(MemoryStore::new());
        let creds = load(&store);
        let key = creds.local_key().unwrap();
        store.fail_with(Some(AuthError::KeychainLocked("locked".into())));
        std::thread::sleep(REREAD_EVERY);
        assert!(!creds.check_local_key("cbx_other"));
        assert!(creds.check_local_key(key.expose()));
        assert!(matches!(creds.state(), KeychainState::Unavailable(_)));
        store.fail_with(None);
        std::thread::sleep(REREAD_EVERY);
        assert!(!creds.check_local_key("cbx_other"));
        assert_eq!(creds.state(), KeychainState::Ready);
    }
}

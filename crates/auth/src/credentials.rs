//! What the serving process knows of the stored credentials.
//!
//! The store (the keychain) is the source of truth, shared with the app and the command line,
//! which may rotate the local key or save a provider key while the gateway runs. So: everything
//! is read once at start-up and cached; a miss (a local key that does not match, a provider key
//! not cached) re-reads the store, at most once per [`REREAD_EVERY`], never per request.

use std::collections::HashMap;
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

/// Names a person cannot give a provider of their own: the built-in upstreams and the words
/// settings use for "no provider".
const RESERVED_NAMES: [&str; 9] = [
    "openai",
    "anthropic",
    "ollama",
    "hosted",
    "codex",
    "chatgpt",
    "local",
    "none",
    "default",
];

/// Whether `name` can name a provider of the person's own (`deepseek`, `lm-studio`): 1 to 32
/// lower-case letters, digits, `-` or `_`, starting with a letter, and not a built-in name. The
/// name becomes a keychain item, a log value and a response header, hence the narrow alphabet.
pub fn check_provider_name(name: &str) -> Result<(), String> {
    let valid = (1..=32).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !valid {
        return Err(format!(
            "`{}` cannot name a provider: use 1 to 32 lower-case letters, digits, - or _, \
             starting with a letter (e.g. deepseek)",
            name.chars().take(40).collect::<String>()
        ));
    }
    if RESERVED_NAMES.contains(&name) {
        return Err(format!(
            "`{name}` is ClawBox's own name for a built-in upstream: choose another name"
        ));
    }
    Ok(())
}

/// The store item holding a named provider's key (beside `openai-api-key`). `id` is the
/// provider's name and the address its key is for (`deepseek@api.deepseek.com`), so a provider
/// pointed at another host never takes its old key there.
fn named_item(id: &str) -> String {
    format!("{id}-api-key")
}

/// A provider API key as a person pasted it: trimmed, and refused with a plain reason when it
/// cannot be one (empty, a ClawBox local key, spaces or line breaks inside).
pub fn check_provider_key(provider: Provider, pasted: &str) -> Result<Secret, String> {
    check_key_for(provider.name(), pasted)
}

/// [`check_provider_key`] for a provider named by the person (or a built-in one, by name).
pub fn check_key_for(provider: &str, pasted: &str) -> Result<Secret, String> {
    let key = pasted.trim();
    if key.is_empty() {
        return Err(format!("no {provider} API key was given"));
    }
    if key.starts_with(crate::LOCAL_KEY_PREFIX) {
        return Err(format!(
            "that is a ClawBox local key, not an API key for {provider}"
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
    /// Keys of providers the person named, by key id (`name@host`): read when first asked for
    /// (the store has no list of them), then kept like the others.
    named: HashMap<String, Secret>,
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
    /// When each named key was last looked for in the store.
    named_asked: Mutex<HashMap<String, Instant>>,
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
            named_asked: Mutex::new(HashMap::new()),
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

    /// The saved key of a provider the person named, by its key id (`name@host`), re-reading
    /// the store when none is cached — at most once per [`REREAD_EVERY`] for each id, so one
    /// provider's misses never hide another's key. Blocking on a miss.
    pub fn named_key(&self, id: &str) -> Option<Secret> {
        if let Some(key) = self.cached_named_key(id) {
            return Some(key);
        }
        let store = self.store.as_ref()?;
        {
            let mut asked = self
                .named_asked
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if asked.get(id).is_some_and(|t| t.elapsed() < REREAD_EVERY) {
                return None;
            }
            asked.insert(id.to_owned(), Instant::now());
        }
        match store.get(&named_item(id)) {
            Ok(Some(key)) => {
                self.write_cache().named.insert(id.to_owned(), key.clone());
                Some(key)
            }
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read a provider's stored key");
                None
            }
        }
    }

    /// The cached key for a key id (never touches the store).
    pub fn cached_named_key(&self, id: &str) -> Option<Secret> {
        self.read_cache().named.get(id).cloned()
    }

    /// Saves the key for a key id (`name@host`).
    pub fn save_named_key(&self, id: &str, key: Secret) -> Result<(), AuthError> {
        self.store()?.set(&named_item(id), &key)?;
        self.write_cache().named.insert(id.to_owned(), key);
        Ok(())
    }

    /// Removes the key for a key id (removing what is not there is fine).
    pub fn remove_named_key(&self, id: &str) -> Result<(), AuthError> {
        self.store()?.delete(&named_item(id))?;
        self.write_cache().named.remove(id);
        Ok(())
    }

    /// Forgets cached keys whose id is not in `ids` (the providers configured now), so a
    /// provider removed elsewhere and added again reads its key afresh.
    pub fn keep_named(&self, ids: &[String]) {
        self.write_cache().named.retain(|id, _| ids.contains(id));
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

    /// Deletes the saved provider keys (the built-in two and those of the `named` key ids) and
    /// the local key from the store ("reset ClawBox"; the ChatGPT sign-in is removed by signing
    /// out, which also revokes it).
    pub fn forget_all(&self, named: &[&str]) -> Result<(), AuthError> {
        let store = self.store()?;
        let items = [
            Provider::OpenAi.item(),
            Provider::Anthropic.item(),
            LOCAL_KEY_ITEM,
        ]
        .map(str::to_owned)
        .into_iter()
        .chain(named.iter().map(|name| named_item(name)));
        for item in items {
            store.delete(&item)?;
        }
        let mut cache = self.write_cache();
        cache.openai = None;
        cache.anthropic = None;
        cache.local_key = None;
        cache.named.clear();
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
        // Named keys already asked for are read again too (one may have been removed).
        let names: Vec<String> = self.read_cache().named.keys().cloned().collect();
        let read = || -> Result<Cache, AuthError> {
            let mut named = HashMap::new();
            for name in names {
                if let Some(key) = store.get(&named_item(&name))? {
                    named.insert(name, key);
                }
            }
            Ok(Cache {
                local_key: store.get(LOCAL_KEY_ITEM)?,
                openai: store.get(Provider::OpenAi.item())?,
                anthropic: store.get(Provider::Anthropic.item())?,
                named,
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
    fn a_named_providers_key_is_saved_read_elsewhere_and_forgotten_with_the_rest() {
        let store = Arc::new(MemoryStore::new());
        let serving = load(&store);
        assert_eq!(serving.named_key("deepseek@api.deepseek.com"), None);
        let cli = load(&store);
        cli.save_named_key("deepseek@api.deepseek.com", Secret::new("sk-ds"))
            .unwrap();
        cli.save_named_key("groq@api.groq.com", Secret::new("gsk"))
            .unwrap();
        assert_eq!(
            store.get("deepseek@api.deepseek.com-api-key").unwrap(),
            Some(Secret::new("sk-ds"))
        );
        // A fresh process reads each provider's key at once: one's read does not hold up
        // another's.
        let fresh = load(&store);
        assert_eq!(
            fresh.named_key("groq@api.groq.com"),
            Some(Secret::new("gsk"))
        );
        assert_eq!(
            fresh.named_key("deepseek@api.deepseek.com"),
            Some(Secret::new("sk-ds"))
        );
        std::thread::sleep(REREAD_EVERY);
        assert_eq!(
            serving.named_key("deepseek@api.deepseek.com"),
            Some(Secret::new("sk-ds")),
            "a key saved by another process is found on a miss"
        );
        // The same name at another host is another key.
        assert_eq!(serving.named_key("deepseek@evil.example"), None);
        serving.keep_named(&[]);
        assert_eq!(serving.cached_named_key("deepseek@api.deepseek.com"), None);
        serving
            .forget_all(&["deepseek@api.deepseek.com", "groq@api.groq.com"])
            .unwrap();
        assert_eq!(
            store.get("deepseek@api.deepseek.com-api-key").unwrap(),
            None
        );
        assert_eq!(store.get("groq@api.groq.com-api-key").unwrap(), None);
        assert_eq!(store.get(LOCAL_KEY_ITEM).unwrap(), None);
    }

    #[test]
    fn provider_names_are_narrow_and_never_built_in() {
        for good in ["deepseek", "lm-studio", "vllm_2", "a"] {
            assert_eq!(check_provider_name(good), Ok(()), "{good}");
        }
        for bad in [
            "", "DeepSeek", "1abc", "a b", "a/b", "x.y", "openai", "ollama", "none",
        ] {
            assert!(check_provider_name(bad).is_err(), "{bad}");
        }
        assert!(check_provider_name(&"a".repeat(33)).is_err());
        let err = check_key_for("deepseek", "cbx_123").unwrap_err();
        assert!(err.contains("deepseek"), "{err}");
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

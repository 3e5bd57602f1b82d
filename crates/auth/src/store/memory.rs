//! An in-memory store, for tests only: it forgets everything, and it can be told to fail.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use crate::store::SecretStore;
use crate::{AuthError, Secret};

#[derive(Default)]
pub struct MemoryStore {
    items: Mutex<HashMap<String, Secret>>,
    /// Every call fails with this while set.
    failing: Mutex<Option<AuthError>>,
    reads: AtomicUsize,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes every following call fail with `error` (`None`: work again).
    pub fn fail_with(&self, error: Option<AuthError>) {
        *self.failing.lock().unwrap_or_else(PoisonError::into_inner) = error;
    }

    /// How many reads reached the store (to check a cache is used).
    pub fn reads(&self) -> usize {
        self.reads.load(Ordering::SeqCst)
    }

    fn check(&self) -> Result<(), AuthError> {
        match &*self.failing.lock().unwrap_or_else(PoisonError::into_inner) {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }

    fn items(&self) -> std::sync::MutexGuard<'_, HashMap<String, Secret>> {
        self.items.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl SecretStore for MemoryStore {
    fn get(&self, name: &str) -> Result<Option<Secret>, AuthError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.check()?;
        Ok(self.items().get(name).cloned())
    }

    fn set(&self, name: &str, value: &Secret) -> Result<(), AuthError> {
        self.check()?;
        self.items().insert(name.to_owned(), value.clone());
        Ok(())
    }

    fn delete(&self, name: &str) -> Result<(), AuthError> {
        self.check()?;
        self.items().remove(name);
        Ok(())
    }

    fn describe(&self) -> &'static str {
        "the in-memory test store"
    }
}

//! Values larger than one keychain item allows, split across items with an integrity check.
//!
//! The main item then holds a header, `clawbox-chunked:v1:<parts>:<sha256 of the value>`, and
//! the parts live in `<name>.part<i>`, each updated in place (new items would make macOS ask the
//! user again for every program that reads them). Parts are written before the header; a reader
//! that catches a writer half-way sees the hash disagree and reads once more.

use sha2::{Digest, Sha256};

use crate::{AuthError, Secret};

const HEADER: &str = "clawbox-chunked:v1:";

/// A store of plain string items, each of limited size.
pub trait RawStore: Send + Sync {
    fn get(&self, name: &str) -> Result<Option<String>, AuthError>;
    fn set(&self, name: &str, value: &str) -> Result<(), AuthError>;
    fn delete(&self, name: &str) -> Result<(), AuthError>;
}

pub struct Chunked<S> {
    raw: S,
    limit: usize,
}

impl<S: RawStore> Chunked<S> {
    pub fn new(raw: S, limit: usize) -> Self {
        Self { raw, limit }
    }

    pub fn get(&self, name: &str) -> Result<Option<Secret>, AuthError> {
        match self.get_once(name) {
            // Another process may have been rewriting the parts: one more read settles it.
            Err(AuthError::Corrupt { .. }) => self.get_once(name),
            other => other,
        }
    }

    fn get_once(&self, name: &str) -> Result<Option<Secret>, AuthError> {
        let Some(value) = self.raw.get(name)? else {
            return Ok(None);
        };
        let Some(header) = value.strip_prefix(HEADER) else {
            return Ok(Some(Secret::new(value)));
        };
        let corrupt = |reason: &str| AuthError::Corrupt {
            name: name.to_owned(),
            reason: reason.to_owned(),
        };
        let (count, hash) = header
            .split_once(':')
            .ok_or_else(|| corrupt("bad header"))?;
        let count: usize = count.parse().map_err(|_| corrupt("bad part count"))?;
        let mut joined = String::new();
        for i in 0..count {
            let part = self
                .raw
                .get(&part_name(name, i))?
                .ok_or_else(|| corrupt("a part is missing"))?;
            joined.push_str(&part);
        }
        if hex_sha256(&joined) != hash {
            return Err(corrupt("its parts do not add up"));
        }
        Ok(Some(Secret::new(joined)))
    }

    pub fn set(&self, name: &str, value: &Secret) -> Result<(), AuthError> {
        let value = value.expose();
        let old_parts = self.parts_of(name);
        let new_parts = if value.len() <= self.limit && !value.starts_with(HEADER) {
            self.raw.set(name, value)?;
            0
        } else {
            let hash = hex_sha256(value);
            let parts = split(value, self.limit);
            for (i, part) in parts.iter().enumerate() {
                self.raw.set(&part_name(name, i), part)?;
            }
            self.raw
                .set(name, &format!("{HEADER}{}:{hash}", parts.len()))?;
            parts.len()
        };
        for stale in new_parts..old_parts {
            // Best effort: a leftover part is unreachable and harmless.
            let _ = self.raw.delete(&part_name(name, stale));
        }
        Ok(())
    }

    pub fn delete(&self, name: &str) -> Result<(), AuthError> {
        let parts = self.parts_of(name);
        self.raw.delete(name)?;
        for i in 0..parts {
            let _ = self.raw.delete(&part_name(name, i));
        }
        Ok(())
    }

    /// How many parts the current header names (none for a plain value).
    fn parts_of(&self, name: &str) -> usize {
        let Ok(Some(value)) = self.raw.get(name) else {
            return 0;
        };
        value
            .strip_prefix(HEADER)
            .and_then(|h| h.split_once(':'))
            .and_then(|(count, _)| count.parse().ok())
            .unwrap_or(0)
    }
}

fn part_name(name: &str, i: usize) -> String {
    format!("{name}.part{i}")
}

/// Splits on character boundaries into pieces of at most `limit` bytes.
fn split(value: &str, limit: usize) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut rest = value;
    while !rest.is_empty() {
        let mut end = rest.len().min(limit.max(4));
        while !rest.is_char_boundary(end) {
            end -= 1;
        }
        let (part, tail) = rest.split_at(end);
        parts.push(part);
        rest = tail;
    }
    parts
}

fn hex_sha256(value: &str) -> String {
    Sha256::digest(value.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::sync::Mutex;

    /// A raw store that refuses items over its limit, like a platform keychain.
    #[derive(Default)]
    struct Limited {
        items: Mutex<HashMap<String, String>>,
    }

    impl RawStore for Limited {
        fn get(&self, name: &str) -> Result<Option<String>, AuthError> {
            Ok(self.items.lock().unwrap().get(name).cloned())
        }
        fn set(&self, name: &str, value: &str) -> Result<(), AuthError> {
            assert!(
                value.len() <= 128,
                "an item over the platform limit was written"
            );
            self.items.lock().unwrap().insert(name.into(), value.into());
            Ok(())
        }
        fn delete(&self, name: &str) -> Result<(), AuthError> {
            self.items.lock().unwrap().remove(name);
            Ok(())
        }
    }

    #[test]
    fn large_values_round_trip_through_small_items() {
        let store = Chunked::new(Limited::default(), 128);
        let big = Secret::new("é".repeat(100) + &"x".repeat(3000));
        store.set("oauth", &big).unwrap();
        assert_eq!(store.get("oauth").unwrap(), Some(big));
        // Rewriting it reuses the same items; a small value leaves no stale parts behind.
        let items = store.raw.items.lock().unwrap().len();
        store
            .set("oauth", &Secret::new("é".repeat(100) + &"y".repeat(3000)))
            .unwrap();
        assert_eq!(store.raw.items.lock().unwrap().len(), items);
        store.set("oauth", &Secret::new("small")).unwrap();
        assert_eq!(store.get("oauth").unwrap(), Some(Secret::new("small")));
        assert_eq!(store.raw.items.lock().unwrap().len(), 1);
    }

    #[test]
    fn a_damaged_part_is_reported_not_returned() {
        let store = Chunked::new(Limited::default(), 128);
        store.set("oauth", &Secret::new("y".repeat(500))).unwrap();
        assert!(store.parts_of("oauth") > 2);
        store.raw.set(&part_name("oauth", 2), "tampered").unwrap();
        let err = store.get("oauth").unwrap_err();
        assert!(matches!(err, AuthError::Corrupt { .. }), "{err}");
        store.delete("oauth").unwrap();
        assert!(store.raw.items.lock().unwrap().is_empty());
    }
}

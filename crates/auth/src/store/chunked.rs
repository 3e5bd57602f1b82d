//! Values larger than one keychain item allows, split across items with an integrity check.
//!
//! The main item then holds a header, `clawbox-chunked:v1:<parts>:<sha256 of the value>`, and
//! the parts live in `<name>.<hash prefix>.<i>`. Parts are written before the header that names
//! them, and named by the value's hash, so a reader never combines parts of two different
//! values; stale parts are removed after the header moves on.

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
                .get(&part_name(name, hash, i))?
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
        if value.len() <= self.limit && !value.starts_with(HEADER) {
            self.raw.set(name, value)?;
        } else {
            let hash = hex_sha256(value);
            let parts = split(value, self.limit);
            for (i, part) in parts.iter().enumerate() {
                self.raw.set(&part_name(name, &hash, i), part)?;
            }
            self.raw
                .set(name, &format!("{HEADER}{}:{hash}", parts.len()))?;
        }
        let new_parts = self.parts_of(name);
        for stale in old_parts.into_iter().filter(|p| !new_parts.contains(p)) {
            // Best effort: a leftover part is unreachable and harmless.
            let _ = self.raw.delete(&stale);
        }
        Ok(())
    }

    pub fn delete(&self, name: &str) -> Result<(), AuthError> {
        let parts = self.parts_of(name);
        self.raw.delete(name)?;
        for part in parts {
            let _ = self.raw.delete(&part);
        }
        Ok(())
    }

    /// The part items the current header names (none for a plain value).
    fn parts_of(&self, name: &str) -> Vec<String> {
        let Ok(Some(value)) = self.raw.get(name) else {
            return Vec::new();
        };
        let Some((count, hash)) = value.strip_prefix(HEADER).and_then(|h| h.split_once(':')) else {
            return Vec::new();
        };
        let count: usize = count.parse().unwrap_or(0);
        (0..count).map(|i| part_name(name, hash, i)).collect()
    }
}

fn part_name(name: &str, hash: &str, i: usize) -> String {
    format!("{name}.{}.{i}", &hash[..hash.len().min(8)])
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
        // Replacing it with a small value leaves no stale parts behind.
        store.set("oauth", &Secret::new("small")).unwrap();
        assert_eq!(store.get("oauth").unwrap(), Some(Secret::new("small")));
        assert_eq!(store.raw.items.lock().unwrap().len(), 1);
    }

    #[test]
    fn a_damaged_part_is_reported_not_returned() {
        let store = Chunked::new(Limited::default(), 128);
        store.set("oauth", &Secret::new("y".repeat(500))).unwrap();
        let part = store.parts_of("oauth")[2].clone();
        store.raw.set(&part, "tampered").unwrap();
        let err = store.get("oauth").unwrap_err();
        assert!(matches!(err, AuthError::Corrupt { .. }), "{err}");
        store.delete("oauth").unwrap();
        assert!(store.raw.items.lock().unwrap().is_empty());
    }
}

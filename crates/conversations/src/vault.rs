//! The key and what it does: seal and open rows (XChaCha20-Poly1305, a random 24-byte nonce per
//! seal, so nonces never repeat in practice), and name owners by a keyed hash.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use crate::ConversationError;

pub const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 24;

pub struct Vault {
    cipher: XChaCha20Poly1305,
    /// A second key, derived from the first, for owners' names (never used to seal).
    owner_key: [u8; 32],
}

impl Vault {
    /// A new random key, as text for the secret store.
    pub fn generate_key() -> String {
        let mut key = [0u8; KEY_LEN];
        rand::rng().fill_bytes(&mut key);
        STANDARD.encode(key)
    }

    /// The vault for a key as [`Vault::generate_key`] made it.
    pub fn from_key(text: &str) -> Result<Vault, ConversationError> {
        let key = STANDARD
            .decode(text.trim())
            .map_err(|e| ConversationError::Key(e.to_string()))?;
        if key.len() != KEY_LEN {
            return Err(ConversationError::Key(format!(
                "{} bytes, not {KEY_LEN}",
                key.len()
            )));
        }
        let cipher = XChaCha20Poly1305::new_from_slice(&key)
            .map_err(|e| ConversationError::Key(e.to_string()))?;
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key)
            .map_err(|e| ConversationError::Key(e.to_string()))?;
        mac.update(b"clawbox conversations: owner names");
        let owner_key = mac.finalize().into_bytes().into();
        Ok(Vault { cipher, owner_key })
    }

    /// `plain`, sealed and bound to `context` (a row's id and owner): nonce ‖ ciphertext ‖ tag.
    pub fn seal(&self, context: &str, plain: &[u8]) -> Result<Vec<u8>, ConversationError> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| ConversationError::Sealed)?;
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// What [`Vault::seal`] sealed for the same `context`; anything else is an error.
    pub fn open(&self, context: &str, sealed: &[u8]) -> Result<Vec<u8>, ConversationError> {
        if sealed.len() < NONCE_LEN {
            return Err(ConversationError::Sealed);
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        self.cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| ConversationError::Sealed)
    }

    /// The stored name of an owner: a keyed hash of its parts, naming no one to whoever reads
    /// the file without the key.
    pub fn owner_name(&self, parts: &[&str]) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.owner_key)
            .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
        for part in parts {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
        let bytes = mac.finalize().into_bytes();
        bytes.iter().take(16).map(|b| format!("{b:02x}")).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_rows_open_only_with_their_key_and_context() {
        let vault = Vault::from_key(&Vault::generate_key()).unwrap();
        let sealed = vault.seal("resp_1|owner", b"a secret plan").unwrap();
        assert!(!sealed.windows(6).any(|w| w == b"secret"));
        assert_eq!(
            vault.open("resp_1|owner", &sealed).unwrap(),
            b"a secret plan"
        );
        assert!(
            vault.open("resp_2|owner", &sealed).is_err(),
            "moved to another row"
        );
        let other = Vault::from_key(&Vault::generate_key()).unwrap();
        assert!(other.open("resp_1|owner", &sealed).is_err(), "another key");
        let mut flipped = sealed.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert!(vault.open("resp_1|owner", &flipped).is_err(), "altered");
        // Two seals of the same text differ (a fresh nonce each time).
        assert_ne!(
            vault.seal("c", b"x").unwrap(),
            vault.seal("c", b"x").unwrap()
        );
    }

    #[test]
    fn owners_are_named_by_a_keyed_hash_of_unambiguous_parts() {
        let vault = Vault::from_key(&Vault::generate_key()).unwrap();
        let a = vault.owner_name(&["ada", "local"]);
        assert_eq!(a, vault.owner_name(&["ada", "local"]));
        assert_ne!(a, vault.owner_name(&["adal", "ocal"]));
        assert_ne!(a, vault.owner_name(&["bob", "local"]));
        let other = Vault::from_key(&Vault::generate_key()).unwrap();
        assert_ne!(a, other.owner_name(&["ada", "local"]));
        assert!(!a.contains("ada"));
        assert!(Vault::from_key("not base64!").is_err());
        assert!(Vault::from_key(&STANDARD.encode([0u8; 16])).is_err());
    }
}

//! The local key: `cbx_` + 256 random bits in hex. It is what an agent's `.env` carries when
//! ClawBox attaches stored credentials: useless off this machine, and rotatable.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::Secret;

pub const LOCAL_KEY_PREFIX: &str = "cbx_";

pub struct LocalKey;

impl LocalKey {
    /// A fresh key from the OS-seeded CSPRNG.
    pub fn generate() -> Secret {
        let bytes: [u8; 32] = rand::random();
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        Secret::new(format!("{LOCAL_KEY_PREFIX}{hex}"))
    }

    /// Constant-time comparison: a wrong guess takes as long however much of it was right.
    pub fn matches(presented: &str, current: &Secret) -> bool {
        presented
            .as_bytes()
            .ct_eq(current.expose().as_bytes())
            .into()
    }

    /// A short, non-secret name for a key (`cbx_…1a2b3c4d`), to tell keys apart in `status`.
    pub fn fingerprint(key: &Secret) -> String {
        let digest = Sha256::digest(key.expose().as_bytes());
        let hex: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
        format!("{LOCAL_KEY_PREFIX}…{hex}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_cbx_plus_256_random_bits() {
        let a = LocalKey::generate();
        let b = LocalKey::generate();
        assert_eq!(a.expose().len(), 4 + 64);
        assert!(a.expose()[4..].chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn only_the_exact_key_matches() {
        let k = LocalKey::generate();
        assert!(LocalKey::matches(k.expose(), &k));
        assert!(!LocalKey::matches(&k.expose()[..60], &k));
        assert!(!LocalKey::matches("cbx_", &k));
        let fp = LocalKey::fingerprint(&k);
        assert!(
            !fp.contains(&k.expose()[4..12]),
            "the fingerprint reveals nothing of the key"
        );
    }
}

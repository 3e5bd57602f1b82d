//! `ip_hash`: 8 hex chars of HMAC-SHA-256 under a per-install key.
//!
//! A plain SHA-256 of an IPv4 address is reversed by trying all 2^32 addresses in minutes; with
//! a secret key that never leaves this machine the hash only says "same client or not".

use std::io::Write;
use std::net::IpAddr;
use std::path::Path;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::Error;

/// The key file's name inside the data dir (created 0600).
pub const IP_HASH_KEY_FILE: &str = "ip-hash.key";
const KEY_LEN: usize = 32;

pub struct IpHasher {
    key: [u8; KEY_LEN],
}

impl IpHasher {
    /// Reads the install's key from the data dir, creating it on first run.
    pub fn load_or_create(data_dir: &Path) -> Result<Self, Error> {
        let path = data_dir.join(IP_HASH_KEY_FILE);
        let fail = |message: String| Error::IpKey {
            path: path.clone(),
            message,
        };
        match std::fs::read(&path) {
            Ok(bytes) => {
                let key: [u8; KEY_LEN] = bytes.try_into().map_err(|_| {
                    fail("it is not a ClawBox key file; delete it to make a new one".into())
                })?;
                Ok(Self { key })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key: [u8; KEY_LEN] = rand::random();
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                let mut file = options.open(&path).map_err(|e| fail(e.to_string()))?;
                file.write_all(&key).map_err(|e| fail(e.to_string()))?;
                file.sync_all().map_err(|e| fail(e.to_string()))?;
                Ok(Self { key })
            }
            Err(e) => Err(fail(e.to_string())),
        }
    }

    pub fn hash(&self, ip: IpAddr) -> String {
        #[expect(clippy::expect_used, reason = "HMAC accepts keys of any length")]
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("any key length works");
        match ip {
            IpAddr::V4(v4) => mac.update(&v4.octets()),
            IpAddr::V6(v6) => mac.update(&v6.octets()),
        }
        let digest = mac.finalize().into_bytes();
        digest[..4].iter().map(|b| format!("{b:02x}")).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_8_hex_stable_per_install_and_differs_between_installs() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let h1 = IpHasher::load_or_create(a.path()).unwrap().hash(ip);
        let h2 = IpHasher::load_or_create(a.path()).unwrap().hash(ip);
        let h3 = IpHasher::load_or_create(b.path()).unwrap().hash(ip);
        assert_eq!(h1.len(), 8);
        assert!(h1.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(h1, h2);
        assert_ne!(h1, h3);
        // Not the unkeyed SHA-256 prefix the hosted gateway's first version used.
        assert_ne!(h1, "12ca17b4");
    }

    #[cfg(unix)]
    #[test]
    fn key_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        IpHasher::load_or_create(dir.path()).unwrap();
        let mode = std::fs::metadata(dir.path().join(IP_HASH_KEY_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

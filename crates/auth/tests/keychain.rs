//! The real OS keychain: on Linux a Secret Service (GNOME Keyring), which `make test` starts,
//! unlocked and throwaway, through scripts/with-keyring.sh.
#![allow(
    clippy::unwrap_used,
    reason = "a test helper that fails should fail loudly"
)]

use clawbox_auth::{KeychainStore, Secret, SecretStore};

fn keychain() -> KeychainStore {
    assert!(
        std::env::var_os("CLAWBOX_TEST_KEYRING").is_some(),
        "these tests need a Secret Service: run them through \
         `dbus-run-session -- scripts/with-keyring.sh cargo test` (make test does)"
    );
    KeychainStore::open().unwrap()
}

/// Item names unique to one test, so parallel tests never share an item.
fn item(test: &str) -> String {
    format!("test-{test}-{}", std::process::id())
}

#[test]
fn secrets_round_trip_and_update_in_place() {
    let store = keychain();
    let name = item("round-trip");
    assert_eq!(store.get(&name).unwrap(), None);
    store.set(&name, &Secret::new("sk-first")).unwrap();
    assert_eq!(store.get(&name).unwrap(), Some(Secret::new("sk-first")));
    store.set(&name, &Secret::new("sk-second")).unwrap();
    assert_eq!(store.get(&name).unwrap(), Some(Secret::new("sk-second")));
    // A second connection (another process, say) sees the same item.
    assert_eq!(
        keychain().get(&name).unwrap(),
        Some(Secret::new("sk-second"))
    );
    store.delete(&name).unwrap();
    store.delete(&name).unwrap();
    assert_eq!(store.get(&name).unwrap(), None);
}

#[test]
fn values_larger_than_one_item_are_split_and_joined() {
    // Windows' item limit, on whatever platform runs the test.
    keychain();
    let store = KeychainStore::open_with_item_limit(1200).unwrap();
    let name = item("large");
    let bundle = Secret::new(format!("{{\"access_token\":\"{}\"}}", "a".repeat(5000)));
    store.set(&name, &bundle).unwrap();
    assert_eq!(store.get(&name).unwrap(), Some(bundle.clone()));
    let rewritten = Secret::new(format!("{{\"access_token\":\"{}\"}}", "b".repeat(5000)));
    store.set(&name, &rewritten).unwrap();
    assert_eq!(store.get(&name).unwrap(), Some(rewritten));
    store.delete(&name).unwrap();
    assert_eq!(store.get(&name).unwrap(), None);
}

//! The conversation store on a real SQLite file: chains in order and scoped to their owner,
//! conversations and their items, retention, and nothing readable on disk.
#![allow(
    clippy::unwrap_used,
    reason = "a test helper that fails should fail loudly"
)]

use clawbox_conversations::{Conversation, ConversationStore, Owner, StoredResponse, Vault};
use serde_json::json;

const SENTINEL: &str = "purple-elephant-sentinel";

fn open(dir: &std::path::Path, key: &str) -> ConversationStore {
    ConversationStore::open(&dir.join("conversations.db"), Vault::from_key(key).unwrap()).unwrap()
}

fn turn(id: &str, parent: Option<&str>, at: i64) -> StoredResponse {
    StoredResponse {
        id: id.into(),
        parent: parent.map(Into::into),
        conversation: None,
        created_at: at,
        instructions: Some(json!("Be brief.")),
        input: vec![json!({"role": "user", "content": format!("{SENTINEL} {id}")})],
        response: json!({"id": id, "object": "response", "output": [
            {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": format!("answer {id}")}]}
        ]}),
    }
}

#[test]
fn a_chain_comes_back_oldest_first_for_its_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), &Vault::generate_key());
    let ada = Owner::local_key("ada");
    store.put_response(&ada, &turn("resp_1", None, 10)).unwrap();
    store
        .put_response(&ada, &turn("resp_2", Some("resp_1"), 11))
        .unwrap();
    store
        .put_response(&ada, &turn("resp_3", Some("resp_2"), 12))
        .unwrap();

    let chain = store.chain(&ada, "resp_3", 100).unwrap().unwrap().unwrap();
    let ids: Vec<&str> = chain.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["resp_1", "resp_2", "resp_3"]);
    assert_eq!(chain[2].output()[0]["content"][0]["text"], "answer resp_3");
    assert_eq!(
        store.chain(&ada, "resp_3", 2).unwrap().unwrap(),
        Err(2),
        "past the cap"
    );

    // Another user, or the same user with their own key, finds nothing.
    for stranger in [
        Owner::local_key("bob"),
        Owner::own_key("ada", "sk-ada"),
        Owner::no_key("ada"),
    ] {
        assert!(
            store.response(&stranger, "resp_3").unwrap().is_none(),
            "{stranger:?}"
        );
        assert!(store.chain(&stranger, "resp_3", 100).unwrap().is_none());
        assert!(!store.delete_response(&stranger, "resp_3").unwrap());
    }
    // A key's owner is the key: another key of the same user is another owner.
    let with_key = Owner::own_key("ada", "sk-ada");
    store
        .put_response(&with_key, &turn("resp_k", None, 13))
        .unwrap();
    assert!(
        store
            .response(&Owner::own_key("ada", "sk-ada"), "resp_k")
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .response(&Owner::own_key("ada", "sk-other"), "resp_k")
            .unwrap()
            .is_none()
    );

    // A deleted link ends the chain there.
    assert!(store.delete_response(&ada, "resp_2").unwrap());
    let chain = store.chain(&ada, "resp_3", 100).unwrap().unwrap().unwrap();
    assert_eq!(chain.len(), 1);
    assert!(store.chain(&ada, "resp_2", 100).unwrap().is_none());
}

#[test]
fn conversations_keep_their_items_in_order_and_page_through_them() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), &Vault::generate_key());
    let ada = Owner::local_key("ada");
    let conversation = Conversation {
        id: "conv_1".into(),
        created_at: 5,
        metadata: json!({"topic": "demo"}),
    };
    store.create_conversation(&ada, &conversation).unwrap();
    assert_eq!(
        store.conversation(&ada, "conv_1").unwrap(),
        Some(conversation)
    );
    assert!(
        store
            .conversation(&Owner::local_key("bob"), "conv_1")
            .unwrap()
            .is_none()
    );
    let items: Vec<(String, serde_json::Value)> = (1..=5)
        .map(|i| (format!("msg_{i}"), json!({"type": "message", "n": i})))
        .collect();
    let added = store.add_items(&ada, "conv_1", &items, 6).unwrap().unwrap();
    assert_eq!(
        added.iter().map(|i| i.seq).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5]
    );
    assert!(
        store
            .add_items(&Owner::local_key("bob"), "conv_1", &items, 6)
            .unwrap()
            .is_none()
    );

    let page = store.items(&ada, "conv_1", None, 2, false).unwrap();
    assert_eq!(
        page.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
        ["msg_1", "msg_2"]
    );
    let page = store
        .items(&ada, "conv_1", Some("msg_2"), 2, false)
        .unwrap();
    assert_eq!(
        page.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
        ["msg_3", "msg_4"]
    );
    let newest = store.items(&ada, "conv_1", None, 2, true).unwrap();
    assert_eq!(
        newest.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
        ["msg_5", "msg_4"]
    );
    let older = store
        .items(&ada, "conv_1", Some("msg_4"), 10, true)
        .unwrap();
    assert_eq!(
        older.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
        ["msg_3", "msg_2", "msg_1"]
    );
    assert_eq!(older[0].item["n"], 3);

    assert!(store.delete_item(&ada, "conv_1", "msg_3").unwrap());
    assert_eq!(
        store.items(&ada, "conv_1", None, 10, false).unwrap().len(),
        4
    );
    assert!(store.delete_conversation(&ada, "conv_1").unwrap());
    assert!(
        store
            .items(&ada, "conv_1", None, 10, false)
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.stats().unwrap().items, 0);
}

#[test]
fn retention_forgets_old_rows_and_clear_forgets_everything() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), &Vault::generate_key());
    let ada = Owner::local_key("ada");
    store
        .put_response(&ada, &turn("resp_old", None, 100))
        .unwrap();
    store
        .put_response(&ada, &turn("resp_new", None, 300))
        .unwrap();
    let old = Conversation {
        id: "conv_old".into(),
        created_at: 100,
        metadata: json!({}),
    };
    store.create_conversation(&ada, &old).unwrap();
    store
        .add_items(&ada, "conv_old", &[("msg_1".into(), json!({}))], 100)
        .unwrap();
    assert_eq!(store.forget_before(200).unwrap(), 3);
    assert!(store.response(&ada, "resp_old").unwrap().is_none());
    assert!(store.response(&ada, "resp_new").unwrap().is_some());
    let stats = store.stats().unwrap();
    assert_eq!(
        (stats.responses, stats.conversations, stats.items),
        (1, 0, 0)
    );
    assert!(stats.bytes > 0);
    store.clear().unwrap();
    assert_eq!(store.stats().unwrap().responses, 0);
}

#[test]
fn the_file_holds_no_text_and_another_key_opens_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let key = Vault::generate_key();
    {
        let store = open(dir.path(), &key);
        let ada = Owner::local_key("ada-the-user");
        for i in 0..20 {
            store
                .put_response(&ada, &turn(&format!("resp_{i}"), None, i))
                .unwrap();
        }
        let conversation = Conversation {
            id: "conv_1".into(),
            created_at: 1,
            metadata: json!({"title": SENTINEL}),
        };
        store.create_conversation(&ada, &conversation).unwrap();
        store
            .add_items(
                &ada,
                "conv_1",
                &[("msg_1".into(), json!({"text": SENTINEL}))],
                1,
            )
            .unwrap();
    }
    for name in ["conversations.db", "conversations.db-wal"] {
        let Ok(bytes) = std::fs::read(dir.path().join(name)) else {
            continue;
        };
        for needle in [SENTINEL, "ada-the-user", "Be brief", "answer resp_"] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{needle} in {name}"
            );
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("conversations.db"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // The same file with the same key reads back (a restart); with another key, nothing opens.
    let store = open(dir.path(), &key);
    assert!(
        store
            .response(&Owner::local_key("ada-the-user"), "resp_3")
            .unwrap()
            .is_some()
    );
    let other = open(dir.path(), &Vault::generate_key());
    // Under another key the owner's name differs too, so nothing is even found.
    assert!(
        other
            .response(&Owner::local_key("ada-the-user"), "resp_3")
            .unwrap()
            .is_none()
    );
}

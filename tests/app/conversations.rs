//! Kept conversations through the app's commands: the count and size Settings shows, "Forget
//! conversations", and "Reset everything" removing the file and its key.

use clawbox_app::GatewayHost;
use clawbox_testkit::FakeUpstream;
use serde_json::{Value, json};
use tauri::Manager;

use crate::harness::{app, invoke, running_status, settled_status, stop};

#[test]
fn settings_show_what_is_kept_forget_it_and_reset_removes_the_file_and_key() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(FakeUpstream::hosted());
    let dir = tempfile::tempdir().unwrap();
    let settings = json!({"providers": [{"name": "lmstudio", "base_url": format!("{}/v1", server.url()),
                                         "models": ["qwen*"], "needs_key": false}]});
    std::fs::write(dir.path().join("settings.json"), settings.to_string()).unwrap();
    let (app, window) = app("127.0.0.1:0", dir.path());
    let url = settled_status(&window).url.unwrap();
    let summary = invoke(&window, "conversations_summary", json!({})).unwrap();
    assert_eq!(summary["responses"], 0);
    assert_eq!(summary["problem"], Value::Null);

    let client = reqwest::blocking::Client::new();
    let answer: Value = client
        .post(format!("{url}/v1/responses"))
        .json(&json!({"model": "qwen3-8b", "input": "hello"}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let id = answer["id"].as_str().unwrap().to_owned();
    let mut summary = Value::Null;
    for _ in 0..100 {
        summary = invoke(&window, "conversations_summary", json!({})).unwrap();
        if summary["responses"] == 1 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(summary["responses"], 1, "{summary}");
    assert!(summary["bytes"].as_u64().unwrap() > 0);
    let settings = invoke(&window, "get_settings", json!({})).unwrap();
    assert_eq!(settings["keep_conversations"], true);
    assert_eq!(settings["conversation_retention_days"], 30);

    let summary = invoke(&window, "forget_conversations", json!({})).unwrap();
    assert_eq!(summary["responses"], 0);
    let r = client
        .get(format!("{url}/v1/responses/{id}"))
        .send()
        .unwrap();
    assert_ne!(r.status(), 200, "forgotten");

    // Off in Settings: nothing more is kept.
    invoke(
        &window,
        "save_settings",
        json!({"change": {"keep_conversations": false}}),
    )
    .unwrap();
    client
        .post(format!("{url}/v1/responses"))
        .json(&json!({"model": "qwen3-8b", "input": "hello again"}))
        .send()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert_eq!(
        invoke(&window, "conversations_summary", json!({})).unwrap()["responses"],
        0
    );

    // On again, one kept; then "Reset everything" removes it and the key that opened it.
    invoke(
        &window,
        "save_settings",
        json!({"change": {"keep_conversations": true}}),
    )
    .unwrap();
    client
        .post(format!("{url}/v1/responses"))
        .json(&json!({"model": "qwen3-8b", "input": "kept until reset"}))
        .send()
        .unwrap();
    for _ in 0..100 {
        if invoke(&window, "conversations_summary", json!({})).unwrap()["responses"] == 1 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(
        invoke(&window, "conversations_summary", json!({})).unwrap()["responses"],
        1
    );
    let host = app.state::<GatewayHost>();
    let store = host
        .gateway()
        .unwrap()
        .0
        .credentials()
        .secret_store()
        .unwrap();
    let old_key = store.get("conversations-key").unwrap().unwrap();
    invoke(&window, "reset_everything", json!({})).unwrap();
    running_status(&window);
    assert_eq!(
        invoke(&window, "conversations_summary", json!({})).unwrap()["responses"],
        0
    );
    assert_ne!(
        store.get("conversations-key").unwrap(),
        Some(old_key),
        "the old key is gone (the restarted gateway may have made a new one)"
    );
    stop(&app);
}

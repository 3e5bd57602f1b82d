//! Settings → Providers through the app's commands: a preset added with its key serves its
//! models through the running gateway at once; the default upstream; bad input refused with
//! nothing written; removing a provider, and "reset everything", remove its key.

use clawbox_app::GatewayHost;
use clawbox_testkit::FakeUpstream;
use serde_json::{Value, json};
use tauri::Manager;

use crate::harness::{app, invoke, running_status, settled_status, stop};

fn settings_file(dir: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("settings.json")).unwrap()).unwrap()
}

#[test]
fn a_preset_added_with_its_key_serves_its_models_and_removing_it_forgets_the_key() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let fake = runtime.block_on(FakeUpstream::compatible("/v1"));
    fake.set_listed_models(&["deepseek-chat", "deepseek-reasoner"]);
    let dir = tempfile::tempdir().unwrap();
    let (app, window) = app("127.0.0.1:0", dir.path());
    let url = settled_status(&window).url.unwrap();

    let view = invoke(&window, "providers", json!({})).unwrap();
    assert_eq!(view["providers"], json!([]));
    assert_eq!(view["default_upstream"], "none");
    let deepseek = view["presets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "deepseek")
        .unwrap()
        .clone();
    assert_eq!(deepseek["base_url"], "https://api.deepseek.com/v1");

    // A bad key is refused before anything is written.
    let mut new = json!({"name": "deepseek", "kind": "openai",
        "base_url": format!("{}/v1", fake.url()), "models": deepseek["models"],
        "needs_key": true, "key": "sk with spaces"});
    let err = invoke(&window, "add_provider", json!({"provider": new})).unwrap_err();
    assert_eq!(err["code"], "bad_key", "{err}");
    assert!(
        !dir.path().join("settings.json").exists()
            || settings_file(dir.path()).get("providers").is_none()
    );

    new["key"] = json!("sk-deepseek-from-the-window");
    let view = invoke(&window, "add_provider", json!({"provider": new})).unwrap();
    let added = &view["providers"][0];
    assert_eq!(added["label"], "DeepSeek");
    assert_eq!(added["key_saved"], true);
    assert_eq!(added["listed_models"], 2, "asked at once: {view}");
    assert!(
        !view.to_string().contains("sk-deepseek"),
        "never a key: {view}"
    );

    let host = app.state::<GatewayHost>();
    let (gateway, _) = host.gateway().unwrap();
    let local_key = gateway.credentials().local_key().unwrap();
    let client = reqwest::blocking::Client::new();
    let r = client
        .post(format!("{url}/v1/chat/completions"))
        .bearer_auth(local_key.expose())
        .json(&json!({"model": "deepseek-chat", "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-clawbox-upstream"], "deepseek");
    let call = fake
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.uri == "/v1/chat/completions")
        .unwrap();
    assert_eq!(
        call.header("authorization"),
        Some("Bearer sk-deepseek-from-the-window")
    );

    // The default upstream: a provider that exists, not one that does not.
    let view = invoke(
        &window,
        "set_default_upstream",
        json!({"upstream": "deepseek"}),
    )
    .unwrap();
    assert_eq!(view["default_upstream"], "deepseek");
    let err = invoke(&window, "set_default_upstream", json!({"upstream": "groq"})).unwrap_err();
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("no provider is named `groq`"),
        "{err}"
    );
    assert_eq!(settings_file(dir.path())["default_upstream"], "deepseek");

    let view = invoke(&window, "remove_provider", json!({"name": "deepseek"})).unwrap();
    assert_eq!(view["providers"], json!([]));
    assert_eq!(view["default_upstream"], "none");
    let store = gateway.credentials().secret_store().unwrap();
    let item = format!("deepseek@{}-api-key", fake.addr());
    assert_eq!(store.get(&item).unwrap(), None);
    stop(&app);
}

#[test]
fn reset_everything_removes_the_providers_keys_too() {
    let dir = tempfile::tempdir().unwrap();
    let (app, window) = app("127.0.0.1:0", dir.path());
    settled_status(&window);
    let provider = json!({"name": "groq", "kind": "openai",
        "base_url": "https://api.groq.com/openai/v1", "models": [], "needs_key": true,
        "key": "gsk-test-123456"});
    invoke(&window, "add_provider", json!({"provider": provider})).unwrap();
    let host = app.state::<GatewayHost>();
    let store = host
        .gateway()
        .unwrap()
        .0
        .credentials()
        .secret_store()
        .unwrap();
    assert!(store.get("groq@api.groq.com-api-key").unwrap().is_some());

    invoke(&window, "reset_everything", json!({})).unwrap();
    running_status(&window);
    assert_eq!(store.get("groq@api.groq.com-api-key").unwrap(), None);
    let view = invoke(&window, "providers", json!({})).unwrap();
    assert_eq!(view["providers"], json!([]));
    stop(&app);
}

//! The wizard against a fake provider: a pasted key goes to the keychain and never comes back,
//! the agent check sends a real request and says "ready", the agent's .env is previewed,
//! written, kept up to date by a key rotation and restored exactly by undo.

use clawbox_gateway::config::SettingsLayer;
use clawbox_testkit::FakeUpstream;
use serde_json::json;

use crate::harness::{app_with, invoke, settled_status, stop};

const ORIGINAL: &str = "# agent settings\nMODEL=gpt-4o-mini\n";

#[test]
fn the_wizard_reaches_agent_ready_and_connects_the_project() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let provider = runtime.block_on(FakeUpstream::provider());
    let dir = tempfile::tempdir().unwrap();
    let overrides = SettingsLayer {
        listen: Some("127.0.0.1:0".into()),
        openai_url: Some(provider.url()),
        ..Default::default()
    };
    let (app, window) = app_with(overrides, dir.path());
    settled_status(&window);

    // Without a credential the check says what to do.
    let check = invoke(&window, "check_agent", json!({})).unwrap();
    assert_eq!(check["ready"], false);
    assert_eq!(check["steps"][0]["ok"], true, "{check}");
    assert!(
        check["steps"][1]["fix"]
            .as_str()
            .unwrap()
            .contains("paste an OpenAI"),
        "{check}"
    );

    let err = invoke(
        &window,
        "save_api_key",
        json!({"provider": "openai", "key": "  "}),
    )
    .unwrap_err();
    assert_eq!(err["code"], "bad_key");
    let accounts = invoke(
        &window,
        "save_api_key",
        json!({"provider": "openai", "key": " sk-wizard-0123456789\n"}),
    )
    .unwrap();
    assert_eq!(
        accounts["api_keys"],
        json!([{"provider": "openai", "name": "OpenAI"}])
    );
    assert!(
        !accounts.to_string().contains("sk-wizard"),
        "a saved key is never shown again"
    );

    let check = invoke(&window, "check_agent", json!({})).unwrap();
    assert_eq!(check["ready"], true, "{check}");
    assert!(
        check["steps"][1]["detail"]
            .as_str()
            .unwrap()
            .contains("answered"),
        "{check}"
    );
    let sent = provider.last_request().unwrap();
    assert_eq!(
        sent.header("authorization"),
        Some("Bearer sk-wizard-0123456789")
    );

    // Connect the agent's project: preview, then write.
    let project = tempfile::tempdir().unwrap();
    let env = project.path().join(".env");
    std::fs::write(&env, ORIGINAL).unwrap();
    let preview = invoke(
        &window,
        "connect_env",
        json!({"path": project.path(), "dryRun": true}),
    )
    .unwrap();
    assert_eq!(preview["changed"], true);
    assert!(
        preview["diff"]
            .as_str()
            .unwrap()
            .contains("+OPENAI_API_KEY=cbx_…"),
        "{preview}"
    );
    assert_eq!(std::fs::read_to_string(&env).unwrap(), ORIGINAL);
    let done = invoke(
        &window,
        "connect_env",
        json!({"path": project.path(), "dryRun": false}),
    )
    .unwrap();
    assert!(done["backup"].as_str().is_some(), "{done}");
    let text = std::fs::read_to_string(&env).unwrap();
    let port = settled_status(&window).port;
    assert!(text.starts_with(ORIGINAL));
    assert!(text.contains(&format!("OPENCLAW_GATEWAY_URL=http://localhost:{port}\n")));
    assert!(text.contains(&format!("OPENAI_BASE_URL=http://localhost:{port}/v1\n")));
    let connections = invoke(&window, "connections", json!({})).unwrap();
    assert_eq!(connections[0]["path"], env.display().to_string());

    // The compatibility check: every API through the current route, and the connected file.
    let doctor = invoke(&window, "run_doctor", json!({})).unwrap();
    assert_eq!(doctor["ready"], true, "{doctor}");
    let titles: Vec<&str> = doctor["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["title"].as_str().unwrap())
        .collect();
    assert!(
        titles.contains(&"Streamed chat completions with usage"),
        "{titles:?}"
    );
    assert!(
        titles.contains(&format!("{} (env)", env.display()).as_str()),
        "{titles:?}"
    );
    let err = invoke(
        &window,
        "connect_tool",
        json!({"kind": "vim", "dryRun": true}),
    )
    .unwrap_err();
    assert_eq!(err["code"], "bad_tool");

    // Rotating the local key updates the connected file.
    let key_line = |t: &str| {
        t.lines()
            .find(|l| l.starts_with("OPENAI_API_KEY="))
            .unwrap()
            .to_owned()
    };
    let old = key_line(&text);
    let rewritten = invoke(&window, "rotate_local_key", json!({})).unwrap();
    assert_eq!(rewritten[0]["path"], env.display().to_string());
    assert_eq!(rewritten[0]["changed"], true);
    let new = key_line(&std::fs::read_to_string(&env).unwrap());
    assert_ne!(old, new);

    let undone = invoke(&window, "undo_env", json!({"path": project.path()})).unwrap();
    assert!(
        undone["message"]
            .as_str()
            .unwrap()
            .contains("back as it was")
    );
    assert_eq!(std::fs::read_to_string(&env).unwrap(), ORIGINAL);
    let err = invoke(
        &window,
        "connect_env",
        json!({"path": "relative/dir", "dryRun": true}),
    )
    .unwrap_err();
    assert!(
        err["message"].as_str().unwrap().contains("full path"),
        "{err}"
    );
    stop(&app);
}

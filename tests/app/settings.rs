//! The settings form: validated by the engine before anything is written, saved in the same
//! settings.json the headless gateway reads, pinned settings refused, a new port applied by a
//! restart, and "reset everything".

use clawbox_gateway::config::SettingsLayer;
use serde_json::{Value, json};

use crate::harness::{app, app_with, free_port, invoke, running_status, settled_status, stop};

fn settings_file(dir: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("settings.json")).unwrap()).unwrap()
}

#[test]
fn settings_are_validated_then_saved_where_the_gateway_reads_them() {
    let dir = tempfile::tempdir().unwrap();
    let (app, window) = app("127.0.0.1:0", dir.path());
    settled_status(&window);
    let settings = invoke(&window, "get_settings", json!({})).unwrap();
    assert_eq!(settings["mode"], "local");
    assert_eq!(settings["retention_days"], 90);
    assert_eq!(settings["monthly_cap"], 0);
    assert_eq!(settings["pinned"], json!(["port"]));

    // A value the gateway would refuse is refused here, naming the setting; nothing is written.
    let err = invoke(
        &window,
        "save_settings",
        json!({"change": {"rate_limit": 0}}),
    )
    .unwrap_err();
    assert_eq!(err["code"], "invalid");
    assert!(
        err["message"].as_str().unwrap().contains("rate_limit"),
        "{err}"
    );
    let err = invoke(
        &window,
        "save_settings",
        json!({"change": {"hosted_url": "ftp://example.com"}}),
    )
    .unwrap_err();
    assert!(
        err["message"].as_str().unwrap().contains("hosted_url"),
        "{err}"
    );
    assert!(!dir.path().join("settings.json").exists());

    // A pinned setting is locked.
    let err = invoke(&window, "save_settings", json!({"change": {"port": 18800}})).unwrap_err();
    assert_eq!(err["code"], "pinned");
    assert!(
        err["message"].as_str().unwrap().contains("CLAWBOX_LISTEN"),
        "{err}"
    );

    std::fs::write(
        dir.path().join("settings.json"),
        r#"{"routes": [], "theme": "dark"}"#,
    )
    .unwrap();
    let saved = invoke(
        &window,
        "save_settings",
        json!({"change": {"rate_limit": 7, "monthly_cap": 100, "user_id": "trainee-7",
                          "retention_days": 30, "failover": true, "onboarded": true}}),
    )
    .unwrap();
    assert_eq!(
        (saved["rate_limit"].clone(), saved["user_id"].clone()),
        (json!(7), json!("trainee-7"))
    );
    let file = settings_file(dir.path());
    assert_eq!(file["monthly_cap"], 100);
    assert_eq!(file["retention_days"], 30);
    assert_eq!(file["theme"], "dark", "keys ClawBox does not know are kept");
    assert!(settled_status(&window).onboarded);
    // The running gateway applies it at once: the user id now names requests.
    let health = invoke(&window, "gateway_status", json!({})).unwrap();
    assert_eq!(health["running"], true);

    // Clearing an optional setting removes it.
    let cleared = invoke(
        &window,
        "save_settings",
        json!({"change": {"monthly_cap": 0, "user_id": ""}}),
    )
    .unwrap();
    assert_eq!(
        (cleared["monthly_cap"].clone(), cleared["user_id"].clone()),
        (json!(0), json!(""))
    );
    let file = settings_file(dir.path());
    assert!(
        file.get("monthly_cap").is_none() && file.get("user_id").is_none(),
        "{file}"
    );
    stop(&app);
}

#[test]
fn a_new_port_restarts_the_gateway_there_and_connected_agents_follow() {
    let dir = tempfile::tempdir().unwrap();
    let first = free_port();
    let second = std::iter::repeat_with(free_port)
        .find(|p| *p != first)
        .unwrap();
    std::fs::write(
        dir.path().join("settings.json"),
        format!(r#"{{"listen": "127.0.0.1:{first}"}}"#),
    )
    .unwrap();
    let project = tempfile::tempdir().unwrap();
    let (app, window) = app_with(SettingsLayer::default(), dir.path());
    assert_eq!(settled_status(&window).port, first);
    invoke(
        &window,
        "connect_env",
        json!({"path": project.path(), "dryRun": false}),
    )
    .unwrap();

    invoke(
        &window,
        "save_settings",
        json!({"change": {"port": second}}),
    )
    .unwrap();
    let status = running_status(&window);
    assert!(status.running, "{status:?}");
    assert_eq!(
        status.url.as_deref(),
        Some(format!("http://127.0.0.1:{second}").as_str())
    );
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", first)).is_err(),
        "the old port is free"
    );
    let env = std::fs::read_to_string(project.path().join(".env")).unwrap();
    assert!(
        env.contains(&format!("OPENCLAW_GATEWAY_URL=http://localhost:{second}\n")),
        "{env}"
    );
    stop(&app);
}

#[test]
fn a_taken_port_comes_with_a_free_one_to_use_instead() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    std::fs::write(
        dir.path().join("settings.json"),
        format!(r#"{{"listen": "127.0.0.1:{port}"}}"#),
    )
    .unwrap();
    let (app, window) = app_with(SettingsLayer::default(), dir.path());
    let status = settled_status(&window);
    assert!(
        !status.running && status.port_taken && status.port == port,
        "{status:?}"
    );
    let offered = invoke(&window, "free_port", json!({}))
        .unwrap()
        .as_u64()
        .unwrap();
    assert!(offered > 18789);
    // The way out works while the gateway is down: settings are saved and it starts there.
    let other = free_port();
    invoke(&window, "save_settings", json!({"change": {"port": other}})).unwrap();
    let status = running_status(&window);
    assert!(status.running && status.port == other, "{status:?}");
    stop(&app);
}

#[test]
fn reset_everything_forgets_settings_history_and_keys() {
    let dir = tempfile::tempdir().unwrap();
    let (app, window) = app("127.0.0.1:0", dir.path());
    let before = settled_status(&window);
    invoke(
        &window,
        "save_settings",
        json!({"change": {"onboarded": true, "user_id": "u1"}}),
    )
    .unwrap();
    invoke(
        &window,
        "save_api_key",
        json!({"provider": "openai", "key": "sk-test-123456789"}),
    )
    .unwrap();

    invoke(&window, "reset_everything", json!({})).unwrap();
    let status = running_status(&window);
    assert!(status.running);
    assert!(!status.onboarded, "the wizard opens again");
    assert_ne!(status.local_key, before.local_key, "a new local key");
    assert_eq!(settings_file(dir.path()), json!({}));
    let accounts = invoke(&window, "accounts", json!({})).unwrap();
    assert_eq!(accounts["api_keys"], json!([]));
    stop(&app);
}

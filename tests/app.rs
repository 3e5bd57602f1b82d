//! The desktop app's commands through Tauri's mock runtime: no window, no display, the real
//! gateway behind them.
#![allow(
    clippy::unwrap_used,
    reason = "a test helper that fails should fail loudly"
)]

use clawbox_app::{GatewayHost, GatewayStatus};
use clawbox_auth::MemoryStore;
use clawbox_gateway::config::SettingsLayer;
use clawbox_gateway::{GatewayOptions, SecretsFrom};
use std::sync::Arc;
use tauri::Manager;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder};
use tauri::webview::InvokeRequest;

fn app(
    listen: &str,
    data_dir: &std::path::Path,
) -> (tauri::App<MockRuntime>, tauri::WebviewWindow<MockRuntime>) {
    // The app's real context (its capability and command permissions) on the mock runtime.
    let app = clawbox_app::with_commands(mock_builder())
        .build(tauri::generate_context!())
        .unwrap();
    let overrides = SettingsLayer {
        listen: Some(listen.into()),
        ..Default::default()
    };
    let mut options = GatewayOptions::new(data_dir.to_owned(), overrides);
    options.secrets = SecretsFrom::Store(Arc::new(MemoryStore::new()));
    let host = GatewayHost::start_with(app.handle(), Ok(options));
    app.manage(host);
    let webview = match app.get_webview_window("main") {
        Some(window) => window,
        None => tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .unwrap(),
    };
    (app, webview)
}

/// The status once the gateway has finished starting (it starts in the background).
fn settled_status(webview: &tauri::WebviewWindow<MockRuntime>) -> GatewayStatus {
    for _ in 0..200 {
        let status: GatewayStatus = serde_json::from_value(
            invoke(webview, "gateway_status", serde_json::json!({})).unwrap(),
        )
        .unwrap();
        if !status.starting {
            return status;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    panic!("the gateway never finished starting");
}

fn invoke(
    webview: &tauri::WebviewWindow<MockRuntime>,
    cmd: &str,
    body: serde_json::Value,
) -> Result<serde_json::Value, serde_json::Value> {
    get_ipc_response(
        webview,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            // On Linux, tauri://localhost is the app's own origin (http://tauri.localhost is remote).
            url: "tauri://localhost".parse().unwrap(),
            body: InvokeBody::Json(body),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|r| r.deserialize::<serde_json::Value>().unwrap())
}

#[test]
fn the_status_command_reports_the_running_gateway_and_the_mode_switch_applies_live() {
    let dir = tempfile::tempdir().unwrap();
    let (app, webview) = app("127.0.0.1:0", dir.path());
    let status = settled_status(&webview);
    assert!(status.running, "{status:?}");
    assert!(
        status
            .url
            .as_deref()
            .unwrap()
            .starts_with("http://127.0.0.1:")
    );
    assert_eq!(status.mode.as_deref(), Some("local"));
    assert!(status.local_key.unwrap().starts_with("cbx_…"));

    let switched: GatewayStatus = serde_json::from_value(
        invoke(&webview, "set_mode", serde_json::json!({"mode": "hosted"})).unwrap(),
    )
    .unwrap();
    assert_eq!(switched.mode.as_deref(), Some("hosted"));
    let settings = std::fs::read_to_string(dir.path().join("settings.json")).unwrap();
    assert!(settings.contains(r#""mode": "hosted""#), "{settings}");

    let err = invoke(
        &webview,
        "set_mode",
        serde_json::json!({"mode": "elsewhere"}),
    )
    .unwrap_err();
    assert_eq!(err["code"], "bad_mode");
    app.state::<GatewayHost>().stop();
}

#[test]
fn a_taken_port_is_a_message_for_the_window_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let (_app, webview) = app(&taken.local_addr().unwrap().to_string(), dir.path());
    let status = settled_status(&webview);
    assert!(!status.running);
    assert!(status.error.unwrap().contains("already in use"));
    let err = invoke(&webview, "set_mode", serde_json::json!({"mode": "hosted"})).unwrap_err();
    assert_eq!(err["code"], "not_running");
}

#[test]
fn the_app_binary_runs_the_command_line_too() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_clawbox"))
        .arg("status")
        .env("CLAWBOX_DATA_DIR", dir.path())
        .env("CLAWBOX_SECRET_STORE", "file")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("data folder:") && text.contains("mode:            local"),
        "{text}"
    );
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_clawbox"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(
        String::from_utf8(help.stdout)
            .unwrap()
            .contains("Usage: clawbox <COMMAND>")
    );
}

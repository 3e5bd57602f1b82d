//! The status command, the mode switch, a taken port, and the binary's command line.

use clawbox_app::{GatewayHost, GatewayStatus};
use tauri::Manager;

use crate::harness::{app, invoke, settled_status};

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

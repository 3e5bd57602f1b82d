//! The app on Tauri's mock runtime with its real context (capability, command permissions), the
//! real gateway behind it, a private data dir and an in-memory secret store.

use std::path::Path;
use std::sync::Arc;

use clawbox_app::{ExportFolder, GatewayHost, GatewayStatus};
use clawbox_auth::MemoryStore;
use clawbox_gateway::config::SettingsLayer;
use clawbox_gateway::{GatewayOptions, SecretsFrom};
use tauri::Manager;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder};
use tauri::webview::InvokeRequest;

pub type Window = tauri::WebviewWindow<MockRuntime>;

/// The app with the gateway on `listen` (pinned, as `CLAWBOX_LISTEN` would).
pub fn app(listen: &str, data_dir: &Path) -> (tauri::App<MockRuntime>, Window) {
    let overrides = SettingsLayer {
        listen: Some(listen.into()),
        ..Default::default()
    };
    app_with(overrides, data_dir)
}

/// The app with these environment settings.
pub fn app_with(overrides: SettingsLayer, data_dir: &Path) -> (tauri::App<MockRuntime>, Window) {
    let app = clawbox_app::with_commands(mock_builder())
        .build(tauri::generate_context!())
        .unwrap();
    let mut options = GatewayOptions::new(data_dir.to_owned(), overrides);
    options.secrets = SecretsFrom::Store(Arc::new(MemoryStore::new()));
    let host = GatewayHost::start_with(app.handle(), Ok(options));
    app.manage(host);
    app.manage(ExportFolder(data_dir.join("exports")));
    let webview = match app.get_webview_window("main") {
        Some(window) => window,
        None => tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .unwrap(),
    };
    (app, webview)
}

/// The status once the gateway has finished starting (it starts in the background).
pub fn settled_status(webview: &Window) -> GatewayStatus {
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

/// The status once the gateway is serving again (after a restart).
pub fn running_status(webview: &Window) -> GatewayStatus {
    for _ in 0..200 {
        let status = settled_status(webview);
        if status.running {
            return status;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    panic!("the gateway never came back: {:?}", settled_status(webview));
}

/// Calls a command as the page would (through the capability check).
pub fn invoke(
    webview: &Window,
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

/// A free loopback port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Stops the gateway (flushing its log) when the test ends.
pub fn stop(app: &tauri::App<MockRuntime>) {
    app.state::<GatewayHost>().stop();
}

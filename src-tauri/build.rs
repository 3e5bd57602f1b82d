//! Embeds tauri.conf.json and the window's capability, and declares the app's commands so that
//! only those the capability lists can be called.

/// Every command the window may call (each also listed in capabilities/main.json).
const COMMANDS: [&str; 47] = [
    "gateway_status",
    "set_mode",
    "free_port",
    "get_settings",
    "save_settings",
    "reset_everything",
    "conversations_summary",
    "forget_conversations",
    "accounts",
    "save_api_key",
    "remove_api_key",
    "sign_in_chatgpt",
    "sign_out_chatgpt",
    "copy_local_key",
    "rotate_local_key",
    "providers",
    "add_provider",
    "save_provider_key",
    "remove_provider",
    "set_default_upstream",
    "check_agent",
    "choose_folder",
    "connect_env",
    "undo_env",
    "connections",
    "connect_tool",
    "run_doctor",
    "usage_dashboard",
    "request_log",
    "log_facets",
    "export_log_csv",
    "clear_history",
    "today_usage",
    "plan_limits",
    "request_detail",
    "price_source",
    "pending_provision",
    "dismiss_provision",
    "check_update",
    "install_update",
    "agents",
    "install_agent",
    "start_agent",
    "agent_prompt",
    "agent_cancel",
    "agent_answer",
    "close_agent",
];

fn main() {
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("./src-tauri/capabilities/**/*")
        .app_manifest(tauri_build::AppManifest::new().commands(&COMMANDS));
    if let Err(e) = tauri_build::try_build(attributes) {
        panic!("tauri build step failed: {e:#}");
    }
}

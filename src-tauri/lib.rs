//! The ClawBox desktop app: a thin Tauri shell over the engine (crates/gateway, crates/auth).
//! It starts the gateway in `setup`, shows its state in the window and the tray, forwards the
//! gateway's request events to the window, and stops the gateway gracefully on quit (pending
//! log rows flushed). All logic lives in the engine; the commands here only adapt it.
//!
//! - gateway_host.rs: the running gateway (or why it is not running) as app state.
//! - commands/: the IPC commands, typed for the UI (ts-rs → ui/src/bindings).
//! - tray.rs: the tray / menu-bar icon.
//! - alerts.rs: usage alerts (plan windows, the budget) and the tray's plan line.

mod alerts;
mod commands;
mod gateway_host;
mod tray;

use tauri::{Manager, RunEvent};

pub use commands::CommandError;
pub use commands::history::ExportFolder;
pub use commands::provisioning::{PROVISION_FILE, offer_file, offer_link};
pub use commands::status::GatewayStatus;
pub use gateway_host::GatewayHost;

/// The app's commands on `base` (the real builder, or Tauri's mock one in tests).
pub fn with_commands<R: tauri::Runtime>(base: tauri::Builder<R>) -> tauri::Builder<R> {
    use commands::{
        accounts, agents, history, onboarding, providers, provisioning, settings, status, updates,
    };
    base.plugin(tauri_plugin_store::Builder::new().build())
        // Usage alerts (alerts.rs) send notifications from Rust; the page has no access to it.
        .plugin(tauri_plugin_notification::init())
        .manage(provisioning::PendingProvision::default())
        .manage(updates::PendingUpdate::default())
        .manage(agents::AgentHost::default())
        .invoke_handler(tauri::generate_handler![
            status::gateway_status,
            status::set_mode,
            status::free_port,
            settings::get_settings,
            settings::save_settings,
            settings::reset_everything,
            settings::conversations_summary,
            settings::forget_conversations,
            accounts::accounts,
            accounts::save_api_key,
            accounts::remove_api_key,
            accounts::sign_in_chatgpt,
            accounts::sign_out_chatgpt,
            accounts::copy_local_key,
            accounts::rotate_local_key,
            providers::providers,
            providers::add_provider,
            providers::save_provider_key,
            providers::remove_provider,
            providers::set_default_upstream,
            onboarding::check_agent,
            onboarding::choose_folder,
            onboarding::connect_env,
            onboarding::undo_env,
            onboarding::connections,
            onboarding::connect_tool,
            onboarding::run_doctor,
            history::usage_dashboard,
            history::request_log,
            history::log_facets,
            history::export_log_csv,
            history::clear_history,
            history::today_usage,
            history::plan_limits,
            history::request_detail,
            history::price_source,
            provisioning::pending_provision,
            provisioning::dismiss_provision,
            updates::check_update,
            updates::install_update,
            agents::agents,
            agents::install_agent,
            agents::start_agent,
            agents::agent_prompt,
            agents::agent_cancel,
            agents::agent_answer,
            agents::close_agent,
        ])
}

pub fn run() {
    init_logging();
    // Single instance first, as its docs ask: a second launch (a double-click, or a setup link
    // opened while ClawBox runs) focuses this window instead, and its `deep-link` feature hands
    // the link to the deep-link plugin here.
    let base =
        tauri::Builder::default().plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            tray::show_main_window(app);
        }));
    let app = with_commands(base)
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_updater::Builder::new().build())
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_clipboard_manager::init())
        // Off by default; the Settings screen turns it on (and the plugin adds nothing else).
        .plugin(tauri_plugin_autostart::Builder::new().build())
        .setup(|app| {
            let host = GatewayHost::start(app.handle());
            if let Some(dir) = host.data_dir() {
                commands::provisioning::offer_file(app.handle(), dir);
            }
            app.manage(host);
            receive_setup_links(app.handle());
            commands::updates::check_after_start(app.handle());
            // A desktop without a tray (or its library) still gets the window.
            if let Err(e) = tray::build(app.handle()) {
                tracing::warn!(error = %e, "no tray icon");
            }
            quit_on_signal(app.handle().clone());
            Ok(())
        })
        .build(tauri::generate_context!());
    let app = match app {
        Ok(app) => app,
        Err(e) => {
            eprintln!("error: ClawBox cannot start: {e}");
            std::process::exit(1);
        }
    };
    app.run(|handle, event| {
        if let RunEvent::Exit = event {
            // Agents first: each one's whole process group ends with ClawBox.
            if let Some(agents) = handle.try_state::<commands::agents::AgentHost>() {
                agents.kill_all();
            }
            if let Some(host) = handle.try_state::<GatewayHost>() {
                host.stop();
            }
        }
    });
}

/// `clawbox://onboard?...` links: the one ClawBox was started with (on Linux and Windows, a
/// command-line argument the deep-link plugin picked up), and those opened while it runs.
fn receive_setup_links(app: &tauri::AppHandle) {
    use tauri_plugin_deep_link::DeepLinkExt;
    if let Ok(Some(urls)) = app.deep_link().get_current() {
        for url in urls {
            commands::provisioning::offer_link(app, url.as_str());
        }
    }
    let handle = app.clone();
    app.deep_link().on_open_url(move |event| {
        for url in event.urls() {
            commands::provisioning::offer_link(&handle, url.as_str());
        }
        tray::show_main_window(&handle);
    });
}

/// Ctrl-C or SIGTERM (a session ending, a service manager) quits like the tray's Quit: the
/// gateway stops gracefully and the log is flushed.
fn quit_on_signal(app: tauri::AppHandle) {
    // On Unix the handlers are installed here, before setup returns, so no early signal is
    // missed (a signal stream listens from its creation; it needs the runtime to be made).
    #[cfg(unix)]
    let signals = tauri::async_runtime::block_on(async {
        use tokio::signal::unix::{SignalKind, signal};
        Ok::<_, std::io::Error>((
            signal(SignalKind::terminate())?,
            signal(SignalKind::interrupt())?,
        ))
    });
    tauri::async_runtime::spawn(async move {
        #[cfg(unix)]
        {
            let Ok((mut term, mut int)) = signals else {
                return;
            };
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        app.exit(0);
    });
}

fn init_logging() {
    let filter = std::env::var("CLAWBOX_LOG").unwrap_or_else(|_| "info".into());
    let filter = clawbox_agents::without_protocol_log(&filter);
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

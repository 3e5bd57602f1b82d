//! The tray / menu-bar icon: open the window, switch mode, quit.

use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Runtime};

pub fn build<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let open = MenuItem::with_id(app, "open", "Open ClawBox", true, None::<&str>)?;
    let local = MenuItem::with_id(app, "mode-local", "Use local mode", true, None::<&str>)?;
    let hosted = MenuItem::with_id(app, "mode-hosted", "Use hosted mode", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit ClawBox", true, None::<&str>)?;
    let separator = PredefinedMenuItem::separator(app)?;
    let menu = Menu::with_items(
        app,
        &[&open, &separator, &local, &hosted, &separator, &quit],
    )?;
    let mut tray = TrayIconBuilder::with_id("main")
        .tooltip("ClawBox")
        .menu(&menu)
        .on_menu_event(|app, event| match event.id().as_ref() {
            "open" => show_main_window(app),
            "mode-local" | "mode-hosted" => {
                let mode = event.id().as_ref().trim_start_matches("mode-").to_owned();
                if let Err(e) = crate::commands::status::set_mode(app.clone(), app.state(), mode) {
                    tracing::warn!(error = %e.message, "cannot switch mode");
                }
            }
            "quit" => app.exit(0),
            _ => {}
        });
    if let Some(icon) = app.default_window_icon() {
        tray = tray.icon(icon.clone());
    }
    tray.build(app)?;
    Ok(())
}

pub fn show_main_window<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

//! The tray / menu-bar icon: open the window, what is left of the ChatGPT plan, switch mode,
//! quit.

use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Runtime};

/// The plan's line in the menu (not clickable), kept to update its text.
struct PlanLine<R: Runtime>(MenuItem<R>);

/// Shows `text` on the tray's plan line (when there is a tray).
pub fn set_plan_line<R: Runtime>(app: &AppHandle<R>, text: &str) {
    if let Some(line) = app.try_state::<PlanLine<R>>() {
        let _ = line.0.set_text(text);
    }
}

pub fn build<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let open = MenuItem::with_id(app, "open", "Open ClawBox", true, None::<&str>)?;
    let plan = MenuItem::with_id(
        app,
        "plan",
        crate::alerts::tray_text(None, 0),
        false,
        None::<&str>,
    )?;
    let local = MenuItem::with_id(app, "mode-local", "Use local mode", true, None::<&str>)?;
    let hosted = MenuItem::with_id(app, "mode-hosted", "Use hosted mode", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit ClawBox", true, None::<&str>)?;
    let separator = PredefinedMenuItem::separator(app)?;
    let menu = Menu::with_items(
        app,
        &[&open, &plan, &separator, &local, &hosted, &separator, &quit],
    )?;
    app.manage(PlanLine(plan));
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

//! The ClawBox desktop app.
// No console window next to the app on Windows in release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    clawbox_app::run();
}

//! The ClawBox desktop app. `clawbox <subcommand>` runs the same command line as
//! `clawbox-gateway` (so an installed app can be driven from a terminal); anything else —
//! nothing, or a `clawbox://` link — opens the window.
// No console window next to the app on Windows in release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() -> std::process::ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if clawbox_cli::is_command_line(&args) {
        return clawbox_cli::run("clawbox", args);
    }
    clawbox_app::run();
    std::process::ExitCode::SUCCESS
}

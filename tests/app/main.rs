//! The desktop app's commands through Tauri's mock runtime: no window, no display, the real
//! gateway, a real SQLite file and the testkit's fake provider behind them.
#![allow(
    clippy::unwrap_used,
    reason = "a test helper that fails should fail loudly"
)]

mod harness;

mod agents;
mod conversations;
mod cost;
mod history;
mod onboarding;
mod providers;
mod provisioning;
mod settings;
mod status;

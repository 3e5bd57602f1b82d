//! `clawbox-gateway login codex` / `logout codex`: Sign in with ChatGPT from the command line.

use std::time::Duration;

use crate::config::{SETTINGS_FILE, set_setting};
use clap::ValueEnum;
use clawbox_auth::codex::{CodexEndpoints, CodexLogin, logout, open_in_browser};
use clawbox_auth::open_store;

use super::Place;

/// How long the browser has to come back.
const SIGN_IN_TIMEOUT: Duration = Duration::from_secs(5 * 60);

#[derive(Clone, Copy, ValueEnum)]
pub enum Account {
    /// Your ChatGPT plan, through OpenAI's Codex sign-in
    Codex,
}

pub async fn run_login(place: &Place, no_browser: bool) -> Result<(), String> {
    let dir = place.data_dir().map_err(|e| e.to_string())?;
    let store = open_store(place.store_kind(), &dir).map_err(|e| e.to_string())?;
    let endpoints = CodexEndpoints::from_env().map_err(|e| e.to_string())?;
    let login = CodexLogin::start(endpoints.clone())
        .await
        .map_err(|e| e.to_string())?;
    println!("Sign in with ChatGPT at:\n\n  {}\n", login.url);
    if !no_browser && open_in_browser(&login.url) {
        println!("(Your browser should have opened it. Waiting for you to finish there…)");
    } else {
        println!("(Open it in a browser on this machine. Waiting…)");
    }
    let tokens = login
        .finish(SIGN_IN_TIMEOUT)
        .await
        .map_err(|e| e.to_string())?;
    let account = tokens.account.clone();
    // A previous sign-in is revoked, not just overwritten (as the Codex CLI does).
    if let Err(e) = logout(store.clone(), &endpoints).await {
        tracing::warn!(error = %e, "could not revoke the previous ChatGPT sign-in");
    }
    tokio::task::spawn_blocking(move || tokens.save(store.as_ref()))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    println!(
        "Signed in as {} ({} plan).",
        account.email.as_deref().unwrap_or(&account.account_id),
        account.plan.as_deref().unwrap_or("unknown")
    );
    use_auth_mode(&dir, "codex")
}

pub async fn run_logout(place: &Place) -> Result<(), String> {
    let dir = place.data_dir().map_err(|e| e.to_string())?;
    let store = open_store(place.store_kind(), &dir).map_err(|e| e.to_string())?;
    let endpoints = CodexEndpoints::from_env().map_err(|e| e.to_string())?;
    match logout(store, &endpoints).await.map_err(|e| e.to_string())? {
        Some(out) => {
            let who = out
                .account
                .email
                .as_deref()
                .unwrap_or(&out.account.account_id);
            if out.revoked {
                println!("Signed out {who} and revoked the sign-in.");
            } else {
                println!(
                    "Signed out {who} here; OpenAI could not be reached to revoke the sign-in \
                     (it ends when it expires, or sign out of ChatGPT's other sessions)."
                );
            }
        }
        None => println!("No ChatGPT account was signed in."),
    }
    use_auth_mode(&dir, "openai")
}

/// Records the new auth mode in settings.json, unless the environment pins it.
fn use_auth_mode(dir: &std::path::Path, mode: &str) -> Result<(), String> {
    if std::env::var_os("CLAWBOX_AUTH_MODE").is_some() {
        println!(
            "Note: CLAWBOX_AUTH_MODE is set in the environment, so settings.json was not changed."
        );
        return Ok(());
    }
    set_setting(
        &dir.join(SETTINGS_FILE),
        "auth_mode",
        serde_json::json!(mode),
    )
    .map_err(|e| e.to_string())?;
    println!("auth_mode is now {mode}.");
    Ok(())
}

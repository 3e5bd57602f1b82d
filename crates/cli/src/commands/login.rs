//! `clawbox-gateway login codex` / `logout codex`: Sign in with ChatGPT from the command line.

use clap::ValueEnum;
use clawbox_auth::codex::{CodexEndpoints, open_in_browser, sign_in_chatgpt, sign_out_chatgpt};
use clawbox_auth::open_store;
use clawbox_gateway::config::use_auth_mode;

use super::Place;

#[derive(Clone, Copy, ValueEnum)]
pub enum Account {
    /// Your ChatGPT plan, through OpenAI's Codex sign-in
    Codex,
}

pub async fn run_login(place: &Place, no_browser: bool) -> Result<(), String> {
    let dir = place.data_dir().map_err(|e| e.to_string())?;
    let store = open_store(place.store_kind(), &dir).map_err(|e| e.to_string())?;
    let endpoints = CodexEndpoints::from_env().map_err(|e| e.to_string())?;
    let account = sign_in_chatgpt(store, &endpoints, |url| {
        println!("Sign in with ChatGPT at:\n\n  {url}\n");
        if !no_browser && open_in_browser(url) {
            println!("(Your browser should have opened it. Waiting for you to finish there…)");
        } else {
            println!("(Open it in a browser on this machine. Waiting…)");
        }
    })
    .await?;
    println!(
        "Signed in as {} ({} plan).",
        account.email.as_deref().unwrap_or(&account.account_id),
        account.plan.as_deref().unwrap_or("unknown")
    );
    report_auth_mode(&dir, "codex")
}

pub async fn run_logout(place: &Place) -> Result<(), String> {
    let dir = place.data_dir().map_err(|e| e.to_string())?;
    let store = open_store(place.store_kind(), &dir).map_err(|e| e.to_string())?;
    let endpoints = CodexEndpoints::from_env().map_err(|e| e.to_string())?;
    match sign_out_chatgpt(store, &endpoints).await? {
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
    report_auth_mode(&dir, "openai")
}

/// Records the new auth mode in settings.json, unless the environment pins it.
fn report_auth_mode(dir: &std::path::Path, mode: &str) -> Result<(), String> {
    if use_auth_mode(dir, mode).map_err(|e| e.to_string())? {
        println!("auth_mode is now {mode}.");
    } else {
        println!(
            "Note: CLAWBOX_AUTH_MODE is set in the environment, so settings.json was not changed."
        );
    }
    Ok(())
}

//! `clawbox-gateway status`: where things are and which credentials are stored, never a secret.

use clawbox_auth::codex::{CodexEndpoints, CodexTokens};
use clawbox_auth::{Credentials, KeychainState, LocalKey, open_store};
use clawbox_gateway::PlanLimits;
use clawbox_gateway::config::{Config, SETTINGS_FILE, SettingsLayer, load_settings_file};
use clawbox_gateway::plan_board;

use super::Place;

pub async fn run_status(place: &Place, overrides: &SettingsLayer) -> Result<(), String> {
    let dir = place.data_dir().map_err(|e| e.to_string())?;
    println!("data folder:     {}", dir.display());
    let settings = dir.join(SETTINGS_FILE);
    let credentials = Credentials::load(open_store(place.store_kind(), &dir));
    match load_settings_file(&settings).and_then(|f| Config::resolve(&f, overrides)) {
        Ok(config) => {
            println!("mode:            {}", config.mode.as_str());
            println!("listen:          http://{}", config.listen);
            for problem in config.problems() {
                println!("problem:         {problem}");
            }
            if !config.providers.is_empty() {
                let providers: Vec<String> = config
                    .providers
                    .iter()
                    .map(|p| {
                        let key = if p.tag.keyless {
                            "no key needed"
                        } else if credentials.named_key(&p.key_id()).is_some() {
                            "key saved"
                        } else {
                            "no key saved"
                        };
                        format!("{} ({key})", p.name())
                    })
                    .collect();
                println!("providers:       {}", providers.join(", "));
            }
            println!("default upstream: {}", config.default_upstream.as_str());
        }
        Err(e) => println!("settings:        {e}"),
    }
    match credentials.state() {
        KeychainState::Ready => {
            println!("secrets in:      {}", credentials.store_name());
            let local = credentials
                .local_key()
                .map_or_else(|| "none".to_owned(), |k| LocalKey::fingerprint(&k));
            println!("local key:       {local}");
            let saved: Vec<&str> = credentials
                .saved_providers()
                .iter()
                .map(|p| p.name())
                .collect();
            let saved = if saved.is_empty() {
                "none".to_owned()
            } else {
                saved.join(", ")
            };
            println!("saved API keys:  {saved}");
        }
        KeychainState::Unavailable(reason) => println!("secrets:         {reason}"),
    }
    if let Ok(store) = open_store(place.store_kind(), &dir) {
        match CodexTokens::load(store.as_ref()) {
            Ok(Some(tokens)) => {
                let a = tokens.account;
                println!(
                    "ChatGPT:         {} ({} plan, account {}){}",
                    a.email.as_deref().unwrap_or("signed in"),
                    a.plan.as_deref().unwrap_or("unknown"),
                    a.account_id,
                    a.expires_at
                        .and_then(|t| time::OffsetDateTime::from_unix_timestamp(t).ok())
                        .map(|t| format!(
                            ", access token renews by {} {:02}:{:02} UTC",
                            t.date(),
                            t.hour(),
                            t.minute()
                        ))
                        .unwrap_or_default()
                );
            }
            Ok(None) => println!("ChatGPT:         not signed in"),
            Err(e) => println!("ChatGPT:         {e}"),
        }
        if let Some(limits) = plan_limits(store, &dir).await {
            let now = plan_board::now_secs();
            println!("ChatGPT plan:    {}", limits.describe(now));
        }
    }
    Ok(())
}

/// The plan's windows: the reading the gateway kept when it is fresh, else the usage endpoint's
/// answer (kept in turn) when signed in with a token that needs no refresh — the command line
/// never refreshes the sign-in, which the running gateway may be doing (a refresh token works
/// once). `None` when not signed in.
async fn plan_limits(
    store: std::sync::Arc<dyn clawbox_auth::SecretStore>,
    dir: &std::path::Path,
) -> Option<PlanLimits> {
    let tokens = CodexTokens::load(store.as_ref()).ok()??;
    let file = dir.join(plan_board::PLAN_FILE);
    let kept = plan_board::read_file(&file);
    let now = plan_board::now_secs();
    if kept
        .as_ref()
        .is_some_and(|k| now - k.observed_at < plan_board::FRESH.as_secs() as i64)
    {
        return kept;
    }
    if tokens.expires_within(60, now.saturating_mul(1000)) {
        return kept;
    }
    let endpoints = CodexEndpoints::from_env().ok()?;
    let client = clawbox_auth::codex::oauth_http_client().ok()?;
    let asked = plan_board::ask_with(
        &client,
        &endpoints.usage_url(),
        tokens.access_token.expose(),
        &tokens.account.account_id,
    )
    .await;
    match asked {
        Some(limits) => {
            plan_board::write_file(&file, &limits);
            Some(limits)
        }
        None => kept,
    }
}

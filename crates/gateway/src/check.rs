//! "Is my agent ready?": what the seed's setup.sh does, from the inside — ask the running
//! gateway's `/health`, then send it one real chat completion the way an agent would (through
//! its port, with the local key), and say in plain words what worked and what to do if not.

use std::time::{Duration, Instant};

use clawbox_auth::KeychainState;
use serde::Serialize;

use crate::Gateway;
use crate::config::{AuthMode, Mode};

/// How long the test request may take (a cold provider can be slow, a dead one is not waited on).
const TEST_TIMEOUT: Duration = Duration::from_secs(60);

/// One step of the check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct CheckStep {
    pub ok: bool,
    pub title: String,
    /// What happened, in plain words.
    pub detail: String,
    /// What to do about it (when not ok).
    pub fix: Option<String>,
}

/// Runs the check against the gateway serving at `base_url` (e.g. `http://127.0.0.1:18789`).
pub async fn check_agent(gateway: &Gateway, base_url: &str) -> Vec<CheckStep> {
    // The check talks to this machine only: never through a proxy.
    let client = match reqwest::Client::builder()
        .no_proxy()
        .timeout(TEST_TIMEOUT)
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            return vec![step(false, "ClawBox is running", e.to_string(), None)];
        }
    };
    let health = health_step(&client, base_url).await;
    if !health.ok {
        return vec![health];
    }
    vec![health, request_step(gateway, &client, base_url).await]
}

async fn health_step(client: &reqwest::Client, base_url: &str) -> CheckStep {
    const TITLE: &str = "ClawBox is running";
    let started = Instant::now();
    let answer = match client.get(format!("{base_url}/health")).send().await {
        Ok(r) => r.json::<serde_json::Value>().await,
        Err(e) => {
            return step(
                false,
                TITLE,
                format!("{base_url}/health did not answer ({e})"),
                Some("Quit ClawBox and open it again; if this persists, choose another port in Settings".into()),
            );
        }
    };
    match answer {
        Ok(health) if health["gateway"] == "clawbox" => {
            let mut detail = format!(
                "The gateway answered in {} ms ({} mode)",
                started.elapsed().as_millis(),
                health["mode"].as_str().unwrap_or("?")
            );
            if let Some(problems) = health["problems"].as_array().filter(|p| !p.is_empty()) {
                let problems: Vec<&str> = problems.iter().filter_map(|p| p.as_str()).collect();
                detail.push_str(&format!("; note: {}", problems.join("; ")));
            }
            step(true, TITLE, detail, None)
        }
        _ => step(
            false,
            TITLE,
            format!("something other than ClawBox answers on {base_url}"),
            Some("Another program uses this port: choose another port in Settings".into()),
        ),
    }
}

async fn request_step(gateway: &Gateway, client: &reqwest::Client, base_url: &str) -> CheckStep {
    const TITLE: &str = "A test request gets an answer";
    let config = gateway.config();
    let credentials = gateway.credentials();
    let saved = credentials.saved_providers();
    let signed_in = gateway.codex().is_some_and(|c| c.account().is_some());
    let model = match config.mode {
        Mode::Hosted => "gpt-4o-mini",
        Mode::Local if signed_in && config.auth_mode == AuthMode::Codex => "gpt-5",
        Mode::Local if saved.contains(&clawbox_auth::Provider::OpenAi) => "gpt-4o-mini",
        Mode::Local if saved.contains(&clawbox_auth::Provider::Anthropic) => {
            "claude-3-5-haiku-latest"
        }
        Mode::Local if signed_in => {
            return step(
                false,
                TITLE,
                "You are signed in with ChatGPT, but ClawBox is set to use API keys".into(),
                Some("Sign in with ChatGPT again, or set auth mode to codex in Settings".into()),
            );
        }
        Mode::Local => {
            let why = match credentials.state() {
                KeychainState::Unavailable(reason) => format!(" ({reason})"),
                KeychainState::Ready => String::new(),
            };
            return step(
                false,
                TITLE,
                format!(
                    "ClawBox has no way to reach a model yet: no saved API key and no ChatGPT sign-in{why}"
                ),
                Some("Sign in with ChatGPT, or paste an OpenAI or Anthropic API key".into()),
            );
        }
    };
    let mut request = client
        .post(format!("{base_url}/v1/chat/completions"))
        .header("content-type", "application/json")
        .body(
            serde_json::json!({
                "model": model,
                "messages": [{"role": "user", "content": "Reply with the single word: ready"}],
            })
            .to_string(),
        );
    if let Some(key) = credentials.local_key() {
        request = request.bearer_auth(key.expose());
    }
    let started = Instant::now();
    let response = match request.send().await {
        Ok(r) => r,
        Err(e) => {
            return step(
                false,
                TITLE,
                format!("the test request did not complete ({e})"),
                Some("Check your internet connection, then run the check again".into()),
            );
        }
    };
    let status = response.status().as_u16();
    let upstream_ms = started.elapsed().as_millis();
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    if status == 200 {
        let tokens = body["usage"]["total_tokens"].as_u64();
        let answered = body["model"].as_str().unwrap_or(model);
        let tokens = tokens.map_or_else(String::new, |t| format!(", {t} tokens"));
        return step(
            true,
            TITLE,
            format!("{answered} answered in {upstream_ms} ms{tokens}"),
            None,
        );
    }
    let message = body["error"]["message"]
        .as_str()
        .map_or_else(|| format!("the answer was HTTP {status}"), str::to_owned);
    let fix = match status {
        401 | 403 => "The provider refused the key: paste a valid API key, or sign in again",
        402 => "This month's cap is reached: raise the monthly cap in Settings",
        404 => "The model is not available to this account: check the key's project or plan",
        429 => "Too many requests right now: wait a minute and run the check again",
        502 | 504 if config.mode == Mode::Hosted => {
            "The hosted gateway cannot be reached: check the hosted URL and your connection"
        }
        _ => "Check your internet connection, then run the check again",
    };
    step(
        false,
        TITLE,
        format!("{model}: {message}"),
        Some(fix.into()),
    )
}

fn step(ok: bool, title: &str, detail: String, fix: Option<String>) -> CheckStep {
    CheckStep {
        ok,
        title: title.to_owned(),
        detail,
        fix,
    }
}

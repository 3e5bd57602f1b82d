//! "Is my agent ready?": what the seed's setup.sh does, from the inside — ask the running
//! gateway's `/health`, then send it one real chat completion the way an agent would (through
//! its port, with the local key), and say in plain words what worked and what to do if not. The
//! same machinery is `doctor`, which asks every API clients use. exchange.rs sends one request
//! and judges the answer.
//!
//! Its own crate because both the window ("Agent ready", "Check compatibility") and the command
//! line (`doctor`) run it, and it looks at both the gateway and the files the configurators
//! wrote: it sits above clawbox-connect and below the app and clawbox-cli.

use std::time::Instant;

use clawbox_auth::KeychainState;
use serde::Serialize;

mod exchange;
mod providers;

use exchange::{client, exchange};
pub use providers::{ProviderCheck, provider_checks};

use clawbox_auth::Provider;
use clawbox_gateway::Gateway;
use clawbox_gateway::config::{AuthMode, Mode};

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

/// What a check needs to know about the ClawBox it talks to.
pub struct Probe {
    /// e.g. `http://127.0.0.1:18789`.
    pub base_url: String,
    pub mode: Mode,
    pub auth_mode: AuthMode,
    /// Sent as the bearer token (ClawBox then attaches what it holds).
    pub local_key: Option<clawbox_auth::Secret>,
    /// Provider keys ClawBox holds.
    pub saved: Vec<Provider>,
    /// A ChatGPT account is signed in.
    pub signed_in: bool,
    /// Why the keychain cannot be used, if it cannot.
    pub keychain_problem: Option<String>,
    /// The providers the person added, to check one by one (`doctor` only).
    pub providers: Vec<ProviderCheck>,
}

impl Probe {
    /// The running gateway's view of itself, at `base_url`.
    pub fn of(gateway: &Gateway, base_url: &str) -> Probe {
        let config = gateway.config();
        let credentials = gateway.credentials();
        Probe {
            base_url: base_url.to_owned(),
            mode: config.mode,
            auth_mode: config.auth_mode,
            local_key: credentials.local_key(),
            saved: credentials.saved_providers(),
            signed_in: gateway.codex().is_some_and(|c| c.account().is_some()),
            keychain_problem: match credentials.state() {
                KeychainState::Unavailable(reason) => Some(reason),
                KeychainState::Ready => None,
            },
            providers: provider_checks(&config, credentials),
        }
    }

    /// The model an OpenAI-style test request names, or why there is none to try.
    fn openai_model(&self) -> Result<&'static str, (String, String)> {
        match self.mode {
            Mode::Hosted => Ok("gpt-4o-mini"),
            Mode::Local if self.signed_in && self.auth_mode == AuthMode::Codex => Ok("gpt-5"),
            Mode::Local if self.saved.contains(&Provider::OpenAi) => Ok("gpt-4o-mini"),
            Mode::Local if self.saved.contains(&Provider::Anthropic) => Ok(CLAUDE_MODEL),
            Mode::Local if self.signed_in => Err((
                "You are signed in with ChatGPT, but ClawBox is set to use API keys".into(),
                "Sign in with ChatGPT again, or set auth mode to codex in Settings".into(),
            )),
            Mode::Local => {
                let why = self
                    .keychain_problem
                    .as_ref()
                    .map_or_else(String::new, |r| format!(" ({r})"));
                Err((
                    format!(
                        "ClawBox has no way to reach a model yet: no saved API key and no \
                         ChatGPT sign-in{why}"
                    ),
                    "Sign in with ChatGPT, or paste an OpenAI or Anthropic API key".into(),
                ))
            }
        }
    }
}

/// The Claude model the checks name.
const CLAUDE_MODEL: &str = "claude-3-5-haiku-latest";

/// The wizard's check: `/health`, then one real chat completion, as an agent would send it.
pub async fn check_agent(probe: &Probe) -> Vec<CheckStep> {
    let client = match client() {
        Ok(c) => c,
        Err(e) => return vec![step(false, "ClawBox is running", e, None)],
    };
    let health = health_step(&client, &probe.base_url).await;
    if !health.ok {
        return vec![health];
    }
    vec![health, request_step(probe, &client).await]
}

/// `doctor`: `/health`, then chat completions (plain and streamed with usage), the Responses
/// API and Anthropic Messages through the current route, then each named provider.
pub async fn doctor(probe: &Probe) -> Vec<CheckStep> {
    let mut steps = through_clawbox(probe).await;
    if steps.first().is_some_and(|s| s.ok) {
        steps.extend(providers::provider_steps(&probe.providers).await);
    }
    steps
}

async fn through_clawbox(probe: &Probe) -> Vec<CheckStep> {
    let client = match client() {
        Ok(c) => c,
        Err(e) => return vec![step(false, "ClawBox is running", e, None)],
    };
    let health = health_step(&client, &probe.base_url).await;
    if !health.ok {
        return vec![health];
    }
    let mut steps = vec![health];
    let model = match probe.openai_model() {
        Ok(model) => model,
        Err((detail, fix)) => {
            steps.push(step(false, "Requests can be answered", detail, Some(fix)));
            return steps;
        }
    };
    let ask = "Reply with the single word: ready";
    let chat = serde_json::json!({"model": model, "messages": [{"role": "user", "content": ask}]});
    steps.push(
        exchange(probe, &client, "/v1/chat/completions", &chat, &[])
            .await
            .judge("Chat completions", model, |b| {
                b["choices"][0]["message"].is_object()
            }),
    );
    let mut streamed = chat.clone();
    streamed["stream"] = true.into();
    streamed["stream_options"] = serde_json::json!({"include_usage": true});
    steps.push(
        exchange(probe, &client, "/v1/chat/completions", &streamed, &[])
            .await
            .judge_stream("Streamed chat completions with usage", model),
    );
    if model == CLAUDE_MODEL {
        steps.push(step(
            true,
            "Responses API",
            "skipped: Anthropic models do not speak it (save an OpenAI key or sign in with ChatGPT to use it)".into(),
            None,
        ));
    } else {
        let responses = serde_json::json!({"model": model, "input": ask});
        steps.push(
            exchange(probe, &client, "/v1/responses", &responses, &[])
                .await
                .judge("Responses API", model, |b| b["output"].is_array()),
        );
    }
    if probe.mode == Mode::Hosted || probe.saved.contains(&Provider::Anthropic) {
        let messages = serde_json::json!({"model": CLAUDE_MODEL, "max_tokens": 16,
            "messages": [{"role": "user", "content": ask}]});
        steps.push(
            exchange(
                probe,
                &client,
                "/v1/messages",
                &messages,
                &[("anthropic-version", "2023-06-01")],
            )
            .await
            .judge("Anthropic Messages", CLAUDE_MODEL, |b| {
                b["content"].is_array()
            }),
        );
    } else {
        steps.push(step(
            true,
            "Anthropic Messages",
            "skipped: no Anthropic key saved (`clawbox-gateway key set anthropic` adds one)".into(),
            None,
        ));
    }
    steps
}

/// One step per connected file: does it still point at ClawBox (and if not, the command that
/// fixes it)?
pub fn connection_steps(verdicts: Vec<clawbox_connect::Verdict>) -> Vec<CheckStep> {
    verdicts
        .into_iter()
        .map(|(connection, verdict)| {
            let title = format!(
                "{} ({})",
                connection.path.display(),
                connection.kind.as_str()
            );
            match verdict {
                Ok(()) => step(true, &title, "points at ClawBox".into(), None),
                Err(fix) => step(
                    false,
                    &title,
                    "does not point at ClawBox any more".into(),
                    Some(fix),
                ),
            }
        })
        .collect()
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

async fn request_step(probe: &Probe, client: &reqwest::Client) -> CheckStep {
    const TITLE: &str = "A test request gets an answer";
    let model = match probe.openai_model() {
        Ok(model) => model,
        Err((detail, fix)) => return step(false, TITLE, detail, Some(fix)),
    };
    let chat = serde_json::json!({"model": model,
        "messages": [{"role": "user", "content": "Reply with the single word: ready"}]});
    exchange(probe, client, "/v1/chat/completions", &chat, &[])
        .await
        .judge(TITLE, model, |b| b["choices"][0]["message"].is_object())
}

fn step(ok: bool, title: &str, detail: String, fix: Option<String>) -> CheckStep {
    CheckStep {
        ok,
        title: title.to_owned(),
        detail,
        fix,
    }
}

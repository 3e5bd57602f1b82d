//! One request of a check, sent to the gateway as a client would, and judged: the answer's
//! shape, its usage report, or what went wrong and how to fix it.

use std::time::{Duration, Instant};

use crate::{CheckStep, Probe, step};

/// How long the test request may take (a cold provider can be slow, a dead one is not waited on).
const TEST_TIMEOUT: Duration = Duration::from_secs(60);

/// The checks talk to this machine only: never through a proxy.
pub(super) fn client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(TEST_TIMEOUT)
        .build()
        .map_err(|e| e.to_string())
}

/// One request's outcome, to be judged.
pub(super) struct Exchange {
    status: u16,
    text: String,
    elapsed_ms: u128,
    failure: Option<String>,
}

pub(super) async fn exchange(
    probe: &Probe,
    client: &reqwest::Client,
    path: &str,
    body: &serde_json::Value,
    headers: &[(&str, &str)],
) -> Exchange {
    let mut request = client
        .post(format!("{}{path}", probe.base_url))
        .header("content-type", "application/json")
        .body(body.to_string());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(key) = &probe.local_key {
        request = request.bearer_auth(key.expose());
    }
    let started = Instant::now();
    let result = match request.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            match response.text().await {
                Ok(text) => Ok((status, text)),
                Err(e) => Err(e.to_string()),
            }
        }
        Err(e) => Err(e.to_string()),
    };
    let elapsed_ms = started.elapsed().as_millis();
    match result {
        Ok((status, text)) => Exchange {
            status,
            text,
            elapsed_ms,
            failure: None,
        },
        Err(e) => Exchange {
            status: 0,
            text: String::new(),
            elapsed_ms,
            failure: Some(e),
        },
    }
}

impl Exchange {
    pub(super) fn judge(
        self,
        title: &str,
        model: &str,
        shaped: impl Fn(&serde_json::Value) -> bool,
    ) -> CheckStep {
        if let Some(problem) = self.problem(model) {
            return problem.titled(title);
        }
        let body: serde_json::Value = serde_json::from_str(&self.text).unwrap_or_default();
        if !shaped(&body) {
            return step(
                false,
                title,
                format!("{model} answered, but not in the shape clients expect"),
                Some("Check the upstream URL in Settings: it must be the provider's origin".into()),
            );
        }
        let tokens = ["total_tokens", "output_tokens"]
            .iter()
            .find_map(|k| body["usage"][k].as_u64())
            .map_or_else(String::new, |t| format!(", {t} tokens"));
        step(
            true,
            title,
            format!("{model} answered in {} ms{tokens}", self.elapsed_ms),
            None,
        )
    }

    pub(super) fn judge_stream(self, title: &str, model: &str) -> CheckStep {
        if let Some(problem) = self.problem(model) {
            return problem.titled(title);
        }
        let chunks = self
            .text
            .lines()
            .filter_map(|l| l.strip_prefix("data: "))
            .filter(|d| *d != "[DONE]")
            .filter_map(|d| serde_json::from_str::<serde_json::Value>(d).ok())
            .collect::<Vec<_>>();
        let usage = chunks
            .iter()
            .find_map(|c| c["usage"]["total_tokens"].as_u64());
        match usage {
            Some(tokens) => step(
                true,
                title,
                format!("{} chunks, usage reported ({tokens} tokens)", chunks.len()),
                None,
            ),
            None => step(
                false,
                title,
                format!("{} chunks arrived but none reported usage", chunks.len()),
                Some(
                    "The upstream ignores stream_options.include_usage: tokens will be estimated"
                        .into(),
                ),
            ),
        }
    }

    /// A failed exchange as a step (titled later), or `None` when it succeeded.
    fn problem(&self, model: &str) -> Option<Untitled> {
        if let Some(e) = &self.failure {
            return Some(Untitled(
                format!("the request did not complete ({e})"),
                "Check your internet connection, then run the check again".into(),
            ));
        }
        if self.status == 200 {
            return None;
        }
        let body: serde_json::Value = serde_json::from_str(&self.text).unwrap_or_default();
        let message = body["error"]["message"].as_str().map_or_else(
            || format!("the answer was HTTP {}", self.status),
            str::to_owned,
        );
        Some(Untitled(
            format!("{model}: {message}"),
            fix_for(self.status).into(),
        ))
    }
}

/// A failure's detail and fix, before it is given its step's title.
struct Untitled(String, String);

impl Untitled {
    fn titled(self, title: &str) -> CheckStep {
        step(false, title, self.0, Some(self.1))
    }
}

fn fix_for(status: u16) -> &'static str {
    match status {
        401 | 403 => "The provider refused the key: save a valid API key, or sign in again",
        402 => "This month's cap is reached: raise the monthly cap in Settings",
        404 => "The model is not available to this account: check the key's project or plan",
        429 => "Too many requests right now: wait a minute and run the check again",
        502 | 504 => {
            "The upstream cannot be reached: check its URL in Settings and your connection"
        }
        _ => "Check your internet connection, then run the check again",
    }
}

//! Model routes (local mode): which upstream serves a model.
//!
//! Checked in this order: the models the local Ollama-compatible server says it has; the user's
//! rules from settings.json (`routes`: `[{"model": "mistral-*", "upstream": "ollama"}, …]`),
//! exact names before prefixes; then the defaults: `claude-*` → Anthropic, OpenAI's families
//! (`gpt-*`, `o` + digit, `codex-*`, embeddings, images, audio, moderation, fine-tunes) →
//! OpenAI. A model nothing matches is a 404 that names what was tried.

use std::collections::HashSet;

use serde::Deserialize;

use crate::stages::Upstream;

/// One user rule: `model` is an exact name, or a prefix ending in `*`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RouteRule {
    pub model: String,
    pub upstream: RouteTarget,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RouteTarget {
    Openai,
    Anthropic,
    Ollama,
}

impl RouteTarget {
    fn upstream(self) -> Upstream {
        match self {
            RouteTarget::Openai => Upstream::OpenAi,
            RouteTarget::Anthropic => Upstream::Anthropic,
            RouteTarget::Ollama => Upstream::Ollama,
        }
    }
}

const ANTHROPIC_PREFIXES: [&str; 1] = ["claude-"];
const OPENAI_PREFIXES: [&str; 17] = [
    "gpt-",
    "chatgpt-",
    "codex-",
    "text-embedding-",
    "text-moderation-",
    "omni-moderation-",
    "dall-e-",
    "gpt-image-",
    "whisper-",
    "tts-",
    "davinci-",
    "babbage-",
    "computer-use-",
    "sora-",
    "ft:",
    "o1",
    "o3",
];

/// The upstream for `model`, or a description of the routes tried.
pub fn pick(
    model: &str,
    rules: &[RouteRule],
    ollama: &HashSet<String>,
) -> Result<Upstream, String> {
    if ollama.contains(model) {
        return Ok(Upstream::Ollama);
    }
    let exact = rules
        .iter()
        .find(|r| !r.model.ends_with('*') && r.model == model);
    let prefix = || {
        rules.iter().find(|r| {
            r.model
                .strip_suffix('*')
                .is_some_and(|p| model.starts_with(p))
        })
    };
    if let Some(rule) = exact.or_else(prefix) {
        return Ok(rule.upstream.upstream());
    }
    if ANTHROPIC_PREFIXES.iter().any(|p| model.starts_with(p)) {
        return Ok(Upstream::Anthropic);
    }
    if OPENAI_PREFIXES.iter().any(|p| model.starts_with(p)) || is_o_series(model) {
        return Ok(Upstream::OpenAi);
    }
    Err(tried(rules, ollama))
}

/// `o` followed by a digit: o1, o3-mini, o4-mini, …
fn is_o_series(model: &str) -> bool {
    let mut chars = model.chars();
    chars.next() == Some('o') && chars.next().is_some_and(|c| c.is_ascii_digit())
}

fn tried(rules: &[RouteRule], ollama: &HashSet<String>) -> String {
    let mut parts = Vec::new();
    if ollama.is_empty() {
        parts.push("the local model server (no models found there)".to_owned());
    } else {
        let mut names: Vec<&str> = ollama.iter().map(String::as_str).collect();
        names.sort_unstable();
        parts.push(format!(
            "the local model server's models ({})",
            names.join(", ")
        ));
    }
    if !rules.is_empty() {
        let list: Vec<String> = rules
            .iter()
            .map(|r| format!("{} → {:?}", r.model, r.upstream).to_lowercase())
            .collect();
        parts.push(format!("your routes ({})", list.join(", ")));
    }
    parts.push("claude-* → Anthropic".into());
    parts.push("gpt-*, o1…, codex-*, text-embedding-* and OpenAI's other models → OpenAI".into());
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(json: &str) -> Vec<RouteRule> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn the_order_is_ollama_then_exact_then_prefix_then_defaults() {
        let ollama: HashSet<String> = ["llama3.2".to_owned()].into();
        let r = rules(
            r#"[{"model":"gpt-*","upstream":"ollama"},{"model":"gpt-4o","upstream":"anthropic"}]"#,
        );
        assert_eq!(pick("llama3.2", &r, &ollama), Ok(Upstream::Ollama));
        assert_eq!(
            pick("gpt-4o", &r, &ollama),
            Ok(Upstream::Anthropic),
            "exact before prefix"
        );
        assert_eq!(pick("gpt-5", &r, &ollama), Ok(Upstream::Ollama));
        assert_eq!(
            pick("claude-sonnet-4-6", &[], &ollama),
            Ok(Upstream::Anthropic)
        );
        for m in [
            "gpt-4o-mini",
            "o3-mini",
            "o4",
            "codex-mini",
            "text-embedding-3-small",
            "ft:gpt-4o:org::x",
        ] {
            assert_eq!(pick(m, &[], &ollama), Ok(Upstream::OpenAi), "{m}");
        }
    }

    #[test]
    fn an_unknown_model_names_the_routes_tried() {
        let err = pick(
            "mistral",
            &rules(r#"[{"model":"phi*","upstream":"ollama"}]"#),
            &HashSet::new(),
        )
        .unwrap_err();
        assert!(
            err.contains("no models found") && err.contains("phi* → ollama"),
            "{err}"
        );
        assert!(err.contains("claude-* → Anthropic"), "{err}");
        assert!(pick("omni", &[], &HashSet::new()).is_err());
    }
}

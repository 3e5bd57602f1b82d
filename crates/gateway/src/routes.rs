//! Model routes (local mode): which upstream serves a model.
//!
//! Checked in this order: the models the local Ollama-compatible server says it has; the user's
//! rules from settings.json (`routes`: `[{"model": "mistral-*", "upstream": "ollama"}, …]`, the
//! upstream being `openai`, `anthropic`, `ollama` or a named provider), exact names before
//! prefixes; the named providers' own model patterns (exact, then the longest prefix); then the
//! defaults: `claude-*` → Anthropic, OpenAI's families (`gpt-*`, `o` + digit, `codex-*`,
//! embeddings, images, audio, moderation, fine-tunes) → OpenAI; then the model lists the named
//! providers report; then `default_upstream`. A model nothing matches is a 404 that names what
//! was tried.
//!
//! Patterns a person wrote come before the built-in families; lists a provider reports come
//! after them, so a provider that also lists `gpt-4o` never takes OpenAI's model by surprise.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;

use crate::providers::{DefaultUpstream, Listed, NamedProvider, ProviderKind};
use crate::stages::Upstream;

/// One user rule: `model` is an exact name, or a prefix ending in `*`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RouteRule {
    pub model: String,
    pub upstream: RouteTarget,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(from = "String")]
pub enum RouteTarget {
    Openai,
    Anthropic,
    Ollama,
    /// A provider from `providers`, by name.
    Provider(String),
}

impl From<String> for RouteTarget {
    fn from(name: String) -> Self {
        match name.as_str() {
            "openai" => RouteTarget::Openai,
            "anthropic" => RouteTarget::Anthropic,
            "ollama" => RouteTarget::Ollama,
            _ => RouteTarget::Provider(name),
        }
    }
}

impl RouteTarget {
    fn name(&self) -> &str {
        match self {
            RouteTarget::Openai => "openai",
            RouteTarget::Anthropic => "anthropic",
            RouteTarget::Ollama => "ollama",
            RouteTarget::Provider(name) => name,
        }
    }
}

/// Refuses rules that name a provider that is not configured.
pub fn check_rules(rules: &[RouteRule], providers: &[NamedProvider]) -> Result<(), String> {
    for rule in rules {
        if let RouteTarget::Provider(name) = &rule.upstream
            && !providers.iter().any(|p| p.name() == name)
        {
            return Err(format!(
                "the route for `{}` names `{}`, which is not openai, anthropic, ollama or a \
                 provider you added",
                rule.model.chars().take(80).collect::<String>(),
                name.chars().take(40).collect::<String>()
            ));
        }
    }
    Ok(())
}

/// What can serve a model, as known now.
pub struct Candidates<'a> {
    pub rules: &'a [RouteRule],
    /// The local model server's models.
    pub local_models: &'a HashSet<String>,
    pub providers: &'a [NamedProvider],
    /// The named providers' reported lists, by name.
    pub listed: &'a HashMap<String, Listed>,
    pub default: &'a DefaultUpstream,
}

/// Where a model goes, and whether only `default_upstream` sent it there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Picked {
    pub upstream: Upstream,
    pub by_default: bool,
}

impl Picked {
    /// Chosen by a route, not by the default.
    pub fn of(upstream: Upstream) -> Picked {
        Picked::to(upstream)
    }

    fn to(upstream: Upstream) -> Picked {
        Picked {
            upstream,
            by_default: false,
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

/// The upstream for `model` in OpenAI's dialect, or a description of the routes tried.
pub fn pick(model: &str, c: &Candidates<'_>) -> Result<Picked, String> {
    if c.local_models.contains(model) {
        return Ok(Picked::to(Upstream::Ollama));
    }
    let exact = c
        .rules
        .iter()
        .find(|r| !r.model.ends_with('*') && r.model == model);
    let prefix = || {
        c.rules.iter().find(|r| {
            r.model
                .strip_suffix('*')
                .is_some_and(|p| model.starts_with(p))
        })
    };
    if let Some(rule) = exact.or_else(prefix) {
        let upstream = match &rule.upstream {
            RouteTarget::Openai => Upstream::OpenAi,
            RouteTarget::Anthropic => Upstream::Anthropic,
            RouteTarget::Ollama => Upstream::Ollama,
            RouteTarget::Provider(name) => named(c.providers, name).ok_or_else(|| tried(c))?,
        };
        return Ok(Picked::to(upstream));
    }
    if let Some(provider) = claimed(c.providers, ProviderKind::Openai, model) {
        return Ok(Picked::to(Upstream::Named(provider.tag)));
    }
    if ANTHROPIC_PREFIXES.iter().any(|p| model.starts_with(p)) {
        return Ok(Picked::to(Upstream::Anthropic));
    }
    if OPENAI_PREFIXES.iter().any(|p| model.starts_with(p)) || is_o_series(model) {
        return Ok(Picked::to(Upstream::OpenAi));
    }
    if let Some(provider) = listing(c, ProviderKind::Openai, model) {
        return Ok(Picked::to(Upstream::Named(provider.tag)));
    }
    let by_default = match c.default {
        DefaultUpstream::None => return Err(tried(c)),
        DefaultUpstream::Openai => Upstream::OpenAi,
        DefaultUpstream::Provider(name) => named(c.providers, name).ok_or_else(|| tried(c))?,
    };
    Ok(Picked {
        upstream: by_default,
        by_default: true,
    })
}

/// An Anthropic-dialect request's provider: an Anthropic-compatible named provider that claims
/// the model by its patterns, or lists it (unless it is one of Anthropic's own `claude-*`:
/// a provider that merely lists Claude never takes it), else Anthropic.
pub fn pick_anthropic(model: Option<&str>, c: &Candidates<'_>) -> Upstream {
    let anthropics = |m: &str| ANTHROPIC_PREFIXES.iter().any(|p| m.starts_with(p));
    model
        .and_then(|m| {
            claimed(c.providers, ProviderKind::Anthropic, m).or_else(|| {
                if anthropics(m) {
                    None
                } else {
                    listing(c, ProviderKind::Anthropic, m)
                }
            })
        })
        .map_or(Upstream::Anthropic, |p| Upstream::Named(p.tag))
}

fn named(providers: &[NamedProvider], name: &str) -> Option<Upstream> {
    providers
        .iter()
        .find(|p| p.name() == name)
        .map(|p| Upstream::Named(p.tag))
}

/// The provider of `kind` whose patterns fit `model` best (an exact name, else the longest
/// prefix; the first written on a tie).
fn claimed<'p>(
    providers: &'p [NamedProvider],
    kind: ProviderKind,
    model: &str,
) -> Option<&'p NamedProvider> {
    let mut best: Option<(&NamedProvider, usize)> = None;
    for provider in providers.iter().filter(|p| p.kind() == kind) {
        if let Some(fit) = provider.claims(model)
            && best.is_none_or(|(_, b)| fit > b)
        {
            best = Some((provider, fit));
        }
    }
    best.map(|(p, _)| p)
}

/// The first provider of `kind` whose reported list has `model`.
fn listing<'p>(c: &Candidates<'p>, kind: ProviderKind, model: &str) -> Option<&'p NamedProvider> {
    c.providers
        .iter()
        .filter(|p| p.kind() == kind)
        .find(|p| c.listed.get(p.name()).is_some_and(|l| l.contains(model)))
}

/// `o` followed by a digit: o1, o3-mini, o4-mini, …
fn is_o_series(model: &str) -> bool {
    let mut chars = model.chars();
    chars.next() == Some('o') && chars.next().is_some_and(|c| c.is_ascii_digit())
}

fn tried(c: &Candidates<'_>) -> String {
    let mut parts = Vec::new();
    if c.local_models.is_empty() {
        parts.push("the local model server (no models found there)".to_owned());
    } else {
        let mut names: Vec<&str> = c.local_models.iter().map(String::as_str).collect();
        names.sort_unstable();
        parts.push(format!(
            "the local model server's models ({})",
            names.join(", ")
        ));
    }
    if !c.rules.is_empty() {
        let list: Vec<String> = c
            .rules
            .iter()
            .map(|r| format!("{} → {}", r.model, r.upstream.name()))
            .collect();
        parts.push(format!("your routes ({})", list.join(", ")));
    }
    for provider in c.providers {
        let listed = c.listed.get(provider.name()).map_or(0, |l| l.names.len());
        let mut what = provider.models.clone();
        if listed > 0 {
            what.push(format!("{listed} models it lists"));
        }
        if what.is_empty() {
            what.push("no models known yet".into());
        }
        parts.push(format!("{} ({})", provider.name(), what.join(", ")));
    }
    parts.push("claude-* → Anthropic".into());
    parts.push("gpt-*, o1…, codex-*, text-embedding-* and OpenAI's other models → OpenAI".into());
    parts.push(
        "no default upstream (set default_upstream to openai or a provider's name to send \
         other models there)"
            .into(),
    );
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(json: &str) -> Vec<RouteRule> {
        serde_json::from_str(json).unwrap()
    }

    fn pick(
        model: &str,
        rules: &[RouteRule],
        ollama: &HashSet<String>,
    ) -> Result<Upstream, String> {
        let c = Candidates {
            rules,
            local_models: ollama,
            providers: &[],
            listed: &HashMap::new(),
            default: &DefaultUpstream::None,
        };
        super::pick(model, &c).map(|p| p.upstream)
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

    #[test]
    fn providers_patterns_beat_the_families_their_lists_do_not_and_the_default_comes_last() {
        use crate::providers::{ProviderSetting, resolve_providers};
        let providers = resolve_providers(&[
            ProviderSetting {
                name: "groq".into(),
                kind: ProviderKind::Openai,
                base_url: "https://api.groq.com/openai/v1".into(),
                models: vec!["gpt-oss-*".into()],
                needs_key: true,
            },
            ProviderSetting {
                name: "deepseek".into(),
                kind: ProviderKind::Openai,
                base_url: "https://api.deepseek.com/v1".into(),
                models: vec![],
                needs_key: true,
            },
        ])
        .unwrap();
        let listed: HashMap<String, Listed> = [(
            "deepseek".to_owned(),
            Listed::of(&["deepseek-chat", "gpt-4o"]),
        )]
        .into();
        let rules = rules(r#"[{"model":"kimi-k2","upstream":"groq"}]"#);
        let mut c = Candidates {
            rules: &rules,
            local_models: &HashSet::new(),
            providers: &providers,
            listed: &listed,
            default: &DefaultUpstream::None,
        };
        let to = |c: &Candidates<'_>, m: &str| {
            super::pick(m, c).map(|p| (p.upstream.id(), p.by_default))
        };
        assert_eq!(
            to(&c, "gpt-oss-120b"),
            Ok(("groq", false)),
            "a pattern before gpt-*"
        );
        assert_eq!(
            to(&c, "kimi-k2"),
            Ok(("groq", false)),
            "a route naming a provider"
        );
        assert_eq!(
            to(&c, "deepseek-chat"),
            Ok(("deepseek", false)),
            "by its list"
        );
        assert_eq!(
            to(&c, "gpt-4o"),
            Ok(("openai", false)),
            "a list never takes OpenAI's"
        );
        let err = to(&c, "mistral-large").unwrap_err();
        assert!(
            err.contains("deepseek (2 models it lists)") && err.contains("groq (gpt-oss-*)"),
            "{err}"
        );
        let default = DefaultUpstream::Provider("deepseek".into());
        c.default = &default;
        assert_eq!(to(&c, "mistral-large"), Ok(("deepseek", true)));
        c.default = &DefaultUpstream::Openai;
        assert_eq!(to(&c, "mistral-large"), Ok(("openai", true)));
    }

    #[test]
    fn in_anthropics_dialect_a_list_never_takes_claude() {
        use crate::providers::{ProviderSetting, resolve_providers};
        let providers = resolve_providers(&[ProviderSetting {
            name: "kimi".into(),
            kind: ProviderKind::Anthropic,
            base_url: "https://api.moonshot.ai/anthropic".into(),
            models: vec!["moonshot-*".into()],
            needs_key: true,
        }])
        .unwrap();
        let listed: HashMap<String, Listed> = [(
            "kimi".to_owned(),
            Listed::of(&["kimi-k2", "claude-sonnet-4-6"]),
        )]
        .into();
        let c = Candidates {
            rules: &[],
            local_models: &HashSet::new(),
            providers: &providers,
            listed: &listed,
            default: &DefaultUpstream::None,
        };
        let to = |m: &str| pick_anthropic(Some(m), &c).id();
        assert_eq!(to("moonshot-v1"), "kimi", "its pattern");
        assert_eq!(to("kimi-k2"), "kimi", "its list");
        assert_eq!(
            to("claude-sonnet-4-6"),
            "anthropic",
            "never Claude by a list"
        );
        assert_eq!(pick_anthropic(None, &c).id(), "anthropic");
        // OpenAI-dialect requests never pick an Anthropic-compatible provider by its list.
        assert!(super::pick("kimi-k2", &c).is_err());
    }
}

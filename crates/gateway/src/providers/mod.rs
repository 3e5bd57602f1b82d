//! Providers the person names: any OpenAI-compatible (or Anthropic-compatible) API, by its base
//! URL, with its key in the keychain under the provider's name.
//!
//! In settings.json: `"providers": [{"name": "deepseek", "kind": "openai", "base_url":
//! "https://api.deepseek.com/v1", "models": ["deepseek-*"]}]` and `"default_upstream"`: `none`,
//! `openai` or a provider's name, for models no route claims. `base_url` is the API base as the
//! provider gives it to SDKs: for an OpenAI-compatible one an incoming `/v1/<rest>` goes to
//! `<base_url>/<rest>`; for an Anthropic-compatible one the path is appended whole. Its key is
//! saved under its name and host (`key_id`).

mod listing;
mod manage;
mod presets;

use std::sync::{Mutex, PoisonError};

use serde::{Deserialize, Serialize};
use url::Url;

pub(crate) use listing::keep_fresh;
pub use listing::{Listed, ProviderModels};
pub use manage::{Added, Removed, add_provider, key_id_of, remove_provider, set_default_upstream};
pub use presets::{PRESETS, Preset, preset};

/// The API a provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    /// OpenAI's: chat completions (and whatever else the provider implements of it).
    #[default]
    Openai,
    /// Anthropic's Messages API.
    Anthropic,
}

impl ProviderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Openai => "openai",
            ProviderKind::Anthropic => "anthropic",
        }
    }

    pub fn parse(text: &str) -> Result<ProviderKind, String> {
        match text {
            "openai" => Ok(ProviderKind::Openai),
            "anthropic" => Ok(ProviderKind::Anthropic),
            other => Err(format!(
                "a provider's kind is openai or anthropic, not `{other}`"
            )),
        }
    }
}

/// A provider as written in settings.json.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderSetting {
    pub name: String,
    #[serde(default)]
    pub kind: ProviderKind,
    pub base_url: String,
    /// Exact model names, or prefixes ending in `*`.
    #[serde(default)]
    pub models: Vec<String>,
    /// `false` for a server that takes no key (LM Studio, a vLLM or llama.cpp server of one's
    /// own): it is used without one, and what it serves is billed as local (free).
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub needs_key: bool,
}

fn yes() -> bool {
    true
}

#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if signature"
)]
fn is_true(b: &bool) -> bool {
    *b
}

/// What a request routed to a named provider carries around: its name and the facts the request
/// path needs, without the URL (settings may move it; the route holds the URL in force).
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ProviderTag {
    pub name: String,
    pub kind: ProviderKind,
    /// Takes no key (`needs_key: false`): none is required, nothing is billed.
    pub keyless: bool,
}

/// The one `&'static` tag for each (name, kind, keyless): the request path copies upstreams
/// around and logs their names as `&'static str`. Tags are few (one per provider a person
/// configures, plus one per later change of its kind) and never freed.
fn tag(name: &str, kind: ProviderKind, keyless: bool) -> &'static ProviderTag {
    static TAGS: Mutex<Vec<&'static ProviderTag>> = Mutex::new(Vec::new());
    let wanted = ProviderTag {
        name: name.to_owned(),
        kind,
        keyless,
    };
    let mut tags = TAGS.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(found) = tags.iter().find(|t| ***t == wanted) {
        return found;
    }
    let leaked: &'static ProviderTag = Box::leak(Box::new(wanted));
    tags.push(leaked);
    leaked
}

/// A provider, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedProvider {
    pub tag: &'static ProviderTag,
    /// Without a trailing `/`.
    pub base_url: Url,
    pub models: Vec<String>,
}

impl NamedProvider {
    pub fn name(&self) -> &'static str {
        &self.tag.name
    }

    pub fn kind(&self) -> ProviderKind {
        self.tag.kind
    }

    /// Whether `model` is one of its configured names (`Some(0)`: exact) or matches one of its
    /// prefixes (`Some(len)`: the prefix's length, longest wins).
    pub fn claims(&self, model: &str) -> Option<usize> {
        self.models.iter().fold(None, |best, pattern| {
            let this = match pattern.strip_suffix('*') {
                None if pattern == model => Some(usize::MAX),
                Some(prefix) if model.starts_with(prefix) => Some(prefix.len()),
                _ => None,
            };
            best.max(this)
        })
    }

    /// Where an incoming `path` goes (see [`provider_url`]).
    pub fn url_for(&self, path: &str) -> Option<String> {
        provider_url(self.kind(), &self.base_url, path)
    }

    /// The id its key is saved under (see [`key_id`]).
    pub fn key_id(&self) -> String {
        key_id(self.name(), &self.base_url)
    }
}

/// Where an incoming `path` goes, by each SDK's own convention for a base URL: OpenAI's SDKs
/// take the API base with its version (`https://api.deepseek.com/v1`), so `/v1/<rest>` goes to
/// `<base_url>/<rest>`; Anthropic's take the origin (`https://api.moonshot.ai/anthropic`), so
/// the whole path is appended. `None` for an OpenAI path outside `/v1/`.
pub fn provider_url(kind: ProviderKind, base_url: &Url, path: &str) -> Option<String> {
    let base = base_url.as_str().trim_end_matches('/');
    match kind {
        ProviderKind::Openai => Some(format!("{base}/{}", path.strip_prefix("/v1/")?)),
        ProviderKind::Anthropic => Some(format!("{base}{path}")),
    }
}

/// The id a provider's key is saved under: its name and the host (with a port, if any) of its
/// base URL. A provider pointed at another host has no key there until one is saved for it, so
/// a key never follows a name to an address it was not given for.
pub fn key_id(name: &str, base_url: &Url) -> String {
    let host = base_url.host_str().unwrap_or_default();
    match base_url.port() {
        Some(port) => format!("{name}@{host}:{port}"),
        None => format!("{name}@{host}"),
    }
}

/// Where a model no route claims goes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum DefaultUpstream {
    /// Nowhere: a 404 naming the routes tried.
    #[default]
    None,
    /// `openai_url` with the saved OpenAI key (never the ChatGPT sign-in).
    Openai,
    /// A named provider.
    Provider(String),
}

impl DefaultUpstream {
    pub fn as_str(&self) -> &str {
        match self {
            DefaultUpstream::None => "none",
            DefaultUpstream::Openai => "openai",
            DefaultUpstream::Provider(name) => name,
        }
    }

    pub fn parse(text: &str) -> DefaultUpstream {
        match text.trim() {
            "" | "none" => DefaultUpstream::None,
            "openai" => DefaultUpstream::Openai,
            name => DefaultUpstream::Provider(name.to_owned()),
        }
    }
}

/// Checks the providers from settings: names narrow and unique, a base URL that is an http(s)
/// URL without credentials, a query or a fragment, and model patterns with `*` only at the end.
pub fn resolve_providers(settings: &[ProviderSetting]) -> Result<Vec<NamedProvider>, String> {
    let mut providers: Vec<NamedProvider> = Vec::with_capacity(settings.len());
    for setting in settings {
        let name = setting.name.trim();
        clawbox_auth::check_provider_name(name)?;
        if providers.iter().any(|p| p.name() == name) {
            return Err(format!("two providers are named `{name}`: rename one"));
        }
        let base_url = parse_base_url(&setting.base_url)
            .map_err(|why| format!("provider `{name}`'s base_url {why}"))?;
        if base_url.scheme() == "http" && setting.needs_key && !is_this_machine(&base_url) {
            return Err(format!(
                "provider `{name}`'s base_url must start with https://: its key would cross the \
                 network unencrypted (http:// is for a server on this computer, or one that takes \
                 no key)"
            ));
        }
        for pattern in &setting.models {
            let body = pattern.strip_suffix('*').unwrap_or(pattern);
            if body.is_empty() || body.contains('*') || pattern.chars().any(char::is_whitespace) {
                return Err(format!(
                    "provider `{name}`'s model `{}` must be an exact name or a prefix ending \
                     in * (e.g. deepseek-*)",
                    pattern.chars().take(80).collect::<String>()
                ));
            }
        }
        providers.push(NamedProvider {
            tag: tag(name, setting.kind, !setting.needs_key),
            base_url,
            models: setting.models.clone(),
        });
    }
    Ok(providers)
}

/// Checks `default_upstream` against the providers: it must name one that speaks OpenAI's API
/// (the requests it catches are OpenAI's).
pub fn check_default(default: &DefaultUpstream, providers: &[NamedProvider]) -> Result<(), String> {
    let DefaultUpstream::Provider(name) = default else {
        return Ok(());
    };
    match providers.iter().find(|p| p.name() == name) {
        Some(p) if p.kind() == ProviderKind::Openai => Ok(()),
        Some(_) => Err(format!(
            "`{name}` speaks Anthropic's API, so it cannot take OpenAI requests for unknown \
             models: choose none, openai or an OpenAI-compatible provider"
        )),
        None => {
            let names: String = providers
                .iter()
                .filter(|p| p.kind() == ProviderKind::Openai)
                .map(|p| format!(", {}", p.name()))
                .collect();
            Err(format!(
                "no provider is named `{}`: use none, openai{names}",
                name.chars().take(40).collect::<String>(),
            ))
        }
    }
}

/// Whether `url` names this computer.
fn is_this_machine(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

fn parse_base_url(text: &str) -> Result<Url, String> {
    let url = Url::parse(text.trim()).map_err(|e| format!("is not a URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err("must start with https:// (or http:// for a server on this machine)".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(
            "must not hold a key or password: save the key with `clawbox-gateway key set <name>`"
                .into(),
        );
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("must not have a ?query or #fragment".into());
    }
    let trimmed = url.as_str().trim_end_matches('/').to_owned();
    Url::parse(&trimmed).map_err(|e| format!("is not a URL ({e})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setting(name: &str, base_url: &str, models: &[&str]) -> ProviderSetting {
        ProviderSetting {
            name: name.into(),
            kind: ProviderKind::Openai,
            base_url: base_url.into(),
            models: models.iter().map(|m| (*m).to_owned()).collect(),
            needs_key: true,
        }
    }

    #[test]
    fn a_provider_takes_its_models_exact_before_the_longest_prefix() {
        let p = &resolve_providers(&[setting(
            "together",
            "https://api.together.xyz/v1/",
            &[
                "meta-llama/*",
                "meta-llama/Llama-3.3-*",
                "mistralai/Mixtral-8x7B",
            ],
        )])
        .unwrap()[0];
        assert_eq!(p.claims("mistralai/Mixtral-8x7B"), Some(usize::MAX));
        assert_eq!(p.claims("meta-llama/Llama-3.3-70B"), Some(21));
        assert_eq!(p.claims("meta-llama/Llama-2"), Some(11));
        assert_eq!(p.claims("gpt-4o"), None);
        assert_eq!(
            p.url_for("/v1/chat/completions").unwrap(),
            "https://api.together.xyz/v1/chat/completions"
        );
        assert_eq!(p.key_id(), "together@api.together.xyz");
        let base = Url::parse("https://api.moonshot.ai/anthropic").unwrap();
        assert_eq!(
            provider_url(ProviderKind::Anthropic, &base, "/v1/messages").unwrap(),
            "https://api.moonshot.ai/anthropic/v1/messages"
        );
        assert_eq!(
            key_id("lmstudio", &Url::parse("http://localhost:1234/v1").unwrap()),
            "lmstudio@localhost:1234"
        );
        assert!(!p.tag.keyless);
    }

    #[test]
    fn bad_providers_are_refused_naming_the_problem() {
        let cases = [
            (
                setting("OpenRouter", "https://x", &[]),
                "cannot name a provider",
            ),
            (setting("openai", "https://x", &[]), "built-in"),
            (setting("x", "ftp://host/v1", &[]), "https://"),
            (setting("x", "http://lan-box:8000/v1", &[]), "unencrypted"),
            (setting("x", "https://u:sk@host/v1", &[]), "key set"),
            (setting("x", "https://host/v1?k=1", &[]), "?query"),
            (setting("x", "api.deepseek.com", &[]), "not a URL"),
            (setting("x", "https://host", &["*"]), "prefix ending in *"),
            (
                setting("x", "https://host", &["a*b*"]),
                "prefix ending in *",
            ),
        ];
        for (bad, expected) in cases {
            let err = resolve_providers(std::slice::from_ref(&bad)).unwrap_err();
            assert!(err.contains(expected), "{bad:?}: {err}");
        }
        let twice = [
            setting("x", "https://a", &[]),
            setting("x", "https://b", &[]),
        ];
        assert!(
            resolve_providers(&twice)
                .unwrap_err()
                .contains("two providers")
        );
    }

    #[test]
    fn the_default_upstream_names_an_openai_compatible_provider() {
        let mut claude_like = setting("kimi", "https://api.moonshot.ai/anthropic", &[]);
        claude_like.kind = ProviderKind::Anthropic;
        let mut lmstudio = setting("lmstudio", "http://192.168.1.5:1234/v1", &[]);
        lmstudio.needs_key = false;
        let local_vllm = setting("vllm", "http://127.0.0.1:8000/v1", &[]);
        assert!(
            resolve_providers(&[local_vllm]).is_ok(),
            "a keyed server on this computer"
        );
        let providers = resolve_providers(&[lmstudio, claude_like]).unwrap();
        assert!(providers[0].tag.keyless && !providers[1].tag.keyless);
        assert_eq!(DefaultUpstream::parse(""), DefaultUpstream::None);
        assert_eq!(
            check_default(&DefaultUpstream::parse("lmstudio"), &providers),
            Ok(())
        );
        assert_eq!(check_default(&DefaultUpstream::Openai, &providers), Ok(()));
        let err = check_default(&DefaultUpstream::parse("kimi"), &providers).unwrap_err();
        assert!(err.contains("Anthropic"), "{err}");
        let err = check_default(&DefaultUpstream::parse("groq"), &providers).unwrap_err();
        assert!(err.contains("use none, openai, lmstudio"), "{err}");
    }

    #[test]
    fn tags_are_shared_per_name_kind_and_place() {
        let a = tag("same", ProviderKind::Openai, false);
        let b = tag("same", ProviderKind::Openai, false);
        assert!(std::ptr::eq(a, b));
        assert!(!std::ptr::eq(a, tag("same", ProviderKind::Openai, true)));
        let written: ProviderSetting =
            serde_json::from_str(r#"{"name":"x","base_url":"http://h/v1"}"#).unwrap();
        assert!(written.needs_key && written.kind == ProviderKind::Openai);
        assert!(
            !serde_json::to_string(&written)
                .unwrap()
                .contains("needs_key")
        );
    }
}

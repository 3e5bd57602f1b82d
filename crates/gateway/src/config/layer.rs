//! One layer of settings: every field optional. The same type is read from `settings.json`
//! (serde, here) and from the `CLAWBOX_*` environment (environment.rs); the command line maps
//! its flags onto it with the same value parsers (`parse_*` here), so a value means the same
//! wherever it is written.

use std::str::FromStr;

use serde::{Deserialize, Deserializer};

/// Where `/v1/*` requests go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// ClawBox calls the providers itself.
    Local,
    /// ClawBox relays every call to the hosted gateway.
    Hosted,
}

impl Mode {
    /// Every value, as written in settings and flags.
    pub const NAMES: [&'static str; 2] = ["local", "hosted"];

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Local => "local",
            Mode::Hosted => "hosted",
        }
    }
}

impl FromStr for Mode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "local" => Ok(Mode::Local),
            "hosted" => Ok(Mode::Hosted),
            other => Err(format!("expected local or hosted, got `{other}`")),
        }
    }
}

/// The seed's AUTH_MODE: which credential OpenAI-compatible calls use in local mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthMode {
    /// The caller's own key (or a saved API key).
    Openai,
    /// The signed-in ChatGPT account.
    Codex,
}

impl AuthMode {
    /// Every value, as written in settings and flags.
    pub const NAMES: [&'static str; 2] = ["openai", "codex"];

    pub fn as_str(self) -> &'static str {
        match self {
            AuthMode::Openai => "openai",
            AuthMode::Codex => "codex",
        }
    }
}

impl FromStr for AuthMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "openai" => Ok(AuthMode::Openai),
            "codex" => Ok(AuthMode::Codex),
            other => Err(format!("expected openai or codex, got `{other}`")),
        }
    }
}

/// Settings from one source. Keys are the lower-case `CLAWBOX_*` names without the prefix; any
/// other key in `settings.json` belongs to the app and is ignored here. What each one means is
/// in the command line's `serve --help`.
#[derive(Debug, Default, Clone, PartialEq, Deserialize)]
#[serde(default)]
pub struct SettingsLayer {
    pub mode: Option<Mode>,
    pub listen: Option<String>,
    pub hosted_url: Option<String>,
    pub openai_url: Option<String>,
    pub anthropic_url: Option<String>,
    pub ollama_url: Option<String>,
    pub user_id: Option<String>,
    pub rate_limit: Option<u32>,
    pub monthly_cap: Option<u64>,
    pub auth_mode: Option<AuthMode>,
    #[serde(deserialize_with = "origins_from_json")]
    pub allowed_origins: Option<OriginList>,
    #[serde(deserialize_with = "switch_from_json")]
    pub failover: Option<bool>,
    pub idle_timeout: Option<u64>,
    pub retention_days: Option<u32>,
    #[serde(deserialize_with = "switch_from_json")]
    pub allow_remote: Option<bool>,
    #[serde(deserialize_with = "origins_from_json")]
    pub allowed_hosts: Option<OriginList>,
    /// Model routes (settings.json only): `[{"model": "mistral-*", "upstream": "ollama"}, …]`.
    pub routes: Option<Vec<crate::routes::RouteRule>>,
    /// US dollars a user may spend through API keys per month.
    pub monthly_budget_usd: Option<f64>,
    /// The largest `multipart/form-data` upload passed through, in MB.
    pub multipart_limit_mb: Option<u64>,
    /// Price overrides and additions (settings.json only): model name or `prefix*` → USD per 1M.
    pub prices: Option<std::collections::BTreeMap<String, clawbox_pricing::Price>>,
    /// Providers the person named (settings.json only).
    pub providers: Option<Vec<crate::providers::ProviderSetting>>,
    /// Where a model no route claims goes: `none`, `openai` or a provider's name.
    pub default_upstream: Option<String>,
    /// Keep Responses API conversations on routes whose upstream keeps none.
    #[serde(deserialize_with = "switch_from_json")]
    pub keep_conversations: Option<bool>,
    /// Days kept conversations are kept.
    pub conversation_retention_days: Option<u32>,
}

/// A comma-separated list of exact origins (or host names).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct OriginList(pub Vec<String>);

impl SettingsLayer {
    /// This layer over `lower`: each setting from here when set, else from `lower` (flags over
    /// the environment).
    pub fn or(self, lower: SettingsLayer) -> SettingsLayer {
        SettingsLayer {
            mode: self.mode.or(lower.mode),
            listen: self.listen.or(lower.listen),
            hosted_url: self.hosted_url.or(lower.hosted_url),
            openai_url: self.openai_url.or(lower.openai_url),
            anthropic_url: self.anthropic_url.or(lower.anthropic_url),
            ollama_url: self.ollama_url.or(lower.ollama_url),
            user_id: self.user_id.or(lower.user_id),
            rate_limit: self.rate_limit.or(lower.rate_limit),
            monthly_cap: self.monthly_cap.or(lower.monthly_cap),
            auth_mode: self.auth_mode.or(lower.auth_mode),
            allowed_origins: self.allowed_origins.or(lower.allowed_origins),
            failover: self.failover.or(lower.failover),
            idle_timeout: self.idle_timeout.or(lower.idle_timeout),
            retention_days: self.retention_days.or(lower.retention_days),
            allow_remote: self.allow_remote.or(lower.allow_remote),
            allowed_hosts: self.allowed_hosts.or(lower.allowed_hosts),
            routes: self.routes.or(lower.routes),
            monthly_budget_usd: self.monthly_budget_usd.or(lower.monthly_budget_usd),
            multipart_limit_mb: self.multipart_limit_mb.or(lower.multipart_limit_mb),
            prices: self.prices.or(lower.prices),
            providers: self.providers.or(lower.providers),
            default_upstream: self.default_upstream.or(lower.default_upstream),
            keep_conversations: self.keep_conversations.or(lower.keep_conversations),
            conversation_retention_days: self
                .conversation_retention_days
                .or(lower.conversation_retention_days),
        }
    }

    /// The setting keys this layer sets: for an override layer, the settings the UI shows locked.
    pub fn keys_set(&self) -> Vec<&'static str> {
        let mut keys = Vec::new();
        let mut note = |set: bool, key| {
            if set {
                keys.push(key);
            }
        };
        note(self.mode.is_some(), "mode");
        note(self.listen.is_some(), "listen");
        note(self.hosted_url.is_some(), "hosted_url");
        note(self.openai_url.is_some(), "openai_url");
        note(self.anthropic_url.is_some(), "anthropic_url");
        note(self.ollama_url.is_some(), "ollama_url");
        note(self.user_id.is_some(), "user_id");
        note(self.rate_limit.is_some(), "rate_limit");
        note(self.monthly_cap.is_some(), "monthly_cap");
        note(self.auth_mode.is_some(), "auth_mode");
        note(self.allowed_origins.is_some(), "allowed_origins");
        note(self.failover.is_some(), "failover");
        note(self.idle_timeout.is_some(), "idle_timeout");
        note(self.retention_days.is_some(), "retention_days");
        note(self.allow_remote.is_some(), "allow_remote");
        note(self.allowed_hosts.is_some(), "allowed_hosts");
        note(self.monthly_budget_usd.is_some(), "monthly_budget_usd");
        note(self.multipart_limit_mb.is_some(), "multipart_limit_mb");
        note(self.default_upstream.is_some(), "default_upstream");
        note(self.keep_conversations.is_some(), "keep_conversations");
        note(
            self.conversation_retention_days.is_some(),
            "conversation_retention_days",
        );
        keys
    }
}

/// An amount of US dollars: a number of 0 or more (`25`, `12.50`).
pub fn parse_usd(s: &str) -> Result<f64, String> {
    s.trim()
        .trim_start_matches('$')
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .ok_or_else(|| format!("expected an amount of US dollars like 25 or 12.50, got `{s}`"))
}

/// A comma-separated list (of origins or host names); blanks are dropped.
pub fn parse_origin_list(s: &str) -> Result<OriginList, String> {
    Ok(OriginList(
        s.split(',')
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .map(str::to_owned)
            .collect(),
    ))
}

/// A switch: `1`/`true`/`yes`/`on` or `0`/`false`/`no`/`off`.
pub fn parse_switch(s: &str) -> Result<bool, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" | "" => Ok(false),
        other => Err(format!("expected 1 or 0, got `{other}`")),
    }
}

/// A whole number (a count, seconds, days).
pub fn parse_number<T: FromStr>(s: &str) -> Result<T, String> {
    s.trim()
        .parse()
        .map_err(|_| format!("expected a whole number, got `{s}`"))
}

/// `settings.json` may hold the origins as an array or as the environment's comma-separated form.
fn origins_from_json<'de, D: Deserializer<'de>>(d: D) -> Result<Option<OriginList>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        List(Vec<String>),
        Text(String),
    }
    Ok(match Option::<Either>::deserialize(d)? {
        None => None,
        // Entries are trimmed as in the comma-separated form: `"https://a.example "` is a typo,
        // not another origin.
        Some(Either::List(v)) => parse_origin_list(&v.join(",")).ok(),
        Some(Either::Text(s)) => parse_origin_list(&s).ok(),
    })
}

/// `settings.json` may hold a switch as `true`/`false` or as the environment's `"1"`/`"0"`.
fn switch_from_json<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Bool(bool),
        Number(u8),
        Text(String),
    }
    match Option::<Either>::deserialize(d)? {
        None => Ok(None),
        Some(Either::Bool(b)) => Ok(Some(b)),
        Some(Either::Number(n)) => Ok(Some(n != 0)),
        Some(Either::Text(s)) => parse_switch(&s).map(Some).map_err(serde::de::Error::custom),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_accepts_origin_arrays_and_comma_text() {
        let a: SettingsLayer =
            serde_json::from_str(r#"{"allowed_origins":["https://a.example"]}"#).unwrap();
        let b: SettingsLayer =
            serde_json::from_str(r#"{"allowed_origins":"https://a.example, https://b.example"}"#)
                .unwrap();
        assert_eq!(a.allowed_origins.unwrap().0, ["https://a.example"]);
        assert_eq!(
            b.allowed_origins.unwrap().0,
            ["https://a.example", "https://b.example"]
        );
    }

    #[test]
    fn json_accepts_switches_as_bool_number_or_text() {
        for (text, want) in [
            ("true", true),
            ("1", true),
            ("\"1\"", true),
            ("false", false),
        ] {
            let l: SettingsLayer =
                serde_json::from_str(&format!(r#"{{"failover":{text}}}"#)).unwrap();
            assert_eq!(l.failover, Some(want), "{text}");
        }
    }

    #[test]
    fn unknown_keys_belong_to_the_app_and_are_ignored() {
        let l: SettingsLayer =
            serde_json::from_str(r#"{"mode":"hosted","launch_at_login":true,"routes":[]}"#)
                .unwrap();
        assert_eq!(l.mode, Some(Mode::Hosted));
    }

    #[test]
    fn flags_win_over_the_environment_setting_by_setting() {
        let flags = SettingsLayer {
            mode: Some(Mode::Local),
            ..SettingsLayer::default()
        };
        let env = SettingsLayer {
            mode: Some(Mode::Hosted),
            rate_limit: Some(3),
            ..SettingsLayer::default()
        };
        let merged = flags.or(env);
        assert_eq!(merged.mode, Some(Mode::Local));
        assert_eq!(merged.rate_limit, Some(3));
    }
}

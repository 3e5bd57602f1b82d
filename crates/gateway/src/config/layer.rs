//! One layer of settings: every field optional. The same type is read from flags and
//! environment (clap) and from `settings.json` (serde), so the two can never drift apart.

use serde::{Deserialize, Deserializer};

/// Where `/v1/*` requests go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// ClawBox calls the providers itself.
    Local,
    /// ClawBox relays every call to the hosted gateway.
    Hosted,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Local => "local",
            Mode::Hosted => "hosted",
        }
    }
}

/// The seed's AUTH_MODE: which credential OpenAI-compatible calls use in local mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum AuthMode {
    /// The caller's own key (or a saved API key).
    Openai,
    /// The signed-in ChatGPT account.
    Codex,
}

impl AuthMode {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMode::Openai => "openai",
            AuthMode::Codex => "codex",
        }
    }
}

/// Settings from one source. Keys are the lower-case `CLAWBOX_*` names without the prefix; any
/// other key in `settings.json` belongs to the app and is ignored here.
#[derive(Debug, Default, Clone, PartialEq, Deserialize, clap::Args)]
#[serde(default)]
pub struct SettingsLayer {
    /// `local`: call providers directly; `hosted`: relay to the hosted gateway [default: local]
    #[arg(long, env = "CLAWBOX_MODE", value_enum)]
    pub mode: Option<Mode>,

    /// Address to listen on, loopback only [default: 127.0.0.1:18789]
    #[arg(long, env = "CLAWBOX_LISTEN", value_name = "IP:PORT")]
    pub listen: Option<String>,

    /// The hosted gateway's origin, used in hosted mode (e.g. https://gateway.example.com)
    #[arg(long, env = "CLAWBOX_HOSTED_URL", value_name = "URL")]
    pub hosted_url: Option<String>,

    /// OpenAI-compatible upstream origin [default: https://api.openai.com]
    #[arg(long, env = "CLAWBOX_OPENAI_URL", value_name = "URL")]
    pub openai_url: Option<String>,

    /// Anthropic upstream origin [default: https://api.anthropic.com]
    #[arg(long, env = "CLAWBOX_ANTHROPIC_URL", value_name = "URL")]
    pub anthropic_url: Option<String>,

    /// Ollama-compatible local model server [default: http://127.0.0.1:11434]
    #[arg(long, env = "CLAWBOX_OLLAMA_URL", value_name = "URL")]
    pub ollama_url: Option<String>,

    /// User id for requests without an X-User-ID header [default: anonymous]
    #[arg(long, env = "CLAWBOX_USER_ID", value_name = "ID")]
    pub user_id: Option<String>,

    /// Requests admitted per user in any rolling 60 seconds [default: 50]
    #[arg(long, env = "CLAWBOX_RATE_LIMIT", value_name = "N")]
    pub rate_limit: Option<u32>,

    /// Requests per user per calendar month (UTC); unset means no cap
    #[arg(long, env = "CLAWBOX_MONTHLY_CAP", value_name = "N")]
    pub monthly_cap: Option<u64>,

    /// `openai`: the caller's or the saved API key; `codex`: the signed-in ChatGPT account
    /// [default: openai]
    #[arg(long, env = "CLAWBOX_AUTH_MODE", value_enum)]
    pub auth_mode: Option<AuthMode>,

    /// Browser origins allowed to call the gateway, exact and comma-separated [default: none]
    #[arg(long, env = "CLAWBOX_ALLOWED_ORIGINS", value_name = "ORIGINS", value_parser = parse_origin_list)]
    #[serde(deserialize_with = "origins_from_json")]
    pub allowed_origins: Option<OriginList>,

    /// `1` to fail over between hosted and local mode [default: 0]
    #[arg(long, env = "CLAWBOX_FAILOVER", value_name = "0|1", value_parser = parse_switch)]
    #[serde(deserialize_with = "switch_from_json")]
    pub failover: Option<bool>,

    /// Seconds an upstream may stay silent (before its headers, or between two stream chunks)
    /// before the request fails with 504 [default: 300]
    #[arg(long, env = "CLAWBOX_IDLE_TIMEOUT", value_name = "SECONDS")]
    pub idle_timeout: Option<u64>,

    /// Days the request log keeps its rows; older ones are deleted hourly (0 keeps everything)
    /// [default: 90]
    #[arg(long, env = "CLAWBOX_RETENTION_DAYS", value_name = "DAYS")]
    pub retention_days: Option<u32>,

    /// `1` to accept a non-loopback listen address. Every /v1 request must then carry the local
    /// key, and the Host must be one of allowed_hosts [default: 0]
    #[arg(long, env = "CLAWBOX_ALLOW_REMOTE", value_name = "0|1", value_parser = parse_switch)]
    #[serde(deserialize_with = "switch_from_json")]
    pub allow_remote: Option<bool>,

    /// Host names remote clients use to reach this machine (with allow_remote), comma-separated
    #[arg(long, env = "CLAWBOX_ALLOWED_HOSTS", value_name = "HOSTS", value_parser = parse_origin_list)]
    #[serde(deserialize_with = "origins_from_json")]
    pub allowed_hosts: Option<OriginList>,

    /// Model routes (settings.json only): `[{"model": "mistral-*", "upstream": "ollama"}, …]`.
    #[arg(skip)]
    pub routes: Option<Vec<crate::routes::RouteRule>>,
}

/// A comma-separated list of exact origins (or host names).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct OriginList(pub Vec<String>);

impl SettingsLayer {
    /// The layer the `CLAWBOX_*` environment alone gives (the desktop app has no flags).
    pub fn from_env() -> Result<SettingsLayer, String> {
        #[derive(clap::Parser)]
        struct EnvOnly {
            #[command(flatten)]
            settings: SettingsLayer,
        }
        <EnvOnly as clap::Parser>::try_parse_from(["clawbox"])
            .map(|e| e.settings)
            .map_err(|e| e.to_string())
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
        keys
    }
}

fn parse_origin_list(s: &str) -> Result<OriginList, String> {
    Ok(OriginList(
        s.split(',')
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .map(str::to_owned)
            .collect(),
    ))
}

fn parse_switch(s: &str) -> Result<bool, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" | "" => Ok(false),
        other => Err(format!("expected 1 or 0, got `{other}`")),
    }
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
        Some(Either::List(v)) => Some(OriginList(v)),
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
}

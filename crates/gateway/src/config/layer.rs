//! One layer of settings: every field optional. The same type is read from `settings.json`
//! (serde) and from the `CLAWBOX_*` environment ([`SettingsLayer::from_env`]); the command line
//! maps its flags onto it with the same value parsers (`parse_*` here), so a value means the same
//! wherever it is written.

use std::ffi::OsString;
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
}

/// The environment variable behind each setting (`routes` lives in settings.json only).
pub const ENV_VARS: [&str; 16] = [
    "CLAWBOX_MODE",
    "CLAWBOX_LISTEN",
    "CLAWBOX_HOSTED_URL",
    "CLAWBOX_OPENAI_URL",
    "CLAWBOX_ANTHROPIC_URL",
    "CLAWBOX_OLLAMA_URL",
    "CLAWBOX_USER_ID",
    "CLAWBOX_RATE_LIMIT",
    "CLAWBOX_MONTHLY_CAP",
    "CLAWBOX_AUTH_MODE",
    "CLAWBOX_ALLOWED_ORIGINS",
    "CLAWBOX_FAILOVER",
    "CLAWBOX_IDLE_TIMEOUT",
    "CLAWBOX_RETENTION_DAYS",
    "CLAWBOX_ALLOW_REMOTE",
    "CLAWBOX_ALLOWED_HOSTS",
];

/// A comma-separated list of exact origins (or host names).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct OriginList(pub Vec<String>);

impl SettingsLayer {
    /// The layer the `CLAWBOX_*` environment gives (the desktop app has no flags). An empty
    /// variable counts as unset.
    pub fn from_env() -> Result<SettingsLayer, String> {
        Self::from_vars(|name| std::env::var_os(name))
    }

    /// The layer the variables `var` looks up give: `CLAWBOX_*` names, as in [`ENV_VARS`].
    pub fn from_vars(var: impl Fn(&str) -> Option<OsString>) -> Result<SettingsLayer, String> {
        fn read<T>(
            var: &impl Fn(&str) -> Option<OsString>,
            name: &str,
            parse: impl Fn(&str) -> Result<T, String>,
        ) -> Result<Option<T>, String> {
            let Some(value) = var(name).filter(|v| !v.is_empty()) else {
                return Ok(None);
            };
            let text = value
                .into_string()
                .map_err(|_| format!("{name} is not valid text (UTF-8)"))?;
            parse(&text)
                .map(Some)
                .map_err(|e| format!("{name} is invalid: {e}"))
        }
        let text = |s: &str| Ok::<_, String>(s.to_owned());
        Ok(SettingsLayer {
            mode: read(&var, "CLAWBOX_MODE", str::parse)?,
            listen: read(&var, "CLAWBOX_LISTEN", text)?,
            hosted_url: read(&var, "CLAWBOX_HOSTED_URL", text)?,
            openai_url: read(&var, "CLAWBOX_OPENAI_URL", text)?,
            anthropic_url: read(&var, "CLAWBOX_ANTHROPIC_URL", text)?,
            ollama_url: read(&var, "CLAWBOX_OLLAMA_URL", text)?,
            user_id: read(&var, "CLAWBOX_USER_ID", text)?,
            rate_limit: read(&var, "CLAWBOX_RATE_LIMIT", parse_number)?,
            monthly_cap: read(&var, "CLAWBOX_MONTHLY_CAP", parse_number)?,
            auth_mode: read(&var, "CLAWBOX_AUTH_MODE", str::parse)?,
            allowed_origins: read(&var, "CLAWBOX_ALLOWED_ORIGINS", parse_origin_list)?,
            failover: read(&var, "CLAWBOX_FAILOVER", parse_switch)?,
            idle_timeout: read(&var, "CLAWBOX_IDLE_TIMEOUT", parse_number)?,
            retention_days: read(&var, "CLAWBOX_RETENTION_DAYS", parse_number)?,
            allow_remote: read(&var, "CLAWBOX_ALLOW_REMOTE", parse_switch)?,
            allowed_hosts: read(&var, "CLAWBOX_ALLOWED_HOSTS", parse_origin_list)?,
            routes: None,
        })
    }

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
        keys
    }
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

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| OsString::from(v))
        }
    }

    #[test]
    fn the_environment_fills_every_setting_it_names() {
        let l = SettingsLayer::from_vars(vars(&[
            ("CLAWBOX_MODE", "hosted"),
            ("CLAWBOX_RATE_LIMIT", "7"),
            ("CLAWBOX_FAILOVER", "yes"),
            ("CLAWBOX_ALLOWED_HOSTS", "a.example, b.example"),
            ("CLAWBOX_AUTH_MODE", "codex"),
            ("CLAWBOX_LISTEN", ""),
        ]))
        .unwrap();
        assert_eq!(l.mode, Some(Mode::Hosted));
        assert_eq!(l.rate_limit, Some(7));
        assert_eq!(l.failover, Some(true));
        assert_eq!(
            l.allowed_hosts.clone().unwrap().0,
            ["a.example", "b.example"]
        );
        assert_eq!(l.auth_mode, Some(AuthMode::Codex));
        assert_eq!(l.listen, None, "an empty variable counts as unset");
        assert_eq!(l.keys_set().len(), 5);
    }

    #[test]
    fn a_bad_environment_value_names_its_variable() {
        for (name, value) in [
            ("CLAWBOX_MODE", "cloud"),
            ("CLAWBOX_RATE_LIMIT", "fifty"),
            ("CLAWBOX_FAILOVER", "maybe"),
            ("CLAWBOX_AUTH_MODE", "OpenAI"),
        ] {
            let err = SettingsLayer::from_vars(vars(&[(name, value)])).unwrap_err();
            assert!(err.starts_with(name), "{err}");
            assert!(err.contains(value), "{err}");
        }
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

#[cfg(test)]
mod properties {
    use proptest::prelude::*;
    use serde_json::{Map, Value, json};

    use super::*;

    fn text() -> impl Strategy<Value = String> {
        "[!-+\\--~][ -+\\--~]{0,30}[!-+\\--~]?" // no commas: lists are comma-separated
    }

    /// A layer and how it is written in the environment and in settings.json.
    fn layer() -> impl Strategy<Value = (Vec<(&'static str, String)>, Map<String, Value>)> {
        (
            proptest::option::of(prop_oneof![Just("local"), Just("hosted")]),
            proptest::option::of(text()),
            proptest::option::of(any::<u32>()),
            proptest::option::of(any::<u64>()),
            proptest::option::of(prop_oneof![Just("openai"), Just("codex")]),
            proptest::option::of(proptest::collection::vec(text(), 1..4)),
            proptest::option::of(any::<bool>()),
        )
            .prop_map(|(mode, user, rate, cap, auth, origins, failover)| {
                let mut env = Vec::new();
                let mut json = Map::new();
                if let Some(m) = mode {
                    env.push(("CLAWBOX_MODE", m.to_owned()));
                    json.insert("mode".into(), json!(m));
                }
                if let Some(u) = user {
                    env.push(("CLAWBOX_USER_ID", u.clone()));
                    json.insert("user_id".into(), json!(u));
                }
                if let Some(r) = rate {
                    env.push(("CLAWBOX_RATE_LIMIT", r.to_string()));
                    json.insert("rate_limit".into(), json!(r));
                }
                if let Some(c) = cap {
                    env.push(("CLAWBOX_MONTHLY_CAP", c.to_string()));
                    json.insert("monthly_cap".into(), json!(c));
                }
                if let Some(a) = auth {
                    env.push(("CLAWBOX_AUTH_MODE", a.to_owned()));
                    json.insert("auth_mode".into(), json!(a));
                }
                if let Some(o) = origins {
                    env.push(("CLAWBOX_ALLOWED_ORIGINS", o.join(",")));
                    json.insert("allowed_origins".into(), json!(o));
                }
                if let Some(f) = failover {
                    env.push(("CLAWBOX_FAILOVER", if f { "1" } else { "0" }.to_owned()));
                    json.insert("failover".into(), json!(f));
                }
                (env, json)
            })
    }

    proptest! {
        #[test]
        fn the_environment_and_settings_json_say_the_same_thing((env, json) in layer()) {
            let from_env = SettingsLayer::from_vars(|name| {
                env.iter().find(|(k, _)| *k == name).map(|(_, v)| OsString::from(v))
            })
            .unwrap();
            let from_json: SettingsLayer = serde_json::from_value(Value::Object(json)).unwrap();
            prop_assert_eq!(&from_env, &from_json);
            prop_assert_eq!(from_env.keys_set().len(), env.len());
        }

        #[test]
        fn any_environment_value_is_taken_or_refused_naming_its_variable(
            name in proptest::sample::select(ENV_VARS.to_vec()),
            value in "\\PC{0,40}",
        ) {
            match SettingsLayer::from_vars(|n| (n == name).then(|| OsString::from(&value))) {
                Ok(_) => {}
                Err(e) => prop_assert!(e.starts_with(name), "{}", e),
            }
        }

        #[test]
        fn any_settings_file_is_read_or_refused_without_a_panic(text in "\\PC{0,200}") {
            let _ = serde_json::from_str::<SettingsLayer>(&text);
        }

        #[test]
        fn any_json_object_as_settings_is_read_or_refused_without_a_panic(
            object in proptest::collection::btree_map(
                proptest::sample::select(vec!["mode", "listen", "rate_limit", "failover",
                    "allowed_origins", "routes", "idle_timeout", "launch_at_login"]),
                prop_oneof![
                    Just(Value::Null), any::<bool>().prop_map(Value::Bool),
                    any::<i64>().prop_map(|n| json!(n)), "\\PC{0,20}".prop_map(Value::String),
                    proptest::collection::vec("\\PC{0,10}", 0..3).prop_map(|v| json!(v)),
                ],
                0..6,
            ),
        ) {
            let value = Value::Object(object.into_iter().map(|(k, v)| (k.to_owned(), v)).collect());
            if let Ok(layer) = serde_json::from_value::<SettingsLayer>(value) {
                let _ = crate::config::Config::resolve(&layer, &SettingsLayer::default());
            }
        }
    }
}

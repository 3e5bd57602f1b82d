//! The `CLAWBOX_*` environment as a settings layer, without clap: the desktop app reads it
//! directly, and the command line's flags read the same variables with the same parsers.

use std::ffi::OsString;

use crate::config::{SettingsLayer, parse_number, parse_origin_list, parse_switch, parse_usd};

/// The environment variable behind each setting (`routes`, `prices` and `providers` live in
/// settings.json only).
pub const ENV_VARS: [&str; 21] = [
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
    "CLAWBOX_MONTHLY_BUDGET_USD",
    "CLAWBOX_MULTIPART_LIMIT_MB",
    "CLAWBOX_DEFAULT_UPSTREAM",
    "CLAWBOX_KEEP_CONVERSATIONS",
    "CLAWBOX_CONVERSATION_RETENTION_DAYS",
];

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
            monthly_budget_usd: read(&var, "CLAWBOX_MONTHLY_BUDGET_USD", parse_usd)?,
            multipart_limit_mb: read(&var, "CLAWBOX_MULTIPART_LIMIT_MB", parse_number)?,
            prices: None,
            providers: None,
            default_upstream: read(&var, "CLAWBOX_DEFAULT_UPSTREAM", text)?,
            keep_conversations: read(&var, "CLAWBOX_KEEP_CONVERSATIONS", parse_switch)?,
            conversation_retention_days: read(
                &var,
                "CLAWBOX_CONVERSATION_RETENTION_DAYS",
                parse_number,
            )?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{AuthMode, Mode};

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
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;
    use serde_json::{Map, Value, json};

    use super::*;
    use crate::config::SettingsLayer;

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

//! Properties of the configurators over generated files: every key set, everything else kept,
//! rendering twice changes nothing, any text is handled without a panic, and undo restores the
//! original byte for byte.

use std::path::Path;

use clawbox_auth::Secret;
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::{ClientSettings, Connector, env_file};

fn settings(key: Option<String>) -> ClientSettings {
    ClientSettings {
        gateway_url: "http://localhost:18789".into(),
        port: 18789,
        user_id: Some("trainee-7".into()),
        local_key: key.clone().map(Secret::new),
        anthropic_key: key.map(Secret::new),
    }
}

/// One `.env` line as people write them (without its ending).
fn env_line() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        "[A-Z][A-Z0-9_]{0,12}",
        Just("OPENAI_API_KEY".to_owned()),
        Just("OPENAI_BASE_URL".to_owned()),
        Just("OPENCLAW_GATEWAY_URL".to_owned()),
    ];
    prop_oneof![
        Just(String::new()),
        "#[ -~]{0,30}",
        (key.clone(), "[!-~]{0,20}").prop_map(|(k, v)| format!("{k}={v}")),
        (key.clone(), "[ -~]{0,20}")
            .prop_map(|(k, v)| format!("export {k}=\"{}\"", v.replace('"', ""))),
        (key, "[a-z ]{0,10}").prop_map(|(k, v)| format!("  {k} = '{v}' ")),
        "[ -~]{0,30}",
    ]
}

fn env_text() -> impl Strategy<Value = String> {
    (
        proptest::collection::vec(env_line(), 0..12),
        prop_oneof![Just("\n"), Just("\r\n")],
        any::<bool>(),
    )
        .prop_map(|(lines, eol, trailing)| {
            let mut text = lines.join(eol);
            if trailing && !text.is_empty() {
                text.push_str(eol);
            }
            text
        })
}

/// A value ClawBox writes: URLs, keys, user ids (any printable text but a line break).
fn env_value() -> impl Strategy<Value = String> {
    "[ -~]{0,40}"
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(|n| json!(n)),
        "[ -~\u{e9}]{0,16}".prop_map(Value::String),
    ]
}

/// Someone's own settings object (nested a little), to which ClawBox adds its part.
fn json_object() -> impl Strategy<Value = Value> {
    proptest::collection::btree_map(
        "[a-zA-Z_]{1,10}",
        prop_oneof![
            leaf(),
            proptest::collection::btree_map("[a-z_]{1,8}", leaf(), 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ],
        0..6,
    )
    .prop_map(|m| Value::Object(m.into_iter().collect()))
}

/// The object without the parts ClawBox manages, for comparing the rest.
fn without(mut value: Value, managed: &[&str]) -> Value {
    if let Some(object) = value.as_object_mut() {
        for key in managed {
            object.remove(*key);
        }
    }
    value
}

proptest! {
    #[test]
    fn an_env_gets_every_value_keeps_every_other_line_and_renders_once(
        original in env_text(),
        wanted in proptest::collection::vec(env_value(), 3),
    ) {
        let keys = ["OPENCLAW_GATEWAY_URL", "OPENAI_BASE_URL", "OPENAI_API_KEY"];
        let wanted: Vec<(&str, String)> = keys.into_iter().zip(wanted).collect();
        let updated = env_file::update(&original, &wanted);
        for (key, value) in &wanted {
            let read = env_file::value_of(&updated, key);
            prop_assert_eq!(read.as_deref(), Some(value.as_str()));
        }
        prop_assert_eq!(env_file::update(&updated, &wanted), updated.clone());
        // Every line that sets none of ClawBox's keys is still there, in order.
        let others: Vec<&str> = original
            .lines()
            .filter(|l| env_file::key_of(l).is_none_or(|k| !keys.contains(&k)))
            .collect();
        let mut rest = updated.lines();
        for line in others {
            prop_assert!(rest.any(|l| l == line), "lost {:?} from {:?}", line, updated);
        }
    }

    #[test]
    fn codex_s_config_gets_the_provider_keeps_the_rest_and_renders_once(
        settings_key in proptest::option::of("cbx_[0-9a-f]{8}"),
        object in json_object(),
    ) {
        // The same values as TOML, as someone's config.toml would hold them.
        let mut doc = toml_edit::DocumentMut::new();
        for (key, value) in object.as_object().into_iter().flatten() {
            if let Some(item) = toml_item(value) {
                doc[key.as_str()] = item;
            }
        }
        let before = doc.to_string();
        let s = settings(settings_key);
        let after = crate::codex::render(Path::new("config.toml"), &before, &s).unwrap();
        let parsed: toml_edit::DocumentMut = after.parse().unwrap();
        prop_assert_eq!(parsed["model_provider"].as_str(), Some("clawbox"));
        for (key, item) in doc.iter() {
            if key != "model_provider" && key != "model_providers" {
                let (kept, was) = (parsed[key].to_string(), item.to_string());
                prop_assert_eq!(kept.trim(), was.trim());
            }
        }
        prop_assert_eq!(crate::codex::render(Path::new("config.toml"), &after, &s).unwrap(), after);
    }

    #[test]
    fn claude_s_and_openclaw_s_settings_keep_the_rest_and_render_once(
        settings_key in proptest::option::of("cbx_[0-9a-f]{8}"),
        object in json_object(),
        pretty in any::<bool>(),
    ) {
        let before = if pretty {
            serde_json::to_string_pretty(&object).unwrap()
        } else {
            serde_json::to_string(&object).unwrap()
        };
        let s = settings(settings_key);
        for (render, managed) in [
            (crate::claude::render as fn(&Path, &str, &ClientSettings) -> _, &["env"][..]),
            (crate::openclaw::render, &["models", "agents", "gateway"][..]),
        ] {
            let Ok(after) = render(Path::new("settings.json"), &before, &s) else {
                // Refused (a managed key of the wrong shape): the file is never touched.
                continue;
            };
            let parsed: Value =
                jsonc_parser::parse_to_serde_value::<Value>(&after, &Default::default()).unwrap();
            prop_assert_eq!(without(parsed, managed), without(object.clone(), managed));
            prop_assert_eq!(render(Path::new("settings.json"), &after, &s).unwrap(), after);
        }
    }

    #[test]
    fn any_text_is_rendered_or_refused_without_a_panic(text in "\\PC{0,300}") {
        let s = settings(Some("cbx_0123".into()));
        let path = Path::new("f");
        let _ = crate::codex::render(path, &text, &s);
        let _ = crate::claude::render(path, &text, &s);
        let _ = crate::openclaw::render(path, &text, &s);
        let _ = env_file::update(&text, &[("OPENAI_BASE_URL", "http://localhost:1/v1".into())]);
    }

    #[test]
    fn undo_restores_any_env_byte_for_byte(original in proptest::option::of(env_text())) {
        let data = tempfile::tempdir().unwrap();
        let project = tempfile::tempdir().unwrap();
        let env = project.path().join(".env");
        if let Some(text) = &original {
            std::fs::write(&env, text).unwrap();
        }
        let connector = Connector::new(data.path());
        connector
            .connect_env(project.path(), &settings(Some("cbx_abc".into())), false)
            .unwrap();
        connector.undo(project.path(), false).unwrap();
        match &original {
            Some(text) => prop_assert_eq!(std::fs::read(&env).unwrap(), text.as_bytes()),
            None => prop_assert!(!env.exists(), "a file ClawBox created is removed"),
        }
    }
}

fn toml_item(value: &Value) -> Option<toml_edit::Item> {
    Some(toml_edit::Item::Value(match value {
        Value::Bool(b) => (*b).into(),
        Value::Number(n) => n.as_i64()?.into(),
        Value::String(s) => s.as_str().into(),
        Value::Object(m) => {
            let mut table = toml_edit::InlineTable::new();
            for (k, v) in m {
                if let Some(toml_edit::Item::Value(v)) = toml_item(v) {
                    table.insert(k, v);
                }
            }
            table.into()
        }
        _ => return None,
    }))
}

//! OpenClaw: `openclaw.json` (JSON5; `$OPENCLAW_CONFIG_PATH`, else `$OPENCLAW_STATE_DIR/` or
//! `~/.openclaw/`) gets a `clawbox` provider under `models.providers` (the OpenAI chat
//! completions kind, which ClawBox routes by model to OpenAI, Anthropic or local models) and
//! the agents' default model through it. OpenClaw's own gateway also defaults to port 18789:
//! when it would sit on ClawBox's port it is moved off it, and the change says so. Comments and
//! formatting are kept (jsonc-parser's syntax tree).

use std::path::{Path, PathBuf};

use jsonc_parser::cst::CstInputValue;

use crate::Error;
use crate::json::{child, parse, root_object, set, text};
use crate::{ClientSettings, home_dir};

const PROVIDER: &str = "clawbox";
/// OpenClaw's own gateway port when its config names none.
const OPENCLAW_DEFAULT_PORT: u16 = 18789;
/// The model agents use through ClawBox when none is chosen.
const DEFAULT_MODEL: &str = "gpt-4o-mini";

/// Where OpenClaw reads its configuration.
pub fn config_path() -> Result<PathBuf, Error> {
    if let Some(path) = std::env::var_os("OPENCLAW_CONFIG_PATH").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(path));
    }
    let state = match std::env::var_os("OPENCLAW_STATE_DIR").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => home_dir()?.join(".openclaw"),
    };
    Ok(state.join("openclaw.json"))
}

pub fn render(path: &Path, before: &str, settings: &ClientSettings) -> Result<String, Error> {
    let root = parse(path, before)?;
    let top = root_object(path, &root)?;
    let providers = child(path, &child(path, &top, "models")?, "providers")?;
    let provider = child(path, &providers, PROVIDER)?;
    set(
        &provider,
        "baseUrl",
        text(format!("{}/v1", settings.gateway_url)),
    );
    set(&provider, "api", text("openai-completions"));
    let key = match &settings.local_key {
        Some(key) => key.expose().to_owned(),
        // ClawBox holds no credentials: OpenClaw sends the user's own key.
        None => "${OPENAI_API_KEY}".to_owned(),
    };
    set(&provider, "apiKey", text(key));
    if provider.get("models").is_none() {
        set(
            &provider,
            "models",
            CstInputValue::Array(vec![CstInputValue::Object(vec![
                ("id".into(), text(DEFAULT_MODEL)),
                ("name".into(), text("GPT-4o mini (through ClawBox)")),
            ])]),
        );
    }
    // Agents use a model through ClawBox unless they already do.
    let model = child(path, &child(path, &top, "agents")?, "defaults")?;
    let primary = format!("{PROVIDER}/{DEFAULT_MODEL}");
    // `model` is "provider/model" or `{ primary: "provider/model", fallbacks: [...] }`.
    let ours = |v: Option<serde_json::Value>| {
        v.as_ref()
            .and_then(|v| v.as_str())
            .is_some_and(|m| m.starts_with("clawbox/"))
    };
    match model.get("model") {
        Some(prop) => match prop.object_value() {
            Some(object) => {
                if !ours(
                    object
                        .get("primary")
                        .and_then(|p| p.value())
                        .and_then(|v| v.to_serde_value()),
                ) {
                    set(&object, "primary", text(primary));
                }
            }
            None => {
                if !ours(prop.value().and_then(|v| v.to_serde_value())) {
                    prop.set_value(text(primary));
                }
            }
        },
        None => set(&model, "model", text(primary)),
    }
    if openclaw_port(before).unwrap_or(OPENCLAW_DEFAULT_PORT) == settings.port {
        let gateway = child(path, &top, "gateway")?;
        set(
            &gateway,
            "port",
            CstInputValue::Number(settings.port.saturating_add(1).to_string()),
        );
    }
    Ok(root.to_string())
}

/// What the change means beyond pointing OpenClaw at ClawBox: its own gateway's new port.
pub fn note(before: &str, after: &str) -> Option<String> {
    let (was, now) = (openclaw_port(before), openclaw_port(after));
    (now.is_some() && was != now).then(|| {
        format!(
            "OpenClaw's own gateway now listens on port {} (its default, {OPENCLAW_DEFAULT_PORT}, \
             is where ClawBox listens)",
            now.unwrap_or_default()
        )
    })
}

fn openclaw_port(text: &str) -> Option<u16> {
    let value: serde_json::Value =
        jsonc_parser::parse_to_serde_value(text, &Default::default()).ok()?;
    value["gateway"]["port"]
        .as_u64()
        .and_then(|p| u16::try_from(p).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clawbox_auth::Secret;

    fn settings() -> ClientSettings {
        ClientSettings {
            gateway_url: "http://localhost:18789".into(),
            port: 18789,
            user_id: None,
            local_key: Some(Secret::new("cbx_k")),
            anthropic_key: None,
        }
    }

    #[test]
    fn the_provider_is_added_comments_kept_and_openclaw_moved_off_our_port() {
        let before =
            "// my OpenClaw\n{\n  agents: { defaults: { workspace: '~/work' } }, // where\n}\n";
        let after = render(Path::new("openclaw.json"), before, &settings()).unwrap();
        assert!(after.starts_with("// my OpenClaw\n"), "{after}");
        assert!(after.contains("// where"), "{after}");
        let v: serde_json::Value =
            jsonc_parser::parse_to_serde_value(&after, &Default::default()).unwrap();
        let p = &v["models"]["providers"]["clawbox"];
        assert_eq!(p["baseUrl"], "http://localhost:18789/v1");
        assert_eq!(p["api"], "openai-completions");
        assert_eq!(p["apiKey"], "cbx_k");
        assert_eq!(p["models"][0]["id"], "gpt-4o-mini");
        assert_eq!(v["agents"]["defaults"]["workspace"], "~/work");
        assert_eq!(v["agents"]["defaults"]["model"], "clawbox/gpt-4o-mini");
        assert_eq!(v["gateway"]["port"], 18790);
        assert!(note(before, &after).unwrap().contains("port 18790"));
        assert_eq!(render(Path::new("o"), &after, &settings()).unwrap(), after);
    }

    #[test]
    fn a_chosen_clawbox_model_and_a_free_port_are_kept() {
        let before = r#"{"agents": {"defaults": {"model": {"primary": "clawbox/llama3.2"}}}, "gateway": {"port": 19000}}"#;
        let after = render(Path::new("o"), before, &settings()).unwrap();
        let v: serde_json::Value =
            jsonc_parser::parse_to_serde_value(&after, &Default::default()).unwrap();
        assert_eq!(
            v["agents"]["defaults"]["model"]["primary"],
            "clawbox/llama3.2"
        );
        assert_eq!(v["gateway"]["port"], 19000);
        assert_eq!(note(before, &after), None);
    }
}

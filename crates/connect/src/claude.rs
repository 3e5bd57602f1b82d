//! Claude Code: the `env` block of `settings.json` in `$CLAUDE_CONFIG_DIR` (default
//! `~/.claude/`) gets `ANTHROPIC_BASE_URL` (without `/v1`: the client adds it) and, when ClawBox
//! holds an Anthropic key, `ANTHROPIC_AUTH_TOKEN` = the local key (sent as a bearer token).

use std::path::{Path, PathBuf};

use crate::Error;
use crate::json::{child, parse, remove, root_object, set, text};
use crate::{ClientSettings, home_dir};

/// Where Claude Code reads its user settings, honouring `CLAUDE_CONFIG_DIR`.
pub fn config_path() -> Result<PathBuf, Error> {
    match std::env::var_os("CLAUDE_CONFIG_DIR").filter(|v| !v.is_empty()) {
        Some(dir) => Ok(PathBuf::from(dir).join("settings.json")),
        None => Ok(home_dir()?.join(".claude").join("settings.json")),
    }
}

pub fn render(path: &Path, before: &str, settings: &ClientSettings) -> Result<String, Error> {
    let root = parse(path, before)?;
    let env = child(path, &root_object(path, &root)?, "env")?;
    set(&env, "ANTHROPIC_BASE_URL", text(&settings.gateway_url));
    match &settings.anthropic_key {
        Some(key) => set(&env, "ANTHROPIC_AUTH_TOKEN", text(key.expose())),
        // ClawBox holds no Anthropic key: Claude Code keeps using the user's own sign-in or key.
        None => remove(&env, "ANTHROPIC_AUTH_TOKEN"),
    }
    Ok(root.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clawbox_auth::Secret;

    fn settings(key: Option<&str>) -> ClientSettings {
        ClientSettings {
            gateway_url: "http://localhost:18789".into(),
            port: 18789,
            user_id: None,
            local_key: None,
            anthropic_key: key.map(Secret::new),
        }
    }

    #[test]
    fn the_env_block_points_at_clawbox_and_other_settings_stay() {
        let before =
            "{\n  \"model\": \"opus\",\n  \"env\": {\n    \"DISABLE_TELEMETRY\": \"1\"\n  }\n}\n";
        let after = render(Path::new("settings.json"), before, &settings(Some("cbx_k"))).unwrap();
        let v: serde_json::Value = serde_json::from_str(&after).unwrap();
        assert_eq!(v["model"], "opus");
        assert_eq!(v["env"]["DISABLE_TELEMETRY"], "1");
        assert_eq!(v["env"]["ANTHROPIC_BASE_URL"], "http://localhost:18789");
        assert_eq!(v["env"]["ANTHROPIC_AUTH_TOKEN"], "cbx_k");
        assert_eq!(
            render(Path::new("s"), &after, &settings(Some("cbx_k"))).unwrap(),
            after
        );
        let created = render(Path::new("s"), "", &settings(None)).unwrap();
        let v: serde_json::Value = serde_json::from_str(&created).unwrap();
        assert_eq!(v["env"]["ANTHROPIC_BASE_URL"], "http://localhost:18789");
        assert!(v["env"].get("ANTHROPIC_AUTH_TOKEN").is_none());
    }
}

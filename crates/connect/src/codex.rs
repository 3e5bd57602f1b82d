//! OpenAI's Codex CLI: `$CODEX_HOME/config.toml` (default `~/.codex/config.toml`) gets a
//! `clawbox` entry in `model_providers` and `model_provider = "clawbox"`. Edited with toml_edit,
//! so the user's comments, order and other settings stay as they were.

use std::path::{Path, PathBuf};

use toml_edit::{DocumentMut, Item, Table, value};

use crate::Error;
use crate::{ClientSettings, connect_error, home_dir};

/// The provider id ClawBox adds (not `openai`: Codex never lets a config replace a built-in).
const PROVIDER: &str = "clawbox";

/// Where Codex reads its configuration, honouring `CODEX_HOME`.
pub fn config_path() -> Result<PathBuf, Error> {
    match std::env::var_os("CODEX_HOME").filter(|v| !v.is_empty()) {
        Some(home) => Ok(PathBuf::from(home).join("config.toml")),
        None => Ok(home_dir()?.join(".codex").join("config.toml")),
    }
}

/// `before` with the ClawBox provider written in.
pub fn render(path: &Path, before: &str, settings: &ClientSettings) -> Result<String, Error> {
    let mut doc: DocumentMut = before.parse().map_err(|e: toml_edit::TomlError| {
        connect_error(
            path,
            &format!(
                "it is not valid TOML ({}); fix it, then connect again",
                e.message()
            ),
        )
    })?;
    doc["model_provider"] = value(PROVIDER);
    let providers = doc
        .entry("model_providers")
        .or_insert_with(|| {
            let mut t = Table::new();
            t.set_implicit(true);
            Item::Table(t)
        })
        .as_table_mut()
        .ok_or_else(|| {
            connect_error(
                path,
                "model_providers is not a table; fix it, then connect again",
            )
        })?;
    let entry = providers
        .entry(PROVIDER)
        .or_insert_with(|| Item::Table(Table::new()))
        .as_table_mut()
        .ok_or_else(|| {
            connect_error(
                path,
                "model_providers.clawbox is not a table; fix it, then connect again",
            )
        })?;
    entry["name"] = value("ClawBox");
    entry["base_url"] = value(format!("{}/v1", settings.gateway_url));
    // Current Codex speaks only the Responses API to custom providers ("chat" is refused).
    entry["wire_api"] = value("responses");
    match &settings.local_key {
        // The key lives in the entry itself: nothing for the user to export.
        Some(key) => {
            entry["experimental_bearer_token"] = value(key.expose());
            entry.remove("env_key");
        }
        // ClawBox holds no credentials: Codex sends the user's own OpenAI key.
        None => {
            entry.remove("experimental_bearer_token");
            entry["env_key"] = value("OPENAI_API_KEY");
        }
    }
    Ok(doc.to_string())
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
            local_key: key.map(Secret::new),
            anthropic_key: None,
        }
    }

    #[test]
    fn the_provider_is_added_and_everything_else_kept() {
        let before = "# my settings\nmodel = \"gpt-5\"  # the best\n\n[profiles.fast]\nmodel = \"gpt-5-mini\"\n";
        let after = render(Path::new("config.toml"), before, &settings(Some("cbx_k"))).unwrap();
        assert!(
            after.starts_with("# my settings\nmodel = \"gpt-5\"  # the best\n"),
            "{after}"
        );
        assert!(after.contains("[profiles.fast]\nmodel = \"gpt-5-mini\"\n"));
        let doc: DocumentMut = after.parse().unwrap();
        assert_eq!(doc["model_provider"].as_str(), Some("clawbox"));
        let p = &doc["model_providers"]["clawbox"];
        assert_eq!(p["base_url"].as_str(), Some("http://localhost:18789/v1"));
        assert_eq!(p["wire_api"].as_str(), Some("responses"));
        assert_eq!(p["experimental_bearer_token"].as_str(), Some("cbx_k"));
        // Idempotent: rendering again changes nothing.
        assert_eq!(
            render(Path::new("c"), &after, &settings(Some("cbx_k"))).unwrap(),
            after
        );
    }

    #[test]
    fn without_held_credentials_codex_sends_the_user_s_own_key() {
        let after = render(Path::new("c"), "", &settings(None)).unwrap();
        let doc: DocumentMut = after.parse().unwrap();
        assert_eq!(
            doc["model_providers"]["clawbox"]["env_key"].as_str(),
            Some("OPENAI_API_KEY")
        );
        assert!(
            doc["model_providers"]["clawbox"]
                .get("experimental_bearer_token")
                .is_none()
        );
    }

    #[test]
    fn broken_toml_is_an_error_not_a_rewrite() {
        let err = render(Path::new("c"), "model = ", &settings(None)).unwrap_err();
        assert!(err.to_string().contains("not valid TOML"), "{err}");
    }
}

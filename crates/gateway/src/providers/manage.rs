//! Adding and removing providers in settings.json, for the command line and the window alike:
//! each change is checked by resolving the settings it would give before anything is written.

use std::path::Path;

use serde_json::{Map, Value, json};

use crate::Error;
use crate::config::{Config, SettingsLayer, update_settings};
use crate::providers::{DefaultUpstream, ProviderSetting, resolve_providers};

/// What adding did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Added {
    /// A provider of that name was there and now has these settings.
    pub replaced: bool,
    /// The id its key is saved under now (`name@host`).
    pub key_id: String,
    /// The id its key was saved under before, when the host changed: that key is not used at
    /// the new address.
    pub moved_from: Option<String>,
}

/// What removing also did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Removed {
    /// The id its key was saved under.
    pub key_id: String,
    /// `default_upstream` named it and is now `none`.
    pub default_cleared: bool,
    /// Routes that sent models to it, now gone.
    pub routes_removed: Vec<String>,
}

/// Adds `provider` to settings.json (replacing one of the same name), refusing a provider the
/// gateway would refuse.
pub fn add_provider(
    settings: &Path,
    provider: &ProviderSetting,
    overrides: &SettingsLayer,
) -> Result<Added, Error> {
    let key_id = key_id_of(provider).map_err(Error::SettingsChange)?;
    let mut added = Added {
        replaced: false,
        key_id: key_id.clone(),
        moved_from: None,
    };
    update_settings(settings, |file| {
        let mut list = providers_in(file)?;
        match list.iter_mut().find(|p| p.name == provider.name) {
            Some(existing) => {
                added.replaced = true;
                added.moved_from = key_id_of(existing).ok().filter(|before| *before != key_id);
                *existing = provider.clone();
            }
            None => list.push(provider.clone()),
        }
        file.insert("providers".into(), json!(list));
        check(file, overrides)
    })?;
    Ok(added)
}

/// Removes the provider `name` from settings.json, with the routes that name it, and makes
/// `default_upstream` `none` if it was that provider. Removing a provider that is not there is
/// an error that lists those that are.
pub fn remove_provider(
    settings: &Path,
    name: &str,
    overrides: &SettingsLayer,
) -> Result<Removed, Error> {
    let mut removed = Removed::default();
    update_settings(settings, |file| {
        let mut list = providers_in(file)?;
        if let Some(gone) = list.iter().find(|p| p.name == name) {
            removed.key_id = key_id_of(gone)?;
        }
        let before = list.len();
        list.retain(|p| p.name != name);
        if list.len() == before {
            let names: Vec<&str> = list.iter().map(|p| p.name.as_str()).collect();
            return Err(if names.is_empty() {
                format!("there is no provider named `{name}`: none have been added")
            } else {
                format!(
                    "there is no provider named `{name}`: the providers are {}",
                    names.join(", ")
                )
            });
        }
        if list.is_empty() {
            file.remove("providers");
        } else {
            file.insert("providers".into(), json!(list));
        }
        if file.get("default_upstream").and_then(Value::as_str) == Some(name) {
            file.remove("default_upstream");
            removed.default_cleared = true;
        }
        if let Some(Value::Array(routes)) = file.get_mut("routes") {
            routes.retain(|r| {
                let names_it = r["upstream"].as_str() == Some(name);
                if names_it {
                    removed
                        .routes_removed
                        .push(r["model"].as_str().unwrap_or_default().to_owned());
                }
                !names_it
            });
        }
        check(file, overrides)
    })?;
    Ok(removed)
}

/// Sets `default_upstream` in settings.json (`none` removes it).
pub fn set_default_upstream(
    settings: &Path,
    default: &DefaultUpstream,
    overrides: &SettingsLayer,
) -> Result<(), Error> {
    update_settings(settings, |file| {
        match default {
            DefaultUpstream::None => file.remove("default_upstream"),
            other => file.insert("default_upstream".into(), json!(other.as_str())),
        };
        check(file, overrides)
    })
}

/// The id `provider`'s key is saved under, checking the provider as the gateway would.
pub fn key_id_of(provider: &ProviderSetting) -> Result<String, String> {
    resolve_providers(std::slice::from_ref(provider)).map(|p| p[0].key_id())
}

fn providers_in(file: &Map<String, Value>) -> Result<Vec<ProviderSetting>, String> {
    match file.get("providers") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(list) => serde_json::from_value(list.clone())
            .map_err(|e| format!("the providers in settings.json are unreadable ({e}): fix them")),
    }
}

/// Whether the gateway would take the file as changed.
fn check(file: &Map<String, Value>, overrides: &SettingsLayer) -> Result<(), String> {
    let layer: SettingsLayer =
        serde_json::from_value(Value::Object(file.clone())).map_err(|e| e.to_string())?;
    Config::resolve(&layer, overrides)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::{ProviderKind, preset};

    fn from_preset(name: &str) -> ProviderSetting {
        preset(name).unwrap().setting()
    }

    fn file(path: &Path) -> Value {
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn add_replace_and_remove_keep_the_rest_of_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        std::fs::write(
            &path,
            r#"{"launch_at_login":true,"routes":[{"model":"x-*","upstream":"ollama"}]}"#,
        )
        .unwrap();
        let none = SettingsLayer::default();
        let added = add_provider(&path, &from_preset("deepseek"), &none).unwrap();
        assert!(!added.replaced && added.key_id == "deepseek@api.deepseek.com");
        assert!(
            !add_provider(&path, &from_preset("groq"), &none)
                .unwrap()
                .replaced
        );
        let mut changed = from_preset("deepseek");
        changed.models = vec!["deepseek-chat".into()];
        let added = add_provider(&path, &changed, &none).unwrap();
        assert!(added.replaced && added.moved_from.is_none());
        let mut moved = changed.clone();
        moved.base_url = "https://deepseek.example/v1".into();
        let added = add_provider(&path, &moved, &none).unwrap();
        assert_eq!(
            added.moved_from.as_deref(),
            Some("deepseek@api.deepseek.com")
        );
        add_provider(&path, &changed, &none).unwrap();
        set_default_upstream(&path, &DefaultUpstream::parse("deepseek"), &none).unwrap();
        update_settings(&path, |f| {
            f["routes"]
                .as_array_mut()
                .unwrap()
                .push(json!({"model": "kimi-*", "upstream": "deepseek"}));
            Ok(())
        })
        .unwrap();
        let v = file(&path);
        assert_eq!(v["providers"][0]["models"], json!(["deepseek-chat"]));
        assert_eq!(v["providers"][1]["name"], "groq");
        assert_eq!(v["launch_at_login"], true);

        let removed = remove_provider(&path, "deepseek", &none).unwrap();
        assert!(removed.default_cleared);
        assert_eq!(removed.key_id, "deepseek@api.deepseek.com");
        assert_eq!(removed.routes_removed, ["kimi-*"]);
        let v = file(&path);
        assert_eq!(v["routes"], json!([{"model":"x-*","upstream":"ollama"}]));
        assert!(v.get("default_upstream").is_none());
        let err = remove_provider(&path, "deepseek", &none)
            .unwrap_err()
            .to_string();
        assert!(err.contains("the providers are groq"), "{err}");
    }

    #[test]
    fn a_change_the_gateway_would_refuse_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        std::fs::write(&path, "{}").unwrap();
        let none = SettingsLayer::default();
        let mut bad = from_preset("deepseek");
        bad.base_url = "ftp://x".into();
        let err = add_provider(&path, &bad, &none).unwrap_err().to_string();
        assert!(err.contains("base_url"), "{err}");
        let err = set_default_upstream(&path, &DefaultUpstream::parse("nobody"), &none)
            .unwrap_err()
            .to_string();
        assert!(err.contains("no provider is named `nobody`"), "{err}");
        let mut anthropic_like = from_preset("deepseek");
        anthropic_like.kind = ProviderKind::Anthropic;
        add_provider(&path, &anthropic_like, &none).unwrap();
        assert!(set_default_upstream(&path, &DefaultUpstream::parse("deepseek"), &none).is_err());
        assert!(file(&path).get("default_upstream").is_none());
    }
}

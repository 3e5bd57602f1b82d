//! Reading `settings.json`, the flat JSON object the desktop app's store plugin also manages.

use std::path::Path;

use crate::Error;
use crate::config::SettingsLayer;

/// The settings file's name inside the data dir.
pub const SETTINGS_FILE: &str = "settings.json";

/// Reads the settings file. A missing (or empty) file is an empty layer; a malformed one is an
/// error that says where it is malformed, and nothing in the file is touched.
pub fn load(path: &Path) -> Result<SettingsLayer, Error> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(SettingsLayer::default()),
        Err(e) => {
            return Err(Error::Settings {
                path: path.to_owned(),
                message: format!("cannot read it: {e}"),
            });
        }
    };
    if text.trim().is_empty() {
        return Ok(SettingsLayer::default());
    }
    serde_json::from_str(&text).map_err(|e| Error::Settings {
        path: path.to_owned(),
        message: describe(&e),
    })
}

/// Sets one key of the settings file, keeping every other key (the app's own included) as it
/// was. The file is replaced atomically; a malformed file is an error and is left untouched.
pub fn set_setting(path: &Path, key: &str, value: serde_json::Value) -> Result<(), Error> {
    update_settings(path, |object| {
        object.insert(key.to_owned(), value);
        Ok(())
    })
}

/// Changes the settings file as `change` says (it may refuse, with a message for the person),
/// keeping every key it does not touch. The file is replaced atomically; a malformed file is an
/// error and is left untouched.
pub fn update_settings(
    path: &Path,
    change: impl FnOnce(&mut serde_json::Map<String, serde_json::Value>) -> Result<(), String>,
) -> Result<(), Error> {
    let fail = |message: String| Error::Settings {
        path: path.to_owned(),
        message,
    };
    let mut object = match std::fs::read_to_string(path) {
        Ok(text) if !text.trim().is_empty() => {
            match serde_json::from_str::<serde_json::Value>(&text)
                .map_err(|e| fail(describe(&e)))?
            {
                serde_json::Value::Object(map) => map,
                _ => return Err(fail("it must be one JSON object of settings".into())),
            }
        }
        Ok(_) => serde_json::Map::new(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => serde_json::Map::new(),
        Err(e) => return Err(fail(format!("cannot read it: {e}"))),
    };
    change(&mut object).map_err(Error::SettingsChange)?;
    let text = serde_json::to_string_pretty(&object).map_err(|e| fail(e.to_string()))?;
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, text + "\n").map_err(|e| fail(format!("cannot write it: {e}")))?;
    std::fs::rename(&tmp, path).map_err(|e| fail(format!("cannot write it: {e}")))
}

/// Records `mode` as `auth_mode` in settings.json (after a ChatGPT sign-in or sign-out).
/// Returns `false` (and changes nothing) when the environment pins it.
pub fn use_auth_mode(data_dir: &Path, mode: &str) -> Result<bool, Error> {
    if std::env::var_os("CLAWBOX_AUTH_MODE").is_some() {
        return Ok(false);
    }
    set_setting(
        &data_dir.join(SETTINGS_FILE),
        "auth_mode",
        serde_json::json!(mode),
    )?;
    Ok(true)
}

fn describe(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let at = format!("line {}, column {}", e.line(), e.column());
    match e.classify() {
        Category::Syntax | Category::Eof => {
            format!("it is not valid JSON ({at}): fix or delete the file")
        }
        Category::Data => format!("{e}; the file must be one JSON object of settings"),
        Category::Io => format!("cannot read it: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_or_empty_file_is_no_settings() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SETTINGS_FILE);
        assert_eq!(load(&path).unwrap(), SettingsLayer::default());
        std::fs::write(&path, "  \n").unwrap();
        assert_eq!(load(&path).unwrap(), SettingsLayer::default());
    }

    #[test]
    fn malformed_file_names_where_and_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SETTINGS_FILE);
        std::fs::write(&path, "{\n  \"mode\": \"local\",\n}").unwrap();
        let msg = load(&path).unwrap_err().to_string();
        assert!(msg.contains("line 3"), "{msg}");
        assert!(msg.contains("settings.json"), "{msg}");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\n  \"mode\": \"local\",\n}"
        );
    }

    #[test]
    fn setting_one_key_keeps_the_others() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SETTINGS_FILE);
        std::fs::write(&path, r#"{"mode":"hosted","launch_at_login":true}"#).unwrap();
        set_setting(&path, "auth_mode", serde_json::json!("codex")).unwrap();
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"mode":"hosted","launch_at_login":true,"auth_mode":"codex"})
        );
        std::fs::write(&path, "{broken").unwrap();
        assert!(set_setting(&path, "auth_mode", serde_json::json!("codex")).is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{broken");
    }

    #[test]
    fn wrong_type_names_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SETTINGS_FILE);
        std::fs::write(&path, r#"{"rate_limit":"lots"}"#).unwrap();
        let msg = load(&path).unwrap_err().to_string();
        assert!(msg.contains("lots"), "{msg}");
        std::fs::write(&path, r#"{"mode":"remote"}"#).unwrap();
        let msg = load(&path).unwrap_err().to_string();
        assert!(msg.contains("remote") && msg.contains("hosted"), "{msg}");
    }
}

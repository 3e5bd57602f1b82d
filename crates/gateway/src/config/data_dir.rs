//! Where ClawBox keeps its files: the OS app-data dir for its bundle identifier, the same folder
//! Tauri's `app_data_dir()` gives the desktop app, unless `CLAWBOX_DATA_DIR` says otherwise.

use std::path::{Path, PathBuf};

use crate::Error;

/// The bundle identifier shared with the desktop app (and its data dir's name).
pub const APP_IDENTIFIER: &str = "ai.organized.clawbox";

/// `~/.local/share/ai.organized.clawbox` on Linux, `~/Library/Application
/// Support/ai.organized.clawbox` on macOS, `%APPDATA%\ai.organized.clawbox` on Windows.
pub fn default_data_dir() -> Result<PathBuf, Error> {
    dirs::data_dir()
        .map(|d| d.join(APP_IDENTIFIER))
        .ok_or_else(|| Error::DataDir {
            path: PathBuf::new(),
            message: "this system reports no user data folder (is HOME set?); \
                      set CLAWBOX_DATA_DIR to a folder ClawBox may use"
                .into(),
        })
}

/// Creates the data dir if needed, readable by the user only (it holds the usage log and the
/// per-install hashing key).
pub fn prepare_data_dir(path: &Path) -> Result<(), Error> {
    let fail = |e: std::io::Error| Error::DataDir {
        path: path.to_owned(),
        message: e.to_string(),
    };
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(path).map_err(fail)?;
    if !path.is_dir() {
        return Err(fail(std::io::Error::other("it exists but is not a folder")));
    }
    Ok(())
}

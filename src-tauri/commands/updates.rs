//! Updates: ask the update server (tauri-plugin-updater, `plugins.updater` in tauri.conf.json)
//! for a newer signed build, and install it. The plugin verifies every download against the
//! public key compiled into the app and the version the signature was made for; this module adds
//! the refusals people need to read: an older version is never installed, and a bad signature
//! says so in plain words.

use std::sync::{Arc, Mutex};

use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, Runtime, State};
use tauri_plugin_updater::{Error as UpdateError, Update, UpdaterExt};
use ts_rs::TS;

use super::CommandError;

/// What the last check found.
#[derive(Debug, Clone, Serialize, TS, PartialEq, Eq)]
#[ts(export)]
pub struct UpdateCheck {
    /// This ClawBox's version.
    pub current: String,
    /// A newer version the server offers, ready to install.
    pub available: Option<String>,
    /// Its release notes, if the server gave any.
    pub notes: Option<String>,
    /// An older version the server offered, which ClawBox refused.
    pub refused_older: Option<String>,
}

/// The update found by the last check, kept for `install_update`.
#[derive(Default)]
pub struct PendingUpdate(Mutex<Option<Update>>);

/// The event telling the window that the check made at start found a newer version.
pub const UPDATE_EVENT: &str = "update-available";
/// How long after start ClawBox asks for updates (not while the window is still opening).
const CHECK_AFTER_START: std::time::Duration = std::time::Duration::from_secs(5);

#[tauri::command]
pub async fn check_update<R: Runtime>(
    app: AppHandle<R>,
    pending: State<'_, PendingUpdate>,
) -> Result<UpdateCheck, CommandError> {
    check(&app, &pending).await
}

/// Once, shortly after start: a newer version becomes an `update-available` event (the window
/// offers it); nothing is installed without the person's click. Builds without an update key
/// never ask.
pub fn check_after_start<R: Runtime>(app: &AppHandle<R>) {
    if !has_update_key(app) {
        return;
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(CHECK_AFTER_START).await;
        let Some(pending) = app.try_state::<PendingUpdate>() else {
            return;
        };
        match check(&app, &pending).await {
            Ok(found) if found.available.is_some() => {
                let _ = app.emit(UPDATE_EVENT, found);
            }
            Ok(_) => {}
            Err(e) => tracing::info!(error = %e.message, "no update check at start"),
        }
    });
}

async fn check<R: Runtime>(
    app: &AppHandle<R>,
    pending: &PendingUpdate,
) -> Result<UpdateCheck, CommandError> {
    let current = app.package_info().version.to_string();
    if !has_update_key(app) {
        return Err(not_set_up(&"it was built without an update key"));
    }
    let older: Arc<Mutex<Option<String>>> = Arc::default();
    let seen = Arc::clone(&older);
    let updater = app
        .updater_builder()
        .version_comparator(move |current, remote| {
            if remote.version < current {
                *seen.lock().unwrap_or_else(|e| e.into_inner()) = Some(remote.version.to_string());
            }
            remote.version > current
        })
        .build()
        .map_err(|e| not_set_up(&e))?;
    let found = updater.check().await.map_err(|e| plain(&e, &current))?;
    let check = UpdateCheck {
        current,
        available: found.as_ref().map(|u| u.version.clone()),
        notes: found.as_ref().and_then(|u| u.body.clone()),
        refused_older: older.lock().unwrap_or_else(|e| e.into_inner()).take(),
    };
    if let Some(older) = &check.refused_older {
        tracing::warn!(offered = %older, current = %check.current, "refused an older version");
    }
    *pending.0.lock().unwrap_or_else(|e| e.into_inner()) = found;
    Ok(check)
}

/// Downloads the update found by `check_update`, verifies it, installs it and restarts ClawBox
/// (quitting stops the gateway gracefully and flushes the log, so the new version gets the port).
/// A failed install keeps the update on offer, to try again.
#[tauri::command]
pub async fn install_update<R: Runtime>(
    app: AppHandle<R>,
    pending: State<'_, PendingUpdate>,
) -> Result<(), CommandError> {
    let Some(update) = pending.0.lock().unwrap_or_else(|e| e.into_inner()).clone() else {
        return Err(CommandError::new(
            "no_update",
            "there is no update to install; check for updates first",
        ));
    };
    let current = update.current_version.clone();
    tracing::info!(version = %update.version, "installing an update");
    // Verified against the compiled-in key and the signed version as it downloads.
    let bytes = update
        .download(|_, _| {}, || {})
        .await
        .map_err(|e| plain(&e, &current))?;
    // On Windows the installer takes over and this process exits inside `install`: the gateway
    // stops first. Elsewhere it keeps serving until the package is in place.
    #[cfg(windows)]
    if let Some(host) = app.try_state::<crate::GatewayHost>() {
        host.stop_async().await;
    }
    if let Err(e) = update.install(bytes) {
        // Still this version: on Windows the gateway was stopped for the installer; serve again.
        #[cfg(windows)]
        if let Some(host) = app.try_state::<crate::GatewayHost>() {
            host.restart(&app).await;
        }
        return Err(plain(&e, &current));
    }
    tracing::info!(version = %update.version, "update installed; restarting");
    app.request_restart();
    Ok(())
}

fn not_set_up(e: &dyn std::fmt::Display) -> CommandError {
    CommandError::new(
        "updates_not_set_up",
        format!(
            "this build of ClawBox cannot update itself ({e}); ask whoever gave you ClawBox for \
             the newer installer"
        ),
    )
}

/// Whether this build carries an update key (release builds made without one cannot verify
/// anything, so they do not ask).
fn has_update_key<R: Runtime>(app: &AppHandle<R>) -> bool {
    app.config()
        .plugins
        .0
        .get("updater")
        .and_then(|u| u.get("pubkey"))
        .and_then(|k| k.as_str())
        .is_some_and(|k| !k.trim().is_empty())
}

/// The updater's errors, for people: what happened, and that nothing was installed.
fn plain(e: &UpdateError, current: &str) -> CommandError {
    let kept = format!("Nothing was installed; ClawBox stays at version {current}.");
    match e {
        UpdateError::Minisign(_)
        | UpdateError::Base64(_)
        | UpdateError::SignatureUtf8(_)
        | UpdateError::MissingSignedVersion => CommandError::new(
            "update_signature",
            format!(
                "The update's signature does not match ClawBox's update key ({e}), so it may \
                     have been tampered with. {kept}"
            ),
        ),
        UpdateError::SignedVersionMismatch { signed, announced } => CommandError::new(
            "update_signature",
            format!(
                "The update server announced version {announced} but sent a package signed as \
                 version {signed}: an old release passed off as new. {kept}"
            ),
        ),
        UpdateError::Reqwest(_) | UpdateError::Network(_) | UpdateError::ReleaseNotFound => {
            CommandError::new(
                "update_unreachable",
                format!(
                    "Could not reach the update server ({e}). Check your internet connection and \
                     try again. {kept}"
                ),
            )
        }
        UpdateError::TargetNotFound(_) | UpdateError::TargetsNotFound(_) => CommandError::new(
            "update_no_package",
            format!("The update server has no package for this computer ({e}). {kept}"),
        ),
        UpdateError::EmptyEndpoints | UpdateError::InsecureTransportProtocol => not_set_up(e),
        UpdateError::AuthenticationFailed
        | UpdateError::DebInstallFailed
        | UpdateError::PackageInstallFailed
        | UpdateError::Io(_) => CommandError::new(
            "update_install_failed",
            format!(
                "The update could not be installed ({e}); installing needs administrator \
                 rights. {kept}"
            ),
        ),
        other => CommandError::new(
            "update_failed",
            format!("The update failed: {other}. {kept}"),
        ),
    }
}

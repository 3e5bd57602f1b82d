//! Setup links (`clawbox://onboard?...`) and the provisioning file (`<data dir>/provision.json`)
//! as the wizard sees them: an offer to fill in the first step, never a change by itself. The
//! wizard shows the values, and a hosted address must be confirmed by the person before it is
//! saved — a link from anywhere must not redirect where keys and prompts are sent.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use clawbox_provision::{Provision, ProvisionError};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, Runtime, State};
use ts_rs::TS;

use super::CommandError;

/// The provisioning file ClawBox looks for in its data folder at start.
pub const PROVISION_FILE: &str = "provision.json";
/// What a used provisioning file is renamed to (kept, so a mistaken dismissal can be undone by
/// renaming it back).
const USED_FILE: &str = "provision.used.json";
/// The event telling the window a new offer arrived (a link opened while ClawBox runs).
pub const PROVISION_EVENT: &str = "provision";

/// Values for the wizard from a link or file, or why they cannot be used.
#[derive(Debug, Clone, Serialize, TS, PartialEq, Eq)]
#[ts(export)]
pub struct ProvisionOffer {
    /// Names this offer, so the window dismisses the one it showed and not a newer one.
    pub id: u32,
    /// The checked values, when usable.
    pub values: Option<Provision>,
    /// Where they came from, for people: "a setup link" or the file's path.
    pub from: String,
    /// Why the link or file cannot be used (then `values` is empty).
    pub error: Option<String>,
}

/// The offer waiting for the wizard, if any.
#[derive(Default)]
pub struct PendingProvision(Mutex<Slot>);

#[derive(Default)]
struct Slot {
    offer: Option<ProvisionOffer>,
    /// The provisioning file the offer came from, set aside once it is used.
    file: Option<PathBuf>,
    last_id: u32,
}

impl PendingProvision {
    fn slot(&self) -> std::sync::MutexGuard<'_, Slot> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Numbers the offer and makes it the pending one.
    fn set(&self, mut offer: ProvisionOffer, file: Option<PathBuf>) -> ProvisionOffer {
        let mut slot = self.slot();
        slot.last_id += 1;
        offer.id = slot.last_id;
        slot.offer = Some(offer.clone());
        slot.file = file;
        offer
    }
}

/// A link the app was opened with, or that arrived while it runs: offered to the window.
pub fn offer_link<R: Runtime>(app: &AppHandle<R>, link: &str) {
    let checked = Provision::from_link(link);
    // Never the link itself in the log: it may carry a user's id.
    tracing::info!(usable = checked.is_ok(), "setup link received");
    publish(app, "a setup link".into(), checked, None);
}

/// The provisioning file in the data folder, if there is one.
pub fn offer_file<R: Runtime>(app: &AppHandle<R>, data_dir: &Path) {
    let path = data_dir.join(PROVISION_FILE);
    if path.exists() {
        publish(
            app,
            path.display().to_string(),
            Provision::from_file(&path),
            Some(path),
        );
    }
}

/// Makes the values (or why they cannot be used) the pending offer, and tells the window.
fn publish<R: Runtime>(
    app: &AppHandle<R>,
    from: String,
    checked: Result<Provision, ProvisionError>,
    file: Option<PathBuf>,
) {
    let Some(pending) = app.try_state::<PendingProvision>() else {
        return;
    };
    let (values, error) = match checked {
        Ok(values) => (Some(values), None),
        Err(e) => (None, Some(e.to_string())),
    };
    let offer = ProvisionOffer {
        id: 0,
        values,
        from,
        error,
    };
    let offer = pending.set(offer, file);
    let _ = app.emit(PROVISION_EVENT, offer);
}

/// The offer waiting for the wizard, if any (the window asks when it opens; the event covers
/// links that arrive later).
#[tauri::command]
pub fn pending_provision(pending: State<'_, PendingProvision>) -> Option<ProvisionOffer> {
    pending.slot().offer.clone()
}

/// The wizard used or declined offer `id`: it is not offered again (a newer offer that arrived
/// meanwhile stays). A provisioning file is renamed to provision.used.json rather than deleted.
#[tauri::command]
pub fn dismiss_provision(
    pending: State<'_, PendingProvision>,
    id: u32,
) -> Result<(), CommandError> {
    let file = {
        let mut slot = pending.slot();
        if slot.offer.as_ref().is_none_or(|offer| offer.id != id) {
            return Ok(());
        }
        slot.offer = None;
        slot.file.take()
    };
    if let Some(file) = file {
        let used = file.with_file_name(USED_FILE);
        std::fs::rename(&file, &used).map_err(|e| {
            CommandError::new(
                "provision_file",
                format!(
                    "could not set aside {} ({e}); delete it, or it will be offered again at \
                     the next start",
                    file.display()
                ),
            )
        })?;
    }
    Ok(())
}

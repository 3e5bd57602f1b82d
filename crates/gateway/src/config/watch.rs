//! Live settings: `settings.json` is re-read when its contents change, and the new [`Config`]
//! swapped in atomically. A broken file keeps the last good settings and shows up in `/health`.
//!
//! Polling a small file twice a second is simpler and sturdier across platforms and editors
//! (atomic renames, network drives) than file-system notifications, and costs nothing.

use std::sync::Weak;
use std::time::Duration;

use crate::Gateway;

const POLL_EVERY: Duration = Duration::from_millis(500);

/// Runs until the gateway is dropped.
pub(crate) async fn watch_settings(gateway: Weak<Gateway>, mut last: Option<Vec<u8>>) {
    let mut vanished = false;
    let mut tick = tokio::time::interval(POLL_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(gateway) = gateway.upgrade() else {
            return;
        };
        let current = tokio::fs::read(gateway.settings_path()).await.ok();
        if current == last {
            vanished = false;
            continue;
        }
        // An editor that truncates before writing leaves the file empty for an instant: only a
        // file still empty (or gone) at the next poll means "no settings".
        let empty = current.as_deref().is_none_or(|c| c.trim_ascii().is_empty());
        if empty && !vanished {
            vanished = true;
            continue;
        }
        vanished = false;
        last = current;
        gateway.reload_settings();
    }
}

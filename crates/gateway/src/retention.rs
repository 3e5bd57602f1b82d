//! Log retention: rows older than `retention_days` are deleted at start-up and every hour, on a
//! blocking thread with its own connection (never on the request path). A workshop day can log a
//! million rows; without this the file only grows.

use std::sync::Weak;
use std::time::Duration;

use crate::Gateway;

const EVERY: Duration = Duration::from_secs(3600);

pub(crate) async fn keep_pruned(gateway: Weak<Gateway>) {
    let mut tick = tokio::time::interval(EVERY);
    loop {
        tick.tick().await;
        let Some(gateway) = gateway.upgrade() else {
            return;
        };
        let days = gateway.config().retention_days;
        if days == 0 {
            continue;
        }
        let path = gateway.database_path();
        drop(gateway);
        let pruned = tokio::task::spawn_blocking(move || {
            let conn = clawbox_store::database::connect(&path)?;
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            clawbox_store::maintenance::prune(&conn, days, now)
        })
        .await;
        match pruned {
            Ok(Ok(0)) => {}
            Ok(Ok(rows)) => tracing::info!(rows, days, "old request-log rows deleted"),
            Ok(Err(e)) => tracing::warn!(error = %e, "could not apply the log retention"),
            Err(e) => tracing::warn!(error = %e, "could not apply the log retention"),
        }
    }
}

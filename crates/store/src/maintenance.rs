//! Keeping the log's size in check: retention (rows older than N days go) and "clear history".
//! Both delete in small transactions so the log writer is never kept waiting for long.

use rusqlite::Connection;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::StoreError;

/// Rows deleted per transaction.
const CHUNK: i64 = 10_000;

/// Deletes requests (and their rollups) older than `days` days before `now` (Unix seconds).
/// `monthly_usage` is kept: the monthly cap must not forget this month. Returns rows deleted.
pub fn prune(conn: &Connection, days: u32, now: i64) -> Result<u64, StoreError> {
    let cutoff = now - i64::from(days) * 86_400;
    let cutoff_text = OffsetDateTime::from_unix_timestamp(cutoff)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .ok_or_else(|| StoreError::BadQuery(format!("no such time: {cutoff}")))?;
    let deleted = delete_in_chunks(
        conn,
        "DELETE FROM requests WHERE rowid IN
           (SELECT rowid FROM requests WHERE created_at < ?1 LIMIT ?2)",
        &cutoff_text,
    )?;
    for (table, unit) in crate::rollup::TABLES {
        let before = if unit == "hour" {
            cutoff.div_euclid(3600)
        } else {
            cutoff.div_euclid(60)
        };
        conn.execute(&format!("DELETE FROM {table} WHERE {unit} < ?1"), [before])?;
    }
    Ok(deleted)
}

/// Deletes the whole request log and its rollups ("clear history"). This month's counts for the
/// cap stay. Returns rows deleted.
pub fn clear(conn: &Connection) -> Result<u64, StoreError> {
    let deleted = delete_in_chunks(
        conn,
        "DELETE FROM requests WHERE rowid IN
           (SELECT rowid FROM requests WHERE ?1 = ?1 LIMIT ?2)",
        "",
    )?;
    for (table, _) in crate::rollup::TABLES {
        conn.execute(&format!("DELETE FROM {table}"), [])?;
    }
    // Give the space back: a workshop day can be a million rows.
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE); VACUUM;")?;
    Ok(deleted)
}

fn delete_in_chunks(conn: &Connection, sql: &str, arg: &str) -> Result<u64, StoreError> {
    let mut stmt = conn.prepare(sql)?;
    let mut total = 0u64;
    loop {
        let n = stmt.execute(rusqlite::params![arg, CHUNK])?;
        total += n as u64;
        if (n as i64) < CHUNK {
            return Ok(total);
        }
    }
}

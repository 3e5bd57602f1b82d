//! Read queries over the usage store. They run on a caller-owned connection, off the request path
//! (at start-up, or from `spawn_blocking`).

use std::collections::HashMap;

use rusqlite::Connection;

use crate::StoreError;

/// Admitted requests per user in `month` (`YYYY-MM`): the monthly cap's starting point.
pub fn monthly_requests(
    conn: &Connection,
    month: &str,
) -> Result<HashMap<String, u64>, StoreError> {
    let mut stmt = conn.prepare("SELECT user_id, requests FROM monthly_usage WHERE month = ?1")?;
    let rows = stmt.query_map([month], |r| {
        let requests = r.get::<_, i64>(1)?;
        Ok((r.get::<_, String>(0)?, u64::try_from(requests).unwrap_or(0)))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

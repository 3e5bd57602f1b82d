//! Read queries over the usage store. They run on a caller-owned connection, off the request path
//! (at start-up, or from `spawn_blocking`).

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;

use crate::StoreError;

/// A user's month so far, as recorded.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct UserMonth {
    /// Admitted requests: what the monthly cap counts.
    pub requests: u64,
    /// US dollars spent through API keys: what the budget counts.
    pub spent_usd: f64,
}

/// Each user's month so far in `month` (`YYYY-MM`): the monthly cap's and the budget's starting
/// point.
pub fn monthly_usage(
    conn: &Connection,
    month: &str,
) -> Result<HashMap<String, UserMonth>, StoreError> {
    let mut stmt =
        conn.prepare("SELECT user_id, requests, spent_usd FROM monthly_usage WHERE month = ?1")?;
    let rows = stmt.query_map([month], |r| {
        let requests = r.get::<_, i64>(1)?;
        Ok((
            r.get::<_, String>(0)?,
            UserMonth {
                requests: u64::try_from(requests).unwrap_or(0),
                spent_usd: r.get(2)?,
            },
        ))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// This month's admitted usage (what the monthly cap counts).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct MonthUsage {
    /// `YYYY-MM`, UTC.
    pub month: String,
    /// Whose month this is: the configured user, else the busiest one (`None`: nobody yet).
    pub user_id: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub requests: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub tokens: u64,
    /// Requests a user may make this month; `None` when there is no cap.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub cap: Option<u64>,
    /// US dollars spent through API keys this month (what the budget counts).
    pub spent_usd: f64,
    /// The monthly budget; `None` when there is none.
    pub budget_usd: Option<f64>,
}

/// Whose month to show against the cap: a user id, or `None` for the busiest user this month.
pub struct MonthOf<'a> {
    pub user_id: Option<&'a str>,
    /// `YYYY-MM`, UTC.
    pub month: &'a str,
    pub cap: Option<u64>,
    pub budget_usd: Option<f64>,
}

/// This month's admitted usage for `of.user_id`, or for the busiest user when none is given.
pub fn month_usage(conn: &Connection, of: &MonthOf<'_>) -> Result<MonthUsage, StoreError> {
    let read = |r: &rusqlite::Row<'_>| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?));
    let row: Option<(String, i64, i64, f64)> = match of.user_id {
        Some(user) => conn
            .prepare_cached(
                "SELECT user_id, requests, tokens, spent_usd FROM monthly_usage
                 WHERE month = ?1 AND user_id = ?2",
            )?
            .query_row([of.month, user], read)
            .optional()?,
        None => conn
            .prepare_cached(
                "SELECT user_id, requests, tokens, spent_usd FROM monthly_usage WHERE month = ?1
                 ORDER BY requests DESC LIMIT 1",
            )?
            .query_row([of.month], read)
            .optional()?,
    };
    let (user_id, requests, tokens, spent_usd) = match row {
        Some((user, requests, tokens, spent)) => (Some(user), requests, tokens, spent),
        None => (of.user_id.map(str::to_owned), 0, 0, 0.0),
    };
    Ok(MonthUsage {
        month: of.month.to_owned(),
        user_id,
        requests: u64::try_from(requests).unwrap_or(0),
        tokens: u64::try_from(tokens).unwrap_or(0),
        cap: of.cap,
        spent_usd,
        budget_usd: of.budget_usd,
    })
}

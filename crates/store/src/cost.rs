//! What requests cost, summed over a time range and split one way: by model, user, client or
//! UTC day. Read from the hourly rollup `cost_split`, so it costs about the same at a thousand
//! rows or ten million.

use rusqlite::Connection;
use serde::Serialize;

use crate::StoreError;

/// How a report splits its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    Model,
    User,
    /// The agent ClawBox ran that sent it, `(other)` for anything else.
    Client,
    /// The UTC day, `YYYY-MM-DD`.
    Day,
}

impl By {
    pub fn parse(s: &str) -> Result<By, StoreError> {
        match s {
            "model" => Ok(By::Model),
            "user" => Ok(By::User),
            "client" => Ok(By::Client),
            "day" => Ok(By::Day),
            other => Err(StoreError::BadQuery(format!(
                "cannot split usage by {other:?}: use model, user, client or day"
            ))),
        }
    }

    /// What an empty key means in this split.
    fn unnamed(self) -> &'static str {
        match self {
            By::Model => "(no model)",
            By::Client => "(other tools)",
            By::User | By::Day => "(none)",
        }
    }

    /// The rollup's dimension to read (by day: any one, summed per day) and the key to group by.
    fn source(self) -> (&'static str, &'static str) {
        match self {
            By::Model => ("model", "key"),
            By::User => ("user", "key"),
            By::Client => ("client", "key"),
            By::Day => ("model", "strftime('%Y-%m-%d', hour * 3600, 'unixepoch')"),
        }
    }
}

/// Requests, tokens and money for one key (or the total).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct CostLine {
    pub key: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub requests: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub tokens: u64,
    /// Money spent through API keys, US dollars.
    pub cost_usd: f64,
    /// What the ChatGPT plan covered, at API prices.
    pub plan_value_usd: f64,
    /// What the hosted gateway bills, at API prices.
    pub hosted_usd: f64,
    /// Requests that used tokens of a model with no known price (counted in no sum above).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub unpriced: u64,
}

/// A range's total and its split, biggest spend first (by day: oldest first).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct CostReport {
    pub total: CostLine,
    pub rows: Vec<CostLine>,
}

/// The report for hours `[from_hour, to_hour)` (Unix hours, UTC), split `by`, at most `limit`
/// rows.
pub fn cost_report(
    conn: &Connection,
    from_hour: i64,
    to_hour: i64,
    by: By,
    limit: usize,
) -> Result<CostReport, StoreError> {
    let order = match by {
        By::Day => "grouped ASC",
        // Names of their own: in an expression, `cost_usd` would be the table's column.
        _ => "api_sum + plan_sum + hosted_sum DESC, token_sum DESC, grouped ASC",
    };
    let (dimension, key) = by.source();
    let sql = format!(
        "SELECT {key} AS grouped, SUM(requests), SUM(tokens) AS token_sum,
                SUM(CASE billing WHEN 'api' THEN cost_usd ELSE 0 END) AS api_sum,
                SUM(CASE billing WHEN 'plan' THEN cost_usd ELSE 0 END) AS plan_sum,
                SUM(CASE billing WHEN 'hosted' THEN cost_usd ELSE 0 END) AS hosted_sum,
                SUM(unpriced)
         FROM cost_split WHERE dimension = ?3 AND hour >= ?1 AND hour < ?2
         GROUP BY grouped ORDER BY {order}"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(rusqlite::params![from_hour, to_hour, dimension])?;
    let mut report = CostReport::default();
    while let Some(r) = rows.next()? {
        let key: String = r.get(0)?;
        let line = CostLine {
            key: if key.is_empty() {
                by.unnamed().to_owned()
            } else {
                key
            },
            requests: count(r.get(1)?),
            tokens: count(r.get(2)?),
            cost_usd: r.get(3)?,
            plan_value_usd: r.get(4)?,
            hosted_usd: r.get(5)?,
            unpriced: count(r.get(6)?),
        };
        let total = &mut report.total;
        total.requests += line.requests;
        total.tokens = total.tokens.saturating_add(line.tokens);
        total.cost_usd += line.cost_usd;
        total.plan_value_usd += line.plan_value_usd;
        total.hosted_usd += line.hosted_usd;
        total.unpriced += line.unpriced;
        if report.rows.len() < limit {
            report.rows.push(line);
        }
    }
    report.total.key = "total".into();
    Ok(report)
}

fn count(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

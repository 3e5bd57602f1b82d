//! The dashboard's query: requests, tokens, latency and statuses over a time range, read from the
//! rollups (per minute up to a day, per hour beyond), so it costs about the same at a thousand
//! rows or ten million.

use std::collections::HashMap;

use rusqlite::Connection;
use serde::Serialize;

use crate::StoreError;
use crate::cost::{By, CostLine, cost_report};
use crate::rollup::LATENCY_BOUNDS_MS;
use crate::usage::month_usage;
pub use crate::usage::{MonthOf, MonthUsage};

/// The ranges the dashboard offers, each with its bucket size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    Hour,
    Day,
    Week,
    Month,
}

impl Range {
    /// `1h`, `24h`, `7d` or `30d`.
    pub fn parse(s: &str) -> Result<Range, StoreError> {
        match s {
            "1h" => Ok(Range::Hour),
            "24h" => Ok(Range::Day),
            "7d" => Ok(Range::Week),
            "30d" => Ok(Range::Month),
            other => Err(StoreError::BadQuery(format!(
                "unknown range {other:?}: use 1h, 24h, 7d or 30d"
            ))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Range::Hour => "1h",
            Range::Day => "24h",
            Range::Week => "7d",
            Range::Month => "30d",
        }
    }

    fn span_secs(self) -> i64 {
        match self {
            Range::Hour => 3_600,
            Range::Day => 86_400,
            Range::Week => 7 * 86_400,
            Range::Month => 30 * 86_400,
        }
    }

    /// The rollups to read: per minute up to a day, per hour beyond (`(usage, latency, unit
    /// column, seconds per unit)`).
    fn tables(self) -> (&'static str, &'static str, &'static str, i64) {
        match self {
            Range::Hour | Range::Day => ("usage_minute", "latency_minute", "minute", 60),
            Range::Week | Range::Month => ("usage_hour", "latency_hour", "hour", 3_600),
        }
    }

    /// 60, 96, 84 and 60 points: enough to see a shape, few enough to draw instantly.
    fn bucket_secs(self) -> i64 {
        match self {
            Range::Hour => 60,
            Range::Day => 15 * 60,
            Range::Week => 2 * 3_600,
            Range::Month => 12 * 3_600,
        }
    }
}

/// One point of the time series.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct UsageBucket {
    /// Unix seconds (UTC) of the bucket's start.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub start: i64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub requests: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub tokens_reported: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub tokens_estimated: u64,
    /// Read from the latency histogram: the upper bound of the bucket holding the percentile.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub p50_ms: Option<i64>,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub p95_ms: Option<i64>,
    /// US dollars spent through API keys.
    pub api_usd: f64,
    /// What the ChatGPT plan covered, at API prices.
    pub plan_usd: f64,
    /// What the hosted gateway bills, at API prices.
    pub hosted_usd: f64,
}

/// Requests by outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct StatusCounts {
    /// 2xx (and 3xx).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub ok: u64,
    /// 4xx other than 402 and 429.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub client_error: u64,
    /// 429: over the rate limit.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub rate_limited: u64,
    /// 402: over the monthly cap.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub over_cap: u64,
    /// 5xx, or no answer from the upstream.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub server_error: u64,
}

/// Requests and tokens for one model or one user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Split {
    pub name: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub requests: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub tokens: u64,
}

/// Everything the dashboard shows for one range.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Dashboard {
    pub range: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub bucket_secs: i64,
    /// Unix seconds: the range is `[from, to)`.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub from: i64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub to: i64,
    /// The whole range, oldest first, empty buckets included.
    pub buckets: Vec<UsageBucket>,
    pub statuses: StatusCounts,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub requests: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub tokens_reported: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub tokens_estimated: u64,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub p50_ms: Option<i64>,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub p95_ms: Option<i64>,
    /// The busiest models and users (at most [`TOP`] each).
    pub by_model: Vec<Split>,
    pub by_user: Vec<Split>,
    /// What the range cost, and its split by model, user and client (the agent that sent it),
    /// biggest first (at most [`TOP`] each). Read by whole hours.
    pub cost: CostLine,
    pub cost_by_model: Vec<CostLine>,
    pub cost_by_user: Vec<CostLine>,
    pub cost_by_client: Vec<CostLine>,
    /// Per UTC day, oldest first (for the week and month ranges; empty for shorter ones).
    pub cost_by_day: Vec<CostLine>,
    pub month: MonthUsage,
}

/// Since a moment (the start of the person's day): what the dashboard's "today" strip shows.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Today {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub requests: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub tokens: u64,
    pub api_usd: f64,
    pub plan_usd: f64,
    pub hosted_usd: f64,
}

/// Requests, tokens and cost since `from` (Unix seconds; counted by whole minutes).
pub fn today(conn: &Connection, from: i64) -> Result<Today, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT COALESCE(SUM(requests), 0), COALESCE(SUM(tokens_reported + tokens_estimated), 0),
                COALESCE(SUM(api_usd), 0), COALESCE(SUM(plan_usd), 0), COALESCE(SUM(hosted_usd), 0)
         FROM usage_minute WHERE minute >= ?1",
    )?;
    Ok(stmt.query_row([from.div_euclid(60)], |r| {
        Ok(Today {
            requests: count_of(r.get(0)?),
            tokens: count_of(r.get(1)?),
            api_usd: r.get(2)?,
            plan_usd: r.get(3)?,
            hosted_usd: r.get(4)?,
        })
    })?)
}

/// How many models and users the splits list.
pub const TOP: usize = 10;

/// The dashboard for `range` ending now (`now` in Unix seconds).
pub fn dashboard(
    conn: &Connection,
    range: Range,
    now: i64,
    month: &MonthOf<'_>,
) -> Result<Dashboard, StoreError> {
    let bucket_secs = range.bucket_secs();
    let to = (now.div_euclid(bucket_secs) + 1) * bucket_secs;
    let from = to - range.span_secs();
    let (usage_table, latency_table, unit, unit_secs) = range.tables();
    // Bucket sizes are whole units, so every unit falls in exactly one bucket.
    let (first, end) = (from / unit_secs, ceil_div(to, unit_secs));
    let count = usize::try_from((to - from) / bucket_secs).unwrap_or(0);
    let index = |at: i64| usize::try_from((at * unit_secs - from) / bucket_secs).ok();

    let mut buckets: Vec<UsageBucket> = (0..count)
        .map(|i| UsageBucket {
            start: from + i64::try_from(i).unwrap_or(0) * bucket_secs,
            ..UsageBucket::default()
        })
        .collect();
    let mut statuses = StatusCounts::default();
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {unit}, status_class, requests, tokens_reported, tokens_estimated,
                api_usd, plan_usd, hosted_usd
         FROM {usage_table} WHERE {unit} >= ?1 AND {unit} < ?2"
    ))?;
    let mut rows = stmt.query([first, end])?;
    while let Some(r) = rows.next()? {
        let requests = count_of(r.get(2)?);
        if let Some(bucket) = index(r.get(0)?).and_then(|i| buckets.get_mut(i)) {
            bucket.requests += requests;
            bucket.tokens_reported += count_of(r.get(3)?);
            bucket.tokens_estimated += count_of(r.get(4)?);
            bucket.api_usd += r.get::<_, f64>(5)?;
            bucket.plan_usd += r.get::<_, f64>(6)?;
            bucket.hosted_usd += r.get::<_, f64>(7)?;
        }
        let class = match r.get::<_, String>(1)?.as_str() {
            "2xx" => &mut statuses.ok,
            "4xx" => &mut statuses.client_error,
            "429" => &mut statuses.rate_limited,
            "402" => &mut statuses.over_cap,
            _ => &mut statuses.server_error,
        };
        *class += requests;
    }

    // Latency: one histogram per bucket, and their sum for the whole range.
    let mut histograms: Vec<HashMap<i64, u64>> = vec![HashMap::new(); count];
    let mut whole: HashMap<i64, u64> = HashMap::new();
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {unit}, le_ms, requests FROM {latency_table} WHERE {unit} >= ?1 AND {unit} < ?2"
    ))?;
    let mut rows = stmt.query([first, end])?;
    while let Some(r) = rows.next()? {
        let (le_ms, n): (i64, u64) = (r.get(1)?, count_of(r.get(2)?));
        if let Some(h) = index(r.get(0)?).and_then(|i| histograms.get_mut(i)) {
            *h.entry(le_ms).or_default() += n;
        }
        *whole.entry(le_ms).or_default() += n;
    }
    for (bucket, histogram) in buckets.iter_mut().zip(&histograms) {
        bucket.p50_ms = percentile(histogram, 0.50);
        bucket.p95_ms = percentile(histogram, 0.95);
    }

    let (first_hour, end_hour) = (from.div_euclid(3_600), ceil_div(to, 3_600));
    let costs = |by| cost_report(conn, first_hour, end_hour, by, TOP);
    let by_model = costs(By::Model)?;
    let mut cost = by_model.total.clone();
    // The minute rollups are exact for the range; the hourly split rounds it out to whole hours.
    cost.cost_usd = buckets.iter().map(|b| b.api_usd).sum();
    cost.plan_value_usd = buckets.iter().map(|b| b.plan_usd).sum();
    cost.hosted_usd = buckets.iter().map(|b| b.hosted_usd).sum();
    Ok(Dashboard {
        range: range.as_str().to_owned(),
        bucket_secs,
        from,
        to,
        requests: buckets.iter().map(|b| b.requests).sum(),
        tokens_reported: buckets.iter().map(|b| b.tokens_reported).sum(),
        tokens_estimated: buckets.iter().map(|b| b.tokens_estimated).sum(),
        p50_ms: percentile(&whole, 0.50),
        p95_ms: percentile(&whole, 0.95),
        buckets,
        statuses,
        by_model: split(conn, "model", range, from, to)?,
        by_user: split(conn, "user_id", range, from, to)?,
        cost,
        cost_by_model: by_model.rows,
        cost_by_user: costs(By::User)?.rows,
        cost_by_client: costs(By::Client)?.rows,
        cost_by_day: match range {
            Range::Week | Range::Month => {
                cost_report(conn, first_hour, end_hour, By::Day, 31)?.rows
            }
            Range::Hour | Range::Day => Vec::new(),
        },
        month: month_usage(conn, month)?,
    })
}

/// The busiest values of `column` (a fixed column name, never user input) in the range: for the
/// last hour exactly, from the log itself (an hour's rows are few and indexed by time); for
/// longer ranges from the hourly splits, counting whole hours.
fn split(
    conn: &Connection,
    column: &str,
    range: Range,
    from: i64,
    to: i64,
) -> Result<Vec<Split>, StoreError> {
    let (sql, args) = if range == Range::Hour {
        let since = time::OffsetDateTime::from_unix_timestamp(from)
            .ok()
            .and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
            .unwrap_or_default();
        (
            format!(
                "SELECT COALESCE({column}, ''), COUNT(*) AS n, SUM(tokens_est) FROM requests
                 WHERE created_at >= ?1 GROUP BY 1 ORDER BY n DESC, 1 LIMIT {TOP}"
            ),
            vec![rusqlite::types::Value::Text(since)],
        )
    } else {
        (
            format!(
                "SELECT {column}, SUM(requests) AS n, SUM(tokens) FROM usage_split
                 WHERE hour >= ?1 AND hour < ?2 GROUP BY 1 ORDER BY n DESC, 1 LIMIT {TOP}"
            ),
            vec![
                rusqlite::types::Value::Integer(from / 3_600),
                rusqlite::types::Value::Integer(ceil_div(to, 3_600)),
            ],
        )
    };
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(rusqlite::params_from_iter(args), |r| {
        let name: String = r.get(0)?;
        Ok(Split {
            name: if name.is_empty() {
                "(no model)".into()
            } else {
                name
            },
            requests: count_of(r.get(1)?),
            tokens: count_of(r.get(2)?),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The smallest histogram bound at or below which `p` of the requests fall.
fn percentile(histogram: &HashMap<i64, u64>, p: f64) -> Option<i64> {
    let total: u64 = histogram.values().sum();
    if total == 0 {
        return None;
    }
    // The rank of the percentile, 1-based (nearest-rank method).
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "a rank between 1 and a row count"
    )]
    let rank = ((p * total as f64).ceil() as u64).max(1);
    let mut seen = 0;
    for bound in LATENCY_BOUNDS_MS {
        seen += histogram.get(&bound).copied().unwrap_or(0);
        if seen >= rank {
            return Some(bound);
        }
    }
    LATENCY_BOUNDS_MS.last().copied()
}

fn ceil_div(a: i64, b: i64) -> i64 {
    (a + b - 1).div_euclid(b)
}

fn count_of(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse_and_refuse_others_plainly() {
        assert_eq!(Range::parse("7d").unwrap(), Range::Week);
        let err = Range::parse("2w").unwrap_err().to_string();
        assert!(err.contains("1h, 24h, 7d or 30d"), "{err}");
    }

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let h: HashMap<i64, u64> = [(10, 50), (100, 45), (1_000, 5)].into();
        assert_eq!(percentile(&h, 0.50), Some(10));
        assert_eq!(percentile(&h, 0.95), Some(100));
        assert_eq!(percentile(&h, 0.96), Some(1_000));
        assert_eq!(percentile(&HashMap::new(), 0.5), None);
    }
}

//! The pre-aggregates the dashboard reads: requests, tokens and latency per minute and per hour
//! (`usage_minute`, `usage_hour`, `latency_minute`, `latency_hour`, cost by who pays included),
//! who and what per hour (`usage_split`), and cost per hour by model, by user and by client, each
//! by who pays (`cost_split`). The writer folds each batch into them in the batch's own transaction, so they
//! always agree with `requests`; [`rebuild`] recomputes them (after the migration that added
//! them).

use std::collections::HashMap;

use rusqlite::{Connection, Transaction, params};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::row::billing;
use crate::{RequestRow, StoreError, TokensSource};

/// Upper bounds (ms) of the latency histogram's buckets: about 25 % apart, so a percentile read
/// from it is at most a quarter above the true value. Anything slower counts in the last one.
pub(crate) const LATENCY_BOUNDS_MS: [i64; 41] = [
    1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 60, 80, 100, 120, 150, 200, 250, 300, 400,
    500, 600, 800, 1_000, 1_200, 1_500, 2_000, 2_500, 3_000, 4_000, 5_000, 6_000, 8_000, 10_000,
    15_000, 30_000, 60_000,
];

/// The histogram bucket a latency falls in (its upper bound).
pub(crate) fn latency_bucket(ms: u64) -> i64 {
    let ms = i64::try_from(ms).unwrap_or(i64::MAX);
    let last = LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.len() - 1];
    LATENCY_BOUNDS_MS
        .iter()
        .copied()
        .find(|&bound| ms <= bound)
        .unwrap_or(last)
}

/// The dashboard's status classes: 429 (rate limited) and 402 (over the monthly cap) apart from
/// the other 4xx; redirects and WebSocket sessions (101) count as answered; anything else (5xx,
/// or no answer) is a failure.
pub fn status_class(status: u16) -> &'static str {
    match status {
        429 => "429",
        402 => "402",
        101 | 200..=399 => "2xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

/// The Unix minute of an ISO-8601 `created_at`; a malformed one counts at minute 0 rather than
/// losing the row.
pub(crate) fn minute_of(created_at: &str) -> i64 {
    OffsetDateTime::parse(created_at, &Rfc3339)
        .map(|t| t.unix_timestamp().div_euclid(60))
        .unwrap_or(0)
}

/// Requests, tokens and cost of one time unit and outcome.
#[derive(Default)]
struct UsageSums {
    requests: i64,
    tokens_reported: i64,
    tokens_estimated: i64,
    api_usd: f64,
    plan_usd: f64,
    hosted_usd: f64,
}

#[derive(Hash, PartialEq, Eq)]
struct CostKey {
    hour: i64,
    /// `model`, `user` or `client`.
    dimension: &'static str,
    key: String,
    billing: &'static str,
}

#[derive(Default)]
struct CostSums {
    requests: i64,
    tokens: i64,
    cost_usd: f64,
    unpriced: i64,
}

#[derive(Hash, PartialEq, Eq)]
struct SplitKey {
    hour: i64,
    user_id: String,
    model: String,
    endpoint: String,
}

/// A batch's rows summed per key of each rollup table, so a burst of a thousand similar rows
/// is a handful of upserts.
#[derive(Default)]
pub(crate) struct Rollup {
    /// `(minute, class)` and `(hour, class)`.
    minutes: HashMap<(i64, &'static str), UsageSums>,
    hours: HashMap<(i64, &'static str), UsageSums>,
    /// `(minute, le_ms)` and `(hour, le_ms)`.
    latency_minutes: HashMap<(i64, i64), i64>,
    latency_hours: HashMap<(i64, i64), i64>,
    /// requests, tokens.
    splits: HashMap<SplitKey, (i64, i64)>,
    costs: HashMap<CostKey, CostSums>,
}

impl Rollup {
    pub(crate) fn add(&mut self, row: &RequestRow) {
        let minute = minute_of(&row.created_at);
        let hour = minute.div_euclid(60);
        let class = status_class(row.status);
        let tokens = i64::try_from(row.tokens_est).unwrap_or(i64::MAX);
        let cost = row.cost_usd.unwrap_or(0.0);
        for sums in [
            self.minutes.entry((minute, class)).or_default(),
            self.hours.entry((hour, class)).or_default(),
        ] {
            sums.requests += 1;
            match row.tokens_source {
                TokensSource::Reported => {
                    sums.tokens_reported = sums.tokens_reported.saturating_add(tokens);
                }
                TokensSource::Estimated => {
                    sums.tokens_estimated = sums.tokens_estimated.saturating_add(tokens);
                }
            }
            match row.billing {
                Some(billing::API) => sums.api_usd += cost,
                Some(billing::PLAN) => sums.plan_usd += cost,
                Some(billing::HOSTED) => sums.hosted_usd += cost,
                _ => {}
            }
        }
        let bucket = latency_bucket(row.latency_ms);
        *self.latency_minutes.entry((minute, bucket)).or_default() += 1;
        *self.latency_hours.entry((hour, bucket)).or_default() += 1;
        let model = row.model.as_deref().unwrap_or("");
        let split = self
            .splits
            .entry(SplitKey {
                hour,
                user_id: row.user_id.clone(),
                model: model.to_owned(),
                endpoint: row.endpoint.clone(),
            })
            .or_default();
        split.0 += 1;
        split.1 = split.1.saturating_add(tokens);
        let unpriced = i64::from(row.cost_usd.is_none() && row.tokens_est > 0);
        for (dimension, key) in [
            ("model", model),
            ("user", row.user_id.as_str()),
            ("client", row.client.as_deref().unwrap_or("")),
        ] {
            let costs = self
                .costs
                .entry(CostKey {
                    hour,
                    dimension,
                    key: key.to_owned(),
                    billing: row.billing.unwrap_or(""),
                })
                .or_default();
            costs.requests += 1;
            costs.tokens = costs.tokens.saturating_add(tokens);
            costs.cost_usd += cost;
            costs.unpriced += unpriced;
        }
    }

    /// Adds the sums to the rollup tables, inside the caller's transaction.
    pub(crate) fn write(&self, tx: &Transaction<'_>) -> Result<(), rusqlite::Error> {
        for (table, unit, sums) in [
            ("usage_minute", "minute", &self.minutes),
            ("usage_hour", "hour", &self.hours),
        ] {
            let sql = include_str!("sql/add_usage.sql")
                .replace("{table}", table)
                .replace("{unit}", unit);
            let mut add = tx.prepare_cached(&sql)?;
            for ((at, class), s) in sums {
                add.execute(params![
                    at,
                    class,
                    s.requests,
                    s.tokens_reported,
                    s.tokens_estimated,
                    s.api_usd,
                    s.plan_usd,
                    s.hosted_usd
                ])?;
            }
        }
        for (table, unit, counts) in [
            ("latency_minute", "minute", &self.latency_minutes),
            ("latency_hour", "hour", &self.latency_hours),
        ] {
            let sql = include_str!("sql/add_latency.sql")
                .replace("{table}", table)
                .replace("{unit}", unit);
            let mut add = tx.prepare_cached(&sql)?;
            for ((at, le_ms), requests) in counts {
                add.execute(params![at, le_ms, requests])?;
            }
        }
        let mut add = tx.prepare_cached(include_str!("sql/add_split.sql"))?;
        for (key, (requests, tokens)) in &self.splits {
            add.execute(params![
                key.hour,
                key.user_id,
                key.model,
                key.endpoint,
                requests,
                tokens
            ])?;
        }
        let mut add = tx.prepare_cached(include_str!("sql/add_cost.sql"))?;
        for (key, sums) in &self.costs {
            add.execute(params![
                key.hour,
                key.dimension,
                key.key,
                key.billing,
                sums.requests,
                sums.tokens,
                sums.cost_usd,
                sums.unpriced
            ])?;
        }
        Ok(())
    }
}

/// The rollup tables, for deleting from all of them.
pub(crate) const TABLES: [(&str, &str); 6] = [
    ("usage_minute", "minute"),
    ("usage_hour", "hour"),
    ("latency_minute", "minute"),
    ("latency_hour", "hour"),
    ("usage_split", "hour"),
    ("cost_split", "hour"),
];

/// Recomputes the rollups from `requests` (one pass, in one transaction).
pub fn rebuild(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn.transaction()?;
    for (table, _) in TABLES {
        tx.execute(&format!("DELETE FROM {table}"), [])?;
    }
    let mut rollup = Rollup::default();
    {
        let mut rows = tx.prepare(
            "SELECT created_at, user_id, model, endpoint, status, tokens_est, tokens_source,
                    latency_ms, client, cost_usd, billing FROM requests",
        )?;
        let mut rows = rows.query([])?;
        while let Some(r) = rows.next()? {
            let count = |i| -> Result<u64, rusqlite::Error> {
                Ok(r.get::<_, i64>(i)?.max(0).unsigned_abs())
            };
            rollup.add(&RequestRow {
                created_at: r.get(0)?,
                user_id: r.get(1)?,
                model: r.get(2)?,
                endpoint: r.get(3)?,
                status: r.get(4)?,
                tokens_est: count(5)?,
                tokens_source: if r.get::<_, String>(6)? == "reported" {
                    TokensSource::Reported
                } else {
                    TokensSource::Estimated
                },
                latency_ms: count(7)?,
                client: r.get(8)?,
                cost_usd: r.get(9)?,
                billing: billing::parse(r.get::<_, Option<String>>(10)?.as_deref()),
                ..RequestRow::default()
            });
        }
    }
    rollup.write(&tx)?;
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latencies_fall_in_the_first_bucket_that_holds_them() {
        assert_eq!(latency_bucket(0), 1);
        assert_eq!(latency_bucket(1), 1);
        assert_eq!(latency_bucket(7), 8);
        assert_eq!(latency_bucket(1_000), 1_000);
        assert_eq!(latency_bucket(1_001), 1_200);
        assert_eq!(latency_bucket(u64::MAX), 60_000);
        assert!(LATENCY_BOUNDS_MS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn status_classes_keep_limits_apart() {
        assert_eq!(status_class(200), "2xx");
        assert_eq!(status_class(304), "2xx");
        assert_eq!(status_class(101), "2xx", "a WebSocket session");
        assert_eq!(status_class(404), "4xx");
        assert_eq!(status_class(429), "429");
        assert_eq!(status_class(402), "402");
        assert_eq!(status_class(502), "5xx");
        assert_eq!(status_class(0), "5xx");
    }

    #[test]
    fn minutes_come_from_created_at() {
        assert_eq!(minute_of("1970-01-01T00:02:59.999Z"), 2);
        assert_eq!(minute_of("2026-11-24T01:02:03.456Z"), 1_795_482_123 / 60);
        assert_eq!(minute_of("not a time"), 0);
    }
}

//! `clawbox-gateway usage`: what requests cost and who used what, from the request log's
//! rollups, as a table or as JSON.

use clawbox_store::cost::{By, CostLine, CostReport, cost_report};
use serde_json::json;
use time::{Date, OffsetDateTime, Time, UtcOffset};

use super::Place;

#[derive(clap::Args)]
pub struct UsageArgs {
    #[command(flatten)]
    place: Place,
    /// The range: the last `24h`, `7d` or `30d`, or every day since a UTC date (`YYYY-MM-DD`)
    #[arg(long, default_value = "30d", value_name = "RANGE")]
    since: String,
    /// One row per `model`, `user`, `client` (the agent that sent it) or `day` (UTC)
    #[arg(long, default_value = "model", value_name = "SPLIT")]
    by: String,
    /// Print JSON: {"since", "total": {...}, "rows": [{"key", "requests", "tokens", "cost_usd",
    /// "plan_value_usd", ...}]}
    #[arg(long)]
    json: bool,
}

/// How many rows the table shows (JSON has them all).
const TABLE_ROWS: usize = 50;

pub fn run_usage(args: &UsageArgs) -> Result<(), String> {
    let by = By::parse(&args.by).map_err(|e| e.to_string())?;
    let now = OffsetDateTime::now_utc();
    let since = parse_since(&args.since, now)?;
    let dir = args.place.data_dir().map_err(|e| e.to_string())?;
    let conn =
        clawbox_store::open(&dir.join(clawbox_store::DATABASE_FILE)).map_err(|e| e.to_string())?;
    let from_hour = since.unix_timestamp().div_euclid(3600);
    let to_hour = now.unix_timestamp().div_euclid(3600) + 1;
    let limit = if args.json { usize::MAX } else { TABLE_ROWS };
    let report = cost_report(&conn, from_hour, to_hour, by, limit).map_err(|e| e.to_string())?;
    let since_text = iso(since);
    if args.json {
        let line = |l: &CostLine| {
            json!({"key": l.key, "requests": l.requests, "tokens": l.tokens,
                   "cost_usd": l.cost_usd, "plan_value_usd": l.plan_value_usd,
                   "hosted_usd": l.hosted_usd, "unpriced_requests": l.unpriced})
        };
        let mut total = line(&report.total);
        if let Some(t) = total.as_object_mut() {
            t.remove("key");
        }
        let out = json!({
            "since": since_text,
            "by": args.by,
            "total": total,
            "rows": report.rows.iter().map(line).collect::<Vec<_>>(),
        });
        println!("{out:#}");
    } else {
        print!("{}", table(&report, by, &args.by, since, &args.since));
    }
    Ok(())
}

/// The start of the range: `24h`/`7d`/`30d` back from `now`, or a UTC date's midnight.
fn parse_since(text: &str, now: OffsetDateTime) -> Result<OffsetDateTime, String> {
    let back = |secs: i64| now - time::Duration::seconds(secs);
    match text {
        "24h" => Ok(back(86_400)),
        "7d" => Ok(back(7 * 86_400)),
        "30d" => Ok(back(30 * 86_400)),
        date => {
            let format = time::macros::format_description!("[year]-[month]-[day]");
            Date::parse(date, format)
                .map(|d| d.with_time(Time::MIDNIGHT).assume_offset(UtcOffset::UTC))
                .map_err(|_| {
                    format!("--since {date:?}: use 24h, 7d, 30d or a date like 2026-11-01")
                })
        }
    }
}

fn iso(t: OffsetDateTime) -> String {
    let hour = t
        .replace_minute(0)
        .and_then(|t| t.replace_second(0))
        .unwrap_or(t);
    format!("{}T{:02}:00:00Z", hour.date(), hour.hour())
}

/// US dollars as a person reads them: cents for amounts of a dollar or more, four decimals
/// below (a single request often costs a fraction of a cent).
pub fn dollars(usd: f64) -> String {
    if usd == 0.0 {
        "$0.00".into()
    } else if usd.abs() >= 1.0 {
        format!("${usd:.2}")
    } else {
        format!("${usd:.4}")
    }
}

fn table(report: &CostReport, by: By, by_name: &str, since: OffsetDateTime, range: &str) -> String {
    let mut out = format!(
        "Usage since {} {:02}:00 UTC ({range}), by {by_name}\n\n",
        since.date(),
        since.hour()
    );
    if report.total.requests == 0 {
        out.push_str("No requests in this range.\n");
        return out;
    }
    let hosted = report.total.hosted_usd > 0.0;
    let width = report
        .rows
        .iter()
        .map(|r| r.key.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(5, 40);
    let money = |v: f64| {
        if v == 0.0 {
            "—".to_owned()
        } else {
            dollars(v)
        }
    };
    let line = |l: &CostLine, spent: String| {
        let mut s = format!(
            "{:<width$}  {:>9}  {:>12}  {:>11}  {:>12}",
            truncate(&l.key, width),
            l.requests,
            l.tokens,
            spent,
            money(l.plan_value_usd),
        );
        if hosted {
            s.push_str(&format!("  {:>11}", money(l.hosted_usd)));
        }
        if l.unpriced > 0 {
            s.push_str(&format!("  ({} with no price)", l.unpriced));
        }
        s.push('\n');
        s
    };
    let mut head = format!(
        "{:<width$}  {:>9}  {:>12}  {:>11}  {:>12}",
        match by {
            By::Model => "model",
            By::User => "user",
            By::Client => "client",
            By::Day => "day (UTC)",
        },
        "requests",
        "tokens",
        "spent (API)",
        "plan covered"
    );
    if hosted {
        head.push_str(&format!("  {:>11}", "hosted"));
    }
    out.push_str(&head);
    out.push('\n');
    for row in &report.rows {
        out.push_str(&line(row, money(row.cost_usd)));
    }
    out.push_str(&line(&report.total, dollars(report.total.cost_usd)));
    out.push_str(
        "\n\"spent\" is money charged to your API keys; \"plan covered\" is what your ChatGPT \
         plan's requests would have cost at API prices.\n",
    );
    out
}

fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(width - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_back_from_now_or_from_a_utc_midnight() {
        let now = time::macros::datetime!(2026-12-05 10:30 UTC);
        assert_eq!(
            parse_since("24h", now).unwrap(),
            time::macros::datetime!(2026-12-04 10:30 UTC)
        );
        assert_eq!(
            parse_since("2026-11-01", now).unwrap(),
            time::macros::datetime!(2026-11-01 0:00 UTC)
        );
        let err = parse_since("yesterday", now).unwrap_err();
        assert!(err.contains("24h, 7d, 30d"), "{err}");
        assert_eq!(iso(now), "2026-12-05T10:00:00Z");
    }

    #[test]
    fn small_amounts_keep_their_fractions_of_a_cent() {
        assert_eq!(dollars(0.0), "$0.00");
        assert_eq!(dollars(0.000_232_5), "$0.0002");
        assert_eq!(dollars(0.0123), "$0.0123");
        assert_eq!(dollars(12.345), "$12.35");
    }
}

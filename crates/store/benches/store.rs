//! Store benchmarks (`make bench`): how fast the log writer takes rows, and how long the
//! dashboard and the request log take over a big log (1 M rows by default; set
//! CLAWBOX_BENCH_ROWS for another size). Prints one line per measurement.
#![allow(
    clippy::unwrap_used,
    clippy::print_stdout,
    clippy::cast_precision_loss,
    reason = "a benchmark reports, and fails loudly"
)]

use std::time::{Duration, Instant};

use clawbox_store::dashboard::{MonthOf, Range, dashboard};
use clawbox_store::log::{LogQuery, facets, page};
use clawbox_store::{RequestLogWriter, RequestRow, TokensSource, billing, open};

/// 2026-11-30T00:00:00Z.
const NOW: i64 = 1_795_996_800;
const USERS: [&str; 20] = [
    "ada", "bob", "cy", "dee", "eve", "fay", "gus", "hal", "ivy", "jo", "kai", "lu", "max", "ned",
    "oz", "pia", "quin", "rex", "sam", "tia",
];
const MODELS: [&str; 5] = [
    "gpt-4o-mini",
    "gpt-4o",
    "claude-3-5-haiku",
    "llama3.2",
    "gpt-5",
];

fn main() {
    let rows: usize = std::env::var("CLAWBOX_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clawbox.db");
    let conn = open(&path).unwrap();

    // Rows spread over the last 30 days, a rare user once every 10 000 rows.
    let writer = RequestLogWriter::start(&path, rows + 1).unwrap();
    let started = Instant::now();
    let span = 30 * 86_400;
    for i in 0..rows {
        let secs = NOW - span + (i as i64 * span) / rows as i64;
        let user = if i % 10_000 == 0 {
            "rare"
        } else {
            USERS[i % USERS.len()]
        };
        let status = match i % 50 {
            0 => 429,
            1 => 500,
            2 => 404,
            _ => 200,
        };
        writer.enqueue(RequestRow {
            id: format!("{:012x}-{i:08}", secs),
            user_id: user.into(),
            endpoint: "/v1/chat/completions".into(),
            method: "POST".into(),
            status,
            latency_ms: 50 + (i as u64 * 7919) % 2_000,
            tokens_est: 100 + (i as u64 % 900),
            tokens_source: TokensSource::Reported,
            created_at: time::OffsetDateTime::from_unix_timestamp(secs)
                .unwrap()
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap(),
            model: Some(MODELS[i % MODELS.len()].into()),
            mode: "local",
            admitted: status != 429,
            // Costs and clients as a mixed log has them: API, plan and local requests, some
            // from ClawBox's agents, a few of models with no price.
            billing: Some([billing::API, billing::PLAN, billing::LOCAL][i % 3]),
            cost_usd: (i % 97 != 0).then_some(0.000_1 * (i % 50) as f64),
            client: (i % 4 == 0).then(|| ["claude-code-acp", "codex-acp"][i % 2].to_owned()),
            ..RequestRow::default()
        });
    }
    writer.close();
    let elapsed = started.elapsed();
    println!(
        "writer: {rows} rows in {:.2} s = {:.0} rows/s (with rollups, one thread, batched)",
        elapsed.as_secs_f64(),
        rows as f64 / elapsed.as_secs_f64()
    );
    let size = std::fs::metadata(&path).unwrap().len() as f64 / 1e6;
    println!("database: {size:.0} MB");

    let month = MonthOf {
        user_id: None,
        month: "2026-11",
        cap: Some(100_000),
        budget_usd: Some(50.0),
    };
    for range in [Range::Hour, Range::Day, Range::Week, Range::Month] {
        report(&format!("dashboard {} (with cost)", range.as_str()), || {
            dashboard(&conn, range, NOW, &month).unwrap();
        });
    }
    report("usage report: 30 days by model", || {
        let hour = NOW / 3_600;
        clawbox_store::cost::cost_report(
            &conn,
            hour - 30 * 24,
            hour + 1,
            clawbox_store::cost::By::Model,
            usize::MAX,
        )
        .unwrap();
    });
    let mut query = LogQuery {
        limit: 100,
        ..LogQuery::default()
    };
    report("log: first page (100 rows)", || {
        page(&conn, &query).unwrap();
    });
    // The 1000th page, reached by key as the "Load more" button does.
    let mut cursor = None;
    for _ in 0..1000 {
        query.before = cursor;
        cursor = page(&conn, &query).unwrap().next;
    }
    query.before = cursor;
    report("log: page 1001 (by key)", || {
        page(&conn, &query).unwrap();
    });
    let filters: [(&str, LogQuery); 3] = [
        (
            "log: filter user (5 % of rows)",
            LogQuery {
                user_id: Some("ada".into()),
                limit: 100,
                ..LogQuery::default()
            },
        ),
        (
            "log: filter status 429 (2 %)",
            LogQuery {
                status: Some("429".into()),
                limit: 100,
                ..LogQuery::default()
            },
        ),
        (
            "log: filter a rare user (0.01 %)",
            LogQuery {
                user_id: Some("rare".into()),
                limit: 100,
                ..LogQuery::default()
            },
        ),
    ];
    for (name, q) in &filters {
        report(name, || {
            page(&conn, q).unwrap();
        });
    }
    report("log: filter values", || {
        facets(&conn).unwrap();
    });
}

/// Runs `f` a few times and prints the median.
fn report(name: &str, mut f: impl FnMut()) {
    let mut times: Vec<Duration> = (0..7)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    println!("{name}: {:.1} ms", times[3].as_secs_f64() * 1e3);
}

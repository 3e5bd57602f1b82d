//! What the window reads from the store: the dashboard (from the rollups the writer keeps), the
//! log's pages and filters, its CSV export, retention and "clear history" — on a real file.
#![allow(
    clippy::unwrap_used,
    reason = "a test helper that fails should fail loudly"
)]

use clawbox_store::dashboard::{MonthOf, Range, dashboard};
use clawbox_store::log::{LogQuery, export_csv, facets, page};
use clawbox_store::{RequestLogWriter, RequestRow, TokensSource, maintenance, open};
use rusqlite::Connection;

/// 2026-11-30T00:00:00Z.
const NOON: i64 = 1_795_996_800;

fn at(secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(secs)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

struct Req {
    secs: i64,
    user: &'static str,
    model: &'static str,
    status: u16,
    latency_ms: u64,
    tokens: u64,
    source: TokensSource,
}

fn req(secs: i64, status: u16, latency_ms: u64) -> Req {
    Req {
        secs,
        user: "alice",
        model: "gpt-4o-mini",
        status,
        latency_ms,
        tokens: 10,
        source: TokensSource::Reported,
    }
}

fn write(path: &std::path::Path, reqs: &[Req]) {
    let writer = RequestLogWriter::start(path, 100_000).unwrap();
    for (i, r) in reqs.iter().enumerate() {
        // Ids sort like time, as the gateway's UUIDv7 do.
        let id = format!("{:012x}-{i:06}", r.secs);
        assert!(writer.enqueue(RequestRow {
            id,
            user_id: r.user.into(),
            endpoint: "/v1/chat/completions".into(),
            method: "POST".into(),
            status: r.status,
            latency_ms: r.latency_ms,
            tokens_est: r.tokens,
            tokens_source: r.source,
            created_at: at(r.secs),
            model: Some(r.model.into()),
            mode: "local",
            admitted: r.status != 429 && r.status != 402,
            ..RequestRow::default()
        }));
    }
    writer.close();
}

fn month() -> MonthOf<'static> {
    MonthOf {
        user_id: None,
        month: "2026-11",
        cap: Some(1000),
        budget_usd: None,
    }
}

#[test]
fn the_dashboard_sums_requests_tokens_statuses_and_latency_over_the_range() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clawbox.db");
    let conn = open(&path).unwrap();
    let mut reqs = vec![
        req(NOON - 30, 200, 10),
        req(NOON - 90, 200, 12),
        req(NOON - 90, 429, 1),
        req(NOON - 600, 402, 1),
        req(NOON - 600, 502, 900),
        req(NOON - 600, 404, 3),
        // Outside the hour: in 24h only.
        req(NOON - 7_200, 200, 50),
    ];
    reqs.push(Req {
        user: "bob",
        model: "claude-3-5-haiku",
        tokens: 7,
        source: TokensSource::Estimated,
        ..req(NOON - 120, 200, 30)
    });
    write(&path, &reqs);

    let hour = dashboard(&conn, Range::Hour, NOON, &month()).unwrap();
    assert_eq!(hour.buckets.len(), 60);
    assert_eq!(hour.bucket_secs, 60);
    assert!(hour.from <= NOON - 3_540 && hour.to > NOON);
    assert_eq!(hour.requests, 7);
    assert_eq!(hour.tokens_reported, 60);
    assert_eq!(hour.tokens_estimated, 7);
    assert_eq!(
        (
            hour.statuses.ok,
            hour.statuses.client_error,
            hour.statuses.rate_limited,
            hour.statuses.over_cap,
            hour.statuses.server_error
        ),
        (3, 1, 1, 1, 1)
    );
    // The last bucket is the current minute; the one before holds the request 30 s ago. Empty
    // minutes are zero, not missing.
    let previous = &hour.buckets[58];
    assert_eq!(
        (previous.start, previous.requests, previous.p50_ms),
        (NOON - 60, 1, Some(10))
    );
    assert_eq!(hour.buckets.iter().filter(|b| b.requests == 0).count(), 57);
    assert_eq!(hour.p50_ms, Some(10));
    assert_eq!(
        hour.p95_ms,
        Some(1_000),
        "the 900 ms failure is the slowest"
    );
    assert_eq!(hour.by_model[0].name, "gpt-4o-mini");
    assert_eq!(hour.by_model[0].requests, 6);
    assert_eq!(hour.by_user[1].name, "bob");
    assert_eq!(hour.by_user[1].tokens, 7);
    // The month counts admitted requests only, for the busiest user.
    assert_eq!(
        hour.month.requests, 5,
        "alice: 7 requests, less the 429 and the 402"
    );
    assert_eq!(hour.month.user_id.as_deref(), Some("alice"));
    assert_eq!(hour.month.cap, Some(1000));

    let day = dashboard(&conn, Range::Day, NOON, &month()).unwrap();
    assert_eq!((day.buckets.len(), day.requests), (96, 8));
    // A week is read from the hourly rollups: the same totals, in 2-hour buckets.
    let week = dashboard(&conn, Range::Week, NOON, &month()).unwrap();
    assert_eq!((week.buckets.len(), week.requests), (84, 8));
    assert_eq!(week.statuses.rate_limited, 1);
    assert_eq!(
        (week.by_user[0].name.as_str(), week.by_user[0].requests),
        ("alice", 7)
    );
    assert_eq!(week.p95_ms, Some(1_000));
}

#[test]
fn a_database_from_before_the_rollups_gets_them_when_opened() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clawbox.db");
    drop(open(&path).unwrap());
    write(&path, &[req(NOON - 30, 200, 10), req(NOON - 40, 500, 10)]);
    // As if the rows had been logged by a version without rollups.
    let raw = Connection::open(&path).unwrap();
    raw.execute_batch(
        "DROP TABLE usage_minute; DROP TABLE usage_hour; DROP TABLE latency_minute;
         DROP TABLE latency_hour; DROP TABLE usage_split; DROP TABLE cost_split;
         ALTER TABLE requests DROP COLUMN cached_tokens;
         ALTER TABLE requests DROP COLUMN cache_write_tokens;
         ALTER TABLE requests DROP COLUMN reasoning_tokens;
         ALTER TABLE requests DROP COLUMN cost_usd; ALTER TABLE requests DROP COLUMN billing;
         ALTER TABLE requests DROP COLUMN upstream_request_id;
         ALTER TABLE monthly_usage DROP COLUMN spent_usd;
         DROP INDEX idx_requests_agent_session;
         ALTER TABLE requests DROP COLUMN agent_session; ALTER TABLE requests DROP COLUMN client;
         PRAGMA user_version = 2;",
    )
    .unwrap();
    drop(raw);
    let conn = open(&path).unwrap();
    let d = dashboard(&conn, Range::Hour, NOON, &month()).unwrap();
    assert_eq!((d.requests, d.statuses.server_error), (2, 1));
}

#[test]
fn the_log_pages_newest_first_by_key_and_filters() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clawbox.db");
    let conn = open(&path).unwrap();
    let reqs: Vec<Req> = (0..25)
        .map(|i| req(NOON - 1000 + i, if i % 5 == 0 { 429 } else { 200 }, 5))
        .collect();
    write(&path, &reqs);

    let mut query = LogQuery {
        limit: 10,
        ..LogQuery::default()
    };
    let first = page(&conn, &query).unwrap();
    assert_eq!(first.rows.len(), 10);
    assert_eq!(
        first.rows[0].created_at,
        at(NOON - 1000 + 24),
        "newest first"
    );
    query.before = first.next.clone();
    let second = page(&conn, &query).unwrap();
    assert!(second.rows[0].id < first.rows[9].id);
    query.before = second.next.clone();
    let third = page(&conn, &query).unwrap();
    assert_eq!((third.rows.len(), third.next), (5, None));

    let limited = page(
        &conn,
        &LogQuery {
            status: Some("429".into()),
            user_id: Some("alice".into()),
            limit: 100,
            ..LogQuery::default()
        },
    )
    .unwrap();
    assert_eq!(limited.rows.len(), 5);
    assert!(limited.rows.iter().all(|r| r.status == 429));
    let nobody = LogQuery {
        user_id: Some("mallory".into()),
        limit: 100,
        ..LogQuery::default()
    };
    assert!(page(&conn, &nobody).unwrap().rows.is_empty());

    let bad = LogQuery {
        status: Some("teapot".into()),
        limit: 10,
        ..LogQuery::default()
    };
    let err = page(&conn, &bad).unwrap_err().to_string();
    assert!(err.contains("2xx, 4xx, 429, 402 or 5xx"), "{err}");

    let f = facets(&conn).unwrap();
    assert_eq!(f.users, ["alice"]);
    assert_eq!(f.endpoints, ["/v1/chat/completions"]);
}

#[test]
fn csv_export_writes_the_filter_with_a_header_and_defuses_formulas() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clawbox.db");
    let conn = open(&path).unwrap();
    let mut reqs = vec![req(NOON - 10, 200, 5), req(NOON - 20, 500, 5)];
    reqs.push(Req {
        user: "=HYPERLINK(\"x\")",
        ..req(NOON - 5, 200, 5)
    });
    write(&path, &reqs);
    let mut out = Vec::new();
    let query = LogQuery {
        status: Some("2xx".into()),
        limit: 1, // paging is ignored: the whole filter is exported
        ..LogQuery::default()
    };
    assert_eq!(export_csv(&conn, &query, &mut out).unwrap(), 2);
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3);
    assert!(lines[0].starts_with("id,created_at,user_id,method,endpoint,model,status,"));
    assert!(lines[0].contains(",tokens,tokens_source,"));
    assert!(
        lines[1].contains("\"'=HYPERLINK(\"\"x\"\")\""),
        "{}",
        lines[1]
    );
    assert!(lines[2].contains(",alice,POST,/v1/chat/completions,gpt-4o-mini,200,"));
}

#[test]
fn retention_and_clearing_delete_rows_but_keep_the_month_for_the_cap() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clawbox.db");
    let conn = open(&path).unwrap();
    write(
        &path,
        &[
            req(NOON - 100 * 86_400, 200, 5),
            req(NOON - 91 * 86_400, 200, 5),
            req(NOON - 10, 200, 5),
        ],
    );
    assert_eq!(maintenance::prune(&conn, 90, NOON).unwrap(), 2);
    let rows: i64 = conn
        .query_row("SELECT COUNT(*) FROM requests", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 1);
    let thirty_days = dashboard(&conn, Range::Month, NOON, &month()).unwrap();
    assert_eq!(
        thirty_days.requests, 1,
        "the rollups were pruned with the rows"
    );

    assert_eq!(maintenance::clear(&conn).unwrap(), 1);
    let d = dashboard(&conn, Range::Hour, NOON, &month()).unwrap();
    assert_eq!(d.requests, 0);
    assert!(
        page(
            &conn,
            &LogQuery {
                limit: 10,
                ..LogQuery::default()
            }
        )
        .unwrap()
        .rows
        .is_empty()
    );
    assert_eq!(
        d.month.requests, 1,
        "this month still counts towards the cap"
    );
}

#[test]
fn an_agent_sessions_requests_are_found_by_its_id() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clawbox.db");
    let conn = open(&path).unwrap();
    let writer = RequestLogWriter::start(&path, 100).unwrap();
    for (i, session) in [Some("s-1"), None, Some("s-2"), Some("s-1")]
        .into_iter()
        .enumerate()
    {
        assert!(writer.enqueue(RequestRow {
            id: format!("{:012x}-{i:06}", NOON + i as i64),
            user_id: "alice".into(),
            endpoint: "/v1/responses".into(),
            method: "POST".into(),
            status: 200,
            created_at: at(NOON + i as i64),
            mode: "local",
            admitted: true,
            client: session.map(|_| "codex-acp".to_owned()),
            agent_session: session.map(str::to_owned),
            ..RequestRow::default()
        }));
    }
    writer.close();
    let query = LogQuery {
        agent_session: Some("s-1".into()),
        limit: 100,
        ..LogQuery::default()
    };
    let rows = page(&conn, &query).unwrap().rows;
    assert_eq!(rows.len(), 2);
    assert!(
        rows.iter()
            .all(|r| r.agent_session.as_deref() == Some("s-1")
                && r.client.as_deref() == Some("codex-acp"))
    );
    let all = page(
        &conn,
        &LogQuery {
            limit: 100,
            ..LogQuery::default()
        },
    )
    .unwrap()
    .rows;
    assert_eq!(
        all.iter().filter(|r| r.client.is_none()).count(),
        1,
        "untagged requests stay untagged"
    );
}

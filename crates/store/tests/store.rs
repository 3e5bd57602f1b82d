//! The usage store against a real SQLite file: rows, monthly counts, failure and overflow.
#![allow(
    clippy::unwrap_used,
    reason = "a test helper that fails should fail loudly"
)]

use clawbox_store::{RequestLogWriter, RequestRow, TokensSource, open, usage};
use rusqlite::Connection;

fn row(id: &str, user: &str, admitted: bool, tokens: u64) -> RequestRow {
    RequestRow {
        id: id.into(),
        user_id: user.into(),
        endpoint: "/v1/chat/completions".into(),
        method: "POST".into(),
        status: if admitted { 200 } else { 429 },
        latency_ms: 12,
        ttfb_ms: Some(3),
        tokens_est: tokens,
        tokens_source: TokensSource::Reported,
        prompt_tokens: Some(tokens / 2),
        completion_tokens: Some(tokens - tokens / 2),
        ip_hash: Some("0a1b2c3d".into()),
        created_at: "2026-11-24T01:02:03.456Z".into(),
        model: Some("gpt-4o-mini".into()),
        mode: "local",
        upstream: Some("openai"),
        stream: false,
        error: None,
        admitted,
        failover: false,
        client: None,
        agent_session: None,
        ..RequestRow::default()
    }
}

fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn rows_and_monthly_usage_are_written_and_rejections_not_counted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clawbox.db");
    let conn = open(&path).unwrap();
    let writer = RequestLogWriter::start(&path, 1000).unwrap();
    assert!(writer.enqueue(row("a", "alice", true, 30)));
    assert!(writer.enqueue(row("b", "alice", true, 10)));
    assert!(writer.enqueue(row("c", "alice", false, 0)));
    assert!(writer.enqueue(row("d", "bob", true, 5)));
    writer.flush();
    assert_eq!(count(&conn, "SELECT COUNT(*) FROM requests"), 4);
    let (reqs, tokens): (i64, i64) = conn
        .query_row(
            "SELECT requests, tokens FROM monthly_usage WHERE user_id='alice' AND month='2026-11'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((reqs, tokens), (2, 40));
    let summary: (i64, i64) = conn
        .query_row(
            "SELECT total_requests, total_tokens FROM user_summary WHERE user_id='alice'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(summary, (3, 40));
    let monthly = usage::monthly_usage(&conn, "2026-11").unwrap();
    assert_eq!(monthly.get("alice").map(|m| m.requests), Some(2));
    assert_eq!(monthly.get("bob").map(|m| m.requests), Some(1));
    assert_eq!(writer.status().written(), 4);
}

#[test]
fn close_flushes_every_queued_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clawbox.db");
    let conn = open(&path).unwrap();
    let writer = RequestLogWriter::start(&path, 100_000).unwrap();
    for i in 0..5000 {
        assert!(writer.enqueue(row(&format!("r{i}"), "u", true, 1)));
    }
    writer.close();
    assert_eq!(count(&conn, "SELECT COUNT(*) FROM requests"), 5000);
}

#[test]
fn a_failing_database_is_reported_and_rows_are_retried_after_it_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clawbox.db");
    let conn = open(&path).unwrap();
    let writer = RequestLogWriter::start(&path, 1000).unwrap();
    conn.execute_batch("ALTER TABLE requests RENAME TO requests_away")
        .unwrap();
    assert!(writer.enqueue(row("x", "u", true, 1)));
    writer.flush();
    let failing = writer.status().failing().expect("the failure is reported");
    assert!(failing.contains("requests"), "{failing}");
    conn.execute_batch("ALTER TABLE requests_away RENAME TO requests")
        .unwrap();
    // The held row is retried with backoff; give it a few attempts.
    for _ in 0..100 {
        writer.flush();
        if writer.status().failing().is_none() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(writer.status().failing(), None);
    assert_eq!(
        count(&conn, "SELECT COUNT(*) FROM requests WHERE id='x'"),
        1
    );
    assert_eq!(writer.status().dropped(), 0);
}

#[test]
fn a_full_queue_drops_and_counts_instead_of_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clawbox.db");
    drop(open(&path).unwrap());
    // Another connection holds the write lock, so the writer is stuck in busy-wait.
    let blocker = Connection::open(&path).unwrap();
    blocker.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let writer = RequestLogWriter::start(&path, 4).unwrap();
    let mut accepted = 0;
    for i in 0..50 {
        if writer.enqueue(row(&format!("r{i}"), "u", true, 1)) {
            accepted += 1;
        }
    }
    assert!(accepted < 50);
    assert_eq!(writer.status().dropped(), 50 - accepted);
    blocker.execute_batch("COMMIT").unwrap();
    writer.close();
    let n = count(&blocker, "SELECT COUNT(*) FROM requests");
    assert_eq!(n as u64, accepted);
}

#[test]
fn one_row_the_database_refuses_does_not_stop_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clawbox.db");
    let conn = open(&path).unwrap();
    let writer = RequestLogWriter::start(&path, 1000).unwrap();
    let mut huge = row("big", "u", true, u64::MAX);
    huge.latency_ms = u64::MAX;
    assert!(writer.enqueue(row("dup", "u", true, 1)));
    assert!(writer.enqueue(row("dup", "u", true, 1)));
    assert!(writer.enqueue(huge));
    assert!(writer.enqueue(row("after", "u", true, 1)));
    writer.flush();
    assert_eq!(count(&conn, "SELECT COUNT(*) FROM requests"), 3);
    assert_eq!(
        count(&conn, "SELECT tokens_est FROM requests WHERE id = 'big'"),
        i64::MAX
    );
    assert_eq!(writer.status().dropped(), 1);
    assert_eq!(writer.status().failing(), None);
}

#[test]
fn flush_and_close_return_while_the_database_keeps_failing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clawbox.db");
    let conn = open(&path).unwrap();
    // More rows than one batch, so the retry holds a full batch.
    let writer = RequestLogWriter::start(&path, 10_000).unwrap();
    conn.execute_batch("DROP TABLE requests").unwrap();
    for i in 0..3000 {
        writer.enqueue(row(&format!("r{i}"), "u", true, 1));
    }
    writer.flush();
    assert!(writer.status().failing().is_some());
    let status = writer.status();
    writer.close();
    assert_eq!(
        status.dropped(),
        3000,
        "rows that could not be written are counted"
    );
}

//! The request log: every request a row, nothing secret on disk, flushed on stop, and a failing
//! database that degrades health without breaking the proxy.

use std::time::Duration;

use crate::harness::{Harness, chat};
use clawbox_gateway::config::SettingsLayer;
use serde_json::{Value, json};

#[tokio::test]
async fn keys_prompts_completions_and_raw_ips_never_reach_the_data_dir() {
    let mut h = Harness::start().await;
    let key = "sk-canary-key-7f3a9c";
    let prompt = "canary prompt 51d2e8 about my secret plans";
    for stream in [false, true] {
        let body = json!({"model": "gpt-4o-mini", "stream": stream,
                          "messages": [{"role": "user", "content": prompt}]});
        let r = h
            .client
            .post(format!("{}/v1/chat/completions", h.url))
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {key}"))
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.text().await.unwrap().contains("fake"));
    }
    h.stop().await;
    let mut checked = 0;
    for entry in std::fs::read_dir(h.dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for needle in [key, "canary prompt", "Hello from the fake", "127.0.0.1"] {
            assert!(
                !text.contains(needle),
                "{needle:?} found in {}",
                path.display()
            );
        }
        checked += 1;
    }
    assert!(
        checked >= 3,
        "the database, its WAL and the key file were checked"
    );
    assert_eq!(h.rows().len(), 2);
}

#[tokio::test]
async fn a_graceful_stop_flushes_every_row() {
    let mut h = Harness::start().await;
    let sends = (0..150).map(|i| {
        h.post("/v1/chat/completions", &chat(i % 2 == 0))
            .header("x-user-id", format!("u{}", i % 5))
            .send()
    });
    for r in futures_util::future::join_all(sends).await {
        r.unwrap().bytes().await.unwrap();
    }
    h.stop().await;
    let conn = rusqlite::Connection::open(h.dir.path().join("clawbox.db")).unwrap();
    let n: i64 = conn
        .query_row("SELECT COUNT(*) FROM requests", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 150);
    let total: i64 = conn
        .query_row("SELECT SUM(total_requests) FROM user_summary", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(total, 150);
}

#[tokio::test]
async fn a_failing_database_degrades_health_but_never_the_proxy() {
    let h = Harness::start().await;
    let conn = rusqlite::Connection::open(h.dir.path().join("clawbox.db")).unwrap();
    conn.execute_batch("ALTER TABLE requests RENAME TO requests_moved")
        .unwrap();
    let r = h
        .post("/v1/chat/completions", &chat(false))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    h.gateway.flush_log();
    let health = h.health().await;
    assert_eq!(health["status"], "degraded");
    let problem = health["problems"][0].as_str().unwrap();
    assert!(problem.contains("usage log database"), "{problem}");

    conn.execute_batch("ALTER TABLE requests_moved RENAME TO requests")
        .unwrap();
    let mut recovered = Value::Null;
    for _ in 0..100 {
        recovered = h.health().await;
        if recovered["status"] == "ok" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(recovered["status"], "ok");
    // The held rows (the request and the health checks are not rows) were written.
    assert_eq!(h.rows().len(), 1);
}

#[tokio::test]
async fn an_overflowing_log_queue_keeps_serving_and_says_so() {
    let h = Harness::with_queue(json!({}), SettingsLayer::default(), 2).await;
    let blocker = rusqlite::Connection::open(h.dir.path().join("clawbox.db")).unwrap();
    blocker.execute_batch("BEGIN EXCLUSIVE").unwrap();
    for _ in 0..20 {
        let r = h
            .post("/v1/chat/completions", &chat(false))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.bytes().await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let health = h.health().await;
    assert_eq!(health["status"], "degraded");
    assert!(
        health["problems"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p.as_str().unwrap().contains("rows were lost")),
        "{health}"
    );
    blocker.execute_batch("COMMIT").unwrap();
}

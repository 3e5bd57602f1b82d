//! The per-user rolling limit and the monthly cap, through the real server.

use std::collections::HashMap;

use crate::harness::{Harness, chat};
use clawbox_gateway::config::SettingsLayer;
use serde_json::{Value, json};

#[tokio::test]
async fn the_limit_is_exact_under_concurrency_and_429_says_when_to_retry() {
    let overrides = SettingsLayer {
        rate_limit: Some(20),
        ..Default::default()
    };
    let h = Harness::with(json!({}), overrides).await;
    let sends = (0..60).map(|_| {
        h.post("/v1/chat/completions", &chat(false))
            .header("x-user-id", "busy")
            .send()
    });
    let responses = futures_util::future::join_all(sends).await;
    let mut by_status: HashMap<u16, usize> = HashMap::new();
    for r in &responses {
        *by_status
            .entry(r.as_ref().unwrap().status().as_u16())
            .or_default() += 1;
    }
    assert_eq!(by_status.get(&200), Some(&20), "{by_status:?}");
    assert_eq!(by_status.get(&429), Some(&40), "{by_status:?}");
    assert_eq!(h.provider.requests().len(), 20);

    let limited = responses
        .into_iter()
        .map(Result::unwrap)
        .find(|r| r.status() == 429)
        .unwrap();
    let retry: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let body: Value = limited.json().await.unwrap();
    assert_eq!(body["error"]["type"], "rate_limit_error");
    assert_eq!(body["error"]["code"], "rate_limit_exceeded");

    // Another user has their own bucket.
    let r = h
        .post("/v1/chat/completions", &chat(false))
        .header("x-user-id", "calm")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Every request, rejected or not, is a row.
    assert_eq!(h.rows().len(), 61);
}

#[tokio::test]
async fn anthropic_callers_get_429_in_anthropic_style() {
    let overrides = SettingsLayer {
        rate_limit: Some(1),
        ..Default::default()
    };
    let h = Harness::with(json!({}), overrides).await;
    let body = json!({"model": "claude-x", "max_tokens": 5});
    assert_eq!(
        h.post_anthropic("/v1/messages", &body)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let r = h
        .post_anthropic("/v1/messages", &body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["type"], "error");
    assert_eq!(body["error"]["type"], "rate_limit_error");
}

#[tokio::test]
async fn users_without_an_id_share_the_anonymous_bucket_or_the_configured_user() {
    let overrides = SettingsLayer {
        rate_limit: Some(1),
        ..Default::default()
    };
    let h = Harness::with(json!({}), overrides).await;
    assert_eq!(
        h.post("/v1/chat/completions", &chat(false))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        h.post("/v1/chat/completions", &chat(false))
            .send()
            .await
            .unwrap()
            .status(),
        429
    );
    let rows = h.rows();
    assert!(rows.iter().all(|r| r.user_id == "anonymous"));

    let h = Harness::with(json!({"user_id": "pat-lee"}), SettingsLayer::default()).await;
    h.post("/v1/chat/completions", &chat(false))
        .send()
        .await
        .unwrap();
    assert_eq!(h.rows()[0].user_id, "pat-lee");
}

#[tokio::test]
async fn the_monthly_cap_answers_402_and_survives_a_restart() {
    let overrides = SettingsLayer {
        monthly_cap: Some(3),
        ..Default::default()
    };
    let mut h = Harness::with(json!({}), overrides.clone()).await;
    let send = |h: &Harness| {
        h.post("/v1/chat/completions", &chat(false))
            .header("x-user-id", "capped")
            .send()
    };
    for _ in 0..3 {
        assert_eq!(send(&h).await.unwrap().status(), 200);
    }
    let r = send(&h).await.unwrap();
    assert_eq!(r.status(), 402);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "monthly_cap_reached");
    // A new gateway on the same data dir remembers this month's count.
    h.restart().await;
    assert_eq!(send(&h).await.unwrap().status(), 402);
    h.gateway.flush_log();
    let conn = rusqlite::Connection::open(h.dir.path().join("clawbox.db")).unwrap();
    let counted: i64 = conn
        .query_row(
            "SELECT requests FROM monthly_usage WHERE user_id = 'capped'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(counted, 3, "402s are logged but not counted");
}

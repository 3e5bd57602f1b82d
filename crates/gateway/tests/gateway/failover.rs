//! Failover between hosted and local: only when the configured mode cannot answer, only before
//! the first byte, never for a 4xx; recorded as such.

use std::time::Duration;

use crate::harness::{Harness, chat, request_id};
use clawbox_gateway::config::SettingsLayer;
use clawbox_testkit::Behavior;
use serde_json::{Value, json};

fn closed_port() -> String {
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    format!("http://{addr}")
}

#[tokio::test]
async fn an_unreachable_hosted_gateway_fails_over_to_local_and_says_so() {
    let h = Harness::with(
        json!({"mode": "hosted", "failover": true, "hosted_url": closed_port()}),
        SettingsLayer::default(),
    )
    .await;
    let r = h
        .post("/v1/chat/completions", &chat(false))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-clawbox-upstream"], "openai");
    let id = request_id(&r);
    r.bytes().await.unwrap();
    assert_eq!(h.provider.requests().len(), 1);
    let row = h.row_for(&id).await;
    assert!(row.failover);
    assert_eq!(
        (row.mode.as_str(), row.upstream.as_deref()),
        ("local", Some("openai"))
    );
    let health = h.health().await;
    assert_eq!(
        health["status"], "ok",
        "failover is a working setting now: {health}"
    );
}

#[tokio::test]
async fn a_5xx_from_the_hosted_gateway_fails_over_but_a_4xx_is_its_answer() {
    let h = Harness::with(
        json!({"mode": "hosted", "failover": true}),
        SettingsLayer::default(),
    )
    .await;
    h.hosted.set_behavior(Behavior {
        fail_status: Some(503),
        ..Default::default()
    });
    let r = h
        .post("/v1/chat/completions", &chat(false))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(h.provider.requests().len(), 1);

    h.hosted.set_behavior(Behavior {
        fail_status: Some(400),
        ..Default::default()
    });
    let r = h
        .post("/v1/chat/completions", &chat(false))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        h.provider.requests().len(),
        1,
        "a 4xx is never retried elsewhere"
    );
}

#[tokio::test]
async fn local_fails_over_to_hosted_too() {
    let h = Harness::with(json!({"failover": true}), SettingsLayer::default()).await;
    h.provider.set_behavior(Behavior {
        fail_status: Some(500),
        ..Default::default()
    });
    let r = h
        .post("/v1/chat/completions", &chat(false))
        .header("x-user-id", "dana")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let id = request_id(&r);
    r.bytes().await.unwrap();
    assert_eq!(
        h.hosted.last_request().unwrap().header("x-user-id"),
        Some("dana")
    );
    let row = h.row_for(&id).await;
    assert_eq!((row.mode.as_str(), row.failover), ("hosted", true));
}

#[tokio::test]
async fn without_failover_the_failure_is_reported_as_it_is() {
    let h = Harness::with(
        json!({"mode": "hosted", "hosted_url": closed_port()}),
        SettingsLayer::default(),
    )
    .await;
    let r = h
        .post("/v1/chat/completions", &chat(false))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 502);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("hosted gateway")
    );
    assert!(h.provider.requests().is_empty());
}

#[tokio::test]
async fn nothing_is_retried_after_the_first_streamed_byte() {
    let overrides = SettingsLayer {
        idle_timeout: Some(1),
        ..Default::default()
    };
    let h = Harness::with(json!({"mode": "hosted", "failover": true}), overrides).await;
    h.hosted.set_behavior(Behavior {
        stall_after_chunks: Some(2),
        ..Default::default()
    });
    let r = h
        .post("/v1/chat/completions", &chat(true))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let outcome = tokio::time::timeout(Duration::from_secs(5), r.text()).await;
    assert!(
        matches!(outcome, Ok(Err(_))),
        "the stream breaks; it is not restarted elsewhere"
    );
    assert!(h.provider.requests().is_empty());
}

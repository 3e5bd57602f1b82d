//! The ChatGPT plan's usage windows: read from the backend's answers (headers and the
//! `codex.rate_limits` event, which only Codex gets to see), asked of the usage endpoint when
//! nothing fresh is known — at most once a minute, never without a sign-in.

use clawbox_testkit::FakeOAuth;
use serde_json::json;

use clawbox_gateway::PlanLimits;

use crate::chatgpt::{post, signed_in};
use crate::harness::{Harness, sse_data};

/// The plan's windows once the gateway has read ones whose first is `used` percent used (the
/// reading is taken when the answer's row is recorded, a moment after its last byte).
async fn limits_at(h: &Harness, used: f64) -> PlanLimits {
    for _ in 0..100 {
        if let Some(limits) = h.gateway.plan_limits()
            && limits.windows[0].used_percent == used
        {
            return limits;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("never read {used}%: {:?}", h.gateway.plan_limits());
}

fn stream() -> serde_json::Value {
    json!({"model": "gpt-5", "input": "hi", "stream": true})
}

#[tokio::test]
async fn every_answer_updates_the_windows_and_only_codex_sees_the_event() {
    let oauth = FakeOAuth::start().await;
    let h = signed_in(&oauth).await;
    assert_eq!(h.gateway.plan_limits(), None);
    let events = sse_data(post(&h, "/v1/responses", stream()).await).await;
    assert!(
        events.iter().all(|e| !e.contains("codex.rate_limits")),
        "an SDK fails on an event type it does not know: {events:?}"
    );
    let limits = limits_at(&h, 22.0).await;
    let minutes: Vec<i64> = limits.windows.iter().map(|w| w.window_minutes).collect();
    assert_eq!(minutes, [300, 10_080]);
    assert_eq!(limits.plan.as_deref(), Some("plus"));
    let text = limits.describe(limits.observed_at);
    assert!(
        text.starts_with("5-hour: 78% left, resets in 2 h 30 min · Weekly: 68% left, resets "),
        "{text}"
    );
    let kept = std::fs::read_to_string(h.dir.path().join("plan-limits.json")).unwrap();
    assert!(kept.contains("10080") && !kept.contains("acct_"), "{kept}");

    // Codex reads the event itself.
    let r = h
        .client
        .post(format!("{}/v1/responses", h.url))
        .header("authorization", format!("Bearer {}", h.local_key()))
        .header("content-type", "application/json")
        .header("originator", "codex_cli_rs")
        .body(stream().to_string())
        .send()
        .await
        .unwrap();
    let events = sse_data(r).await;
    assert!(events[0].contains("\"codex.rate_limits\""), "{events:?}");

    // A chat-completions client (translated) and one that wanted JSON never see it either.
    let chat =
        json!({"model": "gpt-5", "stream": true, "messages": [{"role": "user", "content": "hi"}]});
    let events = sse_data(post(&h, "/v1/chat/completions", chat).await).await;
    assert!(
        events.iter().all(|e| !e.contains("rate_limits")),
        "{events:?}"
    );
    oauth.set_plan_windows(&[(40.0, 10_080)]);
    let body: serde_json::Value = post(
        &h,
        "/v1/responses",
        json!({"model": "gpt-5", "input": "hi"}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(body["object"], "response");
    // A weekly window alone is weekly, whatever its position.
    let limits = h.gateway.plan_limits().unwrap();
    assert!(
        limits
            .describe(limits.observed_at)
            .starts_with("Weekly: 60% left"),
        "{limits:?}"
    );
    assert_eq!(oauth.usage_asked(), 0, "the answers said it all");
}

#[tokio::test]
async fn the_usage_endpoint_is_asked_when_nothing_is_fresh_and_at_most_once_a_minute() {
    let oauth = FakeOAuth::start().await;
    let h = signed_in(&oauth).await;
    let limits = h.gateway.fresh_plan_limits().await.expect("asked");
    assert_eq!(oauth.usage_asked(), 1);
    assert_eq!(limits.windows.len(), 2);
    assert!(
        limits
            .describe(limits.observed_at)
            .contains("Weekly: 68% left")
    );
    for _ in 0..5 {
        assert!(h.gateway.fresh_plan_limits().await.is_some());
    }
    assert_eq!(oauth.usage_asked(), 1, "fresh for a minute");
}

#[tokio::test]
async fn without_a_sign_in_nothing_is_asked_or_shown() {
    let h = Harness::start().await;
    assert_eq!(h.gateway.fresh_plan_limits().await, None);
    assert!(!h.dir.path().join("plan-limits.json").exists());
}

//! Streams pass through chunk by chunk, are cancelled with their client, and time out when idle.

use std::time::Duration;

use crate::harness::{Harness, chat, request_id};
use clawbox_gateway::config::SettingsLayer;
use clawbox_testkit::Behavior;
use futures_util::StreamExt;
use serde_json::json;

#[tokio::test]
async fn chunks_reach_the_client_before_the_upstream_finishes() {
    let h = Harness::start().await;
    // The fake sends its first chunk, then waits for `release`: a buffering proxy would deliver
    // nothing until then, and this test would time out.
    h.provider.set_behavior(Behavior {
        gate: true,
        ..Default::default()
    });
    let r = h
        .post("/v1/chat/completions", &chat(true))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "text/event-stream");
    let mut body = r.bytes_stream();
    let first = tokio::time::timeout(Duration::from_secs(5), body.next())
        .await
        .expect("the first chunk arrives while the upstream is still streaming")
        .unwrap()
        .unwrap();
    assert!(first.starts_with(b"data: "), "{first:?}");
    assert_eq!(h.provider.completed_streams(), 0);
    h.provider.release();
    let mut rest = Vec::new();
    while let Some(chunk) = body.next().await {
        rest.extend_from_slice(&chunk.unwrap());
    }
    assert!(rest.ends_with(b"data: [DONE]\n\n"));
}

#[tokio::test]
async fn a_client_that_hangs_up_cancels_the_upstream_stream() {
    let h = Harness::start().await;
    h.provider.set_behavior(Behavior {
        chunk_delay: Duration::from_millis(30),
        content_chunks: Some(200),
        ..Default::default()
    });
    let r = h
        .post("/v1/chat/completions", &chat(true))
        .send()
        .await
        .unwrap();
    let id = request_id(&r);
    let mut body = r.bytes_stream();
    body.next().await.unwrap().unwrap();
    drop(body);
    for _ in 0..100 {
        if h.provider.cancelled_streams() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(h.provider.cancelled_streams(), 1);
    assert_eq!(h.provider.completed_streams(), 0);
    let row = h.row_for(&id).await;
    assert_eq!(row.status, 200);
    assert_eq!(row.error.as_deref(), Some("client_disconnected"));
}

#[tokio::test]
async fn a_long_stream_is_not_cut_by_a_total_timeout_but_a_stall_is() {
    let overrides = SettingsLayer {
        idle_timeout: Some(1),
        ..Default::default()
    };
    let h = Harness::with(json!({}), overrides).await;
    // 2.5 s in all, but never silent for 1 s: must complete.
    h.provider.set_behavior(Behavior {
        chunk_delay: Duration::from_millis(250),
        content_chunks: Some(8),
        ..Default::default()
    });
    let r = h
        .post("/v1/chat/completions", &chat(true))
        .send()
        .await
        .unwrap();
    let text = r.text().await.unwrap();
    assert!(text.ends_with("data: [DONE]\n\n"));

    // Silent after the first chunk: the stream is cut after the idle timeout.
    h.provider.set_behavior(Behavior {
        stall_after_chunks: Some(2),
        ..Default::default()
    });
    let r = h
        .post("/v1/chat/completions", &chat(true))
        .send()
        .await
        .unwrap();
    let id = request_id(&r);
    let outcome = tokio::time::timeout(Duration::from_secs(5), r.text()).await;
    assert!(
        matches!(outcome, Ok(Err(_))),
        "the stream ends with an error, not a clean end"
    );
    assert_eq!(
        h.row_for(&id).await.error.as_deref(),
        Some("upstream_idle_timeout")
    );
}

#[tokio::test]
async fn a_stream_cut_short_still_records_the_usage_already_reported() {
    let h = Harness::start().await;
    h.provider.set_behavior(Behavior {
        chunk_delay: Duration::from_millis(50),
        content_chunks: Some(100),
        ..Default::default()
    });
    let body = json!({"model": "claude-x", "max_tokens": 5, "stream": true});
    let r = h
        .post_anthropic("/v1/messages", &body)
        .send()
        .await
        .unwrap();
    let id = request_id(&r);
    let mut stream = r.bytes_stream();
    let first = stream.next().await.unwrap().unwrap();
    assert!(first.starts_with(b"event: message_start"));
    drop(stream);
    let row = h.row_for(&id).await;
    let (input, read, _) = clawbox_testkit::usage::MESSAGES;
    let cache = read + clawbox_testkit::usage::MESSAGES_CACHE_WRITE;
    assert_eq!(row.error.as_deref(), Some("client_disconnected"));
    assert_eq!(row.tokens_source, "reported");
    assert_eq!(row.prompt_tokens.map(|t| t as u64), Some(input + cache));
}

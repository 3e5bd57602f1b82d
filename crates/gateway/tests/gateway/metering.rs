//! Token usage from the provider's own reports, in every dialect; estimates only when there is
//! none, and labelled as such.

use clawbox_testkit::usage::{
    CHAT, CHAT_PARTS, EMBEDDINGS, MESSAGES, MESSAGES_CACHE_WRITE, RESPONSES, RESPONSES_PARTS,
};
use serde_json::{Value, json};

use crate::harness::{Harness, chat, request_id, sse_data};

#[tokio::test]
async fn chat_json_usage_is_reported() {
    let h = Harness::start().await;
    let r = h
        .post("/v1/chat/completions", &chat(false))
        .send()
        .await
        .unwrap();
    let id = request_id(&r);
    r.bytes().await.unwrap();
    let row = h.row_for(&id).await;
    assert_eq!(row.tokens_source, "reported");
    assert_eq!(row.tokens_est as u64, CHAT.0 + CHAT.1);
    assert_eq!(row.prompt_tokens.map(|t| t as u64), Some(CHAT.0));
    assert_eq!(row.completion_tokens.map(|t| t as u64), Some(CHAT.1));
    assert_eq!(
        (
            row.cached_tokens,
            row.cache_write_tokens,
            row.reasoning_tokens
        ),
        (Some(CHAT_PARTS.0 as i64), None, Some(CHAT_PARTS.1 as i64))
    );
    assert!(!row.stream);
}

#[tokio::test]
async fn streamed_chat_asks_for_usage_and_hides_it_from_a_client_that_did_not() {
    let h = Harness::start().await;
    let r = h
        .post("/v1/chat/completions", &chat(true))
        .send()
        .await
        .unwrap();
    let id = request_id(&r);
    let events = sse_data(r).await;
    let sent = h.provider.last_request().unwrap().json();
    assert_eq!(sent["stream_options"]["include_usage"], true);
    assert_eq!(events.last().map(String::as_str), Some("[DONE]"));
    for data in &events[..events.len() - 1] {
        let chunk: Value = serde_json::from_str(data).unwrap();
        assert_ne!(
            chunk["choices"],
            json!([]),
            "the usage chunk was hidden: {data}"
        );
    }
    let row = h.row_for(&id).await;
    assert_eq!(
        (row.tokens_source.as_str(), row.tokens_est as u64),
        ("reported", CHAT.0 + CHAT.1)
    );
    assert_eq!(
        (row.cached_tokens, row.reasoning_tokens),
        (Some(CHAT_PARTS.0 as i64), Some(CHAT_PARTS.1 as i64)),
        "the parts come from the hidden usage chunk too"
    );
    assert!(row.stream);
}

#[tokio::test]
async fn streamed_chat_keeps_the_usage_chunk_for_a_client_that_asked() {
    let h = Harness::start().await;
    let mut body = chat(true);
    body["stream_options"] = json!({"include_usage": true});
    let r = h.post("/v1/chat/completions", &body).send().await.unwrap();
    let events = sse_data(r).await;
    let usage_chunk: Value = serde_json::from_str(&events[events.len() - 2]).unwrap();
    assert_eq!(usage_chunk["choices"], json!([]));
    assert_eq!(usage_chunk["usage"]["total_tokens"], CHAT.0 + CHAT.1);
}

#[tokio::test]
async fn responses_stream_usage_comes_from_response_completed() {
    let h = Harness::start().await;
    let r = h
        .post(
            "/v1/responses",
            &json!({"model": "gpt-4o-mini", "input": "hi", "stream": true}),
        )
        .send()
        .await
        .unwrap();
    let id = request_id(&r);
    let events = sse_data(r).await;
    assert!(events.last().unwrap().contains("response.completed"));
    let row = h.row_for(&id).await;
    assert_eq!(
        (row.tokens_source.as_str(), row.tokens_est as u64),
        ("reported", RESPONSES.0 + RESPONSES.1)
    );
    assert_eq!(
        (row.cached_tokens, row.reasoning_tokens),
        (
            Some(RESPONSES_PARTS.0 as i64),
            Some(RESPONSES_PARTS.1 as i64)
        )
    );
}

#[tokio::test]
async fn anthropic_usage_counts_input_cache_and_final_output() {
    let h = Harness::start().await;
    let body = json!({"model": "claude-sonnet-4-6", "max_tokens": 50, "stream": true,
                      "messages": [{"role": "user", "content": "hi"}]});
    let r = h
        .post_anthropic("/v1/messages", &body)
        .send()
        .await
        .unwrap();
    let id = request_id(&r);
    let events = sse_data(r).await;
    assert!(events.iter().any(|e| e.contains("message_stop")));
    let row = h.row_for(&id).await;
    let (input, read, output) = MESSAGES;
    let cache = read + MESSAGES_CACHE_WRITE;
    assert_eq!(row.tokens_source, "reported");
    assert_eq!(row.prompt_tokens.map(|t| t as u64), Some(input + cache));
    assert_eq!(row.completion_tokens.map(|t| t as u64), Some(output));
    assert_eq!(row.tokens_est as u64, input + cache + output);
    assert_eq!(
        (row.cached_tokens, row.cache_write_tokens),
        (Some(read as i64), Some(MESSAGES_CACHE_WRITE as i64))
    );
    // Anthropic's stream is passed through untouched.
    assert!(
        h.provider
            .last_request()
            .unwrap()
            .json()
            .get("stream_options")
            .is_none()
    );

    let mut plain = body.clone();
    plain["stream"] = json!(false);
    let r = h
        .post_anthropic("/v1/messages", &plain)
        .send()
        .await
        .unwrap();
    let id = request_id(&r);
    r.bytes().await.unwrap();
    assert_eq!(
        h.row_for(&id).await.tokens_est as u64,
        input + cache + output
    );
}

#[tokio::test]
async fn embeddings_usage_is_reported() {
    let h = Harness::start().await;
    let r = h
        .post(
            "/v1/embeddings",
            &json!({"model": "text-embedding-3-small", "input": "hi"}),
        )
        .send()
        .await
        .unwrap();
    let id = request_id(&r);
    r.bytes().await.unwrap();
    assert_eq!(h.row_for(&id).await.tokens_est as u64, EMBEDDINGS);
}

#[tokio::test]
async fn without_reported_usage_the_row_is_estimated_and_says_so() {
    let h = Harness::start().await;
    for stream in [false, true] {
        let r = h
            .post("/v1/chat/completions", &chat(stream))
            .header("x-fake-omit-usage", "1")
            .send()
            .await
            .unwrap();
        let id = request_id(&r);
        r.bytes().await.unwrap();
        let row = h.row_for(&id).await;
        assert_eq!(row.tokens_source, "estimated", "stream={stream}");
        // About a quarter of the request's and response's JSON bytes; for a stream, one token
        // per event (a byte count of the SSE framing would be several times more).
        let bound = if stream { 20..60 } else { 20..120 };
        assert!(
            bound.contains(&row.tokens_est),
            "stream={stream}: {}",
            row.tokens_est
        );
        assert_eq!(row.prompt_tokens, None);
    }
}

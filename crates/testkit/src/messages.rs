//! Anthropic's Messages API, JSON and SSE, and its model list.

use bytes::Bytes;
use serde_json::{Value, json};

use crate::behavior::Behavior;
use crate::sse::event;
use crate::usage::{MESSAGES, MESSAGES_CACHE_WRITE};

fn usage(output: u64) -> Value {
    json!({
        "input_tokens": MESSAGES.0, "cache_read_input_tokens": MESSAGES.1,
        "cache_creation_input_tokens": MESSAGES_CACHE_WRITE, "output_tokens": output
    })
}

fn message(model: &str, content: Value, stop: Value, usage: Value) -> Value {
    json!({
        "id": "msg_fake", "type": "message", "role": "assistant", "model": model,
        "content": content, "stop_reason": stop, "stop_sequence": null, "usage": usage
    })
}

pub fn body(model: &str, behavior: &Behavior) -> Value {
    let text = behavior.pieces().concat();
    let mut m = message(
        model,
        json!([{"type": "text", "text": text}]),
        json!("end_turn"),
        usage(MESSAGES.2),
    );
    if behavior.omit_usage {
        m.as_object_mut().map(|o| o.remove("usage"));
    }
    m
}

pub fn stream_events(model: &str, behavior: &Behavior) -> Vec<Bytes> {
    let start_usage = if behavior.omit_usage {
        Value::Null
    } else {
        usage(1)
    };
    let mut events = vec![
        event(
            Some("message_start"),
            &json!({"type": "message_start",
            "message": message(model, json!([]), Value::Null, start_usage)}),
        ),
        event(
            Some("content_block_start"),
            &json!({"type": "content_block_start", "index": 0,
            "content_block": {"type": "text", "text": ""}}),
        ),
        event(Some("ping"), &json!({"type": "ping"})),
    ];
    for piece in behavior.pieces() {
        events.push(event(
            Some("content_block_delta"),
            &json!({"type": "content_block_delta",
            "index": 0, "delta": {"type": "text_delta", "text": piece}}),
        ));
    }
    events.push(event(
        Some("content_block_stop"),
        &json!({"type": "content_block_stop", "index": 0}),
    ));
    let mut delta = json!({"type": "message_delta",
        "delta": {"stop_reason": "end_turn", "stop_sequence": null}});
    if !behavior.omit_usage {
        delta["usage"] = json!({"output_tokens": MESSAGES.2});
    }
    events.push(event(Some("message_delta"), &delta));
    events.push(event(
        Some("message_stop"),
        &json!({"type": "message_stop"}),
    ));
    events
}

pub fn models() -> Value {
    json!({
        "data": [{"type": "model", "id": "claude-sonnet-4-6", "display_name": "Claude Sonnet 4.6",
                  "created_at": "2026-02-17T00:00:00Z"}],
        "has_more": false, "first_id": "claude-sonnet-4-6", "last_id": "claude-sonnet-4-6"
    })
}

pub fn error(status: u16) -> Value {
    let kind = match status {
        401 => "authentication_error",
        429 => "rate_limit_error",
        529 => "overloaded_error",
        400 => "invalid_request_error",
        _ => "api_error",
    };
    json!({"type": "error", "error": {"type": kind, "message": format!("fake upstream failure ({status})")}})
}

/// `POST /v1/messages/count_tokens` (Claude Code asks before each turn): a rough count, as
/// only the provider's own tokenizer can give the real one.
pub fn count_tokens(request: &Value) -> Value {
    json!({"input_tokens": request.to_string().len() / 4})
}

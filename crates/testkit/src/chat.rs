//! OpenAI chat completions and embeddings, as api.openai.com answers them.

use base64::Engine;
use bytes::Bytes;
use serde_json::{Value, json};

use crate::behavior::Behavior;
use crate::sse::event;
use crate::usage::{CHAT, CHAT_PARTS, EMBEDDINGS};

pub fn completion(model: &str, behavior: &Behavior) -> Value {
    let mut body = json!({
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 1_763_942_400,
        "model": model,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": behavior.pieces().concat(), "refusal": null},
            "logprobs": null,
            "finish_reason": "stop"
        }],
        "system_fingerprint": "fp_fake"
    });
    if !behavior.omit_usage {
        body["usage"] = usage();
    }
    body
}

fn usage() -> Value {
    json!({"prompt_tokens": CHAT.0, "completion_tokens": CHAT.1, "total_tokens": CHAT.0 + CHAT.1,
        "prompt_tokens_details": {"cached_tokens": CHAT_PARTS.0, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": CHAT_PARTS.1, "audio_tokens": 0}})
}

/// Like OpenAI: the usage chunk (empty `choices`) only when `stream_options.include_usage`, and
/// then `"usage": null` on every other chunk.
pub fn stream_events(model: &str, request: &Value, behavior: &Behavior) -> Vec<Bytes> {
    let include_usage =
        request["stream_options"]["include_usage"].as_bool() == Some(true) && !behavior.omit_usage;
    let chunk = |delta: Value, finish: Value| {
        let mut c = json!({
            "id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1_763_942_400,
            "model": model, "system_fingerprint": "fp_fake",
            "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}]
        });
        if include_usage {
            c["usage"] = Value::Null;
        }
        event(None, &c)
    };
    let mut events = vec![chunk(
        json!({"role": "assistant", "content": ""}),
        Value::Null,
    )];
    for piece in behavior.pieces() {
        events.push(chunk(json!({"content": piece}), Value::Null));
    }
    events.push(chunk(json!({}), json!("stop")));
    if include_usage {
        events.push(event(
            None,
            &json!({
                "id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1_763_942_400,
                "model": model, "system_fingerprint": "fp_fake", "choices": [], "usage": usage()
            }),
        ));
    }
    events.push(Bytes::from_static(b"data: [DONE]\n\n"));
    events
}

pub fn embeddings(model: &str, request: &Value, behavior: &Behavior) -> Value {
    let vector = [0.25f32, -0.5, 0.125];
    // The official SDKs ask for base64 by default and decode it themselves.
    let embedding = if request["encoding_format"] == "base64" {
        let bytes: Vec<u8> = vector.iter().flat_map(|f| f.to_le_bytes()).collect();
        json!(base64::engine::general_purpose::STANDARD.encode(bytes))
    } else {
        json!(vector)
    };
    let mut body = json!({
        "object": "list",
        "data": [{"object": "embedding", "index": 0, "embedding": embedding}],
        "model": model,
    });
    if !behavior.omit_usage {
        body["usage"] = json!({"prompt_tokens": EMBEDDINGS, "total_tokens": EMBEDDINGS});
    }
    body
}

pub fn models() -> Value {
    json!({"object": "list", "data": [
        {"id": "gpt-4o-mini", "object": "model", "created": 1_721_172_741, "owned_by": "system"},
        {"id": "text-embedding-3-small", "object": "model", "created": 1_705_948_997, "owned_by": "system"}
    ]})
}

/// A model list of `names`, as an OpenAI-compatible provider reports its own.
pub fn models_named(names: &[String]) -> Value {
    let data: Vec<Value> = names
        .iter()
        .map(
            |id| json!({"id": id, "object": "model", "created": 1_700_000_000, "owned_by": "fake"}),
        )
        .collect();
    json!({"object": "list", "data": data})
}

pub fn error(status: u16) -> Value {
    json!({"error": {
        "message": format!("fake upstream failure ({status})"),
        "type": if status == 401 { "invalid_request_error" } else { "server_error" },
        "param": null,
        "code": if status == 401 { json!("invalid_api_key") } else { Value::Null }
    }})
}

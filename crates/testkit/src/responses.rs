//! OpenAI's Responses API (what Codex CLI speaks), JSON and SSE.

use bytes::Bytes;
use serde_json::{Value, json};

use crate::behavior::Behavior;
use crate::sse::event;
use crate::usage::{RESPONSES, RESPONSES_PARTS};

/// A completed response's usage, with its cached and reasoning parts.
pub(crate) fn usage() -> Value {
    json!({
        "input_tokens": RESPONSES.0, "input_tokens_details": {"cached_tokens": RESPONSES_PARTS.0},
        "output_tokens": RESPONSES.1, "output_tokens_details": {"reasoning_tokens": RESPONSES_PARTS.1},
        "total_tokens": RESPONSES.0 + RESPONSES.1
    })
}

fn response(model: &str, status: &str, text: Option<&str>, behavior: &Behavior) -> Value {
    let output = match text {
        Some(text) => json!([{
            "type": "message", "id": "msg_fake", "status": "completed", "role": "assistant",
            "content": [{"type": "output_text", "text": text, "annotations": []}]
        }]),
        None => json!([]),
    };
    let usage = if behavior.omit_usage || status != "completed" {
        Value::Null
    } else {
        usage()
    };
    json!({
        "id": "resp_fake", "object": "response", "created_at": 1_763_942_400, "status": status,
        "model": model, "output": output, "parallel_tool_calls": true, "tool_choice": "auto",
        "tools": [], "usage": usage, "error": null, "incomplete_details": null,
        "instructions": null, "metadata": {}, "temperature": 1.0, "top_p": 1.0
    })
}

pub fn body(model: &str, behavior: &Behavior) -> Value {
    response(
        model,
        "completed",
        Some(&behavior.pieces().concat()),
        behavior,
    )
}

pub fn stream_events(model: &str, behavior: &Behavior) -> Vec<Bytes> {
    let mut seq = 0;
    let mut ev = |name: &str, mut data: Value| {
        data["type"] = json!(name);
        data["sequence_number"] = json!(seq);
        seq += 1;
        event(Some(name), &data)
    };
    let text = behavior.pieces().concat();
    let mut events = vec![
        ev(
            "response.created",
            json!({"response": response(model, "in_progress", None, behavior)}),
        ),
        ev(
            "response.in_progress",
            json!({"response": response(model, "in_progress", None, behavior)}),
        ),
        ev(
            "response.output_item.added",
            json!({"output_index": 0, "item": {
            "type": "message", "id": "msg_fake", "status": "in_progress", "role": "assistant", "content": []}}),
        ),
        ev(
            "response.content_part.added",
            json!({"item_id": "msg_fake", "output_index": 0,
            "content_index": 0, "part": {"type": "output_text", "text": "", "annotations": []}}),
        ),
    ];
    for piece in behavior.pieces() {
        events.push(ev(
            "response.output_text.delta",
            json!({"item_id": "msg_fake",
            "output_index": 0, "content_index": 0, "delta": piece, "logprobs": []}),
        ));
    }
    events.push(ev(
        "response.output_text.done",
        json!({"item_id": "msg_fake", "output_index": 0,
        "content_index": 0, "text": text, "logprobs": []}),
    ));
    events.push(ev(
        "response.content_part.done",
        json!({"item_id": "msg_fake", "output_index": 0,
        "content_index": 0, "part": {"type": "output_text", "text": text, "annotations": []}}),
    ));
    events.push(ev(
        "response.output_item.done",
        json!({"output_index": 0, "item": {
        "type": "message", "id": "msg_fake", "status": "completed", "role": "assistant",
        "content": [{"type": "output_text", "text": text, "annotations": []}]}}),
    ));
    events.push(ev(
        "response.completed",
        json!({"response": body(model, behavior)}),
    ));
    events
}

/// A streamed answer that calls one function (`get_weather`), as the Responses API streams it.
/// A call of the tool `name` with `arguments` (a JSON text), streamed as the Responses API does.
pub fn tool_call_events_for(model: &str, name: &str, arguments: &str) -> Vec<Bytes> {
    let behavior = Behavior::default();
    let mut seq = 0;
    let mut ev = |name: &str, mut data: Value| {
        data["type"] = json!(name);
        data["sequence_number"] = json!(seq);
        seq += 1;
        event(Some(name), &data)
    };
    let call_id = format!("call_fake_{name}");
    let item = |status: &str, arguments: &str| {
        json!({
            "type": "function_call", "id": "fc_fake", "call_id": call_id,
            "name": name, "arguments": arguments, "status": status
        })
    };
    let (first, second) = arguments.split_at(arguments.len() / 2);
    let mut done = response(model, "completed", None, &behavior);
    done["output"] = json!([item("completed", arguments)]);
    vec![
        ev(
            "response.created",
            json!({"response": response(model, "in_progress", None, &behavior)}),
        ),
        ev(
            "response.output_item.added",
            json!({"output_index": 0, "item": item("in_progress", "")}),
        ),
        ev(
            "response.function_call_arguments.delta",
            json!({"item_id": "fc_fake", "output_index": 0, "delta": first}),
        ),
        ev(
            "response.function_call_arguments.delta",
            json!({"item_id": "fc_fake", "output_index": 0, "delta": second}),
        ),
        ev(
            "response.function_call_arguments.done",
            json!({"item_id": "fc_fake", "output_index": 0, "arguments": arguments}),
        ),
        ev(
            "response.output_item.done",
            json!({"output_index": 0, "item": item("completed", arguments)}),
        ),
        ev("response.completed", json!({"response": done})),
    ]
}

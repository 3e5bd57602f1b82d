//! A Responses request as a chat-completions request: instructions become a system message,
//! input items become messages (function calls join an assistant message's `tool_calls`, their
//! outputs become `tool` messages), function tools keep their schema.

use bytes::Bytes;
use serde_json::{Map, Value, json};

use crate::Error;

/// The chat request for `body`, and whether the client wants a stream.
pub fn to_chat(body: &[u8]) -> Result<(Bytes, bool), Error> {
    let request: Value = serde_json::from_slice(body).map_err(|e| Error::BadJson {
        detail: e.to_string(),
    })?;
    let Value::Object(request) = request else {
        return Err(Error::BadBody {
            detail: "a Responses request is a JSON object".into(),
        });
    };
    let mut messages = Vec::new();
    if let Some(instructions) = request.get("instructions").and_then(Value::as_str) {
        messages.push(json!({"role": "system", "content": instructions}));
    }
    match request.get("input") {
        Some(Value::String(text)) => messages.push(json!({"role": "user", "content": text})),
        Some(Value::Array(items)) => {
            for item in items {
                push_item(&mut messages, item);
            }
        }
        _ => {}
    }
    let stream = request.get("stream") == Some(&Value::Bool(true));
    let mut chat = Map::new();
    chat.insert(
        "model".into(),
        request.get("model").cloned().unwrap_or(Value::Null),
    );
    chat.insert("messages".into(), Value::Array(messages));
    for key in ["temperature", "top_p", "parallel_tool_calls", "user"] {
        if let Some(value) = request.get(key) {
            chat.insert(key.into(), value.clone());
        }
    }
    if let Some(max) = request.get("max_output_tokens") {
        chat.insert("max_tokens".into(), max.clone());
    }
    let tools: Vec<Value> = request
        .get("tools")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|t| t["type"] == "function")
        .map(|t| {
            json!({"type": "function", "function": {
                "name": t["name"], "description": t["description"], "parameters": t["parameters"]
            }})
        })
        .collect();
    if !tools.is_empty() {
        chat.insert("tools".into(), Value::Array(tools));
    }
    match request.get("tool_choice") {
        Some(Value::Object(choice)) if choice.get("type") == Some(&json!("function")) => {
            chat.insert(
                "tool_choice".into(),
                json!({"type": "function", "function": {"name": choice.get("name")}}),
            );
        }
        Some(Value::String(choice)) => {
            chat.insert("tool_choice".into(), json!(choice));
        }
        _ => {}
    }
    if stream {
        chat.insert("stream".into(), Value::Bool(true));
        chat.insert("stream_options".into(), json!({"include_usage": true}));
    }
    let bytes = serde_json::to_vec(&Value::Object(chat)).map_err(|e| Error::BadBody {
        detail: e.to_string(),
    })?;
    Ok((Bytes::from(bytes), stream))
}

fn push_item(messages: &mut Vec<Value>, item: &Value) {
    match item["type"].as_str() {
        Some("function_call") => {
            let call = json!({"id": item["call_id"], "type": "function",
                              "function": {"name": item["name"], "arguments": item["arguments"]}});
            // Calls made together are one assistant message.
            if let Some(last) = messages.last_mut()
                && last["role"] == "assistant"
                && last["tool_calls"].is_array()
                && let Some(calls) = last["tool_calls"].as_array_mut()
            {
                calls.push(call);
                return;
            }
            messages.push(json!({"role": "assistant", "content": null, "tool_calls": [call]}));
        }
        Some("function_call_output") => {
            let output = match &item["output"] {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            messages
                .push(json!({"role": "tool", "tool_call_id": item["call_id"], "content": output}));
        }
        // Reasoning is the model's own: a local model cannot read it.
        Some("reasoning") => {}
        _ => {
            let role = match item["role"].as_str() {
                Some("developer" | "system") => "system",
                Some("assistant") => "assistant",
                _ => "user",
            };
            messages.push(json!({"role": role, "content": text_of(&item["content"])}));
        }
    }
}

/// The text of a message's content: a string, or its text parts joined.
fn text_of(content: &Value) -> String {
    match content {
        Value::String(text) => text.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p["text"].as_str())
            .collect::<Vec<_>>()
            .join(""),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replayed_chain_becomes_messages() {
        let body = json!({"model": "llama3.2", "instructions": "Be brief.", "stream": true,
        "max_output_tokens": 50,
        "tools": [{"type": "function", "name": "get_time", "parameters": {"type": "object"}}],
        "input": [
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Time?"}]},
            {"type": "reasoning", "encrypted_content": "x"},
            {"type": "function_call", "call_id": "c1", "name": "get_time", "arguments": "{}"},
            {"type": "function_call", "call_id": "c2", "name": "get_time", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "c1", "output": "14:05"},
            {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "It is 14:05."}]},
            {"role": "developer", "content": "Answer in French."}
        ]});
        let (bytes, stream) = to_chat(body.to_string().as_bytes()).unwrap();
        assert!(stream);
        let chat: Value = serde_json::from_slice(&bytes).unwrap();
        let roles: Vec<&str> = chat["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["role"].as_str().unwrap())
            .collect();
        assert_eq!(
            roles,
            ["system", "user", "assistant", "tool", "assistant", "system"]
        );
        assert_eq!(
            chat["messages"][2]["tool_calls"].as_array().unwrap().len(),
            2
        );
        assert_eq!(chat["messages"][3]["tool_call_id"], "c1");
        assert_eq!(chat["messages"][1]["content"], "Time?");
        assert_eq!(chat["tools"][0]["function"]["name"], "get_time");
        assert_eq!(chat["max_tokens"], 50);
        assert_eq!(chat["stream_options"]["include_usage"], true);
    }
}

//! One JSON answer from the backend's event stream, for clients that did not ask for a stream.

use serde_json::{Value, json};

use super::Translation;
use super::chat_stream::chat_usage;
use crate::sse::{self, EventSplitter};

/// The completed response from a whole event stream, as the client's dialect has it; or the
/// failure the stream reported, in words.
pub fn assemble(stream: bytes::Bytes, translation: Translation) -> Result<Value, String> {
    let mut completed = None;
    let mut failure = None;
    // With `store: false` the completed event's `output` is empty: the items come in
    // `response.output_item.done` events, by output_index.
    let mut items: Vec<(u64, Value)> = Vec::new();
    let mut splitter = EventSplitter::default();
    let mut read = |event: bytes::Bytes| {
        let Some(data) = sse::data(&event) else {
            return;
        };
        let Ok(event) = serde_json::from_slice::<Value>(&data) else {
            return;
        };
        match event["type"].as_str() {
            Some("response.completed" | "response.incomplete") => {
                completed = Some(event["response"].clone());
            }
            Some("response.output_item.done") => {
                items.push((
                    event["output_index"].as_u64().unwrap_or(0),
                    event["item"].clone(),
                ));
            }
            Some("response.failed") => {
                failure = event["response"]["error"]["message"]
                    .as_str()
                    .map(str::to_owned);
            }
            Some("error") => failure = event["message"].as_str().map(str::to_owned),
            _ => {}
        }
    };
    splitter.feed(stream, &mut read);
    if let Some(rest) = splitter.finish() {
        read(rest);
    }
    let mut response = completed.ok_or_else(|| {
        failure.unwrap_or_else(|| "ChatGPT's answer ended before it was complete".to_owned())
    })?;
    if response["output"].as_array().is_none_or(Vec::is_empty) && !items.is_empty() {
        items.sort_by_key(|(index, _)| *index);
        response["output"] = Value::Array(items.into_iter().map(|(_, item)| item).collect());
    }
    Ok(match translation {
        Translation::ChatJson => chat_completion(&response),
        _ => response,
    })
}

/// A completed Responses object as a chat completion.
fn chat_completion(response: &Value) -> Value {
    let output = response["output"].as_array().cloned().unwrap_or_default();
    let text: String = output
        .iter()
        .filter(|item| item["type"] == "message")
        .flat_map(|item| item["content"].as_array().cloned().unwrap_or_default())
        .filter(|part| part["type"] == "output_text")
        .filter_map(|part| part["text"].as_str().map(str::to_owned))
        .collect();
    let tool_calls: Vec<Value> = output
        .iter()
        .filter(|item| item["type"] == "function_call")
        .map(|item| {
            json!({"id": item["call_id"], "type": "function",
                   "function": {"name": item["name"], "arguments": item["arguments"]}})
        })
        .collect();
    let finish_reason = if !tool_calls.is_empty() {
        "tool_calls"
    } else if response["incomplete_details"]["reason"] == "max_output_tokens" {
        "length"
    } else {
        "stop"
    };
    let mut message = json!({"role": "assistant",
        "content": if text.is_empty() && !tool_calls.is_empty() { Value::Null } else { json!(text) }});
    if !tool_calls.is_empty() {
        message["tool_calls"] = Value::Array(tool_calls);
    }
    json!({
        "id": format!("chatcmpl-{}", response["id"].as_str().unwrap_or("clawbox")),
        "object": "chat.completion",
        "created": response["created_at"],
        "model": response["model"],
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
        "usage": chat_usage(&response["usage"]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(events: &[Value]) -> bytes::Bytes {
        events
            .iter()
            .map(|e| format!("event: {}\ndata: {e}\n\n", e["type"].as_str().unwrap()))
            .collect::<String>()
            .into()
    }

    #[test]
    fn a_completed_stream_becomes_one_chat_completion() {
        let done = json!({"type": "response.completed", "response": {
            "id": "resp_1", "model": "gpt-5", "created_at": 7,
            "output": [{"type": "message", "content": [{"type": "output_text", "text": "Hello"}]}],
            "usage": {"input_tokens": 3, "output_tokens": 2, "total_tokens": 5}}});
        let s = stream(&[
            json!({"type": "response.created", "response": {}}),
            done.clone(),
        ]);
        let chat = assemble(s.clone(), Translation::ChatJson).unwrap();
        assert_eq!(chat["choices"][0]["message"]["content"], "Hello");
        assert_eq!(chat["choices"][0]["finish_reason"], "stop");
        assert_eq!(
            chat["usage"],
            json!({"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5})
        );
        let responses = assemble(s, Translation::ResponsesJson).unwrap();
        assert_eq!(responses, done["response"]);
    }

    #[test]
    fn items_come_from_output_item_events_when_the_completed_output_is_empty() {
        let item = |i: u64, text: &str| {
            json!({"type": "response.output_item.done", "output_index": i,
            "item": {"type": "message", "content": [{"type": "output_text", "text": text}]}})
        };
        let s = stream(&[
            item(1, " world"),
            item(0, "Hello"),
            json!({"type": "response.completed", "response": {"id": "r", "output": [], "usage": {}}}),
        ]);
        let chat = assemble(s, Translation::ChatJson).unwrap();
        assert_eq!(chat["choices"][0]["message"]["content"], "Hello world");
    }

    #[test]
    fn a_failed_stream_says_why() {
        let s = stream(&[
            json!({"type": "response.failed", "response": {"error": {"message": "quota"}}}),
        ]);
        assert_eq!(assemble(s, Translation::ChatJson).unwrap_err(), "quota");
    }
}

//! The Responses API for a local model server, spoken to it as chat completions (what every
//! local server speaks): the request becomes messages (request.rs), and the answer becomes a
//! Responses answer again — one JSON body (here), or the Responses events, chunk by chunk
//! (stream.rs). Reasoning items are not sent (a local model cannot read another's encrypted
//! reasoning); messages, function calls and their outputs are.

mod request;
mod stream;

use serde_json::{Value, json};

pub use request::to_chat;
pub use stream::ResponsesStream;

/// A chat completion as a completed Responses object.
pub fn response_from_chat(chat: &Value) -> Value {
    let choice = &chat["choices"][0];
    let message = &choice["message"];
    let mut output = Vec::new();
    if let Some(text) = message["content"].as_str().filter(|t| !t.is_empty()) {
        output.push(message_item(
            &crate::conversations::new_id("msg"),
            text,
            "completed",
        ));
    }
    for call in message["tool_calls"].as_array().into_iter().flatten() {
        output.push(json!({
            "type": "function_call", "id": crate::conversations::new_id("fc"),
            "call_id": call["id"], "name": call["function"]["name"],
            "arguments": call["function"]["arguments"], "status": "completed"
        }));
    }
    let (status, incomplete) = match choice["finish_reason"].as_str() {
        Some("length") => ("incomplete", json!({"reason": "max_output_tokens"})),
        _ => ("completed", Value::Null),
    };
    let mut response = skeleton(
        &crate::conversations::new_id("resp"),
        chat["model"].as_str().unwrap_or_default(),
        chat["created"]
            .as_i64()
            .unwrap_or_else(crate::plan_board::now_secs),
        status,
    );
    response["output"] = Value::Array(output);
    response["incomplete_details"] = incomplete;
    response["usage"] = usage(&chat["usage"]);
    response
}

/// A response object with no output yet.
pub(crate) fn skeleton(id: &str, model: &str, created_at: i64, status: &str) -> Value {
    json!({
        "id": id, "object": "response", "created_at": created_at, "status": status,
        "model": model, "output": [], "parallel_tool_calls": true, "tool_choice": "auto",
        "tools": [], "usage": null, "error": null, "incomplete_details": null,
        "instructions": null, "metadata": {}
    })
}

pub(crate) fn message_item(id: &str, text: &str, status: &str) -> Value {
    json!({
        "type": "message", "id": id, "status": status, "role": "assistant",
        "content": [{"type": "output_text", "text": text, "annotations": []}]
    })
}

/// Chat usage in the Responses API's words.
pub(crate) fn usage(chat: &Value) -> Value {
    if !chat.is_object() {
        return Value::Null;
    }
    let input = chat["prompt_tokens"].as_u64().unwrap_or(0);
    let output = chat["completion_tokens"].as_u64().unwrap_or(0);
    json!({
        "input_tokens": input,
        "input_tokens_details": {"cached_tokens": chat["prompt_tokens_details"]["cached_tokens"].as_u64().unwrap_or(0)},
        "output_tokens": output,
        "output_tokens_details": {"reasoning_tokens": chat["completion_tokens_details"]["reasoning_tokens"].as_u64().unwrap_or(0)},
        "total_tokens": chat["total_tokens"].as_u64().unwrap_or(input + output)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chat_answer_becomes_a_response_with_its_text_calls_and_usage() {
        let chat = json!({"id": "chatcmpl-1", "model": "llama3.2", "created": 7, "choices": [{
            "message": {"role": "assistant", "content": "Hi",
                        "tool_calls": [{"id": "call_1", "type": "function",
                                        "function": {"name": "get_time", "arguments": "{}"}}]},
            "finish_reason": "tool_calls"}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}});
        let response = response_from_chat(&chat);
        assert_eq!(response["object"], "response");
        assert_eq!(response["status"], "completed");
        assert_eq!(response["output"][0]["content"][0]["text"], "Hi");
        assert_eq!(response["output"][1]["call_id"], "call_1");
        assert_eq!(response["usage"]["total_tokens"], 8);
        let cut = json!({"choices": [{"message": {"content": "Hel"}, "finish_reason": "length"}]});
        assert_eq!(response_from_chat(&cut)["status"], "incomplete");
    }
}

//! The backend's Responses events as chat-completion chunks, one event at a time (nothing is
//! held back: each text delta becomes a chunk as soon as it arrives).

use std::collections::VecDeque;

use bytes::Bytes;
use serde_json::{Value, json};

pub struct ChatStream {
    include_usage: bool,
    id: String,
    model: Value,
    created: Value,
    started: bool,
    /// Function-call item ids, in the order their tool-call indexes were given.
    tool_items: Vec<String>,
    finished: bool,
}

impl ChatStream {
    pub fn new(include_usage: bool) -> Self {
        Self {
            include_usage,
            id: "chatcmpl-clawbox".into(),
            model: Value::Null,
            created: json!(0),
            started: false,
            tool_items: Vec::new(),
            finished: false,
        }
    }

    /// Translates one upstream event's data into the frames the client receives.
    pub fn translate(&mut self, data: &[u8], out: &mut VecDeque<Bytes>) {
        let Ok(event) = serde_json::from_slice::<Value>(data) else {
            return;
        };
        match event["type"].as_str().unwrap_or("") {
            "response.created" => {
                let r = &event["response"];
                if let Some(id) = r["id"].as_str() {
                    self.id = format!("chatcmpl-{id}");
                }
                self.model = r["model"].clone();
                self.created = r["created_at"].clone();
                self.start(out);
            }
            "response.output_text.delta" => {
                self.start(out);
                self.chunk(out, json!({"content": event["delta"]}), Value::Null);
            }
            "response.output_item.added" if event["item"]["type"] == "function_call" => {
                self.start(out);
                let item = &event["item"];
                let index = self.tool_items.len();
                self.tool_items
                    .push(item["id"].as_str().unwrap_or_default().to_owned());
                let call = json!([{"index": index, "id": item["call_id"], "type": "function",
                    "function": {"name": item["name"], "arguments": ""}}]);
                self.chunk(out, json!({"tool_calls": call}), Value::Null);
            }
            "response.function_call_arguments.delta" => {
                let item = event["item_id"].as_str().unwrap_or_default();
                let index = self.tool_items.iter().position(|i| i == item).unwrap_or(0);
                let call = json!([{"index": index, "function": {"arguments": event["delta"]}}]);
                self.chunk(out, json!({"tool_calls": call}), Value::Null);
            }
            "response.completed" | "response.incomplete" => {
                let r = &event["response"];
                let reason = if !self.tool_items.is_empty() {
                    "tool_calls"
                } else if r["incomplete_details"]["reason"] == "max_output_tokens" {
                    "length"
                } else {
                    "stop"
                };
                self.chunk(out, json!({}), json!(reason));
                if self.include_usage {
                    let mut usage_chunk = self.base();
                    usage_chunk["choices"] = json!([]);
                    usage_chunk["usage"] = chat_usage(&r["usage"]);
                    out.push_back(frame(&usage_chunk));
                }
                self.done(out);
            }
            "response.failed" | "error" => {
                let message = event["response"]["error"]["message"]
                    .as_str()
                    .or(event["message"].as_str())
                    .unwrap_or("ChatGPT could not complete the answer");
                out.push_back(frame(
                    &json!({"error": {"message": message, "type": "api_error"}}),
                ));
                self.done(out);
            }
            _ => {}
        }
    }

    /// The upstream ended: a stream that never completed says so rather than stopping mid-air.
    pub fn finish(&mut self, out: &mut VecDeque<Bytes>) {
        if !self.finished {
            let error =
                json!({"error": {"message": "ChatGPT's answer ended early", "type": "api_error"}});
            out.push_back(frame(&error));
            self.done(out);
        }
    }

    fn start(&mut self, out: &mut VecDeque<Bytes>) {
        if !self.started {
            self.started = true;
            self.chunk(
                out,
                json!({"role": "assistant", "content": ""}),
                Value::Null,
            );
        }
    }

    fn base(&self) -> Value {
        json!({"id": self.id, "object": "chat.completion.chunk", "created": self.created,
               "model": self.model})
    }

    fn chunk(&self, out: &mut VecDeque<Bytes>, delta: Value, finish_reason: Value) {
        let mut chunk = self.base();
        chunk["choices"] = json!([{"index": 0, "delta": delta, "finish_reason": finish_reason}]);
        out.push_back(frame(&chunk));
    }

    fn done(&mut self, out: &mut VecDeque<Bytes>) {
        self.finished = true;
        out.push_back(Bytes::from_static(b"data: [DONE]\n\n"));
    }
}

/// Responses usage in chat-completions terms, cached and reasoning tokens included.
pub fn chat_usage(usage: &Value) -> Value {
    let mut chat = json!({
        "prompt_tokens": usage["input_tokens"],
        "completion_tokens": usage["output_tokens"],
        "total_tokens": usage["total_tokens"],
    });
    let cached = &usage["input_tokens_details"]["cached_tokens"];
    if !cached.is_null() {
        chat["prompt_tokens_details"] = json!({"cached_tokens": cached});
    }
    let reasoning = &usage["output_tokens_details"]["reasoning_tokens"];
    if !reasoning.is_null() {
        chat["completion_tokens_details"] = json!({"reasoning_tokens": reasoning});
    }
    chat
}

fn frame(value: &Value) -> Bytes {
    format!("data: {value}\n\n").into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(events: &[Value], include_usage: bool) -> Vec<Value> {
        let mut t = ChatStream::new(include_usage);
        let mut out = VecDeque::new();
        for e in events {
            t.translate(e.to_string().as_bytes(), &mut out);
        }
        t.finish(&mut out);
        out.iter()
            .map(|b| {
                let text = std::str::from_utf8(b).unwrap();
                let data = text.strip_prefix("data: ").unwrap().trim_end();
                if data == "[DONE]" {
                    json!("[DONE]")
                } else {
                    serde_json::from_str(data).unwrap()
                }
            })
            .collect()
    }

    #[test]
    fn text_deltas_become_content_chunks_then_stop_usage_and_done() {
        let out = run(
            &[
                json!({"type": "response.created", "response": {"id": "resp_1", "model": "gpt-5", "created_at": 7}}),
                json!({"type": "response.output_text.delta", "delta": "Hel"}),
                json!({"type": "response.output_text.delta", "delta": "lo"}),
                json!({"type": "response.completed", "response": {"usage": {"input_tokens": 3, "output_tokens": 2, "total_tokens": 5}}}),
            ],
            true,
        );
        assert_eq!(out[0]["choices"][0]["delta"]["role"], "assistant");
        assert_eq!(out[0]["id"], "chatcmpl-resp_1");
        assert_eq!(out[1]["choices"][0]["delta"]["content"], "Hel");
        assert_eq!(out[2]["choices"][0]["delta"]["content"], "lo");
        assert_eq!(out[3]["choices"][0]["finish_reason"], "stop");
        assert_eq!(out[4]["choices"], json!([]));
        assert_eq!(out[4]["usage"]["total_tokens"], 5);
        let detailed = chat_usage(
            &json!({"input_tokens": 9, "input_tokens_details": {"cached_tokens": 8},
            "output_tokens": 3, "output_tokens_details": {"reasoning_tokens": 2}, "total_tokens": 12}),
        );
        assert_eq!(detailed["prompt_tokens_details"]["cached_tokens"], 8);
        assert_eq!(detailed["completion_tokens_details"]["reasoning_tokens"], 2);
        assert_eq!(out[5], "[DONE]");
        assert_eq!(out.len(), 6);
    }

    #[test]
    fn function_calls_become_tool_call_chunks() {
        let out = run(
            &[
                json!({"type": "response.output_item.added", "item": {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "get_weather"}}),
                json!({"type": "response.function_call_arguments.delta", "item_id": "fc_1", "delta": "{\"city\""}),
                json!({"type": "response.function_call_arguments.delta", "item_id": "fc_1", "delta": ":\"Austin\"}"}),
                json!({"type": "response.completed", "response": {"usage": {}}}),
            ],
            false,
        );
        let call = &out[1]["choices"][0]["delta"]["tool_calls"][0];
        assert_eq!(
            (call["index"].clone(), call["id"].clone()),
            (json!(0), json!("call_1"))
        );
        assert_eq!(call["function"]["name"], "get_weather");
        let args: String = out[2..4]
            .iter()
            .map(|c| {
                c["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_eq!(args, r#"{"city":"Austin"}"#);
        assert_eq!(out[4]["choices"][0]["finish_reason"], "tool_calls");
        assert_eq!(out.last().unwrap(), "[DONE]");
    }

    #[test]
    fn a_failed_or_cut_answer_ends_with_an_error_not_silence() {
        let out = run(
            &[json!({"type": "response.failed", "response": {"error": {"message": "boom"}}})],
            false,
        );
        assert_eq!(out[0]["error"]["message"], "boom");
        assert_eq!(out[1], "[DONE]");
        let out = run(
            &[json!({"type": "response.output_text.delta", "delta": "Hi"})],
            false,
        );
        assert_eq!(out.last().unwrap(), "[DONE]");
        assert!(
            out[out.len() - 2]["error"]["message"]
                .as_str()
                .unwrap()
                .contains("ended early")
        );
    }
}

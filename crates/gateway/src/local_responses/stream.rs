//! Chat-completion chunks as the Responses API's events: `response.created`, the message's
//! text deltas, each function call's argument deltas, each item done, then
//! `response.completed` with the whole output and the usage — what a Responses client (the
//! OpenAI SDK's stream helper, the Agents SDK) reads.

use std::collections::VecDeque;

use bytes::Bytes;
use serde_json::{Value, json};

use super::{message_item, skeleton, usage};
use crate::conversations::new_id;

struct Call {
    id: String,
    call_id: String,
    name: String,
    arguments: String,
    output_index: u64,
}

pub struct ResponsesStream {
    id: String,
    model: String,
    created_at: i64,
    started: bool,
    sequence: u64,
    next_index: u64,
    /// The message being written: its id, output index and text so far.
    message: Option<(String, u64, String)>,
    /// Function calls by the chunk's tool-call index.
    calls: Vec<(u64, Call)>,
    finish_reason: Option<String>,
    usage: Value,
}

impl Default for ResponsesStream {
    fn default() -> Self {
        ResponsesStream {
            id: new_id("resp"),
            model: String::new(),
            created_at: crate::plan_board::now_secs(),
            started: false,
            sequence: 0,
            next_index: 0,
            message: None,
            calls: Vec::new(),
            finish_reason: None,
            usage: Value::Null,
        }
    }
}

impl ResponsesStream {
    /// One chunk's `data`; the events it makes are queued on `out`.
    pub fn translate(&mut self, data: &[u8], out: &mut VecDeque<Bytes>) {
        if data == b"[DONE]" {
            return;
        }
        let Ok(chunk) = serde_json::from_slice::<Value>(data) else {
            return;
        };
        if !self.started {
            self.started = true;
            if let Some(model) = chunk["model"].as_str() {
                model.clone_into(&mut self.model);
            }
            let response = skeleton(&self.id, &self.model, self.created_at, "in_progress");
            self.emit(out, "response.created", json!({"response": response}));
            self.emit(out, "response.in_progress", json!({"response": response}));
        }
        if chunk["usage"].is_object() {
            self.usage = usage(&chunk["usage"]);
        }
        let Some(choice) = chunk["choices"].get(0) else {
            return;
        };
        if let Some(text) = choice["delta"]["content"]
            .as_str()
            .filter(|t| !t.is_empty())
        {
            self.text(text, out);
        }
        for call in choice["delta"]["tool_calls"]
            .as_array()
            .into_iter()
            .flatten()
        {
            self.call(call, out);
        }
        if let Some(reason) = choice["finish_reason"].as_str() {
            self.finish_reason = Some(reason.to_owned());
        }
    }

    /// The chunks ended: close what is open and complete the response.
    pub fn finish(&mut self, out: &mut VecDeque<Bytes>) {
        if !self.started {
            return;
        }
        let mut output: Vec<(u64, Value)> = Vec::new();
        if let Some((id, index, text)) = self.message.take() {
            let part = json!({"type": "output_text", "text": text, "annotations": []});
            self.emit(
                out,
                "response.output_text.done",
                json!({"item_id": id, "output_index": index, "content_index": 0, "text": text}),
            );
            self.emit(
                out,
                "response.content_part.done",
                json!({"item_id": id, "output_index": index, "content_index": 0, "part": part}),
            );
            let item = message_item(&id, &text, "completed");
            self.emit(
                out,
                "response.output_item.done",
                json!({"output_index": index, "item": item}),
            );
            output.push((index, item));
        }
        for (_, call) in std::mem::take(&mut self.calls) {
            self.emit(out, "response.function_call_arguments.done", json!({"item_id": call.id, "output_index": call.output_index, "arguments": call.arguments}));
            let item = json!({"type": "function_call", "id": call.id, "call_id": call.call_id,
                              "name": call.name, "arguments": call.arguments, "status": "completed"});
            self.emit(
                out,
                "response.output_item.done",
                json!({"output_index": call.output_index, "item": item}),
            );
            output.push((call.output_index, item));
        }
        output.sort_by_key(|(index, _)| *index);
        if self.finish_reason.is_none() {
            // Cut short (the server stopped, or failed mid-answer): not a completed response.
            let mut response = skeleton(&self.id, &self.model, self.created_at, "failed");
            response["output"] = Value::Array(output.into_iter().map(|(_, item)| item).collect());
            response["error"] = json!({"code": "server_error",
                "message": "the local model server's answer ended before it was complete"});
            self.emit(out, "response.failed", json!({"response": response}));
            return;
        }
        let incomplete = self.finish_reason.as_deref() == Some("length");
        let mut response = skeleton(
            &self.id,
            &self.model,
            self.created_at,
            if incomplete {
                "incomplete"
            } else {
                "completed"
            },
        );
        response["output"] = Value::Array(output.into_iter().map(|(_, item)| item).collect());
        response["usage"] = self.usage.clone();
        if incomplete {
            response["incomplete_details"] = json!({"reason": "max_output_tokens"});
        }
        let kind = if incomplete {
            "response.incomplete"
        } else {
            "response.completed"
        };
        self.emit(out, kind, json!({"response": response}));
    }

    fn text(&mut self, text: &str, out: &mut VecDeque<Bytes>) {
        if self.message.is_none() {
            let id = new_id("msg");
            let index = self.take_index();
            let mut item = message_item(&id, "", "in_progress");
            item["content"] = json!([]);
            self.emit(
                out,
                "response.output_item.added",
                json!({"output_index": index, "item": item}),
            );
            self.emit(
                out,
                "response.content_part.added",
                json!({"item_id": id, "output_index": index, "content_index": 0,
                "part": {"type": "output_text", "text": "", "annotations": []}}),
            );
            self.message = Some((id, index, String::new()));
        }
        let Some((id, index, so_far)) = self.message.as_mut() else {
            return;
        };
        so_far.push_str(text);
        let event = json!({"item_id": id.clone(), "output_index": *index, "content_index": 0, "delta": text});
        self.emit(out, "response.output_text.delta", event);
    }

    fn call(&mut self, delta: &Value, out: &mut VecDeque<Bytes>) {
        let at = delta["index"].as_u64().unwrap_or(0);
        if !self.calls.iter().any(|(i, _)| *i == at) {
            let call = Call {
                id: new_id("fc"),
                call_id: delta["id"]
                    .as_str()
                    .map_or_else(|| new_id("call"), str::to_owned),
                name: delta["function"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                arguments: String::new(),
                output_index: self.take_index(),
            };
            let item = json!({"type": "function_call", "id": call.id, "call_id": call.call_id,
                              "name": call.name, "arguments": "", "status": "in_progress"});
            self.emit(
                out,
                "response.output_item.added",
                json!({"output_index": call.output_index, "item": item}),
            );
            self.calls.push((at, call));
        }
        let Some(pieces) = delta["function"]["arguments"]
            .as_str()
            .filter(|a| !a.is_empty())
        else {
            return;
        };
        let Some((_, call)) = self.calls.iter_mut().find(|(i, _)| *i == at) else {
            return;
        };
        call.arguments.push_str(pieces);
        let event = json!({"item_id": call.id, "output_index": call.output_index, "delta": pieces});
        self.emit(out, "response.function_call_arguments.delta", event);
    }

    fn take_index(&mut self) -> u64 {
        let index = self.next_index;
        self.next_index += 1;
        index
    }

    fn emit(&mut self, out: &mut VecDeque<Bytes>, kind: &str, mut data: Value) {
        data["type"] = json!(kind);
        data["sequence_number"] = json!(self.sequence);
        self.sequence += 1;
        out.push_back(Bytes::from(format!("event: {kind}\ndata: {data}\n\n")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(chunks: &[Value]) -> Vec<Value> {
        let mut stream = ResponsesStream::default();
        let mut out = VecDeque::new();
        for chunk in chunks {
            stream.translate(chunk.to_string().as_bytes(), &mut out);
        }
        stream.translate(b"[DONE]", &mut out);
        stream.finish(&mut out);
        out.iter()
            .map(|e| {
                let text = String::from_utf8_lossy(e);
                serde_json::from_str(text.split_once("data: ").unwrap().1.trim()).unwrap()
            })
            .collect()
    }

    #[test]
    fn an_answer_cut_short_fails_rather_than_completes() {
        let out = events(&[json!({"model": "m", "choices": [{"delta": {"content": "Hal"}}]})]);
        assert_eq!(out.last().unwrap()["type"], "response.failed");
        assert!(out.iter().all(|e| e["type"] != "response.completed"));
    }

    #[test]
    fn text_and_a_tool_call_stream_as_responses_events() {
        let out = events(&[
            json!({"model": "llama3.2", "choices": [{"delta": {"role": "assistant", "content": "It is "}}]}),
            json!({"choices": [{"delta": {"content": "sunny."}}]}),
            json!({"choices": [{"delta": {"tool_calls": [{"index": 0, "id": "call_9", "function": {"name": "get_time", "arguments": "{\"ci"}}]}}]}),
            json!({"choices": [{"delta": {"tool_calls": [{"index": 0, "function": {"arguments": "ty\":\"A\"}"}}]}, "finish_reason": "tool_calls"}]}),
            json!({"choices": [], "usage": {"prompt_tokens": 4, "completion_tokens": 6, "total_tokens": 10}}),
        ]);
        let kinds: Vec<&str> = out.iter().map(|e| e["type"].as_str().unwrap()).collect();
        assert_eq!(kinds.first(), Some(&"response.created"));
        assert_eq!(kinds.last(), Some(&"response.completed"));
        let deltas: String = out
            .iter()
            .filter(|e| e["type"] == "response.output_text.delta")
            .map(|e| e["delta"].as_str().unwrap())
            .collect();
        assert_eq!(deltas, "It is sunny.");
        let done = out.last().unwrap();
        assert_eq!(
            done["response"]["output"][0]["content"][0]["text"],
            "It is sunny."
        );
        assert_eq!(done["response"]["output"][1]["call_id"], "call_9");
        assert_eq!(
            done["response"]["output"][1]["arguments"],
            "{\"city\":\"A\"}"
        );
        assert_eq!(done["response"]["usage"]["total_tokens"], 10);
        let numbers: Vec<u64> = out
            .iter()
            .map(|e| e["sequence_number"].as_u64().unwrap())
            .collect();
        assert!(numbers.windows(2).all(|w| w[1] == w[0] + 1));
    }
}

//! The response side: the upstream's response id becomes ClawBox's in every event (and in a
//! JSON answer), and the completed response — its output items gathered from
//! `response.output_item.done`, since an upstream asked to keep nothing sends
//! `response.completed` with an empty `output` — is kept when the answer ends. Without a
//! [`Keep`] (a ChatGPT answer not to keep), it only fills that `output` for the client.

use bytes::Bytes;
use clawbox_conversations::StoredResponse;
use serde_json::Value;

use super::Keep;
use crate::sse;

pub struct Keeper {
    keep: Option<Keep>,
    items: Vec<(u64, Value)>,
    completed: Option<Value>,
}

impl Keeper {
    pub fn new(keep: Keep) -> Keeper {
        Keeper {
            keep: Some(keep),
            items: Vec::new(),
            completed: None,
        }
    }

    /// For an answer not to keep: only the completed event's `output` is filled, as OpenAI
    /// sends it (the OpenAI SDK's stream helper reads its final response from it).
    pub fn filler() -> Keeper {
        Keeper {
            keep: None,
            items: Vec::new(),
            completed: None,
        }
    }

    /// One SSE event, as the client receives it: a `response.*` lifecycle event with
    /// ClawBox's id; any other event as it came.
    pub fn event(&mut self, event: Bytes) -> Bytes {
        let Some(data) = sse::data(&event) else {
            return event;
        };
        let Ok(mut value) = serde_json::from_slice::<Value>(&data) else {
            return event;
        };
        let kind = value["type"].as_str().unwrap_or_default().to_owned();
        if kind == "response.output_item.done" {
            let index = value["output_index"]
                .as_u64()
                .unwrap_or(self.items.len() as u64);
            self.items.push((index, value["item"].clone()));
            return event;
        }
        if !kind.starts_with("response.") || !value["response"].is_object() {
            return event;
        }
        self.own(&mut value["response"]);
        if kind == "response.completed" || kind == "response.incomplete" {
            // The client gets the output the upstream left out (as OpenAI sends it).
            self.fill_output(&mut value["response"]);
            self.completed = Some(value["response"].clone());
            self.keep_completed();
        }
        let mut out = Vec::with_capacity(event.len() + 16);
        // The lines before the data (`event: …`) stay as they were.
        for line in event.split(|b| *b == b'\n') {
            if line.starts_with(b"event:") || line.starts_with(b"id:") {
                out.extend_from_slice(line);
                out.push(b'\n');
            }
        }
        out.extend_from_slice(b"data: ");
        out.extend_from_slice(value.to_string().as_bytes());
        out.extend_from_slice(b"\n\n");
        Bytes::from(out)
    }

    /// A whole JSON response: ClawBox's id in it, and it is the completed response.
    pub fn json(&mut self, response: &mut Value) {
        if response.is_object() {
            self.own(response);
            self.completed = Some(response.clone());
        }
    }

    /// The response as OpenAI would have returned it: ClawBox's id, kept, and the response it
    /// continued.
    fn own(&self, response: &mut Value) {
        let Some(keep) = &self.keep else {
            return;
        };
        response["id"] = Value::String(keep.id.clone());
        response["store"] = Value::Bool(keep.store);
        if let Some(parent) = &keep.parent {
            response["previous_response_id"] = Value::String(parent.clone());
        }
        if let Some(conversation) = &keep.conversation {
            response["conversation"] = serde_json::json!({"id": conversation});
        }
    }

    /// An upstream asked to keep nothing sends the completed response with an empty `output`:
    /// the items gathered from `response.output_item.done`, in order, fill it.
    fn fill_output(&self, response: &mut Value) {
        if response["output"].as_array().is_none_or(Vec::is_empty) && !self.items.is_empty() {
            let mut items = self.items.clone();
            items.sort_by_key(|(index, _)| *index);
            response["output"] = Value::Array(items.into_iter().map(|(_, item)| item).collect());
        }
    }

    /// The answer ended: keep it if it completed (and was not kept already).
    pub fn finish(mut self) {
        self.keep_completed();
    }

    /// Queues the completed response for keeping — as soon as it is known, before the client
    /// reads its end, so that the client's next request finds it (readers wait for the queue).
    fn keep_completed(&mut self) {
        let Some(mut response) = self.completed.clone() else {
            return;
        };
        self.fill_output(&mut response);
        let Some(keep) = self.keep.take() else {
            return;
        };
        if let Some(conversation) = &keep.conversation {
            // The turn joins its conversation: what was asked, then what was answered.
            let output = response["output"].as_array().cloned().unwrap_or_default();
            let items = keep.input.iter().cloned().chain(output).collect();
            keep.conversations
                .append(keep.owner.clone(), conversation.clone(), items);
        }
        if !keep.store {
            return;
        }
        keep.conversations.keep(
            keep.owner,
            StoredResponse {
                id: keep.id,
                parent: keep.parent,
                conversation: keep.conversation,
                created_at: keep.created_at,
                instructions: keep.instructions,
                input: keep.input,
                response,
            },
        );
    }
}

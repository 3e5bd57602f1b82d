//! The request side: on a route whose upstream keeps nothing, `previous_response_id` becomes the
//! chain's items in `input` (oldest first: each turn's input, then its output — reasoning
//! before the call it belongs to, as the model produced them), and the upstream is asked to keep
//! nothing (`store: false`) and to return reasoning encrypted so it can be replayed. What the
//! answer must be kept as is a [`Keep`], carried to the response side.

use std::sync::Arc;

use axum::http::Method;
use axum::http::request::Parts;
use bytes::Bytes;
use clawbox_conversations::Owner;
use serde_json::{Map, Value, json};

use super::{Conversations, new_id};
use crate::Error;
use crate::config::{Config, Mode};
use crate::stages::{Caller, RequestBody, Route, Upstream};

/// The longest chain replayed (responses), and the largest request it may make.
const MAX_CHAIN: usize = 10_000;
const MAX_EXPANDED_BYTES: usize = 32 * 1024 * 1024;
const MAX_CONVERSATION_ITEMS: usize = 100_000;

/// How the answer to this request is to be kept.
pub struct Keep {
    /// ClawBox's id for the answer, which replaces the upstream's.
    pub id: String,
    pub owner: Owner,
    pub parent: Option<String>,
    /// The conversation the turn is added to (the `conversation` parameter).
    pub conversation: Option<String>,
    /// Keep the response itself (`store` was not false).
    pub store: bool,
    pub instructions: Option<Value>,
    /// The request's own input items (not the replayed chain).
    pub input: Vec<Value>,
    pub created_at: i64,
    pub conversations: Arc<Conversations>,
}

/// Whether ClawBox keeps the Responses API's state for this route.
fn keeps_state(config: &Config, route: &Route) -> bool {
    config.mode == Mode::Local
        && matches!(
            route.upstream,
            Upstream::Codex | Upstream::Ollama | Upstream::Named(_)
        )
}

/// Rewrites a Responses request for a stateless upstream; anything else goes as it came.
pub async fn prepare(
    conversations: &Arc<Conversations>,
    config: &Config,
    parts: &Parts,
    route: &Route,
    caller: &Caller,
    mut body: RequestBody,
) -> Result<(RequestBody, Option<Keep>), Error> {
    if parts.method != Method::POST
        || parts.uri.path() != "/v1/responses"
        || !keeps_state(config, route)
    {
        return Ok((body, None));
    }
    let Ok(Value::Object(mut request)) = serde_json::from_slice::<Value>(&body.bytes) else {
        return Ok((body, None));
    };
    let parent = match request.get("previous_response_id") {
        Some(Value::String(id)) => Some(id.clone()),
        _ => None,
    };
    // `conversation`: an id, or an object with one.
    let conversation = match request.get("conversation") {
        Some(Value::String(id)) => Some(id.clone()),
        Some(Value::Object(c)) => c.get("id").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    };
    if parent.is_some() && conversation.is_some() {
        return Err(Error::TwoWaysToContinue);
    }
    let wants_store =
        config.keep_conversations && request.get("store") != Some(&Value::Bool(false));
    let store = conversations.store();
    if parent.is_none() && conversation.is_none() && !(wants_store && store.is_some()) {
        return Ok((body, None));
    }
    request.remove("previous_response_id");
    request.remove("conversation");
    let owner = super::owner_of(caller, parts);
    let own_input = input_items(request.remove("input"));
    let mut input = if parent.is_some() || conversation.is_some() {
        // SQLite and decryption, off the async workers.
        let (kept, owner, parent, conversation) = (
            Arc::clone(conversations),
            owner.clone(),
            parent.clone(),
            conversation.clone(),
        );
        tokio::task::spawn_blocking(move || {
            history(&kept, &owner, parent.as_deref(), conversation.as_deref())
        })
        .await
        .map_err(|e| Error::ConversationStore {
            reason: e.to_string(),
        })??
    } else {
        Vec::new()
    };
    input.extend(own_input.iter().cloned());
    let instructions = request.get("instructions").cloned();
    request.insert("input".into(), Value::Array(input));
    request.insert("store".into(), Value::Bool(false));
    ask_for_encrypted_reasoning(&mut request);
    let bytes = serde_json::to_vec(&request).map_err(|e| Error::BadJson {
        detail: e.to_string(),
    })?;
    if bytes.len() > MAX_EXPANDED_BYTES {
        return Err(Error::ConversationTooLong {
            detail: format!(
                "replayed in full it would be {} MB, more than ClawBox sends",
                bytes.len() >> 20
            ),
        });
    }
    body.bytes = Bytes::from(bytes);
    let keep = ((wants_store || conversation.is_some()) && store.is_some()).then(|| Keep {
        id: new_id("resp"),
        owner,
        parent,
        conversation,
        store: wants_store,
        instructions,
        input: own_input,
        created_at: crate::plan_board::now_secs(),
        conversations: Arc::clone(conversations),
    });
    Ok((body, keep))
}

/// The items a continued response replays: the chain ending at `parent`, or the conversation's
/// items, oldest first. Blocking (SQLite); it first waits for turns still being written, so a
/// client continuing the answer it just got always finds it.
fn history(
    conversations: &Conversations,
    owner: &Owner,
    parent: Option<&str>,
    conversation: Option<&str>,
) -> Result<Vec<Value>, Error> {
    let store = conversations
        .store()
        .ok_or_else(|| Error::ConversationsUnavailable {
            reason: conversations.problem().unwrap_or_default().to_owned(),
        })?;
    conversations.flush();
    let failed = |e: clawbox_conversations::ConversationError| Error::ConversationStore {
        reason: e.to_string(),
    };
    let mut input = Vec::new();
    if let Some(parent) = parent {
        let chain = store
            .chain(owner, parent, MAX_CHAIN)
            .map_err(failed)?
            .ok_or_else(|| Error::PreviousResponseNotFound {
                id: parent.to_owned(),
            })?
            .map_err(|max| Error::ConversationTooLong {
                detail: format!("it is more than {max} responses long"),
            })?;
        for turn in chain {
            input.extend(turn.input.iter().cloned().map(replayable));
            input.extend(
                turn.output()
                    .iter()
                    .filter(|item| keeps(item))
                    .cloned()
                    .map(replayable),
            );
        }
    }
    if let Some(id) = conversation {
        store
            .conversation(owner, id)
            .map_err(failed)?
            .ok_or_else(|| Error::ConversationNotFound { id: id.to_owned() })?;
        let items = store
            .items(owner, id, None, MAX_CONVERSATION_ITEMS + 1, false)
            .map_err(failed)?;
        if items.len() > MAX_CONVERSATION_ITEMS {
            return Err(Error::ConversationTooLong {
                detail: format!("it has more than {MAX_CONVERSATION_ITEMS} items"),
            });
        }
        input.extend(
            items
                .into_iter()
                .map(|i| i.item)
                .filter(keeps)
                .map(replayable),
        );
    }
    Ok(input)
}

/// `input` as a list of items: a string is one user message, as OpenAI lists it.
fn input_items(input: Option<Value>) -> Vec<Value> {
    match input {
        Some(Value::String(text)) => vec![json!({
            "type": "message", "role": "user",
            "content": [{"type": "input_text", "text": text}]
        })],
        Some(Value::Array(items)) => items,
        Some(other) => vec![other],
        None => Vec::new(),
    }
}

/// Output items worth replaying: reasoning only with its encrypted content (without it the
/// upstream cannot use it).
fn keeps(item: &Value) -> bool {
    item["type"] != "reasoning" || item["encrypted_content"].is_string()
}

/// An item as the upstream can take it back: without the id it gave it (with `store: false` it
/// kept nothing under that id). Calls keep their `call_id`.
pub(crate) fn replayable(mut item: Value) -> Value {
    if let Value::Object(fields) = &mut item {
        fields.remove("id");
        fields.remove("status");
    }
    item
}

fn ask_for_encrypted_reasoning(request: &mut Map<String, Value>) {
    const WANTED: &str = "reasoning.encrypted_content";
    let include = request
        .entry("include")
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(list) = include
        && !list.iter().any(|v| v == WANTED)
    {
        list.push(json!(WANTED));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replayed_items_lose_their_ids_and_reasoning_needs_its_content() {
        let call = json!({"type": "function_call", "id": "fc_1", "call_id": "call_1", "status": "completed"});
        assert_eq!(
            replayable(call),
            json!({"type": "function_call", "call_id": "call_1"})
        );
        assert!(keeps(
            &json!({"type": "reasoning", "encrypted_content": "x"})
        ));
        assert!(!keeps(&json!({"type": "reasoning", "summary": []})));
        assert_eq!(
            input_items(Some(json!("hi")))[0]["content"][0]["text"],
            "hi"
        );
        let mut request = Map::new();
        request.insert("include".into(), json!(["reasoning.encrypted_content"]));
        ask_for_encrypted_reasoning(&mut request);
        assert_eq!(request["include"], json!(["reasoning.encrypted_content"]));
    }
}

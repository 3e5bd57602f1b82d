//! The Conversations API (`/v1/conversations`: create, get, update its metadata, delete; its
//! items: list, add, get, delete), answered from ClawBox's store for callers whose requests go to
//! an upstream that keeps nothing. A caller with OpenAI itself to ask (its own key, or a saved
//! OpenAI key) is forwarded as before, unless the conversation is one ClawBox keeps.

use axum::http::Method;
use axum::http::request::Parts;
use clawbox_conversations::{Conversation, ConversationStore, Item, Owner};
use serde_json::{Value, json};

use super::{new_id, replayable_for_store};
use crate::Error;

const DEFAULT_PAGE: usize = 20;
const MAX_PAGE: usize = 100;
/// OpenAI takes at most this many items when a conversation is created.
const MAX_CREATE_ITEMS: usize = 20;

/// What a `/v1/conversations…` request asks (ids owned: it is answered off the async workers).
pub enum Asked {
    Create,
    Get(String),
    Update(String),
    Delete(String),
    Items(String),
    AddItems(String),
    Item(String, String),
    DeleteItem(String, String),
}

impl Asked {
    pub fn of(parts: &Parts) -> Option<Asked> {
        let path = parts.uri.path();
        let rest = path.strip_prefix("/v1/conversations")?;
        if !rest.is_empty() && !rest.starts_with('/') {
            return None;
        }
        let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
        let method = &parts.method;
        let own = |s: &&str| (*s).to_owned();
        Some(match (method, segments.as_slice()) {
            (&Method::POST, []) => Asked::Create,
            (&Method::GET, [id]) => Asked::Get(own(id)),
            (&Method::POST, [id]) => Asked::Update(own(id)),
            (&Method::DELETE, [id]) => Asked::Delete(own(id)),
            (&Method::GET, [id, "items"]) => Asked::Items(own(id)),
            (&Method::POST, [id, "items"]) => Asked::AddItems(own(id)),
            (&Method::GET, [id, "items", item]) => Asked::Item(own(id), own(item)),
            (&Method::DELETE, [id, "items", item]) => Asked::DeleteItem(own(id), own(item)),
            _ => return None,
        })
    }

    /// The conversation it names, if any.
    pub fn conversation(&self) -> Option<&str> {
        match self {
            Asked::Create => None,
            Asked::Get(id)
            | Asked::Update(id)
            | Asked::Delete(id)
            | Asked::Items(id)
            | Asked::AddItems(id)
            | Asked::Item(id, _)
            | Asked::DeleteItem(id, _) => Some(id),
        }
    }
}

/// Answers `asked` from the store.
pub fn answer(
    store: &ConversationStore,
    owner: &Owner,
    asked: &Asked,
    body: &[u8],
    query: &str,
) -> Result<Value, Error> {
    let failed = |e: clawbox_conversations::ConversationError| Error::ConversationStore {
        reason: e.to_string(),
    };
    let request: Value = if body.is_empty() {
        json!({})
    } else {
        serde_json::from_slice(body).map_err(|e| Error::BadJson {
            detail: e.to_string(),
        })?
    };
    let now = crate::plan_board::now_secs();
    let found = |id: &str| -> Result<Conversation, Error> {
        store
            .conversation(owner, id)
            .map_err(failed)?
            .ok_or_else(|| Error::ConversationNotFound { id: id.to_owned() })
    };
    match asked {
        Asked::Create => {
            let items = request["items"].as_array().cloned().unwrap_or_default();
            if items.len() > MAX_CREATE_ITEMS {
                return Err(Error::BadBody {
                    detail: format!(
                        "a conversation is created with at most {MAX_CREATE_ITEMS} items; add \
                         more with POST /v1/conversations/{{id}}/items"
                    ),
                });
            }
            let conversation = Conversation {
                id: new_id("conv"),
                created_at: now,
                metadata: metadata(&request)?,
            };
            store
                .create_conversation(owner, &conversation)
                .map_err(failed)?;
            store
                .add_items(owner, &conversation.id, &with_ids(items), now)
                .map_err(failed)?;
            Ok(object(&conversation))
        }
        Asked::Get(id) => Ok(object(&found(id)?)),
        Asked::Update(id) => {
            let mut conversation = found(id)?;
            conversation.metadata = metadata(&request)?;
            store
                .create_conversation(owner, &conversation)
                .map_err(failed)?;
            Ok(object(&conversation))
        }
        Asked::Delete(id) => {
            found(id)?;
            store.delete_conversation(owner, id).map_err(failed)?;
            Ok(json!({"id": id, "object": "conversation.deleted", "deleted": true}))
        }
        Asked::Items(id) => {
            found(id)?;
            let (limit, after, ascending) = paging(query);
            let mut page = store
                .items(owner, id, after.as_deref(), limit + 1, !ascending)
                .map_err(failed)?;
            let has_more = page.len() > limit;
            page.truncate(limit);
            Ok(list(&page, has_more))
        }
        Asked::AddItems(id) => {
            found(id)?;
            let items = request["items"].as_array().cloned().unwrap_or_default();
            let added = store
                .add_items(owner, id, &with_ids(items), now)
                .map_err(failed)?
                .unwrap_or_default();
            Ok(list(&added, false))
        }
        Asked::Item(id, item) => {
            found(id)?;
            let all = store
                .items(owner, id, None, usize::MAX >> 1, false)
                .map_err(failed)?;
            all.into_iter()
                .find(|i| i.id == *item)
                .map(|i| i.item)
                .ok_or_else(|| Error::ItemNotFound {
                    id: (*item).to_owned(),
                })
        }
        Asked::DeleteItem(id, item) => {
            let conversation = found(id)?;
            if !store.delete_item(owner, id, item).map_err(failed)? {
                return Err(Error::ItemNotFound {
                    id: (*item).to_owned(),
                });
            }
            Ok(object(&conversation))
        }
    }
}

fn metadata(request: &Value) -> Result<Value, Error> {
    match &request["metadata"] {
        Value::Null => Ok(json!({})),
        Value::Object(fields) if fields.len() <= 16 => Ok(Value::Object(fields.clone())),
        _ => Err(Error::BadBody {
            detail: "metadata is an object of at most 16 keys".into(),
        }),
    }
}

/// Items as kept: each with a fresh id of ClawBox's.
pub(crate) fn with_ids(items: Vec<Value>) -> Vec<(String, Value)> {
    items
        .into_iter()
        .map(|item| {
            let prefix = match item["type"].as_str() {
                Some("function_call") => "fc",
                Some("function_call_output") => "fco",
                Some("reasoning") => "rs",
                Some("message") | None => "msg",
                Some(_) => "item",
            };
            let id = new_id(prefix);
            let mut item = replayable_for_store(item);
            if item.is_object() {
                item["id"] = Value::String(id.clone());
                if item.get("type").is_none() {
                    item["type"] = json!("message");
                }
            }
            (id, item)
        })
        .collect()
}

fn object(conversation: &Conversation) -> Value {
    json!({"id": conversation.id, "object": "conversation",
           "created_at": conversation.created_at, "metadata": conversation.metadata})
}

fn list(items: &[Item], has_more: bool) -> Value {
    json!({
        "object": "list",
        "data": items.iter().map(|i| i.item.clone()).collect::<Vec<_>>(),
        "first_id": items.first().map(|i| i.id.clone()),
        "last_id": items.last().map(|i| i.id.clone()),
        "has_more": has_more,
    })
}

/// `limit`, `after` and `order` (desc unless `asc`, as OpenAI lists).
fn paging(query: &str) -> (usize, Option<String>, bool) {
    let mut limit = DEFAULT_PAGE;
    let mut after = None;
    let mut ascending = false;
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        match key.as_ref() {
            "limit" => limit = value.parse().unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE),
            "after" => after = Some(value.into_owned()),
            "order" => ascending = value == "asc",
            _ => {}
        }
    }
    (limit, after, ascending)
}

//! `GET /v1/responses/{id}`, `GET /v1/responses/{id}/input_items` and `DELETE
//! /v1/responses/{id}` for responses ClawBox kept, and the Conversations API
//! (conversation_api.rs), answered from the store. An id ClawBox did not keep is OpenAI's
//! business (forwarded as before), except for callers with no OpenAI to ask (the ChatGPT route,
//! local models): they get OpenAI's 404.

use std::sync::Arc;
use std::time::Duration;

use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::conversation_api::{self, Asked};
use super::owner_of;
use crate::codex::Translation;
use crate::config::{AuthMode, Config, Mode};
use crate::stages::can_ask_openai;
use crate::stages::{Caller, Credential, Forwarded, Upstream};
use crate::{Error, Gateway};

const DEFAULT_PAGE: usize = 20;
const MAX_PAGE: usize = 100;

/// The answer from the store, when this request is one it answers.
pub async fn answer_from_store(
    gateway: &Arc<Gateway>,
    config: &Config,
    parts: &Parts,
    caller: &Caller,
    body: &[u8],
) -> Result<Option<Forwarded>, Error> {
    if config.mode != Mode::Local {
        return Ok(None);
    }
    if let Some(asked) = Asked::of(parts) {
        return conversations(gateway, config, parts, caller, asked, body).await;
    }
    let Some(rest) = parts.uri.path().strip_prefix("/v1/responses/") else {
        return Ok(None);
    };
    let (id, input_items) = match rest.split_once('/') {
        None => (rest, false),
        Some((id, "input_items")) => (id, true),
        Some(_) => return Ok(None),
    };
    let wanted = matches!(
        (&parts.method, input_items),
        (&Method::GET, _) | (&Method::DELETE, false)
    );
    if !wanted || id.is_empty() {
        return Ok(None);
    }
    let owner = owner_of(caller, parts);
    let (kept, wanted_id, method) = (
        Arc::clone(&gateway.conversations),
        id.to_owned(),
        parts.method.clone(),
    );
    let query = parts.uri.query().unwrap_or_default().to_owned();
    // SQLite and decryption, off the async workers; turns still being written are waited for.
    let answer = blocking(move || {
        let Some(store) = kept.store() else {
            return Ok(None);
        };
        kept.flush();
        let Some(found) = store.response(&owner, &wanted_id).map_err(store_failed)? else {
            return Ok(None);
        };
        Ok(Some(match (&method, input_items) {
            (&Method::DELETE, _) => {
                store
                    .delete_response(&owner, &wanted_id)
                    .map_err(store_failed)?;
                json!({"id": wanted_id, "object": "response.deleted", "deleted": true})
            }
            (_, true) => page(&found.id, &found.input, &query),
            _ => found.response,
        }))
    })
    .await?;
    match answer {
        Some(body) => Ok(Some(answer_with(body))),
        // Not kept here: OpenAI's, if the caller has OpenAI to ask; otherwise OpenAI's 404.
        None if no_openai_to_ask(gateway, config, caller).await => {
            Err(Error::ResponseNotFound { id: id.to_owned() })
        }
        None => Ok(None),
    }
}

/// The Conversations API: from the store for a conversation kept here, or for a caller with no
/// OpenAI to ask; otherwise forwarded.
async fn conversations(
    gateway: &Arc<Gateway>,
    config: &Config,
    parts: &Parts,
    caller: &Caller,
    asked: Asked,
    body: &[u8],
) -> Result<Option<Forwarded>, Error> {
    let owner = owner_of(caller, parts);
    let kept = Arc::clone(&gateway.conversations);
    let named = asked.conversation().map(str::to_owned);
    let kept_here = {
        let (kept, owner) = (Arc::clone(&kept), owner.clone());
        blocking(move || match (kept.store(), named) {
            (Some(store), Some(id)) => Ok(store
                .conversation(&owner, &id)
                .map_err(store_failed)?
                .is_some()),
            _ => Ok(false),
        })
        .await?
    };
    if !kept_here && !no_openai_to_ask(gateway, config, caller).await {
        return Ok(None);
    }
    if kept.store().is_none() {
        return Err(Error::ConversationsUnavailable {
            reason: kept.problem().unwrap_or_default().to_owned(),
        });
    }
    let (body, query) = (
        body.to_vec(),
        parts.uri.query().unwrap_or_default().to_owned(),
    );
    let answer = blocking(move || {
        let store = kept
            .store()
            .ok_or_else(|| Error::ConversationsUnavailable {
                reason: String::new(),
            })?;
        kept.flush();
        conversation_api::answer(store, &owner, &asked, &body, &query)
    })
    .await?;
    Ok(Some(answer_with(answer)))
}

fn store_failed(e: clawbox_conversations::ConversationError) -> Error {
    Error::ConversationStore {
        reason: e.to_string(),
    }
}

/// Runs store work off the async workers.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Error::ConversationStore {
            reason: e.to_string(),
        })?
}

/// Whether the caller's requests for OpenAI's stored state cannot go to OpenAI: on the ChatGPT
/// route, or with no OpenAI key of its own or saved.
async fn no_openai_to_ask(gateway: &Arc<Gateway>, config: &Config, caller: &Caller) -> bool {
    let chatgpt_route =
        config.auth_mode == AuthMode::Codex && matches!(caller.credential, Credential::LocalKey(_));
    chatgpt_route || !can_ask_openai(gateway, caller).await
}

/// One page of a response's input items, as OpenAI lists them (`order` desc by default).
fn page(response_id: &str, input: &[Value], query: &str) -> Value {
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
    let suffix = response_id.strip_prefix("resp_").unwrap_or(response_id);
    let mut items: Vec<Value> = input
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let mut item = item.clone();
            if item.get("id").is_none() && item.is_object() {
                // Items the client sent without an id get a stable one, as OpenAI gives them.
                item["id"] = Value::String(format!("msg_{suffix}{i:04}"));
            }
            if item.get("type").is_none() && item.get("role").is_some() {
                item["type"] = json!("message");
            }
            item
        })
        .collect();
    if !ascending {
        items.reverse();
    }
    let start = after
        .and_then(|after| items.iter().position(|i| i["id"] == after.as_str()))
        .map_or(0, |at| at + 1);
    let rest = &items[start.min(items.len())..];
    let data: Vec<Value> = rest.iter().take(limit).cloned().collect();
    json!({
        "object": "list",
        "first_id": data.first().map(|i| i["id"].clone()),
        "last_id": data.last().map(|i| i["id"].clone()),
        "has_more": rest.len() > limit,
        "data": data,
    })
}

fn answer_with(body: Value) -> Forwarded {
    let response = http::Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/json")
        .body(body.to_string())
        .unwrap_or_default();
    Forwarded {
        response: reqwest::Response::from(response),
        upstream: Upstream::Kept,
        origin: String::new(),
        ttfb: Duration::ZERO,
        hide_usage_chunk: false,
        idle_timeout: Duration::from_secs(10),
        request_bytes: 0,
        head_request: false,
        translation: Translation::None,
        add_models: None,
        keeps_plan_events: false,
        keep: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_items_page_newest_first_by_default() {
        let input: Vec<Value> = (0..5)
            .map(|i| json!({"role": "user", "content": format!("m{i}")}))
            .collect();
        let first = page("resp_abc", &input, "limit=2");
        assert_eq!(first["data"][0]["content"], "m4");
        assert_eq!(first["data"][0]["type"], "message");
        assert_eq!(first["has_more"], true);
        let after = first["last_id"].as_str().unwrap().to_owned();
        let next = page("resp_abc", &input, &format!("limit=2&after={after}"));
        assert_eq!(next["data"][0]["content"], "m2");
        let asc = page("resp_abc", &input, "order=asc&limit=100");
        assert_eq!(asc["data"].as_array().unwrap().len(), 5);
        assert_eq!(asc["has_more"], false);
        assert_eq!(asc["data"][0]["content"], "m0");
    }
}

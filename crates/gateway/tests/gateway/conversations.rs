//! Conversations on the ChatGPT route, whose backend keeps nothing: `previous_response_id`
//! replays the chain (the backend sees the whole history, never the id or `store: true`),
//! responses carry ClawBox's ids and can be read, listed and deleted, owners are apart, chains
//! survive a restart, and nothing readable lands on disk.

use std::sync::Arc;

use clawbox_auth::MemoryStore;
use clawbox_testkit::FakeOAuth;
use serde_json::{Value, json};

use crate::chatgpt::signed_in_with;
use crate::harness::{Harness, sse_data};

const SENTINEL: &str = "zebra-quartz-sentinel";

async fn respond(h: &Harness, body: Value) -> reqwest::Response {
    h.client
        .post(format!("{}/v1/responses", h.url))
        .bearer_auth(h.local_key())
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn get(h: &Harness, path: &str, user: Option<&str>) -> reqwest::Response {
    let mut request = h
        .client
        .get(format!("{}{path}", h.url))
        .bearer_auth(h.local_key());
    if let Some(user) = user {
        request = request.header("x-user-id", user);
    }
    request.send().await.unwrap()
}

/// The response id ClawBox gave, once the answer is kept (the writer is off the request path).
async fn kept(h: &Harness, id: &str) -> Value {
    for _ in 0..100 {
        let r = get(h, &format!("/v1/responses/{id}"), None).await;
        if r.status() == 200 {
            return r.json().await.unwrap();
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("{id} was never kept");
}

fn weather_tool() -> Value {
    json!([{"type": "function", "name": "get_weather", "description": "Weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}])
}

#[tokio::test]
async fn three_turns_chain_through_the_chatgpt_route_with_a_tool_call_and_reasoning() {
    let oauth = FakeOAuth::start().await;
    let h = signed_in_with(&oauth, json!({"auth_mode": "codex"})).await;

    // Turn 1: the model calls the tool (and reasons first).
    let r = respond(
        &h,
        json!({"model": "gpt-5", "input": format!("Weather in Austin? {SENTINEL}"),
               "tools": weather_tool()}),
    )
    .await;
    assert_eq!(r.status(), 200);
    let first: Value = r.json().await.unwrap();
    let first_id = first["id"].as_str().unwrap().to_owned();
    assert!(
        first_id.starts_with("resp_") && first_id != "resp_fake",
        "{first_id}"
    );
    assert_eq!(first["output"][0]["type"], "reasoning");
    let call = first["output"][1].clone();
    assert_eq!(call["type"], "function_call");

    // Turn 2: the tool's result, streamed this time.
    kept(&h, &first_id).await;
    let r = respond(
        &h,
        json!({"model": "gpt-5", "stream": true, "previous_response_id": first_id,
               "tools": weather_tool(),
               "input": [{"type": "function_call_output", "call_id": call["call_id"],
                          "output": "{\"temp_c\": 31}"}]}),
    )
    .await;
    assert_eq!(r.status(), 200);
    let events = sse_data(r).await;
    let created: Value = serde_json::from_str(&events[0]).unwrap_or_default();
    let created = events
        .iter()
        .filter_map(|e| serde_json::from_str::<Value>(e).ok())
        .find(|e| e["type"] == "response.created")
        .unwrap_or(created);
    let second_id = created["response"]["id"].as_str().unwrap().to_owned();
    assert!(second_id.starts_with("resp_") && second_id != first_id);
    assert!(
        events.iter().all(|e| !e.contains("resp_fake")),
        "no upstream id reaches the client: {events:?}"
    );
    let completed: Value = events
        .iter()
        .filter_map(|e| serde_json::from_str::<Value>(e).ok())
        .find(|e| e["type"] == "response.completed")
        .unwrap();
    assert_eq!(completed["response"]["id"], second_id.as_str());
    // The completed event carries the output the backend left out (as OpenAI sends it).
    let output = completed["response"]["output"].as_array().unwrap();
    assert_eq!(output.last().unwrap()["type"], "message", "{output:?}");
    assert_eq!(
        completed["response"]["previous_response_id"],
        first_id.as_str()
    );

    // Turn 3: plain text, continuing turn 2.
    kept(&h, &second_id).await;
    let r = respond(
        &h,
        json!({"model": "gpt-5", "previous_response_id": second_id, "input": "Thanks!"}),
    )
    .await;
    assert_eq!(r.status(), 200);
    let third: Value = r.json().await.unwrap();

    // The backend saw the whole history each time, never an id or `store: true`.
    let sent: Vec<Value> = oauth
        .backend_requests()
        .into_iter()
        .map(|(_, b)| b)
        .collect();
    let last = sent.last().unwrap();
    assert!(
        sent.iter()
            .all(|b| b.get("previous_response_id").is_none() && b["store"] == false)
    );
    let kinds: Vec<String> = last["input"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            format!(
                "{}:{}",
                i["type"].as_str().unwrap_or("message"),
                i["role"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "message:user",
            "reasoning:",
            "function_call:",
            "function_call_output:",
            "reasoning:",
            "message:assistant",
            "message:user"
        ],
        "{last}"
    );
    let input = last["input"].as_array().unwrap();
    assert_eq!(
        input[1]["encrypted_content"], "enc:turn-1",
        "turn 1's reasoning replayed"
    );
    assert!(
        input.iter().all(|i| i.get("id").is_none()),
        "no upstream ids replayed"
    );
    assert_eq!(input[2]["call_id"], call["call_id"]);
    assert!(
        last["include"]
            .as_array()
            .unwrap()
            .contains(&json!("reasoning.encrypted_content"))
    );

    // Read back: the response, its input items (paged), then deleted.
    let third_id = third["id"].as_str().unwrap();
    let again = kept(&h, third_id).await;
    assert_eq!(again["output"], third["output"]);
    let r = get(
        &h,
        &format!("/v1/responses/{third_id}/input_items?order=asc"),
        None,
    )
    .await;
    assert_eq!(r.status(), 200);
    let items: Value = r.json().await.unwrap();
    assert_eq!(items["data"][0]["content"][0]["text"], "Thanks!");
    assert_eq!(items["has_more"], false);
    // Another user with the same local key finds nothing.
    let r = get(&h, &format!("/v1/responses/{third_id}"), Some("mallory")).await;
    assert_eq!(r.status(), 404);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "response_not_found");
    let r = h
        .client
        .delete(format!("{}/v1/responses/{third_id}", h.url))
        .bearer_auth(h.local_key())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["deleted"], true);
    assert_eq!(
        get(&h, &format!("/v1/responses/{third_id}"), None)
            .await
            .status(),
        404
    );

    // Nothing of the conversation is readable on disk.
    h.gateway.flush_log();
    for name in [
        "conversations.db",
        "conversations.db-wal",
        "clawbox.db",
        "clawbox.db-wal",
    ] {
        if let Ok(bytes) = std::fs::read(h.dir.path().join(name)) {
            assert!(
                !bytes
                    .windows(SENTINEL.len())
                    .any(|w| w == SENTINEL.as_bytes()),
                "the prompt is readable in {name}"
            );
        }
    }
}

#[tokio::test]
async fn unknown_ids_other_owners_store_false_and_a_restart() {
    let oauth = FakeOAuth::start().await;
    let mut h = signed_in_with(&oauth, json!({"auth_mode": "codex"})).await;
    let r = respond(
        &h,
        json!({"model": "gpt-5", "previous_response_id": "resp_nothere", "input": "hi"}),
    )
    .await;
    assert_eq!(r.status(), 404);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "previous_response_not_found");
    assert_eq!(body["error"]["param"], "previous_response_id");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("resp_nothere")
    );

    // `store: false` keeps nothing, and a stream of it still ends with its output.
    let r = respond(
        &h,
        json!({"model": "gpt-5", "input": "hi", "store": false, "stream": true}),
    )
    .await;
    let completed: Value = sse_data(r)
        .await
        .iter()
        .filter_map(|e| serde_json::from_str::<Value>(e).ok())
        .find(|e| e["type"] == "response.completed")
        .unwrap();
    assert!(
        !completed["response"]["output"]
            .as_array()
            .unwrap()
            .is_empty(),
        "{completed}"
    );
    assert_eq!(
        completed["response"]["id"], "resp_fake",
        "not kept: the upstream's id"
    );
    let r = respond(&h, json!({"model": "gpt-5", "input": "hi", "store": false})).await;
    let id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(
        get(&h, &format!("/v1/responses/{id}"), None).await.status(),
        404
    );

    // Kept, then chained by another user: not found for them.
    let r = respond(&h, json!({"model": "gpt-5", "input": "remember 42"})).await;
    let id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    kept(&h, &id).await;
    let r = h
        .client
        .post(format!("{}/v1/responses", h.url))
        .bearer_auth(h.local_key())
        .header("x-user-id", "mallory")
        .json(&json!({"model": "gpt-5", "previous_response_id": id, "input": "what was it?"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    // After a restart the chain is still there.
    h.restart().await;
    let r = respond(
        &h,
        json!({"model": "gpt-5", "previous_response_id": id, "input": "what was it?"}),
    )
    .await;
    assert_eq!(r.status(), 200);
    let last = oauth.backend_requests().last().unwrap().1.clone();
    assert!(last["input"].to_string().contains("remember 42"), "{last}");
}

#[tokio::test]
async fn without_a_secret_store_a_chain_is_refused_with_the_fix_and_others_are_served() {
    let secrets = Arc::new(MemoryStore::new());
    secrets.fail_with(Some(clawbox_auth::AuthError::KeychainUnavailable(
        "no bus".into(),
    )));
    let h = Harness::with_secrets(json!({}), secrets).await;
    h.ollama.set_local_models(&["llama3.2"]);
    h.gateway.refresh_local_models().await;
    let send = |body: Value| {
        h.client
            .post(format!("{}/v1/responses", h.url))
            .json(&body)
            .send()
    };
    let r = send(json!({"model": "llama3.2", "input": "hi"}))
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "served as before, unkept");
    let r = send(json!({"model": "llama3.2", "input": "hi", "previous_response_id": "resp_1"}))
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "conversations_unavailable");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("CLAWBOX_SECRET_STORE=file") || message.contains("no bus"),
        "{message}"
    );
    assert!(!h.dir.path().join("conversations.db").exists());
}

async fn call(
    h: &Harness,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = h
        .client
        .request(method, format!("{}{path}", h.url))
        .bearer_auth(h.local_key());
    if let Some(body) = body {
        request = request.json(&body);
    }
    let r = request.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// The conversation's items, once `n` are there (turns are added off the request path).
async fn items_when(h: &Harness, id: &str, n: usize) -> Value {
    for _ in 0..100 {
        let (_, items) = call(
            h,
            reqwest::Method::GET,
            &format!("/v1/conversations/{id}/items?order=asc&limit=100"),
            None,
        )
        .await;
        if items["data"].as_array().is_some_and(|d| d.len() >= n) {
            return items;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("the conversation never had {n} items");
}

#[tokio::test]
async fn the_conversations_api_round_trip_on_the_chatgpt_route() {
    use reqwest::Method;
    let oauth = FakeOAuth::start().await;
    let h = signed_in_with(&oauth, json!({"auth_mode": "codex"})).await;
    let (status, created) = call(
        &h,
        Method::POST,
        "/v1/conversations",
        Some(json!({"metadata": {"topic": "names"},
                    "items": [{"type": "message", "role": "user", "content": "My name is Ada."}]})),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("conv_") && created["object"] == "conversation");
    let (_, updated) = call(
        &h,
        Method::POST,
        &format!("/v1/conversations/{id}"),
        Some(json!({"metadata": {"topic": "who"}})),
    )
    .await;
    assert_eq!(updated["metadata"]["topic"], "who");
    let (status, _) = call(&h, Method::GET, &format!("/v1/conversations/{id}"), None).await;
    assert_eq!(status, 200);

    // A response in the conversation sees what came before, and joins it.
    let r = respond(
        &h,
        json!({"model": "gpt-5", "conversation": id, "input": "What is my name?"}),
    )
    .await;
    assert_eq!(r.status(), 200);
    let answer: Value = r.json().await.unwrap();
    assert_eq!(answer["conversation"]["id"], id.as_str());
    let sent = oauth.backend_requests().last().unwrap().1.clone();
    let texts: Vec<String> = sent["input"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["content"].to_string())
        .collect();
    assert!(
        texts[0].contains("My name is Ada.") && texts[1].contains("What is my name?"),
        "{texts:?}"
    );
    assert!(sent.get("conversation").is_none());
    let items = items_when(&h, &id, 4).await;
    let kinds: Vec<&str> = items["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["message", "message", "reasoning", "message"]);
    assert!(
        items["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["id"].as_str().is_some())
    );
    let r = respond(
        &h,
        json!({"model": "gpt-5", "conversation": {"id": id}, "input": "And again?"}),
    )
    .await;
    assert_eq!(r.status(), 200);
    let sent = oauth.backend_requests().last().unwrap().1.clone();
    assert_eq!(sent["input"].as_array().unwrap().len(), 5, "{sent}");
    assert!(
        sent["input"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i.get("id").is_none())
    );

    // Items: paged newest first, added, read, deleted.
    let (_, page) = call(
        &h,
        Method::GET,
        &format!("/v1/conversations/{id}/items?limit=2"),
        None,
    )
    .await;
    assert_eq!(page["has_more"], true);
    assert_eq!(page["data"].as_array().unwrap().len(), 2);
    let (_, added) = call(
        &h,
        Method::POST,
        &format!("/v1/conversations/{id}/items"),
        Some(json!({"items": [{"type": "message", "role": "user", "content": "added by hand"}]})),
    )
    .await;
    let item_id = added["data"][0]["id"].as_str().unwrap().to_owned();
    let (status, item) = call(
        &h,
        Method::GET,
        &format!("/v1/conversations/{id}/items/{item_id}"),
        None,
    )
    .await;
    assert_eq!(
        (status, item["content"].as_str()),
        (200, Some("added by hand"))
    );
    let (status, _) = call(
        &h,
        Method::DELETE,
        &format!("/v1/conversations/{id}/items/{item_id}"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = call(
        &h,
        Method::GET,
        &format!("/v1/conversations/{id}/items/{item_id}"),
        None,
    )
    .await;
    assert_eq!(status, 404);

    // Both ways to continue at once: refused. Another user: not found. Deleted: gone.
    let r = respond(&h, json!({"model": "gpt-5", "conversation": id, "previous_response_id": answer["id"], "input": "x"})).await;
    assert_eq!(r.status(), 400);
    let r = h
        .client
        .get(format!("{}/v1/conversations/{id}", h.url))
        .bearer_auth(h.local_key())
        .header("x-user-id", "mallory")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let (status, deleted) =
        call(&h, Method::DELETE, &format!("/v1/conversations/{id}"), None).await;
    assert_eq!((status, deleted["deleted"].as_bool()), (200, Some(true)));
    let (status, body) = call(&h, Method::GET, &format!("/v1/conversations/{id}"), None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("conversation_not_found"))
    );
}

#[tokio::test]
async fn a_local_model_gets_the_chain_as_chat_messages_and_openai_gets_the_request_as_sent() {
    let h = Harness::start().await;
    h.ollama.set_local_models(&["llama3.2"]);
    h.gateway.refresh_local_models().await;
    let send = |body: Value| {
        h.client
            .post(format!("{}/v1/responses", h.url))
            .json(&body)
            .send()
    };
    let r = send(json!({"model": "llama3.2", "input": "My name is Ada."}))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let first: Value = r.json().await.unwrap();
    let first_id = first["id"].as_str().unwrap().to_owned();
    assert!(first_id.starts_with("resp_") && first_id != "resp_fake");
    assert_eq!(first["object"], "response");
    assert!(
        first["usage"]["total_tokens"]
            .as_u64()
            .is_some_and(|t| t > 0),
        "{first}"
    );
    // Kept (for the caller with no key, by user), then continued — streamed.
    let mut ready = false;
    for _ in 0..100 {
        if h.client
            .get(format!("{}/v1/responses/{first_id}", h.url))
            .send()
            .await
            .unwrap()
            .status()
            == 200
        {
            ready = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(ready);
    let r = send(
        json!({"model": "llama3.2", "stream": true, "previous_response_id": first_id,
                        "input": "What is my name?"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let events = sse_data(r).await;
    // The local server was asked in chat completions; the client got Responses events.
    let completed: Value = events
        .iter()
        .filter_map(|e| serde_json::from_str::<Value>(e).ok())
        .find(|e| e["type"] == "response.completed")
        .unwrap_or_else(|| panic!("{events:?}"));
    let message = completed["response"]["output"][0].clone();
    assert_eq!(message["type"], "message");
    assert!(
        message["content"][0]["text"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );
    assert_eq!(
        completed["response"]["previous_response_id"],
        first_id.as_str()
    );
    let seen = h
        .ollama
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.uri == "/v1/chat/completions")
        .unwrap()
        .json();
    assert!(
        seen.get("previous_response_id").is_none() && seen.get("input").is_none(),
        "{seen}"
    );
    assert_eq!(seen["stream_options"]["include_usage"], true);
    let messages = seen["messages"].as_array().unwrap();
    let roles: Vec<&str> = messages
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(
        roles,
        ["user", "assistant", "user"],
        "turn 1 replayed as messages: {seen}"
    );
    assert_eq!(messages[0]["content"], "My name is Ada.");
    assert_eq!(messages[2]["content"], "What is my name?");
    assert!(h.ollama.requests().iter().all(|r| r.uri != "/v1/responses"));

    // OpenAI keeps its own: the request goes as sent, ids and all.
    let r = h
        .post(
            "/v1/responses",
            &json!({"model": "gpt-5", "input": "hi", "previous_response_id": "resp_openai_1"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let sent = h.provider.last_request().unwrap().json();
    assert_eq!(sent["previous_response_id"], "resp_openai_1");
    assert_eq!(r.json::<Value>().await.unwrap()["id"], "resp_fake");
}

#[tokio::test]
async fn a_response_past_retention_is_forgotten() {
    let oauth = FakeOAuth::start().await;
    let h = signed_in_with(&oauth, json!({"auth_mode": "codex"})).await;
    let store = h.gateway.conversations().store().unwrap().clone();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let owner = clawbox_conversations::Owner::local_key("anonymous");
    for (id, age_days) in [("resp_old", 31), ("resp_recent", 29)] {
        let response = clawbox_conversations::StoredResponse {
            id: id.into(),
            parent: None,
            conversation: None,
            created_at: now - age_days * 86_400,
            instructions: None,
            input: vec![json!({"role": "user", "content": "hi"})],
            response: json!({"id": id, "object": "response", "output": []}),
        };
        store.put_response(&owner, &response).unwrap();
    }
    // The hourly sweep (its first round runs at start, maybe after these were kept) and a
    // sweep now both forget what is past `conversation_retention_days` (30 by default).
    h.gateway.conversations().forget_older_than(30).unwrap();
    assert_eq!(get(&h, "/v1/responses/resp_old", None).await.status(), 404);
    let r = respond(
        &h,
        json!({"model": "gpt-5", "previous_response_id": "resp_old", "input": "hi"}),
    )
    .await;
    assert_eq!(r.status(), 404);
    assert_eq!(
        get(&h, "/v1/responses/resp_recent", None).await.status(),
        200
    );
}

#[tokio::test]
async fn a_callers_own_key_owns_its_responses() {
    let h = Harness::start().await;
    h.ollama.set_local_models(&["llama3.2"]);
    h.gateway.refresh_local_models().await;
    let ask = |key: &'static str, body: Value| {
        h.client
            .post(format!("{}/v1/responses", h.url))
            .bearer_auth(key)
            .json(&body)
            .send()
    };
    let first: Value = ask("key-one", json!({"model": "llama3.2", "input": "hi"}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = first["id"].as_str().unwrap().to_owned();
    let continued = json!({"model": "llama3.2", "previous_response_id": id, "input": "again"});
    let mut status = 0;
    for _ in 0..100 {
        status = ask("key-one", continued.clone())
            .await
            .unwrap()
            .status()
            .as_u16();
        if status == 200 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(status, 200, "the same key continues it");
    let r = ask("key-two", continued).await.unwrap();
    assert_eq!(r.status(), 404, "another key does not find it");
}

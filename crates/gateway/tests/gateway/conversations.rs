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

pub(crate) async fn respond(h: &Harness, body: Value) -> reqwest::Response {
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

/// The kept response, read at once: the writer is off the request path, but a read waits for
/// what was queued before it (a client may continue an answer the moment it has it).
async fn kept(h: &Harness, id: &str) -> Value {
    let r = get(h, &format!("/v1/responses/{id}"), None).await;
    assert_eq!(
        r.status(),
        200,
        "{id} is readable as soon as it was answered"
    );
    r.json().await.unwrap()
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
    // A made-up local key proves nothing: refused before the store is asked.
    let forged = format!("cbx_{}", "0".repeat(64));
    for method in [reqwest::Method::GET, reqwest::Method::DELETE] {
        let r = h
            .client
            .request(method, format!("{}/v1/responses/{third_id}", h.url))
            .bearer_auth(&forged)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        assert_eq!(
            r.json::<Value>().await.unwrap()["error"]["code"],
            "invalid_local_key"
        );
    }
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
    assert!(h.dir.path().join("conversations.db").exists());
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

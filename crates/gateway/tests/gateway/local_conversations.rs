//! Conversations on a local model server (asked in chat completions) and for callers with
//! their own keys: the chain replayed as messages, Responses answers back, owners apart.

use serde_json::{Value, json};

use crate::harness::{Harness, sse_data};

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
    // Kept (for the caller with no key, by user) and readable at once, then continued, streamed.
    let r = h
        .client
        .get(format!("{}/v1/responses/{first_id}", h.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "readable as soon as it was answered");
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

    // An id kept nowhere, asked by a caller with no OpenAI to ask: OpenAI's 404, from here.
    let r = h
        .client
        .get(format!("{}/v1/responses/resp_nothere", h.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "response_not_found"
    );

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
    let r = ask("key-one", continued.clone()).await.unwrap();
    assert_eq!(r.status(), 200, "the same key continues it at once");
    let r = ask("key-two", continued).await.unwrap();
    assert_eq!(r.status(), 404, "another key does not find it");
}

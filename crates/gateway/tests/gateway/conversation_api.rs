//! The Conversations API on the ChatGPT route, whose backend keeps nothing: conversations and
//! their items kept by ClawBox, the `conversation` parameter replaying one and adding the turn.

use clawbox_testkit::FakeOAuth;
use serde_json::{Value, json};

use crate::chatgpt::signed_in_with;
use crate::conversations::respond;
use crate::harness::Harness;

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

/// The conversation's items, read at once (a read waits for the turns queued before it).
async fn items_now(h: &Harness, id: &str, n: usize) -> Value {
    let (_, items) = call(
        h,
        reqwest::Method::GET,
        &format!("/v1/conversations/{id}/items?order=asc&limit=100"),
        None,
    )
    .await;
    assert_eq!(items["data"].as_array().map(Vec::len), Some(n), "{items}");
    items
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
    let items = items_now(&h, &id, 4).await;
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

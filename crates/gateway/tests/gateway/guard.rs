//! Every guard rule, through the real server: each refusal is a JSON error in the caller's
//! dialect, reaches no upstream, and is logged.

use crate::harness::{Harness, chat, request_id};
use serde_json::{Value, json};

#[tokio::test]
async fn a_foreign_host_is_refused_on_every_route() {
    let h = Harness::start().await;
    for path in ["/health", "/v1/models", "/nope"] {
        let r = h
            .get(path)
            .header("host", "attacker.example:18789")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{path}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "forbidden_host", "{path}");
    }
    assert!(h.provider.requests().is_empty());
}

#[tokio::test]
async fn browser_origins_are_refused_unless_allowed_exactly() {
    let h = Harness::with(
        json!({"allowed_origins": ["http://localhost:5173"]}),
        Default::default(),
    )
    .await;
    let send = |origin: &'static str| {
        h.post("/v1/chat/completions", &chat(false))
            .header("origin", origin)
            .send()
    };
    assert_eq!(send("https://evil.example").await.unwrap().status(), 403);
    assert_eq!(send("null").await.unwrap().status(), 403);
    assert_eq!(send("http://localhost:5173").await.unwrap().status(), 200);
    assert_eq!(h.provider.requests().len(), 1);
    let r = send("https://evil.example").await.unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn non_json_posts_get_415_in_the_callers_dialect() {
    let h = Harness::start().await;
    let r = h
        .client
        .post(format!("{}/v1/chat/completions", h.url))
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("application/json")
    );

    let r = h
        .client
        .post(format!("{}/v1/messages", h.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("anthropic-version", "2023-06-01")
        .body("a=b")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["type"], "error");
    assert_eq!(body["error"]["type"], "invalid_request_error");
    assert!(h.provider.requests().is_empty());
}

#[tokio::test]
async fn malformed_json_is_400_naming_the_problem() {
    let h = Harness::start().await;
    let r = h
        .client
        .post(format!("{}/v1/chat/completions", h.url))
        .header("content-type", "application/json")
        .header("authorization", "Bearer sk-x")
        .body(r#"{"model": "gpt-4o-mini", "messages": [}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let id = request_id(&r);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_json");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("column")
    );
    assert_eq!(h.row_for(&id).await.status, 400);
}

#[tokio::test]
async fn oversize_bodies_are_413_and_oversize_headers_431() {
    let h = Harness::start().await;
    let big = "x".repeat(33 * 1024 * 1024);
    let r = h
        .client
        .post(format!("{}/v1/chat/completions", h.url))
        .header("content-type", "application/json")
        .body(format!(r#"{{"model":"{big}"}}"#))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let r = h
        .get("/v1/models")
        .header("x-padding", "y".repeat(70 * 1024))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 431);
    assert!(h.provider.requests().is_empty());
}

#[tokio::test]
async fn unknown_routes_are_404_with_a_pointer_to_v1() {
    let h = Harness::start().await;
    let r = h.get("/chat/completions").send().await.unwrap();
    assert_eq!(r.status(), 404);
    let body: Value = r.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("/v1"));
    let r = h
        .client
        .post(format!("{}/health", h.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
}

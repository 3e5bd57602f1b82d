//! Pass-through: paths, queries, keys and bodies reach the right upstream unchanged; upstream
//! failures come back clearly.

use std::time::Duration;

use crate::harness::{Harness, chat, request_id};
use clawbox_gateway::config::SettingsLayer;
use clawbox_testkit::Behavior;
use serde_json::{Value, json};

#[tokio::test]
async fn health_reports_the_contract_fields() {
    let h = Harness::start().await;
    let r = h.get("/health").send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().contains_key("x-request-id"));
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["gateway"], "clawbox");
    assert_eq!(body["mode"], "local");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(body["problems"], json!([]));
}

#[tokio::test]
async fn openai_calls_pass_through_with_the_callers_key_path_and_query() {
    let h = Harness::start().await;
    let r = h
        .post("/v1/chat/completions?trace=1&x=%20y", &chat(false))
        .header("x-user-id", "jane")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body["choices"][0]["message"]["content"],
        "Hello from the fake"
    );
    let got = h.provider.last_request().unwrap();
    assert_eq!(got.uri, "/v1/chat/completions?trace=1&x=%20y");
    assert_eq!(
        got.header("authorization"),
        Some("Bearer sk-test-caller-key")
    );
    assert_eq!(got.json(), chat(false));
    // Local mode: the user id is ClawBox's business, not the provider's.
    assert_eq!(got.header("x-user-id"), None);

    for path in ["/v1/models", "/v1/files?purpose=batch"] {
        h.get(path)
            .header("authorization", "Bearer sk-test-caller-key")
            .send()
            .await
            .unwrap();
        assert_eq!(h.provider.last_request().unwrap().uri, path);
    }
    let r = h
        .post(
            "/v1/embeddings",
            &json!({"model": "text-embedding-3-small", "input": "hi"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = h
        .post(
            "/v1/responses",
            &json!({"model": "gpt-4o-mini", "input": "hi"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn anthropic_calls_go_to_anthropic_with_their_key() {
    let h = Harness::start().await;
    let r = h
        .post_anthropic(
            "/v1/messages?beta=true",
            &json!({"model": "claude-sonnet-4-6", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let got = h.provider.last_request().unwrap();
    assert_eq!(got.uri, "/v1/messages?beta=true");
    assert_eq!(got.header("x-api-key"), Some("sk-ant-test-caller-key"));
    assert_eq!(got.header("anthropic-version"), Some("2023-06-01"));

    let r = h
        .get("/v1/models")
        .header("x-api-key", "sk-ant-k")
        .header("anthropic-version", "2023-06-01")
        .send()
        .await
        .unwrap();
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body["data"][0]["type"], "model",
        "Anthropic's model list shape"
    );
}

#[tokio::test]
async fn without_a_key_local_mode_says_which_variable_to_set() {
    let h = Harness::start().await;
    let r = h
        .client
        .post(format!("{}/v1/chat/completions", h.url))
        .header("content-type", "application/json")
        .body(chat(false).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("OPENAI_API_KEY")
    );
    let r = h
        .client
        .post(format!("{}/v1/messages", h.url))
        .header("content-type", "application/json")
        .header("anthropic-version", "2023-06-01")
        .body("{}")
        .send()
        .await
        .unwrap();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["type"], "authentication_error");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("ANTHROPIC_API_KEY")
    );
    assert!(h.provider.requests().is_empty());
}

#[tokio::test]
async fn hosted_mode_relays_everything_with_x_user_id() {
    let h = Harness::with(json!({"mode": "hosted"}), SettingsLayer::default()).await;
    // No provider key: the hosted gateway resolves the user's credential itself.
    let r = h
        .client
        .post(format!("{}/v1/chat/completions?q=1", h.url))
        .header("content-type", "application/json")
        .header("x-user-id", "jordan-smith")
        .body(chat(false).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let got = h.hosted.last_request().unwrap();
    assert_eq!(got.uri, "/v1/chat/completions?q=1");
    assert_eq!(got.header("x-user-id"), Some("jordan-smith"));
    assert_eq!(got.header("authorization"), None);
    assert!(h.provider.requests().is_empty());

    // A caller's own key passes through; a ClawBox local key never leaves the machine.
    h.post("/v1/messages", &json!({"model": "claude-x"}))
        .header("anthropic-version", "2023-06-01")
        .send()
        .await
        .unwrap();
    let got = h.hosted.last_request().unwrap();
    assert_eq!(got.uri, "/v1/messages");
    assert_eq!(
        got.header("authorization"),
        Some("Bearer sk-test-caller-key")
    );
    assert_eq!(got.header("x-user-id"), Some("anonymous"));
    let r = h
        .client
        .get(format!("{}/v1/models", h.url))
        .header("authorization", format!("Bearer {}", h.local_key()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(h.hosted.requests().len(), 3);
    assert_eq!(
        h.hosted.last_request().unwrap().header("authorization"),
        None
    );
    let rows = h.rows();
    assert!(
        rows.iter()
            .all(|r| r.mode == "hosted" && r.upstream.as_deref() == Some("hosted"))
    );
}

#[tokio::test]
async fn upstream_errors_pass_through_as_they_came() {
    let h = Harness::start().await;
    let r = h
        .post("/v1/chat/completions", &chat(false))
        .header("x-fake-fail-status", "429")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    let id = request_id(&r);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["message"], "fake upstream failure (429)");
    let row = h.row_for(&id).await;
    assert_eq!((row.status, row.tokens_est), (429, 0));
}

#[tokio::test]
async fn an_unreachable_upstream_is_502_naming_it() {
    // A port that was just free: nothing listens there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let overrides = SettingsLayer {
        openai_url: Some(format!("http://{closed}")),
        ..Default::default()
    };
    let h = Harness::with(json!({}), overrides).await;
    let r = h
        .post("/v1/chat/completions", &chat(false))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 502);
    let id = request_id(&r);
    let body: Value = r.json().await.unwrap();
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("OpenAI") && message.contains(&closed.to_string()),
        "{message}"
    );
    assert_eq!(
        h.row_for(&id).await.error.as_deref(),
        Some("upstream_unreachable")
    );
}

#[tokio::test]
async fn a_silent_upstream_is_504_after_the_idle_timeout() {
    let overrides = SettingsLayer {
        idle_timeout: Some(1),
        ..Default::default()
    };
    let h = Harness::with(json!({}), overrides).await;
    h.provider.set_behavior(Behavior {
        headers_delay: Duration::from_secs(3),
        ..Default::default()
    });
    let r = h
        .post_anthropic("/v1/messages", &json!({"model": "claude-x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 504);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["type"], "timeout_error");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Anthropic")
    );
}

#[tokio::test]
async fn every_response_carries_the_id_of_its_log_row() {
    let h = Harness::start().await;
    let r = h
        .post("/v1/chat/completions", &chat(false))
        .send()
        .await
        .unwrap();
    let id = request_id(&r);
    assert_ne!(id, "req_fake_upstream");
    assert_eq!(r.headers()["x-upstream-request-id"], "req_fake_upstream");
    r.bytes().await.unwrap();
    let row = h.row_for(&id).await;
    assert_eq!(row.endpoint, "/v1/chat/completions");
    assert_eq!(row.model.as_deref(), Some("gpt-4o-mini"));
    assert_eq!(row.upstream.as_deref(), Some("openai"));
    let ip_hash = row.ip_hash.unwrap();
    assert_eq!(ip_hash.len(), 8);
    assert!(ip_hash.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(row.created_at.len(), "2026-11-24T01:37:09.123Z".len());
}

#[tokio::test]
async fn browser_and_hop_headers_stay_on_this_side() {
    let h = Harness::with(
        json!({"allowed_origins": ["http://localhost:5173"]}),
        SettingsLayer::default(),
    )
    .await;
    let r = h
        .post("/v1/chat/completions", &chat(false))
        .header("origin", "http://localhost:5173")
        .header("referer", "http://localhost:5173/app")
        .header("sec-fetch-mode", "cors")
        .header("cookie", "session=local")
        .header("x-api-key", "cbx_local_key_must_not_leave")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // No CORS grant and no provider cookie come back to a page.
    assert!(r.headers().get("access-control-allow-origin").is_none());
    assert!(r.headers().get("set-cookie").is_none());
    let got = h.provider.last_request().unwrap();
    for header in ["origin", "referer", "sec-fetch-mode", "cookie", "x-api-key"] {
        assert_eq!(got.header(header), None, "{header} was forwarded");
    }
    assert_eq!(
        got.header("authorization"),
        Some("Bearer sk-test-caller-key")
    );
}

#[tokio::test]
async fn a_head_request_is_logged_as_complete() {
    let h = Harness::start().await;
    let r = h
        .client
        .head(format!("{}/v1/models", h.url))
        .header("authorization", "Bearer sk-k")
        .send()
        .await
        .unwrap();
    let id = request_id(&r);
    let row = h.row_for(&id).await;
    assert_eq!(row.status, r.status().as_u16() as i64);
    assert_eq!(row.error, None);
}

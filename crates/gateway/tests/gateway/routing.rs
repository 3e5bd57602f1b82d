//! Routing by model in local mode: the local model server's models, the user's routes, then
//! Anthropic's and OpenAI's families; an unknown model is a 404 that says what was tried.

use crate::harness::Harness;
use clawbox_gateway::config::SettingsLayer;
use serde_json::{Value, json};

fn chat_with(model: &str) -> Value {
    json!({"model": model, "messages": [{"role": "user", "content": "hi"}]})
}

#[tokio::test]
async fn models_the_local_server_has_go_there_without_a_key() {
    let h = Harness::start().await;
    h.ollama.set_local_models(&["llama3.2"]);
    h.gateway.refresh_local_models().await;
    let r = h
        .client
        .post(format!("{}/v1/chat/completions", h.url))
        .header("content-type", "application/json")
        .body(chat_with("llama3.2").to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-clawbox-upstream"], "ollama");
    // The server is also asked for its model list in the background, at any moment.
    let asked: Vec<String> = h.ollama.requests().into_iter().map(|r| r.uri).collect();
    assert!(
        asked.iter().any(|u| u == "/v1/chat/completions"),
        "{asked:?}"
    );
    assert!(h.provider.requests().is_empty());
}

#[tokio::test]
async fn claude_models_in_openai_dialect_go_to_anthropic_and_gpt_to_openai() {
    let h = Harness::start().await;
    let r = h
        .post("/v1/chat/completions", &chat_with("claude-sonnet-4-6"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-clawbox-upstream"], "anthropic");
    let r = h
        .post("/v1/chat/completions", &chat_with("gpt-4o-mini"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-clawbox-upstream"], "openai");
}

#[tokio::test]
async fn the_users_routes_come_before_the_defaults_exact_before_prefix() {
    let h = Harness::with(
        json!({"routes": [
            {"model": "gpt-*", "upstream": "ollama"},
            {"model": "gpt-4o-mini", "upstream": "openai"}
        ]}),
        SettingsLayer::default(),
    )
    .await;
    let r = h
        .post("/v1/chat/completions", &chat_with("gpt-4o-mini"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-clawbox-upstream"], "openai");
    let r = h
        .post("/v1/chat/completions", &chat_with("gpt-oss-20b"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-clawbox-upstream"], "ollama");
}

#[tokio::test]
async fn an_unknown_model_is_a_404_naming_the_routes_tried() {
    let h = Harness::start().await;
    let r = h
        .post("/v1/chat/completions", &chat_with("mistral-small"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "model_not_found");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("mistral-small") && message.contains("claude-* → Anthropic"),
        "{message}"
    );
    assert!(
        h.provider.requests().is_empty()
            && h.ollama.requests().iter().all(|r| r.uri == "/api/tags")
    );
}

#[tokio::test]
async fn the_model_list_adds_the_local_servers_models() {
    let h = Harness::start().await;
    h.ollama.set_local_models(&["llama3.2", "qwen3"]);
    h.gateway.refresh_local_models().await;
    let r = h
        .get("/v1/models")
        .header("authorization", "Bearer sk-k")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    let ids: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"gpt-4o-mini"), "{ids:?}");
    assert!(
        ids.contains(&"llama3.2:latest") && ids.contains(&"qwen3:latest"),
        "{ids:?}"
    );
}

fn ids(body: &Value) -> Vec<(String, String)> {
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["id"].as_str().unwrap().to_owned(),
                m["owned_by"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_model_list_without_a_key_shows_the_local_models_and_with_the_local_key_all_of_them() {
    use clawbox_auth::{MemoryStore, Provider, Secret};
    let secrets = std::sync::Arc::new(MemoryStore::new());
    let h = Harness::with_secrets(json!({}), secrets).await;

    // No key and nothing local: the usual "which key" answer.
    let r = h.get("/v1/models").send().await.unwrap();
    assert_eq!(r.status(), 401);

    // Local models need no key, so their list needs none either.
    h.ollama.set_local_models(&["llama3.2"]);
    h.gateway.refresh_local_models().await;
    let r = h.get("/v1/models").send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-clawbox-upstream"], "ollama");
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        ids(&body),
        [("llama3.2:latest".to_owned(), "ollama".to_owned())]
    );

    // The local key with a saved Anthropic key only: Anthropic's models and the local ones.
    let credentials = h.gateway.credentials();
    credentials
        .save_provider_key(Provider::Anthropic, Secret::new("sk-ant-saved"))
        .unwrap();
    let r = h
        .get("/v1/models")
        .bearer_auth(h.local_key())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let listed = ids(&r.json().await.unwrap());
    assert_eq!(
        listed,
        [
            ("claude-sonnet-4-6".to_owned(), "anthropic".to_owned()),
            ("llama3.2:latest".to_owned(), "ollama".to_owned())
        ]
    );
    let asked = h.provider.last_request().unwrap();
    assert_eq!(asked.uri, "/v1/models?limit=1000");
    assert_eq!(asked.header("x-api-key"), Some("sk-ant-saved"));

    // With an OpenAI key saved too: OpenAI's list first, then the others.
    credentials
        .save_provider_key(Provider::OpenAi, Secret::new("sk-saved"))
        .unwrap();
    let r = h
        .get("/v1/models")
        .bearer_auth(h.local_key())
        .send()
        .await
        .unwrap();
    let listed = ids(&r.json().await.unwrap());
    assert_eq!(listed[0], ("gpt-4o-mini".to_owned(), "system".to_owned()));
    assert!(listed.contains(&("claude-sonnet-4-6".to_owned(), "anthropic".to_owned())));
    assert_eq!(listed.last().unwrap().1, "ollama");

    // A wrong local key gets no list at all.
    let r = h
        .get("/v1/models")
        .bearer_auth(format!("cbx_{}", "0".repeat(64)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

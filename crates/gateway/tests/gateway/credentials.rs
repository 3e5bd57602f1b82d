//! Stored credentials through the gateway: the local key is exchanged for the saved provider
//! key, never sent upstream itself; a wrong or rotated key is refused; a missing keychain is a
//! plain answer, not a crash.

use std::sync::Arc;

use crate::harness::{Harness, chat};
use clawbox_auth::{AuthError, Credentials, MemoryStore, Provider, Secret, SecretStore};
use serde_json::{Value, json};

fn save(h: &Harness, provider: Provider, key: &str) {
    h.gateway
        .credentials()
        .save_provider_key(provider, Secret::new(key))
        .unwrap();
}

async fn post_with(h: &Harness, path: &str, key: &str, body: &Value) -> reqwest::Response {
    h.client
        .post(format!("{}{path}", h.url))
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {key}"))
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_local_key_is_exchanged_for_the_saved_openai_key() {
    let h = Harness::start().await;
    save(&h, Provider::OpenAi, "sk-saved-openai");
    let r = post_with(&h, "/v1/chat/completions", &h.local_key(), &chat(false)).await;
    assert_eq!(r.status(), 200);
    let got = h.provider.last_request().unwrap();
    assert_eq!(got.header("authorization"), Some("Bearer sk-saved-openai"));
    assert!(
        !format!("{:?}", got.headers).contains("cbx_"),
        "the local key never leaves the machine"
    );
}

#[tokio::test]
async fn anthropic_calls_get_the_saved_anthropic_key_in_x_api_key() {
    let h = Harness::start().await;
    save(&h, Provider::Anthropic, "sk-ant-saved");
    let r = h
        .client
        .post(format!("{}/v1/messages", h.url))
        .header("content-type", "application/json")
        .header("anthropic-version", "2023-06-01")
        .header("x-api-key", h.local_key())
        .body(json!({"model": "claude-x", "max_tokens": 5}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let got = h.provider.last_request().unwrap();
    assert_eq!(got.header("x-api-key"), Some("sk-ant-saved"));
    assert_eq!(got.header("authorization"), None);
}

#[tokio::test]
async fn a_local_key_with_nothing_saved_says_what_to_do() {
    let h = Harness::start().await;
    let r = post_with(&h, "/v1/chat/completions", &h.local_key(), &chat(false)).await;
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "no_saved_key");
    assert!(h.provider.requests().is_empty());
}

#[tokio::test]
async fn a_wrong_or_rotated_local_key_is_refused_and_the_new_one_works() {
    let h = Harness::start().await;
    save(&h, Provider::OpenAi, "sk-saved-openai");
    let r = post_with(&h, "/v1/chat/completions", "cbx_not_the_key", &chat(false)).await;
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_local_key");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("key show-local")
    );

    // Another process (the app, the CLI) rotates the key in the shared keychain.
    let old = h.local_key();
    let other = Credentials::load(Ok(h.secrets.clone() as Arc<dyn SecretStore>));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let new = other.rotate_local_key().unwrap();
    let r = post_with(&h, "/v1/chat/completions", new.expose(), &chat(false)).await;
    assert_eq!(r.status(), 200, "the new key is picked up on a miss");
    let r = post_with(&h, "/v1/chat/completions", &old, &chat(false)).await;
    assert_eq!(r.status(), 401, "the old key stops working");
    assert_eq!(h.provider.requests().len(), 1);
}

#[tokio::test]
async fn hosted_mode_sends_the_saved_key_or_none_never_the_local_key() {
    let secrets = Arc::new(MemoryStore::new());
    let h = Harness::with_secrets(json!({"mode": "hosted"}), secrets).await;
    let r = post_with(&h, "/v1/chat/completions", &h.local_key(), &chat(false)).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        h.hosted.last_request().unwrap().header("authorization"),
        None
    );
    save(&h, Provider::OpenAi, "sk-saved-openai");
    post_with(&h, "/v1/chat/completions", &h.local_key(), &chat(false)).await;
    let got = h.hosted.last_request().unwrap();
    assert_eq!(got.header("authorization"), Some("Bearer sk-saved-openai"));
    assert_eq!(got.header("x-user-id"), Some("anonymous"));
}

#[tokio::test]
async fn without_a_keychain_byok_still_works_and_the_local_key_gets_a_plain_answer() {
    let secrets = Arc::new(MemoryStore::new());
    secrets.fail_with(Some(AuthError::KeychainUnavailable(
        "no Secret Service on the session bus".into(),
    )));
    let h = Harness::with_secrets(json!({}), secrets).await;
    let health = h.health().await;
    assert_eq!(health["status"], "degraded");
    let problem = health["problems"][0].as_str().unwrap();
    assert!(
        problem.contains("keychain") && problem.contains("CLAWBOX_SECRET_STORE=file"),
        "{problem}"
    );

    let r = h
        .post("/v1/chat/completions", &chat(false))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "a caller's own key needs no keychain");
    let r = post_with(&h, "/v1/chat/completions", "cbx_anything", &chat(false)).await;
    assert_eq!(r.status(), 503);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("keychain")
    );
}

#[tokio::test]
async fn remote_access_accepts_listed_hosts_and_only_the_local_key() {
    let overrides = clawbox_gateway::config::SettingsLayer {
        allow_remote: Some(true),
        allowed_hosts: Some(clawbox_gateway::config::OriginList(vec![
            "studio.local".into(),
        ])),
        ..Default::default()
    };
    let h = Harness::with(json!({}), overrides).await;
    save(&h, Provider::OpenAi, "sk-saved-openai");
    let port = h.url.rsplit(':').next().unwrap().to_owned();
    let remote = |key: String| {
        h.client
            .post(format!("{}/v1/chat/completions", h.url))
            .header("host", format!("studio.local:{port}"))
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {key}"))
            .body(chat(false).to_string())
            .send()
    };
    let r = remote("sk-a-provider-key".into()).await.unwrap();
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "local_key_required");
    assert!(h.provider.requests().is_empty());
    assert_eq!(remote(h.local_key()).await.unwrap().status(), 200);
    let r = h
        .get("/health")
        .header("host", format!("elsewhere.local:{port}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "hosts not listed are still refused");
}

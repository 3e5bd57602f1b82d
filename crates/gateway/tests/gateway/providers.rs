//! Named providers: any OpenAI-compatible API by its base URL, its key saved under its name,
//! its models by pattern, by the list it reports, or as the default upstream.

use std::sync::Arc;

use clawbox_auth::{MemoryStore, Provider, Secret};
use clawbox_testkit::FakeUpstream;
use serde_json::{Value, json};

use crate::harness::{Harness, request_id, sse_data};

/// The fake's API lives under this path, as e.g. Groq's (`/openai/v1`) does.
const BASE_PATH: &str = "/compat/v1";

fn deepseek(fake: &FakeUpstream, models: &[&str]) -> Value {
    json!({"name": "deepseek", "kind": "openai", "base_url": format!("{}{BASE_PATH}", fake.url()),
           "models": models})
}

fn chat(model: &str, stream: bool) -> Value {
    json!({"model": model, "stream": stream,
           "messages": [{"role": "user", "content": "hi"}]})
}

/// The last request the fake got other than the model list (asked for in the background at any
/// moment).
fn last_call(fake: &FakeUpstream) -> clawbox_testkit::Recorded {
    fake.requests()
        .into_iter()
        .rev()
        .find(|r| !r.uri.ends_with("/models"))
        .expect("a request reached the provider")
}

async fn post_with_local_key(h: &Harness, body: &Value) -> reqwest::Response {
    h.client
        .post(format!("{}/v1/chat/completions", h.url))
        .bearer_auth(h.local_key())
        .json(body)
        .send()
        .await
        .unwrap()
}

/// The id a provider's key is saved under: its name and the fake's host and port.
fn key_id(name: &str, fake: &FakeUpstream) -> String {
    format!("{name}@{}", fake.addr())
}

/// A gateway with `settings` whose keychain holds `deepseek`'s key (for `fake`'s address).
async fn with_deepseek_key(settings: Value, fake: &FakeUpstream) -> Harness {
    let secrets = Arc::new(MemoryStore::new());
    let h = Harness::with_secrets(settings, secrets).await;
    h.gateway
        .credentials()
        .save_named_key(&key_id("deepseek", fake), Secret::new("sk-deepseek-saved"))
        .unwrap();
    h
}

#[tokio::test]
async fn a_providers_model_goes_to_its_base_url_with_its_saved_key_and_is_metered() {
    let fake = FakeUpstream::compatible(BASE_PATH).await;
    let h = with_deepseek_key(
        json!({"providers": [deepseek(&fake, &["deepseek-*"])]}),
        &fake,
    )
    .await;

    let r = post_with_local_key(&h, &chat("deepseek-chat", false)).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-clawbox-upstream"], "deepseek");
    let id = request_id(&r);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["model"], "deepseek-chat");
    let seen = last_call(&fake);
    assert_eq!(seen.uri, "/compat/v1/chat/completions", "<base_url>/<rest>");
    assert_eq!(
        seen.header("authorization"),
        Some("Bearer sk-deepseek-saved")
    );
    assert_eq!(
        seen.json()["model"],
        "deepseek-chat",
        "the name is passed unchanged"
    );
    assert!(h.provider.requests().is_empty(), "OpenAI never sees it");
    let row = h.row_for(&id).await;
    assert_eq!(row.upstream.as_deref(), Some("deepseek"));
    assert_eq!(row.billing.as_deref(), Some("api"));
    assert_eq!(row.tokens_source, "reported");
    assert!(row.prompt_tokens.is_some_and(|t| t > 0));

    // A stream is asked for its usage like OpenAI's, and the extra chunk hidden.
    let r = post_with_local_key(&h, &chat("deepseek-reasoner", true)).await;
    assert_eq!(r.status(), 200);
    let id = request_id(&r);
    let events = sse_data(r).await;
    assert!(
        events.iter().all(|e| !e.contains("\"usage\":{")),
        "{events:?}"
    );
    assert_eq!(
        last_call(&fake).json()["stream_options"]["include_usage"],
        true
    );
    let row = h.row_for(&id).await;
    assert_eq!(row.tokens_source, "reported");
    assert_eq!(row.upstream.as_deref(), Some("deepseek"));
}

#[tokio::test]
async fn a_model_it_lists_is_routed_there_and_shown_in_the_model_list() {
    let fake = FakeUpstream::compatible(BASE_PATH).await;
    fake.set_listed_models(&["deepseek-chat", "deepseek-reasoner"]);
    let h = with_deepseek_key(json!({"providers": [deepseek(&fake, &[])]}), &fake).await;
    h.gateway.refresh_provider_models().await;
    let asked = fake.last_request().unwrap();
    assert_eq!(asked.uri, "/compat/v1/models");
    assert_eq!(
        asked.header("authorization"),
        Some("Bearer sk-deepseek-saved")
    );

    let r = post_with_local_key(&h, &chat("deepseek-reasoner", false)).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-clawbox-upstream"], "deepseek");

    // The merged list: OpenAI's (with the saved OpenAI key), then the provider's, by owner.
    h.gateway
        .credentials()
        .save_provider_key(Provider::OpenAi, Secret::new("sk-openai-saved"))
        .unwrap();
    let r = h
        .get("/v1/models")
        .bearer_auth(h.local_key())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    let listed: Vec<(String, String)> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["id"].as_str().unwrap().into(),
                m["owned_by"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(listed[0].0, "gpt-4o-mini");
    assert!(
        listed.contains(&("deepseek-chat".into(), "deepseek".into())),
        "{listed:?}"
    );
    // Without the local key, a remote provider's list is not shown (its key is ClawBox's).
    let r = h
        .get("/v1/models")
        .bearer_auth("sk-callers-own")
        .send()
        .await
        .unwrap();
    let body: Value = r.json().await.unwrap();
    assert!(!body.to_string().contains("deepseek-chat"), "{body}");
}

#[tokio::test]
async fn the_default_upstream_takes_models_no_route_claims_and_none_keeps_the_404() {
    let fake = FakeUpstream::compatible(BASE_PATH).await;
    let h = with_deepseek_key(
        json!({
            "providers": [deepseek(&fake, &[])],
            "default_upstream": "deepseek"
        }),
        &fake,
    )
    .await;
    let r = post_with_local_key(&h, &chat("deepseek-chat", false)).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-clawbox-upstream"], "deepseek");
    // OpenAI's families still go to OpenAI.
    let r = h
        .post("/v1/chat/completions", &chat("gpt-4o-mini", false))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-clawbox-upstream"], "openai");

    h.write_settings(&json!({"providers": [deepseek(&fake, &[])], "default_upstream": "none"}));
    h.gateway.reload_settings();
    let before = last_call(&fake).uri;
    let calls = fake.requests().len();
    let r = post_with_local_key(&h, &chat("deepseek-chat", false)).await;
    assert_eq!(r.status(), 404);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "model_not_found");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("deepseek (") && message.contains("default_upstream"),
        "{message}"
    );
    assert!(
        fake.requests()[calls..]
            .iter()
            .all(|r| r.uri.ends_with("/models")),
        "{before}"
    );

    // `openai`: OpenAI's API with the saved OpenAI key.
    h.gateway
        .credentials()
        .save_provider_key(Provider::OpenAi, Secret::new("sk-openai-saved"))
        .unwrap();
    h.write_settings(&json!({"default_upstream": "openai"}));
    h.gateway.reload_settings();
    let r = post_with_local_key(&h, &chat("some-new-model", false)).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-clawbox-upstream"], "openai");
    assert_eq!(
        h.provider.last_request().unwrap().header("authorization"),
        Some("Bearer sk-openai-saved")
    );
}

#[tokio::test]
async fn the_default_openai_is_openais_api_even_when_signed_in_with_chatgpt() {
    let oauth = clawbox_testkit::FakeOAuth::start().await;
    let h = crate::chatgpt::signed_in_with(
        &oauth,
        json!({"auth_mode": "codex", "default_upstream": "openai"}),
    )
    .await;
    h.gateway
        .credentials()
        .save_provider_key(Provider::OpenAi, Secret::new("sk-openai-saved"))
        .unwrap();
    let r = post_with_local_key(&h, &chat("some-new-model", false)).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-clawbox-upstream"], "openai");
    let r = post_with_local_key(&h, &chat("gpt-5", false)).await;
    assert_eq!(
        r.headers()["x-clawbox-upstream"],
        "codex",
        "OpenAI's own models: the plan"
    );
}

#[tokio::test]
async fn a_missing_key_names_the_provider_and_the_command_that_saves_it() {
    let fake = FakeUpstream::compatible(BASE_PATH).await;
    let h = Harness::with_secrets(
        json!({"providers": [deepseek(&fake, &["deepseek-*"])]}),
        Arc::new(MemoryStore::new()),
    )
    .await;
    let r = post_with_local_key(&h, &chat("deepseek-chat", false)).await;
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "no_saved_key");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("no deepseek key") && message.contains("clawbox-gateway key set deepseek"),
        "{message}"
    );
    // Without any credential: the usual "send a key" answer, naming the provider.
    let r = h
        .client
        .post(format!("{}/v1/chat/completions", h.url))
        .json(&chat("deepseek-chat", false))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("deepseek"),
        "{body}"
    );
    assert!(fake.requests().iter().all(|r| r.uri.ends_with("/models")));
}

#[tokio::test]
async fn a_provider_that_takes_no_key_is_used_without_one_and_costs_nothing() {
    let fake = FakeUpstream::hosted().await; // answers without a key, like LM Studio
    let h = Harness::with_secrets(
        json!({"providers": [{"name": "lmstudio", "base_url": format!("{}/v1", fake.url()),
                              "models": ["qwen*"], "needs_key": false}]}),
        Arc::new(MemoryStore::new()),
    )
    .await;
    let r = h
        .client
        .post(format!("{}/v1/chat/completions", h.url))
        .json(&chat("qwen3-8b", false))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let id = request_id(&r);
    assert_eq!(last_call(&fake).uri, "/v1/chat/completions");
    assert_eq!(last_call(&fake).header("authorization"), None);
    let row = h.row_for(&id).await;
    assert_eq!(row.billing.as_deref(), Some("local"));
    assert_eq!(row.cost_usd, Some(0.0));
}

#[tokio::test]
async fn a_bad_provider_in_settings_keeps_the_last_good_settings_and_says_why() {
    let fake = FakeUpstream::compatible(BASE_PATH).await;
    let h = with_deepseek_key(
        json!({"providers": [deepseek(&fake, &["deepseek-*"])]}),
        &fake,
    )
    .await;
    h.write_settings(&json!({"providers": [{"name": "Deep Seek", "base_url": "https://x/v1"}]}));
    h.gateway.reload_settings();
    let health = h.health().await;
    assert!(
        health.to_string().contains("cannot name a provider"),
        "{health}"
    );
    let r = post_with_local_key(&h, &chat("deepseek-chat", false)).await;
    assert_eq!(
        r.status(),
        200,
        "the provider configured before still serves"
    );
}

#[tokio::test]
async fn an_upload_for_a_providers_model_streams_to_that_provider_with_its_key() {
    use reqwest::multipart::{Form, Part};
    let fake = FakeUpstream::compatible("/openai/v1").await;
    let groq = json!({"name": "groq", "base_url": format!("{}/openai/v1", fake.url()),
                      "models": ["whisper-large-*"]});
    let h = Harness::with_secrets(json!({"providers": [groq]}), Arc::new(MemoryStore::new())).await;
    h.gateway
        .credentials()
        .save_named_key(&key_id("groq", &fake), Secret::new("gsk-saved"))
        .unwrap();
    let audio = Part::bytes(vec![7u8; 20_000])
        .file_name("hello.wav")
        .mime_str("audio/wav")
        .unwrap();
    let form = Form::new()
        .text("model", "whisper-large-v3")
        .part("file", audio);
    let r = h
        .client
        .post(format!("{}/v1/audio/transcriptions", h.url))
        .bearer_auth(h.local_key())
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = r.status();
    if status != 200 {
        panic!("{status}: {}", r.text().await.unwrap());
    }
    assert_eq!(r.headers()["x-clawbox-upstream"], "groq");
    let answer: Value = r.json().await.unwrap();
    assert_eq!(answer["text"], "Heard 20000 bytes of hello.wav");
    let sent = last_call(&fake);
    assert_eq!(sent.uri, "/openai/v1/audio/transcriptions");
    assert_eq!(sent.header("authorization"), Some("Bearer gsk-saved"));
    assert!(h.provider.requests().is_empty(), "OpenAI never sees it");
}

#[tokio::test]
async fn an_anthropic_compatible_provider_takes_its_models_in_anthropics_dialect() {
    // Its base URL is an origin, as Anthropic's SDKs take it: `/v1/messages` is appended whole.
    let fake = FakeUpstream::compatible("/anthropic/v1").await;
    fake.set_listed_models(&["kimi-k2", "claude-sonnet-4-6"]);
    let kimi = json!({"name": "kimi", "kind": "anthropic",
                      "base_url": format!("{}/anthropic", fake.url()), "models": []});
    let h = Harness::with_secrets(json!({"providers": [kimi]}), Arc::new(MemoryStore::new())).await;
    h.gateway
        .credentials()
        .save_named_key(&key_id("kimi", &fake), Secret::new("sk-kimi-saved"))
        .unwrap();
    h.gateway.refresh_provider_models().await;
    let asked = fake.last_request().unwrap();
    assert_eq!(asked.uri, "/anthropic/v1/models");
    assert_eq!(asked.header("x-api-key"), Some("sk-kimi-saved"));

    let messages = |model: &str| json!({"model": model, "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]});
    let r = h
        .client
        .post(format!("{}/v1/messages", h.url))
        .header("x-api-key", h.local_key())
        .header("anthropic-version", "2023-06-01")
        .json(&messages("kimi-k2"))
        .send()
        .await
        .unwrap();
    let status = r.status();
    if status != 200 {
        panic!("{status}: {}", r.text().await.unwrap());
    }
    assert_eq!(r.headers()["x-clawbox-upstream"], "kimi");
    let sent = last_call(&fake);
    assert_eq!(sent.uri, "/anthropic/v1/messages");
    assert_eq!(sent.header("x-api-key"), Some("sk-kimi-saved"));
    assert_eq!(sent.header("authorization"), None);

    // It lists a Claude model too, but a list never takes Anthropic's own.
    let r = h
        .post_anthropic("/v1/messages", &messages("claude-sonnet-4-6"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-clawbox-upstream"], "anthropic");
    assert_eq!(
        h.provider.last_request().unwrap().header("x-api-key"),
        Some("sk-ant-test-caller-key")
    );
}

#[tokio::test]
async fn a_provider_that_takes_no_key_never_gets_one_and_a_key_stays_with_its_host() {
    let fake = FakeUpstream::hosted().await;
    let lmstudio = |base: String| {
        json!({"providers": [{"name": "lmstudio", "base_url": base, "models": ["qwen*"],
                              "needs_key": false}]})
    };
    let h = Harness::with_secrets(
        lmstudio(format!("{}/v1", fake.url())),
        Arc::new(MemoryStore::new()),
    )
    .await;
    // Even a key saved for it stays here: it takes none, and is billed as local.
    h.gateway
        .credentials()
        .save_named_key(&key_id("lmstudio", &fake), Secret::new("sk-should-stay"))
        .unwrap();
    let r = post_with_local_key(&h, &chat("qwen3-8b", false)).await;
    assert_eq!(r.status(), 200);
    assert_eq!(last_call(&fake).header("authorization"), None);

    // A keyed provider moved to another host has no key there.
    let deepseek_fake = FakeUpstream::compatible(BASE_PATH).await;
    let other = FakeUpstream::compatible(BASE_PATH).await;
    h.gateway
        .credentials()
        .save_named_key(
            &key_id("deepseek", &deepseek_fake),
            Secret::new("sk-for-the-first"),
        )
        .unwrap();
    h.write_settings(&json!({"providers": [deepseek(&other, &["deepseek-*"])]}));
    h.gateway.reload_settings();
    let r = post_with_local_key(&h, &chat("deepseek-chat", false)).await;
    assert_eq!(r.status(), 401);
    assert!(
        other
            .requests()
            .iter()
            .all(|r| r.header("authorization").is_none())
    );
    assert!(deepseek_fake.requests().is_empty());
}

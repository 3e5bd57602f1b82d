//! The ChatGPT route (`auth_mode = codex`): agents holding the local key use the signed-in
//! account through the Codex backend, in the Responses dialect or translated from chat
//! completions; the token refreshes itself; limits and lapsed sign-ins are plain answers.

use std::sync::Arc;

use clawbox_auth::codex::CodexTokens;
use clawbox_auth::{MemoryStore, Provider, Secret};
use clawbox_testkit::usage::RESPONSES;
use clawbox_testkit::{FakeOAuth, RefreshFailure};
use serde_json::{Value, json};

use crate::harness::{Harness, request_id, sse_data};

/// A gateway in codex mode with an account signed in at `oauth`.
pub(crate) async fn signed_in(oauth: &FakeOAuth) -> Harness {
    signed_in_with(oauth, json!({"auth_mode": "codex"})).await
}

/// The same, with these settings.
pub(crate) async fn signed_in_with(oauth: &FakeOAuth, settings: Value) -> Harness {
    let secrets = Arc::new(MemoryStore::new());
    let (id, access, refresh) = oauth.sign_in_directly();
    CodexTokens::new(id, access, refresh, 1)
        .unwrap()
        .save(secrets.as_ref())
        .unwrap();
    Harness::with_chatgpt(settings, secrets, oauth).await
}

pub(crate) async fn post(h: &Harness, path: &str, body: Value) -> reqwest::Response {
    h.client
        .post(format!("{}{path}", h.url))
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {}", h.local_key()))
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

fn chat(stream: bool) -> Value {
    json!({"model": "gpt-5", "stream": stream, "max_tokens": 100,
           "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}]})
}

#[tokio::test]
async fn a_responses_stream_goes_to_the_codex_backend_with_the_account() {
    let oauth = FakeOAuth::start().await;
    let h = signed_in(&oauth).await;
    let r = post(
        &h,
        "/v1/responses",
        json!({"model": "gpt-5", "input": "hi", "stream": true,
                                              "max_output_tokens": 100}),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-clawbox-upstream"], "codex");
    let id = request_id(&r);
    let events = sse_data(r).await;
    assert!(events.last().unwrap().contains("response.completed"));
    let (headers, body) = oauth.backend_requests().pop().unwrap();
    assert!(
        headers["authorization"]
            .to_str()
            .unwrap()
            .starts_with("Bearer ")
    );
    assert_eq!(headers["chatgpt-account-id"], "acct_fake_123");
    assert!(
        !format!("{headers:?}").contains("cbx_"),
        "the local key stays here"
    );
    assert_eq!(
        (body["stream"].clone(), body["store"].clone()),
        (json!(true), json!(false))
    );
    assert!(body.get("max_output_tokens").is_none());
    let row = h.row_for(&id).await;
    assert_eq!(row.upstream.as_deref(), Some("codex"));
    assert_eq!(
        (row.tokens_source.as_str(), row.tokens_est as u64),
        ("reported", RESPONSES.0 + RESPONSES.1)
    );
    assert!(h.provider.requests().is_empty());
}

#[tokio::test]
async fn a_non_streaming_responses_client_gets_one_json_response() {
    let oauth = FakeOAuth::start().await;
    let h = signed_in(&oauth).await;
    let r = post(
        &h,
        "/v1/responses",
        json!({"model": "gpt-5", "input": "hi"}),
    )
    .await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["object"], "response");
    // A reasoning model's output starts with its reasoning; the message follows.
    let message = body["output"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["type"] == "message")
        .unwrap();
    assert_eq!(message["content"][0]["text"], "Hello from the fake");
    assert_eq!(body["usage"]["total_tokens"], RESPONSES.0 + RESPONSES.1);
}

#[tokio::test]
async fn chat_completions_are_translated_both_ways() {
    let oauth = FakeOAuth::start().await;
    let h = signed_in(&oauth).await;
    let r = post(&h, "/v1/chat/completions", chat(false)).await;
    assert_eq!(r.status(), 200);
    let id = request_id(&r);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["object"], "chat.completion");
    assert_eq!(
        body["choices"][0]["message"]["content"],
        "Hello from the fake"
    );
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
    assert_eq!(body["usage"]["total_tokens"], RESPONSES.0 + RESPONSES.1);
    let (_, sent) = oauth.backend_requests().pop().unwrap();
    assert_eq!(sent["instructions"], "Be brief.");
    assert_eq!(sent["input"][0]["content"][0]["text"], "hi");
    assert_eq!(h.row_for(&id).await.tokens_source, "reported");

    let r = post(&h, "/v1/chat/completions", chat(true)).await;
    assert_eq!(r.headers()["content-type"], "text/event-stream");
    let id = request_id(&r);
    let events = sse_data(r).await;
    let chunks: Vec<Value> = events[..events.len() - 1]
        .iter()
        .map(|e| serde_json::from_str(e).unwrap())
        .collect();
    let text: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(text, "Hello from the fake");
    assert!(
        chunks
            .iter()
            .all(|c| c["object"] == "chat.completion.chunk")
    );
    assert!(
        chunks.iter().all(|c| c["choices"] != json!([])),
        "no usage chunk unasked"
    );
    assert_eq!(events.last().unwrap(), "[DONE]");
    let row = h.row_for(&id).await;
    assert_eq!((row.tokens_source.as_str(), row.stream), ("reported", true));

    let mut asked = chat(true);
    asked["stream_options"] = json!({"include_usage": true});
    let events = sse_data(post(&h, "/v1/chat/completions", asked).await).await;
    let usage: Value = serde_json::from_str(&events[events.len() - 2]).unwrap();
    assert_eq!(usage["usage"]["total_tokens"], RESPONSES.0 + RESPONSES.1);
}

#[tokio::test]
async fn tool_calls_are_translated_into_chat_tool_calls() {
    let oauth = FakeOAuth::start().await;
    let h = signed_in(&oauth).await;
    let mut body = chat(false);
    body["tools"] = json!([{"type": "function", "function": {"name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]);
    let answer: Value = post(&h, "/v1/chat/completions", body.clone())
        .await
        .json()
        .await
        .unwrap();
    let call = &answer["choices"][0]["message"]["tool_calls"][0];
    assert_eq!(call["id"], "call_fake_get_weather");
    assert_eq!(call["function"]["name"], "get_weather");
    assert_eq!(call["function"]["arguments"], r#"{"city":"Austin"}"#);
    assert_eq!(answer["choices"][0]["finish_reason"], "tool_calls");

    body["stream"] = json!(true);
    let events = sse_data(post(&h, "/v1/chat/completions", body).await).await;
    let args: String = events[..events.len() - 1]
        .iter()
        .map(|e| serde_json::from_str::<Value>(e).unwrap())
        .filter_map(|c| {
            c["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(args, r#"{"city":"Austin"}"#);
}

#[tokio::test]
async fn a_token_the_backend_refuses_is_refreshed_once_and_the_call_retried() {
    let oauth = FakeOAuth::start().await;
    let h = signed_in(&oauth).await;
    oauth.expire_access_token();
    let r = post(
        &h,
        "/v1/responses",
        json!({"model": "gpt-5", "input": "hi"}),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(oauth.refresh_count(), 1);
    assert_eq!(
        oauth.backend_requests().len(),
        2,
        "refused once, then retried"
    );
    // The rotated refresh token was saved to the keychain.
    let stored = CodexTokens::load(h.secrets.as_ref()).unwrap().unwrap();
    assert_eq!(
        Some(stored.refresh_token.expose().to_owned()),
        oauth.current_refresh_token()
    );
}

#[tokio::test]
async fn a_lapsed_sign_in_tells_the_user_to_sign_in_again() {
    let oauth = FakeOAuth::start().await;
    let h = signed_in(&oauth).await;
    oauth.expire_access_token();
    oauth.fail_refresh(Some(RefreshFailure::Permanent("refresh_token_expired")));
    let r = post(&h, "/v1/chat/completions", chat(false)).await;
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "reauth_required");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("sign in again")
    );
    let health = h.health().await;
    assert_eq!(health["status"], "degraded");
    assert!(
        health["problems"][0].as_str().unwrap().contains("expired"),
        "{health}"
    );
}

#[tokio::test]
async fn the_plans_usage_limit_is_a_plain_message_with_its_reset_time() {
    let oauth = FakeOAuth::start().await;
    let h = signed_in(&oauth).await;
    oauth.set_usage_limit(Some(2220));
    let r = post(&h, "/v1/chat/completions", chat(false)).await;
    assert_eq!(r.status(), 429);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((2200..=2220).contains(&retry), "{retry}");
    let body: Value = r.json().await.unwrap();
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("usage limit") && message.contains("in about 37 minutes"),
        "{message}"
    );
}

#[tokio::test]
async fn what_chatgpt_cannot_serve_and_who_is_not_signed_in_get_clear_answers() {
    let oauth = FakeOAuth::start().await;
    let h = signed_in(&oauth).await;
    let r = post(
        &h,
        "/v1/embeddings",
        json!({"model": "text-embedding-3-small", "input": "x"}),
    )
    .await;
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("key set openai")
    );
    // With a saved OpenAI key, embeddings use it.
    h.gateway
        .credentials()
        .save_provider_key(Provider::OpenAi, Secret::new("sk-saved"))
        .unwrap();
    let r = post(
        &h,
        "/v1/embeddings",
        json!({"model": "text-embedding-3-small", "input": "x"}),
    )
    .await;
    assert_eq!(r.status(), 200);
    // A caller's own key still goes to OpenAI, not to the ChatGPT account.
    let r = h
        .post("/v1/chat/completions", &chat(false))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-clawbox-upstream"], "openai");

    let nobody = Harness::with_chatgpt(
        json!({"auth_mode": "codex"}),
        Arc::new(MemoryStore::new()),
        &oauth,
    )
    .await;
    let r = post(
        &nobody,
        "/v1/responses",
        json!({"model": "gpt-5", "input": "hi"}),
    )
    .await;
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_signed_in");
    let health = nobody.health().await;
    assert!(
        health["problems"][0]
            .as_str()
            .unwrap()
            .contains("no ChatGPT account"),
        "{health}"
    );
}

/// Several agents on one plan: `rounds` times, the backend refuses the token while 50
/// requests are on their way. Each time: exactly one refresh, and every request answered 200
/// (none gets the backend's 401). Returns what went wrong, round by round.
async fn refused_under_load(access_ttl_secs: Option<i64>, rounds: usize) -> Vec<String> {
    const CONCURRENT: usize = 50;
    let oauth = FakeOAuth::start().await;
    if let Some(ttl) = access_ttl_secs {
        oauth.set_access_ttl(ttl);
    }
    let settings = json!({"auth_mode": "codex", "rate_limit": 100_000});
    let h = Arc::new(signed_in_with(&oauth, settings).await);
    let session = Arc::clone(h.gateway.codex().unwrap());
    let mut wrong = Vec::new();
    for round in 0..rounds {
        let before = (session.refresh_count(), oauth.refresh_count());
        oauth.expire_access_token();
        let calls = (0..CONCURRENT).map(|_| {
            let h = Arc::clone(&h);
            tokio::spawn(async move {
                let body = json!({"model": "gpt-5", "input": "hi"});
                post(&h, "/v1/responses", body).await.status().as_u16()
            })
        });
        let statuses: Vec<u16> = futures_util::future::join_all(calls)
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        let refreshes = (
            session.refresh_count() - before.0,
            oauth.refresh_count() - before.1,
        );
        let refused: Vec<u16> = statuses.into_iter().filter(|s| *s != 200).collect();
        if refreshes != (1, 1) || !refused.is_empty() {
            wrong.push(format!(
                "round {round}: {refreshes:?} refreshes (session, server), not 200: {refused:?}"
            ));
        }
    }
    wrong
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_requests_on_a_refused_token_make_one_refresh_round_after_round() {
    let wrong = refused_under_load(None, 20).await;
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Tokens that live no longer than the early-refresh margin (a server issuing short-lived
/// tokens, or a clock running ahead): a freshly refreshed token must not count as due at once,
/// or every waiter refreshes again and in-flight retries meet a rotated token.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn short_lived_tokens_are_refreshed_once_too() {
    for ttl in [240, 301] {
        let wrong = refused_under_load(Some(ttl), 20).await;
        assert!(wrong.is_empty(), "ttl {ttl} s:\n{}", wrong.join("\n"));
    }
}

//! What each request cost, in US dollars, and who pays: checked against figures worked out by
//! hand from the shipped prices and the fakes' token counts; and the monthly budget.

use clawbox_gateway::config::SettingsLayer;
use clawbox_testkit::FakeOAuth;
use serde_json::{Value, json};

use crate::chatgpt::{post, signed_in_with};
use crate::harness::{Harness, request_id};

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-12)
}

async fn chat_as(h: &Harness, model: &str, user: &str) -> reqwest::Response {
    h.post(
        "/v1/chat/completions",
        &json!({"model": model, "messages": [{"role": "user", "content": "hi"}]}),
    )
    .header("x-user-id", user)
    .send()
    .await
    .unwrap()
}

async fn cost_of(h: &Harness, r: reqwest::Response) -> (Option<f64>, Option<String>) {
    let id = request_id(&r);
    r.bytes().await.unwrap();
    let row = h.row_for(&id).await;
    if row.billing.as_deref() == Some("api") {
        assert_eq!(
            row.upstream_request_id.as_deref(),
            Some("req_fake_upstream"),
            "the provider's id is kept for its support"
        );
    }
    (row.cost_usd, row.billing)
}

#[tokio::test]
async fn an_openai_request_costs_its_tokens_with_the_cached_ones_inside_the_input() {
    let h = Harness::start().await;
    // gpt-4o: $2.50 input, $1.25 cached, $10 output per 1M. The fake reports 13 prompt tokens
    // of which 8 cached, and 21 completion tokens (5 of them reasoning, priced as output):
    // 5 × 2.50 + 8 × 1.25 + 21 × 10 = 12.5 + 10 + 210 = 232.5 per 1M.
    let (cost, billing) = cost_of(&h, chat_as(&h, "gpt-4o", "u").await).await;
    assert!(close(cost, 232.5e-6), "{cost:?}");
    assert_eq!(billing.as_deref(), Some("api"));
}

#[tokio::test]
async fn an_anthropic_request_prices_cache_reads_and_writes_apart_from_the_input() {
    let h = Harness::start().await;
    // claude-sonnet-4-5: $3 input, $0.30 cache read, $3.75 cache write, $15 output. The fake
    // reports input 23, cache read 5, cache write 3, output 29:
    // 23 × 3 + 5 × 0.3 + 3 × 3.75 + 29 × 15 = 69 + 1.5 + 11.25 + 435 = 516.75 per 1M.
    for stream in [false, true] {
        let body = json!({"model": "claude-sonnet-4-5", "max_tokens": 50, "stream": stream,
                          "messages": [{"role": "user", "content": "hi"}]});
        let r = h
            .post_anthropic("/v1/messages", &body)
            .send()
            .await
            .unwrap();
        let (cost, billing) = cost_of(&h, r).await;
        assert!(close(cost, 516.75e-6), "stream {stream}: {cost:?}");
        assert_eq!(billing.as_deref(), Some("api"));
    }
}

#[tokio::test]
async fn a_plan_request_is_priced_at_api_rates_and_billed_to_the_plan() {
    let oauth = FakeOAuth::start().await;
    let h = signed_in_with(&oauth, json!({"auth_mode": "codex"})).await;
    // gpt-5: $1.25 input, $0.125 cached, $10 output. The backend reports input 17 (11 cached)
    // and output 19: 6 × 1.25 + 11 × 0.125 + 19 × 10 = 7.5 + 1.375 + 190 = 198.875 per 1M.
    let r = post(
        &h,
        "/v1/responses",
        json!({"model": "gpt-5", "input": "hi", "stream": true}),
    )
    .await;
    let (cost, billing) = cost_of(&h, r).await;
    assert!(close(cost, 198.875e-6), "{cost:?}");
    assert_eq!(billing.as_deref(), Some("plan"));
}

#[tokio::test]
async fn a_local_model_costs_nothing_and_an_unknown_model_has_no_price() {
    let h = Harness::start().await;
    h.ollama.set_local_models(&["llama3.2"]);
    h.gateway.refresh_local_models().await;
    let (cost, billing) = cost_of(&h, chat_as(&h, "llama3.2", "u").await).await;
    assert_eq!((cost, billing.as_deref()), (Some(0.0), Some("local")));

    let (cost, billing) = cost_of(&h, chat_as(&h, "gpt-nobody-prices", "u").await).await;
    assert_eq!(
        (cost, billing.as_deref()),
        (None, Some("api")),
        "no price is NULL, never $0"
    );
}

#[tokio::test]
async fn prices_in_settings_come_first_exact_names_before_prefixes() {
    let settings = json!({"prices": {
        "gpt-4o": {"input": 1.0, "output": 2.0},
        "gpt-4o*": {"input": 100.0, "output": 100.0},
        "gpt-h*": {"input": 0.5, "cached_input": 0.25, "output": 1.0}
    }});
    let h = Harness::with(settings, SettingsLayer::default()).await;
    // 13 × 1 + 21 × 2 = 55 per 1M (no cached price: cached tokens cost the input price).
    let (cost, _) = cost_of(&h, chat_as(&h, "gpt-4o", "u").await).await;
    assert!(close(cost, 55e-6), "{cost:?}");
    // 2000 per 1M for everything gpt-4o-…: 34 tokens × 100.
    let (cost, _) = cost_of(&h, chat_as(&h, "gpt-4o-mini", "u").await).await;
    assert!(close(cost, 3400e-6), "{cost:?}");
    // 5 × 0.5 + 8 × 0.25 + 21 × 1 = 2.5 + 2 + 21 = 25.5 per 1M.
    let (cost, _) = cost_of(&h, chat_as(&h, "gpt-house", "u").await).await;
    assert!(close(cost, 25.5e-6), "{cost:?}");
}

#[tokio::test]
async fn a_bad_price_in_settings_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("settings.json"),
        r#"{"prices": {"gpt-4o": {"input": -1, "output": 2}}}"#,
    )
    .unwrap();
    let options = clawbox_gateway::GatewayOptions::new(
        dir.path().to_owned(),
        SettingsLayer {
            listen: Some("127.0.0.1:0".into()),
            ..SettingsLayer::default()
        },
    );
    let error = clawbox_gateway::Gateway::open(options)
        .err()
        .unwrap()
        .to_string();
    assert!(
        error.contains("prices") && error.contains("\"gpt-4o\" has input = -1"),
        "{error}"
    );
}

#[tokio::test]
async fn the_budget_stops_api_spend_with_a_402_but_not_the_plan_and_survives_a_restart() {
    let oauth = FakeOAuth::start().await;
    // Each gpt-4o request costs $0.0002325: the third finds $0.000465 spent of $0.0004.
    let settings = json!({"auth_mode": "codex", "monthly_budget_usd": 0.0004});
    let mut h = signed_in_with(&oauth, settings).await;
    for _ in 0..2 {
        // Spend counts once the row is recorded: read each answer and wait for its row.
        let r = chat_as(&h, "gpt-4o", "spender").await;
        assert_eq!(r.status(), 200);
        cost_of(&h, r).await;
    }
    let over = |body: Value| {
        assert_eq!(body["error"]["code"], "monthly_budget_reached", "{body}");
        let message = body["error"]["message"].as_str().unwrap().to_owned();
        assert!(
            message.contains("user `spender` has spent $0.00 of the $0.00 budget")
                && message.contains("resets on the 1st")
                && message.contains("monthly_budget_usd"),
            "{message}"
        );
    };
    let r = chat_as(&h, "gpt-4o", "spender").await;
    assert_eq!(r.status(), 402);
    over(r.json().await.unwrap());
    // Another user has their own budget.
    assert_eq!(chat_as(&h, "gpt-4o", "someone-else").await.status(), 200);
    // The ChatGPT plan is not money spent: it still answers for the same user.
    let plan = |h: &Harness| {
        h.client
            .post(format!("{}/v1/responses", h.url))
            .header("authorization", format!("Bearer {}", h.local_key()))
            .header("x-user-id", "spender")
            .header("content-type", "application/json")
            .body(json!({"model": "gpt-5", "input": "hi", "stream": true}).to_string())
            .send()
    };
    let r = plan(&h).await.unwrap();
    assert_eq!(r.headers()["x-clawbox-upstream"], "codex");
    assert_eq!(r.status(), 200);
    r.bytes().await.unwrap();

    // The spend is read back from the database by the next start.
    h.restart().await;
    let r = chat_as(&h, "gpt-4o", "spender").await;
    assert_eq!(r.status(), 402);
    over(r.json().await.unwrap());
    assert_eq!(plan(&h).await.unwrap().status(), 200);
    h.gateway.flush_log();
    let spent: f64 = rusqlite::Connection::open(h.dir.path().join("clawbox.db"))
        .unwrap()
        .query_row(
            "SELECT spent_usd FROM monthly_usage WHERE user_id = 'spender'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        (spent - 465e-6).abs() < 1e-12,
        "only API spend counts: {spent}"
    );
}

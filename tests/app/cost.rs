//! Cost through the app's commands and its usage alerts: the budget's 80 % alert reaches the
//! window (once, and not when alerts are off), a request's detail names its price, the today
//! strip sums the money.

use std::sync::mpsc;
use std::time::Duration;

use clawbox_gateway::config::SettingsLayer;
use clawbox_testkit::FakeUpstream;
use serde_json::{Value, json};
use tauri::Listener;

use crate::harness::{app_with, invoke, settled_status, stop};

#[test]
fn the_budget_alert_reaches_the_window_once_and_the_detail_names_the_price() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let provider = runtime.block_on(FakeUpstream::provider());
    let dir = tempfile::tempdir().unwrap();
    // Each gpt-4o request costs $0.0002325: the second passes 80 % of $0.0004.
    let overrides = SettingsLayer {
        listen: Some("127.0.0.1:0".into()),
        openai_url: Some(provider.url()),
        monthly_budget_usd: Some(0.0004),
        ..Default::default()
    };
    let (app, window) = app_with(overrides, dir.path());
    let (alerts, heard) = mpsc::channel::<Value>();
    app.listen_any("usage-alert", move |event| {
        let _ = alerts.send(serde_json::from_str(event.payload()).unwrap());
    });
    let url = settled_status(&window).url.unwrap();
    let client = reqwest::blocking::Client::new();
    let send = |user: &str| {
        client
            .post(format!("{url}/v1/chat/completions"))
            .bearer_auth("sk-own")
            .header("x-user-id", user)
            .json(&json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}))
            .send()
            .unwrap()
    };
    let first = send("ada");
    let id = first.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(first.status(), 200);
    assert!(
        heard.recv_timeout(Duration::from_millis(500)).is_err(),
        "58 %: no alert yet"
    );
    assert_eq!(send("ada").status(), 200);
    let alert = heard.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(alert["title"], "116% of the monthly budget spent");
    assert!(
        alert["body"]
            .as_str()
            .unwrap()
            .contains("ada has spent $0.00 of the $0.00 budget"),
        "{alert}"
    );
    assert_eq!(send("ada").status(), 402);
    assert!(
        heard.recv_timeout(Duration::from_millis(500)).is_err(),
        "once a month"
    );

    // Off in Settings: another user's budget passes 80 % in silence.
    invoke(
        &window,
        "save_settings",
        json!({"change": {"usage_alerts": false}}),
    )
    .unwrap();
    send("bob");
    send("bob");
    assert!(heard.recv_timeout(Duration::from_millis(800)).is_err());

    let detail = invoke(&window, "request_detail", json!({"id": id})).unwrap();
    assert_eq!(detail["row"]["billing"], "api");
    assert!((detail["row"]["cost_usd"].as_f64().unwrap() - 232.5e-6).abs() < 1e-12);
    assert_eq!(detail["price"]["price"]["input"], 2.5);
    assert!(
        detail["price"]["source"]
            .as_str()
            .unwrap()
            .starts_with("litellm "),
        "{detail}"
    );
    let missing = invoke(&window, "request_detail", json!({"id": "no-such-row"})).unwrap_err();
    assert_eq!(missing["code"], "not_found");
    let today = invoke(&window, "today_usage", json!({"from": 0})).unwrap();
    assert!(
        (today["api_usd"].as_f64().unwrap() - 4.0 * 232.5e-6).abs() < 1e-12,
        "{today}"
    );
    assert_eq!(
        invoke(&window, "plan_limits", json!({})).unwrap(),
        Value::Null
    );
    assert!(
        invoke(&window, "price_source", json!({})).unwrap()["models"]
            .as_u64()
            .unwrap()
            > 100
    );
    stop(&app);
}

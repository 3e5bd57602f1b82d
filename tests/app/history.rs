//! The dashboard and the request log read what the gateway just logged; the log filters, pages
//! and exports as CSV; "clear history" empties it.

use clawbox_gateway::config::SettingsLayer;
use clawbox_testkit::FakeUpstream;
use serde_json::json;

use crate::harness::{app_with, invoke, settled_status, stop};

#[test]
fn requests_just_sent_show_on_the_dashboard_and_in_the_log() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let provider = runtime.block_on(FakeUpstream::provider());
    let dir = tempfile::tempdir().unwrap();
    let overrides = SettingsLayer {
        listen: Some("127.0.0.1:0".into()),
        openai_url: Some(provider.url()),
        monthly_cap: Some(500),
        ..Default::default()
    };
    let (app, window) = app_with(overrides, dir.path());
    let url = settled_status(&window).url.unwrap();
    let client = reqwest::blocking::Client::new();
    for (user, model) in [
        ("ada", "gpt-4o-mini"),
        ("ada", "gpt-4o-mini"),
        ("bob", "gpt-4o"),
    ] {
        let r = client
            .post(format!("{url}/v1/chat/completions"))
            .bearer_auth("sk-own")
            .header("x-user-id", user)
            .json(&json!({"model": model, "messages": [{"role": "user", "content": "hi"}]}))
            .send()
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let r = client
        .get(format!("{url}/v1/nothing-here"))
        .bearer_auth("sk-own")
        .send()
        .unwrap();
    assert_eq!(r.status(), 404);
    // Rows are written in the background: wait for them.
    let mut page = json!(null);
    for _ in 0..100 {
        page = invoke(
            &window,
            "request_log",
            json!({"query": {"user_id": null, "status": null,
            "model": null, "endpoint": null, "before": null, "limit": 2}}),
        )
        .unwrap();
        if page["next"].is_string() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    assert_eq!(page["rows"].as_array().unwrap().len(), 2, "{page}");
    assert_eq!(page["rows"][0]["status"], 404, "newest first");
    let rest = invoke(
        &window,
        "request_log",
        json!({"query": {"user_id": null, "status": null,
        "model": null, "endpoint": null, "before": page["next"], "limit": 10}}),
    )
    .unwrap();
    assert_eq!(rest["rows"].as_array().unwrap().len(), 2);

    let dashboard = invoke(&window, "usage_dashboard", json!({"range": "1h"})).unwrap();
    assert_eq!(dashboard["requests"], 4);
    assert_eq!(dashboard["statuses"]["ok"], 3);
    assert_eq!(dashboard["statuses"]["client_error"], 1);
    assert_eq!(
        dashboard["by_model"][0],
        json!({"name": "gpt-4o-mini", "requests": 2,
        "tokens": dashboard["by_model"][0]["tokens"]})
    );
    assert!(dashboard["tokens_reported"].as_u64().unwrap() > 0);
    assert_eq!(dashboard["month"]["cap"], 500);
    let err = invoke(&window, "usage_dashboard", json!({"range": "1y"})).unwrap_err();
    assert_eq!(err["code"], "bad_range");

    let facets = invoke(&window, "log_facets", json!({})).unwrap();
    assert_eq!(facets["users"], json!(["ada", "anonymous", "bob"]));

    let only_ada = json!({"query": {"user_id": "ada", "status": "2xx", "model": null,
        "endpoint": null, "before": null, "limit": 1}});
    let export = invoke(&window, "export_log_csv", only_ada).unwrap();
    assert_eq!(export["rows"], 2, "the whole filter, not one page");
    let csv = std::fs::read_to_string(export["path"].as_str().unwrap()).unwrap();
    assert_eq!(csv.lines().count(), 3);
    assert!(!csv.contains("sk-own"));

    invoke(&window, "clear_history", json!({})).unwrap();
    let empty = invoke(
        &window,
        "request_log",
        json!({"query": {"user_id": null, "status": null,
        "model": null, "endpoint": null, "before": null, "limit": 10}}),
    )
    .unwrap();
    assert_eq!(empty["rows"], json!([]));
    let dashboard = invoke(&window, "usage_dashboard", json!({"range": "24h"})).unwrap();
    assert_eq!(dashboard["requests"], 0);
    assert_eq!(
        dashboard["month"]["requests"], 2,
        "the month still counts for the cap"
    );
    stop(&app);
}

//! Live settings: settings.json changes apply without a restart; a broken file keeps the last
//! good settings; flags and environment stay pinned.

use std::time::Duration;

use crate::harness::{Harness, chat};
use clawbox_gateway::config::{Mode, SettingsLayer};
use serde_json::{Value, json};

async fn wait_for(h: &Harness, check: impl Fn(&Value) -> bool) -> Value {
    let mut health = Value::Null;
    for _ in 0..60 {
        health = h.health().await;
        if check(&health) {
            return health;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("health never matched: {health}");
}

#[tokio::test]
async fn switching_mode_in_settings_json_takes_effect_without_a_restart() {
    let h = Harness::start().await;
    h.post("/v1/chat/completions", &chat(false))
        .send()
        .await
        .unwrap();
    assert_eq!(h.provider.requests().len(), 1);

    h.write_settings(&json!({"mode": "hosted", "hosted_url": h.hosted.url()}));
    wait_for(&h, |v| v["mode"] == "hosted").await;
    h.post("/v1/chat/completions", &chat(false))
        .header("x-user-id", "sam")
        .send()
        .await
        .unwrap();
    assert_eq!(h.hosted.requests().len(), 1);
    assert_eq!(h.provider.requests().len(), 1);

    h.write_settings(&json!({"mode": "local"}));
    wait_for(&h, |v| v["mode"] == "local").await;
    h.post("/v1/chat/completions", &chat(false))
        .send()
        .await
        .unwrap();
    assert_eq!(h.provider.requests().len(), 2);
}

#[tokio::test]
async fn a_broken_settings_file_keeps_the_last_good_settings_and_says_why() {
    let h = Harness::with(json!({"rate_limit": 100}), SettingsLayer::default()).await;
    h.write_settings(&json!({"mode": "hosted"}));
    wait_for(&h, |v| v["mode"] == "hosted").await;
    std::fs::write(
        h.dir.path().join("settings.json"),
        "{\"mode\": \"local\",,}",
    )
    .unwrap();
    let health = wait_for(&h, |v| v["status"] == "degraded").await;
    assert_eq!(health["mode"], "hosted");
    let problem = health["problems"][0].as_str().unwrap();
    assert!(
        problem.contains("settings.json") && problem.contains("line 1"),
        "{problem}"
    );
    // The user's file is left as they wrote it.
    assert_eq!(
        std::fs::read_to_string(h.dir.path().join("settings.json")).unwrap(),
        "{\"mode\": \"local\",,}"
    );
    h.write_settings(&json!({"mode": "local"}));
    wait_for(&h, |v| v["status"] == "ok" && v["mode"] == "local").await;
}

#[tokio::test]
async fn settings_pinned_by_flags_or_environment_ignore_the_file() {
    let overrides = SettingsLayer {
        mode: Some(Mode::Local),
        ..Default::default()
    };
    let h = Harness::with(json!({}), overrides).await;
    h.write_settings(&json!({"mode": "hosted", "rate_limit": 7}));
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let config = h.gateway.config();
    assert_eq!(config.mode, Mode::Local);
    assert_eq!(
        config.rate_limit, 7,
        "unpinned settings still follow the file"
    );
    assert!(config.pinned.contains(&"mode"));
}

#[tokio::test]
async fn hosted_mode_without_a_url_is_degraded_and_answers_503() {
    let h = Harness::with(
        json!({"mode": "hosted", "hosted_url": null}),
        SettingsLayer::default(),
    )
    .await;
    let health = h.health().await;
    assert_eq!(health["status"], "degraded");
    let r = h
        .post("/v1/chat/completions", &chat(false))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("CLAWBOX_HOSTED_URL")
    );
}

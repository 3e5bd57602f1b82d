//! `clawbox-gateway conversations list|clear` beside a running gateway: a Responses answer from a
//! named provider (which keeps nothing) is kept under ClawBox's id, counted, and forgotten.

use std::process::Command;

use serde_json::{Value, json};

use crate::cli::{BIN, output_with_stdin, start, stop};

fn cli(env: &[(&str, String)], args: &[&str]) -> (bool, String, String) {
    let mut command = Command::new(BIN);
    command.args(args);
    for (k, v) in env {
        command.env(k, v);
    }
    let out = output_with_stdin(command, "");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kept_responses_are_counted_and_forgotten_from_the_command_line() {
    let server = clawbox_testkit::FakeUpstream::hosted().await; // a model server of one's own
    let data = tempfile::tempdir().unwrap();
    let settings = json!({"providers": [{"name": "lmstudio", "base_url": format!("{}/v1", server.url()),
                                         "models": ["qwen*"], "needs_key": false}]});
    std::fs::write(data.path().join("settings.json"), settings.to_string()).unwrap();
    let env = vec![
        ("CLAWBOX_DATA_DIR", data.path().display().to_string()),
        ("CLAWBOX_SECRET_STORE", "file".to_owned()),
    ];
    let mut serve = Command::new(BIN);
    serve.args(["serve", "--listen", "127.0.0.1:0"]);
    for (k, v) in &env {
        serve.env(k, v);
    }
    let (mut child, url) = start(serve);
    let client = reqwest::Client::new();
    let answer: Value = client
        .post(format!("{url}/v1/responses"))
        .json(&json!({"model": "qwen3-8b", "input": "hello"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = answer["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("resp_") && id != "resp_fake", "{answer}");
    let mut found = false;
    for _ in 0..100 {
        let r = client
            .get(format!("{url}/v1/responses/{id}"))
            .send()
            .await
            .unwrap();
        if r.status() == 200 {
            assert_eq!(r.json::<Value>().await.unwrap()["id"], id.as_str());
            found = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(found, "the answer was kept");

    let (ok, out, err) = cli(&env, &["conversations", "list"]);
    assert!(ok, "{err}");
    assert!(out.contains("1 responses, 0 conversations"), "{out}");
    assert!(
        out.contains("kept for:        30 days") && out.contains("encrypted"),
        "{out}"
    );
    assert!(!out.contains("hello"), "never content: {out}");
    let (ok, out, err) = cli(&env, &["conversations", "clear"]);
    assert!(ok && out.contains("Forgot 1 responses"), "{out}{err}");
    let (_, out, _) = cli(&env, &["conversations", "list"]);
    assert!(out.contains("0 responses"), "{out}");
    stop(&mut child);
}

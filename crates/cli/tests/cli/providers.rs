//! `clawbox-gateway provider …` and `key set <provider>` against a real Secret Service: a
//! provider added from the command line, its key saved in the keychain, serves its models
//! through a running gateway; removing it removes its key.

use std::process::Command;

use crate::cli::{BIN, output_with_stdin, start, stop};

fn cli(data_dir: &std::path::Path, args: &[&str], stdin: &str) -> (bool, String, String) {
    let mut command = Command::new(BIN);
    command.args(args).env("CLAWBOX_DATA_DIR", data_dir);
    let out = output_with_stdin(command, stdin);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_added_here_serves_its_models_with_the_key_from_the_keychain() {
    assert!(
        std::env::var_os("CLAWBOX_TEST_KEYRING").is_some(),
        "this test needs a Secret Service: run it through \
         `dbus-run-session -- scripts/with-keyring.sh cargo test` (make test does)"
    );
    let fake = clawbox_testkit::FakeUpstream::compatible("/v1").await;
    fake.set_listed_models(&["deepseek-chat", "deepseek-reasoner"]);
    let dir = tempfile::tempdir().unwrap();
    let base = format!("{}/v1", fake.url());

    // A key for a provider nobody added is refused with the way to add it.
    let (ok, _, err) = cli(dir.path(), &["key", "set", "deepseek"], "sk-ds\n");
    assert!(!ok);
    assert!(
        err.contains("clawbox-gateway provider add deepseek"),
        "{err}"
    );

    // A preset, pointed at the fake.
    let (ok, out, err) = cli(
        dir.path(),
        &["provider", "add", "deepseek", "--base-url", &base],
        "",
    );
    assert!(ok, "{err}");
    assert!(
        out.contains("Added deepseek") && out.contains("key set deepseek"),
        "{out}"
    );
    let (ok, _, err) = cli(
        dir.path(),
        &["key", "set", "deepseek"],
        "sk-deepseek-in-keychain\n",
    );
    assert!(ok, "{err}");
    let (ok, out, _) = cli(dir.path(), &["provider", "list"], "");
    assert!(ok);
    assert!(
        out.contains("deepseek") && out.contains("saved") && out.contains("deepseek-*"),
        "{out}"
    );
    assert!(!out.contains("sk-deepseek"), "never a key: {out}");
    assert!(out.contains("Default upstream: none"), "{out}");
    let (_, status, _) = cli(dir.path(), &["status"], "");
    assert!(
        status.contains("providers:       deepseek (key saved)"),
        "{status}"
    );

    // Another name needs its base URL; a bad one is refused and nothing is written.
    let (ok, _, err) = cli(dir.path(), &["provider", "add", "acme"], "");
    assert!(!ok && err.contains("--base-url"), "{err}");
    let before = std::fs::read_to_string(dir.path().join("settings.json")).unwrap();
    let (ok, _, err) = cli(
        dir.path(),
        &["provider", "add", "acme", "--base-url", "ftp://acme/v1"],
        "",
    );
    assert!(!ok && err.contains("base_url"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("settings.json")).unwrap(),
        before
    );
    let (ok, out, err) = cli(dir.path(), &["provider", "default", "deepseek"], "");
    assert!(ok && out.contains("go to deepseek"), "{err}");

    let mut command = Command::new(BIN);
    command
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("CLAWBOX_DATA_DIR", dir.path());
    let (mut child, url) = start(command);
    let (_, local_key, _) = cli(dir.path(), &["key", "show-local"], "");
    let client = reqwest::Client::new();
    let ask = |model: &'static str| {
        client
            .post(format!("{url}/v1/chat/completions"))
            .bearer_auth(local_key.trim())
            .json(&serde_json::json!({"model": model, "messages": [{"role": "user", "content": "hi"}]}))
            .send()
    };
    let r = ask("deepseek-chat").await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-clawbox-upstream"], "deepseek");
    let call = fake
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.uri == "/v1/chat/completions")
        .unwrap();
    assert_eq!(
        call.header("authorization"),
        Some("Bearer sk-deepseek-in-keychain")
    );
    // Through the default upstream.
    let r = ask("some-model-nobody-claims").await.unwrap();
    assert_eq!(r.headers()["x-clawbox-upstream"], "deepseek");
    stop(&mut child);

    // Removing it removes its key, and the default that named it.
    let (ok, out, err) = cli(dir.path(), &["provider", "remove", "deepseek"], "");
    assert!(ok, "{err}");
    assert!(
        out.contains("and its saved key") && out.contains("default upstream"),
        "{out}"
    );
    let (ok, _, err) = cli(
        dir.path(),
        &["provider", "add", "deepseek", "--base-url", &base],
        "",
    );
    assert!(ok, "{err}");
    let (_, out, _) = cli(dir.path(), &["provider", "list"], "");
    assert!(out.contains("missing"), "the key went with it: {out}");
    let (ok, _, err) = cli(dir.path(), &["provider", "remove", "nobody"], "");
    assert!(!ok && err.contains("the providers are deepseek"), "{err}");

    // Pointed at another host, a provider's key does not go along.
    let (_, _, err) = cli(dir.path(), &["key", "set", "deepseek"], "sk-deepseek-2\n");
    assert!(err.is_empty(), "{err}");
    let elsewhere = "https://deepseek.example/v1";
    let (ok, out, err) = cli(
        dir.path(),
        &["provider", "add", "deepseek", "--base-url", elsewhere],
        "",
    );
    assert!(ok, "{err}");
    assert!(out.contains("key was for the old address"), "{out}");
    let (_, out, _) = cli(dir.path(), &["provider", "list"], "");
    assert!(out.contains("missing"), "{out}");
}

//! `clawbox-gateway doctor` against a running gateway and the fake provider: it fails, with the
//! fix, until ClawBox can answer; passes when chat completions (plain and streamed with usage),
//! the Responses API and Anthropic Messages all work; and names a connected file that no longer
//! points at ClawBox.

use std::process::{Command, Output};

use crate::cli::{BIN, output_with_stdin, start, stop};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn command(env: &[(&str, String)], args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args).env_remove("CLAWBOX_MODE");
    for (k, v) in env {
        c.env(k, v);
    }
    c
}

fn run(env: &[(&str, String)], args: &[&str], stdin: &str) -> Output {
    output_with_stdin(command(env, args), stdin)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_passes_only_when_clients_get_answers_and_configs_point_here() {
    let provider = clawbox_testkit::FakeUpstream::provider().await;
    let data = tempfile::tempdir().unwrap();
    let env = vec![
        ("CLAWBOX_DATA_DIR", data.path().display().to_string()),
        ("CLAWBOX_SECRET_STORE", "file".to_owned()),
        ("CLAWBOX_LISTEN", format!("127.0.0.1:{}", free_port())),
        ("CLAWBOX_OPENAI_URL", provider.url()),
        ("CLAWBOX_ANTHROPIC_URL", provider.url()),
    ];
    let (mut gateway, _) = start(command(&env, &["serve"]));

    let out = run(&env, &["doctor"], "");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("ok   ClawBox is running"), "{text}");
    assert!(text.contains("FAIL Requests can be answered"), "{text}");
    assert!(
        text.contains("fix: Sign in with ChatGPT, or paste an OpenAI or Anthropic API key"),
        "{text}"
    );

    for (provider, key) in [
        ("openai", "sk-doctor-1234567890"),
        ("anthropic", "sk-ant-doctor-123456"),
    ] {
        assert!(
            run(&env, &["key", "set", provider], &format!("{key}\n"))
                .status
                .success()
        );
    }
    let project = tempfile::tempdir().unwrap();
    let project_arg = project.path().display().to_string();
    assert!(
        run(&env, &["connect", "env", &project_arg], "")
            .status
            .success()
    );

    let out = run(&env, &["doctor"], "");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for line in [
        "ok   Chat completions: gpt-4o-mini answered",
        "ok   Streamed chat completions with usage: ",
        "ok   Responses API: gpt-4o-mini answered",
        "ok   Anthropic Messages: claude-3-5-haiku-latest answered",
        "points at ClawBox",
        "All is well.",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }

    // Someone edits the agent's .env by hand: doctor says so, and how to fix it.
    let env_file = project.path().join(".env");
    let edited = std::fs::read_to_string(&env_file)
        .unwrap()
        .replace("http://localhost:", "http://elsewhere:");
    std::fs::write(&env_file, edited).unwrap();
    let out = run(&env, &["doctor"], "");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("does not point at ClawBox any more"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "clawbox-gateway connect env {}",
            env_file.display()
        )),
        "{text}"
    );
    stop(&mut gateway);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_checks_each_provider_its_key_and_whether_it_answers() {
    let provider = clawbox_testkit::FakeUpstream::provider().await;
    let deepseek = clawbox_testkit::FakeUpstream::compatible("/v1").await;
    deepseek.set_listed_models(&["deepseek-chat", "deepseek-reasoner"]);
    let data = tempfile::tempdir().unwrap();
    let env = vec![
        ("CLAWBOX_DATA_DIR", data.path().display().to_string()),
        ("CLAWBOX_SECRET_STORE", "file".to_owned()),
        ("CLAWBOX_LISTEN", format!("127.0.0.1:{}", free_port())),
        ("CLAWBOX_OPENAI_URL", provider.url()),
        ("CLAWBOX_ANTHROPIC_URL", provider.url()),
    ];
    assert!(
        run(&env, &["key", "set", "openai"], "sk-doctor-1234567890\n")
            .status
            .success()
    );
    let base = format!("{}/v1", deepseek.url());
    let added = run(
        &env,
        &["provider", "add", "deepseek", "--base-url", &base],
        "",
    );
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let gone = format!("http://127.0.0.1:{}/v1", free_port());
    let added = run(&env, &["provider", "add", "vllm", "--base-url", &gone], "");
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let (mut gateway, _) = start(command(&env, &["serve"]));

    let out = run(&env, &["doctor"], "");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("FAIL Provider deepseek: no API key saved for it"),
        "{text}"
    );
    assert!(
        text.contains("fix: Save its key: `clawbox-gateway key set deepseek`"),
        "{text}"
    );
    assert!(
        text.contains(&format!("FAIL Provider vllm: could not reach {gone}")),
        "{text}"
    );

    assert!(
        run(&env, &["key", "set", "deepseek"], "sk-deepseek-doctor\n")
            .status
            .success()
    );
    assert!(
        run(&env, &["provider", "remove", "vllm"], "")
            .status
            .success()
    );
    let out = run(&env, &["doctor"], "");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains(&format!(
            "ok   Provider deepseek: {base} is reachable, the key works; it lists 2 models"
        )),
        "{text}"
    );
    let asked = deepseek.last_request().unwrap();
    assert_eq!(asked.uri, "/v1/models");
    assert_eq!(
        asked.header("authorization"),
        Some("Bearer sk-deepseek-doctor")
    );
    stop(&mut gateway);
}

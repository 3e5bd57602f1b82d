//! The account commands of the `clawbox-gateway` binary against a real Secret Service: keys
//! saved from the command line serve a running gateway, and Sign in with ChatGPT without a
//! browser.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::cli::{BIN, output_with_stdin, start, stop};

fn cli(data_dir: &std::path::Path, args: &[&str], stdin: &str) -> std::process::Output {
    let mut command = Command::new(BIN);
    command.args(args).env("CLAWBOX_DATA_DIR", data_dir);
    output_with_stdin(command, stdin)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_saved_from_the_command_line_serve_agents_holding_the_local_key() {
    assert!(
        std::env::var_os("CLAWBOX_TEST_KEYRING").is_some(),
        "this test needs a Secret Service: run it through \
         `dbus-run-session -- scripts/with-keyring.sh cargo test` (make test does)"
    );
    let provider = clawbox_testkit::FakeUpstream::provider().await;
    let dir = tempfile::tempdir().unwrap();
    let out = cli(
        dir.path(),
        &["key", "set", "openai"],
        "sk-from-the-keychain\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = cli(dir.path(), &["key", "show-local"], "");
    let local_key = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(
        local_key.starts_with("cbx_") && local_key.len() == 68,
        "{local_key}"
    );

    let status = cli(dir.path(), &["status"], "");
    let status = String::from_utf8(status.stdout).unwrap();
    assert!(status.contains("saved API keys:  openai"), "{status}");
    assert!(
        status.contains("secrets in:      the system keychain"),
        "{status}"
    );
    assert!(
        !status.contains(&local_key) && !status.contains("sk-from"),
        "status shows no secret"
    );

    let mut command = Command::new(BIN);
    command
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("CLAWBOX_DATA_DIR", dir.path())
        .env("CLAWBOX_OPENAI_URL", provider.url());
    let (mut child, url) = start(command);
    let send = |key: String| {
        let url = url.clone();
        async move {
            reqwest::Client::new()
                .get(format!("{url}/v1/models"))
                .header("authorization", format!("Bearer {key}"))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(send(local_key.clone()).await, 200);
    assert_eq!(
        provider.last_request().unwrap().header("authorization"),
        Some("Bearer sk-from-the-keychain")
    );

    // Rotating from the command line takes effect in the running gateway.
    let out = cli(dir.path(), &["key", "rotate-local"], "");
    let new_key = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert_ne!(new_key, local_key);
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(send(new_key).await, 200);
    assert_eq!(send(local_key).await, 401);
    stop(&mut child);
}

#[test]
fn without_a_keychain_the_key_commands_say_so_plainly() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["key", "show-local"])
        .env("CLAWBOX_DATA_DIR", dir.path())
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("keychain is not available"), "{err}");
    assert!(err.contains("CLAWBOX_SECRET_STORE=file"), "{err}");
    assert!(
        !dir.path().join("secrets.json").exists(),
        "no silent fallback to a file"
    );
}

// Multi-threaded: the fake OAuth server must answer while this test waits on the child process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_codex_signs_in_without_a_browser_and_logout_revokes() {
    assert!(
        std::env::var_os("CLAWBOX_TEST_KEYRING").is_some(),
        "this test needs a Secret Service: run it through \
         `dbus-run-session -- scripts/with-keyring.sh cargo test` (make test does)"
    );
    let oauth = clawbox_testkit::FakeOAuth::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .args(["login", "codex", "--no-browser"])
        .env("CLAWBOX_DATA_DIR", dir.path())
        .env("CLAWBOX_CODEX_ISSUER", oauth.url())
        .env_remove("CLAWBOX_AUTH_MODE")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut url = String::new();
    while !url.trim_start().starts_with("http") {
        url.clear();
        assert!(out.read_line(&mut url).unwrap() > 0, "the URL is printed");
    }
    // The "browser": follow the authorize URL through ClawBox's callback.
    let page = reqwest::get(url.trim()).await.unwrap();
    assert!(page.url().path().ends_with("/success"));
    assert!(
        page.url().query().is_none(),
        "no code or token in the success URL"
    );
    let status = child.wait().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    assert!(status.success(), "{rest}");
    assert!(
        rest.contains("Signed in as sam@example.com (plus plan)"),
        "{rest}"
    );
    let settings = std::fs::read_to_string(dir.path().join("settings.json")).unwrap();
    assert!(settings.contains(r#""auth_mode": "codex""#), "{settings}");

    let with_backend = |args: &[&str]| {
        let mut command = Command::new(BIN);
        command
            .args(args)
            .env("CLAWBOX_DATA_DIR", dir.path())
            .env("CLAWBOX_CODEX_ISSUER", oauth.url())
            .env("CLAWBOX_CODEX_BACKEND_URL", oauth.url());
        String::from_utf8(output_with_stdin(command, "").stdout).unwrap()
    };
    let status = with_backend(&["status"]);
    assert!(
        status.contains("ChatGPT:         sam@example.com (plus plan"),
        "{status}"
    );
    // The plan's windows, asked of the usage endpoint and kept for a minute.
    assert!(
        status.contains(
            "ChatGPT plan:    5-hour: 78% left, resets in 2 h 30 min · Weekly: 68% left, resets "
        ),
        "{status}"
    );
    let again = with_backend(&["status"]);
    assert!(again.contains("Weekly: 68% left"), "{again}");
    assert_eq!(oauth.usage_asked(), 1, "fresh for a minute");
    let refresh = oauth.current_refresh_token().unwrap();
    assert!(!status.contains(&refresh), "status shows no token");

    let out = Command::new(BIN)
        .args(["logout", "codex"])
        .env("CLAWBOX_DATA_DIR", dir.path())
        .env("CLAWBOX_CODEX_ISSUER", oauth.url())
        .env_remove("CLAWBOX_AUTH_MODE")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(oauth.revoked(), [refresh]);
    let status = String::from_utf8(cli(dir.path(), &["status"], "").stdout).unwrap();
    assert!(
        status.contains("ChatGPT:         not signed in"),
        "{status}"
    );
    let settings = std::fs::read_to_string(dir.path().join("settings.json")).unwrap();
    assert!(settings.contains(r#""auth_mode": "openai""#), "{settings}");
}

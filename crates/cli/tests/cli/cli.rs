//! The `clawbox-gateway` binary itself: settings, refusals and exit codes, a clean stop.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_clawbox-gateway");

fn gateway(data_dir: &std::path::Path, args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.arg("serve")
        .args(args)
        .env("CLAWBOX_DATA_DIR", data_dir)
        // Tests that are not about the keychain keep out of it (they run in parallel).
        .env("CLAWBOX_SECRET_STORE", "file")
        .env_remove("CLAWBOX_LISTEN")
        .env_remove("CLAWBOX_MODE");
    c
}

/// Starts the binary and waits for its "listening on" line; returns the child and the base URL.
pub(crate) fn start(mut command: Command) -> (Child, String) {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("ClawBox gateway listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .to_owned();
    (child, url)
}

/// Runs `command` to the end with `stdin` as its input (keys are read from there), capturing
/// its output.
pub(crate) fn output_with_stdin(mut command: Command, stdin: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

pub(crate) fn stop(child: &mut Child) -> std::process::ExitStatus {
    let pid = child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    child.wait().unwrap()
}

#[test]
fn help_explains_every_setting() {
    let out = Command::new(BIN)
        .args(["serve", "--help"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for name in [
        "CLAWBOX_DATA_DIR",
        "CLAWBOX_LISTEN",
        "CLAWBOX_MODE",
        "CLAWBOX_HOSTED_URL",
        "CLAWBOX_OPENAI_URL",
        "CLAWBOX_ANTHROPIC_URL",
        "CLAWBOX_OLLAMA_URL",
        "CLAWBOX_USER_ID",
        "CLAWBOX_RATE_LIMIT",
        "CLAWBOX_MONTHLY_CAP",
        "CLAWBOX_AUTH_MODE",
        "CLAWBOX_ALLOWED_ORIGINS",
        "CLAWBOX_FAILOVER",
        "CLAWBOX_IDLE_TIMEOUT",
        "CLAWBOX_ALLOW_REMOTE",
        "CLAWBOX_ALLOWED_HOSTS",
        "CLAWBOX_SECRET_STORE",
        "settings.json",
    ] {
        assert!(help.contains(name), "--help does not mention {name}");
    }
}

#[tokio::test]
async fn serves_health_and_a_sigterm_stops_it_cleanly_with_rows_flushed() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, url) = start(gateway(dir.path(), &["--listen", "127.0.0.1:0"]));
    let health: serde_json::Value = reqwest::get(format!("{url}/health"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["gateway"], "clawbox");
    let r = reqwest::get(format!("{url}/v1/models")).await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(stop(&mut child).success());
    let conn = rusqlite::Connection::open(dir.path().join("clawbox.db")).unwrap();
    let n: i64 = conn
        .query_row("SELECT COUNT(*) FROM requests", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1);
}

#[test]
fn a_taken_port_is_a_clear_error_and_a_failed_exit() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = gateway(dir.path(), &["--listen", &addr]).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("already in use") && err.contains("--listen"),
        "{err}"
    );
}

#[test]
fn a_non_loopback_address_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = gateway(dir.path(), &[])
        .env("CLAWBOX_LISTEN", "0.0.0.0:0")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("refusing to listen on 0.0.0.0"), "{err}");
}

#[test]
fn a_broken_settings_file_stops_start_up_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("settings.json"), "{\"mode\": \"hosted\"").unwrap();
    let out = gateway(dir.path(), &["--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("settings.json") && err.contains("not valid JSON"),
        "{err}"
    );
}

#[test]
fn a_database_from_a_newer_clawbox_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let conn = rusqlite::Connection::open(dir.path().join("clawbox.db")).unwrap();
    conn.pragma_update(None, "user_version", 42).unwrap();
    drop(conn);
    let out = gateway(dir.path(), &["--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("newer version of ClawBox"));
}

#[tokio::test]
async fn flags_beat_the_environment_which_beats_settings_json() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("settings.json"), r#"{"mode":"hosted"}"#).unwrap();
    let cases = [
        (vec!["--mode", "local"], Some("hosted"), "local"),
        (vec![], Some("local"), "local"),
        (vec![], None, "hosted"),
    ];
    for (flags, env, want) in cases {
        let mut args = vec!["--listen", "127.0.0.1:0"];
        args.extend(flags);
        let mut command = gateway(dir.path(), &args);
        if let Some(mode) = env {
            command.env("CLAWBOX_MODE", mode);
        }
        let (mut child, url) = start(command);
        let health: serde_json::Value = reqwest::get(format!("{url}/health"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        stop(&mut child);
        assert_eq!(health["mode"], want, "flags {args:?}, env {env:?}");
    }
}

#[tokio::test]
async fn without_a_data_dir_it_uses_the_apps_own_folder() {
    let home = tempfile::tempdir().unwrap();
    let mut command = Command::new(BIN);
    command
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("HOME", home.path())
        .env("CLAWBOX_SECRET_STORE", "file")
        .env_remove("XDG_DATA_HOME")
        .env_remove("CLAWBOX_DATA_DIR");
    let (mut child, url) = start(command);
    reqwest::get(format!("{url}/health")).await.unwrap();
    stop(&mut child);
    let dir = home.path().join(".local/share/ai.organized.clawbox");
    assert!(dir.join("clawbox.db").is_file(), "{}", dir.display());
    assert!(dir.join("ip-hash.key").is_file());
}

#[tokio::test]
async fn outbound_calls_honour_the_proxy_environment() {
    // The fake plays a forward proxy: it answers by path, and records the Host it was asked for.
    let proxy = clawbox_testkit::FakeUpstream::provider().await;
    let dir = tempfile::tempdir().unwrap();
    let send = |url: String| async move {
        reqwest::Client::new()
            .get(format!("{url}/v1/models"))
            .header("authorization", "Bearer sk-k")
            .send()
            .await
            .unwrap()
            .status()
    };
    let mut command = gateway(dir.path(), &["--listen", "127.0.0.1:0"]);
    command
        .env("CLAWBOX_OPENAI_URL", "http://api.upstream.invalid")
        .env("HTTP_PROXY", proxy.url())
        .env_remove("NO_PROXY");
    let (mut child, url) = start(command);
    assert_eq!(send(url).await, 200);
    stop(&mut child);
    let seen = proxy.last_request().unwrap();
    assert_eq!(seen.header("host"), Some("api.upstream.invalid"));

    command = gateway(dir.path(), &["--listen", "127.0.0.1:0"]);
    command
        .env("CLAWBOX_OPENAI_URL", "http://api.upstream.invalid")
        .env("HTTP_PROXY", proxy.url())
        .env("NO_PROXY", "api.upstream.invalid");
    let (mut child, url) = start(command);
    assert_eq!(
        send(url).await,
        502,
        "NO_PROXY bypasses the proxy (and .invalid never resolves)"
    );
    stop(&mut child);
    assert_eq!(proxy.requests().len(), 1);
}

/// Desktops often start programs with a soft limit of 1,024 open files, which a burst of slow
/// connections would use up.
#[test]
fn the_open_file_limit_is_raised_to_the_hard_limit_at_start() {
    let (_, hard) = open_files("self");
    assert!(
        hard > 256,
        "this machine's hard limit ({hard}) leaves nothing to raise"
    );
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new("sh");
    command
        .args([
            "-c",
            &format!("ulimit -Sn 256 && exec {BIN} serve --listen 127.0.0.1:0"),
        ])
        .env("CLAWBOX_DATA_DIR", dir.path())
        .env("CLAWBOX_SECRET_STORE", "file")
        .env_remove("CLAWBOX_LISTEN");
    let (mut child, _url) = start(command);
    let (soft, _) = open_files(&child.id().to_string());
    assert_eq!(soft, hard);
    let status = stop(&mut child);
    assert!(status.success(), "{status:?}");
}

/// A process's open-file limits (soft, hard), from /proc.
fn open_files(pid: &str) -> (u64, u64) {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap();
    let mut numbers = line.split_whitespace().skip(3).map(|v| v.parse().unwrap());
    (numbers.next().unwrap(), numbers.next().unwrap())
}

/// A SIGTERM sent the moment the "listening" line appears (a service manager, a script) is a
/// graceful stop, not a kill: the handlers are in place before the line is printed.
#[test]
fn a_sigterm_right_after_the_listening_line_stops_it_cleanly() {
    for _ in 0..20 {
        let dir = tempfile::tempdir().unwrap();
        let (mut child, _) = start(gateway(dir.path(), &["--listen", "127.0.0.1:0"]));
        let status = stop(&mut child);
        assert!(status.success(), "{status:?}");
    }
}

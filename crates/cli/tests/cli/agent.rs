//! `clawbox-gateway agent list|run` from the binary, against a running `serve` in front of the
//! fake provider, with the real ACP agents `make test` installs.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use clawbox_testkit::FakeUpstream;

use super::cli::{BIN, output_with_stdin, start, stop};

struct Running {
    dir: tempfile::TempDir,
    project: PathBuf,
    listen: String,
    serve: std::process::Child,
    _provider: FakeUpstream,
}

/// A free port on 127.0.0.1 (`agent run` finds the running ClawBox where its settings say).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn installed_agents() -> PathBuf {
    let modules = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/agents/node_modules");
    assert!(
        modules.is_dir(),
        "the ACP agents are not installed: run scripts/setup.sh --with-sdk (make test does)"
    );
    modules.canonicalize().unwrap()
}

fn command(dir: &Path, listen: &str, args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env("CLAWBOX_DATA_DIR", dir)
        .env("CLAWBOX_SECRET_STORE", "file")
        .env("CLAWBOX_LISTEN", listen)
        .env_remove("CLAWBOX_MODE");
    command
}

impl Running {
    async fn start(settings: &str) -> Running {
        let provider = FakeUpstream::provider().await;
        let dir = tempfile::tempdir().unwrap();
        let project = tempfile::tempdir().unwrap().keep().canonicalize().unwrap();
        std::fs::write(dir.path().join("settings.json"), settings).unwrap();
        std::fs::create_dir_all(dir.path().join("agents")).unwrap();
        std::os::unix::fs::symlink(installed_agents(), dir.path().join("agents/node_modules"))
            .unwrap();
        let listen = format!("127.0.0.1:{}", free_port());
        for (provider_name, key) in [("anthropic", "sk-ant-saved\n"), ("openai", "sk-saved\n")] {
            let out = output_with_stdin(
                command(dir.path(), &listen, &["key", "set", provider_name]),
                key,
            );
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let mut serve = command(dir.path(), &listen, &["serve"]);
        serve
            .env("CLAWBOX_ANTHROPIC_URL", provider.url())
            .env("CLAWBOX_OPENAI_URL", provider.url());
        let (serve, _) = start(serve);
        Running {
            dir,
            project,
            listen,
            serve,
            _provider: provider,
        }
    }

    fn agent(&self, args: &[&str]) -> Command {
        let mut full = vec!["agent"];
        full.extend_from_slice(args);
        command(self.dir.path(), &self.listen, &full)
    }

    fn run(&self, args: &[&str]) -> Output {
        self.agent(args).stdin(Stdio::null()).output().unwrap()
    }

    fn rows(&self) -> Vec<(Option<String>, Option<String>)> {
        let db = rusqlite::Connection::open(self.dir.path().join("clawbox.db")).unwrap();
        let mut statement = db
            .prepare("SELECT client, agent_session FROM requests")
            .unwrap();
        statement
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        stop(&mut self.serve);
        let _ = std::fs::remove_dir_all(&self.project);
    }
}

fn write_prompt(path: &str, content: &str) -> String {
    format!(
        "Update it. clawbox-script {}",
        serde_json::json!({"write": path, "content": content})
    )
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_list_names_each_agent_and_whether_it_is_installed() {
    let settings = r#"{"agents": [{"name": "my-agent", "command": "/nowhere/my-acp-agent", "args": ["--acp"]}]}"#;
    let running = Running::start(settings).await;
    let out = running.run(&["list"]);
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<Vec<&str>> = stdout
        .lines()
        .map(|line| line.split('\t').collect())
        .collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert_eq!(lines[0][..2], ["claude", "installed"]);
    assert!(
        lines[0][2].contains("claude-code-acp/dist/index.js"),
        "{stdout}"
    );
    assert_eq!(lines[1][..2], ["codex", "installed"]);
    assert_eq!(
        lines[2],
        ["my-agent", "not installed", "/nowhere/my-acp-agent --acp"]
    );

    std::fs::write(
        running.dir.path().join("settings.json"),
        r#"{"agents": [{"name": "codex", "command": "x"}]}"#,
    )
    .unwrap();
    let out = running.run(&["list"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("taken by a built-in agent"),
        "{}",
        text(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_run_answers_permissions_as_approve_says() {
    let running = Running::start("{}").await;
    let notes = running.project.join("notes.txt");
    std::fs::write(&notes, "one\n").unwrap();
    let cwd = running.project.to_str().unwrap();
    let prompt = write_prompt(notes.to_str().unwrap(), "one\ntwo\n");

    // The default: every request is rejected, and printed.
    let out = running.run(&["run", "--agent", "claude", "--cwd", cwd, &prompt]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(printed.contains("? permission asked: Write"), "{printed}");
    assert!(
        printed.contains("answered reject_once (by --approve)"),
        "{printed}"
    );
    assert_eq!(std::fs::read_to_string(&notes).unwrap(), "one\n");

    // `reads` allows reading and searching, not editing.
    let out = running.run(&[
        "run",
        "--agent",
        "claude",
        "--cwd",
        cwd,
        "--approve",
        "reads",
        &prompt,
    ]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("answered reject_once"),
        "{}",
        text(&out)
    );
    assert_eq!(std::fs::read_to_string(&notes).unwrap(), "one\n");

    let out = running.run(&[
        "run",
        "--agent",
        "claude",
        "--cwd",
        cwd,
        "--approve",
        "all",
        &prompt,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(printed.contains("✎ wrote notes.txt (+1 −0)"), "{printed}");
    assert!(printed.contains("Hello from the fake"), "{printed}");
    assert_eq!(std::fs::read_to_string(&notes).unwrap(), "one\ntwo\n");

    // Codex ends its turn when its patch is rejected: not a normal end.
    let out = running.run(&[
        "run",
        "--agent",
        "codex",
        "--cwd",
        cwd,
        &write_prompt("new.txt", "x"),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("turn ended: cancelled"));
    assert!(!running.project.join("new.txt").exists());

    // Every model call of each run is logged under that run's session, naming the agent.
    let rows = running.rows();
    assert!(rows.len() >= 8, "{rows:?}");
    assert!(rows.iter().all(|(client, session)| session.is_some()
        && matches!(client.as_deref(), Some("claude-code-acp" | "codex-acp"))));
    let mut sessions: Vec<_> = rows.iter().map(|(_, session)| session.clone()).collect();
    sessions.sort();
    sessions.dedup();
    assert_eq!(sessions.len(), 4, "one session per run");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_run_json_prints_one_typed_object_per_line() {
    let running = Running::start("{}").await;
    let cwd = running.project.to_str().unwrap();
    let prompt = write_prompt("made.txt", "from codex");
    let out = running.run(&[
        "run",
        "--agent",
        "codex",
        "--cwd",
        cwd,
        "--approve",
        "all",
        "--json",
        &prompt,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let events: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    let types: Vec<&str> = events
        .iter()
        .map(|event| event["type"].as_str().unwrap())
        .collect();
    assert_eq!(types.first(), Some(&"started"), "{types:?}");
    assert_eq!(types.last(), Some(&"turn_ended"), "{types:?}");
    for expected in ["tool_call", "permission", "permission_answered", "message"] {
        assert!(types.contains(&expected), "{expected} in {types:?}");
    }
    assert_eq!(events.last().unwrap()["stop_reason"], "end_turn");
    assert_eq!(
        std::fs::read_to_string(running.project.join("made.txt"))
            .unwrap()
            .trim_end(),
        "from codex"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_errors_and_no_clawbox_exit_2() {
    let running = Running::start("{}").await;
    let cwd = running.project.to_str().unwrap();
    let out = running.run(&["run", "--agent", "nobody", "--cwd", cwd, "hi"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("no agent called \"nobody\""),
        "{}",
        text(&out)
    );
    let out = running.run(&["run", "--agent", "claude", "--cwd", "/nowhere/at/all", "hi"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("/nowhere/at/all"), "{}", text(&out));
    let out = running.run(&[
        "run",
        "--agent",
        "claude",
        "--cwd",
        cwd,
        "--approve",
        "maybe",
        "hi",
    ]);
    assert_eq!(out.status.code(), Some(2));

    let elsewhere = format!("127.0.0.1:{}", free_port());
    let out = command(
        running.dir.path(),
        &elsewhere,
        &["agent", "run", "--agent", "claude", "--cwd", cwd, "hi"],
    )
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains(&format!("no ClawBox answers at http://{elsewhere}")),
        "{}",
        text(&out)
    );
}

/// The live processes whose parent is `parent`, but for ClawBox's guard.
fn children(parent: u32) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .is_some_and(|stat| {
                    let fields: Vec<&str> = stat
                        .rsplit_once(')')
                        .map_or("", |(_, rest)| rest)
                        .split_whitespace()
                        .collect();
                    fields.first() != Some(&"Z")
                        && fields.get(1).and_then(|ppid| ppid.parse().ok()) == Some(parent)
                })
        })
        .filter(|pid| {
            !std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|cmdline| {
                String::from_utf8_lossy(&cmdline).contains("clawbox-agent-guard")
            })
        })
        .collect()
}

fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit_once(')')
            .is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z'))
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_whose_clawbox_died_is_ended_with_everything_it_started() {
    let running = Running::start("{}").await;
    let cwd = running.project.to_str().unwrap();
    for agent in ["claude", "codex"] {
        let mut cli = running
            .agent(&[
                "run",
                "--agent",
                agent,
                "--cwd",
                cwd,
                "Go on. clawbox-script {\"hang\": true}",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(cli.stdout.take().unwrap()).lines();
        let started = lines
            .by_ref()
            .map_while(Result::ok)
            .find(|line| line.contains(" started ("));
        assert!(started.is_some(), "{agent} did not start");
        let agent_pids = children(cli.id());
        assert_eq!(agent_pids.len(), 1, "{agent}: {agent_pids:?}");
        // ClawBox dies without a word: the agent's stdin closes, and so does its guard's.
        cli.kill().unwrap();
        cli.wait().unwrap();
        let died = Instant::now();
        while alive(agent_pids[0]) || !children(agent_pids[0]).is_empty() {
            assert!(
                died.elapsed() < Duration::from_secs(20),
                "{agent} outlived its ClawBox"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

#[test]
fn agent_install_puts_the_pinned_agent_in_the_data_folder_from_npm() {
    let dir = tempfile::tempdir().unwrap();
    let listen = format!("127.0.0.1:{}", free_port());
    let out = command(dir.path(), &listen, &["agent", "install", "claude"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let progress = String::from_utf8_lossy(&out.stderr);
    assert!(
        progress.contains("Installing Claude Code (@zed-industries/claude-code-acp@0.16.2)"),
        "{progress}"
    );
    let installed = dir
        .path()
        .join("agents/node_modules/@zed-industries/claude-code-acp/package.json");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(installed).unwrap()).unwrap();
    assert_eq!(manifest["version"], "0.16.2");
    // npm recorded the registry's integrity hash it checked the package against.
    let lock = std::fs::read_to_string(dir.path().join("agents/package-lock.json")).unwrap();
    assert!(lock.contains("\"integrity\": \"sha512-"), "{lock}");
    let list = command(dir.path(), &listen, &["agent", "list"])
        .output()
        .unwrap();
    let list = String::from_utf8(list.stdout).unwrap();
    assert!(
        list.lines()
            .any(|line| line.starts_with("claude\tinstalled\t")),
        "{list}"
    );
    assert!(
        list.lines()
            .any(|line| line.starts_with("codex\tnot installed\t")),
        "{list}"
    );

    let out = command(dir.path(), &listen, &["agent", "install", "gpt-engineer"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("no agent called \"gpt-engineer\""),
        "{}",
        text(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_run_runs_a_command_only_when_approve_allows_it() {
    let running = Running::start("{}").await;
    let cwd = running.project.to_str().unwrap();
    let prompt = format!(
        "Go. clawbox-script {}",
        serde_json::json!({"run": "echo from-the-terminal > ran.txt; cat ran.txt"})
    );
    for approve in ["none", "reads"] {
        let out = running.run(&[
            "run",
            "--agent",
            "claude",
            "--cwd",
            cwd,
            "--approve",
            approve,
            &prompt,
        ]);
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("answered reject_once (by --approve)"),
            "{}",
            text(&out)
        );
        assert!(
            !running.project.join("ran.txt").exists(),
            "--approve {approve}"
        );
    }
    let out = running.run(&[
        "run",
        "--agent",
        "claude",
        "--cwd",
        cwd,
        "--approve",
        "all",
        &prompt,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("  │ from-the-terminal"),
        "{}",
        text(&out)
    );
    assert_eq!(
        std::fs::read_to_string(running.project.join("ran.txt")).unwrap(),
        "from-the-terminal\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_gets_a_minimal_environment_pointed_at_clawbox_and_none_of_its_keys() {
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../agents/tests/fixtures/hostile_agent.py");
    let settings = serde_json::json!({"agents": [{
        "name": "mine", "command": "python3", "args": [script], "env": {"MY_SETTING": "1"}
    }]});
    let running = Running::start(&settings.to_string()).await;
    let cwd = running.project.to_str().unwrap();
    let out = running
        .agent(&["run", "--agent", "mine", "--cwd", cwd, "env"])
        // What might be in the environment ClawBox itself was started from.
        .env("ANTHROPIC_AUTH_TOKEN", "sk-ant-oat-personal")
        .env("OPENAI_ORG_ID", "org-personal")
        .env("AWS_SECRET_ACCESS_KEY", "aws-personal")
        .env("GITHUB_TOKEN", "ghp-personal")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let printed = String::from_utf8(out.stdout).unwrap();
    let names = printed
        .split("env: ")
        .nth(1)
        .unwrap()
        .split(';')
        .next()
        .unwrap();
    let names: Vec<&str> = names.split(' ').collect();
    for expected in [
        "PATH",
        "HOME",
        "OPENCLAW_GATEWAY_URL",
        "OPENAI_BASE_URL",
        "CLAWBOX_AGENT_SESSION",
        "MY_SETTING",
    ] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
    for absent in [
        "ANTHROPIC_AUTH_TOKEN",
        "OPENAI_ORG_ID",
        "AWS_SECRET_ACCESS_KEY",
        "GITHUB_TOKEN",
        "CLAWBOX_DATA_DIR",
        "CLAWBOX_SECRET_STORE",
    ] {
        assert!(
            !names.contains(&absent),
            "{absent} reached the agent: {names:?}"
        );
    }
    assert!(printed.contains(&format!("cwd: {cwd}.")), "{printed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_node_claude_code_is_refused_in_one_sentence() {
    let running = Running::start("{}").await;
    let cwd = running.project.to_str().unwrap();
    let without_node = running.project.join("bin-without-node");
    std::fs::create_dir_all(&without_node).unwrap();
    let out = running
        .agent(&["run", "--agent", "claude", "--cwd", cwd, "hello"])
        .env("PATH", &without_node)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("Claude Code needs Node.js, which is not installed on this computer: install it from nodejs.org, then try again"),
        "{said}"
    );
}

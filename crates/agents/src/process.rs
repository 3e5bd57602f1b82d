//! The agent's process: started in its own process group so that ending a session ends
//! everything the agent started (claude-code-acp runs Claude Code as a child; agents run
//! commands); its stderr kept as a short in-memory tail, shown when it dies, never logged.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::AsyncBufReadExt;
use tokio::process::{Child, ChildStderr, ChildStdin, ChildStdout};

use crate::Error;

pub(crate) struct Spawned {
    pub process: AgentProcess,
    pub stdin: ChildStdin,
    pub stdout: ChildStdout,
    pub stderr: StderrTail,
}

pub(crate) struct AgentProcess {
    pid: Option<u32>,
    /// Ends the agent's group if ClawBox dies (see `guard`).
    guard: Mutex<Option<Child>>,
    child: tokio::sync::Mutex<Option<Child>>,
    /// Set once the child is reaped: its group is not signalled again (its id may be reused).
    ended: Mutex<Option<Option<i32>>>,
}

/// How long an agent gets to exit by itself once its stdin is closed, and then after SIGTERM.
const GRACE: Duration = Duration::from_secs(2);

impl AgentProcess {
    pub(crate) fn spawn(
        mut command: tokio::process::Command,
        agent: &str,
    ) -> Result<Spawned, Error> {
        let mut child = command.spawn().map_err(|error| Error::Spawn {
            agent: agent.into(),
            message: error.to_string(),
        })?;
        let missing = || Error::Spawn {
            agent: agent.into(),
            message: "its stdio could not be opened".into(),
        };
        let stdin = child.stdin.take().ok_or_else(missing)?;
        let stdout = child.stdout.take().ok_or_else(missing)?;
        let stderr = StderrTail::follow(child.stderr.take());
        let watchdog = child.id().and_then(guard);
        let process = AgentProcess {
            pid: child.id(),
            guard: Mutex::new(watchdog),
            child: tokio::sync::Mutex::new(Some(child)),
            ended: Mutex::new(None),
        };
        Ok(Spawned {
            process,
            stdin,
            stdout,
            stderr,
        })
    }

    pub(crate) fn pid(&self) -> Option<u32> {
        self.pid
    }

    fn signal_group(&self, signal: rustix::process::Signal) {
        let reaped = self
            .ended
            .lock()
            .map(|ended| ended.is_some())
            .unwrap_or(true);
        if let (false, Some(pid)) = (
            reaped,
            self.pid
                .and_then(|pid| rustix::process::Pid::from_raw(pid as i32)),
        ) {
            let _ = rustix::process::kill_process_group(pid, signal);
        }
    }

    /// SIGKILL to the whole group, now (for `Drop` and for a session that will not close).
    pub(crate) fn kill_group(&self) {
        self.signal_group(rustix::process::Signal::KILL);
    }

    /// Waits for the agent to exit by itself (its stdin is closed by then), SIGTERM to its group
    /// after `GRACE`, SIGKILL after another. Returns its exit code (None when killed). Whatever
    /// else is left in the group is killed too.
    pub(crate) async fn end_group(&self) -> Option<i32> {
        let mut guard = self.child.lock().await;
        let Some(child) = guard.as_mut() else {
            return self.ended.lock().ok().and_then(|ended| *ended).flatten();
        };
        let mut status = tokio::time::timeout(GRACE, child.wait())
            .await
            .ok()
            .and_then(Result::ok);
        if status.is_none() {
            self.signal_group(rustix::process::Signal::TERM);
            status = tokio::time::timeout(GRACE, child.wait())
                .await
                .ok()
                .and_then(Result::ok);
        }
        // The leader may be gone while what it started lives on in the group.
        self.signal_group(rustix::process::Signal::KILL);
        if status.is_none() {
            status = child.wait().await.ok();
        }
        let code = status.and_then(|status| status.code());
        *guard = None;
        // Ended on purpose: the guard's work is done, and it must not signal a reused id later.
        if let Some(mut watchdog) = self.guard.lock().ok().and_then(|mut guard| guard.take()) {
            let _ = watchdog.start_kill();
            let _ = watchdog.wait().await;
        }
        if let Ok(mut ended) = self.ended.lock() {
            *ended = Some(code);
        }
        code
    }
}

/// What ends an agent whose ClawBox died without closing it (a crash, `kill -9`): a tiny shell
/// in its own process group that waits on a pipe only ClawBox holds, and when the pipe closes
/// ends the agent's group — SIGTERM, then SIGKILL 2 s later. The agent's own stdin closing is
/// not enough on its own: codex-acp 0.16 keeps running while a model call is in flight.
fn guard(agent_pid: u32) -> Option<Child> {
    // (dash's `kill` takes a negative id as a group without `--`, and refuses `--`.)
    const SCRIPT: &str =
        r#"cat >/dev/null; kill -TERM "-$1" 2>/dev/null; sleep 2; kill -KILL "-$1" 2>/dev/null"#;
    if !cfg!(unix) {
        return None;
    }
    tokio::process::Command::new("/bin/sh")
        .args(["-c", SCRIPT, "clawbox-agent-guard", &agent_pid.to_string()])
        .env_clear()
        .envs(std::env::var_os("PATH").map(|path| ("PATH", path)))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .process_group(0)
        .spawn()
        .ok()
}

/// The last lines the agent wrote to stderr (at most 20 lines of 400 characters).
#[derive(Clone, Default)]
pub(crate) struct StderrTail {
    lines: Arc<Mutex<VecDeque<String>>>,
}

impl StderrTail {
    fn follow(stderr: Option<ChildStderr>) -> StderrTail {
        let tail = StderrTail::default();
        if let Some(stderr) = stderr {
            let lines = tail.lines.clone();
            tokio::spawn(async move {
                let mut reader = tokio::io::BufReader::new(stderr).lines();
                while let Ok(Some(line)) = reader.next_line().await {
                    if let Ok(mut lines) = lines.lock() {
                        if lines.len() == 20 {
                            lines.pop_front();
                        }
                        lines.push_back(line.chars().take(400).collect());
                    }
                }
            });
        }
        tail
    }

    pub(crate) fn text(&self) -> Option<String> {
        let lines = self.lines.lock().ok()?;
        (!lines.is_empty()).then(|| lines.iter().cloned().collect::<Vec<_>>().join("\n"))
    }
}

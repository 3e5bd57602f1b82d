//! Commands an agent asks ClawBox to run (ACP's `terminal/*`; Claude Code's Bash tool when the
//! client offers terminals). Each runs only with permission — the one the person (or the
//! setting) just gave for that very command, or one ClawBox asks for itself — in the project
//! folder (or a folder inside it), in its own process group, with a minimal environment, a
//! time limit and an output cap. Output is kept in memory for the agent and shown, never logged.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use agent_client_protocol::v1::schema::{CreateTerminalRequest, TerminalExitStatus};
use tokio::io::AsyncReadExt;
use tokio::sync::watch;

/// A command that runs longer is ended (its whole group).
pub const TERMINAL_TIMEOUT: Duration = Duration::from_secs(10 * 60);
/// The most output kept per command when the agent names no limit (the newest is kept).
pub const OUTPUT_CAP: usize = 1024 * 1024;

struct Terminal {
    pid: Option<u32>,
    output: Mutex<Captured>,
    exit: watch::Receiver<Option<TerminalExitStatus>>,
}

#[derive(Default)]
struct Captured {
    bytes: Vec<u8>,
    truncated: bool,
    limit: usize,
}

impl Captured {
    /// Keeps the newest `limit` bytes, cut at a character boundary, as ACP asks.
    fn push(&mut self, chunk: &[u8]) {
        self.bytes.extend_from_slice(chunk);
        if self.bytes.len() > self.limit {
            let mut cut = self.bytes.len() - self.limit;
            while cut < self.bytes.len() && (self.bytes[cut] & 0b1100_0000) == 0b1000_0000 {
                cut += 1;
            }
            self.bytes.drain(..cut);
            self.truncated = true;
        }
    }
}

/// The running (and finished, until released) commands of one session.
#[derive(Default)]
pub(crate) struct Terminals {
    next: AtomicU64,
    running: Mutex<HashMap<String, Arc<Terminal>>>,
}

/// The shell line a request runs: the command as given when it has arguments, else (Claude
/// Code sends a whole shell line) the line itself.
pub(crate) fn command_line(request: &CreateTerminalRequest) -> String {
    std::iter::once(request.command.as_str())
        .chain(request.args.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join(" ")
}

impl Terminals {
    /// Starts `request` in `cwd` (already checked to be inside the project). Returns its id;
    /// `ended` gets its id, output (and whether it was cut) and exit status once it is over.
    pub(crate) fn create(
        &self,
        request: &CreateTerminalRequest,
        cwd: &Path,
        ended: impl FnOnce(String, String, bool, TerminalExitStatus) + Send + 'static,
    ) -> Result<String, String> {
        let mut command = if request.args.is_empty() {
            let mut shell = tokio::process::Command::new(shell());
            shell.arg("-c").arg(&request.command);
            shell
        } else {
            let mut direct = tokio::process::Command::new(&request.command);
            direct.args(&request.args);
            direct
        };
        command
            .current_dir(cwd)
            .env_clear()
            .envs(crate::launch::passed_through())
            .envs(
                request
                    .env
                    .iter()
                    .filter(|var| !is_secret_name(&var.name))
                    .map(|var| (&var.name, &var.value)),
            )
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        if let Some(home) = std::env::var_os("HOME") {
            command.env("HOME", home);
        }
        let mut child = command
            .spawn()
            .map_err(|error| format!("the command did not start: {error}"))?;
        let limit = request
            .output_byte_limit
            .map_or(OUTPUT_CAP, |limit| (limit as usize).min(OUTPUT_CAP));
        let terminal_output = Mutex::new(Captured {
            limit,
            ..Captured::default()
        });
        let (exit_tx, exit_rx) = watch::channel(None);
        let terminal = Arc::new(Terminal {
            pid: child.id(),
            output: terminal_output,
            exit: exit_rx,
        });
        let id = format!("term-{}", self.next.fetch_add(1, Ordering::Relaxed) + 1);
        let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
        let reader = Arc::clone(&terminal);
        let ended_id = id.clone();
        tokio::spawn(async move {
            let pump = |mut pipe: Box<dyn tokio::io::AsyncRead + Unpin + Send>,
                        terminal: Arc<Terminal>| async move {
                let mut buffer = [0u8; 8192];
                while let Ok(read @ 1..) = pipe.read(&mut buffer).await {
                    if let Ok(mut output) = terminal.output.lock() {
                        output.push(&buffer[..read]);
                    }
                }
            };
            let out = stdout.map(|pipe| pump(Box::new(pipe), Arc::clone(&reader)));
            let err = stderr.map(|pipe| pump(Box::new(pipe), Arc::clone(&reader)));
            let waited = tokio::time::timeout(TERMINAL_TIMEOUT, async {
                tokio::join!(
                    async {
                        if let Some(out) = out {
                            out.await
                        }
                    },
                    async {
                        if let Some(err) = err {
                            err.await
                        }
                    }
                );
                child.wait().await
            })
            .await;
            let status = match waited {
                Ok(Ok(status)) => status,
                _ => {
                    signal_group(reader.pid);
                    child.wait().await.unwrap_or_default()
                }
            };
            signal_group(reader.pid); // what it left behind in its group
            let exit = TerminalExitStatus::new()
                .exit_code(status.code().and_then(|code| u32::try_from(code).ok()))
                .signal(signal_name(&status));
            let (output, truncated) = reader
                .output
                .lock()
                .map(|output| {
                    (
                        String::from_utf8_lossy(&output.bytes).into_owned(),
                        output.truncated,
                    )
                })
                .unwrap_or_default();
            let _ = exit_tx.send(Some(exit.clone()));
            ended(ended_id, output, truncated, exit);
        });
        if let Ok(mut running) = self.running.lock() {
            running.insert(id.clone(), terminal);
        }
        Ok(id)
    }

    fn get(&self, id: &str) -> Result<Arc<Terminal>, String> {
        self.running
            .lock()
            .ok()
            .and_then(|running| running.get(id).cloned())
            .ok_or_else(|| format!("no terminal {id}"))
    }

    /// Its output so far (the newest part when it was cut), and how it ended if it has.
    pub(crate) fn output(
        &self,
        id: &str,
    ) -> Result<(String, bool, Option<TerminalExitStatus>), String> {
        let terminal = self.get(id)?;
        let exit = terminal.exit.borrow().clone();
        let output = terminal
            .output
            .lock()
            .map_err(|_| "the terminal's output is unreadable".to_owned())?;
        Ok((
            String::from_utf8_lossy(&output.bytes).into_owned(),
            output.truncated,
            exit,
        ))
    }

    pub(crate) async fn wait(&self, id: &str) -> Result<TerminalExitStatus, String> {
        let mut exit = self.get(id)?.exit.clone();
        let status = exit
            .wait_for(Option::is_some)
            .await
            .map_err(|_| "the terminal is gone".to_owned())?;
        Ok(status.clone().unwrap_or_default())
    }

    pub(crate) fn kill(&self, id: &str) -> Result<(), String> {
        let terminal = self.get(id)?;
        // Once it has exited and been reaped its id may belong to someone else.
        if terminal.exit.borrow().is_none() {
            signal_group(terminal.pid);
        }
        Ok(())
    }

    pub(crate) fn release(&self, id: &str) -> Result<(), String> {
        let removed = self
            .running
            .lock()
            .ok()
            .and_then(|mut running| running.remove(id));
        let terminal = removed.ok_or_else(|| format!("no terminal {id}"))?;
        if terminal.exit.borrow().is_none() {
            signal_group(terminal.pid);
        }
        Ok(())
    }

    /// Ends every command still running (the session is closing).
    pub(crate) fn kill_all(&self) {
        if let Ok(mut running) = self.running.lock() {
            for (_, terminal) in running.drain() {
                if terminal.exit.borrow().is_none() {
                    signal_group(terminal.pid);
                }
            }
        }
    }
}

fn signal_group(pid: Option<u32>) {
    if let Some(pid) = pid.and_then(|pid| rustix::process::Pid::from_raw(pid as i32)) {
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
}

fn signal_name(status: &std::process::ExitStatus) -> Option<String> {
    use std::os::unix::process::ExitStatusExt;
    status.signal().map(|signal| match signal {
        9 => "SIGKILL".to_owned(),
        15 => "SIGTERM".to_owned(),
        2 => "SIGINT".to_owned(),
        other => format!("signal {other}"),
    })
}

fn shell() -> &'static str {
    if Path::new("/bin/bash").exists() {
        "/bin/bash"
    } else {
        "/bin/sh"
    }
}

/// Variables an agent may not hand a command: credentials for providers (the command runs on
/// the person's machine; the agent has no business giving it keys).
fn is_secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    upper.ends_with("_API_KEY")
        || upper.ends_with("_AUTH_TOKEN")
        || upper.ends_with("_TOKEN")
        || upper == "CLAWBOX_API_KEY"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_keeps_the_newest_bytes_at_a_character_boundary() {
        let mut captured = Captured {
            limit: 5,
            ..Captured::default()
        };
        captured.push(b"abc");
        assert!(!captured.truncated);
        captured.push("dé€f".as_bytes());
        assert!(captured.truncated);
        assert!(captured.bytes.len() <= 5);
        assert!(
            std::str::from_utf8(&captured.bytes).is_ok(),
            "{:?}",
            captured.bytes
        );
        assert!(captured.bytes.ends_with(b"f"));
    }
}

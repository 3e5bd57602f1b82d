//! `clawbox-gateway agent list|install|run`: the agents ClawBox can run, installing one, and one
//! prompt turn against the running ClawBox, streamed to the terminal (or as JSON lines).
//!
//! Exit status of `run`: 0 when the turn ended normally (`end_turn`), 1 when the agent failed,
//! refused or was stopped, 2 for usage errors and when no ClawBox answers.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clawbox_agents::{
    AgentEvent, AgentSession, AnsweredBy, Approval, Catalog, GatewayTarget, SessionOptions,
    ToolContent,
};
use clawbox_auth::{Credentials, KeychainState, open_store};
use clawbox_gateway::config::{Config, SETTINGS_FILE, SettingsLayer, load_settings_file};

use super::Place;

#[derive(clap::Subcommand)]
pub enum AgentCommand {
    /// One line per agent: its name, whether it is installed, and what runs
    List,
    /// Install a known agent (claude or codex) into ClawBox's data folder from the npm registry
    Install {
        /// claude or codex
        agent: String,
    },
    /// Run one prompt turn with an agent in a project folder, through the running ClawBox
    Run(RunArgs),
}

#[derive(clap::Args)]
pub struct RunArgs {
    /// claude, codex, or the name of an agent added in settings (`agents`)
    #[arg(long)]
    agent: String,
    /// The project folder the agent works in (its file access is confined to it)
    #[arg(long, value_name = "DIR")]
    cwd: PathBuf,
    /// Which permission requests to allow: none (reject and print each), reads (tool kinds
    /// read, search, fetch, think) or all (commands then run as you). Requests naming paths
    /// outside the folder are always rejected.
    #[arg(long, default_value = "none", value_parser = parse_approval)]
    approve: Approval,
    /// One JSON object per line (each with a `type`) instead of readable lines
    #[arg(long)]
    json: bool,
    /// What to ask the agent
    prompt: String,
}

fn parse_approval(value: &str) -> Result<Approval, String> {
    match value.parse::<Approval>()? {
        Approval::Ask => Err("expected none, reads or all".into()),
        approval => Ok(approval),
    }
}

/// Usage errors and "no ClawBox": exit status 2.
const USAGE: u8 = 2;

pub fn run_agent(
    place: &Place,
    command: &AgentCommand,
    runtime: &tokio::runtime::Runtime,
) -> ExitCode {
    let fail = |code: u8, message: String| {
        eprintln!("error: {message}");
        ExitCode::from(code)
    };
    let dir = match place.data_dir() {
        Ok(dir) => dir,
        Err(error) => return fail(USAGE, error.to_string()),
    };
    let custom = match Catalog::custom_from_settings(&dir.join(SETTINGS_FILE)) {
        Ok(custom) => custom,
        Err(message) => return fail(USAGE, message),
    };
    let catalog = Catalog::new(dir.join("agents"), custom);
    match command {
        AgentCommand::List => {
            for agent in catalog.list() {
                let state = if agent.installed {
                    "installed"
                } else {
                    "not installed"
                };
                println!("{}\t{state}\t{}", agent.name, agent.command);
            }
            ExitCode::SUCCESS
        }
        AgentCommand::Install { agent } => {
            let result = runtime.block_on(catalog.install(agent, |line| eprintln!("{line}")));
            match result {
                Ok(()) => {
                    println!("{agent} is installed");
                    ExitCode::SUCCESS
                }
                Err(error @ clawbox_agents::Error::UnknownAgent { .. }) => {
                    fail(USAGE, error.to_string())
                }
                Err(error) => fail(1, error.to_string()),
            }
        }
        AgentCommand::Run(args) => runtime.block_on(run_turn(place, &catalog, args)),
    }
}

async fn run_turn(place: &Place, catalog: &Catalog, args: &RunArgs) -> ExitCode {
    let fail = |code: u8, message: String| {
        eprintln!("error: {message}");
        ExitCode::from(code)
    };
    let gateway = match running_clawbox(place).await {
        Ok(gateway) => gateway,
        Err(message) => return fail(USAGE, message),
    };
    let options = SessionOptions {
        agent: args.agent.clone(),
        project: args.cwd.clone(),
        gateway,
        session: uuid::Uuid::now_v7().to_string(),
        resume: None,
        approval: args.approve,
    };
    let session_id = options.session.clone();
    let (session, mut events) = match AgentSession::start(catalog, options).await {
        Ok(started) => started,
        Err(
            error @ (clawbox_agents::Error::UnknownAgent { .. }
            | clawbox_agents::Error::NotInstalled { .. }
            | clawbox_agents::Error::NodeMissing { .. }
            | clawbox_agents::Error::Project { .. }),
        ) => return fail(USAGE, error.to_string()),
        Err(error) => return fail(1, error.to_string()),
    };
    let mut out = Printer {
        json: args.json,
        mid_line: false,
    };
    out.note(&format!(
        "agent session {session_id} (its model calls are logged under this id)"
    ));
    if let Err(error) = session.prompt(args.prompt.clone()) {
        return fail(1, error.to_string());
    }
    let mut interrupted = false;
    let ended = loop {
        let event = tokio::select! {
            event = events.recv() => event,
            _ = tokio::signal::ctrl_c() => {
                if interrupted {
                    // A second Ctrl-C: stop waiting for the agent to wind down.
                    out.note("ending the agent");
                    break None;
                }
                interrupted = true;
                out.note("stopping the agent (Ctrl-C again to end it now)…");
                session.cancel();
                continue;
            }
        };
        let Some(event) = event else { break None };
        out.event(&event);
        match event {
            AgentEvent::TurnEnded { stop_reason } => break Some(stop_reason),
            AgentEvent::Exited { .. } => break None,
            _ => {}
        }
    };
    session.close().await;
    out.finish();
    match ended.as_deref() {
        Some("end_turn") => ExitCode::SUCCESS,
        _ => ExitCode::FAILURE,
    }
}

/// The running ClawBox's address and local key, or why there is none to use.
async fn running_clawbox(place: &Place) -> Result<GatewayTarget, String> {
    let dir = place.data_dir().map_err(|error| error.to_string())?;
    // Where the running ClawBox listens: settings.json, and CLAWBOX_* as `serve` reads them.
    let environment = SettingsLayer::from_env()?;
    let config = load_settings_file(&dir.join(SETTINGS_FILE))
        .and_then(|file| Config::resolve(&file, &environment))
        .map_err(|error| error.to_string())?;
    let base_url = format!("http://{}", config.listen);
    let health = reqwest::Client::new()
        .get(format!("{base_url}/health"))
        .timeout(std::time::Duration::from_secs(3))
        .send()
        .await;
    if !health.is_ok_and(|response| response.status().is_success()) {
        return Err(format!(
            "no ClawBox answers at {base_url}: open the ClawBox app (or run `clawbox-gateway serve`), then try again"
        ));
    }
    let credentials = Credentials::load(open_store(place.store_kind(), &dir));
    if let KeychainState::Unavailable(reason) = credentials.state() {
        return Err(reason);
    }
    let key = credentials
        .local_key()
        .ok_or("ClawBox has no local key yet: open ClawBox and finish its setup first")?;
    Ok(GatewayTarget {
        base_url,
        key: key.expose().to_owned(),
    })
}

/// What an agent says, without the control characters a terminal would act on (escape
/// sequences can move the cursor, retitle the window or set the clipboard).
fn printable(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect()
}

/// Events as readable lines (the answer streamed as it comes), or as JSON lines.
struct Printer {
    json: bool,
    mid_line: bool,
}

impl Printer {
    fn line(&mut self, text: &str) {
        let text = printable(text);
        let mut stdout = std::io::stdout().lock();
        if self.mid_line {
            let _ = writeln!(stdout);
            self.mid_line = false;
        }
        let _ = writeln!(stdout, "{text}");
    }

    fn note(&mut self, text: &str) {
        if !self.json {
            self.line(&format!("· {text}"));
        }
    }

    fn finish(&mut self) {
        if self.mid_line {
            println!();
            self.mid_line = false;
        }
    }

    fn event(&mut self, event: &AgentEvent) {
        if self.json {
            // JSON escapes control characters itself.
            if let Ok(line) = serde_json::to_string(event) {
                self.line(&line);
            }
            return;
        }
        match event {
            AgentEvent::Message { text } => {
                let text = printable(text);
                let mut stdout = std::io::stdout().lock();
                let _ = write!(stdout, "{text}");
                let _ = stdout.flush();
                self.mid_line = !text.ends_with('\n');
            }
            AgentEvent::Thought { .. }
            | AgentEvent::UserMessage { .. }
            | AgentEvent::Usage { .. } => {}
            AgentEvent::Started {
                agent, agent_info, ..
            } => {
                self.note(&format!(
                    "{agent} started ({})",
                    agent_info.as_deref().unwrap_or("ACP agent")
                ));
            }
            AgentEvent::ToolCall(call) => {
                if call.new {
                    let kind = call.kind.as_deref().unwrap_or("other");
                    self.line(&format!(
                        "→ {} [{kind}]",
                        call.title.as_deref().unwrap_or(&call.id)
                    ));
                } else if let Some(status @ ("completed" | "failed")) = call.status.as_deref() {
                    self.line(&format!(
                        "  {status}: {}",
                        call.title.as_deref().unwrap_or(&call.id)
                    ));
                }
                for content in &call.content {
                    if let ToolContent::Diff { diff, .. } = content {
                        self.line(diff.unified.trim_end());
                    }
                }
            }
            AgentEvent::Plan { entries } => {
                for entry in entries {
                    let mark = if entry.status == "completed" {
                        "[x]"
                    } else {
                        "[ ]"
                    };
                    self.line(&format!("  {mark} {}", entry.content));
                }
            }
            AgentEvent::Permission(ask) => {
                let paths = if ask.paths.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", ask.paths.join(", "))
                };
                self.line(&format!("? permission asked: {}{paths}", ask.title));
            }
            AgentEvent::PermissionAnswered { outcome, by, .. } => {
                let by = match by {
                    AnsweredBy::Person => "you",
                    AnsweredBy::Setting => "--approve",
                    AnsweredBy::Clawbox => "ClawBox",
                };
                self.line(&format!("  answered {outcome} (by {by})"));
            }
            AgentEvent::Refused { what, path, reason } => {
                self.line(&format!(
                    "✗ refused {what} {}: {reason}",
                    path.as_deref().unwrap_or("")
                ));
            }
            AgentEvent::TerminalOutput {
                output, exit_code, ..
            } => {
                for line in output.lines() {
                    self.line(&format!("  │ {line}"));
                }
                if let Some(code @ 1..) = exit_code {
                    self.line(&format!("  exit code {code}"));
                }
            }
            AgentEvent::FileRead { path } => self.line(&format!("  read {path}")),
            AgentEvent::FileWritten { path, diff } => {
                self.line(&format!(
                    "✎ wrote {path} (+{} −{})",
                    diff.added, diff.removed
                ));
            }
            AgentEvent::Notice { message } => self.line(&format!("! {message}")),
            AgentEvent::Error { message } => self.line(&format!("error: {message}")),
            AgentEvent::TurnEnded { stop_reason } => {
                self.note(&format!("turn ended: {stop_reason}"))
            }
            AgentEvent::Exited {
                code,
                closed,
                stderr,
            } => {
                if !closed {
                    let code = code
                        .map_or_else(|| "killed".to_owned(), |code| format!("exit code {code}"));
                    self.line(&format!("error: the agent exited ({code})"));
                    if let Some(stderr) = stderr {
                        self.line(stderr);
                    }
                }
            }
        }
    }
}

//! A gateway on 127.0.0.1:0 in front of the fakes (Anthropic with a saved key for Claude Code,
//! the ChatGPT sign-in and Codex backend for Codex), a project folder, and the installed agents.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clawbox_agents::{
    AgentEvent, AgentSession, Approval, Catalog, CustomAgent, GatewayTarget, SessionOptions,
};
use clawbox_auth::codex::{CodexEndpoints, CodexTokens};
use clawbox_auth::{MemoryStore, Provider, Secret};
use clawbox_gateway::config::SettingsLayer;
use clawbox_gateway::{Gateway, GatewayOptions, SecretsFrom};
use clawbox_testkit::{FakeOAuth, FakeUpstream};
use tokio::sync::mpsc::UnboundedReceiver;

/// The user the trainee's ClawBox is set up for: every agent model call is logged under it.
pub const USER: &str = "trainee-1";

/// (user, endpoint, status, client, agent_session) of a request-log row.
pub type LoggedRow = (String, String, i64, Option<String>, Option<String>);

pub struct Setup {
    pub gateway: Arc<Gateway>,
    pub url: String,
    pub provider: FakeUpstream,
    pub oauth: FakeOAuth,
    pub project: PathBuf,
    pub catalog: Catalog,
    _dirs: (tempfile::TempDir, tempfile::TempDir),
    _task: tokio::task::JoinHandle<()>,
}

/// Where `make test` installs the agents (tests/agents/package.json).
fn installed_agents() -> PathBuf {
    let modules = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/agents/node_modules");
    assert!(
        modules.join("@zed-industries/claude-code-acp").is_dir(),
        "the ACP agents are not installed: run scripts/setup.sh --with-sdk (make test does)"
    );
    modules.canonicalize().unwrap()
}

impl Setup {
    pub async fn start() -> Setup {
        Setup::with_custom(vec![]).await
    }

    pub async fn with_custom(custom: Vec<CustomAgent>) -> Setup {
        let provider = FakeUpstream::provider().await;
        let oauth = FakeOAuth::start().await;
        let data = tempfile::tempdir().unwrap();
        let project = tempfile::tempdir().unwrap();
        std::fs::write(
            data.path().join("settings.json"),
            format!(r#"{{"user_id": "{USER}", "auth_mode": "codex"}}"#),
        )
        .unwrap();
        let secrets = Arc::new(MemoryStore::new());
        let (id, access, refresh) = oauth.sign_in_directly();
        CodexTokens::new(id, access, refresh, 1)
            .unwrap()
            .save(secrets.as_ref())
            .unwrap();
        let overrides = SettingsLayer {
            listen: Some("127.0.0.1:0".into()),
            openai_url: Some(provider.url()),
            anthropic_url: Some(provider.url()),
            ..SettingsLayer::default()
        };
        let mut options = GatewayOptions::new(data.path().to_owned(), overrides);
        options.secrets = SecretsFrom::Store(secrets);
        options.codex_endpoints = Some(CodexEndpoints {
            issuer: oauth.url().parse().unwrap(),
            backend: oauth.url().parse().unwrap(),
        });
        let gateway = Gateway::open(options).unwrap();
        // Claude Code's calls go to Anthropic with the person's saved key; Codex's (Responses API)
        // to ChatGPT through the sign-in.
        gateway
            .credentials()
            .save_provider_key(Provider::Anthropic, Secret::new("sk-ant-saved"))
            .unwrap();
        let listener = gateway.bind().await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let serving = Arc::clone(&gateway);
        let task = tokio::spawn(async move {
            serving
                .serve(listener, std::future::pending())
                .await
                .unwrap()
        });
        let agents = data.path().join("agents");
        std::fs::create_dir_all(&agents).unwrap();
        std::os::unix::fs::symlink(installed_agents(), agents.join("node_modules")).unwrap();
        Setup {
            gateway,
            url,
            provider,
            oauth,
            project: project.path().canonicalize().unwrap(),
            catalog: Catalog::new(agents, custom),
            _dirs: (data, project),
            _task: task,
        }
    }

    pub fn options(&self, agent: &str, approval: Approval) -> SessionOptions {
        let key = self
            .gateway
            .credentials()
            .local_key()
            .unwrap()
            .expose()
            .to_owned();
        SessionOptions {
            agent: agent.into(),
            project: self.project.clone(),
            gateway: GatewayTarget {
                base_url: self.url.clone(),
                key,
            },
            session: uuid::Uuid::now_v7().to_string(),
            resume: None,
            approval,
        }
    }

    pub async fn open(&self, agent: &str, approval: Approval) -> (AgentSession, Events, String) {
        let options = self.options(agent, approval);
        let session = options.session.clone();
        let (agent, events) = AgentSession::start(&self.catalog, options).await.unwrap();
        (agent, Events(events), session)
    }

    /// The request log's rows, oldest first.
    pub fn rows(&self) -> Vec<LoggedRow> {
        self.gateway.flush_log();
        let db = rusqlite::Connection::open(self.gateway.data_dir().join("clawbox.db")).unwrap();
        let mut statement = db
            .prepare(
                "SELECT user_id, endpoint, status, client, agent_session FROM requests ORDER BY id",
            )
            .unwrap();
        statement
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }
}

/// A prompt that makes the fake model write `path` with `content` through the agent's tool.
pub fn write_prompt(path: &str, content: &str) -> String {
    let directive = serde_json::json!({"write": path, "content": content});
    format!("Please update the file. clawbox-script {directive}")
}

pub struct Events(pub UnboundedReceiver<AgentEvent>);

/// How long one agent turn may take here (a turn against the fakes takes 0.3–3 s).
const TURN: Duration = Duration::from_secs(90);

impl Events {
    pub async fn next(&mut self) -> AgentEvent {
        let event = tokio::time::timeout(TURN, self.0.recv())
            .await
            .expect("the agent went quiet")
            .expect("events ended");
        // SHOW_EVENTS=1 prints each event, to see what an agent did when a test fails.
        if std::env::var_os("SHOW_EVENTS").is_some() {
            eprintln!("EVENT {event:?}");
        }
        event
    }

    /// Events up to and including the first one `stop` accepts.
    pub async fn until(&mut self, stop: impl Fn(&AgentEvent) -> bool) -> Vec<AgentEvent> {
        let mut seen = Vec::new();
        loop {
            let event = self.next().await;
            let done = stop(&event);
            seen.push(event);
            if done {
                return seen;
            }
        }
    }

    pub async fn until_turn_ends(&mut self) -> (Vec<AgentEvent>, String) {
        let seen = self
            .until(|event| {
                matches!(
                    event,
                    AgentEvent::TurnEnded { .. } | AgentEvent::Exited { .. }
                )
            })
            .await;
        let reason = match seen.last() {
            Some(AgentEvent::TurnEnded { stop_reason }) => stop_reason.clone(),
            other => panic!("the turn did not end: {other:?} after {seen:#?}"),
        };
        (seen, reason)
    }
}

pub fn answer_text(events: &[AgentEvent]) -> String {
    events
        .iter()
        .filter_map(|event| match event {
            AgentEvent::Message { text } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

/// Every live process in process group `group` (the agent and what it started), once a kill
/// sent to it has had up to 2 s to land. Zombies (dead, waiting for init to reap them) are not
/// counted.
pub async fn processes_in_group(group: u32) -> Vec<u32> {
    let mut left = live_in_group(group);
    for _ in 0..20 {
        if left.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        left = live_in_group(group);
    }
    left
}

/// The live processes in `group` right now.
pub fn live_in_group(group: u32) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .is_some_and(|stat| {
                    // Fields after the command name (which may hold spaces): state ppid pgrp …
                    let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
                    let fields: Vec<&str> = rest.split_whitespace().collect();
                    fields.first() != Some(&"Z")
                        && fields.get(2).and_then(|pgrp| pgrp.parse::<u32>().ok()) == Some(group)
                })
        })
        .collect()
}

//! A real gateway on 127.0.0.1:0 with a temp data dir, in front of two fakes: a provider
//! (OpenAI + Anthropic) and a hosted gateway.

use std::sync::Arc;

use clawbox_auth::MemoryStore;
use clawbox_gateway::config::SettingsLayer;
use clawbox_gateway::{ConnectionLimits, Gateway, GatewayOptions, SecretsFrom};
use clawbox_testkit::FakeUpstream;
use serde_json::Value;

pub struct Harness {
    pub gateway: Arc<Gateway>,
    pub url: String,
    pub provider: FakeUpstream,
    pub hosted: FakeUpstream,
    /// A local model server (Ollama-compatible, no key).
    pub ollama: FakeUpstream,
    pub dir: tempfile::TempDir,
    pub client: reqwest::Client,
    /// The keychain stand-in the gateway reads its stored credentials from.
    pub secrets: Arc<MemoryStore>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    /// What the gateway was opened with, for [`Harness::restart`].
    overrides: SettingsLayer,
    codex: clawbox_auth::codex::CodexEndpoints,
    connections: ConnectionLimits,
    queue: usize,
}

/// A row of the request log, as the tests read it back.
#[derive(Debug, Clone)]
pub struct Row {
    pub id: String,
    pub user_id: String,
    pub endpoint: String,
    pub status: i64,
    pub tokens_est: i64,
    pub tokens_source: String,
    pub prompt_tokens: Option<i64>,
    pub completion_tokens: Option<i64>,
    pub ip_hash: Option<String>,
    pub model: Option<String>,
    pub mode: String,
    pub upstream: Option<String>,
    pub stream: bool,
    pub error: Option<String>,
    pub created_at: String,
    pub failover: bool,
    pub cached_tokens: Option<i64>,
    pub cache_write_tokens: Option<i64>,
    pub reasoning_tokens: Option<i64>,
    pub cost_usd: Option<f64>,
    pub billing: Option<String>,
    pub upstream_request_id: Option<String>,
}

impl Harness {
    pub async fn start() -> Harness {
        Self::with(serde_json::json!({}), SettingsLayer::default()).await
    }

    /// `settings` is written to settings.json; `overrides` act as flags/environment. Upstream
    /// URLs point at the fakes unless given.
    pub async fn with(settings: Value, overrides: SettingsLayer) -> Harness {
        Self::with_queue(settings, overrides, clawbox_gateway::DEFAULT_LOG_QUEUE).await
    }

    pub async fn with_queue(settings: Value, overrides: SettingsLayer, queue: usize) -> Harness {
        Self::build(
            settings,
            overrides,
            queue,
            Arc::new(MemoryStore::new()),
            None,
            ConnectionLimits::default(),
        )
        .await
    }

    /// A gateway whose listener has these limits (header-read timeout, connection cap).
    pub async fn with_connections(settings: Value, connections: ConnectionLimits) -> Harness {
        let queue = clawbox_gateway::DEFAULT_LOG_QUEUE;
        let secrets = Arc::new(MemoryStore::new());
        let overrides = SettingsLayer::default();
        Self::build(settings, overrides, queue, secrets, None, connections).await
    }

    /// A gateway whose keychain is `secrets` (already filled, or failing, as a test needs).
    pub async fn with_secrets(settings: Value, secrets: Arc<MemoryStore>) -> Harness {
        let queue = clawbox_gateway::DEFAULT_LOG_QUEUE;
        let connections = ConnectionLimits::default();
        Self::build(
            settings,
            SettingsLayer::default(),
            queue,
            secrets,
            None,
            connections,
        )
        .await
    }

    /// A gateway whose ChatGPT sign-in and Codex backend are `oauth`'s.
    pub async fn with_chatgpt(
        settings: Value,
        secrets: Arc<MemoryStore>,
        oauth: &clawbox_testkit::FakeOAuth,
    ) -> Harness {
        let endpoints = clawbox_auth::codex::CodexEndpoints {
            issuer: oauth.url().parse().unwrap(),
            backend: oauth.url().parse().unwrap(),
        };
        let queue = clawbox_gateway::DEFAULT_LOG_QUEUE;
        Self::build(
            settings,
            SettingsLayer::default(),
            queue,
            secrets,
            Some(endpoints),
            ConnectionLimits::default(),
        )
        .await
    }

    async fn build(
        settings: Value,
        mut overrides: SettingsLayer,
        queue: usize,
        secrets: Arc<MemoryStore>,
        codex: Option<clawbox_auth::codex::CodexEndpoints>,
        connections: ConnectionLimits,
    ) -> Harness {
        let provider = FakeUpstream::provider().await;
        let hosted = FakeUpstream::hosted().await;
        let ollama = FakeUpstream::hosted().await;
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("settings.json"), settings.to_string()).unwrap();
        overrides.listen.get_or_insert("127.0.0.1:0".into());
        overrides.openai_url.get_or_insert(provider.url());
        overrides.anthropic_url.get_or_insert(provider.url());
        overrides.ollama_url.get_or_insert(ollama.url());
        if settings.get("hosted_url").is_none() {
            overrides.hosted_url.get_or_insert(hosted.url());
        }
        let codex = codex.unwrap_or(clawbox_auth::codex::CodexEndpoints {
            issuer: "http://127.0.0.1:9".parse().unwrap(),
            backend: "http://127.0.0.1:9".parse().unwrap(),
        });
        let opened =
            Opened::start(dir.path(), &overrides, queue, &secrets, &codex, connections).await;
        Harness {
            gateway: opened.gateway,
            url: opened.url,
            provider,
            hosted,
            ollama,
            dir,
            client: reqwest::Client::new(),
            secrets,
            stop: Some(opened.stop),
            task: Some(opened.task),
            overrides,
            codex,
            connections,
            queue,
        }
    }

    /// Stops the gateway and opens a new one on the same data dir, settings and fakes: what
    /// quitting and starting ClawBox again does.
    pub async fn restart(&mut self) {
        self.stop().await;
        let opened = Opened::start(
            self.dir.path(),
            &self.overrides,
            self.queue,
            &self.secrets,
            &self.codex,
            self.connections,
        )
        .await;
        self.gateway = opened.gateway;
        self.url = opened.url;
        self.stop = Some(opened.stop);
        self.task = Some(opened.task);
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.get(format!("{}{path}", self.url))
    }

    /// A JSON POST with the caller's own OpenAI key.
    pub fn post(&self, path: &str, body: &Value) -> reqwest::RequestBuilder {
        self.client
            .post(format!("{}{path}", self.url))
            .header("content-type", "application/json")
            .header("authorization", "Bearer sk-test-caller-key")
            .body(body.to_string())
    }

    /// The local key the gateway created on first run.
    pub fn local_key(&self) -> String {
        self.gateway
            .credentials()
            .local_key()
            .expect("a local key exists")
            .expose()
            .to_owned()
    }

    /// A JSON POST as the Anthropic SDK sends it.
    pub fn post_anthropic(&self, path: &str, body: &Value) -> reqwest::RequestBuilder {
        self.client
            .post(format!("{}{path}", self.url))
            .header("content-type", "application/json")
            .header("x-api-key", "sk-ant-test-caller-key")
            .header("anthropic-version", "2023-06-01")
            .body(body.to_string())
    }

    pub fn write_settings(&self, settings: &Value) {
        std::fs::write(self.dir.path().join("settings.json"), settings.to_string()).unwrap();
    }

    /// Every row logged so far, oldest first.
    pub fn rows(&self) -> Vec<Row> {
        self.gateway.flush_log();
        let conn = rusqlite::Connection::open(self.dir.path().join("clawbox.db")).unwrap();
        let mut stmt = conn
            .prepare(
                "SELECT id, user_id, endpoint, status, tokens_est, tokens_source, prompt_tokens,
                        completion_tokens, ip_hash, model, mode, upstream, stream, error, created_at,
                        failover, cached_tokens, cache_write_tokens, reasoning_tokens, cost_usd,
                        billing, upstream_request_id
                 FROM requests ORDER BY id",
            )
            .unwrap();
        stmt.query_map([], |r| {
            Ok(Row {
                id: r.get(0)?,
                user_id: r.get(1)?,
                endpoint: r.get(2)?,
                status: r.get(3)?,
                tokens_est: r.get(4)?,
                tokens_source: r.get(5)?,
                prompt_tokens: r.get(6)?,
                completion_tokens: r.get(7)?,
                ip_hash: r.get(8)?,
                model: r.get(9)?,
                mode: r.get(10)?,
                upstream: r.get(11)?,
                stream: r.get(12)?,
                error: r.get(13)?,
                created_at: r.get(14)?,
                failover: r.get(15)?,
                cached_tokens: r.get(16)?,
                cache_write_tokens: r.get(17)?,
                reasoning_tokens: r.get(18)?,
                cost_usd: r.get(19)?,
                billing: r.get(20)?,
                upstream_request_id: r.get(21)?,
            })
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
    }

    /// The row for a response's `x-request-id`, waiting briefly for a stream's row to land.
    pub async fn row_for(&self, request_id: &str) -> Row {
        for _ in 0..100 {
            if let Some(row) = self.rows().into_iter().find(|r| r.id == request_id) {
                return row;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        panic!("no log row for request {request_id}");
    }

    pub async fn health(&self) -> Value {
        self.get("/health")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Graceful stop: waits for the server to finish and the log to flush.
    pub async fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap();
        }
    }
}

/// A gateway opened and serving.
struct Opened {
    gateway: Arc<Gateway>,
    url: String,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Opened {
    async fn start(
        dir: &std::path::Path,
        overrides: &SettingsLayer,
        queue: usize,
        secrets: &Arc<MemoryStore>,
        codex: &clawbox_auth::codex::CodexEndpoints,
        connections: ConnectionLimits,
    ) -> Opened {
        let mut options = GatewayOptions::new(dir.to_owned(), overrides.clone());
        options.log_queue = queue;
        options.connections = connections;
        options.secrets = SecretsFrom::Store(secrets.clone());
        options.codex_endpoints = Some(codex.clone());
        let gateway = Gateway::open(options).unwrap();
        let listener = gateway.bind().await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = Arc::clone(&gateway);
        let task = tokio::spawn(async move {
            serving
                .serve(listener, async move {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
        Opened {
            gateway,
            url,
            stop,
            task,
        }
    }
}

pub fn request_id(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("x-request-id")
        .expect("every response carries x-request-id")
        .to_str()
        .unwrap()
        .to_owned()
}

pub fn chat(stream: bool) -> Value {
    serde_json::json!({
        "model": "gpt-4o-mini",
        "stream": stream,
        "messages": [{"role": "user", "content": "say hi"}]
    })
}

/// Reads an SSE body to the end and returns each event's data.
pub async fn sse_data(response: reqwest::Response) -> Vec<String> {
    let text = response.text().await.unwrap();
    text.split("\n\n")
        .filter_map(|event| {
            event
                .lines()
                .find_map(|l| l.strip_prefix("data: ").map(str::to_owned))
        })
        .collect()
}

//! The gateway's shared state and lifecycle: open (settings, store, keys), bind, serve.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use arc_swap::ArcSwap;
use clawbox_auth::codex::{CodexEndpoints, CodexSession};
use clawbox_auth::{Credentials, KeychainState, SecretStore, SecretStoreKind, open_store};
use clawbox_store::{DATABASE_FILE, RequestLogWriter, RequestRow, WriterStatus};
use tokio::sync::broadcast;

use crate::admission::Admission;
use crate::config::{self, AuthMode, Config, SETTINGS_FILE, SettingsLayer};
use crate::events::{EVENT_BUFFER, RequestEvent};
use crate::health::Health;
use crate::ip_hash::IpHasher;
use crate::listener::ConnectionLimits;
use crate::ollama::OllamaModels;
use crate::plan_board::PlanBoard;
use crate::providers::ProviderModels;
use crate::{Error, clock};

/// Rows the log queue holds before it drops (and counts) them: minutes of peak traffic.
pub const DEFAULT_LOG_QUEUE: usize = 65_536;

#[derive(Clone)]
pub struct GatewayOptions {
    pub data_dir: PathBuf,
    /// Flags and environment: pinned over `settings.json`.
    pub overrides: SettingsLayer,
    pub log_queue: usize,
    pub secrets: SecretsFrom,
    /// Where "Sign in with ChatGPT" goes; `None`: the shipped endpoints, or the test overrides
    /// in `CLAWBOX_CODEX_ISSUER` / `CLAWBOX_CODEX_BACKEND_URL`.
    pub codex_endpoints: Option<CodexEndpoints>,
    /// Limits on the listening socket (header-read timeout, open connections).
    pub connections: ConnectionLimits,
}

/// Where stored credentials come from.
#[derive(Clone)]
pub enum SecretsFrom {
    /// Open this kind of store (the OS keychain unless `CLAWBOX_SECRET_STORE=file`).
    Open(SecretStoreKind),
    /// Use this store (tests: the in-memory store).
    Store(Arc<dyn SecretStore>),
}

impl GatewayOptions {
    pub fn new(data_dir: PathBuf, overrides: SettingsLayer) -> Self {
        Self {
            data_dir,
            overrides,
            log_queue: DEFAULT_LOG_QUEUE,
            secrets: SecretsFrom::Open(SecretStoreKind::Keychain),
            codex_endpoints: None,
            connections: ConnectionLimits::default(),
        }
    }
}

pub struct Gateway {
    config: ArcSwap<Config>,
    overrides: SettingsLayer,
    data_dir: PathBuf,
    settings_path: PathBuf,
    /// Why the settings file's last change was not applied, if it was not.
    settings_problem: Mutex<Option<String>>,
    /// The settings file's bytes as first read, where the watcher starts from.
    settings_snapshot: Option<Vec<u8>>,
    /// One reload at a time (the watcher and the app may both ask).
    reloading: Mutex<()>,
    port: AtomicU16,
    client: reqwest::Client,
    loopback_client: reqwest::Client,
    /// HTTP/1.1 only, for WebSocket upgrades (they cannot go over HTTP/2): remote, loopback.
    upgrade_clients: (reqwest::Client, reqwest::Client),
    pub(crate) admission: Admission,
    pub(crate) ip_hasher: IpHasher,
    pub(crate) credentials: Arc<Credentials>,
    /// The ChatGPT sign-in, when a secret store is available.
    pub(crate) codex: Option<Arc<CodexSession>>,
    pub(crate) codex_endpoints: CodexEndpoints,
    /// The local model server's models, for routing.
    pub(crate) local_models: OllamaModels,
    /// Kept conversations (the Responses API's state on stateless routes).
    pub(crate) conversations: Arc<crate::conversations::Conversations>,
    /// The named providers' model lists.
    pub(crate) provider_models: ProviderModels,
    /// The ChatGPT plan's usage windows.
    pub(crate) plan: PlanBoard,
    log: RequestLogWriter,
    log_status: Arc<WriterStatus>,
    events: broadcast::Sender<RequestEvent>,
    connections: ConnectionLimits,
}

impl Gateway {
    /// Reads the settings, opens (and migrates) the usage database, starts the log writer. Any
    /// problem here is a clear error: nothing is served with half a configuration.
    pub fn open(options: GatewayOptions) -> Result<Arc<Gateway>, Error> {
        config::prepare_data_dir(&options.data_dir)?;
        let settings_path = options.data_dir.join(SETTINGS_FILE);
        // Read before parsing: if the file changes in between, the watcher sees a difference
        // and applies the newer one.
        let settings_snapshot = std::fs::read(&settings_path).ok();
        let file = config::load_settings_file(&settings_path)?;
        let config = Config::resolve(&file, &options.overrides)?;

        let db_path = options.data_dir.join(DATABASE_FILE);
        let conn = clawbox_store::open(&db_path)?;
        let month = clock::this_month();
        let months = clawbox_store::usage::monthly_usage(&conn, &month)?;
        drop(conn);
        let log = RequestLogWriter::start(&db_path, options.log_queue)?;

        let client_builder = || {
            reqwest::Client::builder()
                .tcp_nodelay(true)
                .redirect(reqwest::redirect::Policy::none())
                .connect_timeout(Duration::from_secs(15))
                .pool_idle_timeout(Duration::from_secs(90))
        };
        let client = client_builder()
            .build()
            .map_err(|e| Error::HttpClient(e.to_string()))?;
        // Upstreams on this machine (a local model server) are never reached through a proxy.
        let loopback_client = client_builder()
            .no_proxy()
            .build()
            .map_err(|e| Error::HttpClient(e.to_string()))?;
        let upgrade_clients = (
            client_builder()
                .http1_only()
                .build()
                .map_err(|e| Error::HttpClient(e.to_string()))?,
            client_builder()
                .http1_only()
                .no_proxy()
                .build()
                .map_err(|e| Error::HttpClient(e.to_string()))?,
        );

        let store = match options.secrets {
            SecretsFrom::Open(kind) => open_store(kind, &options.data_dir),
            SecretsFrom::Store(store) => Ok(store),
        };
        let codex_endpoints = match options.codex_endpoints {
            Some(endpoints) => endpoints,
            None => CodexEndpoints::from_env().map_err(|e| Error::Setting {
                key: "codex endpoints",
                origin: "the environment".into(),
                message: e.to_string(),
            })?,
        };
        let codex = store
            .clone()
            .ok()
            .and_then(|s| CodexSession::new(s, codex_endpoints.clone()).ok())
            .map(Arc::new);
        let conversations = Arc::new(crate::conversations::Conversations::open(
            &options.data_dir,
            store.clone().ok(),
        ));
        let credentials = Arc::new(Credentials::load(store));

        Ok(Arc::new(Gateway {
            credentials,
            conversations,
            codex,
            codex_endpoints,
            local_models: OllamaModels::default(),
            provider_models: ProviderModels::default(),
            plan: PlanBoard::load(&options.data_dir),
            port: AtomicU16::new(config.listen.port()),
            config: ArcSwap::from_pointee(config),
            overrides: options.overrides,
            settings_problem: Mutex::new(None),
            settings_snapshot,
            reloading: Mutex::new(()),
            settings_path,
            client,
            loopback_client,
            upgrade_clients,
            admission: Admission::new(month, months),
            ip_hasher: IpHasher::load_or_create(&options.data_dir)?,
            log_status: log.status(),
            log,
            events: broadcast::channel(EVENT_BUFFER).0,
            data_dir: options.data_dir,
            connections: options.connections,
        }))
    }

    /// Limits on the listening socket.
    pub fn connection_limits(&self) -> ConnectionLimits {
        self.connections
    }

    /// The ChatGPT sign-in in use (when the secret store is usable).
    pub fn codex(&self) -> Option<&Arc<CodexSession>> {
        self.codex.as_ref()
    }

    /// Where the ChatGPT sign-in goes (OpenAI's, or a test server's).
    pub fn codex_endpoints(&self) -> &CodexEndpoints {
        &self.codex_endpoints
    }

    /// The request log's SQLite file (readers open their own connections to it).
    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join(DATABASE_FILE)
    }

    /// The ChatGPT plan's usage windows as last reported (`None` when never reported).
    pub fn plan_limits(&self) -> Option<crate::PlanLimits> {
        self.plan.current()
    }

    /// The plan's usage windows for showing now: asks the backend when nothing fresh is known
    /// (at most once a minute); `None` when not signed in.
    pub async fn fresh_plan_limits(&self) -> Option<crate::PlanLimits> {
        self.plan.fresh(self.codex.as_deref(), &self.client).await
    }

    /// Every new reading of the plan's windows.
    pub fn subscribe_plan(&self) -> tokio::sync::watch::Receiver<Option<crate::PlanLimits>> {
        self.plan.subscribe()
    }

    /// What `user` has spent through API keys this month (UTC), as the budget counts it.
    pub fn spent_this_month(&self, user: &str) -> f64 {
        self.admission.spent(user, &clock::this_month())
    }

    /// The settings in force now.
    pub fn config(&self) -> Arc<Config> {
        self.config.load_full()
    }

    /// The stored credentials (local key, saved provider keys), for the app and the CLI.
    pub fn credentials(&self) -> &Arc<Credentials> {
        &self.credentials
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn settings_path(&self) -> &Path {
        &self.settings_path
    }

    pub(crate) fn settings_snapshot(&self) -> Option<Vec<u8>> {
        self.settings_snapshot.clone()
    }

    /// The port actually listened on.
    pub fn port(&self) -> u16 {
        self.port.load(Ordering::Relaxed)
    }

    /// Re-reads `settings.json` and applies it at once. On a bad file the previous settings stay
    /// in force and `/health` says why.
    pub fn reload_settings(&self) {
        let _one_at_a_time = self
            .reloading
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let result = config::load_settings_file(&self.settings_path)
            .and_then(|file| Config::resolve(&file, &self.overrides));
        let problem = match result {
            Ok(new) => {
                let ids: Vec<String> = new.providers.iter().map(|p| p.key_id()).collect();
                self.credentials.keep_named(&ids);
                let old = self.config();
                let problem = (new.listen != old.listen).then(|| {
                    format!(
                        "the listen address changed to {}; restart ClawBox to apply it",
                        new.listen
                    )
                });
                if *old != new {
                    tracing::info!(mode = new.mode.as_str(), "settings changed");
                    self.config.store(Arc::new(new));
                }
                problem
            }
            Err(e) => {
                tracing::warn!(error = %e, "settings.json not applied");
                Some(format!("{e}; the previous settings are still in force"))
            }
        };
        *self
            .settings_problem
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = problem;
    }

    pub fn health(&self) -> Health {
        let config = self.config();
        let mut problems = config.problems();
        if let Some(p) = self
            .settings_problem
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
        {
            problems.push(p);
        }
        if let Some(e) = self.log_status.failing() {
            problems.push(format!(
                "the usage log database is failing ({e}); requests are still served and their \
                 rows are kept and retried"
            ));
        }
        if config.auth_mode == AuthMode::Codex {
            let session = self.codex.as_deref();
            if let Some(problem) = session.and_then(CodexSession::sign_in_problem) {
                problems.push(problem);
            } else if session.and_then(CodexSession::account).is_none() {
                problems.push(
                    "auth_mode is codex, but no ChatGPT account is signed in: sign in from \
                     ClawBox (clawbox-gateway login codex), or set auth_mode to openai"
                        .to_owned(),
                );
            }
        }
        if let KeychainState::Unavailable(reason) = self.credentials.state() {
            problems.push(format!(
                "{reason}. Until then the local key and saved keys cannot be used; agents that \
                 send their own API key are not affected"
            ));
        }
        let dropped = self.log_status.dropped();
        if dropped > 0 {
            problems.push(format!(
                "{dropped} request-log rows were lost because the log could not keep up"
            ));
        }
        Health::new(config.mode.as_str(), problems)
    }

    /// Asks the local model server (Ollama) which models it has; done in the background every
    /// few seconds while serving, and callable when the app knows something changed.
    pub async fn refresh_local_models(&self) {
        let base = self.config().upstreams.ollama.clone();
        self.local_models
            .refresh(self.client_for(&base), &base)
            .await;
    }

    /// Kept conversations: the store (when one could be opened) and why not, otherwise.
    pub fn conversations(&self) -> &Arc<crate::conversations::Conversations> {
        &self.conversations
    }

    /// Asks every named provider for its model list now (it is also done in the background: a
    /// provider on this machine every few seconds, others every few minutes).
    pub async fn refresh_provider_models(&self) {
        self.provider_models.refresh(self, true).await;
    }

    /// The named providers' model lists as last fetched, by provider name (for the window).
    pub fn provider_model_lists(&self) -> Vec<(String, Vec<String>)> {
        let lists = self.provider_models.get();
        self.config()
            .providers
            .iter()
            .map(|p| {
                let names = lists
                    .get(p.name())
                    .map(|l| l.names.to_vec())
                    .unwrap_or_default();
                (p.name().to_owned(), names)
            })
            .collect()
    }

    /// What the background refreshers know of the upstreams' models, for routing.
    pub(crate) fn known_models(&self) -> crate::stages::Known {
        crate::stages::Known {
            local_models: self.local_models.get(),
            listed: self.provider_models.get(),
        }
    }

    /// The pooled HTTP client for an upstream: the proxy-honouring one, or for an upstream on
    /// this machine the one that bypasses any proxy.
    pub(crate) fn client_for(&self, base: &url::Url) -> &reqwest::Client {
        if is_loopback(base) {
            &self.loopback_client
        } else {
            &self.client
        }
    }

    /// The client for a WebSocket upgrade to `base` (HTTP/1.1 only).
    pub(crate) fn upgrade_client_for(&self, base: &url::Url) -> &reqwest::Client {
        if is_loopback(base) {
            &self.upgrade_clients.1
        } else {
            &self.upgrade_clients.0
        }
    }

    /// Live request events, for the desktop window.
    pub fn subscribe(&self) -> broadcast::Receiver<RequestEvent> {
        self.events.subscribe()
    }

    /// Waits until every request finished so far is in the database.
    pub fn flush_log(&self) {
        self.log.flush();
    }

    pub(crate) fn publish(&self, event: RequestEvent) {
        // No subscriber is normal (headless): the event is simply not kept.
        let _ = self.events.send(event);
    }

    pub(crate) fn enqueue_row(&self, row: RequestRow) {
        if !self.log.enqueue(row) {
            tracing::warn!("request-log queue full; a row was dropped");
        }
    }

    /// Binds the configured address. A taken port and a non-loopback address are refused with
    /// an error that says what to do; there is no silent fallback to another port.
    pub async fn bind(&self) -> Result<tokio::net::TcpListener, Error> {
        crate::listener::raise_open_file_limit();
        let config = self.config();
        let addr = config.listen;
        let listener = if config.allow_remote {
            tracing::warn!(
                %addr,
                "remote access is on: other machines can reach this gateway; every /v1 request \
                 must carry the local key"
            );
            bind(addr).await?
        } else {
            bind_loopback(addr).await?
        };
        if let Ok(local) = listener.local_addr() {
            self.port.store(local.port(), Ordering::Relaxed);
        }
        Ok(listener)
    }

    /// Serves on `listener` until `shutdown` completes, then lets in-flight requests finish (for
    /// a bounded time) and flushes the request log.
    pub async fn serve(
        self: &Arc<Self>,
        listener: tokio::net::TcpListener,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(), Error> {
        crate::server::serve(Arc::clone(self), listener, shutdown).await
    }
}

/// Upstreams on this machine are never reached through a proxy.
fn is_loopback(base: &url::Url) -> bool {
    match base.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

pub async fn bind_loopback(addr: SocketAddr) -> Result<tokio::net::TcpListener, Error> {
    if !addr.ip().is_loopback() {
        return Err(Error::NotLoopback { addr });
    }
    bind(addr).await
}

async fn bind(addr: SocketAddr) -> Result<tokio::net::TcpListener, Error> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| match source.kind() {
            std::io::ErrorKind::AddrInUse => Error::PortInUse { addr },
            _ => Error::Bind { addr, source },
        })
}

//! The gateway the app runs: started from `setup` in the background (opening the database and
//! the keychain can take a moment — a keychain prompt, say — and the window must not wait for
//! it), stopped (and its log flushed) on quit. A gateway that cannot start (the port is taken)
//! is a state the window shows, not a crash. Every change of state is sent to the window as a
//! `status` event.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use clawbox_auth::SecretStoreKind;
use clawbox_gateway::config::{APP_IDENTIFIER, SettingsLayer, default_data_dir};
use clawbox_gateway::{Gateway, GatewayOptions, SecretsFrom};
use tauri::{AppHandle, Emitter, Manager, Runtime};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::oneshot;

/// How often finished requests are sent to the window, together.
const EVENT_BATCH: Duration = Duration::from_millis(250);
/// How long quitting waits for in-flight requests and the log flush.
const STOP_WAIT: Duration = Duration::from_secs(12);

pub struct GatewayHost {
    state: Arc<Mutex<State>>,
    /// What the gateway was started with, to start it again (a new port, a reset).
    options: Result<GatewayOptions, String>,
}

enum State {
    Starting,
    Running {
        gateway: Arc<Gateway>,
        url: String,
        stop: Option<oneshot::Sender<()>>,
        serving: Option<tauri::async_runtime::JoinHandle<()>>,
    },
    Failed {
        message: String,
        /// The port is taken by another program (the window offers another port).
        port_taken: bool,
    },
    Stopped,
}

impl GatewayHost {
    /// Starts the gateway as the environment says (`CLAWBOX_*`, like the headless binary).
    pub fn start<R: Runtime>(app: &AppHandle<R>) -> Self {
        let options = options_from_env(app);
        Self::start_with(app, options)
    }

    /// Starts the gateway with these options (tests give their own data dir and store).
    pub fn start_with<R: Runtime>(
        app: &AppHandle<R>,
        options: Result<GatewayOptions, String>,
    ) -> Self {
        let host = Self {
            state: Arc::new(Mutex::new(State::Starting)),
            options,
        };
        host.spawn_start(app);
        host
    }

    /// Stops the gateway (flushing its log) and starts it again from the current settings: a
    /// new port, or after a reset.
    pub async fn restart<R: Runtime>(&self, app: &AppHandle<R>) {
        if let Some(running) = self.take_running() {
            running.finish().await;
        }
        *self.lock() = State::Starting;
        let _ = app.emit("status", ());
        self.spawn_start(app);
    }

    fn spawn_start<R: Runtime>(&self, app: &AppHandle<R>) {
        let (shared, app) = (Arc::clone(&self.state), app.clone());
        let options = self.options.clone();
        tauri::async_runtime::spawn(async move {
            let started = match options {
                Ok(options) => start(&app, options).await,
                Err(message) => Err((message, false)),
            };
            let mut state = shared.lock().unwrap_or_else(PoisonError::into_inner);
            match (started, &*state) {
                // Quit before it was up: do not start serving now.
                (Ok(running), State::Stopped) => drop(running),
                (Ok(running), _) => *state = running,
                (Err((message, port_taken)), _) => {
                    tracing::error!("{message}");
                    *state = State::Failed {
                        message,
                        port_taken,
                    };
                }
            }
            drop(state);
            let _ = app.emit("status", ());
        });
    }

    /// The data folder (settings.json, the log), whether or not the gateway is running.
    pub fn data_dir(&self) -> Option<&std::path::Path> {
        self.options.as_ref().ok().map(|o| o.data_dir.as_path())
    }

    /// The environment's settings (pinned over settings.json).
    pub fn overrides(&self) -> SettingsLayer {
        self.options
            .as_ref()
            .map(|o| o.overrides.clone())
            .unwrap_or_default()
    }

    /// Whether the gateway failed to start because its port is taken.
    pub fn port_taken(&self) -> bool {
        matches!(
            &*self.lock(),
            State::Failed {
                port_taken: true,
                ..
            }
        )
    }

    /// Whether the gateway is still starting.
    pub fn is_starting(&self) -> bool {
        matches!(*self.lock(), State::Starting)
    }

    /// The running gateway, or why there is none.
    pub fn gateway(&self) -> Result<(Arc<Gateway>, String), String> {
        match &*self.lock() {
            State::Running { gateway, url, .. } => Ok((Arc::clone(gateway), url.clone())),
            State::Starting => Err("the gateway is still starting".into()),
            State::Failed { message, .. } => Err(message.clone()),
            State::Stopped => Err("the gateway has stopped".into()),
        }
    }

    /// Stops serving: in-flight requests finish (for a bounded time), the log is flushed. For
    /// the app's exit, outside the async runtime.
    pub fn stop(&self) {
        tauri::async_runtime::block_on(self.stop_async());
    }

    /// `stop` for async code (which must not block on the runtime it runs on).
    pub async fn stop_async(&self) {
        if let Some(running) = self.take_running() {
            running.finish().await;
        }
    }

    /// Marks the gateway stopped and hands back what is needed to stop it.
    fn take_running(&self) -> Option<Stopping> {
        match std::mem::replace(&mut *self.lock(), State::Stopped) {
            State::Running {
                stop,
                serving,
                gateway,
                ..
            } => Some(Stopping {
                stop,
                serving,
                gateway,
            }),
            _ => None,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A gateway on its way out.
struct Stopping {
    stop: Option<oneshot::Sender<()>>,
    serving: Option<tauri::async_runtime::JoinHandle<()>>,
    gateway: Arc<Gateway>,
}

impl Stopping {
    async fn finish(self) {
        if let Some(stop) = self.stop {
            let _ = stop.send(());
        }
        if let Some(serving) = self.serving {
            let _ = tokio::time::timeout(STOP_WAIT, serving).await;
        }
        let gateway = self.gateway;
        let _ = tauri::async_runtime::spawn_blocking(move || gateway.flush_log()).await;
    }
}

/// The same data folder, settings and secret store the headless gateway would use.
fn options_from_env<R: Runtime>(app: &AppHandle<R>) -> Result<GatewayOptions, String> {
    let data_dir = match std::env::var_os("CLAWBOX_DATA_DIR") {
        Some(dir) => dir.into(),
        None => app
            .path()
            .app_data_dir()
            .or_else(|_| default_data_dir().map_err(|e| e.to_string()))
            .map_err(|e| format!("no data folder for {APP_IDENTIFIER}: {e}"))?,
    };
    let mut options = GatewayOptions::new(data_dir, SettingsLayer::from_env()?);
    let store = std::env::var("CLAWBOX_SECRET_STORE").unwrap_or_default();
    options.secrets = SecretsFrom::Open(SecretStoreKind::parse(&store).map_err(|e| e.to_string())?);
    Ok(options)
}

/// Why the gateway did not start, and whether it was because its port is taken.
type StartError = (String, bool);

async fn start<R: Runtime>(
    app: &AppHandle<R>,
    options: GatewayOptions,
) -> Result<State, StartError> {
    let plain = |e: &dyn std::fmt::Display| (e.to_string(), false);
    // The database and the keychain are blocking work: off the async workers.
    let gateway = tauri::async_runtime::spawn_blocking(move || Gateway::open(options))
        .await
        .map_err(|e| plain(&e))?
        .map_err(|e| plain(&e))?;
    let listener = gateway.bind().await.map_err(|e| {
        let taken = matches!(e, clawbox_gateway::Error::PortInUse { .. });
        (e.to_string(), taken)
    })?;
    let url = listener
        .local_addr()
        .map(|a| format!("http://{a}"))
        .map_err(|e| plain(&e))?;
    tracing::info!(%url, "gateway listening");

    // Live request events for the window, batched every EVENT_BATCH: the dashboard updates
    // without polling, and a burst of thousands of requests is a few messages, not thousands.
    let mut events = gateway.subscribe();
    let emitter = app.clone();
    tauri::async_runtime::spawn(async move {
        let mut batch = Vec::new();
        let mut tick = tokio::time::interval(EVENT_BATCH);
        loop {
            tokio::select! {
                received = events.recv() => match received {
                    Ok(event) => batch.push(event),
                    // Fell behind in a burst: the missed events are gone, keep going.
                    Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => break,
                },
                _ = tick.tick() => {
                    if !batch.is_empty() {
                        let _ = emitter.emit("requests", std::mem::take(&mut batch));
                    }
                }
            }
        }
    });

    crate::alerts::watch(app, &gateway);

    let (stop, stopped) = oneshot::channel::<()>();
    let serving_gateway = Arc::clone(&gateway);
    let serving = tauri::async_runtime::spawn(async move {
        let shutdown = async move {
            let _ = stopped.await;
        };
        if let Err(e) = serving_gateway.serve(listener, shutdown).await {
            tracing::error!(error = %e, "the gateway stopped");
        }
    });
    Ok(State::Running {
        gateway,
        url,
        stop: Some(stop),
        serving: Some(serving),
    })
}

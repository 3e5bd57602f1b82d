//! The router, and serving it (the accept loop itself is listener.rs).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::middleware;
use axum::routing::{any, get};

use crate::config::watch_settings;
use crate::request_id::assign_request_id;
use crate::{Error, Gateway, proxy};

/// How long in-flight requests (long streams included) may run on after shutdown is asked.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// All routes. Tests call this directly; `serve` adds the socket.
pub fn router(gateway: Arc<Gateway>) -> Router {
    Router::new()
        .route(
            "/health",
            get(proxy::health).fallback(proxy::method_not_allowed),
        )
        .route("/v1/{*rest}", any(proxy::proxy))
        .fallback(proxy::not_found)
        .layer(middleware::from_fn(assign_request_id))
        .with_state(gateway)
}

pub async fn serve(
    gateway: Arc<Gateway>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    tokio::spawn(crate::ollama::keep_fresh(Arc::downgrade(&gateway)));
    tokio::spawn(crate::providers::keep_fresh(Arc::downgrade(&gateway)));
    tokio::spawn(crate::conversations::forget_old(Arc::downgrade(&gateway)));
    tokio::spawn(crate::retention::keep_pruned(Arc::downgrade(&gateway)));
    tokio::spawn(watch_settings(
        Arc::downgrade(&gateway),
        gateway.settings_snapshot(),
    ));

    let app = router(Arc::clone(&gateway)).into_make_service_with_connect_info::<SocketAddr>();
    crate::listener::serve_connections(
        listener,
        app,
        gateway.connection_limits(),
        shutdown,
        SHUTDOWN_GRACE,
    )
    .await;
    // The flush blocks on the writer thread: keep it off the async workers.
    let flushing = Arc::clone(&gateway);
    let _ = tokio::task::spawn_blocking(move || flushing.flush_log()).await;
    Ok(())
}

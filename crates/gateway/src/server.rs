//! The router and the accept loop.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::middleware;
use axum::routing::{any, get};
use axum::serve::ListenerExt;

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
    let local = listener.local_addr().ok();
    tokio::spawn(crate::ollama::keep_fresh(Arc::downgrade(&gateway)));
    tokio::spawn(crate::retention::keep_pruned(Arc::downgrade(&gateway)));
    tokio::spawn(watch_settings(
        Arc::downgrade(&gateway),
        gateway.settings_snapshot(),
    ));

    // Without TCP_NODELAY, a streamed chunk can wait ~40 ms for a delayed ACK.
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
    });
    let app = router(Arc::clone(&gateway)).into_make_service_with_connect_info::<SocketAddr>();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        shutdown.await;
        let _ = stop_tx.send(());
    });
    let result = tokio::select! {
        r = server => r.map_err(|source| Error::Bind {
            addr: local.unwrap_or(crate::config::DEFAULT_LISTEN),
            source,
        }),
        () = async {
            if stop_rx.await.is_ok() {
                tokio::time::sleep(SHUTDOWN_GRACE).await;
            } else {
                std::future::pending::<()>().await;
            }
        } => {
            tracing::warn!("in-flight requests did not finish within the grace period; stopping");
            Ok(())
        }
    };
    // The flush blocks on the writer thread: keep it off the async workers.
    let flushing = Arc::clone(&gateway);
    let _ = tokio::task::spawn_blocking(move || flushing.flush_log()).await;
    result
}

//! The accept loop: HTTP/1.1 only, with the limits a desktop gateway needs against slow and
//! idle clients.
//!
//! - **HTTP/1.1 only** (upgrades kept, for WebSockets). Every client ClawBox serves speaks it;
//!   cleartext HTTP/2 would be a second parser facing every web page on the machine for nobody's
//!   benefit. (axum's `serve` answers the h2 preface as soon as any crate in the build turns on
//!   hyper's `http2` feature, as reqwest's client does: hence this loop.)
//! - **Header-read timeout.** A request's head must arrive within `header_read_timeout` of the
//!   connection starting to wait for it. The timer also runs while a kept-alive connection waits
//!   for its next request, so it is the idle keep-alive limit too (clients' pools let idle
//!   connections go after about 5 s; ours after 10).
//! - **A cap on open connections**, below what the open-file limit allows (each request may hold
//!   an upstream connection as well). Past it, a new connection gets a plain 503 and is closed,
//!   rather than the process running out of descriptors. The soft open-file limit is raised to
//!   the hard one first (desktops often start programs with 1,024).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tower::Service;

use crate::framing::{Ambiguity, HeadWatch};
use axum::Router;
use axum::extract::connect_info::IntoMakeServiceWithConnectInfo;

/// How long a request's head (or a kept-alive connection's next one) may take to arrive.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// The most connections served at once, whatever the open-file limit allows.
const MAX_CONNECTIONS: usize = 4096;
/// Descriptors kept out of the connection budget: the database, the log, the keychain, files.
const RESERVED_DESCRIPTORS: u64 = 128;
/// Connections being told "too many" at once; past this they are just closed.
const MAX_REFUSING: usize = 64;
/// How long a refused connection is given to read its 503.
const REFUSAL_GRACE: Duration = Duration::from_secs(1);

/// Limits on the listening socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    pub header_read_timeout: Duration,
    /// `None`: as many as the open-file limit allows (up to 4,096).
    pub max_connections: Option<usize>,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: HEADER_READ_TIMEOUT,
            max_connections: None,
        }
    }
}

impl ConnectionLimits {
    /// The connection cap: the one set, or what the (raised) open-file limit leaves room for —
    /// two descriptors a connection (the client's and an upstream's).
    fn cap(&self) -> usize {
        if let Some(max) = self.max_connections {
            return max.max(1);
        }
        let files = open_file_limit();
        let budget = files.saturating_sub(RESERVED_DESCRIPTORS) / 2;
        usize::try_from(budget)
            .unwrap_or(MAX_CONNECTIONS)
            .clamp(16, MAX_CONNECTIONS)
    }
}

/// Raises the soft open-file limit to the hard one (at bind, before the gateway says it is
/// listening).
pub(crate) fn raise_open_file_limit() {
    #[cfg(unix)]
    if let Err(e) = rlimit::increase_nofile_limit(u64::MAX) {
        tracing::warn!(error = %e, "cannot raise the open-file limit");
    }
}

/// The soft open-file limit in force.
#[cfg(unix)]
fn open_file_limit() -> u64 {
    rlimit::getrlimit(rlimit::Resource::NOFILE).map_or(1024, |(soft, _)| soft)
}

/// Windows has no per-process descriptor limit of this kind.
#[cfg(not(unix))]
fn open_file_limit() -> u64 {
    u64::MAX
}

/// Serves `app` on `listener` until `shutdown` resolves, then stops accepting and tells every
/// connection to finish its request and close; returns when they have, or after `grace`. Each
/// connection is hyper's HTTP/1 server itself (not hyper-util's "auto" one, which would answer
/// the HTTP/2 preface whatever it is told once the `http2` feature is in the build).
pub(crate) async fn serve_connections(
    listener: TcpListener,
    mut app: IntoMakeServiceWithConnectInfo<Router, SocketAddr>,
    limits: ConnectionLimits,
    shutdown: impl std::future::Future<Output = ()>,
    grace: Duration,
) {
    let cap = limits.cap();
    tracing::debug!(cap, "accepting connections");
    let slots = Arc::new(Semaphore::new(cap));
    let refusing = Arc::new(Semaphore::new(MAX_REFUSING));
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let (stopping, stop) = tokio::sync::watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let (tcp, addr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    wait_after_accept_error(&e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Without TCP_NODELAY, a streamed chunk can wait ~40 ms for a delayed ACK.
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            if let Ok(refusal) = Arc::clone(&refusing).try_acquire_owned() {
                tokio::spawn(async move {
                    refuse(tcp, cap).await;
                    drop(refusal);
                });
            }
            continue;
        };
        let Ok(service) = app.call(addr).await;
        // Heads are watched as they arrive for what hyper would re-frame (framing.rs).
        let ambiguity = Ambiguity::new();
        let io = TokioIo::new(HeadWatch::new(tcp, Arc::clone(&ambiguity)));
        let service = tower::ServiceBuilder::new()
            .map_request(move |request| ambiguity.mark(request))
            .service(service);
        let connection = http
            .serve_connection(io, TowerToHyperService::new(service))
            .with_upgrades();
        let mut stop = stop.clone();
        tokio::spawn(async move {
            tokio::pin!(connection);
            // A connection's end (a client gone, a header timeout) is routine, never an error.
            let ended = tokio::select! {
                ended = connection.as_mut() => ended,
                _ = stop.changed() => {
                    // Finish the request in flight, then close (an idle one closes at once).
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(e) = ended {
                tracing::debug!(error = %e, "connection ended");
            }
            drop(slot);
        });
    }
    drop(listener);
    let _ = stopping.send(true);
    // Every connection holds a slot until it ends: all of them back means all are done.
    let all = u32::try_from(cap).unwrap_or(u32::MAX);
    tokio::select! {
        _ = slots.acquire_many(all) => {}
        () = tokio::time::sleep(grace) => {
            tracing::warn!("in-flight requests did not finish within the grace period; stopping");
        }
    }
}

/// Out of descriptors (or a similar pressure): wait a moment rather than spin; a connection
/// the peer reset before it was accepted is nothing to wait for.
async fn wait_after_accept_error(e: &std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        e.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::warn!(error = %e, "cannot accept a connection; retrying in a second");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// Tells a connection over the cap why it is closed, in the OpenAI shape clients parse.
async fn refuse(mut tcp: TcpStream, cap: usize) {
    let body = serde_json::json!({"error": {
        "message": format!(
            "ClawBox is serving as many connections as it can ({cap}); try again in a moment"
        ),
        "type": "api_error",
        "code": "too_many_connections",
        "param": null,
    }})
    .to_string();
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
         retry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let _ = tokio::time::timeout(REFUSAL_GRACE, async {
        tcp.write_all(response.as_bytes()).await?;
        tcp.shutdown().await?;
        // Read what the client sent until it closes: closing with unread bytes would reset the
        // connection, and the client would see a reset instead of the 503.
        let mut sink = [0u8; 1024];
        while tcp.read(&mut sink).await? > 0 {}
        Ok::<_, std::io::Error>(())
    })
    .await;
}

//! Streaming a list of SSE events with the configured pacing, noticing a client that goes away.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::body::Body;
use axum::http::header;
use axum::response::Response;
use bytes::Bytes;

use crate::behavior::Behavior;
use crate::fake::State;

/// One SSE event: `event:` line when named, one `data:` line.
pub fn event(name: Option<&str>, data: &serde_json::Value) -> Bytes {
    match name {
        Some(name) => format!("event: {name}\ndata: {data}\n\n").into(),
        None => format!("data: {data}\n\n").into(),
    }
}

pub fn stream(events: Vec<Bytes>, behavior: Behavior, state: Arc<State>) -> Response {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Bytes>(1);
    tokio::spawn(async move {
        for (i, chunk) in events.into_iter().enumerate() {
            if i > 0 {
                if behavior.stall_after_chunks == Some(i) {
                    tx.closed().await;
                    state.cancelled_streams.fetch_add(1, Ordering::SeqCst);
                    return;
                }
                if behavior.gate && i == 1 {
                    state.gate.notified().await;
                }
                if !behavior.chunk_delay.is_zero() {
                    tokio::time::sleep(behavior.chunk_delay).await;
                }
            }
            if tx.send(chunk).await.is_err() {
                state.cancelled_streams.fetch_add(1, Ordering::SeqCst);
                return;
            }
        }
        state.completed_streams.fetch_add(1, Ordering::SeqCst);
    });
    let body = futures_util::stream::poll_fn(move |cx| {
        rx.poll_recv(cx).map(|c| c.map(Ok::<_, Infallible>))
    });
    Response::builder()
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(Body::from_stream(body))
        .unwrap_or_default()
}

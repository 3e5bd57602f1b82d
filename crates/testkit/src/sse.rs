//! Streaming a list of SSE events with the configured pacing, noticing a client that goes away.

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
    let (tx, mut rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(1);
    tokio::spawn(async move {
        for (i, chunk) in events.into_iter().enumerate() {
            if behavior.cut_after_chunks == Some(i) {
                // An error mid-body: the connection is aborted, the answer left unfinished.
                let cut = std::io::Error::other("the fake provider died mid-answer");
                let _ = tx.send(Err(cut)).await;
                return;
            }
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
            if tx.send(Ok(chunk)).await.is_err() {
                state.cancelled_streams.fetch_add(1, Ordering::SeqCst);
                return;
            }
        }
        state.completed_streams.fetch_add(1, Ordering::SeqCst);
    });
    let body = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
    Response::builder()
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(Body::from_stream(body))
        .unwrap_or_default()
}

/// An event stream of random bytes (no event boundaries to speak of, not UTF-8).
pub fn garbage() -> Response {
    let chunks = (0..64).map(|_| {
        let bytes: Vec<u8> = (0..4096).map(|_| rand::random::<u8>()).collect();
        Ok::<_, std::convert::Infallible>(Bytes::from(bytes))
    });
    Response::builder()
        .header(header::CONTENT_TYPE, "text/event-stream")
        .body(Body::from_stream(futures_util::stream::iter(chunks)))
        .unwrap_or_default()
}

/// A well-formed event stream `mib` MiB long, in 64 KiB events, made as it is sent.
pub fn large(mib: usize) -> Response {
    const EVENT: usize = 64 * 1024;
    let payload = "x".repeat(EVENT - 16);
    let event = Bytes::from(format!("data: {{\"p\":\"{payload}\"}}\n\n"));
    let count = mib * 1024 * 1024 / event.len().max(1);
    let chunks = futures_util::stream::iter(
        std::iter::repeat_n(event, count)
            .chain([Bytes::from_static(b"data: [DONE]\n\n")])
            .map(Ok::<_, std::convert::Infallible>),
    );
    Response::builder()
        .header(header::CONTENT_TYPE, "text/event-stream")
        .body(Body::from_stream(chunks))
        .unwrap_or_default()
}

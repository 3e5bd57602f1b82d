//! The Realtime API (`GET /v1/realtime`, a WebSocket): `session.created` on connect; for each
//! `response.create`, a text delta and a `response.done` with the response's usage (as OpenAI
//! reports it); any other event is acknowledged with an `error` event naming it, as OpenAI
//! does for an unknown type. It also records the headers of each connection.

use std::sync::{Arc, PoisonError};

use axum::extract::State as AxumState;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::fake::State;

/// Usage each response reports: input, output.
pub const REALTIME: (u64, u64) = (12, 18);

pub(crate) async fn realtime(
    AxumState(state): AxumState<Arc<State>>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    if state.require_auth && !crate::fake::has_key(&headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    state
        .realtime_headers
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(headers);
    upgrade.on_upgrade(session)
}

async fn session(mut socket: WebSocket) {
    let send = |value: Value| Message::Text(value.to_string().into());
    if socket
        .send(send(
            json!({"type": "session.created", "session": {"id": "sess_fake"}}),
        ))
        .await
        .is_err()
    {
        return;
    }
    while let Some(Ok(message)) = socket.recv().await {
        let Message::Text(text) = message else {
            continue;
        };
        let event: Value = serde_json::from_str(&text).unwrap_or_default();
        let replies = match event["type"].as_str() {
            Some("response.create") => vec![
                json!({"type": "response.created", "response": {"id": "resp_fake"}}),
                json!({"type": "response.output_text.delta", "delta": "Hello from the fake"}),
                json!({"type": "response.done", "response": {"id": "resp_fake", "status": "completed",
                    "usage": {"total_tokens": REALTIME.0 + REALTIME.1, "input_tokens": REALTIME.0,
                              "output_tokens": REALTIME.1}}}),
            ],
            other => vec![
                json!({"type": "error", "error": {"type": "invalid_request_error",
                "message": format!("unknown event {other:?}")}}),
            ],
        };
        for reply in replies {
            if socket.send(send(reply)).await.is_err() {
                return;
            }
        }
    }
}

//! The ChatGPT Codex backend (`/backend-api/codex/responses`), served by [`crate::FakeOAuth`]
//! beside the sign-in endpoints: it accepts only the access token the fake last issued.

use std::sync::PoisonError;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde_json::{Value, json};

use crate::oauth::Shared;

/// The ChatGPT Codex backend: a Responses endpoint that insists on SSE, `store: false`,
/// `instructions`, the account header and a live access token, and refuses
/// `max_output_tokens`, like the real one.
pub(crate) async fn codex_responses(
    State((state, _)): State<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request: Value = serde_json::from_slice(&body).unwrap_or_default();
    let mut s = state.lock().unwrap_or_else(PoisonError::into_inner);
    s.backend_requests.push((headers.clone(), request.clone()));
    if let Some(refused) = unauthorized(&headers, &s) {
        return refused;
    }
    if headers
        .get("chatgpt-account-id")
        .and_then(|v| v.to_str().ok())
        != Some("acct_fake_123")
    {
        return (
            StatusCode::FORBIDDEN,
            axum::Json(json!({"detail": "account mismatch"})),
        )
            .into_response();
    }
    if let Some(resets_at) = s.usage_limit_until {
        let body = json!({"error": {"type": "usage_limit_reached", "plan_type": "plus",
            "message": "The usage limit has been reached", "resets_at": resets_at}});
        return (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
    }
    let bad = |detail: &str| {
        (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"detail": detail})),
        )
            .into_response()
    };
    if request["stream"] != true {
        return bad("Stream must be set to true");
    }
    if request["store"] != false {
        return bad("Store must be set to false");
    }
    if !request["instructions"].is_string() {
        return bad("Instructions are required");
    }
    if request.get("max_output_tokens").is_some() {
        return bad("Unsupported parameter: max_output_tokens");
    }
    if !request["input"].is_array() {
        return bad("Input must be a list");
    }
    // With `store: false` nothing was kept to continue from, as on the real backend.
    if let Some(id) = request["previous_response_id"].as_str() {
        return bad(&format!("Previous response with id '{id}' not found."));
    }
    // Replayed reasoning must not name an id the backend never kept.
    if let Some(item) = request["input"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|i| i["type"] == "reasoning" && i.get("id").is_some())
    {
        return bad(&format!(
            "Item with id {} not found. Items are not persisted when `store` is set to false.",
            item["id"]
        ));
    }
    let windows = s.plan_windows.clone();
    drop(s);
    let model = request["model"].as_str().unwrap_or("gpt-5").to_owned();
    let behavior = crate::Behavior::default();
    // The weather tool is called unless its result is already the last input item.
    let answered = request["input"]
        .as_array()
        .and_then(|input| input.last())
        .is_some_and(|last| last["type"] == "function_call_output");
    // Which tool: `get_time` when the last question asks the time and it is offered, else
    // `get_weather` when offered.
    let offered = |name: &str| {
        request["tools"]
            .as_array()
            .is_some_and(|tools| tools.iter().any(|t| t["name"] == name))
    };
    let asks_time = last_user_text(&request).to_lowercase().contains("time");
    let tool = if answered {
        None
    } else if asks_time && offered("get_time") {
        Some(("get_time", "{\"city\":\"Austin\"}"))
    } else if offered("get_weather") {
        Some(("get_weather", "{\"city\":\"Austin\"}"))
    } else {
        None
    };
    let scripted = crate::script::for_responses(&request);
    if scripted == Some(crate::script::Scripted::Hang) {
        return hang(&model, state.clone());
    }
    let events = if let Some(step) = &scripted {
        crate::script::responses_events(&model, step)
    } else if let Some((name, arguments)) = tool {
        crate::responses::tool_call_events_for(&model, name, arguments)
    } else {
        crate::responses::stream_events(&model, &behavior)
    };
    let events = if asks_for_reasoning(&request) {
        with_reasoning(events, request["input"].as_array().map_or(0, Vec::len))
    } else {
        events
    };
    // With `store: false` the real backend's response.completed carries `output: []`: the items
    // arrive only in the output_item events.
    let body: Vec<u8> = std::iter::once(plan_event(&windows))
        .chain(events.iter().map(|e| without_stored_output(e)))
        .flatten()
        .collect();
    let mut response = Response::builder().header("content-type", "text/event-stream");
    for (header, value) in plan_headers(&windows) {
        response = response.header(header, value);
    }
    response
        .body(axum::body::Body::from(body))
        .unwrap_or_default()
}

/// When each window resets: half its length from now.
fn resets_at(minutes: i64) -> i64 {
    crate::oauth::now() + minutes * 30
}

/// `x-codex-primary-*` and `x-codex-secondary-*`, as the backend sends with every answer.
fn plan_headers(windows: &[(f64, i64)]) -> Vec<(String, String)> {
    let mut headers = vec![("x-codex-plan-type".to_owned(), "plus".to_owned())];
    for ((used, minutes), which) in windows.iter().zip(["primary", "secondary"]) {
        headers.push((format!("x-codex-{which}-used-percent"), used.to_string()));
        headers.push((
            format!("x-codex-{which}-window-minutes"),
            minutes.to_string(),
        ));
        headers.push((
            format!("x-codex-{which}-reset-at"),
            resets_at(*minutes).to_string(),
        ));
    }
    headers
}

/// The `codex.rate_limits` event the backend streams before the response's events.
fn plan_event(windows: &[(f64, i64)]) -> Vec<u8> {
    let window = |i: usize| {
        windows.get(i).map_or(Value::Null, |(used, minutes)| {
            json!({"used_percent": used, "window_minutes": minutes, "reset_at": resets_at(*minutes)})
        })
    };
    let event = json!({"type": "codex.rate_limits", "plan_type": "plus",
        "rate_limits": {"primary": window(0), "secondary": window(1)}});
    format!("event: codex.rate_limits\ndata: {event}\n\n").into_bytes()
}

/// The backend's 401 unless the request carries the access token the fake last issued.
fn unauthorized(headers: &HeaderMap, s: &crate::oauth::OAuthState) -> Option<Response> {
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    (bearer.is_none() || bearer != s.current_access.as_deref()).then(|| {
        (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"detail": "Unauthorized"})),
        )
            .into_response()
    })
}

/// `GET /backend-api/wham/usage`: the plan's windows, in seconds, for the signed-in account.
pub(crate) async fn usage(State((state, _)): State<Shared>, headers: HeaderMap) -> Response {
    let mut s = state.lock().unwrap_or_else(PoisonError::into_inner);
    s.usage_asked += 1;
    if let Some(refused) = unauthorized(&headers, &s) {
        return refused;
    }
    let window = |i: usize| {
        s.plan_windows
            .get(i)
            .map_or(Value::Null, |(used, minutes)| {
                json!({"used_percent": *used as i64, "limit_window_seconds": minutes * 60,
                   "reset_after_seconds": minutes * 30, "reset_at": resets_at(*minutes)})
            })
    };
    axum::Json(
        json!({"plan_type": "plus", "rate_limit": {"allowed": true, "limit_reached": false,
        "primary_window": window(0), "secondary_window": window(1)}, "credits": null}),
    )
    .into_response()
}

/// An answer that goes on and on (a delta every 200 ms, never the end), as a model working
/// through a long task does; counts the client hanging up on it.
fn hang(
    model: &str,
    state: std::sync::Arc<std::sync::Mutex<crate::oauth::OAuthState>>,
) -> Response {
    struct HangUp(std::sync::Arc<std::sync::Mutex<crate::oauth::OAuthState>>);
    impl Drop for HangUp {
        fn drop(&mut self) {
            self.0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .hung_up += 1;
        }
    }
    let events = crate::responses::stream_events(model, &crate::Behavior::default());
    // response.created … content_part.added, then one more text delta, forever.
    let start: Vec<Bytes> = events.iter().take(4).cloned().collect();
    let delta = events[4].clone();
    let guard = HangUp(state);
    let more = futures_util::stream::unfold((guard, delta), |(guard, delta)| async move {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        Some((delta.clone(), (guard, delta)))
    });
    let body = futures_util::stream::iter(start)
        .chain(more)
        .map(Ok::<_, std::convert::Infallible>);
    Response::builder()
        .header("content-type", "text/event-stream")
        .body(axum::body::Body::from_stream(body))
        .unwrap_or_default()
}

/// The text of the last user message in `input`.
fn last_user_text(request: &Value) -> String {
    request["input"]
        .as_array()
        .into_iter()
        .flatten()
        .rev()
        .find(|i| i["role"] == "user")
        .map(|i| match &i["content"] {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        })
        .unwrap_or_default()
}

fn asks_for_reasoning(request: &Value) -> bool {
    request["include"]
        .as_array()
        .is_some_and(|i| i.iter().any(|v| v == "reasoning.encrypted_content"))
}

/// The answer with a reasoning item first, its encrypted content naming the turn (how many
/// input items it saw), as a reasoning model's answer has when `include` asks for it.
fn with_reasoning(events: Vec<Bytes>, turn: usize) -> Vec<Bytes> {
    let reasoning = json!({"type": "reasoning", "id": format!("rs_fake_{turn}"), "summary": [],
                           "encrypted_content": format!("enc:turn-{turn}")});
    let mut out = Vec::with_capacity(events.len() + 1);
    for event in events {
        let text = String::from_utf8_lossy(&event).into_owned();
        let (head, data) = text.split_once("data: ").unwrap_or(("", &text));
        let Ok(mut value) = serde_json::from_str::<Value>(data.trim_end()) else {
            out.push(event);
            continue;
        };
        if let Some(index) = value["output_index"].as_u64() {
            value["output_index"] = json!(index + 1);
        }
        if value["type"] == "response.completed"
            && let Some(output) = value["response"]["output"].as_array_mut()
        {
            output.insert(0, reasoning.clone());
        }
        let created = value["type"] == "response.created";
        out.push(Bytes::from(format!("{head}data: {value}\n\n")));
        if created {
            let done = json!({"type": "response.output_item.done", "output_index": 0,
                              "item": reasoning});
            out.push(Bytes::from(format!(
                "event: response.output_item.done\ndata: {done}\n\n"
            )));
        }
    }
    out
}

fn without_stored_output(event: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(event);
    let Some((head, data)) = text.split_once("data: ") else {
        return event.to_vec();
    };
    let Ok(mut value) = serde_json::from_str::<Value>(data.trim_end()) else {
        return event.to_vec();
    };
    if value["type"] == "response.completed" {
        value["response"]["output"] = json!([]);
    }
    format!("{head}data: {value}\n\n").into_bytes()
}

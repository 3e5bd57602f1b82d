//! The fake server: routes, request recording, auth checks like the real providers'.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State as AxumState};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use tokio::sync::Notify;

use crate::behavior::Behavior;
use crate::{chat, messages, responses, sse};

/// A request as the fake received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: Method,
    /// Path and query, exactly as received.
    pub uri: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// How many requests the fake remembers (the oldest half is forgotten beyond that).
const KEEP_REQUESTS: usize = 10_000;

#[derive(Default)]
pub struct State {
    requests: Mutex<Vec<Recorded>>,
    behavior: Mutex<Behavior>,
    pub(crate) require_auth: bool,
    /// The headers of each Realtime connection.
    pub(crate) realtime_headers: Mutex<Vec<HeaderMap>>,
    /// What `GET /api/tags` lists (as an Ollama server does).
    local_models: Mutex<Vec<String>>,
    /// What `GET /v1/models` lists instead of OpenAI's two, when set.
    listed_models: Mutex<Option<Vec<String>>>,
    /// The API's base path when it is not `/v1` (`/api/openai/v1`, as some OpenAI-compatible
    /// providers have): served as `/v1`, and anything outside it is a 404.
    base_path: Option<String>,
    pub(crate) gate: Notify,
    pub(crate) cancelled_streams: AtomicUsize,
    pub(crate) completed_streams: AtomicUsize,
}

/// A running fake provider on 127.0.0.1. It stops when dropped.
pub struct FakeUpstream {
    addr: SocketAddr,
    state: Arc<State>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeUpstream {
    /// A fake OpenAI + Anthropic: requests without a key get the providers' 401.
    pub async fn provider() -> FakeUpstream {
        Self::start(true).await
    }

    /// A fake hosted gateway: no key needed (it resolves users by X-User-ID).
    pub async fn hosted() -> FakeUpstream {
        Self::start(false).await
    }

    pub async fn start(require_auth: bool) -> FakeUpstream {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), require_auth)
            .await
            .unwrap_or_else(|e| panic!("the fake upstream cannot listen: {e}"))
    }

    pub async fn start_on(addr: SocketAddr, require_auth: bool) -> std::io::Result<FakeUpstream> {
        Self::serve(addr, require_auth, None).await
    }

    /// A fake OpenAI-compatible provider whose API lives under `base_path` (e.g.
    /// `/api/openai/v1`; configure `<url()><base_path>` as its base URL), needing a key.
    pub async fn compatible(base_path: &str) -> FakeUpstream {
        let addr = SocketAddr::from(([127, 0, 0, 1], 0));
        Self::serve(addr, true, Some(base_path.trim_end_matches('/').to_owned()))
            .await
            .unwrap_or_else(|e| panic!("the fake provider cannot listen: {e}"))
    }

    async fn serve(
        addr: SocketAddr,
        require_auth: bool,
        base_path: Option<String>,
    ) -> std::io::Result<FakeUpstream> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State {
            require_auth,
            base_path,
            ..State::default()
        });
        let app = Router::new()
            .route(
                "/v1/realtime",
                axum::routing::get(crate::realtime::realtime),
            )
            .fallback(handle)
            .with_state(Arc::clone(&state));
        // As real providers do (and as ClawBox does): no delayed-ACK stalls between SSE chunks.
        let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(FakeUpstream { addr, state, task })
    }

    /// `http://127.0.0.1:PORT`: the origin to configure as an upstream URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state
            .requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub fn last_request(&self) -> Option<Recorded> {
        self.requests().pop()
    }

    pub fn set_behavior(&self, behavior: Behavior) {
        *self
            .state
            .behavior
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = behavior;
    }

    /// The models `GET /v1/models` reports (instead of OpenAI's).
    pub fn set_listed_models(&self, models: &[&str]) {
        *self
            .state
            .listed_models
            .lock()
            .unwrap_or_else(PoisonError::into_inner) =
            Some(models.iter().map(|m| (*m).to_owned()).collect());
    }

    /// The models `GET /api/tags` reports, as an Ollama server lists what it has pulled.
    pub fn set_local_models(&self, models: &[&str]) {
        *self
            .state
            .local_models
            .lock()
            .unwrap_or_else(PoisonError::into_inner) =
            models.iter().map(|m| (*m).to_owned()).collect();
    }

    /// Lets a gated stream (see [`Behavior::gate`]) continue.
    pub fn release(&self) {
        self.state.gate.notify_one();
    }

    /// The headers of each Realtime (WebSocket) connection, oldest first.
    pub fn realtime_connections(&self) -> Vec<HeaderMap> {
        self.state
            .realtime_headers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Streams that stopped because the reader went away.
    pub fn cancelled_streams(&self) -> usize {
        self.state.cancelled_streams.load(Ordering::SeqCst)
    }

    /// Streams sent to the end.
    pub fn completed_streams(&self) -> usize {
        self.state.completed_streams.load(Ordering::SeqCst)
    }
}

impl Drop for FakeUpstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn handle(AxumState(state): AxumState<Arc<State>>, request: Request) -> Response {
    let (mut parts, body) = request.into_parts();
    let received = parts.uri.clone();
    if let Some(base) = &state.base_path {
        // Served as `/v1`: anything outside the base is not this API.
        let inside = parts
            .uri
            .path_and_query()
            .and_then(|pq| pq.as_str().strip_prefix(base.as_str()))
            .filter(|rest| rest.starts_with('/'))
            .and_then(|rest| format!("/v1{rest}").parse().ok());
        parts.uri = inside.unwrap_or_else(|| axum::http::Uri::from_static("/outside-the-api"));
    }
    // An upload is read as a stream and recorded as a summary of its form.
    let (form, body) = if crate::uploads::is_form(&parts) {
        match crate::uploads::read(&parts, body).await {
            Ok(form) => {
                let summary = bytes::Bytes::from(form.summary.to_string());
                (Some(form), summary)
            }
            Err(e) => {
                let body =
                    serde_json::json!({"error": {"message": e, "type": "invalid_request_error"}});
                return (StatusCode::BAD_REQUEST, axum::Json(body)).into_response();
            }
        }
    } else {
        let bytes = axum::body::to_bytes(body, usize::MAX)
            .await
            .unwrap_or_default();
        (None, bytes)
    };
    let recorded = Recorded {
        method: parts.method.clone(),
        uri: received
            .path_and_query()
            .map(|p| p.to_string())
            .unwrap_or_default(),
        headers: parts.headers.clone(),
        body,
    };
    {
        let mut requests = state
            .requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // Tests look at the last few; a benchmark sends hundreds of thousands.
        if requests.len() >= KEEP_REQUESTS {
            requests.drain(..KEEP_REQUESTS / 2);
        }
        requests.push(recorded.clone());
    }
    let behavior = state
        .behavior
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
        .with_headers(&parts.headers);
    if !behavior.headers_delay.is_zero() {
        tokio::time::sleep(behavior.headers_delay).await;
    }
    if behavior.reset {
        // Unwinding out of the connection's task drops its socket: no answer at all. (No panic
        // hook runs, so nothing is printed.)
        std::panic::resume_unwind(Box::new("the fake provider dropped the connection"));
    }
    if behavior.garbage {
        return sse::garbage();
    }
    if let Some(mib) = behavior.stream_mib {
        return sse::large(mib);
    }
    let anthropic = parts.headers.contains_key("anthropic-version")
        || parts.uri.path().starts_with("/v1/messages");
    let error = |status: u16| {
        let body = if anthropic {
            messages::error(status)
        } else {
            chat::error(status)
        };
        let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (code, axum::Json(body)).into_response()
    };
    if let Some(status) = behavior.fail_status {
        return error(status);
    }
    if state.require_auth && !has_key(&parts.headers) {
        return error(401);
    }
    let request = recorded.json();
    let model = request["model"].as_str().unwrap_or("fake-model").to_owned();
    let stream = request["stream"].as_bool() == Some(true);
    let json = |v: Value| axum::Json(v).into_response();
    let stall_body = behavior.stall_body && !stream;
    // Scripted tool use (crate::script): a directive in the prompt decides the answer.
    let scripted = match parts.uri.path() {
        "/v1/messages" => crate::script::for_messages(&request),
        "/v1/responses" => crate::script::for_responses(&request),
        _ => None,
    };
    let mut behavior = behavior;
    if scripted == Some(crate::script::Scripted::Hang) {
        behavior.stall_after_chunks = Some(2);
    }
    let mut response = if let Some(form) = &form {
        crate::uploads::answer(parts.uri.path(), form)
    } else {
        match (parts.method.as_str(), parts.uri.path()) {
            ("POST", "/v1/audio/speech") => crate::uploads::speech(&request),
            ("GET", path) if path.starts_with("/v1/files/") && path.ends_with("/content") => {
                crate::uploads::file_content(
                    path.trim_start_matches("/v1/files/")
                        .trim_end_matches("/content"),
                )
            }
            ("POST", "/v1/messages") if stream && scripted.is_some() => {
                let step = scripted.as_ref().unwrap_or(&crate::script::Scripted::Hang);
                sse::stream(
                    crate::script::messages_events(&model, step, &request),
                    behavior,
                    state,
                )
            }
            ("POST", "/v1/responses") if stream && scripted.is_some() => {
                let step = scripted.as_ref().unwrap_or(&crate::script::Scripted::Hang);
                sse::stream(
                    crate::script::responses_events(&model, step),
                    behavior,
                    state,
                )
            }
            ("POST", "/v1/chat/completions") if stream => sse::stream(
                chat::stream_events(&model, &request, &behavior),
                behavior,
                state,
            ),
            ("POST", "/v1/chat/completions") => json(chat::completion(&model, &behavior)),
            ("POST", "/v1/responses") if stream => {
                sse::stream(responses::stream_events(&model, &behavior), behavior, state)
            }
            ("POST", "/v1/responses") => json(responses::body(&model, &behavior)),
            ("POST", "/v1/embeddings") => json(chat::embeddings(&model, &request, &behavior)),
            ("POST", "/v1/messages/count_tokens") => json(messages::count_tokens(&request)),
            ("POST", "/v1/messages") if stream => {
                sse::stream(messages::stream_events(&model, &behavior), behavior, state)
            }
            ("POST", "/v1/messages") => json(messages::body(&model, &behavior)),
            ("GET", "/v1/models") => {
                let listed = state
                    .listed_models
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .clone();
                json(match listed {
                    Some(names) => chat::models_named(&names),
                    None if anthropic => messages::models(),
                    None => chat::models(),
                })
            }
            ("GET", "/api/tags") => {
                let models = state
                .local_models
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .iter()
                .map(|m| serde_json::json!({"name": format!("{m}:latest"), "model": format!("{m}:latest")}))
                .collect::<Vec<_>>();
                json(serde_json::json!({"models": models}))
            }
            _ => error(404),
        }
    };
    if stall_body {
        response = stalled(response).await;
    }
    // Like the real APIs: a CORS grant and a cookie for the provider's own domain.
    let headers = response.headers_mut();
    headers.insert("access-control-allow-origin", HeaderValue::from_static("*"));
    headers.insert(
        "set-cookie",
        HeaderValue::from_static("__cf_bm=fake; path=/; domain=.api.openai.com; HttpOnly"),
    );
    headers.insert(
        "x-request-id",
        HeaderValue::from_static("req_fake_upstream"),
    );
    response
}

/// `response`'s status and headers, its length announced, and a body that never comes.
async fn stalled(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let length = axum::body::to_bytes(body, usize::MAX)
        .await
        .map_or(0, |b| b.len());
    parts
        .headers
        .insert("content-length", HeaderValue::from(length));
    let never = futures_util::stream::pending::<Result<Bytes, std::convert::Infallible>>();
    Response::from_parts(parts, axum::body::Body::from_stream(never))
}

pub(crate) fn has_key(headers: &HeaderMap) -> bool {
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|k| !k.trim().is_empty());
    bearer || headers.contains_key("x-api-key")
}

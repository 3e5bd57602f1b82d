//! The gateway's one error type, and the one place where an error becomes an HTTP response.
//!
//! Messages are written for the person who will read them in their agent's output: what happened
//! and what to do. They never contain a credential, a prompt or a completion.

use std::net::SocketAddr;
use std::path::PathBuf;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use clawbox_auth::codex::SessionError;

use crate::dialect::Dialect;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    // ---- requests: the client's side -------------------------------------------------------
    #[error(
        "request refused: its Host header `{host}` is not this gateway's own address \
         (use http://localhost:{port}); ClawBox answers only requests addressed to this machine"
    )]
    ForbiddenHost { host: String, port: u16 },
    #[error(
        "request refused: web pages may not call ClawBox (Origin `{origin}`); if you trust this \
         page, add its exact origin to allowed_origins in ClawBox's settings"
    )]
    ForbiddenOrigin { origin: String },
    #[error("ClawBox accepts only JSON request bodies: send `Content-Type: application/json`{got}")]
    NotJson { got: String },
    #[error("the request body is larger than ClawBox's limit of {limit_mb} MB")]
    BodyTooLarge { limit_mb: usize },
    #[error("the request headers are larger than ClawBox's limit of {limit_kb} KB")]
    HeadersTooLarge { limit_kb: usize },
    #[error("the request body is not valid JSON: {detail}")]
    BadJson { detail: String },
    #[error("could not read the request body: {detail}")]
    BadBody { detail: String },
    #[error("ClawBox refused a malformed request: {detail}")]
    Malformed { detail: &'static str },
    #[error(
        "the request path has a `.` or `..` segment, a backslash, or characters a provider would \
         not receive exactly as sent, and ClawBox never passes such a path on: send the API's \
         own path, e.g. /v1/chat/completions"
    )]
    UnsafePath,
    #[error("the X-User-ID header is not usable: {detail}")]
    BadUserId { detail: String },
    #[error(
        "ClawBox has no endpoint {path}: point your client at http://localhost:{port}/v1 \
         (OpenAI) or http://localhost:{port} (Anthropic)"
    )]
    NotFound { path: String, port: u16 },
    #[error(
        "no route for the model `{model}`. Tried: {tried}. Check the model name, start the local \
         model server that has it, or add a route in ClawBox's settings"
    )]
    UnknownModel { model: String, tried: String },
    #[error("{method} is not allowed on {path}")]
    MethodNotAllowed { method: String, path: String },
    #[error(
        "rate limit reached: at most {limit} requests per minute for user `{user}`; \
         try again in {retry_after} seconds"
    )]
    RateLimited {
        user: String,
        limit: u32,
        retry_after: u64,
    },
    #[error(
        "monthly cap reached: user `{user}` has used all {cap} requests for {month}; \
         the cap resets on the 1st (UTC), or raise monthly_cap in ClawBox's settings"
    )]
    MonthlyCapReached {
        user: String,
        cap: u64,
        month: String,
    },
    #[error(
        "monthly budget reached: user `{user}` has spent ${spent:.2} of the ${budget:.2} budget \
         for {month} through API keys; it resets on the 1st (UTC), or raise monthly_budget_usd \
         in ClawBox's settings. Requests on a ChatGPT plan or a local model still work"
    )]
    BudgetReached {
        user: String,
        budget: f64,
        spent: f64,
        month: String,
    },
    #[error(
        "no API key was sent: set {env_var} in your agent's .env to your {provider} key \
         (ClawBox passes it through untouched)"
    )]
    MissingCredential {
        provider: &'static str,
        env_var: &'static str,
    },
    #[error(
        "this is a ClawBox local key (cbx_…), but ClawBox holds no {provider} key to use with \
         it: save one in ClawBox (`clawbox-gateway key set {key_name}`, or in the window), or \
         send your own {provider} key instead"
    )]
    NoSavedCredential {
        provider: &'static str,
        /// The name `key set` takes.
        key_name: &'static str,
    },
    #[error(
        "this ClawBox local key is not the current one (it may have been rotated): copy the \
         current key from ClawBox (clawbox-gateway key show-local) into your agent's settings"
    )]
    WrongLocalKey,
    #[error(
        "this gateway accepts remote requests only with its local key: send it as \
         `Authorization: Bearer cbx_…` (clawbox-gateway key show-local on the gateway's machine)"
    )]
    LocalKeyRequired,
    #[error("ClawBox cannot use its stored keys: {reason}")]
    KeychainUnavailable { reason: String },
    #[error("{0}")]
    ChatGpt(clawbox_auth::codex::SessionError),
    #[error(
        "your ChatGPT plan ({plan}) has reached its usage limit{resets}; wait until then, or \
         set auth_mode to openai to use an API key meanwhile"
    )]
    UsageLimit {
        plan: String,
        /// ", which resets at 14:05 UTC (in about 37 minutes)", or empty.
        resets: String,
        retry_after: Option<u64>,
    },
    #[error(
        "ChatGPT sign-in covers chat completions and responses only; {path} needs an OpenAI \
         API key: save one in ClawBox (clawbox-gateway key set openai)"
    )]
    ChatGptCannotServe { path: String },
    #[error("this request cannot be sent to ChatGPT: {detail}")]
    NotTranslatable { detail: String },
    #[error("Previous response with id '{id}' not found.")]
    PreviousResponseNotFound { id: String },
    #[error("Response with id '{id}' not found.")]
    ResponseNotFound { id: String },
    #[error("Conversation with id '{id}' not found.")]
    ConversationNotFound { id: String },
    #[error("Item with id '{id}' not found.")]
    ItemNotFound { id: String },
    #[error(
        "previous_response_id and conversation cannot both be given: continue a conversation by \
         one or the other"
    )]
    TwoWaysToContinue,
    #[error(
        "this request continues a conversation (previous_response_id), but ClawBox cannot keep \
         conversations here: {reason}"
    )]
    ConversationsUnavailable { reason: String },
    #[error(
        "this conversation is too long to send again in full: {detail}; start a new one \
         (without previous_response_id)"
    )]
    ConversationTooLong { detail: String },
    #[error("ClawBox's conversation store failed: {reason}")]
    ConversationStore { reason: String },

    // ---- requests: the upstream's side ------------------------------------------------------
    #[error(
        "hosted mode is on, but no hosted gateway URL is set: set hosted_url \
         (CLAWBOX_HOSTED_URL) or switch ClawBox to local mode"
    )]
    HostedUrlMissing,
    #[error("could not reach {upstream} at {origin}: {reason}; check your internet connection")]
    UpstreamUnreachable {
        upstream: &'static str,
        origin: String,
        reason: String,
    },
    #[error("{upstream} at {origin} did not answer within {secs} seconds")]
    UpstreamTimeout {
        upstream: &'static str,
        origin: String,
        secs: u64,
    },
    #[error(
        "{upstream} at {origin} started its answer, then sent nothing for {secs} seconds; \
         try again"
    )]
    UpstreamSilent {
        upstream: &'static str,
        origin: String,
        secs: u64,
    },
    #[error("{upstream} at {origin} sent a broken response: {reason}")]
    UpstreamBroken {
        upstream: &'static str,
        origin: String,
        reason: String,
    },

    // ---- start-up ---------------------------------------------------------------------------
    #[error("cannot use the data folder {path}: {message}")]
    DataDir { path: PathBuf, message: String },
    #[error("the settings file {path} is unusable: {message}")]
    Settings { path: PathBuf, message: String },
    /// A change to settings.json refused before anything was written.
    #[error("{0}")]
    SettingsChange(String),
    #[error("the setting {key} (from {origin}) is invalid: {message}")]
    Setting {
        key: &'static str,
        origin: String,
        message: String,
    },
    #[error(transparent)]
    Store(#[from] clawbox_store::StoreError),
    #[error(
        "{addr} is already in use (is ClawBox, or OpenClaw's own gateway, already running?): \
         stop that program, or choose another port with --listen 127.0.0.1:PORT \
         (CLAWBOX_LISTEN, or listen in settings.json)"
    )]
    PortInUse { addr: SocketAddr },
    #[error(
        "refusing to listen on {addr}: it is reachable from other machines. ClawBox listens \
         on loopback only (127.0.0.1 or ::1) unless remote access is allowed explicitly \
         (--allow-remote 1 with --allowed-hosts)"
    )]
    NotLoopback { addr: SocketAddr },
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot use the hashing key {path}: {message}")]
    IpKey { path: PathBuf, message: String },
    #[error("cannot set up outbound HTTPS: {0}")]
    HttpClient(String),
}

impl Error {
    /// The one mapping from error to HTTP status and stable codes: `(status, code,
    /// OpenAI error type, Anthropic error type)`.
    fn classify(&self) -> (StatusCode, &'static str, &'static str, &'static str) {
        use Error::*;
        const INVALID: (&str, &str) = ("invalid_request_error", "invalid_request_error");
        let (status, code, (openai, anthropic)) = match self {
            ForbiddenHost { .. } => (StatusCode::FORBIDDEN, "forbidden_host", PERMISSION),
            ForbiddenOrigin { .. } => (StatusCode::FORBIDDEN, "forbidden_origin", PERMISSION),
            NotJson { .. } => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                INVALID,
            ),
            BodyTooLarge { .. } => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "request_too_large",
                ("invalid_request_error", "request_too_large"),
            ),
            HeadersTooLarge { .. } => (
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                "headers_too_large",
                INVALID,
            ),
            BadJson { .. } => (StatusCode::BAD_REQUEST, "invalid_json", INVALID),
            BadBody { .. } => (StatusCode::BAD_REQUEST, "unreadable_body", INVALID),
            BadUserId { .. } => (StatusCode::BAD_REQUEST, "invalid_user_id", INVALID),
            Malformed { .. } => (StatusCode::BAD_REQUEST, "malformed_request", INVALID),
            UnsafePath => (StatusCode::BAD_REQUEST, "unsafe_path", INVALID),
            NotFound { .. } => (
                StatusCode::NOT_FOUND,
                "unknown_endpoint",
                ("invalid_request_error", "not_found_error"),
            ),
            UnknownModel { .. } => (
                StatusCode::NOT_FOUND,
                "model_not_found",
                ("invalid_request_error", "not_found_error"),
            ),
            MethodNotAllowed { .. } => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                INVALID,
            ),
            RateLimited { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limit_exceeded",
                ("rate_limit_error", "rate_limit_error"),
            ),
            MonthlyCapReached { .. } => (
                StatusCode::PAYMENT_REQUIRED,
                "monthly_cap_reached",
                ("insufficient_quota", "billing_error"),
            ),
            BudgetReached { .. } => (
                StatusCode::PAYMENT_REQUIRED,
                "monthly_budget_reached",
                ("insufficient_quota", "billing_error"),
            ),
            MissingCredential { .. } => (StatusCode::UNAUTHORIZED, "missing_api_key", AUTH),
            NoSavedCredential { .. } => (StatusCode::UNAUTHORIZED, "no_saved_key", AUTH),
            WrongLocalKey => (StatusCode::UNAUTHORIZED, "invalid_local_key", AUTH),
            LocalKeyRequired => (StatusCode::UNAUTHORIZED, "local_key_required", AUTH),
            ChatGpt(e) => match e {
                SessionError::NotSignedIn => (StatusCode::UNAUTHORIZED, "not_signed_in", AUTH),
                SessionError::SignInAgain(_) => (StatusCode::UNAUTHORIZED, "reauth_required", AUTH),
                SessionError::Unavailable(_) | SessionError::Store(_) => (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "signin_unavailable",
                    ("api_error", "api_error"),
                ),
            },
            UsageLimit { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                "usage_limit_reached",
                ("rate_limit_error", "rate_limit_error"),
            ),
            ChatGptCannotServe { .. } => (StatusCode::BAD_REQUEST, "needs_api_key", INVALID),
            NotTranslatable { .. } => (StatusCode::BAD_REQUEST, "not_translatable", INVALID),
            PreviousResponseNotFound { .. } => (
                StatusCode::NOT_FOUND,
                "previous_response_not_found",
                ("invalid_request_error", "not_found_error"),
            ),
            ResponseNotFound { .. } => (
                StatusCode::NOT_FOUND,
                "response_not_found",
                ("invalid_request_error", "not_found_error"),
            ),
            ConversationNotFound { .. } => (
                StatusCode::NOT_FOUND,
                "conversation_not_found",
                ("invalid_request_error", "not_found_error"),
            ),
            ItemNotFound { .. } => (
                StatusCode::NOT_FOUND,
                "item_not_found",
                ("invalid_request_error", "not_found_error"),
            ),
            TwoWaysToContinue => (StatusCode::BAD_REQUEST, "invalid_request", INVALID),
            ConversationsUnavailable { .. } => (
                StatusCode::BAD_REQUEST,
                "conversations_unavailable",
                INVALID,
            ),
            ConversationTooLong { .. } => {
                (StatusCode::BAD_REQUEST, "conversation_too_long", INVALID)
            }
            ConversationStore { .. } => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "conversation_store",
                ("api_error", "api_error"),
            ),
            KeychainUnavailable { .. } => (
                StatusCode::SERVICE_UNAVAILABLE,
                "keychain_unavailable",
                ("api_error", "api_error"),
            ),
            HostedUrlMissing => (
                StatusCode::SERVICE_UNAVAILABLE,
                "hosted_url_missing",
                ("api_error", "api_error"),
            ),
            UpstreamUnreachable { .. } => (
                StatusCode::BAD_GATEWAY,
                "upstream_unreachable",
                ("api_error", "api_error"),
            ),
            UpstreamTimeout { .. } => (
                StatusCode::GATEWAY_TIMEOUT,
                "upstream_timeout",
                ("api_error", "timeout_error"),
            ),
            UpstreamSilent { .. } => (
                StatusCode::GATEWAY_TIMEOUT,
                "upstream_idle_timeout",
                ("api_error", "timeout_error"),
            ),
            UpstreamBroken { .. } => (
                StatusCode::BAD_GATEWAY,
                "upstream_broken",
                ("api_error", "api_error"),
            ),
            DataDir { .. }
            | Settings { .. }
            | SettingsChange(_)
            | Setting { .. }
            | Store(_)
            | PortInUse { .. }
            | NotLoopback { .. }
            | Bind { .. }
            | IpKey { .. }
            | HttpClient(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                ("api_error", "api_error"),
            ),
        };
        (status, code, openai, anthropic)
    }

    /// The request parameter an OpenAI-style error names, if any.
    fn param(&self) -> Option<&'static str> {
        match self {
            Error::PreviousResponseNotFound { .. } | Error::ConversationTooLong { .. } => {
                Some("previous_response_id")
            }
            Error::ConversationNotFound { .. } => Some("conversation"),
            _ => None,
        }
    }

    pub fn status(&self) -> StatusCode {
        self.classify().0
    }

    /// A stable, secret-free code for the request log.
    pub fn code(&self) -> &'static str {
        self.classify().1
    }

    /// The response in the caller's dialect.
    pub fn into_response(self, dialect: Dialect) -> Response {
        let (status, code, openai_type, anthropic_type) = self.classify();
        let message = self.to_string();
        let body = match dialect {
            Dialect::OpenAi => json!({
                "error": { "message": message, "type": openai_type, "code": code,
                           "param": self.param() }
            }),
            Dialect::Anthropic => json!({
                "type": "error",
                "error": { "type": anthropic_type, "message": message }
            }),
        };
        let mut response = (status, axum::Json(body)).into_response();
        let retry_after = match self {
            Error::RateLimited { retry_after, .. } => Some(retry_after),
            Error::UsageLimit { retry_after, .. } => retry_after,
            _ => None,
        };
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

const PERMISSION: (&str, &str) = ("permission_error", "permission_error");
const AUTH: (&str, &str) = ("authentication_error", "authentication_error");

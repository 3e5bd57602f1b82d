//! ClawBox's request path: an OpenAI- and Anthropic-compatible proxy on 127.0.0.1 that limits,
//! meters and logs every request. No Tauri here, and nothing of the command line, the client
//! configurators or provisioning: the desktop shell and the headless `clawbox-gateway` binary
//! (clawbox-cli) both drive this crate.
//!
//! Layout:
//! - [`Gateway`] (gateway.rs): shared state and lifecycle — open, bind, serve, live settings.
//! - server.rs: the router (`router()` is testable without a socket) and serving it;
//!   listener.rs: the accept loop (HTTP/1.1 only, header-read timeout, connection cap).
//! - proxy.rs: the `/v1/*` handler, which reads as the request path's stages in order.
//! - stages/: one file per stage: guard, body, identify, admit, route, authorize, forward,
//!   meter, record.
//! - metered_body.rs, tap.rs, sse.rs, usage.rs: streaming pass-through and token metering.
//! - admission.rs: the rolling per-user limit, the monthly cap and the monthly budget.
//! - plan_board.rs: the ChatGPT plan's usage windows (codex/plan.rs reads them).
//! - websocket/: `/v1/*` WebSocket upgrades (the Realtime API), relayed and metered.
//! - config/: settings layers (flags > env > settings.json > defaults) and the data dir.
//! - error.rs: the one error type, and the one place it becomes a response.

mod admission;
mod clock;
mod codex;
pub mod config;
pub mod conversations;
mod dialect;
mod error;
pub mod events;
mod framing;
mod gateway;
mod health;
mod ip_hash;
mod listener;
mod local_responses;
mod metered_body;
mod ollama;
pub mod plan_board;
pub mod providers;
mod proxy;
mod request_id;
mod retention;
pub mod routes;
mod server;
mod sse;
mod stages;
mod tap;
mod usage;
mod websocket;

pub use codex::plan::{PlanLimits, PlanWindow, label as plan_label};
pub use dialect::Dialect;
pub use error::Error;
pub use gateway::{DEFAULT_LOG_QUEUE, Gateway, GatewayOptions, SecretsFrom, bind_loopback};
pub use health::Health;
pub use ip_hash::IP_HASH_KEY_FILE;
pub use listener::{ConnectionLimits, HEADER_READ_TIMEOUT};
pub use server::router;
pub use stages::identify::{AGENT_SESSION_HEADER, CLIENT_HEADER};

//! The gateway end to end: the real server on 127.0.0.1:0, a temp SQLite file, and the
//! testkit's fake providers.
#![allow(
    clippy::unwrap_used,
    reason = "a test helper that fails should fail loudly"
)]

mod harness;

mod chatgpt;
mod conversation_api;
mod conversations;
mod cost;
mod credentials;
mod failover;
mod guard;
mod hardening;
mod limits;
mod local_conversations;
mod logging;
mod metering;
mod plan;
mod providers;
mod proxying;
mod realtime;
mod routing;
mod settings;
mod streaming;
mod uploads;

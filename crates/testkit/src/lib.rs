//! Faithful local stand-ins for what ClawBox reaches across the internet: one fake server that
//! answers like OpenAI (chat completions JSON + SSE, Responses SSE, embeddings, models),
//! Anthropic (messages JSON + SSE, models) and the hosted gateway, records every request it got,
//! and can be told to fail, stall or go slow.
//!
//! [`FakeOAuth`] stands in for auth.openai.com: authorize (approving at once), the code exchange
//! with PKCE checked, refresh-token rotation with reuse detection, revocation.
//!
//! Token counts are fixed per endpoint (see [`usage`]) so tests can tell a provider-reported count
//! from an estimate.

mod behavior;
mod chat;
mod codex_backend;
mod fake;
mod messages;
mod oauth;
mod realtime;
mod responses;
pub mod script;
mod sse;
mod uploads;

pub use behavior::Behavior;
pub use fake::{FakeUpstream, Recorded};
pub use oauth::{FakeOAuth, RefreshFailure};
pub use realtime::REALTIME;
pub use uploads::pattern;

/// The token counts the fakes report, per endpoint.
pub mod usage {
    /// Chat completions: prompt, completion.
    pub const CHAT: (u64, u64) = (13, 21);
    /// Responses: input, output.
    pub const RESPONSES: (u64, u64) = (17, 19);
    /// Anthropic messages: input, cache read, output.
    pub const MESSAGES: (u64, u64, u64) = (23, 5, 29);
    /// Anthropic messages: cache writes (counted apart from the input, like cache reads).
    pub const MESSAGES_CACHE_WRITE: u64 = 3;
    /// Embeddings: prompt.
    pub const EMBEDDINGS: u64 = 8;
    /// The parts OpenAI reports inside its counts: cached input (inside the prompt) and
    /// reasoning (inside the completion), for chat completions and for Responses.
    pub const CHAT_PARTS: (u64, u64) = (8, 5);
    pub const RESPONSES_PARTS: (u64, u64) = (11, 7);
}

/// The text every fake completion answers with, one piece per stream chunk.
pub const REPLY_PIECES: [&str; 4] = ["Hello", " from", " the", " fake"];

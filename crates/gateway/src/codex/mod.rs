//! The ChatGPT Codex backend (`auth_mode = codex`): what it needs that a plain Responses
//! endpoint does not, and the translation that lets chat-completions clients use it unchanged.
//!
//! - request.rs: a Responses request rewritten to what the backend accepts (always streamed,
//!   `store: false`, `instructions`, no `max_output_tokens`), and a chat-completions request
//!   translated into one.
//! - chat_stream.rs: the backend's Responses events, translated into chat-completion chunks.
//! - assemble.rs: for clients that did not ask for a stream, the whole answer as one JSON body
//!   (a Responses object, or a chat completion).
//! - limits.rs: the plan's usage-limit answer, turned into a plain message.
//! - plan.rs: the plan's usage windows (5-hour, weekly) the backend reports.

mod assemble;
mod chat_stream;
mod limits;
pub mod plan;
mod request;

pub use assemble::assemble;
pub use chat_stream::ChatStream;
pub use limits::usage_limit;
pub use request::prepare;

/// What the answer needs on its way back to the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Translation {
    /// Nothing: the upstream speaks the client's dialect.
    None,
    /// A Responses client that wanted one JSON body (the backend always streams).
    ResponsesJson,
    /// A chat-completions client, streamed; `include_usage`: it asked for the usage chunk.
    ChatStream { include_usage: bool },
    /// A chat-completions client that wanted one JSON body.
    ChatJson,
    /// A Responses client of a local model server, which was asked in chat completions: its
    /// answer becomes a Responses answer again (local_responses/).
    ResponsesFromChat { stream: bool },
}

impl Translation {
    /// Whether the whole upstream answer must be read before answering.
    pub fn assembles(self) -> bool {
        matches!(self, Translation::ResponsesJson | Translation::ChatJson)
    }
}

/// The default system prompt when a request brings none (the backend requires one).
const DEFAULT_INSTRUCTIONS: &str = "You are a helpful assistant.";

//! What the fake should do, set globally by a test or per request by `x-fake-*` headers (which
//! ClawBox forwards like any other header).

use std::time::Duration;

use axum::http::HeaderMap;

#[derive(Debug, Clone, Default)]
pub struct Behavior {
    /// Answer with this status and a provider-style error body.
    pub fail_status: Option<u16>,
    /// Wait this long before sending response headers.
    pub headers_delay: Duration,
    /// Wait this long between stream chunks.
    pub chunk_delay: Duration,
    /// Stop sending (without closing) after this many stream chunks.
    pub stall_after_chunks: Option<usize>,
    /// Report no usage at all (as some OpenAI-compatible servers do).
    pub omit_usage: bool,
    /// Content chunks per streamed reply (default: one per [`crate::REPLY_PIECES`]).
    pub content_chunks: Option<usize>,
    /// After the first chunk, wait until [`crate::FakeUpstream::release`] is called.
    pub gate: bool,
    /// Send a non-streamed answer's headers (its Content-Length included), then nothing.
    pub stall_body: bool,
    /// Abort the connection after this many stream chunks (a provider that dies mid-answer).
    pub cut_after_chunks: Option<usize>,
    /// Answer with an event stream of random bytes.
    pub garbage: bool,
    /// Drop the connection without an answer.
    pub reset: bool,
    /// Answer with an event stream this many MiB long.
    pub stream_mib: Option<usize>,
}

impl Behavior {
    /// This behaviour, amended by the request's `x-fake-*` headers.
    pub fn with_headers(mut self, headers: &HeaderMap) -> Self {
        let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        if let Some(status) = get("x-fake-fail-status").and_then(|v| v.parse().ok()) {
            self.fail_status = Some(status);
        }
        if get("x-fake-stall-body").is_some() {
            self.stall_body = true;
        }
        if let Some(n) = get("x-fake-cut-after-chunks").and_then(|v| v.parse().ok()) {
            self.cut_after_chunks = Some(n);
        }
        if get("x-fake-garbage").is_some() {
            self.garbage = true;
        }
        if get("x-fake-reset").is_some() {
            self.reset = true;
        }
        if let Some(n) = get("x-fake-stream-mib").and_then(|v| v.parse().ok()) {
            self.stream_mib = Some(n);
        }
        if get("x-fake-omit-usage").is_some() {
            self.omit_usage = true;
        }
        if let Some(ms) = get("x-fake-chunk-delay-ms").and_then(|v| v.parse().ok()) {
            self.chunk_delay = Duration::from_millis(ms);
        }
        if let Some(ms) = get("x-fake-headers-delay-ms").and_then(|v| v.parse().ok()) {
            self.headers_delay = Duration::from_millis(ms);
        }
        if let Some(n) = get("x-fake-chunks").and_then(|v| v.parse().ok()) {
            self.content_chunks = Some(n);
        }
        self
    }

    pub fn pieces(&self) -> Vec<&'static str> {
        let n = self.content_chunks.unwrap_or(crate::REPLY_PIECES.len());
        (0..n)
            .map(|i| crate::REPLY_PIECES[i % crate::REPLY_PIECES.len()])
            .collect()
    }
}

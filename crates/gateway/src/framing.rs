//! Watching request heads as their bytes arrive, for the one ambiguity hyper resolves instead of
//! refusing: a request with both `Content-Length` and `Transfer-Encoding`. hyper frames such a
//! body by its chunks, drops the length and closes the connection afterwards (RFC 9112 §6.3
//! allows that), so the handler never sees there was a conflict. ClawBox refuses it outright
//! (400): a front end that had believed the length would disagree about where the request ends.
//!
//! [`HeadWatch`] wraps the socket's read side and follows the messages' framing (length, chunks)
//! just far enough to find each head; the n-th head it finds ambiguous is reported to the n-th
//! request the connection dispatches ([`Ambiguity::mark`]), and the guard refuses it. Anything
//! it cannot follow (a head too large or malformed, an upgrade) ends the watching: hyper refuses
//! those itself, or the bytes are no longer HTTP.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::sse::blank_line_end;

/// More than the guard accepts (64 KB of headers) plus the request line.
const MAX_HEAD: usize = 80 * 1024;
const NONE: u64 = u64::MAX;

/// Set on a request whose head carried both Content-Length and Transfer-Encoding.
#[derive(Debug, Clone, Copy)]
pub struct AmbiguousFraming;

/// What one connection's watcher found, shared with the requests it dispatches.
#[derive(Debug)]
pub(crate) struct Ambiguity {
    /// Which head (counting from 0) was ambiguous; `NONE` while none was.
    ambiguous_head: AtomicU64,
    /// Requests dispatched so far.
    dispatched: AtomicU64,
}

impl Ambiguity {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            ambiguous_head: AtomicU64::new(NONE),
            dispatched: AtomicU64::new(0),
        })
    }

    /// Marks `request` if its head was the ambiguous one. Called once per request, in order:
    /// the watcher has always seen a head before hyper parses it.
    pub(crate) fn mark<B>(&self, mut request: http::Request<B>) -> http::Request<B> {
        let index = self.dispatched.fetch_add(1, Ordering::SeqCst);
        if self.ambiguous_head.load(Ordering::SeqCst) == index {
            request.extensions_mut().insert(AmbiguousFraming);
        }
        request
    }
}

enum State {
    /// Collecting a head up to its blank line.
    Head(Vec<u8>),
    /// Skipping this many body bytes.
    Body(u64),
    /// In a chunked body: collecting a chunk-size line.
    ChunkSize(Vec<u8>),
    /// Skipping a chunk's data and its CRLF.
    ChunkData(u64),
    /// After the last chunk: collecting trailers up to the blank line.
    Trailers(Vec<u8>),
    /// No longer following (an upgrade, a head too large or malformed, an ambiguity found).
    Done,
}

pub(crate) struct HeadWatch<T> {
    inner: T,
    state: State,
    heads: u64,
    found: Arc<Ambiguity>,
}

impl<T> HeadWatch<T> {
    pub(crate) fn new(inner: T, found: Arc<Ambiguity>) -> Self {
        Self {
            inner,
            state: State::Head(Vec::new()),
            heads: 0,
            found,
        }
    }

    /// Follows `bytes`, the next ones read from the client.
    fn follow(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            self.state = match std::mem::replace(&mut self.state, State::Done) {
                State::Done => return,
                State::Body(left) => {
                    let n = skip(left, bytes.len());
                    bytes = &bytes[n..];
                    match left - n as u64 {
                        0 => State::Head(Vec::new()),
                        left => State::Body(left),
                    }
                }
                State::ChunkData(left) => {
                    let n = skip(left, bytes.len());
                    bytes = &bytes[n..];
                    match left - n as u64 {
                        0 => State::ChunkSize(Vec::new()),
                        left => State::ChunkData(left),
                    }
                }
                State::ChunkSize(mut line) => match memchr::memchr(b'\n', bytes) {
                    None => {
                        line.extend_from_slice(bytes);
                        bytes = &[];
                        if line.len() > 1024 {
                            State::Done
                        } else {
                            State::ChunkSize(line)
                        }
                    }
                    Some(nl) => {
                        line.extend_from_slice(&bytes[..=nl]);
                        bytes = &bytes[nl + 1..];
                        match httparse::parse_chunk_size(&line) {
                            Ok(httparse::Status::Complete((_, 0))) => State::Trailers(Vec::new()),
                            Ok(httparse::Status::Complete((_, size))) => {
                                State::ChunkData(size.saturating_add(2))
                            }
                            _ => State::Done,
                        }
                    }
                },
                State::Trailers(mut acc) => {
                    let old = acc.len();
                    acc.extend_from_slice(bytes);
                    match trailers_end(&acc) {
                        Some(end) => {
                            bytes = &bytes[end.saturating_sub(old)..];
                            State::Head(Vec::new())
                        }
                        None if acc.len() > MAX_HEAD => State::Done,
                        None => {
                            bytes = &[];
                            State::Trailers(acc)
                        }
                    }
                }
                State::Head(mut acc) => {
                    let old = acc.len();
                    acc.extend_from_slice(bytes);
                    match blank_line_end(&acc, old.saturating_sub(3)) {
                        Some(end) => {
                            // The blank line was not complete before: it ends in these bytes.
                            bytes = &bytes[end.saturating_sub(old)..];
                            acc.truncate(end);
                            self.after_head(&acc)
                        }
                        None if acc.len() > MAX_HEAD => State::Done,
                        None => {
                            bytes = &[];
                            State::Head(acc)
                        }
                    }
                }
            };
        }
    }

    /// The state after a complete head: its body's framing, or the end of watching.
    fn after_head(&mut self, head: &[u8]) -> State {
        let index = self.heads;
        self.heads += 1;
        let mut headers = [httparse::EMPTY_HEADER; 128];
        let mut request = httparse::Request::new(&mut headers);
        if !matches!(request.parse(head), Ok(httparse::Status::Complete(_))) {
            return State::Done;
        }
        let mut length = None;
        let mut chunked = false;
        let mut encoded = false;
        for h in request.headers.iter() {
            if h.name.eq_ignore_ascii_case("content-length") {
                length = std::str::from_utf8(h.value)
                    .ok()
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .or(Some(NONE));
            } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
                encoded = true;
                chunked = h.value.to_ascii_lowercase().ends_with(b"chunked");
            } else if h.name.eq_ignore_ascii_case("upgrade") {
                return State::Done;
            }
        }
        if encoded && length.is_some() {
            self.found.ambiguous_head.store(index, Ordering::SeqCst);
            return State::Done;
        }
        match (chunked, length) {
            (true, _) => State::ChunkSize(Vec::new()),
            (false, Some(0) | None) if !encoded => State::Head(Vec::new()),
            (false, Some(n)) if n != NONE => State::Body(n),
            _ => State::Done,
        }
    }
}

/// How many of `available` bytes a body with `left` to go takes.
fn skip(left: u64, available: usize) -> usize {
    usize::try_from(left).map_or(available, |left| left.min(available))
}

/// The end of a chunked body's trailer section: at once when it is empty.
fn trailers_end(buf: &[u8]) -> Option<usize> {
    if buf.starts_with(b"\r\n") {
        Some(2)
    } else if buf.starts_with(b"\n") {
        Some(1)
    } else {
        blank_line_end(buf, 0)
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for HeadWatch<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && !matches!(this.state, State::Done) {
            this.follow(&buf.filled()[before..]);
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for HeadWatch<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, data)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    /// One request as a client frames it: `(bytes, ambiguous)`.
    fn message() -> impl Strategy<Value = (Vec<u8>, bool)> {
        (
            "[ -~]{0,60}",
            0usize..4,
            proptest::collection::vec(1usize..20, 1..4),
            any::<bool>(),
        )
            .prop_map(|(body, framing, chunk_sizes, trailer)| {
                let head = "POST /v1/chat/completions HTTP/1.1\r\nHost: h\r\n";
                match framing {
                    0 => (
                        b"GET /v1/models HTTP/1.1\r\nHost: h\r\n\r\n".to_vec(),
                        false,
                    ),
                    1 => (
                        format!("{head}Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes(),
                        false,
                    ),
                    2 | 3 => {
                        let mut out = format!("{head}Transfer-Encoding: chunked\r\n");
                        if framing == 3 {
                            out.push_str("Content-Length: 5\r\n");
                        }
                        out.push_str("\r\n");
                        let mut rest = body.as_str();
                        for size in chunk_sizes.iter().cycle() {
                            if rest.is_empty() {
                                break;
                            }
                            let (chunk, tail) = rest.split_at((*size).min(rest.len()));
                            out.push_str(&format!("{:x}\r\n{chunk}\r\n", chunk.len()));
                            rest = tail;
                        }
                        out.push_str(if trailer {
                            "0\r\nX-T: 1\r\n\r\n"
                        } else {
                            "0\r\n\r\n"
                        });
                        (out.into_bytes(), framing == 3)
                    }
                    _ => unreachable!(),
                }
            })
    }

    fn watch(bytes: &[u8], cuts: &[usize]) -> (u64, u64) {
        let found = Ambiguity::new();
        let mut watcher = HeadWatch::new((), Arc::clone(&found));
        let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
        cuts.sort_unstable();
        let mut from = 0;
        for cut in cuts.into_iter().chain([bytes.len()]) {
            watcher.follow(&bytes[from..cut]);
            from = cut;
        }
        (watcher.heads, found.ambiguous_head.load(Ordering::SeqCst))
    }

    proptest! {
        #[test]
        fn every_head_is_found_and_only_the_ambiguous_one_reported(
            messages in proptest::collection::vec(message(), 1..8),
            cuts in proptest::collection::vec(any::<usize>(), 0..20),
        ) {
            let stream: Vec<u8> = messages.iter().flat_map(|(m, _)| m.clone()).collect();
            let (heads, ambiguous) = watch(&stream, &cuts);
            match messages.iter().position(|(_, a)| *a) {
                // Watching ends at the ambiguous head (hyper closes the connection after it).
                Some(index) => {
                    prop_assert_eq!(ambiguous, index as u64);
                    prop_assert_eq!(heads, index as u64 + 1);
                }
                None => {
                    prop_assert_eq!(ambiguous, NONE);
                    prop_assert_eq!(heads, messages.len() as u64);
                }
            }
        }

        #[test]
        fn any_bytes_are_followed_without_a_panic(
            bytes in proptest::collection::vec(any::<u8>(), 0..2000),
            cuts in proptest::collection::vec(any::<usize>(), 0..10),
        ) {
            let _ = watch(&bytes, &cuts);
        }
    }
}

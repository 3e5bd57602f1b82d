//! WebSocket passthrough for `/v1/*` upgrades (the Realtime API): the same guard, identity,
//! admission and credential exchange as any request, then the upstream's handshake, then bytes
//! relayed both ways as they come. The provider's frames are read on the way, only for the
//! usage it reports (`response.done`); one row per connection, status 101, with its duration.
//!
//! The client's `Sec-WebSocket-Key` goes upstream unchanged, so the provider's
//! `Sec-WebSocket-Accept` is the one the client expects and the relay never re-frames anything.
//! Compression is not offered upstream (`Sec-WebSocket-Extensions` is dropped): the frames stay
//! readable for the meter.

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::stages::{Attach, Recording, Route};
use crate::usage::{self, Usage};
use crate::{Error, stages};

/// The largest message read for usage; bigger ones (audio) pass unread.
const MAX_READ_MESSAGE: usize = 1024 * 1024;

/// A `GET` asking to become a WebSocket.
pub fn is_upgrade(parts: &Parts) -> bool {
    parts.method == Method::GET
        && parts
            .headers
            .get(header::UPGRADE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// The `model` a Realtime URL names (`/v1/realtime?model=gpt-realtime`).
pub fn model_of(parts: &Parts) -> Option<String> {
    let query = parts.uri.query()?;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "model")
        .map(|(_, v)| v.chars().take(200).collect())
}

/// The subprotocols offered, less any that carry a ClawBox local key (`None`: none left).
fn without_local_key(protocols: &str) -> Option<String> {
    let kept: Vec<&str> = protocols
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty() && !p.contains(clawbox_auth::LOCAL_KEY_PREFIX))
        .collect();
    (!kept.is_empty()).then(|| kept.join(", "))
}

/// The upstream's answer to the handshake.
pub struct Opened {
    response: reqwest::Response,
    ttfb: Duration,
    upstream: &'static str,
}

/// Asks the upstream for the same upgrade, with the credential `attach` decided.
pub async fn open(
    client: &reqwest::Client,
    route: &Route,
    parts: &Parts,
    attach: &Attach,
    user_id: &str,
    idle: Duration,
) -> Result<Opened, Error> {
    let url = stages::upstream_url(route, parts)?;
    let mut headers = stages::upstream_headers(parts, attach, route.upstream, user_id, false);
    headers.remove(header::SEC_WEBSOCKET_EXTENSIONS);
    // Browsers put the key in a subprotocol (`openai-insecure-api-key.<key>`): a ClawBox local
    // key there stays here, like one in `Authorization`.
    let kept = headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .and_then(without_local_key)
        .and_then(|p| HeaderValue::from_str(&p).ok());
    match kept {
        Some(value) => headers.insert(header::SEC_WEBSOCKET_PROTOCOL, value),
        None => headers.remove(header::SEC_WEBSOCKET_PROTOCOL),
    };
    headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    let started = Instant::now();
    let origin = route.base.as_str().trim_end_matches('/').to_owned();
    let response = match tokio::time::timeout(idle, client.get(url).headers(headers).send()).await {
        Ok(Ok(response)) => response,
        Ok(Err(e)) => {
            return Err(Error::UpstreamUnreachable {
                upstream: route.upstream.display_name(),
                origin,
                reason: e.to_string(),
            });
        }
        Err(_) => {
            return Err(Error::UpstreamTimeout {
                upstream: route.upstream.display_name(),
                origin,
                secs: idle.as_secs(),
            });
        }
    };
    Ok(Opened {
        response,
        ttfb: started.elapsed(),
        upstream: route.upstream.id(),
    })
}

/// The client's answer: the upstream's refusal as it came, or a 101 and, behind it, the relay
/// (which records the row when the connection ends).
pub async fn relay(
    opened: Opened,
    client: Option<OnUpgrade>,
    mut recording: Recording,
) -> Response {
    let status = opened.response.status();
    recording.set_response_start(
        status.as_u16(),
        opened.ttfb,
        status == StatusCode::SWITCHING_PROTOCOLS,
    );
    let (Some(client), StatusCode::SWITCHING_PROTOCOLS) = (client, status) else {
        // Refused upstream (a wrong key, an unknown model): its answer, as it came.
        let content_type = opened.response.headers().get(header::CONTENT_TYPE).cloned();
        let body = refusal_body(opened.response).await;
        recording.set_response_end(None, 0, None);
        let mut response = Response::new(Body::from(body));
        *response.status_mut() = status;
        if let Some(ct) = content_type {
            response.headers_mut().insert(header::CONTENT_TYPE, ct);
        }
        return response;
    };
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    for name in [
        header::UPGRADE,
        header::CONNECTION,
        header::SEC_WEBSOCKET_ACCEPT,
        header::SEC_WEBSOCKET_PROTOCOL,
    ] {
        if let Some(value) = opened.response.headers().get(&name) {
            response.headers_mut().insert(name, value.clone());
        }
    }
    response.headers_mut().insert(
        HeaderName::from_static("x-clawbox-upstream"),
        HeaderValue::from_static(opened.upstream),
    );
    tokio::spawn(async move {
        let usage = pipe(opened.response, client).await;
        recording.set_response_end(usage, 0, None);
    });
    response
}

/// The upstream's refusal, read for at most 10 s and 64 KB (an error page, not a stream).
async fn refusal_body(response: reqwest::Response) -> bytes::Bytes {
    use futures_util::StreamExt;
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    let read = async {
        while let Some(Ok(chunk)) = stream.next().await {
            body.extend_from_slice(&chunk);
            if body.len() > 64 * 1024 {
                body.truncate(64 * 1024);
                break;
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(10), read).await;
    body.into()
}

/// Relays until either side closes; returns the usage the provider reported.
async fn pipe(upstream: reqwest::Response, client: OnUpgrade) -> Option<Usage> {
    let (upstream, client) = match (upstream.upgrade().await, client.await) {
        (Ok(upstream), Ok(client)) => (upstream, TokioIo::new(client)),
        _ => return None,
    };
    let (mut client_read, mut client_write) = tokio::io::split(client);
    let (mut upstream_read, mut upstream_write) = tokio::io::split(upstream);
    let mut frames = Frames::default();
    let up = async {
        let _ = tokio::io::copy(&mut client_read, &mut upstream_write).await;
        let _ = upstream_write.shutdown().await;
    };
    let down = async {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match upstream_read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            // Forward first; the meter reads what has already gone.
            if client_write.write_all(&buf[..n]).await.is_err() {
                break;
            }
            frames.feed(&buf[..n]);
        }
        let _ = client_write.shutdown().await;
    };
    // Either side closing ends the session (the other half's copy cannot outlive it).
    tokio::select! {
        () = up => {}
        () = down => {}
    }
    frames.usage
}

/// The provider's frames, parsed as they pass, for the usage in its text messages. Holds at
/// most a frame's header and a message worth reading; anything larger passes unread.
#[derive(Default)]
struct Frames {
    pending: Vec<u8>,
    /// Bytes of an unread (too large) frame still to pass.
    to_skip: usize,
    message: Vec<u8>,
    /// A text message is being assembled.
    reading: bool,
    usage: Option<Usage>,
}

struct FrameHeader {
    len: usize,
    payload: usize,
    fin: bool,
    opcode: u8,
    mask: Option<[u8; 4]>,
}

impl Frames {
    fn feed(&mut self, mut bytes: &[u8]) {
        if self.to_skip > 0 {
            let n = self.to_skip.min(bytes.len());
            self.to_skip -= n;
            bytes = &bytes[n..];
        }
        self.pending.extend_from_slice(bytes);
        while let Some(h) = header(&self.pending) {
            if h.payload > MAX_READ_MESSAGE {
                // Too large to read (audio): let it pass unread.
                let have = self.pending.len() - h.len;
                if have >= h.payload {
                    self.pending.drain(..h.len + h.payload);
                } else {
                    self.to_skip = h.payload - have;
                    self.pending.clear();
                }
                if h.opcode < 8 {
                    self.reading = false;
                    self.message.clear();
                }
                continue;
            }
            if self.pending.len() < h.len + h.payload {
                return;
            }
            let mut payload = self.pending[h.len..h.len + h.payload].to_vec();
            if let Some(key) = h.mask {
                for (i, b) in payload.iter_mut().enumerate() {
                    *b ^= key[i % 4];
                }
            }
            self.pending.drain(..h.len + h.payload);
            self.frame(h.fin, h.opcode, &payload);
        }
    }

    fn frame(&mut self, fin: bool, opcode: u8, payload: &[u8]) {
        match opcode {
            1 => {
                self.reading = true;
                self.message.clear();
            }
            0 => {}
            2 => {
                self.reading = false;
                return;
            }
            // Control frames (close, ping, pong) may come between a message's fragments.
            _ => return,
        }
        if !self.reading {
            return;
        }
        if self.message.len() + payload.len() > MAX_READ_MESSAGE {
            self.reading = false;
            self.message.clear();
            return;
        }
        self.message.extend_from_slice(payload);
        if !fin {
            return;
        }
        if usage::mentions_usage(&self.message)
            && let Some(found) = usage::read(&self.message).and_then(|r| r.usage)
        {
            // Each `response.done` reports its own response: a session's usage is the sum.
            let sum = self.usage.get_or_insert_default();
            sum.input = add(sum.input, found.input);
            sum.output = add(sum.output, found.output);
            sum.total = add(sum.total, found.total());
            sum.cached = add(sum.cached, found.cached);
        }
        self.message.clear();
        self.reading = false;
    }
}

fn add(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0).saturating_add(b.unwrap_or(0))),
    }
}

/// A frame's header (RFC 6455 §5.2), once all of it has come.
fn header(bytes: &[u8]) -> Option<FrameHeader> {
    let (&b0, &b1) = (bytes.first()?, bytes.get(1)?);
    let masked = b1 & 0x80 != 0;
    let (payload, mut len) = match b1 & 0x7f {
        126 => (
            usize::from(u16::from_be_bytes([*bytes.get(2)?, *bytes.get(3)?])),
            4,
        ),
        127 => {
            let raw: [u8; 8] = bytes.get(2..10)?.try_into().ok()?;
            (
                usize::try_from(u64::from_be_bytes(raw)).unwrap_or(usize::MAX),
                10,
            )
        }
        n => (usize::from(n), 2),
    };
    let mask = if masked {
        let key: [u8; 4] = bytes.get(len..len + 4)?.try_into().ok()?;
        len += 4;
        Some(key)
    } else {
        None
    };
    Some(FrameHeader {
        len,
        payload,
        fin: b0 & 0x80 != 0,
        opcode: b0 & 0x0f,
        mask,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![u8::from(fin) << 7 | opcode];
        match payload.len() {
            n if n < 126 => out.push(n as u8),
            n if n <= 0xffff => {
                out.push(126);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                out.push(127);
                out.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        out.extend_from_slice(payload);
        out
    }

    const DONE: &[u8] = br#"{"type":"response.done","response":{"usage":{"total_tokens":30,"input_tokens":12,"output_tokens":18}}}"#;

    #[test]
    fn usage_is_summed_over_responses_however_the_bytes_are_cut() {
        let mut stream = frame(true, 1, br#"{"type":"session.created"}"#);
        stream.extend(frame(true, 9, b"ping"));
        stream.extend(frame(false, 1, &DONE[..20]));
        stream.extend(frame(true, 10, b""));
        stream.extend(frame(true, 0, &DONE[20..]));
        stream.extend(frame(true, 2, &[0u8; 300]));
        stream.extend(frame(true, 1, DONE));
        for cut in [1, 3, 7, 64, stream.len()] {
            let mut f = Frames::default();
            for piece in stream.chunks(cut) {
                f.feed(piece);
            }
            let u = f.usage.unwrap();
            assert_eq!(
                (u.input, u.output, u.total),
                (Some(24), Some(36), Some(60)),
                "cut {cut}"
            );
        }
    }

    #[test]
    fn a_local_key_in_a_subprotocol_stays_here() {
        assert_eq!(
            without_local_key(
                "realtime, openai-insecure-api-key.cbx_secret, openai-beta.realtime-v1"
            )
            .as_deref(),
            Some("realtime, openai-beta.realtime-v1")
        );
        assert_eq!(
            without_local_key("openai-insecure-api-key.cbx_secret"),
            None
        );
        assert_eq!(
            without_local_key("openai-insecure-api-key.sk-own").as_deref(),
            Some("openai-insecure-api-key.sk-own")
        );
    }

    #[test]
    fn a_frame_too_large_to_read_passes_unread_and_unheld() {
        let mut stream = frame(true, 1, &vec![b'a'; MAX_READ_MESSAGE + 10]);
        stream.extend(frame(true, 1, DONE));
        let mut f = Frames::default();
        for piece in stream.chunks(4096) {
            f.feed(piece);
            assert!(f.pending.len() <= 4096 + 14, "{}", f.pending.len());
        }
        assert_eq!(f.usage.unwrap().total, Some(30));
    }
}

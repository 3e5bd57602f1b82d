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
use crate::usage::Usage;
use crate::{Error, stages};

mod frames;

use frames::Frames;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}

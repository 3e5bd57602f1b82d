//! Hostile and malformed HTTP from outside, sent as raw bytes (an HTTP client would tidy the
//! request up first): each test is named for what it pins.

use std::time::{Duration, Instant};

use clawbox_gateway::ConnectionLimits;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::harness::{Harness, request_id};

fn addr(h: &Harness) -> String {
    h.url.trim_start_matches("http://").to_owned()
}

/// Sends `request` as is and reads until the gateway closes (or 5 s pass).
async fn raw(h: &Harness, request: &[u8]) -> String {
    let mut tcp = TcpStream::connect(addr(h)).await.unwrap();
    tcp.write_all(request).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

fn status_of(response: &str) -> u16 {
    response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {response:?}"))
}

fn body_of(response: &str) -> Value {
    let body = response.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    serde_json::from_str(body).unwrap_or(Value::Null)
}

fn get(path: &str, host: &str, extra: &str) -> Vec<u8> {
    format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer sk-test\r\n{extra}\
         Connection: close\r\n\r\n"
    )
    .into_bytes()
}

#[tokio::test]
async fn dot_segments_in_the_path_never_reach_the_provider() {
    let h = Harness::start().await;
    let host = addr(&h);
    for path in [
        "/v1/../admin",
        "/v1/%2e%2e/admin",
        "/v1/%2E%2E/%2E%2E/etc/passwd",
        "/v1/.%2E/admin",
        "/v1/%2e./admin",
        "/v1/./models",
        "/v1/models/%2e",
        "/v1/..\\admin",
    ] {
        let response = raw(&h, &get(path, &host, "")).await;
        assert_eq!(status_of(&response), 400, "{path}: {response}");
        let body = body_of(&response);
        assert_eq!(body["error"]["code"], "unsafe_path", "{path}: {body}");
    }
    // In Anthropic's dialect, Anthropic's error shape.
    let response = raw(
        &h,
        &get(
            "/v1/%2e%2e/messages",
            &host,
            "anthropic-version: 2023-06-01\r\n",
        ),
    )
    .await;
    assert_eq!(status_of(&response), 400);
    assert_eq!(body_of(&response)["type"], "error");
    assert_eq!(
        h.provider.requests().len(),
        0,
        "the provider saw: {:?}",
        h.provider
            .requests()
            .iter()
            .map(|r| r.uri.clone())
            .collect::<Vec<_>>()
    );
    // Each refusal is a row like any other request.
    let rows = h.rows();
    assert_eq!(rows.len(), 9);
    assert!(rows.iter().all(|r| r.status == 400));
}

#[tokio::test]
async fn everything_else_in_a_path_goes_upstream_exactly_as_received() {
    let h = Harness::start().await;
    let host = addr(&h);
    for path in [
        "/v1/models/org%2Fmodel-name",
        "/v1/models/ft%3Agpt-4o%3Aacme%3A%3Aabc123",
        "/v1/files/file-abc/content?purpose=fine-tune&after=%2F..%2F",
        "/v1/...hidden/x",
        "/v1/models/a.b..c",
    ] {
        let response = raw(&h, &get(path, &host, "")).await;
        assert_ne!(status_of(&response), 400, "{path}: {response}");
        let seen = h.provider.last_request().unwrap();
        assert_eq!(seen.uri, path, "rewritten on the way");
    }
}

#[tokio::test]
async fn a_second_host_header_is_refused() {
    let h = Harness::start().await;
    let host = addr(&h);
    let twice = format!(
        "GET /v1/models HTTP/1.1\r\nHost: {host}\r\nHost: evil.example\r\n\
         Authorization: Bearer sk-test\r\nConnection: close\r\n\r\n"
    );
    let response = raw(&h, twice.as_bytes()).await;
    assert_eq!(status_of(&response), 400, "{response}");
    assert_eq!(body_of(&response)["error"]["code"], "malformed_request");
    // The same, the second Host smuggled in after a bare line feed inside another header.
    let smuggled = format!(
        "GET /v1/models HTTP/1.1\r\nHost: {host}\r\nX-Note: a\nHost: evil.example\r\n\
         Authorization: Bearer sk-test\r\nConnection: close\r\n\r\n"
    );
    let response = raw(&h, smuggled.as_bytes()).await;
    assert_eq!(status_of(&response), 400, "{response}");
    assert_eq!(h.provider.requests().len(), 0);
}

#[tokio::test]
async fn header_values_with_control_characters_are_refused() {
    let h = Harness::start().await;
    let host = addr(&h);
    for value in ["a\x7fb", "a\x01b", "a\x1bb"] {
        let request = get("/v1/models", &host, &format!("X-Note: {value}\r\n"));
        let response = raw(&h, &request).await;
        assert_eq!(status_of(&response), 400, "{value:?}: {response}");
    }
    assert_eq!(h.provider.requests().len(), 0);
}

#[tokio::test]
async fn conflicting_content_lengths_are_refused() {
    let h = Harness::start().await;
    let host = addr(&h);
    let request = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
         Authorization: Bearer sk-test\r\nContent-Length: 2\r\nContent-Length: 40\r\n\
         Connection: close\r\n\r\n{{}}"
    );
    let response = raw(&h, request.as_bytes()).await;
    assert_eq!(status_of(&response), 400, "{response}");
    assert_eq!(h.provider.requests().len(), 0);
}

#[tokio::test]
async fn cleartext_http2_is_not_spoken() {
    let h = Harness::start().await;
    // The HTTP/2 connection preface, then an empty SETTINGS frame.
    let mut preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    preface.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 0, 0]);
    let mut tcp = TcpStream::connect(addr(&h)).await.unwrap();
    tcp.write_all(&preface).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut out)).await;
    // An HTTP/2 server answers with its own SETTINGS frame (type 4 in the 4th byte).
    assert!(
        out.len() < 9 || out[3] != 4 || out.starts_with(b"HTTP/1.1"),
        "answered in HTTP/2: {out:?}"
    );
    assert!(out.is_empty() || out.starts_with(b"HTTP/1.1 "), "{out:?}");
}

#[tokio::test]
async fn a_provider_silent_after_its_headers_gives_a_504_not_a_cut_200() {
    let h = Harness::start().await;
    h.write_settings(&json!({"idle_timeout": 1}));
    tokio::time::sleep(Duration::from_millis(700)).await;
    let started = Instant::now();
    let response = h
        .post("/v1/chat/completions", &crate::harness::chat(false))
        .header("authorization", "Bearer sk-test")
        .header("x-fake-stall-body", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 504);
    assert!(started.elapsed() < Duration::from_secs(5));
    let id = request_id(&response);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "upstream_idle_timeout", "{body}");
    let row = h.row_for(&id).await;
    assert_eq!(row.status, 504);
    assert_eq!(row.error.as_deref(), Some("upstream_idle_timeout"));
    // An answer that does come is unaffected.
    let ok = h
        .post("/v1/chat/completions", &crate::harness::chat(false))
        .header("authorization", "Bearer sk-test")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let body: Value = ok.json().await.unwrap();
    assert!(body["choices"][0]["message"]["content"].is_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_header_senders_are_closed_and_do_not_starve_others() {
    let limits = ConnectionLimits {
        header_read_timeout: Duration::from_secs(2),
        max_connections: None,
    };
    let h = Harness::with_connections(json!({"rate_limit": 100_000}), limits).await;
    let target = addr(&h);
    // 1,000 connections, each sending its request head one byte every 500 ms; each notes when
    // the gateway closed it.
    let started = Instant::now();
    let mut slow = Vec::new();
    for _ in 0..1000 {
        let mut tcp = TcpStream::connect(&target).await.unwrap();
        slow.push(tokio::spawn(async move {
            let head = b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n";
            for byte in head.iter().cycle().take(40) {
                if tcp.write_all(&[*byte]).await.is_err() {
                    return Some(started.elapsed());
                }
                let mut buf = [0u8; 512];
                // The gateway's end (a close, a reset) is read at once; silence is a timeout.
                let read = tokio::time::timeout(Duration::from_millis(500), tcp.read(&mut buf));
                if read.await.is_ok() {
                    return Some(started.elapsed());
                }
            }
            None
        }));
    }
    // Meanwhile, ordinary requests are served.
    for _ in 0..20 {
        let response = h
            .post("/v1/chat/completions", &crate::harness::chat(false))
            .header("authorization", "Bearer sk-test")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut closed_at = Vec::new();
    for task in slow {
        closed_at.push(task.await.unwrap());
    }
    let open = closed_at.iter().filter(|c| c.is_none()).count();
    assert_eq!(open, 0, "{open} slow connections were never closed");
    let latest = closed_at.iter().flatten().max().unwrap();
    assert!(
        *latest < Duration::from_secs(6),
        "the last slow connection was closed after {latest:?} (timeout 2 s)"
    );
}

#[tokio::test]
async fn idle_kept_alive_connections_are_closed() {
    let limits = ConnectionLimits {
        header_read_timeout: Duration::from_secs(1),
        max_connections: None,
    };
    let h = Harness::with_connections(json!({}), limits).await;
    let mut tcp = TcpStream::connect(addr(&h)).await.unwrap();
    let request = format!("GET /health HTTP/1.1\r\nHost: {}\r\n\r\n", addr(&h));
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tcp.read(&mut buf).await.unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    // Kept alive, then closed once idle past the timeout.
    let started = Instant::now();
    let end = tokio::time::timeout(Duration::from_secs(5), tcp.read(&mut buf)).await;
    assert!(
        matches!(end, Ok(Ok(0)) | Ok(Err(_))),
        "still open after 5 s: {end:?}"
    );
    assert!(started.elapsed() >= Duration::from_millis(900));
}

#[tokio::test]
async fn connections_over_the_cap_are_refused_with_a_503() {
    let limits = ConnectionLimits {
        header_read_timeout: Duration::from_secs(30),
        max_connections: Some(8),
    };
    let h = Harness::with_connections(json!({}), limits).await;
    let mut held = Vec::new();
    for _ in 0..8 {
        held.push(TcpStream::connect(addr(&h)).await.unwrap());
    }
    // The eighth may still be in the accept queue: wait until the cap is reached.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let request = format!(
        "GET /health HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        addr(&h)
    );
    let refused = raw(&h, request.as_bytes()).await;
    assert_eq!(status_of(&refused), 503, "{refused}");
    assert!(refused.to_ascii_lowercase().contains("retry-after: 1"));
    assert_eq!(body_of(&refused)["error"]["code"], "too_many_connections");
    // Connections that end free their place.
    drop(held);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let answer = raw(&h, request.as_bytes()).await;
        if status_of(&answer) == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "still refused: {answer}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Framed both ways, with a second request smuggled after the chunked body: refused, and what
/// follows the body is never read as a request (hyper closes the connection after such a one).
#[tokio::test]
async fn content_length_with_transfer_encoding_is_refused() {
    let h = Harness::start().await;
    let host = addr(&h);
    let body = r#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}"#;
    for (first, second) in [
        ("Content-Length: 4", "Transfer-Encoding: chunked"),
        ("Transfer-Encoding: chunked", "Content-Length: 4"),
    ] {
        let request = format!(
            "POST /v1/chat/completions HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
             Authorization: Bearer sk-test\r\n{first}\r\n{second}\r\n\r\n\
             {:x}\r\n{body}\r\n0\r\n\r\n\
             GET /v1/models HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer sk-test\r\n\r\n",
            body.len()
        );
        let response = raw(&h, request.as_bytes()).await;
        assert_eq!(status_of(&response), 400, "{response}");
        assert_eq!(body_of(&response)["error"]["code"], "malformed_request");
        assert_eq!(response.matches("HTTP/1.1 ").count(), 1, "{response}");
    }
    assert_eq!(h.provider.requests().len(), 0);
}

/// The head watcher follows each message's framing: chunked bodies (with trailers), lengths and
/// pipelined requests on one connection all reach the provider as before.
#[tokio::test]
async fn well_framed_requests_on_one_connection_pass_whatever_their_framing() {
    let h = Harness::start().await;
    let host = addr(&h);
    let body = r#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}"#;
    let (a, b) = body.split_at(20);
    let head = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
         Authorization: Bearer sk-test\r\n"
    );
    let pipeline = format!(
        "{head}Content-Length: {}\r\n\r\n{body}\
         {head}Transfer-Encoding: chunked\r\n\r\n{:x}\r\n{a}\r\n{:x}\r\n{b}\r\n0\r\nX-Trailer: 1\r\n\r\n\
         {head}Transfer-Encoding: chunked\r\n\r\n{:x}\r\n{body}\r\n0\r\n\r\n\
         GET /v1/models HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer sk-test\r\n\
         Connection: close\r\n\r\n",
        body.len(),
        a.len(),
        b.len(),
        body.len()
    );
    // Sent in small pieces, so heads and chunk sizes straddle reads.
    let mut tcp = TcpStream::connect(addr(&h)).await.unwrap();
    for piece in pipeline.as_bytes().chunks(7) {
        tcp.write_all(piece).await.unwrap();
        tcp.flush().await.unwrap();
    }
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut out)).await;
    let out = String::from_utf8_lossy(&out);
    assert_eq!(out.matches("HTTP/1.1 200").count(), 4, "{out}");
    let seen = h.provider.requests();
    assert_eq!(seen.len(), 4);
    for chat in &seen[..3] {
        assert_eq!(chat.body.as_ref(), body.as_bytes());
    }
}

//! A `multipart/form-data` upload (audio to transcribe, a file, an image to edit), streamed to
//! the provider as it arrives: never held whole, bounded by its own cap (`multipart_limit_mb`)
//! and by the idle timeout between chunks. Only its beginning is read first, for the form's
//! `model` field when it comes before the file (the row's model; routing does not need it).
//!
//! A streamed body cannot be sent twice: uploads get no failover and no retry after a token
//! refresh.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt};

use crate::Error;
use crate::codex::Translation;
use crate::stages::forward::upstream_error;
use crate::stages::{Forwarded, Route};

/// How much of the form is read before forwarding, looking for the `model` field.
const PEEK_BYTES: usize = 64 * 1024;
/// How much more must have come before the form is looked at again.
const SCAN_STEP: usize = 1024;

/// The upload, ready to send once.
pub struct Upload {
    pub body: reqwest::Body,
    /// The form's `model`, when it comes before the file.
    pub model: Option<String>,
    /// Set when the client sent more than the cap: the failed send is then a 413, not a 502.
    pub exceeded: Arc<AtomicBool>,
    pub limit_mb: u64,
    /// Notified when the whole upload has gone: the provider's silence is timed from then.
    pub sent: Arc<tokio::sync::Notify>,
}

/// Reads the start of the form and wraps the rest as a stream for the provider.
pub async fn read_upload(
    parts: &Parts,
    body: Body,
    idle: Duration,
    limit_mb: u64,
) -> Result<Upload, Error> {
    let limit = limit_mb.saturating_mul(1024 * 1024);
    let too_large = || Error::BodyTooLarge {
        limit_mb: usize::try_from(limit_mb).unwrap_or(usize::MAX),
    };
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let boundary = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(boundary_of);
    let mut stream = body.into_data_stream();
    let mut head = BytesMut::new();
    // Where the form was last looked at: a client sending tiny pieces is not rescanned for each.
    let mut scanned = 0;
    let model = loop {
        let Some(boundary) = boundary.as_deref() else {
            break None;
        };
        if head.is_empty() || head.len() >= scanned + SCAN_STEP || head.len() >= PEEK_BYTES {
            scanned = head.len();
            match form_model(&head, boundary) {
                Peek::Found(model) => break Some(model),
                Peek::NotBeforeTheFile => break None,
                Peek::ReadMore if head.len() >= PEEK_BYTES => break None,
                Peek::ReadMore => {}
            }
        }
        match tokio::time::timeout(idle, stream.next()).await {
            Ok(Some(Ok(chunk))) => head.extend_from_slice(&chunk),
            Ok(None) => {
                break match form_model(&head, boundary) {
                    Peek::Found(model) => Some(model),
                    _ => None,
                };
            }
            Ok(Some(Err(e))) => {
                return Err(Error::BadBody {
                    detail: e.to_string(),
                });
            }
            Err(_) => {
                return Err(Error::BadBody {
                    detail: "the client stopped sending it".into(),
                });
            }
        }
    };
    if head.len() as u64 > limit {
        return Err(too_large());
    }
    let exceeded = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(tokio::sync::Notify::new());
    let rest = bounded(
        stream,
        head.len() as u64,
        limit,
        idle,
        Arc::clone(&exceeded),
        Arc::clone(&sent),
    );
    let all = futures_util::stream::iter([Ok::<Bytes, std::io::Error>(head.freeze())]).chain(rest);
    Ok(Upload {
        body: reqwest::Body::wrap_stream(all),
        model: model.map(|m| m.chars().take(200).collect()),
        exceeded,
        limit_mb,
        sent,
    })
}

/// Sends the upload once, as it streams in: no retry after a refresh (uploads never go to
/// ChatGPT). There is no total timeout while it streams (its chunks have their own idle
/// timeout): the provider's silence is timed from the upload's last byte.
pub(super) async fn send(
    client: &reqwest::Client,
    route: &Route,
    parts: &Parts,
    url: url::Url,
    headers: HeaderMap,
    upload: Upload,
    idle: Duration,
) -> Result<Forwarded, Error> {
    let started = Instant::now();
    let origin = route.base.as_str().trim_end_matches('/').to_owned();
    let send = client
        .request(parts.method.clone(), url)
        .headers(headers)
        .body(upload.body)
        .send();
    let silent_after = async {
        upload.sent.notified().await;
        tokio::time::sleep(idle).await;
    };
    let sent = tokio::select! {
        sent = send => sent,
        () = silent_after => {
            return Err(Error::UpstreamTimeout {
                upstream: route.upstream.display_name(),
                origin,
                secs: idle.as_secs(),
            });
        }
    };
    let response = sent.map_err(|e| {
        if upload.exceeded.load(Ordering::Relaxed) {
            Error::BodyTooLarge {
                limit_mb: usize::try_from(upload.limit_mb).unwrap_or(usize::MAX),
            }
        } else {
            upstream_error(route.upstream, origin.clone(), &e)
        }
    })?;
    Ok(Forwarded {
        response,
        upstream: route.upstream,
        origin,
        ttfb: started.elapsed(),
        hide_usage_chunk: false,
        idle_timeout: idle,
        request_bytes: 0,
        head_request: false,
        translation: Translation::None,
        add_models: None,
        keeps_plan_events: false,
        keep: None,
    })
}

/// The client's chunks, ended with an error once more than `limit` bytes have come (counting
/// `sent` already) or when the client goes silent for `idle`.
fn bounded(
    stream: impl Stream<Item = Result<Bytes, axum::Error>> + Send + Unpin + 'static,
    sent: u64,
    limit: u64,
    idle: Duration,
    exceeded: Arc<AtomicBool>,
    sent_all: Arc<tokio::sync::Notify>,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    futures_util::stream::unfold(
        (stream.boxed(), sent, false),
        move |(mut stream, sent, done)| {
            let exceeded = Arc::clone(&exceeded);
            let sent_all = Arc::clone(&sent_all);
            async move {
                if done {
                    return None;
                }
                let failed = |reason: String| {
                    Some((
                        Err(std::io::Error::other(reason)),
                        (futures_util::stream::empty().boxed(), sent, true),
                    ))
                };
                match tokio::time::timeout(idle, stream.next()).await {
                    Ok(Some(Ok(chunk))) => {
                        let sent = sent + chunk.len() as u64;
                        if sent > limit {
                            exceeded.store(true, Ordering::Relaxed);
                            return failed("the upload is larger than ClawBox's limit".into());
                        }
                        Some((Ok(chunk), (stream, sent, false)))
                    }
                    Ok(Some(Err(e))) => failed(e.to_string()),
                    Ok(None) => {
                        // A permit is kept if nobody waits yet: the timer cannot miss it.
                        sent_all.notify_one();
                        None
                    }
                    Err(_) => failed("the client stopped sending the upload".into()),
                }
            }
        },
    )
}

/// `multipart/form-data; boundary=…` (quoted or not) → the boundary.
fn boundary_of(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| value.trim().trim_matches('"').to_owned())
            .filter(|b| !b.is_empty() && b.len() <= 200)
    })
}

#[derive(Debug, PartialEq)]
enum Peek {
    Found(String),
    /// A file part comes first: the model, if any, is after it.
    NotBeforeTheFile,
    ReadMore,
}

/// The `model` field's value in the start of a form, if it comes before any file part.
fn form_model(head: &[u8], boundary: &str) -> Peek {
    let delimiter = format!("--{boundary}");
    let find = |hay: &[u8], needle: &[u8]| memchr::memmem::find(hay, needle);
    let mut at = match find(head, delimiter.as_bytes()) {
        Some(at) => at + delimiter.len(),
        None => return Peek::ReadMore,
    };
    loop {
        let rest = &head[at..];
        let Some(end_of_headers) = find(rest, b"\r\n\r\n") else {
            return Peek::ReadMore;
        };
        let headers = String::from_utf8_lossy(&rest[..end_of_headers]).to_ascii_lowercase();
        let value_start = at + end_of_headers + 4;
        if headers.contains("filename=") {
            return Peek::NotBeforeTheFile;
        }
        let Some(value_len) = find(&head[value_start..], format!("\r\n{delimiter}").as_bytes())
        else {
            return Peek::ReadMore;
        };
        if headers.contains("name=\"model\"") {
            let value = &head[value_start..value_start + value_len];
            return match std::str::from_utf8(value) {
                Ok(model) if !model.trim().is_empty() => Peek::Found(model.trim().to_owned()),
                _ => Peek::NotBeforeTheFile,
            };
        }
        at = value_start + value_len + 2 + delimiter.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FORM: &str = "--XyZ\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n\
        --XyZ\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwhisper-1\r\n\
        --XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n\
        Content-Type: audio/wav\r\n\r\nRIFF....\r\n--XyZ--\r\n";

    #[test]
    fn the_model_is_read_when_it_comes_before_the_file() {
        assert_eq!(
            form_model(FORM.as_bytes(), "XyZ"),
            Peek::Found("whisper-1".into())
        );
        // Cut anywhere before the model's value ends: read more.
        for cut in [0, 10, 60, 110] {
            assert_eq!(
                form_model(&FORM.as_bytes()[..cut], "XyZ"),
                Peek::ReadMore,
                "{cut}"
            );
        }
        let file_first =
            "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x\"\r\n\r\n...";
        assert_eq!(
            form_model(file_first.as_bytes(), "b"),
            Peek::NotBeforeTheFile
        );
    }

    #[test]
    fn boundaries_come_quoted_or_not() {
        assert_eq!(
            boundary_of("multipart/form-data; boundary=abc").as_deref(),
            Some("abc")
        );
        assert_eq!(
            boundary_of("multipart/form-data; charset=x; Boundary=\"a b\"").as_deref(),
            Some("a b")
        );
        assert_eq!(boundary_of("multipart/form-data"), None);
    }
}

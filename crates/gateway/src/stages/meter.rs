//! Stage 7, meter: turn the upstream response into ours, with a body that streams through
//! chunk by chunk while usage is read out of it on the way.
//!
//! Two answers are read whole instead: the ChatGPT plan's usage-limit refusal (turned into a
//! plain message), and a ChatGPT answer for a client that did not ask for a stream (the backend
//! always streams; the client gets one JSON body).

use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;

use crate::codex::{self, Translation};
use crate::dialect::Dialect;
use crate::metered_body::MeteredBody;
use crate::stages::{Forwarded, Recording, Upstream};
use crate::tap::{PlanTap, Tap};
use crate::{Error, usage};

/// The most of an answer read whole (an assembled ChatGPT answer, an error body).
const MAX_WHOLE_ANSWER: usize = 16 * 1024 * 1024;

/// Response headers that describe the upstream hop, not the response, or that would grant a
/// web page something on localhost (CORS, cookies for the provider's domain, HTTP/3 hints).
const NOT_RETURNED: [HeaderName; 8] = [
    header::CONNECTION,
    header::TRANSFER_ENCODING,
    header::TRAILER,
    header::UPGRADE,
    header::PROXY_AUTHENTICATE,
    header::SET_COOKIE,
    header::ALT_SVC,
    HeaderName::from_static("keep-alive"),
];

pub async fn meter(forwarded: Forwarded, mut recording: Recording, dialect: Dialect) -> Response {
    let status = forwarded.response.status();
    recording.set_request_bytes(forwarded.request_bytes);
    recording.set_upstream_request_id(forwarded.response.headers());
    if forwarded.upstream == Upstream::Codex {
        recording.set_plan_limits(codex::plan::from_headers(
            forwarded.response.headers(),
            crate::plan_board::now_secs(),
        ));
    }
    if forwarded.upstream == Upstream::Codex && status == StatusCode::TOO_MANY_REQUESTS {
        return usage_limit_or_pass(forwarded, recording, dialect).await;
    }
    if forwarded.translation.assembles() && status.is_success() {
        return assembled(forwarded, recording, dialect).await;
    }
    let from_chat_json =
        forwarded.translation == (Translation::ResponsesFromChat { stream: false });
    if status.is_success()
        && (from_chat_json || (forwarded.keep.is_some() && !is_event_stream(&forwarded.response)))
    {
        return kept_json(forwarded, recording, dialect).await;
    }
    if forwarded.add_models.is_some() && status.is_success() {
        return with_local_models(forwarded, recording).await;
    }
    streamed(forwarded, recording, dialect).await
}

/// The usual path: the body streams through as it arrives, metered on the way. An answer that is
/// not a stream is held until its first byte arrives, so a provider that sends headers and then
/// nothing gives the client a 504, never a 200 with a cut body.
async fn streamed(
    mut forwarded: Forwarded,
    mut recording: Recording,
    dialect: Dialect,
) -> Response {
    let keeper = forwarded.keep.take();
    let upstream = forwarded.response;
    let status = upstream.status();
    let content_type = upstream
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let plan = if forwarded.upstream == Upstream::Codex {
        PlanTap::chatgpt(!forwarded.keeps_plan_events)
    } else {
        PlanTap::default()
    };
    let tap = match forwarded.translation {
        Translation::ChatStream { include_usage } if status.is_success() => {
            Tap::chat_translation(include_usage)
        }
        Translation::ResponsesFromChat { stream: true } if status.is_success() => {
            Tap::responses_from_chat()
        }
        _ => Tap::for_content_type(content_type, forwarded.hide_usage_chunk, plan),
    };
    let mut tap = tap;
    // A ChatGPT stream for a Responses client: its completed event gets the output the backend
    // leaves out, kept or not (Codex itself reads the items as they come).
    let keeper = keeper.or_else(|| {
        (forwarded.upstream == Upstream::Codex
            && forwarded.translation == Translation::None
            && !forwarded.keeps_plan_events)
            .then(crate::conversations::Keeper::filler)
    });
    if let Some(keeper) = keeper.filter(|_| status.is_success()) {
        // Only a stream reaches here with one (a JSON answer is kept whole, below).
        let _ = tap.keep(keeper);
    }
    let rewrites_body = tap.rewrites();

    let mut builder = Response::builder().status(status);
    if let Some(headers) = builder.headers_mut() {
        copy_response_headers(
            upstream.headers(),
            headers,
            rewrites_body,
            forwarded.upstream,
        );
    }
    let expected_bytes = if rewrites_body {
        None
    } else {
        upstream.content_length()
    };
    let empty = forwarded.head_request
        || expected_bytes == Some(0)
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED;
    let mut stream = upstream.bytes_stream();
    let first = if tap.is_stream() || empty {
        None
    } else {
        match tokio::time::timeout(forwarded.idle_timeout, stream.next()).await {
            Ok(Some(Ok(chunk))) => Some(chunk),
            Ok(None) => None,
            Ok(Some(Err(e))) => {
                let error = Error::UpstreamBroken {
                    upstream: forwarded.upstream.display_name(),
                    origin: forwarded.origin,
                    reason: e.to_string(),
                };
                recording.fail(&error);
                return error.into_response(dialect);
            }
            Err(_) => {
                let error = Error::UpstreamSilent {
                    upstream: forwarded.upstream.display_name(),
                    origin: forwarded.origin,
                    secs: forwarded.idle_timeout.as_secs(),
                };
                recording.fail(&error);
                return error.into_response(dialect);
            }
        }
    };
    recording.set_response_start(status.as_u16(), forwarded.ttfb, tap.is_stream());
    let mut body = MeteredBody::new(
        futures_util::stream::iter(first.map(Ok)).chain(stream),
        expected_bytes,
        tap,
        forwarded.idle_timeout,
        recording,
    );
    body.end_if_empty(empty);
    builder
        .body(Body::from_stream(body))
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

fn copy_response_headers(
    from: &HeaderMap,
    to: &mut HeaderMap,
    rewrites_body: bool,
    upstream: Upstream,
) {
    for (name, value) in from {
        if NOT_RETURNED.contains(name)
            || name.as_str().starts_with("access-control-")
            || (rewrites_body && name == header::CONTENT_LENGTH)
        {
            continue;
        }
        if name.as_str() == "x-request-id" {
            // Ours replaces it (it names our log row); keep the provider's for support.
            to.insert(
                HeaderName::from_static("x-upstream-request-id"),
                value.clone(),
            );
            continue;
        }
        to.append(name.clone(), value.clone());
    }
    if rewrites_body {
        to.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/event-stream"),
        );
    }
    to.insert(
        HeaderName::from_static("x-clawbox-upstream"),
        HeaderValue::from_static(upstream.id()),
    );
}

/// A ChatGPT answer for a client that wanted one JSON body: read the whole stream (each chunk
/// still bounded by the idle timeout), then answer with the completed response.
async fn assembled(
    mut forwarded: Forwarded,
    mut recording: Recording,
    dialect: Dialect,
) -> Response {
    recording.set_response_start(200, forwarded.ttfb, false);
    let upstream = forwarded.upstream;
    let keeper = forwarded.keep.take();
    let whole = read_whole(
        forwarded.response,
        forwarded.idle_timeout,
        upstream,
        "chatgpt.com",
    )
    .await;
    let answer = whole.and_then(|bytes| {
        recording.set_plan_limits(codex::plan::in_stream(
            &bytes,
            crate::plan_board::now_secs(),
        ));
        codex::assemble(bytes, forwarded.translation).map_err(|reason| Error::UpstreamBroken {
            upstream: upstream.display_name(),
            origin: "chatgpt.com".into(),
            reason,
        })
    });
    answer_whole(answer, keeper, recording, upstream, dialect)
}

/// A whole JSON answer (or the error reading it), metered, kept when it is a conversation's turn,
/// and answered.
fn answer_whole(
    answer: Result<serde_json::Value, Error>,
    keeper: Option<crate::conversations::Keeper>,
    mut recording: Recording,
    upstream: Upstream,
    dialect: Dialect,
) -> Response {
    match answer {
        Ok(mut json) => {
            if let Some(mut keeper) = keeper {
                keeper.json(&mut json);
                keeper.finish();
            }
            let text = json.to_string();
            let reported = usage::read(text.as_bytes()).and_then(|r| r.usage);
            recording.set_response_end(reported, text.len().div_ceil(4) as u64, None);
            let mut response = (StatusCode::OK, axum::Json(json)).into_response();
            response.headers_mut().insert(
                HeaderName::from_static("x-clawbox-upstream"),
                HeaderValue::from_static(upstream.id()),
            );
            response
        }
        Err(error) => {
            recording.fail(&error);
            error.into_response(dialect)
        }
    }
}

fn is_event_stream(response: &reqwest::Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.to_ascii_lowercase().starts_with("text/event-stream"))
}

/// A Responses answer that came as one JSON body and is to be kept, or translated from a local
/// model server's chat answer: read whole (bounded), translated, given ClawBox's id, kept, and
/// answered.
async fn kept_json(
    mut forwarded: Forwarded,
    mut recording: Recording,
    dialect: Dialect,
) -> Response {
    recording.set_response_start(200, forwarded.ttfb, false);
    let upstream = forwarded.upstream;
    let keeper = forwarded.keep.take();
    let origin = forwarded.origin.clone();
    let whole = read_whole(
        forwarded.response,
        forwarded.idle_timeout,
        upstream,
        &origin,
    )
    .await;
    let translation = forwarded.translation;
    let answer = whole.and_then(|bytes| {
        serde_json::from_slice::<serde_json::Value>(&bytes)
            .map_err(|e| Error::UpstreamBroken {
                upstream: upstream.display_name(),
                origin: origin.clone(),
                reason: e.to_string(),
            })
            .map(|json| match translation {
                // A local model server's chat answer, as the Responses answer its client asked.
                Translation::ResponsesFromChat { .. } => {
                    crate::local_responses::response_from_chat(&json)
                }
                _ => json,
            })
    });
    answer_whole(answer, keeper, recording, upstream, dialect)
}

/// OpenAI's model list with the other upstreams' models after it.
async fn with_local_models(mut forwarded: Forwarded, mut recording: Recording) -> Response {
    recording.set_response_start(200, forwarded.ttfb, false);
    let extra = forwarded.add_models.take().unwrap_or_default();
    let upstream = forwarded.upstream;
    let mut list: serde_json::Value =
        match read_whole(forwarded.response, forwarded.idle_timeout, upstream, "").await {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_default(),
            Err(_) => serde_json::Value::Null,
        };
    if !list["data"].is_array() {
        list = serde_json::json!({"object": "list", "data": []});
    }
    if let Some(data) = list["data"].as_array_mut() {
        for (id, owner) in extra {
            data.push(
                serde_json::json!({"id": id, "object": "model", "created": 0, "owned_by": owner}),
            );
        }
    }
    recording.set_response_end(None, 0, None);
    let mut response = (StatusCode::OK, axum::Json(list)).into_response();
    response.headers_mut().insert(
        HeaderName::from_static("x-clawbox-upstream"),
        HeaderValue::from_static(upstream.id()),
    );
    response
}

/// A 429 from ChatGPT: the plan's usage limit becomes a plain message with its reset time; any
/// other 429 passes through as it came.
async fn usage_limit_or_pass(
    forwarded: Forwarded,
    mut recording: Recording,
    dialect: Dialect,
) -> Response {
    let headers = forwarded.response.headers().clone();
    let upstream = forwarded.upstream;
    recording.set_response_start(429, forwarded.ttfb, false);
    let body = read_whole(
        forwarded.response,
        forwarded.idle_timeout,
        upstream,
        "chatgpt.com",
    )
    .await
    .unwrap_or_default();
    if let Some(error) = codex::usage_limit(429, &body) {
        recording.fail(&error);
        return error.into_response(dialect);
    }
    recording.set_response_end(None, 0, None);
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    copy_response_headers(&headers, response.headers_mut(), false, upstream);
    response
}

async fn read_whole(
    response: reqwest::Response,
    idle: Duration,
    upstream: Upstream,
    origin: &str,
) -> Result<Bytes, Error> {
    let broken = |reason: String| Error::UpstreamBroken {
        upstream: upstream.display_name(),
        origin: origin.to_owned(),
        reason,
    };
    let mut stream = response.bytes_stream();
    let mut whole = BytesMut::new();
    loop {
        match tokio::time::timeout(idle, stream.next()).await {
            Ok(Some(Ok(chunk))) => {
                if whole.len() + chunk.len() > MAX_WHOLE_ANSWER {
                    return Err(broken("the answer is larger than ClawBox accepts".into()));
                }
                whole.extend_from_slice(&chunk);
            }
            Ok(Some(Err(e))) => return Err(broken(e.to_string())),
            Ok(None) => return Ok(whole.freeze()),
            Err(_) => {
                return Err(Error::UpstreamTimeout {
                    upstream: upstream.display_name(),
                    origin: origin.to_owned(),
                    secs: idle.as_secs(),
                });
            }
        }
    }
}

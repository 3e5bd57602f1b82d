//! Stage 7, meter: turn the upstream response into ours, with a body that streams through
//! chunk by chunk while usage is read out of it on the way.

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;

use crate::metered_body::{MeteredBody, Tap};
use crate::stages::Forwarded;
use crate::stages::Recording;

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

pub fn meter(forwarded: Forwarded, mut recording: Recording) -> Response {
    let upstream = forwarded.response;
    let status = upstream.status();
    let content_type = upstream
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let tap = Tap::for_content_type(content_type, forwarded.hide_usage_chunk);
    recording.set_response_start(status.as_u16(), forwarded.ttfb, tap.is_stream());
    recording.set_request_bytes(forwarded.request_bytes);

    let mut builder = Response::builder().status(status);
    if let Some(headers) = builder.headers_mut() {
        for (name, value) in upstream.headers() {
            if NOT_RETURNED.contains(name)
                || name.as_str().starts_with("access-control-")
                || (name == header::CONTENT_LENGTH && forwarded.hide_usage_chunk)
            {
                continue;
            }
            if name.as_str() == "x-request-id" {
                // Ours replaces it (it names our log row); keep the provider's for support.
                headers.insert(
                    HeaderName::from_static("x-upstream-request-id"),
                    value.clone(),
                );
                continue;
            }
            headers.append(name.clone(), value.clone());
        }
        headers.insert(
            HeaderName::from_static("x-clawbox-upstream"),
            HeaderValue::from_static(forwarded.upstream.id()),
        );
    }
    let expected_bytes = if forwarded.hide_usage_chunk {
        None
    } else {
        upstream.content_length()
    };
    let empty = forwarded.head_request
        || expected_bytes == Some(0)
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED;
    let mut body = MeteredBody::new(
        upstream.bytes_stream(),
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

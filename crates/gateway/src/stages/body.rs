//! Reading the request body (bounded) and the few fields the gateway needs from it.

use std::time::Duration;

use axum::body::Body;
use axum::http::header;
use axum::http::request::Parts;
use bytes::Bytes;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde::Deserialize;

use crate::Error;

/// Largest request body accepted (base64 images make agent requests large).
pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// The request body and what the gateway reads from it. Prompts stay in `bytes` and are never
/// logged or stored.
#[derive(Default, Clone)]
pub struct RequestBody {
    pub bytes: Bytes,
    pub model: Option<String>,
    pub stream: bool,
    /// `stream_options.include_usage` as the client sent it.
    pub include_usage: Option<bool>,
    pub has_stream_options: bool,
}

#[derive(Deserialize)]
struct Fields {
    model: Option<String>,
    stream: Option<bool>,
    /// `Some` whenever the key is present, even as `null`.
    #[serde(default, deserialize_with = "present")]
    stream_options: Option<StreamOptions>,
}

#[derive(Deserialize, Default)]
struct StreamOptions {
    include_usage: Option<bool>,
}

fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<StreamOptions>, D::Error> {
    Ok(Some(
        Option::<StreamOptions>::deserialize(d)?.unwrap_or_default(),
    ))
}

/// Reads the whole body (requests are small next to responses, and the model must be known
/// before routing), refusing more than [`MAX_BODY_BYTES`]. A non-empty body must be JSON.
pub async fn read_body(parts: &Parts, body: Body, idle: Duration) -> Result<RequestBody, Error> {
    let too_large = Error::BodyTooLarge {
        limit_mb: MAX_BODY_BYTES / (1024 * 1024),
    };
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(too_large);
    }
    let collected = tokio::time::timeout(idle, Limited::new(body, MAX_BODY_BYTES).collect())
        .await
        .map_err(|_| Error::BadBody {
            detail: "the client stopped sending it".into(),
        })?;
    let bytes = match collected {
        Ok(c) => c.to_bytes(),
        Err(e) if e.is::<LengthLimitError>() => return Err(too_large),
        Err(e) => {
            return Err(Error::BadBody {
                detail: e.to_string(),
            });
        }
    };
    RequestBody::parse(bytes)
}

impl RequestBody {
    /// The fields the gateway needs from a body read whole; a non-empty body must be JSON.
    pub fn parse(bytes: Bytes) -> Result<RequestBody, Error> {
        if bytes.is_empty() {
            return Ok(RequestBody::default());
        }
        let fields: Fields = serde_json::from_slice(&bytes).map_err(|e| Error::BadJson {
            detail: match e.classify() {
                serde_json::error::Category::Data => {
                    format!("{e} (expected a JSON object like {{\"model\": \"...\"}})")
                }
                _ => format!("{e}"),
            },
        })?;
        let stream_options = fields.stream_options;
        Ok(RequestBody {
            model: fields.model,
            stream: fields.stream.unwrap_or(false),
            include_usage: stream_options.as_ref().and_then(|o| o.include_usage),
            has_stream_options: stream_options.is_some(),
            bytes,
        })
    }
}

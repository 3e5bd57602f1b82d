//! Stage 6, forward: send the request upstream and wait (bounded by the idle timeout) for the
//! response headers. The body is streamed back by the meter stage.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use axum::http::request::Parts;
use bytes::Bytes;

use clawbox_auth::codex::CodexSession;

use crate::Error;
use crate::codex::{self, Translation};
use crate::dialect::Dialect;
use crate::stages::upstream_headers::upstream_headers;
use crate::stages::{Attach, RequestBody, Route, Upload, Upstream};

pub struct Forwarded {
    pub response: reqwest::Response,
    pub upstream: Upstream,
    /// The upstream's origin, for errors.
    pub origin: String,
    /// Time to the upstream's response headers.
    pub ttfb: Duration,
    /// ClawBox asked for usage the client did not ask for: hide that chunk from it.
    pub hide_usage_chunk: bool,
    pub idle_timeout: Duration,
    pub request_bytes: usize,
    /// A HEAD request: the response has headers only.
    pub head_request: bool,
    /// What the answer needs on its way back (the ChatGPT route translates).
    pub translation: Translation,
    /// For a model list: the other upstreams' models, added to this one's.
    pub add_models: Option<Vec<crate::stages::ExtraModel>>,
    /// The client is Codex, which reads the plan's `codex.rate_limits` event itself.
    pub keeps_plan_events: bool,
    /// The answer is to be kept as a conversation's turn (conversations/), its ids ClawBox's.
    pub keep: Option<crate::conversations::Keeper>,
}

#[expect(
    clippy::too_many_arguments,
    reason = "the stage's inputs, each used once"
)]
pub async fn forward(
    client: &reqwest::Client,
    route: &Route,
    parts: &Parts,
    body: RequestBody,
    upload: Option<Upload>,
    mut attach: Attach,
    user_id: &str,
    idle_timeout: Duration,
    chatgpt: Option<&Arc<CodexSession>>,
) -> Result<Forwarded, Error> {
    let mut url = upstream_url(route, parts)?;
    let anthropic_dialect = Dialect::of(parts) == Dialect::Anthropic;
    let request_bytes = body.bytes.len();
    if let Some(upload) = upload {
        let headers = upstream_headers(parts, &attach, route.upstream, user_id, anthropic_dialect);
        return super::upload::send(client, route, parts, url, headers, upload, idle_timeout).await;
    }
    let (bytes, hide_usage_chunk, translation) = if route.upstream == Upstream::Codex {
        let (bytes, translation) = codex::prepare(parts.uri.path(), &body.bytes)?;
        (bytes, false, translation)
    } else if route.upstream == Upstream::Ollama
        && parts.method == axum::http::Method::POST
        && parts.uri.path() == "/v1/responses"
    {
        // A local model server speaks chat completions: the Responses request goes as one.
        let (bytes, stream) = crate::local_responses::to_chat(&body.bytes)?;
        url.set_path(&url.path().replace("/v1/responses", "/v1/chat/completions"));
        (bytes, false, Translation::ResponsesFromChat { stream })
    } else {
        let (bytes, hide) = ask_for_usage(route, parts, body);
        (bytes, hide, Translation::None)
    };
    let started = Instant::now();
    let send = |attach: &Attach| {
        let headers = upstream_headers(parts, attach, route.upstream, user_id, anthropic_dialect);
        send_once(
            client,
            route,
            parts,
            &url,
            headers,
            bytes.clone().into(),
            idle_timeout,
        )
    };
    let mut response = send(&attach).await?;
    // ChatGPT refused the access token: refresh once (single-flight) and retry once.
    if response.status() == reqwest::StatusCode::UNAUTHORIZED
        && let (Attach::ChatGpt { token, .. }, Some(session)) = (&attach, chatgpt)
    {
        let (token, account_id) = session
            .refresh_after_401(token)
            .await
            .map_err(Error::ChatGpt)?;
        attach = Attach::ChatGpt { token, account_id };
        response = send(&attach).await?;
    }
    Ok(Forwarded {
        response,
        upstream: route.upstream,
        origin: route.base.as_str().trim_end_matches('/').to_owned(),
        ttfb: started.elapsed(),
        hide_usage_chunk,
        idle_timeout,
        request_bytes,
        head_request: parts.method == axum::http::Method::HEAD,
        translation,
        add_models: None,
        keeps_plan_events: crate::stages::identify::is_codex(&parts.headers),
        keep: None,
    })
}

async fn send_once(
    client: &reqwest::Client,
    route: &Route,
    parts: &Parts,
    url: &url::Url,
    headers: HeaderMap,
    body: reqwest::Body,
    idle_timeout: Duration,
) -> Result<reqwest::Response, Error> {
    let origin = route.base.as_str().trim_end_matches('/').to_owned();
    let send = client
        .request(parts.method.clone(), url.clone())
        .headers(headers)
        .body(body)
        .send();
    match tokio::time::timeout(idle_timeout, send).await {
        Ok(Ok(response)) => Ok(response),
        Ok(Err(e)) => Err(upstream_error(route.upstream, origin, &e)),
        Err(_) => Err(Error::UpstreamTimeout {
            upstream: route.upstream.display_name(),
            origin,
            secs: idle_timeout.as_secs(),
        }),
    }
}

/// The upstream base followed by the incoming path and query, unchanged; for ChatGPT, the Codex
/// backend's one endpoint. The guard has refused dot segments; should the URL parser still
/// change the path or query in any way (it normalises as browsers do), nothing is sent.
pub(crate) fn upstream_url(route: &Route, parts: &Parts) -> Result<url::Url, Error> {
    let base = route.base.as_str().trim_end_matches('/');
    if route.upstream == Upstream::Codex {
        return url::Url::parse(&format!("{base}/backend-api/codex/responses"))
            .map_err(|_| Error::UnsafePath);
    }
    if let Upstream::Named(tag) = route.upstream {
        // The base is the provider's API base (`…/v1`, `…/v1beta/openai`, or an Anthropic-style
        // origin): nothing may step out of it.
        let path = parts.uri.path();
        let joined =
            crate::providers::provider_url(tag.kind, &route.base, path).ok_or(Error::UnsafePath)?;
        let mut url = url::Url::parse(&joined).map_err(|_| Error::UnsafePath)?;
        url.set_query(parts.uri.query());
        let expected = match tag.kind {
            crate::providers::ProviderKind::Openai => path.strip_prefix("/v1").unwrap_or(path),
            crate::providers::ProviderKind::Anthropic => path,
        };
        let expected = format!("{}{expected}", route.base.path().trim_end_matches('/'));
        if url.path() != expected || url.query() != parts.uri.query() {
            return Err(Error::UnsafePath);
        }
        return Ok(url);
    }
    let url =
        url::Url::parse(&format!("{base}{}", parts.uri.path())).map_err(|_| Error::UnsafePath)?;
    // The base is an origin: the whole path is the caller's, as sent.
    let mut url = url;
    url.set_query(parts.uri.query());
    if url.path() != parts.uri.path() || url.query() != parts.uri.query() {
        return Err(Error::UnsafePath);
    }
    Ok(url)
}

/// Streamed chat completions report usage only when asked (`stream_options.include_usage`).
/// ClawBox always asks, and hides the extra chunk from a client that did not.
fn ask_for_usage(route: &Route, parts: &Parts, body: RequestBody) -> (Bytes, bool) {
    let wanted = body.stream
        && body.include_usage != Some(true)
        && route.upstream.speaks_openai()
        && parts.uri.path() == "/v1/chat/completions";
    if !wanted {
        return (body.bytes, false);
    }
    match with_include_usage(&body) {
        Some(bytes) => (bytes, true),
        None => (body.bytes, false),
    }
}

fn with_include_usage(body: &RequestBody) -> Option<Bytes> {
    const OPTION: &[u8] = br#""stream_options":{"include_usage":true}"#;
    if !body.has_stream_options {
        // Splice the option in after the opening brace: no re-serialisation of the prompt.
        let open = body.bytes.iter().position(|b| !b.is_ascii_whitespace())?;
        if body.bytes[open] != b'{' {
            return None;
        }
        let rest = &body.bytes[open + 1..];
        let empty = rest.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'}');
        let mut out = Vec::with_capacity(body.bytes.len() + OPTION.len() + 1);
        out.extend_from_slice(&body.bytes[..=open]);
        out.extend_from_slice(OPTION);
        if !empty {
            out.push(b',');
        }
        out.extend_from_slice(rest);
        return Some(out.into());
    }
    let mut value: serde_json::Value = serde_json::from_slice(&body.bytes).ok()?;
    let options = value.as_object_mut()?.get_mut("stream_options")?;
    match options.as_object_mut() {
        Some(options) => {
            options.insert("include_usage".into(), serde_json::Value::Bool(true));
        }
        // `"stream_options": null`, as clients that serialise every field send it.
        None => *options = serde_json::json!({"include_usage": true}),
    }
    serde_json::to_vec(&value).ok().map(Bytes::from)
}

pub(super) fn upstream_error(upstream: Upstream, origin: String, e: &reqwest::Error) -> Error {
    let reason = root_cause(e);
    if e.is_connect() {
        Error::UpstreamUnreachable {
            upstream: upstream.display_name(),
            origin,
            reason,
        }
    } else {
        Error::UpstreamBroken {
            upstream: upstream.display_name(),
            origin,
            reason,
        }
    }
}

/// The innermost cause reads best ("Connection refused", "dns error: …").
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(json: &str) -> RequestBody {
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        RequestBody {
            bytes: Bytes::from(json.to_owned()),
            model: None,
            stream: true,
            include_usage: v["stream_options"]["include_usage"].as_bool(),
            has_stream_options: v.get("stream_options").is_some(),
        }
    }

    fn usage_flag(bytes: &[u8]) -> serde_json::Value {
        let v: serde_json::Value = serde_json::from_slice(bytes).unwrap();
        v["stream_options"]["include_usage"].clone()
    }

    #[test]
    fn include_usage_is_spliced_in_keeping_the_rest_byte_for_byte() {
        let json = r#" {"model":"m","stream":true,"messages":[{"role":"user","content":"hé"}]}"#;
        let out = with_include_usage(&body(json)).unwrap();
        assert_eq!(usage_flag(&out), serde_json::Value::Bool(true));
        let text = std::str::from_utf8(&out).unwrap();
        assert!(text.ends_with(
            r#""model":"m","stream":true,"messages":[{"role":"user","content":"hé"}]}"#
        ));
    }

    #[test]
    fn null_stream_options_are_replaced_not_duplicated() {
        let json = r#"{"model":"m","stream":true,"stream_options":null}"#;
        let mut b = body(json);
        b.has_stream_options = true;
        let out = with_include_usage(&b).unwrap();
        let text = std::str::from_utf8(&out).unwrap();
        assert_eq!(text.matches("stream_options").count(), 1, "{text}");
        assert_eq!(usage_flag(&out), serde_json::Value::Bool(true));
    }

    #[test]
    fn existing_stream_options_are_amended() {
        let json = r#"{"model":"m","stream":true,"stream_options":{"include_usage":false,"x":1}}"#;
        let out = with_include_usage(&body(json)).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["stream_options"]["include_usage"], true);
        assert_eq!(v["stream_options"]["x"], 1);
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;
    use serde_json::{Value, json};

    use super::*;

    fn leaf() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            "[ -~\u{e9}\u{4e2d}\u{1f600}]{0,20}".prop_map(Value::String),
        ]
    }

    fn value() -> impl Strategy<Value = Value> {
        leaf().prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// A streamed chat request as clients send it: any other fields, maybe `stream_options`
    /// (an object, or `null`), compact or pretty.
    fn request() -> impl Strategy<Value = (Value, bool)> {
        (
            proptest::collection::btree_map("[a-z_]{1,10}", value(), 0..6),
            prop_oneof![
                Just(None),
                Just(Some(Value::Null)),
                proptest::collection::btree_map("[a-z_]{1,8}", leaf(), 0..3)
                    .prop_map(|m| Some(Value::Object(m.into_iter().collect()))),
            ],
            any::<bool>(),
        )
            .prop_map(|(fields, options, pretty)| {
                let mut object: serde_json::Map<String, Value> = fields
                    .into_iter()
                    .filter(|(k, _)| k != "stream" && k != "stream_options")
                    .collect();
                object.insert("stream".into(), Value::Bool(true));
                if let Some(options) = options {
                    object.insert("stream_options".into(), options);
                }
                (Value::Object(object), pretty)
            })
    }

    proptest! {
        #[test]
        fn asking_for_usage_adds_that_and_changes_nothing_else((sent, pretty) in request()) {
            let text = if pretty {
                serde_json::to_vec_pretty(&sent).unwrap()
            } else {
                serde_json::to_vec(&sent).unwrap()
            };
            let body = RequestBody::parse(Bytes::from(text)).unwrap();
            let spliced = with_include_usage(&body).unwrap();
            let got: Value = serde_json::from_slice(&spliced).unwrap();
            let mut want = sent.clone();
            match want.get_mut("stream_options") {
                Some(Value::Object(options)) => {
                    options.insert("include_usage".into(), Value::Bool(true));
                }
                _ => want["stream_options"] = json!({"include_usage": true}),
            }
            prop_assert_eq!(got, want);
        }

        #[test]
        fn any_body_is_read_or_refused_without_a_panic(
            bytes in proptest::collection::vec(any::<u8>(), 0..400),
        ) {
            let _ = RequestBody::parse(Bytes::from(bytes));
        }

        #[test]
        fn the_model_and_stream_flag_are_read_from_any_request(
            model in proptest::option::of("[ -~]{0,40}"),
            stream in proptest::option::of(any::<bool>()),
            rest in proptest::collection::btree_map("[a-z_]{1,10}", value(), 0..5),
        ) {
            let mut object: serde_json::Map<String, Value> = rest
                .into_iter()
                .filter(|(k, _)| !matches!(k.as_str(), "model" | "stream" | "stream_options"))
                .collect();
            if let Some(m) = &model {
                object.insert("model".into(), json!(m));
            }
            if let Some(s) = stream {
                object.insert("stream".into(), json!(s));
            }
            let body = RequestBody::parse(Bytes::from(serde_json::to_vec(&object).unwrap())).unwrap();
            prop_assert_eq!(body.model, model);
            prop_assert_eq!(body.stream, stream.unwrap_or(false));
        }
    }
}

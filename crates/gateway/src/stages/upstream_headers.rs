//! The headers a forwarded request carries: the caller's, minus what describes this hop or a
//! browser, with credentials handled as authorize decided.

use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use clawbox_auth::{LOCAL_KEY_PREFIX, Secret};

use crate::stages::identify::{AGENT_SESSION_HEADER, CLIENT_HEADER};
use crate::stages::{Attach, Upstream};

/// Request headers that describe this hop, not the request, plus those ClawBox sets itself and
/// those that describe a browser context (ClawBox, not a web page, is the upstream's client).
const NOT_FORWARDED: [HeaderName; 17] = [
    header::HOST,
    header::CONNECTION,
    header::CONTENT_LENGTH,
    header::TRANSFER_ENCODING,
    header::TE,
    header::TRAILER,
    header::UPGRADE,
    header::PROXY_AUTHORIZATION,
    // Identity bodies only: the meter reads usage out of the response.
    header::ACCEPT_ENCODING,
    // Cookies for localhost mean nothing to a provider.
    header::COOKIE,
    header::EXPECT,
    header::ORIGIN,
    header::REFERER,
    HeaderName::from_static("keep-alive"),
    HeaderName::from_static("x-user-id"),
    // ClawBox's own tags on its agents' requests (recorded, not the provider's business).
    HeaderName::from_static(CLIENT_HEADER),
    HeaderName::from_static(AGENT_SESSION_HEADER),
];

/// The caller's headers for the upstream, with the credential `attach` says and, for the hosted
/// gateway, the user's X-User-ID.
pub fn upstream_headers(
    parts: &Parts,
    attach: &Attach,
    upstream: Upstream,
    user_id: &str,
    anthropic_dialect: bool,
) -> HeaderMap {
    let connection_listed: Vec<String> = parts
        .headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|s| s.trim().to_ascii_lowercase())
        .collect();
    let mut headers = HeaderMap::with_capacity(parts.headers.len() + 1);
    for (name, value) in &parts.headers {
        let credential = name == header::AUTHORIZATION || name.as_str() == "x-api-key";
        if NOT_FORWARDED.contains(name)
            || name.as_str().starts_with("sec-fetch-")
            || connection_listed.iter().any(|c| c == name.as_str())
            || (credential && (*attach != Attach::PassThrough || is_local_key(value)))
        {
            continue;
        }
        let mut value = value.clone();
        // `Debug` of a sensitive value prints "Sensitive": a key can't leak through a log line.
        value.set_sensitive(credential || value.is_sensitive());
        headers.append(name.clone(), value);
    }
    match attach {
        Attach::Saved(key) => attach_saved_key(&mut headers, key, upstream, anthropic_dialect),
        Attach::ChatGpt { token, account_id } => attach_chatgpt(&mut headers, token, account_id),
        Attach::PassThrough | Attach::Strip => {}
    }
    if upstream == Upstream::Hosted
        && let Ok(user) = HeaderValue::from_str(user_id)
    {
        headers.insert(HeaderName::from_static("x-user-id"), user);
    }
    headers
}

/// What the Codex backend expects with a signed-in account's token.
fn attach_chatgpt(headers: &mut HeaderMap, token: &Secret, account_id: &str) {
    let bearer = HeaderValue::from_str(&format!("Bearer {}", token.expose()));
    let account = HeaderValue::from_str(account_id);
    let (Ok(mut bearer), Ok(account)) = (bearer, account) else {
        tracing::warn!("the ChatGPT token cannot be sent as a header; sign in again");
        return;
    };
    bearer.set_sensitive(true);
    headers.insert(header::AUTHORIZATION, bearer);
    headers.insert(HeaderName::from_static("chatgpt-account-id"), account);
    headers.insert(
        HeaderName::from_static("originator"),
        HeaderValue::from_static("codex_cli_rs"),
    );
    headers.insert(
        header::ACCEPT,
        HeaderValue::from_static("text/event-stream"),
    );
    if let Ok(session) = HeaderValue::from_str(&uuid::Uuid::now_v7().to_string()) {
        headers.insert(HeaderName::from_static("session_id"), session);
    }
}

/// A saved key goes where its provider expects it: Anthropic's `x-api-key`, else a bearer token.
fn attach_saved_key(
    headers: &mut HeaderMap,
    key: &Secret,
    upstream: Upstream,
    anthropic_dialect: bool,
) {
    let anthropic =
        upstream.takes_x_api_key() || (upstream == Upstream::Hosted && anthropic_dialect);
    let (name, value) = if anthropic {
        (
            HeaderName::from_static("x-api-key"),
            HeaderValue::from_str(key.expose()),
        )
    } else {
        (
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {}", key.expose())),
        )
    };
    match value {
        Ok(mut value) => {
            value.set_sensitive(true);
            headers.insert(name, value);
        }
        // A saved key with characters no header can carry: send none rather than a broken one,
        // and let the provider's 401 say so.
        Err(_) => tracing::warn!("the saved key cannot be sent as a header; save it again"),
    }
}

/// A ClawBox local key is meaningless off this machine: it never goes upstream, in any header.
fn is_local_key(value: &HeaderValue) -> bool {
    let v = value.as_bytes();
    let v = v
        .strip_prefix(b"Bearer ")
        .or_else(|| v.strip_prefix(b"bearer "))
        .unwrap_or(v);
    v.trim_ascii_start()
        .starts_with(LOCAL_KEY_PREFIX.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_keys_are_recognised_in_either_header_form() {
        for v in ["Bearer cbx_abc", "bearer cbx_abc", "cbx_abc"] {
            assert!(is_local_key(&HeaderValue::from_static(v)), "{v}");
        }
        assert!(!is_local_key(&HeaderValue::from_static("Bearer sk-abc")));
    }
}

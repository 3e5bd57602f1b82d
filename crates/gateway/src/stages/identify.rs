//! Stage 2, identify: who is calling, and with what credential.

use axum::http::header;
use axum::http::request::Parts;
use clawbox_auth::{LOCAL_KEY_PREFIX, Secret};

use crate::Error;
use crate::config::{Config, parse_user_id};

/// The user bucket for requests that name no user (the seed's shared anonymous bucket).
pub const ANONYMOUS: &str = "anonymous";

/// Set by the agents ClawBox runs on each of their model calls: which agent (`claude-code-acp`,
/// `codex-acp`, or a custom agent's name) and which ClawBox agent session. Recorded in the
/// request log, never forwarded upstream.
pub const CLIENT_HEADER: &str = "x-clawbox-client";
pub const AGENT_SESSION_HEADER: &str = "x-clawbox-agent-session";

/// A tag header's value when it is a short token (letters, digits, `-_.:`); anything else is
/// ignored rather than refused: the tag is bookkeeping, not a reason to fail a request.
pub fn agent_tag(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    let value = headers.get(name)?.to_str().ok()?.trim();
    let token = !value.is_empty()
        && value.len() <= 64
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b));
    token.then(|| value.to_owned())
}

/// Whether the client is OpenAI's Codex (CLI, IDE extension or app), by the `originator` header
/// it sends with every request (`codex_cli_rs`, `codex_vscode`, `codex-tui`, `Codex …`), or its
/// user agent (`codex_cli_rs/0.x …`). Codex reads the plan's `codex.rate_limits` event itself;
/// other clients are not shown it.
pub fn is_codex(headers: &axum::http::HeaderMap) -> bool {
    let originator = |v: &str| {
        matches!(
            v,
            "codex_cli_rs" | "codex_vscode" | "codex-tui" | "codex_exec"
        ) || v.starts_with("Codex ")
    };
    let header = |name| headers.get(name).and_then(|v| v.to_str().ok());
    header("originator").is_some_and(originator)
        || header("user-agent")
            .and_then(|ua| ua.split('/').next())
            .is_some_and(originator)
}

pub struct Caller {
    pub user_id: String,
    pub credential: Credential,
}

/// The credential the caller presented (`Authorization: Bearer …` or `x-api-key`).
pub enum Credential {
    None,
    /// A provider key (BYOK): passed through untouched, never read further.
    Provider,
    /// A ClawBox local key (`cbx_…`), asking ClawBox to attach a stored credential.
    LocalKey(Secret),
}

pub fn identify(parts: &Parts, config: &Config) -> Result<Caller, Error> {
    let user_id = match parts.headers.get("x-user-id") {
        Some(v) => {
            let v = v.to_str().map_err(|_| Error::BadUserId {
                detail: "it must be plain text, like jane-doe".into(),
            })?;
            parse_user_id(v).map_err(|detail| Error::BadUserId { detail })?
        }
        None => config
            .user_id
            .clone()
            .unwrap_or_else(|| ANONYMOUS.to_owned()),
    };
    Ok(Caller {
        user_id,
        credential: credential(parts),
    })
}

fn credential(parts: &Parts) -> Credential {
    let bearer = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        });
    let api_key = parts.headers.get("x-api-key").and_then(|v| v.to_str().ok());
    match bearer.or(api_key).map(str::trim) {
        None | Some("") => Credential::None,
        Some(key) if key.starts_with(LOCAL_KEY_PREFIX) => Credential::LocalKey(Secret::new(key)),
        Some(_) => Credential::Provider,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SettingsLayer;
    use axum::http::Request;

    fn caller(headers: &[(&str, &str)], user_setting: Option<&str>) -> Result<Caller, Error> {
        let mut b = Request::builder().uri("/v1/models");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let parts = b.body(()).unwrap().into_parts().0;
        let file = SettingsLayer {
            user_id: user_setting.map(str::to_owned),
            ..Default::default()
        };
        identify(
            &parts,
            &Config::resolve(&file, &SettingsLayer::default()).unwrap(),
        )
    }

    #[test]
    fn header_then_setting_then_anonymous() {
        assert_eq!(
            caller(&[("x-user-id", "jane")], Some("s")).unwrap().user_id,
            "jane"
        );
        assert_eq!(caller(&[], Some("s")).unwrap().user_id, "s");
        assert_eq!(caller(&[], None).unwrap().user_id, "anonymous");
    }

    #[test]
    fn unusable_user_ids_are_refused() {
        let long = "x".repeat(200);
        assert!(caller(&[("x-user-id", &long)], None).is_err());
        assert!(caller(&[("x-user-id", " ")], None).is_err());
    }

    #[test]
    fn agent_tags_are_short_tokens_or_ignored() {
        let mut headers = axum::http::HeaderMap::new();
        headers.insert(CLIENT_HEADER, "codex-acp".parse().unwrap());
        headers.insert(
            AGENT_SESSION_HEADER,
            "01936b2e-1f00-7000-8000-000000000000".parse().unwrap(),
        );
        assert_eq!(
            agent_tag(&headers, CLIENT_HEADER).as_deref(),
            Some("codex-acp")
        );
        assert!(agent_tag(&headers, AGENT_SESSION_HEADER).is_some());
        for bad in ["", "a b", "x'; DROP TABLE requests;--", &"x".repeat(65)] {
            headers.insert(CLIENT_HEADER, bad.parse().unwrap());
            assert_eq!(agent_tag(&headers, CLIENT_HEADER), None, "{bad:?}");
        }
    }

    #[test]
    fn credentials_are_classified() {
        let c = |h: &[(&str, &str)]| caller(h, None).unwrap().credential;
        assert!(matches!(c(&[]), Credential::None));
        assert!(matches!(
            c(&[("authorization", "Bearer sk-abc")]),
            Credential::Provider
        ));
        assert!(matches!(
            c(&[("x-api-key", "sk-ant-abc")]),
            Credential::Provider
        ));
        assert!(matches!(
            c(&[("authorization", "Bearer cbx_abc")]),
            Credential::LocalKey(_)
        ));
        assert!(matches!(
            c(&[("x-api-key", "cbx_abc")]),
            Credential::LocalKey(_)
        ));
    }
}

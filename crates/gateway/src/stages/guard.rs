//! Stage 1, guard: refuse what a web page could send to a loopback port.
//!
//! Loopback is not a trust boundary: any page the user visits can send simple requests to
//! 127.0.0.1 (CSRF) or resolve its own domain to it (DNS rebinding). So: the Host must be our own
//! loopback address, browser Origins are refused unless allow-listed exactly (`null` never), and
//! bodies must be JSON (which a page cannot send without a CORS preflight we never grant) — or a
//! `multipart/form-data` upload carrying a credential header, which a page cannot add to a form
//! either without that preflight.
//!
//! And what a provider must never see: a request whose framing is ambiguous (two Hosts) or whose
//! path holds a `.`/`..` segment, raw or percent-encoded
//! (an HTTP client's URL parser would resolve it, and the credential ClawBox attaches would reach
//! another path on the provider's host).

use axum::http::request::Parts;
use axum::http::{Method, header};

use crate::Error;
use crate::config::Config;
use crate::framing::AmbiguousFraming;

/// Total size of all request headers accepted.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;
const LOOPBACK_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "[::1]"];

/// What kind of body the request brings, once the guard let it through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// JSON, or no body: read whole.
    Json,
    /// A `multipart/form-data` upload: streamed to the provider.
    Upload,
}

pub fn guard(parts: &Parts, config: &Config, port: u16) -> Result<BodyKind, Error> {
    guard_addressing(parts, config, port)?;
    check_path(parts.uri.path())?;
    check_body(parts)
}

/// The checks that apply even where no body is read (`/health`, unknown routes): sizes, Host
/// and Origin.
pub fn guard_addressing(parts: &Parts, config: &Config, port: u16) -> Result<(), Error> {
    check_header_size(parts)?;
    check_framing(parts)?;
    check_host(parts, port, &config.allowed_hosts)?;
    check_origin(parts, &config.allowed_origins)
}

fn check_header_size(parts: &Parts) -> Result<(), Error> {
    let total: usize = parts
        .headers
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum();
    if total > MAX_HEADER_BYTES {
        return Err(Error::HeadersTooLarge {
            limit_kb: MAX_HEADER_BYTES / 1024,
        });
    }
    Ok(())
}

/// One Host (RFC 9112 §3.2: more than one is answered 400; a bare LF inside another header's
/// value is how a second one is smuggled past a stricter front end), and not both
/// Content-Length and Transfer-Encoding (seen by framing.rs before hyper re-frames the body).
/// Control characters in header values, conflicting Content-Lengths and other framing errors
/// never get this far: hyper's parser answers them 400 itself (tests pin that).
fn check_framing(parts: &Parts) -> Result<(), Error> {
    if parts.extensions.get::<AmbiguousFraming>().is_some() {
        return Err(Error::Malformed {
            detail: "it has both Content-Length and Transfer-Encoding",
        });
    }
    let mut hosts = parts.headers.get_all(header::HOST).iter();
    if hosts.next().is_some() && hosts.next().is_some() {
        return Err(Error::Malformed {
            detail: "it has more than one Host header",
        });
    }
    Ok(())
}

/// No `.` or `..` segment, raw or percent-encoded (`%2e`, `%2E`, mixed), and no raw backslash
/// (URL parsers read it as `/`). Everything else, `%2F` included, goes upstream exactly as
/// received.
pub fn check_path(path: &str) -> Result<(), Error> {
    let dot_segment = path.split('/').any(|segment| {
        let mut rest = segment;
        let mut dots = 0;
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix('.') {
                rest = after;
            } else if rest.len() >= 3 && rest[..3].eq_ignore_ascii_case("%2e") {
                rest = &rest[3..];
            } else {
                return false;
            }
            dots += 1;
        }
        matches!(dots, 1 | 2)
    });
    if dot_segment || path.contains('\\') {
        return Err(Error::UnsafePath);
    }
    Ok(())
}

/// `allowed`: extra host names (remote access), accepted with our port too.
fn check_host(parts: &Parts, port: u16, allowed: &[String]) -> Result<(), Error> {
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let ok = host.rsplit_once(':').is_some_and(|(name, p)| {
        p.parse::<u16>() == Ok(port)
            && (LOOPBACK_NAMES.iter().any(|n| n.eq_ignore_ascii_case(name))
                || allowed.iter().any(|n| n.eq_ignore_ascii_case(name)))
    });
    if ok {
        Ok(())
    } else {
        Err(Error::ForbiddenHost {
            host: printable(host),
            port,
        })
    }
}

fn check_origin(parts: &Parts, allowed: &[String]) -> Result<(), Error> {
    // Browsers omit Origin on plain cross-site GETs (an <img> pointing here), but mark every
    // request with Sec-Fetch-Site: anything a page on another site started must come from an
    // allow-listed origin.
    let cross_site = parts
        .headers
        .get("sec-fetch-site")
        .is_some_and(|v| v != "same-origin" && v != "none");
    let origin = match parts.headers.get(header::ORIGIN) {
        Some(origin) => origin.to_str().unwrap_or(""),
        None if cross_site => "(none: a request started by another web site)",
        None => return Ok(()),
    };
    if origin != "null" && allowed.iter().any(|a| a == origin) {
        return Ok(());
    }
    Err(Error::ForbiddenOrigin {
        origin: printable(origin),
    })
}

fn check_body(parts: &Parts) -> Result<BodyKind, Error> {
    if !matches!(parts.method, Method::POST | Method::PUT | Method::PATCH) {
        return Ok(BodyKind::Json);
    }
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let essence = content_type
        .and_then(|ct| ct.split(';').next())
        .map(str::trim);
    if essence.is_some_and(|e| e.eq_ignore_ascii_case("application/json")) {
        return Ok(BodyKind::Json);
    }
    // A form a page could post by itself carries no credential header; one with a credential
    // needs a preflight, which ClawBox never grants. (An Origin, if any, was checked above.)
    let credential = parts.headers.contains_key(header::AUTHORIZATION)
        || parts.headers.contains_key("x-api-key");
    if parts.method == Method::POST
        && credential
        && essence.is_some_and(|e| e.eq_ignore_ascii_case("multipart/form-data"))
    {
        return Ok(BodyKind::Upload);
    }
    Err(Error::NotJson {
        got: match content_type {
            Some(ct) => format!(" (this request sent `{}`)", printable(ct)),
            None => " (this request sent no Content-Type)".into(),
        },
    })
}

/// Echoing request text into an error message: bounded and printable.
fn printable(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).take(100).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SettingsLayer;
    use axum::http::Request;

    fn config(origins: &[&str]) -> Config {
        let mut c = Config::resolve(&SettingsLayer::default(), &SettingsLayer::default()).unwrap();
        c.allowed_origins = origins.iter().map(|s| (*s).to_owned()).collect();
        c
    }

    fn parts(method: &str, headers: &[(&str, &str)]) -> Parts {
        let mut b = Request::builder().method(method).uri("/v1/models");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(()).unwrap().into_parts().0
    }

    fn check(method: &str, headers: &[(&str, &str)], origins: &[&str]) -> Result<(), &'static str> {
        guard(&parts(method, headers), &config(origins), 18789)
            .map(|_| ())
            .map_err(|e| e.code())
    }

    #[test]
    fn loopback_hosts_with_our_port_pass() {
        for host in [
            "localhost:18789",
            "127.0.0.1:18789",
            "[::1]:18789",
            "LOCALHOST:18789",
        ] {
            assert_eq!(check("GET", &[("host", host)], &[]), Ok(()), "{host}");
        }
    }

    #[test]
    fn foreign_or_portless_hosts_are_refused() {
        for host in [
            "evil.example:18789",
            "localhost",
            "localhost:80",
            "127.0.0.1:1878",
            "localhost.evil.example:18789",
            "",
        ] {
            assert_eq!(
                check("GET", &[("host", host)], &[]),
                Err("forbidden_host"),
                "{host}"
            );
        }
        assert_eq!(check("GET", &[], &[]), Err("forbidden_host"));
    }

    #[test]
    fn origins_need_an_exact_allow_list_entry_and_null_never_passes() {
        let h = ("host", "localhost:18789");
        assert_eq!(
            check("GET", &[h, ("origin", "https://evil.example")], &[]),
            Err("forbidden_origin")
        );
        assert_eq!(
            check(
                "GET",
                &[h, ("origin", "https://ok.example")],
                &["https://ok.example"]
            ),
            Ok(())
        );
        assert_eq!(
            check(
                "GET",
                &[h, ("origin", "https://ok.example.evil")],
                &["https://ok.example"]
            ),
            Err("forbidden_origin")
        );
        assert_eq!(
            check("GET", &[h, ("origin", "null")], &["null"]),
            Err("forbidden_origin")
        );
    }

    #[test]
    fn posts_must_be_json() {
        let h = ("host", "localhost:18789");
        assert_eq!(
            check("POST", &[h, ("content-type", "application/json")], &[]),
            Ok(())
        );
        assert_eq!(
            check(
                "POST",
                &[h, ("content-type", "application/json; charset=utf-8")],
                &[]
            ),
            Ok(())
        );
        for ct in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ] {
            assert_eq!(
                check("POST", &[h, ("content-type", ct)], &[]),
                Err("unsupported_media_type"),
                "{ct}"
            );
        }
        assert_eq!(check("POST", &[h], &[]), Err("unsupported_media_type"));
        assert_eq!(check("GET", &[h], &[]), Ok(()));
    }

    #[test]
    fn an_upload_passes_only_with_a_credential_a_page_cannot_add() {
        let kind = |headers: &[(&str, &str)], origins: &[&str]| {
            guard(&parts("POST", headers), &config(origins), 18789).map_err(|e| e.code())
        };
        let h = ("host", "localhost:18789");
        let form = ("content-type", "multipart/form-data; boundary=x");
        assert_eq!(
            kind(&[h, form, ("authorization", "Bearer sk-x")], &[]),
            Ok(BodyKind::Upload)
        );
        assert_eq!(
            kind(&[h, form, ("x-api-key", "sk-ant")], &[]),
            Ok(BodyKind::Upload)
        );
        // What a page's own <form> can send: no credential.
        assert_eq!(kind(&[h, form], &[]), Err("unsupported_media_type"));
        // A page that found a way to add one is still a page.
        assert_eq!(
            kind(
                &[
                    h,
                    form,
                    ("authorization", "Bearer sk-x"),
                    ("origin", "https://evil.example")
                ],
                &[]
            ),
            Err("forbidden_origin")
        );
        assert_eq!(
            kind(
                &[
                    h,
                    form,
                    ("authorization", "Bearer sk-x"),
                    ("sec-fetch-site", "cross-site")
                ],
                &[]
            ),
            Err("forbidden_origin")
        );
        // Only a POST uploads.
        assert_eq!(
            guard(
                &parts("PUT", &[h, form, ("authorization", "Bearer sk-x")]),
                &config(&[]),
                18789
            )
            .map_err(|e| e.code()),
            Err("unsupported_media_type")
        );
    }

    #[test]
    fn oversized_headers_are_refused() {
        let big = "x".repeat(MAX_HEADER_BYTES);
        assert_eq!(
            check("GET", &[("host", "localhost:18789"), ("x-big", &big)], &[]),
            Err("headers_too_large")
        );
    }
}

#[cfg(test)]
mod properties {
    use axum::http::{HeaderValue, Request};
    use proptest::prelude::*;

    use super::*;
    use crate::config::SettingsLayer;

    /// Path segments as clients and attackers write them.
    fn segment() -> impl Strategy<Value = String> {
        prop_oneof![
            "[A-Za-z0-9_:-]{1,12}",
            "[a-z]{1,4}\\.[a-z]{0,4}",
            Just(".".to_owned()),
            Just("..".to_owned()),
            Just("...".to_owned()),
            "(\\.|%2e|%2E){1,3}",
            Just("%2F".to_owned()),
            Just("%2f..".to_owned()),
            Just(String::new()),
        ]
    }

    /// What a URL parser would resolve: a segment that is `.` or `..` once `%2e` is read as `.`.
    fn is_dot_segment(segment: &str) -> bool {
        let decoded = segment.replace("%2e", ".").replace("%2E", ".");
        decoded == "." || decoded == ".."
    }

    proptest! {
        #[test]
        fn a_path_is_refused_exactly_when_a_parser_could_resolve_it(
            segments in proptest::collection::vec(segment(), 1..6),
        ) {
            let path = format!("/v1/{}", segments.join("/"));
            let refused = check_path(&path).is_err();
            prop_assert_eq!(refused, segments.iter().any(|s| is_dot_segment(s)), "{}", path);
            if !refused {
                // What passes reaches the provider as sent.
                let url = url::Url::parse(&format!("http://127.0.0.1{path}")).unwrap();
                prop_assert_eq!(url.path(), path.as_str());
            }
        }

        #[test]
        fn any_header_values_are_judged_without_a_panic(
            host in proptest::collection::vec(any::<u8>(), 0..60),
            origin in proptest::collection::vec(any::<u8>(), 0..60),
            content_type in proptest::collection::vec(any::<u8>(), 0..60),
            fetch_site in proptest::collection::vec(any::<u8>(), 0..20),
        ) {
            let mut request = Request::builder().method("POST").uri("/v1/chat/completions");
            for (name, value) in [("host", &host), ("origin", &origin),
                                  ("content-type", &content_type), ("sec-fetch-site", &fetch_site)] {
                if let Ok(v) = HeaderValue::from_bytes(value) {
                    request = request.header(name, v);
                }
            }
            let parts = request.body(()).unwrap().into_parts().0;
            let config = Config::resolve(&SettingsLayer::default(), &SettingsLayer::default()).unwrap();
            let verdict = guard(&parts, &config, 18789);
            // Only a loopback name with our own port is ever let through.
            if verdict.is_ok() {
                let host = String::from_utf8_lossy(&host).to_ascii_lowercase();
                prop_assert!(
                    ["localhost:18789", "127.0.0.1:18789", "[::1]:18789"].contains(&host.as_str()),
                    "let through with Host {:?}", host
                );
            }
        }
    }
}

//! Provisioning: what an operator hands a trainee so the setup wizard opens already filled in —
//! a `clawbox://onboard?user_id=…&hosted_url=…&mode=…` link (a QR code at the door) or the same
//! fields in a provisioning file. Nothing here is ever applied by itself: the app shows the
//! values in the wizard and a hosted address must be confirmed by the person before ClawBox
//! sends a single request (or key) there. A link is input from anywhere, so every field is
//! checked as strictly as the settings themselves, unknown fields are refused rather than
//! ignored (a typo should not silently drop the hosted address), and no error repeats the link's
//! own text: the window shows these errors, and a link must not be able to write words into it.

use std::path::Path;

use serde::{Deserialize, Serialize};
use url::Url;

use clawbox_gateway::config::{Mode, parse_user_id};

/// The scheme registered for ClawBox's links.
pub const SCHEME: &str = "clawbox";
/// The one link ClawBox understands: `clawbox://onboard?...`.
const ONBOARD: &str = "onboard";
/// Longer than any real link; a QR code holds about 2,900 bytes at most.
const MAX_LINK_LEN: usize = 2048;

/// Wizard values from a provisioning link or file. Every field is optional: a link may carry
/// only a user id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct Provision {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub user_id: Option<String>,
    /// The hosted ClawBox gateway, as an origin (`https://gw.example.org`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub hosted_url: Option<String>,
    /// `local` or `hosted`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub mode: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProvisionError {
    #[error("this is not a ClawBox setup link (it should start with clawbox://onboard?)")]
    NotALink,
    #[error("the setup link is longer than {MAX_LINK_LEN} characters")]
    TooLong,
    #[error("{field} is not usable: {message}")]
    Field {
        field: &'static str,
        message: String,
    },
    #[error("the setup link has a field ClawBox does not know (known: user_id, hosted_url, mode)")]
    UnknownField,
    #[error("the setup link gives {0} twice")]
    Repeated(&'static str),
    #[error("the provisioning file {path} is not usable: {message}")]
    File { path: String, message: String },
    #[error("the setup link says nothing: give at least a user_id, hosted_url or mode")]
    Empty,
}

impl Provision {
    /// Parses and checks a `clawbox://onboard?...` link.
    pub fn from_link(link: &str) -> Result<Self, ProvisionError> {
        let link = link.trim();
        if link.len() > MAX_LINK_LEN {
            return Err(ProvisionError::TooLong);
        }
        let url = Url::parse(link).map_err(|_| ProvisionError::NotALink)?;
        // `clawbox://onboard?…` puts "onboard" in the host; `clawbox:onboard?…` in the path.
        let target = url.host_str().unwrap_or_else(|| url.path());
        if url.scheme() != SCHEME || target != ONBOARD {
            return Err(ProvisionError::NotALink);
        }
        let mut p = Provision::default();
        for (key, value) in url.query_pairs() {
            let (slot, name) = match key.as_ref() {
                "user_id" => (&mut p.user_id, "user_id"),
                "hosted_url" => (&mut p.hosted_url, "hosted_url"),
                "mode" => (&mut p.mode, "mode"),
                _ => return Err(ProvisionError::UnknownField),
            };
            if slot.replace(value.into_owned()).is_some() {
                return Err(ProvisionError::Repeated(name));
            }
        }
        p.checked()
    }

    /// Reads and checks a provisioning file: the link's fields as a JSON object.
    pub fn from_file(path: &Path) -> Result<Self, ProvisionError> {
        let file_error = |message: String| ProvisionError::File {
            path: path.display().to_string(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| file_error(e.to_string()))?;
        let p: Provision = serde_json::from_str(&text).map_err(|e| {
            file_error(format!(
                "{e}; it should look like {{\"user_id\": \"jane\", \"hosted_url\": \
                 \"https://gw.example.org\", \"mode\": \"hosted\"}}"
            ))
        })?;
        p.checked().map_err(|e| file_error(e.to_string()))
    }

    /// The `clawbox://onboard?...` link for these values.
    pub fn link(&self) -> String {
        let mut url = Url::parse("clawbox://onboard").expect("a valid base link");
        {
            let mut q = url.query_pairs_mut();
            if let Some(v) = &self.user_id {
                q.append_pair("user_id", v);
            }
            if let Some(v) = &self.hosted_url {
                q.append_pair("hosted_url", v);
            }
            if let Some(v) = &self.mode {
                q.append_pair("mode", v);
            }
        }
        url.into()
    }

    /// The same values, each checked and normalised (trimmed id, origin without a trailing
    /// slash, lower-case mode).
    pub fn checked(self) -> Result<Self, ProvisionError> {
        let user_id = self
            .user_id
            .map(|v| parse_user_id(&v).map_err(|m| field("user_id", m)))
            .transpose()?;
        let hosted_url = self
            .hosted_url
            .map(|v| check_hosted_url(&v).map_err(|m| field("hosted_url", m)))
            .transpose()?;
        let mode = self.mode.map(|v| check_mode(&v)).transpose()?;
        if user_id.is_none() && hosted_url.is_none() && mode.is_none() {
            return Err(ProvisionError::Empty);
        }
        if mode.as_deref() == Some(Mode::Hosted.as_str()) && hosted_url.is_none() {
            return Err(field(
                "mode",
                "hosted mode needs a hosted_url in the same link".into(),
            ));
        }
        Ok(Provision {
            user_id,
            hosted_url,
            mode,
        })
    }
}

fn field(field: &'static str, message: String) -> ProvisionError {
    ProvisionError::Field { field, message }
}

fn check_mode(v: &str) -> Result<String, ProvisionError> {
    match v.trim().to_ascii_lowercase().as_str() {
        "local" => Ok(Mode::Local.as_str().into()),
        "hosted" => Ok(Mode::Hosted.as_str().into()),
        _ => Err(field("mode", "it must be `local` or `hosted`".into())),
    }
}

/// A hosted gateway address from a link: HTTPS (plain HTTP only to this machine, for testing),
/// a bare origin. Keys travel to this address, so nothing looser than the settings accept.
fn check_hosted_url(v: &str) -> Result<String, String> {
    let trimmed = v.trim().trim_end_matches('/');
    let url = Url::parse(trimmed).map_err(|e| format!("it is not an address ({e})"))?;
    let loopback = matches!(
        url.host(),
        Some(url::Host::Ipv4(ip)) if ip.is_loopback()
    ) || matches!(url.host(), Some(url::Host::Ipv6(ip)) if ip.is_loopback())
        || url.host_str() == Some("localhost");
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => return Err("it must use https://".into()),
        _ => return Err("it must be an https:// address".into()),
    }
    if url.host_str().is_none_or(str::is_empty)
        || !url.username().is_empty()
        || url.password().is_some()
        || url.query().is_some()
        || url.fragment().is_some()
        || url.path() != "/"
    {
        return Err(
            "it must be a plain address like https://gw.example.org, without a path, \
                    query or user name"
                .into(),
        );
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_round_trips_and_is_normalised() {
        let p = Provision::from_link(
            "clawbox://onboard?user_id=%20trainee-07%20&hosted_url=https://GW.example.org/&mode=Hosted",
        )
        .unwrap();
        assert_eq!(p.user_id.as_deref(), Some("trainee-07"));
        assert_eq!(p.hosted_url.as_deref(), Some("https://gw.example.org"));
        assert_eq!(p.mode.as_deref(), Some("hosted"));
        assert_eq!(Provision::from_link(&p.link()).unwrap(), p);
        // Characters that need escaping survive the trip.
        let odd = Provision {
            user_id: Some("jane&joe=1 ü".into()),
            ..Default::default()
        };
        assert_eq!(Provision::from_link(&odd.link()).unwrap(), odd);
    }

    #[test]
    fn links_that_could_mislead_are_refused() {
        use ProvisionError::*;
        let err = |l: &str| Provision::from_link(l).unwrap_err();
        assert_eq!(err("https://onboard?user_id=a"), NotALink);
        assert_eq!(err("clawbox://settings?user_id=a"), NotALink);
        assert_eq!(err("clawbox://onboard"), Empty);
        assert_eq!(err("clawbox://onboard?user=a"), UnknownField);
        assert_eq!(
            err("clawbox://onboard?hosted_url=https://a.org&hosted_url=https://b.org"),
            Repeated("hosted_url")
        );
        for bad in [
            "http://gw.example.org",
            "ftp://gw.example.org",
            "https://user@gw.example.org",
            "https://gw.example.org/v1",
            "https://gw.example.org?x=1",
            "javascript:alert(1)",
        ] {
            let e = err(&format!("clawbox://onboard?hosted_url={bad}"));
            assert!(
                matches!(
                    e,
                    Field {
                        field: "hosted_url",
                        ..
                    }
                ),
                "{bad}: {e:?}"
            );
        }
        assert!(matches!(
            err("clawbox://onboard?mode=hosted&user_id=a"),
            Field { field: "mode", .. }
        ));
        assert!(matches!(
            err("clawbox://onboard?mode=cloud"),
            Field { field: "mode", .. }
        ));
        assert!(matches!(
            err("clawbox://onboard?user_id=a%0Ab"),
            Field {
                field: "user_id",
                ..
            }
        ));
        assert_eq!(
            err(&format!("clawbox://onboard?user_id={}", "a".repeat(3000))),
            TooLong
        );
        // Plain HTTP is only for a gateway on this machine.
        let local =
            Provision::from_link("clawbox://onboard?hosted_url=http://127.0.0.1:8787").unwrap();
        assert_eq!(local.hosted_url.as_deref(), Some("http://127.0.0.1:8787"));
    }

    #[test]
    fn no_error_repeats_the_links_own_words() {
        // The window shows these errors: a link must not be able to write into it.
        let words = "Your_workshop_moved_type_evil.example";
        for link in [
            format!("clawbox://onboard?{words}=1"),
            format!("clawbox://onboard?mode={words}"),
            format!("clawbox://onboard?hosted_url=https://gw.example.org/{words}"),
            format!("clawbox://onboard?hosted_url=http://{words}"),
            format!("clawbox://onboard?hosted_url={words}"),
            format!("clawbox://onboard?hosted_url=https://{words}@gw.example.org"),
        ] {
            let e = Provision::from_link(&link).unwrap_err().to_string();
            assert!(!e.contains(words), "{link}: {e}");
        }
    }

    #[test]
    fn a_file_holds_the_same_fields() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("room.json");
        std::fs::write(
            &path,
            r#"{"user_id":"t-1","hosted_url":"https://gw.example.org","mode":"hosted"}"#,
        )
        .unwrap();
        let p = Provision::from_file(&path).unwrap();
        assert_eq!(
            p.link(),
            "clawbox://onboard?user_id=t-1&hosted_url=https%3A%2F%2Fgw.example.org&mode=hosted"
        );
        std::fs::write(&path, r#"{"user":"t-1"}"#).unwrap();
        let e = Provision::from_file(&path).unwrap_err().to_string();
        assert!(e.contains("unknown field `user`"), "{e}");
        assert!(e.contains("room.json"), "{e}");
        std::fs::write(&path, r#"{"hosted_url":"http://gw.example.org"}"#).unwrap();
        let e = Provision::from_file(&path).unwrap_err().to_string();
        assert!(
            e.ends_with("room.json is not usable: hosted_url is not usable: it must use https://"),
            "{e}"
        );
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    fn valid() -> impl Strategy<Value = Provision> {
        (
            proptest::option::of("[a-zA-Z0-9][a-zA-Z0-9._@-]{0,30}"),
            proptest::option::of(
                (
                    "[a-z][a-z0-9-]{0,12}(\\.[a-z]{2,6}){1,2}",
                    proptest::option::of(1u16..65535),
                )
                    .prop_map(|(host, port)| match port {
                        Some(p) => format!("https://{host}:{p}"),
                        None => format!("https://{host}"),
                    }),
            ),
            proptest::option::of(prop_oneof![Just("local"), Just("hosted")]),
        )
            .prop_map(|(user_id, hosted_url, mode)| Provision {
                user_id,
                hosted_url,
                mode: mode.map(str::to_owned),
            })
    }

    proptest! {
        #[test]
        fn a_link_reads_back_as_the_values_it_was_made_from(p in valid()) {
            if let Ok(checked) = p.checked() {
                prop_assert_eq!(Provision::from_link(&checked.link()), Ok(checked));
            }
        }

        #[test]
        fn no_error_repeats_the_link_s_own_words(
            junk in "[ -~]{0,80}",
            marker in "[A-Z]{6}",
            shape in 0usize..5,
        ) {
            let word = format!("zz{marker}");
            let link = match shape {
                0 => format!("{junk}{word}"),
                1 => format!("clawbox://onboard?user_id={word}{junk}"),
                2 => format!("clawbox://onboard?hosted_url=http://{word}.example{junk}"),
                3 => format!("clawbox://onboard?{word}=1&{junk}"),
                _ => format!("clawbox://onboard?mode={word}&mode={junk}"),
            };
            if let Err(e) = Provision::from_link(&link) {
                prop_assert!(!e.to_string().contains(&word), "{} echoes {}", e, word);
            }
        }

        #[test]
        fn any_provisioning_file_is_read_or_refused_without_a_panic(text in "\\PC{0,200}") {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("provision.json");
            std::fs::write(&path, &text).unwrap();
            let _ = Provision::from_file(&path);
        }
    }
}

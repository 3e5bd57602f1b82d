//! Resolving the layers into one validated [`Config`].

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use url::Url;

use crate::Error;
use crate::config::{AuthMode, Mode, SettingsLayer, parse_usd};

pub const DEFAULT_LISTEN: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 18789);
const DEFAULT_OPENAI_URL: &str = "https://api.openai.com";
const DEFAULT_ANTHROPIC_URL: &str = "https://api.anthropic.com";
const DEFAULT_OLLAMA_URL: &str = "http://127.0.0.1:11434";
const DEFAULT_RATE_LIMIT: u32 = 50;
const DEFAULT_IDLE_TIMEOUT_SECS: u64 = 300;
const DEFAULT_RETENTION_DAYS: u32 = 90;
const DEFAULT_MULTIPART_LIMIT_MB: u64 = 512;
const DEFAULT_CONVERSATION_RETENTION_DAYS: u32 = 30;
/// The longest user id accepted from settings or the X-User-ID header.
pub(crate) const MAX_USER_ID_LEN: usize = 128;

/// The upstream base URLs (origins, optionally with a path prefix; never ending in `/v1`: the
/// incoming `/v1/...` path is appended unchanged).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstreams {
    pub hosted: Option<Url>,
    pub openai: Url,
    pub anthropic: Url,
    pub ollama: Url,
}

/// Every setting, resolved and validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub mode: Mode,
    pub listen: SocketAddr,
    pub upstreams: Upstreams,
    pub user_id: Option<String>,
    pub rate_limit: u32,
    pub monthly_cap: Option<u64>,
    pub auth_mode: AuthMode,
    pub allowed_origins: Vec<String>,
    pub failover: bool,
    pub idle_timeout: Duration,
    /// Days the request log keeps rows (0: forever).
    pub retention_days: u32,
    /// Listening beyond loopback was explicitly allowed (then the local key is required).
    pub allow_remote: bool,
    /// Host names accepted in the Host header besides the loopback ones (with allow_remote).
    pub allowed_hosts: Vec<String>,
    /// The user's model routes (local mode), checked before the defaults.
    pub routes: Vec<crate::routes::RouteRule>,
    /// US dollars each user may spend through API keys per month (`None`: no budget).
    pub monthly_budget_usd: Option<f64>,
    /// The prices from settings, before the shipped table.
    pub prices: clawbox_pricing::PriceBook,
    /// The largest upload (`multipart/form-data`) passed through, in MB.
    pub multipart_limit_mb: u64,
    /// Providers the person named (local mode), in the order written.
    pub providers: Vec<crate::providers::NamedProvider>,
    /// Where a model no route claims goes (local mode, OpenAI dialect).
    pub default_upstream: crate::providers::DefaultUpstream,
    /// Keep Responses API conversations on routes whose upstream keeps none.
    pub keep_conversations: bool,
    /// Days kept conversations are kept (0: until forgotten by hand).
    pub conversation_retention_days: u32,
    /// Keys pinned by flags or the environment (shown locked in the app).
    pub pinned: Vec<&'static str>,
}

impl Config {
    /// `overrides` (flags and environment) win over `file` (settings.json), which wins over the
    /// defaults. Errors name the setting and where its bad value came from.
    pub fn resolve(file: &SettingsLayer, overrides: &SettingsLayer) -> Result<Config, Error> {
        let pick = Picker { file, overrides };
        let listen = pick.value("listen", |l| l.listen.clone(), |v| parse_listen(&v))?;
        let config = Config {
            mode: pick.plain(|l| l.mode).unwrap_or(Mode::Local),
            listen: listen.unwrap_or(DEFAULT_LISTEN),
            upstreams: Upstreams {
                hosted: pick.value(
                    "hosted_url",
                    |l| l.hosted_url.clone(),
                    |v| parse_upstream(&v),
                )?,
                openai: pick
                    .value(
                        "openai_url",
                        |l| l.openai_url.clone(),
                        |v| parse_upstream(&v),
                    )?
                    .unwrap_or_else(|| default_url(DEFAULT_OPENAI_URL)),
                anthropic: pick
                    .value(
                        "anthropic_url",
                        |l| l.anthropic_url.clone(),
                        |v| parse_upstream(&v),
                    )?
                    .unwrap_or_else(|| default_url(DEFAULT_ANTHROPIC_URL)),
                ollama: pick
                    .value(
                        "ollama_url",
                        |l| l.ollama_url.clone(),
                        |v| parse_upstream(&v),
                    )?
                    .unwrap_or_else(|| default_url(DEFAULT_OLLAMA_URL)),
            },
            user_id: pick.value("user_id", |l| l.user_id.clone(), |v| parse_user_id(&v))?,
            rate_limit: pick
                .value("rate_limit", |l| l.rate_limit, parse_rate_limit)?
                .unwrap_or(DEFAULT_RATE_LIMIT),
            monthly_cap: pick.plain(|l| l.monthly_cap),
            auth_mode: pick.plain(|l| l.auth_mode).unwrap_or(AuthMode::Openai),
            allowed_origins: pick
                .plain(|l| l.allowed_origins.clone())
                .map(|o| o.0)
                .unwrap_or_default(),
            failover: pick.plain(|l| l.failover).unwrap_or(false),
            idle_timeout: Duration::from_secs(
                pick.value("idle_timeout", |l| l.idle_timeout, parse_idle_timeout)?
                    .unwrap_or(DEFAULT_IDLE_TIMEOUT_SECS),
            ),
            retention_days: pick
                .plain(|l| l.retention_days)
                .unwrap_or(DEFAULT_RETENTION_DAYS),
            allow_remote: pick.plain(|l| l.allow_remote).unwrap_or(false),
            allowed_hosts: pick
                .plain(|l| l.allowed_hosts.clone())
                .map(|h| h.0.into_iter().map(|h| h.to_ascii_lowercase()).collect())
                .unwrap_or_default(),
            routes: pick.plain(|l| l.routes.clone()).unwrap_or_default(),
            // 0 means no budget, as in the window's form (not "nothing may be spent").
            monthly_budget_usd: pick
                .value(
                    "monthly_budget_usd",
                    |l| l.monthly_budget_usd,
                    |v| parse_usd(&v.to_string()),
                )?
                .filter(|budget| *budget > 0.0),
            prices: pick
                .value(
                    "prices",
                    |l| l.prices.clone(),
                    |p| clawbox_pricing::PriceBook::new(&p).map_err(|e| e.to_string()),
                )?
                .unwrap_or_default(),
            multipart_limit_mb: pick
                .value(
                    "multipart_limit_mb",
                    |l| l.multipart_limit_mb,
                    |mb| {
                        if mb == 0 {
                            Err("expected a size in MB of 1 or more".to_owned())
                        } else {
                            Ok(mb)
                        }
                    },
                )?
                .unwrap_or(DEFAULT_MULTIPART_LIMIT_MB),
            providers: pick
                .value(
                    "providers",
                    |l| l.providers.clone(),
                    |p| crate::providers::resolve_providers(&p),
                )?
                .unwrap_or_default(),
            default_upstream: pick
                .plain(|l| l.default_upstream.clone())
                .map(|d| crate::providers::DefaultUpstream::parse(&d))
                .unwrap_or_default(),
            keep_conversations: pick.plain(|l| l.keep_conversations).unwrap_or(true),
            conversation_retention_days: pick
                .plain(|l| l.conversation_retention_days)
                .unwrap_or(DEFAULT_CONVERSATION_RETENTION_DAYS),
            pinned: overrides.keys_set(),
        };
        crate::providers::check_default(&config.default_upstream, &config.providers).map_err(
            |message| Error::Setting {
                key: "default_upstream",
                origin: if overrides.default_upstream.is_some() {
                    Source::Override.describe("default_upstream")
                } else {
                    Source::File.describe("default_upstream")
                },
                message,
            },
        )?;
        crate::routes::check_rules(&config.routes, &config.providers).map_err(|message| {
            Error::Setting {
                key: "routes",
                origin: Source::File.describe("routes"),
                message,
            }
        })?;
        if !config.listen.ip().is_loopback() && !config.allow_remote {
            return Err(Error::NotLoopback {
                addr: config.listen,
            });
        }
        if config.allow_remote && config.allowed_hosts.is_empty() {
            return Err(Error::Setting {
                key: "allowed_hosts",
                origin: "allow_remote".into(),
                message: "remote access needs the host names clients will use to reach this \
                          machine, e.g. CLAWBOX_ALLOWED_HOSTS=studio.local"
                    .into(),
            });
        }
        Ok(config)
    }

    /// Problems that do not stop the gateway but make some requests fail; `/health` lists them.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.mode == Mode::Hosted && self.upstreams.hosted.is_none() {
            problems.push(
                "hosted mode is on but no hosted gateway URL is set: set hosted_url \
                 (CLAWBOX_HOSTED_URL) or switch to local mode"
                    .to_owned(),
            );
        }
        problems
    }
}

struct Picker<'a> {
    file: &'a SettingsLayer,
    overrides: &'a SettingsLayer,
}

impl Picker<'_> {
    fn plain<T>(&self, get: impl Fn(&SettingsLayer) -> Option<T>) -> Option<T> {
        get(self.overrides).or_else(|| get(self.file))
    }

    fn value<T, U>(
        &self,
        key: &'static str,
        get: impl Fn(&SettingsLayer) -> Option<T>,
        parse: impl Fn(T) -> Result<U, String>,
    ) -> Result<Option<U>, Error> {
        let (raw, source) = match (get(self.overrides), get(self.file)) {
            (Some(v), _) => (v, Source::Override),
            (None, Some(v)) => (v, Source::File),
            (None, None) => return Ok(None),
        };
        parse(raw).map(Some).map_err(|message| Error::Setting {
            key,
            origin: source.describe(key),
            message,
        })
    }
}

enum Source {
    Override,
    File,
}

impl Source {
    fn describe(&self, key: &str) -> String {
        match self {
            Source::Override => format!(
                "--{} or CLAWBOX_{}",
                key.replace('_', "-"),
                key.to_ascii_uppercase()
            ),
            Source::File => "settings.json".to_owned(),
        }
    }
}

fn default_url(s: &str) -> Url {
    #[expect(clippy::expect_used, reason = "the defaults are constant, valid URLs")]
    Url::parse(s).expect("default upstream URLs are valid")
}

fn parse_listen(v: &str) -> Result<SocketAddr, String> {
    let v = v.trim();
    if let Ok(addr) = v.parse::<SocketAddr>() {
        return Ok(addr);
    }
    if let Some(port) = v.strip_prefix("localhost:")
        && let Ok(port) = port.parse::<u16>()
    {
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
    }
    Err(format!(
        "`{v}` is not an address to listen on; write it as IP:PORT, e.g. 127.0.0.1:18789"
    ))
}

fn parse_upstream(v: &str) -> Result<Url, String> {
    let trimmed = v.trim().trim_end_matches('/');
    let url = Url::parse(trimmed)
        .map_err(|e| format!("`{v}` is not a URL ({e}); write it like https://api.openai.com"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!(
            "`{v}` must be an http:// or https:// address, like https://api.openai.com"
        ));
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(format!(
            "`{v}` must be a plain origin, without a query, fragment or user name"
        ));
    }
    if url.path().trim_end_matches('/').ends_with("/v1") {
        return Err(format!(
            "`{v}` ends in /v1, but ClawBox appends the request's own /v1/... path: \
             use `{}` instead",
            trimmed.trim_end_matches("/v1")
        ));
    }
    Ok(url)
}

/// A user id as ClawBox accepts it (from settings, a header or a setup link).
pub fn parse_user_id(v: &str) -> Result<String, String> {
    let v = v.trim();
    if v.is_empty() {
        return Err("the user id is empty".into());
    }
    if v.len() > MAX_USER_ID_LEN || v.chars().any(|c| c.is_control()) {
        return Err(format!(
            "a user id must be at most {MAX_USER_ID_LEN} printable characters, like jane-doe"
        ));
    }
    Ok(v.to_owned())
}

fn parse_rate_limit(v: u32) -> Result<u32, String> {
    if v == 0 {
        return Err("0 would refuse every request; use at least 1".into());
    }
    Ok(v)
}

fn parse_idle_timeout(v: u64) -> Result<u64, String> {
    if v == 0 {
        return Err("0 would time out every request; use at least 1 second".into());
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(json: &str) -> SettingsLayer {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn a_budget_of_zero_is_no_budget() {
        let file: SettingsLayer = serde_json::from_str(r#"{"monthly_budget_usd": 0}"#).unwrap();
        let c = Config::resolve(&file, &SettingsLayer::default()).unwrap();
        assert_eq!(
            c.monthly_budget_usd, None,
            "0 must not refuse every request"
        );
        let file: SettingsLayer = serde_json::from_str(r#"{"monthly_budget_usd": 12.5}"#).unwrap();
        let c = Config::resolve(&file, &SettingsLayer::default()).unwrap();
        assert_eq!(c.monthly_budget_usd, Some(12.5));
        let file: SettingsLayer = serde_json::from_str(r#"{"monthly_budget_usd": -1}"#).unwrap();
        assert!(Config::resolve(&file, &SettingsLayer::default()).is_err());
    }

    #[test]
    fn defaults_match_the_contract() {
        let c = Config::resolve(&SettingsLayer::default(), &SettingsLayer::default()).unwrap();
        assert_eq!(c.mode, Mode::Local);
        assert_eq!(c.listen.to_string(), "127.0.0.1:18789");
        assert_eq!(c.upstreams.openai.as_str(), "https://api.openai.com/");
        assert_eq!(c.upstreams.anthropic.as_str(), "https://api.anthropic.com/");
        assert_eq!(c.upstreams.ollama.as_str(), "http://127.0.0.1:11434/");
        assert_eq!(c.upstreams.hosted, None);
        assert_eq!(c.rate_limit, 50);
        assert_eq!(c.monthly_cap, None);
        assert_eq!(c.auth_mode, AuthMode::Openai);
        assert!(c.allowed_origins.is_empty());
        assert!(!c.failover);
        assert!(c.pinned.is_empty());
    }

    #[test]
    fn overrides_beat_the_file_which_beats_defaults() {
        let file = layer(r#"{"mode":"hosted","rate_limit":7,"user_id":"from-file"}"#);
        let overrides = SettingsLayer {
            rate_limit: Some(9),
            ..Default::default()
        };
        let c = Config::resolve(&file, &overrides).unwrap();
        assert_eq!(c.mode, Mode::Hosted);
        assert_eq!(c.rate_limit, 9);
        assert_eq!(c.user_id.as_deref(), Some("from-file"));
        assert_eq!(c.pinned, ["rate_limit"]);
    }

    #[test]
    fn an_upstream_ending_in_v1_is_refused_with_the_fix() {
        let file = layer(r#"{"openai_url":"https://api.openai.com/v1"}"#);
        let msg = Config::resolve(&file, &SettingsLayer::default())
            .unwrap_err()
            .to_string();
        assert!(msg.contains("openai_url"), "{msg}");
        assert!(msg.contains("settings.json"), "{msg}");
        assert!(msg.contains("use `https://api.openai.com`"), "{msg}");
    }

    #[test]
    fn bad_values_name_their_source() {
        let overrides = SettingsLayer {
            listen: Some("here".into()),
            ..Default::default()
        };
        let msg = Config::resolve(&SettingsLayer::default(), &overrides)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("CLAWBOX_LISTEN"), "{msg}");
        assert!(msg.contains("IP:PORT"), "{msg}");
        let file = layer(r#"{"rate_limit":0}"#);
        assert!(Config::resolve(&file, &SettingsLayer::default()).is_err());
        let file = layer(r#"{"hosted_url":"ftp://x"}"#);
        assert!(Config::resolve(&file, &SettingsLayer::default()).is_err());
    }

    #[test]
    fn localhost_listen_is_loopback() {
        let file = layer(r#"{"listen":"localhost:9999"}"#);
        let c = Config::resolve(&file, &SettingsLayer::default()).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:9999");
    }

    #[test]
    fn a_non_loopback_listen_needs_allow_remote_and_host_names() {
        let file = layer(r#"{"listen":"0.0.0.0:18789"}"#);
        let msg = Config::resolve(&file, &SettingsLayer::default())
            .unwrap_err()
            .to_string();
        assert!(msg.contains("refusing to listen on 0.0.0.0"), "{msg}");
        let file = layer(r#"{"listen":"0.0.0.0:18789","allow_remote":true}"#);
        let msg = Config::resolve(&file, &SettingsLayer::default())
            .unwrap_err()
            .to_string();
        assert!(msg.contains("CLAWBOX_ALLOWED_HOSTS"), "{msg}");
        let file = layer(
            r#"{"listen":"0.0.0.0:18789","allow_remote":true,"allowed_hosts":"Studio.local"}"#,
        );
        let c = Config::resolve(&file, &SettingsLayer::default()).unwrap();
        assert_eq!(c.allowed_hosts, ["studio.local"]);
    }

    #[test]
    fn hosted_mode_without_url_is_a_problem_not_a_crash() {
        let file = layer(r#"{"mode":"hosted"}"#);
        let c = Config::resolve(&file, &SettingsLayer::default()).unwrap();
        assert_eq!(c.problems().len(), 1);
    }
}

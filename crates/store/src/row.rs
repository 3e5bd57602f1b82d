//! One logged request, as it is written to the `requests` table.

/// Whether `tokens_est` is the provider's own count or ClawBox's estimate.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum TokensSource {
    Reported,
    #[default]
    Estimated,
}

impl TokensSource {
    pub fn as_str(self) -> &'static str {
        match self {
            TokensSource::Reported => "reported",
            TokensSource::Estimated => "estimated",
        }
    }
}

/// A row of the `requests` table. It holds no prompt, completion, credential or raw IP by
/// construction: there is no column for any of them.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct RequestRow {
    pub id: String,
    pub user_id: String,
    pub endpoint: String,
    pub method: String,
    pub status: u16,
    pub latency_ms: u64,
    pub ttfb_ms: Option<u64>,
    pub tokens_est: u64,
    pub tokens_source: TokensSource,
    pub prompt_tokens: Option<u64>,
    pub completion_tokens: Option<u64>,
    pub ip_hash: Option<String>,
    /// ISO-8601 UTC with milliseconds, e.g. `2026-11-24T01:37:09.123Z`.
    pub created_at: String,
    pub model: Option<String>,
    /// `local` or `hosted`.
    pub mode: &'static str,
    pub upstream: Option<&'static str>,
    pub stream: bool,
    /// A stable error code (`rate_limited`, `upstream_unreachable`, …), never free text.
    pub error: Option<&'static str>,
    /// Admitted past the limits: counts towards `monthly_usage`.
    pub admitted: bool,
    /// Served by the other mode because the configured one failed before answering.
    pub failover: bool,
    /// The agent ClawBox ran that made this request (`claude-code-acp`, `codex-acp`, or a custom
    /// agent's name), from `x-clawbox-client`.
    pub client: Option<String>,
    /// The ClawBox agent session it belongs to, from `x-clawbox-agent-session`.
    pub agent_session: Option<String>,
    /// Input tokens read from the provider's cache (inside `prompt_tokens`).
    pub cached_tokens: Option<u64>,
    /// Input tokens written to the cache (Anthropic; inside `prompt_tokens`).
    pub cache_write_tokens: Option<u64>,
    /// Reasoning tokens (inside `completion_tokens`).
    pub reasoning_tokens: Option<u64>,
    /// US dollars; `None` when no price is known or no usage was reported.
    pub cost_usd: Option<f64>,
    /// Who pays: `api`, `plan`, `local` or `hosted`; `None` when no provider was reached.
    pub billing: Option<&'static str>,
    /// The provider's own id for the request.
    pub upstream_request_id: Option<String>,
}

/// The `billing` values.
pub mod billing {
    /// An API key: real money.
    pub const API: &str = "api";
    /// The ChatGPT sign-in: the cost is what the same tokens would cost at API prices.
    pub const PLAN: &str = "plan";
    /// A model on this machine.
    pub const LOCAL: &str = "local";
    /// Relayed: the hosted gateway's to bill.
    pub const HOSTED: &str = "hosted";

    /// A stored value as one of the constants (`None` for NULL or anything unknown).
    pub fn parse(stored: Option<&str>) -> Option<&'static str> {
        [API, PLAN, LOCAL, HOSTED]
            .into_iter()
            .find(|b| Some(*b) == stored)
    }
}

impl RequestRow {
    /// The `YYYY-MM` month this row counts towards (UTC, from `created_at`).
    pub fn month(&self) -> &str {
        self.created_at.get(..7).unwrap_or(&self.created_at)
    }

    /// What this request added to its user's spend (the budget counts `api` billing only).
    pub fn spent_usd(&self) -> f64 {
        match self.billing {
            Some(billing::API) => self.cost_usd.unwrap_or(0.0),
            _ => 0.0,
        }
    }
}

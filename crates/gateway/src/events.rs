//! Events the gateway publishes for the desktop window (live dashboard updates).

use serde::Serialize;

/// One finished request, as the dashboard needs it. No prompt, completion or credential.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export, rename = "LiveRequest"))]
pub struct RequestEvent {
    pub id: String,
    pub user_id: String,
    pub endpoint: String,
    pub status: u16,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub latency_ms: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub tokens: u64,
    pub tokens_source: &'static str,
    pub model: Option<String>,
    pub mode: &'static str,
    pub upstream: Option<&'static str>,
    /// Served by the other mode because the configured one was down.
    pub failover: bool,
    pub created_at: String,
    /// The ClawBox agent session that made it, for an agent ClawBox runs.
    pub agent_session: Option<String>,
    /// US dollars; `None` when no price is known or no usage was reported.
    pub cost_usd: Option<f64>,
    /// `api`, `plan`, `local` or `hosted`; `None` when no provider was reached.
    pub billing: Option<&'static str>,
}

/// How many events a slow subscriber may fall behind before it starts missing some.
pub const EVENT_BUFFER: usize = 1024;

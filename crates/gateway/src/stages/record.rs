//! Stage 8, record: every request becomes exactly one row, whatever happened to it.
//!
//! A [`Recording`] is started as soon as a request arrives and filled in by the stages. It writes
//! its row when dropped: after the response body ends, after an error response, or when the
//! client hangs up mid-way (the handler or the body is dropped). The row goes onto the writer's
//! queue (never SQLite on this path) and an event goes to the window.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::request::Parts;
use clawbox_pricing::Tokens;
use clawbox_store::{RequestRow, TokensSource};

use crate::config::{Config, Mode};
use crate::events::RequestEvent;
use crate::request_id::RequestId;
use crate::stages::Upstream;
use crate::stages::identify::{AGENT_SESSION_HEADER, ANONYMOUS, CLIENT_HEADER, agent_tag};
use crate::usage::Usage;
use crate::{Error, Gateway};

/// nginx's code for "client closed the request before the response was sent".
const CLIENT_CLOSED: u16 = 499;

pub struct Recording {
    gateway: Arc<Gateway>,
    /// The settings the request started under: its prices.
    config: Arc<Config>,
    row: RequestRow,
    started: Instant,
    request_bytes: usize,
    ended: bool,
    /// The ChatGPT plan's usage windows the answer reported.
    plan: Option<crate::PlanLimits>,
}

impl Recording {
    pub fn start(gateway: &Arc<Gateway>, parts: &Parts, config: &Arc<Config>) -> Self {
        let id = parts
            .extensions
            .get::<RequestId>()
            .map(|r| r.0.clone())
            .unwrap_or_default();
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip());
        Self {
            row: RequestRow {
                id,
                user_id: ANONYMOUS.to_owned(),
                endpoint: parts.uri.path().to_owned(),
                method: parts.method.as_str().to_owned(),
                status: 0,
                latency_ms: 0,
                ttfb_ms: None,
                tokens_est: 0,
                tokens_source: TokensSource::Estimated,
                prompt_tokens: None,
                completion_tokens: None,
                ip_hash: peer.map(|ip: IpAddr| gateway.ip_hasher.hash(ip)),
                created_at: crate::clock::now_iso8601(),
                model: None,
                mode: config.mode.as_str(),
                upstream: None,
                stream: false,
                error: None,
                admitted: false,
                failover: false,
                client: agent_tag(&parts.headers, CLIENT_HEADER),
                agent_session: agent_tag(&parts.headers, AGENT_SESSION_HEADER),
                ..RequestRow::default()
            },
            gateway: Arc::clone(gateway),
            config: Arc::clone(config),
            started: Instant::now(),
            request_bytes: 0,
            ended: false,
            plan: None,
        }
    }

    /// `YYYY-MM` (UTC) of this request, for the monthly cap.
    pub fn month(&self) -> &str {
        self.row.month()
    }

    pub fn set_user(&mut self, user_id: &str) {
        user_id.clone_into(&mut self.row.user_id);
    }

    pub fn set_model(&mut self, model: Option<&str>) {
        // Bounded: the model name is caller-supplied text.
        self.row.model = model.map(|m| m.chars().take(200).collect());
    }

    pub fn set_admitted(&mut self, admitted: bool) {
        self.row.admitted = admitted;
    }

    pub fn set_upstream(&mut self, upstream: Upstream) {
        self.row.upstream = Some(upstream.id());
        self.row.billing = Some(upstream.billing());
    }

    /// The other mode answered (`failover`): the row names what actually served the request.
    pub fn set_failover(&mut self, mode: Mode, upstream: Upstream) {
        self.row.mode = mode.as_str();
        self.set_upstream(upstream);
        self.row.failover = true;
    }

    /// The plan's usage windows, as the answer reported them (a later report wins).
    pub fn set_plan_limits(&mut self, limits: Option<crate::PlanLimits>) {
        if limits.is_some() {
            self.plan = limits;
        }
    }

    /// The provider's own id for the request, from its response headers (bounded: it is the
    /// provider's text).
    pub fn set_upstream_request_id(&mut self, headers: &axum::http::HeaderMap) {
        self.row.upstream_request_id = ["x-request-id", "request-id", "x-oai-request-id"]
            .into_iter()
            .find_map(|name| headers.get(name)?.to_str().ok())
            .map(|id| id.chars().take(128).collect());
    }

    pub fn set_request_bytes(&mut self, bytes: usize) {
        self.request_bytes = bytes;
    }

    pub fn set_response_start(&mut self, status: u16, ttfb: Duration, stream: bool) {
        self.row.status = status;
        self.row.ttfb_ms = Some(ttfb.as_millis() as u64);
        self.row.stream = stream;
    }

    /// `estimated_output`: the response's tokens by the meter's estimate, used only when the
    /// provider reported no usage.
    pub fn set_response_end(
        &mut self,
        usage: Option<Usage>,
        estimated_output: u64,
        error: Option<&'static str>,
    ) {
        let usage = usage.and_then(|u| u.total().map(|t| (u, t)));
        (self.row.tokens_est, self.row.tokens_source) = match usage {
            Some((u, total)) => {
                self.row.prompt_tokens = u.input;
                self.row.completion_tokens = u.output;
                self.row.cached_tokens = u.cached;
                self.row.cache_write_tokens = u.cache_write;
                self.row.reasoning_tokens = u.reasoning;
                (total, TokensSource::Reported)
            }
            // No usage reported: about 4 bytes of request JSON per token, plus the meter's
            // estimate of the response. Only for successful calls: a refused call used none.
            None if (200..300).contains(&self.row.status) => (
                (self.request_bytes.div_ceil(4) as u64).saturating_add(estimated_output),
                TokensSource::Estimated,
            ),
            None => (0, TokensSource::Estimated),
        };
        self.row.error = error;
        self.ended = true;
    }

    /// What the request cost: nothing on a local model or when no token was used, the reported
    /// tokens at the known price, else unknown (no price for the model, or only an estimate of
    /// its tokens).
    fn price(&self) -> Option<f64> {
        let row = &self.row;
        match row.billing? {
            clawbox_store::billing::LOCAL => return Some(0.0),
            _ if row.tokens_est == 0 => return Some(0.0),
            _ if row.tokens_source == TokensSource::Estimated => return None,
            _ => {}
        }
        let priced = self.config.prices.price(row.model.as_deref()?)?;
        Some(priced.price.cost(&Tokens {
            input: row.prompt_tokens.unwrap_or(0),
            cached: row.cached_tokens.unwrap_or(0),
            cache_write: row.cache_write_tokens.unwrap_or(0),
            output: row.completion_tokens.unwrap_or(0),
        }))
    }

    /// The request ended in an error the gateway answered itself.
    pub fn fail(&mut self, error: &Error) {
        self.row.status = error.status().as_u16();
        self.row.error = Some(error.code());
        self.ended = true;
    }
}

impl Drop for Recording {
    fn drop(&mut self) {
        if !self.ended {
            // Dropped before the response finished: the client went away.
            if self.row.status == 0 {
                self.row.status = CLIENT_CLOSED;
            }
            self.row.error = Some("client_disconnected");
        }
        self.row.latency_ms = self.started.elapsed().as_millis() as u64;
        self.row.cost_usd = self.price();
        if let Some(limits) = self.plan.take() {
            self.gateway.plan.observe(limits);
        }
        let spent = self.row.spent_usd();
        if spent > 0.0 {
            let row = &self.row;
            self.gateway
                .admission
                .add_spend(&row.user_id, row.month(), spent);
        }
        let row = &self.row;
        tracing::debug!(
            id = %row.id, endpoint = %row.endpoint, status = row.status,
            latency_ms = row.latency_ms, tokens = row.tokens_est,
            source = row.tokens_source.as_str(), error = row.error.unwrap_or(""),
            "request"
        );
        self.gateway.publish(RequestEvent {
            id: row.id.clone(),
            user_id: row.user_id.clone(),
            endpoint: row.endpoint.clone(),
            status: row.status,
            latency_ms: row.latency_ms,
            tokens: row.tokens_est,
            tokens_source: row.tokens_source.as_str(),
            model: row.model.clone(),
            mode: row.mode,
            upstream: row.upstream,
            failover: row.failover,
            created_at: row.created_at.clone(),
            agent_session: row.agent_session.clone(),
            cost_usd: row.cost_usd,
            billing: row.billing,
        });
        let row = std::mem::take(&mut self.row);
        self.gateway.enqueue_row(row);
    }
}

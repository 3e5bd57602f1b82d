//! Failover (setting `failover`): when the configured mode's upstream cannot answer —
//! unreachable, silent, or a 5xx — the request goes once to the other mode (hosted ↔ local).
//! The decision is made on the response headers, so nothing is ever retried after its first
//! byte reached the client; a 4xx is the upstream's answer and is never retried.

use std::sync::Arc;

use axum::http::request::Parts;

use crate::config::{Config, Mode};
use crate::dialect::Dialect;
use crate::stages::{
    Caller, Forwarded, Recording, RequestBody, authorize, forward, route, within_budget,
};
use crate::{Error, Gateway};

/// `first` is the configured mode's outcome; returns it, or the other mode's if that one could
/// answer instead. `body` is the request's body kept for that second attempt (`None` when
/// failover is off).
pub async fn fail_over_if_down(
    gateway: &Arc<Gateway>,
    config: &Config,
    parts: &Parts,
    caller: &Caller,
    body: Option<RequestBody>,
    first: Result<Forwarded, Error>,
    recording: &mut Recording,
) -> Result<Forwarded, Error> {
    let (Some(other), Some(body)) = (other_mode(config).filter(|_| is_down(&first)), body) else {
        return first;
    };
    match try_in(gateway, &other, parts, caller, body).await {
        Ok(forwarded) if !forwarded.response.status().is_server_error() => {
            tracing::info!(
                to = other.mode.as_str(),
                upstream = forwarded.upstream.id(),
                "failed over"
            );
            recording.set_failover(other.mode, forwarded.upstream);
            Ok(forwarded)
        }
        // The other mode cannot answer either: the configured mode's failure is the one to report.
        _ => first,
    }
}

fn is_down(result: &Result<Forwarded, Error>) -> bool {
    match result {
        Ok(forwarded) => forwarded.response.status().is_server_error(),
        Err(e) => matches!(
            e,
            Error::UpstreamUnreachable { .. }
                | Error::UpstreamTimeout { .. }
                | Error::UpstreamBroken { .. }
        ),
    }
}

/// The same settings in the other mode, when failover is on and that mode can be used.
fn other_mode(config: &Config) -> Option<Config> {
    if !config.failover {
        return None;
    }
    let mut other = config.clone();
    other.mode = match config.mode {
        Mode::Local => Mode::Hosted,
        Mode::Hosted => Mode::Local,
    };
    (other.mode == Mode::Local || other.upstreams.hosted.is_some()).then_some(other)
}

/// Route, authorize and forward in `config`'s mode.
async fn try_in(
    gateway: &Arc<Gateway>,
    config: &Config,
    parts: &Parts,
    caller: &Caller,
    body: RequestBody,
) -> Result<Forwarded, Error> {
    let route = route(
        parts,
        config,
        caller,
        body.model.as_deref(),
        &gateway.known_models(),
        &gateway.codex_endpoints.backend,
    )?;
    // The budget holds here too: a hosted request failing over to an API key is API spend.
    // (The first attempt's admission stands: the request is logged as the first mode's failure.)
    within_budget(
        &gateway.admission,
        config,
        &caller.user_id,
        &crate::clock::this_month(),
        route.upstream,
    )?;
    let attach = authorize(
        &route,
        caller,
        config,
        Dialect::of(parts),
        &gateway.credentials,
        gateway.codex.as_ref(),
    )
    .await?;
    forward(
        gateway.client_for(&route.base),
        &route,
        parts,
        body,
        None,
        attach,
        &caller.user_id,
        config.idle_timeout,
        gateway.codex.as_ref(),
    )
    .await
}

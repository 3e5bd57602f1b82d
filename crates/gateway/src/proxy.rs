//! The handlers. `proxy` is the whole request path for `/v1/*`: read top to bottom, it is the
//! stages in order.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use crate::config::Config;
use crate::dialect::Dialect;
use crate::stages::{Attach, Caller, Route};
use crate::stages::{
    BodyKind, Forwarded, Recording, RequestBody, Upstream, admit, authorize, can_ask_openai,
    extra_models, fail_over_if_down, forward, guard, guard_addressing, identify, is_model_list,
    meter, read_body, read_upload, route, verify_caller, within_budget, without_openai,
};
use crate::{Error, Gateway, conversations, websocket};

pub async fn proxy(State(gateway): State<Arc<Gateway>>, request: Request) -> Response {
    let config = gateway.config();
    let (mut parts, body) = request.into_parts();
    let dialect = Dialect::of(&parts);
    let mut recording = Recording::start(&gateway, &parts, &config);
    if websocket::is_upgrade(&parts) {
        let client = parts.extensions.remove::<hyper::upgrade::OnUpgrade>();
        return match open_websocket(&gateway, &config, &parts, &mut recording).await {
            Ok(opened) => websocket::relay(opened, client, recording).await,
            Err(error) => {
                recording.fail(&error);
                error.into_response(dialect)
            }
        };
    }
    match pass(&gateway, &config, &parts, body, &mut recording).await {
        Ok(forwarded) => meter(forwarded, recording, dialect).await,
        Err(error) => {
            recording.fail(&error);
            error.into_response(dialect)
        }
    }
}

/// Stages 1–6 (and, with `failover`, the other mode when the configured one is down); the
/// response they produce is metered (7) and recorded (8) by the caller.
async fn pass(
    gateway: &Arc<Gateway>,
    config: &Config,
    parts: &Parts,
    body: axum::body::Body,
    recording: &mut Recording,
) -> Result<Forwarded, Error> {
    let kind = guard(parts, config, gateway.port())?;
    // An upload streams to the provider; everything else is read whole (and is JSON).
    let (body, upload) = match kind {
        BodyKind::Json => (read_body(parts, body, config.idle_timeout).await?, None),
        BodyKind::Upload => {
            let upload =
                read_upload(parts, body, config.idle_timeout, config.multipart_limit_mb).await?;
            recording.set_model(upload.model.as_deref());
            (RequestBody::default(), Some(upload))
        }
    };
    if upload.is_none() {
        recording.set_model(body.model.as_deref());
    }
    recording.set_request_bytes(body.bytes.len());
    let caller = identify_and_admit(gateway, config, parts, recording)?;
    // Who the caller is must be proven before ClawBox's own state answers or is used for them.
    verify_caller(&gateway.credentials, config, &caller).await?;
    // A response ClawBox kept is read (or deleted) here, not upstream.
    if let Some(answer) =
        conversations::answer_from_store(gateway, config, parts, &caller, &body.bytes).await?
    {
        recording.set_upstream(Upstream::Kept);
        return Ok(answer);
    }
    let listing = is_model_list(parts, config);
    if listing && !can_ask_openai(gateway, &caller).await {
        // No key to ask OpenAI with: list what ClawBox can serve without one (local models, and
        // Anthropic's with the saved key). With nothing to list, the usual "no key" answer.
        let extra = extra_models(gateway, config, &caller).await?;
        if !extra.is_empty() {
            recording.set_upstream(Upstream::Ollama);
            return Ok(without_openai(extra, body.bytes.len()));
        }
    }
    // An upload routes by its form's `model` (when it came before the file), like JSON by its own.
    let model = match &upload {
        Some(upload) => upload.model.clone(),
        None => body.model.clone(),
    };
    let (route, attach) =
        route_and_authorize(gateway, config, parts, &caller, model.as_deref(), recording).await?;
    // On a route whose upstream keeps nothing, ClawBox keeps the Responses API's state.
    let (body, keep) =
        conversations::prepare(&gateway.conversations, config, parts, &route, &caller, body)
            .await?;
    // Kept for a second attempt only when failover may need one (an upload cannot be sent twice).
    let retry_body = (config.failover && upload.is_none()).then(|| body.clone());
    let forwarded = forward(
        gateway.client_for(&route.base),
        &route,
        parts,
        body,
        upload,
        attach,
        &caller.user_id,
        config.idle_timeout,
        gateway.codex.as_ref(),
    )
    .await;
    let mut forwarded = fail_over_if_down(
        gateway, config, parts, &caller, retry_body, forwarded, recording,
    )
    .await?;
    if forwarded.upstream == route.upstream {
        forwarded.keep = keep.map(conversations::Keeper::new);
    }
    // The model list in local mode shows every model ClawBox can route to by name.
    if listing && forwarded.upstream == Upstream::OpenAi {
        forwarded.add_models = Some(extra_models(gateway, config, &caller).await?);
    }
    Ok(forwarded)
}

/// A WebSocket upgrade (the Realtime API): stages 1–5 as for any request, then the upstream's
/// handshake. Its model (for the row) is in the query; the route is OpenAI's (or hosted).
async fn open_websocket(
    gateway: &Arc<Gateway>,
    config: &Config,
    parts: &Parts,
    recording: &mut Recording,
) -> Result<websocket::Opened, Error> {
    guard(parts, config, gateway.port())?;
    recording.set_model(websocket::model_of(parts).as_deref());
    let caller = identify_and_admit(gateway, config, parts, recording)?;
    let (route, attach) =
        route_and_authorize(gateway, config, parts, &caller, None, recording).await?;
    websocket::open(
        gateway.upgrade_client_for(&route.base),
        &route,
        parts,
        &attach,
        &caller.user_id,
        config.idle_timeout,
    )
    .await
}

/// Stages 2–3: who is calling, and whether they may.
fn identify_and_admit(
    gateway: &Arc<Gateway>,
    config: &Config,
    parts: &Parts,
    recording: &mut Recording,
) -> Result<Caller, Error> {
    let caller = identify(parts, config)?;
    recording.set_user(&caller.user_id);
    admit(
        &gateway.admission,
        config,
        &caller.user_id,
        recording.month(),
    )?;
    recording.set_admitted(true);
    Ok(caller)
}

/// Stages 4–5: where the request goes (then the budget, now that who pays is known), and with
/// which credential.
async fn route_and_authorize(
    gateway: &Arc<Gateway>,
    config: &Config,
    parts: &Parts,
    caller: &Caller,
    model: Option<&str>,
    recording: &mut Recording,
) -> Result<(Route, Attach), Error> {
    let route = route(
        parts,
        config,
        caller,
        model,
        &gateway.known_models(),
        &gateway.codex_endpoints.backend,
    )?;
    recording.set_upstream(route.upstream);
    if let Err(refused) = within_budget(
        &gateway.admission,
        config,
        &caller.user_id,
        recording.month(),
        route.upstream,
    ) {
        // Refused after admission: the request uses no rate slot and no month's count.
        gateway.admission.refund(&caller.user_id);
        recording.set_admitted(false);
        return Err(refused);
    }
    let attach = authorize(
        &route,
        caller,
        config,
        Dialect::of(parts),
        &gateway.credentials,
        gateway.codex.as_ref(),
    )
    .await?;
    Ok((route, attach))
}

pub async fn health(State(gateway): State<Arc<Gateway>>, request: Request) -> Response {
    let config = gateway.config();
    let (parts, _) = request.into_parts();
    if let Err(error) = guard_addressing(&parts, &config, gateway.port()) {
        return refuse(&gateway, &config, &parts, error);
    }
    Json(gateway.health()).into_response()
}

pub async fn not_found(State(gateway): State<Arc<Gateway>>, request: Request) -> Response {
    refuse_unless_guard_refuses(&gateway, request, |parts, port| Error::NotFound {
        path: parts.uri.path().chars().take(200).collect(),
        port,
    })
}

pub async fn method_not_allowed(State(gateway): State<Arc<Gateway>>, request: Request) -> Response {
    refuse_unless_guard_refuses(&gateway, request, |parts, _| Error::MethodNotAllowed {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
    })
}

/// Answers with `error`, unless the guard refuses the request first (a foreign Host or Origin
/// hears about that, not about the route).
fn refuse_unless_guard_refuses(
    gateway: &Arc<Gateway>,
    request: Request,
    error: impl FnOnce(&Parts, u16) -> Error,
) -> Response {
    let config = gateway.config();
    let (parts, _) = request.into_parts();
    let error = match guard_addressing(&parts, &config, gateway.port()) {
        Err(refused) => refused,
        Ok(()) => error(&parts, gateway.port()),
    };
    refuse(gateway, &config, &parts, error)
}

/// An error the gateway answers itself outside `/v1/*`, logged like any other request.
fn refuse(gateway: &Arc<Gateway>, config: &Arc<Config>, parts: &Parts, error: Error) -> Response {
    let mut recording = Recording::start(gateway, parts, config);
    recording.fail(&error);
    error.into_response(Dialect::of(parts))
}

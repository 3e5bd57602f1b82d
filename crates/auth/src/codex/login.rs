//! The sign-in flow: authorize URL, system browser, one-shot loopback callback, code exchange.
//!
//! ```text
//! start()   bind 127.0.0.1:1455 (or 1457) → authorize URL with PKCE S256 + 32-byte state
//! (user)    the system browser signs in at the issuer, which redirects to
//!           http://localhost:PORT/auth/callback?code=…&state=…
//! finish()  state checked in constant time → code exchanged (no redirects followed) →
//!           302 to /success (a static page: no token or code in any URL) → listener closed
//! ```

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, CsrfToken, EndpointNotSet, EndpointSet, ExtraTokenFields,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope,
    StandardRevocableToken, StandardTokenResponse, TokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use tokio::sync::oneshot;

use super::tokens::now_ms;
use super::{CALLBACK_PORTS, CLIENT_ID, CodexEndpoints, CodexTokens, oauth_http_client};
use crate::AuthError;

const SCOPES: [&str; 4] = ["openid", "profile", "email", "offline_access"];
const SUCCESS_PAGE: &str = include_str!("success.html");

/// The token endpoint's answer: standard fields plus the OpenID id_token.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct IdToken {
    id_token: Option<String>,
}
impl ExtraTokenFields for IdToken {}
type CodexTokenResponse = StandardTokenResponse<IdToken, BasicTokenType>;
type BaseClient = oauth2::Client<
    BasicErrorResponse,
    CodexTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
>;
/// With the authorize and token endpoints set (oauth2's typestate).
type OAuthClient = oauth2::Client<
    BasicErrorResponse,
    CodexTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// A sign-in in progress: the URL to open, and the listener waiting for its callback.
pub struct CodexLogin {
    pub url: String,
    pub port: u16,
    listener: tokio::net::TcpListener,
    flow: Arc<Flow>,
}

struct Flow {
    state: CsrfToken,
    verifier: Mutex<Option<PkceCodeVerifier>>,
    redirect: String,
    endpoints: CodexEndpoints,
    http: reqwest::Client,
    outcome: Mutex<Option<oneshot::Sender<Result<CodexTokens, AuthError>>>>,
    shown_success: tokio::sync::Notify,
}

impl CodexLogin {
    /// Binds the callback port and builds the authorize URL.
    pub async fn start(endpoints: CodexEndpoints) -> Result<Self, AuthError> {
        let mut bound = None;
        for port in CALLBACK_PORTS {
            if let Ok(listener) = tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
                bound = Some((listener, port));
                break;
            }
        }
        let (listener, port) = bound.ok_or_else(|| {
            AuthError::SignIn(
                "ports 1455 and 1457 are both in use (is another sign-in window open, or the \
                 Codex CLI signing in?): finish or close it and try again"
                    .into(),
            )
        })?;
        let redirect = format!("http://localhost:{port}/auth/callback");
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256_len(64);
        let (url, state) = client(&endpoints, &redirect)?
            .authorize_url(|| CsrfToken::new_random_len(32))
            .add_scopes(SCOPES.iter().map(|s| Scope::new((*s).to_owned())))
            .set_pkce_challenge(challenge)
            .add_extra_param("id_token_add_organizations", "true")
            .add_extra_param("codex_cli_simplified_flow", "true")
            .add_extra_param("originator", "codex_cli_rs")
            .url();
        Ok(Self {
            url: url.to_string(),
            port,
            listener,
            flow: Arc::new(Flow {
                state,
                verifier: Mutex::new(Some(verifier)),
                redirect,
                endpoints,
                http: oauth_http_client()?,
                outcome: Mutex::new(None),
                shown_success: tokio::sync::Notify::new(),
            }),
        })
    }

    /// Serves the callback until a sign-in completes, fails, or `timeout` passes.
    pub async fn finish(self, timeout: Duration) -> Result<CodexTokens, AuthError> {
        let (tx, rx) = oneshot::channel();
        *self
            .flow
            .outcome
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(tx);
        let flow = Arc::clone(&self.flow);
        let app = Router::new()
            .route("/auth/callback", get(callback))
            .route("/success", get(success))
            .with_state(Arc::clone(&self.flow));
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let _ = axum::serve(self.listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stop_rx.await;
                })
                .await;
        });
        let outcome = match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(_)) => Err(AuthError::SignIn("the sign-in was interrupted".into())),
            Err(_) => Err(AuthError::SignIn(format!(
                "no answer from the browser within {} minutes: start the sign-in again",
                timeout.as_secs() / 60
            ))),
        };
        // Let the browser load the success page before the listener closes.
        if outcome.is_ok() {
            let _ =
                tokio::time::timeout(Duration::from_secs(3), flow.shown_success.notified()).await;
        }
        let _ = stop_tx.send(());
        // A browser holding a connection open must not keep the sign-in from finishing.
        if tokio::time::timeout(Duration::from_secs(2), server)
            .await
            .is_err()
        {
            tracing::debug!("the callback listener was still busy; closing it");
        }
        outcome
    }
}

fn client(endpoints: &CodexEndpoints, redirect: &str) -> Result<OAuthClient, AuthError> {
    let bad = |e: oauth2::url::ParseError| AuthError::Config(format!("bad OAuth URL: {e}"));
    Ok(BaseClient::new(ClientId::new(CLIENT_ID.to_owned()))
        .set_auth_uri(AuthUrl::new(endpoints.authorize_url()).map_err(bad)?)
        .set_token_uri(TokenUrl::new(endpoints.token_url()).map_err(bad)?)
        .set_redirect_uri(RedirectUrl::new(redirect.to_owned()).map_err(bad)?)
        // A public PKCE client: client_id in the form body, no secret.
        .set_auth_type(oauth2::AuthType::RequestBody))
}

impl Flow {
    fn conclude(&self, outcome: Result<CodexTokens, AuthError>) {
        if let Some(tx) = self
            .outcome
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            let _ = tx.send(outcome);
        }
    }

    async fn exchange(&self, code: String) -> Result<CodexTokens, AuthError> {
        let verifier = self
            .verifier
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .ok_or_else(|| AuthError::SignIn("this sign-in link was already used".into()))?;
        let http = self.http.clone();
        let send = move |request: oauth2::HttpRequest| {
            let http = http.clone();
            async move { send(&http, request).await }
        };
        let response = client(&self.endpoints, &self.redirect)?
            .exchange_code(AuthorizationCode::new(code))
            .set_pkce_verifier(verifier)
            .request_async(&send)
            .await
            .map_err(describe_token_error)?;
        let id_token = response
            .extra_fields()
            .id_token
            .clone()
            .ok_or_else(|| AuthError::SignIn("the sign-in answer had no id_token".into()))?;
        let refresh_token = response
            .refresh_token()
            .map(|t| t.secret().clone())
            .ok_or_else(|| AuthError::SignIn("the sign-in answer had no refresh token".into()))?;
        CodexTokens::new(
            id_token,
            response.access_token().secret().clone(),
            refresh_token,
            now_ms(),
        )
    }
}

/// oauth2's HTTP hook, on our reqwest client (which follows no redirects).
async fn send(
    http: &reqwest::Client,
    request: oauth2::HttpRequest,
) -> Result<oauth2::HttpResponse, reqwest::Error> {
    let (parts, body) = request.into_parts();
    let response = http
        .request(parts.method, parts.uri.to_string())
        .headers(parts.headers)
        .body(body)
        .send()
        .await?;
    let mut out = http::Response::builder().status(response.status());
    if let Some(headers) = out.headers_mut() {
        *headers = response.headers().clone();
    }
    let body = response.bytes().await?.to_vec();
    Ok(out.body(body).unwrap_or_default())
}

fn describe_token_error<E: std::error::Error>(
    e: RequestTokenError<E, BasicErrorResponse>,
) -> AuthError {
    AuthError::SignIn(match e {
        RequestTokenError::ServerResponse(r) => match r.error_description() {
            Some(d) => format!("the sign-in server refused: {d}"),
            None => format!("the sign-in server refused: {}", r.error()),
        },
        RequestTokenError::Request(e) => format!("could not reach the sign-in server: {e}"),
        RequestTokenError::Parse(_, body) => {
            let body: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            let message = body["error"]["message"]
                .as_str()
                .or(body["error_description"].as_str())
                .unwrap_or("an unexpected answer");
            format!("the sign-in server refused: {message}")
        }
        RequestTokenError::Other(m) => m,
    })
}

async fn callback(
    State(flow): State<Arc<Flow>>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let state_ok = params
        .get("state")
        .is_some_and(|s| bool::from(s.as_bytes().ct_eq(flow.state.secret().as_bytes())));
    if !state_ok {
        // Not ours (an old tab, or a forged link): refuse, and keep waiting for the real one.
        return page(
            400,
            "This sign-in link is out of date. Start the sign-in again from ClawBox.",
        );
    }
    if let Some(error) = params.get("error") {
        let description = params.get("error_description").map_or("", String::as_str);
        let message = if description.contains("missing_codex_entitlement") {
            "Your ChatGPT plan does not include Codex. Use a plan that does, or an API key."
                .to_owned()
        } else {
            format!("The sign-in was not completed ({error}). Start it again from ClawBox.")
        };
        flow.conclude(Err(AuthError::SignIn(message.clone())));
        return page(400, &message);
    }
    let Some(code) = params.get("code").cloned() else {
        flow.conclude(Err(AuthError::SignIn(
            "the callback carried no code".into(),
        )));
        return page(
            400,
            "The sign-in answer was incomplete. Start it again from ClawBox.",
        );
    };
    match flow.exchange(code).await {
        Ok(tokens) => {
            flow.conclude(Ok(tokens));
            Redirect::to("/success").into_response()
        }
        Err(e) => {
            let message = e.to_string();
            flow.conclude(Err(e));
            page(502, &message)
        }
    }
}

async fn success(State(flow): State<Arc<Flow>>) -> Response {
    flow.shown_success.notify_one();
    Html(SUCCESS_PAGE).into_response()
}

fn page(status: u16, message: &str) -> Response {
    let status =
        axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::BAD_REQUEST);
    let escaped = message
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let html = format!(
        "<!doctype html><meta charset=utf-8><title>ClawBox</title>\
         <body style=\"font-family:system-ui;margin:4em auto;max-width:32em\">\
         <h1>ClawBox</h1><p>{escaped}</p></body>"
    );
    (status, Html(html)).into_response()
}

/// Opens `url` in the system browser (never a webview): `$BROWSER` when set, else the
/// platform's opener. Returns whether a browser was started.
pub fn open_in_browser(url: &str) -> bool {
    let mut command = match std::env::var("BROWSER") {
        Ok(browser) if !browser.trim().is_empty() => std::process::Command::new(browser.trim()),
        _ if cfg!(target_os = "macos") => std::process::Command::new("open"),
        // Not `cmd /C start`: cmd would split the URL at every `&`.
        _ if cfg!(target_os = "windows") => {
            let mut c = std::process::Command::new("rundll32");
            c.arg("url.dll,FileProtocolHandler");
            c
        }
        _ => std::process::Command::new("xdg-open"),
    };
    command
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .is_ok()
}

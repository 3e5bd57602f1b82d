//! A fake OpenAI OAuth server (the Codex client's issuer), faithful where ClawBox depends on it:
//! PKCE S256 is verified, each refresh rotates the refresh token, and a rotated (reused) one is
//! refused with `refresh_token_reused` as the real server does.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use base64::Engine;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// How the next refresh requests are refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshFailure {
    /// 401 with this `error.code` (`refresh_token_expired`, `refresh_token_invalidated`, …).
    Permanent(&'static str),
    /// 500: a passing failure.
    Transient,
    /// 200 with no tokens in it.
    EmptyAnswer,
}

#[derive(Default)]
pub(crate) struct OAuthState {
    /// code → (code_challenge, redirect_uri)
    codes: HashMap<String, (String, String)>,
    current_refresh: Option<String>,
    rotated: Vec<String>,
    revoked: Vec<String>,
    access_ttl_secs: i64,
    refresh_failure: Option<RefreshFailure>,
    refresh_delay: Duration,
    deny: bool,
    issued: usize,
    /// The access token the backend accepts (the newest issued).
    pub(crate) current_access: Option<String>,
    /// The backend answers 429 usage_limit_reached, resetting at this unix time.
    pub(crate) usage_limit_until: Option<i64>,
    /// Bodies the backend received.
    pub(crate) backend_requests: Vec<(HeaderMap, Value)>,
    /// Scripted `hang` answers whose client hung up.
    pub(crate) hung_up: usize,
    /// The plan's usage windows: (used percent, window minutes), shortest first.
    pub(crate) plan_windows: Vec<(f64, i64)>,
    /// Calls to the usage endpoint.
    pub(crate) usage_asked: usize,
}

pub struct FakeOAuth {
    addr: SocketAddr,
    state: Arc<Mutex<OAuthState>>,
    refreshes: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

pub(crate) type Shared = (Arc<Mutex<OAuthState>>, Arc<AtomicUsize>);

impl FakeOAuth {
    pub async fn start() -> FakeOAuth {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("the fake OAuth server cannot listen: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("no local address: {e}"));
        let state = Arc::new(Mutex::new(OAuthState {
            access_ttl_secs: 3600,
            // A Plus plan some way into both windows.
            plan_windows: vec![(22.0, 300), (32.0, 10_080)],
            ..OAuthState::default()
        }));
        let refreshes = Arc::new(AtomicUsize::new(0));
        let app = Router::new()
            .route("/oauth/authorize", get(authorize))
            .route("/oauth/token", post(token))
            .route("/oauth/revoke", post(revoke))
            .route(
                "/backend-api/codex/responses",
                post(crate::codex_backend::codex_responses),
            )
            .route("/backend-api/wham/usage", get(crate::codex_backend::usage))
            // For tests that run this fake as a process (`clawbox-fake-upstream --oauth`): set
            // the plan's windows, `[[used_percent, window_minutes], …]`.
            .route("/test/plan-windows", post(set_plan_windows))
            // … and read the bodies the backend got, oldest first.
            .route("/test/backend-requests", get(backend_requests))
            .with_state((Arc::clone(&state), Arc::clone(&refreshes)));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeOAuth {
            addr,
            state,
            refreshes,
            task,
        }
    }

    /// The issuer origin, for `CLAWBOX_CODEX_ISSUER`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn with<T>(&self, f: impl FnOnce(&mut OAuthState) -> T) -> T {
        f(&mut self.state.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Access tokens issued from now on expire after this many seconds (0 or less: already expired).
    pub fn set_access_ttl(&self, secs: i64) {
        self.with(|s| s.access_ttl_secs = secs);
    }
    pub fn fail_refresh(&self, failure: Option<RefreshFailure>) {
        self.with(|s| s.refresh_failure = failure);
    }
    /// Each refresh takes this long (to let concurrent callers pile up).
    pub fn set_refresh_delay(&self, delay: Duration) {
        self.with(|s| s.refresh_delay = delay);
    }
    /// The next authorize request is denied by the "user".
    pub fn deny_next(&self) {
        self.with(|s| s.deny = true);
    }
    /// Refresh requests received.
    pub fn refresh_count(&self) -> usize {
        self.refreshes.load(Ordering::SeqCst)
    }
    pub fn current_refresh_token(&self) -> Option<String> {
        self.with(|s| s.current_refresh.clone())
    }
    pub fn revoked(&self) -> Vec<String> {
        self.with(|s| s.revoked.clone())
    }
    /// Tokens as a completed sign-in would return them (id, access, refresh), without the
    /// browser round trip: for tests about what happens after signing in.
    pub fn sign_in_directly(&self) -> (String, String, String) {
        let tokens = self.with(issue);
        let field = |k: &str| tokens[k].as_str().unwrap_or_default().to_owned();
        (
            field("id_token"),
            field("access_token"),
            field("refresh_token"),
        )
    }

    /// The backend stops accepting the current access token (as after a server-side expiry).
    pub fn expire_access_token(&self) {
        self.with(|s| s.current_access = None);
    }
    /// The backend answers every call with the plan's usage limit, resetting in `secs`.
    pub fn set_usage_limit(&self, secs: Option<i64>) {
        self.with(|s| s.usage_limit_until = secs.map(|d| now() + d));
    }
    /// How many scripted `hang` answers the client hung up on (a Stop reached the model call).
    pub fn hung_up(&self) -> usize {
        self.with(|s| s.hung_up)
    }
    /// The plan's usage windows the backend reports from now on: (used percent, window
    /// minutes); a weekly window may come alone.
    pub fn set_plan_windows(&self, windows: &[(f64, i64)]) {
        self.with(|s| s.plan_windows = windows.to_vec());
    }
    /// How many times the usage endpoint was asked.
    pub fn usage_asked(&self) -> usize {
        self.with(|s| s.usage_asked)
    }
    /// The request bodies (and headers) the Codex backend received.
    pub fn backend_requests(&self) -> Vec<(HeaderMap, Value)> {
        self.with(|s| s.backend_requests.clone())
    }
}

async fn backend_requests(State((state, _)): State<Shared>) -> axum::Json<Vec<Value>> {
    let s = state.lock().unwrap_or_else(PoisonError::into_inner);
    axum::Json(
        s.backend_requests
            .iter()
            .map(|(_, body)| body.clone())
            .collect(),
    )
}

async fn set_plan_windows(
    State((state, _)): State<Shared>,
    axum::Json(windows): axum::Json<Vec<(f64, i64)>>,
) -> StatusCode {
    state
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .plan_windows = windows;
    StatusCode::NO_CONTENT
}

impl Drop for FakeOAuth {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn jwt(claims: &Value) -> String {
    format!(
        "{}.{}.fake-signature",
        b64(br#"{"alg":"RS256","typ":"JWT"}"#),
        b64(claims.to_string().as_bytes())
    )
}

pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The user "approves" at once: straight back to the redirect URI with a code.
async fn authorize(
    State((state, _)): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let get = |k: &str| q.get(k).cloned().unwrap_or_default();
    let redirect = get("redirect_uri");
    let mut s = state.lock().unwrap_or_else(PoisonError::into_inner);
    let valid = get("response_type") == "code"
        && get("client_id") == "app_EMoamEEZ73f0CkXaXp7hrann"
        && get("code_challenge_method") == "S256"
        && get("scope").split(' ').any(|x| x == "offline_access")
        && (redirect == "http://localhost:1455/auth/callback"
            || redirect == "http://localhost:1457/auth/callback");
    if !valid {
        return (StatusCode::BAD_REQUEST, "invalid authorize request").into_response();
    }
    if std::mem::take(&mut s.deny) {
        return Redirect::to(&format!(
            "{redirect}?error=access_denied&error_description=denied&state={}",
            get("state")
        ))
        .into_response();
    }
    let code = format!("code_{}", b64(&rand::random::<[u8; 12]>()));
    s.codes
        .insert(code.clone(), (get("code_challenge"), redirect.clone()));
    Redirect::to(&format!("{redirect}?code={code}&state={}", get("state"))).into_response()
}

fn issue(s: &mut OAuthState) -> Value {
    s.issued += 1;
    let refresh = format!("rt_{}_{}", s.issued, b64(&rand::random::<[u8; 8]>()));
    if let Some(old) = s.current_refresh.replace(refresh.clone()) {
        s.rotated.push(old);
    }
    let access = jwt(&json!({"exp": now() + s.access_ttl_secs, "n": s.issued}));
    s.current_access = Some(access.clone());
    json!({
        "id_token": jwt(&json!({
            "email": "sam@example.com",
            "https://api.openai.com/auth": {
                "chatgpt_account_id": "acct_fake_123",
                "chatgpt_plan_type": "plus"
            }
        })),
        "access_token": access,
        "refresh_token": refresh,
        "token_type": "Bearer",
        "expires_in": s.access_ttl_secs,
    })
}

fn refuse(status: StatusCode, code: &str) -> Response {
    (
        status,
        axum::Json(json!({"error": {"code": code, "message": code}})),
    )
        .into_response()
}

async fn token(
    State((state, refreshes)): State<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if form {
        // The authorization-code grant.
        let params: HashMap<String, String> =
            serde_urlencoded::from_bytes(&body).unwrap_or_default();
        let get = |k: &str| params.get(k).cloned().unwrap_or_default();
        let mut s = state.lock().unwrap_or_else(PoisonError::into_inner);
        let Some((challenge, redirect)) = s.codes.remove(&get("code")) else {
            return refuse(StatusCode::BAD_REQUEST, "invalid_grant");
        };
        let verified = b64(&Sha256::digest(get("code_verifier").as_bytes())) == challenge;
        if get("grant_type") != "authorization_code" || !verified || get("redirect_uri") != redirect
        {
            return refuse(StatusCode::BAD_REQUEST, "invalid_grant");
        }
        return axum::Json(issue(&mut s)).into_response();
    }
    // The refresh grant, as JSON (like the Codex CLI sends it).
    refreshes.fetch_add(1, Ordering::SeqCst);
    let request: Value = serde_json::from_slice(&body).unwrap_or_default();
    let delay = state
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .refresh_delay;
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let mut s = state.lock().unwrap_or_else(PoisonError::into_inner);
    match s.refresh_failure.clone() {
        Some(RefreshFailure::Permanent(code)) => return refuse(StatusCode::UNAUTHORIZED, code),
        Some(RefreshFailure::Transient) => {
            return refuse(StatusCode::INTERNAL_SERVER_ERROR, "server_error");
        }
        Some(RefreshFailure::EmptyAnswer) => return axum::Json(json!({})).into_response(),
        None => {}
    }
    let presented = request["refresh_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if request["grant_type"] != "refresh_token"
        || request["client_id"] != "app_EMoamEEZ73f0CkXaXp7hrann"
    {
        return refuse(StatusCode::BAD_REQUEST, "invalid_request");
    }
    if s.rotated.contains(&presented) {
        return refuse(StatusCode::UNAUTHORIZED, "refresh_token_reused");
    }
    if s.current_refresh.as_deref() != Some(presented.as_str()) {
        return refuse(StatusCode::UNAUTHORIZED, "refresh_token_invalidated");
    }
    axum::Json(issue(&mut s)).into_response()
}

async fn revoke(State((state, _)): State<Shared>, body: Bytes) -> Response {
    let request: Value = serde_json::from_slice(&body).unwrap_or_default();
    let mut s = state.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(token) = request["token"].as_str() {
        s.revoked.push(token.to_owned());
        if s.current_refresh.as_deref() == Some(token) {
            s.current_refresh = None;
        }
    }
    StatusCode::OK.into_response()
}

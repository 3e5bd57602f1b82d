//! The serving side of a ChatGPT sign-in: a valid access token on demand.
//!
//! ```text
//! access()                 cached token, unless it expires within REFRESH_EARLY (at most half
//!                          its lifetime) → refresh
//! refresh_after_401(used)  the provider refused `used` → refresh once (unless someone already did)
//! refresh (single-flight)  one at a time behind an async lock; waiters find the fresh token;
//!                          the store is re-read first (another process may have refreshed or
//!                          signed in again); the rotated refresh token is saved before the new
//!                          access token is handed out
//! ```
//!
//! A permanent refusal (`refresh_token_expired`, `_reused`, `_invalidated`, `invalid_grant`, or a
//! 401) leaves the session in "sign in again" until a new sign-in is stored; a transient failure
//! backs off. Neither is ever silent.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use super::tokens::now_ms;
use super::{CLIENT_ID, CodexAccount, CodexEndpoints, CodexTokens, oauth_http_client};
use crate::{AuthError, Secret, SecretStore};

/// Refresh this long before the access token expires (at most half its lifetime).
const REFRESH_EARLY_SECS: i64 = 300;
const MAX_BACKOFF: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error(
        "ClawBox is not signed in to ChatGPT: sign in from ClawBox \
         (clawbox-gateway login codex), or set auth_mode to openai to use an API key"
    )]
    NotSignedIn,
    #[error("{0}")]
    SignInAgain(String),
    #[error("the ChatGPT sign-in could not be refreshed just now ({0}); try again shortly")]
    Unavailable(String),
    #[error("{0}")]
    Store(AuthError),
}

#[derive(Default)]
struct RefreshState {
    sign_in_again: Option<String>,
    retry_at: Option<Instant>,
    backoff: Option<Duration>,
}

pub struct CodexSession {
    store: Arc<dyn SecretStore>,
    endpoints: CodexEndpoints,
    http: reqwest::Client,
    current: RwLock<Option<CodexTokens>>,
    refresh: tokio::sync::Mutex<RefreshState>,
    /// A copy of `RefreshState::sign_in_again`, readable while a refresh holds the lock.
    problem: RwLock<Option<String>>,
    refreshes: AtomicUsize,
}

impl CodexSession {
    /// Reads the stored sign-in, if any (blocking: call at start-up).
    pub fn new(store: Arc<dyn SecretStore>, endpoints: CodexEndpoints) -> Result<Self, AuthError> {
        let current = CodexTokens::load(store.as_ref()).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "the stored ChatGPT sign-in is unreadable");
            None
        });
        Ok(Self {
            store,
            endpoints,
            http: oauth_http_client()?,
            current: RwLock::new(current),
            refresh: tokio::sync::Mutex::new(RefreshState::default()),
            problem: RwLock::new(None),
            refreshes: AtomicUsize::new(0),
        })
    }

    pub fn endpoints(&self) -> &CodexEndpoints {
        &self.endpoints
    }

    /// The signed-in account, if any.
    pub fn account(&self) -> Option<CodexAccount> {
        self.cached().map(|t| t.account)
    }

    /// Refresh calls made so far (each one a request to the OAuth server).
    pub fn refresh_count(&self) -> usize {
        self.refreshes.load(Ordering::SeqCst)
    }

    /// Why the user must sign in again, if they must.
    pub fn sign_in_problem(&self) -> Option<String> {
        self.problem
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn set_problem(&self, state: &mut RefreshState, problem: Option<String>) {
        state.sign_in_again.clone_from(&problem);
        *self.problem.write().unwrap_or_else(PoisonError::into_inner) = problem;
    }

    /// A usable access token and the account id to send with it.
    pub async fn access(&self) -> Result<(Secret, String), SessionError> {
        let tokens = match self.cached() {
            Some(t) => t,
            None => self.reload().await?.ok_or(SessionError::NotSignedIn)?,
        };
        if !tokens.due_for_refresh(REFRESH_EARLY_SECS, now_ms()) {
            return Ok(credentials(&tokens));
        }
        match self.refresh(&tokens.access_token).await {
            // An early refresh that failed costs nothing while the token still works.
            Err(SessionError::Unavailable(reason)) if !tokens.expires_within(0, now_ms()) => {
                tracing::debug!(%reason, "early refresh failed; the current token is still valid");
                Ok(credentials(&tokens))
            }
            other => other,
        }
    }

    /// The provider answered 401 to `rejected`: refresh once, unless another request already did.
    pub async fn refresh_after_401(
        &self,
        rejected: &Secret,
    ) -> Result<(Secret, String), SessionError> {
        self.refresh(rejected).await
    }

    async fn refresh(&self, stale: &Secret) -> Result<(Secret, String), SessionError> {
        let mut state = self.refresh.lock().await;
        // Backing off: answer at once, without touching the keychain or the network.
        if let Some(at) = state.retry_at
            && Instant::now() < at
            && state.sign_in_again.is_none()
        {
            return Err(SessionError::Unavailable(format!(
                "retrying in {} s",
                at.saturating_duration_since(Instant::now())
                    .as_secs()
                    .max(1)
            )));
        }
        // Someone else (a waiter before us, the app, another process) may have a newer bundle.
        // A keychain that cannot be read now is no reason to fail: the cached bundle serves.
        let stored = match self.reload().await {
            Ok(stored) => stored,
            Err(e) => {
                tracing::warn!(error = %e, "cannot re-read the ChatGPT sign-in; using the cached one");
                self.cached()
            }
        };
        if let Some(tokens) = stored
            && tokens.access_token != *stale
        {
            self.set_problem(&mut state, None);
            if !tokens.due_for_refresh(REFRESH_EARLY_SECS, now_ms()) {
                return Ok(credentials(&tokens));
            }
        }
        if let Some(message) = &state.sign_in_again {
            return Err(SessionError::SignInAgain(message.clone()));
        }
        let tokens = self.cached().ok_or(SessionError::NotSignedIn)?;
        self.refreshes.fetch_add(1, Ordering::SeqCst);
        match self.call_refresh(&tokens).await {
            Ok(fresh) => {
                state.retry_at = None;
                state.backoff = None;
                // Saved before use: if the process dies now, the rotated refresh token is kept.
                // If the keychain refuses, the bundle is kept in memory all the same: the old
                // refresh token is already spent, so dropping the new one would end the sign-in.
                let store = Arc::clone(&self.store);
                let keep = fresh.clone();
                let saved = match tokio::task::spawn_blocking(move || fresh.save(store.as_ref()))
                    .await
                {
                    Ok(Ok(saved)) => saved,
                    Ok(Err(e)) => {
                        tracing::error!(error = %e, "cannot save the refreshed ChatGPT sign-in; keeping it in memory");
                        keep
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "cannot save the refreshed ChatGPT sign-in; keeping it in memory");
                        keep
                    }
                };
                *self.current.write().unwrap_or_else(PoisonError::into_inner) = Some(saved.clone());
                Ok(credentials(&saved))
            }
            Err(Refusal::Permanent(message)) => {
                tracing::warn!("the ChatGPT sign-in ended: {message}");
                self.set_problem(&mut state, Some(message.clone()));
                Err(SessionError::SignInAgain(message))
            }
            Err(Refusal::Transient(reason)) => {
                let backoff = state
                    .backoff
                    .map_or(Duration::from_secs(1), |b| (b * 2).min(MAX_BACKOFF));
                state.backoff = Some(backoff);
                state.retry_at = Some(Instant::now() + backoff);
                tracing::warn!(%reason, "ChatGPT token refresh failed; backing off");
                Err(SessionError::Unavailable(reason))
            }
        }
    }

    async fn call_refresh(&self, tokens: &CodexTokens) -> Result<CodexTokens, Refusal> {
        let body = serde_json::json!({
            "client_id": CLIENT_ID,
            "grant_type": "refresh_token",
            "refresh_token": tokens.refresh_token.expose(),
        });
        let response = self
            .http
            .post(self.endpoints.token_url())
            .json(&body)
            .send()
            .await
            .map_err(|e| Refusal::Transient(format!("could not reach the sign-in server: {e}")))?;
        let status = response.status();
        let answer: serde_json::Value = response.json().await.unwrap_or_default();
        if !status.is_success() {
            return Err(classify(status.as_u16(), &answer));
        }
        if !answer["access_token"].is_string() {
            return Err(Refusal::Transient(
                "the sign-in server's answer had no access token".into(),
            ));
        }
        let field = |name: &str, old: &Secret| {
            answer[name]
                .as_str()
                .map_or_else(|| old.expose().to_owned(), str::to_owned)
        };
        CodexTokens::new(
            field("id_token", &tokens.id_token),
            field("access_token", &tokens.access_token),
            field("refresh_token", &tokens.refresh_token),
            now_ms(),
        )
        .map_err(|e| Refusal::Transient(e.to_string()))
    }

    /// Adopts a sign-in (or sign-out) made by someone else — the app's window, the command line —
    /// so the next request uses it; a new sign-in clears "sign in again".
    pub async fn sync(&self) -> Result<(), SessionError> {
        let before = self.cached().map(|t| t.issued_at_ms);
        let now = self.reload().await?.map(|t| t.issued_at_ms);
        if now.is_some() && now != before {
            let mut state = self.refresh.lock().await;
            self.set_problem(&mut state, None);
            state.retry_at = None;
            state.backoff = None;
        }
        Ok(())
    }

    /// Re-reads the store (off the async workers) and adopts a bundle newer than the cached one.
    async fn reload(&self) -> Result<Option<CodexTokens>, SessionError> {
        let store = Arc::clone(&self.store);
        let loaded = tokio::task::spawn_blocking(move || CodexTokens::load(store.as_ref()))
            .await
            .map_err(|e| SessionError::Unavailable(e.to_string()))?
            .map_err(SessionError::Store)?;
        let mut current = self.current.write().unwrap_or_else(PoisonError::into_inner);
        match (&*current, loaded) {
            (Some(mine), Some(stored)) if stored.issued_at_ms > mine.issued_at_ms => {
                *current = Some(stored);
            }
            (None, Some(stored)) => *current = Some(stored),
            // Signed out elsewhere.
            (_, None) => *current = None,
            _ => {}
        }
        Ok(current.clone())
    }

    fn cached(&self) -> Option<CodexTokens> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

fn credentials(tokens: &CodexTokens) -> (Secret, String) {
    (
        tokens.access_token.clone(),
        tokens.account.account_id.clone(),
    )
}

enum Refusal {
    Permanent(String),
    Transient(String),
}

/// The sign-in server's refusal, permanent or not.
fn classify(status: u16, answer: &serde_json::Value) -> Refusal {
    let code = answer["error"]["code"]
        .as_str()
        .or(answer["error"].as_str())
        .or(answer["code"].as_str())
        .unwrap_or("");
    let again = "sign in again from ClawBox (clawbox-gateway login codex)";
    let message = match code {
        "refresh_token_expired" => format!("Your ChatGPT sign-in has expired: {again}."),
        "refresh_token_reused" => format!(
            "Your ChatGPT sign-in was used by another program and is no longer valid: {again}."
        ),
        "refresh_token_invalidated" => {
            format!("Your ChatGPT sign-in was revoked (signed out elsewhere): {again}.")
        }
        "invalid_grant" => format!("Your ChatGPT sign-in is no longer valid: {again}."),
        _ if status == 401 => format!("ChatGPT no longer accepts this sign-in: {again}."),
        _ => return Refusal::Transient(format!("the sign-in server answered {status}")),
    };
    Refusal::Permanent(message)
}

/// What signing out did.
pub struct LoggedOut {
    pub account: CodexAccount,
    /// Whether OpenAI confirmed the revocation (the local copy is deleted either way).
    pub revoked: bool,
}

/// Signs out: revokes the refresh token at the issuer and deletes the stored bundle. `None`
/// when no account was signed in. A keychain that cannot be read is an error, not "signed out".
pub async fn logout(
    store: Arc<dyn SecretStore>,
    endpoints: &CodexEndpoints,
) -> Result<Option<LoggedOut>, AuthError> {
    let read = Arc::clone(&store);
    let loaded = tokio::task::spawn_blocking(move || CodexTokens::load(read.as_ref()))
        .await
        .map_err(|e| AuthError::Config(e.to_string()))?;
    let tokens = match loaded {
        Ok(Some(tokens)) => tokens,
        Ok(None) => return Ok(None),
        // Unreadable: nothing to revoke with, but it must not stay behind.
        Err(AuthError::Corrupt { .. }) => {
            delete(store).await?;
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    let body = serde_json::json!({
        "token": tokens.refresh_token.expose(),
        "token_type_hint": "refresh_token",
        "client_id": CLIENT_ID,
    });
    let revoked = match oauth_http_client()?
        .post(endpoints.revoke_url())
        .timeout(Duration::from_secs(10))
        .json(&body)
        .send()
        .await
    {
        Ok(response) if response.status().is_success() => true,
        Ok(response) => {
            tracing::warn!(status = %response.status(), "OpenAI did not confirm the revocation");
            false
        }
        Err(e) => {
            tracing::warn!(error = %e, "could not reach OpenAI to revoke the sign-in");
            false
        }
    };
    delete(store).await?;
    Ok(Some(LoggedOut {
        account: tokens.account,
        revoked,
    }))
}

async fn delete(store: Arc<dyn SecretStore>) -> Result<(), AuthError> {
    tokio::task::spawn_blocking(move || store.delete(super::TOKENS_ITEM))
        .await
        .map_err(|e| AuthError::Config(e.to_string()))?
}

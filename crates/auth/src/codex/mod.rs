//! "Sign in with ChatGPT": OpenAI's public Codex client, so a ChatGPT plan pays for the agent's
//! calls (the seed's Phase 2, `auth_mode = codex`).
//!
//! - login.rs: PKCE S256 + 32-byte state, the system browser, a one-shot loopback listener on
//!   `localhost:1455` (1457 if taken: OpenAI accepts only those), the code exchange through a
//!   client that follows no redirects.
//! - tokens.rs: the token bundle as stored in the keychain (one item, split if large), and what
//!   its id_token says (account id, plan, email).
//! - session.rs: the serving side: early refresh, refresh once on a 401, single-flight, rotated
//!   refresh token saved before the new access token is used, permanent failures → "sign in
//!   again".
//! - sign_in.rs: sign in and out as the command line and the app both do it (the flow, then
//!   revoking the previous sign-in and saving the new one).

mod login;
mod session;
mod sign_in;
mod tokens;

pub use login::{CodexLogin, open_in_browser};
pub use session::{CodexSession, LoggedOut, SessionError, logout};
pub use sign_in::{SIGN_IN_TIMEOUT, sign_in_chatgpt, sign_out_chatgpt};
pub use tokens::{CodexAccount, CodexTokens};

use url::Url;

/// OpenAI's public Codex CLI client (a PKCE client: there is no secret).
pub const CLIENT_ID: &str = "app_EMoamEEZ73f0CkXaXp7hrann";
pub const DEFAULT_ISSUER: &str = "https://auth.openai.com";
pub const DEFAULT_BACKEND: &str = "https://chatgpt.com";
/// The only redirect ports OpenAI accepts for this client, in order of preference.
pub const CALLBACK_PORTS: [u16; 2] = [1455, 1457];
/// The keychain item holding the token bundle.
pub const TOKENS_ITEM: &str = "codex-oauth";

/// Where the OAuth server and the Codex backend are. Overridable for tests only
/// (`CLAWBOX_CODEX_ISSUER`, `CLAWBOX_CODEX_BACKEND_URL`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodexEndpoints {
    pub issuer: Url,
    pub backend: Url,
}

impl CodexEndpoints {
    /// The shipped endpoints, or the test overrides from the environment.
    pub fn from_env() -> Result<Self, crate::AuthError> {
        let read = |var: &str, default: &str| -> Result<Url, crate::AuthError> {
            let Ok(value) = std::env::var(var) else {
                return Url::parse(default)
                    .map_err(|e| crate::AuthError::Config(format!("{default}: {e}")));
            };
            let url = Url::parse(value.trim_end_matches('/'))
                .map_err(|e| crate::AuthError::Config(format!("{var} is not a URL: {e}")))?;
            // Tokens go wherever this points: only TLS, or this machine (a test stand-in).
            let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
            if url.scheme() != "https" && !loopback {
                return Err(crate::AuthError::Config(format!(
                    "{var} must be an https:// address (or a loopback one for tests)"
                )));
            }
            tracing::warn!(
                "{var} is set: ChatGPT sign-in talks to {url}, not OpenAI (a test setting)"
            );
            Ok(url)
        };
        Ok(Self {
            issuer: read("CLAWBOX_CODEX_ISSUER", DEFAULT_ISSUER)?,
            backend: read("CLAWBOX_CODEX_BACKEND_URL", DEFAULT_BACKEND)?,
        })
    }

    pub fn authorize_url(&self) -> String {
        format!("{}/oauth/authorize", origin(&self.issuer))
    }
    pub fn token_url(&self) -> String {
        format!("{}/oauth/token", origin(&self.issuer))
    }
    pub fn revoke_url(&self) -> String {
        format!("{}/oauth/revoke", origin(&self.issuer))
    }
    pub fn responses_url(&self) -> String {
        format!("{}/backend-api/codex/responses", origin(&self.backend))
    }
    /// The plan's usage windows (what the Codex CLI's `/status` shows).
    pub fn usage_url(&self) -> String {
        format!("{}/backend-api/wham/usage", origin(&self.backend))
    }
}

fn origin(url: &Url) -> &str {
    url.as_str().trim_end_matches('/')
}

/// An HTTP client for the OAuth server: it follows no redirects (a redirect must never carry a
/// code or token somewhere else) and honours the proxy environment like the gateway.
pub fn oauth_http_client() -> Result<reqwest::Client, crate::AuthError> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .map_err(|e| crate::AuthError::Config(format!("cannot set up HTTPS: {e}")))
}

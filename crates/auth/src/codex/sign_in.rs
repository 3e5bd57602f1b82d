//! Signing in and out of ChatGPT, for the command line and the app alike: the same flow and
//! the same keychain entry. (Recording `auth_mode = codex` afterwards is the settings' business:
//! `clawbox_gateway::config::use_auth_mode`.)

use std::sync::Arc;
use std::time::Duration;

use crate::SecretStore;
use crate::codex::{CodexAccount, CodexEndpoints, CodexLogin, LoggedOut, logout};

/// How long the browser has to come back.
pub const SIGN_IN_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// Signs in with ChatGPT: binds the loopback callback, hands the URL to `show` (which opens the
/// system browser, or prints it), waits for the callback, revokes any previous sign-in and saves
/// the new one.
pub async fn sign_in_chatgpt(
    store: Arc<dyn SecretStore>,
    endpoints: &CodexEndpoints,
    show: impl FnOnce(&str),
) -> Result<CodexAccount, String> {
    let login = CodexLogin::start(endpoints.clone())
        .await
        .map_err(|e| e.to_string())?;
    show(&login.url);
    let tokens = login
        .finish(SIGN_IN_TIMEOUT)
        .await
        .map_err(|e| e.to_string())?;
    let account = tokens.account.clone();
    // A previous sign-in is revoked, not just overwritten (as the Codex CLI does).
    if let Err(e) = logout(Arc::clone(&store), endpoints).await {
        tracing::warn!(error = %e, "could not revoke the previous ChatGPT sign-in");
    }
    tokio::task::spawn_blocking(move || tokens.save(store.as_ref()))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    Ok(account)
}

/// Signs out: revokes and deletes the stored sign-in (`None` when nobody was signed in).
pub async fn sign_out_chatgpt(
    store: Arc<dyn SecretStore>,
    endpoints: &CodexEndpoints,
) -> Result<Option<LoggedOut>, String> {
    logout(store, endpoints).await.map_err(|e| e.to_string())
}

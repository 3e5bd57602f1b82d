//! Stage 5, authorize: decide which credential travels upstream.
//!
//! A caller's own provider key passes through untouched (BYOK). A ClawBox local key is checked
//! (constant time) and exchanged for the key saved in the keychain for that upstream; it never
//! leaves this machine itself.

use std::sync::Arc;

use clawbox_auth::codex::{CodexSession, SessionError};
use clawbox_auth::{Credentials, KeychainState, Provider, Secret};

use crate::Error;
use crate::config::{AuthMode, Config, Mode};
use crate::dialect::Dialect;
use crate::stages::{Caller, Credential, Route, Upstream};

/// What happens to the caller's credential headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attach {
    /// The caller's own provider key goes upstream untouched (BYOK).
    PassThrough,
    /// Nothing of the caller's credential goes upstream.
    Strip,
    /// The caller's credential is replaced by this saved key.
    Saved(Secret),
    /// The signed-in ChatGPT account's access token, for the Codex backend.
    ChatGpt { token: Secret, account_id: String },
}

pub async fn authorize(
    route: &Route,
    caller: &Caller,
    config: &Config,
    dialect: Dialect,
    credentials: &Arc<Credentials>,
    chatgpt: Option<&Arc<CodexSession>>,
) -> Result<Attach, Error> {
    let provider = route.upstream.display_name();
    if config.allow_remote && !matches!(caller.credential, Credential::LocalKey(_)) {
        // Reachable from other machines: only holders of the local key may use it at all.
        return Err(Error::LocalKeyRequired);
    }
    match (&caller.credential, config.mode) {
        (Credential::Provider, _) => Ok(Attach::PassThrough),
        (_, Mode::Local) if route.upstream == Upstream::Ollama => Ok(Attach::Strip),
        // A named provider that takes no key gets none (and is billed as local).
        (Credential::None, Mode::Local) if route.upstream.takes_no_key() => Ok(Attach::Strip),
        (Credential::LocalKey(presented), Mode::Local) if route.upstream.takes_no_key() => {
            check_local_key(credentials, presented).await?;
            Ok(Attach::Strip)
        }
        // The hosted gateway resolves the user's own credential by X-User-ID.
        (Credential::None, Mode::Hosted) => Ok(Attach::Strip),
        (Credential::None, Mode::Local) => Err(Error::MissingCredential {
            provider,
            env_var: if route.upstream.takes_x_api_key() {
                "ANTHROPIC_API_KEY"
            } else {
                "OPENAI_API_KEY"
            },
        }),
        (Credential::LocalKey(presented), _) if route.upstream == Upstream::Codex => {
            check_local_key(credentials, presented).await?;
            let session = chatgpt.ok_or(Error::ChatGpt(SessionError::NotSignedIn))?;
            let (token, account_id) = session.access().await.map_err(Error::ChatGpt)?;
            Ok(Attach::ChatGpt { token, account_id })
        }
        (Credential::LocalKey(presented), _) if matches!(route.upstream, Upstream::Named(_)) => {
            check_local_key(credentials, presented).await?;
            let id = crate::providers::key_id(provider, &route.base);
            named_key(credentials, id)
                .await
                .map(Attach::Saved)
                .ok_or(Error::NoSavedCredential {
                    provider,
                    key_name: provider,
                })
        }
        (Credential::LocalKey(presented), mode) => {
            check_local_key(credentials, presented).await?;
            let wanted = match (route.upstream, dialect) {
                (Upstream::Anthropic, _) | (Upstream::Hosted, Dialect::Anthropic) => {
                    Provider::Anthropic
                }
                _ => Provider::OpenAi,
            };
            match (saved_key(credentials, wanted).await, mode) {
                (Some(key), _) => Ok(Attach::Saved(key)),
                // Hosted: nothing saved is fine, the hosted gateway has the user's credential.
                (None, Mode::Hosted) => Ok(Attach::Strip),
                // Signed in with ChatGPT, but this endpoint (embeddings, …) needs an API key.
                (None, Mode::Local) if config.auth_mode == AuthMode::Codex => {
                    Err(Error::ChatGptCannotServe {
                        path: route.path.clone(),
                    })
                }
                (None, Mode::Local) => Err(Error::NoSavedCredential {
                    provider,
                    key_name: wanted.name(),
                }),
            }
        }
    }
}

/// Before anything is answered from ClawBox's own state (kept conversations): a caller from
/// another machine must hold the local key, and a local key must be the current one — a `cbx_`
/// prefix alone proves nothing.
pub async fn verify_caller(
    credentials: &Arc<Credentials>,
    config: &Config,
    caller: &Caller,
) -> Result<(), Error> {
    match &caller.credential {
        Credential::LocalKey(presented) => check_local_key(credentials, presented).await,
        _ if config.allow_remote => Err(Error::LocalKeyRequired),
        _ => Ok(()),
    }
}

/// The cached key answers at once; only a mismatch re-reads the keychain, off the async workers.
pub(super) async fn check_local_key(
    credentials: &Arc<Credentials>,
    presented: &Secret,
) -> Result<(), Error> {
    if let KeychainState::Unavailable(reason) = credentials.state()
        && credentials.local_key().is_none()
    {
        return Err(Error::KeychainUnavailable { reason });
    }
    if credentials.local_key_matches_cached(presented.expose()) {
        return Ok(());
    }
    let (credentials, presented) = (Arc::clone(credentials), presented.clone());
    let valid =
        tokio::task::spawn_blocking(move || credentials.check_local_key(presented.expose()))
            .await
            .unwrap_or(false);
    if valid {
        Ok(())
    } else {
        Err(Error::WrongLocalKey)
    }
}

pub(super) async fn saved_key(
    credentials: &Arc<Credentials>,
    provider: Provider,
) -> Option<Secret> {
    if let Some(key) = credentials.cached_provider_key(provider) {
        return Some(key);
    }
    let credentials = Arc::clone(credentials);
    tokio::task::spawn_blocking(move || credentials.provider_key(provider))
        .await
        .ok()
        .flatten()
}

/// The saved key of a named provider (by key id), re-reading the store off the async workers on
/// a miss.
pub(crate) async fn named_key(credentials: &Arc<Credentials>, id: String) -> Option<Secret> {
    if let Some(key) = credentials.cached_named_key(&id) {
        return Some(key);
    }
    let credentials = Arc::clone(credentials);
    tokio::task::spawn_blocking(move || credentials.named_key(&id))
        .await
        .ok()
        .flatten()
}

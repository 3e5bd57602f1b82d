//! Stage 5, authorize: decide which credential travels upstream.

use crate::Error;
use crate::config::{Config, Mode};
use crate::stages::{Caller, Credential, Route, Upstream};

/// What happens to the caller's credential headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attach {
    /// The caller's own provider key goes upstream untouched (BYOK).
    PassThrough,
    /// Nothing of the caller's credential goes upstream.
    Strip,
}

pub fn authorize(route: &Route, caller: &Caller, config: &Config) -> Result<Attach, Error> {
    let provider = route.upstream.display_name();
    match (&caller.credential, config.mode) {
        (Credential::Provider, _) => Ok(Attach::PassThrough),
        // The hosted gateway resolves the user's own credential by X-User-ID; a local key is
        // meaningless off this machine and is never sent there.
        (Credential::LocalKey | Credential::None, Mode::Hosted) => Ok(Attach::Strip),
        (_, Mode::Local) if route.upstream == Upstream::Ollama => Ok(Attach::Strip),
        (Credential::LocalKey, Mode::Local) => Err(Error::NoSavedCredential { provider }),
        (Credential::None, Mode::Local) => Err(Error::MissingCredential {
            provider,
            env_var: match route.upstream {
                Upstream::Anthropic => "ANTHROPIC_API_KEY",
                _ => "OPENAI_API_KEY",
            },
        }),
    }
}

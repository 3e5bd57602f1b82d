//! The credential crate's one error type. Messages say what to do; none contains a secret.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error(
        "the system keychain is not available ({0}). On Linux ClawBox needs a Secret Service \
         (GNOME Keyring or KWallet) in a desktop session; on a server without one, set \
         CLAWBOX_SECRET_STORE=file to keep secrets in a private file instead"
    )]
    KeychainUnavailable(String),
    #[error("the system keychain is locked ({0}): unlock it (log in to the desktop) and try again")]
    KeychainLocked(String),
    #[error("the system keychain refused the request: {0}")]
    Keychain(String),
    #[error("the stored secret `{name}` is damaged ({reason}); save it again")]
    Corrupt { name: String, reason: String },
    #[error("the secrets file {path} is unusable: {reason}")]
    File { path: String, reason: String },
    #[error("unknown secret store `{0}`: use keychain or file")]
    UnknownStore(String),
    #[error("{0}")]
    Config(String),
    #[error("sign-in with ChatGPT failed: {0}")]
    SignIn(String),
}

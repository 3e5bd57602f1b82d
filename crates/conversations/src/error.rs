//! The one error type of this crate.

#[derive(Debug, thiserror::Error)]
pub enum ConversationError {
    #[error("the conversation store {path} cannot be used: {reason}")]
    Open { path: String, reason: String },
    #[error("the conversation store failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A sealed row that does not open with this key (another key, or changed on disk).
    #[error(
        "a kept conversation could not be decrypted (its key changed, or the file was altered)"
    )]
    Sealed,
    #[error("the conversation key is not usable: {0}")]
    Key(String),
    #[error("a kept item is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
}

//! The configurators' one error: which file, and what went wrong with it in words for people
//! (nothing is ever half-written: every error leaves the file as it was).

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct Error {
    pub path: PathBuf,
    pub message: String,
}

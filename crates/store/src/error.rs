//! The store's one error type.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the usage database {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error(
        "the usage database {path} was written by a newer version of ClawBox \
         (schema version {found}, this version knows {known}); update ClawBox, \
         or move that file aside to start a new log"
    )]
    TooNew {
        path: PathBuf,
        found: usize,
        known: usize,
    },
    #[error("cannot prepare the usage database {path}: {message}")]
    Migrate { path: PathBuf, message: String },
    #[error("usage database query failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{0}")]
    BadQuery(String),
    #[error("cannot write the export: {0}")]
    Export(String),
    #[error("cannot start the request-log writer thread: {0}")]
    Thread(#[source] std::io::Error),
}

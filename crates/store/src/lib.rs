//! ClawBox's usage store: one SQLite file (`clawbox.db`, WAL) holding the request log.
//!
//! Layout:
//! - [`database`] opens the file, sets its pragmas and applies the embedded migrations
//!   (`migrations/NN-name/up.sql` at the repository root), refusing a database written by a newer
//!   ClawBox.
//! - [`RequestRow`] is one logged request; [`RequestLogWriter`] owns a thread that writes rows in
//!   batched transactions, so no SQLite work happens on a request's critical path.
//! - [`usage`] holds the read queries (monthly counts for the cap, summaries).
//! - The writer also keeps per-minute rollups ([`rollup`]) that [`dashboard`] reads, so the
//!   dashboard costs the same at any log size; [`log`] pages and exports the rows themselves;
//!   [`maintenance`] applies retention and clears history; [`cost`] sums what requests cost
//!   from the hourly cost rollup.
//!
//! The schema mirrors the hosted gateway's D1 database (`requests`, `user_summary`,
//! `monthly_usage`), so rows from both can be compared.

pub mod cost;
pub mod dashboard;
pub mod database;
mod error;
pub mod log;
pub mod maintenance;
pub mod rollup;
mod row;
pub mod usage;
mod writer;

pub use database::open;
pub use error::StoreError;
pub use row::{RequestRow, TokensSource, billing};
pub use rusqlite::Connection;
pub use writer::{RequestLogWriter, WriterStatus};

/// The database's file name inside ClawBox's data directory.
pub const DATABASE_FILE: &str = "clawbox.db";

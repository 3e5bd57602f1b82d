//! `GET /health`: alive, and whether anything needs the user's attention.

use serde::Serialize;

/// The `/health` body (a contract: monitors and the app read it).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Health {
    /// `ok`, or `degraded` when `problems` is not empty (still 200: the gateway is alive).
    pub status: &'static str,
    pub gateway: &'static str,
    pub mode: &'static str,
    pub version: &'static str,
    /// Plain-language reasons, each with what to do.
    pub problems: Vec<String>,
}

impl Health {
    pub fn new(mode: &'static str, problems: Vec<String>) -> Self {
        Self {
            status: if problems.is_empty() {
                "ok"
            } else {
                "degraded"
            },
            gateway: "clawbox",
            mode,
            version: env!("CARGO_PKG_VERSION"),
            problems,
        }
    }
}

//! The `clawbox-gateway` binary end to end: serving, settings and exit codes, keys and sign-in,
//! the configurators, doctor and provisioning, against the testkit's fakes.
#![allow(
    clippy::unwrap_used,
    reason = "a test helper that fails should fail loudly"
)]

mod agent;
mod cli;
mod cli_accounts;
mod connect;
mod conversations;
mod doctor;
mod providers;
mod provision;
mod usage;

//! The agents engine against real ACP agents from npm (claude-code-acp and codex-acp, installed
//! by `make test` into tests/agents) driving a real gateway in front of the testkit's fakes,
//! and against a hostile stand-in agent that breaks the protocol on purpose.
#![allow(
    clippy::unwrap_used,
    reason = "a test helper that fails should fail loudly"
)]

mod harness;
mod hostile;
mod real_agents;

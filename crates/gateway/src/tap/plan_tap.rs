//! The ChatGPT plan's `codex.rate_limits` event, read as it passes.

use crate::codex::plan::{self, PlanLimits};

/// The ChatGPT plan's `codex.rate_limits` event: read for ClawBox, and kept from clients other
/// than Codex (an SDK fails on an event type it does not know).
#[derive(Debug, Default)]
pub struct PlanTap {
    /// Read the event (a ChatGPT answer); otherwise it is an ordinary event.
    read: bool,
    /// Drop it from what the client receives.
    pub(super) hide: bool,
    pub(super) found: Option<PlanLimits>,
}

impl PlanTap {
    /// For a ChatGPT answer; `hide` for a client that is not Codex.
    pub fn chatgpt(hide: bool) -> PlanTap {
        PlanTap {
            read: true,
            hide,
            found: None,
        }
    }

    /// Reads `data` if it is the plan event; returns whether the client should see it.
    pub(super) fn pass(&mut self, data: &[u8]) -> bool {
        if !self.read || !plan::mentions_plan(data) {
            return true;
        }
        match plan::from_event(data, crate::plan_board::now_secs()) {
            Some(limits) => {
                self.found = Some(limits);
                !self.hide
            }
            None => true,
        }
    }
}

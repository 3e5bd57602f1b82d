//! One SSE event at a time: read for its usage (and the plan's windows), and queued for the
//! client as it is, dropped, or translated.

use std::collections::VecDeque;

use bytes::Bytes;

use super::PlanTap;
use crate::codex::ChatStream;
use crate::conversations::Keeper;
use crate::local_responses::ResponsesStream;
use crate::sse;
use crate::usage::{self, Usage};

/// Meters one chat chunk of a local model server and queues the Responses events it makes.
pub(super) fn from_chat_event(
    event: &[u8],
    translator: &mut ResponsesStream,
    usage: &mut Option<Usage>,
    mut keeper: Option<&mut Keeper>,
    out: &mut VecDeque<Bytes>,
) {
    let Some(data) = sse::data(event) else { return };
    if usage::mentions_usage(&data)
        && let Some(found) = usage::read(&data).and_then(|r| r.usage)
    {
        usage.get_or_insert_default().merge(found);
    }
    let mut produced = VecDeque::new();
    translator.translate(&data, &mut produced);
    for event in produced {
        out.push_back(match keeper.as_deref_mut() {
            Some(keeper) => keeper.event(event),
            None => event,
        });
    }
}

/// Meters one ChatGPT event and queues its translation.
pub(super) fn translate_event(
    event: &[u8],
    translator: &mut ChatStream,
    usage: &mut Option<Usage>,
    plan: &mut PlanTap,
    out: &mut VecDeque<Bytes>,
) {
    let Some(data) = sse::data(event) else { return };
    if !plan.pass(&data) {
        return;
    }
    if usage::mentions_usage(&data)
        && let Some(found) = usage::read(&data).and_then(|r| r.usage)
    {
        usage.get_or_insert_default().merge(found);
    }
    translator.translate(&data, out);
}

/// Reads one event's usage into `usage` (and the plan's windows into `plan`); returns whether
/// the client should see the event.
pub(super) fn read_event(
    event: &[u8],
    usage: &mut Option<Usage>,
    hide_usage_chunk: bool,
    plan: &mut PlanTap,
) -> bool {
    let Some(data) = sse::data(event) else {
        return true;
    };
    if !plan.pass(&data) {
        return false;
    }
    if !usage::mentions_usage(&data) {
        return true;
    }
    let Some(reading) = usage::read(&data) else {
        return true;
    };
    let is_usage_chunk = reading.empty_choices && reading.usage.is_some();
    if let Some(found) = reading.usage {
        usage.get_or_insert_default().merge(found);
    }
    !(hide_usage_chunk && is_usage_chunk)
}

//! Reading token usage out of a response body as it passes: SSE events split without copying
//! (and the one usage chunk ClawBox asked for dropped), a JSON body kept (bounded) until it is
//! complete, ChatGPT's Responses events translated into chat-completion chunks on the way.

use std::collections::VecDeque;

use bytes::Bytes;

use crate::codex::ChatStream;
use crate::codex::plan::{self, PlanLimits};
use crate::conversations::Keeper;
use crate::local_responses::ResponsesStream;
use crate::sse::{self, EventSplitter};
use crate::usage::{self, Usage};

/// A JSON body larger than this is passed through without metering (and estimated instead).
const MAX_METERED_JSON: usize = 16 * 1024 * 1024;

/// The ChatGPT plan's `codex.rate_limits` event: read for ClawBox, and kept from clients other
/// than Codex (an SDK fails on an event type it does not know).
#[derive(Debug, Default)]
pub struct PlanTap {
    /// Read the event (a ChatGPT answer); otherwise it is an ordinary event.
    read: bool,
    /// Drop it from what the client receives.
    hide: bool,
    found: Option<PlanLimits>,
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
    fn pass(&mut self, data: &[u8]) -> bool {
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

/// How usage is read from a response body.
pub enum Tap {
    /// A JSON body: kept (bounded) and read once complete.
    Json { buffer: Vec<u8>, overflowed: bool },
    /// An event stream: each event that carries usage is read as it passes.
    Sse {
        splitter: EventSplitter,
        usage: Option<Usage>,
        hide_usage_chunk: bool,
        /// Events seen: the estimate when no usage is reported (a content event carries about
        /// one token; bytes would count the framing 30–50 times over).
        events: u64,
        plan: PlanTap,
        /// A Responses answer to keep (conversations/): ids rewritten event by event.
        keeper: Option<Box<Keeper>>,
    },
    /// ChatGPT's Responses events, translated into chat-completion chunks as they pass.
    Chat {
        splitter: EventSplitter,
        translator: Box<ChatStream>,
        usage: Option<Usage>,
        events: u64,
        plan: PlanTap,
    },
    /// A local model server's chat chunks, translated into the Responses events its client
    /// asked for (and kept, when the answer is a conversation's turn).
    FromChat {
        splitter: EventSplitter,
        translator: Box<ResponsesStream>,
        usage: Option<Usage>,
        events: u64,
        keeper: Option<Box<Keeper>>,
    },
    /// Anything else: counted, not read. `text`: a text answer, whose tokens are estimated from
    /// its size; binary ones (speech audio, a file's content) are not tokens at all.
    Opaque { text: bool },
}

impl Tap {
    pub fn for_content_type(content_type: &str, hide_usage_chunk: bool, plan: PlanTap) -> Tap {
        let ct = content_type.to_ascii_lowercase();
        if ct.starts_with("text/event-stream") {
            Tap::Sse {
                splitter: EventSplitter::default(),
                usage: None,
                hide_usage_chunk,
                events: 0,
                plan,
                keeper: None,
            }
        } else if ct.contains("json") {
            Tap::Json {
                buffer: Vec::new(),
                overflowed: false,
            }
        } else {
            Tap::Opaque {
                text: ct.starts_with("text/"),
            }
        }
    }

    /// Keeps the answer as a conversation's turn, if it is a stream (a JSON answer is kept whole,
    /// in meter.rs). Returns the keeper back when this tap cannot keep it.
    pub(crate) fn keep(&mut self, keeper: Keeper) -> Option<Keeper> {
        match self {
            Tap::Sse { keeper: slot, .. } | Tap::FromChat { keeper: slot, .. } => {
                *slot = Some(Box::new(keeper));
                None
            }
            _ => Some(keeper),
        }
    }

    pub fn responses_from_chat() -> Tap {
        Tap::FromChat {
            splitter: EventSplitter::default(),
            translator: Box::default(),
            usage: None,
            events: 0,
            keeper: None,
        }
    }

    pub fn chat_translation(include_usage: bool) -> Tap {
        Tap::Chat {
            splitter: EventSplitter::default(),
            translator: Box::new(ChatStream::new(include_usage)),
            usage: None,
            events: 0,
            plan: PlanTap::chatgpt(true),
        }
    }

    /// Whether the client receives the stream event by event as ClawBox rewrites it, rather
    /// than the upstream's bytes.
    pub fn rewrites(&self) -> bool {
        match self {
            Tap::Sse {
                hide_usage_chunk,
                plan,
                keeper,
                ..
            } => *hide_usage_chunk || plan.hide || keeper.is_some(),
            Tap::Chat { .. } | Tap::FromChat { .. } => true,
            Tap::Json { .. } | Tap::Opaque { .. } => false,
        }
    }

    /// The plan's usage windows the stream reported, if any.
    pub(crate) fn plan_found(&mut self) -> Option<PlanLimits> {
        match self {
            Tap::Sse { plan, .. } | Tap::Chat { plan, .. } => plan.found.take(),
            Tap::Json { .. } | Tap::Opaque { .. } | Tap::FromChat { .. } => None,
        }
    }

    pub fn is_stream(&self) -> bool {
        matches!(
            self,
            Tap::Sse { .. } | Tap::Chat { .. } | Tap::FromChat { .. }
        )
    }

    /// Takes one upstream chunk and queues what the client should receive.
    pub(crate) fn feed(&mut self, chunk: Bytes, out: &mut VecDeque<Bytes>) {
        match self {
            Tap::Json { buffer, overflowed } => {
                if !*overflowed {
                    if buffer.len() + chunk.len() > MAX_METERED_JSON {
                        *overflowed = true;
                        *buffer = Vec::new();
                    } else {
                        buffer.extend_from_slice(&chunk);
                    }
                }
                out.push_back(chunk);
            }
            Tap::Sse {
                splitter,
                usage,
                hide_usage_chunk,
                events,
                plan,
                keeper,
            } => {
                let by_event = *hide_usage_chunk || plan.hide || keeper.is_some();
                if !by_event {
                    // Nothing to remove: forward the chunk as it came, and only read it.
                    out.push_back(chunk.clone());
                }
                let hide = *hide_usage_chunk;
                splitter.feed(chunk, |event| {
                    *events += 1;
                    if read_event(&event, usage, hide, plan) && by_event {
                        out.push_back(match keeper {
                            Some(keeper) => keeper.event(event),
                            None => event,
                        });
                    }
                });
            }
            Tap::Chat {
                splitter,
                translator,
                usage,
                events,
                plan,
            } => splitter.feed(chunk, |event| {
                *events += 1;
                translate_event(&event, translator, usage, plan, out);
            }),
            Tap::FromChat {
                splitter,
                translator,
                usage,
                events,
                keeper,
            } => splitter.feed(chunk, |event| {
                *events += 1;
                from_chat_event(&event, translator, usage, keeper.as_deref_mut(), out);
            }),
            Tap::Opaque { .. } => out.push_back(chunk),
        }
    }

    /// The body ended: flush what is held and return the usage found.
    pub(crate) fn finish(&mut self, out: &mut VecDeque<Bytes>) -> Option<Usage> {
        match self {
            Tap::Json { buffer, overflowed } => {
                if *overflowed {
                    return None;
                }
                usage::read(buffer).and_then(|r| r.usage)
            }
            Tap::Sse {
                splitter,
                usage,
                hide_usage_chunk,
                plan,
                keeper,
                ..
            } => {
                let by_event = *hide_usage_chunk || plan.hide || keeper.is_some();
                if let Some(rest) = splitter.finish()
                    && read_event(&rest, usage, *hide_usage_chunk, plan)
                    && by_event
                {
                    out.push_back(match keeper {
                        Some(keeper) => keeper.event(rest),
                        None => rest,
                    });
                }
                if let Some(keeper) = keeper.take() {
                    keeper.finish();
                }
                *usage
            }
            Tap::Chat {
                splitter,
                translator,
                usage,
                plan,
                ..
            } => {
                if let Some(rest) = splitter.finish() {
                    translate_event(&rest, translator, usage, plan, out);
                }
                translator.finish(out);
                *usage
            }
            Tap::FromChat {
                splitter,
                translator,
                usage,
                keeper,
                ..
            } => {
                if let Some(rest) = splitter.finish() {
                    from_chat_event(&rest, translator, usage, keeper.as_deref_mut(), out);
                }
                let mut produced = VecDeque::new();
                translator.finish(&mut produced);
                for event in produced {
                    out.push_back(match keeper.as_deref_mut() {
                        Some(keeper) => keeper.event(event),
                        None => event,
                    });
                }
                if let Some(keeper) = keeper.take() {
                    keeper.finish();
                }
                *usage
            }
            Tap::Opaque { .. } => None,
        }
    }

    /// Usage reported so far, for a body cut short (a complete JSON body is needed to read one).
    pub(crate) fn usage_so_far(&self) -> Option<Usage> {
        match self {
            Tap::Sse { usage, .. } | Tap::Chat { usage, .. } | Tap::FromChat { usage, .. } => {
                *usage
            }
            Tap::Json { .. } | Tap::Opaque { .. } => None,
        }
    }

    /// The response's tokens when the provider reports none: events for a stream, about four
    /// bytes a token for anything else.
    pub(crate) fn estimate(&self, response_bytes: usize) -> u64 {
        match self {
            Tap::Sse { events, .. } | Tap::Chat { events, .. } | Tap::FromChat { events, .. } => {
                *events
            }
            Tap::Json { .. } | Tap::Opaque { text: true } => response_bytes.div_ceil(4) as u64,
            Tap::Opaque { text: false } => 0,
        }
    }
}

/// Meters one chat chunk of a local model server and queues the Responses events it makes.
fn from_chat_event(
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
fn translate_event(
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
fn read_event(
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

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    /// What a tap hands the client for `body` cut at `cuts`, and the usage it read.
    fn tap_through(mut tap: Tap, body: &[u8], cuts: &[usize]) -> (Vec<u8>, Option<Usage>) {
        let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (body.len() + 1)).collect();
        cuts.sort_unstable();
        let mut out = VecDeque::new();
        let mut from = 0;
        for cut in cuts.into_iter().chain([body.len()]) {
            tap.feed(Bytes::copy_from_slice(&body[from..cut]), &mut out);
            from = cut;
        }
        let usage = tap.finish(&mut out);
        (out.into_iter().flat_map(|b| b.to_vec()).collect(), usage)
    }

    fn chat_stream(pieces: &[String], usage: Option<(u64, u64)>) -> (Vec<u8>, Vec<u8>) {
        let mut body = String::new();
        for piece in pieces {
            let chunk = serde_json::json!({"object": "chat.completion.chunk",
                "choices": [{"index": 0, "delta": {"content": piece}}]});
            body.push_str(&format!("data: {chunk}\n\n"));
        }
        let mut usage_event = String::new();
        if let Some((input, output)) = usage {
            let chunk = serde_json::json!({"object": "chat.completion.chunk", "choices": [],
                "usage": {"prompt_tokens": input, "completion_tokens": output,
                          "total_tokens": input + output}});
            usage_event = format!("data: {chunk}\n\n");
        }
        let done = "data: [DONE]\n\n";
        let full = format!("{body}{usage_event}{done}").into_bytes();
        let without_usage = format!("{body}{done}").into_bytes();
        (full, without_usage)
    }

    proptest! {
        #[test]
        fn a_stream_passes_unchanged_and_its_usage_is_read_however_it_is_chunked(
            pieces in proptest::collection::vec("[ -~]{0,12}", 0..10),
            usage in proptest::option::of((0u64..1_000_000, 0u64..1_000_000)),
            cuts in proptest::collection::vec(any::<usize>(), 0..16),
        ) {
            let (body, _) = chat_stream(&pieces, usage);
            let tap = Tap::for_content_type("text/event-stream; charset=utf-8", false, PlanTap::default());
            let (out, read) = tap_through(tap, &body, &cuts);
            prop_assert_eq!(out, body);
            prop_assert_eq!(read.map(|u| (u.input, u.output)), usage.map(|(i, o)| (Some(i), Some(o))));
        }

        #[test]
        fn the_usage_chunk_clawbox_asked_for_is_hidden_and_still_read(
            pieces in proptest::collection::vec("[ -~]{0,12}", 0..10),
            usage in (0u64..1_000_000, 0u64..1_000_000),
            cuts in proptest::collection::vec(any::<usize>(), 0..16),
        ) {
            let (body, without_usage) = chat_stream(&pieces, Some(usage));
            let tap = Tap::for_content_type("text/event-stream", true, PlanTap::default());
            let (out, read) = tap_through(tap, &body, &cuts);
            prop_assert_eq!(out, without_usage);
            prop_assert_eq!(read.and_then(|u| u.total()), Some(usage.0 + usage.1));
        }

        #[test]
        fn a_json_answer_passes_unchanged_and_its_usage_is_read(
            input in 0u64..1_000_000,
            output in 0u64..1_000_000,
            text in "[ -~]{0,200}",
            cuts in proptest::collection::vec(any::<usize>(), 0..8),
        ) {
            let body = serde_json::json!({"id": "x", "choices": [{"message": {"content": text}}],
                "usage": {"prompt_tokens": input, "completion_tokens": output}}).to_string();
            let tap = Tap::for_content_type("application/json", false, PlanTap::default());
            let (out, read) = tap_through(tap, body.as_bytes(), &cuts);
            prop_assert_eq!(out, body.as_bytes());
            prop_assert_eq!(read.and_then(|u| u.total()), Some(input + output));
        }

        #[test]
        fn garbage_from_a_provider_passes_through_without_a_panic(
            body in proptest::collection::vec(any::<u8>(), 0..800),
            cuts in proptest::collection::vec(any::<usize>(), 0..8),
            hide in any::<bool>(),
            content_type in prop_oneof![Just("text/event-stream"), Just("application/json")],
        ) {
            let (out, _) = tap_through(Tap::for_content_type(content_type, hide, PlanTap::default()), &body, &cuts);
            if !hide {
                prop_assert_eq!(out, body);
            }
        }

        #[test]
        fn the_plan_event_is_read_and_kept_from_clients_other_than_codex(
            pieces in proptest::collection::vec("[ -~]{0,12}", 0..6),
            cuts in proptest::collection::vec(any::<usize>(), 0..16),
            hide in any::<bool>(),
        ) {
            let plan_event = "event: codex.rate_limits\ndata: {\"type\":\"codex.rate_limits\",\"rate_limits\":{\"primary\":{\"used_percent\":22.0,\"window_minutes\":300,\"reset_at\":1796000000}}}\n\n";
            let (body, _) = chat_stream(&pieces, None);
            let with_plan = [plan_event.as_bytes(), &body].concat();
            let tap = Tap::for_content_type("text/event-stream", false, PlanTap::chatgpt(hide));
            let mut tap = tap;
            let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (with_plan.len() + 1)).collect();
            cuts.sort_unstable();
            let mut out = VecDeque::new();
            let mut from = 0;
            for cut in cuts.into_iter().chain([with_plan.len()]) {
                tap.feed(Bytes::copy_from_slice(&with_plan[from..cut]), &mut out);
                from = cut;
            }
            tap.finish(&mut out);
            let out: Vec<u8> = out.into_iter().flat_map(|b| b.to_vec()).collect();
            prop_assert_eq!(out, if hide { body } else { with_plan });
            let found = tap.plan_found().unwrap();
            prop_assert_eq!(found.windows[0].window_minutes, 300);
        }

        #[test]
        fn a_translated_chatgpt_stream_never_panics_on_garbage(
            body in proptest::collection::vec(any::<u8>(), 0..800),
            cuts in proptest::collection::vec(any::<usize>(), 0..8),
        ) {
            let _ = tap_through(Tap::chat_translation(true), &body, &cuts);
        }
    }
}

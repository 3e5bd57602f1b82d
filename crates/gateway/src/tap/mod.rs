//! Reading token usage out of a response body as it passes: SSE events split without copying
//! (and the one usage chunk ClawBox asked for dropped), a JSON body kept (bounded) until it is
//! complete, ChatGPT's Responses events translated into chat-completion chunks on the way, a
//! local model server's chat chunks into Responses events. What each event is read for is in
//! events.rs; the ChatGPT plan's own event in plan_tap.rs.

use std::collections::VecDeque;

use bytes::Bytes;

mod events;
mod plan_tap;
#[cfg(test)]
mod properties;

pub use plan_tap::PlanTap;

use events::{from_chat_event, read_event, translate_event};

use crate::codex::ChatStream;
use crate::codex::plan::PlanLimits;
use crate::conversations::Keeper;
use crate::local_responses::ResponsesStream;
use crate::sse::EventSplitter;
use crate::usage::{self, Usage};

/// A JSON body larger than this is passed through without metering (and estimated instead).
const MAX_METERED_JSON: usize = 16 * 1024 * 1024;

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

//! Reading token usage out of provider responses, in every dialect ClawBox forwards:
//!
//! | where                                   | shape                                            |
//! |-----------------------------------------|--------------------------------------------------|
//! | chat completions / embeddings JSON      | `usage.{prompt,completion,total}_tokens`         |
//! | chat completions stream (last chunk)    | same, in a chunk whose `choices` is empty        |
//! | Responses JSON / `response.completed`   | `usage` / `response.usage.{input,output,total}_tokens` |
//! | Anthropic JSON / `message_start`        | `usage` / `message.usage.{input,output}_tokens` (+ cache) |
//! | Anthropic `message_delta`               | `usage.output_tokens` (cumulative)               |

use serde::Deserialize;
use serde::de::IgnoredAny;

/// Token counts as the provider reported them. Later reports in a stream refine earlier ones.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    pub input: Option<u64>,
    pub output: Option<u64>,
    pub total: Option<u64>,
}

impl Usage {
    pub fn merge(&mut self, later: Usage) {
        self.input = later.input.or(self.input);
        self.output = later.output.or(self.output);
        self.total = later.total.or(self.total);
    }

    /// The request's total: the provider's own total, else input + output.
    pub fn total(&self) -> Option<u64> {
        self.total.or(match (self.input, self.output) {
            (None, None) => None,
            (i, o) => Some(i.unwrap_or(0).saturating_add(o.unwrap_or(0))),
        })
    }
}

/// What one JSON document (a body, or one event's data) says about usage.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Reading {
    pub usage: Option<Usage>,
    /// `choices` is present and empty: the shape of the chat-completions usage chunk.
    pub empty_choices: bool,
}

#[derive(Deserialize)]
struct Envelope {
    usage: Option<RawUsage>,
    response: Option<Inner>,
    message: Option<Inner>,
    choices: Option<Vec<IgnoredAny>>,
}

#[derive(Deserialize)]
struct Inner {
    usage: Option<RawUsage>,
}

#[derive(Deserialize)]
struct RawUsage {
    prompt_tokens: Option<u64>,
    completion_tokens: Option<u64>,
    total_tokens: Option<u64>,
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    cache_creation_input_tokens: Option<u64>,
    cache_read_input_tokens: Option<u64>,
}

impl From<RawUsage> for Usage {
    fn from(raw: RawUsage) -> Self {
        // Anthropic counts cache reads and writes apart from `input_tokens`; OpenAI's cached
        // tokens are already inside `prompt_tokens`/`input_tokens`.
        let base = raw.prompt_tokens.or(raw.input_tokens);
        let cache = raw
            .cache_creation_input_tokens
            .into_iter()
            .chain(raw.cache_read_input_tokens)
            .reduce(u64::saturating_add);
        let input = match (base, cache) {
            (None, None) => None,
            (b, c) => Some(b.unwrap_or(0).saturating_add(c.unwrap_or(0))),
        };
        Usage {
            input,
            output: raw.completion_tokens.or(raw.output_tokens),
            total: raw.total_tokens,
        }
    }
}

/// Parses one JSON document. Returns `None` when it is not JSON (an HTML error page, say).
pub fn read(json: &[u8]) -> Option<Reading> {
    let envelope: Envelope = serde_json::from_slice(json).ok()?;
    let raw = envelope
        .usage
        .or_else(|| envelope.response.and_then(|r| r.usage))
        .or_else(|| envelope.message.and_then(|m| m.usage));
    Some(Reading {
        usage: raw.map(Usage::from),
        empty_choices: envelope.choices.is_some_and(|c| c.is_empty()),
    })
}

/// A cheap pre-check before parsing a stream event: does it contain `"usage"` followed by an
/// object (not `null`, which OpenAI sends on every chunk once usage is requested)?
pub fn mentions_usage(json: &[u8]) -> bool {
    let finder = memchr::memmem::Finder::new(b"\"usage\"");
    finder.find_iter(json).any(|at| {
        json[at + 7..]
            .iter()
            .copied()
            .filter(|b| !b.is_ascii_whitespace())
            .take(2)
            .eq([b':', b'{'])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_completion_body() {
        let r = read(br#"{"id":"x","choices":[{"index":0}],"usage":{"prompt_tokens":9,"completion_tokens":12,"total_tokens":21}}"#).unwrap();
        let u = r.usage.unwrap();
        assert_eq!(
            (u.input, u.output, u.total()),
            (Some(9), Some(12), Some(21))
        );
        assert!(!r.empty_choices);
    }

    #[test]
    fn chat_usage_chunk_has_empty_choices() {
        let r = read(br#"{"object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}"#).unwrap();
        assert!(r.empty_choices);
        assert_eq!(r.usage.unwrap().total(), Some(3));
    }

    #[test]
    fn responses_completed_event() {
        let r = read(br#"{"type":"response.completed","response":{"id":"r","usage":{"input_tokens":5,"output_tokens":7,"total_tokens":12}}}"#).unwrap();
        assert_eq!(r.usage.unwrap().total(), Some(12));
    }

    #[test]
    fn anthropic_stream_counts_cache_and_takes_the_final_output() {
        let mut u = Usage::default();
        u.merge(read(br#"{"type":"message_start","message":{"usage":{"input_tokens":10,"cache_read_input_tokens":100,"cache_creation_input_tokens":5,"output_tokens":1}}}"#).unwrap().usage.unwrap());
        u.merge(
            read(br#"{"type":"message_delta","delta":{},"usage":{"output_tokens":42}}"#)
                .unwrap()
                .usage
                .unwrap(),
        );
        assert_eq!(
            (u.input, u.output, u.total()),
            (Some(115), Some(42), Some(157))
        );
    }

    #[test]
    fn null_usage_is_not_mentioned() {
        assert!(!mentions_usage(
            br#"{"choices":[{"delta":{"content":"usage"}}],"usage":null}"#
        ));
        assert!(mentions_usage(br#"{"usage" : {"total_tokens":1}}"#));
        assert!(!mentions_usage(br#"{"x":"\"usage\""}"#));
    }

    #[test]
    fn not_json_is_none() {
        assert_eq!(read(b"<html>502</html>"), None);
    }
}

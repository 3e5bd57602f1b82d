//! Reading token usage out of provider responses, in every dialect ClawBox forwards:
//!
//! | where                                   | shape                                            |
//! |-----------------------------------------|--------------------------------------------------|
//! | chat completions / embeddings JSON      | `usage.{prompt,completion,total}_tokens`         |
//! | chat completions stream (last chunk)    | same, in a chunk whose `choices` is empty        |
//! | Responses JSON / `response.completed`   | `usage` / `response.usage.{input,output,total}_tokens` |
//! | Anthropic JSON / `message_start`        | `usage` / `message.usage.{input,output}_tokens` (+ cache) |
//! | Anthropic `message_delta`               | `usage.output_tokens` (cumulative)               |
//!
//! The parts: cached input (`prompt_tokens_details.cached_tokens`,
//! `input_tokens_details.cached_tokens`, Anthropic's `cache_read_input_tokens`), cache writes
//! (Anthropic's `cache_creation_input_tokens`) and reasoning (`completion_tokens_details` /
//! `output_tokens_details.reasoning_tokens`, inside the output count).

use serde::Deserialize;
use serde::de::IgnoredAny;

/// Token counts as the provider reported them. Later reports in a stream refine earlier ones.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    /// Every input token: cached reads and cache writes included, in every dialect.
    pub input: Option<u64>,
    pub output: Option<u64>,
    pub total: Option<u64>,
    /// Input tokens read from the provider's cache (inside `input`).
    pub cached: Option<u64>,
    /// Input tokens written to the cache (Anthropic; inside `input`).
    pub cache_write: Option<u64>,
    /// Reasoning tokens (inside `output`).
    pub reasoning: Option<u64>,
}

impl Usage {
    pub fn merge(&mut self, later: Usage) {
        self.input = later.input.or(self.input);
        self.output = later.output.or(self.output);
        self.total = later.total.or(self.total);
        self.cached = later.cached.or(self.cached);
        self.cache_write = later.cache_write.or(self.cache_write);
        self.reasoning = later.reasoning.or(self.reasoning);
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
    prompt_tokens_details: Option<Details>,
    /// The Realtime API spells it `input_token_details`.
    #[serde(alias = "input_token_details")]
    input_tokens_details: Option<Details>,
    completion_tokens_details: Option<Details>,
    #[serde(alias = "output_token_details")]
    output_tokens_details: Option<Details>,
}

/// `*_tokens_details`: OpenAI sends `null` or omits fields it has nothing for.
#[derive(Deserialize)]
struct Details {
    cached_tokens: Option<u64>,
    reasoning_tokens: Option<u64>,
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
        let input_details = raw.prompt_tokens_details.or(raw.input_tokens_details);
        let output_details = raw.completion_tokens_details.or(raw.output_tokens_details);
        Usage {
            input,
            output: raw.completion_tokens.or(raw.output_tokens),
            total: raw.total_tokens,
            cached: raw
                .cache_read_input_tokens
                .or(input_details.and_then(|d| d.cached_tokens)),
            cache_write: raw.cache_creation_input_tokens,
            reasoning: output_details.and_then(|d| d.reasoning_tokens),
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
    fn openai_details_give_cached_and_reasoning_tokens() {
        let chat = read(br#"{"choices":[],"usage":{"prompt_tokens":2006,"completion_tokens":300,"total_tokens":2306,"prompt_tokens_details":{"cached_tokens":1920,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":192}}}"#).unwrap().usage.unwrap();
        assert_eq!(
            (
                chat.input,
                chat.cached,
                chat.cache_write,
                chat.output,
                chat.reasoning
            ),
            (Some(2006), Some(1920), None, Some(300), Some(192))
        );
        let responses = read(br#"{"type":"response.completed","response":{"usage":{"input_tokens":50,"input_tokens_details":{"cached_tokens":40},"output_tokens":9,"output_tokens_details":{"reasoning_tokens":4},"total_tokens":59}}}"#).unwrap().usage.unwrap();
        assert_eq!(
            (
                responses.input,
                responses.cached,
                responses.output,
                responses.reasoning
            ),
            (Some(50), Some(40), Some(9), Some(4))
        );
        let nulls = read(br#"{"usage":{"prompt_tokens":1,"completion_tokens":1,"prompt_tokens_details":null,"completion_tokens_details":{"reasoning_tokens":null}}}"#).unwrap().usage.unwrap();
        assert_eq!((nulls.cached, nulls.reasoning), (None, None));
    }

    #[test]
    fn realtime_usage_spells_its_details_in_the_singular() {
        let u = read(br#"{"type":"response.done","response":{"usage":{"total_tokens":30,"input_tokens":12,"output_tokens":18,"input_token_details":{"cached_tokens":8,"text_tokens":4,"audio_tokens":8},"output_token_details":{"text_tokens":6,"audio_tokens":12}}}}"#).unwrap().usage.unwrap();
        assert_eq!((u.input, u.cached, u.output), (Some(12), Some(8), Some(18)));
    }

    #[test]
    fn anthropic_cache_parts_are_kept_apart_and_inside_the_input() {
        let u = read(br#"{"type":"message","usage":{"input_tokens":100,"cache_read_input_tokens":20000,"cache_creation_input_tokens":1000,"output_tokens":300}}"#).unwrap().usage.unwrap();
        assert_eq!(
            (u.input, u.cached, u.cache_write, u.output),
            (Some(21_100), Some(20_000), Some(1_000), Some(300))
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

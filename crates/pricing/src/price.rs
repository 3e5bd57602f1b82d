//! One model's prices and what a request's tokens cost at them.

use serde::{Deserialize, Serialize};

/// US dollars per 1M tokens. Cached input and cache writes cost the input price when the table
/// names no price of their own.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Price {
    pub input: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached_input: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_write: Option<f64>,
    pub output: f64,
}

/// A request's tokens, counted the way ClawBox records them: `input` is every input token,
/// cached reads and cache writes included (OpenAI counts cached tokens inside its input; ClawBox
/// adds Anthropic's cache reads and writes, which Anthropic counts apart, when it reads the
/// usage). Reasoning tokens are inside `output` and cost the output price.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tokens {
    pub input: u64,
    pub cached: u64,
    pub cache_write: u64,
    pub output: u64,
}

const PER: f64 = 1_000_000.0;

impl Price {
    /// The cost in US dollars of `tokens` at this price.
    pub fn cost(&self, tokens: &Tokens) -> f64 {
        // A provider that reports more cached than input tokens is believed about the cached ones.
        let fresh = tokens
            .input
            .saturating_sub(tokens.cached)
            .saturating_sub(tokens.cache_write);
        (fresh as f64 * self.input
            + tokens.cached as f64 * self.cached_input.unwrap_or(self.input)
            + tokens.cache_write as f64 * self.cache_write.unwrap_or(self.input)
            + tokens.output as f64 * self.output)
            / PER
    }

    /// Every price, for checking a setting: (name, value).
    pub(crate) fn fields(&self) -> [(&'static str, Option<f64>); 4] {
        [
            ("input", Some(self.input)),
            ("cached_input", self.cached_input),
            ("cache_write", self.cache_write),
            ("output", Some(self.output)),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn openai_cached_tokens_are_inside_the_input() {
        // gpt-4o: $2.50 in, $1.25 cached, $10 out. 10,000 input of which 8,000 cached, 500 out:
        // 2,000 × 2.50 + 8,000 × 1.25 + 500 × 10 = 5,000 + 10,000 + 5,000 = $0.02 per 1M → $0.02.
        let price = Price {
            input: 2.5,
            cached_input: Some(1.25),
            cache_write: None,
            output: 10.0,
        };
        let tokens = Tokens {
            input: 10_000,
            cached: 8_000,
            cache_write: 0,
            output: 500,
        };
        assert!(close(price.cost(&tokens), 0.02), "{}", price.cost(&tokens));
    }

    #[test]
    fn anthropic_cache_reads_and_writes_have_their_own_prices() {
        // claude-sonnet-4-5: $3 in, $0.30 cache read, $3.75 cache write, $15 out. Anthropic said
        // input_tokens 100, cache_read 20,000, cache_creation 1,000, output 300; ClawBox records
        // input 21,100. 100 × 3 + 20,000 × 0.3 + 1,000 × 3.75 + 300 × 15
        // = 300 + 6,000 + 3,750 + 4,500 = 14,550 per 1M → $0.01455.
        let price = Price {
            input: 3.0,
            cached_input: Some(0.3),
            cache_write: Some(3.75),
            output: 15.0,
        };
        let tokens = Tokens {
            input: 21_100,
            cached: 20_000,
            cache_write: 1_000,
            output: 300,
        };
        assert!(
            close(price.cost(&tokens), 0.01455),
            "{}",
            price.cost(&tokens)
        );
    }

    #[test]
    fn without_cache_prices_cached_tokens_cost_the_input_price() {
        let price = Price {
            input: 1.0,
            cached_input: None,
            cache_write: None,
            output: 2.0,
        };
        let tokens = Tokens {
            input: 1_000_000,
            cached: 400_000,
            cache_write: 100_000,
            output: 1_000_000,
        };
        assert!(close(price.cost(&tokens), 3.0));
    }

    #[test]
    fn more_cached_than_input_never_goes_negative() {
        let price = Price {
            input: 1.0,
            cached_input: Some(0.5),
            cache_write: None,
            output: 1.0,
        };
        let tokens = Tokens {
            input: 10,
            cached: 1_000_000,
            cache_write: 0,
            output: 0,
        };
        assert!(close(price.cost(&tokens), 0.5));
    }
}

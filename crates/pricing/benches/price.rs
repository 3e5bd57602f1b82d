//! What pricing adds to a request (`make bench`): finding a model's price and working out the
//! cost, for a name in the shipped table, a dated name, a prefix from settings and an unknown
//! model (every lookup missing), with twenty prices in settings. Prints one line per case.
#![allow(
    clippy::unwrap_used,
    clippy::print_stdout,
    clippy::cast_precision_loss,
    reason = "a benchmark reports, and fails loudly"
)]

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Instant;

use clawbox_pricing::{Price, PriceBook, Tokens};

const ROUNDS: u32 = 1_000_000;

fn main() {
    let mut settings = BTreeMap::new();
    for i in 0..10 {
        let price = Price {
            input: 1.0,
            cached_input: None,
            cache_write: None,
            output: 2.0,
        };
        settings.insert(format!("house-model-{i}"), price);
        settings.insert(format!("team-{i}-*"), price);
    }
    let book = PriceBook::new(&settings).unwrap();
    let tokens = Tokens {
        input: 21_100,
        cached: 20_000,
        cache_write: 1_000,
        output: 300,
    };
    // The table is parsed once, on first use (start-up, not a request).
    let started = Instant::now();
    black_box(book.price("gpt-4o"));
    println!(
        "pricing: the shipped table parsed once in {:.1} ms",
        started.elapsed().as_secs_f64() * 1e3
    );
    for (case, model) in [
        ("a model in the table", "claude-sonnet-4-5"),
        ("a dated name", "gpt-4o-2099-01-01"),
        ("a prefix from settings", "team-7-large"),
        ("an unknown model", "somebody/elses-model-2099"),
    ] {
        let started = Instant::now();
        let mut sum = 0.0;
        for _ in 0..ROUNDS {
            if let Some(priced) = book.price(black_box(model)) {
                sum += priced.price.cost(black_box(&tokens));
            }
        }
        black_box(sum);
        let ns = started.elapsed().as_nanos() as f64 / f64::from(ROUNDS);
        println!("pricing: price and cost of {case}: {ns:.0} ns per request");
    }
}

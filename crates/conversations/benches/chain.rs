//! What kept conversations cost (`make bench`): expanding a 50-turn chain (the lookups and
//! decryption a `previous_response_id` costs a request), keeping one turn (done off the request
//! path, like the request log's writer), and the file's size per 1,000 turns. Each turn is a
//! realistic agent turn: a user message, a reasoning item with its encrypted content, a function
//! call and its output, and an answer (about 3 KB of JSON).
#![allow(
    clippy::unwrap_used,
    clippy::print_stdout,
    clippy::cast_precision_loss,
    reason = "a benchmark reports, and fails loudly"
)]

use std::time::Instant;

use clawbox_conversations::{ConversationStore, Owner, StoredResponse, Vault};
use serde_json::json;

const TURNS: usize = 1_000;
const CHAIN: usize = 50;
const ROUNDS: usize = 200;

fn turn(i: usize) -> StoredResponse {
    let filler = "word ".repeat(60);
    StoredResponse {
        id: format!("resp_{i:08}"),
        parent: (!i.is_multiple_of(CHAIN)).then(|| format!("resp_{:08}", i - 1)),
        conversation: None,
        created_at: 1_800_000_000 + i as i64,
        instructions: Some(json!("You are a careful coding agent.")),
        input: vec![json!({"role": "user", "content": format!("turn {i}: {filler}")})],
        response: json!({"id": format!("resp_{i:08}"), "object": "response", "model": "gpt-5",
            "output": [
                {"type": "reasoning", "id": format!("rs_{i}"), "summary": [],
                 "encrypted_content": "gAAAA".repeat(200)},
                {"type": "function_call", "id": format!("fc_{i}"), "call_id": format!("call_{i}"),
                 "name": "read_file", "arguments": "{\"path\":\"src/main.rs\"}"},
                {"type": "message", "role": "assistant",
                 "content": [{"type": "output_text", "text": filler}]}
            ],
            "usage": {"input_tokens": 1200, "output_tokens": 300, "total_tokens": 1500}}),
    }
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("conversations.db");
    let store =
        ConversationStore::open(&path, Vault::from_key(&Vault::generate_key()).unwrap()).unwrap();
    let owner = Owner::local_key("anonymous");
    let turns: Vec<StoredResponse> = (0..TURNS).map(turn).collect();
    let plain: usize = turns
        .iter()
        .map(|t| serde_json::to_vec(t).unwrap().len())
        .sum();
    let started = Instant::now();
    for t in &turns {
        store.put_response(&owner, t).unwrap();
    }
    let per_turn = started.elapsed().as_secs_f64() * 1e6 / TURNS as f64;
    println!("conversations: keeping a turn: {per_turn:.0} µs (off the request path)");
    let size = store.stats().unwrap().bytes as f64;
    println!(
        "conversations: {:.2} MB per 1,000 turns on disk ({:.2} MB of JSON sealed)",
        size / 1e6 * (1_000.0 / TURNS as f64),
        plain as f64 / 1e6 * (1_000.0 / TURNS as f64)
    );
    let mut took = Vec::with_capacity(ROUNDS);
    for round in 0..ROUNDS {
        // The last turn of one of the 50-turn chains.
        let last = (round % (TURNS / CHAIN)) * CHAIN + CHAIN - 1;
        let started = Instant::now();
        let chain = store
            .chain(&owner, &format!("resp_{last:08}"), 100)
            .unwrap()
            .unwrap()
            .unwrap();
        took.push(started.elapsed().as_secs_f64() * 1e3);
        assert_eq!(chain.len(), CHAIN);
    }
    took.sort_by(f64::total_cmp);
    println!(
        "conversations: expanding a {CHAIN}-turn chain: {:.2} ms p50, {:.2} ms p99",
        took[ROUNDS / 2],
        took[ROUNDS * 99 / 100]
    );
}

//! `make bench`: ClawBox's own cost per agent event, and Send → first token with the real
//! agents against the fakes.
//!
//! 1. A stand-in agent (tests/fixtures/hostile_agent.py, `flood N`) writes N answer chunks as
//!    fast as it can, each carrying its send time; the figure is the time from the agent's write
//!    to the event reaching the caller (stdio, line check, ACP parsing, the event channel), and
//!    the events per second the engine keeps up with.
//! 2. Claude Code and Codex: Send → the first chunk of the answer, and → the end of the turn.
#![allow(
    clippy::unwrap_used,
    reason = "a benchmark that fails should fail loudly"
)]

#[path = "../tests/agents/harness.rs"]
#[allow(
    dead_code,
    reason = "shared with the tests; the benchmark uses part of it"
)]
mod harness;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clawbox_agents::{AgentEvent, Approval, CustomAgent};
use harness::Setup;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile_agent.py");
    let custom = CustomAgent {
        name: "flood".into(),
        command: "python3".into(),
        args: vec![script.display().to_string()],
        env: Default::default(),
    };
    let setup = Setup::with_custom(vec![custom]).await;

    let (agent, mut events, _) = setup.open("flood", Approval::None).await;
    let count = 20_000;
    // Flat out (twice: the first warms up), then at 1,000 events/s as an agent streaming fast.
    for (round, prompt) in [
        format!("flood {count}"),
        format!("flood {count}"),
        "pace 5000 1000".to_owned(),
    ]
    .into_iter()
    .enumerate()
    {
        let started = Instant::now();
        agent.prompt(prompt.clone()).unwrap();
        let mut delays = Vec::with_capacity(count);
        loop {
            match events.next().await {
                AgentEvent::Message { text } => {
                    let now = SystemTime::now()
                        .duration_since(UNIX_EPOCH)
                        .unwrap()
                        .as_nanos() as f64;
                    let sent: f64 = text.trim().parse().unwrap_or(now);
                    delays.push((now - sent) / 1e6);
                }
                AgentEvent::TurnEnded { .. } => break,
                _ => {}
            }
        }
        let elapsed = started.elapsed().as_secs_f64();
        delays.sort_by(f64::total_cmp);
        if round > 0 {
            println!(
                "agent events ({prompt}): {} in {elapsed:.2} s = {:.0}/s; agent write → event: p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
                delays.len(),
                delays.len() as f64 / elapsed,
                percentile(&delays, 0.5),
                percentile(&delays, 0.99),
                delays.last().copied().unwrap_or_default(),
            );
        }
    }
    agent.close().await;

    for name in ["claude", "codex"] {
        let (agent, mut events, _) = setup.open(name, Approval::None).await;
        let (mut first, mut whole) = (Vec::new(), Vec::new());
        for _ in 0..5 {
            let sent = Instant::now();
            agent.prompt("Say hello").unwrap();
            let mut first_token = None;
            loop {
                match events.next().await {
                    AgentEvent::Message { .. } if first_token.is_none() => {
                        first_token = Some(sent.elapsed())
                    }
                    AgentEvent::TurnEnded { .. } => break,
                    _ => {}
                }
            }
            first.push(first_token.unwrap_or_default());
            whole.push(sent.elapsed());
        }
        let median = |times: &mut Vec<Duration>| {
            times.sort();
            times[times.len() / 2].as_secs_f64() * 1e3
        };
        println!(
            "{name}: Send → first token {:.0} ms, → turn ended {:.0} ms (median of 5, fakes answering at once)",
            median(&mut first),
            median(&mut whole)
        );
        agent.close().await;
    }
}

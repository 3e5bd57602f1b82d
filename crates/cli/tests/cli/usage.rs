//! `clawbox-gateway usage` against a request log with known rows: the sums, the splits, the
//! range, the JSON shape and the table a person reads.

use std::process::Command;

use clawbox_store::{RequestLogWriter, RequestRow, TokensSource, billing};
use serde_json::Value;

use crate::cli::BIN;

struct Known {
    hours_ago: i64,
    user: &'static str,
    model: &'static str,
    client: Option<&'static str>,
    billing: &'static str,
    tokens: u64,
    cost: Option<f64>,
}

const ROWS: [Known; 6] = [
    Known {
        hours_ago: 1,
        user: "alice",
        model: "gpt-4o",
        client: None,
        billing: billing::API,
        tokens: 1000,
        cost: Some(0.5),
    },
    Known {
        hours_ago: 2,
        user: "bob",
        model: "gpt-4o",
        client: Some("codex-acp"),
        billing: billing::API,
        tokens: 500,
        cost: Some(0.25),
    },
    Known {
        hours_ago: 3,
        user: "alice",
        model: "gpt-5",
        client: Some("codex-acp"),
        billing: billing::PLAN,
        tokens: 300,
        cost: Some(0.125),
    },
    Known {
        hours_ago: 4,
        user: "alice",
        model: "llama3.2",
        client: None,
        billing: billing::LOCAL,
        tokens: 200,
        cost: Some(0.0),
    },
    Known {
        hours_ago: 5,
        user: "bob",
        model: "mystery-model",
        client: None,
        billing: billing::API,
        tokens: 100,
        cost: None,
    },
    // Outside the default 30 days.
    Known {
        hours_ago: 40 * 24,
        user: "alice",
        model: "gpt-4o",
        client: None,
        billing: billing::API,
        tokens: 9000,
        cost: Some(9.0),
    },
];

fn known_log() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(clawbox_store::DATABASE_FILE);
    drop(clawbox_store::open(&path).unwrap());
    let writer = RequestLogWriter::start(&path, 100).unwrap();
    let now = time::OffsetDateTime::now_utc();
    for (i, k) in ROWS.iter().enumerate() {
        let at = now - time::Duration::hours(k.hours_ago);
        assert!(
            writer.enqueue(RequestRow {
                id: format!("row-{i}"),
                user_id: k.user.into(),
                endpoint: "/v1/chat/completions".into(),
                method: "POST".into(),
                status: 200,
                tokens_est: k.tokens,
                tokens_source: TokensSource::Reported,
                created_at: at
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap(),
                model: Some(k.model.into()),
                mode: "local",
                admitted: true,
                client: k.client.map(str::to_owned),
                cost_usd: k.cost,
                billing: Some(k.billing),
                ..RequestRow::default()
            })
        );
    }
    writer.close();
    dir
}

fn usage(dir: &tempfile::TempDir, args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .arg("usage")
        .args(args)
        .env("CLAWBOX_DATA_DIR", dir.path())
        .output()
        .unwrap()
}

fn json(dir: &tempfile::TempDir, args: &[&str]) -> Value {
    let out = usage(dir, &[args, &["--json"]].concat());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn close(v: &Value, expected: f64) -> bool {
    v.as_f64().is_some_and(|v| (v - expected).abs() < 1e-9)
}

#[test]
fn the_last_30_days_by_model_biggest_spend_first() {
    let dir = known_log();
    let report = json(&dir, &[]);
    let total = &report["total"];
    assert_eq!(
        (total["requests"].as_u64(), total["tokens"].as_u64()),
        (Some(5), Some(2100))
    );
    assert!(
        close(&total["cost_usd"], 0.75),
        "only API keys' money: {total}"
    );
    assert!(close(&total["plan_value_usd"], 0.125), "{total}");
    assert_eq!(total["unpriced_requests"], 1);
    let keys: Vec<&str> = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["gpt-4o", "gpt-5", "llama3.2", "mystery-model"]);
    let gpt4o = &report["rows"][0];
    assert_eq!(gpt4o["requests"], 2);
    assert!(close(&gpt4o["cost_usd"], 0.75) && close(&gpt4o["plan_value_usd"], 0.0));
    assert!(report["since"].as_str().unwrap().ends_with(":00:00Z"));
}

#[test]
fn splits_by_client_user_and_day_and_a_range_from_a_date() {
    let dir = known_log();
    let by_client = json(&dir, &["--by", "client"]);
    let rows = by_client["rows"].as_array().unwrap();
    let agent = rows.iter().find(|r| r["key"] == "codex-acp").unwrap();
    assert_eq!(agent["requests"], 2);
    assert!(close(&agent["cost_usd"], 0.25) && close(&agent["plan_value_usd"], 0.125));
    let others = rows.iter().find(|r| r["key"] == "(other tools)").unwrap();
    assert_eq!(others["requests"], 3);

    let by_user = json(&dir, &["--by", "user", "--since", "24h"]);
    let bob = by_user["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == "bob")
        .unwrap();
    assert!(close(&bob["cost_usd"], 0.25));

    let long_ago = (time::OffsetDateTime::now_utc() - time::Duration::days(45)).date();
    let by_day = json(&dir, &["--by", "day", "--since", &long_ago.to_string()]);
    assert!(close(&by_day["total"]["cost_usd"], 9.75), "{by_day}");
    let days: Vec<&str> = by_day["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["key"].as_str().unwrap())
        .collect();
    assert!(
        days.len() >= 2 && days.windows(2).all(|w| w[0] < w[1]),
        "oldest first: {days:?}"
    );
    assert_eq!(by_day["since"], format!("{long_ago}T00:00:00Z"));
}

#[test]
fn the_table_says_what_was_spent_and_what_the_plan_covered() {
    let dir = known_log();
    let out = usage(&dir, &[]);
    assert!(out.status.success());
    let table = String::from_utf8(out.stdout).unwrap();
    for expected in [
        "by model",
        "spent (API)",
        "plan covered",
        "gpt-4o",
        "$0.7500",
        "$0.1250",
        "(1 with no price)",
        "total",
    ] {
        assert!(
            table.contains(expected),
            "{expected:?} missing from\n{table}"
        );
    }
    let bad = usage(&dir, &["--by", "colour"]);
    assert_eq!(bad.status.code(), Some(1));
    let err = String::from_utf8(bad.stderr).unwrap();
    assert!(err.contains("use model, user, client or day"), "{err}");
    let empty = tempfile::tempdir().unwrap();
    let out = usage(&empty, &[]);
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("No requests in this range.")
    );
}

//! What the window shows of cost, read back from a real file: the dashboard's cost chart and
//! splits, the "today" strip, this month's spend against the budget, and the usage report.
#![allow(
    clippy::unwrap_used,
    reason = "a test helper that fails should fail loudly"
)]

use clawbox_store::cost::{By, cost_report};
use clawbox_store::dashboard::{MonthOf, Range, dashboard, today};
use clawbox_store::{RequestLogWriter, RequestRow, TokensSource, billing, open};

/// 2026-11-30T00:00:00Z.
const NOON: i64 = 1_795_996_800;

fn row(
    i: usize,
    secs: i64,
    user: &str,
    model: &str,
    billing: &'static str,
    cost: Option<f64>,
) -> RequestRow {
    RequestRow {
        id: format!("{secs:012x}-{i:04}"),
        user_id: user.into(),
        endpoint: "/v1/responses".into(),
        method: "POST".into(),
        status: 200,
        tokens_est: 100,
        tokens_source: TokensSource::Reported,
        created_at: time::OffsetDateTime::from_unix_timestamp(secs)
            .unwrap()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap(),
        model: Some(model.into()),
        mode: "local",
        admitted: true,
        client: (billing == billing::PLAN).then(|| "codex-acp".to_owned()),
        billing: Some(billing),
        cost_usd: cost,
        ..RequestRow::default()
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn the_dashboard_shows_money_spent_apart_from_what_the_plan_covered() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clawbox.db");
    let conn = open(&path).unwrap();
    let writer = RequestLogWriter::start(&path, 100).unwrap();
    let rows = [
        row(0, NOON - 60, "alice", "gpt-4o", billing::API, Some(0.30)),
        row(1, NOON - 120, "alice", "gpt-4o", billing::API, Some(0.20)),
        row(
            2,
            NOON - 180,
            "bob",
            "claude-sonnet-4-5",
            billing::API,
            Some(1.25),
        ),
        row(3, NOON - 240, "alice", "gpt-5", billing::PLAN, Some(0.75)),
        row(
            4,
            NOON - 300,
            "alice",
            "llama3.2",
            billing::LOCAL,
            Some(0.0),
        ),
        row(5, NOON - 360, "bob", "mystery", billing::API, None),
        // Yesterday: in the week, not today.
        row(6, NOON - 90_000, "alice", "gpt-4o", billing::API, Some(5.0)),
    ];
    for r in rows {
        assert!(writer.enqueue(r));
    }
    writer.close();
    let month = MonthOf {
        user_id: Some("alice"),
        month: "2026-11",
        cap: None,
        budget_usd: Some(10.0),
    };
    let day = dashboard(&conn, Range::Day, NOON, &month).unwrap();
    assert!(close(day.cost.cost_usd, 1.75), "{:?}", day.cost);
    assert!(close(day.cost.plan_value_usd, 0.75));
    assert_eq!(
        day.cost.unpriced, 1,
        "the unknown model is counted, not priced at $0"
    );
    let charted: f64 = day.buckets.iter().map(|b| b.api_usd).sum();
    assert!(close(charted, 1.75), "the cost chart adds up");
    assert_eq!(
        day.cost_by_model[0].key, "claude-sonnet-4-5",
        "biggest first"
    );
    assert!(close(day.cost_by_model[0].cost_usd, 1.25));
    let agent = day
        .cost_by_client
        .iter()
        .find(|c| c.key == "codex-acp")
        .unwrap();
    assert!(close(agent.plan_value_usd, 0.75) && close(agent.cost_usd, 0.0));
    let bob = day.cost_by_user.iter().find(|c| c.key == "bob").unwrap();
    assert!(close(bob.cost_usd, 1.25));
    // Alice's month: API spend only, against her budget.
    assert!(close(day.month.spent_usd, 5.5), "{:?}", day.month);
    assert_eq!(day.month.budget_usd, Some(10.0));

    let week = dashboard(&conn, Range::Week, NOON, &month).unwrap();
    assert!(close(week.cost.cost_usd, 6.75));
    let days: Vec<(&str, f64)> = week
        .cost_by_day
        .iter()
        .map(|d| (d.key.as_str(), d.cost_usd))
        .collect();
    assert_eq!(days, [("2026-11-28", 5.0), ("2026-11-29", 1.75)]);
    assert!(
        day.cost_by_day.is_empty(),
        "a day's range has no split by day"
    );

    // "Today" from the person's midnight (here 18:00 UTC the day before).
    let strip = today(&conn, NOON - 6 * 3_600).unwrap();
    assert_eq!((strip.requests, strip.tokens), (6, 600));
    assert!(close(strip.api_usd, 1.75) && close(strip.plan_usd, 0.75));

    let report = cost_report(
        &conn,
        (NOON - 2 * 86_400) / 3_600,
        NOON / 3_600 + 1,
        By::Day,
        10,
    )
    .unwrap();
    let days: Vec<&str> = report.rows.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(days, ["2026-11-28", "2026-11-29"]);
    assert!(close(report.total.cost_usd, 6.75));

    // The log's detail and its CSV carry the cost and who pays.
    let first = clawbox_store::log::row(&conn, &format!("{:012x}-{:04}", NOON - 180, 2))
        .unwrap()
        .unwrap();
    assert_eq!(
        (first.cost_usd, first.billing.as_deref()),
        (Some(1.25), Some("api"))
    );
    let mut csv = Vec::new();
    clawbox_store::log::export_csv(&conn, &clawbox_store::log::LogQuery::default(), &mut csv)
        .unwrap();
    let csv = String::from_utf8(csv).unwrap();
    let header = csv.lines().next().unwrap();
    assert!(
        header.ends_with("cost_usd,billing,upstream_request_id"),
        "{header}"
    );
    assert!(csv.lines().any(|l| l.contains(",1.25,api,")), "{csv}");
    assert!(
        csv.lines()
            .any(|l| l.contains(",,api,") && l.contains("mystery")),
        "no price stays empty, not 0"
    );
}

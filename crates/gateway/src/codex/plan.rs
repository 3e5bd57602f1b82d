//! The ChatGPT plan's usage windows, as the Codex backend reports them: with every answer in
//! `x-codex-{primary,secondary}-*` headers, in a `codex.rate_limits` stream event, and from its
//! usage endpoint (`/backend-api/wham/usage`). Windows are named by their length, not by their
//! position: a plan may report a weekly window alone, as its primary.

use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One usage window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PlanWindow {
    /// How much of the window's allowance is used, 0–100.
    pub used_percent: f64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub window_minutes: i64,
    /// Unix seconds (UTC) when the window resets, when known.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub resets_at: Option<i64>,
}

/// What the backend last said about the plan's windows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PlanLimits {
    /// Shortest window first.
    pub windows: Vec<PlanWindow>,
    /// `plus`, `pro`, `team`…, when the backend named it.
    pub plan: Option<String>,
    /// Unix seconds when ClawBox learnt this.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub observed_at: i64,
}

impl PlanLimits {
    fn new(mut windows: Vec<PlanWindow>, plan: Option<String>, now: i64) -> Option<PlanLimits> {
        if windows.is_empty() {
            return None;
        }
        windows.sort_by_key(|w| w.window_minutes);
        Some(PlanLimits {
            windows,
            plan,
            observed_at: now,
        })
    }

    /// "5-hour: 78% left, resets in 4 h 29 min · Weekly: 68% left, resets Tue 09:00 UTC".
    pub fn describe(&self, now: i64) -> String {
        self.windows
            .iter()
            .map(|w| w.describe(now))
            .collect::<Vec<_>>()
            .join(" · ")
    }
}

impl PlanWindow {
    /// "5-hour: 78% left, resets in 4 h 29 min".
    pub fn describe(&self, now: i64) -> String {
        let mut text = format!("{}: {}% left", label(self.window_minutes), left(self));
        if let Some(at) = self.resets_at {
            text.push_str(", resets ");
            text.push_str(&resets(at, now));
        }
        text
    }
}

/// The percentage left, rounded down (never "100% left" while anything is used).
pub fn left(window: &PlanWindow) -> i64 {
    (100.0 - window.used_percent.clamp(0.0, 100.0)).floor() as i64
}

/// A window's name by its length: 5-hour, daily, weekly, monthly; else its hours or days.
pub fn label(minutes: i64) -> String {
    let near = |expected: i64| {
        minutes
            .saturating_sub(expected)
            .saturating_abs()
            .saturating_mul(20)
            <= expected
    };
    match minutes {
        _ if near(5 * 60) => "5-hour".into(),
        _ if near(24 * 60) => "Daily".into(),
        _ if near(7 * 24 * 60) => "Weekly".into(),
        _ if near(30 * 24 * 60) => "Monthly".into(),
        m if m < 24 * 60 => format!("{}-hour", m.saturating_add(30) / 60),
        m => format!("{}-day", m.saturating_add(720) / 1440),
    }
}

/// "in 4 h 29 min" within a day, else "Tue 09:00 UTC".
fn resets(at: i64, now: i64) -> String {
    let secs = at.saturating_sub(now);
    if secs <= 60 {
        return "in a minute".into();
    }
    if secs < 86_400 {
        let minutes = (secs + 59) / 60;
        return match (minutes / 60, minutes % 60) {
            (0, m) => format!("in {m} min"),
            (h, 0) => format!("in {h} h"),
            (h, m) => format!("in {h} h {m} min"),
        };
    }
    match time::OffsetDateTime::from_unix_timestamp(at) {
        Ok(t) => format!(
            "{} {:02}:{:02} UTC",
            &t.weekday().to_string()[..3],
            t.hour(),
            t.minute()
        ),
        Err(_) => "later".into(),
    }
}

/// The windows in an answer's `x-codex-*` headers.
pub fn from_headers(headers: &HeaderMap, now: i64) -> Option<PlanLimits> {
    let get = |name: String| headers.get(name)?.to_str().ok().map(str::trim);
    let windows = ["primary", "secondary"]
        .into_iter()
        .filter_map(|which| {
            let used = get(format!("x-codex-{which}-used-percent"))?
                .parse::<f64>()
                .ok()?;
            let minutes = get(format!("x-codex-{which}-window-minutes"))?
                .parse::<i64>()
                .ok()?;
            let resets_at = reset_time(
                get(format!("x-codex-{which}-reset-at")).and_then(|v| v.parse::<i64>().ok()),
                get(format!("x-codex-{which}-reset-after-seconds"))
                    .and_then(|v| v.parse::<i64>().ok()),
                now,
            );
            window(used, minutes, resets_at)
        })
        .collect();
    let plan = get("x-codex-plan-type".into()).map(str::to_owned);
    PlanLimits::new(windows, plan, now)
}

/// Whether an event's data may be `codex.rate_limits` (a cheap check before parsing).
pub fn mentions_plan(data: &[u8]) -> bool {
    memchr::memmem::find(data, b"\"codex.rate_limits\"").is_some()
}

/// The windows in a `codex.rate_limits` event:
/// `{"type": "codex.rate_limits", "plan_type": …, "rate_limits": {"primary": {"used_percent",
/// "window_minutes", "reset_at"}, "secondary": …}}`.
pub fn from_event(data: &[u8], now: i64) -> Option<PlanLimits> {
    let event: Value = serde_json::from_slice(data).ok()?;
    if event["type"] != "codex.rate_limits" {
        return None;
    }
    let limits = &event["rate_limits"];
    let windows = ["primary", "secondary"]
        .into_iter()
        .filter_map(|which| {
            let w = &limits[which];
            window(
                w["used_percent"].as_f64()?,
                w["window_minutes"].as_i64()?,
                reset_time(
                    w["reset_at"].as_i64().or_else(|| w["resets_at"].as_i64()),
                    None,
                    now,
                ),
            )
        })
        .collect();
    PlanLimits::new(windows, plan_of(&event), now)
}

/// The last `codex.rate_limits` event in a whole event stream (an answer assembled for a client
/// that did not ask for a stream).
pub fn in_stream(stream: &[u8], now: i64) -> Option<PlanLimits> {
    if !mentions_plan(stream) {
        return None;
    }
    let mut found = None;
    let mut splitter = crate::sse::EventSplitter::default();
    let mut read = |event: bytes::Bytes| {
        if let Some(data) = crate::sse::data(&event)
            && let Some(limits) = from_event(&data, now)
        {
            found = Some(limits);
        }
    };
    splitter.feed(bytes::Bytes::copy_from_slice(stream), &mut read);
    if let Some(rest) = splitter.finish() {
        read(rest);
    }
    found
}

/// The windows in the usage endpoint's answer: `{"plan_type": …, "rate_limit":
/// {"primary_window": {"used_percent", "limit_window_seconds", "reset_after_seconds",
/// "reset_at"}, "secondary_window": …}}`.
pub fn from_usage_answer(body: &[u8], now: i64) -> Option<PlanLimits> {
    let answer: Value = serde_json::from_slice(body).ok()?;
    let limits = &answer["rate_limit"];
    let windows = ["primary_window", "secondary_window"]
        .into_iter()
        .filter_map(|which| {
            let w = &limits[which];
            let seconds = w["limit_window_seconds"].as_i64()?;
            window(
                w["used_percent"].as_f64()?,
                seconds.saturating_add(59) / 60,
                reset_time(
                    w["reset_at"].as_i64(),
                    w["reset_after_seconds"].as_i64(),
                    now,
                ),
            )
        })
        .collect();
    PlanLimits::new(windows, plan_of(&answer), now)
}

fn plan_of(value: &Value) -> Option<String> {
    value["plan_type"]
        .as_str()
        .map(|p| p.chars().take(40).collect())
}

/// When a window resets: its time when given (a zero or negative one means none), else `now`
/// plus the seconds left.
fn reset_time(at: Option<i64>, after_secs: Option<i64>, now: i64) -> Option<i64> {
    at.filter(|at| *at > 0).or_else(|| {
        after_secs
            .filter(|s| *s >= 0)
            .map(|s| now.saturating_add(s))
    })
}

/// The longest window believed: a year (anything longer is a broken report).
const MAX_WINDOW_MINUTES: i64 = 366 * 24 * 60;

/// A window as reported, if it makes sense (a length up to a year, a finite percentage).
fn window(used: f64, minutes: i64, resets_at: Option<i64>) -> Option<PlanWindow> {
    (used.is_finite() && minutes > 0 && minutes <= MAX_WINDOW_MINUTES).then(|| PlanWindow {
        used_percent: used.clamp(0.0, 100.0),
        window_minutes: minutes,
        resets_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_796_000_000;

    #[test]
    fn headers_give_both_windows_named_by_length() {
        let mut h = HeaderMap::new();
        for (k, v) in [
            ("x-codex-primary-used-percent", "22.0"),
            ("x-codex-primary-window-minutes", "300"),
            (
                "x-codex-primary-reset-at",
                &(NOW + 4 * 3600 + 29 * 60).to_string(),
            ),
            ("x-codex-secondary-used-percent", "32.5"),
            ("x-codex-secondary-window-minutes", "10080"),
            ("x-codex-secondary-reset-after-seconds", "200000"),
        ] {
            h.insert(axum::http::HeaderName::from_static(k), v.parse().unwrap());
        }
        let limits = from_headers(&h, NOW).unwrap();
        assert_eq!(limits.windows.len(), 2);
        assert_eq!(limits.windows[1].resets_at, Some(NOW + 200_000));
        let text = limits.describe(NOW);
        assert!(
            text.starts_with("5-hour: 78% left, resets in 4 h 29 min · Weekly: 67% left, resets "),
            "{text}"
        );
        assert!(text.ends_with(" UTC"), "{text}");
        assert_eq!(from_headers(&HeaderMap::new(), NOW), None);
    }

    #[test]
    fn a_weekly_window_alone_is_weekly_not_five_hour() {
        let data = br#"{"type":"codex.rate_limits","plan_type":"plus","rate_limits":{"primary":{"used_percent":40.0,"window_minutes":10080,"reset_at":1796100000},"secondary":null}}"#;
        let limits = from_event(data, NOW).unwrap();
        assert_eq!(limits.plan.as_deref(), Some("plus"));
        assert_eq!(limits.windows.len(), 1);
        assert!(limits.describe(NOW).starts_with("Weekly: 60% left"));
        assert!(mentions_plan(data));
        assert_eq!(from_event(br#"{"type":"response.created"}"#, NOW), None);
    }

    #[test]
    fn the_usage_endpoint_answer_is_read_in_seconds() {
        let body = br#"{"plan_type":"pro","rate_limit":{"allowed":true,"limit_reached":false,
            "primary_window":{"used_percent":5,"limit_window_seconds":18000,"reset_after_seconds":600,"reset_at":0},
            "secondary_window":{"used_percent":12,"limit_window_seconds":604800,"reset_after_seconds":9000,"reset_at":1796009000}}}"#;
        let limits = from_usage_answer(body, NOW).unwrap();
        assert_eq!(
            limits
                .windows
                .iter()
                .map(|w| w.window_minutes)
                .collect::<Vec<_>>(),
            [300, 10080]
        );
        assert!(limits.describe(NOW).contains("5-hour: 95% left"));
        assert_eq!(from_usage_answer(b"{}", NOW), None);
        assert_eq!(from_usage_answer(b"<html>", NOW), None);
    }

    #[test]
    fn labels_and_left_are_plain() {
        assert_eq!(label(300), "5-hour");
        assert_eq!(label(1440), "Daily");
        assert_eq!(label(10_080), "Weekly");
        assert_eq!(label(120), "2-hour");
        assert_eq!(label(3 * 1440), "3-day");
        let w = |used| PlanWindow {
            used_percent: used,
            window_minutes: 300,
            resets_at: None,
        };
        assert_eq!(
            (
                left(&w(0.0)),
                left(&w(0.4)),
                left(&w(100.0)),
                left(&w(250.0))
            ),
            (100, 99, 0, 0)
        );
        assert_eq!(window(f64::NAN, 300, None), None);
        assert_eq!(window(1.0, 0, None), None);
        assert_eq!(window(1.0, i64::MAX, None), None);
        // Hostile numbers neither panic nor wrap.
        assert!(label(i64::MAX).ends_with("-day"));
        assert_eq!(resets(i64::MAX, i64::MIN), "later");
        let mut h = HeaderMap::new();
        h.insert("x-codex-primary-used-percent", "50".parse().unwrap());
        h.insert("x-codex-primary-window-minutes", "300".parse().unwrap());
        h.insert(
            "x-codex-primary-reset-after-seconds",
            i64::MAX.to_string().parse().unwrap(),
        );
        assert_eq!(
            from_headers(&h, NOW).unwrap().windows[0].resets_at,
            Some(i64::MAX)
        );
    }

    #[test]
    fn resets_read_as_a_countdown_within_a_day() {
        assert_eq!(resets(NOW + 30, NOW), "in a minute");
        assert_eq!(resets(NOW + 37 * 60, NOW), "in 37 min");
        assert_eq!(resets(NOW + 2 * 3600, NOW), "in 2 h");
        // 1796115600 is Tue 2026-12-01 09:00 UTC, 32 hours after NOW.
        assert_eq!(resets(1_796_115_600, NOW), "Tue 09:00 UTC");
    }
}

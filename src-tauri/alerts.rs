//! Usage alerts: a desktop notification (and a note in the window) when a ChatGPT plan window
//! passes 80 % and 95 % used, once per window, and when a user's API spend passes 80 % of the
//! monthly budget, once per month. The setting `usage_alerts` turns them off. The tray's plan
//! line follows the same readings.

use std::collections::HashSet;
use std::sync::Arc;

use clawbox_gateway::{Gateway, PlanLimits};
use serde::Serialize;
use tauri::async_runtime::JoinHandle;
use tauri::{AppHandle, Emitter, Manager, Runtime};
use tauri_plugin_notification::NotificationExt;
use tokio::sync::broadcast::error::RecvError;
use ts_rs::TS;

/// The used shares that raise an alert, highest first.
const PLAN_THRESHOLDS: [f64; 2] = [95.0, 80.0];
const BUDGET_THRESHOLD: f64 = 0.8;

/// One alert, as the notification and the window show it.
#[derive(Debug, Clone, Serialize, TS, PartialEq, Eq)]
#[ts(export)]
pub struct UsageAlert {
    pub title: String,
    pub body: String,
}

/// What has been said already, so each alert comes once.
#[derive(Default)]
pub struct Alerts {
    sent: HashSet<String>,
}

impl Alerts {
    /// The plan windows that passed a threshold since the last reading. A window is known by
    /// its length and its reset time (to the quarter hour: reports of one window may differ by
    /// seconds); the next window of the same length is a new one.
    pub fn plan(&mut self, limits: &PlanLimits, now: i64) -> Vec<UsageAlert> {
        let mut out = Vec::new();
        for window in &limits.windows {
            let id = format!(
                "{}:{}",
                window.window_minutes,
                window.resets_at.map_or(0, |at| (at + 450) / 900)
            );
            let Some(threshold) = PLAN_THRESHOLDS
                .into_iter()
                .find(|t| window.used_percent >= *t)
            else {
                continue;
            };
            let new = self.sent.insert(format!("plan:{id}:{threshold}"));
            // Reaching 95 % at once also settles 80 %: one alert, not two.
            for lower in PLAN_THRESHOLDS.into_iter().filter(|t| *t < threshold) {
                self.sent.insert(format!("plan:{id}:{lower}"));
            }
            if new {
                let label = clawbox_gateway::plan_label(window.window_minutes);
                out.push(UsageAlert {
                    title: format!("ChatGPT plan: {threshold:.0}% of the {label} window used"),
                    body: format!(
                        "{}. Agents on your plan stop when it runs out; API keys and local \
                         models still work.",
                        window.describe(now)
                    ),
                });
            }
        }
        out
    }

    /// The budget alert, when `spent` passes 80 % of `budget` for the first time this month.
    pub fn budget(
        &mut self,
        user: &str,
        month: &str,
        spent: f64,
        budget: f64,
    ) -> Option<UsageAlert> {
        if budget <= 0.0 || spent < budget * BUDGET_THRESHOLD {
            return None;
        }
        self.sent
            .insert(format!("budget:{user}:{month}"))
            .then(|| UsageAlert {
                title: format!("{:.0}% of the monthly budget spent", spent / budget * 100.0),
                body: format!(
                    "{user} has spent ${spent:.2} of the ${budget:.2} budget for {month} through \
                     API keys. At the budget, requests paid by API keys stop until the 1st."
                ),
            })
    }
}

/// The tray's plan line.
pub fn tray_text(limits: Option<&PlanLimits>, now: i64) -> String {
    match limits {
        Some(limits) => format!("ChatGPT plan — {}", limits.describe(now)),
        None => "ChatGPT plan: nothing reported yet".to_owned(),
    }
}

/// Watches the gateway's plan readings and request events for as long as it runs (it holds the
/// gateway weakly: a stopped gateway closes both channels and ends the watch).
pub fn watch<R: Runtime>(app: &AppHandle<R>, gateway: &Arc<Gateway>) -> JoinHandle<()> {
    let app = app.clone();
    let weak = Arc::downgrade(gateway);
    let (mut plan, mut events) = (gateway.subscribe_plan(), gateway.subscribe());
    tauri::async_runtime::spawn(async move {
        let mut alerts = Alerts::default();
        crate::tray::set_plan_line(&app, &tray_text(plan.borrow().as_ref(), now()));
        loop {
            tokio::select! {
                changed = plan.changed() => {
                    if changed.is_err() {
                        break;
                    }
                    let limits = plan.borrow_and_update().clone();
                    crate::tray::set_plan_line(&app, &tray_text(limits.as_ref(), now()));
                    if let Some(limits) = limits {
                        for alert in alerts.plan(&limits, now()) {
                            tell(&app, &alert);
                        }
                    }
                }
                received = events.recv() => match received {
                    Ok(event) if event.billing == Some(clawbox_store::billing::API) => {
                        let Some(gateway) = weak.upgrade() else { break };
                        let Some(budget) = gateway.config().monthly_budget_usd else { continue };
                        let spent = gateway.spent_this_month(&event.user_id);
                        let month = event.created_at.get(..7).unwrap_or_default().to_owned();
                        if let Some(alert) = alerts.budget(&event.user_id, &month, spent, budget) {
                            tell(&app, &alert);
                        }
                    }
                    Ok(_) | Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => break,
                },
            }
        }
    })
}

/// A desktop notification and a note in the window, unless the person turned alerts off.
fn tell<R: Runtime>(app: &AppHandle<R>, alert: &UsageAlert) {
    let on = app
        .try_state::<crate::GatewayHost>()
        .is_some_and(|host| crate::commands::settings::usage_alerts(&host));
    if !on {
        return;
    }
    let _ = app.emit("usage-alert", alert);
    if let Err(e) = app
        .notification()
        .builder()
        .title(&alert.title)
        .body(&alert.body)
        .show()
    {
        // A desktop without a notification service still has the window's note.
        tracing::debug!(error = %e, "no desktop notification");
    }
}

fn now() -> i64 {
    clawbox_gateway::plan_board::now_secs()
}

#[cfg(test)]
mod tests {
    use clawbox_gateway::PlanWindow;

    use super::*;

    fn limits(used: &[(f64, i64, i64)]) -> PlanLimits {
        PlanLimits {
            windows: used
                .iter()
                .map(|&(used_percent, window_minutes, resets_at)| PlanWindow {
                    used_percent,
                    window_minutes,
                    resets_at: Some(resets_at),
                })
                .collect(),
            plan: None,
            observed_at: 0,
        }
    }

    #[test]
    fn each_window_alerts_once_at_80_and_once_at_95() {
        let mut a = Alerts::default();
        assert!(a.plan(&limits(&[(50.0, 300, 18_000)]), 0).is_empty());
        let first = a.plan(&limits(&[(81.0, 300, 18_000)]), 0);
        assert_eq!(first.len(), 1);
        assert!(
            first[0].title.contains("80% of the 5-hour window"),
            "{first:?}"
        );
        assert!(first[0].body.starts_with("5-hour: 19% left"), "{first:?}");
        assert!(
            a.plan(&limits(&[(85.0, 300, 18_001)]), 0).is_empty(),
            "same window"
        );
        let second = a.plan(&limits(&[(96.0, 300, 18_000)]), 0);
        assert!(second[0].title.contains("95%"), "{second:?}");
        assert!(a.plan(&limits(&[(99.0, 300, 18_000)]), 0).is_empty());
        // The next 5-hour window starts over.
        assert_eq!(a.plan(&limits(&[(82.0, 300, 36_000)]), 0).len(), 1);
    }

    #[test]
    fn a_jump_past_95_is_one_alert_and_windows_are_apart() {
        let mut a = Alerts::default();
        let both = a.plan(&limits(&[(97.0, 300, 18_000), (85.0, 10_080, 600_000)]), 0);
        assert_eq!(both.len(), 2);
        assert!(both[0].title.contains("95% of the 5-hour"));
        assert!(both[1].title.contains("80% of the Weekly"));
        assert!(a.plan(&limits(&[(97.0, 300, 18_000)]), 0).is_empty());
    }

    #[test]
    fn the_budget_alerts_once_a_month_at_80_percent() {
        let mut a = Alerts::default();
        assert_eq!(a.budget("u", "2026-12", 7.9, 10.0), None);
        let alert = a.budget("u", "2026-12", 8.02, 10.0).unwrap();
        assert!(alert.body.contains("$8.02 of the $10.00"), "{alert:?}");
        assert_eq!(a.budget("u", "2026-12", 9.0, 10.0), None);
        assert!(a.budget("u", "2027-01", 8.5, 10.0).is_some());
        assert!(a.budget("v", "2026-12", 8.5, 10.0).is_some());
    }

    #[test]
    fn the_tray_line_says_what_is_left() {
        let text = tray_text(Some(&limits(&[(22.0, 300, 9_000)])), 0);
        assert_eq!(
            text,
            "ChatGPT plan — 5-hour: 78% left, resets in 2 h 30 min"
        );
        assert_eq!(tray_text(None, 0), "ChatGPT plan: nothing reported yet");
    }
}

//! Per-user limits: a rolling 60-second window, a monthly cap and a monthly budget.
//!
//! The window keeps the admission times of each user's last requests (at most the limit), so the
//! limit is exact: at most N admitted in *any* 60 seconds, not per clock minute. Both checks and
//! the bookkeeping happen under one short lock, so concurrent requests cannot overshoot. Monthly
//! counts and spend start from the database at start-up and are then kept here; the request path
//! never touches SQLite. Spend is added when a request's row is recorded, so requests already in
//! flight when the budget is reached may overshoot it by their own cost.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use clawbox_store::usage::UserMonth;

pub const WINDOW: Duration = Duration::from_secs(60);

#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Admitted,
    /// Over the rolling limit; a slot frees up after this long.
    RateLimited {
        retry_after: Duration,
    },
    /// Over the monthly cap.
    OverMonthlyCap,
}

pub struct Admission {
    state: Mutex<State>,
}

struct State {
    month: String,
    users: HashMap<String, User>,
}

#[derive(Default)]
struct User {
    admitted: VecDeque<Instant>,
    this_month: u64,
    spent_usd: f64,
}

impl State {
    /// Months only move forward: a request stamped just before midnight on the 1st but
    /// admitted after one stamped just after must not reset the counts back.
    fn turn_to(&mut self, month: &str) {
        if month > self.month.as_str() {
            self.month = month.to_owned();
            for u in self.users.values_mut() {
                u.this_month = 0;
                u.spent_usd = 0.0;
            }
        }
    }

    /// The user's entry, created on first sight (without allocating a key for a known user).
    fn user(&mut self, user: &str) -> &mut User {
        if !self.users.contains_key(user) {
            self.users.insert(user.to_owned(), User::default());
        }
        self.users.get_mut(user).expect("inserted just above")
    }
}

impl Admission {
    /// `months`: each user's recorded month so far in `month` (`YYYY-MM`).
    pub fn new(month: String, months: HashMap<String, UserMonth>) -> Self {
        let users = months
            .into_iter()
            .map(|(user, m)| {
                (
                    user,
                    User {
                        admitted: VecDeque::new(),
                        this_month: m.requests,
                        spent_usd: m.spent_usd,
                    },
                )
            })
            .collect();
        Self {
            state: Mutex::new(State { month, users }),
        }
    }

    /// Adds a recorded request's API spend to its user's month.
    pub fn add_spend(&self, user: &str, month: &str, usd: f64) {
        if !(usd.is_finite() && usd > 0.0) {
            return;
        }
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.turn_to(month);
        if month == state.month {
            state.user(user).spent_usd += usd;
        }
    }

    /// The user's API spend in `month` so far.
    pub fn spent(&self, user: &str, month: &str) -> f64 {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.turn_to(month);
        if state.month != month {
            return 0.0;
        }
        state.users.get(user).map_or(0.0, |u| u.spent_usd)
    }

    /// The user's API spend this month when it has reached `budget`.
    pub fn over_budget(&self, user: &str, month: &str, budget: f64) -> Option<f64> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.turn_to(month);
        let spent = state.users.get(user).map_or(0.0, |u| u.spent_usd);
        (spent >= budget).then_some(spent)
    }

    /// Takes back an admission refused by a later check (the budget): it uses no slot and does
    /// not count towards the month.
    pub fn refund(&self, user: &str) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(entry) = state.users.get_mut(user) {
            entry.admitted.pop_back();
            entry.this_month = entry.this_month.saturating_sub(1);
        }
    }

    pub fn admit(
        &self,
        user: &str,
        limit: u32,
        monthly_cap: Option<u64>,
        month: &str,
        now: Instant,
    ) -> Verdict {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.turn_to(month);
        let entry = state.user(user);
        while entry
            .admitted
            .front()
            .is_some_and(|t| now.duration_since(*t) >= WINDOW)
        {
            entry.admitted.pop_front();
        }
        let limit = limit as usize;
        if entry.admitted.len() >= limit {
            // A slot frees when the entry `len - limit` places from the front leaves the window.
            let frees_at = entry.admitted[entry.admitted.len() - limit] + WINDOW;
            return Verdict::RateLimited {
                retry_after: frees_at.saturating_duration_since(now),
            };
        }
        if monthly_cap.is_some_and(|cap| entry.this_month >= cap) {
            return Verdict::OverMonthlyCap;
        }
        entry.admitted.push_back(now);
        entry.this_month += 1;
        Verdict::Admitted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh() -> Admission {
        Admission::new("2026-11".into(), HashMap::new())
    }

    fn month_of(user: &str, requests: u64, spent_usd: f64) -> HashMap<String, UserMonth> {
        HashMap::from([(
            user.to_owned(),
            UserMonth {
                requests,
                spent_usd,
            },
        )])
    }

    #[test]
    fn the_budget_counts_recorded_spend_from_the_database_and_resets_with_the_month() {
        let a = Admission::new("2026-11".into(), month_of("u", 3, 9.5));
        assert_eq!(a.over_budget("u", "2026-11", 10.0), None);
        a.add_spend("u", "2026-11", 0.25);
        assert_eq!(a.over_budget("u", "2026-11", 10.0), None);
        a.add_spend("u", "2026-11", 0.25);
        assert_eq!(a.over_budget("u", "2026-11", 10.0), Some(10.0));
        assert_eq!(a.over_budget("someone-else", "2026-11", 10.0), None);
        // A row from last month recorded late adds nothing to this one.
        a.add_spend("u", "2026-10", 100.0);
        a.add_spend("u", "2026-11", f64::NAN);
        assert_eq!(a.over_budget("u", "2026-11", 10.0), Some(10.0));
        assert_eq!(a.over_budget("u", "2026-12", 10.0), None);
    }

    #[test]
    fn a_refund_gives_the_slot_and_the_month_back() {
        let a = Admission::new("2026-11".into(), month_of("u", 0, 0.0));
        let now = Instant::now();
        assert_eq!(a.admit("u", 1, Some(1), "2026-11", now), Verdict::Admitted);
        a.refund("u");
        assert_eq!(a.admit("u", 1, Some(1), "2026-11", now), Verdict::Admitted);
    }

    #[test]
    fn admits_up_to_the_limit_then_says_when_to_retry() {
        let a = fresh();
        let t0 = Instant::now();
        for i in 0..3 {
            let now = t0 + Duration::from_secs(i * 10);
            assert_eq!(a.admit("u", 3, None, "2026-11", now), Verdict::Admitted);
        }
        let v = a.admit("u", 3, None, "2026-11", t0 + Duration::from_secs(25));
        assert_eq!(
            v,
            Verdict::RateLimited {
                retry_after: Duration::from_secs(35)
            }
        );
    }

    #[test]
    fn window_is_rolling_not_per_clock_minute() {
        let a = fresh();
        let t0 = Instant::now();
        assert_eq!(a.admit("u", 2, None, "2026-11", t0), Verdict::Admitted);
        let t1 = t0 + Duration::from_secs(59);
        assert_eq!(a.admit("u", 2, None, "2026-11", t1), Verdict::Admitted);
        assert!(matches!(
            a.admit("u", 2, None, "2026-11", t1),
            Verdict::RateLimited { .. }
        ));
        // t0's slot frees at t0+60; t1's is still held.
        let t2 = t0 + Duration::from_secs(60);
        assert_eq!(a.admit("u", 2, None, "2026-11", t2), Verdict::Admitted);
        assert!(matches!(
            a.admit("u", 2, None, "2026-11", t2),
            Verdict::RateLimited { .. }
        ));
    }

    #[test]
    fn users_have_separate_buckets() {
        let a = fresh();
        let now = Instant::now();
        assert_eq!(a.admit("a", 1, None, "2026-11", now), Verdict::Admitted);
        assert_eq!(a.admit("b", 1, None, "2026-11", now), Verdict::Admitted);
        assert!(matches!(
            a.admit("a", 1, None, "2026-11", now),
            Verdict::RateLimited { .. }
        ));
    }

    #[test]
    fn monthly_cap_counts_from_the_database_and_resets_with_the_month() {
        let a = Admission::new("2026-11".into(), month_of("u", 4, 0.0));
        let now = Instant::now();
        assert_eq!(
            a.admit("u", 100, Some(5), "2026-11", now),
            Verdict::Admitted
        );
        assert_eq!(
            a.admit("u", 100, Some(5), "2026-11", now),
            Verdict::OverMonthlyCap
        );
        assert_eq!(
            a.admit("u", 100, Some(5), "2026-12", now),
            Verdict::Admitted
        );
    }

    #[test]
    fn a_rejection_uses_no_slot() {
        let a = Admission::new("2026-11".into(), month_of("u", 1, 0.0));
        let now = Instant::now();
        for _ in 0..5 {
            assert_eq!(
                a.admit("u", 2, Some(1), "2026-11", now),
                Verdict::OverMonthlyCap
            );
        }
        assert_eq!(a.admit("u", 2, None, "2026-11", now), Verdict::Admitted);
    }

    #[test]
    fn exact_under_concurrency() {
        let a = std::sync::Arc::new(fresh());
        let now = Instant::now();
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let a = a.clone();
                std::thread::spawn(move || {
                    (0..100)
                        .filter(|_| a.admit("u", 50, None, "2026-11", now) == Verdict::Admitted)
                        .count()
                })
            })
            .collect();
        let admitted: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(admitted, 50);
    }
}

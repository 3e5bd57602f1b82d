//! Per-user limits: a rolling 60-second window and a monthly cap.
//!
//! The window keeps the admission times of each user's last requests (at most the limit), so the
//! limit is exact: at most N admitted in *any* 60 seconds, not per clock minute. Both checks and
//! the bookkeeping happen under one short lock, so concurrent requests cannot overshoot. Monthly
//! counts start from the database at start-up and are then kept here; the request path never
//! touches SQLite.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

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
}

impl Admission {
    /// `month_counts`: admitted requests per user so far in `month` (`YYYY-MM`).
    pub fn new(month: String, month_counts: HashMap<String, u64>) -> Self {
        let users = month_counts
            .into_iter()
            .map(|(user, this_month)| {
                (
                    user,
                    User {
                        admitted: VecDeque::new(),
                        this_month,
                    },
                )
            })
            .collect();
        Self {
            state: Mutex::new(State { month, users }),
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
        // Months only move forward: a request stamped just before midnight on the 1st but
        // admitted after one stamped just after must not reset the counts back.
        if month > state.month.as_str() {
            state.month = month.to_owned();
            for u in state.users.values_mut() {
                u.this_month = 0;
            }
        }
        let entry = match state.users.get_mut(user) {
            Some(entry) => entry,
            None => state.users.entry(user.to_owned()).or_default(),
        };
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
        let a = Admission::new("2026-11".into(), HashMap::from([("u".to_owned(), 4)]));
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
        let a = Admission::new("2026-11".into(), HashMap::from([("u".to_owned(), 1)]));
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

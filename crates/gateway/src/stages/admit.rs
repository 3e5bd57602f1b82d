//! Stage 3, admit: the per-user rolling limit (429) and the monthly cap (402); once the route is
//! known, the monthly budget (402) for requests an API key pays for.

use crate::Error;
use crate::admission::{Admission, Verdict};
use crate::config::Config;

pub fn admit(admission: &Admission, config: &Config, user: &str, month: &str) -> Result<(), Error> {
    let verdict = admission.admit(
        user,
        config.rate_limit,
        config.monthly_cap,
        month,
        std::time::Instant::now(),
    );
    match verdict {
        Verdict::Admitted => Ok(()),
        Verdict::RateLimited { retry_after } => Err(Error::RateLimited {
            user: user.to_owned(),
            limit: config.rate_limit,
            // Round up: retrying a fraction of a second early would be refused again.
            retry_after: (retry_after.as_millis().div_ceil(1000) as u64).max(1),
        }),
        Verdict::OverMonthlyCap => Err(Error::MonthlyCapReached {
            user: user.to_owned(),
            cap: config.monthly_cap.unwrap_or(0),
            month: month.to_owned(),
        }),
    }
}

/// The monthly budget, for a request routed to `upstream`: only what API keys pay counts, and
/// only such requests are refused (a ChatGPT plan limits itself; a local model costs nothing).
/// A caller that admitted the request gives the admission back on a refusal.
pub fn within_budget(
    admission: &Admission,
    config: &Config,
    user: &str,
    month: &str,
    upstream: crate::stages::Upstream,
) -> Result<(), Error> {
    let Some(budget) = config.monthly_budget_usd else {
        return Ok(());
    };
    if upstream.billing() != clawbox_store::billing::API {
        return Ok(());
    }
    match admission.over_budget(user, month, budget) {
        None => Ok(()),
        Some(spent) => Err(Error::BudgetReached {
            user: user.to_owned(),
            budget,
            spent,
            month: month.to_owned(),
        }),
    }
}

//! Stage 3, admit: the per-user rolling limit (429) and the monthly cap (402).

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

//! The plan's usage limit, in words: "resets at 14:05 UTC (in about 37 minutes)".

use serde_json::Value;

use crate::Error;

/// The backend's 429 for a plan's usage limit, as the gateway's own error; `None` for any other
/// answer (which passes through as it came).
pub fn usage_limit(status: u16, body: &[u8]) -> Option<Error> {
    if status != 429 {
        return None;
    }
    let answer: Value = serde_json::from_slice(body).ok()?;
    let error = &answer["error"];
    if !matches!(
        error["type"].as_str(),
        Some("usage_limit_reached" | "usage_not_included")
    ) {
        return None;
    }
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let resets_at = error["resets_at"]
        .as_i64()
        .or_else(|| error["resets_in_seconds"].as_i64().map(|s| now + s));
    let retry_after = resets_at.map(|at| (at - now).max(1) as u64);
    let resets = match (
        resets_at.and_then(|at| time::OffsetDateTime::from_unix_timestamp(at).ok()),
        retry_after,
    ) {
        (Some(at), Some(secs)) => format!(
            ", which resets at {:02}:{:02} UTC{} (in about {})",
            at.hour(),
            at.minute(),
            if secs > 86_400 {
                format!(" on {}", at.date())
            } else {
                String::new()
            },
            approximately(secs)
        ),
        _ => String::new(),
    };
    Some(Error::UsageLimit {
        plan: error["plan_type"].as_str().unwrap_or("current").to_owned(),
        resets,
        retry_after,
    })
}

fn approximately(secs: u64) -> String {
    match secs {
        0..=89 => "a minute".into(),
        90..=5399 => format!("{} minutes", secs.div_ceil(60)),
        _ => format!("{} hours", secs.div_ceil(3600)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_answer_becomes_a_plain_message_with_the_reset_time() {
        let body = br#"{"error":{"type":"usage_limit_reached","plan_type":"plus","resets_in_seconds":2220}}"#;
        let err = usage_limit(429, body).unwrap();
        let text = err.to_string();
        assert!(
            text.contains("plus") && text.contains("in about 37 minutes") && text.contains("UTC"),
            "{text}"
        );
        assert!(usage_limit(429, br#"{"error":{"type":"rate_limit"}}"#).is_none());
        assert!(usage_limit(500, body).is_none());
    }
}

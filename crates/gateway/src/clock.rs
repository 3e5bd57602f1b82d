//! Wall-clock timestamps in the log's format.

use time::OffsetDateTime;
use time::macros::format_description;

/// ISO-8601 UTC with milliseconds: `2026-11-24T01:37:09.123Z` (sorts as text, like D1's).
pub fn now_iso8601() -> String {
    let format =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    OffsetDateTime::now_utc()
        .format(format)
        .unwrap_or_else(|_| String::from("1970-01-01T00:00:00.000Z"))
}

/// The current UTC month, `YYYY-MM`.
pub fn this_month() -> String {
    now_iso8601()[..7].to_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn timestamp_shape() {
        let t = super::now_iso8601();
        assert_eq!(t.len(), 24, "{t}");
        assert!(t.ends_with('Z') && &t[10..11] == "T" && &t[19..20] == ".");
        assert_eq!(super::this_month(), t[..7]);
    }
}

//! The shipped price table: `prices.json`, parsed once on first use.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::Price;

#[derive(Deserialize)]
struct Snapshot {
    source: String,
    version: String,
    taken: String,
    models: HashMap<String, Price>,
}

static SNAPSHOT: LazyLock<Snapshot> = LazyLock::new(|| {
    #[expect(
        clippy::expect_used,
        reason = "the table is compiled in; a malformed one fails every test"
    )]
    serde_json::from_str(include_str!("../prices.json")).expect("prices.json is well formed")
});

/// Where the shipped prices come from, for the window and the docs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SnapshotInfo {
    pub source: String,
    /// The source's release the table was taken from.
    pub version: String,
    /// The day the snapshot was taken (`YYYY-MM-DD`).
    pub taken: String,
    pub models: usize,
}

pub fn snapshot_info() -> SnapshotInfo {
    SnapshotInfo {
        source: SNAPSHOT.source.clone(),
        version: SNAPSHOT.version.clone(),
        taken: SNAPSHOT.taken.clone(),
        models: SNAPSHOT.models.len(),
    }
}

/// The shipped price of `model`: by its exact name, else without a `provider/` prefix
/// (`openai/gpt-4o`), else without a release-date suffix (`gpt-4o-2099-01-01`,
/// `claude-x-20990101`), which names the same model at the same price.
pub(crate) fn lookup(model: &str) -> Option<Price> {
    let models = &SNAPSHOT.models;
    let get = |name: &str| models.get(name).copied();
    let unprefixed = model.split_once('/').map(|(_, rest)| rest);
    get(model).or_else(|| unprefixed.and_then(get)).or_else(|| {
        let name = unprefixed.unwrap_or(model);
        without_date(name).and_then(get)
    })
}

/// `name` without a trailing `-YYYY-MM-DD` or `-YYYYMMDD`.
fn without_date(name: &str) -> Option<&str> {
    let dashed = |tail: &[u8]| {
        tail.iter().enumerate().all(|(i, b)| match i {
            0 | 5 | 8 => *b == b'-',
            _ => b.is_ascii_digit(),
        })
    };
    // An ASCII tail of 11 bytes starts on a character boundary.
    if let Some(cut) = name.len().checked_sub(11)
        && cut > 0
        && dashed(&name.as_bytes()[cut..])
    {
        return name.get(..cut);
    }
    let (base, date) = name.rsplit_once('-')?;
    (!base.is_empty() && date.len() == 8 && date.bytes().all(|b| b.is_ascii_digit()))
        .then_some(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_taken_from_a_named_source() {
        let info = snapshot_info();
        assert!(info.source.contains("LiteLLM") && info.source.contains("MIT"));
        assert!(info.version.starts_with("litellm "));
        assert!(info.models > 100, "{}", info.models);
    }

    #[test]
    fn names_resolve_with_a_provider_prefix_or_a_date_suffix() {
        let gpt4o = lookup("gpt-4o").unwrap();
        assert_eq!((gpt4o.input, gpt4o.output), (2.5, 10.0));
        assert_eq!(lookup("openai/gpt-4o"), Some(gpt4o));
        assert_eq!(lookup("gpt-4o-2099-01-01"), Some(gpt4o));
        let sonnet = lookup("claude-sonnet-4-5").unwrap();
        assert_eq!(lookup("claude-sonnet-4-5-20990101"), Some(sonnet));
        assert_eq!(sonnet.cache_write, Some(3.75));
        assert!(lookup("deepseek-chat").is_some());
        assert_eq!(lookup("llama3.2:3b"), None);
        assert_eq!(lookup("gpt-4o-20x9-01-01"), None);
    }

    #[test]
    fn dates_are_recognised_only_at_the_end() {
        assert_eq!(without_date("gpt-4o-2024-08-06"), Some("gpt-4o"));
        assert_eq!(
            without_date("claude-opus-4-1-20250805"),
            Some("claude-opus-4-1")
        );
        assert_eq!(without_date("gpt-4o"), None);
        assert_eq!(without_date("model-1234567"), None);
        assert_eq!(without_date("é-2024-08-06"), Some("é"));
        assert_eq!(without_date("2024-08-06"), None);
    }
}

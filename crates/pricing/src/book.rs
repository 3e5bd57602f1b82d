//! The prices ClawBox uses: the person's settings first (exact names before prefixes, the
//! longest prefix first), then the shipped snapshot.

use std::collections::{BTreeMap, HashMap};

use crate::{Price, PricingError, snapshot};

/// Where a price came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis<'a> {
    /// The shipped table.
    Snapshot,
    /// The settings' `prices`, under this key (a model name, or a prefix ending in `*`).
    Setting(&'a str),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Priced<'a> {
    pub price: Price,
    pub basis: Basis<'a>,
}

/// The settings' prices, checked and indexed once per settings change.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PriceBook {
    exact: HashMap<String, Price>,
    /// (prefix without the `*`, the key as written, price), longest prefix first.
    prefixes: Vec<(String, String, Price)>,
}

// Every price is checked finite when the book is built, so equality is an equivalence.
impl Eq for PriceBook {}

impl PriceBook {
    /// Checks and indexes `settings` (model name or `prefix*` → price).
    pub fn new(settings: &BTreeMap<String, Price>) -> Result<Self, PricingError> {
        let mut book = PriceBook::default();
        for (key, price) in settings {
            for (field, value) in price.fields() {
                if let Some(value) = value
                    && !(value.is_finite() && value >= 0.0)
                {
                    return Err(PricingError::BadPrice {
                        model: key.clone(),
                        field,
                        value,
                    });
                }
            }
            let bad_key = || PricingError::BadKey { model: key.clone() };
            match key.strip_suffix('*') {
                Some(prefix) if prefix.contains('*') => return Err(bad_key()),
                Some(prefix) => book.prefixes.push((prefix.to_owned(), key.clone(), *price)),
                None if key.trim().is_empty() || key.contains('*') => return Err(bad_key()),
                None => {
                    book.exact.insert(key.clone(), *price);
                }
            }
        }
        book.prefixes
            .sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        Ok(book)
    }

    /// The price of `model`, or `None` when neither the settings nor the table know it.
    pub fn price<'a>(&'a self, model: &str) -> Option<Priced<'a>> {
        if let Some((key, price)) = self.exact.get_key_value(model) {
            return Some(Priced {
                price: *price,
                basis: Basis::Setting(key),
            });
        }
        if let Some((_, key, price)) = self
            .prefixes
            .iter()
            .find(|(prefix, _, _)| model.starts_with(prefix.as_str()))
        {
            return Some(Priced {
                price: *price,
                basis: Basis::Setting(key),
            });
        }
        snapshot::lookup(model).map(|price| Priced {
            price,
            basis: Basis::Snapshot,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn price(input: f64, output: f64) -> Price {
        Price {
            input,
            cached_input: None,
            cache_write: None,
            output,
        }
    }

    #[test]
    fn exact_names_before_prefixes_and_the_longest_prefix_first() {
        let settings = BTreeMap::from([
            ("gpt-*".to_owned(), price(1.0, 1.0)),
            ("gpt-4o*".to_owned(), price(2.0, 2.0)),
            ("gpt-4o-mini".to_owned(), price(3.0, 3.0)),
            ("my-model".to_owned(), price(0.5, 0.5)),
        ]);
        let book = PriceBook::new(&settings).unwrap();
        let at = |m: &str| book.price(m).map(|p| (p.price.input, p.basis));
        assert_eq!(
            at("gpt-4o-mini"),
            Some((3.0, Basis::Setting("gpt-4o-mini")))
        );
        assert_eq!(
            at("gpt-4o-2024-08-06"),
            Some((2.0, Basis::Setting("gpt-4o*")))
        );
        assert_eq!(at("gpt-5"), Some((1.0, Basis::Setting("gpt-*"))));
        assert_eq!(at("my-model"), Some((0.5, Basis::Setting("my-model"))));
        assert_eq!(at("claude-sonnet-4-5"), Some((3.0, Basis::Snapshot)));
        assert_eq!(at("somebody-elses-model"), None);
    }

    #[test]
    fn bad_prices_and_keys_are_refused_by_name() {
        let bad = |key: &str, p: Price| PriceBook::new(&BTreeMap::from([(key.to_owned(), p)]));
        let err = bad("gpt-5", price(-1.0, 1.0)).unwrap_err();
        assert!(
            err.to_string().contains("\"gpt-5\" has input = -1"),
            "{err}"
        );
        assert!(bad("x", price(1.0, f64::NAN)).is_err());
        assert!(bad("x", price(1.0, f64::INFINITY)).is_err());
        assert!(
            bad("g*t*", price(1.0, 1.0))
                .unwrap_err()
                .to_string()
                .contains("prefix ending in *")
        );
        assert!(bad(" ", price(1.0, 1.0)).is_err());
        assert!(
            bad("*", price(1.0, 1.0)).is_ok(),
            "a bare * prices every model"
        );
    }

    #[test]
    fn unknown_price_fields_are_refused() {
        let err = serde_json::from_str::<Price>(r#"{"input":1,"ouput":2}"#).unwrap_err();
        assert!(err.to_string().contains("ouput"), "{err}");
    }
}

use thiserror::Error;

/// A price from settings that cannot be used.
#[derive(Debug, Error, PartialEq)]
pub enum PricingError {
    #[error(
        "the price for {model:?} has {field} = {value}: prices are US dollars per 1M tokens, a number of 0 or more"
    )]
    BadPrice {
        model: String,
        field: &'static str,
        value: f64,
    },
    #[error(
        "the price key {model:?} is not a model name: use an exact name, or a prefix ending in * (like \"gpt-5*\")"
    )]
    BadKey { model: String },
}

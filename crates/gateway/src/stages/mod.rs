//! The request path, one small function per stage, in the order the proxy handler calls them:
//! guard → (read body) → identify → admit → route → authorize → forward → meter → record.

mod admit;
mod authorize;
mod body;
mod failover;
mod forward;
mod guard;
pub(crate) mod identify;
mod meter;
mod models;
mod record;
mod route;
mod upload;
mod upstream_headers;

pub use admit::{admit, within_budget};
pub(crate) use authorize::named_key;
pub use authorize::{Attach, authorize, verify_caller};
pub use body::{RequestBody, read_body};
pub use failover::fail_over_if_down;
pub(crate) use forward::upstream_url;
pub use forward::{Forwarded, forward};
pub use guard::{BodyKind, guard, guard_addressing};
pub use identify::{Caller, Credential, identify};
pub use meter::meter;
pub use models::{ExtraModel, can_ask_openai, extra_models, is_model_list, without_openai};
pub use record::Recording;
pub use route::{Known, Route, Upstream, route};
pub use upload::{Upload, read_upload};
pub(crate) use upstream_headers::upstream_headers;

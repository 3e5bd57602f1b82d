//! Whose conversation: the user id and the credential that asked. Holders of the local key are
//! one owner per user (rotating the key keeps their conversations); a caller's own provider key
//! is its own owner, known to the store only by a keyed hash.

use axum::http::request::Parts;
use clawbox_conversations::Owner;

use crate::stages::{Caller, Credential};

pub fn owner_of(caller: &Caller, parts: &Parts) -> Owner {
    match &caller.credential {
        Credential::LocalKey(_) => Owner::local_key(&caller.user_id),
        Credential::None => Owner::no_key(&caller.user_id),
        Credential::Provider => Owner::own_key(&caller.user_id, &presented_key(parts)),
    }
}

/// The caller's own key as sent (`Authorization: Bearer …` or `x-api-key`).
fn presented_key(parts: &Parts) -> String {
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    header("authorization")
        .map(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
                .unwrap_or(v)
        })
        .or_else(|| header("x-api-key"))
        .unwrap_or_default()
        .to_owned()
}

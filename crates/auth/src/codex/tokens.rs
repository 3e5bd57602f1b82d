//! The ChatGPT token bundle: how it is stored, and what its tokens say.

use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::{AuthError, Secret, SecretStore};

use super::TOKENS_ITEM;

/// The signed-in account, as anyone may see it (no token in here).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodexAccount {
    pub account_id: String,
    /// `plus`, `pro`, `team`, … as the id_token says.
    pub plan: Option<String>,
    pub email: Option<String>,
    /// Unix seconds when the access token expires (its JWT `exp`).
    pub expires_at: Option<i64>,
}

/// The tokens from the OAuth server, with the time they were issued (so a writer never replaces
/// a newer bundle with an older one).
#[derive(Clone)]
pub struct CodexTokens {
    pub id_token: Secret,
    pub access_token: Secret,
    pub refresh_token: Secret,
    pub account: CodexAccount,
    /// Unix milliseconds when ClawBox received these tokens.
    pub issued_at_ms: i64,
}

impl std::fmt::Debug for CodexTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodexTokens")
            .field("account", &self.account)
            .field("issued_at_ms", &self.issued_at_ms)
            .finish_non_exhaustive()
    }
}

/// The stored form. Private: nothing else may serialise tokens.
#[derive(Serialize, Deserialize)]
struct Stored {
    id_token: String,
    access_token: String,
    refresh_token: String,
    issued_at_ms: i64,
}

impl CodexTokens {
    /// Builds the bundle from fresh tokens, reading the account from the id_token.
    pub fn new(
        id_token: String,
        access_token: String,
        refresh_token: String,
        issued_at_ms: i64,
    ) -> Result<Self, AuthError> {
        let id_claims = jwt_claims(&id_token)
            .ok_or_else(|| AuthError::SignIn("the id_token is not a readable JWT".into()))?;
        let auth = &id_claims["https://api.openai.com/auth"];
        let account_id = auth["chatgpt_account_id"]
            .as_str()
            .ok_or_else(|| {
                AuthError::SignIn(
                    "the sign-in did not name a ChatGPT account (no chatgpt_account_id)".into(),
                )
            })?
            .to_owned();
        let email = id_claims["email"]
            .as_str()
            .or_else(|| id_claims["https://api.openai.com/profile"]["email"].as_str())
            .map(str::to_owned);
        let expires_at = jwt_claims(&access_token).and_then(|c| c["exp"].as_i64());
        Ok(Self {
            account: CodexAccount {
                account_id,
                plan: auth["chatgpt_plan_type"].as_str().map(str::to_owned),
                email,
                expires_at,
            },
            id_token: Secret::new(id_token),
            access_token: Secret::new(access_token),
            refresh_token: Secret::new(refresh_token),
            issued_at_ms,
        })
    }

    pub fn load(store: &dyn SecretStore) -> Result<Option<Self>, AuthError> {
        let Some(raw) = store.get(TOKENS_ITEM)? else {
            return Ok(None);
        };
        let corrupt = |reason: String| AuthError::Corrupt {
            name: TOKENS_ITEM.into(),
            reason,
        };
        let stored: Stored =
            serde_json::from_str(raw.expose()).map_err(|e| corrupt(e.to_string()))?;
        Self::new(
            stored.id_token,
            stored.access_token,
            stored.refresh_token,
            stored.issued_at_ms,
        )
        .map(Some)
        .map_err(|e| corrupt(e.to_string()))
    }

    /// Saves the bundle unless the store already holds a newer one (another process refreshed
    /// meanwhile); returns the bundle that is now current.
    pub fn save(self, store: &dyn SecretStore) -> Result<Self, AuthError> {
        match Self::load(store) {
            Ok(Some(current)) if current.issued_at_ms > self.issued_at_ms => return Ok(current),
            // Nothing, something older, or something unreadable (which nothing newer can be):
            // write.
            Ok(_) | Err(AuthError::Corrupt { .. }) => {}
            // The store cannot be read now: do not write blind over what may be newer.
            Err(e) => return Err(e),
        }
        let stored = Stored {
            id_token: self.id_token.expose().to_owned(),
            access_token: self.access_token.expose().to_owned(),
            refresh_token: self.refresh_token.expose().to_owned(),
            issued_at_ms: self.issued_at_ms,
        };
        let json = serde_json::to_string(&stored)
            .map_err(|e| AuthError::Config(format!("cannot encode the tokens: {e}")))?;
        store.set(TOKENS_ITEM, &Secret::new(json))?;
        Ok(self)
    }

    /// Whether the access token expires within `margin_secs` (or has no readable expiry and is
    /// older than 8 days, as the Codex CLI assumes).
    pub fn expires_within(&self, margin_secs: i64, now_ms: i64) -> bool {
        match self.account.expires_at {
            Some(exp) => exp * 1000 <= now_ms + margin_secs * 1000,
            None => now_ms - self.issued_at_ms > 8 * 24 * 3600 * 1000,
        }
    }

    /// Whether to refresh ahead of expiry: the token expires within `early_secs`, or within half
    /// the lifetime it had when ClawBox received it, whichever is shorter. A token that lives no
    /// longer than `early_secs` (or looks so, its `exp` being whole seconds and the clocks not
    /// quite agreeing) is otherwise due the moment it arrives, and every caller refreshes again.
    pub fn due_for_refresh(&self, early_secs: i64, now_ms: i64) -> bool {
        let Some(exp) = self.account.expires_at else {
            return self.expires_within(early_secs, now_ms);
        };
        let lifetime_ms = exp * 1000 - self.issued_at_ms;
        let margin_ms = (early_secs * 1000).min(lifetime_ms / 2).max(0);
        exp * 1000 <= now_ms + margin_ms
    }
}

/// The payload of a JWT, unverified: the token came straight from the issuer over TLS, and only
/// informational claims are read from it.
fn jwt_claims(jwt: &str) -> Option<serde_json::Value> {
    let payload = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemoryStore;

    fn jwt(claims: serde_json::Value) -> String {
        let b64 = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
        format!(
            "{}.{}.sig",
            b64(br#"{"alg":"none"}"#),
            b64(claims.to_string().as_bytes())
        )
    }

    fn tokens(issued_at_ms: i64) -> CodexTokens {
        let id = jwt(serde_json::json!({
            "email": "sam@example.com",
            "https://api.openai.com/auth": {"chatgpt_account_id": "acct_1", "chatgpt_plan_type": "plus"}
        }));
        let access = jwt(serde_json::json!({"exp": 2_000_000_000}));
        CodexTokens::new(id, access, "rt_1".into(), issued_at_ms).unwrap()
    }

    #[test]
    fn the_account_comes_from_the_id_token() {
        let t = tokens(1);
        assert_eq!(t.account.account_id, "acct_1");
        assert_eq!(t.account.plan.as_deref(), Some("plus"));
        assert_eq!(t.account.email.as_deref(), Some("sam@example.com"));
        assert_eq!(t.account.expires_at, Some(2_000_000_000));
        assert!(!format!("{t:?}").contains("rt_1"), "Debug shows no token");
    }

    #[test]
    fn a_newer_stored_bundle_is_never_overwritten_by_an_older_one() {
        let store = MemoryStore::new();
        tokens(200).save(&store).unwrap();
        let current = tokens(100).save(&store).unwrap();
        assert_eq!(current.issued_at_ms, 200);
        assert_eq!(
            CodexTokens::load(&store).unwrap().unwrap().issued_at_ms,
            200
        );
        tokens(300).save(&store).unwrap();
        assert_eq!(
            CodexTokens::load(&store).unwrap().unwrap().issued_at_ms,
            300
        );
    }

    #[test]
    fn a_short_lived_token_is_due_at_half_its_life_not_on_arrival() {
        let id = jwt(serde_json::json!({
            "https://api.openai.com/auth": {"chatgpt_account_id": "acct_1"}
        }));
        let issued_ms = 1_000_000_000_000;
        let with_ttl = |secs: i64| {
            let access = jwt(serde_json::json!({"exp": issued_ms / 1000 + secs}));
            CodexTokens::new(id.clone(), access, "rt".into(), issued_ms).unwrap()
        };
        // A long-lived token: due 300 s before it expires.
        let long = with_ttl(3600);
        assert!(!long.due_for_refresh(300, issued_ms + 3_299_000));
        assert!(long.due_for_refresh(300, issued_ms + 3_300_000));
        // A token living 240 s (or 301 s, read a second late): not due on arrival.
        for ttl in [240, 301] {
            let short = with_ttl(ttl);
            assert!(short.expires_within(300, issued_ms + 1_000), "{ttl}");
            assert!(!short.due_for_refresh(300, issued_ms + 1_000), "{ttl}");
            assert!(short.due_for_refresh(300, issued_ms + ttl * 500), "{ttl}");
        }
        // An expired one is due.
        assert!(with_ttl(0).due_for_refresh(300, issued_ms));
    }

    #[test]
    fn expiry_is_read_from_the_access_token() {
        let t = tokens(0);
        assert!(!t.expires_within(60, 1_000_000_000_000));
        assert!(t.expires_within(60, 1_999_999_990_000));
    }
}

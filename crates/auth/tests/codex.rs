//! "Sign in with ChatGPT" against the testkit's fake OAuth server, driven with no browser: the
//! test fetches the authorize URL itself, as a browser would.
#![allow(
    clippy::unwrap_used,
    reason = "a test helper that fails should fail loudly"
)]

use std::sync::Arc;
use std::time::Duration;

use clawbox_auth::codex::{
    CodexEndpoints, CodexLogin, CodexSession, CodexTokens, SessionError, logout,
};
use clawbox_auth::{MemoryStore, SecretStore};
use clawbox_testkit::{FakeOAuth, RefreshFailure};

/// The callback ports are fixed (OpenAI allows only 1455 and 1457): one sign-in at a time.
static PORTS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn endpoints(oauth: &FakeOAuth) -> CodexEndpoints {
    CodexEndpoints {
        issuer: oauth.url().parse().unwrap(),
        backend: "http://127.0.0.1:9".parse().unwrap(),
    }
}

/// What the system browser does: follow the authorize URL through the callback to the page.
async fn browse(url: &str) -> (u16, String, String) {
    let r = reqwest::get(url).await.unwrap();
    let final_url = r.url().to_string();
    (r.status().as_u16(), final_url, r.text().await.unwrap())
}

async fn sign_in(oauth: &FakeOAuth) -> CodexTokens {
    let login = CodexLogin::start(endpoints(oauth)).await.unwrap();
    let url = login.url.clone();
    let browser = tokio::spawn(async move { browse(&url).await });
    let tokens = login.finish(Duration::from_secs(10)).await.unwrap();
    let (status, final_url, page) = browser.await.unwrap();
    assert_eq!(status, 200);
    assert!(final_url.ends_with("/success"), "{final_url}");
    assert!(page.contains("signed in"));
    tokens
}

#[tokio::test]
async fn sign_in_end_to_end_with_pkce_and_a_clean_success_page() {
    let _ports = PORTS.lock().await;
    let oauth = FakeOAuth::start().await;
    let login = CodexLogin::start(endpoints(&oauth)).await.unwrap();
    let url = url::Url::parse(&login.url).unwrap();
    let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(q["client_id"], "app_EMoamEEZ73f0CkXaXp7hrann");
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(
        q["redirect_uri"],
        format!("http://localhost:{}/auth/callback", login.port)
    );
    assert_eq!(q["state"].len(), 43, "32 random bytes, base64url");
    assert_eq!(q["codex_cli_simplified_flow"], "true");
    drop(login);

    let tokens = sign_in(&oauth).await;
    assert_eq!(tokens.account.account_id, "acct_fake_123");
    assert_eq!(tokens.account.plan.as_deref(), Some("plus"));
    assert_eq!(tokens.account.email.as_deref(), Some("sam@example.com"));
    assert_eq!(
        Some(tokens.refresh_token.expose().to_owned()),
        oauth.current_refresh_token()
    );
}

#[tokio::test]
async fn a_forged_callback_is_refused_and_the_real_one_still_works() {
    let _ports = PORTS.lock().await;
    let oauth = FakeOAuth::start().await;
    let login = CodexLogin::start(endpoints(&oauth)).await.unwrap();
    let port = login.port;
    let url = login.url.clone();
    let finish = tokio::spawn(login.finish(Duration::from_secs(10)));
    let forged = reqwest::get(format!(
        "http://127.0.0.1:{port}/auth/callback?code=stolen&state=guessed"
    ))
    .await
    .unwrap();
    assert_eq!(forged.status(), 400);
    browse(&url).await;
    assert!(finish.await.unwrap().is_ok());
}

#[tokio::test]
async fn port_1457_is_used_when_1455_is_taken_and_a_denial_is_reported() {
    let _ports = PORTS.lock().await;
    let oauth = FakeOAuth::start().await;
    let taken = tokio::net::TcpListener::bind("127.0.0.1:1455")
        .await
        .unwrap();
    let login = CodexLogin::start(endpoints(&oauth)).await.unwrap();
    assert_eq!(login.port, 1457);
    oauth.deny_next();
    let url = login.url.clone();
    let browser = tokio::spawn(async move { browse(&url).await });
    let err = login.finish(Duration::from_secs(10)).await.unwrap_err();
    assert!(err.to_string().contains("not completed"), "{err}");
    assert_eq!(browser.await.unwrap().0, 400);
    drop(taken);
}

async fn session_with(oauth: &FakeOAuth) -> (Arc<MemoryStore>, Arc<CodexSession>) {
    let tokens = {
        let _ports = PORTS.lock().await;
        sign_in(oauth).await
    };
    let store = Arc::new(MemoryStore::new());
    tokens.save(store.as_ref()).unwrap();
    let session =
        CodexSession::new(store.clone() as Arc<dyn SecretStore>, endpoints(oauth)).unwrap();
    (store, Arc::new(session))
}

#[tokio::test]
async fn concurrent_requests_on_an_expired_token_make_exactly_one_refresh() {
    let oauth = FakeOAuth::start().await;
    oauth.set_access_ttl(0);
    let (store, session) = session_with(&oauth).await;
    oauth.set_access_ttl(3600);
    oauth.set_refresh_delay(Duration::from_millis(200));
    let calls = (0..25).map(|_| {
        let session = session.clone();
        async move { session.access().await }
    });
    let results = futures_util::future::join_all(calls).await;
    assert_eq!(oauth.refresh_count(), 1);
    let first = results[0].as_ref().unwrap().0.clone();
    assert!(results.iter().all(|r| r.as_ref().unwrap().0 == first));
    // The rotated refresh token was saved.
    let stored = CodexTokens::load(store.as_ref()).unwrap().unwrap();
    assert_eq!(
        Some(stored.refresh_token.expose().to_owned()),
        oauth.current_refresh_token()
    );
    assert_eq!(stored.access_token, first);
}

#[tokio::test]
async fn a_401_refreshes_once_even_when_many_requests_saw_it() {
    let oauth = FakeOAuth::start().await;
    let (_store, session) = session_with(&oauth).await;
    let (rejected, _) = session.access().await.unwrap();
    let calls = (0..20).map(|_| {
        let (session, rejected) = (session.clone(), rejected.clone());
        async move { session.refresh_after_401(&rejected).await }
    });
    let results = futures_util::future::join_all(calls).await;
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(oauth.refresh_count(), 1);
    assert_ne!(results[0].as_ref().unwrap().0, rejected);
}

#[tokio::test]
async fn permanent_refusals_say_sign_in_again_without_asking_twice() {
    for (code, words) in [
        ("refresh_token_expired", "expired"),
        ("refresh_token_reused", "another program"),
        ("refresh_token_invalidated", "revoked"),
    ] {
        let oauth = FakeOAuth::start().await;
        let (_store, session) = session_with(&oauth).await;
        let (token, _) = session.access().await.unwrap();
        oauth.fail_refresh(Some(RefreshFailure::Permanent(code)));
        let err = session.refresh_after_401(&token).await.unwrap_err();
        let SessionError::SignInAgain(message) = &err else {
            panic!("{code}: {err:?}");
        };
        assert!(
            message.contains(words) && message.contains("sign in again"),
            "{message}"
        );
        let again = session.refresh_after_401(&token).await.unwrap_err();
        assert!(matches!(again, SessionError::SignInAgain(_)));
        assert_eq!(
            oauth.refresh_count(),
            1,
            "{code}: the refusal is remembered"
        );
        assert_eq!(session.sign_in_problem().as_deref(), Some(message.as_str()));
    }
}

#[tokio::test]
async fn a_reused_refresh_token_is_detected_by_the_server() {
    let oauth = FakeOAuth::start().await;
    let (store, session) = session_with(&oauth).await;
    let stale = CodexTokens::load(store.as_ref()).unwrap().unwrap();
    let (token, _) = session.access().await.unwrap();
    session.refresh_after_401(&token).await.unwrap();
    // Another copy of the old bundle (a stale process) refreshing with the rotated token.
    let other = MemoryStore::new();
    stale.save(&other).unwrap();
    let stale_session =
        CodexSession::new(Arc::new(other) as Arc<dyn SecretStore>, endpoints(&oauth)).unwrap();
    let (old_token, _) = stale_session.access().await.unwrap();
    let err = stale_session
        .refresh_after_401(&old_token)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("another program"), "{err}");
}

#[tokio::test]
async fn transient_failures_back_off_then_recover() {
    let oauth = FakeOAuth::start().await;
    let (_store, session) = session_with(&oauth).await;
    let (token, _) = session.access().await.unwrap();
    oauth.fail_refresh(Some(RefreshFailure::Transient));
    let err = session.refresh_after_401(&token).await.unwrap_err();
    assert!(matches!(err, SessionError::Unavailable(_)), "{err:?}");
    let err = session.refresh_after_401(&token).await.unwrap_err();
    assert!(err.to_string().contains("retrying in"), "{err}");
    assert_eq!(oauth.refresh_count(), 1, "backing off: no second call yet");
    oauth.fail_refresh(None);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(session.refresh_after_401(&token).await.is_ok());
}

#[tokio::test]
async fn logout_revokes_and_deletes() {
    let oauth = FakeOAuth::start().await;
    let (store, _session) = session_with(&oauth).await;
    let refresh = oauth.current_refresh_token().unwrap();
    let account = logout(store.clone() as Arc<dyn SecretStore>, &endpoints(&oauth))
        .await
        .unwrap();
    let out = account.unwrap();
    assert_eq!(out.account.account_id, "acct_fake_123");
    assert!(out.revoked);
    assert_eq!(oauth.revoked(), [refresh]);
    assert!(CodexTokens::load(store.as_ref()).unwrap().is_none());
}

#[tokio::test]
async fn an_early_refresh_that_fails_keeps_using_the_still_valid_token() {
    let oauth = FakeOAuth::start().await;
    oauth.set_access_ttl(120);
    let tokens = {
        let _ports = PORTS.lock().await;
        sign_in(&oauth).await
    };
    // Received an hour ago, two minutes left: inside the early-refresh window, but valid.
    let store = Arc::new(MemoryStore::new());
    let issued_at_ms = tokens.issued_at_ms - 3_600_000;
    CodexTokens {
        issued_at_ms,
        ..tokens
    }
    .save(store.as_ref())
    .unwrap();
    let session = CodexSession::new(store as Arc<dyn SecretStore>, endpoints(&oauth)).unwrap();
    oauth.fail_refresh(Some(RefreshFailure::Transient));
    let (token, _) = session.access().await.unwrap();
    let (again, _) = session.access().await.unwrap();
    assert_eq!(token, again);
    assert_eq!(oauth.refresh_count(), 1, "backing off after the failure");
}

#[tokio::test]
async fn a_refresh_answer_without_tokens_is_not_taken_for_one() {
    let oauth = FakeOAuth::start().await;
    let (_store, session) = session_with(&oauth).await;
    let (token, _) = session.access().await.unwrap();
    oauth.fail_refresh(Some(RefreshFailure::EmptyAnswer));
    let err = session.refresh_after_401(&token).await.unwrap_err();
    assert!(matches!(err, SessionError::Unavailable(_)), "{err:?}");
}

#[tokio::test]
async fn a_keychain_that_refuses_the_save_does_not_end_the_sign_in() {
    let oauth = FakeOAuth::start().await;
    let (store, session) = session_with(&oauth).await;
    let (token, _) = session.access().await.unwrap();
    store.fail_with(Some(clawbox_auth::AuthError::KeychainLocked(
        "locked".into(),
    )));
    let (fresh, _) = session.refresh_after_401(&token).await.unwrap();
    assert_ne!(fresh, token);
    // The rotated token is kept in memory and used; no second refresh (which would be refused
    // as a reuse of the spent refresh token).
    let (again, _) = session.access().await.unwrap();
    assert_eq!(again, fresh);
    assert_eq!(oauth.refresh_count(), 1);
}

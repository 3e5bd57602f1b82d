//! What ClawBox knows of the ChatGPT plan's usage windows: updated from every answer the
//! backend gives through the sign-in, and asked of its usage endpoint when someone looks and
//! nothing fresh is known — at most once a minute, never without a sign-in.
//!
//! The last reading is kept in `<data dir>/plan-limits.json` (percentages and reset times only)
//! so `clawbox-gateway status` can show it without asking the backend again.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use clawbox_auth::codex::CodexSession;
use tokio::sync::watch;

use crate::codex::plan::{self, PlanLimits};

/// The file the last reading is kept in.
pub const PLAN_FILE: &str = "plan-limits.json";
/// A reading younger than this is fresh; the usage endpoint is asked at most this often.
pub const FRESH: Duration = Duration::from_secs(60);
/// The longest the usage endpoint may take.
const ASK_TIMEOUT: Duration = Duration::from_secs(10);

pub struct PlanBoard {
    file: PathBuf,
    current: watch::Sender<Option<PlanLimits>>,
    last_asked: Mutex<Option<Instant>>,
    /// When the file was last written, to write at most once per FRESH unless something changed.
    last_written: Mutex<Option<(Instant, Vec<plan::PlanWindow>)>>,
}

impl PlanBoard {
    /// The board, starting from the reading kept in `data_dir` (if any).
    pub fn load(data_dir: &Path) -> PlanBoard {
        let file = data_dir.join(PLAN_FILE);
        PlanBoard {
            current: watch::Sender::new(read_file(&file)),
            file,
            last_asked: Mutex::new(None),
            last_written: Mutex::new(None),
        }
    }

    pub fn current(&self) -> Option<PlanLimits> {
        self.current.borrow().clone()
    }

    /// Every new reading, for the window's notifications and tray.
    pub fn subscribe(&self) -> watch::Receiver<Option<PlanLimits>> {
        self.current.subscribe()
    }

    /// A reading from the backend. Off the request path: written when a request's row is.
    pub fn observe(&self, limits: PlanLimits) {
        let windows = limits.windows.clone();
        self.current.send_replace(Some(limits.clone()));
        let mut written = self
            .last_written
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let due = written
            .as_ref()
            .is_none_or(|(at, last)| at.elapsed() >= FRESH || *last != windows);
        if due {
            // Written under the lock: two readings never race on the temporary file. (A few
            // hundred bytes, at most once a minute unless the windows changed.)
            *written = Some((Instant::now(), windows));
            write_file(&self.file, &limits);
        }
    }

    /// The plan's windows now: the last reading when fresh, else (signed in, and not asked in
    /// the last minute) the usage endpoint's answer, else the last reading however old.
    pub async fn fresh(
        &self,
        session: Option<&CodexSession>,
        client: &reqwest::Client,
    ) -> Option<PlanLimits> {
        let session = session?;
        session.account()?;
        let now = now_secs();
        let current = self.current();
        if current
            .as_ref()
            .is_some_and(|c| now - c.observed_at < FRESH.as_secs() as i64)
        {
            return current;
        }
        {
            let mut asked = self
                .last_asked
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if asked.is_some_and(|at| at.elapsed() < FRESH) {
                return current;
            }
            *asked = Some(Instant::now());
        }
        match ask(session, client).await {
            Some(limits) => {
                self.observe(limits.clone());
                Some(limits)
            }
            None => current,
        }
    }
}

/// Asks the backend's usage endpoint, as the Codex CLI does: the access token and the account
/// id, `GET /backend-api/wham/usage`. `None` when it cannot say.
pub async fn ask(session: &CodexSession, client: &reqwest::Client) -> Option<PlanLimits> {
    let (token, account_id) = session.access().await.ok()?;
    ask_with(
        client,
        &session.endpoints().usage_url(),
        token.expose(),
        &account_id,
    )
    .await
}

/// The same with a token in hand: for a process that must not refresh the sign-in itself (the
/// command line, while the gateway may be refreshing it: a refresh token is good for one use).
pub async fn ask_with(
    client: &reqwest::Client,
    usage_url: &str,
    token: &str,
    account_id: &str,
) -> Option<PlanLimits> {
    let request = client
        .get(usage_url)
        .bearer_auth(token)
        .header("chatgpt-account-id", account_id)
        .header("accept", "application/json")
        .send();
    let response = match tokio::time::timeout(ASK_TIMEOUT, request).await {
        Ok(Ok(r)) if r.status().is_success() => r,
        Ok(Ok(r)) => {
            tracing::debug!(
                status = r.status().as_u16(),
                "the plan's usage endpoint refused"
            );
            return None;
        }
        _ => return None,
    };
    let body = tokio::time::timeout(ASK_TIMEOUT, response.bytes())
        .await
        .ok()?
        .ok()?;
    plan::from_usage_answer(&body, now_secs())
}

/// The reading kept in a data dir, for a process other than the gateway (the command line).
pub fn read_file(path: &Path) -> Option<PlanLimits> {
    let text = std::fs::read(path).ok()?;
    serde_json::from_slice(&text).ok()
}

/// Keeps a reading in a data dir (replaced atomically; a failure only costs a fresh ask).
pub fn write_file(path: &Path, limits: &PlanLimits) {
    let Ok(text) = serde_json::to_vec_pretty(limits) else {
        return;
    };
    let tmp = path.with_extension("json.tmp");
    if let Err(e) = std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, path)) {
        tracing::debug!(error = %e, "cannot keep the plan's usage windows");
    }
}

/// Unix seconds now.
pub fn now_secs() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

//! Conversations that survive on routes whose upstream keeps nothing — the ChatGPT sign-in,
//! local models, named providers: ClawBox keeps each response (clawbox-conversations, encrypted
//! at rest) and plays OpenAI's part of the Responses API's state: `previous_response_id` is
//! expanded into the full input here (prepare.rs), the answer's ids become ClawBox's and the
//! answer is kept as it streams back (keeper.rs), and `GET`/`DELETE /v1/responses/{id}` and
//! `…/input_items` are answered from the store (api.rs). OpenAI direct and hosted mode pass all
//! of it through untouched.
//!
//! The store's key lives in the secret store beside the other keys; with no secret store
//! nothing is kept, and a request that needs state is refused with the fix.

mod api;
mod conversation_api;
mod keeper;
mod owner;
mod prepare;

use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc;

use clawbox_auth::{Secret, SecretStore};
use clawbox_conversations::{CONVERSATIONS_FILE, ConversationStore, Owner, StoredResponse, Vault};

pub use api::answer_from_store;
pub(crate) use keeper::Keeper;
pub use owner::owner_of;
pub(crate) use prepare::replayable as replayable_for_store;
pub use prepare::{Keep, prepare};

/// The secret store item holding the conversation store's key.
pub const KEY_ITEM: &str = "conversations-key";

/// Kept responses arrive here and are written by one thread, off the request path.
enum Job {
    Keep(Owner, Box<StoredResponse>),
    /// Items to add to a conversation (a turn's input and output), in order.
    Append(Owner, String, Vec<serde_json::Value>),
    /// Answered once everything queued before it is written.
    Flush(mpsc::Sender<()>),
}

pub struct Conversations {
    store: Option<Arc<ConversationStore>>,
    /// Why nothing can be kept, in words for the person (no secret store, an unusable file).
    problem: Option<String>,
    writer: Option<mpsc::Sender<Job>>,
}

impl Conversations {
    /// Opens the store in `data_dir` with its key from `secrets` (made on first use). Never
    /// fails: without a secret store or with an unusable file, nothing is kept and requests that
    /// need state are told why.
    pub fn open(data_dir: &Path, secrets: Option<Arc<dyn SecretStore>>) -> Conversations {
        match open_store(data_dir, secrets) {
            Ok(store) => {
                let store = Arc::new(store);
                let (writer, jobs) = mpsc::channel::<Job>();
                let writing = Arc::clone(&store);
                let spawned = std::thread::Builder::new()
                    .name("clawbox-conversations".into())
                    .spawn(move || {
                        for job in jobs {
                            match job {
                                Job::Keep(owner, response) => {
                                    if let Err(e) = writing.put_response(&owner, &response) {
                                        tracing::warn!(error = %e, "a response could not be kept");
                                    }
                                }
                                Job::Flush(done) => {
                                    let _ = done.send(());
                                }
                                Job::Append(owner, conversation, items) => {
                                    let items = conversation_api::with_ids(items);
                                    let now = crate::plan_board::now_secs();
                                    if let Err(e) =
                                        writing.add_items(&owner, &conversation, &items, now)
                                    {
                                        tracing::warn!(error = %e, "a turn could not be added");
                                    }
                                }
                            }
                        }
                    });
                Conversations {
                    store: Some(store),
                    problem: None,
                    writer: spawned.ok().map(|_| writer),
                }
            }
            Err(problem) => {
                tracing::warn!(%problem, "conversations will not be kept");
                Conversations {
                    store: None,
                    problem: Some(problem),
                    writer: None,
                }
            }
        }
    }

    pub fn store(&self) -> Option<&Arc<ConversationStore>> {
        self.store.as_ref()
    }

    /// Why nothing is kept, when nothing can be.
    pub fn problem(&self) -> Option<&str> {
        self.problem.as_deref()
    }

    /// Keeps a response, off the request path.
    pub(crate) fn keep(&self, owner: Owner, response: StoredResponse) {
        if let Some(writer) = &self.writer {
            let _ = writer.send(Job::Keep(owner, Box::new(response)));
        }
    }

    /// Waits (blocking, at most a second) until every turn queued so far is written: a reader
    /// then sees what a client was already answered.
    pub(crate) fn flush(&self) {
        if let Some(writer) = &self.writer {
            let (done, written) = mpsc::channel();
            if writer.send(Job::Flush(done)).is_ok() {
                let _ = written.recv_timeout(std::time::Duration::from_secs(1));
            }
        }
    }

    /// Forgets what was kept more than `days` ago (0: nothing); how many rows went. Blocking.
    pub fn forget_older_than(&self, days: u32) -> Result<usize, String> {
        let Some(store) = &self.store else {
            return Ok(0);
        };
        if days == 0 {
            return Ok(0);
        }
        let cutoff = crate::plan_board::now_secs() - i64::from(days) * 86_400;
        store.forget_before(cutoff).map_err(|e| e.to_string())
    }

    /// Adds a turn's items to a conversation, off the request path.
    pub(crate) fn append(&self, owner: Owner, conversation: String, items: Vec<serde_json::Value>) {
        if let Some(writer) = &self.writer {
            let _ = writer.send(Job::Append(owner, conversation, items));
        }
    }
}

fn open_store(
    data_dir: &Path,
    secrets: Option<Arc<dyn SecretStore>>,
) -> Result<ConversationStore, String> {
    let secrets = secrets.ok_or_else(|| {
        "no secret store is available to hold the conversations' key (use the system keychain, \
         or CLAWBOX_SECRET_STORE=file)"
            .to_owned()
    })?;
    let key = match secrets.get(KEY_ITEM).map_err(|e| e.to_string())? {
        Some(key) => key,
        None => {
            // A file without its key can never be read again: start afresh.
            for suffix in ["", "-wal", "-shm"] {
                let _ =
                    std::fs::remove_file(data_dir.join(format!("{CONVERSATIONS_FILE}{suffix}")));
            }
            let key = Secret::new(Vault::generate_key());
            secrets.set(KEY_ITEM, &key).map_err(|e| e.to_string())?;
            key
        }
    };
    let vault = Vault::from_key(key.expose()).map_err(|e| e.to_string())?;
    ConversationStore::open(&data_dir.join(CONVERSATIONS_FILE), vault).map_err(|e| e.to_string())
}

/// A new id in OpenAI's form: a prefix and 48 hex digits, 24 random bytes (never guessable:
/// the id is how a client finds its conversation).
pub(crate) fn new_id(prefix: &str) -> String {
    let bytes: [u8; 24] = rand::random();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}_{hex}")
}

/// Forgets kept conversations past `conversation_retention_days`, at start and then hourly,
/// until the gateway is dropped.
pub(crate) async fn forget_old(gateway: std::sync::Weak<crate::Gateway>) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(gateway) = gateway.upgrade() else {
            return;
        };
        let days = gateway.config().conversation_retention_days;
        let conversations = Arc::clone(&gateway.conversations);
        drop(gateway);
        if conversations.store().is_none() {
            return;
        }
        let forgotten =
            tokio::task::spawn_blocking(move || conversations.forget_older_than(days)).await;
        if let Ok(Err(e)) = forgotten {
            tracing::warn!(error = %e, "old conversations could not be forgotten");
        }
    }
}

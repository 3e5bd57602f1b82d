//! The file: `conversations.db`, rows whose content is sealed (vault.rs). Columns in the clear
//! are only what lookups need: ids, a keyed hash of the owner, times and sizes (a response's
//! parent is inside its seal, so the file does not show how turns chain).

use std::path::Path;
use std::sync::{Mutex, PoisonError};

use rusqlite::{Connection, OptionalExtension, params};

use crate::{ConversationError, Owner, StoredResponse, Vault};

pub const CONVERSATIONS_FILE: &str = "conversations.db";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS responses (
    id           TEXT PRIMARY KEY,
    owner        TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    bytes        INTEGER NOT NULL,
    sealed       BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS responses_created ON responses(created_at);
CREATE TABLE IF NOT EXISTS conversations (
    id           TEXT PRIMARY KEY,
    owner        TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    sealed       BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS conversations_created ON conversations(created_at);
CREATE TABLE IF NOT EXISTS items (
    id           TEXT PRIMARY KEY,
    conversation TEXT NOT NULL,
    owner        TEXT NOT NULL,
    seq          INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    bytes        INTEGER NOT NULL,
    sealed       BLOB NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS items_order ON items(conversation, seq);
";

/// What is kept, in numbers (never content).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    pub responses: u64,
    pub conversations: u64,
    pub items: u64,
    /// The file's size on disk.
    pub bytes: u64,
}

pub struct ConversationStore {
    conn: Mutex<Connection>,
    vault: Vault,
}

// Conversations and their items: conversations.rs.

impl ConversationStore {
    /// Opens (creating) the store at `path`, readable by this user only.
    pub fn open(path: &Path, vault: Vault) -> Result<ConversationStore, ConversationError> {
        let fail = |reason: String| ConversationError::Open {
            path: path.display().to_string(),
            reason,
        };
        let conn = Connection::open(path).map_err(|e| fail(e.to_string()))?;
        restrict(path).map_err(|e| fail(e.to_string()))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // Deleted content is overwritten, not left in free pages.
        conn.pragma_update(None, "secure_delete", "ON")?;
        conn.execute_batch(SCHEMA)?;
        Ok(ConversationStore {
            conn: Mutex::new(conn),
            vault,
        })
    }

    pub(crate) fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn owner(&self, owner: &Owner) -> String {
        self.vault.owner_name(&owner.parts())
    }

    /// Keeps a response (replacing one of the same id).
    pub(crate) fn seal(&self, context: &str, plain: &[u8]) -> Result<Vec<u8>, ConversationError> {
        self.vault.seal(context, plain)
    }

    pub fn put_response(
        &self,
        owner: &Owner,
        response: &StoredResponse,
    ) -> Result<(), ConversationError> {
        let who = self.owner(owner);
        let plain = serde_json::to_vec(response)?;
        let sealed = self
            .vault
            .seal(&context("response", &response.id, &who), &plain)?;
        self.conn().execute(
            "INSERT OR REPLACE INTO responses (id, owner, created_at, bytes, sealed)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                response.id,
                who,
                response.created_at,
                plain.len() as i64,
                sealed
            ],
        )?;
        Ok(())
    }

    /// The response `id` if `owner` kept it.
    pub fn response(
        &self,
        owner: &Owner,
        id: &str,
    ) -> Result<Option<StoredResponse>, ConversationError> {
        let who = self.owner(owner);
        let sealed: Option<Vec<u8>> = self
            .conn()
            .query_row(
                "SELECT sealed FROM responses WHERE id = ?1 AND owner = ?2",
                params![id, who],
                |r| r.get(0),
            )
            .optional()?;
        sealed
            .map(|s| self.open_json(&context("response", id, &who), &s))
            .transpose()
    }

    /// Forgets the response `id` of `owner`; whether there was one.
    pub fn delete_response(&self, owner: &Owner, id: &str) -> Result<bool, ConversationError> {
        let who = self.owner(owner);
        let n = self.conn().execute(
            "DELETE FROM responses WHERE id = ?1 AND owner = ?2",
            params![id, who],
        )?;
        Ok(n > 0)
    }

    /// The chain that ends at `id`, oldest first, at most `max` responses long (`Err(len)` past
    /// it, with how far it went); `None` when `owner` kept no `id`. A parent that is gone (deleted,
    /// or past retention) ends the chain there.
    pub fn chain(
        &self,
        owner: &Owner,
        id: &str,
        max: usize,
    ) -> Result<Option<Result<Vec<StoredResponse>, usize>>, ConversationError> {
        let who = self.owner(owner);
        let conn = self.conn();
        let mut statement =
            conn.prepare_cached("SELECT sealed FROM responses WHERE id = ?1 AND owner = ?2")?;
        let mut chain = Vec::new();
        let mut next = Some(id.to_owned());
        while let Some(at) = next.take() {
            let sealed: Option<Vec<u8>> = statement
                .query_row(params![at, who], |r| r.get(0))
                .optional()?;
            let Some(sealed) = sealed else {
                if chain.is_empty() {
                    return Ok(None);
                }
                break;
            };
            if chain.len() == max {
                return Ok(Some(Err(max)));
            }
            let response: StoredResponse =
                self.open_json(&context("response", &at, &who), &sealed)?;
            next.clone_from(&response.parent);
            chain.push(response);
        }
        chain.reverse();
        Ok(Some(Ok(chain)))
    }

    /// Forgets everything kept before `cutoff` (Unix seconds); how many rows went.
    pub fn forget_before(&self, cutoff: i64) -> Result<usize, ConversationError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let mut n = tx.execute("DELETE FROM responses WHERE created_at < ?1", [cutoff])?;
        n += tx.execute(
            "DELETE FROM items WHERE conversation IN
                 (SELECT id FROM conversations WHERE created_at < ?1)",
            [cutoff],
        )?;
        n += tx.execute("DELETE FROM conversations WHERE created_at < ?1", [cutoff])?;
        tx.commit()?;
        Ok(n)
    }

    /// Forgets everything, and gives the space back.
    pub fn clear(&self) -> Result<(), ConversationError> {
        let conn = self.conn();
        conn.execute_batch(
            "DELETE FROM responses; DELETE FROM items; DELETE FROM conversations; VACUUM;",
        )?;
        Ok(())
    }

    pub fn stats(&self) -> Result<Stats, ConversationError> {
        let conn = self.conn();
        let count = |table: &str| -> Result<u64, ConversationError> {
            let n: i64 =
                conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
            Ok(u64::try_from(n).unwrap_or(0))
        };
        let pages: i64 = conn.query_row(
            "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
            [],
            |r| r.get(0),
        )?;
        Ok(Stats {
            responses: count("responses")?,
            conversations: count("conversations")?,
            items: count("items")?,
            bytes: u64::try_from(pages).unwrap_or(0),
        })
    }

    pub(crate) fn open_json<T: serde::de::DeserializeOwned>(
        &self,
        context: &str,
        sealed: &[u8],
    ) -> Result<T, ConversationError> {
        let plain = self.vault.open(context, sealed)?;
        Ok(serde_json::from_slice(&plain)?)
    }
}

/// What a row's seal is bound to: its kind, id and owner.
pub(crate) fn context(kind: &str, id: &str, owner: &str) -> String {
    format!("{kind}|{id}|{owner}")
}

#[cfg(unix)]
fn restrict(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
}

#[cfg(not(unix))]
fn restrict(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

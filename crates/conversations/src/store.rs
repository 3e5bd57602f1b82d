//! The file: `conversations.db`, rows whose content is sealed (vault.rs). Columns in the clear
//! are only what lookups need: ids, a keyed hash of the owner, times and sizes (a response's
//! parent is inside its seal, so the file does not show how turns chain).

use std::path::Path;
use std::sync::{Mutex, PoisonError};

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;

use crate::{Conversation, ConversationError, Item, Owner, StoredResponse, Vault};

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

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn owner(&self, owner: &Owner) -> String {
        self.vault.owner_name(&owner.parts())
    }

    /// Keeps a response (replacing one of the same id).
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

    /// A new conversation for `owner`.
    pub fn create_conversation(
        &self,
        owner: &Owner,
        conversation: &Conversation,
    ) -> Result<(), ConversationError> {
        let who = self.owner(owner);
        let sealed = self.vault.seal(
            &context("conversation", &conversation.id, &who),
            &serde_json::to_vec(&conversation.metadata)?,
        )?;
        self.conn().execute(
            "INSERT OR REPLACE INTO conversations (id, owner, created_at, sealed)
             VALUES (?1, ?2, ?3, ?4)",
            params![conversation.id, who, conversation.created_at, sealed],
        )?;
        Ok(())
    }

    pub fn conversation(
        &self,
        owner: &Owner,
        id: &str,
    ) -> Result<Option<Conversation>, ConversationError> {
        let who = self.owner(owner);
        let row: Option<(i64, Vec<u8>)> = self
            .conn()
            .query_row(
                "SELECT created_at, sealed FROM conversations WHERE id = ?1 AND owner = ?2",
                params![id, who],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        row.map(|(created_at, sealed)| {
            Ok(Conversation {
                id: id.to_owned(),
                created_at,
                metadata: self.open_json(&context("conversation", id, &who), &sealed)?,
            })
        })
        .transpose()
    }

    /// Forgets a conversation and its items; whether there was one.
    pub fn delete_conversation(&self, owner: &Owner, id: &str) -> Result<bool, ConversationError> {
        let who = self.owner(owner);
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let n = tx.execute(
            "DELETE FROM conversations WHERE id = ?1 AND owner = ?2",
            params![id, who],
        )?;
        if n > 0 {
            tx.execute(
                "DELETE FROM items WHERE conversation = ?1 AND owner = ?2",
                params![id, who],
            )?;
        }
        tx.commit()?;
        Ok(n > 0)
    }

    /// Appends `items` (each with its `id` already set) to a conversation of `owner`, in order;
    /// `None` when there is no such conversation.
    pub fn add_items(
        &self,
        owner: &Owner,
        conversation: &str,
        items: &[(String, Value)],
        created_at: i64,
    ) -> Result<Option<Vec<Item>>, ConversationError> {
        let who = self.owner(owner);
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let exists: bool = tx
            .query_row(
                "SELECT 1 FROM conversations WHERE id = ?1 AND owner = ?2",
                params![conversation, who],
                |_| Ok(true),
            )
            .optional()?
            .unwrap_or(false);
        if !exists {
            return Ok(None);
        }
        let mut seq: i64 = tx.query_row(
            "SELECT COALESCE(MAX(seq), 0) FROM items WHERE conversation = ?1",
            params![conversation],
            |r| r.get(0),
        )?;
        let mut added = Vec::with_capacity(items.len());
        for (id, item) in items {
            seq += 1;
            let plain = serde_json::to_vec(item)?;
            let sealed = self
                .vault
                .seal(&item_context(conversation, id, &who), &plain)?;
            tx.execute(
                "INSERT INTO items (id, conversation, owner, seq, created_at, bytes, sealed)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    id,
                    conversation,
                    who,
                    seq,
                    created_at,
                    plain.len() as i64,
                    sealed
                ],
            )?;
            added.push(Item {
                id: id.clone(),
                conversation: conversation.to_owned(),
                seq,
                created_at,
                item: item.clone(),
            });
        }
        tx.commit()?;
        Ok(Some(added))
    }

    /// A conversation's items of `owner`, in order (`newest_first` reverses it), after the item
    /// `after` (exclusive), at most `limit`.
    pub fn items(
        &self,
        owner: &Owner,
        conversation: &str,
        after: Option<&str>,
        limit: usize,
        newest_first: bool,
    ) -> Result<Vec<Item>, ConversationError> {
        let who = self.owner(owner);
        let conn = self.conn();
        let from: Option<i64> = match after {
            Some(after) => conn
                .query_row(
                    "SELECT seq FROM items WHERE id = ?1 AND conversation = ?2 AND owner = ?3",
                    params![after, conversation, who],
                    |r| r.get(0),
                )
                .optional()?,
            None => None,
        };
        let sql = if newest_first {
            "SELECT id, seq, created_at, sealed FROM items
             WHERE conversation = ?1 AND owner = ?2 AND seq < COALESCE(?3, 9223372036854775807)
             ORDER BY seq DESC LIMIT ?4"
        } else {
            "SELECT id, seq, created_at, sealed FROM items
             WHERE conversation = ?1 AND owner = ?2 AND seq > COALESCE(?3, 0)
             ORDER BY seq LIMIT ?4"
        };
        let mut statement = conn.prepare_cached(sql)?;
        let rows = statement.query_map(
            params![
                conversation,
                who,
                from,
                i64::try_from(limit).unwrap_or(i64::MAX)
            ],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, Vec<u8>>(3)?,
                ))
            },
        )?;
        let mut items = Vec::new();
        for row in rows {
            let (id, seq, created_at, sealed) = row?;
            let item = self.open_json(&item_context(conversation, &id, &who), &sealed)?;
            items.push(Item {
                id,
                conversation: conversation.to_owned(),
                seq,
                created_at,
                item,
            });
        }
        Ok(items)
    }

    /// Forgets one item of a conversation; whether there was one.
    pub fn delete_item(
        &self,
        owner: &Owner,
        conversation: &str,
        id: &str,
    ) -> Result<bool, ConversationError> {
        let who = self.owner(owner);
        let n = self.conn().execute(
            "DELETE FROM items WHERE id = ?1 AND conversation = ?2 AND owner = ?3",
            params![id, conversation, who],
        )?;
        Ok(n > 0)
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

    fn open_json<T: serde::de::DeserializeOwned>(
        &self,
        context: &str,
        sealed: &[u8],
    ) -> Result<T, ConversationError> {
        let plain = self.vault.open(context, sealed)?;
        Ok(serde_json::from_slice(&plain)?)
    }
}

/// What a row's seal is bound to: its kind, id and owner.
fn context(kind: &str, id: &str, owner: &str) -> String {
    format!("{kind}|{id}|{owner}")
}

/// An item's seal is also bound to its conversation: it cannot be moved to another.
fn item_context(conversation: &str, id: &str, owner: &str) -> String {
    format!("item|{conversation}|{id}|{owner}")
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

//! Conversations (the Conversations API) and their items, in order: the same file and seals as
//! responses (store.rs), each item's seal also bound to its conversation.

use rusqlite::{OptionalExtension, params};
use serde_json::Value;

use crate::store::context;
use crate::{Conversation, ConversationError, ConversationStore, Item, Owner};

impl ConversationStore {
    /// A new conversation for `owner`.
    pub fn create_conversation(
        &self,
        owner: &Owner,
        conversation: &Conversation,
    ) -> Result<(), ConversationError> {
        let who = self.owner(owner);
        let sealed = self.seal(
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
            let sealed = self.seal(&item_context(conversation, id, &who), &plain)?;
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
}

/// An item's seal is also bound to its conversation: it cannot be moved to another.
fn item_context(conversation: &str, id: &str, owner: &str) -> String {
    format!("item|{conversation}|{id}|{owner}")
}

//! Kept conversations: what OpenAI's Responses API keeps for a client (`store`,
//! `previous_response_id`, `GET /v1/responses/{id}`, the Conversations API), kept by ClawBox for
//! the routes whose upstream keeps nothing (the ChatGPT sign-in, local models, named providers).
//!
//! Private by construction: a SQLite file of its own (`conversations.db`), each row's content
//! sealed with XChaCha20-Poly1305 under a key the caller keeps in the secret store (vault.rs),
//! bound to the row's id and owner so a sealed blob cannot be moved to another row or person.
//! Owners are a keyed hash of who asked (a user id and their credential), so even the owner
//! column names no one. Nothing here knows HTTP, the gateway or the keychain.

mod conversations;
mod error;
mod record;
mod store;
mod vault;

pub use error::ConversationError;
pub use record::{Conversation, Item, Owner, StoredResponse};
pub use store::{CONVERSATIONS_FILE, ConversationStore, Stats};
pub use vault::{KEY_LEN, Vault};

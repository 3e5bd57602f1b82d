//! What is kept, as the store hands it out (its sealed form is the same, as JSON).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Who kept something: a user id and the credential that asked. A holder of the local key is
/// the same owner after the key is rotated; a caller's own provider key is its own owner
/// (known only by a keyed hash); a request with no credential (a local model) is the user's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub user_id: String,
    credential: OwnerCredential,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum OwnerCredential {
    LocalKey,
    Key(String),
    None,
}

impl Owner {
    /// A holder of ClawBox's local key.
    pub fn local_key(user_id: &str) -> Owner {
        Owner {
            user_id: user_id.to_owned(),
            credential: OwnerCredential::LocalKey,
        }
    }

    /// A caller with its own provider key.
    pub fn own_key(user_id: &str, key: &str) -> Owner {
        Owner {
            user_id: user_id.to_owned(),
            credential: OwnerCredential::Key(key.to_owned()),
        }
    }

    /// A caller with no credential.
    pub fn no_key(user_id: &str) -> Owner {
        Owner {
            user_id: user_id.to_owned(),
            credential: OwnerCredential::None,
        }
    }

    /// The parts its stored name is a keyed hash of.
    pub(crate) fn parts(&self) -> [&str; 3] {
        match &self.credential {
            OwnerCredential::LocalKey => [&self.user_id, "local-key", ""],
            OwnerCredential::Key(key) => [&self.user_id, "own-key", key],
            OwnerCredential::None => [&self.user_id, "no-key", ""],
        }
    }
}

/// One response as the client got it, with what it was asked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredResponse {
    /// ClawBox's id (`resp_…`), the one the client saw.
    pub id: String,
    /// The response it continued (`previous_response_id`).
    pub parent: Option<String>,
    /// The conversation it belongs to, if any.
    pub conversation: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
    /// The request's `instructions`.
    pub instructions: Option<Value>,
    /// The request's input items (a string input as one user message).
    pub input: Vec<Value>,
    /// The whole response object, as returned (its `output`, `usage`, `model`…).
    pub response: Value,
}

impl StoredResponse {
    /// Its output items.
    pub fn output(&self) -> &[Value] {
        self.response["output"]
            .as_array()
            .map_or(&[], Vec::as_slice)
    }
}

/// A conversation (the Conversations API): its id, creation time and metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    pub id: String,
    pub created_at: i64,
    pub metadata: Value,
}

/// One item of a conversation, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub id: String,
    pub conversation: String,
    /// Its place in the conversation (1, 2, …).
    pub seq: i64,
    pub created_at: i64,
    pub item: Value,
}

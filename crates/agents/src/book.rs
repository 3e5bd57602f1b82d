//! The sessions ClawBox started, so a project's sessions can be listed and reopened (through the
//! agent) after ClawBox restarts. Only metadata is kept — ids, agent, folder, a title made of
//! those, times — never anything the person or the agent said: the conversation itself lives
//! with the agent (in the config home ClawBox owns for it), which replays it on `session/load`.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// One session's metadata (`<data dir>/agents/sessions.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SessionRecord {
    /// ClawBox's id (also the `agent_session` of its model calls in the request log).
    pub id: String,
    pub agent: String,
    pub project: String,
    /// `<agent's title> in <folder name>`: made by ClawBox, not from the conversation.
    pub title: String,
    /// The agent's own session id (what reopening it takes).
    pub acp_session: String,
    /// The agent can reopen it.
    pub resumable: bool,
    /// Unix seconds.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub created_at: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub updated_at: u64,
}

/// One writer at a time in this process (the window can start one session while another is
/// prompted): each change reads, edits and replaces the whole file.
static WRITING: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The most sessions remembered; the oldest are forgotten first.
const KEEP: usize = 200;

/// `sessions.json`, read and rewritten whole (it is small), atomically.
#[derive(Debug, Clone)]
pub struct SessionBook {
    path: PathBuf,
}

impl SessionBook {
    pub fn new(agents_dir: &Path) -> SessionBook {
        SessionBook {
            path: agents_dir.join("sessions.json"),
        }
    }

    /// Newest first. A missing or unreadable file is an empty book (it holds nothing that
    /// cannot be lost).
    pub fn list(&self) -> Vec<SessionRecord> {
        let mut records: Vec<SessionRecord> = std::fs::read(&self.path)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        records.sort_by_key(|record| std::cmp::Reverse(record.updated_at));
        records
    }

    pub fn get(&self, id: &str) -> Option<SessionRecord> {
        self.list().into_iter().find(|record| record.id == id)
    }

    /// Adds or replaces `record`.
    pub fn put(&self, record: SessionRecord) -> std::io::Result<()> {
        let _writing = WRITING
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut records = self.list();
        records.retain(|existing| existing.id != record.id);
        records.insert(0, record);
        records.truncate(KEEP);
        self.write(&records)
    }

    /// Marks a session as used now.
    pub fn touch(&self, id: &str) -> std::io::Result<()> {
        let _writing = WRITING
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut records = self.list();
        let Some(record) = records.iter_mut().find(|record| record.id == id) else {
            return Ok(());
        };
        record.updated_at = now();
        self.write(&records)
    }

    /// The project folders of recent sessions, most recent first, each once.
    pub fn recent_projects(&self) -> Vec<String> {
        let mut seen = Vec::new();
        for record in self.list() {
            if !seen.contains(&record.project) {
                seen.push(record.project);
            }
        }
        seen.truncate(10);
        seen
    }

    fn write(&self, records: &[SessionRecord]) -> std::io::Result<()> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = self
            .path
            .with_extension(format!("json.{}.tmp", std::process::id()));
        std::fs::write(
            &tmp,
            serde_json::to_vec_pretty(records).map_err(std::io::Error::other)?,
        )?;
        std::fs::rename(&tmp, &self.path)
    }
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str, project: &str, at: u64) -> SessionRecord {
        SessionRecord {
            id: id.into(),
            agent: "claude".into(),
            project: project.into(),
            title: "Claude Code in p".into(),
            acp_session: format!("acp-{id}"),
            resumable: true,
            created_at: at,
            updated_at: at,
        }
    }

    #[test]
    fn sessions_are_kept_newest_first_and_projects_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let book = SessionBook::new(dir.path());
        assert!(book.list().is_empty());
        book.put(record("a", "/p1", 10)).expect("put");
        book.put(record("b", "/p2", 20)).expect("put");
        book.put(record("c", "/p1", 30)).expect("put");
        let ids: Vec<String> = book.list().into_iter().map(|r| r.id).collect();
        assert_eq!(ids, ["c", "b", "a"]);
        assert_eq!(book.recent_projects(), ["/p1", "/p2"]);
        book.touch("a").expect("touch");
        assert_eq!(book.list()[0].id, "a");
        assert_eq!(book.get("b").map(|r| r.acp_session), Some("acp-b".into()));
        std::fs::write(dir.path().join("sessions.json"), "not json").expect("write");
        assert!(book.list().is_empty(), "a broken book is an empty one");
    }
}

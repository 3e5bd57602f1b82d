//! Who answers an agent's `session/request_permission`: the person (the window's cards), or the
//! session's approval setting (`agent run --approve`). Options are picked by their ACP `kind`,
//! never by id or position: agents name them differently (Claude: allow/reject, Codex:
//! approved/abort).

use agent_client_protocol::v1::schema::{
    PermissionOption, PermissionOptionKind, RequestPermissionOutcome, SelectedPermissionOutcome,
    ToolKind,
};
use serde::{Deserialize, Serialize};

/// A session's approval setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Approval {
    /// Ask the person for each request (the window).
    #[default]
    Ask,
    /// Reject every request (and say so).
    None,
    /// Allow requests whose tool kind is read, search, fetch or think; reject the rest.
    Reads,
    /// Allow every request that names no path outside the project folder (commands it allows run
    /// as the person, like any command they run).
    All,
}

impl std::str::FromStr for Approval {
    type Err = String;
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "ask" => Ok(Approval::Ask),
            "none" => Ok(Approval::None),
            "reads" => Ok(Approval::Reads),
            "all" => Ok(Approval::All),
            other => Err(format!("expected none, reads or all, got {other:?}")),
        }
    }
}

/// An answer to one permission request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Answer {
    AllowOnce,
    /// Allow this kind of request for the rest of the session.
    AllowAlways,
    Reject,
}

impl Approval {
    /// The setting's answer, or `None` when the person must be asked.
    pub fn answer(self, kind: Option<ToolKind>) -> Option<Answer> {
        match self {
            Approval::Ask => None,
            Approval::None => Some(Answer::Reject),
            Approval::All => Some(Answer::AllowOnce),
            Approval::Reads => Some(match kind {
                Some(ToolKind::Read | ToolKind::Search | ToolKind::Fetch | ToolKind::Think) => {
                    Answer::AllowOnce
                }
                _ => Answer::Reject,
            }),
        }
    }
}

/// What the person (or the `all` setting) allowed and has not been used yet: one command line
/// or one file path per allowed request, for two minutes. ClawBox runs a command or writes a
/// file the agent asks it to only against such a grant (or after asking itself), so an agent
/// cannot skip the question by not asking it.
#[derive(Default)]
pub(crate) struct Grants {
    items: std::sync::Mutex<Vec<(String, std::time::Instant)>>,
}

const GRANT_LIFETIME: std::time::Duration = std::time::Duration::from_secs(120);

impl Grants {
    pub(crate) fn grant(&self, key: &str) {
        if let Ok(mut items) = self.items.lock() {
            items.retain(|(_, at)| at.elapsed() < GRANT_LIFETIME);
            // The agent decides how many requests there are; keep the memory bounded.
            if items.len() >= 1000 {
                items.remove(0);
            }
            items.push((key.trim().to_owned(), std::time::Instant::now()));
        }
    }

    /// Uses up the grant for `key`, if there is one.
    pub(crate) fn take(&self, key: &str) -> bool {
        let Ok(mut items) = self.items.lock() else {
            return false;
        };
        items.retain(|(_, at)| at.elapsed() < GRANT_LIFETIME);
        match items.iter().position(|(granted, _)| granted == key.trim()) {
            Some(index) => {
                items.remove(index);
                true
            }
            None => false,
        }
    }
}

/// The agent's option for `answer`, as the outcome to send.
pub(crate) fn outcome(options: &[PermissionOption], answer: Answer) -> RequestPermissionOutcome {
    use PermissionOptionKind::{AllowAlways, AllowOnce, RejectAlways, RejectOnce};
    let preference: &[PermissionOptionKind] = match answer {
        Answer::AllowOnce => &[AllowOnce],
        Answer::AllowAlways => &[AllowAlways, AllowOnce],
        Answer::Reject => &[RejectOnce, RejectAlways],
    };
    preference
        .iter()
        .find_map(|kind| options.iter().find(|option| option.kind == *kind))
        .map(|option| {
            RequestPermissionOutcome::Selected(SelectedPermissionOutcome::new(
                option.option_id.clone(),
            ))
        })
        // No matching option: a rejection the agent must understand is "cancelled".
        .unwrap_or(RequestPermissionOutcome::Cancelled)
}

pub(crate) fn kind_name(kind: PermissionOptionKind) -> &'static str {
    match kind {
        PermissionOptionKind::AllowOnce => "allow_once",
        PermissionOptionKind::AllowAlways => "allow_always",
        PermissionOptionKind::RejectOnce => "reject_once",
        PermissionOptionKind::RejectAlways => "reject_always",
        _ => "other",
    }
}

/// How an outcome reads in events: the chosen option's kind, or `cancelled`.
pub(crate) fn outcome_name(
    options: &[PermissionOption],
    outcome: &RequestPermissionOutcome,
) -> String {
    match outcome {
        RequestPermissionOutcome::Selected(selected) => options
            .iter()
            .find(|option| option.option_id == selected.option_id)
            .map_or("other", |option| kind_name(option.kind))
            .to_owned(),
        _ => "cancelled".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_answer_by_tool_kind() {
        assert_eq!(Approval::Ask.answer(Some(ToolKind::Read)), None);
        assert_eq!(
            Approval::None.answer(Some(ToolKind::Read)),
            Some(Answer::Reject)
        );
        assert_eq!(
            Approval::Reads.answer(Some(ToolKind::Search)),
            Some(Answer::AllowOnce)
        );
        assert_eq!(
            Approval::Reads.answer(Some(ToolKind::Edit)),
            Some(Answer::Reject)
        );
        assert_eq!(Approval::Reads.answer(None), Some(Answer::Reject));
        assert_eq!(
            Approval::All.answer(Some(ToolKind::Execute)),
            Some(Answer::AllowOnce)
        );
    }

    #[test]
    fn grants_are_for_one_use_of_that_exact_thing() {
        let grants = Grants::default();
        grants.grant("echo hi ");
        assert!(!grants.take("rm -rf ~"));
        assert!(grants.take("echo hi"));
        assert!(!grants.take("echo hi"), "used once");
    }

    #[test]
    fn options_are_picked_by_kind() {
        let options = vec![
            PermissionOption::new("approved", "Yes", PermissionOptionKind::AllowOnce),
            PermissionOption::new("abort", "No", PermissionOptionKind::RejectOnce),
        ];
        let name = |answer| outcome_name(&options, &outcome(&options, answer));
        assert_eq!(name(Answer::AllowOnce), "allow_once");
        assert_eq!(
            name(Answer::AllowAlways),
            "allow_once",
            "falls back to once"
        );
        assert_eq!(name(Answer::Reject), "reject_once");
        let only_allow = vec![PermissionOption::new(
            "y",
            "Yes",
            PermissionOptionKind::AllowOnce,
        )];
        assert_eq!(
            outcome(&only_allow, Answer::Reject),
            RequestPermissionOutcome::Cancelled
        );
    }
}

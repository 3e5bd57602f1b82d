//! ACP's `session/update` notifications as `AgentEvent`s: text chunks, tool calls with their
//! content (diffs made readable, paths shown relative to the project), plans, context use.

use agent_client_protocol::v1::schema::{
    ContentBlock, PlanEntryStatus, SessionUpdate, ToolCallContent, ToolCallStatus, ToolKind,
};

use crate::confine::ProjectRoot;
use crate::events::{AgentEvent, FileDiff, PlanItem, ToolCallView, ToolContent};

pub(crate) fn to_event(update: SessionUpdate, root: &ProjectRoot) -> Option<AgentEvent> {
    Some(match update {
        SessionUpdate::AgentMessageChunk(chunk) => AgentEvent::Message {
            text: text_of(chunk.content)?,
        },
        SessionUpdate::AgentThoughtChunk(chunk) => AgentEvent::Thought {
            text: text_of(chunk.content)?,
        },
        SessionUpdate::UserMessageChunk(chunk) => AgentEvent::UserMessage {
            text: text_of(chunk.content)?,
        },
        SessionUpdate::ToolCall(call) => AgentEvent::ToolCall(ToolCallView {
            id: call.tool_call_id.0.to_string(),
            new: true,
            title: Some(call.title),
            kind: Some(kind_str(call.kind).to_owned()),
            status: Some(status_str(call.status).to_owned()),
            content: call
                .content
                .into_iter()
                .filter_map(|content| tool_content(content, root))
                .collect(),
            paths: call
                .locations
                .iter()
                .map(|location| root.display(&location.path))
                .collect(),
        }),
        SessionUpdate::ToolCallUpdate(update) => {
            let fields = update.fields;
            AgentEvent::ToolCall(ToolCallView {
                id: update.tool_call_id.0.to_string(),
                new: false,
                title: fields.title,
                kind: fields.kind.map(|kind| kind_str(kind).to_owned()),
                status: fields.status.map(|status| status_str(status).to_owned()),
                content: fields
                    .content
                    .into_iter()
                    .flatten()
                    .filter_map(|content| tool_content(content, root))
                    .collect(),
                paths: fields
                    .locations
                    .iter()
                    .flatten()
                    .map(|location| root.display(&location.path))
                    .collect(),
            })
        }
        SessionUpdate::Plan(plan) => AgentEvent::Plan {
            entries: plan
                .entries
                .into_iter()
                .map(|entry| PlanItem {
                    content: entry.content,
                    status: match entry.status {
                        PlanEntryStatus::InProgress => "in_progress",
                        PlanEntryStatus::Completed => "completed",
                        _ => "pending",
                    }
                    .to_owned(),
                })
                .collect(),
        },
        SessionUpdate::UsageUpdate(usage) => AgentEvent::Usage {
            used: usage.used,
            size: usage.size,
        },
        _ => return None,
    })
}

fn text_of(content: ContentBlock) -> Option<String> {
    match content {
        ContentBlock::Text(text) => Some(text.text),
        ContentBlock::ResourceLink(link) => Some(format!("[{}]({})", link.name, link.uri)),
        _ => None,
    }
}

fn tool_content(content: ToolCallContent, root: &ProjectRoot) -> Option<ToolContent> {
    Some(match content {
        ToolCallContent::Content(content) => ToolContent::Text {
            text: text_of(content.content)?,
        },
        ToolCallContent::Diff(diff) => {
            let path = root.display(&diff.path);
            let old = diff.old_text.unwrap_or_default();
            ToolContent::Diff {
                diff: FileDiff::between(&path, &old, &diff.new_text),
                path,
            }
        }
        ToolCallContent::Terminal(terminal) => ToolContent::Terminal {
            id: terminal.terminal_id.0.to_string(),
            output: String::new(),
        },
        _ => return None,
    })
}

pub(crate) fn kind_str(kind: ToolKind) -> &'static str {
    match kind {
        ToolKind::Read => "read",
        ToolKind::Edit => "edit",
        ToolKind::Delete => "delete",
        ToolKind::Move => "move",
        ToolKind::Search => "search",
        ToolKind::Execute => "execute",
        ToolKind::Think => "think",
        ToolKind::Fetch => "fetch",
        ToolKind::SwitchMode => "switch_mode",
        _ => "other",
    }
}

fn status_str(status: ToolCallStatus) -> &'static str {
    match status {
        ToolCallStatus::InProgress => "in_progress",
        ToolCallStatus::Completed => "completed",
        ToolCallStatus::Failed => "failed",
        _ => "pending",
    }
}

//! Scripted tool use, so a real coding agent can do real work against the fake: a prompt that
//! carries `clawbox-script {json}` makes the fake model call the agent's write tool (Claude
//! Code's `mcp__acp__Write` or `Write`, Codex's `apply_patch`), and the call after the tool's
//! result answers with final text, as a model would.
//!
//! Directives: `{"write": PATH, "content": TEXT}` (write a file), `{"append": PATH, "after":
//! LINE, "line": TEXT}` (add a line after the file's one line LINE: a patch with context for
//! Codex, the whole new content for Claude Code), `{"hang": true}` (start the answer and never
//! finish it, for Stop/cancel), `{"run": COMMAND}` (Claude Code's Bash tool).

use bytes::Bytes;
use serde_json::{Value, json};

use crate::sse::event;

/// What marks a directive in a prompt.
pub const SCRIPT_MARK: &str = "clawbox-script ";

/// What a scripted model call does.
#[derive(Debug, Clone, PartialEq)]
pub enum Scripted {
    Write {
        path: String,
        content: String,
    },
    Append {
        path: String,
        after: String,
        line: String,
    },
    Run {
        command: String,
    },
    /// The tool ran (`tool_output` is what it said): answer with the usual text.
    Done {
        tool_output: String,
    },
    Hang,
}

fn directive(text: &str) -> Option<Scripted> {
    let start = text.find(SCRIPT_MARK)? + SCRIPT_MARK.len();
    let mut stream = serde_json::Deserializer::from_str(&text[start..]).into_iter::<Value>();
    let value = stream.next()?.ok()?;
    if value["hang"] == true {
        return Some(Scripted::Hang);
    }
    if let Some(command) = value["run"].as_str() {
        return Some(Scripted::Run {
            command: command.to_owned(),
        });
    }
    if let Some(path) = value["append"].as_str() {
        return Some(Scripted::Append {
            path: path.to_owned(),
            after: value["after"].as_str().unwrap_or_default().to_owned(),
            line: value["line"].as_str().unwrap_or_default().to_owned(),
        });
    }
    Some(Scripted::Write {
        path: value["write"].as_str()?.to_owned(),
        content: value["content"].as_str().unwrap_or_default().to_owned(),
    })
}

fn text_of(content: &Value) -> String {
    match content {
        Value::String(text) => text.clone(),
        Value::Array(blocks) => blocks
            .iter()
            .filter_map(|block| block["text"].as_str().or_else(|| block["content"].as_str()))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

/// An Anthropic Messages request's script step: from its last (user) message.
pub fn for_messages(request: &Value) -> Option<Scripted> {
    let last = request["messages"].as_array()?.last()?;
    let blocks = last["content"].as_array();
    if let Some(result) =
        blocks.and_then(|blocks| blocks.iter().find(|block| block["type"] == "tool_result"))
    {
        return Some(Scripted::Done {
            tool_output: text_of(&result["content"]),
        });
    }
    directive(&text_of(&last["content"]))
}

/// A Responses request's script step: from its last input item.
pub fn for_responses(request: &Value) -> Option<Scripted> {
    let input = request["input"].as_array()?;
    let last = input.last()?;
    if matches!(
        last["type"].as_str(),
        Some("custom_tool_call_output" | "function_call_output")
    ) {
        return Some(Scripted::Done {
            tool_output: text_of(&last["output"]),
        });
    }
    let user = input.iter().rev().find(|item| item["role"] == "user")?;
    directive(&text_of(&user["content"]))
}

/// The Messages SSE events for a write (a `tool_use` block) or the final text.
pub fn messages_events(model: &str, step: &Scripted, request: &Value) -> Vec<Bytes> {
    let start = json!({"type": "message_start", "message": {
        "id": "msg_scripted", "type": "message", "role": "assistant", "model": model, "content": [],
        "stop_reason": null, "stop_sequence": null,
        "usage": {"input_tokens": crate::usage::MESSAGES.0, "output_tokens": 1}}});
    let tools: Vec<&str> = request["tools"]
        .as_array()
        .map(|tools| {
            tools
                .iter()
                .filter_map(|tool| tool["name"].as_str())
                .collect()
        })
        .unwrap_or_default();
    // The agent's own tool when it offers ClawBox's (`mcp__acp__…`: through the client), else
    // its built-in one.
    let tool = |name: &str| {
        let through_client = format!("mcp__acp__{name}");
        if tools.contains(&through_client.as_str()) {
            through_client
        } else {
            name.to_owned()
        }
    };
    let (name, input) = match step {
        Scripted::Write { path, content } => (
            tool("Write"),
            json!({"file_path": path, "content": content}),
        ),
        Scripted::Append { path, after, line } => (
            tool("Write"),
            json!({"file_path": path, "content": format!("{after}\n{line}\n")}),
        ),
        Scripted::Run { command } => (
            tool("Bash"),
            json!({"command": command, "description": "Run the command", "timeout": 60_000}),
        ),
        Scripted::Done { .. } | Scripted::Hang => {
            return crate::messages::stream_events(model, &crate::Behavior::default());
        }
    };
    let (block, delta, stop) = (
        json!({"type": "tool_use", "id": "toolu_scripted_1", "name": name, "input": {}}),
        json!({"type": "input_json_delta", "partial_json": input.to_string()}),
        "tool_use",
    );
    vec![
        event(Some("message_start"), &start),
        event(
            Some("content_block_start"),
            &json!({"type": "content_block_start", "index": 0, "content_block": block}),
        ),
        event(
            Some("content_block_delta"),
            &json!({"type": "content_block_delta", "index": 0, "delta": delta}),
        ),
        event(
            Some("content_block_stop"),
            &json!({"type": "content_block_stop", "index": 0}),
        ),
        event(
            Some("message_delta"),
            &json!({"type": "message_delta",
            "delta": {"stop_reason": stop, "stop_sequence": null},
            "usage": {"output_tokens": crate::usage::MESSAGES.2}}),
        ),
        event(Some("message_stop"), &json!({"type": "message_stop"})),
    ]
}

/// The Responses SSE events for a write (an `apply_patch` custom tool call) or the final text.
pub fn responses_events(model: &str, step: &Scripted) -> Vec<Bytes> {
    let patch = match step {
        Scripted::Write { path, content } => {
            let mut patch = format!("*** Begin Patch\n*** Add File: {path}\n");
            for line in content.lines() {
                patch.push_str(&format!("+{line}\n"));
            }
            patch + "*** End Patch\n"
        }
        Scripted::Append { path, after, line } => {
            format!(
                "*** Begin Patch\n*** Update File: {path}\n@@\n {after}\n+{line}\n*** End Patch\n"
            )
        }
        // Codex runs commands itself: the fake has no script for its shell tool.
        Scripted::Done { .. } | Scripted::Hang | Scripted::Run { .. } => {
            return crate::responses::stream_events(model, &crate::Behavior::default());
        }
    };
    let item = |status: &str, input: &str| {
        json!({"type": "custom_tool_call", "id": "ctc_scripted", "call_id": "call_scripted_1",
            "name": "apply_patch", "input": input, "status": status})
    };
    let usage = crate::responses::usage();
    let response = |status: &str, output: Value, usage: Value| {
        json!({"id": "resp_scripted", "object": "response", "created_at": 1_763_942_400, "status": status,
            "model": model, "output": output, "usage": usage, "error": null, "incomplete_details": null})
    };
    let mut seq = 0;
    let mut ev = |name: &str, mut data: Value| {
        data["type"] = json!(name);
        data["sequence_number"] = json!(seq);
        seq += 1;
        event(Some(name), &data)
    };
    vec![
        ev(
            "response.created",
            json!({"response": response("in_progress", json!([]), Value::Null)}),
        ),
        ev(
            "response.output_item.added",
            json!({"output_index": 0, "item": item("in_progress", "")}),
        ),
        ev(
            "response.custom_tool_call_input.delta",
            json!({"item_id": "ctc_scripted", "output_index": 0, "delta": patch}),
        ),
        ev(
            "response.custom_tool_call_input.done",
            json!({"item_id": "ctc_scripted", "output_index": 0, "input": patch}),
        ),
        ev(
            "response.output_item.done",
            json!({"output_index": 0, "item": item("completed", &patch)}),
        ),
        ev(
            "response.completed",
            json!({"response": response("completed", json!([item("completed", &patch)]), usage)}),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directives_are_found_in_the_last_user_turn() {
        let request = json!({"messages": [{"role": "user", "content": [
            {"type": "text", "text": "<system-reminder>x</system-reminder>"},
            {"type": "text", "text": "please clawbox-script {\"write\": \"/p/a.txt\", \"content\": \"hi\"} thanks"}]}]});
        assert_eq!(
            for_messages(&request),
            Some(Scripted::Write {
                path: "/p/a.txt".into(),
                content: "hi".into()
            })
        );
        let after = json!({"messages": [{"role": "user", "content": [{"type": "tool_result", "content": "ok"}]}]});
        assert_eq!(
            for_messages(&after),
            Some(Scripted::Done {
                tool_output: "ok".into()
            })
        );
        let plain = json!({"messages": [{"role": "user", "content": "hello"}]});
        assert_eq!(for_messages(&plain), None);
        let responses = json!({"input": [{"role": "user", "content": [{"type": "input_text", "text": "clawbox-script {\"hang\": true}"}]}]});
        assert_eq!(for_responses(&responses), Some(Scripted::Hang));
    }
}

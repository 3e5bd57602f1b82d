//! Requests for the Codex backend.

use bytes::Bytes;
use serde_json::{Map, Value, json};

use super::{DEFAULT_INSTRUCTIONS, Translation};
use crate::Error;

/// Rewrites the request body for `path` into one the backend accepts, and says what the answer
/// will need on its way back.
pub fn prepare(path: &str, body: &[u8]) -> Result<(Bytes, Translation), Error> {
    let request: Value = serde_json::from_slice(body).map_err(|e| Error::BadJson {
        detail: e.to_string(),
    })?;
    let Value::Object(request) = request else {
        return Err(not_translatable("the body must be a JSON object"));
    };
    let client_streams = request.get("stream") == Some(&Value::Bool(true));
    let (rewritten, translation) = if path == "/v1/chat/completions" {
        let include_usage = request
            .get("stream_options")
            .and_then(|o| o.get("include_usage"))
            == Some(&Value::Bool(true));
        let translation = if client_streams {
            Translation::ChatStream { include_usage }
        } else {
            Translation::ChatJson
        };
        (chat_to_responses(request)?, translation)
    } else {
        let translation = if client_streams {
            Translation::None
        } else {
            Translation::ResponsesJson
        };
        (for_backend(request), translation)
    };
    let bytes = serde_json::to_vec(&Value::Object(rewritten))
        .map_err(|e| not_translatable(&e.to_string()))?;
    Ok((bytes.into(), translation))
}

fn not_translatable(detail: &str) -> Error {
    Error::NotTranslatable {
        detail: detail.to_owned(),
    }
}

/// The backend insists on a stream, `store: false` and `instructions`, wants `input` as a list,
/// and refuses `max_output_tokens`.
fn for_backend(mut request: Map<String, Value>) -> Map<String, Value> {
    request.insert("stream".into(), Value::Bool(true));
    request.insert("store".into(), Value::Bool(false));
    if !request.get("instructions").is_some_and(Value::is_string) {
        request.insert("instructions".into(), json!(DEFAULT_INSTRUCTIONS));
    }
    request.remove("max_output_tokens");
    if let Some(Value::String(text)) = request.get("input") {
        let input = json!([{"role": "user", "content": [{"type": "input_text", "text": text}]}]);
        request.insert("input".into(), input);
    }
    request
}

/// A chat-completions request as a Responses request: system and developer messages become the
/// instructions; the rest become input items; function tools keep their schema.
fn chat_to_responses(request: Map<String, Value>) -> Result<Map<String, Value>, Error> {
    let messages = request
        .get("messages")
        .and_then(Value::as_array)
        .ok_or_else(|| not_translatable("`messages` must be a list"))?;
    if request
        .get("n")
        .and_then(Value::as_u64)
        .is_some_and(|n| n > 1)
    {
        return Err(not_translatable(
            "ChatGPT answers one choice at a time (n must be 1)",
        ));
    }
    let mut instructions = Vec::new();
    let mut input = Vec::new();
    for message in messages {
        let role = message["role"].as_str().unwrap_or("user");
        match role {
            "system" | "developer" => instructions.push(text_of(&message["content"])),
            "user" => {
                input.push(json!({"role": "user", "content": user_parts(&message["content"])}))
            }
            "assistant" => {
                let text = text_of(&message["content"]);
                if !text.is_empty() {
                    input.push(json!({"role": "assistant",
                        "content": [{"type": "output_text", "text": text}]}));
                }
                for call in message["tool_calls"].as_array().into_iter().flatten() {
                    input.push(json!({
                        "type": "function_call",
                        "call_id": call["id"],
                        "name": call["function"]["name"],
                        "arguments": call["function"]["arguments"],
                    }));
                }
            }
            "tool" => input.push(json!({
                "type": "function_call_output",
                "call_id": message["tool_call_id"],
                "output": text_of(&message["content"]),
            })),
            other => return Err(not_translatable(&format!("unknown message role `{other}`"))),
        }
    }
    let mut out = Map::new();
    out.insert(
        "model".into(),
        request.get("model").cloned().unwrap_or(Value::Null),
    );
    let instructions = instructions.join("\n\n");
    out.insert(
        "instructions".into(),
        json!(if instructions.is_empty() {
            DEFAULT_INSTRUCTIONS
        } else {
            &instructions
        }),
    );
    out.insert("input".into(), Value::Array(input));
    if let Some(tools) = request.get("tools").and_then(Value::as_array) {
        let tools: Vec<Value> = tools
            .iter()
            .filter(|t| t["type"] == "function")
            .map(|t| {
                let f = &t["function"];
                let mut tool = json!({"type": "function", "name": f["name"],
                    "parameters": f.get("parameters").cloned().unwrap_or(json!({"type": "object"}))});
                if let Some(d) = f.get("description") {
                    tool["description"] = d.clone();
                }
                if let Some(s) = f.get("strict") {
                    tool["strict"] = s.clone();
                }
                tool
            })
            .collect();
        out.insert("tools".into(), Value::Array(tools));
    }
    if let Some(choice) = request.get("tool_choice") {
        let choice = match choice {
            Value::Object(c) if c.get("type") == Some(&json!("function")) => {
                json!({"type": "function", "name": c.get("function").map(|f| &f["name"])})
            }
            other => other.clone(),
        };
        out.insert("tool_choice".into(), choice);
    }
    if let Some(p) = request.get("parallel_tool_calls") {
        out.insert("parallel_tool_calls".into(), p.clone());
    }
    if let Some(format) = text_format(request.get("response_format")) {
        out.insert("text".into(), json!({"format": format}));
    }
    if let Some(effort) = request.get("reasoning_effort") {
        out.insert("reasoning".into(), json!({"effort": effort}));
    }
    Ok(for_backend(out))
}

/// Chat's `response_format` as Responses' `text.format` (structured outputs).
fn text_format(format: Option<&Value>) -> Option<Value> {
    let format = format?;
    match format["type"].as_str()? {
        "json_object" => Some(json!({"type": "json_object"})),
        "json_schema" => {
            let schema = &format["json_schema"];
            let mut out = json!({"type": "json_schema", "name": schema["name"],
                                 "schema": schema["schema"]});
            if let Some(strict) = schema.get("strict") {
                out["strict"] = strict.clone();
            }
            Some(out)
        }
        _ => None,
    }
}

/// Text content: a string, or the text parts of a list.
fn text_of(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p["text"].as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

fn user_parts(content: &Value) -> Value {
    match content {
        Value::Array(parts) => Value::Array(
            parts
                .iter()
                .filter_map(|p| match p["type"].as_str() {
                    Some("text") => Some(json!({"type": "input_text", "text": p["text"]})),
                    Some("image_url") => {
                        Some(json!({"type": "input_image", "image_url": p["image_url"]["url"]}))
                    }
                    _ => None,
                })
                .collect(),
        ),
        other => json!([{"type": "input_text", "text": text_of(other)}]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prep(path: &str, body: Value) -> (Value, Translation) {
        let (bytes, t) = prepare(path, body.to_string().as_bytes()).unwrap();
        (serde_json::from_slice(&bytes).unwrap(), t)
    }

    #[test]
    fn a_responses_request_is_made_acceptable_to_the_backend() {
        let (r, t) = prep(
            "/v1/responses",
            json!({"model": "gpt-5", "input": "hi", "max_output_tokens": 50}),
        );
        assert_eq!(t, Translation::ResponsesJson);
        assert_eq!(
            (r["stream"].clone(), r["store"].clone()),
            (json!(true), json!(false))
        );
        assert!(r["instructions"].is_string());
        assert!(r.get("max_output_tokens").is_none());
        assert_eq!(r["input"][0]["content"][0]["text"], "hi");
        let (_, t) = prep(
            "/v1/responses",
            json!({"model": "gpt-5", "input": [], "stream": true}),
        );
        assert_eq!(t, Translation::None);
    }

    #[test]
    fn chat_messages_and_tools_become_responses_input() {
        let (r, t) = prep(
            "/v1/chat/completions",
            json!({
                "model": "gpt-5", "stream": true, "stream_options": {"include_usage": true},
                "messages": [
                    {"role": "system", "content": "Be brief."},
                    {"role": "user", "content": [{"type": "text", "text": "Weather?"},
                        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA"}}]},
                    {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1",
                        "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}]},
                    {"role": "tool", "tool_call_id": "call_1", "content": "sunny"}
                ],
                "tools": [{"type": "function", "function": {"name": "get_weather",
                    "description": "Weather", "parameters": {"type": "object"}}}],
                "tool_choice": {"type": "function", "function": {"name": "get_weather"}}
            }),
        );
        assert_eq!(
            t,
            Translation::ChatStream {
                include_usage: true
            }
        );
        assert_eq!(r["instructions"], "Be brief.");
        assert_eq!(
            r["input"][0]["content"][0],
            json!({"type": "input_text", "text": "Weather?"})
        );
        assert_eq!(r["input"][0]["content"][1]["type"], "input_image");
        assert_eq!(r["input"][1]["type"], "function_call");
        assert_eq!(r["input"][1]["call_id"], "call_1");
        assert_eq!(
            r["input"][2],
            json!({"type": "function_call_output", "call_id": "call_1", "output": "sunny"})
        );
        assert_eq!(r["tools"][0]["name"], "get_weather");
        assert_eq!(
            r["tool_choice"],
            json!({"type": "function", "name": "get_weather"})
        );
        assert_eq!(r["stream"], true);
    }

    #[test]
    fn structured_output_requests_keep_their_schema() {
        let (r, _) = prep(
            "/v1/chat/completions",
            json!({"model": "gpt-5", "messages": [{"role": "user", "content": "x"}],
                   "response_format": {"type": "json_schema", "json_schema":
                       {"name": "answer", "strict": true, "schema": {"type": "object"}}}}),
        );
        assert_eq!(
            r["text"]["format"],
            json!({"type": "json_schema", "name": "answer", "strict": true, "schema": {"type": "object"}})
        );
    }

    #[test]
    fn what_cannot_be_translated_says_why() {
        let err = prepare("/v1/chat/completions", br#"{"model":"m"}"#).unwrap_err();
        assert!(err.to_string().contains("messages"), "{err}");
        let err = prepare(
            "/v1/chat/completions",
            br#"{"model":"m","messages":[],"n":2}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("one choice"), "{err}");
    }
}

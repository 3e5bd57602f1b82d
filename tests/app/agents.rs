//! The Agent screen's commands: which agents there are, a session started, prompted and closed
//! (its metadata kept, nothing it said), and what "reset everything" removes.

use serde_json::json;

use crate::harness::{app, invoke, settled_status, stop};

/// A stand-in ACP agent (the engine's hostile one, behaving): answers "still here".
fn custom_agent_settings() -> serde_json::Value {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("crates/agents/tests/fixtures/hostile_agent.py");
    json!({"agents": [{"name": "stand-in", "command": "python3", "args": [script]}]})
}

#[test]
fn agents_are_listed_started_prompted_closed_and_remembered_by_metadata_only() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("settings.json"),
        custom_agent_settings().to_string(),
    )
    .unwrap();
    let project = tempfile::tempdir().unwrap();
    let (app, window) = app("127.0.0.1:0", dir.path());
    settled_status(&window);

    let view = invoke(&window, "agents", json!({})).unwrap();
    let names: Vec<&str> = view["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["claude", "codex", "stand-in"]);
    assert_eq!(view["agents"][0]["installed"], false);
    assert!(
        view["agents"][0]["problem"]
            .as_str()
            .unwrap()
            .contains("Claude Code is not installed yet")
    );

    let refused = invoke(
        &window,
        "start_agent",
        json!({"agent": "claude", "project": project.path(), "resume": null}),
    );
    let refused = refused.unwrap_err();
    assert_eq!(refused["code"], "agent_start");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("not installed"),
        "{refused}"
    );

    let record = invoke(
        &window,
        "start_agent",
        json!({"agent": "stand-in", "project": project.path(), "resume": null}),
    )
    .unwrap();
    let session = record["id"].as_str().unwrap().to_owned();
    let folder = project.path().file_name().unwrap().to_str().unwrap();
    assert_eq!(record["title"], format!("stand-in in {folder}"));
    let view = invoke(&window, "agents", json!({})).unwrap();
    assert_eq!(view["sessions"][0]["running"], true);
    assert_eq!(view["projects"][0], project.path().to_str().unwrap());

    invoke(
        &window,
        "agent_prompt",
        json!({"session": session, "text": "garbage, and a secret: pelican"}),
    )
    .unwrap();
    let empty = invoke(
        &window,
        "agent_prompt",
        json!({"session": session, "text": "  "}),
    )
    .unwrap_err();
    assert_eq!(empty["code"], "empty");
    invoke(&window, "close_agent", json!({"session": session})).unwrap();
    let view = invoke(&window, "agents", json!({})).unwrap();
    assert_eq!(view["sessions"][0]["running"], false);
    let gone = invoke(
        &window,
        "agent_prompt",
        json!({"session": session, "text": "hello?"}),
    )
    .unwrap_err();
    assert_eq!(gone["code"], "agent_ended");

    // What ClawBox wrote about the session is metadata: nothing the person or the agent said.
    let kept = std::fs::read_to_string(dir.path().join("agents/sessions.json")).unwrap();
    assert!(kept.contains(&session));
    assert!(
        !kept.contains("pelican") && !kept.contains("still here"),
        "{kept}"
    );

    invoke(&window, "reset_everything", json!({})).unwrap();
    assert!(
        !dir.path().join("agents").exists(),
        "installed agents, their homes and the sessions go"
    );
    assert_eq!(
        invoke(&window, "agents", json!({})).unwrap()["sessions"],
        json!([])
    );
    stop(&app);
}

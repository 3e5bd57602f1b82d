//! An agent that breaks the protocol (garbage lines, a huge message, unknown methods, file
//! requests outside the project, a crash mid-turn): each gives a clear event, and the session
//! (and ClawBox) keeps going where it can.

use clawbox_agents::{AgentEvent, Approval, CustomAgent};

use crate::harness::{Events, Setup, answer_text};

async fn hostile() -> (Setup, clawbox_agents::AgentSession, Events) {
    hostile_with(Approval::All).await
}

fn notices(events: &[AgentEvent]) -> Vec<&str> {
    events
        .iter()
        .filter_map(|event| match event {
            AgentEvent::Notice { message } => Some(message.as_str()),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_and_a_huge_message_are_skipped_with_a_notice_and_the_turn_goes_on() {
    let (_setup, agent, mut events) = hostile().await;
    agent.prompt("garbage").unwrap();
    let (seen, reason) = events.until_turn_ends().await;
    assert_eq!(reason, "end_turn");
    let notices = notices(&seen);
    assert!(
        notices
            .iter()
            .any(|n| n.contains("not ACP") && n.contains("this is not json")),
        "{notices:?}"
    );
    assert_eq!(answer_text(&seen), "still here");

    agent.prompt("huge").unwrap();
    let (seen, reason) = events.until_turn_ends().await;
    assert_eq!(reason, "end_turn");
    assert!(notices_of(&seen, "over 16 MiB"), "{seen:?}");
    assert_eq!(answer_text(&seen), "still here");
    agent.close().await;
}

fn notices_of(events: &[AgentEvent], text: &str) -> bool {
    notices(events).iter().any(|notice| notice.contains(text))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_method_is_answered_method_not_found() {
    let (_setup, agent, mut events) = hostile().await;
    agent.prompt("unknown").unwrap();
    let (seen, reason) = events.until_turn_ends().await;
    assert_eq!(reason, "end_turn");
    assert_eq!(
        answer_text(&seen),
        "unknown method answered with -32601. still here"
    );
    agent.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_requests_outside_the_project_are_refused_and_shown() {
    let (setup, agent, mut events) = hostile().await;
    let outside = setup
        .project
        .parent()
        .unwrap()
        .join(format!("escaped-{}.txt", std::process::id()));
    std::fs::write(setup.project.join("inside.txt"), "fine").unwrap();
    let secret = setup
        .project
        .parent()
        .unwrap()
        .join(format!("secret-{}.txt", std::process::id()));
    std::fs::write(&secret, "not for agents").unwrap();
    std::os::unix::fs::symlink(&secret, setup.project.join("shortcut.txt")).unwrap();
    let prompt = format!(
        "escape {} {} ../{}",
        outside.display(),
        setup.project.join("shortcut.txt").display(),
        secret.file_name().unwrap().to_str().unwrap()
    );
    agent.prompt(prompt).unwrap();
    let (seen, reason) = events.until_turn_ends().await;
    assert_eq!(reason, "end_turn");
    assert_eq!(
        answer_text(&seen),
        "write refused, read refused, dots refused. still here"
    );
    let refused: Vec<_> = seen
        .iter()
        .filter_map(|event| match event {
            AgentEvent::Refused { what, reason, .. } => Some((what.as_str(), reason.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(refused.len(), 3, "{refused:?}");
    assert!(refused[0].0 == "write" && refused[0].1.contains("outside the project"));
    assert!(
        refused[1].0 == "read" && refused[1].1.contains("outside the project"),
        "a symlink out is followed"
    );
    assert!(refused[2].0 == "read" && refused[2].1.contains(".."));
    assert!(!outside.exists());
    std::fs::remove_file(secret).unwrap();
    agent.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_that_crashes_mid_turn_is_reported_with_its_last_words() {
    let (_setup, agent, mut events) = hostile().await;
    agent.prompt("crash").unwrap();
    let seen = events
        .until(|event| matches!(event, AgentEvent::Exited { .. }))
        .await;
    assert_eq!(answer_text(&seen), "about to fall over");
    match seen.last() {
        Some(AgentEvent::Exited {
            code,
            closed,
            stderr,
        }) => {
            assert_eq!((*code, *closed), (Some(3), false));
            assert!(
                stderr
                    .as_deref()
                    .unwrap_or("")
                    .contains("boom: the hostile agent crashed"),
                "{stderr:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(
        agent.prompt("anyone there?").is_err() || events.0.recv().await.is_none(),
        "the session is over"
    );
}

async fn hostile_with(approval: Approval) -> (Setup, clawbox_agents::AgentSession, Events) {
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile_agent.py");
    let custom = CustomAgent {
        name: "hostile".into(),
        command: "python3".into(),
        args: vec![script.display().to_string()],
        env: Default::default(),
    };
    let setup = Setup::with_custom(vec![custom]).await;
    let (agent, mut events, _) = setup.open("hostile", approval).await;
    assert!(matches!(events.next().await, AgentEvent::Started { .. }));
    (setup, agent, events)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_nobody_allowed_is_put_to_the_person_or_refused() {
    let (setup, agent, mut events) = hostile_with(Approval::Ask).await;
    agent.prompt("write unasked.txt").unwrap();
    let asked = events
        .until(|event| matches!(event, AgentEvent::Permission(_)))
        .await;
    let AgentEvent::Permission(ask) = asked.last().unwrap() else {
        unreachable!()
    };
    assert_eq!(ask.paths, ["unasked.txt"]);
    assert!(ask.diff.as_ref().unwrap().unified.contains("+written"));
    assert!(agent.answer(ask.request, clawbox_agents::Answer::Reject));
    let (seen, _) = events.until_turn_ends().await;
    assert_eq!(answer_text(&seen), "write refused. still here");
    assert!(!setup.project.join("unasked.txt").exists());
    agent.prompt("write unasked.txt").unwrap();
    let asked = events
        .until(|event| matches!(event, AgentEvent::Permission(_)))
        .await;
    let AgentEvent::Permission(ask) = asked.last().unwrap() else {
        unreachable!()
    };
    assert!(agent.answer(ask.request, clawbox_agents::Answer::AllowOnce));
    let (seen, _) = events.until_turn_ends().await;
    assert_eq!(answer_text(&seen), "write allowed. still here");
    assert_eq!(
        std::fs::read_to_string(setup.project.join("unasked.txt")).unwrap(),
        "written\n"
    );
    agent.close().await;

    for approval in [Approval::None, Approval::Reads] {
        let (setup, agent, mut events) = hostile_with(approval).await;
        agent.prompt("write unasked.txt").unwrap();
        let (seen, _) = events.until_turn_ends().await;
        assert_eq!(
            answer_text(&seen),
            "write refused. still here",
            "{approval:?}"
        );
        assert!(
            seen.iter()
                .any(|event| matches!(event, AgentEvent::Refused { what, .. } if what == "write"))
        );
        assert!(!setup.project.join("unasked.txt").exists());
        agent.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_never_lets_a_command_through_a_request_that_calls_itself_a_read() {
    let (setup, agent, mut events) = hostile_with(Approval::Reads).await;
    agent.prompt("sneak").unwrap();
    let (seen, _) = events.until_turn_ends().await;
    assert_eq!(answer_text(&seen), "command refused. still here");
    assert!(!setup.project.join("sneaked.txt").exists());
    agent.close().await;
}

//! `clawbox-gateway connect env`: an agent project's .env pointed at ClawBox with its other lines
//! kept, a dry run that writes nothing and masks secrets, a private backup outside the project,
//! an undo that restores the file byte for byte, and the local key following a rotation.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

use crate::cli::{BIN, output_with_stdin};

const ORIGINAL: &str = "# my agent\r\nMODEL=gpt-4o-mini # fast\r\nOPENAI_API_KEY=sk-proj-mine-0123456789\r\n\r\nexport OPENCLAW_GATEWAY_URL=https://old.example\r\n";

/// Runs the binary with a private data dir and the file secret store (no keychain needed here).
fn run(data: &Path, args: &[&str], stdin: &str) -> Output {
    run_with(data, &[], args, stdin)
}

fn run_with(data: &Path, env: &[(&str, &Path)], args: &[&str], stdin: &str) -> Output {
    let mut command = Command::new(BIN);
    for (k, v) in env {
        command.env(k, v);
    }
    command
        .args(args)
        .env("CLAWBOX_DATA_DIR", data)
        .env("CLAWBOX_SECRET_STORE", "file")
        .env("CLAWBOX_USER_ID", "trainee-7")
        .env_remove("CLAWBOX_LISTEN");
    output_with_stdin(command, stdin)
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn connecting_a_project_updates_its_env_in_place_and_undo_restores_it_exactly() {
    let data = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    let env = project.path().join(".env");
    std::fs::write(&env, ORIGINAL).unwrap();
    std::fs::set_permissions(&env, std::fs::Permissions::from_mode(0o644)).unwrap();
    ok(&run(
        data.path(),
        &["key", "set", "openai"],
        "sk-saved-in-clawbox\n",
    ));
    let local_key = ok(&run(data.path(), &["key", "show-local"], ""))
        .trim()
        .to_owned();

    // The dry run shows the change, secrets masked, and writes nothing.
    let project_arg = project.path().to_str().unwrap();
    let preview = ok(&run(
        data.path(),
        &["connect", "env", project_arg, "--dry-run"],
        "",
    ));
    assert!(
        preview.contains("+export OPENCLAW_GATEWAY_URL=http://localhost:18789"),
        "{preview}"
    );
    assert!(preview.contains("-OPENAI_API_KEY=sk-p…6789"), "{preview}");
    assert!(preview.contains("+OPENAI_API_KEY=cbx_…"), "{preview}");
    assert!(!preview.contains(&local_key) && !preview.contains("mine-0123"));
    assert!(preview.contains("would be updated"));
    assert_eq!(std::fs::read_to_string(&env).unwrap(), ORIGINAL);

    let done = ok(&run(data.path(), &["connect", "env", project_arg], ""));
    assert!(done.contains("now points at ClawBox"), "{done}");
    let text = std::fs::read_to_string(&env).unwrap();
    assert_eq!(
        text,
        format!(
            "# my agent\r\nMODEL=gpt-4o-mini # fast\r\nOPENAI_API_KEY={local_key}\r\n\r\n\
             export OPENCLAW_GATEWAY_URL=http://localhost:18789\r\n\r\n\
             # Added by ClawBox: the agent reaches its models through the local gateway.\r\n\
             OPENAI_BASE_URL=http://localhost:18789/v1\r\nUSER_ID=trainee-7\r\n"
        )
    );
    assert_eq!(mode(&env), 0o600, "the .env now holds the local key");
    // The backup (which holds the user's own key) is private and outside the project.
    assert_eq!(std::fs::read_dir(project.path()).unwrap().count(), 1);
    let backups: Vec<_> = std::fs::read_dir(data.path().join("backups"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(backups.len(), 1);
    assert_eq!(std::fs::read_to_string(&backups[0]).unwrap(), ORIGINAL);
    assert_eq!(mode(&backups[0]), 0o600);

    // Connecting again changes nothing and keeps the first backup.
    let again = ok(&run(data.path(), &["connect", "env", project_arg], ""));
    assert!(again.contains("already points at ClawBox"), "{again}");

    // A rotated local key reaches the connected file.
    ok(&run(data.path(), &["key", "rotate-local"], ""));
    let rotated = ok(&run(data.path(), &["key", "show-local"], ""))
        .trim()
        .to_owned();
    assert_ne!(rotated, local_key);
    let text = std::fs::read_to_string(&env).unwrap();
    assert!(
        text.contains(&format!("OPENAI_API_KEY={rotated}\r\n")),
        "{text}"
    );

    let undone = ok(&run(
        data.path(),
        &["connect", "env", project_arg, "--undo"],
        "",
    ));
    assert!(undone.contains("back as it was before ClawBox"), "{undone}");
    assert_eq!(std::fs::read(&env).unwrap(), ORIGINAL.as_bytes());
    assert_eq!(mode(&env), 0o644);
    assert_eq!(
        std::fs::read_dir(data.path().join("backups"))
            .unwrap()
            .count(),
        0
    );

    let twice = run(data.path(), &["connect", "env", project_arg, "--undo"], "");
    assert!(!twice.status.success());
    let err = String::from_utf8_lossy(&twice.stderr);
    assert!(err.contains("nothing to undo"), "{err}");
}

#[test]
fn a_new_env_is_created_and_undo_removes_it_and_a_client_s_own_key_is_left_alone() {
    let data = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    let env = project.path().join(".env");
    // No saved key and no ChatGPT sign-in: the agent keeps sending its own key.
    let said = ok(&run(
        data.path(),
        &["connect", "env", env.to_str().unwrap()],
        "",
    ));
    assert!(
        !said.contains("Backup"),
        "a file ClawBox made has no backup: {said}"
    );
    let text = std::fs::read_to_string(&env).unwrap();
    assert!(text.contains("OPENCLAW_GATEWAY_URL=http://localhost:18789\n"));
    assert!(!text.contains("OPENAI_API_KEY"), "{text}");

    let undone = ok(&run(
        data.path(),
        &["connect", "env", env.to_str().unwrap(), "--undo"],
        "",
    ));
    assert!(
        undone.contains("created by ClawBox and is removed"),
        "{undone}"
    );
    assert!(!env.exists());
}

#[test]
fn a_folder_that_does_not_exist_is_a_plain_error() {
    let data = tempfile::tempdir().unwrap();
    let out = run(
        data.path(),
        &["connect", "env", "/no/such/project/.env"],
        "",
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("choose the agent's project folder"), "{err}");

    // Only .env files are ever edited.
    let project = tempfile::tempdir().unwrap();
    let notes = project.path().join("notes.txt");
    std::fs::write(&notes, "keep me\n").unwrap();
    let out = run(
        data.path(),
        &["connect", "env", notes.to_str().unwrap()],
        "",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("only edits .env files"));
    assert_eq!(std::fs::read_to_string(&notes).unwrap(), "keep me\n");
}

#[test]
fn codex_claude_and_openclaw_are_pointed_at_clawbox_in_their_own_files_and_undone_exactly() {
    let data = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let codex_home = tempfile::tempdir().unwrap();
    ok(&run(
        data.path(),
        &["key", "set", "anthropic"],
        "sk-ant-saved-0123456789\n",
    ));
    let local_key = ok(&run(data.path(), &["key", "show-local"], ""))
        .trim()
        .to_owned();
    let env = [("HOME", home.path()), ("CODEX_HOME", codex_home.path())];
    let tool = |args: &[&str]| ok(&run_with(data.path(), &env, args, ""));

    // Codex: its own config.toml (CODEX_HOME), comments and other settings kept.
    let codex_config = codex_home.path().join("config.toml");
    let codex_before = "# mine\nmodel = \"gpt-5\"\n\n[tui]\nnotifications = true\n";
    std::fs::write(&codex_config, codex_before).unwrap();
    let preview = tool(&["connect", "codex", "--dry-run"]);
    assert!(
        preview.contains("+experimental_bearer_token = \"cbx_…"),
        "{preview}"
    );
    assert!(!preview.contains(&local_key));
    assert_eq!(
        std::fs::read_to_string(&codex_config).unwrap(),
        codex_before
    );
    tool(&["connect", "codex"]);
    let text = std::fs::read_to_string(&codex_config).unwrap();
    assert!(text.starts_with("# mine\nmodel = \"gpt-5\"\n"), "{text}");
    assert!(text.contains("model_provider = \"clawbox\""), "{text}");
    assert!(text.contains("[model_providers.clawbox]"), "{text}");
    assert!(
        text.contains("base_url = \"http://localhost:18789/v1\""),
        "{text}"
    );
    assert!(
        text.contains(&format!("experimental_bearer_token = \"{local_key}\"")),
        "{text}"
    );

    // Claude Code: ~/.claude/settings.json, made when missing.
    tool(&["connect", "claude"]);
    let claude: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(home.path().join(".claude/settings.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        claude["env"]["ANTHROPIC_BASE_URL"],
        "http://localhost:18789"
    );
    assert_eq!(claude["env"]["ANTHROPIC_AUTH_TOKEN"], local_key.as_str());

    // OpenClaw: its gateway also wants 18789, so it moves, and says so.
    let openclaw = home.path().join(".openclaw/openclaw.json");
    std::fs::create_dir_all(openclaw.parent().unwrap()).unwrap();
    let openclaw_before = "// OpenClaw\n{ agents: { defaults: { workspace: '~/w' } } }\n";
    std::fs::write(&openclaw, openclaw_before).unwrap();
    let said = tool(&["connect", "openclaw"]);
    assert!(
        said.contains("OpenClaw's own gateway now listens on port 18790"),
        "{said}"
    );
    let text = std::fs::read_to_string(&openclaw).unwrap();
    assert!(text.starts_with("// OpenClaw\n"), "{text}");

    // doctor-style bookkeeping: all three are listed as connected; a key rotation reaches them.
    tool(&["key", "rotate-local"]);
    let rotated = tool(&["key", "show-local"]).trim().to_owned();
    assert!(
        std::fs::read_to_string(&codex_config)
            .unwrap()
            .contains(&rotated)
    );
    assert!(
        std::fs::read_to_string(&openclaw)
            .unwrap()
            .contains(&rotated)
    );

    for kind in ["codex", "claude", "openclaw"] {
        tool(&["connect", kind, "--undo"]);
    }
    assert_eq!(
        std::fs::read_to_string(&codex_config).unwrap(),
        codex_before
    );
    assert_eq!(std::fs::read_to_string(&openclaw).unwrap(), openclaw_before);
    assert!(
        !home.path().join(".claude/settings.json").exists(),
        "created by ClawBox, removed"
    );
}

//! How an agent process is started: in the project folder, in its own process group, with a
//! minimal environment that points its model traffic at ClawBox's gateway (never at a
//! provider) and tags every model call with the agent and the ClawBox session. Nothing else
//! from ClawBox's own environment reaches it: no provider keys, no `ANTHROPIC_AUTH_TOKEN`.
//! The person's own config files are never touched: known agents get a config home ClawBox
//! owns.

use std::ffi::OsString;
use std::path::Path;

use crate::catalog::{CLAUDE, CODEX, Catalog, home_of};
use crate::events::CommandRunner;
use crate::{CLIENT_HEADER, Error, SESSION_HEADER};

/// The gateway an agent talks to.
#[derive(Debug, Clone)]
pub struct GatewayTarget {
    /// e.g. `http://127.0.0.1:18789` (no `/v1`).
    pub base_url: String,
    /// The local key (`cbx_…`), which the gateway swaps for the real credential.
    pub key: String,
}

/// The variables a program needs to run at all, taken from ClawBox's environment.
const PASSED: [&str; 12] = [
    "PATH",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TZ",
    "TMPDIR",
    "USER",
    "LOGNAME",
    "SHELL",
    "SYSTEMROOT",
    "WINDIR",
    "COMSPEC",
];

pub(crate) fn passed_through() -> impl Iterator<Item = (&'static str, OsString)> {
    PASSED
        .into_iter()
        .filter_map(|name| std::env::var_os(name).map(|value| (name, value)))
}

/// A ready-to-spawn agent command and what kind of agent it is.
pub(crate) struct Prepared {
    pub command: tokio::process::Command,
    pub client: String,
    pub runner: CommandRunner,
    /// `_meta` for `session/new` / `session/load` (Claude Code's options).
    pub session_meta: Option<serde_json::Map<String, serde_json::Value>>,
}

pub(crate) fn prepare(
    catalog: &Catalog,
    agent: &str,
    project: &Path,
    gateway: &GatewayTarget,
    session: &str,
) -> Result<Prepared, Error> {
    let (mut command, client, runner) = if let Some(known) = Catalog::known(agent) {
        let program = catalog.program_of(&known)?;
        let home = home_of(catalog.dir(), known.name);
        std::fs::create_dir_all(&home).map_err(|error| Error::Spawn {
            agent: known.title.into(),
            message: format!("cannot create its config home {} ({error})", home.display()),
        })?;
        let mut command = base(&program.program, &program.args);
        command.env("HOME", &home);
        let runner = if known.name == CLAUDE.name {
            claude(&mut command, &home, gateway, session)?;
            CommandRunner::Asks
        } else {
            debug_assert_eq!(known.name, CODEX.name);
            codex(&mut command, &home, gateway, session);
            sandbox_helper(&mut command, catalog.dir(), &program.program)?;
            CommandRunner::Itself
        };
        (command, known.client.to_owned(), runner)
    } else if let Some(custom) = catalog.custom(agent) {
        custom.check().map_err(|message| Error::Spawn {
            agent: agent.into(),
            message,
        })?;
        let mut command = base(Path::new(&custom.command), &custom.args);
        if let Some(home) = std::env::var_os("HOME") {
            command.env("HOME", home);
        }
        // The usual ways to name a gateway; the agent's own settings (env) come last and win.
        let v1 = format!("{}/v1", gateway.base_url);
        command
            .env("OPENCLAW_GATEWAY_URL", &gateway.base_url)
            .env("OPENAI_BASE_URL", &v1)
            .env("ANTHROPIC_BASE_URL", &gateway.base_url)
            .env("OPENAI_API_KEY", &gateway.key)
            .env("ANTHROPIC_API_KEY", &gateway.key)
            .env("CLAWBOX_CLIENT", &custom.name)
            .env("CLAWBOX_AGENT_SESSION", session)
            .env(
                "ANTHROPIC_CUSTOM_HEADERS",
                headers_lines(&custom.name, session),
            )
            .envs(&custom.env);
        (command, custom.name.clone(), CommandRunner::Asks)
    } else {
        return Err(Error::UnknownAgent { name: agent.into() });
    };
    command.current_dir(project);
    // Claude Code reads only its user settings (the home ClawBox gave it), never a project's
    // own `.claude/` and `.mcp.json`: an opened repository must not start servers or hooks.
    let session_meta = (agent == CLAUDE.name).then(|| {
        let meta = serde_json::json!({"claudeCode": {"options": {"settingSources": ["user"]}}});
        meta.as_object().cloned().unwrap_or_default()
    });
    Ok(Prepared {
        command,
        client,
        runner,
        session_meta,
    })
}

fn base(program: &Path, args: &[String]) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(program);
    command
        .args(args)
        .env_clear()
        .envs(passed_through())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        // Its own process group, so closing the session ends everything it started.
        .process_group(0)
        .kill_on_drop(true);
    command
}

/// Codex sandboxes what it runs (and reads what it patches) through a helper it starts as
/// `codex-linux-sandbox` from PATH: the same binary, told apart by the name it is started under.
/// codex-acp does not put that name on PATH itself, so ClawBox does, in a folder of its own.
fn sandbox_helper(
    command: &mut tokio::process::Command,
    dir: &Path,
    codex: &Path,
) -> Result<(), Error> {
    if !cfg!(target_os = "linux") {
        return Ok(());
    }
    let bin = dir.join("bin");
    let link = bin.join("codex-linux-sandbox");
    let fail = |error: std::io::Error| Error::Spawn {
        agent: CODEX.title.into(),
        message: format!(
            "cannot set up its sandbox helper in {} ({error})",
            bin.display()
        ),
    };
    std::fs::create_dir_all(&bin).map_err(fail)?;
    if std::fs::read_link(&link).ok().as_deref() != Some(codex) {
        // Made beside it and renamed over it: two sessions starting at once both succeed.
        let made = bin.join(format!(".codex-linux-sandbox.{}", std::process::id()));
        let _ = std::fs::remove_file(&made);
        #[cfg(unix)]
        std::os::unix::fs::symlink(codex, &made).map_err(fail)?;
        std::fs::rename(&made, &link).map_err(fail)?;
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let joined =
        std::env::join_paths(std::iter::once(bin.clone()).chain(std::env::split_paths(&path)))
            .map_err(|error| fail(std::io::Error::other(error)))?;
    command.env("PATH", joined);
    Ok(())
}

fn headers_lines(client: &str, session: &str) -> String {
    format!("{CLIENT_HEADER}: {client}\n{SESSION_HEADER}: {session}")
}

/// Claude Code through its environment: ClawBox's address and local key, telemetry and
/// auto-update off, a config home ClawBox owns.
fn claude(
    command: &mut tokio::process::Command,
    home: &Path,
    gateway: &GatewayTarget,
    session: &str,
) -> Result<(), Error> {
    // No hooks run, whatever a settings file says (only this one is read: see session_meta).
    let config = home.join(".claude");
    let settings = config.join("settings.json");
    if !settings.exists() {
        std::fs::create_dir_all(&config)
            .and_then(|()| std::fs::write(&settings, "{\"disableAllHooks\": true}\n"))
            .map_err(|error| Error::Spawn {
                agent: CLAUDE.title.into(),
                message: format!("cannot write {} ({error})", settings.display()),
            })?;
    }
    command
        .env("ANTHROPIC_BASE_URL", &gateway.base_url)
        .env("ANTHROPIC_API_KEY", &gateway.key)
        .env(
            "ANTHROPIC_CUSTOM_HEADERS",
            headers_lines(CLAUDE.client, session),
        )
        .env("CLAUDE_CONFIG_DIR", home.join(".claude"))
        .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
        .env("DISABLE_TELEMETRY", "1")
        .env("DISABLE_AUTOUPDATER", "1")
        .env("DISABLE_ERROR_REPORTING", "1");
    Ok(())
}

/// Codex through a ClawBox provider on its command line (codex-acp ignores `OPENAI_BASE_URL`),
/// in a `CODEX_HOME` ClawBox owns, sandboxed to the project folder for the commands it runs.
fn codex(
    command: &mut tokio::process::Command,
    home: &Path,
    gateway: &GatewayTarget,
    session: &str,
) {
    let quoted = |value: &str| serde_json::Value::String(value.to_owned()).to_string();
    let settings = [
        "model_provider=\"clawbox\"".to_owned(),
        "model_providers.clawbox.name=\"ClawBox\"".to_owned(),
        format!(
            "model_providers.clawbox.base_url={}",
            quoted(&format!("{}/v1", gateway.base_url))
        ),
        "model_providers.clawbox.env_key=\"CLAWBOX_API_KEY\"".to_owned(),
        "model_providers.clawbox.wire_api=\"responses\"".to_owned(),
        format!(
            "model_providers.clawbox.http_headers={{{}={},{}={}}}",
            quoted(CLIENT_HEADER),
            quoted(CODEX.client),
            quoted(SESSION_HEADER),
            quoted(session)
        ),
        "sandbox_mode=\"workspace-write\"".to_owned(),
        // Every edit and every command not known to be harmless goes to the person first.
        "approval_policy=\"untrusted\"".to_owned(),
        "sandbox_workspace_write.network_access=false".to_owned(),
        "check_for_update_on_startup=false".to_owned(),
        "analytics.enabled=false".to_owned(),
    ];
    for setting in settings {
        command.arg("-c").arg(setting);
    }
    command
        .env("CODEX_HOME", home)
        .env("CLAWBOX_API_KEY", &gateway.key);
}

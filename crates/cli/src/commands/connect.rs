//! `clawbox-gateway connect …`: point a client at ClawBox (or undo it exactly).

use std::path::PathBuf;

use clap::Subcommand;
use clawbox_auth::codex::CodexTokens;
use clawbox_auth::{Credentials, KeychainState, Provider, open_store};

use super::Place;
use clawbox_connect::{Change, ClientSettings, Connector, Held, Kind};
use clawbox_gateway::config::{Config, SETTINGS_FILE, SettingsLayer, load_settings_file};

#[derive(Subcommand)]
pub enum ConnectCommand {
    /// An agent project's .env: OPENCLAW_GATEWAY_URL, OPENAI_BASE_URL, USER_ID and, when ClawBox
    /// holds the credentials, OPENAI_API_KEY = the local key. Other lines are kept as they are.
    Env {
        /// The agent's project folder, or its .env file
        path: PathBuf,
        /// Show the change without writing anything
        #[arg(long)]
        dry_run: bool,
        /// Restore the file exactly as it was before ClawBox changed it
        #[arg(long)]
        undo: bool,
    },
    /// OpenAI's Codex CLI ($CODEX_HOME/config.toml, default ~/.codex/config.toml): a clawbox
    /// entry in model_providers (Responses API, the local key inside it) and
    /// model_provider = "clawbox"
    Codex(ToolArgs),
    /// Claude Code (~/.claude/settings.json, or $CLAUDE_CONFIG_DIR): ANTHROPIC_BASE_URL and,
    /// when ClawBox holds an Anthropic key, ANTHROPIC_AUTH_TOKEN = the local key, in its env block
    Claude(ToolArgs),
    /// OpenClaw (~/.openclaw/openclaw.json, or $OPENCLAW_CONFIG_PATH): a clawbox provider,
    /// agents' default model through it, and OpenClaw's own gateway moved off ClawBox's port
    Openclaw(ToolArgs),
}

#[derive(clap::Args)]
pub struct ToolArgs {
    /// Show the change without writing anything
    #[arg(long)]
    dry_run: bool,
    /// Restore the file exactly as it was before ClawBox changed it
    #[arg(long)]
    undo: bool,
}

pub fn run_connect(
    place: &Place,
    overrides: &SettingsLayer,
    command: &ConnectCommand,
) -> Result<(), String> {
    let dir = place.data_dir().map_err(|e| e.to_string())?;
    let connector = Connector::new(&dir);
    let (kind, dry_run, undo, path) = match command {
        ConnectCommand::Env {
            path,
            dry_run,
            undo,
        } => (Kind::Env, *dry_run, *undo, Some(path)),
        ConnectCommand::Codex(a) => (Kind::Codex, a.dry_run, a.undo, None),
        ConnectCommand::Claude(a) => (Kind::Claude, a.dry_run, a.undo, None),
        ConnectCommand::Openclaw(a) => (Kind::OpenClaw, a.dry_run, a.undo, None),
    };
    let change = match (path, undo) {
        (Some(path), true) => connector.undo(path, dry_run),
        (None, true) => connector.undo_tool(kind, dry_run),
        (Some(path), false) => {
            connector.connect_env(path, &client_settings(place, overrides)?, dry_run)
        }
        (None, false) => connector.connect_tool(kind, &client_settings(place, overrides)?, dry_run),
    }
    .map_err(|e| e.to_string())?;
    print_change(&change, dry_run);
    Ok(())
}

/// What connected clients should hold now: the settings' port and user id, and the local key
/// when ClawBox holds credentials.
pub fn client_settings(place: &Place, overrides: &SettingsLayer) -> Result<ClientSettings, String> {
    let dir = place.data_dir().map_err(|e| e.to_string())?;
    let config = load_settings_file(&dir.join(SETTINGS_FILE))
        .and_then(|file| Config::resolve(&file, overrides))
        .map_err(|e| e.to_string())?;
    let credentials = Credentials::load(open_store(place.store_kind(), &dir));
    Ok(match credentials.state() {
        KeychainState::Ready => {
            let signed_in = open_store(place.store_kind(), &dir)
                .ok()
                .and_then(|store| CodexTokens::load(store.as_ref()).ok().flatten())
                .is_some();
            let saved = credentials.saved_providers();
            let held = Held {
                any: signed_in || !saved.is_empty(),
                anthropic: saved.contains(&Provider::Anthropic),
            };
            ClientSettings::new(config.listen.port(), &config, credentials.local_key(), held)
        }
        KeychainState::Unavailable(_) => {
            ClientSettings::new(config.listen.port(), &config, None, Held::default())
        }
    })
}

/// Rewrites the connected files after the local key changed, saying what happened to each.
pub fn refresh_connected(place: &Place) {
    let overrides = SettingsLayer::from_env().unwrap_or_default();
    let settings = match client_settings(place, &overrides) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("The connected .env files were not updated: {e}");
            return;
        }
    };
    let Ok(dir) = place.data_dir() else { return };
    match Connector::new(&dir).refresh(&settings) {
        Ok(changes) => {
            for change in changes {
                match change {
                    Ok(c) if c.changed => eprintln!("Updated {}", c.path.display()),
                    Ok(_) => {}
                    Err(e) => eprintln!("Not updated: {e}"),
                }
            }
        }
        Err(e) => eprintln!("The connected .env files were not updated: {e}"),
    }
}

fn print_change(change: &Change, dry_run: bool) {
    if !change.diff.is_empty() {
        print!("{}", change.diff);
        if !change.diff.ends_with('\n') {
            println!();
        }
    }
    println!("{}", change.message);
    if !dry_run && let Some(backup) = &change.backup {
        println!("Backup of the original: {}", backup.display());
    }
}

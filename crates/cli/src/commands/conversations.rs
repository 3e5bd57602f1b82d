//! `clawbox-gateway conversations …`: what ClawBox keeps of Responses API conversations (never
//! their content), and forgetting it.

use clap::Subcommand;
use clawbox_conversations::CONVERSATIONS_FILE;
use clawbox_gateway::config::{Config, SETTINGS_FILE, SettingsLayer, load_settings_file};
use clawbox_gateway::conversations::Conversations;

use super::Place;

#[derive(Subcommand)]
pub enum ConversationsCommand {
    /// How many responses and conversations are kept, their size, and for how long
    List,
    /// Forget every kept conversation (clients continuing one get "not found")
    Clear,
}

pub fn run_conversations(
    place: &Place,
    overrides: &SettingsLayer,
    command: &ConversationsCommand,
) -> Result<(), String> {
    let dir = place.data_dir().map_err(|e| e.to_string())?;
    let credentials = place.credentials()?;
    let kept = Conversations::open(&dir, credentials.secret_store());
    let store = kept.store().ok_or_else(|| {
        format!(
            "no conversations can be kept: {}",
            kept.problem().unwrap_or_default()
        )
    })?;
    match command {
        ConversationsCommand::List => {
            let stats = store.stats().map_err(|e| e.to_string())?;
            let config = load_settings_file(&dir.join(SETTINGS_FILE))
                .and_then(|file| Config::resolve(&file, overrides))
                .map_err(|e| e.to_string())?;
            println!(
                "{} responses, {} conversations ({} items), {} on disk",
                stats.responses,
                stats.conversations,
                stats.items,
                size(stats.bytes)
            );
            println!(
                "kept in:         {} (each item encrypted; its key is in {})",
                dir.join(CONVERSATIONS_FILE).display(),
                credentials.store_name()
            );
            match (
                config.keep_conversations,
                config.conversation_retention_days,
            ) {
                (false, _) => println!("keeping:         off (keep_conversations = 0)"),
                (true, 0) => println!("kept for:        until forgotten"),
                (true, days) => println!("kept for:        {days} days"),
            }
        }
        ConversationsCommand::Clear => {
            let stats = store.stats().map_err(|e| e.to_string())?;
            store.clear().map_err(|e| e.to_string())?;
            println!(
                "Forgot {} responses and {} conversations.",
                stats.responses, stats.conversations
            );
        }
    }
    Ok(())
}

fn size(bytes: u64) -> String {
    #[expect(clippy::cast_precision_loss, reason = "a size to read, not to count")]
    let kb = bytes as f64 / 1024.0;
    if kb < 1024.0 {
        format!("{kb:.0} KB")
    } else {
        format!("{:.1} MB", kb / 1024.0)
    }
}

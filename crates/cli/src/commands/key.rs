//! `clawbox-gateway key …`: save, remove and rotate keys. Keys are read from standard input,
//! never from the command line (where other users and shell history would see them).

use std::io::{BufRead, IsTerminal};

use clap::Subcommand;
use clawbox_auth::{LocalKey, Provider, Secret};
use clawbox_gateway::config::{Config, SETTINGS_FILE, SettingsLayer, load_settings_file};

use super::Place;

#[derive(Subcommand)]
pub enum KeyCommand {
    /// Save a provider API key in the keychain, read from standard input
    /// (e.g. `pbpaste | clawbox-gateway key set openai`)
    Set {
        /// `openai`, `anthropic`, or the name of a provider you added (`clawbox-gateway
        /// provider list`)
        provider: String,
    },
    /// Remove a saved provider API key
    Remove {
        /// `openai`, `anthropic`, or the name of a provider you added
        provider: String,
    },
    /// Print the local key (cbx_…) agents present to use the saved keys
    ShowLocal,
    /// Replace the local key; agents configured with the old one must be updated
    RotateLocal,
}

/// Whose key: a built-in provider's, or one the person added (its name, and the id its key is
/// saved under: the name and the host it is for).
enum Holder {
    BuiltIn(Provider),
    Named { name: String, id: String },
}

/// `openai`, `anthropic`, or a provider in settings.json; anything else is refused with the way
/// to add it.
fn holder(place: &Place, name: &str) -> Result<Holder, String> {
    let name = name.trim().to_ascii_lowercase();
    if let Some(provider) = Provider::parse(&name) {
        return Ok(Holder::BuiltIn(provider));
    }
    let dir = place.data_dir().map_err(|e| e.to_string())?;
    let env = SettingsLayer::from_env()?;
    let config = load_settings_file(&dir.join(SETTINGS_FILE))
        .and_then(|file| Config::resolve(&file, &env))
        .map_err(|e| e.to_string())?;
    if let Some(provider) = config.providers.iter().find(|p| p.name() == name) {
        return Ok(Holder::Named {
            id: provider.key_id(),
            name,
        });
    }
    let added: Vec<&str> = config.providers.iter().map(|p| p.name()).collect();
    let known = if added.is_empty() {
        String::new()
    } else {
        format!(", {}", added.join(", "))
    };
    Err(format!(
        "`{name}` is not a provider ClawBox knows (openai, anthropic{known}): add it first with \
         `clawbox-gateway provider add {name}`"
    ))
}

pub fn run_key(place: &Place, command: &KeyCommand) -> Result<(), String> {
    let credentials = place.credentials()?;
    let store = credentials.store_name();
    match command {
        KeyCommand::Set { provider } => match holder(place, provider)? {
            Holder::BuiltIn(provider) => {
                let key = read_key(provider.name())?;
                credentials
                    .save_provider_key(provider, key)
                    .map_err(|e| e.to_string())?;
                println!("Saved your {} key in {store}.", provider.name());
            }
            Holder::Named { name, id } => {
                let key = read_key(&name)?;
                credentials
                    .save_named_key(&id, key)
                    .map_err(|e| e.to_string())?;
                let host = id.split_once('@').map_or("", |(_, host)| host);
                println!("Saved your {name} key in {store}, for {host}.");
            }
        },
        KeyCommand::Remove { provider } => {
            let name = match holder(place, provider)? {
                Holder::BuiltIn(provider) => {
                    credentials
                        .remove_provider_key(provider)
                        .map_err(|e| e.to_string())?;
                    provider.name().to_owned()
                }
                Holder::Named { name, id } => {
                    credentials
                        .remove_named_key(&id)
                        .map_err(|e| e.to_string())?;
                    name
                }
            };
            println!("Removed the saved {name} key from {store}.");
        }
        KeyCommand::ShowLocal => {
            let key = credentials
                .local_key()
                .ok_or("there is no local key yet: run `clawbox-gateway key rotate-local`")?;
            println!("{}", key.expose());
        }
        KeyCommand::RotateLocal => {
            let key = credentials.rotate_local_key().map_err(|e| e.to_string())?;
            eprintln!(
                "New local key {} saved in {store}.",
                LocalKey::fingerprint(&key)
            );
            // The connected .env files follow; anything configured by hand must be updated.
            super::connect::refresh_connected(place);
            println!("{}", key.expose());
        }
    }
    Ok(())
}

fn read_key(provider: &str) -> Result<Secret, String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprintln!("Paste your {provider} API key, then press Enter:");
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the key from standard input: {e}"))?;
    clawbox_auth::check_key_for(provider, &line)
}

//! `clawbox-gateway key …`: save, remove and rotate keys. Keys are read from standard input,
//! never from the command line (where other users and shell history would see them).

use std::io::{BufRead, IsTerminal};

use clap::Subcommand;
use clawbox_auth::{LocalKey, Provider, Secret};

use super::Place;

#[derive(Subcommand)]
pub enum KeyCommand {
    /// Save a provider API key in the keychain, read from standard input
    /// (e.g. `pbpaste | clawbox-gateway key set openai`)
    Set {
        /// `openai` or `anthropic`
        #[arg(value_parser = parse_provider)]
        provider: Provider,
    },
    /// Remove a saved provider API key
    Remove {
        /// `openai` or `anthropic`
        #[arg(value_parser = parse_provider)]
        provider: Provider,
    },
    /// Print the local key (cbx_…) agents present to use the saved keys
    ShowLocal,
    /// Replace the local key; agents configured with the old one must be updated
    RotateLocal,
}

fn parse_provider(s: &str) -> Result<Provider, String> {
    Provider::parse(&s.to_ascii_lowercase()).ok_or_else(|| "use openai or anthropic".to_owned())
}

pub fn run_key(place: &Place, command: &KeyCommand) -> Result<(), String> {
    let credentials = place.credentials()?;
    let store = credentials.store_name();
    match command {
        KeyCommand::Set { provider } => {
            let key = read_key(*provider)?;
            credentials
                .save_provider_key(*provider, key)
                .map_err(|e| e.to_string())?;
            println!("Saved your {} key in {store}.", provider.name());
        }
        KeyCommand::Remove { provider } => {
            credentials
                .remove_provider_key(*provider)
                .map_err(|e| e.to_string())?;
            println!("Removed the saved {} key from {store}.", provider.name());
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

fn read_key(provider: Provider) -> Result<Secret, String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprintln!("Paste your {} API key, then press Enter:", provider.name());
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the key from standard input: {e}"))?;
    clawbox_auth::check_provider_key(provider, &line)
}

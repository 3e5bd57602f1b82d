//! The `clawbox-gateway` subcommands other than `serve`: keys, status, usage and the rest. Each is a thin
//! adapter over the engine and the credentials crate.

mod agent;
mod connect;
mod conversations;
mod doctor;
mod key;
mod login;
mod provider;
mod provision;
mod status;
mod usage;

use std::path::PathBuf;
use std::sync::Arc;

use clawbox_auth::{Credentials, KeychainState, SecretStoreKind, open_store};
use clawbox_gateway::Error;
use clawbox_gateway::config::{default_data_dir, prepare_data_dir};

pub use agent::{AgentCommand, run_agent};
pub use connect::{ConnectCommand, run_connect};
pub use conversations::{ConversationsCommand, run_conversations};
pub use doctor::run_doctor;
pub use key::{KeyCommand, run_key};
pub use login::{Account, run_login, run_logout};
pub use provider::{ProviderCommand, run_provider};
pub use provision::{ProvisionArgs, run_provision};
pub use status::run_status;
pub use usage::{UsageArgs, run_usage};

/// Where the data dir and the secrets are: shared by every subcommand.
#[derive(clap::Args, Clone)]
pub struct Place {
    /// Folder for settings.json and the request log [default: the OS app-data folder for
    /// ai.organized.clawbox, e.g. ~/.local/share/ai.organized.clawbox]
    #[arg(long, env = "CLAWBOX_DATA_DIR", value_name = "DIR", global = true)]
    pub data_dir: Option<PathBuf>,

    /// Where stored credentials live: `keychain` (the OS keychain) or `file` (a private file in
    /// the data dir, for servers without a keychain) [default: keychain]
    #[arg(long, env = "CLAWBOX_SECRET_STORE", value_name = "STORE", global = true,
          value_parser = parse_store)]
    pub secret_store: Option<SecretStoreKind>,
}

fn parse_store(s: &str) -> Result<SecretStoreKind, String> {
    SecretStoreKind::parse(s).map_err(|e| e.to_string())
}

impl Place {
    pub fn data_dir(&self) -> Result<PathBuf, Error> {
        let dir = match &self.data_dir {
            Some(dir) => dir.clone(),
            None => default_data_dir()?,
        };
        prepare_data_dir(&dir)?;
        Ok(dir)
    }

    pub fn store_kind(&self) -> SecretStoreKind {
        self.secret_store.unwrap_or(SecretStoreKind::Keychain)
    }

    /// The stored credentials; an unusable store is an error here (the user asked for them).
    pub fn credentials(&self) -> Result<Arc<Credentials>, String> {
        let dir = self.data_dir().map_err(|e| e.to_string())?;
        let credentials = Credentials::load(open_store(self.store_kind(), &dir));
        match credentials.state() {
            KeychainState::Ready => Ok(Arc::new(credentials)),
            KeychainState::Unavailable(reason) => Err(reason),
        }
    }
}

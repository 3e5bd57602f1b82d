//! `clawbox-gateway provider …`: add, list and remove the OpenAI-compatible (or
//! Anthropic-compatible) providers ClawBox routes models to, and choose the default upstream.

use clap::Subcommand;
use clawbox_auth::Credentials;
use clawbox_gateway::config::{Config, SETTINGS_FILE, SettingsLayer, load_settings_file};
use clawbox_gateway::providers::{
    DefaultUpstream, PRESETS, ProviderKind, ProviderSetting, add_provider, preset, remove_provider,
    set_default_upstream,
};

use super::Place;

#[derive(Subcommand)]
pub enum ProviderCommand {
    /// Add a provider (or change one): a preset by name (openrouter, deepseek, groq, mistral,
    /// together, gemini, lmstudio, vllm), or any name with --base-url
    Add {
        /// A preset's name, or the name to give the provider (lower-case letters, digits, - _)
        name: String,
        /// The API base as the provider's docs give it to OpenAI's SDKs (e.g.
        /// https://api.deepseek.com/v1); a preset's by default
        #[arg(long, value_name = "URL")]
        base_url: Option<String>,
        /// The API it speaks: openai or anthropic [default: openai, or the preset's]
        #[arg(long, value_parser = ProviderKind::parse)]
        kind: Option<ProviderKind>,
        /// Its models, comma-separated: exact names or prefixes ending in * (e.g.
        /// deepseek-*); models it lists itself are routed to it too
        #[arg(long, value_name = "A,B*", value_delimiter = ',')]
        models: Option<Vec<String>>,
        /// It takes no key (a server of your own); nothing it serves is billed
        #[arg(long)]
        no_key: bool,
    },
    /// List the providers, their keys (saved or not, never shown) and the default upstream
    List,
    /// Remove a provider, its saved key, and the routes that name it
    Remove { name: String },
    /// Where models no route claims go: none (answer "no route"), openai (OpenAI's API with
    /// the saved OpenAI key) or a provider's name
    Default { upstream: String },
}

pub fn run_provider(
    place: &Place,
    overrides: &SettingsLayer,
    command: &ProviderCommand,
) -> Result<(), String> {
    let dir = place.data_dir().map_err(|e| e.to_string())?;
    let settings = dir.join(SETTINGS_FILE);
    match command {
        ProviderCommand::Add {
            name,
            base_url,
            kind,
            models,
            no_key,
        } => {
            let provider = to_add(name, base_url.as_deref(), *kind, models.as_deref(), *no_key)?;
            let added = add_provider(&settings, &provider, overrides).map_err(|e| e.to_string())?;
            let verb = if added.replaced { "Changed" } else { "Added" };
            println!("{verb} {} ({}).", provider.name, provider.base_url);
            let credentials = place.credentials().ok();
            if let (Some(old), Some(credentials)) = (&added.moved_from, &credentials) {
                // Its key was for the old address: it is not taken to the new one.
                let _ = credentials.remove_named_key(old);
                println!("Its saved key was for the old address and was removed.");
            }
            if provider.needs_key {
                let has_key = credentials
                    .as_ref()
                    .is_some_and(|c| c.named_key(&added.key_id).is_some());
                if !has_key {
                    let at = preset(&provider.name)
                        .filter(|p| !p.keys_at.is_empty())
                        .map(|p| format!(" (get one at {})", p.keys_at))
                        .unwrap_or_default();
                    println!(
                        "Now save its API key{at}: paste it into `clawbox-gateway key set {}`.",
                        provider.name
                    );
                }
            }
        }
        ProviderCommand::List => list(place, &settings, overrides)?,
        ProviderCommand::Remove { name } => {
            let removed = remove_provider(&settings, name, overrides).map_err(|e| e.to_string())?;
            let key = match place.credentials() {
                Ok(credentials) => credentials
                    .remove_named_key(&removed.key_id)
                    .map(|()| " and its saved key".to_owned())
                    .map_err(|e| e.to_string())?,
                Err(_) => String::new(),
            };
            println!("Removed {name}{key}.");
            if removed.default_cleared {
                println!(
                    "It was the default upstream; models no route claims now get \"no route\"."
                );
            }
            if !removed.routes_removed.is_empty() {
                println!(
                    "Removed the routes for {}.",
                    removed.routes_removed.join(", ")
                );
            }
        }
        ProviderCommand::Default { upstream } => {
            if let Some(pinned) = &overrides.default_upstream {
                eprintln!(
                    "Note: CLAWBOX_DEFAULT_UPSTREAM={pinned} is set in this environment and wins \
                     over settings.json wherever it is set."
                );
            }
            let default = DefaultUpstream::parse(upstream);
            set_default_upstream(&settings, &default, overrides).map_err(|e| e.to_string())?;
            match default {
                DefaultUpstream::None => {
                    println!("Models no route claims now get a \"no route\" answer.");
                }
                other => println!("Models no route claims now go to {}.", other.as_str()),
            }
        }
    }
    Ok(())
}

/// The provider `add` describes: a preset's settings unless flags say otherwise; any other name
/// needs its base URL.
fn to_add(
    name: &str,
    base_url: Option<&str>,
    kind: Option<ProviderKind>,
    models: Option<&[String]>,
    no_key: bool,
) -> Result<ProviderSetting, String> {
    let name = name.trim().to_ascii_lowercase();
    let mut provider = match (preset(&name), base_url) {
        (Some(preset), _) => preset.setting(),
        (None, Some(_)) => ProviderSetting {
            name: name.clone(),
            kind: ProviderKind::Openai,
            base_url: String::new(),
            models: Vec::new(),
            needs_key: true,
        },
        (None, None) => {
            let names: Vec<&str> = PRESETS.iter().map(|p| p.name).collect();
            return Err(format!(
                "`{name}` is not a preset ({}): give its API base with --base-url, e.g. \
                 `clawbox-gateway provider add {name} --base-url https://api.example.com/v1`",
                names.join(", ")
            ));
        }
    };
    if let Some(url) = base_url {
        url.trim().clone_into(&mut provider.base_url);
    }
    if let Some(kind) = kind {
        provider.kind = kind;
    }
    if let Some(models) = models {
        provider.models = models
            .iter()
            .map(|m| m.trim().to_owned())
            .filter(|m| !m.is_empty())
            .collect();
    }
    if no_key {
        provider.needs_key = false;
    }
    Ok(provider)
}

fn list(
    place: &Place,
    settings: &std::path::Path,
    overrides: &SettingsLayer,
) -> Result<(), String> {
    let config = load_settings_file(settings)
        .and_then(|file| Config::resolve(&file, overrides))
        .map_err(|e| e.to_string())?;
    let credentials: Option<std::sync::Arc<Credentials>> = place.credentials().ok();
    if config.providers.is_empty() {
        println!("No providers yet.");
    } else {
        println!(
            "{:<12} {:<9} {:<12} {:<44} MODELS",
            "NAME", "KIND", "KEY", "BASE URL"
        );
        for p in &config.providers {
            let key = match (&credentials, p.tag.keyless) {
                (_, true) => "not needed",
                (Some(c), false) if c.named_key(&p.key_id()).is_some() => "saved",
                (Some(_), false) => "missing",
                (None, false) => "unknown",
            };
            let models = if p.models.is_empty() {
                "those it lists".to_owned()
            } else {
                p.models.join(", ")
            };
            println!(
                "{:<12} {:<9} {:<12} {:<44} {models}",
                p.name(),
                p.kind().as_str(),
                key,
                p.base_url.as_str().trim_end_matches('/'),
            );
        }
    }
    println!("Default upstream: {}", config.default_upstream.as_str());
    let unused: Vec<&str> = PRESETS
        .iter()
        .map(|p| p.name)
        .filter(|n| !config.providers.iter().any(|p| p.name() == *n))
        .collect();
    if !unused.is_empty() {
        println!("Presets to add: {}", unused.join(", "));
    }
    Ok(())
}

//! The command line: `clawbox-gateway …`, and the same commands as `clawbox …` from the
//! desktop app's binary (so an installed app can be driven from a terminal). Each subcommand is
//! a thin adapter (commands/) over the crates below: the request path (clawbox-gateway), the
//! configurators (clawbox-connect), the check (clawbox-doctor), provisioning
//! (clawbox-provision) and credentials (clawbox-auth). settings_flags.rs maps flags onto the
//! request path's settings.

mod commands;
mod settings_flags;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use clawbox_gateway::config::SettingsLayer;
use clawbox_gateway::{Error, Gateway, GatewayOptions, SecretsFrom};

use commands::{KeyCommand, Place};
use settings_flags::SettingsFlags;

/// The subcommands; any of them as the first argument means "the command line, not the window".
const SUBCOMMANDS: [&str; 12] = [
    "serve",
    "key",
    "provider",
    "conversations",
    "login",
    "logout",
    "status",
    "usage",
    "connect",
    "doctor",
    "provision",
    "agent",
];

/// Whether `args` (as the process got them) ask for the command line rather than the window. A
/// deep link (`clawbox://…`) or no argument at all is the window's.
pub fn is_command_line(args: &[OsString]) -> bool {
    args.get(1).and_then(|a| a.to_str()).is_some_and(|a| {
        SUBCOMMANDS.contains(&a) || matches!(a, "help" | "--help" | "-h" | "--version" | "-V")
    })
}

#[derive(Parser)]
#[command(
    name = "clawbox-gateway",
    version,
    about = "ClawBox's local LLM gateway, without the window",
    long_about = "ClawBox's local LLM gateway, without the window.\n\n\
        Point an agent at it by setting OPENCLAW_GATEWAY_URL=http://localhost:18789 \
        (OpenAI clients: OPENAI_BASE_URL=http://localhost:18789/v1; Anthropic clients: \
        ANTHROPIC_BASE_URL=http://localhost:18789)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the gateway until interrupted (Ctrl-C or SIGTERM)
    #[command(
        long_about = "Run the gateway until interrupted (Ctrl-C or SIGTERM).\n\n\
        Every setting below can also be given as a CLAWBOX_* environment variable or as a \
        lower-case key in <data dir>/settings.json (e.g. {\"mode\": \"hosted\"}). Precedence: \
        flags, then environment, then settings.json, then the defaults. settings.json is \
        re-read when it changes, so mode, upstreams and limits apply without a restart; \
        settings given as flags or environment stay pinned.\n\n\
        Files in the data dir: settings.json, clawbox.db (the SQLite request log), \
        ip-hash.key (the per-install key for hashing client addresses)."
    )]
    Serve(ServeArgs),
    /// Save or remove provider API keys, and show or rotate the local key
    Key {
        #[command(flatten)]
        place: Place,
        #[command(subcommand)]
        command: KeyCommand,
    },
    /// Add, list or remove the providers models are routed to (OpenRouter, DeepSeek, Groq,
    /// Mistral, Together, Gemini, LM Studio, vLLM, or any OpenAI-compatible API), and choose
    /// where models no route claims go
    Provider {
        #[command(flatten)]
        place: Place,
        #[command(subcommand)]
        command: commands::ProviderCommand,
    },
    /// What ClawBox keeps of Responses API conversations for the ChatGPT plan, local models and
    /// named providers (counts and size, never content), and forgetting it
    Conversations {
        #[command(flatten)]
        place: Place,
        #[command(subcommand)]
        command: commands::ConversationsCommand,
    },
    /// Sign in with ChatGPT (OpenAI's Codex sign-in) so agents use your plan
    Login {
        #[arg(value_enum)]
        account: commands::Account,
        /// Only print the sign-in URL; do not open a browser
        #[arg(long)]
        no_browser: bool,
        #[command(flatten)]
        place: Place,
    },
    /// Sign out of ChatGPT: revoke the sign-in and delete it from the keychain
    Logout {
        #[arg(value_enum)]
        account: commands::Account,
        #[command(flatten)]
        place: Place,
    },
    /// Point an agent's configuration at ClawBox (with --dry-run to see the change first, and
    /// --undo to restore the file exactly)
    Connect {
        #[command(flatten)]
        place: Place,
        #[command(flatten)]
        settings: SettingsFlags,
        #[command(subcommand)]
        command: commands::ConnectCommand,
    },
    /// Check that clients get answers through ClawBox (chat completions, streamed usage, the
    /// Responses API, Anthropic Messages) and that connected tools still point at it; exit
    /// status 0 only when all is well
    Doctor {
        #[command(flatten)]
        place: Place,
        #[command(flatten)]
        settings: SettingsFlags,
    },
    /// Print setup links and QR codes for a room of trainees (from a CSV), and with --out
    /// write each one's QR code (PNG) and provisioning file, to print or hand out
    Provision(commands::ProvisionArgs),
    /// Coding agents over the Agent Client Protocol: list the ones ClawBox knows, install one,
    /// or run one prompt turn in a project folder through the running ClawBox
    Agent {
        #[command(flatten)]
        place: Place,
        #[command(subcommand)]
        command: commands::AgentCommand,
    },
    /// What requests cost and who used what: money spent through API keys, the value your
    /// ChatGPT plan covered, requests and tokens, by model, user, client or day
    Usage(commands::UsageArgs),
    /// Show the mode, the data folder and which credentials are stored (never a secret)
    Status {
        #[command(flatten)]
        place: Place,
        #[command(flatten)]
        settings: SettingsFlags,
    },
}

#[derive(clap::Args)]
struct ServeArgs {
    #[command(flatten)]
    place: Place,

    #[command(flatten)]
    settings: SettingsFlags,
}

/// Runs the command line named `name` (`clawbox-gateway`, or `clawbox` from the app).
pub fn run(name: &'static str, args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let matches = Cli::command()
        .name(name)
        .bin_name(name)
        .get_matches_from(args);
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    init_logging();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Command::Agent { place, command } = &cli.command {
        // Its own exit statuses: 1 for a turn that failed, 2 for usage and "no ClawBox".
        let code = commands::run_agent(place, command, &runtime);
        drop(runtime);
        return code;
    }
    let result = match cli.command {
        Command::Agent { .. } => Ok(()),
        Command::Serve(args) => runtime.block_on(serve(args)).map_err(|e| e.to_string()),
        Command::Key { place, command } => commands::run_key(&place, &command),
        Command::Conversations { place, command } => SettingsLayer::from_env()
            .and_then(|env| commands::run_conversations(&place, &env, &command)),
        Command::Provider { place, command } => {
            SettingsLayer::from_env().and_then(|env| commands::run_provider(&place, &env, &command))
        }
        Command::Status { place, settings } => {
            runtime.block_on(commands::run_status(&place, &settings.layer()))
        }
        Command::Provision(args) => commands::run_provision(&args),
        Command::Usage(args) => commands::run_usage(&args),
        Command::Doctor { place, settings } => {
            runtime.block_on(commands::run_doctor(&place, &settings.layer()))
        }
        Command::Connect {
            place,
            settings,
            command,
        } => commands::run_connect(&place, &settings.layer(), &command),
        Command::Login {
            account: commands::Account::Codex,
            no_browser,
            place,
        } => runtime.block_on(commands::run_login(&place, no_browser)),
        Command::Logout {
            account: commands::Account::Codex,
            place,
        } => runtime.block_on(commands::run_logout(&place)),
    };
    // Dropping the runtime ends any connection still open; their rows are queued as they close,
    // and the writer flushes them when the gateway is dropped.
    drop(runtime);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: ServeArgs) -> Result<(), Error> {
    let mut options = GatewayOptions::new(args.place.data_dir()?, args.settings.layer());
    options.secrets = SecretsFrom::Open(args.place.store_kind());
    let gateway = Gateway::open(options)?;
    let listener = gateway.bind().await?;
    let config = gateway.config();
    let addr = listener.local_addr().unwrap_or(config.listen);
    let shutdown = shutdown_signal();
    // The one line scripts wait for; keep its shape stable.
    println!("ClawBox gateway listening on http://{addr}");
    tracing::info!(
        mode = config.mode.as_str(),
        data_dir = %gateway.data_dir().display(),
        "ready"
    );
    gateway.serve(listener, shutdown).await?;
    tracing::info!("stopped; request log flushed");
    Ok(())
}

/// Ctrl-C or SIGTERM. The handlers are in place when this returns (not when the future is first
/// polled), so a signal sent as soon as the "listening" line is printed still stops the gateway
/// gracefully instead of killing it.
fn shutdown_signal() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let (Ok(mut term), Ok(mut interrupt)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            return Box::pin(async move {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = interrupt.recv() => {}
                }
            });
        }
    }
    Box::pin(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

/// Logs go to stderr; `CLAWBOX_LOG` (or `RUST_LOG`) sets the filter, `info` by default. Nothing
/// logged carries a header, a body or a key.
fn init_logging() {
    let filter = std::env::var("CLAWBOX_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        // The migration library announces each upgrade at info; a command's output is no place
        // for it.
        .unwrap_or_else(|_| "info,rusqlite_migration=warn".into());
    let filter = clawbox_agents::without_protocol_log(&filter);
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn subcommands_mean_the_command_line_and_deep_links_the_window() {
        assert!(is_command_line(&args(&["clawbox", "status"])));
        assert!(is_command_line(&args(&[
            "clawbox",
            "serve",
            "--listen",
            "127.0.0.1:0"
        ])));
        assert!(is_command_line(&args(&["clawbox", "--help"])));
        assert!(!is_command_line(&args(&["clawbox"])));
        assert!(!is_command_line(&args(&[
            "clawbox",
            "clawbox://onboard?user_id=jane"
        ])));
        assert!(!is_command_line(&args(&["clawbox", "--some-webview-flag"])));
    }

    /// A subcommand missing from SUBCOMMANDS would open the window instead of running.
    #[test]
    fn every_subcommand_runs_from_the_app_binary() {
        for command in Cli::command().get_subcommands() {
            let name = command.get_name();
            assert!(
                is_command_line(&args(&["clawbox", name])),
                "`clawbox {name}` would open the window"
            );
        }
    }
}

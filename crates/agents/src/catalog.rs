//! The agents ClawBox can run: the two it knows (installed on request into its data dir from the
//! npm registry, at pinned versions) and the ACP command lines the person adds in settings.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::Error;

/// An agent ClawBox knows how to install, run and point at its gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownAgent {
    /// What `--agent` takes.
    pub name: &'static str,
    pub title: &'static str,
    /// The `client` its model calls are logged under.
    pub client: &'static str,
    pub package: &'static str,
    pub version: &'static str,
    /// It runs on Node (Codex's is a native binary).
    pub needs_node: bool,
}

pub const CLAUDE: KnownAgent = KnownAgent {
    name: "claude",
    title: "Claude Code",
    client: "claude-code-acp",
    package: "@zed-industries/claude-code-acp",
    version: "0.16.2",
    needs_node: true,
};

pub const CODEX: KnownAgent = KnownAgent {
    name: "codex",
    title: "Codex",
    client: "codex-acp",
    package: "@zed-industries/codex-acp",
    version: "0.16.0",
    needs_node: false,
};

pub const KNOWN: [KnownAgent; 2] = [CLAUDE, CODEX];

/// An ACP command line the person added in settings (`agents`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct CustomAgent {
    pub name: String,
    pub command: String,
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
}

impl CustomAgent {
    /// Refuses what would be confused with a known agent or break the request log's `client`.
    pub fn check(&self) -> Result<(), String> {
        let valid = !self.name.is_empty()
            && self.name.len() <= 40
            && self
                .name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
        if !valid {
            return Err(format!(
                "agent name {:?}: use 1 to 40 letters, digits, '-', '_' or '.'",
                self.name
            ));
        }
        if KNOWN
            .iter()
            .any(|known| known.name == self.name || known.client == self.name)
        {
            return Err(format!(
                "agent name {:?} is taken by a built-in agent",
                self.name
            ));
        }
        if self.command.trim().is_empty() {
            return Err(format!("agent {:?} has no command", self.name));
        }
        Ok(())
    }
}

/// One line of `agent list` / the Agent screen's picker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct AgentInfo {
    pub name: String,
    pub title: String,
    pub known: bool,
    pub installed: bool,
    /// What runs, for showing (the program and its arguments).
    pub command: String,
    /// Why it cannot run yet, in one sentence (not installed, Node missing…).
    pub problem: Option<String>,
}

/// Where agents are installed and what the person added.
#[derive(Debug, Clone)]
pub struct Catalog {
    /// `<data dir>/agents`: `node_modules/` (installed agents) and `home/` (their config homes).
    dir: PathBuf,
    custom: Vec<CustomAgent>,
}

/// A program to start, and how.
#[derive(Debug, Clone)]
pub(crate) struct Program {
    pub program: PathBuf,
    pub args: Vec<String>,
}

impl Catalog {
    /// The agents the person added in settings.json (its `agents` key; the gateway ignores it).
    /// A malformed entry is an error naming it, so a typo is not silently dropped.
    pub fn custom_from_settings(settings: &Path) -> Result<Vec<CustomAgent>, String> {
        let text = match std::fs::read_to_string(settings) {
            Ok(text) if !text.trim().is_empty() => text,
            Ok(_) => return Ok(vec![]),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
            Err(error) => return Err(format!("{}: cannot read it ({error})", settings.display())),
        };
        let value: serde_json::Value = serde_json::from_str(&text)
            .map_err(|error| format!("{}: {error}", settings.display()))?;
        let Some(agents) = value.get("agents") else {
            return Ok(vec![]);
        };
        let agents: Vec<CustomAgent> = serde_json::from_value(agents.clone()).map_err(|error| {
            format!(
                "{}: `agents` must be a list of {{name, command, args, env}} ({error})",
                settings.display()
            )
        })?;
        for agent in &agents {
            agent
                .check()
                .map_err(|message| format!("{}: {message}", settings.display()))?;
        }
        Ok(agents)
    }

    pub fn new(dir: impl Into<PathBuf>, custom: Vec<CustomAgent>) -> Catalog {
        Catalog {
            dir: dir.into(),
            custom,
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn known(name: &str) -> Option<KnownAgent> {
        KNOWN.into_iter().find(|known| known.name == name)
    }

    pub fn custom(&self, name: &str) -> Option<&CustomAgent> {
        self.custom.iter().find(|agent| agent.name == name)
    }

    pub fn list(&self) -> Vec<AgentInfo> {
        let mut list: Vec<AgentInfo> = KNOWN
            .iter()
            .map(|known| {
                let program = self.program_of(known);
                AgentInfo {
                    name: known.name.into(),
                    title: known.title.into(),
                    known: true,
                    installed: program.is_ok(),
                    command: match &program {
                        Ok(program) => shown(&program.program, &program.args),
                        Err(_) => format!("{}@{} (not installed)", known.package, known.version),
                    },
                    problem: program.err().map(|error| error.to_string()),
                }
            })
            .collect();
        list.extend(self.custom.iter().map(|agent| {
            let found = find_program(&agent.command);
            AgentInfo {
                name: agent.name.clone(),
                title: agent.name.clone(),
                known: false,
                installed: found.is_some(),
                command: shown(Path::new(&agent.command), &agent.args),
                problem: found
                    .is_none()
                    .then(|| format!("{} was not found on this computer", agent.command)),
            }
        }));
        list
    }

    /// The installed program of a known agent, or why it cannot run.
    pub(crate) fn program_of(&self, known: &KnownAgent) -> Result<Program, Error> {
        let modules = self.dir.join("node_modules");
        let not_installed = || Error::NotInstalled {
            agent: known.title.into(),
            name: known.name.into(),
        };
        if known.name == CODEX.name {
            // The native binary the npm wrapper would start: no Node needed.
            let binary = modules
                .join(codex_platform_package())
                .join("bin")
                .join(exe("codex-acp"));
            return if binary.is_file() {
                Ok(Program {
                    program: binary,
                    args: vec![],
                })
            } else {
                Err(not_installed())
            };
        }
        let script = modules.join(known.package).join("dist/index.js");
        if !script.is_file() {
            return Err(not_installed());
        }
        let node = find_program("node").ok_or_else(|| Error::NodeMissing {
            agent: known.title.into(),
        })?;
        Ok(Program {
            program: node,
            args: vec![script.display().to_string()],
        })
    }

    /// Installs a known agent into `<dir>/node_modules` with npm, which checks each package
    /// against the registry's integrity hash. `progress` gets npm's lines as they come.
    pub async fn install(&self, name: &str, mut progress: impl FnMut(String)) -> Result<(), Error> {
        let known =
            Catalog::known(name).ok_or_else(|| Error::UnknownAgent { name: name.into() })?;
        let npm = find_program(exe_cmd("npm")).ok_or_else(|| Error::NodeMissing {
            agent: known.title.into(),
        })?;
        std::fs::create_dir_all(&self.dir).map_err(|error| Error::Install {
            agent: known.title.into(),
            message: format!("cannot create {} ({error})", self.dir.display()),
        })?;
        let spec = format!("{}@{}", known.package, known.version);
        progress(format!(
            "Installing {} ({spec}) from the npm registry…",
            known.title
        ));
        let mut command = tokio::process::Command::new(npm);
        command
            .arg("install")
            .arg("--prefix")
            .arg(&self.dir)
            .args([
                "--no-audit",
                "--no-fund",
                "--save-exact",
                "--loglevel=http",
                "--no-update-notifier",
            ])
            .arg(&spec)
            .env_clear()
            .envs(crate::launch::passed_through())
            .envs(network_settings())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true);
        if let Some(home) = std::env::var_os("HOME") {
            command.env("HOME", home); // npm's cache
        }
        let mut child = command.spawn().map_err(|error| Error::Install {
            agent: known.title.into(),
            message: format!("npm did not start ({error})"),
        })?;
        let mut tail = Vec::new();
        if let Some(stderr) = child.stderr.take() {
            use tokio::io::AsyncBufReadExt;
            let mut lines = tokio::io::BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let line = line.trim().to_owned();
                if line.is_empty() {
                    continue;
                }
                if tail.len() == 8 {
                    tail.remove(0);
                }
                tail.push(line.clone());
                progress(line);
            }
        }
        let status = child.wait().await.map_err(|error| Error::Install {
            agent: known.title.into(),
            message: error.to_string(),
        })?;
        if !status.success() {
            return Err(Error::Install {
                agent: known.title.into(),
                message: format!("npm failed: {}", tail.join(" / ")),
            });
        }
        self.program_of(&known).map(|_| ())
    }
}

/// What npm needs to reach the registry from where the person is (a proxy, a company's CA), and
/// their npm settings; nothing else of ClawBox's environment goes to npm.
fn network_settings() -> impl Iterator<Item = (std::ffi::OsString, std::ffi::OsString)> {
    const NAMES: [&str; 7] = [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "NO_PROXY",
        "ALL_PROXY",
        "NODE_EXTRA_CA_CERTS",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
    ];
    std::env::vars_os().filter(|(name, _)| {
        let name = name.to_string_lossy().to_ascii_uppercase();
        NAMES.contains(&name.as_str()) || name.starts_with("NPM_CONFIG_")
    })
}

/// The config home ClawBox owns for a known agent (its `HOME`, and Codex's `CODEX_HOME`).
pub(crate) fn home_of(dir: &Path, name: &str) -> PathBuf {
    dir.join("home").join(name)
}

fn shown(program: &Path, args: &[String]) -> String {
    std::iter::once(program.display().to_string())
        .chain(args.iter().cloned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `name` on PATH (or `name` itself when it is a path to a file).
pub(crate) fn find_program(name: &str) -> Option<PathBuf> {
    let direct = Path::new(name);
    if direct.components().count() > 1 {
        return direct.is_file().then(|| direct.to_path_buf());
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

fn codex_platform_package() -> String {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        "windows" => "win32",
        other => other,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "x64",
        "aarch64" => "arm64",
        other => other,
    };
    format!("@zed-industries/codex-acp-{os}-{arch}")
}

fn exe(name: &str) -> String {
    if cfg!(windows) {
        format!("{name}.exe")
    } else {
        name.to_owned()
    }
}

fn exe_cmd(name: &str) -> &str {
    if cfg!(windows) { "npm.cmd" } else { name }
}

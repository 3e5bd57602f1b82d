#!/usr/bin/env bash
# Installs what building and testing ClawBox needs on a fresh Debian 12 machine, and nothing that
# is already there: safe to run before every `make` target.
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages: a C toolchain for the bundled SQLite and the TLS library; a session bus and
# GNOME Keyring, so tests use a real (throwaway) Secret Service; and (only when the Python on
# PATH cannot make one by itself) venv support for the official-SDK tests.
apt_packages=(build-essential pkg-config dbus-daemon dbus-bin gnome-keyring
  # The desktop app (Tauri on WebKitGTK), and a display and WebDriver to test it headless.
  libwebkit2gtk-4.1-dev libsoup-3.0-dev libjavascriptcoregtk-4.1-dev
  libayatana-appindicator3-dev librsvg2-dev libxdo-dev xvfb xauth webkit2gtk-driver
  # The updater installs a .deb with `pkexec dpkg -i`, else `sudo dpkg -i` (as root: no prompt).
  # desktop-file-utils registers an installed app's link handlers (as on any desktop); gio opens
  # a link the way the desktop does.
  sudo desktop-file-utils libglib2.0-bin)
python3 -c 'import venv, ensurepip' 2>/dev/null || apt_packages+=(python3-venv)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The window's UI (Vite + TypeScript): the app embeds ui/dist at compile time, so it is built
# before any cargo command compiles the app.
if ! cmp -s ui/package-lock.json ui/node_modules/.package-lock.stamp 2>/dev/null; then
  echo "setup: installing the UI's packages"
  (cd ui && npm ci --no-audit --no-fund --loglevel=error)
  cp ui/package-lock.json ui/node_modules/.package-lock.stamp
fi
(cd ui && npm run --silent build >/dev/null)

# The Tauri CLI (`tauri build` makes the installers), pinned. Not in ui/package.json: its lock
# file would have to list the CLI's native binary for every platform, and this registry has
# only Linux's.
tauri_cli_version=2.12.5
if [ "$(.tools/tauri-cli/node_modules/.bin/tauri --version 2>/dev/null)" != "tauri-cli $tauri_cli_version" ]; then
  echo "setup: installing the Tauri CLI $tauri_cli_version"
  mkdir -p .tools/tauri-cli
  npm install --prefix .tools/tauri-cli --no-save --no-audit --no-fund --loglevel=error \
    "@tauri-apps/cli@$tauri_cli_version"
fi

if [ "${1:-}" = "--with-sdk" ]; then
  # The official OpenAI and Anthropic SDKs, pinned, in a venv rebuilt when the pins change.
  venv=tests/sdk/.venv
  stamp="$venv/.requirements"
  if ! cmp -s tests/sdk/requirements.txt "$stamp" 2>/dev/null; then
    echo "setup: installing the SDK test environment"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r tests/sdk/requirements.txt
    cp tests/sdk/requirements.txt "$stamp"
  fi
  # tauri-driver: WebDriver for the real app window (it drives Debian's WebKitWebDriver).
  if [ ! -x .tools/bin/tauri-driver ]; then
    echo "setup: installing tauri-driver"
    cargo install tauri-driver --version "^2" --locked --root "$PWD/.tools" --quiet
  fi
  # Real agent CLIs (OpenAI's Codex CLI), pinned by the lock file.
  clients=tests/clients
  if ! cmp -s "$clients/package-lock.json" "$clients/node_modules/.package-lock.stamp" 2>/dev/null; then
    echo "setup: installing the agent CLIs the tests drive"
    (cd "$clients" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$clients/package-lock.json" "$clients/node_modules/.package-lock.stamp"
  fi
fi

# The ACP agents ClawBox knows (Claude Code's and Codex's adapters), at the versions it
# installs, for the tests and the benchmark that drive them through the gateway.
if [ "${1:-}" = "--with-sdk" ] || [ "${1:-}" = "--with-agents" ]; then
  agents=tests/agents
  if ! cmp -s "$agents/package-lock.json" "$agents/node_modules/.package-lock.stamp" 2>/dev/null; then
    echo "setup: installing the ACP agents the tests drive"
    (cd "$agents" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$agents/package-lock.json" "$agents/node_modules/.package-lock.stamp"
  fi
fi

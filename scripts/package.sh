#!/usr/bin/env bash
# Builds ClawBox's installers with `tauri build` into target/release/bundle/.
#
#   make package                            # .deb and .rpm on Linux, .app/.dmg on macOS, .msi/NSIS on Windows
#   CLAWBOX_BUNDLES=deb,rpm,appimage make package   # AppImage downloads its tools: needs internet
#
# With TAURI_SIGNING_PRIVATE_KEY (and TAURI_SIGNING_PRIVATE_KEY_PASSWORD) in the environment the
# packages are also signed for the updater (a .sig beside each); the public half must be
# plugins.updater.pubkey in tauri.conf.json. Without a key, installers are built without update
# signatures and say so. Extra arguments go to `tauri build` (e.g. --config overlay.json).
set -euo pipefail
cd "$(dirname "$0")/.."

tauri=.tools/tauri-cli/node_modules/.bin/tauri
case "$(uname -s)" in
  Linux) default=deb,rpm ;;
  Darwin) default=app,dmg ;;
  *) default=nsis,msi ;;
esac
bundles=${CLAWBOX_BUNDLES:-$default}

args=(build --ci --bundles "$bundles")
pubkey=$(python3 -c 'import json; print(json.load(open("tauri.conf.json"))["plugins"]["updater"]["pubkey"])')
if [ -n "${TAURI_SIGNING_PRIVATE_KEY:-}" ]; then
  if [ -z "$pubkey" ]; then
    echo "package: TAURI_SIGNING_PRIVATE_KEY is set, but tauri.conf.json has no plugins.updater.pubkey;" >&2
    echo "package: put the key's .pub contents there first, or installed apps cannot verify updates." >&2
    exit 1
  fi
  echo "package: signing update artifacts with TAURI_SIGNING_PRIVATE_KEY"
else
  echo "package: TAURI_SIGNING_PRIVATE_KEY is not set: installers are built without update signatures"
  args+=(--config '{"bundle":{"createUpdaterArtifacts":false}}')
fi

"$tauri" "${args[@]}" "$@"
echo "package: installers are in target/release/bundle/"

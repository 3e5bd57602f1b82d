#!/usr/bin/env bash
# Builds ClawBox's installers with `tauri build` into target/release/bundle/.
#
#   make package                            # .deb and .rpm on Linux, .app/.dmg on macOS, .msi/NSIS on Windows
#   CLAWBOX_BUNDLES=deb,rpm,appimage make package   # AppImage downloads its tools: needs internet
#
# With TAURI_SIGNING_PRIVATE_KEY (and TAURI_SIGNING_PRIVATE_KEY_PASSWORD) in the environment the
# packages are also signed for the updater (a .sig beside each); the app gets the public half
# from plugins.updater.pubkey in tauri.conf.json, or else from TAURI_UPDATER_PUBKEY. Without a
# key, installers are built without update signatures and say so. Extra arguments go to
# `tauri build` (e.g. --config overlay.json).
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
    if [ -z "${TAURI_UPDATER_PUBKEY:-}" ]; then
      echo "package: TAURI_SIGNING_PRIVATE_KEY is set, but there is no public key for the app to check" >&2
      echo "package: updates with: set TAURI_UPDATER_PUBKEY or plugins.updater.pubkey in tauri.conf.json." >&2
      exit 1
    fi
    args+=(--config "$(python3 -c 'import json, os; print(json.dumps({"plugins": {"updater": {"pubkey": os.environ["TAURI_UPDATER_PUBKEY"].strip()}}}))')")
  fi
  echo "package: signing update artifacts with TAURI_SIGNING_PRIVATE_KEY"
else
  echo "package: TAURI_SIGNING_PRIVATE_KEY is not set: installers are built without update signatures"
  args+=(--config '{"bundle":{"createUpdaterArtifacts":false}}')
fi

"$tauri" "${args[@]}" "$@"
echo "package: installers are in target/release/bundle/"

#!/usr/bin/env bash
# Runs every test suite, even when one fails, and ends with one line: "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
status=0

run() {
  local name=$1
  shift
  echo "==> $name"
  "$@" 2>&1 | tee "$logs/$name.log"
  local rc=${PIPESTATUS[0]}
  if [ "$rc" -ne 0 ]; then
    echo "==> $name FAILED (exit $rc)"
    status=1
  fi
}

export NO_COLOR=1 CARGO_TERM_COLOR=never
# Everything runs against a real, throwaway Secret Service (never the user's own keyrings).
keyring=(dbus-run-session -- scripts/with-keyring.sh)
run build cargo build --workspace --bins --tests --locked
# The dependency rule (nothing below the app knows Tauri; the request path knows nothing of the
# command line, configurators or provisioning), read from what each crate really links.
run layers scripts/check-layers.sh
run rust "${keyring[@]}" cargo test --workspace --locked
# `cargo test` regenerates the UI's IPC types from Rust: they must match what is committed.
run bindings git diff --exit-code --stat -- ui/src/bindings
run ui npm --prefix ui test --silent
run sdk "${keyring[@]}" tests/sdk/.venv/bin/python -m pytest tests/sdk -q -p no:cacheprovider
# The real app in its real webview, on a virtual display and a private session bus (so a
# ClawBox the developer is running is never the "single instance" the test app defers to).
run e2e dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24" \
  tests/sdk/.venv/bin/python -m pytest tests/e2e -q -p no:cacheprovider -W ignore::DeprecationWarning
# The installer: signed .deb packages built by `tauri build`, installed with dpkg, updated from a
# local update server, uninstalled (needs root, as CI has).
run package dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24" \
  tests/sdk/.venv/bin/python -m pytest tests/package -q -p no:cacheprovider -W ignore::DeprecationWarning

count() { # count WORD FILES...: sums "N WORD" over cargo's and pytest's summary lines
  local word=$1
  shift
  grep -hE '^test result:|^[=]* ?[0-9].* in [0-9.]+s|^ *Tests +[0-9]' "$@" 2>/dev/null |
    grep -oE "[0-9]+ $word" | awk '{s += $1} END {print s + 0}'
}
passed=$(count passed "$logs"/*.log)
failed=$(count failed "$logs"/*.log)
errors=$(count error "$logs"/*.log)
failed=$((failed + errors))
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1 # a suite that could not run at all counts as a failure
fi
echo "$passed passed, $failed failed"
exit "$status"

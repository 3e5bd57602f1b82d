#!/usr/bin/env bash
# Runs a command with a real, throwaway Secret Service (GNOME Keyring, unlocked) on a private
# session bus, so tests exercise the OS keychain without touching the user's own keyrings.
# Usage: dbus-run-session -- scripts/with-keyring.sh COMMAND...
set -e
XDG_DATA_HOME=$(mktemp -d)
XDG_RUNTIME_DIR=$(mktemp -d)
export XDG_DATA_HOME XDG_RUNTIME_DIR
chmod 700 "$XDG_RUNTIME_DIR"
# --foreground, killed by PID below: a daemonised keyring would outlive the session and hold
# the caller's output open.
echo -n clawbox-test | gnome-keyring-daemon --foreground --unlock --components=secrets \
  >/dev/null 2>&1 &
keyring_pid=$!
for _ in $(seq 50); do
  dbus-send --session --print-reply --dest=org.freedesktop.DBus / \
    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null |
    grep -q true && break
  sleep 0.1
done
export CLAWBOX_TEST_KEYRING=1
set +e
"$@"
rc=$?
kill "$keyring_pid" 2>/dev/null
wait "$keyring_pid" 2>/dev/null
rm -rf "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR"
exit $rc

#!/usr/bin/env bash
# Installs what `make bench` needs, once, and skips what is already there: nginx (Debian; the
# benchmark runs its own instance on its own port), oha (crates.io, into bench/.tools) and
# LiteLLM's proxy (PyPI, into bench/.venv). Both caches are gitignored; `make test` never uses them.
set -euo pipefail
cd "$(dirname "$0")"

OHA_VERSION=1.16.0

if ! dpkg-query -W -f='${Status}' nginx 2>/dev/null | grep -q "install ok installed"; then
  echo "bench setup: installing nginx"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q --no-install-recommends nginx
fi

if [ "$(.tools/bin/oha --version 2>/dev/null)" != "oha $OHA_VERSION" ]; then
  echo "bench setup: installing oha $OHA_VERSION"
  cargo install oha --version "$OHA_VERSION" --locked --root "$PWD/.tools" --quiet
fi

if ! cmp -s requirements.txt .venv/.requirements 2>/dev/null; then
  echo "bench setup: installing LiteLLM's proxy"
  rm -rf .venv
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -r requirements.txt
  cp requirements.txt .venv/.requirements
fi

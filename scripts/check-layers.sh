#!/usr/bin/env bash
# The dependency rule, checked: nothing below the app knows Tauri, and the request path
# (clawbox-gateway) knows nothing of the command line, the configurators or provisioning — not
# even through a library they bring. Reads what each crate really links (`cargo tree`, normal and
# build dependencies; dev-dependencies are tests' business).
set -uo pipefail
cd "$(dirname "$0")/.."

# crate: what must not be anywhere in its tree
rules=(
  "clawbox-store: tauri clawbox-gateway clawbox-auth clap"
  "clawbox-pricing: tauri clawbox-gateway clawbox-store clawbox-auth clap rusqlite"
  "clawbox-auth: tauri clawbox-gateway clawbox-store clap"
  "clawbox-conversations: tauri clawbox-gateway clawbox-store clawbox-auth clap reqwest axum"
  "clawbox-gateway: tauri clap qrcode png csv toml_edit jsonc-parser similar agent-client-protocol clawbox-connect clawbox-provision clawbox-doctor clawbox-agents clawbox-cli"
  "clawbox-agents: tauri clap clawbox-connect clawbox-provision clawbox-doctor clawbox-cli"
  "clawbox-connect: tauri clap clawbox-provision clawbox-doctor clawbox-cli"
  "clawbox-provision: tauri clap clawbox-connect clawbox-doctor clawbox-cli"
  "clawbox-doctor: tauri clap clawbox-provision clawbox-cli"
  "clawbox-cli: tauri"
)

failed=0
for rule in "${rules[@]}"; do
  crate=${rule%%:*}
  tree=$(cargo tree --locked --offline -q -p "$crate" -e normal,build,no-proc-macro --prefix none --format '{p}' 2>&1 |
    awk '{print $1}' | sort -u) || { echo "layers: cannot read $crate's tree: $tree"; exit 1; }
  for banned in ${rule#*:}; do
    if grep -qx -- "$banned" <<<"$tree"; then
      echo "layers: $crate depends on $banned (through: $(cargo tree --offline -q -p "$crate" \
        -e normal,build,no-proc-macro -i "$banned" --prefix none --format '{p}' | awk '{print $1}' | sort -u |
        tr '\n' ' '))"
      failed=1
    fi
  done
done
if [ "$failed" -eq 0 ]; then
  echo "layers: the dependency rule holds for ${#rules[@]} crates"
fi
exit "$failed"

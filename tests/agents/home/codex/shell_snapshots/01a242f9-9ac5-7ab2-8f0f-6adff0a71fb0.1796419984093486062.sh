# Snapshot file
# Unset all aliases to avoid conflicts with functions
# Functions

# setopts 3
set -o braceexpand
set -o hashall
set -o interactive-comments

# aliases 0

# exports 7
declare -x CLAWBOX_API_KEY="cbx_a97975949bb16651bf0a5ba8bd3b9b50e3f6d0d0c1e5a7dc6c78281a22f3ee68"
declare -x CODEX_HOME="/tmp/agt/data/agents/home/codex"
declare -x HOME="/tmp/agt/data/agents/home/codex"
declare -x LANG="C.UTF-8"
declare -x PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
declare -x SHELL="/bin/bash"
declare -x SHLVL="1"

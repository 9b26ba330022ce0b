#!/usr/bin/env bash
# Prints the path of code-server's entry.js (the provisioned VS Code server and workbench) from the
# per-user cache, e.g. `node "$(scripts/code-server-path.sh)" --version`. Fails clearly when it has
# not been provisioned (scripts/provision.sh installs it).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/versions.sh"
dir="$(code_server_dir)"
entry="$dir/node_modules/code-server/out/node/entry.js"
if [ ! -f "$dir/.complete" ] || [ ! -f "$entry" ]; then
  echo "code-server $CODE_SERVER_VERSION is not provisioned in $dir (missing .complete marker or $entry); run scripts/provision.sh" >&2
  exit 1
fi
echo "$entry"

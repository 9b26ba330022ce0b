#!/usr/bin/env bash
# The demo, on a fresh machine: installs what is missing, starts the local Spark environment
# (standalone Master + two Workers, History Server, Prometheus) on the usual ports where they
# are free, runs the seed job (plain, then cached) on repeat, and opens VS Code with the
# extension: the local `code` command when there is one, else the bundled VS Code (code-server)
# in the browser on 127.0.0.1, with the address printed. Ctrl+C stops everything it started.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"; cd "$root"
source scripts/versions.sh
demo="$root/.run/demo"; mkdir -p "$demo"
pids=()
cleanup() {
  trap - EXIT INT TERM
  echo; echo "[demo] stopping…"
  for p in "${pids[@]}"; do kill -TERM -- "-$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null || true; done
  # Runs started from the demo's window go with its extension host: each one's watchdog
  # (dist/watchdog.js) stops it. Wait for them, so no JVM or UI port outlives the demo.
  for _ in $(seq 1 60); do pgrep -f "$root/dist/watchdog.js" >/dev/null || break; sleep 1; done
  bash scripts/spark-env.sh stop || true
}
trap cleanup EXIT INT TERM

bash scripts/provision.sh $( [ -n "$(command -v code)" ] && echo --no-code-server )
npm run --silent build
bash scripts/spark-env.sh start --default-ports
eval "$(bash scripts/spark-env.sh env)"

# The seed experiment on repeat: each run holds its session (and its cached data) for a while
# after the work, so the live views, the cache lenses and the charts have something to show.
setsid bash -c '
  while true; do
    for job in seed_plain.py seed_cached.py; do
      HOLD_SECONDS=60 bash scripts/run-job.sh --master "$SO_MASTER_URL" "test/fixtures/jobs/$job" >> "'"$demo"'/jobs.log" 2>&1 || sleep 5
    done
  done' &
pids+=($!)
echo "[demo] seed jobs running on $SO_MASTER_URL (log: $demo/jobs.log)"

# Machine-scoped settings: the environment's endpoints, in case a default port was taken. Run
# File uses the pyspark virtualenv (no Python extension here to select it) and writes its event
# logs where the environment's History Server reads them (Compare with Previous Run).
settings=$(cat <<JSON
{
  "python.defaultInterpreterPath": "$SO_PYTHON",
  "sparkObservatory.run.eventLogDir": "$SO_EVENT_LOG_DIR",
  "sparkObservatory.sources": [
    { "name": "history", "url": "$SO_HISTORY_URL", "kind": "history", "group": "local" },
    { "name": "master", "url": "$SO_MASTER_WEB_URL", "kind": "master", "group": "local" },
    { "name": "prometheus", "url": "$SO_PROMETHEUS_URL", "kind": "prometheus", "group": "local" }
  ],
  "workbench.startupEditor": "none",
  "git.openRepositoryInParentFolders": "never",
  "telemetry.telemetryLevel": "off"
}
JSON
)
workspace="$root/test/fixtures/jobs"

if command -v code >/dev/null 2>&1; then
  mkdir -p "$demo/user/User"; echo "$settings" > "$demo/user/User/settings.json"
  code --user-data-dir "$demo/user" --extensionDevelopmentPath="$root" "$workspace"
  echo "[demo] VS Code opened with the extension. Ctrl+C here stops Spark and the jobs."
else
  mkdir -p "$demo/code-server/Machine" "$demo/code-server/User" "$demo/extensions"
  echo "$settings" > "$demo/code-server/Machine/settings.json"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  entry="$(code_server_dir)/node_modules/code-server/out/node/entry.js"
  echo '{}' > "$demo/code-server-config.yaml"
  setsid node "$entry" --config "$demo/code-server-config.yaml" --auth none --bind-addr "127.0.0.1:$port" \
    --user-data-dir "$demo/code-server" --extensions-dir "$demo/extensions" \
    --disable-telemetry --disable-update-check --disable-workspace-trust "$workspace" > "$demo/code-server.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 60); do curl -s -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 1; done
  payload=$(python3 -c 'import json,sys,urllib.parse; print(urllib.parse.quote(json.dumps([["extensionDevelopmentPath","vscode-remote://127.0.0.1:'"$port$root"'"],["skipWelcome","true"]])))')
  folder=$(python3 -c 'import urllib.parse,sys; print(urllib.parse.quote(sys.argv[1]))' "$workspace")
  echo
  echo "[demo] VS Code with Spark Observatory: http://127.0.0.1:$port/?folder=$folder&payload=$payload"
  echo "[demo] open it in a browser on this machine; the Spark view is in the activity bar."
fi
echo "[demo] Spark master UI $SO_MASTER_WEB_URL · History Server $SO_HISTORY_URL · Prometheus $SO_PROMETHEUS_URL"
echo "[demo] Ctrl+C stops everything."
# `wait` returns as soon as a trapped signal arrives; a foreground `sleep` would hold the trap
# back until it ended.
sleep infinity & pids+=($!)
wait $!

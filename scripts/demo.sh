#!/usr/bin/env bash
# The demo a newcomer meets, on a fresh machine: installs what is missing, starts the local Spark
# environment (standalone Master + two Workers, History Server, Prometheus with the alert rules a
# Spark team keeps, scraping every driver on 127.0.0.1:4040-4050) on the usual ports where they
# are free, runs the examples on the cluster on repeat, and opens examples/ in VS Code with the
# extension: the local `code` command when there is one, else the bundled VS Code (code-server)
# in the browser on 127.0.0.1, with the address printed.
#
# In that window Run File works out of the box: python.defaultInterpreterPath points at the
# pyspark virtualenv, so spark-submit is that pyspark's. Runs started from the window have no
# History Server reading their event logs: the extension starts its own.
#
# Ctrl+C stops everything it started: VS Code first (its process group), then every process
# that carries the demo's SO_TAG (jobs started from the window, the extension's own History
# Server), the examples' loop, the environment; then it checks that nothing is left.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"; cd "$root"
source scripts/versions.sh
demo="$root/.run/demo"; mkdir -p "$demo"
# Every process started from here (VS Code, its extension host, what Run File starts there, the
# loop and its jobs) inherits this tag; this script itself does not carry it.
tag="demo-$(date +%s)-$$"
loop_pid=""; code_pid=""; code_port=""; sleep_pid=""
cleanup() {
  trap - EXIT INT TERM
  echo; echo "[demo] stopping…"
  if [ -n "$code_pid" ]; then
    kill -TERM -- "-$code_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 -- "-$code_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$code_pid" 2>/dev/null || true
  fi
  [ -z "$loop_pid" ] || kill -TERM -- "-$loop_pid" 2>/dev/null || true
  [ -z "$sleep_pid" ] || kill "$sleep_pid" 2>/dev/null || true
  # Runs started from the demo's window go with its extension host: each one's watchdog
  # (dist/watchdog.js) stops it. Wait for them, so no JVM or UI port outlives the demo.
  for _ in $(seq 1 60); do pgrep -f "$root/dist/watchdog.js" >/dev/null || break; sleep 1; done
  bash scripts/spark-env.sh stop-tagged "$tag" || true
  bash scripts/spark-env.sh stop || true
  # Nothing of ours may be left: no tagged process, no listening code-server port.
  local left; left="$(grep -lzx -e "SO_TAG=$tag" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3 || true)"
  if [ -n "$left" ]; then echo "[demo] ERROR: processes left: $left" >&2; exit 1; fi
  if [ -n "$code_port" ] && [ -n "$(ss -Htln "sport = :$code_port" 2>/dev/null)" ]; then echo "[demo] ERROR: port $code_port still listening" >&2; exit 1; fi
  echo "[demo] stopped; no process or port left"
}
trap cleanup EXIT INT TERM

bash scripts/provision.sh $( [ -n "$(command -v code)" ] && echo --no-code-server )
npm run --silent build
bash scripts/spark-env.sh start --default-ports --demo
eval "$(bash scripts/spark-env.sh env)"

# The examples on the cluster on repeat, so the tree, the History Server and the charts have
# something to show; cache_too_big.py in local mode fills storage memory and makes the
# SparkStorageMemoryNearlyFull alert fire.
SO_TAG="$tag" setsid bash -c '
  while true; do
    for job in seed.py orders_by_region.py skewed_totals.py; do
      bash scripts/run-job.sh --master "$SO_MASTER_URL" "examples/$job" >> "'"$demo"'/jobs.log" 2>&1 || sleep 5
    done
    bash scripts/run-job.sh --master "local[2]" examples/cache_too_big.py >> "'"$demo"'/jobs.log" 2>&1 || sleep 5
  done' &
loop_pid=$!
echo "[demo] examples running on $SO_MASTER_URL (log: $demo/jobs.log)"

# User settings: the environment's endpoints (in case a default port was taken), and the pyspark
# virtualenv as the Python interpreter, so Run File finds spark-submit in that pyspark (there is
# no Python extension here to select it).
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
workspace="$root/examples"

if command -v code >/dev/null 2>&1; then
  mkdir -p "$demo/user/User"; echo "$settings" > "$demo/user/User/settings.json"
  SO_TAG="$tag" code --user-data-dir "$demo/user" --extensionDevelopmentPath="$root" "$workspace" "$workspace/seed.py"
  echo "[demo] VS Code opened with the extension. Ctrl+C here stops Spark, the jobs and what the window started."
else
  mkdir -p "$demo/code-server/Machine" "$demo/code-server/User" "$demo/extensions"
  echo "$settings" > "$demo/code-server/User/settings.json"
  echo "$settings" > "$demo/code-server/Machine/settings.json"
  code_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  entry="$(code_server_dir)/node_modules/code-server/out/node/entry.js"
  echo '{}' > "$demo/code-server-config.yaml"
  SO_TAG="$tag" setsid node "$entry" --config "$demo/code-server-config.yaml" --auth none --bind-addr "127.0.0.1:$code_port" \
    --user-data-dir "$demo/code-server" --extensions-dir "$demo/extensions" \
    --disable-telemetry --disable-update-check --disable-workspace-trust "$workspace" > "$demo/code-server.log" 2>&1 &
  code_pid=$!
  for _ in $(seq 1 60); do curl -s -o /dev/null "http://127.0.0.1:$code_port/healthz" && break; sleep 1; done
  payload=$(python3 -c 'import json,sys,urllib.parse; print(urllib.parse.quote(json.dumps([["extensionDevelopmentPath","vscode-remote://127.0.0.1:'"$code_port$root"'"],["skipWelcome","true"]])))')
  folder=$(python3 -c 'import urllib.parse,sys; print(urllib.parse.quote(sys.argv[1]))' "$workspace")
  echo
  echo "[demo] VS Code with Spark Observatory: http://127.0.0.1:$code_port/?folder=$folder&payload=$payload"
  echo "[demo] open it in a browser on this machine; the Spark view is in the activity bar."
fi
echo "[demo] Spark master UI $SO_MASTER_WEB_URL · History Server $SO_HISTORY_URL · Prometheus $SO_PROMETHEUS_URL"
echo "[demo] Ctrl+C stops everything."
# `wait` returns as soon as a trapped signal arrives; a foreground `sleep` would hold the trap
# back until it ended.
sleep infinity &
sleep_pid=$!
wait $sleep_pid

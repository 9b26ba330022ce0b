#!/usr/bin/env bash
# Runs a PySpark file with spark-submit from the pyspark virtualenv, with everything Spark
# Observatory reads switched on: both Prometheus endpoints, the event log (into the shared
# environment's folder, so the History Server lists the run), process-tree and fast executor
# memory metrics, a free UI port (first free one in 4040-4050, where local discovery looks), and
# a file_sd entry so the environment's Prometheus scrapes this driver while it lives.
#
# Usage: scripts/run-job.sh [--master local[2]|standalone|URL] [--name NAME] [--ui-port P]
#                           [--background] [--timeout S] [--conf k=v]... FILE.py [ARGS...]
#   --master      local[2] (default), `standalone` (the Master of scripts/spark-env.sh), or any
#                 master URL (spark://…, local[*], …)
#   --name        application name (spark-submit --name; a name set in the file's builder wins)
#   --ui-port     driver UI port (default: first free in 4040-4050, else a free one)
#   --background  return once the driver UI answers; prints one JSON line:
#                 {"pid":…,"uiUrl":…,"uiPort":…,"appId":…,"appName":…,"jobId":…,"log":…,"out":…}
#                 `pid` is the spark-submit JVM (its python driver is its child); SIGTERM to it
#                 ends the job cleanly. `spark-env.sh stop` kills what is still running.
#   --timeout     seconds to wait for the driver UI in --background mode (default 120)
#   --conf k=v    extra Spark configuration; wins over the defaults below
# Without --background: streams the job's stdout, waits, and exits with the job's exit code.
# Environment: PYSPARK_VERSION picks the virtualenv; SO_ENV_DIR the state folder (.run/env).
# Logs: .run/env/jobs/<jobId>.log (Spark's log, stderr) and <jobId>.out (the job's stdout).
set -euo pipefail
set +m   # without job control `setsid cmd &` execs in place, so $! is the JVM's own pid
here="$(cd "$(dirname "$0")" && pwd)"; root="$(dirname "$here")"
source "$here/versions.sh"

RUN_DIR="${SO_ENV_DIR:-$root/.run/env}"
ENV_JSON="$RUN_DIR/env.json"
VENV="$(venv_dir "$PYSPARK_VERSION")"
PY="$VENV/bin/python"

log() { printf '[run-job] %s\n' "$*" >&2; }
die() { printf '[run-job] ERROR: %s\n' "$*" >&2; exit 1; }

orig_args=("$@")
master="local[2]"; name=""; ui_port=""; background=0; timeout=120; user_conf=()
while [ $# -gt 0 ]; do
  case "$1" in
    --master) master="$2"; shift 2 ;;
    --name) name="$2"; shift 2 ;;
    --ui-port) ui_port="$2"; shift 2 ;;
    --background) background=1; shift ;;
    --timeout) timeout="$2"; shift 2 ;;
    --conf) user_conf+=(--conf "$2"); shift 2 ;;
    --help|-h) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --) shift; break ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) break ;;
  esac
done
[ $# -ge 1 ] || die "no PySpark file given (see --help)"
file="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; shift
[ -f "$file" ] || die "no such file: $file"
[ -x "$PY" ] || die "no pyspark $PYSPARK_VERSION virtualenv at $VENV (run scripts/provision.sh --pyspark $PYSPARK_VERSION)"
SPARK_HOME=""
for d in "$VENV"/lib/python3*/site-packages/pyspark; do [ -x "$d/bin/spark-submit" ] && SPARK_HOME="$d"; done
[ -n "$SPARK_HOME" ] || die "pyspark in $VENV has no bin/spark-submit"
[ -n "$name" ] || name="$(basename "$file" .py)"

env_get() { # KEY -> field of the running environment's env.json, empty when not running
  [ -f "$ENV_JSON" ] || return 0
  "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], ""))' "$ENV_JSON" "$1"
}

port_free() {
  "$PY" - "$1" <<'EOF'
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try: s.bind(('127.0.0.1', int(sys.argv[1])))
except OSError: sys.exit(1)
finally: s.close()
EOF
}

# A free port below the kernel's ephemeral range (see spark-env.sh: no race with port-0 binds).
free_port() {
  "$PY" - <<'EOF'
import random, socket
lo = int(open('/proc/sys/net/ipv4/ip_local_port_range').read().split()[0])
while True:
    p = random.randint(20000, lo - 1) if lo > 21000 else random.randint(61000, 65000)
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try: s.bind(('127.0.0.1', p)); print(p); break
    except OSError: pass
    finally: s.close()
EOF
}

tagged_pids() { # TAG -> processes carrying SO_TAG=TAG, except this script
  grep -lzx -e "SO_TAG=$1" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3 \
    | grep -vx -e "$$" -e "${BASHPID:-$$}" || true
}

case "$master" in
  standalone)
    master="$(env_get masterUrl)"
    [ -n "$master" ] || die "--master standalone needs the environment: scripts/spark-env.sh start"
    env_version="$(env_get pysparkVersion)"
    [ "$env_version" = "$PYSPARK_VERSION" ] || die "the environment runs pyspark $env_version, this job would use $PYSPARK_VERSION (set PYSPARK_VERSION=$env_version, or restart the environment)"
    ;;
esac
event_dir="$(env_get eventLogDir)"; [ -n "$event_dir" ] || event_dir="$RUN_DIR/eventlog"
targets_dir="$RUN_DIR/targets"; jobs_dir="$RUN_DIR/jobs"
mkdir -p "$event_dir" "$targets_dir" "$jobs_dir" "$RUN_DIR/local"

# The job id names the log files, the job record that `spark-env.sh stop` reads, the file_sd
# entry, and the SO_TAG every process of this job carries.
job_id="${SO_RUNJOB_JOB_ID:-}"
if [ -z "$job_id" ]; then
  job_id="$(printf '%s' "$name" | tr -c 'A-Za-z0-9_.-' '_' | cut -c1-40)-$(date +%Y%m%d-%H%M%S)-$$"
fi
tag="job-$job_id"
record="$jobs_dir/$job_id.job"; ready="$jobs_dir/$job_id.ready"; done_file="$jobs_dir/$job_id.done"
job_log="$jobs_dir/$job_id.log"; job_out="$jobs_dir/$job_id.out"; target="$targets_dir/$job_id.json"

# --- background: hand the job to a supervisor in its own session, return when the UI answers ---
if [ "$background" = 1 ]; then
  printf 'file=%s\nmaster=%s\nlog=%s\nout=%s\n' "$file" "$master" "$job_log" "$job_out" >"$record"
  sup_args=()
  for a in "${orig_args[@]}"; do [ "$a" = --background ] || sup_args+=("$a"); done
  SO_RUNJOB_JOB_ID="$job_id" SO_RUNJOB_SUPERVISED=1 SO_TAG="$tag" \
    setsid "$0" "${sup_args[@]}" </dev/null >"$jobs_dir/$job_id.supervisor.log" 2>&1 &
  sup=$!
  deadline=$((SECONDS + timeout))
  while [ ! -s "$ready" ]; do
    if ! kill -0 "$sup" 2>/dev/null; then
      log "the job ended before its UI answered; last lines of $job_log:"
      tail -n 20 "$job_log" >&2 2>/dev/null || true
      tail -n 5 "$jobs_dir/$job_id.supervisor.log" >&2 2>/dev/null || true
      exit 1
    fi
    if [ $SECONDS -ge $deadline ]; then
      log "no driver UI after ${timeout}s; stopping the job (log: $job_log)"
      kill -TERM $(tagged_pids "$tag") 2>/dev/null || true
      exit 1
    fi
    sleep 0.3
  done
  cat "$ready"
  log "log: $job_log  stdout: $job_out"
  exit 0
fi

# --- foreground (also the supervisor of a background job) ---------------------------------------
if [ -z "$ui_port" ]; then
  for p in $(seq 4040 4050); do if port_free "$p"; then ui_port=$p; break; fi; done
  [ -n "$ui_port" ] || ui_port="$(free_port)"
fi

confs=(
  --conf "spark.ui.port=$ui_port"
  --conf spark.ui.prometheus.enabled=true
  --conf 'spark.metrics.conf.*.sink.prometheusServlet.class=org.apache.spark.metrics.sink.PrometheusServlet'
  --conf 'spark.metrics.conf.*.sink.prometheusServlet.path=/metrics/prometheus'
  --conf spark.eventLog.enabled=true
  --conf "spark.eventLog.dir=file://$event_dir"
  --conf spark.eventLog.logStageExecutorMetrics=true
  --conf spark.executor.processTreeMetrics.enabled=true
  # Peaks (JVM heap, execution/storage memory) reach the driver with each heartbeat: make both fast.
  --conf spark.executor.metrics.pollingInterval=1s
  --conf spark.executor.heartbeatInterval=2s
  --conf spark.driver.host=127.0.0.1
  --conf spark.driver.bindAddress=127.0.0.1
  --conf spark.ui.showConsoleProgress=false
)
if [[ "$master" == spark://* ]]; then
  # Two 1-core workers with 1g each: one small executor on each.
  confs+=(--conf spark.executor.cores=1 --conf spark.executor.memory=512m --conf spark.cores.max=2)
fi

printf 'file=%s\nmaster=%s\nlog=%s\nout=%s\nuiPort=%s\n' "$file" "$master" "$job_log" "$job_out" "$ui_port" >"$record"
: >"$job_log"; : >"$job_out"
export SPARK_HOME SPARK_LOCAL_IP=127.0.0.1 SPARK_CONF_DIR="$RUN_DIR/conf" SPARK_LOCAL_DIRS="$RUN_DIR/local" \
       PYSPARK_PYTHON="$PY" PYSPARK_DRIVER_PYTHON="$PY" PYTHONUNBUFFERED=1
mkdir -p "$SPARK_CONF_DIR"
submit=("$SPARK_HOME/bin/spark-submit" --master "$master" --name "$name" "${confs[@]}" "${user_conf[@]}" "$file" "$@")
supervised="${SO_RUNJOB_SUPERVISED:-0}"
if [ "$supervised" = 1 ]; then
  SO_TAG="$tag" setsid "${submit[@]}" </dev/null >>"$job_out" 2>>"$job_log" &
else
  log "log: $job_log  stdout: $job_out"
  SO_TAG="$tag" setsid "${submit[@]}" </dev/null 2>>"$job_log" > >(tee -a "$job_out") &
fi
child=$!
printf 'pid=%s\n' "$child" >>"$record"

cleanup() {
  rm -f "$target" "$record"
  # PySpark's daemons sit in their own process group; make sure none outlives the job.
  local left; left="$(tagged_pids "$tag")"
  [ -z "$left" ] || kill -KILL $left 2>/dev/null || true
}
on_signal() {
  log "stopping the job (pid $child)"
  kill -TERM -- "-$child" 2>/dev/null || true
  local deadline=$((SECONDS + 20))
  while kill -0 "$child" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.3; done
  cleanup
  exit 143
}
trap on_signal TERM INT HUP

# Spark picks the next port when ours was taken meanwhile, so read the one it really bound.
bound=""
while kill -0 "$child" 2>/dev/null; do
  bound="$(sed -n "s/.*Successfully started service 'SparkUI' on port \([0-9]*\).*/\1/p" "$job_log" | head -n1)"
  [ -n "$bound" ] && break
  sleep 0.3
done
if [ -n "$bound" ]; then
  ui_port="$bound"
  sed -i "s/^uiPort=.*/uiPort=$ui_port/" "$record"
  # The demo's Prometheus scrapes the whole discovery range already (spark-env.sh --demo):
  # a second target for the same driver would count its series twice.
  if [ -f "$targets_dir/driver-ports.json" ] && [ "$ui_port" -ge 4040 ] && [ "$ui_port" -le 4050 ]; then :; else
  # Atomic rename: Prometheus never reads a half-written targets file.
  SO_NAME="$name" SO_JOB="$job_id" "$PY" -c '
import json, os, sys
json.dump([{"targets": ["127.0.0.1:" + sys.argv[1]],
            "labels": {"so_job_id": os.environ["SO_JOB"]}}], sys.stdout)' "$ui_port" >"$target.tmp"
  mv "$target.tmp" "$target"
  fi
  # The application shows up in the REST API shortly after the UI binds.
  "$PY" - "$ui_port" "$child" "$job_id" "$job_log" "$job_out" "$master" "$file" "$PYSPARK_VERSION" >"$ready.tmp" <<'EOF' || true
import json, os, sys, time, urllib.request
port, pid, job, logf, outf, master, f, ver = sys.argv[1:]
app = {}
for _ in range(100):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/applications", timeout=2) as r:
            apps = json.load(r)
        if apps:
            app = apps[0]; break
    except Exception:
        pass
    try: os.kill(int(pid), 0)
    except OSError: break
    time.sleep(0.2)
print(json.dumps({"pid": int(pid), "uiUrl": f"http://127.0.0.1:{port}", "uiPort": int(port),
                  "appId": app.get("id"), "appName": app.get("name"), "jobId": job,
                  "log": logf, "out": outf, "master": master, "file": f, "pysparkVersion": ver}))
EOF
  mv "$ready.tmp" "$ready"
  [ "$supervised" = 1 ] || log "driver UI http://127.0.0.1:$ui_port ($(sed -n 's/.*"appId": \("[^"]*"\).*/\1/p' "$ready"))"
fi

rc=0; wait "$child" || rc=$?
wait 2>/dev/null || true   # the tee of the foreground mode
printf '{"jobId":"%s","exitCode":%s}\n' "$job_id" "$rc" >"$done_file"
cleanup
[ "$supervised" = 1 ] || log "finished with exit code $rc (log: $job_log)"
exit "$rc"

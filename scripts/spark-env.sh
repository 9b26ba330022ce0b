#!/usr/bin/env bash
# The local Spark environment that the demo and every test share: a standalone Master with two
# Workers (1 core, 1g each), a History Server over the event-log folder, and a Prometheus server
# that scrapes the Master, the Workers and every driver that scripts/run-job.sh starts.
#
# Usage: scripts/spark-env.sh start [--default-ports] [--demo] [--timeout SECONDS]
#        scripts/spark-env.sh wait  [--timeout SECONDS]
#        scripts/spark-env.sh stop  [--purge]
#        scripts/spark-env.sh status
#        scripts/spark-env.sh env            (prints shell exports: eval "$(scripts/spark-env.sh env)")
#        scripts/spark-env.sh stop-tagged TAG (stops every process whose environment has SO_TAG=TAG:
#                                              what the demo's VS Code and its jobs left behind)
#
# --demo: the alerting rules a Spark team keeps only (not the test suite's SparkApplicationUp),
#         and Prometheus also scrapes every port of the extension's discovery range
#         (127.0.0.1:4040-4050), so drivers that Run File starts from the editor are scraped.
#
# Environment: PYSPARK_VERSION picks the pyspark virtualenv (default from versions.sh);
#              SO_ENV_DIR moves the state folder (default <repo>/.run/env);
#              SO_SCRAPE_INTERVAL sets Prometheus's scrape interval (default 2s).
#
# Everything lives in the state folder: env.json (URLs, ports, pids), logs/, eventlog/,
# prometheus/ (config and TSDB), targets/ (file_sd, one file per running driver), jobs/ (what
# run-job.sh started). Every process started here or by run-job.sh carries SO_TAG=<tag> in its
# environment and runs in its own session (setsid), so `stop` finds the whole tree, including
# executor JVMs and PySpark's daemons (which move to their own process group, not session),
# without ever touching a process it did not start.
set -euo pipefail
set +m   # without job control `setsid cmd &` execs in place, so $! is the daemon's own pid
here="$(cd "$(dirname "$0")" && pwd)"; root="$(dirname "$here")"
source "$here/versions.sh"

RUN_DIR="${SO_ENV_DIR:-$root/.run/env}"
ENV_JSON="$RUN_DIR/env.json"
SCRAPE_INTERVAL="${SO_SCRAPE_INTERVAL:-2s}"
VENV="$(venv_dir "$PYSPARK_VERSION")"
PY="$VENV/bin/python"

log() { printf '[spark-env] %s\n' "$*" >&2; }
die() { printf '[spark-env] ERROR: %s\n' "$*" >&2; exit 1; }

spark_home() {
  local d
  for d in "$VENV"/lib/python3*/site-packages/pyspark; do
    [ -x "$d/bin/spark-class" ] && { echo "$d"; return 0; }
  done
  return 1
}

require_tools() {
  [ -x "$PY" ] || die "no pyspark $PYSPARK_VERSION virtualenv at $VENV (run scripts/provision.sh --pyspark $PYSPARK_VERSION)"
  spark_home >/dev/null || die "pyspark in $VENV has no bin/spark-class"
  command -v java >/dev/null || die "java not found (Java 17 is needed)"
  command -v prometheus >/dev/null || die "prometheus not found (Debian package 'prometheus')"
  command -v curl >/dev/null || die "curl not found"
}

# Loads env.json into E_<field> shell variables (E_masterUrl, E_ports_master, E_pids_history…,
# lists space-separated) with one python start; returns 1 when the environment is not started.
load_env() {
  [ -f "$ENV_JSON" ] || return 1
  local vars
  vars="$("$PY" - "$ENV_JSON" <<'EOF'
import json, shlex, sys
def walk(prefix, v):
    if isinstance(v, dict):
        for k, x in v.items(): walk(f"{prefix}_{k}", x)
    elif isinstance(v, list): print(f"{prefix}={shlex.quote(' '.join(map(str, v)))}")
    else: print(f"{prefix}={shlex.quote(str(v))}")
walk("E", json.load(open(sys.argv[1])))
EOF
)" || return 1
  eval "$vars"
}

# A port is free when we can bind it on 127.0.0.1 with SO_REUSEADDR, as Jetty and Go servers
# do (so TIME_WAIT leftovers of our own health checks do not count as busy).
port_free() {
  "$PY" - "$1" <<'EOF'
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try: s.bind(('127.0.0.1', int(sys.argv[1])))
except OSError: sys.exit(1)
finally: s.close()
EOF
}

# Prints N distinct free ports. They are drawn below the kernel's ephemeral range so that the
# random ports Spark drivers and executors bind (port 0) can never take one of ours between
# this check and the daemon's own bind. Ports already in $TAKEN are skipped.
free_ports() {
  "$PY" - "$1" "${TAKEN:-}" <<'EOF'
import random, socket, sys
n, taken = int(sys.argv[1]), {int(p) for p in sys.argv[2].split()}
lo = int(open('/proc/sys/net/ipv4/ip_local_port_range').read().split()[0])
out = []
while len(out) < n:
    p = random.randint(20000, lo - 1) if lo > 21000 else random.randint(61000, 65000)
    if p in taken or p in out: continue
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try: s.bind(('127.0.0.1', p)); out.append(p)
    except OSError: pass
    finally: s.close()
print(' '.join(map(str, out)))
EOF
}

# The default port when free (the extension's discovery probes defaults), else a free one.
pick_port() { # DEFAULT
  if [ "$DEFAULT_PORTS" = 1 ] && port_free "$1" && ! [[ " ${TAKEN:-} " == *" $1 "* ]]; then echo "$1"
  else free_ports 1; fi
}

# Pids of every process whose environment carries one of the given SO_TAG values.
tagged_pids() { # TAG...
  [ $# -gt 0 ] || return 0
  local args=() t
  for t in "$@"; do args+=(-e "SO_TAG=$t"); done
  grep -lzx "${args[@]}" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3 \
    | grep -vx -e "$$" -e "${BASHPID:-$$}" || true
}

# Sends TERM to every tagged process, gives them GRACE seconds to shut down cleanly (drivers
# finish their event log then), then KILLs what is left and waits until all are gone.
terminate_tagged() { # WHAT GRACE TAG...
  local what="$1" grace="$2"; shift 2
  local pids; pids="$(tagged_pids "$@")"
  [ -n "$pids" ] || return 0
  log "stopping $what ($(echo $pids | wc -w) processes)"
  kill -TERM $pids 2>/dev/null || true
  local deadline=$((SECONDS + grace))
  while [ -n "$(tagged_pids "$@")" ] && [ $SECONDS -lt $deadline ]; do sleep 0.3; done
  pids="$(tagged_pids "$@")"
  if [ -n "$pids" ]; then
    log "killing $what leftovers: $(echo $pids)"
    kill -KILL $pids 2>/dev/null || true
    deadline=$((SECONDS + 10))
    while [ -n "$(tagged_pids "$@")" ] && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
    [ -z "$(tagged_pids "$@")" ] || { log "could not stop: $(tagged_pids "$@")"; return 1; }
  fi
}

listening() { [ -n "$(ss -Htln "sport = :$1" 2>/dev/null)" ]; }

# Starts a daemon in its own session with the environment's tag; records "pid starttime"
# (starttime tells a recycled pid from ours).
launch() { # NAME CMD...
  local name="$1"; shift
  SO_TAG="$ENV_TAG" setsid "$@" </dev/null >"$RUN_DIR/logs/$name.log" 2>&1 9>&- &
  local pid=$!
  echo "$pid $(proc_start "$pid")" >"$RUN_DIR/pids/$name.pid"
  echo "$pid"
}

proc_start() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20; }

pid_alive() { # NAME -> 0 if the recorded process still runs
  local f="$RUN_DIR/pids/$1.pid" pid start
  [ -f "$f" ] || return 1
  read -r pid start <"$f"
  [ -n "$pid" ] && [ "$(proc_start "$pid")" = "$start" ]
}

http_ok() { curl -fsSL -o /dev/null --max-time 2 "$1" 2>/dev/null; }

alive_workers() { # MASTER_WEB_URL -> number of ALIVE workers, or empty
  curl -fsSL --max-time 2 "$1/json/" 2>/dev/null | "$PY" -c 'import json,sys; print(json.load(sys.stdin).get("aliveworkers", 0))' 2>/dev/null || true
}

COMPONENTS="master worker-1 worker-2 history prometheus"

# Returns 0 when everything is up; otherwise prints what is not ready on stdout.
not_ready() {
  local problems=() c n
  load_env || { echo "not started ($ENV_JSON missing)"; return 0; }
  for c in $COMPONENTS; do pid_alive "$c" || problems+=("$c: process not running (log: $RUN_DIR/logs/$c.log)"); done
  n="$(alive_workers "$E_masterWebUrl")"
  [ "$n" = 2 ] || problems+=("master: ${n:-no answer from /json}${n:+/2 workers alive} at $E_masterWebUrl")
  http_ok "$E_historyUrl/api/v1/applications" || problems+=("history server: /api/v1/applications does not answer at $E_historyUrl")
  http_ok "$E_prometheusUrl/-/ready" || problems+=("prometheus: /-/ready does not answer at $E_prometheusUrl")
  [ ${#problems[@]} -eq 0 ] && return 1
  printf '%s\n' "${problems[@]}"
}

do_wait() {
  local timeout="$1" started=$SECONDS problems
  [ -f "$ENV_JSON" ] || die "the environment is not started ($ENV_JSON missing)"
  while problems="$(not_ready)"; do
    # A dead process will not come back: fail at once with its log.
    local c
    for c in $COMPONENTS; do
      if ! pid_alive "$c"; then
        log "$c exited; last lines of $RUN_DIR/logs/$c.log:"; tail -n 15 "$RUN_DIR/logs/$c.log" >&2 || true
        die "not ready: $c is not running"
      fi
    done
    if [ $((SECONDS - started)) -ge "$timeout" ]; then
      printf '[spark-env] not ready after %ss:\n' "$timeout" >&2
      sed 's/^/  /' <<<"$problems" >&2
      exit 1
    fi
    sleep 1
  done
  log "ready in $((SECONDS - started))s"
}

do_start() {
  local timeout="$1"
  require_tools
  if [ -f "$ENV_JSON" ]; then
    load_env || true
    if [ "${E_pysparkVersion:-}" = "$PYSPARK_VERSION" ] && [ "${E_mode:-test}" = "$MODE" ] && ! not_ready >/dev/null; then
      log "already running (pyspark $PYSPARK_VERSION)"; do_status || true; return 0
    fi
    log "a previous environment is partly running, or has another pyspark version or mode; stopping it first"
    do_stop 0
  fi
  local t0=$SECONDS SPARK_HOME_DIR
  SPARK_HOME_DIR="$(spark_home)"
  mkdir -p "$RUN_DIR"/{logs,pids,eventlog,targets,jobs,work,local,conf,prometheus/data}
  rm -f "$RUN_DIR"/pids/*.pid "$RUN_DIR"/targets/*.json
  ENV_TAG="env-$(date +%s)-$$-$RANDOM"
  echo "$ENV_TAG" >"$RUN_DIR/env.tag"   # written first: stop can find the daemons even if start dies halfway

  TAKEN=""
  local master_port master_web hist_port prom_port w1 w1web w2 w2web
  master_port="$(pick_port 7077)"; TAKEN="$TAKEN $master_port"
  master_web="$(pick_port 8080)"; TAKEN="$TAKEN $master_web"
  hist_port="$(pick_port 18080)"; TAKEN="$TAKEN $hist_port"
  prom_port="$(pick_port 9090)"; TAKEN="$TAKEN $prom_port"
  read -r w1 w1web w2 w2web <<<"$(free_ports 4)"

  # Shared by every daemon: bind to loopback (WebUI binds SPARK_LOCAL_IP, else 0.0.0.0), an empty
  # conf dir so no stray spark-defaults.conf or log4j2.properties sneaks in, small daemon heaps.
  export SPARK_HOME="$SPARK_HOME_DIR" SPARK_CONF_DIR="$RUN_DIR/conf" SPARK_LOCAL_IP=127.0.0.1 \
         SPARK_LOCAL_DIRS="$RUN_DIR/local" SPARK_DAEMON_MEMORY=512m \
         SPARK_LOG_DIR="$RUN_DIR/logs" SPARK_PID_DIR="$RUN_DIR/pids" \
         PYSPARK_PYTHON="$PY" PYSPARK_DRIVER_PYTHON="$PY"
  local sink='-Dspark.metrics.conf.*.sink.prometheusServlet.class=org.apache.spark.metrics.sink.PrometheusServlet -Dspark.metrics.conf.*.sink.prometheusServlet.path=/metrics/prometheus'
  local class="$SPARK_HOME/bin/spark-class"
  local pids_master pids_w1 pids_w2 pids_hist pids_prom

  pids_master="$(SPARK_MASTER_OPTS="$sink -Dspark.metrics.conf.master.sink.prometheusServlet.path=/metrics/master/prometheus -Dspark.metrics.conf.applications.sink.prometheusServlet.path=/metrics/applications/prometheus -Dspark.master.rest.enabled=false" \
    launch master "$class" org.apache.spark.deploy.master.Master --host 127.0.0.1 --port "$master_port" --webui-port "$master_web")"
  # Workers retry the Master on their own, so they need not wait for it.
  local i port web pid
  for i in 1 2; do
    if [ $i = 1 ]; then port=$w1; web=$w1web; else port=$w2; web=$w2web; fi
    mkdir -p "$RUN_DIR/work/worker-$i"
    pid="$(SPARK_WORKER_CORES=1 SPARK_WORKER_MEMORY=1g SPARK_WORKER_OPTS="$sink" \
      launch "worker-$i" "$class" org.apache.spark.deploy.worker.Worker --host 127.0.0.1 --port "$port" \
        --webui-port "$web" --cores 1 --memory 1g --work-dir "$RUN_DIR/work/worker-$i" "spark://127.0.0.1:$master_port")"
    if [ $i = 1 ]; then pids_w1=$pid; else pids_w2=$pid; fi
  done
  pids_hist="$(SPARK_HISTORY_OPTS="-Dspark.history.fs.logDirectory=file://$RUN_DIR/eventlog -Dspark.history.ui.port=$hist_port -Dspark.history.fs.update.interval=2s -Dspark.history.fs.cleaner.enabled=false" \
    launch history "$class" org.apache.spark.deploy.history.HistoryServer)"

  sed -e "s|@SCRAPE_INTERVAL@|$SCRAPE_INTERVAL|g" -e "s|@TARGETS_DIR@|$RUN_DIR/targets|g" \
      -e "s|@MASTER_WEB@|127.0.0.1:$master_web|g" -e "s|@WORKER_WEBS@|'127.0.0.1:$w1web', '127.0.0.1:$w2web'|g" \
      -e "s|@RULES_FILE@|$here/prometheus-rules.yml|g" -e "s|@TEST_RULES_FILE@|$root/test/fixtures/prometheus/test-rules.yml|g" \
      $( [ "$MODE" = demo ] && echo "-e /test-rules.yml/d" ) \
      "$here/prometheus.yml.tmpl" >"$RUN_DIR/prometheus/prometheus.yml"
  if [ "$MODE" = demo ]; then
    # Every port of the discovery range, in one file_sd file; run-job.sh sees this file and writes
    # none of its own for a job in the range (the same driver scraped twice would count twice).
    "$PY" -c 'import json,sys; json.dump([{"targets": ["127.0.0.1:%d" % p for p in range(4040, 4051)], "labels": {"so_port_range": "4040-4050"}}], sys.stdout)' \
      >"$RUN_DIR/targets/driver-ports.json"
  fi
  pids_prom="$(launch prometheus prometheus --config.file="$RUN_DIR/prometheus/prometheus.yml" \
    --storage.tsdb.path="$RUN_DIR/prometheus/data" --storage.tsdb.retention.time=2d \
    --web.listen-address="127.0.0.1:$prom_port" --web.enable-lifecycle)"

  SO_V_MASTER_PORT=$master_port SO_V_MASTER_WEB=$master_web SO_V_HIST=$hist_port SO_V_PROM=$prom_port \
  SO_V_W="$w1 $w1web $w2 $w2web" SO_V_PIDS="$pids_master $pids_w1 $pids_w2 $pids_hist $pids_prom" \
  SO_V_RUN="$RUN_DIR" SO_V_HOME="$SPARK_HOME" SO_V_VERSION="$PYSPARK_VERSION" SO_V_TAG="$ENV_TAG" \
  SO_V_PY="$PY" SO_V_SCRAPE="$SCRAPE_INTERVAL" SO_V_MODE="$MODE" "$PY" - >"$ENV_JSON.tmp" <<'EOF'
import json, os, time
e = os.environ; u = lambda p: f"http://127.0.0.1:{p}"
w1, w1web, w2, w2web = map(int, e['SO_V_W'].split())
pm, p1, p2, ph, pp = map(int, e['SO_V_PIDS'].split())
run = e['SO_V_RUN']
print(json.dumps({
  "masterUrl": f"spark://127.0.0.1:{e['SO_V_MASTER_PORT']}",
  "masterWebUrl": u(e['SO_V_MASTER_WEB']),
  "historyUrl": u(e['SO_V_HIST']),
  "prometheusUrl": u(e['SO_V_PROM']),
  "workerWebUrls": [u(w1web), u(w2web)],
  "eventLogDir": os.path.join(run, "eventlog"),
  "targetsDir": os.path.join(run, "targets"),
  "jobsDir": os.path.join(run, "jobs"),
  "logDir": os.path.join(run, "logs"),
  "runDir": run,
  "sparkHome": e['SO_V_HOME'],
  "python": e['SO_V_PY'],
  "pysparkVersion": e['SO_V_VERSION'],
  "scrapeInterval": e['SO_V_SCRAPE'],
  "tag": e['SO_V_TAG'],
  "mode": e['SO_V_MODE'],
  "ports": {"master": int(e['SO_V_MASTER_PORT']), "masterWeb": int(e['SO_V_MASTER_WEB']),
            "history": int(e['SO_V_HIST']), "prometheus": int(e['SO_V_PROM']),
            "worker1": w1, "worker1Web": w1web, "worker2": w2, "worker2Web": w2web},
  "pids": {"master": pm, "worker1": p1, "worker2": p2, "history": ph, "prometheus": pp},
  "startedAt": time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
}, indent=2))
EOF
  mv "$ENV_JSON.tmp" "$ENV_JSON"
  load_env
  log "started pyspark $PYSPARK_VERSION: master $E_masterWebUrl, history $E_historyUrl, prometheus $E_prometheusUrl"
  if ! do_wait "$timeout"; then exit 1; fi
  log "start took $((SECONDS - t0))s"
}

do_stop() { # PURGE
  local purge="$1" tags=() f ports=()
  # Jobs first, so drivers can still close their event logs while the cluster is up.
  for f in "$RUN_DIR"/jobs/*.job; do
    [ -f "$f" ] || continue
    tags+=("job-$(basename "$f" .job)")
    ports+=($(sed -n 's/^uiPort=//p' "$f"))
  done
  [ ${#tags[@]} -eq 0 ] || terminate_tagged jobs 20 "${tags[@]}" || true
  local env_tag=""
  [ -f "$RUN_DIR/env.tag" ] && env_tag="$(cat "$RUN_DIR/env.tag")"
  if [ -n "$env_tag" ]; then
    if load_env 2>/dev/null; then
      ports+=($E_ports_master $E_ports_masterWeb $E_ports_history $E_ports_prometheus \
              $E_ports_worker1 $E_ports_worker1Web $E_ports_worker2 $E_ports_worker2Web)
    fi
    terminate_tagged environment 20 "$env_tag" || true
  fi
  local left=(); left=($(tagged_pids ${env_tag:+"$env_tag"} "${tags[@]}"))
  # Listening sockets close with their process; wait for the kernel to agree.
  local deadline=$((SECONDS + 20)) p busy
  while :; do
    busy=(); for p in "${ports[@]}"; do listening "$p" && busy+=("$p"); done
    [ ${#busy[@]} -eq 0 ] || [ $SECONDS -ge $deadline ] && break
    sleep 0.3
  done
  rm -f "$RUN_DIR"/targets/*.json "$RUN_DIR"/pids/*.pid "$RUN_DIR"/jobs/*.job "$ENV_JSON" "$RUN_DIR/env.tag"
  [ "$purge" = 1 ] && rm -rf "$RUN_DIR"
  [ ${#left[@]} -eq 0 ] || die "processes still running after stop: ${left[*]}"
  [ ${#busy[@]} -eq 0 ] || die "ports still listening after stop: ${busy[*]}"
  log "stopped"
}

do_status() {
  if [ ! -f "$ENV_JSON" ]; then
    echo "spark-env: not running ($RUN_DIR)"
    local f; for f in "$RUN_DIR"/jobs/*.job; do [ -f "$f" ] && echo "  job $(basename "$f" .job) (local mode)"; done
    return 3
  fi
  local c pid state url
  load_env
  echo "spark-env: pyspark $E_pysparkVersion, started $E_startedAt, state in $RUN_DIR"
  for c in $COMPONENTS; do
    pid="$(cut -d' ' -f1 "$RUN_DIR/pids/$c.pid" 2>/dev/null || true)"
    if pid_alive "$c"; then state=running; else state=DEAD; fi
    case "$c" in
      master) url="$E_masterUrl  $E_masterWebUrl  ($(alive_workers "$E_masterWebUrl")/2 workers alive)" ;;
      worker-1) url="127.0.0.1:$E_ports_worker1  http://127.0.0.1:$E_ports_worker1Web" ;;
      worker-2) url="127.0.0.1:$E_ports_worker2  http://127.0.0.1:$E_ports_worker2Web" ;;
      history) url="$E_historyUrl  (event logs: $E_eventLogDir)" ;;
      prometheus) url="$E_prometheusUrl" ;;
    esac
    printf '  %-11s pid %-7s %-8s %s\n' "$c" "${pid:-?}" "$state" "$url"
  done
  local f
  for f in "$RUN_DIR"/jobs/*.job; do
    [ -f "$f" ] || continue
    printf '  job %s  pid %s  ui http://127.0.0.1:%s  log %s\n' "$(basename "$f" .job)" \
      "$(sed -n 's/^pid=//p' "$f")" "$(sed -n 's/^uiPort=//p' "$f")" "$(sed -n 's/^log=//p' "$f")"
  done
  if not_ready >/dev/null; then return 1; fi
}

do_env() {
  [ -f "$ENV_JSON" ] || die "the environment is not started ($ENV_JSON missing); run: scripts/spark-env.sh start"
  "$PY" - "$ENV_JSON" <<'EOF'
import json, shlex, sys
e = json.load(open(sys.argv[1]))
for var, key in [("SO_MASTER_URL", "masterUrl"), ("SO_MASTER_WEB_URL", "masterWebUrl"),
                 ("SO_HISTORY_URL", "historyUrl"), ("SO_PROMETHEUS_URL", "prometheusUrl"),
                 ("SO_EVENT_LOG_DIR", "eventLogDir"), ("SO_TARGETS_DIR", "targetsDir"),
                 ("SO_SPARK_HOME", "sparkHome"), ("SO_PYTHON", "python"),
                 ("SO_PYSPARK_VERSION", "pysparkVersion"), ("SO_ENV_DIR", "runDir"),
                 ("SO_ENV_JSON", None)]:
    val = sys.argv[1] if key is None else str(e[key])
    print(f"export {var}={shlex.quote(val)}")
EOF
}

cmd="${1:-}"; [ $# -gt 0 ] && shift
timeout="${SO_ENV_TIMEOUT:-120}"; DEFAULT_PORTS=0; purge=0; MODE=test
while [ $# -gt 0 ]; do
  case "$1" in
    --default-ports) DEFAULT_PORTS=1; shift ;;
    --demo) MODE=demo; shift ;;
    --timeout) timeout="$2"; shift 2 ;;
    --purge) purge=1; shift ;;
    -*) die "unknown option $1" ;;
    *) [ "$cmd" = stop-tagged ] || die "unknown argument $1"; tag_arg="$1"; shift ;;
  esac
done
# start and stop change the environment: one at a time (tests may call them from several
# processes). The daemons must not inherit the lock's descriptor (see launch: 9>&-).
lock() {
  mkdir -p "$RUN_DIR"
  exec 9>"$RUN_DIR/.lock"
  flock -w 600 9 || die "another spark-env.sh start/stop holds $RUN_DIR/.lock"
}
case "$cmd" in
  start)  lock; do_start "$timeout" ;;
  wait)   do_wait "$timeout" ;;
  stop)   [ -x "$PY" ] || PY=python3; [ -d "$RUN_DIR" ] || exit 0; lock; do_stop "$purge" ;;
  status) do_status ;;
  env)    do_env ;;
  stop-tagged) [ -n "${tag_arg:-}" ] || die "stop-tagged needs a tag"; terminate_tagged "processes tagged $tag_arg" 20 "$tag_arg" ;;
  *) echo "usage: $0 start [--default-ports] [--demo] [--timeout S] | wait [--timeout S] | stop [--purge] | status | env | stop-tagged TAG" >&2; exit 2 ;;
esac

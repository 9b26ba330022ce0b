#!/usr/bin/env bash
# Installs what the demo and the tests need, idempotently: Debian packages, a pyspark
# virtualenv and code-server in the per-user cache, and the npm dependencies.
# Usage: scripts/provision.sh [--pyspark VERSION] [--connect] [--no-code-server] [--no-npm]
#   --connect  also pyspark[connect]==$PYSPARK_CONNECT_VERSION in a venv of its own (Spark Connect tests)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"; root="$(dirname "$here")"
source "$here/versions.sh"
want_cs=1; want_npm=1; want_connect=0; pyspark_versions=("$PYSPARK_VERSION")
while [ $# -gt 0 ]; do
  case "$1" in
    --pyspark) pyspark_versions+=("$2"); shift 2 ;;
    --connect) want_connect=1; shift ;;
    --no-code-server) want_cs=0; shift ;;
    --no-npm) want_npm=0; shift ;;
    *) echo "provision: unknown option $1" >&2; exit 2 ;;
  esac
done
log() { printf '[provision] %s\n' "$*" >&2; }
die() { printf '[provision] ERROR: %s\n' "$*" >&2; exit 1; }
mkdir -p "$SO_CACHE"

# --- Debian packages -------------------------------------------------------------
missing=()
command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)
for p in $APT_PACKAGES; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  log "apt-get install ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo -n"
  $SUDO apt-get update -q </dev/null >"$SO_CACHE/apt-update.log" 2>&1 || die "apt-get update failed (see $SO_CACHE/apt-update.log): is Debian's registry reachable?"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}" </dev/null >"$SO_CACHE/apt-install.log" 2>&1 \
    || die "apt-get install ${missing[*]} failed (see $SO_CACHE/apt-install.log)"
fi
java -version 2>&1 | grep -Eq 'version "(1[7-9]|2[0-9])' || die "Java 17 or newer is needed (found: $(java -version 2>&1 | head -1))"

# --- pyspark virtualenvs -----------------------------------------------------------
for v in "${pyspark_versions[@]}"; do
  d="$(venv_dir "$v")"
  if [ ! -f "$d/.complete" ]; then
    log "pyspark $v into $d"
    rm -rf "$d"; python3 -m venv "$d" || die "python3 -m venv failed"
    "$d/bin/pip" install -q --disable-pip-version-check "pyspark==$v" </dev/null || die "pip install pyspark==$v failed: is PyPI reachable?"
    touch "$d/.complete"
  fi
done

# --- pyspark[connect] (Spark Connect client and server), in a virtualenv of its own ----
if [ "$want_connect" = 1 ]; then
  d="$(connect_venv_dir "$PYSPARK_CONNECT_VERSION")"
  if [ ! -f "$d/.complete" ]; then
    log "pyspark[connect] $PYSPARK_CONNECT_VERSION into $d (about 380 MB)"
    logf="$SO_CACHE/pyspark-connect-install.log"
    rm -rf "$d"; python3 -m venv "$d" >"$logf" 2>&1 || die "python3 -m venv failed (see $logf)"
    "$d/bin/pip" install --disable-pip-version-check "pyspark[connect]==$PYSPARK_CONNECT_VERSION" </dev/null >>"$logf" 2>&1 \
      || die "pip install pyspark[connect]==$PYSPARK_CONNECT_VERSION failed (see $logf): is PyPI reachable?"
    "$d/bin/python" -c 'import pyspark.sql.connect.session, grpc, pyarrow, pandas' >>"$logf" 2>&1 \
      || die "pyspark[connect] does not import (see $logf)"
    touch "$d/.complete"
  fi
fi

# --- real event logs (Spark 1.2–3.3) from spark-core's tests jar on Maven Central ----------
d="$(event_logs_dir)"
if [ ! -f "$d/.complete" ]; then
  log "event logs of spark-core $SPARK_EVENT_LOGS_VERSION's tests jar into $d"
  rm -rf "$d"; mkdir -p "$d"
  jar="$d/tests.jar"
  curl -fsSL --retry 3 -o "$jar" "$SPARK_EVENT_LOGS_URL" </dev/null || die "download of $SPARK_EVENT_LOGS_URL failed: is Maven Central reachable?"
  published="$(curl -fsSL --retry 3 "$SPARK_EVENT_LOGS_URL.sha1" </dev/null | cut -c1-40)" || die "no checksum at $SPARK_EVENT_LOGS_URL.sha1"
  actual="$(sha1sum "$jar" | cut -c1-40)"
  [ "$actual" = "$SPARK_EVENT_LOGS_SHA1" ] && [ "$published" = "$SPARK_EVENT_LOGS_SHA1" ] \
    || die "checksum of $SPARK_EVENT_LOGS_URL: got $actual, Maven Central says $published, pinned $SPARK_EVENT_LOGS_SHA1"
  python3 - "$jar" "$d" <<'PY' || die "could not extract spark-events/ from $jar"
import sys, zipfile, os
jar, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(jar) as z:
    names = [n for n in z.namelist() if n.startswith('spark-events/') and not n.endswith('/')]
    for n in names:
        target = os.path.join(out, os.path.relpath(n, 'spark-events'))
        if not os.path.realpath(target).startswith(os.path.realpath(out) + os.sep):
            raise SystemExit(f'unsafe path in the jar: {n}')
        with z.open(n) as src, open(target, 'wb') as dst:
            dst.write(src.read())
    if not names:
        raise SystemExit('no spark-events/ in the jar')
PY
  rm -f "$jar"
  touch "$d/.complete"
fi

# --- code-server (the real VS Code server and workbench), by HARNESS.md's recipe ----
if [ "$want_cs" = 1 ]; then
  d="$(code_server_dir)"
  if [ ! -f "$d/.complete" ]; then
    log "code-server $CODE_SERVER_VERSION into $d (about two minutes)"
    rm -rf "$d"; mkdir -p "$d"
    ( cd "$d"
      echo '{"name":"so-code-server","private":true}' > package.json
      npm install --no-audit --no-fund --ignore-scripts "code-server@$CODE_SERVER_VERSION" </dev/null
      cd node_modules/code-server/lib/vscode
      npm install --no-audit --no-fund --omit=dev --ignore-scripts </dev/null
      mkdir -p node_modules/@vscode/ripgrep/bin && cp "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
      npm_config_yes=true npm rebuild node-pty @vscode/spdlog kerberos native-watchdog @parcel/watcher @vscode/deviceid </dev/null
      ln -sfn node_modules node_modules.asar
      cd extensions && npm install --no-audit --no-fund --omit=dev --ignore-scripts </dev/null
      cd "$d" && npm rebuild argon2 </dev/null
    ) >"$SO_CACHE/code-server-install.log" 2>&1 || die "code-server install failed (see $SO_CACHE/code-server-install.log)"
    node "$d/node_modules/code-server/out/node/entry.js" --version | grep -q "$CODE_SERVER_VERSION" || die "code-server does not start"
    touch "$d/.complete"
  fi
fi

# --- npm dependencies of the project ---------------------------------------------------
if [ "$want_npm" = 1 ] && [ -f "$root/package-lock.json" ]; then
  if [ ! -d "$root/node_modules" ] || [ "$root/package-lock.json" -nt "$root/node_modules/.package-lock.json" ]; then
    log "npm ci"
    ( cd "$root" && npm ci --no-audit --no-fund </dev/null ) >&2 || die "npm ci failed: is the npm registry reachable?"
  fi
fi
log "ready (cache: $SO_CACHE)"

#!/usr/bin/env bash
# The whole test suite, on a fresh machine of this kind: installs what is missing (Debian
# packages, pyspark venvs and code-server in the per-user cache, npm deps), builds, then runs
# unit → integration (real Spark + Prometheus) → extension host (real VS Code) → UI (Chromium on
# the real workbench) → the packaged .vsix. The Spark environment is stopped on any exit.
# Usage: scripts/test.sh [--only unit|integration|vscode|ui]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
only="${2:-}"; [ "${1:-}" = "--only" ] || only=""
results="$root/test-results"; mkdir -p "$results"
: > "$results/summary.txt"
started=$(date +%s)

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
count() { # stage name, log file: pull node-test-runner / mocha counts out of a log
  # (grep finding nothing is an answer here, not a failure: hence the `|| true` under pipefail)
  local name="$1" log="$2" p f
  p=$({ grep -Eo '^(# |ℹ )pass [0-9]+' "$log" || true; } | awk '{s+=$NF} END{print s+0}')
  f=$({ grep -Eo '^(# |ℹ )fail [0-9]+' "$log" || true; } | awk '{s+=$NF} END{print s+0}')
  if [ "$p" = 0 ] && [ "$f" = 0 ]; then
    p=$({ grep -Eo '^ *[0-9]+ passing' "$log" || true; } | awk '{s+=$1} END{print s+0}')
    f=$({ grep -Eo '^ *[0-9]+ failing' "$log" || true; } | awk '{s+=$1} END{print s+0}')
  fi
  echo "$name $p $f" >> "$results/summary.txt"
}
run_stage() { # name, command...: runs, tees a log, records counts; a failing stage fails the run at the end
  local name="$1"; shift
  step "$name"
  local log="$results/$name.log" rc=0
  "$@" 2>&1 | tee "$log" || rc=${PIPESTATUS[0]}
  count "$name" "$log"
  if [ "$rc" != 0 ]; then echo "!! $name exited $rc"; failed_stages+=("$name"); fi
}
failed_stages=()
want() { [ -z "$only" ] || [ "$only" = "$1" ]; }

step "provision"
bash scripts/provision.sh --pyspark 3.5.9 --connect
step "typecheck, lint, build"
npm run --silent typecheck
npm run --silent lint
npm run --silent build -- --production
npm run --silent compile-tests

want unit && run_stage unit node --test --test-reporter=spec out/test/unit/

if want integration || want vscode || want ui; then
  step "spark environment"
  trap 'bash "$root/scripts/spark-env.sh" stop || true' EXIT INT TERM
  bash scripts/spark-env.sh start
  node scripts/test-settings.mjs "$results/settings.json" >/dev/null
  export SO_TEST_SETTINGS="$results/settings.json" SO_TEST_FOLDER="$root/test/fixtures/jobs"
fi
want integration && run_stage integration node --test --test-concurrency=1 --test-timeout=600000 --test-reporter=spec out/test/integration/
# The whole extension-host suite runs in one VS Code window: the launcher's limit is for all of it
# (real Spark jobs on a shared 2-core machine), not for one test.
export SO_LAUNCHER_TIMEOUT_MS="${SO_LAUNCHER_TIMEOUT_MS:-1800000}"
want vscode && run_stage vscode node out/test/vscode/runTests.js --settings "$results/settings.json" --folder "$root/test/fixtures/jobs"
if want ui; then
  step "package"
  npm run --silent package
  run_stage ui node --test --test-concurrency=1 --test-timeout=600000 --test-reporter=spec out/test/ui/
fi

passed=$(awk '{s+=$2} END{print s+0}' "$results/summary.txt")
failed=$(awk '{s+=$3} END{print s+0}' "$results/summary.txt")
step "summary ($(( $(date +%s) - started )) s)"
column -t "$results/summary.txt" || cat "$results/summary.txt"
if [ ${#failed_stages[@]} -gt 0 ] && [ "$failed" = 0 ]; then failed=${#failed_stages[@]}; fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ ${#failed_stages[@]} = 0 ] && [ "$passed" -gt 0 ]

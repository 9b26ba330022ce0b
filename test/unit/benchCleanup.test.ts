/**
 * `npm run bench` stops the Spark environment it started, and only that: after a bench crashed,
 * and on Ctrl+C while the environment is still starting; an environment that was running already
 * is left running. A stand-in for scripts/spark-env.sh records what the bench asked of it.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alive, waitFor } from '../integration/env';

const BENCH = join(__dirname, '..', 'bench');

/** A stand-in for spark-env.sh: `status` says whether `running` exists; `start` creates it (and with HOLD, blocks until killed); `stop` removes it. */
const FAKE = `#!/usr/bin/env bash
echo "$1" >> "$FAKE_DIR/calls"
case "$1" in
  status) [ -f "$FAKE_DIR/running" ] || exit 3 ;;
  start) touch "$FAKE_DIR/running"; [ -z "$FAKE_HOLD" ] || { echo $$ > "$FAKE_DIR/start.pid"; exec sleep 600; } ;;
  stop) rm -f "$FAKE_DIR/running" ;;
esac
`;

interface StandIn {
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  /** What the bench asked of the stand-in, in order. */
  calls(): string[];
  running(): boolean;
}

/** Runs `fn` with a fresh stand-in for spark-env.sh, removed afterwards. */
async function withStandIn(fn: (s: StandIn) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'so-bench-env-'));
  try {
    writeFileSync(join(dir, 'spark-env.sh'), FAKE);
    chmodSync(join(dir, 'spark-env.sh'), 0o755);
    // SO_ENV_DIR: where the benches look for env.json; the stand-in writes none, so a bench that needs Spark fails.
    const env = { ...process.env, FAKE_DIR: dir, SO_SPARK_ENV_SCRIPT: join(dir, 'spark-env.sh'), SO_ENV_DIR: join(dir, 'env') };
    const calls = () => (existsSync(join(dir, 'calls')) ? readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n') : []);
    await fn({ dir, env, calls, running: () => existsSync(join(dir, 'running')) });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function runNode(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<{ code: number | null; output: string }>((resolve) => child.on('exit', (code) => resolve({ code, output })));
  return { child, exited };
}

describe('the Spark environment of npm run bench', () => {
  test('a bench that crashes stops the environment it started', () =>
    withStandIn(async ({ env, calls, running }) => {
      const r = await runNode([join(BENCH, 'driverLoad.bench.js')], env).exited;
      assert.equal(r.code, 1, r.output);
      assert.match(r.output, /no Spark environment/);
      assert.deepEqual(calls(), ['status', 'start', 'stop']);
      assert.equal(running(), false);
    }));

  test('an environment that was running already is left running', () =>
    withStandIn(async ({ dir, env, calls, running }) => {
      writeFileSync(join(dir, 'running'), '');
      const r = await runNode([join(BENCH, 'driverLoad.bench.js')], env).exited;
      assert.equal(r.code, 1, r.output);
      assert.deepEqual(calls(), ['status']);
      assert.equal(running(), true);
    }));

  test('Ctrl+C during the start ends the start and stops what it began', () =>
    withStandIn(async ({ dir, env, calls, running }) => {
      const { child, exited } = runNode([join(BENCH, 'index.js'), 'driverLoad'], { ...env, FAKE_HOLD: '1' });
      const pidFile = join(dir, 'start.pid');
      const startPid = await waitFor(() => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : undefined), {
        what: 'the stand-in start running',
        timeoutMs: 60_000,
        intervalMs: 100,
      });
      child.kill('SIGINT');
      const r = await exited;
      assert.equal(r.code, 130, r.output);
      assert.deepEqual(calls(), ['status', 'start', 'stop']);
      assert.equal(running(), false);
      assert.equal(alive(startPid), false, 'the start the bench began was ended');
    }));
});

/**
 * The Spark environment (scripts/spark-env.sh) for the benches that need a real Spark: started
 * when none is running, and then stopped again by the bench run that started it: after the
 * benches, when one crashes, on Ctrl+C or SIGTERM, and at exit. An environment that was running
 * already (the tests', the demo's) is left as it was found.
 */
import { ChildProcess, execFile, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { progress, REPO } from './common';

/** The script; SO_SPARK_ENV_SCRIPT lets the tests of this clean-up put a stand-in in its place. */
const SCRIPT = process.env.SO_SPARK_ENV_SCRIPT || path.join(REPO, 'scripts', 'spark-env.sh');
/** `spark-env.sh status` exits with this when no environment is started (no env.json). */
const NOT_STARTED = 3;

/** True from the moment this process begins a start until it has stopped the environment again. */
let ours = false;
let starting: ChildProcess | undefined;
let ensured: Promise<void> | undefined;
/** The one clean-up pass: a signal's and the bench's own end share it. */
let releasing: Promise<void> | undefined;
let signalled = false;
const cleanups: (() => Promise<void>)[] = [];
const exitCleanups: (() => void)[] = [];

function script(args: readonly string[], onChild?: (c: ChildProcess) => void): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile('bash', [SCRIPT, ...args], { timeout: 300_000, maxBuffer: 4 << 20 }, (err, _out, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stderr }),
    );
    onChild?.(child);
  });
}

/** Starts the environment unless one is running; resolves when it is ready. */
export function ensureSparkEnv(): Promise<void> {
  ensured ??= (async () => {
    if ((await script(['status'])).code !== NOT_STARTED) {
      progress('spark', 'the Spark environment runs already: the bench leaves it running');
      return;
    }
    progress('spark', 'scripts/spark-env.sh start (stopped again when the bench ends)…');
    ours = true;
    releasing = undefined;
    stopOnSignals();
    const r = await script(['start'], (c) => (starting = c));
    starting = undefined;
    if (r.code !== 0) throw new Error(`scripts/spark-env.sh start failed (exit ${r.code}):\n${r.stderr}`);
  })();
  return ensured;
}

/** Stops the environment if this process started it (a start still running is ended first). */
export async function releaseSparkEnv(): Promise<void> {
  if (!ours) return;
  ours = false;
  ensured = undefined;
  starting?.kill('SIGTERM');
  progress('spark', 'scripts/spark-env.sh stop (the bench started it)…');
  const r = await script(['stop']);
  if (r.code !== 0) progress('spark', `stop failed (exit ${r.code}): ${r.stderr.trim()}`);
}

/**
 * Runs `cleanup` (and then `exitCleanup`, synchronous, when the process exits another way) before
 * the environment is released: what runs in the environment (a job) goes first.
 */
export function beforeRelease(cleanup: () => Promise<void>, exitCleanup: () => void): void {
  cleanups.push(cleanup);
  exitCleanups.push(exitCleanup);
  stopOnSignals();
}

/** Everything registered with beforeRelease, then the environment; callers share one pass. */
export function releaseAll(): Promise<void> {
  releasing ??= (async () => {
    for (const c of cleanups.splice(0)) await c().catch((e: unknown) => progress('spark', `clean-up: ${String(e)}`));
    exitCleanups.splice(0);
    await releaseSparkEnv();
  })();
  return releasing;
}

/** The exit code: 130 once Ctrl+C or SIGTERM ended the run (its crash is the signal's doing). */
export function exitCode(code: number): number {
  return signalled ? 130 : code;
}

let handlersInstalled = false;
function stopOnSignals(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      signalled = true;
      progress('spark', `${sig}: stopping what the bench started…`);
      void releaseAll().finally(() => process.exit(130));
    });
  }
  // process.exit() from elsewhere (a crash handler): only synchronous work is possible here.
  process.on('exit', () => {
    for (const c of exitCleanups.splice(0)) c();
    if (!ours) return;
    ours = false;
    starting?.kill('SIGTERM');
    spawnSync('bash', [SCRIPT, 'stop'], { stdio: 'inherit', timeout: 120_000 });
  });
}

/**
 * One real, long-lived PySpark application shared by the real-Spark benches (driverLoad,
 * rangeQuery) in one process: test/fixtures/jobs/long_running.py in local[2], started through
 * scripts/run-job.sh (test/integration/env.ts startJob) after `scripts/spark-env.sh start`
 * (idempotent). It runs rounds of small jobs for ROUNDS_SECONDS, then holds its session (cached
 * data, UI, metrics) without new work, so a bench can measure the driver's own CPU with little
 * noise. Stopped by stopSharedJob() (index.ts calls it) or at process exit.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { driverApp, readEnv, startJob, type RunningJob, type TestEnv } from '../integration/env';
import { progress, REPO } from './common';

/** How long the job runs rounds of work before it holds (idle) until stopped. */
export const ROUNDS_SECONDS = 25;

export interface SharedJob {
  readonly job: RunningJob;
  readonly env: TestEnv;
  readonly appId: string;
  readonly appName: string;
  readonly uiUrl: string;
  /** The driver JVM (spark-submit), whose CPU time driverLoad reads. */
  readonly jvmPid: number;
  /** Epoch ms: submitted, and when its rounds of work end (it idles after). */
  readonly startedAt: number;
  readonly roundsEndAt: number;
}

let shared: Promise<SharedJob> | undefined;
let running: RunningJob | undefined;

function ensureEnv(): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile('bash', [`${REPO}/scripts/spark-env.sh`, 'start'], { timeout: 300_000, maxBuffer: 4 << 20 }, (err, _o, stderr) =>
      err ? reject(new Error(`scripts/spark-env.sh start failed: ${err.message}\n${stderr}`)) : resolve(),
    ),
  );
}

function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

export function sharedLongRunningJob(): Promise<SharedJob> {
  shared ??= (async () => {
    progress('spark', 'scripts/spark-env.sh start (idempotent)…');
    await ensureEnv();
    const env = readEnv();
    progress('spark', `starting long_running.py in local[2] (${ROUNDS_SECONDS} s of rounds, then it holds)…`);
    const startedAt = Date.now();
    const job = await startJob('long_running.py', {
      name: 'bench-long-running',
      args: [String(ROUNDS_SECONDS)],
      env: { HOLD_SECONDS: '3600' },
    });
    running = job;
    const kill = () => {
      try {
        process.kill(-job.pid, 'SIGTERM');
      } catch {
        /* gone */
      }
    };
    process.on('exit', kill);
    // Ctrl+C of a bench run alone: the job must not outlive it.
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      process.once(sig, () => {
        kill();
        process.exit(130);
      });
    }
    if (!/\bjava\b|\/java /.test(cmdline(job.pid))) throw new Error(`pid ${job.pid} of the job is not a JVM: ${cmdline(job.pid).slice(0, 200)}`);
    const app = await driverApp(job.uiUrl);
    progress('spark', `application ${app.id} at ${job.uiUrl}, driver JVM pid ${job.pid}`);
    return { job, env, appId: app.id, appName: app.name, uiUrl: job.uiUrl, jvmPid: job.pid, startedAt, roundsEndAt: Date.now() + ROUNDS_SECONDS * 1000 };
  })();
  return shared;
}

export async function stopSharedJob(): Promise<void> {
  const job = running;
  running = undefined;
  shared = undefined;
  if (job) {
    progress('spark', `stopping the job (pid ${job.pid})…`);
    await job.stop().catch((e: unknown) => progress('spark', `stop: ${String(e)}`));
  }
}

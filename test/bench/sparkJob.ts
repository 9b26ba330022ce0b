/**
 * One real, long-lived PySpark application shared by the real-Spark benches (driverLoad,
 * rangeQuery) in one process: test/fixtures/jobs/long_running.py in local[2], started through
 * scripts/run-job.sh (test/integration/env.ts startJob) in the Spark environment (sparkEnv.ts
 * starts it when it is not running). It runs rounds of small jobs for ROUNDS_SECONDS, then holds
 * its session (cached data, UI, metrics) without new work, so a bench can measure the driver's
 * own CPU with little noise. Stopped, before the environment, by sparkEnv.ts's releaseAll()
 * (index.ts calls it), on Ctrl+C, or at process exit.
 */
import * as fs from 'node:fs';
import { driverApp, readEnv, startJob, type RunningJob, type TestEnv } from '../integration/env';
import { progress } from './common';
import { beforeRelease, ensureSparkEnv } from './sparkEnv';

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

function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

export function sharedLongRunningJob(): Promise<SharedJob> {
  shared ??= (async () => {
    await ensureSparkEnv();
    const env = readEnv();
    progress('spark', `starting long_running.py in local[2] (${ROUNDS_SECONDS} s of rounds, then it holds)…`);
    const startedAt = Date.now();
    const job = await startJob('long_running.py', {
      name: 'bench-long-running',
      args: [String(ROUNDS_SECONDS)],
      env: { HOLD_SECONDS: '3600' },
    });
    running = job;
    // The job must not outlive the bench, whatever ends it (a Ctrl+C included).
    beforeRelease(stopSharedJob, () => {
      try {
        process.kill(-job.pid, 'SIGTERM');
      } catch {
        /* gone */
      }
    });
    if (!/\bjava\b|\/java /.test(cmdline(job.pid))) throw new Error(`pid ${job.pid} of the job is not a JVM: ${cmdline(job.pid).slice(0, 200)}`);
    const app = await driverApp(job.uiUrl);
    progress('spark', `application ${app.id} at ${job.uiUrl}, driver JVM pid ${job.pid}`);
    return { job, env, appId: app.id, appName: app.name, uiUrl: job.uiUrl, jvmPid: job.pid, startedAt, roundsEndAt: Date.now() + ROUNDS_SECONDS * 1000 };
  })();
  return shared;
}

async function stopSharedJob(): Promise<void> {
  const job = running;
  running = undefined;
  shared = undefined;
  if (job) {
    progress('spark', `stopping the job (pid ${job.pid})…`);
    await job.stop().catch((e: unknown) => progress('spark', `stop: ${String(e)}`));
  }
}

/**
 * Helpers for tests against the real local Spark environment (scripts/spark-env.sh) and the
 * jobs in test/fixtures/jobs, started through scripts/run-job.sh exactly as the demo does.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { readFileSync, existsSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { createHttpClient } from '../../src/sources/http';
import { Store, StoreSettings } from '../../src/store/store';
import type { SourceConfig } from '../../src/model/types';
import { waitFor } from '../harness/wait';

export const REPO = resolve(__dirname, '..', '..', '..');
export const JOBS = join(REPO, 'test', 'fixtures', 'jobs');

export interface TestEnv {
  readonly masterUrl: string;
  readonly masterWebUrl: string;
  readonly historyUrl: string;
  readonly prometheusUrl: string;
  readonly eventLogDir: string;
  readonly pysparkVersion: string;
  readonly scrapeInterval: string;
}

/** The running environment; a clear failure when it was not started (never a skip). */
export function readEnv(): TestEnv {
  const file = process.env.SO_ENV_DIR ? join(process.env.SO_ENV_DIR, 'env.json') : join(REPO, '.run', 'env', 'env.json');
  if (!existsSync(file)) throw new Error(`no Spark environment: ${file} is missing (run scripts/spark-env.sh start)`);
  return JSON.parse(readFileSync(file, 'utf8')) as TestEnv;
}

export interface JobOptions {
  readonly master?: string;
  readonly name?: string;
  readonly env?: Record<string, string>;
  readonly conf?: Record<string, string>;
  readonly args?: readonly string[];
}

export interface RunningJob {
  readonly pid: number;
  readonly uiUrl: string;
  readonly appName?: string;
  /** SIGTERM to the job's process tree (through spark-env's own bookkeeping), then waits. */
  stop(): Promise<void>;
}

function jobArgs(file: string, o: JobOptions): string[] {
  const args: string[] = [];
  if (o.master) args.push('--master', o.master);
  if (o.name) args.push('--name', o.name);
  for (const [k, v] of Object.entries(o.conf ?? {})) args.push('--conf', `${k}=${v}`);
  args.push(join(JOBS, file), ...(o.args ?? []));
  return args;
}

/** Starts a job in the background; resolves once run-job.sh reports its UI address. */
export async function startJob(file: string, o: JobOptions = {}): Promise<RunningJob> {
  const out = await new Promise<string>((res, rej) => {
    execFile(
      'bash',
      [join(REPO, 'scripts', 'run-job.sh'), '--background', ...jobArgs(file, o)],
      { env: { ...process.env, ...o.env }, timeout: 180_000, maxBuffer: 4 << 20 },
      (err, stdout, stderr) => (err ? rej(new Error(`run-job.sh failed: ${err.message}\n${stderr}`)) : res(stdout)),
    );
  });
  const line = out
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.trim().startsWith('{'));
  if (!line) throw new Error(`run-job.sh printed no JSON line:\n${out}`);
  const info = JSON.parse(line) as { pid: number; uiUrl: string; appName?: string };
  return {
    ...info,
    async stop() {
      // As a user's Ctrl+C would: the Python driver (a child of the spark-submit JVM) ends, its
      // `finally` calls spark.stop(), and the JVM closes the event log. A SIGTERM to the whole
      // group also reaches the JVM, which may exit before closing it, leaving the log
      // `.inprogress` for ever (seen once in four clean-clone runs): that is only the fallback.
      const pythons = childPids(info.pid);
      for (const p of pythons) {
        try {
          process.kill(p, 'SIGTERM');
        } catch {
          /* already gone */
        }
      }
      const graceful = pythons.length > 0 && (await waitFor(async () => (alive(info.pid) ? undefined : true), { what: 'a clean end', timeoutMs: 45_000 }).catch(() => false));
      if (!graceful) {
        try {
          process.kill(-info.pid, 'SIGTERM');
        } catch {
          try {
            process.kill(info.pid, 'SIGTERM');
          } catch {
            /* already gone */
          }
        }
      }
      await waitFor(async () => (alive(info.pid) ? undefined : true), { what: `job ${info.pid} to end`, timeoutMs: 60_000 });
    },
  };
}

/** Direct children of a process (PySpark's driver is the spark-submit JVM's child). */
function childPids(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)])
      .toString()
      .trim()
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** Runs a job to completion; resolves with its exit code and output. */
export function runJob(file: string, o: JobOptions = {}): Promise<{ code: number; output: string }> {
  return new Promise((res) => {
    const p = spawn('bash', [join(REPO, 'scripts', 'run-job.sh'), ...jobArgs(file, o)], { env: { ...process.env, ...o.env } });
    let output = '';
    p.stdout.on('data', (d) => (output += d));
    p.stderr.on('data', (d) => (output += d));
    p.on('close', (code) => res({ code: code ?? 1, output }));
  });
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The shared condition wait (test/harness/wait.ts), where these helpers always had it. */
export { waitFor };

/** Raw JSON straight from Spark, to compare the extension's figures with. */
export async function getJson<T = unknown>(url: string): Promise<T> {
  const res = await fetch(url, { headers: { Accept: 'application/json' } });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

export interface RestApp {
  id: string;
  name: string;
  attempts: Array<{ completed: boolean; attemptId?: string }>;
}

/** The one application a driver UI serves. */
export async function driverApp(uiUrl: string): Promise<RestApp> {
  return waitFor(
    async () => {
      const apps = await getJson<RestApp[]>(`${uiUrl}/api/v1/applications`);
      return apps[0];
    },
    { what: `the application at ${uiUrl}` },
  );
}

export const silentLog = { info: () => {}, warn: () => {}, error: () => {} };

/** A store over the given sources, with discovery off so tests see only what they configured. */
export function makeStore(configured: StoreSettings['configured'], overrides: Partial<StoreSettings> = {}, log = silentLog): Store {
  return new Store(
    {
      configured,
      discovery: { enabled: false, driverPorts: [], historyServerPort: 0, masterPort: 0, prometheusPort: 0 },
      refreshIntervalMs: 1000,
      statusBarIntervalMs: 5000,
      requestTimeoutMs: 5000,
      historyMaxApplications: 50,
      ...overrides,
    },
    // Async, as the extension's own factory is (it reads SecretStorage): a store that forgot to
    // await it would probe with a Promise and discover nothing.
    { makeClient: async (s: SourceConfig, timeoutMs: number) => createHttpClient({ baseUrl: s.url, caFile: s.caFile, timeoutMs }), log },
  );
}

/** The per-user cache of scripts/versions.sh, where the pyspark virtualenvs live. */
export const CACHE_ROOT = process.env.SPARK_OBSERVATORY_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'spark-observatory');

/** A pyspark virtualenv of the cache: its python and its spark-submit. */
export function venv(version: string): { python: string; sparkSubmit: string } {
  const dir = join(CACHE_ROOT, `pyspark-${version}`);
  const lib = join(dir, 'lib');
  const py = existsSync(lib) ? readdirSync(lib).find((d) => d.startsWith('python3')) : undefined;
  const sparkSubmit = py ? join(lib, py, 'site-packages', 'pyspark', 'bin', 'spark-submit') : '';
  if (!py || !existsSync(sparkSubmit)) throw new Error(`no pyspark ${version} virtualenv with bin/spark-submit in ${dir} (run scripts/provision.sh --pyspark ${version})`);
  return { python: join(dir, 'bin', 'python'), sparkSubmit };
}

/** The Spark Connect virtualenv (scripts/provision.sh --connect): pyspark with its `connect` extra. */
export function connectVenv(version = '4.3.0'): { python: string; sparkSubmit: string; sparkHome: string } {
  let v: { python: string; sparkSubmit: string };
  try {
    v = venv(`connect-${version}`);
  } catch {
    throw new Error(`no pyspark[connect] ${version} virtualenv in ${join(CACHE_ROOT, `pyspark-connect-${version}`)} (run scripts/provision.sh --connect)`);
  }
  return { ...v, sparkHome: join(v.sparkSubmit, '..', '..') };
}

/** A free loopback port below the ephemeral range (no race with Spark's own port-0 binds). */
export async function freePort(): Promise<number> {
  for (;;) {
    const p = 20000 + Math.floor(Math.random() * 10000);
    if (await isPortFree(p)) return p;
  }
}

/** Whether nothing listens on a loopback port. */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise<boolean>((res) => {
    const s = createServer();
    s.once('error', () => res(false));
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => s.close(() => res(true)));
  });
}

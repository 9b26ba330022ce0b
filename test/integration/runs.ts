/**
 * Runs of a PySpark file against a real Spark for the tests of the hook: through exactly the
 * spark-submit command line "Run File with Observability" builds (launcher/submitCommand.ts, the
 * real hook), or plainly with spark-submit and the file, as a user would without the extension.
 * Each run is its own process group, stopped by its pid.
 */
import assert from 'node:assert/strict';
import { spawn, ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { alive, freePort, getJson, REPO, venv, waitFor } from './env';
import { buildSubmitCommand } from '../../src/launcher/submitCommand';
import { parseHookEvents, type HookEvent } from '../../src/model/hookEvents';
import { scanPythonSource } from '../../src/model/cacheScanner';
import { fileLenses, type CallLens } from '../../src/model/fileLenses';
import type { Store } from '../../src/store/store';

export const HOOK_DIR = join(REPO, 'src', 'launcher', 'python');

export interface Run {
  readonly file: string;
  readonly uiUrl: string;
  readonly eventsFile?: string;
  readonly proc: ChildProcess;
  output(): string;
  exited(): Promise<number | null>;
  /** The hook's events (SO_HOOK_EVENTS) so far. */
  events(): HookEvent[];
  stop(): Promise<void>;
}

function spawnRun(command: string, args: readonly string[], env: Record<string, string>, file: string, uiUrl: string, eventsFile?: string): Run {
  let out = '';
  const proc = spawn(command, [...args], { env: { ...process.env, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exit = new Promise<number | null>((res) => proc.on('close', (code) => res(code)));
  return {
    file,
    uiUrl,
    eventsFile,
    proc,
    output: () => out,
    exited: () => exit,
    events: () => (eventsFile ? parseHookEvents(readFileSync(eventsFile, 'utf8')) : []),
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      try {
        process.kill(-proc.pid!, 'SIGTERM');
      } catch {
        /* gone */
      }
      const t = setTimeout(() => {
        try {
          process.kill(-proc.pid!, 'SIGKILL');
        } catch {
          /* gone */
        }
      }, 30_000);
      await exit;
      clearTimeout(t);
      await waitFor(async () => (alive(proc.pid!) ? undefined : true), { what: 'the job to end', timeoutMs: 30_000 });
    },
  };
}

export interface HookRunOptions {
  readonly version: string;
  readonly file: string;
  /** Folder for the event log and the hook's events (created by the caller). */
  readonly tmp: string;
  readonly args?: readonly string[];
  readonly env?: Record<string, string>;
  readonly disable?: readonly { readonly file: string; readonly line: number }[];
  readonly extraConf?: Record<string, string>;
}

/** Starts a file exactly as the extension's Run File with Observability does (same argv and environment). */
export async function submitWithHook(o: HookRunOptions): Promise<Run> {
  const v = venv(o.version);
  const eventsFile = join(o.tmp, `events-${o.version}-${Date.now()}-${Math.floor(Math.random() * 1e6)}.jsonl`);
  const cmd = buildSubmitCommand({
    sparkSubmit: v.sparkSubmit,
    file: o.file,
    args: o.args,
    master: 'local[2]',
    uiPort: await freePort(),
    eventLogDir: join(o.tmp, 'eventlog'),
    hookDir: HOOK_DIR,
    eventsFile,
    python: v.python,
    disableCacheAt: o.disable ?? [],
    extraConf: o.extraConf,
    env: o.env,
  });
  return spawnRun(cmd.command, cmd.args, cmd.env, o.file, cmd.uiUrl, eventsFile);
}

/** Starts a file with plain spark-submit, no hook: what the user's job does without the extension. */
export async function submitPlain(o: Pick<HookRunOptions, 'version' | 'file' | 'args' | 'env'>): Promise<Run> {
  const v = venv(o.version);
  const port = await freePort();
  const args = ['--master', 'local[2]', '--conf', `spark.ui.port=${port}`, '--conf', 'spark.driver.host=127.0.0.1', '--conf', 'spark.driver.bindAddress=127.0.0.1', o.file, ...(o.args ?? [])];
  const env = { SPARK_LOCAL_IP: '127.0.0.1', PYSPARK_PYTHON: v.python, PYSPARK_DRIVER_PYTHON: v.python, PYTHONUNBUFFERED: '1', ...o.env };
  return spawnRun(v.sparkSubmit, args, env, o.file, `http://127.0.0.1:${port}`);
}

/** The application's id once its driver UI answers (slow on a loaded 2-core machine: up to 5 minutes); fails at once if the job ends. */
export async function appId(run: Run): Promise<string> {
  return waitFor(async () => {
    if (run.proc.exitCode !== null) throw new Error(`the job ended (${run.proc.exitCode}) before its UI answered:\n${run.output().slice(-3000)}`);
    return (await getJson<{ id: string }[]>(`${run.uiUrl}/api/v1/applications`))[0]?.id;
  }, { what: `the application at ${run.uiUrl}`, timeoutMs: 300_000, intervalMs: 1000 });
}

/** Waits until the job prints `marker`; fails at once if it ends before. */
export async function until(run: Run, marker: RegExp, timeoutMs = 600_000): Promise<void> {
  await waitFor(async () => {
    if (run.proc.exitCode !== null) throw new Error(`the job ended (${run.proc.exitCode}) before printing ${marker}:\n${run.output().slice(-3000)}`);
    return marker.test(run.output()) ? true : undefined;
  }, { what: `${marker} in the job's output`, timeoutMs, intervalMs: 500 });
}

/** 1-based line of the one line of a file matching `match` (fixtures change; their lines are looked up). */
export function lineOf(file: string, match: string | ((line: string) => boolean)): number {
  const lines = readFileSync(file, 'utf8').split('\n');
  const hits = lines.flatMap((l, i) => ((typeof match === 'string' ? l.includes(match) : match(l)) ? [i + 1] : []));
  assert.equal(hits.length, 1, `one line of ${file} matching ${String(match)}: ${hits.join(', ')}`);
  return hits[0];
}

/** The hook's lines in a run's output (stderr and stdout mixed, in order). */
export function hookLines(run: Run): string[] {
  return run.output().split('\n').filter((l) => l.startsWith('[spark-observatory]'));
}

/** The cache lenses of `file` as the editor would show them, from a store polling `run`'s driver. */
export async function lensesOf(store: Store, file: string, run: Run): Promise<CallLens[]> {
  await store.refresh();
  const text = readFileSync(file, 'utf8');
  const apps = store.applications().map((e) => {
    const d = store.detail(e.key);
    return { key: e.key, app: e.app, sourceUrl: store.source(e.sourceId)?.config.url, cachedDatasets: d?.detail.cachedDatasets, jobs: d?.detail.jobs, detail: d?.detail, stale: e.stale || !!d?.stale, fetchedAt: d?.fetchedAt };
  });
  return fileLenses({ filePath: file, text, scan: scanPythonSource(text), apps, runs: [{ file: run.file, uiUrl: run.uiUrl, startedAt: 0 }], now: Date.now() }).lenses;
}

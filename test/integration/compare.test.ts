/**
 * Compare Runs and Measure Cache Impact against a real Spark (issue 7): the seed job run plain
 * and cached, finished and read back from the History Server, compared by exactly the code the
 * panel runs (features/compare/compareData.ts); every figure of the table is checked against sums computed
 * here, independently, from the raw /stages, /allexecutors, /storage/rdd and /applications JSON.
 * Then Measure Cache Impact's sequence (features/compare/cacheImpactRun.ts) runs seed_cached.py twice
 * through Run File with Observability's command line (launcher/submitCommand.ts) and the real
 * hook: once with df1's cache call switched off by SO_DISABLE_CACHE_AT, once as written.
 *
 * One job at a time (2 cores); every job started here has ended when its test returns.
 *
 *   bash scripts/spark-env.sh start && npm run compile-tests && node --test out/test/integration/compare.test.js
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { getJson, JOBS, makeStore, readEnv, REPO, runJob, settle, waitFor } from './env';
import { findingsForApp } from '../../src/model/lineHints';
import { buildComparison } from '../../src/features/compare/compareData';
import { measureCacheImpact, StartedRun } from '../../src/features/compare/cacheImpactRun';
import { newEventLogApps } from '../../src/model/compareView';
import { formatCacheImpact, percentChange, rip } from '../../src/model/compare';
import { comparisonToMarkdown, formatRip, ripTableToMarkdown } from '../../src/model/compareTables';
import { median } from '../../src/model/runStats';
import { buildSubmitCommand } from '../../src/launcher/submitCommand';
import { anyFreePort } from '../../src/launcher/freePort';
import type { Store } from '../../src/store/store';

const env = readEnv();
const ROWS = ['400000', '24'];
const CACHE_ROOT = process.env.SPARK_OBSERVATORY_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'spark-observatory');

interface RawStage {
  status: string;
  name: string;
  numCompleteTasks: number;
  numFailedTasks: number;
  executorRunTime: number;
  executorCpuTime: number;
  jvmGcTime: number;
  inputBytes: number;
  outputBytes: number;
  shuffleReadBytes: number;
  shuffleWriteBytes: number;
  memoryBytesSpilled: number;
  diskBytesSpilled: number;
  submissionTime?: string;
  completionTime?: string;
}
interface RawExecutor {
  id: string;
  peakMemoryMetrics?: Record<string, number>;
}
interface RawRdd {
  name: string;
  memoryUsed: number;
  diskUsed: number;
}
interface RawApp {
  id: string;
  name: string;
  attempts: { duration: number; completed: boolean; startTimeEpoch: number }[];
}
interface RawJob {
  submissionTime?: string;
  completionTime?: string;
}

/** Spark's REST dates: `2026-11-21T07:01:18.123GMT`. */
const sparkDate = (s: string) => Date.parse(s.replace(/GMT$/, 'Z'));

/** The table's figures, computed here from Spark's raw JSON without the extension's code. */
async function expectedFigures(base: string, id: string) {
  const app = await getJson<RawApp>(`${base}/api/v1/applications/${id}`);
  const stages = await getJson<RawStage[]>(`${base}/api/v1/applications/${id}/stages?details=false`);
  const executors = await getJson<RawExecutor[]>(`${base}/api/v1/applications/${id}/allexecutors`);
  const rdds = await getJson<RawRdd[]>(`${base}/api/v1/applications/${id}/storage/rdd`);
  const jobs = await getJson<RawJob[]>(`${base}/api/v1/applications/${id}/jobs`);
  const sum = (f: (s: RawStage) => number) => stages.reduce((t, s) => t + f(s), 0);
  const workers = executors.some((e) => e.id !== 'driver') ? executors.filter((e) => e.id !== 'driver') : executors;
  const peaks = workers.map((e) => e.peakMemoryMetrics).filter((p): p is Record<string, number> => !!p);
  const stageDurations = new Map<string, number>();
  for (const s of stages) {
    if (s.status === 'SKIPPED' || s.status === 'PENDING') continue;
    const d = s.submissionTime && s.completionTime ? Math.max(0, sparkDate(s.completionTime) - sparkDate(s.submissionTime)) : 0;
    stageDurations.set(s.name, (stageDurations.get(s.name) ?? 0) + d);
  }
  return {
    figures: {
      wallTimeMs: app.attempts[0].duration,
      jobTimeMs: Math.max(...jobs.map((j) => sparkDate(j.completionTime!))) - Math.min(...jobs.map((j) => sparkDate(j.submissionTime!))),
      executorRunTimeMs: sum((s) => s.executorRunTime),
      cpuTimeMs: sum((s) => s.executorCpuTime) / 1e6,
      gcTimeMs: sum((s) => s.jvmGcTime),
      inputBytes: sum((s) => s.inputBytes),
      outputBytes: sum((s) => s.outputBytes),
      shuffleReadBytes: sum((s) => s.shuffleReadBytes),
      shuffleWriteBytes: sum((s) => s.shuffleWriteBytes),
      memorySpillBytes: sum((s) => s.memoryBytesSpilled),
      diskSpillBytes: sum((s) => s.diskBytesSpilled),
      peakJvmHeapBytes: peaks.length ? Math.max(...peaks.map((p) => p.JVMHeapMemory ?? 0)) : undefined,
      peakStorageMemoryBytes: peaks.length ? peaks.reduce((t, p) => t + (p.OnHeapStorageMemory ?? 0) + (p.OffHeapStorageMemory ?? 0), 0) : undefined,
      // Served by the History Server: an empty storage list is not a figure (no block updates logged).
      cachedBytes: rdds.length > 0 ? rdds.reduce((t, r) => t + r.memoryUsed + r.diskUsed, 0) : undefined,
      tasks: sum((s) => s.numCompleteTasks),
      failedTasks: sum((s) => s.numFailedTasks),
    } as Record<string, number | undefined>,
    stageDurations,
    rdds,
  };
}

/**
 * Runs a fixture job to its end through scripts/run-job.sh; resolves with its application's
 * History Server key. Other jobs may write to the same event-log folder meanwhile: the new log
 * whose application has the job's name and started after we did is this run's.
 */
async function runToEnd(store: Store, file: string, name: string): Promise<{ id: string; key: string }> {
  const before = readdirSync(env.eventLogDir);
  const t0 = Date.now();
  // Held a few seconds after its work: on a quiet machine the job ends in ~9 s, and Prometheus
  // (2 s scrapes, new targets picked up from file_sd) needs more than two samples to overlay.
  const r = await runJob(file, { args: ROWS, env: { HOLD_SECONDS: '10' } });
  assert.equal(r.code, 0, r.output.slice(-3000));
  const fresh = newEventLogApps(before, readdirSync(env.eventLogDir));
  assert.ok(fresh.length >= 1, 'a new event log');
  return waitFor(async () => {
    await store.refresh();
    const e = store.applications().find((x) => fresh.includes(x.app.id) && x.app.name === name && x.via === 'history' && x.app.state === 'completed' && (x.app.startTime ?? 0) >= t0 - 5_000);
    return e ? { id: e.app.id, key: e.key } : undefined;
  }, { what: `the History Server to list the ${name} run as finished`, timeoutMs: 120_000, intervalMs: 1000 });
}

describe('compare runs: two real seed runs from the History Server', () => {
  let store: Store;
  let plain: { id: string; key: string };
  let cached: { id: string; key: string };

  before(async () => {
    store = makeStore([
      { name: 'history', url: env.historyUrl, kind: 'history', group: 'it' },
      { name: 'prometheus', url: env.prometheusUrl, kind: 'prometheus', group: 'it' },
    ]);
    plain = await runToEnd(store, 'seed_plain.py', 'seed-plain');
    cached = await runToEnd(store, 'seed_cached.py', 'seed-cached');
  });

  after(() => store?.dispose());

  test('every figure of the table equals the REST API\'s own aggregates, with RIP and % change', async () => {
    const keyA = plain.key;
    const keyB = cached.key;
    const a = await store.reads.run(keyA);
    const b = await store.reads.run(keyB);
    assert.equal(a.servedBy, 'History Server');
    assert.equal(a.app.name, 'seed-plain');
    assert.equal(b.app.name, 'seed-cached');
    const overlay = await store.reads.overlays(a, b, { scrapeIntervalSeconds: 2 });
    const c = buildComparison({ runs: [a] }, { runs: [b] }, overlay);

    const ea = await expectedFigures(env.historyUrl, plain.id);
    const eb = await expectedFigures(env.historyUrl, cached.id);
    assert.equal(c.data.rows.length, 16);
    for (const r of c.rows) {
      const va = ea.figures[r.metric];
      const vb = eb.figures[r.metric];
      assert.equal(r.a, va, `${r.label} A`);
      assert.equal(r.b, vb, `${r.label} B`);
      if (va === undefined || vb === undefined) continue;
      assert.equal(r.difference, vb - va, `${r.label} difference`);
      assert.equal(r.percentChange, va === 0 ? undefined : ((vb - va) * 100) / va, `${r.label} % change`);
      assert.equal(r.rip, va === 0 ? undefined : (va - vb) / va, `${r.label} RIP`);
      assert.equal(r.rip, rip(va, vb));
      assert.equal(r.percentChange, percentChange(va, vb));
    }
    // The jobs held their session 10 s after the work: wall time counts it, job time does not.
    assert.ok(c.a.jobTimeMs! + 10_000 <= c.a.wallTimeMs!, `job time ${c.a.jobTimeMs} vs wall time ${c.a.wallTimeMs}`);
    // A History Server lists no cached datasets of a finished application (Spark drops them when
    // it stops): cached bytes are 0 on both sides, and the note says where the cache shows instead.
    assert.deepEqual([ea.rdds.length, eb.rdds.length], [0, 0]);
    assert.ok(c.data.notes.some((n) => /no cached datasets of a finished application/.test(n)), c.data.notes.join(' | '));
    // run-job.sh logs stage executor metrics, so the History Server has peaks for both runs.
    assert.ok((c.a.peakJvmHeapBytes ?? 0) > 0 && (c.b.peakJvmHeapBytes ?? 0) > 0);
    assert.ok((c.b.peakStorageMemoryBytes ?? 0) > (c.a.peakStorageMemoryBytes ?? 0));

    // Stages matched by call site, durations as Spark's own timestamps give them.
    assert.ok(c.stages.matched.length > 0);
    for (const s of c.stages.matched) {
      assert.equal(s.a?.durationMs, ea.stageDurations.get(s.callSite), s.callSite);
      assert.equal(s.b?.durationMs, eb.stageDurations.get(s.callSite), s.callSite);
    }

    // Prometheus scraped both drivers: memory and GC overlaid from 0 s.
    assert.deepEqual(c.data.overlays.map((o) => o.id), ['storageMemory', 'jvmHeap', 'gcTime'], overlay.note);
    for (const o of c.data.overlays) {
      assert.ok(o.a.x.length > 2 && o.b.x.length > 2, o.id);
      assert.ok(o.a.x[0] >= 0 && o.b.x[0] >= 0);
      assert.equal(o.maxX, Math.max(o.a.x.at(-1)!, o.b.x.at(-1)!));
    }
    const storage = c.data.overlays.find((o) => o.id === 'storageMemory')!;
    assert.ok(Math.max(...storage.b.y.map((y) => y ?? 0)) > Math.max(...storage.a.y.map((y) => y ?? 0)), 'the cached run holds more storage memory');

    console.log(comparisonToMarkdown(c.a, c.b, c.rows));
    console.log(c.rows.map((r) => `${r.label}: RIP ${formatRip(r.rip)}`).join('; '));
    console.log(c.stages.matched.map((s) => `${s.callSite}: ${s.a?.durationMs} ms vs ${s.b?.durationMs} ms`).join('\n'));
  });

  test('the seed runs raise no finding (issue 15: a Spark engineer would sign nothing about them)', async () => {
    for (const r of [plain, cached]) store.watch(r.key, { parts: ['jobs', 'stages', 'executors', 'environment', 'storage'] });
    await settle(store);
    for (const r of [plain, cached]) {
      const e = store.entry(r.key)!;
      const fs = findingsForApp(store.detail(r.key)!.detail, {}, { app: e.app, now: Date.now() });
      console.log(`    ${e.app.name}: ${fs.map((f) => `${f.severity} ${f.rule}: ${f.message}`).join(' | ') || 'no finding'}`);
      assert.deepEqual(fs.map((f) => f.rule), []);
    }
  });
});

function venv(version: string): { python: string; sparkSubmit: string } {
  const dir = join(CACHE_ROOT, `pyspark-${version}`);
  const lib = join(dir, 'lib');
  const py = existsSync(lib) ? readdirSync(lib).find((d) => d.startsWith('python3')) : undefined;
  const sparkSubmit = py ? join(lib, py, 'site-packages', 'pyspark', 'bin', 'spark-submit') : '';
  if (!py || !existsSync(sparkSubmit)) throw new Error(`no pyspark ${version} virtualenv in ${dir} (scripts/provision.sh)`);
  return { python: join(dir, 'bin', 'python'), sparkSubmit };
}

describe('measure cache impact on the seed job', () => {
  let store: Store;
  const outputs: { variant: string; output: () => string; ended: () => boolean }[] = [];
  const eventsFiles: string[] = [];

  before(() => {
    store = makeStore([{ name: 'history', url: env.historyUrl, kind: 'history', group: 'it' }]);
  });
  after(() => store?.dispose());

  test('runs the job without df1\'s cache (the hook\'s switch) and as written, and compares them from the History Server', async () => {
    const file = join(JOBS, 'seed_cached.py');
    const lines = readFileSync(file, 'utf8').split('\n');
    const cacheLine = lines.findIndex((l) => l.trim() === 'df1.cache()');
    assert.ok(cacheLine > 0);
    const v = venv(env.pysparkVersion);
    const start = async (variant: 'withoutCache' | 'withCache'): Promise<StartedRun> => {
      const eventsFile = join(tmpdir(), `so-measure-${process.pid}-${Date.now()}.jsonl`);
      eventsFiles.push(eventsFile);
      // Exactly the command line Run File with Observability runs.
      const cmd = buildSubmitCommand({
        sparkSubmit: v.sparkSubmit,
        file,
        args: ROWS,
        master: 'local[2]',
        uiPort: await anyFreePort(),
        eventLogDir: env.eventLogDir,
        hookDir: join(REPO, 'src', 'launcher', 'python'),
        python: v.python,
        disableCacheAt: variant === 'withoutCache' ? [{ file, line: cacheLine + 1 }] : [],
        eventsFile,
        extraConf: { 'spark.ui.showConsoleProgress': 'false', 'spark.eventLog.logStageExecutorMetrics': 'true' },
      });
      let out = '';
      const proc = spawn(cmd.command, [...cmd.args], { env: { ...process.env, ...cmd.env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      proc.stdout!.on('data', (d) => (out += d));
      proc.stderr!.on('data', (d) => (out += d));
      outputs.push({ variant, output: () => out, ended: () => proc.exitCode !== null || proc.signalCode !== null });
      const startedAt = Date.now();
      return {
        pid: proc.pid,
        startedAt,
        exited: new Promise((res) => proc.on('close', (code) => res(code))),
        uiUrl: () => cmd.uiUrl,
        requestedUiUrl: cmd.uiUrl,
        stop: () => process.kill(-proc.pid!, 'SIGTERM'),
        // Measure Cache Impact checks that the hook did switch the cache off.
        eventsFile,
      };
    };
    const progress: string[] = [];
    // Two runs of each variant, interleaved: the fewest with a median and a spread (the default is 3).
    const m = await measureCacheImpact({ store, start, eventLogDir: env.eventLogDir, progress: (msg) => progress.push(msg), pollMs: 1000 }, 2);
    assert.equal(m.withoutCache.length, 2);
    assert.equal(m.withCache.length, 2);
    assert.deepEqual(outputs.map((o) => o.variant), ['withoutCache', 'withCache', 'withoutCache', 'withCache']);
    // The hook switched the call off in the first run only; the file was not edited.
    assert.match(outputs[0].output(), new RegExp(`df1\\.cache\\(\\) at ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:${cacheLine + 1} switched off by SO_DISABLE_CACHE_AT`));
    assert.doesNotMatch(outputs[1].output(), /switched off/);
    assert.match(outputs[2].output(), /switched off by SO_DISABLE_CACHE_AT/);
    assert.doesNotMatch(outputs[3].output(), /switched off/);
    assert.equal(readFileSync(file, 'utf8'), lines.join('\n'));
    // Both runs ended before the measurement went on (one job at a time).
    assert.ok(outputs.every((o) => o.ended()));

    // The hook's own record: df1's call skipped in the first run, both cached in the second.
    const events = (i: number) => readFileSync(eventsFiles[i], 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: string; line?: number });
    assert.deepEqual(events(0).filter((e) => e.event === 'disabled').map((e) => e.line), [cacheLine + 1]);
    assert.deepEqual(events(0).filter((e) => e.event === 'cache').map((e) => e.line), [cacheLine + 3]);
    assert.deepEqual(events(1).filter((e) => e.event === 'cache').map((e) => e.line), [cacheLine + 1, cacheLine + 3]);

    const read = (runs: typeof m.withoutCache) => Promise.all(runs.map((r) => store.reads.run(r.key)));
    const c = buildComparison({ runs: await read(m.withoutCache), role: 'without the cache' }, { runs: await read(m.withCache), role: 'with the cache' });
    const ea = await Promise.all(m.withoutCache.map((r) => expectedFigures(env.historyUrl, r.appId)));
    const eb = await Promise.all(m.withCache.map((r) => expectedFigures(env.historyUrl, r.appId)));
    assert.equal(c.rows.length, 16);
    assert.deepEqual([c.data.a.runs, c.data.b.runs], [2, 2]);
    // Each figure is the median of the side's runs, with their range, computed here from REST.
    for (const r of c.rows) {
      for (const [side, e] of [['a', ea], ['b', eb]] as const) {
        const values = e.map((x) => x.figures[r.metric]);
        const spread = side === 'a' ? r.aSpread : r.bSpread;
        if (values.some((v) => v === undefined)) {
          assert.equal(r[side], undefined, `${r.label} ${side}: not reported by a run`);
          continue;
        }
        const xs = values as number[];
        assert.equal(r[side], median(xs), `${r.label} ${side} median`);
        assert.deepEqual([spread?.n, spread?.min, spread?.max], [2, Math.min(...xs), Math.max(...xs)], `${r.label} ${side} range`);
      }
      if (r.aSpread && r.bSpread) {
        const noise = Math.max(r.aSpread.max - r.aSpread.min, r.bSpread.max - r.bSpread.min);
        const d = r.b! - r.a!;
        if (d !== 0 && Math.abs(d) <= noise) assert.equal(r.verdict, 'noise', `${r.label}: within the runs' own spread`);
        if (Math.abs(d) > noise && r.lowerIsBetter) assert.equal(r.verdict, d < 0 ? 'better' : 'worse', r.label);
      }
    }
    // df1 in storage memory: the run with the cache peaks higher.
    const storage = c.rows.find((r) => r.metric === 'peakStorageMemoryBytes')!;
    assert.ok(storage.difference! > 0, `peak storage ${storage.a} → ${storage.b}`);
    const text = formatCacheImpact(c.rows);
    assert.match(text, /^cache: ([+−]?\d+ % time|time within noise), \+[\d.]+ (KiB|MiB|GiB) storage$/);
    console.log(progress.join('\n'));
    console.log(text);
    console.log(comparisonToMarkdown(c.a, c.b, c.rows));
    console.log(ripTableToMarkdown(c.rows, { a: 'Without df1.cache()', b: 'With df1.cache()' }));
  });
});

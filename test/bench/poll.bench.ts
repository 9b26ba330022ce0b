/**
 * The store's cost per poll of one watched application (DESIGN.md: ≤ 5 requests whatever the
 * number of executors, stages or jobs; never `details=true`, never `/sql`; host CPU ≤ 5 ms per
 * poll at 1,000 executors and ≤ 50 ms at 10,000; no memory growth over 1,000 polls).
 *
 * The application is served by a FAKE Spark REST API (sparkFake.ts: real Spark 4.3.0 answers
 * replicated to N executors; a real Spark cannot run 1,000 executors on 2 cores). The store runs
 * in a child process (pollWorker.ts, --expose-gc) so that its CPU time is not mixed with the
 * server's. SO_BENCH_POLLS (default 50) sets the measured polls per size.
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { BenchResult, median, OUT_TEST, percentile, progress, round, runAlone } from './common';
import { startFakeSpark } from './sparkFake';
import type { WorkerConfig, WorkerResult } from './pollWorker';

const MAX_REQUESTS = 5;
const CPU_BUDGET_MS: Record<number, number> = { 1000: 5, 10000: 50 };
const MEMORY_POLLS = 1000;
const MEMORY_EXECUTORS = 1000;

function worker(cfg: WorkerConfig): Promise<WorkerResult> {
  return new Promise((resolve, reject) =>
    execFile(
      process.execPath,
      ['--expose-gc', path.join(OUT_TEST, 'bench', 'pollWorker.js'), JSON.stringify(cfg)],
      { timeout: 900_000, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`pollWorker failed: ${err.message}\n${stderr}`));
        try {
          resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '') as WorkerResult);
        } catch {
          reject(new Error(`pollWorker printed no JSON:\n${stdout}\n${stderr}`));
        }
      },
    ),
  );
}

const kb = (b: number) => round(b / 1024, 1);

async function cpuRun(executors: number, polls: number): Promise<BenchResult[]> {
  const fake = await startFakeSpark({ executors });
  const label = `${executors.toLocaleString('en')} executors`;
  try {
    const perPollBytes = ['applications', 'allexecutors', 'jobs', 'stages', 'storage/rdd'].reduce((a, k) => a + fake.sizes[k], 0);
    progress('poll', `${label}: answers of ${kb(perPollBytes)} KB per poll (allexecutors ${kb(fake.sizes.allexecutors)} KB, storage/rdd ${kb(fake.sizes['storage/rdd'])} KB); ${polls} polls…`);
    const r = await worker({ url: fake.url, mode: 'cpu', warmup: executors >= 10_000 ? 3 : 5, polls });
    const detailsTrue = fake.log.filter((l) => /[?&]details=true/i.test(l.query)).length;
    const sql = fake.log.filter((l) => /\/sql(\/|$)/.test(l.path)).length;
    const expected = executors + Math.min(100, Math.ceil(executors / 20)) + 1;
    // Task summaries: one stage per request, each finished stage once; listed as one kind.
    const summaries = r.distinct.filter((d) => d.path.endsWith('/taskSummary')).length;
    const distinct = [
      ...new Set(
        r.distinct.map((d) =>
          d.path.endsWith('/taskSummary')
            ? `…/stages/{stage}/{attempt}/taskSummary?${d.params} (${summaries} stages)`
            : `${d.path.replace(/applications\/[^/]+/, 'applications/{id}')}${d.params ? `?${d.params}` : ''}`,
        ),
      ),
    ].sort();
    const budget = CPU_BUDGET_MS[executors];
    return [
      {
        name: `poll: requests per poll of the watched application, max (${label})`,
        value: Math.max(...r.appRequests),
        unit: 'requests',
        budget: MAX_REQUESTS,
        note: `over ${polls} polls after warm-up; distinct requests: ${distinct.join(', ')}`,
      },
      {
        name: `poll: requests per poll including the source's application list, max (${label})`,
        value: Math.max(...r.requests),
        unit: 'requests',
        note: 'the list (api/v1/applications) is one request per source and poll, shared by all its applications',
      },
      { name: `poll: host CPU per poll, median (${label})`, value: round(median(r.cpuMs), 2), unit: 'ms', budget },
      {
        name: `poll: host CPU per poll, p95 (${label})`,
        value: round(percentile(r.cpuMs, 95), 2),
        unit: 'ms',
        budget,
        note: `process.cpuUsage of the store's process around store.pollOnce (HTTP client, JSON.parse, parsing, GC); wall time median ${round(median(r.wallMs), 1)} ms, p95 ${round(percentile(r.wallMs, 95), 1)} ms; ${kb(perPollBytes)} KB of JSON per poll; the store saw ${r.executorsSeen} of ${expected} executor entries${r.detailError ? `; ERROR: ${r.detailError}` : ''}`,
      },
      {
        name: `poll: CPU of the allexecutors answer alone, median (${label})`,
        value: round(r.perEndpointCpuMs.allexecutors ?? NaN, 2),
        unit: 'ms',
        note: `each request of a poll made alone and parsed (sparkRest.ts), median of 10: ${Object.entries(r.perEndpointCpuMs).map(([k, v]) => `${k} ${round(v, 2)} ms (${kb(fake.sizes[k] ?? 0)} KB)`).join(', ')}`,
      },
      { name: `poll: requests with details=true (${label})`, value: detailsTrue, unit: 'requests', budget: 0 },
      { name: `poll: requests to /sql (${label})`, value: sql, unit: 'requests', budget: 0 },
    ];
  } finally {
    await fake.close();
  }
}

async function memoryRun(): Promise<BenchResult[]> {
  const fake = await startFakeSpark({ executors: MEMORY_EXECUTORS });
  try {
    progress('poll', `memory: ${MEMORY_POLLS} polls at ${MEMORY_EXECUTORS} executors, heap after forced GC every 100 polls…`);
    const checkpoints = Array.from({ length: MEMORY_POLLS / 100 }, (_, i) => (i + 1) * 100);
    const r = await worker({ url: fake.url, mode: 'memory', warmup: 0, polls: MEMORY_POLLS, checkpoints });
    const at = (p: number) => r.heap.find((h) => h.poll === p);
    const first = at(100);
    const last = at(MEMORY_POLLS);
    if (!first || !last) throw new Error(`no heap reading at poll 100 or ${MEMORY_POLLS}`);
    // Least-squares slope over the checkpoints: a steady leak shows as a positive slope.
    const slope = (ys: number[]) => {
      const xs = r.heap.map((h) => h.poll);
      const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
      const my = ys.reduce((a, b) => a + b, 0) / ys.length;
      return xs.reduce((a, x, i) => a + (x - mx) * (ys[i] - my), 0) / xs.reduce((a, x) => a + (x - mx) ** 2, 0);
    };
    const label = `${MEMORY_EXECUTORS.toLocaleString('en')} executors`;
    const d = r.snapshotDiff;
    // "No growth" read as: no kind of object is kept per poll. A leak of anything per poll shows
    // as a count growing by about one per poll (900 between the snapshots); V8's internal tables
    // move by a few objects and a few KB either way.
    const perPoll = d ? d.maxCountGrowth.count / (MEMORY_POLLS - 100) : NaN;
    return [
      {
        name: `poll: objects kept per poll, heap snapshots at polls 100 and ${MEMORY_POLLS} (${label})`,
        value: round(perPoll, 4),
        unit: 'objects/poll',
        budget: 0.1,
        note: `the largest growth in count of any kind of object (data, not V8's compiled code): ${d ? `${d.maxCountGrowth.name || 'none'} +${d.maxCountGrowth.count}` : 'n/a'}, divided by the ${MEMORY_POLLS - 100} polls between the snapshots; a leak of one object per poll would read ≥ 1`,
      },
      {
        name: `poll: retained data growth from poll 100 to poll ${MEMORY_POLLS}, heap snapshots (${label})`,
        value: d ? kb(d.dataBytes) : NaN,
        unit: 'KB',
        note: d
          ? `heap snapshots after polls 100 and ${MEMORY_POLLS}, self sizes of objects, strings, arrays, closures (V8's compiled code, deopt data and other "hidden" compiler structures excluded: +${kb(d.jitBytes)} KB). Largest changes: ${d.top.map((t) => `${t.name} ${t.count >= 0 ? '+' : ''}${t.count} (${kb(t.bytes)} KB)`).join(', ')}`
          : 'no heap snapshot diff',
      },
      {
        name: `poll: heapUsed growth from poll 100 to poll ${MEMORY_POLLS} (${label})`,
        value: kb(last.heapUsed - first.heapUsed),
        unit: 'KB',
        note: `after forced GCs, everything V8 holds incl. the JIT's code and metadata: ${r.heap.map((h) => `${h.poll}: ${kb(h.heapUsed)} KB`).join(', ')}; least-squares slope ${round(slope(r.heap.map((h) => h.heapUsed)), 1)} B/poll; code spaces ${kb(first.code)} → ${kb(last.code)} KB`,
      },
      { name: `poll: heap at poll 100 (${label})`, value: kb(first.heapUsed), unit: 'KB' },
    ];
  } finally {
    await fake.close();
  }
}

export async function run(): Promise<BenchResult[]> {
  const polls = Number(process.env.SO_BENCH_POLLS ?? 50);
  const rows: BenchResult[] = [];
  rows.push(...(await cpuRun(1000, polls)));
  rows.push(...(await cpuRun(10_000, polls)));
  rows.push(...(await memoryRun()));
  return rows;
}

if (require.main === module) runAlone(run);

/**
 * The store's cost per poll of one watched application, this release beside the previous one
 * (previousRelease.ts, built from git in the same run), against the same fake driver (DESIGN.md
 * "Budgets": ≤ 5 requests whatever the size, never `details=true` or `/sql`; host CPU per poll
 * ≤ 5 ms at 1,000 executors, ≤ 50 ms at 10,000, ≤ 1 ms when nothing changed; ≤ 100 KB read per
 * poll at 10,000 executors while the executor list is closed; no memory growth over 1,000 polls).
 *
 * The application is served by a FAKE Spark driver (sparkFake.ts, fakeModel.ts: real 4.3.0
 * answers replicated to N executors; a real Spark cannot run 1,000 executors on 2 cores), in two
 * scenarios: nothing changes between polls (`static`), and a job runs (`running`: task counts
 * move every poll, a job completes every 10 polls, cached data moves every 25). Each run gets a
 * fresh fake, so both releases see the same polls. The store runs in a child process (this
 * release: pollWorker.ts; the previous one: its own worker, which calls its `pollOnce(false)`),
 * so its CPU time is not mixed with the server's. Bytes per poll are counted by the fake: the
 * JSON text of each answer, and what went over the wire (gzip, as Spark's Jetty sends it).
 *
 * SO_BENCH_POLLS (100) sets the measured polls of this release, SO_BENCH_PREVIOUS_POLLS (30) the
 * previous release's (the same work every poll: fewer suffice, and a 10,000-executor poll of it
 * reads 26 MB).
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import type { Part } from '../../src/model/summary';
import { BenchResult, mean, median, OUT_TEST, percentile, progress, round, runAlone } from './common';
import { buildPrevious, PreviousBuild, PreviousWorkerResult } from './previousRelease';
import { LoggedRequest, Scenario, startFakeSpark } from './sparkFake';
import type { WorkerConfig, WorkerResult } from './pollWorker';

const MAX_REQUESTS = 5;
const CPU_BUDGET_MS: Record<number, number> = { 1000: 5, 10000: 50 };
const UNCHANGED_BUDGET_MS = 1;
const CLOSED_BYTES_BUDGET_KB = 100;
const INTERVAL_MS = 3000;
// The previous release fetches the fake's 16 task summaries one per poll: a 2 KB request beside
// its 4 lists of up to 26 MB, left in its measured polls rather than waited out.
const WARMUP = { now: 10, previous: 5 };
const MEMORY_POLLS = 1000;
/**
 * Memory is measured once the store holds the application's retained data: it reads the task
 * summaries of the retained finished stages (about 400 here, 200 jobs of 2 stages) with the
 * requests a poll has left after the running job's reads, which takes several hundred polls.
 * Measured from poll 100 without this, that catch-up read as 4 objects kept per poll; from poll
 * 1,000 to 3,000 the counts of stages, jobs and summaries held were the same (heap snapshots,
 * SO_BENCH_HEAP_SNAPSHOTS in pollWorker.ts).
 */
const MEMORY_WARMUP = 1000;
const MEMORY_EXECUTORS = 1000;
const SIZES = [1000, 10_000];
const SCENARIOS: readonly Scenario[] = ['static', 'running'];
/** An application's node expanded in a visible tree (appsTree.ts APP_PARTS), its executor list closed or open. */
const TREE_PARTS: readonly Part[] = ['jobs', 'stages', 'environment'];
const LISTS = [
  { list: 'closed', parts: TREE_PARTS },
  { list: 'open', parts: [...TREE_PARTS, 'executors'] as Part[] },
] as const;

function child<T>(script: string, cfg: object): Promise<T> {
  return new Promise((resolve, reject) =>
    execFile(process.execPath, ['--expose-gc', script, JSON.stringify(cfg)], { timeout: 1_200_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${path.basename(script)} failed: ${err.message}\n${stderr}`));
      try {
        resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '') as T);
      } catch {
        reject(new Error(`${path.basename(script)} printed no JSON:\n${stdout}\n${stderr}`));
      }
    }),
  );
}

const kb = (b: number) => round(b / 1024, 1);

/** One release's polls of one scenario, as the bench reads them. */
interface Measured {
  readonly cpuMs: number[];
  readonly wallMs: number[];
  readonly appRequests: number[];
  readonly requests: number[];
  /** Per measured poll, counted by the fake: JSON text and bytes sent. */
  readonly bytes: number[];
  readonly wire: number[];
  readonly distinct: string[];
  readonly detail: string;
  readonly log: readonly LoggedRequest[];
}

function perPoll(log: readonly LoggedRequest[], after: number, polls: number): { bytes: number[]; wire: number[] } {
  const bytes = new Array<number>(polls).fill(0);
  const wire = new Array<number>(polls).fill(0);
  for (const l of log) {
    const i = l.tick - after - 1;
    if (i < 0 || i >= polls) continue;
    bytes[i] += l.bytes;
    wire[i] += l.wireBytes;
  }
  return { bytes, wire };
}

function kinds(distinct: readonly { path: string; params: string }[]): string[] {
  const summaries = distinct.filter((d) => d.path.endsWith('/taskSummary')).length;
  return [
    ...new Set(
      distinct.map((d) =>
        d.path.endsWith('/taskSummary')
          ? `…/stages/{stage}/{attempt}/taskSummary (${summaries} stages)`
          : `${d.path.replace(/applications\/[^/]+/, 'applications/{id}')}${d.params ? `?${d.params}` : ''}`,
      ),
    ),
  ].sort();
}

async function measure(who: 'now' | PreviousBuild, scenario: Scenario, executors: number, parts: readonly Part[], polls: number): Promise<Measured> {
  const fake = await startFakeSpark({ executors, scenario, tickOn: who === 'now' ? 'request' : 'applications' });
  try {
    const warmup = who === 'now' ? WARMUP.now : WARMUP.previous;
    // Ticks 1..1+warmup are the first poll (the application is found) and the warm-up.
    const after = 1 + warmup;
    if (who === 'now') {
      // Nothing changes: measured once the store has caught up (no change announced 3 polls in a row).
      const cfg: WorkerConfig = { url: fake.url, tickUrl: `${fake.url}/bench/tick`, mode: 'cpu', warmup, ...(scenario === 'static' ? { settle: 3 } : {}), polls, parts, intervalMs: INTERVAL_MS };
      const r = await child<WorkerResult>(path.join(OUT_TEST, 'bench', 'pollWorker.js'), cfg);
      const { bytes, wire } = perPoll(fake.log, after + (r.settled?.polls ?? 0), polls);
      const client = r.textBytes.reduce((a, b) => a + b, 0);
      const changed = r.announced.filter((a) => a > 0).length;
      return {
        ...r,
        bytes,
        wire,
        log: fake.log,
        distinct: kinds(r.distinct),
        detail: `${r.settled ? `measured after the store's catch-up on the application (${r.settled.polls} polls, ${round(r.settled.cpuMs, 1)} ms CPU in all, reading a task summary per retained finished stage); ` : ''}${changed} of ${polls} polls announced a changed list; the store holds ${r.executorsSeen} executors and ${r.jobsSeen} jobs${r.detailError ? `; ERROR: ${r.detailError}` : ''}; the client received ${kb(client)} KB of text in all (the fake counted ${kb(bytes.reduce((a, b) => a + b, 0))} KB)`,
      };
    }
    // The previous worker makes its own per-request measurements after its polls: one poll more
    // than needed keeps them out of the polls read here.
    const r = await child<PreviousWorkerResult>(who.worker, { url: fake.url, mode: 'cpu', warmup, polls: polls + 1 });
    const { bytes, wire } = perPoll(fake.log, after, polls);
    return {
      cpuMs: r.cpuMs.slice(0, polls),
      wallMs: r.wallMs.slice(0, polls),
      appRequests: r.appRequests.slice(0, polls),
      requests: r.requests.slice(0, polls),
      bytes,
      wire,
      log: fake.log,
      distinct: kinds(r.distinct),
      detail: `the store holds ${r.executorsSeen} executors${r.detailError ? `; ERROR: ${r.detailError}` : ''}`,
    };
  } finally {
    await fake.close();
  }
}

function rows(scenario: Scenario, executors: number, list: string, now: Measured, prev: Measured | undefined, polls: number): BenchResult[] {
  const label = `${scenario === 'static' ? 'nothing changed' : 'a job running'}, ${executors.toLocaleString('en')} executors, executor list ${list}`;
  const cpuBudget = scenario === 'static' ? UNCHANGED_BUDGET_MS : CPU_BUDGET_MS[executors];
  const p = (f: (m: Measured) => number) => (prev ? round(f(prev), 2) : undefined);
  const cpuMedian = (m: Measured) => median(m.cpuMs);
  const cpu95 = (m: Measured) => percentile(m.cpuMs, 95);
  const bytes = (m: Measured) => kb(mean(m.bytes));
  const wire = (m: Measured) => kb(mean(m.wire));
  const reqs = (m: Measured) => Math.max(...m.appRequests);
  const prevNote = prev ? `; previous release (${prev.cpuMs.length} polls): ${prev.distinct.join(', ')}; ${prev.detail}` : '';
  return [
    {
      name: `poll: host CPU per poll, median (${label})`,
      value: round(cpuMedian(now), 2),
      previous: p(cpuMedian),
      unit: 'ms',
      budget: cpuBudget,
      note: `process.cpuUsage of the store's process around each poll (HTTP client, gunzip, JSON.parse, parsing, GC), ${polls} polls at a simulated ${INTERVAL_MS / 1000} s interval; wall time median ${round(median(now.wallMs), 1)} ms, p95 ${round(percentile(now.wallMs, 95), 1)} ms; ${now.detail}`,
    },
    { name: `poll: host CPU per poll, p95 (${label})`, value: round(cpu95(now), 2), previous: p(cpu95), unit: 'ms' },
    {
      name: `poll: JSON read per poll, mean (${label})`,
      value: bytes(now),
      previous: p(bytes),
      unit: 'KB',
      budget: executors === 10_000 && list === 'closed' ? CLOSED_BYTES_BUDGET_KB : undefined,
      note: `text of every answer of the measured polls (the source's application list included), counted by the fake; max ${kb(Math.max(...now.bytes))} KB in one poll`,
    },
    { name: `poll: bytes on the wire per poll (gzip), mean (${label})`, value: wire(now), previous: p(wire), unit: 'KB' },
    {
      name: `poll: requests per poll of the application, max (${label})`,
      value: reqs(now),
      previous: p(reqs),
      unit: 'requests',
      budget: MAX_REQUESTS,
      note: `plus the source's application list (one per source and poll); distinct requests: ${now.distinct.join(', ')}${prevNote}`,
    },
  ];
}

async function memoryRun(): Promise<BenchResult[]> {
  // No gzip: bytes are not what this run measures, and compressing 2 MB a poll would double its time.
  const fake = await startFakeSpark({ executors: MEMORY_EXECUTORS, scenario: 'running', gzip: false, tickOn: 'request' });
  try {
    progress('poll', `memory: ${MEMORY_POLLS} polls, a job running at ${MEMORY_EXECUTORS} executors, executor list open, heap after forced GCs every 100 polls…`);
    const checkpoints = Array.from({ length: MEMORY_POLLS / 100 }, (_, i) => (i + 1) * 100);
    const cfg: WorkerConfig = { url: fake.url, tickUrl: `${fake.url}/bench/tick`, mode: 'memory', warmup: MEMORY_WARMUP, catchUp: true, polls: MEMORY_POLLS, parts: LISTS[1].parts, intervalMs: INTERVAL_MS, checkpoints };
    const r = await child<WorkerResult>(path.join(OUT_TEST, 'bench', 'pollWorker.js'), cfg);
    const at = (poll: number) => r.heap.find((h) => h.poll === poll);
    const first = at(100);
    const last = at(MEMORY_POLLS);
    if (!first || !last) throw new Error(`no heap reading at poll 100 or ${MEMORY_POLLS}`);
    // Least-squares slope over the checkpoints: a steady leak shows as a positive slope.
    const xs = r.heap.map((h) => h.poll);
    const ys = r.heap.map((h) => h.heapUsed);
    const [mx, my] = [mean(xs), mean(ys)];
    const slope = xs.reduce((a, x, i) => a + (x - mx) * (ys[i] - my), 0) / xs.reduce((a, x) => a + (x - mx) ** 2, 0);
    const label = `a job running, ${MEMORY_EXECUTORS.toLocaleString('en')} executors, executor list open`;
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
        note: `the largest growth in count of any kind of object (data, not V8's compiled code): ${d ? `${d.maxCountGrowth.name || 'none'} +${d.maxCountGrowth.count}` : 'n/a'}, divided by the ${MEMORY_POLLS - 100} polls between the snapshots, taken after ${MEMORY_WARMUP} polls of warm-up and the store's catch-up on the application (${r.settled?.polls ?? 0} more polls; reading a task summary per retained finished stage is data bounded by Spark's retention, not growth per poll); a leak of one object per poll would read ≥ 1; ${fake.tick} polls served, ${Math.floor(fake.tick / 10)} jobs completed meanwhile`,
      },
      {
        name: `poll: retained data growth from poll 100 to poll ${MEMORY_POLLS}, heap snapshots (${label})`,
        value: d ? kb(d.dataBytes) : NaN,
        unit: 'KB',
        note: d
          ? `self sizes of objects, strings, arrays, closures (V8's compiled code, deopt data and other "hidden" compiler structures excluded: +${kb(d.jitBytes)} KB). Largest changes: ${d.top.map((t) => `${t.name} ${t.count >= 0 ? '+' : ''}${t.count} (${kb(t.bytes)} KB)`).join(', ')}`
          : 'no heap snapshot diff',
      },
      {
        name: `poll: heapUsed growth from poll 100 to poll ${MEMORY_POLLS} (${label})`,
        value: kb(last.heapUsed - first.heapUsed),
        unit: 'KB',
        note: `after forced GCs, everything V8 holds incl. the JIT's code and metadata: ${r.heap.map((h) => `${h.poll}: ${kb(h.heapUsed)} KB`).join(', ')}; least-squares slope ${round(slope, 1)} B/poll; code spaces ${kb(first.code)} → ${kb(last.code)} KB`,
      },
      { name: `poll: heap at poll 100 (${label})`, value: kb(first.heapUsed), unit: 'KB' },
    ];
  } finally {
    await fake.close();
  }
}

export async function run(): Promise<BenchResult[]> {
  const polls = Number(process.env.SO_BENCH_POLLS ?? 100);
  const previousPolls = Math.min(polls, Number(process.env.SO_BENCH_PREVIOUS_POLLS ?? 30));
  const out: BenchResult[] = [];
  const logs: LoggedRequest[] = [];
  progress('poll', 'building the previous release from git…');
  const prev = buildPrevious();
  const prevBuild = 'worker' in prev ? prev : undefined;
  if (!prevBuild) progress('poll', `previous release unavailable: ${'unavailable' in prev ? prev.unavailable : ''}`);
  try {
    for (const scenario of SCENARIOS) {
      for (const n of SIZES) {
        const label = `${scenario}, ${n.toLocaleString('en')} executors`;
        let before: Measured | undefined;
        if (prevBuild) {
          progress('poll', `${label}: previous release (${prevBuild.commit.slice(0, 7)}), ${previousPolls} polls…`);
          before = await measure(prevBuild, scenario, n, TREE_PARTS, previousPolls);
          logs.push(...before.log);
        }
        for (const { list, parts } of LISTS) {
          progress('poll', `${label}, executor list ${list}: this release, ${polls} polls…`);
          const now = await measure('now', scenario, n, parts, polls);
          logs.push(...now.log);
          out.push(...rows(scenario, n, list, now, before, polls));
        }
      }
    }
  } finally {
    prevBuild?.dispose();
  }
  const detailsTrue = logs.filter((l) => /[?&]details=true/i.test(l.query)).length;
  const sql = logs.filter((l) => /\/sql(\/|$)/.test(l.path)).length;
  out.push(
    { name: 'poll: requests with details=true (every run above, both releases)', value: detailsTrue, unit: 'requests', budget: 0 },
    { name: 'poll: requests to /sql (every run above, both releases)', value: sql, unit: 'requests', budget: 0 },
    {
      name: 'poll: previous release measured beside this one',
      value: prevBuild ? 1 : 0,
      unit: 'yes/no',
      note: prevBuild
        ? `commit ${prevBuild.commit} (src/store.ts, test/bench/pollWorker.ts) built from git with this repository's TypeScript; its store reads every list of a watched application each poll whatever is open, so one run of it stands beside both the closed and the open list; ${previousPolls} polls after ${WARMUP.previous} of warm-up (its task summaries come one per poll, beside its four lists)`
        : 'unavailable' in prev
          ? prev.unavailable
          : '',
    },
  );
  out.push(...(await memoryRun()));
  return out;
}

if (require.main === module) runAlone(run);

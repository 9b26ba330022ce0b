/**
 * Child process of poll.bench.ts (started with --expose-gc): the real Store (src/store/) with the
 * real HTTP client, driven as the extension drives it while one application's node is expanded in
 * a visible tree: `store.watch(key, { parts })` (the tree's jobs, stages and environment; plus
 * executors when the executor list is open) and the status bar's light watch (executors and
 * storage, wanted only while the application is small), then `store.pollDue()` (what the
 * scheduler's timers would run, not forced) in a loop.
 *
 * The loop stands in for the scheduler's timers: the window counts as unfocused, so no timer of
 * the store's own runs between the polls measured, and the store's clock (`deps.now`) advances
 * by the refresh interval before each poll, so what the store decides from ages and intervals
 * (a list read at least every 30 s, big lists parsed at most every so often, a live driver's
 * one-application list read at the status bar's pace) happens as it would at one poll per 3 s. Measured around each poll: this process's CPU time (process.cpuUsage: the store, the HTTP
 * client, gunzip, JSON parsing, GC), wall time, the requests made and the JSON text received (by
 * wrapping the client the store gets from its factory). Prints one JSON line.
 *
 *   node --expose-gc out/test/bench/pollWorker.js '{"url":"http://127.0.0.1:P","mode":"cpu","warmup":10,"polls":100,"parts":["jobs","stages","environment"],"intervalMs":3000}'
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
import { createHttpClient, HttpClient, parseJsonText } from '../../src/sources/http';
import type { Part } from '../../src/model/summary';
import { parseChangeKey } from '../../src/store/changes';
import { Store } from '../../src/store/store';
import { MAX_REQUESTS_PER_POLL } from '../../src/store/appReads';
import { needsTaskSummary } from '../../src/model/rules';
import { diffHeaps, heapByName, HeapByName, SnapshotDiff } from './heapDiff';

/** The most polls spent waiting for the store to settle. */
const SETTLE_MAX = 1000;

export interface WorkerConfig {
  readonly url: string;
  readonly mode: 'cpu' | 'memory';
  readonly warmup: number;
  /**
   * After the warm-up, poll on until this many polls in a row announce no change (at most
   * SETTLE_MAX polls): the store's catch-up on a newly watched application (a task summary per
   * retained finished stage, a few per poll) is over, and the measured polls are unchanged ones.
   */
  readonly settle?: number;
  /**
   * Before the polls counted: poll until the store holds a task summary for every finished
   * stage it lists but the newest few (one poll's worth), at most SETTLE_MAX polls. Of a running
   * application: its catch-up over the stages Spark retains is data bounded by that retention,
   * not growth per poll, and would otherwise fall between the memory checkpoints.
   */
  readonly catchUp?: boolean;
  readonly polls: number;
  /** Asked before each poll, outside the measurement: the fake advances its model by a poll. */
  readonly tickUrl?: string;
  /** What the application's node wants: the tree's parts, with 'executors' when its list is open. */
  readonly parts: readonly Part[];
  /** The store's clock advances by this much before each poll (the refresh interval). */
  readonly intervalMs: number;
  /** memory mode: polls after which the heap is read (after forced GCs). */
  readonly checkpoints?: readonly number[];
}

export interface RequestSeen {
  readonly path: string;
  readonly params: string;
}

export interface WorkerResult {
  readonly cpuMs: number[];
  readonly wallMs: number[];
  /** Requests per measured poll: all of them, and those for the application (not the source's application list). */
  readonly requests: number[];
  readonly appRequests: number[];
  /** JSON text received per measured poll (after gunzip), as the store's client returned it. */
  readonly textBytes: number[];
  /** Per measured poll: parts of the application the store announced as changed. */
  readonly announced: number[];
  /** Every distinct request seen during the measured polls. */
  readonly distinct: RequestSeen[];
  /** Polls spent settling (see WorkerConfig.settle), and their CPU in all (ms). */
  readonly settled?: { polls: number; cpuMs: number };
  /** After forced GCs; `code` is V8's compiled code (code spaces), part of heapUsed. */
  readonly heap: { poll: number; heapUsed: number; code: number }[];
  readonly executorsSeen: number;
  readonly jobsSeen: number;
  readonly detailError?: string;
  readonly snapshotDiff?: SnapshotDiff;
}

const silent = { info: () => {}, warn: () => {}, error: () => {} };
const MEMORY_TIMEOUT_MS = 2000;

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2] ?? '{}') as WorkerConfig;
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  let seen: RequestSeen[] = [];
  let bytes = 0;
  const record = (path: string, params?: Readonly<Record<string, unknown>>) =>
    seen.push({ path, params: params ? Object.entries(params).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${String(v)}`).join('&') : '' });
  const counting = (inner: HttpClient): HttpClient => ({
    baseUrl: inner.baseUrl,
    // The client's own getJson is parseJsonText(getText()): the same, with the text counted.
    getJson: async (path, o) => {
      record(path, o?.params);
      const text = await inner.getText(path, o);
      bytes += text.length;
      return parseJsonText(text);
    },
    getText: async (path, o) => {
      record(path, o?.params);
      const text = await inner.getText(path, o);
      bytes += text.length;
      return text;
    },
    head: (path, o) => {
      record(path, o?.params);
      return inner.head(path, o);
    },
  });
  let clock = Date.now();
  const store = new Store(
    {
      configured: [{ name: 'bench', url: cfg.url, kind: 'driver' }],
      discovery: { enabled: false, driverPorts: [], historyServerPort: 0, masterPort: 0, prometheusPort: 0 },
      // The extension's defaults (package.json): refresh 3 s, status bar 30 s, timeout 5 s.
      refreshIntervalMs: 3000,
      statusBarIntervalMs: 30_000,
      // memory mode: a shorter timeout, so the requests' timeout timers (AbortSignal.timeout, 3×
      // this) of a tight loop of polls have expired when a heap snapshot is taken.
      requestTimeoutMs: cfg.mode === 'memory' ? MEMORY_TIMEOUT_MS : 5000,
      historyMaxApplications: 20,
    },
    { makeClient: (s, timeoutMs) => counting(createHttpClient({ baseUrl: s.url, caFile: s.caFile, timeoutMs })), log: silent, now: () => clock },
  );
  let announced = 0;
  store.onDidChange((keys) => {
    for (const k of keys) if (parseChangeKey(k)?.part) announced++;
  });
  // Unfocused: the scheduler arms no timer; this loop is the timer.
  store.setFocused(false);
  store.setViewVisible(true);
  const tick = async () => {
    if (cfg.tickUrl) await fetch(cfg.tickUrl).then((r) => r.arrayBuffer());
  };
  await tick();
  await store.pollNow();
  const entry = store.applications()[0];
  if (!entry) throw new Error(`the store lists no application at ${cfg.url}: ${JSON.stringify(store.allSources().map((s) => s.error))}`);
  store.watch(entry.key, { parts: cfg.parts });
  store.watch(entry.key, { parts: ['executors', 'storage'], light: true });
  /** One poll, the fake's tick included (the warm-up, settling and catch-up polls). */
  const poll = async () => {
    await tick();
    clock += cfg.intervalMs;
    await store.pollDue();
  };
  for (let i = 0; i < cfg.warmup; i++) await poll();
  let settled: { polls: number; cpuMs: number } | undefined;
  if (cfg.settle) {
    const c0 = process.cpuUsage();
    let quiet = 0;
    let n = 0;
    while (quiet < cfg.settle && n < SETTLE_MAX) {
      announced = 0;
      await poll();
      n++;
      quiet = announced === 0 ? quiet + 1 : 0;
    }
    const c = process.cpuUsage(c0);
    if (quiet < cfg.settle) throw new Error(`the store still announced changes after ${SETTLE_MAX} polls of an unchanging application`);
    settled = { polls: n, cpuMs: (c.user + c.system) / 1000 };
  }
  if (cfg.catchUp) {
    const c0 = process.cpuUsage();
    const missing = () => {
      const d = store.detail(entry.key)?.detail;
      return (d?.stages ?? []).filter((st) => needsTaskSummary(st) && !d?.taskSummaries?.has(`${st.stageId}:${st.attemptId}`)).length;
    };
    let n = 0;
    while (missing() > MAX_REQUESTS_PER_POLL && n < SETTLE_MAX) {
      await poll();
      n++;
    }
    if (missing() > MAX_REQUESTS_PER_POLL) throw new Error(`the store still missed ${missing()} task summaries after ${SETTLE_MAX} polls`);
    const c = process.cpuUsage(c0);
    settled = { polls: n, cpuMs: (c.user + c.system) / 1000 };
  }

  const cpuMs: number[] = [];
  const wallMs: number[] = [];
  const requests: number[] = [];
  const appRequests: number[] = [];
  const textBytes: number[] = [];
  const announcedPerPoll: number[] = [];
  const distinct = new Map<string, RequestSeen>();
  // Readings go into arrays allocated up front: a growing list would be growth of this harness.
  const order = [...(cfg.checkpoints ?? [])].sort((a, b) => a - b);
  const heapUsedAt = new Float64Array(order.length);
  const codeAt = new Float64Array(order.length);
  const checkpoints = new Set(order);
  const firstCheckpoint = order[0];
  const lastCheckpoint = order[order.length - 1];
  // The first snapshot's figures wait in a file, so they are not growth themselves.
  const firstHeapFile = path.join(os.tmpdir(), `so-bench-heap-${process.pid}.json`);
  let snapshotDiff: SnapshotDiff | undefined;
  for (let i = 1; i <= cfg.polls; i++) {
    seen = [];
    bytes = 0;
    announced = 0;
    await tick();
    clock += cfg.intervalMs;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await store.pollDue();
    const t1 = performance.now();
    const c = process.cpuUsage(c0);
    // memory mode keeps no per-poll figures: they would be growth of this harness, not of the store.
    if (cfg.mode === 'cpu') {
      cpuMs.push((c.user + c.system) / 1000);
      wallMs.push(t1 - t0);
      requests.push(seen.length);
      appRequests.push(seen.filter((r) => r.path !== 'api/v1/applications').length);
      textBytes.push(bytes);
      announcedPerPoll.push(announced);
      for (const r of seen) distinct.set(`${r.path}?${r.params}`, r);
    }
    if (checkpoints.has(i)) {
      if (i === firstCheckpoint || i === lastCheckpoint) await new Promise((r) => setTimeout(r, 3 * MEMORY_TIMEOUT_MS + 500));
      // FinalizationRegistry callbacks (Node's AbortSignal.timeout uses one) run after a GC, as
      // tasks: let them run, then collect again, so their held values are not counted as kept.
      gc();
      await new Promise((r) => setTimeout(r, 50));
      gc();
      await new Promise((r) => setImmediate(r));
      gc();
      // Compiled code grows while the JIT optimises hot paths: not data the store keeps.
      const code = getHeapSpaceStatistics()
        .filter((sp) => sp.space_name.startsWith('code_'))
        .reduce((a, sp) => a + sp.space_used_size, 0);
      // SO_BENCH_HEAP_SNAPSHOTS=<dir>: the whole heap at the first and last checkpoint, to find
      // what retains a growth (Chrome DevTools' Comparison view, or any snapshot reader).
      if (process.env.SO_BENCH_HEAP_SNAPSHOTS && (i === firstCheckpoint || i === lastCheckpoint)) {
        writeHeapSnapshot(path.join(process.env.SO_BENCH_HEAP_SNAPSHOTS, `poll-${i}.heapsnapshot`));
        gc();
      }
      heapUsedAt[order.indexOf(i)] = process.memoryUsage().heapUsed;
      codeAt[order.indexOf(i)] = code;
      if (i === firstCheckpoint) {
        fs.writeFileSync(firstHeapFile, JSON.stringify([...heapByName()]));
      } else if (i === lastCheckpoint) {
        const second = heapByName();
        snapshotDiff = diffHeaps(new Map(JSON.parse(fs.readFileSync(firstHeapFile, 'utf8')) as [string, { count: number; bytes: number }][]) as HeapByName, second);
        fs.rmSync(firstHeapFile, { force: true });
      }
    }
  }
  const d = store.detail(entry.key);
  const result: WorkerResult = {
    cpuMs,
    wallMs,
    requests,
    appRequests,
    textBytes,
    announced: announcedPerPoll,
    distinct: [...distinct.values()],
    settled,
    heap: order.map((poll, k) => ({ poll, heapUsed: heapUsedAt[k], code: codeAt[k] })),
    executorsSeen: d?.detail.executors?.length ?? 0,
    jobsSeen: d?.detail.jobs?.length ?? 0,
    detailError: d?.error?.message,
    snapshotDiff,
  };
  store.dispose();
  process.stdout.write(JSON.stringify(result) + '\n');
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
      process.exit(1);
    },
  );
}

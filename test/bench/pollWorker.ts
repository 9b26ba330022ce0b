/**
 * Child process of poll.bench.ts (started with --expose-gc): the real Store (src/store/store.ts) with
 * the real HTTP client, polling one watched application of a source configured as a driver
 * (discovery off), exactly as the extension does while an application's node is expanded.
 * Measures around each `store.refresh()`: this process's CPU time (process.cpuUsage:
 * the store, the HTTP client, JSON parsing, GC), wall time, and the requests made (by wrapping
 * the client the store gets from its factory). Prints one JSON line.
 *
 *   node --expose-gc out/test/bench/pollWorker.js '{"url":"http://127.0.0.1:P","mode":"cpu","warmup":5,"polls":50}'
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
import { createHttpClient, HttpClient } from '../../src/sources/http';
import { SparkRestClient } from '../../src/sources/sparkRest';
import { Store } from '../../src/store/store';

export interface WorkerConfig {
  readonly url: string;
  readonly mode: 'cpu' | 'memory';
  readonly warmup: number;
  readonly polls: number;
  /** memory mode: polls after which the heap is read (after two forced GCs). */
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
  /** Every distinct request seen during the measured polls. */
  readonly distinct: RequestSeen[];
  /** After two forced GCs; `code` is V8's compiled code (code spaces), part of heapUsed. */
  readonly heap: { poll: number; heapUsed: number; code: number }[];
  readonly executorsSeen: number;
  readonly detailError?: string;
  /**
   * memory mode: heap snapshots at the first and last checkpoints, compared by node type:
   * `data` (objects, strings, arrays, closures… what a leak would be made of) and `jit` (code,
   * deopt data, feedback: V8's compiler at work), plus the constructors that grew most.
   */
  readonly snapshotDiff?: { dataBytes: number; jitBytes: number; maxCountGrowth: { name: string; count: number }; top: { name: string; count: number; bytes: number }[] };
  /** cpu mode: median CPU of one request and its parsing, per endpoint, made one at a time. */
  readonly perEndpointCpuMs: Record<string, number>;
}

const silent = { info: () => {}, warn: () => {}, error: () => {} };
const MEMORY_TIMEOUT_MS = 2000;

interface HeapSnapshotFile {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

/** Self sizes by `type:name` of a heap snapshot of this process (written, read, removed). */
function heapByName(): Map<string, { count: number; bytes: number }> {
  const file = path.join(os.tmpdir(), `so-bench-heap-${process.pid}-${Date.now()}.heapsnapshot`);
  writeHeapSnapshot(file);
  try {
    const snap = JSON.parse(fs.readFileSync(file, 'utf8')) as HeapSnapshotFile;
    const f = snap.snapshot.meta.node_fields;
    const types = snap.snapshot.meta.node_types[0];
    const [ti, ni, si] = [f.indexOf('type'), f.indexOf('name'), f.indexOf('self_size')];
    const out = new Map<string, { count: number; bytes: number }>();
    for (let i = 0; i < snap.nodes.length; i += f.length) {
      const key = `${types[snap.nodes[i + ti]]}:${snap.strings[snap.nodes[i + ni]].slice(0, 50)}`;
      const o = out.get(key) ?? { count: 0, bytes: 0 };
      o.count++;
      o.bytes += snap.nodes[i + si];
      out.set(key, o);
    }
    return out;
  } finally {
    fs.rmSync(file, { force: true });
  }
}

/** V8's own compiler structures, which grow while it optimises: not data anybody keeps. */
const isJit = (key: string) => key.startsWith('code:') || key.startsWith('hidden:') || key.startsWith('object shape:');

function diffHeaps(a: Map<string, { count: number; bytes: number }>, b: Map<string, { count: number; bytes: number }>): NonNullable<WorkerResult['snapshotDiff']> {
  const rows = [...new Set([...a.keys(), ...b.keys()])].map((k) => ({
    name: k,
    count: (b.get(k)?.count ?? 0) - (a.get(k)?.count ?? 0),
    bytes: (b.get(k)?.bytes ?? 0) - (a.get(k)?.bytes ?? 0),
  }));
  return {
    dataBytes: rows.filter((r) => !isJit(r.name)).reduce((s, r) => s + r.bytes, 0),
    jitBytes: rows.filter((r) => isJit(r.name)).reduce((s, r) => s + r.bytes, 0),
    top: rows.filter((r) => !isJit(r.name)).sort((x, y) => y.bytes - x.bytes).slice(0, 6),
    maxCountGrowth: rows.filter((r) => !isJit(r.name)).reduce((m, r) => (r.count > m.count ? { name: r.name, count: r.count } : m), { name: '', count: 0 }),
  };
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2] ?? '{}') as WorkerConfig;
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  let seen: RequestSeen[] = [];
  const record = (path: string, params?: Readonly<Record<string, unknown>>) =>
    seen.push({ path, params: params ? Object.entries(params).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${String(v)}`).join('&') : '' });
  const counting = (inner: HttpClient): HttpClient => ({
    baseUrl: inner.baseUrl,
    getJson: (path, o) => {
      record(path, o?.params);
      return inner.getJson(path, o);
    },
    getText: (path, o) => {
      record(path, o?.params);
      return inner.getText(path, o);
    },
    head: (path, o) => {
      record(path, o?.params);
      return inner.head(path, o);
    },
  });
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
    { makeClient: (s, timeoutMs) => counting(createHttpClient({ baseUrl: s.url, caFile: s.caFile, timeoutMs })), log: silent },
  );

  await store.refresh();
  const entry = store.applications()[0];
  if (!entry) throw new Error(`the store lists no application at ${cfg.url}: ${JSON.stringify(store.allSources().map((s) => s.error))}`);
  store.watch(entry.key);
  for (let i = 0; i < cfg.warmup; i++) await store.refresh();

  const cpuMs: number[] = [];
  const wallMs: number[] = [];
  const requests: number[] = [];
  const appRequests: number[] = [];
  const distinct = new Map<string, RequestSeen>();
  // Readings go into arrays allocated up front: a growing list would be growth of this harness.
  const order = [...(cfg.checkpoints ?? [])].sort((a, b) => a - b);
  const heapUsedAt = new Float64Array(order.length);
  const codeAt = new Float64Array(order.length);
  const checkpoints = new Set(cfg.checkpoints ?? []);
  const firstCheckpoint = Math.min(...checkpoints);
  const lastCheckpoint = Math.max(...checkpoints);
  // The first snapshot's figures wait in a file, so they are not growth themselves.
  const firstHeapFile = path.join(os.tmpdir(), `so-bench-heap-${process.pid}.json`);
  let firstHeap = false;
  let snapshotDiff: WorkerResult['snapshotDiff'];
  for (let i = 1; i <= cfg.polls; i++) {
    seen = [];
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await store.refresh();
    const t1 = performance.now();
    const c = process.cpuUsage(c0);
    // memory mode keeps no per-poll figures: they would be growth of this harness, not of the store.
    if (cfg.mode === 'cpu') {
      cpuMs.push((c.user + c.system) / 1000);
      wallMs.push(t1 - t0);
      requests.push(seen.length);
      appRequests.push(seen.filter((r) => r.path !== 'api/v1/applications').length);
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
      heapUsedAt[order.indexOf(i)] = process.memoryUsage().heapUsed;
      codeAt[order.indexOf(i)] = code;
      if (i === firstCheckpoint) {
        fs.writeFileSync(firstHeapFile, JSON.stringify([...heapByName()]));
        firstHeap = true;
      } else if (i === lastCheckpoint && firstHeap) {
        const second = heapByName();
        snapshotDiff = diffHeaps(new Map(JSON.parse(fs.readFileSync(firstHeapFile, 'utf8')) as [string, { count: number; bytes: number }][]), second);
        fs.rmSync(firstHeapFile, { force: true });
      }
    }
  }
  // Which answers cost what: each request of a poll alone, sequentially, 10 times.
  const perEndpointCpuMs: Record<string, number> = {};
  if (cfg.mode === 'cpu') {
    const rest = new SparkRestClient(createHttpClient({ baseUrl: cfg.url, timeoutMs: 30_000 }));
    const ref = { id: entry.app.id };
    const calls: Record<string, () => Promise<unknown>> = {
      allexecutors: () => rest.executors(ref),
      'storage/rdd': () => rest.cachedDatasets(ref),
      stages: () => rest.stages(ref),
      jobs: () => rest.jobs(ref),
      applications: () => rest.applications(),
    };
    for (const [name, call] of Object.entries(calls)) {
      const xs: number[] = [];
      for (let i = 0; i < 10; i++) {
        const c0 = process.cpuUsage();
        await call();
        const c = process.cpuUsage(c0);
        xs.push((c.user + c.system) / 1000);
      }
      xs.sort((a, b) => a - b);
      perEndpointCpuMs[name] = (xs[4] + xs[5]) / 2;
    }
  }
  const heap = order.map((poll, k) => ({ poll, heapUsed: heapUsedAt[k], code: codeAt[k] }));
  const d = store.detail(entry.key);
  const result: WorkerResult = {
    cpuMs,
    wallMs,
    requests,
    appRequests,
    distinct: [...distinct.values()],
    heap,
    executorsSeen: d?.detail.executors?.length ?? 0,
    detailError: d?.error?.message,
    perEndpointCpuMs,
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

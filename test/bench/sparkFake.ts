/**
 * A FAKE Spark monitoring REST API, for the one thing a real Spark cannot give on a 2-core
 * machine: an application with 1,000 or 10,000 executors (project rule: fakes only for what
 * the real thing cannot produce here). Every answer is built from real answers of Spark 4.3.0
 * (fixtures/spark-4.3.0-rest-samples.json, captured from a driver of scripts/spark-env.sh), with
 * the same fields, the same pretty-printed layout (Jackson's `"key" : value`), and Spark's
 * bounds: at most 100 dead executors (spark.ui.retainedDeadExecutors), a cached dataset spread
 * over every executor (its dataDistribution and partitions lists grow with N, as they do in
 * Spark 4.3's /storage/rdd).
 *
 * Answers are serialized once per server, so serving costs little; the server runs in the bench
 * process while the store runs in a child process (pollWorker.ts), so their CPU times do not mix.
 * Every request is logged (path and query) for the checks "≤ 5 requests", "no details=true",
 * "no /sql".
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { REPO } from './common';

// Spark's own JSON, edited field by field from the captured samples: typing every field adds nothing.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

interface Samples {
  application: Json;
  executor: Json;
  driverExecutor: Json;
  job: Json;
  stage: Json;
  rdd: Json;
  taskSummary: Json;
  environment: Json;
}

export interface FakeSparkOptions {
  readonly executors: number;
  /** Dead executors listed by allexecutors; Spark keeps at most 100 (spark.ui.retainedDeadExecutors). */
  readonly deadExecutors?: number;
  readonly jobs?: number;
  /** Two stages per job by default. */
  readonly stages?: number;
}

export interface LoggedRequest {
  readonly path: string;
  readonly query: string;
}

export interface FakeSpark {
  readonly url: string;
  readonly appId: string;
  /** Bytes of each list answer, by endpoint. */
  readonly sizes: Readonly<Record<string, number>>;
  readonly log: LoggedRequest[];
  close(): Promise<void>;
}

const SAMPLES_FILE = path.join(REPO, 'test', 'bench', 'fixtures', 'spark-4.3.0-rest-samples.json');

/** Spark's REST answers are pretty-printed by Jackson: two spaces, `"key" : value`. */
function sparkJson(v: unknown): Buffer {
  return Buffer.from(JSON.stringify(v, null, 2).replace(/^(\s*"(?:[^"\\]|\\.)*"): /gm, '$1 : '));
}

/** Deterministic pseudo-random numbers, so every run serves the same bytes. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

function gmt(ms: number): string {
  return new Date(ms).toISOString().replace('Z', 'GMT');
}

function hostPort(i: number): string {
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:${35000 + (i % 1000)}`;
}

export function buildAnswers(o: FakeSparkOptions): { appId: string; bodies: Map<string, Buffer>; taskSummary: Buffer } {
  const s = JSON.parse(fs.readFileSync(SAMPLES_FILE, 'utf8')) as Samples;
  const r = rng(42);
  const n = o.executors;
  const dead = Math.min(100, o.deadExecutors ?? Math.min(100, Math.ceil(n / 20)));
  const jobs = o.jobs ?? 200;
  const stages = o.stages ?? jobs * 2;
  const appId = 'app-20261121080000-0042';
  const t0 = Date.parse('2026-11-21T08:00:00Z');

  const app = clone(s.application);
  app.id = appId;
  app.name = `fake-${n}-executors`;

  // allexecutors: the driver, N live executors, the dead ones (with their removal reason).
  const executors: Json[] = [clone(s.driverExecutor)];
  for (let i = 0; i < n + dead; i++) {
    const e = clone(s.executor);
    const id = String(i + 1);
    e.id = id;
    e.hostPort = hostPort(i + 1);
    e.memoryUsed = Math.floor(r() * e.maxMemory);
    e.completedTasks = Math.floor(r() * 5000);
    e.totalTasks = e.completedTasks + e.failedTasks;
    e.activeTasks = r() < 0.5 ? 1 : 0;
    e.totalDuration = Math.floor(r() * 4e6);
    e.totalGCTime = Math.floor(e.totalDuration * r() * 0.1);
    e.totalInputBytes = Math.floor(r() * 1e10);
    e.totalShuffleRead = Math.floor(r() * 1e9);
    e.totalShuffleWrite = Math.floor(r() * 1e9);
    e.addTime = gmt(t0 + i * 10);
    e.executorLogs = {
      stdout: `http://${e.hostPort.split(':')[0]}:8081/logPage/?appId=${appId}&executorId=${id}&logType=stdout`,
      stderr: `http://${e.hostPort.split(':')[0]}:8081/logPage/?appId=${appId}&executorId=${id}&logType=stderr`,
    };
    e.memoryMetrics.usedOnHeapStorageMemory = e.memoryUsed;
    for (const k of Object.keys(e.peakMemoryMetrics)) e.peakMemoryMetrics[k] = Math.floor(e.peakMemoryMetrics[k] * (0.5 + r()));
    if (i >= n) {
      e.isActive = false;
      e.removeTime = gmt(t0 + 3_600_000 + i);
      e.removeReason = r() < 0.5 ? 'Executor decommission: spot instance interrupted' : 'Container killed by YARN for exceeding memory limits. 4.5 GB of 4.5 GB physical memory used.';
      e.activeTasks = 0;
    }
    executors.push(e);
  }

  // jobs and stages (details=false lists): the last two of each are running.
  const jobList: Json[] = [];
  for (let j = jobs - 1; j >= 0; j--) {
    const x = clone(s.job);
    x.jobId = j;
    x.name = `collect at /home/user/project/etl.py:${100 + (j % 300)}`;
    x.submissionTime = gmt(t0 + j * 15_000);
    x.stageIds = [2 * j, 2 * j + 1];
    x.numTasks = 2 * n;
    x.numCompletedTasks = 2 * n;
    if (j >= jobs - 2) {
      x.status = 'RUNNING';
      delete x.completionTime;
      x.numActiveTasks = n;
      x.numCompletedTasks = n;
    } else {
      x.completionTime = gmt(t0 + j * 15_000 + 12_000);
    }
    jobList.push(x);
  }
  const stageList: Json[] = [];
  for (let k = stages - 1; k >= 0; k--) {
    const x = clone(s.stage);
    x.stageId = k;
    x.attemptId = 0;
    x.name = `collect at /home/user/project/etl.py:${100 + ((k >> 1) % 300)}`;
    x.numTasks = 2 * n;
    x.numCompleteTasks = 2 * n;
    x.numCompletedIndices = 2 * n;
    x.submissionTime = gmt(t0 + k * 7_500);
    // One stage in ten is long enough for a task summary (model/insights needsTaskSummary).
    const long = k % 10 === 0;
    x.completionTime = gmt(t0 + k * 7_500 + (long ? 6_000 : 900));
    x.executorRunTime = long ? 2 * n * 3_000 : 2 * n * 40;
    x.executorCpuTime = x.executorRunTime * 800_000;
    x.inputBytes = Math.floor(r() * 1e10);
    x.shuffleReadBytes = Math.floor(r() * 1e9);
    x.shuffleWriteBytes = Math.floor(r() * 1e9);
    x.rddIds = [3 * k, 3 * k + 1, 3 * k + 2];
    if (k >= stages - 2) {
      x.status = 'ACTIVE';
      delete x.completionTime;
      x.numActiveTasks = n;
      x.numCompleteTasks = n;
    }
    stageList.push(x);
  }

  // storage/rdd: one dataset cached on every live executor (2 partitions each), two small ones.
  const rdds: Json[] = [];
  for (let d = 0; d < 3; d++) {
    const x = clone(s.rdd);
    const on = d === 0 ? n : 2;
    const parts = 2 * on;
    x.id = 10 + d;
    x.name = `*(1) Project [id#${d}L, value#${d + 1}]\n+- *(1) Scan parquet events_${d}\n`;
    x.numPartitions = parts;
    x.numCachedPartitions = parts;
    const per = 8_000_000 + d;
    x.memoryUsed = per * parts;
    x.dataDistribution = Array.from({ length: on }, (_, i) => ({
      ...clone(s.rdd.dataDistribution[0]),
      address: hostPort(i + 1),
      memoryUsed: 2 * per,
      onHeapMemoryUsed: 2 * per,
    }));
    x.partitions = Array.from({ length: parts }, (_, p) => ({
      ...clone(s.rdd.partitions[0]),
      blockName: `rdd_${x.id}_${p}`,
      memoryUsed: per,
      executors: [String((p >> 1) + 1)],
    }));
    rdds.push(x);
  }

  const env = clone(s.environment);
  const bodies = new Map<string, Buffer>([
    ['applications', sparkJson([app])],
    ['allexecutors', sparkJson(executors)],
    ['executors', sparkJson(executors.filter((e) => e.isActive !== false))],
    ['jobs', sparkJson(jobList)],
    ['stages', sparkJson(stageList)],
    ['storage/rdd', sparkJson(rdds)],
    ['environment', sparkJson(env)],
  ]);
  return { appId, bodies, taskSummary: sparkJson(s.taskSummary) };
}

export async function startFakeSpark(o: FakeSparkOptions): Promise<FakeSpark> {
  const { appId, bodies, taskSummary } = buildAnswers(o);
  const log: LoggedRequest[] = [];
  const prefix = `/api/v1/applications/${appId}/`;
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    log.push({ path: u.pathname, query: u.search });
    const send = (status: number, body: Buffer | string, type = 'application/json') => {
      res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    };
    if (u.pathname === '/') {
      res.writeHead(302, { Location: '/jobs/' });
      return res.end();
    }
    if (u.pathname === '/api/v1/applications' || u.pathname === '/api/v1/applications/') return send(200, bodies.get('applications')!);
    if (u.pathname.startsWith(prefix)) {
      const rest = u.pathname.slice(prefix.length).replace(/\/$/, '');
      if (/^stages\/\d+\/\d+\/taskSummary$/.test(rest)) return send(200, taskSummary);
      const body = bodies.get(rest);
      if (body) return send(200, body);
    }
    send(404, `no such endpoint: ${u.pathname}`, 'text/plain');
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const sizes: Record<string, number> = {};
  for (const [k, v] of bodies) sizes[k] = v.length;
  sizes.taskSummary = taskSummary.length;
  return {
    url: `http://127.0.0.1:${port}`,
    appId,
    sizes,
    log,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

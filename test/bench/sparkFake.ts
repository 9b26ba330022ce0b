/**
 * A FAKE live Spark driver, for the one thing a real Spark cannot give on a 2-core machine: an
 * application with 1,000 or 10,000 executors (project rule: fakes only for what the real thing
 * cannot produce here). What it answers is fakeModel.ts, built from real 4.3.0 answers; this file
 * serves it as a 4.3.0 driver's Jetty does:
 *
 * - the REST API (`/api/v1/…`: applications, allexecutors, executors, jobs and `?status=running`,
 *   stages and `?status=active`, one job or stage by id, storage/rdd, environment, task summaries), `application/json`;
 * - the metrics servlet: `GET /metrics/json` answers 301 to `/metrics/json/`, which answers
 *   `text/json` (seen on 4.3.0, SPARK-FACTS.md "Cheap summaries");
 * - gzip when the client accepts it (Spark's GzipHandler, Jetty's minimum of 32 bytes), so the
 *   store pays for decompression as it does against a real driver.
 *
 * One tick is one poll. The previous release's worker lists the applications first in every
 * poll, and that request (`GET /api/v1/applications`) advances the model by one; this
 * release's store lists a live driver's one application only every 30 s, so its worker asks
 * `GET /bench/tick` before each poll instead (`tickOn: 'request'`; that request is not logged). Every request is logged with its tick, its body's bytes
 * and the bytes sent (gzip or not). The server runs in the bench process; the store runs in a
 * child process (pollWorker.ts), so their CPU times do not mix.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { AnswerName, FakeModel, FakeModelOptions } from './fakeModel';

export type { Scenario } from './fakeModel';

export interface FakeSparkOptions extends FakeModelOptions {
  /** Answer gzip when the client accepts it, as Spark does (default true; off saves the bench time where bytes do not matter). */
  readonly gzip?: boolean;
  /** What advances the model by a poll: the application list (default) or `GET /bench/tick`. */
  readonly tickOn?: 'applications' | 'request';
}

export interface LoggedRequest {
  /** The poll it belongs to: the number of ticks so far. */
  readonly tick: number;
  readonly path: string;
  readonly query: string;
  readonly status: number;
  /** The body's length as JSON text (what the client parses). */
  readonly bytes: number;
  /** The body's length as sent (gzip when the client accepted it). */
  readonly wireBytes: number;
}

export interface FakeSpark {
  readonly url: string;
  readonly appId: string;
  readonly model: FakeModel;
  readonly log: LoggedRequest[];
  /** The current tick (polls seen so far). */
  readonly tick: number;
  /** Bytes of one answer's text at the current tick. */
  bytesOf(name: AnswerName): number;
  close(): Promise<void>;
}

const gzip = promisify(zlib.gzip);
/** Jetty's GzipHandler leaves bodies under this many bytes alone. */
const MIN_GZIP_BYTES = 32;

/** Which answer a path under `/api/v1/applications/{id}/` asks for. */
function routeApp(rest: string, q: URLSearchParams): AnswerName | undefined {
  const status = q.get('status')?.toLowerCase();
  if (/^stages\/\d+\/\d+\/taskSummary$/.test(rest)) return 'taskSummary';
  switch (rest) {
    case '':
      return 'application';
    case 'allexecutors':
    case 'executors':
    case 'storage/rdd':
    case 'environment':
      return rest;
    case 'jobs':
      return status === 'running' ? 'runningJobs' : status ? undefined : 'jobs';
    case 'stages':
      return status === 'active' ? 'activeStages' : status ? undefined : 'stages';
    default:
      return undefined;
  }
}

export async function startFakeSpark(o: FakeSparkOptions): Promise<FakeSpark> {
  const model = new FakeModel(o);
  const log: LoggedRequest[] = [];
  let tick = 0;
  // Bodies of the current tick (and the fixed ones), with their gzip once asked for.
  const bodies = new Map<string, { text: Buffer; gz?: Promise<Buffer> }>();
  const body = (name: AnswerName) => {
    const key = model.fixedAnswer(name) ? name : `${name}@${tick}`;
    let b = bodies.get(key);
    if (!b) {
      b = { text: Buffer.from(model.answer(name, tick)) };
      bodies.set(key, b);
    }
    return b;
  };
  const appPrefix = `/api/v1/applications/${model.appId}`;
  // The lists of the current tick by id, parsed once per tick when an item is first asked for.
  let items: { tick: number; jobs: Map<number, string>; stages: Map<number, string> } | undefined;
  const itemText = (list: 'jobs' | 'stages', id: number): string | undefined => {
    if (items?.tick !== tick) {
      const jobs = new Map<number, string>();
      for (const j of JSON.parse(body('jobs').text.toString()) as { jobId: number }[]) jobs.set(j.jobId, JSON.stringify(j, null, 2));
      const attempts = new Map<number, unknown[]>();
      for (const st of JSON.parse(body('stages').text.toString()) as { stageId: number }[]) attempts.set(st.stageId, [...(attempts.get(st.stageId) ?? []), st]);
      items = { tick, jobs, stages: new Map([...attempts].map(([k, v]) => [k, JSON.stringify(v, null, 2)])) };
    }
    return items[list].get(id);
  };

  const advance = () => {
    tick++;
    // Bodies of ticks gone by are dropped (a 10,000-executor list is 28 MB); answers in flight keep theirs.
    for (const k of bodies.keys()) if (k.includes('@')) bodies.delete(k);
  };
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const entry = (status: number, bytes: number, wireBytes: number) => log.push({ tick, path: u.pathname, query: u.search, status, bytes, wireBytes });
    const plain = (status: number, text: string, headers: http.OutgoingHttpHeaders = {}) => {
      res.writeHead(status, { 'Content-Type': 'text/plain;charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...headers });
      res.end(text);
      entry(status, 0, Buffer.byteLength(text));
    };
    if (req.method !== 'GET') return plain(405, 'method not allowed');
    if (u.pathname === '/bench/tick' && o.tickOn === 'request') {
      advance();
      res.writeHead(204);
      return res.end();
    }
    if (u.pathname === '/') return plain(302, '', { Location: '/jobs/' });
    if (u.pathname === '/metrics/json') return plain(301, '', { Location: '/metrics/json/' });
    let name: AnswerName | undefined;
    if (u.pathname === '/metrics/json/') name = 'metrics';
    else if (u.pathname === '/api/v1/applications' || u.pathname === '/api/v1/applications/') {
      if (o.tickOn !== 'request') advance();
      name = 'applications';
    } else if (u.pathname === appPrefix || u.pathname.startsWith(`${appPrefix}/`)) {
      name = routeApp(u.pathname.slice(appPrefix.length + 1).replace(/\/$/, ''), u.searchParams);
    }
    // One job (an object) or one stage's attempts (a list), as Spark answers jobs/{id} and stages/{id}.
    const item = !name && u.pathname.startsWith(`${appPrefix}/`) ? /^(jobs|stages)\/(\d+)\/?$/.exec(u.pathname.slice(appPrefix.length + 1)) : null;
    if (item) {
      const text = itemText(item[1] as 'jobs' | 'stages', Number(item[2]));
      if (text === undefined) return plain(404, `unknown ${item[1] === 'jobs' ? 'job' : 'stage'} ${item[2]}`);
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
      return entry(200, Buffer.byteLength(text), Buffer.byteLength(text));
    }
    if (!name) return plain(404, `no such endpoint: ${u.pathname}`);
    const b = body(name);
    const type = name === 'metrics' ? 'text/json;charset=utf-8' : 'application/json';
    const wantsGzip = o.gzip !== false && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? '')) && b.text.length >= MIN_GZIP_BYTES;
    if (!wantsGzip) {
      res.writeHead(200, { 'Content-Type': type, 'Content-Length': b.text.length, Vary: 'Accept-Encoding' });
      res.end(b.text);
      return entry(200, b.text.length, b.text.length);
    }
    b.gz ??= gzip(b.text);
    b.gz.then(
      (gz) => {
        res.writeHead(200, { 'Content-Type': type, 'Content-Encoding': 'gzip', 'Content-Length': gz.length, Vary: 'Accept-Encoding' });
        res.end(gz);
        entry(200, b.text.length, gz.length);
      },
      (e: unknown) => plain(500, String(e)),
    );
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    appId: model.appId,
    model,
    log,
    get tick() {
      return tick;
    },
    bytesOf: (name) => body(name).text.length,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * The sources layer against a fault-injecting proxy in front of a real Spark driver. Each fault
 * must give a clear state, keep the last good data, and leave no unhandled rejection; the proxy
 * returning to normal must bring the source back.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { driverApp, RunningJob, startJob, waitFor } from './env';
import { createHttpClient, Credentials, HttpError } from '../../src/sources/http';
import { Store } from '../../src/store/store';
import type { SourceConfig } from '../../src/model/types';

type Mode = 'pass' | 'hang' | 'html200' | 'status401' | 'malformed' | 'truncated' | 'redirect' | 'oversized';

class FaultProxy {
  mode: Mode = 'pass';
  private server: http.Server | undefined;
  port = 0;
  readonly seenAuth: string[] = [];
  private readonly hanging = new Set<http.ServerResponse>();
  constructor(
    private readonly target: string,
    private readonly redirectTo: string,
  ) {}

  async listen(port = 0): Promise<void> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(port, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Stops listening: the next connection is refused. */
  async close(): Promise<void> {
    for (const r of this.hanging) r.destroy();
    this.hanging.clear();
    this.server?.closeAllConnections();
    await new Promise<void>((r) => this.server!.close(() => r()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.seenAuth.push(String(req.headers.authorization ?? ''));
    switch (this.mode) {
      case 'hang':
        this.hanging.add(res); // never answers
        return;
      case 'html200':
        res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!DOCTYPE html><html><body><form action="/login">Sign in</form></body></html>');
        return;
      case 'status401':
        res.writeHead(401, { 'Content-Type': 'text/plain', 'WWW-Authenticate': 'Basic realm="spark"' }).end('Unauthorized');
        return;
      case 'malformed':
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"id": "app-1", "name": ');
        return;
      case 'redirect':
        res.writeHead(302, { Location: `${this.redirectTo}${req.url}` }).end();
        return;
      case 'oversized': {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        const chunk = ' '.repeat(64 * 1024);
        res.write('[');
        for (let i = 0; i < 64; i++) res.write(chunk); // 4 MiB, over the 1 MiB cap used here
        res.end(']');
        return;
      }
    }
    const upstream = await fetch(this.target + req.url, { headers: { Accept: 'application/json' } });
    const body = Buffer.from(await upstream.arrayBuffer());
    if (this.mode === 'truncated') {
      // Promise the whole body, send half, hang up.
      res.writeHead(upstream.status, { 'Content-Type': 'application/json', 'Content-Length': String(body.length) });
      res.write(body.subarray(0, Math.floor(body.length / 2)));
      res.socket?.destroy();
      return;
    }
    res.writeHead(upstream.status, { 'Content-Type': upstream.headers.get('content-type') ?? 'application/json' }).end(body);
  }
}

describe('sources against a fault-injecting proxy in front of a real driver', () => {
  let job: RunningJob;
  let proxy: FaultProxy;
  let elsewhere: http.Server;
  let elsewhereHits = 0;
  let store: Store;
  let key: string;
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  const credentials: Credentials = { type: 'basic', username: 'alice', password: 's3cret' };

  before(async () => {
    process.on('unhandledRejection', onUnhandled);
    job = await startJob('long_running.py', { master: 'local[2]', env: { DURATION_SECONDS: '400' } });
    const app = await driverApp(job.uiUrl);
    // Another origin (another port) that must never see the request nor the credentials.
    elsewhere = http.createServer((_req, res) => {
      elsewhereHits++;
      res.end('[]');
    });
    await new Promise<void>((r) => elsewhere.listen(0, '127.0.0.1', r));
    proxy = new FaultProxy(job.uiUrl, `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}`);
    await proxy.listen();
    store = new Store(
      {
        configured: [{ name: 'proxied', url: `http://127.0.0.1:${proxy.port}`, kind: 'driver', group: 'faults' }],
        discovery: { enabled: false, driverPorts: [], historyServerPort: 0, masterPort: 0, prometheusPort: 0 },
        refreshIntervalMs: 1000,
        statusBarIntervalMs: 5000,
        requestTimeoutMs: 1000,
        historyMaxApplications: 10,
      },
      {
        makeClient: (s: SourceConfig, timeoutMs: number) =>
          createHttpClient({ baseUrl: s.url, timeoutMs, totalTimeoutMs: 2000, maxBytes: 1024 * 1024, credentials }),
        log: { info: () => {}, warn: () => {}, error: () => {} },
      },
    );
    key = `faults|${app.id}`;
    store.watch(key);
    await waitFor(
      async () => {
        await store.refresh();
        return store.detail(key)?.detail.executors?.length ? true : undefined;
      },
      { what: 'first good poll through the proxy' },
    );
  });

  after(async () => {
    process.off('unhandledRejection', onUnhandled);
    store?.dispose();
    await proxy?.close().catch(() => {});
    elsewhere?.close();
    await job?.stop();
  });

  async function expectFault(mode: Mode, kinds: string[]) {
    const before = store.detail(key)!;
    const appsBefore = store.source('proxied')!.apps;
    proxy.mode = mode;
    await store.refresh();
    const s = store.source('proxied')!;
    assert.equal(s.status, 'error', `${mode}: source state`);
    assert.ok(kinds.includes(s.error!.kind), `${mode}: error kind ${s.error!.kind}, expected one of ${kinds}`);
    // The last good data stays, marked stale.
    assert.deepEqual(s.apps, appsBefore, `${mode}: applications kept`);
    assert.ok(s.lastOkAt, `${mode}: age of the last good data`);
    assert.equal(store.entry(key)?.stale, true, `${mode}: the application stays, marked stale`);
    assert.equal(store.detail(key)?.stale, true, `${mode}: its details are marked stale`);
    assert.deepEqual(store.detail(key)?.detail.executors, before.detail.executors, `${mode}: executors kept`);
    proxy.mode = 'pass';
    await store.refresh();
    assert.equal(store.source('proxied')!.status, 'ok', `${mode}: recovers`);
    return s.error!;
  }

  test('a hang ends in a timeout', async () => {
    const err = await expectFault('hang', ['timeout']);
    assert.match(err.message, /timed out/);
  });

  test('an HTML login page with status 200 is not taken for data', async () => {
    const err = await expectFault('html200', ['notJson']);
    assert.match(err.message, /HTML/);
  });

  test('401 is an authorisation error', async () => {
    await expectFault('status401', ['auth']);
  });

  test('malformed JSON is reported as such', async () => {
    await expectFault('malformed', ['malformed']);
  });

  test('truncated JSON is an error, not half the data', async () => {
    await expectFault('truncated', ['malformed', 'network']);
  });

  test('a redirect to another origin is not followed and credentials are not forwarded', async () => {
    elsewhereHits = 0;
    proxy.seenAuth.length = 0;
    await expectFault('redirect', ['redirect']);
    assert.equal(elsewhereHits, 0);
    // The proxy (the source's own origin) did get the credentials.
    assert.ok(proxy.seenAuth.some((a) => a.startsWith('Basic ')));
  });

  test('a response over the size cap is refused', async () => {
    await expectFault('oversized', ['tooLarge']);
  });

  test('connection refused, then back', async () => {
    const port = proxy.port;
    await proxy.close();
    await store.refresh();
    const s = store.source('proxied')!;
    assert.equal(s.status, 'error');
    assert.equal(s.error!.kind, 'refused', s.error!.message);
    assert.ok(s.apps.length > 0, 'applications kept');
    await proxy.listen(port);
    await store.refresh();
    assert.equal(store.source('proxied')!.status, 'ok');
  });

  test('the HTTP layer itself reports each fault as an HttpError', async () => {
    const client = createHttpClient({ baseUrl: `http://127.0.0.1:${proxy.port}`, timeoutMs: 800, maxBytes: 1024 * 1024 });
    for (const [mode, kind] of [
      ['html200', 'notJson'],
      ['status401', 'auth'],
      ['malformed', 'malformed'],
      ['oversized', 'tooLarge'],
      ['hang', 'timeout'],
    ] as const) {
      proxy.mode = mode;
      await assert.rejects(client.getJson('api/v1/applications'), (e: unknown) => e instanceof HttpError && e.kind === kind, mode);
    }
    proxy.mode = 'pass';
    assert.ok(Array.isArray(await client.getJson('api/v1/applications')));
  });

  test('no unhandled rejection through all of it', () => {
    assert.deepEqual(unhandled, []);
  });
});

/**
 * The store and the sources against a fault-injecting proxy (faultProxy.ts) in front of a real
 * Spark driver. Each fault must give a clear state, keep the last good data marked stale, log
 * its message once however many polls it lasts, and leave no unhandled rejection; the proxy
 * returning to normal must bring the source back. Each test is a row of README's "When a
 * source misbehaves".
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { driverApp, getJson, RunningJob, startJob, waitFor } from './env';
import { FaultProxy, Mode } from './faultProxy';
import { createHttpClient, Credentials, HttpError } from '../../src/sources/http';
import { Store } from '../../src/store/store';
import type { SourceConfig } from '../../src/model/types';
import { clockNote, runningFor } from '../../src/model/driverClock';

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
  /** Every line the store logs, to count them. */
  const logged: string[] = [];

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
        configured: [{ name: 'proxied', url: proxy.url, kind: 'driver', group: 'faults' }],
        discovery: { enabled: false, driverPorts: [], historyServerPort: 0, masterPort: 0, prometheusPort: 0 },
        refreshIntervalMs: 1000,
        statusBarIntervalMs: 5000,
        requestTimeoutMs: 1000,
        historyMaxApplications: 10,
      },
      {
        makeClient: (s: SourceConfig, timeoutMs: number) =>
          createHttpClient({ baseUrl: s.url, timeoutMs, totalTimeoutMs: 2000, maxBytes: 1024 * 1024, credentials }),
        log: { info: () => {}, warn: (m) => logged.push(`warn ${m}`), error: (m) => logged.push(`error ${m}`) },
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
    await proxy?.shutdown().catch(() => {});
    elsewhere?.close();
    await job?.stop();
  });

  /**
   * The lines a fault should log: those not logged before it. A source that fails again with a
   * message it failed with a few seconds ago is flapping, not news (model/failureLog.ts): the
   * whole suite runs well within that rule's quiet period.
   */
  function news(before: number, lines: string[]): string[] {
    return lines.filter((l) => !logged.slice(0, before).includes(l));
  }

  /**
   * Puts the proxy in a fault for two polls, checks what the user sees, and brings it back.
   * `fault` sets the fault (a mode, or a function that does more); `restore` undoes it.
   */
  async function expectFault(fault: Mode | (() => Promise<void>), kinds: string[], restore: () => Promise<void> = () => proxy.restore()) {
    const before = store.detail(key)!;
    const appsBefore = store.source('proxied')!.apps;
    const lines = logged.length;
    const what = typeof fault === 'string' ? fault : 'fault';
    if (typeof fault === 'string') proxy.mode = fault;
    else await fault();
    // Two polls in the fault: what it shows and logs must not depend on how long it lasts.
    await store.refresh();
    const first = store.source('proxied')!.error;
    await store.refresh();
    const s = store.source('proxied')!;
    assert.equal(s.status, 'error', `${what}: source state`);
    assert.ok(kinds.includes(s.error!.kind), `${what}: error kind ${s.error!.kind} (${s.error!.message}), expected one of ${kinds}`);
    assert.equal(s.error!.message, first?.message, `${what}: the same error at each poll`);
    // The last good data stays, marked stale, with the time it was read (our clock).
    assert.deepEqual(s.apps, appsBefore, `${what}: applications kept`);
    assert.ok(s.lastOkAt && s.lastOkAt <= s.error!.at, `${what}: age of the last good data`);
    assert.equal(store.entry(key)?.stale, true, `${what}: the application stays, marked stale`);
    assert.equal(store.detail(key)?.stale, true, `${what}: its details are marked stale`);
    assert.equal(store.detail(key)?.fetchedAt, before.fetchedAt, `${what}: the age of the details is that of the last good read`);
    assert.deepEqual(store.detail(key)?.detail.executors, before.detail.executors, `${what}: executors kept`);
    // One line in the log for the fault, not one per poll.
    assert.deepEqual(logged.slice(lines), news(lines, [`warn proxied (${proxy.url}): ${s.error!.message}`]), `${what}: logged once`);
    await restore();
    await recovered(what);
    return s.error!;
  }

  /**
   * The source answers again and the details are fresh. A real driver on a shared 2-core
   * machine may miss the tests' 1 s timeout now and then: polled until fresh, not once.
   */
  async function recovered(what: string): Promise<void> {
    await waitFor(
      async () => {
        await store.refresh();
        return store.source('proxied')!.status === 'ok' && store.detail(key)?.stale === false ? true : undefined;
      },
      { what: `${what}: the source back and its details fresh (${store.detail(key)?.error?.message})`, timeoutMs: 30_000, intervalMs: 100 },
    );
  }

  test('a hang ends in a timeout', async () => {
    const err = await expectFault('hang', ['timeout']);
    assert.match(err.message, /timed out/);
  });

  test('a connect that hangs (a full accept queue) ends at the request timeout', async () => {
    const err = await expectFault(() => proxy.hangConnects(), ['timeout']);
    // The request timeout (1 s), not the total one (2 s): the connect itself has a deadline.
    assert.equal(err.message, 'timed out');
  });

  test('a slow drip (a byte every 0.4 s) ends at the total timeout', async () => {
    const err = await expectFault('drip', ['timeout']);
    // No gap reaches the 1 s idle timeout: only the deadline of the whole request ends it.
    assert.equal(err.message, 'timed out (total)');
  });

  test('an HTML login page with status 200 is not taken for data', async () => {
    const err = await expectFault('html200', ['notJson']);
    assert.match(err.message, /HTML/);
  });

  test('401 is an authorisation error', async () => {
    const err = await expectFault('status401', ['auth']);
    assert.equal(err.message, 'HTTP 401: not authorised');
  });

  test('403 is an authorisation error', async () => {
    const err = await expectFault('status403', ['auth']);
    assert.equal(err.message, 'HTTP 403: not authorised');
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

  test('a redirect loop ends after a few hops', async () => {
    proxy.seenPaths.length = 0;
    const err = await expectFault('redirectLoop', ['redirect']);
    assert.equal(err.message, 'too many redirects');
    // Two polls in the fault, one request each, followed 3 times: 8 requests, then the recovery's.
    assert.equal(proxy.seenPaths.filter((p) => p === '/api/v1/applications').length, 2 * 4 + 1);
  });

  test('a response over the size cap is refused', async () => {
    await expectFault('oversized', ['tooLarge']);
  });

  test('connection refused, then back', async () => {
    const err = await expectFault(() => proxy.close(), ['refused']);
    assert.equal(err.message, 'connection refused');
  });

  test('an application that ends mid-poll: its list answered, its details refused', async () => {
    const before = store.detail(key)!;
    const lines = logged.length;
    proxy.mode = 'endAfterListing';
    await store.refresh();
    // The driver listed its application, then stopped before the details were read.
    assert.equal(store.source('proxied')!.status, 'ok');
    assert.equal(store.entry(key)?.stale, false);
    const d = store.detail(key)!;
    assert.equal(d.stale, true, 'details stale');
    assert.equal(d.error?.kind, 'refused');
    assert.equal(d.fetchedAt, before.fetchedAt, 'the age is that of the last good read');
    assert.deepEqual(d.detail.executors, before.detail.executors, 'executors kept');
    // The next poll finds the driver gone: the source fails too, its last list kept, stale.
    await store.refresh();
    const s = store.source('proxied')!;
    assert.equal(s.status, 'error');
    assert.equal(s.error?.kind, 'refused');
    assert.equal(store.entry(key)?.stale, true);
    assert.equal(store.detail(key)?.stale, true);
    assert.deepEqual(store.detail(key)?.detail.executors, before.detail.executors);
    await store.refresh();
    // One line for the application, one for the source; none per poll.
    assert.deepEqual(logged.slice(lines), news(lines, [`warn ${store.entry(key)!.app.id}: connection refused (via proxied)`, `warn proxied (${proxy.url}): connection refused`]));
    // (The History Server taking the application over is test/integration/explorer.test.ts's
    // "when the driver ends, the application moves to completed through the History Server".)
    await proxy.restore();
    await recovered('ended mid-poll');
  });

  test('a driver clock 10 minutes ahead or behind: running time never negative, ages on our clock', async () => {
    const [raw] = await getJson<Array<{ attempts: Array<{ startTimeEpoch: number }> }>>(`${job.uiUrl}/api/v1/applications`);
    const realStart = raw.attempts[0].startTimeEpoch;
    try {
      for (const offset of [10 * 60_000, -10 * 60_000]) {
        proxy.clockOffsetMs = offset;
        const t0 = Date.now();
        await recovered(`clock ${offset / 60_000} min`);
        const t1 = Date.now();
        const e = store.entry(key)!;
        assert.equal(e.app.startTime, realStart + offset, 'the start as the driver reports it');
        // Ages ("12 s ago") count from when we read, on our clock.
        const s = store.source('proxied')!;
        const d = store.detail(key)!;
        assert.ok(s.lastOkAt! >= t0 && s.lastOkAt! <= t1, 'source read at, our clock');
        assert.ok(d.fetchedAt! >= t0 && d.fetchedAt! <= t1, 'details read at, our clock');
        // The running time is on the driver's clock, as the tree and the hints show it: as long
        // as the application has really run (this machine is the driver's: realStart is ours).
        assert.ok(Math.abs(e.clockOffsetMs! - offset) < 2000, `offset ${e.clockOffsetMs}`);
        const shown = runningFor(e.app.startTime, t1, e.clockOffsetMs).ms;
        assert.ok(shown !== undefined && shown >= t0 - realStart - 2000 && shown <= t1 - realStart + 2000, `clock ${offset / 60_000} min: shown ${shown} ms, ran ${t1 - realStart} ms`);
        assert.match(clockNote(e.clockOffsetMs)!, offset > 0 ? /^the driver's clock is 10m 0s ahead of/ : /^the driver's clock is 10m 0s behind/);
      }
    } finally {
      proxy.clockOffsetMs = 0;
    }
  });

  test('the HTTP layer itself reports each fault as an HttpError', async () => {
    const client = createHttpClient({ baseUrl: proxy.url, timeoutMs: 800, maxBytes: 1024 * 1024 });
    for (const [mode, kind] of [
      ['html200', 'notJson'],
      ['status401', 'auth'],
      ['status403', 'auth'],
      ['malformed', 'malformed'],
      ['oversized', 'tooLarge'],
      ['redirectLoop', 'redirect'],
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

/**
 * The store against misbehaving sources that a real Spark cannot be made to produce on demand:
 * a source that hangs next to a healthy one, a flapping one, 10,000 executors. The healthy
 * driver is the fake of test/bench/sparkFake.ts (real 4.3.0 answers); faults come from small
 * loopback servers. Each row of README's "When a source misbehaves" names its test here or in
 * test/integration/faults.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpClient, HttpClient } from '../../src/sources/http';
import { Store, StoreSettings } from '../../src/store/store';
import type { SourceConfig } from '../../src/model/types';
import { FailureLog, QUIET_MS } from '../../src/model/failureLog';
import { executorListing, MAX_LISTED } from '../../src/model/appSummary';
import { FakeSpark, startFakeSpark } from '../bench/sparkFake';

/** Unhandled rejections while this file's faults run: there must be none (checked last). */
const unhandled: unknown[] = [];
const onUnhandled = (e: unknown) => unhandled.push(e);
before(() => process.on('unhandledRejection', onUnhandled));
after(() => {
  process.off('unhandledRejection', onUnhandled);
  assert.deepEqual(unhandled, [], 'no unhandled rejection');
});

const NO_DISCOVERY = { enabled: false, driverPorts: [], historyServerPort: 0, masterPort: 0, prometheusPort: 0 };

function settings(configured: StoreSettings['configured'], over: Partial<StoreSettings> = {}): StoreSettings {
  return { configured, discovery: NO_DISCOVERY, refreshIntervalMs: 1000, statusBarIntervalMs: 5000, requestTimeoutMs: 1000, historyMaxApplications: 5, ...over };
}

/** Log lines by level, to count them. */
function recordingLog(): { lines: string[]; info(m: string): void; warn(m: string): void; error(m: string): void } {
  const lines: string[] = [];
  return { lines, info: () => {}, warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`) };
}

/** A loopback server on a free port: its URL, and a close that ends its connections too. */
async function serve(handler: http.RequestListener): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A server that accepts every request and never answers it. */
async function hangingServer(): Promise<{ url: string; held: () => number; close(): Promise<void> }> {
  const held = new Set<http.ServerResponse>();
  return { ...(await serve((_req, res) => void held.add(res))), held: () => held.size };
}

describe('one hanging source', () => {
  let fake: FakeSpark;
  let hanging: Awaited<ReturnType<typeof hangingServer>>;
  before(async () => {
    fake = await startFakeSpark({ executors: 2, jobs: 4 });
    hanging = await hangingServer();
  });
  after(async () => {
    await hanging.close();
    await fake.close();
  });

  test('freezes no other: the healthy source publishes its applications while the hanging one still waits', async () => {
    const log = recordingLog();
    // The hanging source gives up after 20 s (idle timeout): the healthy one must not wait for that.
    const store = new Store(
      settings(
        [
          { name: 'hangs', url: hanging.url, kind: 'driver', group: 'g' },
          { name: 'healthy', url: fake.url, kind: 'driver', group: 'g' },
        ],
        { requestTimeoutMs: 20_000 },
      ),
      { makeClient: (s: SourceConfig, t: number): HttpClient => createHttpClient({ baseUrl: s.url, timeoutMs: t }), log },
    );
    const key = `g|${fake.appId}`;
    const announced = new Promise<{ keys: ReadonlySet<string>; hangsStatus: string | undefined; held: number }>((resolve) => {
      store.onDidChange((keys) => {
        if (store.entry(key)) resolve({ keys, hangsStatus: store.source('hangs')?.status, held: hanging.held() });
      });
    });
    store.start();
    const seen = await announced;
    try {
      assert.ok(seen.keys.has('apps'), 'the list of applications was announced');
      assert.ok(seen.keys.has(`app:${key}`), 'and the application itself');
      assert.equal(store.entry(key)?.app.name, 'fake-2-executors-static');
      assert.equal(store.source('healthy')?.status, 'ok');
      // Announced before the hanging source's request timed out: it is still pending, its request held.
      assert.equal(seen.hangsStatus, 'pending');
      assert.equal(seen.held, 1);
      assert.deepEqual(log.lines, []);
    } finally {
      store.dispose();
    }
  });
});

/** A proxy in front of the fake driver that answers 503 while `failing` is set. */
async function flappingProxy(target: string): Promise<{ url: string; failing: boolean; paths: string[]; close(): Promise<void> }> {
  const state = { failing: false, paths: [] as string[] };
  const server = await serve((req, res) => {
    state.paths.push(String(req.url));
    if (state.failing) {
      res.writeHead(503, { 'Content-Type': 'text/plain' }).end('Service Unavailable');
      return;
    }
    void fetch(target + req.url).then(async (up) => {
      res.writeHead(up.status, { 'Content-Type': up.headers.get('content-type') ?? 'application/json' }).end(Buffer.from(await up.arrayBuffer()));
    });
  });
  return Object.assign(state, server);
}

describe('a flapping source', () => {
  let fake: FakeSpark;
  let proxy: Awaited<ReturnType<typeof flappingProxy>>;
  before(async () => {
    fake = await startFakeSpark({ executors: 4, jobs: 4 });
    proxy = await flappingProxy(fake.url);
  });
  after(async () => {
    await proxy.close();
    await fake.close();
  });

  test('good and failing answers in turn: data kept, stale toggles, one log line, one request per poll', async () => {
    let now = 1_000_000;
    const log = recordingLog();
    const store = new Store(settings([{ name: 'flaps', url: proxy.url, kind: 'driver', group: 'g' }]), {
      makeClient: (s: SourceConfig, t: number): HttpClient => createHttpClient({ baseUrl: s.url, timeoutMs: t }),
      log,
      now: () => now,
      random: () => 0.5, // backoff after a failure: exactly the refresh interval
    });
    const key = `g|${fake.appId}`;
    try {
      store.watch(key, { parts: ['executors'] });
      await store.refresh();
      const good = store.detail(key)!;
      let lastGoodAt = good.fetchedAt;
      assert.equal(good.detail.executors?.length, 1 + 4 + 1, 'the driver, 4 executors, 1 dead');
      for (let poll = 1; poll <= 8; poll++) {
        const failing = poll % 2 === 1;
        proxy.failing = failing;
        now += 1000; // one refresh interval: due, and out of the backoff of the last failure
        const listings = proxy.paths.filter((p) => p === '/api/v1/applications').length;
        await store.pollNow();
        assert.equal(proxy.paths.filter((p) => p === '/api/v1/applications').length, listings + 1, `poll ${poll}: one listing request, no retry storm`);
        assert.equal(store.source('flaps')?.status, failing ? 'error' : 'ok', `poll ${poll}: source state`);
        assert.equal(store.entry(key)?.stale, failing, `poll ${poll}: application stale`);
        const d = store.detail(key)!;
        assert.equal(d.stale, failing, `poll ${poll}: details stale`);
        assert.deepEqual(d.detail.executors, good.detail.executors, `poll ${poll}: executors kept`);
        // Failing: shown with the age of the last good read (our clock); good: read now.
        assert.equal(d.fetchedAt, failing ? lastGoodAt : now, `poll ${poll}: age of the details`);
        lastGoodAt = d.fetchedAt;
      }
      // Four failures with the same message: one line, not one per failure.
      assert.deepEqual(log.lines, [`warn flaps (${proxy.url}): HTTP 503`]);
    } finally {
      store.dispose();
    }
  });
});

describe('10,000 executors', () => {
  let fake: FakeSpark;
  before(async () => {
    fake = await startFakeSpark({ executors: 10_000, jobs: 4 });
  });
  after(async () => fake.close());

  test('read only when the executor list is wanted, capped in the tree, kept stale when the driver then fails', async () => {
    const log = recordingLog();
    const store = new Store(settings([{ name: 'big', url: fake.url, kind: 'driver', group: 'g' }], { requestTimeoutMs: 10_000 }), {
      makeClient: (s: SourceConfig, t: number): HttpClient => createHttpClient({ baseUrl: s.url, timeoutMs: t }),
      log,
    });
    const key = `g|${fake.appId}`;
    const allexecutors = () => fake.log.filter((r) => r.path.endsWith('/allexecutors')).length;
    try {
      // Jobs wanted, executors not (a lens, hints): no allexecutors request, however many polls.
      const jobs = store.watch(key, { parts: ['jobs'] });
      await store.refresh();
      await store.refresh();
      assert.equal(store.detail(key)?.detail.jobs?.length, 4);
      assert.equal(store.detail(key)?.detail.executors, undefined);
      assert.equal(allexecutors(), 0, 'the 20 MB list was never asked for');
      // The Executors node opened: the list is read at once and announced, 10,000 live, 100
      // dead, and the driver.
      const announced = new Promise<void>((resolve) => store.onDidChange((keys) => keys.has(`app:${key}:executors`) && resolve()));
      const executors = store.watch(key, { parts: ['executors'] });
      await announced;
      const read = store.detail(key)!;
      assert.equal(allexecutors(), 1);
      assert.equal(read.detail.executors?.length, 1 + 10_000 + 100);
      const listing = executorListing(read.detail.executors!);
      assert.equal(listing.alive.shown.length, MAX_LISTED);
      assert.equal(listing.alive.shown[0].id, 'driver');
      assert.equal(listing.alive.more, '… 9,501 more');
      assert.equal(listing.dead.length, 100);
      // The driver then fails: the 10,000 stay on screen, stale, with the age of their read.
      await fake.close();
      await store.refresh();
      await store.refresh();
      const after = store.detail(key)!;
      assert.equal(store.source('big')?.status, 'error');
      assert.equal(store.source('big')?.error?.kind, 'refused');
      assert.equal(after.stale, true);
      assert.equal(after.fetchedAt, read.fetchedAt);
      assert.equal(after.detail.executors, read.detail.executors, 'the same list, not a copy or a re-read');
      assert.deepEqual(log.lines, [`warn big (${fake.url}): connection refused`]);
      jobs.dispose();
      executors.dispose();
    } finally {
      store.dispose();
    }
  });
});

describe('the failure log', () => {
  test('a line per new message; the same message again only after the source stayed healthy a while', () => {
    const f = new FailureLog();
    assert.equal(f.failed('s', 'refused', 0), true, 'first failure');
    assert.equal(f.failed('s', 'refused', 1000), false, 'still failing');
    f.ok('s', 2000);
    assert.equal(f.failed('s', 'refused', 3000), false, 'flapping: the same story');
    assert.equal(f.failed('s', 'timed out', 4000), true, 'another message');
    f.ok('s', 5000);
    f.ok('s', 6000); // healthy since 5000, not since 6000
    assert.equal(f.failed('s', 'timed out', 5000 + QUIET_MS), true, 'healthy for the quiet period: a new outage');
    assert.equal(f.failed('other', 'timed out', 0), true, 'each key on its own');
    f.forget('s');
    assert.equal(f.failed('s', 'timed out', 0), true, 'forgotten');
  });
});

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
import { FakeSpark, startFakeSpark } from '../bench/sparkFake';

const NO_DISCOVERY = { enabled: false, driverPorts: [], historyServerPort: 0, masterPort: 0, prometheusPort: 0 };

function settings(configured: StoreSettings['configured'], over: Partial<StoreSettings> = {}): StoreSettings {
  return { configured, discovery: NO_DISCOVERY, refreshIntervalMs: 1000, statusBarIntervalMs: 5000, requestTimeoutMs: 1000, historyMaxApplications: 5, ...over };
}

/** Log lines by level, to count them. */
function recordingLog(): { lines: string[]; info(m: string): void; warn(m: string): void; error(m: string): void } {
  const lines: string[] = [];
  return { lines, info: () => {}, warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`) };
}

/** A server that accepts every request and never answers it. */
async function hangingServer(): Promise<{ url: string; held: () => number; close(): Promise<void> }> {
  const held = new Set<http.ServerResponse>();
  const server = http.createServer((_req, res) => void held.add(res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    held: () => held.size,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
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
      assert.equal(store.entry(key)?.app.name, 'fake-2-executors');
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

/**
 * The store and the sources against the real Spark environment: a standalone Master with two
 * Workers, a History Server, Prometheus, and real PySpark jobs. Every figure is compared with
 * what Spark's own REST API says at the same moment.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { driverApp, getJson, makeStore, readEnv, RunningJob, startJob, waitFor } from './env';
import { probeLocalPort } from '../../src/sources/discovery';
import { createHttpClient } from '../../src/sources/http';
import type { Store } from '../../src/store/store';

const env = readEnv();

interface RawExecutor {
  id: string;
  isActive: boolean;
  totalCores: number;
  maxMemory: number;
  memoryUsed: number;
  completedTasks: number;
  removeReason?: string;
}
interface RawRdd {
  id: number;
  name: string;
  memoryUsed: number;
  diskUsed: number;
  numCachedPartitions: number;
  numPartitions: number;
}

describe('standalone cluster running the cached seed job', () => {
  let job: RunningJob;
  let appId: string;
  let store: Store;
  const key = () => `it|${appId}`;

  before(async () => {
    job = await startJob('seed_cached.py', { master: env.masterUrl, env: { HOLD_SECONDS: '300' } });
    appId = (await driverApp(job.uiUrl)).id;
    // Both inputs are materialised in storage before any assertion.
    await waitFor(
      async () => {
        const rdds = await getJson<RawRdd[]>(`${job.uiUrl}/api/v1/applications/${appId}/storage/rdd`);
        return rdds.length >= 2 && rdds.every((r) => r.memoryUsed > 0 && r.numCachedPartitions === r.numPartitions) ? true : undefined;
      },
      { what: 'two materialised cached datasets', timeoutMs: 240_000, intervalMs: 1000 },
    );
    store = makeStore([
      { name: 'driver', url: job.uiUrl, kind: 'driver', group: 'it' },
      { name: 'history', url: env.historyUrl, kind: 'history', group: 'it' },
      { name: 'master', url: env.masterWebUrl, kind: 'master', group: 'it' },
    ]);
    await store.refresh();
    store.watch(key());
    await store.refresh();
  });

  after(async () => {
    store?.dispose();
    await job?.stop();
  });

  test('lists the application from its live driver, running, with its name', () => {
    const e = store.entry(key());
    assert.ok(e, 'application entry');
    assert.equal(e.app.name, 'seed-cached');
    assert.equal(e.app.state, 'running');
    assert.equal(e.via, 'driver');
    assert.equal(e.sourceId, 'driver');
    assert.equal(e.stale, false);
  });

  test('lists every executor with the numbers of the REST API', async () => {
    // memoryUsed moves with broadcasts and heartbeats: compare at a moment when Spark's own
    // answer is the same before and after ours.
    const url = `${job.uiUrl}/api/v1/applications/${appId}/allexecutors`;
    const { raw, ours } = await waitFor(
      async () => {
        const before = await getJson<RawExecutor[]>(url);
        await store.refresh();
        const after = await getJson<RawExecutor[]>(url);
        const mem = (l: RawExecutor[]) => JSON.stringify(l.map((e) => [e.id, e.memoryUsed, e.isActive]));
        return mem(before) === mem(after) ? { raw: after, ours: store.detail(key())?.detail.executors ?? [] } : undefined;
      },
      { what: 'a stable moment to compare executors', timeoutMs: 60_000, intervalMs: 200 },
    );
    assert.deepEqual(ours.map((e) => e.id).sort(), raw.map((e) => e.id).sort());
    // Two workers, one executor each, plus the driver.
    assert.equal(raw.filter((e) => e.id !== 'driver' && e.isActive).length, 2);
    for (const r of raw) {
      const o = ours.find((e) => e.id === r.id)!;
      assert.equal(o.totalCores, r.totalCores, `cores of ${r.id}`);
      assert.equal(o.maxMemory, r.maxMemory, `max storage memory of ${r.id}`);
      assert.equal(o.memoryUsed, r.memoryUsed, `storage memory used by ${r.id}`);
      assert.equal(o.isActive, r.isActive);
    }
  });

  test('lists its two cached datasets with the REST API memory figures', async () => {
    await store.refresh();
    const raw = await getJson<RawRdd[]>(`${job.uiUrl}/api/v1/applications/${appId}/storage/rdd`);
    const ours = store.detail(key())?.detail.cachedDatasets ?? [];
    assert.equal(ours.length, 2);
    for (const r of raw) {
      const o = ours.find((d) => d.rddId === r.id)!;
      assert.ok(o, `dataset ${r.id}`);
      assert.equal(o.memoryUsed, r.memoryUsed);
      assert.equal(o.diskUsed, r.diskUsed);
      assert.equal(o.numCachedPartitions, r.numCachedPartitions);
      assert.equal(o.name, r.name);
      assert.ok(o.memoryUsed > 0);
    }
  });

  test('the Master shows the cluster with both workers alive and the application', async () => {
    const raw = await getJson<{ workers: Array<{ id: string; cores: number; state: string }>; activeapps: Array<{ id: string; cores: number }> }>(`${env.masterWebUrl}/json/`);
    const g = store.groups().find((x) => x.name === 'it');
    assert.ok(g?.master);
    assert.equal(g.master.workers.filter((w) => w.alive).length, 2);
    assert.deepEqual(g.master.workers.map((w) => w.id).sort(), raw.workers.map((w) => w.id).sort());
    assert.ok(g.master.activeApps.some((a) => a.id === appId));
    // One core from each of the two workers, as the Master granted them.
    const granted = raw.activeapps.find((a) => a.id === appId)!.cores;
    assert.equal(granted, 2);
    assert.equal(store.entry(key())?.app.cores, granted);
  });

  test("a killed executor shows as dead with Spark's removal reason", async () => {
    const pid = execFileSync('pgrep', ['-f', `CoarseGrainedExecutorBackend.*${appId}`]).toString().trim().split('\n')[0];
    assert.match(pid, /^\d+$/);
    const victim = await waitFor(
      async () => {
        const cmd = execFileSync('ps', ['-o', 'args=', '-p', pid]).toString();
        return /--executor-id (\S+)/.exec(cmd)?.[1];
      },
      { what: 'the executor id of the victim' },
    );
    process.kill(Number(pid), 'SIGKILL');
    const raw = await waitFor(
      async () => {
        const all = await getJson<RawExecutor[]>(`${job.uiUrl}/api/v1/applications/${appId}/allexecutors`);
        const dead = all.find((e) => e.id === victim && !e.isActive);
        return dead?.removeReason ? dead : undefined;
      },
      { what: `executor ${victim} reported dead`, timeoutMs: 90_000 },
    );
    await store.refresh();
    const ours = store.detail(key())?.detail.executors?.find((e) => e.id === victim);
    assert.ok(ours);
    assert.equal(ours.isActive, false);
    assert.equal(ours.removeReason, raw.removeReason);
  });

  test('when the driver ends, the application moves to completed through the History Server, keeping its node', async () => {
    await job.stop();
    const e = await waitFor(
      async () => {
        await store.refresh();
        const x = store.entry(key());
        return x && x.via === 'history' && x.app.state === 'completed' ? x : undefined;
      },
      { what: 'the History Server to take the application over', timeoutMs: 120_000, intervalMs: 1000 },
    );
    assert.equal(e.key, key());
    assert.equal(e.stale, false);
    assert.equal(e.app.name, 'seed-cached');
    assert.ok(e.app.durationMs && e.app.durationMs > 0);
    // The driver source is now failing and says so, instead of dropping its last good data.
    const driver = store.source('driver');
    assert.equal(driver?.status, 'error');
    assert.equal(driver?.error?.kind, 'refused');
    // Details of the finished application come from the History Server's event log.
    store.watch(key());
    await store.refresh();
    const d = store.detail(key());
    assert.ok(d?.detail.executors && d.detail.executors.length >= 3, 'executors from history');
  });
});

describe('local-mode application found by discovery', () => {
  let job: RunningJob;

  before(async () => {
    job = await startJob('long_running.py', { master: 'local[2]', env: { DURATION_SECONDS: '240' } });
  });
  after(async () => job?.stop());

  test('a driver on a local UI port is discovered as a driver and lists its application', async () => {
    const port = Number(new URL(job.uiUrl).port);
    const found = await waitFor(
      async () => {
        const one = await probeLocalPort(port, (s, t) => createHttpClient({ baseUrl: s.url, timeoutMs: t }));
        return one ? [one] : undefined;
      },
      { what: 'discovery of the driver' },
    );
    assert.equal(found.length, 1);
    assert.equal(found[0].kind, 'driver');
    assert.equal(found[0].url, `http://127.0.0.1:${port}`);
    const store = makeStore([], { discovery: { enabled: true, driverPorts: [port], historyServerPort: 0, masterPort: 0, prometheusPort: 0 } });
    try {
      await store.refresh();
      const apps = store.applications();
      assert.equal(apps.length, 1);
      assert.equal(apps[0].app.name, 'long-running');
      assert.equal(apps[0].group, 'local');
      assert.equal(apps[0].app.state, 'running');
    } finally {
      store.dispose();
    }
  });

  test('detects the kind of each real endpoint by probing', async () => {
    const { detectKind } = await import('../../src/sources/discovery');
    const kind = (url: string) => detectKind(createHttpClient({ baseUrl: url, timeoutMs: 3000 }));
    assert.equal(await kind(job.uiUrl), 'driver');
    assert.equal(await kind(env.historyUrl), 'history');
    assert.equal(await kind(env.masterWebUrl), 'master');
    assert.equal(await kind(env.prometheusUrl), 'prometheus');
  });

  test('Prometheus lists the application it scrapes, by its application_id label', async () => {
    const appId = (await driverApp(job.uiUrl)).id;
    const store = makeStore([{ name: 'prom', url: env.prometheusUrl, kind: 'prometheus', group: 'k8s' }]);
    try {
      const apps = await waitFor(
        async () => {
          await store.refresh();
          const s = store.source('prom');
          return s?.prometheusApps.some((a) => a.id === appId) ? s.prometheusApps : undefined;
        },
        { what: 'Prometheus to scrape the driver', timeoutMs: 60_000, intervalMs: 1000 },
      );
      const mine = apps.find((a) => a.id === appId)!;
      assert.equal(mine.name, 'long-running');
      assert.equal(mine.executors, 1); // local mode: the driver is the one executor
      const e = store.entry(`k8s|${appId}`);
      assert.equal(e?.via, 'prometheus');
    } finally {
      store.dispose();
    }
  });
});

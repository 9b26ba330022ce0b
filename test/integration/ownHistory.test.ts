/**
 * Local work with nothing but pyspark (F10), against a real Spark: a Run-File run with NO History
 * Server configured ends → the extension's own History Server (Spark's, from the same pyspark)
 * is started → the run is listed as completed and its figures are readable; its built-in series,
 * recorded while it ran, equal Spark's REST figures within one poll and are saved compactly when
 * it ends; Measure Cache Impact completes with no History Server in the settings; idle, the
 * process goes and its port closes.
 *
 * Runs examples/seed.py, the job a newcomer opens first, with small inputs.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createHttpClient } from '../../src/sources/http';
import { Store } from '../../src/store/store';
import { OwnHistoryServer, OWN_HISTORY_SOURCE_ID } from '../../src/store/ownHistory';
import { measureCacheImpact, StartedRun } from '../../src/features/compare/cacheImpactRun';
import { buildSubmitCommand } from '../../src/launcher/submitCommand';
import { folderPath } from '../../src/model/ownHistory';
import { isGroupAlive } from '../../src/launcher/processes';
import { builtinDashboard } from '../../src/store/dashboardBuiltin';
import type { SourceConfig } from '../../src/model/types';
import { freePort, getJson, isPortFree, readEnv, REPO, silentLog, venv, waitFor } from './env';

const env = readEnv();
const v = venv(env.pysparkVersion);
const SEED = join(REPO, 'examples', 'seed.py');
const ROWS = ['200000', '24'];
const tmp = mkdtempSync(join(tmpdir(), 'so-own-history-'));
const eventLogDir = join(tmp, 'eventlog');
const seriesDir = join(tmp, 'series');
mkdirSync(eventLogDir);

interface RawExecutor {
  id: string;
  isActive: boolean;
  memoryUsed: number;
  maxMemory: number;
  completedTasks: number;
  totalGCTime: number;
  totalDuration: number;
  totalShuffleRead: number;
  totalShuffleWrite: number;
}

/** A store as the extension builds it, with NO source configured; discovery watches the run's UI port only. */
function localStore(uiPorts: number[]): Store {
  return new Store(
    {
      configured: [],
      discovery: { enabled: true, driverPorts: uiPorts, historyServerPort: 0, masterPort: 0, prometheusPort: 0 },
      refreshIntervalMs: 1000,
      statusBarIntervalMs: 5000,
      requestTimeoutMs: 5000,
      historyMaxApplications: 50,
    },
    { makeClient: async (s: SourceConfig, timeoutMs: number) => createHttpClient({ baseUrl: s.url, caFile: s.caFile, timeoutMs }), log: silentLog, seriesDir },
  );
}

/** Runs a file exactly as Run File with Observability does; resolves when spark-submit ends. */
async function runFile(uiPort: number, extra: { disable?: number[] } = {}): Promise<StartedRun & { output(): string }> {
  const cmd = buildSubmitCommand({
    sparkSubmit: v.sparkSubmit,
    file: SEED,
    args: ROWS,
    master: 'local[2]',
    uiPort,
    eventLogDir,
    hookDir: join(REPO, 'src', 'launcher', 'python'),
    python: v.python,
    disableCacheAt: (extra.disable ?? []).map((line) => ({ file: SEED, line })),
    extraConf: { 'spark.ui.showConsoleProgress': 'false' },
  });
  let out = '';
  const proc = spawn(cmd.command, [...cmd.args], { env: { ...process.env, ...cmd.env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  return {
    pid: proc.pid,
    startedAt: Date.now(),
    exited: new Promise((res) => proc.on('close', (code) => res(code))),
    uiUrl: () => cmd.uiUrl,
    requestedUiUrl: cmd.uiUrl,
    stop: () => process.kill(-proc.pid!, 'SIGTERM'),
    output: () => out,
  };
}

function manager(store: Store, idleMs = 600_000, now?: () => number, logDir = () => eventLogDir): OwnHistoryServer {
  return new OwnHistoryServer({
    store,
    logDir,
    workDir: join(tmp, 'history-server'),
    sparkHome: async () => dirname(dirname(v.sparkSubmit)),
    enabled: () => true,
    log: silentLog,
    idleMs,
    now,
  });
}

describe('local work with nothing but pyspark', () => {
  let store: Store;
  let own: OwnHistoryServer;
  let uiPort: number;

  before(async () => {
    uiPort = await freePort();
    store = localStore([uiPort]);
    own = manager(store);
  });
  after(async () => {
    await own?.stop();
    store?.dispose();
    rmSync(tmp, { recursive: true, force: true });
  });

  test('no event log yet: nothing to serve, no process started', async () => {
    const r = await own.ensure();
    assert.deepEqual(r, { state: 'empty' });
    assert.equal(own.url, undefined);
  });

  let appId = '';
  let key = '';

  test('while a run works, its built-in series equal Spark\'s REST figures within one poll', async () => {
    const run = await runFile(uiPort);
    const entry = await waitFor(async () => {
      await store.refresh();
      return store.applications().find((e) => e.via === 'driver' && e.app.state === 'running');
    }, { what: 'the run\'s driver in the store', timeoutMs: 120_000 });
    appId = entry.app.id;
    key = entry.key;
    // As the dashboard does while it is open: it watches the executor and stage lists, live.
    const watch = store.watch(key, { parts: ['executors', 'stages'], live: true });
    try {
      // Spark's figures move while tasks run, so each value the store recorded at a poll must lie
      // between Spark's answers just before and just after that poll; checked once the caches
      // are in storage memory (storage figures non-zero).
      let mismatch = '';
      const checked = await waitFor(async () => {
        const before = await getJson<RawExecutor[]>(`${run.requestedUiUrl}/api/v1/applications/${appId}/allexecutors`);
        await store.refresh();
        const after = await getJson<RawExecutor[]>(`${run.requestedUiUrl}/api/v1/applications/${appId}/allexecutors`);
        const s = store.series(key);
        if (!s || s.length < 2) return undefined;
        const sum = (xs: RawExecutor[], f: (e: RawExecutor) => number) => xs.reduce((a, e) => a + f(e), 0);
        const figures = (xs: RawExecutor[]) => ({
          storageUsed: sum(xs.filter((e) => e.isActive), (e) => e.memoryUsed),
          storageMax: sum(xs.filter((e) => e.isActive), (e) => e.maxMemory),
          completedTasks: sum(xs, (e) => e.completedTasks),
          gcTimeMs: sum(xs, (e) => e.totalGCTime),
          taskTimeMs: sum(xs, (e) => e.totalDuration),
          shuffleRead: sum(xs, (e) => e.totalShuffleRead),
        });
        const b = figures(before);
        const a = figures(after);
        if (a.storageUsed === 0 || b.storageUsed === 0) return undefined;
        const off = (Object.keys(a) as (keyof typeof a)[]).filter((m) => {
          const v = s.points(m).y.at(-1);
          return v === null || v === undefined || v < Math.min(a[m], b[m]) || v > Math.max(a[m], b[m]);
        });
        if (off.length > 0) {
          mismatch = off.map((m) => `${m}: series ${s.points(m).y.at(-1)}, REST ${b[m]} → ${a[m]}`).join('; ');
          return undefined;
        }
        // What the dashboard draws from them: the storage panel's last points are those figures.
        const d = builtinDashboard(s, { start: entry.app.startTime! / 1000, end: Date.now() / 1000 }, () => 600, Date.now(), '15m')!;
        const storage = d.panels.find((p) => p.id === 'storageMemory')!;
        assert.equal(storage.source, 'built-in');
        assert.deepEqual(storage.series.map((x) => x.label), ['used (all executors)', 'max (all executors)']);
        assert.equal(storage.series[0].y.at(-1), s.points('storageUsed').y.at(-1));
        assert.equal(storage.series[1].y.at(-1), a.storageMax);
        assert.match(d.panels.find((p) => p.id === 'pythonRss')!.missing ?? '', /Prometheus/);
        return s.length;
      }, { what: 'series within Spark\'s REST figures around one poll', timeoutMs: 180_000, intervalMs: 200 }).catch((e: unknown) => {
        throw new Error(`${String(e)}; last mismatch: ${mismatch}`);
      });
      assert.ok(checked >= 2);
    } finally {
      watch.dispose();
    }
    assert.equal(await run.exited, 0, run.output().slice(-2000));
  });

  test('the run ended: its series is saved compactly and read back the same', async () => {
    const recorded = store.series(key)!;
    // The driver's port refuses twice, then the application leaves the store: its series is
    // saved. Scheduled polls (a forced refresh forgets the failures counted so far).
    await waitFor(async () => {
      await store.pollNow();
      return existsSync(join(seriesDir, `${appId}.series.json.gz`));
    }, { what: 'the saved series file', timeoutMs: 60_000 });
    const fresh = localStore([]);
    try {
      const back = fresh.series(key)!;
      assert.ok(back, 'a new window reads the saved series');
      assert.deepEqual(back.points('storageUsed'), recorded.points('storageUsed'));
      assert.deepEqual(back.points('completedTasks'), recorded.points('completedTasks'));
    } finally {
      fresh.dispose();
    }
    const size = readFileSync(join(seriesDir, `${appId}.series.json.gz`)).length;
    console.log(`series of ${appId}: ${recorded.length} points, ${recorded.byteLength} bytes in memory, ${size} bytes saved`);
  });

  test('no History Server configured: ours is started, lists the run as completed, and serves its figures', async () => {
    const r = await own.ensure();
    assert.equal(r.state, 'running', JSON.stringify(r));
    assert.match(own.url!, /^http:\/\/127\.0\.0\.1:\d+$/);
    const e = await waitFor(async () => {
      await store.refresh();
      return store.applications().find((x) => x.app.id === appId && x.via === 'history' && x.app.state === 'completed');
    }, { what: 'the run listed as completed by our History Server', timeoutMs: 60_000 });
    assert.equal(e.sourceId, OWN_HISTORY_SOURCE_ID);
    assert.equal(e.group, 'local');
    // Spark's History Server says it reads exactly our folder (how we tell whether one does).
    assert.equal(folderPath(e.app.logSource ?? ''), folderPath(eventLogDir));
    // The first read of a finished application makes the History Server replay its event log:
    // seconds on a busy machine, more than one request's timeout; it goes on loading meanwhile.
    const data = await waitFor(() => store.reads.run(e.key), { what: 'the run\'s figures from our History Server', timeoutMs: 120_000, intervalMs: 1000 });
    const raw = await getJson<RawExecutor[]>(`${own.url}/api/v1/applications/${appId}/allexecutors`);
    assert.deepEqual(data.executors.map((x) => x.completedTasks), raw.map((x) => x.completedTasks));
    assert.ok(data.stages.length > 0);
    assert.ok(data.stages.every((st) => st.status === 'COMPLETE' || st.status === 'SKIPPED'));
    // Asked again: the same server, no second process.
    const again = await own.ensure();
    assert.deepEqual(again, { state: 'running', url: own.url });
  });

  test('Measure Cache Impact completes with no History Server in the settings', async () => {
    // A store and manager as a fresh window has them: nothing running, nothing configured.
    await own.stop();
    const store2 = localStore([]);
    const own2 = manager(store2);
    try {
      const lines = readFileSync(SEED, 'utf8').split('\n');
      const cacheLine = lines.findIndex((l) => l.trim() === 'vectors.cache()') + 1;
      assert.ok(cacheLine > 0);
      const t0 = Date.now();
      const m = await measureCacheImpact({
        store: store2,
        start: async (variant) => runFile(await freePort(), { disable: variant === 'withoutCache' ? [cacheLine] : [] }),
        eventLogDir,
        ensureHistory: async () => {
          const r = await own2.ensure();
          return r.state === 'running' ? undefined : JSON.stringify(r);
        },
        pollMs: 1000,
        historyTimeoutMs: 120_000,
      }, 1);
      assert.equal(m.withoutCache.length, 1);
      assert.equal(m.withCache.length, 1);
      // Both runs' figures are readable for the comparison (the History Server loaded them).
      const a = await store2.reads.run(m.withoutCache[0].key);
      const b = await store2.reads.run(m.withCache[0].key);
      assert.ok(a.executors.length > 0 && b.executors.length > 0);
      assert.ok(a.stages.length > 0 && b.stages.length > 0);
      assert.notEqual(m.withoutCache[0].appId, m.withCache[0].appId);
      console.log(`Measure Cache Impact with no History Server configured: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    } finally {
      await own2.stop();
      store2.dispose();
    }
  });

  test('idle, it stops: its process group is gone and its port closed; needed again, it starts again', async () => {
    let now = Date.now();
    const store3 = localStore([]);
    const own3 = manager(store3, 60_000, () => now);
    try {
      const r = await own3.ensure();
      assert.equal(r.state, 'running');
      const pid = own3.pid!;
      const port = Number(new URL(own3.url!).port);
      await own3.tick(false);
      assert.ok(own3.url, 'not idle yet');
      now += 61_000;
      await own3.tick(false);
      assert.equal(own3.url, undefined);
      assert.equal(store3.allSources().some((s) => s.config.origin === 'own'), false);
      assert.equal(isGroupAlive(pid), false);
      assert.ok(await isPortFree(port), `port ${port} still taken`);
      assert.ok(readdirSync(eventLogDir).length >= 3, 'the event logs stay');
    } finally {
      await own3.stop();
      store3.dispose();
    }
  });

  test('runs now log to another folder: the next need stops ours over the old one and starts one over the new', async () => {
    // The new folder holds one of the runs' logs (a copy), the old one all of them.
    const other = join(tmp, 'eventlog-elsewhere');
    mkdirSync(other);
    const one = readdirSync(eventLogDir).find((n) => !n.startsWith('.'))!;
    cpSync(join(eventLogDir, one), join(other, one), { recursive: true });
    let folder = eventLogDir;
    const store4 = localStore([]);
    const own4 = manager(store4, 600_000, undefined, () => folder);
    try {
      assert.equal((await own4.ensure()).state, 'running');
      const first = { pid: own4.pid!, url: own4.url! };
      const listed = async (url: string) => (await getJson<{ id: string }[]>(`${url}/api/v1/applications?limit=1000`)).map((a) => a.id).sort();
      const before = await waitFor(async () => { const l = await listed(first.url); return l.length >= 2 ? l : undefined; }, { what: 'the first server to list the runs', timeoutMs: 60_000 });
      folder = other;
      assert.equal((await own4.ensure()).state, 'running');
      assert.notEqual(own4.pid, first.pid, 'a new server');
      assert.equal(isGroupAlive(first.pid), false, 'the old one is gone');
      const after = await waitFor(async () => { const l = await listed(own4.url!); return l.length > 0 ? l : undefined; }, { what: 'the new server to list the copied run', timeoutMs: 60_000 });
      assert.equal(after.length, 1);
      assert.ok(before.includes(after[0]), `${after[0]} is one of ${before.join(', ')}`);
      assert.deepEqual(store4.allSources().filter((s) => s.config.origin === 'own').map((s) => s.config.url), [own4.url]);
    } finally {
      await own4.stop();
      store4.dispose();
    }
  });
});

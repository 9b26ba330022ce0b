/**
 * The dashboard's queries against the real Prometheus of scripts/spark-env.sh scraping the real
 * cached seed job (Spark 4.3.0 here): the profile detected, the storage-memory series against the
 * REST API's memoryUsed, Prometheus's own error for a bad query, NaN/Inf as gaps, and firing
 * alerts (scripts/prometheus-rules.yml) reaching the store.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { driverApp, getJson, makeStore, readEnv, RunningJob, startJob, waitFor } from './env';
import { createHttpClient } from '../../src/sources/http';
import { PrometheusClient } from '../../src/sources/prometheus';
import { DashboardApp, detect, Detection, fetchCustom, fetchPanel, planPanels, planRange, timeWindow } from '../../src/store/dashboardReads';
import { Store } from '../../src/store/store';
import type { RequestOptions } from '../../src/sources/http';
import type { SourceConfig } from '../../src/model/types';

const env = readEnv();
const scrapeSeconds = Number(/^(\d+)s$/.exec(env.scrapeInterval)?.[1] ?? 2);

interface RawExecutor {
  id: string;
  isActive: boolean;
  memoryUsed: number;
  maxMemory: number;
}

describe('dashboard against the real Prometheus scraping the cached seed job', () => {
  let job: RunningJob;
  let app: DashboardApp;
  let prom: PrometheusClient;
  let detection: Detection;
  let store: Store | undefined;

  before(async () => {
    job = await startJob('seed_cached.py', { master: env.masterUrl, name: 'it-dashboard', env: { HOLD_SECONDS: '120' } });
    const a = await driverApp(job.uiUrl);
    app = { id: a.id, name: a.name, running: true, startTime: Date.now() - 60_000 };
    prom = new PrometheusClient(createHttpClient({ baseUrl: env.prometheusUrl, timeoutMs: 5000 }));
    // An executor holds cached blocks before anything is compared.
    await waitFor(
      async () => {
        const ex = await getJson<RawExecutor[]>(`${job.uiUrl}/api/v1/applications/${app.id}/executors`);
        return ex.some((e) => e.id !== 'driver' && e.memoryUsed > 0) ? true : undefined;
      },
      { what: 'cached blocks on an executor', timeoutMs: 240_000, intervalMs: 1000 },
    );
  });

  after(async () => {
    store?.dispose();
    await job?.stop();
  });

  test('detects the Spark 4.x executor-endpoint profile and the servlet sink, and the 2 s scrape from the targets API', async () => {
    detection = await waitFor(
      async () => {
        const d = await detect(prom, app, 0);
        return d.detected.profiles.includes('executorEndpoint') && d.detected.profiles.includes('prometheusServlet') ? d : undefined;
      },
      { what: 'both profiles in Prometheus', timeoutMs: 60_000, intervalMs: 2000 },
    );
    assert.deepEqual(detection.detected.profiles, ['executorEndpoint', 'prometheusServlet']);
    assert.equal(detection.scrapeIntervalSeconds, scrapeSeconds);
    assert.equal(detection.scrapeIntervalFrom, 'targets');
    console.log(`profiles: ${detection.detected.profiles.join(', ')}; servlet namespaces: ${detection.detected.servletNamespaces.join(', ')}`);
  });

  test('every Spark panel has data; only container panels are missing, each saying what turns it on', async () => {
    const window = timeWindow('5m', app, Date.now());
    const range = planRange(window, 600, detection.scrapeIntervalSeconds);
    const plans = planPanels(detection, app, range.step);
    const panels = await waitFor(
      async () => {
        const ps = await Promise.all(plans.map((plan) => fetchPanel(prom, { plan, range })));
        return ps.filter((p) => !p.id.startsWith('container')).every((p) => !p.missing && p.series.length > 0) ? ps : undefined;
      },
      { what: 'data in every Spark panel', timeoutMs: 60_000, intervalMs: 2000 },
    );
    for (const p of panels) {
      console.log(`${p.id} [${p.profile ?? 'missing'}] step ${p.stepSeconds}s ${p.series.length} series: ${p.queries.join(' ; ') || p.missing}`);
      assert.ok(p.series.every((s) => s.x.length <= 600), `${p.id}: at most one point per pixel`);
      if (p.yMin !== null) assert.ok(Number.isFinite(p.yMin) && Number.isFinite(p.yMax ?? NaN));
    }
    const byId = Object.fromEntries(panels.map((p) => [p.id, p]));
    assert.deepEqual(byId.storageMemory.series.map((s) => s.label).sort(), ['0 max', '0 used', '1 max', '1 used', 'driver max', 'driver used']);
    assert.match(byId.containerCpu.missing ?? '', /cAdvisor/);
    assert.equal(byId.gcShare.unit, 'percent');
  });

  test('the storage-memory series of an executor equals the REST API\'s memoryUsed within one scrape', async () => {
    const figures = await waitFor(
      async () => {
        const restBefore = await getJson<RawExecutor[]>(`${job.uiUrl}/api/v1/applications/${app.id}/executors`);
        const exec = restBefore.find((e) => e.id !== 'driver' && e.memoryUsed > 0);
        if (!exec) return undefined;
        // Stable across a scrape that began after that answer: what Prometheus scraped last is what REST says now.
        const answeredAt = Date.now() / 1000;
        await waitFor(async () => {
          const r = await prom.query(`timestamp(metrics_executor_memoryUsed_bytes{application_id="${app.id}", executor_id="${exec.id}"})`);
          return r.series.some((x) => (x.samples[0]?.v ?? 0) > answeredAt) || undefined;
        }, { what: `a scrape of executor ${exec.id} after the REST answer`, timeoutMs: 10 * scrapeSeconds * 1000, intervalMs: 250 });
        const restAfter = (await getJson<RawExecutor[]>(`${job.uiUrl}/api/v1/applications/${app.id}/executors`)).find((e) => e.id === exec.id);
        if (!restAfter || restAfter.memoryUsed !== exec.memoryUsed) return undefined;
        const range = planRange(timeWindow('5m', app, Date.now()), 600, scrapeSeconds);
        const plan = planPanels(detection, app, range.step).find((p) => p.id === 'storageMemory')!;
        const panel = await fetchPanel(prom, { plan, range });
        const used = panel.series.find((s) => s.label === `${exec.id} used`);
        const max = panel.series.find((s) => s.label === `${exec.id} max`);
        const last = (ys: readonly (number | null)[] | undefined) => [...(ys ?? [])].reverse().find((v) => v !== null);
        const series = { used: last(used?.y), max: last(max?.y) };
        return series.used === restAfter.memoryUsed ? { id: exec.id, rest: restAfter, series } : undefined;
      },
      { what: 'storage-memory series equal to REST memoryUsed', timeoutMs: 90_000, intervalMs: 500 },
    );
    console.log(`executor ${figures.id}: Prometheus used ${figures.series.used} / max ${figures.series.max}; REST memoryUsed ${figures.rest.memoryUsed} / maxMemory ${figures.rest.maxMemory}`);
    assert.equal(figures.series.used, figures.rest.memoryUsed);
    assert.equal(figures.series.max, figures.rest.maxMemory);
  });

  test('an invalid PromQL shows Prometheus\'s own message: bad_data and its parse error', async () => {
    const range = planRange(timeWindow('5m', app, Date.now()), 600, scrapeSeconds);
    const panel = await fetchCustom(prom, 'sum(rate(metrics_executor_memoryUsed_bytes[1m])', range);
    assert.equal(panel.error?.errorType, 'bad_data');
    assert.match(panel.error?.message ?? '', /parse error/);
    console.log(`bad query → ${panel.error?.errorType}: ${panel.error?.message}`);
    assert.deepEqual(panel.series, []);
  });

  test('NaN and ±Inf arrive as gaps, with finite bounds for the axes', async () => {
    const range = planRange(timeWindow('5m', app, Date.now()), 600, scrapeSeconds);
    const q = 'label_replace(vector(0/0), "s", "nan", "", "") or label_replace(vector(1/0), "s", "inf", "", "") or label_replace(vector(-1/0), "s", "-inf", "", "") or label_replace(vector(5), "s", "five", "", "")';
    const panel = await fetchCustom(prom, q, range);
    assert.equal(panel.error, undefined);
    const by = Object.fromEntries(panel.series.map((s) => [s.label, s]));
    assert.deepEqual(Object.keys(by).sort(), ['{s="-inf"}', '{s="five"}', '{s="inf"}', '{s="nan"}']);
    for (const k of ['{s="nan"}', '{s="inf"}', '{s="-inf"}']) {
      assert.ok(by[k].y.length > 0);
      assert.ok(by[k].y.every((v) => v === null), k);
    }
    assert.ok(by['{s="five"}'].y.every((v) => v === 5));
    assert.equal(panel.yMin, 5);
    assert.equal(panel.yMax, 5);
    // The scalar alone: every value a gap, no bounds at all (the chart keeps a default axis).
    const only = await fetchCustom(prom, '0/0', range);
    assert.ok(only.series[0].y.every((v) => v === null));
    assert.equal(only.yMin, null);
    assert.equal(only.yMax, null);
  });

  test('firing alerts from the real Prometheus reach the store, under the application', async () => {
    store = makeStore([
      { name: 'driver', url: job.uiUrl, kind: 'driver', group: 'it' },
      { name: 'prom', url: env.prometheusUrl, kind: 'prometheus', group: 'it' },
    ]);
    const mine = await waitFor(
      async () => {
        await store!.refresh();
        const a = store!.alertsFor(`it|${app.id}`);
        return a.some((x) => x.name === 'SparkApplicationUp') ? a : undefined;
      },
      { what: 'SparkApplicationUp for the job in the store', timeoutMs: 60_000, intervalMs: 1000 },
    );
    const up = mine.find((x) => x.name === 'SparkApplicationUp')!;
    assert.equal(up.appId, app.id);
    assert.equal(up.appName, app.name);
    assert.equal(up.severity, 'info');
    assert.ok(up.summary.includes(`${app.name} is running`), up.summary);
    assert.ok(store.sparkAlerts().length >= mine.length);
  });

  test('the store\'s dashboard feed reads only the steps since its last refresh, and the appended series equal a full read', async () => {
    const ranges: { start: number; end: number }[] = [];
    const feedStore = new Store(
      {
        configured: [
          { name: 'driver', url: job.uiUrl, kind: 'driver', group: 'feed' },
          { name: 'prom', url: env.prometheusUrl, kind: 'prometheus', group: 'feed' },
        ],
        discovery: { enabled: false, driverPorts: [], historyServerPort: 0, masterPort: 0, prometheusPort: 0 },
        refreshIntervalMs: 1000,
        statusBarIntervalMs: 5000,
        requestTimeoutMs: 5000,
        historyMaxApplications: 10,
      },
      {
        makeClient: (s: SourceConfig, t: number) => {
          const inner = createHttpClient({ baseUrl: s.url, timeoutMs: t });
          const note = (path: string, o?: RequestOptions) => {
            if (path === 'api/v1/query_range' && o?.form) ranges.push({ start: Number(o.form.start), end: Number(o.form.end) });
          };
          return { ...inner, getJson: (path, o) => (note(path, o), inner.getJson(path, o)), getText: (path, o) => (note(path, o), inner.getText(path, o)) };
        },
        log: { info: () => {}, warn: () => {}, error: () => {} },
      },
    );
    const key = `feed|${app.id}`;
    const feed = feedStore.dashboards.open(key);
    try {
      await feedStore.refresh();
      feed.setRequest({ range: '5m', widths: { default: 600 }, customQuery: '', queryOverrides: {}, scrapeIntervalSetting: 0 });
      feed.setActive(true);
      // A young application has a point or two: refresh until the settled part below can hold three.
      const first = await waitFor(
        async () => {
          await feed.refresh();
          return feed.last?.data.panels.find((p) => p.id === 'storageMemory' && p.series.some((x) => x.x.length >= 6)) && feed.last;
        },
        { what: 'the feed\'s first data, six points or more', timeoutMs: 120_000, intervalMs: 1000 },
      );
      const firstEnd = first.data.end / 1000;
      // The next refresh, once Prometheus has moved on by a scrape: only the steps after firstEnd.
      const before = ranges.length;
      const next = await waitFor(
        async () => {
          await feed.refresh();
          return feed.last && feed.last.data.end / 1000 > firstEnd ? feed.last : undefined;
        },
        { what: 'a refresh past the first one', timeoutMs: 60_000, intervalMs: 1000 },
      );
      const asked = ranges.slice(before);
      assert.ok(asked.length > 0, 'the refresh asked Prometheus');
      for (const r of asked) assert.ok(r.start > firstEnd - 1 && r.end - r.start < 300 - 1, `an incremental range, not the 5 minutes: ${JSON.stringify(r)} after ${firstEnd}`);
      // What the feed shows equals a full read of the same window now.
      const panel = next.data.panels.find((p) => p.id === 'storageMemory')!;
      const window = { start: next.data.start / 1000, end: next.data.end / 1000 };
      const full = await fetchPanel(prom, { plan: planPanels(detection, app, panel.stepSeconds).find((p) => p.id === 'storageMemory')!, range: { ...window, step: panel.stepSeconds, points: 0 } });
      // The newest steps may still be filled by a scrape landing after the feed read them: compare what is settled.
      const settled = (series: typeof panel.series) =>
        series.map((x) => {
          const n = x.x.filter((t) => t < (window.end - 3 * panel.stepSeconds) * 1000).length;
          return { label: x.label, x: x.x.slice(0, n), y: x.y.slice(0, n) };
        });
      assert.deepEqual(settled(panel.series), settled(full.series));
      assert.ok(settled(panel.series).some((x) => x.x.length >= 3), 'enough points to compare');
    } finally {
      feed.dispose();
      feedStore.dispose();
    }
  });
});

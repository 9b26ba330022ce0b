/**
 * The dashboard's host side without VS Code: the message protocol and its allow-lists, the
 * queries built for each metric profile, the step and range of each panel, chart data with
 * NaN/Inf as gaps, Prometheus's errors per panel, the webview HTML's CSP, and which alerts
 * concern Spark.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CustomResultMessage,
  DASHBOARD_FROM_WEBVIEW,
  DASHBOARD_TO_WEBVIEW,
  DataMessage,
  InitMessage,
  isDashboardState,
  isPanelData,
  isMessage,
  OpenInPrometheusMessage,
  parseMessage,
  ReadyMessage,
  RunQueryMessage,
  SetRangeMessage,
} from '../../src/shared/protocol';
import { detectMetricProfiles, MAX_POINTS_PER_SERIES } from '../../src/model/promql';
import {
  DashboardApp,
  Detection,
  fetchCustom,
  fetchPanel,
  legendFor,
  planPanels,
  planRange,
  prometheusLink,
  prometheusLinkFor,
  timeWindow,
  toSeriesData,
} from '../../src/store/dashboardReads';
import { PrometheusClient } from '../../src/sources/prometheus';
import { HttpClient, HttpError } from '../../src/sources/http';
import { dashboardHtml } from '../../src/features/dashboard/dashboardHtml';
import { webviewCsp, makeNonce } from '../../src/ui/webviewHtml';
import { alertsForApp, concernsSpark, sparkAlerts } from '../../src/model/alerts';

describe('dashboard message protocol', () => {
  test('accepts a declared message with the declared field types, and both sides can switch on it', () => {
    const m = parseMessage(DASHBOARD_FROM_WEBVIEW, { method: 'dashboard/setRange', params: { range: '1h' } });
    assert.ok(m);
    assert.ok(isMessage(SetRangeMessage, m));
    assert.equal(isMessage(ReadyMessage, m), false);
    assert.deepEqual(m.params, { range: '1h' });
    assert.deepEqual(RunQueryMessage.make({ query: 'up' }), { method: 'dashboard/runQuery', params: { query: 'up' } });
  });

  test('ignores unknown methods, wrong field types, extra fields and non-objects', () => {
    const bad: unknown[] = [
      null,
      'dashboard/refresh',
      [],
      { method: 'dashboard/evil', params: {} },
      { method: 'dashboard/setRange', params: { range: '2d' } },
      { method: 'dashboard/setRange', params: { range: 1 } },
      { method: 'dashboard/setRange', params: { range: '1h', extra: 1 } },
      { method: 'dashboard/runQuery', params: { query: 42 } },
      { method: 'dashboard/runQuery', params: { query: 'x'.repeat(10_001) } },
      { method: 'dashboard/ready', params: { widths: { storageMemory: 'wide' } } },
      { method: 'dashboard/ready', params: { widths: { storageMemory: NaN } } },
      { method: 'dashboard/openInPrometheus' },
      { params: { query: 'up' } },
    ];
    for (const raw of bad) assert.equal(parseMessage(DASHBOARD_FROM_WEBVIEW, raw), undefined, JSON.stringify(raw));
  });

  test('each side accepts only its own allow-list: host messages are refused by the host and the reverse', () => {
    const init = InitMessage.make({ state: { appKey: 'local|app-1', range: '15m', customQuery: '' }, appName: 'seed', appId: 'app-1', running: true, panels: [] });
    assert.ok(parseMessage(DASHBOARD_TO_WEBVIEW, init));
    assert.equal(parseMessage(DASHBOARD_FROM_WEBVIEW, init), undefined);
    const open = OpenInPrometheusMessage.make({ query: 'up' });
    assert.ok(parseMessage(DASHBOARD_FROM_WEBVIEW, open));
    assert.equal(parseMessage(DASHBOARD_TO_WEBVIEW, open), undefined);
  });

  test('data carries finite numbers or null only: a panel with NaN or Infinity fails its own check, the others pass', () => {
    const panel = { id: 'custom', title: 'Custom PromQL', unit: 'count', series: [{ label: 'a', x: [1000, 2000], y: [1, null] }], yMin: 1, yMax: 1, warnings: [], queries: ['a'], stepSeconds: 1 };
    assert.ok(parseMessage(DASHBOARD_TO_WEBVIEW, CustomResultMessage.make({ panel: panel as never, query: 'a' })));
    assert.equal(isPanelData(panel), true);
    const nan = { ...panel, series: [{ label: 'a', x: [1000], y: [NaN] }] };
    const inf = { ...panel, id: 'jvmHeap', yMax: Infinity };
    assert.equal(isPanelData(nan), false);
    assert.equal(isPanelData(inf), false);
    // The message passes with every panel in it; the webview checks each and shows an error in that panel only.
    const msg = parseMessage(DASHBOARD_TO_WEBVIEW, { method: DataMessage.method, params: { panels: [panel, inf], fetchedAt: 1, start: 0, end: 1, profiles: [], scrapeIntervalSeconds: 2, range: '15m' } });
    assert.ok(msg && isMessage(DataMessage, msg));
    assert.deepEqual(msg.params.panels.map((p) => isPanelData(p)), [true, false]);
    // A panel that names no panel at all still fails the whole message.
    assert.equal(parseMessage(DASHBOARD_TO_WEBVIEW, { method: DataMessage.method, params: { panels: [{ title: 'x' }], fetchedAt: 1, start: 0, end: 1, profiles: [], scrapeIntervalSeconds: 2, range: '15m' } }), undefined);
  });

  test('validates the state the serializer restores', () => {
    assert.equal(isDashboardState({ appKey: 'local|app-1', range: 'lifetime', customQuery: 'up' }), true);
    assert.equal(isDashboardState({ appKey: 'local|app-1', range: 'forever', customQuery: '' }), false);
    assert.equal(isDashboardState(undefined), false);
  });
});

const APP: DashboardApp = { id: 'app-20261121070837-0000', name: 'seed-cached', running: true, startTime: 1_795_244_917_000 };
const detection = (names: string[]): Detection => ({ detected: detectMetricProfiles(names), scrapeIntervalSeconds: 2, scrapeIntervalFrom: 'targets' });
const byId = (plans: ReturnType<typeof planPanels>) => Object.fromEntries(plans.map((p) => [p.id, p]));

describe('queries built from the detected metric profile', () => {
  test('Spark 3.5/4.x executor endpoint: per-executor bytes, a GC share in %, rates with a window from the step', () => {
    const names = ['metrics_executor_memoryUsed_bytes', 'metrics_executor_maxMemory_bytes', 'metrics_executor_totalCores', 'metrics_executor_totalGCTime_seconds_total'];
    const p = byId(planPanels(detection(names), APP, 5));
    assert.equal(p.storageMemory.profile, 'executorEndpoint');
    assert.deepEqual(p.storageMemory.queries.map((q) => q.expr), [
      'max by (executor_id) (metrics_executor_memoryUsed_bytes{application_id="app-20261121070837-0000"})',
      'max by (executor_id) (metrics_executor_maxMemory_bytes{application_id="app-20261121070837-0000"})',
    ]);
    assert.deepEqual(p.storageMemory.queries.map((q) => q.legend), ['{{executor_id}} used', '{{executor_id}} max']);
    assert.equal(p.jvmHeap.queries[0].expr, 'max by (executor_id) (metrics_executor_JVMHeapMemory_bytes{application_id="app-20261121070837-0000"})');
    // rate window: max(4 scrapes, step + scrape) = max(8 s, 7 s)
    assert.equal(
      p.gcShare.queries[0].expr,
      '100 * sum by (executor_id) (rate(metrics_executor_totalGCTime_seconds_total{application_id="app-20261121070837-0000"}[8s])) / sum by (executor_id) (rate(metrics_executor_totalDuration_seconds_total{application_id="app-20261121070837-0000"}[8s]))',
    );
    assert.equal(p.gcShare.unit, 'percent');
    assert.equal(p.shuffleRate.unit, 'bytesPerSecond');
    assert.equal(p.pythonRss.queries[0].expr, 'max by (executor_id) (metrics_executor_ProcessTreePythonRSSMemory_bytes{application_id="app-20261121070837-0000"})');
    // No container metrics: those panels say what would make them exist.
    assert.match(p.containerCpu.missing ?? '', /cAdvisor/);
    assert.equal(p.containerCpu.queries.length, 0);
  });

  test('Spark 3.0-era names: _Count and _Value', () => {
    const p = byId(planPanels(detection(['metrics_executor_memoryUsed_Count', 'metrics_executor_totalGCTime_Value']), APP, 60));
    assert.equal(p.storageMemory.profile, 'executorEndpointLegacy');
    assert.equal(p.storageMemory.queries[0].expr, 'max by (executor_id) (metrics_executor_memoryUsed_Count{application_id="app-20261121070837-0000"})');
    assert.match(p.gcShare.queries[0].expr, /rate\(metrics_executor_totalGCTime_Value\{application_id="app-20261121070837-0000"\}\[62s\]\)/);
  });

  test('PrometheusServlet: the app id inside the metric name, MiB turned into bytes', () => {
    const names = ['metrics_app_20261121070837_0000_driver_BlockManager_memory_memUsed_MB_Value', 'metrics_app_20261121070837_0000_driver_ExecutorMetrics_JVMHeapMemory_Value'];
    const p = byId(planPanels(detection(names), APP, 15));
    assert.equal(p.storageMemory.profile, 'prometheusServlet');
    assert.equal(p.storageMemory.queries[0].expr, 'metrics_app_20261121070837_0000_driver_BlockManager_memory_memUsed_MB_Value * 1048576');
    assert.equal(p.jvmHeap.queries[0].expr, 'metrics_app_20261121070837_0000_driver_ExecutorMetrics_JVMHeapMemory_Value');
    // The servlet has no per-executor GC counters: the panel says how to get them.
    assert.match(p.gcShare.missing ?? '', /spark\.ui\.prometheus\.enabled=true/);
  });

  test('a servlet namespace of another application does not count', () => {
    const p = byId(planPanels(detection(['metrics_app_other_driver_BlockManager_memory_memUsed_MB_Value']), APP, 15));
    assert.ok(p.storageMemory.missing);
  });

  test('JMX exporter (kubeflow rules): by app_name', () => {
    const p = byId(planPanels(detection(['spark_driver_blockmanager_memory_memused_mb', 'spark_executor_threadpool_activetasks']), APP, 15));
    assert.equal(p.storageMemory.profile, 'jmxExporter');
    assert.equal(p.storageMemory.queries[0].expr, 'spark_driver_blockmanager_memory_memused_mb{app_name="seed-cached"} * 1048576');
    assert.equal(p.activeTasks.queries[0].expr, 'sum(spark_executor_threadpool_activetasks{app_name="seed-cached"})');
  });

  test('container metrics joined to the application by its pods', () => {
    const p = byId(planPanels(detection(['container_cpu_usage_seconds_total', 'container_memory_working_set_bytes']), APP, 30));
    assert.equal(p.containerMemory.profile, 'container');
    assert.match(p.containerMemory.queries[0].expr, /kube_pod_labels\{label_spark_app_selector="app-20261121070837-0000"\}/);
    assert.equal(p.containerCpu.unit, 'cores');
  });

  test('an override from settings replaces one series of one profile, with {app} filled in and escaped', () => {
    const app = { ...APP, id: 'a"b' };
    const p = byId(planPanels(detection(['metrics_executor_memoryUsed_bytes']), app, 5, { 'executorEndpoint.storageMemory.used': 'sum(my_used{app="{app}"})' }));
    assert.equal(p.storageMemory.queries[0].expr, 'sum(my_used{app="a\\"b"})');
    assert.equal(p.storageMemory.queries[1].expr, 'max by (executor_id) (metrics_executor_maxMemory_bytes{application_id="a\\"b"})');
  });

  test('legends fill {{label}} from the series', () => {
    assert.equal(legendFor('{{executor_id}} used', { executor_id: '1' }), '1 used');
    assert.equal(legendFor('{{ pod }} in', {}), ' in');
  });
});

describe('step and range of a panel', () => {
  const widths = [120, 300, 597, 800, 1000, 1280, 1920, 3840];
  const ranges = [300, 900, 3600, 21600, 7 * 86400, 90 * 86400];
  for (const scrape of [1, 2, 15]) {
    test(`at most one point per pixel and 11,000 per series, never finer than a ${scrape} s scrape, aligned to the step`, () => {
      for (const width of widths) {
        for (const span of ranges) {
          const window = { start: 1_795_244_917.3 - span, end: 1_795_244_917.3 };
          const r = planRange(window, width, scrape);
          const what = `width ${width}, range ${span} s → step ${r.step}, ${r.points} points`;
          assert.ok(r.points <= width, what);
          assert.ok(r.points <= MAX_POINTS_PER_SERIES, what);
          assert.ok(r.step >= scrape, what);
          assert.equal(r.start % r.step, 0, what);
          assert.equal(r.end % r.step, 0, what);
          assert.ok(r.start <= window.start && r.end >= window.end, what);
          assert.equal(r.points, Math.floor((r.end - r.start) / r.step) + 1, what);
        }
      }
    });
  }

  test('one hour at the dashboard widths: the figures the report quotes', () => {
    const w = { start: 1_795_241_317, end: 1_795_244_917 };
    assert.deepEqual(planRange(w, 520, 2), { start: 1_795_241_310, end: 1_795_244_920, step: 10, points: 362 });
    assert.equal(planRange(w, 800, 2).step, 5);
    assert.ok(planRange(w, 800, 2).points <= 800);
  });

  test('time windows: the last N minutes, or the lifetime of the application', () => {
    const now = 1_795_245_000_000;
    assert.deepEqual(timeWindow('5m', { ...APP, startTime: 1_795_240_000_000 }, now), { start: 1_795_244_700, end: 1_795_245_000 });
    // Not before the application started: a young one fills the chart's width.
    assert.deepEqual(timeWindow('5m', APP, now), { start: 1_795_244_917, end: 1_795_245_000 });
    assert.deepEqual(timeWindow('lifetime', APP, now), { start: 1_795_244_917, end: 1_795_245_000 });
    assert.deepEqual(timeWindow('lifetime', { ...APP, startTime: now - 10_000 }, now), { start: 1_795_244_940, end: 1_795_245_000 });
    const done = { ...APP, running: false, endTime: 1_795_244_977_000 };
    assert.deepEqual(timeWindow('lifetime', done, now), { start: 1_795_244_917, end: 1_795_244_977 });
    assert.deepEqual(timeWindow('1h', done, now), { start: 1_795_244_917, end: 1_795_244_977 });
    assert.deepEqual(timeWindow('1h', { ...done, startTime: 1_795_200_000_000 }, now), { start: 1_795_244_977 - 3600, end: 1_795_244_977 });
  });
});

/** A PrometheusClient over canned answers: path → body (or an HttpError carrying Prometheus's error body). */
function fakeProm(answer: (path: string, form: Record<string, string>) => unknown): PrometheusClient {
  const http: HttpClient = {
    baseUrl: 'http://alice:secret@127.0.0.1:9090/prom',
    async getJson(path, o) {
      const a = answer(path, (o?.form ?? o?.params ?? {}) as Record<string, string>);
      if (a instanceof Error) throw a;
      return a;
    },
    async getText(path, o) {
      return JSON.stringify(await this.getJson(path, o));
    },
    async head() {
      return { status: 200 };
    },
  };
  return new PrometheusClient(http);
}
const matrix = (result: unknown[]) => ({ status: 'success', data: { resultType: 'matrix', result } });

describe('panel data', () => {
  const range = { start: 1000, end: 1100, step: 10, points: 11 };
  test('NaN and ±Inf become gaps; bounds are finite; a missing sample breaks the line', () => {
    const s = toSeriesData('x', { labels: {}, samples: [{ t: 1000, v: 1 }, { t: 1010, v: NaN }, { t: 1020, v: Infinity }, { t: 1030, v: -Infinity }, { t: 1060, v: 4 }] }, 10);
    assert.deepEqual(s.x, [1_000_000, 1_010_000, 1_020_000, 1_030_000, 1_040_000, 1_060_000]);
    assert.deepEqual(s.y, [1, null, null, null, null, 4]);
  });

  test('a panel keeps Prometheus\'s error as it said it', async () => {
    const prom = fakeProm(() => new HttpError('status', 'HTTP 400', 400, JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'invalid parameter "query": 1:5: parse error: unexpected end of input' })));
    const panel = await fetchCustom(prom, 'sum(', range);
    assert.deepEqual(panel.error, { errorType: 'bad_data', message: 'invalid parameter "query": 1:5: parse error: unexpected end of input' });
    assert.deepEqual(panel.series, []);
  });

  test('warnings reach the panel; values NaN/Inf give null with finite bounds', async () => {
    const prom = fakeProm(() => ({
      ...matrix([
        { metric: { s: 'nan' }, values: [[1000, 'NaN'], [1010, 'NaN']] },
        { metric: { s: 'inf' }, values: [[1000, '+Inf'], [1010, '-Inf']] },
        { metric: { s: 'five' }, values: [[1000, '5'], [1010, '7']] },
      ]),
      warnings: ['PromQL info: metric might not be a counter'],
    }));
    const panel = await fetchCustom(prom, 'q', range);
    assert.deepEqual(panel.warnings, ['PromQL info: metric might not be a counter']);
    assert.deepEqual(panel.series.map((s) => s.label), ['{s="nan"}', '{s="inf"}', '{s="five"}']);
    assert.deepEqual(panel.series[0].y, [null, null]);
    assert.deepEqual(panel.series[1].y, [null, null]);
    assert.equal(panel.yMin, 5);
    assert.equal(panel.yMax, 7);
  });

  test('a panel whose queries return nothing says which setting turns its metrics on', async () => {
    const prom = fakeProm(() => matrix([]));
    const [plan] = planPanels(detection(['metrics_executor_memoryUsed_bytes']), APP, 10).filter((p) => p.id === 'pythonRss');
    const panel = await fetchPanel(prom, { plan, range });
    assert.match(panel.missing ?? '', /spark\.executor\.processTreeMetrics\.enabled=true/);
  });

  test('Python RSS that exists but stays 0 says process-tree metrics are off', async () => {
    const prom = fakeProm(() => matrix([{ metric: { executor_id: '1' }, values: [[1000, '0'], [1010, '0']] }]));
    const [plan] = planPanels(detection(['metrics_executor_memoryUsed_bytes']), APP, 10).filter((p) => p.id === 'pythonRss');
    const panel = await fetchPanel(prom, { plan, range });
    assert.equal(panel.missing, undefined);
    assert.match(panel.note ?? '', /processTreeMetrics/);
    assert.equal(panel.series[0].label, '1');
  });

  test('the "open in Prometheus" link carries the query and no credentials', () => {
    const link = prometheusLink('http://alice:secret@127.0.0.1:9090/prom', 'sum(rate(x[1m]))', 3600);
    assert.equal(link, 'http://127.0.0.1:9090/prom/graph?g0.expr=sum(rate(x%5B1m%5D))&g0.tab=0&g0.range_input=1h');
  });

  test('"open in Prometheus" says why when there is no client to open (a CA file that cannot be read), never throws', async () => {
    const broken = () => Promise.reject(new HttpError('config', 'CA file /nope/ca.pem cannot be read (ENOENT)'));
    assert.deepEqual(await prometheusLinkFor(broken, 'up', 3600), { problem: 'Open in Prometheus: CA file /nope/ca.pem cannot be read (ENOENT)' });
    assert.deepEqual(await prometheusLinkFor(async () => undefined, 'up', 3600), { problem: 'Open in Prometheus: no Prometheus source answers' });
    assert.deepEqual(await prometheusLinkFor(async () => ({ baseUrl: 'http://127.0.0.1:9090' }), '  ', 3600), { problem: 'Open in Prometheus: the query is empty' });
    assert.deepEqual(await prometheusLinkFor(async () => ({ baseUrl: 'http://127.0.0.1:9090' }), ' up ', 3600), { url: 'http://127.0.0.1:9090/graph?g0.expr=up&g0.tab=0&g0.range_input=1h' });
  });
});

describe('webview HTML', () => {
  const html = dashboardHtml({
    cspSource: 'https://file+.vscode-resource.vscode-cdn.net',
    nonce: 'abc123XYZ',
    scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview/charts.js',
    styleUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview/charts.css',
    codiconUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview/codicon.css',
  });
  test('has exactly the CSP DESIGN.md asks for', () => {
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html)?.[1];
    assert.equal(
      csp,
      "default-src 'none'; style-src https://file+.vscode-resource.vscode-cdn.net; font-src https://file+.vscode-resource.vscode-cdn.net; img-src https://file+.vscode-resource.vscode-cdn.net data:; script-src 'nonce-abc123XYZ'",
    );
    assert.equal(csp, webviewCsp('https://file+.vscode-resource.vscode-cdn.net', 'abc123XYZ'));
    assert.doesNotMatch(html, /unsafe-/);
  });
  test('every script carries the nonce and a src; no inline script, style element or style attribute', () => {
    const scripts = html.match(/<script\b[^>]*>/g) ?? [];
    assert.equal(scripts.length, 1);
    for (const s of scripts) {
      assert.match(s, /\snonce="abc123XYZ"/);
      assert.match(s, /\ssrc="https:\/\/file\+\.vscode-resource/);
    }
    assert.doesNotMatch(html, /<script\b[^>]*>[^<]+<\/script>/);
    assert.doesNotMatch(html, /\sstyle\s*=/i);
    assert.doesNotMatch(html, /<style\b/i);
    assert.doesNotMatch(html, /\son[a-z]+\s*=/i, 'no inline event handlers');
    assert.doesNotMatch(html, /command:/);
  });
  test('nonces are 32 characters of [A-Za-z0-9]', () => {
    let i = 0;
    const n = makeNonce((len) => Uint8Array.from({ length: len }, () => (i += 37) % 256));
    assert.match(n, /^[A-Za-z0-9]{32}$/);
  });
});

describe('alerts that concern Spark', () => {
  const a = (labels: Record<string, string>, state = 'firing') => ({ labels, annotations: { summary: `s ${labels.alertname}` }, state });
  test('firing alerts with an application label or a Spark* name; pending and other alerts left out', () => {
    assert.equal(concernsSpark(a({ alertname: 'SparkApplicationUp' })), true);
    assert.equal(concernsSpark(a({ alertname: 'HighHeap', application_id: 'app-1' })), true);
    assert.equal(concernsSpark(a({ alertname: 'HighHeap', app_name: 'seed' })), true);
    assert.equal(concernsSpark(a({ alertname: 'HighHeap', spark_app_selector: 'spark-1' })), true);
    assert.equal(concernsSpark(a({ alertname: 'SparkApplicationUp' }, 'pending')), false);
    assert.equal(concernsSpark(a({ alertname: 'NodeDown', instance: 'x' })), false);
  });
  test('each alert goes to its application by id, else by name; duplicates from two Prometheus servers count once', () => {
    const list = sparkAlerts([
      a({ alertname: 'SparkApplicationUp', application_id: 'app-1', application_name: 'seed' }),
      a({ alertname: 'SparkApplicationUp', application_id: 'app-1', application_name: 'seed' }),
      a({ alertname: 'SparkExecutorStorageMemoryHigh', application_id: 'app-2', executor_id: '1', severity: 'warning' }),
      a({ alertname: 'JmxHeap', app_name: 'seed' }),
      a({ alertname: 'SparkClusterDown' }),
    ]);
    assert.equal(list.length, 4);
    assert.deepEqual(alertsForApp(list, { id: 'app-1', name: 'seed' }).map((x) => x.name), ['JmxHeap', 'SparkApplicationUp']);
    const two = alertsForApp(list, { id: 'app-2', name: 'other' });
    assert.deepEqual(two.map((x) => [x.name, x.executorId, x.severity, x.summary]), [['SparkExecutorStorageMemoryHigh', '1', 'warning', 's SparkExecutorStorageMemoryHigh']]);
  });
});

/**
 * Range queries of the dashboard (DESIGN.md: ≤ 1 point per horizontal pixel per series; a chart
 * refresh moves fewer bytes than the Grafana dashboards in reference/grafana need for the same
 * questions), against the REAL Prometheus of scripts/spark-env.sh with a running job (sparkJob.ts).
 *
 * Ours: the dashboard's own code (store/dashboardReads.ts: detect, planRange, planPanels,
 * fetchPanels; model/promql.ts chooseStep/alignRange), every panel at one canvas width, for the
 * last hour (not clamped to the application's start, as Grafana's "Last 1 hour" is not), at 600
 * and 1200 px. Points per series are counted in Prometheus's answers; plus the custom PromQL
 * panel with `up`, a series that spans the whole hour.
 *
 * Theirs: each reference dashboard's visible targets, variables substituted for this environment
 * (grafana.ts says how, and how Grafana's step is modelled), over the same hour, once "as written"
 * (most of their metrics do not exist here: noted per dashboard) and once "same questions": the
 * panels that answer one of our panels' questions, with their metric names translated to the
 * names this Spark exports and their query shape, step and rate window kept.
 *
 * Every request goes through a counting proxy (promProxy.ts); bytes moved = request (URL + form)
 * + response body as sent (gzip, as both our client and Grafana ask for it).
 */
import * as path from 'node:path';
import { createHttpClient } from '../../src/sources/http';
import { PrometheusClient, PrometheusError } from '../../src/sources/prometheus';
import { DashboardApp, detect, fetchCustom, fetchPanels, PanelRequest, planPanels, planRange, readPanel } from '../../src/store/dashboardReads';
import { alignRange, PANELS, PanelId, parsePromDuration, sanitizeMetricKey } from '../../src/model/promql';
import { getJson, waitFor } from '../integration/env';
import { BenchResult, progress, round, runAlone } from './common';
import { GRAFANA_DIR, grafanaStep, GrafanaTarget, loadTargets, substitute } from './grafana';
import { PromProxy, ProxiedRequest, startPromProxy } from './promProxy';
import { sharedLongRunningJob } from './sparkJob';
import { releaseAll } from './sparkEnv';

const RANGE_S = 3600;
const WIDTHS = [600, 1200];

type Question = Exclude<PanelId, 'containerCpu' | 'containerMemory' | 'containerNetwork'>;

/** A reference panel that answers one of our questions, in this Spark's metric names. */
interface Translation {
  readonly dashboard: string;
  readonly panelTitle: string;
  readonly refId: string;
  readonly question: Question;
  readonly expr: string;
}

const A = 'application_id="$ApplicationId"';
const B = 'application_id="$AppId"';
const TRANSLATIONS: readonly Translation[] = [
  // CERN (spark-dashboard, Graphite sink names → this Spark's executor endpoint names; $AggrInterval = 10s).
  { dashboard: 'cerndb-spark-perf-promql', panelTitle: 'OnHeap Storage Memory', refId: 'A', question: 'storageMemory', expr: `metrics_executor_OnHeapStorageMemory_bytes{${A}}` },
  { dashboard: 'cerndb-spark-perf-promql', panelTitle: 'JVM On Heap Memory', refId: 'A', question: 'jvmHeap', expr: `metrics_executor_JVMHeapMemory_bytes{${A}}` },
  { dashboard: 'cerndb-spark-perf-promql', panelTitle: 'OnHeap Execution Memory', refId: 'A', question: 'executionMemory', expr: `metrics_executor_OnHeapExecutionMemory_bytes{${A}}` },
  { dashboard: 'cerndb-spark-perf-promql', panelTitle: 'Garbage Collection Time (N# of cores equivalent) - from task metrics', refId: 'A', question: 'gcShare', expr: `rate(metrics_executor_totalGCTime_seconds_total{${A}}[$AggrInterval])` },
  { dashboard: 'cerndb-spark-perf-promql', panelTitle: 'Number of Active Tasks', refId: 'A', question: 'activeTasks', expr: `avg_over_time(metrics_executor_activeTasks{${A}}[$AggrInterval])` },
  { dashboard: 'cerndb-spark-perf-promql', panelTitle: 'Shuffle Total Bytes Read/sec - from task metrics', refId: 'A', question: 'shuffleRate', expr: `rate(metrics_executor_totalShuffleRead_bytes_total{${A}}[$AggrInterval])` },
  { dashboard: 'cerndb-spark-perf-promql', panelTitle: 'Shuffle Bytes Written/sec - from taskmetrics', refId: 'A', question: 'shuffleRate', expr: `rate(metrics_executor_totalShuffleWrite_bytes_total{${A}}[$AggrInterval])` },
  { dashboard: 'cerndb-spark-perf-promql', panelTitle: 'N# of Tasks, Compled', refId: 'A', question: 'taskRate', expr: `sum (max_over_time(metrics_executor_completedTasks_total{${A}}[$__range]) - min_over_time(metrics_executor_completedTasks_total{${A}}[$__range]))` },
  { dashboard: 'cerndb-spark-perf-promql', panelTitle: 'ProcessTreePythonRSSMemory', refId: 'A', question: 'pythonRss', expr: `rate(metrics_executor_ProcessTreePythonRSSMemory_bytes{${A}}[$AggrInterval])` },
  // EMR on EKS: already executor-endpoint names; pod="$Pod" → the application id label, and
  // executor_id!="driver" dropped (in local mode the driver is the only executor).
  { dashboard: 'spark-emr-on-eks-18387', panelTitle: 'JVM Heap Memory', refId: 'A', question: 'jvmHeap', expr: `sum(metrics_executor_JVMHeapMemory_bytes{${B}})by(executor_id)` },
  { dashboard: 'spark-emr-on-eks-18387', panelTitle: 'Current Active Tasks', refId: 'A', question: 'activeTasks', expr: `metrics_executor_activeTasks{${B}}` },
  { dashboard: 'spark-emr-on-eks-18387', panelTitle: 'Spark Shuffle Data Written', refId: 'A', question: 'shuffleRate', expr: `metrics_executor_totalShuffleWrite_bytes_total{${B}}` },
  { dashboard: 'spark-emr-on-eks-18387', panelTitle: 'Spark Shuffle Data Read', refId: 'A', question: 'shuffleRate', expr: `metrics_executor_totalShuffleRead_bytes_total{${B}}` },
  { dashboard: 'spark-emr-on-eks-18387', panelTitle: 'Completed Tasks', refId: 'A', question: 'taskRate', expr: `metrics_executor_completedTasks_total{${B}}` },
];

function varsFor(dashboard: string, appId: string, appName: string): Record<string, string> {
  const ns = sanitizeMetricKey(appId);
  if (dashboard.startsWith('cerndb')) return { UserName: '.*', ApplicationId: appId, AggrInterval: '10s', AppId: appId };
  // EMR on EKS: the job id appears in the servlet sink's metric names (here: the app id, sanitized);
  // Kubernetes variables have no counterpart here and get values that match nothing of this env.
  return {
    AppId: appId,
    job_id: ns,
    vc_id: 'none',
    c_arn: '.*',
    Pod: appId,
    executor: '.*',
    Node: '.*',
    Pod_ip: '127.0.0.1',
    phase: 'Running',
    driver_node: 'none',
    namespace: 'default',
    spark_version: '4.3.0',
    driver_ns: 'default',
    job_runner_pod: `${appName}-runner`,
    data_source: 'prometheus',
  };
}

const moved = (rs: readonly ProxiedRequest[]) => rs.reduce((a, r) => a + r.sentBytes + r.receivedBytes, 0);
const decoded = (rs: readonly ProxiedRequest[]) => rs.reduce((a, r) => a + r.decodedBytes, 0);
const kb = (b: number) => round(b / 1024, 1);

/**
 * Our dashboard and the reference dashboards' queries for one application, over the hour up to
 * `endAt` (now by default). A live refresh is measured for a running application (waiting for
 * its next refresh) and for a `replay`: a finished application's hour up to its last samples,
 * refreshed as its dashboard was while it ran (Prometheus answers a past window as it did then,
 * so no clock is waited on).
 */
async function measure(
  prom: PrometheusClient,
  proxy: PromProxy,
  app: DashboardApp,
  label: string,
  withGrafana: boolean,
  endAt?: { readonly end: number; readonly replay: true },
): Promise<BenchResult[]> {
  const rows: BenchResult[] = [];
  const T = (t: string) => `${label}:${t}`;
  proxy.tag(T('ours:detect'));
  const detection = await detect(prom, app, 0);
  const scrape = detection.scrapeIntervalSeconds;
  const now = endAt?.end ?? Date.now() / 1000;
  const window = { start: now - RANGE_S, end: now };
  const ourBytesByQuestion = new Map<number, Map<string, number>>();
  // A live dashboard's refreshes after the first: only the steps since the last (store/dashboardFeed.ts).
  const liveBytesByQuestion = new Map<number, Map<string, number>>();

  for (const width of WIDTHS) {
    // As dashboardPanel.collect does it: each panel's step from its width, rate windows from the step.
    const reqs: PanelRequest[] = PANELS.map((p) => {
      const range = planRange(window, width, scrape);
      return { plan: planPanels(detection, app, range.step).find((x) => x.id === p.id)!, range };
    });
    proxy.tag(T(`ours:${width}`));
    const panels = await fetchPanels(prom, reqs);
    const mine = proxy.log.filter((r) => r.tag === T(`ours:${width}`));
    const ranges = mine.filter((r) => r.path.endsWith('/query_range'));
    const maxPoints = Math.max(0, ...ranges.map((r) => r.maxPoints ?? 0));
    const seriesCount = ranges.reduce((a, r) => a + (r.series ?? 0), 0);
    const byQ = new Map<string, number>();
    for (const r of ranges) {
      const panel = reqs.find((q) => q.plan.queries.some((x) => x.expr === r.query));
      if (panel) byQ.set(panel.plan.id, (byQ.get(panel.plan.id) ?? 0) + r.sentBytes + r.receivedBytes);
    }
    ourBytesByQuestion.set(width, byQ);
    const drawn = panels.filter((p) => p.series.length > 0).length;
    rows.push({
      name: `rangeQuery: ${label}: points per series, max over the dashboard's queries (1 h at ${width} px)`,
      value: maxPoints,
      unit: 'points',
      budget: width,
      note: `step ${reqs[0].range.step} s (scrape ${scrape} s, from ${detection.scrapeIntervalFrom}), at most ${reqs[0].range.points} points planned; ${ranges.length} range queries returned ${seriesCount} series; ${drawn} of ${panels.length} panels with data (profiles ${detection.detected.profiles.join(', ') || 'none'})`,
    });
    rows.push({
      name: `rangeQuery: ${label}: bytes moved per dashboard refresh (1 h at ${width} px)`,
      value: kb(moved(mine)),
      unit: 'KB',
      note: `${mine.length} requests; ${kb(mine.reduce((a, r) => a + r.receivedBytes, 0))} KB received (gzip), ${kb(decoded(mine))} KB of JSON decoded`,
    });
    if (app.running || endAt?.replay) {
      // The dashboard's next refresh, as its feed makes it: after max(refreshInterval 3 s, step),
      // each panel asks only for the steps after its kept ones (model/chartSeries.ts rangeToRead).
      proxy.tag(T(`ours:prime:${width}`));
      const first = await Promise.all(reqs.map((q) => readPanel(prom, q)));
      const due = (reqs[0].range.end + Math.max(3, reqs[0].range.step)) * 1000;
      if (!endAt) await waitFor(async () => (Date.now() >= due ? true : undefined), { what: 'the next live refresh', timeoutMs: 120_000, intervalMs: 250 });
      const later = endAt ? due / 1000 : Date.now() / 1000;
      const next: PanelRequest[] = reqs.map((q) => ({ plan: q.plan, range: planRange({ start: later - RANGE_S, end: later }, width, scrape) }));
      proxy.tag(T(`ours:live:${width}`));
      const reads = await Promise.all(next.map((q, i) => readPanel(prom, q, first[i].kept)));
      const live = proxy.log.filter((r) => r.tag === T(`ours:live:${width}`));
      const byQ = new Map<string, number>();
      for (const r of live) {
        const panel = next.find((q) => q.plan.queries.some((x) => r.query !== undefined && r.query === x.expr));
        if (panel) byQ.set(panel.plan.id, (byQ.get(panel.plan.id) ?? 0) + r.sentBytes + r.receivedBytes);
      }
      liveBytesByQuestion.set(width, byQ);
      const points = Math.max(0, ...live.filter((r) => r.path.endsWith('/query_range')).map((r) => r.maxPoints ?? 0));
      rows.push({
        name: `rangeQuery: ${label}: bytes moved per live refresh after the first (1 h at ${width} px)`,
        value: kb(moved(live)),
        unit: 'KB',
        note: `${live.length} requests for the ${round(later - reqs[0].range.end, 1)} s since the last refresh (at most ${points} points per series); ${reads.filter((x) => x.panel.series.length > 0).length} panels drawn`,
      });
    }
  }
  const detectReqs = proxy.log.filter((r) => r.tag === T('ours:detect'));
  rows.push({ name: `rangeQuery: ${label}: bytes moved by profile detection (when a dashboard opens, then every 60 s)`, value: kb(moved(detectReqs)), unit: 'KB', note: `${detectReqs.length} requests` });
  if (!withGrafana) return rows;

  // --- the reference Grafana dashboards ----------------------------------------------------
  for (const f of ['cerndb-spark-perf-promql.json', 'spark-emr-on-eks-18387.json']) {
    const targets = loadTargets(path.join(GRAFANA_DIR, f));
    const dash = path.basename(f, '.json');
    const vars = varsFor(dash, app.id, app.name);
    let data = 0;
    let empty = 0;
    const errors: string[] = [];
    const runTarget = async (t: GrafanaTarget, expr: string, tag: string) => {
      const { step, intervalS } = grafanaStep(t, RANGE_S);
      const q = substitute(expr, vars, intervalS, RANGE_S);
      const { start, end } = alignRange(window.start, window.end, step);
      proxy.tag(tag);
      let series = 0;
      try {
        series = (await prom.queryRange(q, start, end, step)).series.length;
      } catch (e) {
        if (!(e instanceof PrometheusError)) throw e;
        return { error: `${t.panelTitle}: ${e.message.slice(0, 120)}` };
      }
      if (t.exemplar) {
        // Grafana asks for exemplars of such targets alongside the range query.
        await fetch(`${proxy.url}/api/v1/query_exemplars`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ query: q, start: String(start), end: String(end) }),
        }).then((r) => r.arrayBuffer());
      }
      return { series };
    };
    progress('rangeQuery', `${label}: ${dash}: ${targets.length} visible targets as written, then the same questions…`);
    for (const t of targets) {
      const r = await runTarget(t, t.expr, T(`grafana:${dash}:as-written`));
      if (r.error) errors.push(r.error);
      else if ((r.series ?? 0) > 0) data++;
      else empty++;
    }
    const asWritten = proxy.log.filter((r) => r.tag === T(`grafana:${dash}:as-written`));
    rows.push({
      name: `rangeQuery: ${label}: Grafana "${dash}" as written, bytes per refresh (1 h)`,
      value: kb(moved(asWritten)),
      unit: 'KB',
      note: `${targets.length} visible targets: ${data} returned data, ${empty} returned nothing (${dash.startsWith('cerndb') ? "Graphite-sink metric names like jvmCpuTime_value{applicationid=…}, absent here" : 'Kubernetes metrics (kube_*, container_*, node_*) and pod labels, absent here'}), ${errors.length} refused by Prometheus${errors.length ? ` (${errors.join('; ')})` : ''}; ${asWritten.length} requests incl. query_exemplars. A lower bound of what it moves where its metrics exist`,
    });

    // Same questions: their panels that answer ours, in this Spark's names, their step and shape.
    const theirs = new Map<string, number>();
    const steps = new Set<number>();
    for (const tr of TRANSLATIONS.filter((x) => x.dashboard === dash)) {
      const t = targets.find((x) => x.panelTitle === tr.panelTitle && x.refId === tr.refId);
      if (!t) {
        errors.push(`translation target not found: ${tr.panelTitle}/${tr.refId}`);
        continue;
      }
      steps.add(grafanaStep(t, RANGE_S).step);
      const before = proxy.log.length;
      const r = await runTarget(t, tr.expr, T(`grafana:${dash}:same:${tr.question}`));
      if (r.error) errors.push(r.error);
      theirs.set(tr.question, (theirs.get(tr.question) ?? 0) + moved(proxy.log.slice(before)));
    }
    const questions = [...theirs.keys()];
    const theirTotal = [...theirs.values()].reduce((a, b) => a + b, 0);
    rows.push({
      name: `rangeQuery: ${label}: Grafana "${dash}", same questions, bytes per refresh (1 h)`,
      value: kb(theirTotal),
      unit: 'KB',
      note: `${questions.length} of our 8 questions answered (${questions.map((q) => `${q} ${kb(theirs.get(q)!)} KB`).join(', ')}); Grafana steps ${[...steps].sort((a, b) => a - b).join(', ')} s`,
    });
    for (const width of WIDTHS) {
      const ours = ourBytesByQuestion.get(width)!;
      const ourTotal = questions.reduce((a, q) => a + (ours.get(q) ?? 0), 0);
      rows.push({
        name: `rangeQuery: ${label}: bytes ours / Grafana "${dash}", same questions (ours at ${width} px)`,
        value: round(ourTotal / Math.max(1, theirTotal), 3),
        unit: 'ratio',
        budget: 1,
        note: `ours ${kb(ourTotal)} KB (${questions.map((q) => `${q} ${kb(ours.get(q) ?? 0)} KB`).join(', ')}) vs theirs ${kb(theirTotal)} KB`,
      });
      const live = liveBytesByQuestion.get(width);
      if (live) {
        const liveTotal = questions.reduce((a, q) => a + (live.get(q) ?? 0), 0);
        rows.push({
          name: `rangeQuery: ${label}: bytes ours per live refresh / Grafana "${dash}" per refresh, same questions (ours at ${width} px)`,
          value: round(liveTotal / Math.max(1, theirTotal), 3),
          unit: 'ratio',
          budget: 0.5,
          note: `ours ${kb(liveTotal)} KB (only the steps since the last refresh) vs theirs ${kb(theirTotal)} KB (Grafana asks for the whole hour at every refresh)`,
        });
      }
    }
  }
  return rows;
}

/**
 * The application with the most executor samples in Prometheus over the last hour: the running
 * job may be minutes old, and bytes per refresh only mean something over data that fills the range.
 * With the time of its last sample (to replay its live refresh) and the minutes its samples span.
 */
async function richestApp(prom: PrometheusClient): Promise<{ app: DashboardApp; lastSample: number; spanMinutes: number } | undefined> {
  const r = await prom.query('sort_desc(sum by (application_id, application_name) (count_over_time(metrics_executor_totalCores[1h])))');
  const top = r.series[0];
  const id = top?.labels.application_id;
  if (!id) return undefined;
  const minutes = (top.samples[0]?.v ?? 0) / 30; // 2 s scrapes: 30 per minute and executor
  const sel = `metrics_executor_totalCores{application_id="${id.replace(/["\\]/g, '\\$&')}"}`;
  const [last, first] = await Promise.all([
    prom.query(`max(max_over_time(timestamp(${sel})[1h:2s]))`),
    prom.query(`min(min_over_time(timestamp(${sel})[1h:2s]))`),
  ]);
  const lastSample = last.series[0]?.samples[0]?.v;
  const firstSample = first.series[0]?.samples[0]?.v;
  if (lastSample === undefined || firstSample === undefined) return undefined;
  // Scraped in the last 30 s: it still runs, and its live refresh is measured as it happens.
  const running = Date.now() / 1000 - lastSample < 30;
  return {
    app: { id, name: `${top.labels.application_name ?? ''} (${round(minutes, 1)} executor-minutes in the last hour${running ? ', running' : ''})`, running },
    lastSample,
    spanMinutes: round((lastSample - firstSample) / 60, 1),
  };
}

export async function run(): Promise<BenchResult[]> {
  const shared = await sharedLongRunningJob();
  const proxy = await startPromProxy(shared.env.prometheusUrl);
  const rows: BenchResult[] = [];
  try {
    const prom = new PrometheusClient(createHttpClient({ baseUrl: proxy.url, timeoutMs: 30_000 }));
    const direct = new PrometheusClient(createHttpClient({ baseUrl: shared.env.prometheusUrl, timeoutMs: 30_000 }));
    const apps = await getJson<{ id: string; attempts: { startTimeEpoch?: number }[] }[]>(`${shared.uiUrl}/api/v1/applications`);
    const app: DashboardApp = { id: shared.appId, name: shared.appName, startTime: apps[0]?.attempts[0]?.startTimeEpoch, running: true };
    progress('rangeQuery', `Prometheus ${shared.env.prometheusUrl}, application ${app.id}; waiting for its series…`);
    await waitFor(async () => ((await direct.labelValues('__name__', `{application_id="${app.id}"}`)).length > 0 ? true : undefined), {
      what: `series of ${app.id} in Prometheus`,
      timeoutMs: 120_000,
    });
    const age = round((Date.now() - (app.startTime ?? Date.now())) / 60_000, 1);
    // Names stay the same from run to run (bench.json is compared across runs); ids go in notes.
    const current = await measure(prom, proxy, app, 'running job', true);
    current[0] = { ...current[0], note: `${app.id} (long_running.py), ${age} min old: its series cover only that part of the hour; ${current[0].note ?? ''}` };
    rows.push(...current);
    // A series that fills the whole hour: the custom PromQL panel with `up` (every scrape target).
    const scrape = parsePromDuration(shared.env.scrapeInterval) ?? 15;
    for (const width of WIDTHS) {
      const now = Date.now() / 1000;
      proxy.tag(`custom:${width}`);
      const custom = await fetchCustom(prom, 'up', planRange({ start: now - RANGE_S, end: now }, width, scrape));
      const cr = proxy.log.filter((r) => r.tag === `custom:${width}` && r.path.endsWith('/query_range'));
      rows.push({
        name: `rangeQuery: points per series, custom panel \`up\` (1 h at ${width} px)`,
        value: Math.max(0, ...cr.map((r) => r.maxPoints ?? 0)),
        unit: 'points',
        budget: width,
        note: `${custom.series.length} series, step ${custom.stepSeconds} s; the environment's Master and Workers are scraped all the time, so their series fill the hour once it is an hour old`,
      });
    }
    const richest = await richestApp(direct);
    if (richest && richest.app.id !== app.id) {
      const rich = richest.app;
      progress('rangeQuery', `longest history in the last hour: ${rich.id} ${rich.name}`);
      const more = await measure(prom, proxy, rich, 'longest-history app', true);
      more[0] = { ...more[0], note: `${rich.id} is ${rich.name}, chosen as the application with the most executor samples in the last hour (finished or not), so that the range holds data; ${more[0].note ?? ''}` };
      rows.push(...more);
      if (rich.running) return rows;
      // Its live refresh, replayed: the hour up to 30 s before its last samples, then the next
      // refresh, against Grafana's whole hour up to the same moment.
      progress('rangeQuery', `the same application's live refresh, replayed at its last samples (${richest.spanMinutes} min of samples)`);
      const replay = await measure(prom, proxy, rich, 'longest-history app, live refresh replayed', true, { end: richest.lastSample - 30, replay: true });
      const kept = replay.filter((r) => /live refresh|Grafana .*same questions, bytes per refresh/.test(r.name));
      if (kept[0]) kept[0] = { ...kept[0], note: `${rich.id}: the hour up to 30 s before its last samples (its samples span ${richest.spanMinutes} min), refreshed as its dashboard was while it ran; ${kept[0].note ?? ''}` };
      rows.push(...kept);
    }
  } finally {
    await proxy.close();
  }
  return rows;
}

if (require.main === module) runAlone(run, releaseAll);

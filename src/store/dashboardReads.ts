/**
 * The dashboard's query orchestration, on the host side: which metric profile an application
 * exposes, the scrape interval, the range and step of each panel, and the range queries, all
 * through the store's Prometheus client. The webview only draws what this returns.
 *
 * It imports nothing from `vscode`, so integration tests run it in Node against the real
 * Prometheus.
 */
import { PrometheusClient, PrometheusError, Series } from '../sources/prometheus';
import {
  alignRange,
  chooseRateWindow,
  chooseStep,
  DetectedProfiles,
  detectMetricProfiles,
  escapeLabelValue,
  PANELS,
  PanelPlan,
  planDashboard,
  promqlUiLink,
  PYTHON_RSS_ZERO_HINT,
  sanitizeMetricKey,
} from '../model/promql';
import { appendSeries, bounds, ChartSeries, cutLabel, KeptSeries, rangeToRead, RawSeries, toPoints, topSeries } from '../model/chartSeries';
import { CUSTOM_PANEL_ID, PanelData, SeriesData, TimeRange } from '../shared/protocol';

/** What the dashboard needs to know about its application. */
export interface DashboardApp {
  readonly id: string;
  readonly name: string;
  /** Epoch ms. */
  readonly startTime?: number;
  readonly endTime?: number;
  readonly running: boolean;
  /** A fixed `spark.metrics.namespace`, when the application sets one. */
  readonly metricsNamespace?: string;
}

export interface Detection {
  readonly detected: DetectedProfiles;
  readonly scrapeIntervalSeconds: number;
  /** Where the interval came from: 'targets' (Prometheus said), 'setting', or 'default'. */
  readonly scrapeIntervalFrom: 'targets' | 'setting' | 'default';
}

/** The interval assumed when neither the targets API nor the setting says (Prometheus's default). */
export const DEFAULT_SCRAPE_INTERVAL_SECONDS = 15;
/** Width assumed for a canvas the webview has not measured yet. */
export const DEFAULT_WIDTH_PX = 600;

const RANGE_SECONDS: Record<Exclude<TimeRange, 'lifetime'>, number> = { '5m': 300, '15m': 900, '1h': 3600, '6h': 21600 };

/**
 * Which profiles Prometheus has for this application: the metric names that carry its id (the
 * executor endpoint), its name (JMX exporter), its servlet namespace, and container metrics of
 * pods labelled with its id. Plus the scrape interval of the targets that export its series.
 * Five small requests, done when a dashboard opens and now and then after.
 */
export async function detect(
  prom: PrometheusClient,
  app: DashboardApp,
  scrapeIntervalSetting: number,
  signal?: AbortSignal,
): Promise<Detection> {
  const id = escapeLabelValue(app.id);
  const namespaces = [app.id, app.metricsNamespace].filter((x): x is string => !!x).map(sanitizeMetricKey);
  const servletRe = namespaces.map((n) => `metrics_${n}_driver_.+`).join('|');
  const optional = <T>(p: Promise<T>, fallback: T) => p.catch((e: unknown) => {
    if (signal?.aborted) throw e;
    return fallback;
  });
  const [byId, byName, servlet, pods, jobs] = await Promise.all([
    prom.labelValues('__name__', `{application_id="${id}"}`, signal),
    optional(prom.labelValues('__name__', `{app_name="${escapeLabelValue(app.name)}"}`, signal), []),
    optional(prom.labelValues('__name__', `{__name__=~"${servletRe}"}`, signal), []),
    optional(prom.labelValues('pod', `kube_pod_labels{label_spark_app_selector="${id}"}`, signal), []),
    optional(prom.labelValues('job', `{application_id="${id}"}`, signal), []),
  ]);
  const names = [...byId, ...byName, ...servlet];
  // Container metrics count only when pods of this application are known to kube-state-metrics.
  if (pods.length > 0) {
    const container = await optional(prom.labelValues('__name__', '{__name__=~"container_cpu_usage_seconds_total|container_memory_working_set_bytes"}', signal), []);
    names.push(...container);
  }
  const detected = detectMetricProfiles(names);

  if (scrapeIntervalSetting > 0) return { detected, scrapeIntervalSeconds: scrapeIntervalSetting, scrapeIntervalFrom: 'setting' };
  const targets = await optional(prom.targets(signal), []);
  const ofApp = targets.filter((t) => jobs.includes(t.labels.job ?? ''));
  const intervals = (ofApp.length ? ofApp : targets).map((t) => t.scrapeIntervalSeconds).filter((s): s is number => s !== undefined && s > 0);
  return intervals.length
    ? { detected, scrapeIntervalSeconds: Math.min(...intervals), scrapeIntervalFrom: 'targets' }
    : { detected, scrapeIntervalSeconds: DEFAULT_SCRAPE_INTERVAL_SECONDS, scrapeIntervalFrom: 'default' };
}

/**
 * The time range in seconds since epoch: the application's lifetime, or the last N minutes of
 * it (never before it started, so a young application fills the width; at least a minute).
 */
export function timeWindow(range: TimeRange, app: DashboardApp, nowMs: number): { start: number; end: number } {
  const end = (app.running || app.endTime === undefined ? nowMs : app.endTime) / 1000;
  const born = app.startTime !== undefined ? app.startTime / 1000 : undefined;
  const start = range === 'lifetime' ? (born ?? end - 3600) : Math.max(end - RANGE_SECONDS[range], born ?? -Infinity);
  return { start: Math.min(start, end - 60), end };
}

export interface RangePlan {
  readonly start: number;
  readonly end: number;
  readonly step: number;
  /** Samples per series Prometheus will return at most. */
  readonly points: number;
}

/**
 * Range and step of one panel: the model's step for a width a little under the canvas's, so
 * that the one or two extra steps aligning adds (start down, end up) still leave at most one
 * point per pixel; never finer than the scrape; never over 11,000 points.
 */
export function planRange(window: { start: number; end: number }, widthPx: number, scrapeIntervalSeconds: number): RangePlan {
  const width = Math.max(4, Math.floor(widthPx));
  const step = chooseStep({ rangeSeconds: window.end - window.start, widthPx: width - 3, scrapeIntervalSeconds });
  const { start, end } = alignRange(window.start, window.end, step);
  return { start, end, step, points: Math.floor((end - start) / step) + 1 };
}

/** `{{label}}` in a legend template → the series' label value. */
export function legendFor(template: string, labels: Readonly<Record<string, string>>): string {
  return template.replace(/\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g, (_m, k: string) => labels[k] ?? '');
}

/** A series' label set as Prometheus's UI writes it: `name{a="b", …}`. */
export function seriesName(labels: Readonly<Record<string, string>>): string {
  const { __name__: name = '', ...rest } = labels;
  const inner = Object.keys(rest).sort().map((k) => `${k}="${rest[k]}"`).join(', ');
  return inner ? `${name}{${inner}}` : name || '{}';
}

/**
 * Samples → chart data: x in epoch ms, NaN and ±Inf as null (gaps, never on an axis), and a
 * null where Prometheus left samples out (a scrape gap, an executor that was not there), so
 * the line breaks instead of bridging the gap.
 */
export function toSeriesData(label: string, s: Series, step: number): SeriesData {
  return { label, ...toPoints(s.samples, step) };
}

export interface PanelRequest {
  readonly plan: PanelPlan;
  readonly range: RangePlan;
}

/** The panels' plans for an application (the model's templates, with the user's overrides). */
export function planPanels(detection: Detection, app: DashboardApp, stepSeconds: number, overrides?: Readonly<Record<string, string>>): PanelPlan[] {
  return planDashboard(
    detection.detected,
    { appId: app.id, appName: app.name, window: chooseRateWindow(stepSeconds, detection.scrapeIntervalSeconds), metricsNamespace: app.metricsNamespace },
    overrides,
  );
}

const HINTS = new Map(PANELS.map((p) => [p.id, p.enableHint]));

/** Thrown when Prometheus itself cannot be reached: no panel has anything to say. */
export class DashboardUnavailable extends Error {}

/** A panel's data, and its series as kept for the next refresh (undefined after an error). */
export interface PanelRead {
  readonly panel: PanelData;
  readonly kept?: KeptSeries;
}

/**
 * Runs one panel's queries: the whole window, or (with what the last refresh kept) only the
 * steps since, appended. Prometheus's own error (bad query, timeout) stays with the panel; a
 * panel whose queries return no series says which setting would make them exist. At most
 * TOP_K series and one "all others" reach the webview; labels are cut.
 */
export async function readPanel(prom: PrometheusClient, req: PanelRequest, kept?: KeptSeries, signal?: AbortSignal): Promise<PanelRead> {
  const { plan, range } = req;
  const base = { id: plan.id, title: plan.title, unit: plan.unit, stepSeconds: range.step, profile: plan.profile, queries: plan.queries.map((q) => q.expr) };
  if (plan.missing !== undefined) {
    return { panel: { ...base, series: [], yMin: null, yMax: null, warnings: [], missing: plan.missing } };
  }
  const signature = `${range.step}|${base.queries.join('\n')}`;
  const read = rangeToRead(kept, signature, range);
  let all: ChartSeries[] = kept && !read ? [...kept.series] : [];
  const warnings: string[] = [];
  let error: PanelData['error'];
  if (read) {
    const results = await Promise.allSettled(plan.queries.map((q) => prom.queryRange(q.expr, read.start, read.end, range.step, signal)));
    const fresh: RawSeries[] = [];
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') {
        warnings.push(...r.value.warnings);
        for (const s of r.value.series) fresh.push({ label: cutLabel(legendFor(plan.queries[i].legend, s.labels) || seriesName(s.labels)), samples: s.samples });
      } else if (r.reason instanceof PrometheusError) {
        error ??= { errorType: r.reason.errorType, message: r.reason.message };
      } else {
        throw r.reason;
      }
    });
    all = appendSeries(read.incremental ? kept!.series : [], fresh, range.step, range.start);
  }
  const series = topSeries(all).sort((a, b) => a.label.localeCompare(b.label, undefined, { numeric: true }));
  const out: PanelData = { ...base, series, ...bounds(series), warnings: [...new Set(warnings)], error };
  const next = error ? undefined : { signature, start: range.start, end: range.end, step: range.step, series: all };
  if (!error && series.length === 0) return { panel: { ...out, missing: HINTS.get(plan.id) ?? 'the metrics of this panel' }, kept: next };
  if (plan.id === 'pythonRss' && series.length > 0 && out.yMax === 0) return { panel: { ...out, note: `Always 0: turn on ${PYTHON_RSS_ZERO_HINT}` }, kept: next };
  return { panel: out, kept: next };
}

/** One panel's queries over its whole window (no kept series). */
export async function fetchPanel(prom: PrometheusClient, req: PanelRequest, signal?: AbortSignal): Promise<PanelData> {
  return (await readPanel(prom, req, undefined, signal)).panel;
}

/** Every panel; a failure to reach Prometheus at all becomes DashboardUnavailable. */
export async function fetchPanels(prom: PrometheusClient, reqs: readonly PanelRequest[], signal?: AbortSignal): Promise<PanelData[]> {
  try {
    return await Promise.all(reqs.map((r) => fetchPanel(prom, r, signal)));
  } catch (e) {
    if (e instanceof PrometheusError) throw e;
    throw new DashboardUnavailable(e instanceof Error ? e.message : String(e));
  }
}

/** The custom PromQL panel: the query as typed, Prometheus's error and warnings as it said them. */
export async function readCustom(prom: PrometheusClient, query: string, range: RangePlan, kept?: KeptSeries, signal?: AbortSignal): Promise<PanelRead> {
  const base = { id: CUSTOM_PANEL_ID, title: 'Custom PromQL', unit: 'count' as const, stepSeconds: range.step, queries: [query] };
  const signature = `${range.step}|${query}`;
  const read = rangeToRead(kept, signature, range);
  try {
    const r = read ? await prom.queryRange(query, read.start, read.end, range.step, signal) : undefined;
    const fresh: RawSeries[] = (r?.series ?? []).map((s) => ({ label: cutLabel(seriesName(s.labels)), samples: s.samples }));
    const all = read ? appendSeries(read.incremental ? kept!.series : [], fresh, range.step, range.start) : [...kept!.series];
    const series = topSeries(all);
    return { panel: { ...base, series, ...bounds(series), warnings: [...(r?.warnings ?? [])] }, kept: { signature, start: range.start, end: range.end, step: range.step, series: all } };
  } catch (e) {
    if (e instanceof PrometheusError) {
      return { panel: { ...base, series: [], yMin: null, yMax: null, warnings: [], error: { errorType: e.errorType, message: e.message } } };
    }
    throw new DashboardUnavailable(e instanceof Error ? e.message : String(e));
  }
}

/** The custom panel over its whole window. */
export async function fetchCustom(prom: PrometheusClient, query: string, range: RangePlan, signal?: AbortSignal): Promise<PanelData> {
  return (await readCustom(prom, query, range, undefined, signal)).panel;
}

/** Prometheus's graph page for a query, without any credentials the source URL may carry. */
export function prometheusLink(baseUrl: string, query: string, rangeSeconds: number): string {
  let base = baseUrl;
  try {
    const u = new URL(baseUrl);
    u.username = '';
    u.password = '';
    base = u.toString();
  } catch {
    /* keep as is */
  }
  return promqlUiLink(base, query, Math.max(60, Math.round(rangeSeconds)));
}

/**
 * The "open in Prometheus" link for a query, or why there is none: the client may fail to be
 * made (a source's CA file that cannot be read is an HttpError of kind `config`), and that is a
 * message for the panel, never an unhandled rejection.
 */
export async function prometheusLinkFor(
  client: () => Promise<{ readonly baseUrl: string } | undefined>,
  query: string,
  rangeSeconds: number,
): Promise<{ readonly url: string } | { readonly problem: string }> {
  const q = query.trim();
  if (!q) return { problem: 'Open in Prometheus: the query is empty' };
  let prom: { readonly baseUrl: string } | undefined;
  try {
    prom = await client();
  } catch (e) {
    return { problem: `Open in Prometheus: ${e instanceof Error ? e.message : String(e)}` };
  }
  return prom ? { url: prometheusLink(prom.baseUrl, q, rangeSeconds) } : { problem: 'Open in Prometheus: no Prometheus source answers' };
}

/**
 * Prometheus maths and metric profiles for the dashboard: step and range choice, durations,
 * sample values, which flavour of Spark metrics an application exposes, and the PromQL for
 * each dashboard panel in that flavour.
 *
 * Profiles (SPARK-FACTS.md): the driver's `/metrics/executors/prometheus` endpoint in its
 * Spark 3.5/4.x names and its older 3.0-era `_Count`/`_Value` names; the PrometheusServlet sink,
 * whose metric names carry the app id (or a fixed `spark.metrics.namespace`); the JMX exporter
 * with kubeflow spark-operator's rules; and cAdvisor container metrics on Kubernetes.
 */

// ---------------------------------------------------------------------------------------------
// Step and range

/** Prometheus refuses a range query above 11,000 points per series. */
export const MAX_POINTS_PER_SERIES = 11_000;

/** Steps a person reads easily, seconds; beyond a day steps are whole days. */
const NICE_STEPS = [1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

export interface StepInput {
  readonly rangeSeconds: number;
  /** Width of the chart's plot area in CSS pixels. */
  readonly widthPx: number;
  /** The target's scrape interval; finer steps only repeat samples. */
  readonly scrapeIntervalSeconds?: number;
}

/**
 * The step of a range query: max(range / width, scrape interval, range / 11,000), at most one
 * point per pixel, never finer than the scrape, never refused by Prometheus — rounded up to a
 * nice whole number of seconds. The 11,000 bound leaves room for the two extra points that
 * aligning start down and end up (alignRange) can add.
 */
export function chooseStep({ rangeSeconds, widthPx, scrapeIntervalSeconds = 0 }: StepInput): number {
  const range = Math.max(0, rangeSeconds);
  const width = Math.max(1, Math.floor(widthPx));
  const raw = Math.max(range / width, scrapeIntervalSeconds, range / (MAX_POINTS_PER_SERIES - 2), 1);
  for (const s of NICE_STEPS) if (s >= raw) return s;
  return Math.ceil(raw / 86400) * 86400;
}

/**
 * Aligns a range to its step (start down, end up), so successive refreshes ask for the same
 * timestamps and Prometheus's results cache and our chart points line up. Seconds.
 */
export function alignRange(start: number, end: number, step: number): { start: number; end: number } {
  if (!(step > 0)) return { start, end };
  return { start: Math.floor(start / step) * step, end: Math.ceil(end / step) * step };
}

/**
 * The window of `rate()`: at least four scrapes (so one missed scrape leaves enough samples)
 * and at least step + scrape (so no sample falls between windows), as Grafana's
 * `$__rate_interval` does. Returned as a Prometheus duration string.
 */
export function chooseRateWindow(stepSeconds: number, scrapeIntervalSeconds = 15): string {
  return formatPromDuration(Math.max(4 * scrapeIntervalSeconds, stepSeconds + scrapeIntervalSeconds));
}

const DURATION_UNITS: Readonly<Record<string, number>> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };

/**
 * Parses a Prometheus duration (`15s`, `1m`, `1h30m`, `500ms`, `2d`) into seconds; a plain
 * number is seconds, as the HTTP API takes it. Undefined for anything else.
 */
export function parsePromDuration(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  if (/^\d+(?:\.\d+)?$/.test(t)) return Number(t);
  const re = /(\d+)(ms|y|w|d|h|m|s)/y;
  let total = 0;
  let at = 0;
  while (at < t.length) {
    re.lastIndex = at;
    const m = re.exec(t);
    if (!m) return undefined;
    total += Number(m[1]) * DURATION_UNITS[m[2]];
    at = re.lastIndex;
  }
  return at > 0 ? total : undefined;
}

/** Seconds → the largest single unit that divides evenly: 3600 → `1h`, 5400 → `90m`, 90 → `90s`. */
export function formatPromDuration(seconds: number): string {
  const s = Math.max(1, Math.round(seconds));
  for (const [unit, size] of [['w', 604800], ['d', 86400], ['h', 3600], ['m', 60]] as const) {
    if (s % size === 0) return `${s / size}${unit}`;
  }
  return `${s}s`;
}

// ---------------------------------------------------------------------------------------------
// Values

/** A sample value string (`"1.5"`, `"NaN"`, `"+Inf"`, `"-Inf"`) → number (NaN/±Infinity kept). */
export function parsePromValue(text: string): number {
  switch (text) {
    case 'NaN': return NaN;
    case '+Inf':
    case 'Inf': return Infinity;
    case '-Inf': return -Infinity;
  }
  if (text.trim() === '') return NaN;
  const v = Number(text);
  return Number.isNaN(v) ? NaN : v;
}

/** A value a chart can draw, or null for a gap: NaN (0/0 in a share) and ±Inf would wreck an axis. */
export function toChartValue(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

/** `[[t, "v"], ...]` of a range result → chart points (x in epoch ms), non-finite values as gaps. */
export function toChartPoints(values: readonly (readonly [number, string])[]): { x: number; y: number | null }[] {
  return values.map(([t, v]) => ({ x: t * 1000, y: toChartValue(parsePromValue(v)) }));
}

// ---------------------------------------------------------------------------------------------
// Escaping and links

/** Escapes a label value for a PromQL string literal: backslash, double quote, newline. */
export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** What the PrometheusServlet does to a metric key: every non-alphanumeric becomes `_`. */
export function sanitizeMetricKey(key: string): string {
  return key.replace(/[^a-zA-Z0-9]/g, '_');
}

/** The URL of Prometheus's graph page showing a query over the last `rangeSeconds`. */
export function promqlUiLink(prometheusBaseUrl: string, query: string, rangeSeconds: number): string {
  const base = prometheusBaseUrl.replace(/\/+$/, '');
  return `${base}/graph?g0.expr=${encodeURIComponent(query)}&g0.tab=0&g0.range_input=${formatPromDuration(rangeSeconds)}`;
}

// ---------------------------------------------------------------------------------------------
// Profiles

export type MetricProfileId = 'executorEndpoint' | 'executorEndpointLegacy' | 'prometheusServlet' | 'jmxExporter' | 'container';

export interface DetectedProfiles {
  readonly profiles: readonly MetricProfileId[];
  /**
   * PrometheusServlet namespaces seen (the part between `metrics_` and `_driver_`): a sanitized
   * app id, or a fixed `spark.metrics.namespace`.
   */
  readonly servletNamespaces: readonly string[];
}

/** Driver sources of the servlet sink; a name has one of them right after `_driver_`. */
const SERVLET_SOURCES = ['BlockManager_', 'DAGScheduler_', 'ExecutorMetrics_', 'appStatus_', 'LiveListenerBus_', 'jvm_', 'JVMCPU_', 'CodeGenerator_', 'HiveExternalCatalog_', 'ExecutorAllocationManager_', 'spark_streaming_'];

/**
 * Which flavours a list of metric names (from `/api/v1/label/__name__/values`, or the names of
 * an application's series) shows. String tests only: the list can hold tens of thousands.
 */
export function detectMetricProfiles(names: readonly string[]): DetectedProfiles {
  const found = new Set<MetricProfileId>();
  const namespaces = new Set<string>();
  for (const name of names) {
    if (name.startsWith('metrics_executor_')) {
      if (name.endsWith('_bytes') || name.endsWith('_total') || name === 'metrics_executor_activeTasks' || name === 'metrics_executor_totalCores') {
        found.add('executorEndpoint');
      } else if (name.endsWith('_Count') || name.endsWith('_Value')) {
        found.add('executorEndpointLegacy');
      }
      continue;
    }
    if (name.startsWith('metrics_')) {
      const at = name.lastIndexOf('_driver_');
      if (at > 'metrics_'.length && SERVLET_SOURCES.some((s) => name.startsWith(s, at + '_driver_'.length))) {
        found.add('prometheusServlet');
        namespaces.add(name.slice('metrics_'.length, at));
      }
      continue;
    }
    if (name.startsWith('spark_driver_') || name.startsWith('spark_executor_')) {
      found.add('jmxExporter');
      continue;
    }
    if (name === 'container_memory_working_set_bytes' || name === 'container_cpu_usage_seconds_total' || name.startsWith('container_network_')) {
      found.add('container');
    }
  }
  const order: MetricProfileId[] = ['executorEndpoint', 'executorEndpointLegacy', 'jmxExporter', 'prometheusServlet', 'container'];
  return { profiles: order.filter((p) => found.has(p)), servletNamespaces: [...namespaces] };
}

// ---------------------------------------------------------------------------------------------
// Panels

export type PanelId =
  | 'storageMemory' | 'jvmHeap' | 'executionMemory' | 'gcShare' | 'activeTasks' | 'shuffleRate' | 'taskRate'
  | 'pythonRss' | 'containerCpu' | 'containerMemory' | 'containerNetwork';

export type PanelUnit = 'bytes' | 'seconds' | 'percent' | 'count' | 'bytesPerSecond' | 'perSecond' | 'cores';

export interface PanelSpec {
  readonly id: PanelId;
  readonly title: string;
  readonly unit: PanelUnit;
  /** Series of the panel, each a template key suffix with its legend. */
  readonly series: readonly { readonly id: string; readonly legend: string }[];
  /** The setting that makes the panel's metrics exist. */
  readonly enableHint: string;
}

const EXECUTOR_ENDPOINT_HINT =
  "spark.ui.prometheus.enabled=true (Spark 3.x; on by default from 4.0), and Prometheus scraping the driver's /metrics/executors/prometheus";
const CONTAINER_HINT =
  'cAdvisor container metrics in Prometheus (Kubernetes), tied to the application by kube-state-metrics with --metric-labels-allowlist=pods=[spark-app-selector]';

/** The dashboard's panels, in display order. */
export const PANELS: readonly PanelSpec[] = [
  { id: 'storageMemory', title: 'Storage memory used vs max', unit: 'bytes', series: [{ id: 'used', legend: '{{executor_id}} used' }, { id: 'max', legend: '{{executor_id}} max' }], enableHint: EXECUTOR_ENDPOINT_HINT },
  { id: 'jvmHeap', title: 'Peak JVM heap', unit: 'bytes', series: [{ id: 'peak', legend: '{{executor_id}}' }], enableHint: EXECUTOR_ENDPOINT_HINT },
  { id: 'executionMemory', title: 'On-heap execution memory (peak)', unit: 'bytes', series: [{ id: 'onHeap', legend: '{{executor_id}}' }], enableHint: EXECUTOR_ENDPOINT_HINT },
  { id: 'gcShare', title: 'GC time share of task time', unit: 'percent', series: [{ id: 'share', legend: '{{executor_id}}' }], enableHint: EXECUTOR_ENDPOINT_HINT },
  { id: 'activeTasks', title: 'Active tasks vs cores', unit: 'count', series: [{ id: 'active', legend: 'active tasks' }, { id: 'cores', legend: 'cores' }], enableHint: EXECUTOR_ENDPOINT_HINT },
  { id: 'shuffleRate', title: 'Shuffle read/write', unit: 'bytesPerSecond', series: [{ id: 'read', legend: 'read' }, { id: 'write', legend: 'write' }], enableHint: EXECUTOR_ENDPOINT_HINT },
  { id: 'taskRate', title: 'Completed tasks', unit: 'perSecond', series: [{ id: 'completed', legend: 'completed' }], enableHint: EXECUTOR_ENDPOINT_HINT },
  { id: 'pythonRss', title: 'Python worker RSS', unit: 'bytes', series: [{ id: 'rss', legend: '{{executor_id}}' }], enableHint: `spark.executor.processTreeMetrics.enabled=true (Linux only), with ${EXECUTOR_ENDPOINT_HINT}` },
  { id: 'containerCpu', title: 'Container CPU', unit: 'cores', series: [{ id: 'cpu', legend: '{{pod}}' }], enableHint: CONTAINER_HINT },
  { id: 'containerMemory', title: 'Container memory (working set)', unit: 'bytes', series: [{ id: 'workingSet', legend: '{{pod}}' }], enableHint: CONTAINER_HINT },
  { id: 'containerNetwork', title: 'Container network', unit: 'bytesPerSecond', series: [{ id: 'receive', legend: '{{pod}} in' }, { id: 'transmit', legend: '{{pod}} out' }], enableHint: CONTAINER_HINT },
];

/**
 * The hint for a panel whose metrics exist but stay 0: Spark exports ProcessTree* as 0 unless
 * process-tree metrics are on.
 */
export const PYTHON_RSS_ZERO_HINT = 'spark.executor.processTreeMetrics.enabled=true (Linux only)';

const E = 'application_id="{app}"';
const POD_JOIN = '* on (namespace, pod) group_left() max by (namespace, pod) (kube_pod_labels{label_spark_app_selector="{app}"})';

/**
 * Default query templates, keyed `<profile>.<panel>.<series>`. Placeholders: `{app}` (the
 * application id, escaped as a label value), `{appName}` (its name, escaped), `{window}` (the
 * rate window), `{servlet}` (`metrics_<namespace>`, the servlet sink's name prefix). Each is a
 * plain selector or one `rate` per series, no regex matchers over all series: no dearer than
 * the reference Grafana dashboards' queries for the same question. Per-executor series keep
 * only `executor_id`, the one label their legend shows (`max by`: one series per executor
 * whatever else labels it): a live refresh carries a point or two per series, and the labels
 * Prometheus repeats with every series (job, instance, application id and name) were most of
 * its bytes.
 */
export const DEFAULT_TEMPLATES: Readonly<Record<string, string>> = {
  // Spark 3.5 / 4.x executor endpoint: bytes and seconds, counters end in _total.
  'executorEndpoint.storageMemory.used': `max by (executor_id) (metrics_executor_memoryUsed_bytes{${E}})`,
  'executorEndpoint.storageMemory.max': `max by (executor_id) (metrics_executor_maxMemory_bytes{${E}})`,
  'executorEndpoint.jvmHeap.peak': `max by (executor_id) (metrics_executor_JVMHeapMemory_bytes{${E}})`,
  'executorEndpoint.executionMemory.onHeap': `max by (executor_id) (metrics_executor_OnHeapExecutionMemory_bytes{${E}})`,
  'executorEndpoint.gcShare.share': `100 * sum by (executor_id) (rate(metrics_executor_totalGCTime_seconds_total{${E}}[{window}])) / sum by (executor_id) (rate(metrics_executor_totalDuration_seconds_total{${E}}[{window}]))`,
  // The driver is counted: in local mode it is the one that runs tasks, elsewhere it has 0 cores.
  'executorEndpoint.activeTasks.active': `sum(metrics_executor_activeTasks{${E}})`,
  'executorEndpoint.activeTasks.cores': `sum(metrics_executor_totalCores{${E}})`,
  'executorEndpoint.shuffleRate.read': `sum(rate(metrics_executor_totalShuffleRead_bytes_total{${E}}[{window}]))`,
  'executorEndpoint.shuffleRate.write': `sum(rate(metrics_executor_totalShuffleWrite_bytes_total{${E}}[{window}]))`,
  'executorEndpoint.taskRate.completed': `sum(rate(metrics_executor_completedTasks_total{${E}}[{window}]))`,
  'executorEndpoint.pythonRss.rss': `max by (executor_id) (metrics_executor_ProcessTreePythonRSSMemory_bytes{${E}})`,

  // Spark 3.0-era names: _Count for sizes and counts, _Value for times in ms (a ratio needs no unit).
  'executorEndpointLegacy.storageMemory.used': `max by (executor_id) (metrics_executor_memoryUsed_Count{${E}})`,
  'executorEndpointLegacy.storageMemory.max': `max by (executor_id) (metrics_executor_maxMemory_Count{${E}})`,
  'executorEndpointLegacy.jvmHeap.peak': `max by (executor_id) (metrics_executor_JVMHeapMemory_Count{${E}})`,
  'executorEndpointLegacy.executionMemory.onHeap': `max by (executor_id) (metrics_executor_OnHeapExecutionMemory_Count{${E}})`,
  'executorEndpointLegacy.gcShare.share': `100 * sum by (executor_id) (rate(metrics_executor_totalGCTime_Value{${E}}[{window}])) / sum by (executor_id) (rate(metrics_executor_totalDuration_Value{${E}}[{window}]))`,
  'executorEndpointLegacy.activeTasks.active': `sum(metrics_executor_activeTasks_Count{${E}})`,
  'executorEndpointLegacy.activeTasks.cores': `sum(metrics_executor_totalCores_Count{${E}})`,
  'executorEndpointLegacy.shuffleRate.read': `sum(rate(metrics_executor_totalShuffleRead_Count{${E}}[{window}]))`,
  'executorEndpointLegacy.shuffleRate.write': `sum(rate(metrics_executor_totalShuffleWrite_Count{${E}}[{window}]))`,
  'executorEndpointLegacy.taskRate.completed': `sum(rate(metrics_executor_completedTasks_Count{${E}}[{window}]))`,
  'executorEndpointLegacy.pythonRss.rss': `max by (executor_id) (metrics_executor_ProcessTreePythonRSSMemory_Count{${E}})`,

  // kubeflow spark-operator's JMX exporter rules (lowercased names, app_name label).
  // BlockManager gauges are cluster-wide totals in whole MiB.
  'jmxExporter.storageMemory.used': 'spark_driver_blockmanager_memory_memused_mb{app_name="{appName}"} * 1048576',
  'jmxExporter.storageMemory.max': 'spark_driver_blockmanager_memory_maxmem_mb{app_name="{appName}"} * 1048576',
  'jmxExporter.activeTasks.active': 'sum(spark_executor_threadpool_activetasks{app_name="{appName}"})',
  'jmxExporter.taskRate.completed': 'sum(rate(spark_executor_threadpool_completetasks{app_name="{appName}"}[{window}]))',

  // PrometheusServlet on the driver: app-wide storage totals (MiB), the driver's own peaks,
  // and AppStatusSource counters (spark.metrics.appStatusSource.enabled=true).
  'prometheusServlet.storageMemory.used': '{servlet}_driver_BlockManager_memory_memUsed_MB_Value * 1048576',
  'prometheusServlet.storageMemory.max': '{servlet}_driver_BlockManager_memory_maxMem_MB_Value * 1048576',
  'prometheusServlet.jvmHeap.peak': '{servlet}_driver_ExecutorMetrics_JVMHeapMemory_Value',
  'prometheusServlet.executionMemory.onHeap': '{servlet}_driver_ExecutorMetrics_OnHeapExecutionMemory_Value',
  'prometheusServlet.taskRate.completed': 'rate({servlet}_driver_appStatus_tasks_completedTasks_Count[{window}])',
  'prometheusServlet.pythonRss.rss': '{servlet}_driver_ExecutorMetrics_ProcessTreePythonRSSMemory_Value',

  // cAdvisor, joined to the application's pods by Spark's spark-app-selector pod label.
  'container.containerCpu.cpu': `sum by (pod) (rate(container_cpu_usage_seconds_total{container!="",container!="POD"}[{window}]) ${POD_JOIN})`,
  'container.containerMemory.workingSet': `sum by (pod) (container_memory_working_set_bytes{container!="",container!="POD"} ${POD_JOIN})`,
  'container.containerNetwork.receive': `sum by (pod) (rate(container_network_receive_bytes_total[{window}]) ${POD_JOIN})`,
  'container.containerNetwork.transmit': `sum by (pod) (rate(container_network_transmit_bytes_total[{window}]) ${POD_JOIN})`,
};

/** The templates in force: the user's overrides (from settings) merged over the defaults. */
export function mergeTemplates(overrides?: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
  if (!overrides) return DEFAULT_TEMPLATES;
  const out: Record<string, string> = { ...DEFAULT_TEMPLATES };
  for (const [k, v] of Object.entries(overrides)) if (typeof v === 'string' && v.trim() !== '') out[k] = v;
  return out;
}

export interface QueryContext {
  readonly appId: string;
  /** The application's name, for profiles that label by name (JMX exporter); the id when absent. */
  readonly appName?: string;
  /** `rate()` window, e.g. from chooseRateWindow. */
  readonly window: string;
  /** A fixed `spark.metrics.namespace`, when the application sets one. */
  readonly metricsNamespace?: string;
}

/** Fills a template's placeholders; label values escaped, the servlet prefix sanitized like Spark does. */
export function renderTemplate(template: string, ctx: QueryContext, servletNamespace?: string): string {
  return template.replace(/\{(app|appName|window|servlet)\}/g, (_m, key: string) => {
    switch (key) {
      case 'app': return escapeLabelValue(ctx.appId);
      case 'appName': return escapeLabelValue(ctx.appName ?? ctx.appId);
      case 'window': return /^\d+(?:ms|[smhdwy])$/.test(ctx.window) ? ctx.window : '1m';
      default: return `metrics_${sanitizeMetricKey(servletNamespace ?? ctx.metricsNamespace ?? ctx.appId)}`;
    }
  });
}

export interface PanelQuery {
  readonly seriesId: string;
  readonly legend: string;
  readonly expr: string;
}

/** One panel, ready to query, or with the setting that would make it exist. */
export interface PanelPlan {
  readonly id: PanelId;
  readonly title: string;
  readonly unit: PanelUnit;
  /** The profile the queries come from; undefined when the panel is missing. */
  readonly profile?: MetricProfileId;
  readonly queries: readonly PanelQuery[];
  /** Present when no detected profile has the panel's metrics. */
  readonly missing?: string;
}

const PROFILE_PRIORITY: readonly MetricProfileId[] = ['executorEndpoint', 'executorEndpointLegacy', 'jmxExporter', 'prometheusServlet', 'container'];

/**
 * The dashboard for one application: each panel from the best detected profile that has
 * templates for it (the executor endpoint first: per executor, bytes, seconds), else the
 * setting that turns it on. The servlet profile counts only when one of its namespaces is this
 * application's id or its configured `spark.metrics.namespace` (a fixed namespace shared by
 * several applications can only be told apart by scrape labels).
 */
export function planDashboard(
  detected: DetectedProfiles,
  ctx: QueryContext,
  overrides?: Readonly<Record<string, string>>,
): PanelPlan[] {
  const templates = mergeTemplates(overrides);
  const servletNs = [ctx.appId, ctx.metricsNamespace]
    .filter((x): x is string => !!x)
    .map(sanitizeMetricKey)
    .find((ns) => detected.servletNamespaces.includes(ns));
  const usable = PROFILE_PRIORITY.filter((p) => detected.profiles.includes(p) && (p !== 'prometheusServlet' || servletNs !== undefined));
  return PANELS.map((panel) => {
    for (const profile of usable) {
      const queries: PanelQuery[] = [];
      for (const s of panel.series) {
        const t = templates[`${profile}.${panel.id}.${s.id}`];
        if (t) queries.push({ seriesId: s.id, legend: s.legend, expr: renderTemplate(t, ctx, servletNs) });
      }
      if (queries.length > 0) return { id: panel.id, title: panel.title, unit: panel.unit, profile, queries };
    }
    return { id: panel.id, title: panel.title, unit: panel.unit, queries: [], missing: panel.enableHint };
  });
}

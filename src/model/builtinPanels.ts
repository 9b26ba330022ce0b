/**
 * The dashboard's panels and the comparison's overlays drawn from the built-in series
 * (model/series.ts) when Prometheus has nothing for an application. Each panel answers the same
 * question as its Prometheus twin (model/promql.ts PANELS), at the application level (sums over
 * executors, the peak heap of the largest one): the built-in series keep no per-executor lines.
 * Rates and the GC share are differences between consecutive points, so their resolution is the
 * series' own (one point per poll of the application).
 */
import type { PanelId, PanelUnit } from './promql';
import type { AppSeries, SeriesMetric, SeriesPoints } from './series';

export interface BuiltinSeries {
  readonly label: string;
  readonly x: number[];
  readonly y: (number | null)[];
}

export interface BuiltinPanel {
  readonly id: PanelId;
  readonly unit: PanelUnit;
  readonly series: BuiltinSeries[];
  readonly yMin: number | null;
  readonly yMax: number | null;
  /** Why there is nothing: the built-in series do not have this panel's figures. */
  readonly missing?: string;
}

/** What the built-in series cannot show, and why. */
const NOT_BUILT_IN: Partial<Record<PanelId, string>> = {
  executionMemory: "Prometheus scraping the driver's /metrics/executors/prometheus (the REST API's execution-memory peaks are per stage, not over time)",
  pythonRss: "Prometheus scraping the driver's /metrics/executors/prometheus, with spark.executor.processTreeMetrics.enabled=true",
  containerCpu: 'Prometheus with cAdvisor container metrics (Kubernetes)',
  containerMemory: 'Prometheus with cAdvisor container metrics (Kubernetes)',
  containerNetwork: 'Prometheus with cAdvisor container metrics (Kubernetes)',
};

type Kind = 'gauge' | 'rate' | 'share';

/** Each panel's series: a label and how it is computed from the stored metrics. */
const SPECS: Partial<Record<PanelId, readonly { label: string; kind: Kind; metric: SeriesMetric; over?: SeriesMetric }[]>> = {
  storageMemory: [
    { label: 'used (all executors)', kind: 'gauge', metric: 'storageUsed' },
    { label: 'max (all executors)', kind: 'gauge', metric: 'storageMax' },
  ],
  jvmHeap: [{ label: 'peak (largest executor)', kind: 'gauge', metric: 'jvmHeapPeak' }],
  gcShare: [{ label: 'GC share of task time', kind: 'share', metric: 'gcTimeMs', over: 'taskTimeMs' }],
  activeTasks: [
    { label: 'active tasks', kind: 'gauge', metric: 'activeTasks' },
    { label: 'cores', kind: 'gauge', metric: 'cores' },
  ],
  shuffleRate: [
    { label: 'read', kind: 'rate', metric: 'shuffleRead' },
    { label: 'write', kind: 'rate', metric: 'shuffleWrite' },
    { label: 'spill (memory)', kind: 'rate', metric: 'spillMemory' },
    { label: 'spill (disk)', kind: 'rate', metric: 'spillDisk' },
  ],
  taskRate: [{ label: 'completed', kind: 'rate', metric: 'completedTasks' }],
};

/** Per second between consecutive points; a counter that went down (a restart) is a gap. */
function rate(p: SeriesPoints): SeriesPoints {
  const x: number[] = [];
  const y: (number | null)[] = [];
  for (let i = 1; i < p.x.length; i++) {
    const a = p.y[i - 1];
    const b = p.y[i];
    const dt = (p.x[i] - p.x[i - 1]) / 1000;
    x.push(p.x[i]);
    y.push(a === null || b === null || b < a || dt <= 0 ? null : (b - a) / dt);
  }
  return { x, y };
}

/** 100 × Δpart / Δwhole between consecutive points; no task time in an interval is a gap. */
function share(part: SeriesPoints, whole: SeriesPoints): SeriesPoints {
  const x: number[] = [];
  const y: (number | null)[] = [];
  for (let i = 1; i < part.x.length; i++) {
    const dp = part.y[i] !== null && part.y[i - 1] !== null ? part.y[i]! - part.y[i - 1]! : null;
    const dw = whole.y[i] !== null && whole.y[i - 1] !== null ? whole.y[i]! - whole.y[i - 1]! : null;
    x.push(part.x[i]);
    y.push(dp === null || dw === null || dw <= 0 || dp < 0 ? null : Math.min(100, (100 * dp) / dw));
  }
  return { x, y };
}

/**
 * At most one point per pixel: points falling in one pixel's span become one, at the span's last
 * time, with the largest value (a spike stays visible).
 */
export function thinToWidth(p: SeriesPoints, start: number, end: number, widthPx: number): SeriesPoints {
  const w = Math.max(1, Math.floor(widthPx));
  if (p.x.length <= w || end <= start) return p;
  const span = (end - start) / w;
  const x: number[] = [];
  const y: (number | null)[] = [];
  let bucket = -1;
  for (let i = 0; i < p.x.length; i++) {
    const b = Math.floor((p.x[i] - start) / span);
    if (b !== bucket || x.length === 0) {
      x.push(p.x[i]);
      y.push(p.y[i]);
      bucket = b;
    } else {
      x[x.length - 1] = p.x[i];
      const prev = y[y.length - 1];
      const v = p.y[i];
      y[y.length - 1] = prev === null ? v : v === null ? prev : Math.max(prev, v);
    }
  }
  return { x, y };
}

/**
 * One dashboard panel from an application's built-in series, over [start, end] (epoch ms), with
 * at most `widthPx` points per series. A series the application never reported is left out.
 */
export function builtinPanel(id: PanelId, unit: PanelUnit, s: AppSeries, start: number, end: number, widthPx: number): BuiltinPanel {
  const specs = SPECS[id];
  if (!specs) return { id, unit, series: [], yMin: null, yMax: null, missing: NOT_BUILT_IN[id] ?? 'Prometheus' };
  const series: BuiltinSeries[] = [];
  for (const spec of specs) {
    if (!s.has(spec.metric)) continue;
    // One point before the window, so the first rate inside it is known.
    const raw = s.points(spec.metric);
    const from = Math.max(0, raw.x.findIndex((t) => t >= start) - 1);
    const cut = (p: SeriesPoints): SeriesPoints => ({ x: p.x.slice(from), y: p.y.slice(from) });
    const base = cut(raw);
    const computed = spec.kind === 'gauge' ? base : spec.kind === 'rate' ? rate(base) : share(base, cut(s.points(spec.over!)));
    const inWindow = { x: [] as number[], y: [] as (number | null)[] };
    computed.x.forEach((t, i) => {
      if (t < start || t > end) return;
      inWindow.x.push(t);
      inWindow.y.push(computed.y[i]);
    });
    const thin = thinToWidth(inWindow, start, end, widthPx);
    series.push({ label: spec.label, x: thin.x, y: thin.y });
  }
  let yMin: number | null = null;
  let yMax: number | null = null;
  for (const sr of series) {
    for (const v of sr.y) {
      if (v === null) continue;
      yMin = yMin === null ? v : Math.min(yMin, v);
      yMax = yMax === null ? v : Math.max(yMax, v);
    }
  }
  return { id, unit, series, yMin, yMax };
}

/** The comparison's overlays from built-in series (model/compareView OVERLAYS ids): values over time. */
export function builtinOverlay(id: string, s: AppSeries): SeriesPoints | undefined {
  const metric: SeriesMetric | undefined = id === 'storageMemory' ? 'storageUsed' : id === 'jvmHeap' ? 'jvmHeapPeak' : id === 'gcTime' ? 'gcTimeMs' : undefined;
  if (!metric || !s.has(metric)) return undefined;
  const p = s.points(metric);
  // The overlay's GC time is in seconds, as Prometheus's totalGCTime_seconds_total.
  return metric === 'gcTimeMs' ? { x: p.x, y: p.y.map((v) => (v === null ? null : v / 1000)) } : p;
}

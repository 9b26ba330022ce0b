/**
 * Built-in series (F10): the figures the store already reads from Spark's REST API, kept over
 * time per application, for the charts and the comparison overlays when no Prometheus has the
 * application. Pure: the store feeds samples (with their time) and saves what `encodeSeries`
 * gives; nothing here reads a clock or a file.
 *
 * Resolution, honestly: one point per poll of the application in which its executor list was
 * known, i.e. every refresh interval (3 s by default) while someone looks at the application
 * (an open dashboard, a lens or hint on its file, an expanded node), every status-bar interval
 * (30 s) for a small live application nobody looks at, and none for a large one nobody looks at.
 * A list Spark did not change since the last read gives a point with the same values (the
 * summary said so). When the memory bound is reached, the oldest half is thinned to every other
 * point, so a long application keeps its whole lifetime at a coarser grain for its early part.
 */
import type { Executor, Stage } from './types';

/** The figures kept, in column order. Bytes, ms and counts: whole numbers. */
export const SERIES_METRICS = [
  'storageUsed',
  'storageMax',
  'jvmHeapPeak',
  'gcTimeMs',
  'taskTimeMs',
  'activeTasks',
  'cores',
  'completedTasks',
  'shuffleRead',
  'shuffleWrite',
  'spillMemory',
  'spillDisk',
] as const;
export type SeriesMetric = (typeof SERIES_METRICS)[number];

/** One sample: a metric the run did not report is left out (shown as "–", never 0). */
export type SeriesValues = Partial<Record<SeriesMetric, number>>;

/**
 * Gauges are thinned by keeping the larger of two neighbours (a memory peak survives); counters
 * (cumulative since the start) by keeping the later one, which is exact for a counter.
 */
const GAUGES: ReadonlySet<SeriesMetric> = new Set(['storageUsed', 'storageMax', 'jvmHeapPeak', 'activeTasks', 'cores']);

const COLUMNS = SERIES_METRICS.length;
/** A time and one float per metric. */
export const BYTES_PER_POINT = 8 * (1 + COLUMNS);
/** DESIGN.md budget: ≤ 2 MB per application, ≤ 20 MB in all. */
export const MAX_BYTES_PER_APP = 2 * 1024 * 1024;
export const MAX_BYTES_TOTAL = 20 * 1024 * 1024;
const INITIAL_CAPACITY = 64;

/**
 * The figures of one sample from an application's executor list (and its stage list for spill).
 * Memory gauges count active executors, the driver included (its block manager holds broadcasts
 * and, in local mode, everything). Task figures count the executors that run tasks, dead ones
 * included (their completed work stays done): in local mode that is the driver; on a cluster
 * the driver row is left out (its totalDuration is not task time). Shuffle comes from the
 * executors' totals (exact, whatever stages Spark still retains); spill only exists per stage,
 * so it sums the stage attempts Spark retains (spark.ui.retainedStages).
 */
export function sampleOf(executors: readonly Executor[] | undefined, stages: readonly Stage[] | undefined): SeriesValues | undefined {
  if (!executors || executors.length === 0) return undefined;
  const active = executors.filter((e) => e.isActive);
  const workers = executors.some((e) => e.id !== 'driver') ? executors.filter((e) => e.id !== 'driver') : executors;
  const activeWorkers = workers.filter((e) => e.isActive);
  const sum = (xs: readonly Executor[], f: (e: Executor) => number) => xs.reduce((a, e) => a + f(e), 0);
  const heaps = active.map((e) => e.peak.jvmHeap).filter((h): h is number => h !== undefined);
  const out: { -readonly [K in SeriesMetric]?: number } = {
    storageUsed: sum(active, (e) => e.memoryUsed),
    storageMax: sum(active, (e) => e.maxMemory),
    gcTimeMs: sum(workers, (e) => e.totalGCTimeMs),
    taskTimeMs: sum(workers, (e) => e.totalDurationMs),
    activeTasks: sum(activeWorkers, (e) => e.activeTasks),
    cores: sum(activeWorkers, (e) => e.totalCores),
    completedTasks: sum(workers, (e) => e.completedTasks),
    shuffleRead: sum(workers, (e) => e.totalShuffleRead),
    shuffleWrite: sum(workers, (e) => e.totalShuffleWrite),
  };
  if (heaps.length > 0) out.jvmHeapPeak = Math.max(...heaps);
  if (stages) {
    out.spillMemory = stages.reduce((a, s) => a + s.memoryBytesSpilled, 0);
    out.spillDisk = stages.reduce((a, s) => a + s.diskBytesSpilled, 0);
  }
  return out;
}

/** One metric's points, for a chart: epoch ms and values (null: not reported). */
export interface SeriesPoints {
  readonly x: number[];
  readonly y: (number | null)[];
}

/** Samples closer than this to the previous one are dropped (the shortest refresh is 1 s). */
export const MIN_SPACING_MS = 500;

/**
 * One application's series: a time column and one column per metric, in typed arrays that grow
 * by doubling up to `maxBytes`, then thin their oldest half. NaN marks "not reported".
 */
export class AppSeries {
  private t: Float64Array;
  private cols: Float64Array[];
  private n = 0;
  private readonly maxPoints: number;
  /** How many times the oldest half was thinned (each halves its resolution). */
  thinned = 0;

  constructor(maxBytes = MAX_BYTES_PER_APP) {
    this.maxPoints = Math.max(8, Math.floor(maxBytes / BYTES_PER_POINT));
    const cap = Math.min(INITIAL_CAPACITY, this.maxPoints);
    this.t = new Float64Array(cap);
    this.cols = SERIES_METRICS.map(() => new Float64Array(cap));
  }

  get length(): number {
    return this.n;
  }

  /** Memory held by the arrays (what the budget counts). */
  get byteLength(): number {
    return this.t.byteLength * (1 + COLUMNS);
  }

  get firstTime(): number | undefined {
    return this.n > 0 ? this.t[0] : undefined;
  }

  get lastTime(): number | undefined {
    return this.n > 0 ? this.t[this.n - 1] : undefined;
  }

  /**
   * Adds a sample; one less than MIN_SPACING_MS after the last is dropped (a clock step back, a
   * forced poll right after a scheduled one): the series' resolution is the polls' interval.
   */
  push(time: number, values: SeriesValues): void {
    if (this.n > 0 && time < this.t[this.n - 1] + MIN_SPACING_MS) return;
    if (this.n === this.t.length) this.makeRoom();
    const i = this.n++;
    this.t[i] = time;
    SERIES_METRICS.forEach((m, c) => {
      const v = values[m];
      this.cols[c][i] = v === undefined || !Number.isFinite(v) ? NaN : v;
    });
  }

  /** The points of one metric, optionally from `since` (epoch ms) on. */
  points(metric: SeriesMetric, since = -Infinity): SeriesPoints {
    const c = this.cols[SERIES_METRICS.indexOf(metric)];
    const x: number[] = [];
    const y: (number | null)[] = [];
    for (let i = 0; i < this.n; i++) {
      if (this.t[i] < since) continue;
      x.push(this.t[i]);
      y.push(Number.isNaN(c[i]) ? null : c[i]);
    }
    return { x, y };
  }

  /** Whether any sample reported the metric. */
  has(metric: SeriesMetric): boolean {
    const c = this.cols[SERIES_METRICS.indexOf(metric)];
    for (let i = 0; i < this.n; i++) if (!Number.isNaN(c[i])) return true;
    return false;
  }

  /** Shrinks to at most `maxBytes` by thinning (the global budget asks this of the largest). */
  shrinkTo(maxBytes: number): void {
    const points = Math.max(8, Math.floor(maxBytes / BYTES_PER_POINT));
    while (this.n > points / 2) this.thinOldestHalf();
    this.resize(Math.max(8, Math.min(this.t.length, points)));
  }

  private makeRoom(): void {
    if (this.t.length < this.maxPoints) this.resize(Math.min(this.maxPoints, this.t.length * 2));
    else this.thinOldestHalf();
  }

  private resize(cap: number): void {
    if (cap === this.t.length) return;
    const grow = (a: Float64Array) => {
      const b = new Float64Array(cap);
      b.set(a.subarray(0, Math.min(this.n, cap)));
      return b;
    };
    this.t = grow(this.t);
    this.cols = this.cols.map(grow);
  }

  /** Merges the oldest half's points in pairs: the later time; a gauge's larger value, a counter's later one. */
  private thinOldestHalf(): void {
    const half = Math.floor(this.n / 2) & ~1;
    if (half < 2) return;
    let w = 0;
    for (let r = 0; r < half; r += 2, w++) {
      this.t[w] = this.t[r + 1];
      SERIES_METRICS.forEach((m, c) => {
        const col = this.cols[c];
        const a = col[r];
        const b = col[r + 1];
        col[w] = GAUGES.has(m) && !Number.isNaN(a) && !Number.isNaN(b) ? Math.max(a, b) : Number.isNaN(b) ? a : b;
      });
    }
    for (let r = half; r < this.n; r++, w++) {
      this.t[w] = this.t[r];
      for (const col of this.cols) col[w] = col[r];
    }
    this.n = w;
    this.thinned++;
  }

  /** The samples in order (for encoding). */
  *samples(): Generator<{ t: number; values: SeriesValues }> {
    for (let i = 0; i < this.n; i++) {
      const values: { -readonly [K in SeriesMetric]?: number } = {};
      SERIES_METRICS.forEach((m, c) => {
        if (!Number.isNaN(this.cols[c][i])) values[m] = this.cols[c][i];
      });
      yield { t: this.t[i], values };
    }
  }
}

/** The saved form: delta-encoded whole numbers, null where a metric was not reported. */
export interface EncodedSeries {
  readonly v: 1;
  readonly appId: string;
  readonly metrics: readonly string[];
  /** Time deltas in ms, the first from 0 (so the first is the start). */
  readonly t: readonly number[];
  /** Per metric, deltas from the previous reported value (the first from 0); null: not reported. */
  readonly cols: Readonly<Record<string, readonly (number | null)[]>>;
}

/** The compact form of a series, to save when its application ends. Values are rounded to whole numbers. */
export function encodeSeries(appId: string, s: AppSeries): EncodedSeries {
  const t: number[] = [];
  const cols: Record<string, (number | null)[]> = Object.fromEntries(SERIES_METRICS.map((m) => [m, []]));
  const last: Record<string, number> = {};
  let lastT = 0;
  for (const p of s.samples()) {
    const tt = Math.round(p.t);
    t.push(tt - lastT);
    lastT = tt;
    for (const m of SERIES_METRICS) {
      const v = p.values[m];
      if (v === undefined) {
        cols[m].push(null);
        continue;
      }
      const r = Math.round(v);
      cols[m].push(r - (last[m] ?? 0));
      last[m] = r;
    }
  }
  // A metric never reported is left out entirely.
  for (const m of SERIES_METRICS) if (cols[m].every((x) => x === null)) delete cols[m];
  return { v: 1, appId, metrics: [...SERIES_METRICS], t, cols };
}

/** Reads a saved series back; undefined when it is not one (a damaged or foreign file). */
export function decodeSeries(raw: unknown, maxBytes = MAX_BYTES_PER_APP): { appId: string; series: AppSeries } | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const o = raw as Partial<EncodedSeries>;
  if (o.v !== 1 || typeof o.appId !== 'string' || !Array.isArray(o.t) || typeof o.cols !== 'object' || o.cols === null) return undefined;
  const n = o.t.length;
  const cols = o.cols as Record<string, unknown>;
  for (const m of Object.keys(cols)) {
    const c = cols[m];
    if (!Array.isArray(c) || c.length !== n || !c.every((x) => x === null || typeof x === 'number')) return undefined;
  }
  if (!o.t.every((x) => typeof x === 'number' && Number.isFinite(x))) return undefined;
  const series = new AppSeries(maxBytes);
  const last: Record<string, number> = {};
  let time = 0;
  for (let i = 0; i < n; i++) {
    time += o.t[i];
    const values: { -readonly [K in SeriesMetric]?: number } = {};
    for (const m of SERIES_METRICS) {
      const d = (cols[m] as (number | null)[] | undefined)?.[i];
      if (d === null || d === undefined) continue;
      last[m] = (last[m] ?? 0) + d;
      values[m] = last[m];
    }
    series.push(time, values);
  }
  return { appId: o.appId, series };
}

/**
 * Every application's series within the global budget: when the total passes `maxTotal`, ended
 * applications leave memory first (least recently written first: they are saved, and read back
 * when asked for), then the largest live ones are thinned.
 */
export class SeriesBook {
  private readonly map = new Map<string, { series: AppSeries; ended: boolean; touched: number }>();
  private clock = 0;

  constructor(
    private readonly maxPerApp = MAX_BYTES_PER_APP,
    private readonly maxTotal = MAX_BYTES_TOTAL,
  ) {}

  /** Adds a sample to an application's series; returns the keys that left memory to stay in budget. */
  record(key: string, time: number, values: SeriesValues): string[] {
    let e = this.map.get(key);
    if (!e) {
      e = { series: new AppSeries(this.maxPerApp), ended: false, touched: 0 };
      this.map.set(key, e);
    }
    e.series.push(time, values);
    e.touched = ++this.clock;
    return this.enforce(key);
  }

  /** Puts a series read back from disk (an ended application); returns keys evicted for it. */
  put(key: string, series: AppSeries): string[] {
    this.map.set(key, { series, ended: true, touched: ++this.clock });
    return this.enforce(key);
  }

  get(key: string): AppSeries | undefined {
    return this.map.get(key)?.series;
  }

  markEnded(key: string): void {
    const e = this.map.get(key);
    if (e) e.ended = true;
  }

  isEnded(key: string): boolean {
    return this.map.get(key)?.ended ?? false;
  }

  delete(key: string): void {
    this.map.delete(key);
  }

  keys(): string[] {
    return [...this.map.keys()];
  }

  /** Bytes held by every series in memory. */
  bytes(): number {
    let b = 0;
    for (const e of this.map.values()) b += e.series.byteLength;
    return b;
  }

  private enforce(keep: string): string[] {
    const evicted: string[] = [];
    if (this.bytes() <= this.maxTotal) return evicted;
    const ended = [...this.map.entries()].filter(([k, e]) => e.ended && k !== keep).sort((a, b) => a[1].touched - b[1].touched);
    for (const [k] of ended) {
      if (this.bytes() <= this.maxTotal) break;
      this.map.delete(k);
      evicted.push(k);
    }
    // Still over: every live series shrinks to an equal share.
    if (this.bytes() > this.maxTotal) {
      const share = Math.floor(this.maxTotal / this.map.size);
      for (const e of this.map.values()) if (e.series.byteLength > share) e.series.shrinkTo(share);
    }
    return evicted;
  }
}

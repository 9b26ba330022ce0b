/**
 * Comparison of two runs, or two groups of runs (issues 7 and 15): the aggregate figures of each
 * application, one row per metric with the medians, their spread, difference, % change and the
 * Relative Index of Performance RIP = (A − B) / A of the talk this project grew from, a verdict
 * (improvement, degradation, within noise), stages matched by call site, and an elapsed-time
 * axis to overlay two runs' Prometheus series. A figure a run did not report is undefined
 * (shown as "–"), never 0, and no difference is computed from it. Tables and exports are in
 * compareTables.ts.
 */

import { isPlaceableCallSite, splitCallSite } from './callSite';
import { cpuTimeReported, shuffleReadReported } from './reported';
import { groupVerdict, median, spreadOf, type GroupVerdict, type Spread } from './runStats';
import { formatSigned } from './compareTables';
import type { Application, CachedDataset, Executor, Job, Stage } from './types';

/** A run's totals; undefined where the source had nothing to say. */
export interface RunAggregate {
  readonly appId: string;
  readonly name: string;
  /** Application duration (REST `duration`, else end − start): includes start-up and any time the job holds its session after its work. */
  readonly wallTimeMs?: number;
  /** First job submitted → last job completed (`/jobs`): the time the jobs took. */
  readonly jobTimeMs?: number;
  /** Σ stage.executorRunTime over every stage attempt. */
  readonly executorRunTimeMs: number;
  /** Σ stage.executorCpuTime (ns) / 1e6; undefined before Spark 2.1 or when a log lacks it (reported.ts). */
  readonly cpuTimeMs?: number;
  /** Σ stage.jvmGcTime: GC during tasks. */
  readonly gcTimeMs: number;
  /** Σ stage.inputBytes. */
  readonly inputBytes: number;
  /** Σ stage.outputBytes. */
  readonly outputBytes: number;
  /** Σ stage.shuffleReadBytes; undefined before Spark 1.3 (remote bytes only). */
  readonly shuffleReadBytes?: number;
  /** Σ stage.shuffleWriteBytes. */
  readonly shuffleWriteBytes: number;
  /** Σ stage.memoryBytesSpilled. */
  readonly memorySpillBytes: number;
  /** Σ stage.diskBytesSpilled. */
  readonly diskSpillBytes: number;
  /** max over worker JVMs of peakMemoryMetrics.JVMHeapMemory (see aggregateRun). */
  readonly peakJvmHeapBytes?: number;
  /** Σ over worker JVMs of peak OnHeapStorageMemory + OffHeapStorageMemory (see aggregateRun). */
  readonly peakStorageMemoryBytes?: number;
  /** Σ over cached datasets of memoryUsed + diskUsed, as of the snapshot; undefined when the source does not report storage (a History Server). */
  readonly cachedBytes?: number;
  /** Σ stage.numCompleteTasks. */
  readonly tasks: number;
  /** Σ stage.numFailedTasks. */
  readonly failedTasks: number;
}

/**
 * Aggregates one run from its application, every executor (`/allexecutors`: the dead ones ran
 * tasks and held memory too), every stage (all statuses and attempts: retried work is work
 * done) and its cached datasets. Choices:
 * - times, bytes and task counts sum the stages, so they agree with the Stages page; executor
 *   totals would agree as well but lose nothing the stages keep (`spark.ui.retainedStages` can
 *   drop old stages from long runs: then both undercount alike);
 * - "worker JVMs" are the executors other than the driver, or the driver alone in local mode
 *   where it is the only one running tasks;
 * - peak JVM heap is the largest single JVM's peak: heap is a per-JVM limit, so the worst JVM
 *   is what sizing is about;
 * - peak storage memory sums each worker JVM's own peak (on-heap + off-heap): cached data
 *   spreads over executors and normally only grows until unpersisted, so the sum of peaks is
 *   the cluster-wide peak (an upper bound when peaks came at different times);
 * - job time runs from the first job's submission to the last job's completion; undefined
 *   without jobs, or when a job of a finished application has no completion time.
 */
export function aggregateRun(
  app: Application,
  executors: readonly Executor[],
  stages: readonly Stage[],
  datasets: readonly CachedDataset[] | undefined,
  jobs?: readonly Job[],
): RunAggregate {
  let executorRunTimeMs = 0, cpuNs = 0, gcTimeMs = 0, inputBytes = 0, outputBytes = 0, shuffleReadBytes = 0;
  let shuffleWriteBytes = 0, memorySpillBytes = 0, diskSpillBytes = 0, tasks = 0, failedTasks = 0;
  for (const s of stages) {
    executorRunTimeMs += s.executorRunTimeMs;
    cpuNs += s.executorCpuTimeNs;
    gcTimeMs += s.jvmGcTimeMs;
    inputBytes += s.inputBytes;
    outputBytes += s.outputBytes;
    shuffleReadBytes += s.shuffleReadBytes;
    shuffleWriteBytes += s.shuffleWriteBytes;
    memorySpillBytes += s.memoryBytesSpilled;
    diskSpillBytes += s.diskBytesSpilled;
    tasks += s.numCompleteTasks;
    failedTasks += s.numFailedTasks;
  }
  const workers = executors.some((e) => e.id !== 'driver') ? executors.filter((e) => e.id !== 'driver') : executors;
  let peakJvmHeapBytes: number | undefined;
  let peakStorageMemoryBytes: number | undefined;
  for (const e of workers) {
    const heap = e.peak.jvmHeap;
    if (heap !== undefined) peakJvmHeapBytes = Math.max(peakJvmHeapBytes ?? 0, heap);
    if (e.peak.onHeapStorage !== undefined || e.peak.offHeapStorage !== undefined) {
      peakStorageMemoryBytes = (peakStorageMemoryBytes ?? 0) + (e.peak.onHeapStorage ?? 0) + (e.peak.offHeapStorage ?? 0);
    }
  }
  const wallTimeMs = app.durationMs ?? (app.startTime !== undefined && app.endTime !== undefined ? app.endTime - app.startTime : undefined);
  const cachedBytes = datasets?.reduce((sum, d) => sum + d.memoryUsed + d.diskUsed, 0);
  return {
    appId: app.id, name: app.name, wallTimeMs, jobTimeMs: jobTime(app, jobs), executorRunTimeMs,
    cpuTimeMs: cpuTimeReported(stages, app.sparkVersion) ? cpuNs / 1e6 : undefined, gcTimeMs,
    inputBytes, outputBytes, shuffleReadBytes: shuffleReadReported(app.sparkVersion) ? shuffleReadBytes : undefined,
    shuffleWriteBytes, memorySpillBytes, diskSpillBytes, peakJvmHeapBytes, peakStorageMemoryBytes, cachedBytes, tasks, failedTasks,
  };
}

/** First job submitted → last job completed; a running application's running jobs end at its duration so far. */
export function jobTime(app: Application, jobs: readonly Job[] | undefined): number | undefined {
  const started = (jobs ?? []).filter((j) => j.submissionTime !== undefined);
  if (started.length === 0) return undefined;
  const now = app.state === 'running' && app.startTime !== undefined && app.durationMs !== undefined ? app.startTime + app.durationMs : undefined;
  let first = Infinity;
  let last = -Infinity;
  for (const j of started) {
    const end = j.completionTime ?? now;
    if (end === undefined) return undefined;
    first = Math.min(first, j.submissionTime!);
    last = Math.max(last, end);
  }
  return Math.max(0, last - first);
}

export type MetricUnit = 'ms' | 'bytes' | 'count';
/** B against A (runStats.ts): improvement, degradation, within noise, about the same, or changed without a better direction. */
export type Verdict = GroupVerdict;

export interface MetricDef {
  readonly id: keyof Omit<RunAggregate, 'appId' | 'name'>;
  readonly label: string;
  readonly unit: MetricUnit;
  /** False for figures that describe the job rather than its cost (output written, tasks). */
  readonly lowerIsBetter: boolean;
}

/** The rows of the comparison, in order. */
export const COMPARED_METRICS: readonly MetricDef[] = [
  { id: 'wallTimeMs', label: 'Wall time', unit: 'ms', lowerIsBetter: true },
  { id: 'jobTimeMs', label: 'Job time', unit: 'ms', lowerIsBetter: true },
  { id: 'executorRunTimeMs', label: 'Executor run time', unit: 'ms', lowerIsBetter: true },
  { id: 'cpuTimeMs', label: 'CPU time', unit: 'ms', lowerIsBetter: true },
  { id: 'gcTimeMs', label: 'GC time', unit: 'ms', lowerIsBetter: true },
  { id: 'inputBytes', label: 'Input', unit: 'bytes', lowerIsBetter: true },
  { id: 'outputBytes', label: 'Output', unit: 'bytes', lowerIsBetter: false },
  { id: 'shuffleReadBytes', label: 'Shuffle read', unit: 'bytes', lowerIsBetter: true },
  { id: 'shuffleWriteBytes', label: 'Shuffle write', unit: 'bytes', lowerIsBetter: true },
  { id: 'memorySpillBytes', label: 'Memory spill', unit: 'bytes', lowerIsBetter: true },
  { id: 'diskSpillBytes', label: 'Disk spill', unit: 'bytes', lowerIsBetter: true },
  { id: 'peakJvmHeapBytes', label: 'Peak JVM heap', unit: 'bytes', lowerIsBetter: true },
  { id: 'peakStorageMemoryBytes', label: 'Peak storage memory', unit: 'bytes', lowerIsBetter: true },
  { id: 'cachedBytes', label: 'Cached bytes', unit: 'bytes', lowerIsBetter: true },
  { id: 'tasks', label: 'Tasks', unit: 'count', lowerIsBetter: false },
  { id: 'failedTasks', label: 'Failed tasks', unit: 'count', lowerIsBetter: true },
];

export interface ComparisonRow {
  readonly metric: MetricDef['id'];
  readonly label: string;
  readonly unit: MetricUnit;
  /** A's figure: its median over A's runs. */
  readonly a?: number;
  readonly b?: number;
  /** How A's runs spread (n, median, min, max); undefined when a run did not report the metric. */
  readonly aSpread?: Spread;
  readonly bSpread?: Spread;
  /** b − a (of the medians). */
  readonly difference?: number;
  /** (b − a) / a × 100; undefined when a is 0 or missing. */
  readonly percentChange?: number;
  /** (a − b) / a; undefined when a is 0 or missing. Positive: B used less. */
  readonly rip?: number;
  readonly lowerIsBetter: boolean;
  /** B relative to A; 'neutral' for a change in a metric without a better direction; 'noise' within the runs' spread. */
  readonly verdict?: Verdict;
}

/** Relative Index of Performance, (A − B) / A; undefined when A is 0 (no base to compare with). */
export function rip(a: number, b: number): number | undefined {
  return a === 0 || !Number.isFinite(a) || !Number.isFinite(b) ? undefined : (a - b) / a;
}

/** % change from A to B, (B − A) / A × 100; undefined when A is 0. */
export function percentChange(a: number, b: number): number | undefined {
  return a === 0 || !Number.isFinite(a) || !Number.isFinite(b) ? undefined : ((b - a) * 100) / a;
}

/**
 * One row per metric over two groups of runs (one run each is a group of one): the medians,
 * their spread, and runStats' verdict. `sameWithinPercent` (default 1 %) calls a change that
 * small 'same' when each side has one run: two runs of one job never take exactly the same time.
 */
export function compareGroups(as: readonly RunAggregate[], bs: readonly RunAggregate[], sameWithinPercent = 1): ComparisonRow[] {
  return COMPARED_METRICS.map((m) => {
    const sa = spreadOf(as.map((r) => r[m.id]));
    const sb = spreadOf(bs.map((r) => r[m.id]));
    const base = { metric: m.id, label: m.label, unit: m.unit, lowerIsBetter: m.lowerIsBetter };
    if (!sa || !sb) return { ...base, a: sa?.median, b: sb?.median, aSpread: sa, bSpread: sb };
    const va = sa.median;
    const vb = sb.median;
    return {
      ...base, a: va, b: vb, aSpread: sa, bSpread: sb, difference: vb - va, percentChange: percentChange(va, vb), rip: rip(va, vb),
      verdict: groupVerdict(sa, sb, m.lowerIsBetter, sameWithinPercent),
    };
  });
}

/** One row per metric for one run against one run. */
export function compareRuns(a: RunAggregate, b: RunAggregate, sameWithinPercent = 1): ComparisonRow[] {
  return compareGroups([a], [b], sameWithinPercent);
}

/**
 * A group's runs as one aggregate of medians, field by field, for headers and exports: a figure
 * missing from any run is missing here. One run is returned as it is.
 */
export function medianAggregate(runs: readonly RunAggregate[]): RunAggregate {
  if (runs.length === 0) throw new Error('medianAggregate needs at least one run');
  if (runs.length === 1) return runs[0];
  const out: Record<string, unknown> = {
    appId: runs.map((r) => r.appId).join(', '),
    name: `${runs[0].name} (median of ${runs.length} runs)`,
  };
  for (const k of Object.keys(runs[0]) as (keyof RunAggregate)[]) {
    if (k === 'appId' || k === 'name') continue;
    const values = runs.map((r) => r[k]);
    out[k] = values.every((v) => typeof v === 'number') ? median(values as number[]) : undefined;
  }
  return out as unknown as RunAggregate;
}

// ---------------------------------------------------------------------------------------------
// Stages by call site

export interface StageGroupFigures {
  /** Stage attempts from this call site. */
  readonly count: number;
  /** Σ (completion − submission) of its stage attempts. */
  readonly durationMs: number;
  readonly executorRunTimeMs: number;
}

export interface StageComparisonRow {
  /** The stage `name` verbatim: the short call site. */
  readonly callSite: string;
  /** False for JVM frames (`count at NativeMethodAccessorImpl.java:0`), which lump unrelated stages together. */
  readonly placeable: boolean;
  readonly a?: StageGroupFigures;
  readonly b?: StageGroupFigures;
}

export interface StageComparison {
  /** Call sites present in both runs, in A's order. */
  readonly matched: readonly StageComparisonRow[];
  readonly onlyA: readonly StageComparisonRow[];
  readonly onlyB: readonly StageComparisonRow[];
}

function stageGroups(stages: readonly Stage[]): Map<string, StageGroupFigures> {
  const out = new Map<string, { count: number; durationMs: number; executorRunTimeMs: number }>();
  for (const s of stages) {
    if (s.status === 'SKIPPED' || s.status === 'PENDING') continue;
    let g = out.get(s.name);
    if (!g) {
      g = { count: 0, durationMs: 0, executorRunTimeMs: 0 };
      out.set(s.name, g);
    }
    g.count++;
    if (s.submissionTime !== undefined && s.completionTime !== undefined) g.durationMs += Math.max(0, s.completionTime - s.submissionTime);
    g.executorRunTimeMs += s.executorRunTimeMs;
  }
  return out;
}

/** Stages of two runs matched by call site (the same `name`: the same source line), several from one site summed with a count. */
export function compareStages(a: readonly Stage[], b: readonly Stage[]): StageComparison {
  const ga = stageGroups(a);
  const gb = stageGroups(b);
  const placeable = (name: string): boolean => isPlaceableCallSite(splitCallSite(name));
  const matched: StageComparisonRow[] = [];
  const onlyA: StageComparisonRow[] = [];
  const onlyB: StageComparisonRow[] = [];
  for (const [name, fa] of ga) {
    const fb = gb.get(name);
    if (fb) matched.push({ callSite: name, placeable: placeable(name), a: fa, b: fb });
    else onlyA.push({ callSite: name, placeable: placeable(name), a: fa });
  }
  for (const [name, fb] of gb) if (!ga.has(name)) onlyB.push({ callSite: name, placeable: placeable(name), b: fb });
  return { matched, onlyA, onlyB };
}

// ---------------------------------------------------------------------------------------------
// Overlay

export interface ElapsedPoint {
  /** Seconds since the application started. */
  readonly x: number;
  readonly y: number | null;
}

/**
 * Moves a Prometheus series (sample times in epoch seconds) onto an elapsed-time axis, so two
 * runs that started at different times overlay: x = t − app start. Samples from before the
 * start (a scrape of the previous run's leftovers) are dropped.
 */
export function toElapsed(samples: readonly (readonly [number, number | null])[], appStartMs: number): ElapsedPoint[] {
  const start = appStartMs / 1000;
  const out: ElapsedPoint[] = [];
  for (const [t, v] of samples) {
    const x = t - start;
    if (x < 0) continue;
    out.push({ x, y: v !== null && Number.isFinite(v) ? v : null });
  }
  return out;
}

/** Two runs' series on one elapsed axis, with the axis end (the longer of the two). */
export function overlaySeries(
  a: { readonly samples: readonly (readonly [number, number | null])[]; readonly startMs: number },
  b: { readonly samples: readonly (readonly [number, number | null])[]; readonly startMs: number },
): { a: ElapsedPoint[]; b: ElapsedPoint[]; maxX: number } {
  const pa = toElapsed(a.samples, a.startMs);
  const pb = toElapsed(b.samples, b.startMs);
  const maxX = Math.max(0, pa.length ? pa[pa.length - 1].x : 0, pb.length ? pb[pb.length - 1].x : 0);
  return { a: pa, b: pb, maxX };
}

/**
 * The one-line effect a cache lens shows after "Measure Cache Impact", A being the run(s)
 * without the cache and B with it: `cache: −38 % time, +412 MiB storage`. Time is job time when
 * both sides report it (wall time counts start-up and a session held after the work), else wall
 * time; a difference within the runs' spread says so. Storage is the peak storage memory when
 * both runs report it, else the cached bytes.
 */
export function formatCacheImpact(rows: readonly ComparisonRow[]): string {
  const parts: string[] = [];
  const job = rows.find((r) => r.metric === 'jobTimeMs');
  const time = job?.percentChange !== undefined ? job : rows.find((r) => r.metric === 'wallTimeMs');
  if (time?.verdict === 'noise') parts.push('time within noise');
  else if (time?.percentChange !== undefined) {
    const p = Math.round(time.percentChange);
    parts.push(`${p > 0 ? '+' : p < 0 ? '−' : ''}${Math.abs(p)} % time`);
  }
  const peak = rows.find((r) => r.metric === 'peakStorageMemoryBytes');
  const storage = peak?.difference !== undefined ? peak : rows.find((r) => r.metric === 'cachedBytes');
  if (storage?.difference !== undefined) parts.push(`${formatSigned(storage.difference, 'bytes')} storage`);
  return parts.length > 0 ? `cache: ${parts.join(', ')}` : 'cache: no comparable figures';
}

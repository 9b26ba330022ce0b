/**
 * Comparison of two runs (issue 7): the aggregate figures of each application, one row per
 * metric with difference, % change and the Relative Index of Performance RIP = (A − B) / A of
 * the talk this project grew from, stages matched by call site, Markdown and CSV export, and
 * an elapsed-time axis to overlay two runs' Prometheus series.
 */

import { formatBytes, formatCount, formatDuration } from './format';
import { isPlaceableCallSite, splitCallSite } from './callSite';
import type { Application, CachedDataset, Executor, Stage } from './types';

/** A run's totals; undefined where the source had nothing to say. */
export interface RunAggregate {
  readonly appId: string;
  readonly name: string;
  /** Application duration (REST `duration`, else end − start). */
  readonly wallTimeMs?: number;
  /** Σ stage.executorRunTime over every stage attempt. */
  readonly executorRunTimeMs: number;
  /** Σ stage.executorCpuTime (ns) / 1e6. */
  readonly cpuTimeMs: number;
  /** Σ stage.jvmGcTime: GC during tasks. */
  readonly gcTimeMs: number;
  /** Σ stage.inputBytes. */
  readonly inputBytes: number;
  /** Σ stage.outputBytes. */
  readonly outputBytes: number;
  /** Σ stage.shuffleReadBytes. */
  readonly shuffleReadBytes: number;
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
  /** Σ over cached datasets of memoryUsed + diskUsed, as of the snapshot. */
  readonly cachedBytes: number;
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
 *   the cluster-wide peak (an upper bound when peaks came at different times).
 */
export function aggregateRun(
  app: Application,
  executors: readonly Executor[],
  stages: readonly Stage[],
  datasets: readonly CachedDataset[],
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
  const cachedBytes = datasets.reduce((sum, d) => sum + d.memoryUsed + d.diskUsed, 0);
  return {
    appId: app.id, name: app.name, wallTimeMs, executorRunTimeMs, cpuTimeMs: cpuNs / 1e6, gcTimeMs,
    inputBytes, outputBytes, shuffleReadBytes, shuffleWriteBytes, memorySpillBytes, diskSpillBytes,
    peakJvmHeapBytes, peakStorageMemoryBytes, cachedBytes, tasks, failedTasks,
  };
}

export type MetricUnit = 'ms' | 'bytes' | 'count';
export type Verdict = 'better' | 'worse' | 'same' | 'neutral';

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
  readonly a?: number;
  readonly b?: number;
  /** b − a. */
  readonly difference?: number;
  /** (b − a) / a × 100; undefined when a is 0 or missing. */
  readonly percentChange?: number;
  /** (a − b) / a; undefined when a is 0 or missing. Positive: B used less. */
  readonly rip?: number;
  readonly lowerIsBetter: boolean;
  /** B relative to A; 'neutral' for a change in a metric without a better direction. */
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
 * One row per metric. `sameWithinPercent` (default 1 %) calls a change that small 'same':
 * two runs of one job never take exactly the same time, and colouring noise green or red
 * would mislead.
 */
export function compareRuns(a: RunAggregate, b: RunAggregate, sameWithinPercent = 1): ComparisonRow[] {
  return COMPARED_METRICS.map((m) => {
    const va = a[m.id];
    const vb = b[m.id];
    const base = { metric: m.id, label: m.label, unit: m.unit, lowerIsBetter: m.lowerIsBetter };
    if (va === undefined || vb === undefined) return { ...base, a: va, b: vb };
    const difference = vb - va;
    const pc = percentChange(va, vb);
    const same = difference === 0 || (pc !== undefined && Math.abs(pc) <= sameWithinPercent);
    const verdict: Verdict = same ? 'same' : !m.lowerIsBetter ? 'neutral' : difference < 0 ? 'better' : 'worse';
    return { ...base, a: va, b: vb, difference, percentChange: pc, rip: rip(va, vb), verdict };
  });
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
// Export

/** A metric's value as the table shows it: `2m 40s`, `1.5 KiB`, `1,234`; `–` when missing. */
export function formatValue(v: number | undefined, unit: MetricUnit): string {
  if (v === undefined) return '–';
  if (unit === 'bytes') return formatBytes(v);
  if (unit === 'ms') return formatDuration(v);
  return formatCount(v);
}

/** A difference with its sign: `+412 MiB`, `−1m 28s`. */
export function formatSigned(v: number | undefined, unit: MetricUnit): string {
  if (v === undefined) return '–';
  if (v === 0) return formatValue(0, unit);
  return `${v > 0 ? '+' : '−'}${formatValue(Math.abs(v), unit)}`;
}

/** `−55.0 %`, `+25.0 %`. */
export function formatPercentChange(p: number | undefined): string {
  return p === undefined ? '–' : `${p > 0 ? '+' : p < 0 ? '−' : ''}${Math.abs(p).toFixed(1)} %`;
}

/** RIP with two decimals, as the talk reported it. */
export function formatRip(r: number | undefined): string {
  if (r === undefined) return '–';
  const s = Math.abs(r).toFixed(2);
  return r < 0 && s !== '0.00' ? `−${s}` : s;
}

/**
 * Escapes untrusted text (application and stage names) for a Markdown table cell: backslash
 * escapes for Markdown's punctuation, `|` included, HTML-significant `<`/`>`/`&` as entities,
 * and line breaks as spaces so a name cannot end the row.
 */
export function escapeMarkdownCell(text: string): string {
  return text
    .replace(/\r\n|\r|\n/g, ' ')
    .replace(/[\\`*_{}[\]()#+\-.!|~]/g, (c) => `\\${c}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/** The comparison as a Markdown table, with both applications named in the header. */
export function comparisonToMarkdown(a: RunAggregate, b: RunAggregate, rows: readonly ComparisonRow[]): string {
  const head = `| Metric | A: ${escapeMarkdownCell(a.name)} (${escapeMarkdownCell(a.appId)}) | B: ${escapeMarkdownCell(b.name)} (${escapeMarkdownCell(b.appId)}) | Difference | % change | RIP |`;
  const lines = [head, '|---|---:|---:|---:|---:|---:|'];
  for (const r of rows) {
    lines.push(`| ${r.label} | ${formatValue(r.a, r.unit)} | ${formatValue(r.b, r.unit)} | ${formatSigned(r.difference, r.unit)} | ${formatPercentChange(r.percentChange)} | ${formatRip(r.rip)} |`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * One CSV field per RFC 4180: quoted when it holds a comma, quote, CR or LF, quotes doubled.
 * Text fields that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first) get
 * a leading apostrophe: names come from Spark and are untrusted.
 */
export function csvField(value: string | number | undefined, isText = typeof value === 'string'): string {
  if (value === undefined) return '';
  let s = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : value;
  if (isText && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The comparison as CSV (CRLF line ends, raw numbers in base units: ms, bytes, counts). */
export function comparisonToCsv(a: RunAggregate, b: RunAggregate, rows: readonly ComparisonRow[]): string {
  const out = [
    ['metric', 'unit', `A: ${a.name} (${a.appId})`, `B: ${b.name} (${b.appId})`, 'difference', 'percent_change', 'rip', 'verdict']
      .map((h) => csvField(h, true)).join(','),
  ];
  for (const r of rows) {
    out.push([
      csvField(r.label, true), csvField(r.unit, true), csvField(r.a), csvField(r.b), csvField(r.difference),
      csvField(r.percentChange), csvField(r.rip), csvField(r.verdict ?? '', true),
    ].join(','));
  }
  return `${out.join('\r\n')}\r\n`;
}

/** The stage comparison as a Markdown table: call site, counts and durations side by side. */
export function stagesToMarkdown(c: StageComparison): string {
  const lines = ['| Call site | Stages A | Duration A | Stages B | Duration B |', '|---|---:|---:|---:|---:|'];
  for (const r of [...c.matched, ...c.onlyA, ...c.onlyB]) {
    lines.push(`| ${escapeMarkdownCell(r.callSite)} | ${r.a ? r.a.count : '–'} | ${r.a ? formatDuration(r.a.durationMs) : '–'} | ${r.b ? r.b.count : '–'} | ${r.b ? formatDuration(r.b.durationMs) : '–'} |`);
  }
  return `${lines.join('\n')}\n`;
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
 * The one-line effect a cache lens shows after "Measure Cache Impact", A being the run without
 * the cache and B the run with it: `cache: −38 % time, +412 MiB storage`. Time is wall time;
 * storage is the peak storage memory when both runs report it, else the cached bytes.
 */
export function formatCacheImpact(rows: readonly ComparisonRow[]): string {
  const parts: string[] = [];
  const time = rows.find((r) => r.metric === 'wallTimeMs');
  if (time?.percentChange !== undefined) {
    const p = Math.round(time.percentChange);
    parts.push(`${p > 0 ? '+' : p < 0 ? '−' : ''}${Math.abs(p)} % time`);
  }
  const peak = rows.find((r) => r.metric === 'peakStorageMemoryBytes');
  const storage = peak?.difference !== undefined ? peak : rows.find((r) => r.metric === 'cachedBytes');
  if (storage?.difference !== undefined) parts.push(`${formatSigned(storage.difference, 'bytes')} storage`);
  return parts.length > 0 ? `cache: ${parts.join(', ')}` : 'cache: no comparable figures';
}

/**
 * Finding rules: each a pure function from Spark's figures to findings with their numbers and
 * the setting to try, shown as diagnostics on the line whose call site caused them (F6).
 * Thresholds are exported so the tests, the docs and the messages agree.
 */

import { formatBytes, formatDuration } from './format';
import { parseCallSite, type CallSite } from './callSite';
import { executorFootprint } from './memoryModel';
import type { Executor, Stage, TaskSummary, Worker } from './types';

export type FindingRule = 'spill' | 'skew' | 'gcPressure' | 'storageMemoryFull' | 'failedTasks' | 'executorSizing';
export type FindingSeverity = 'error' | 'warning' | 'information';

export interface Finding {
  readonly rule: FindingRule;
  readonly severity: FindingSeverity;
  /** Plain text; stage names inside are untrusted and must be rendered as text. */
  readonly message: string;
  /** The stage's `name` verbatim, when a stage caused it. */
  readonly callSite?: string;
  /** The parsed call site when it names a user's line; the view maps it to a document. */
  readonly site?: CallSite;
  readonly stageId?: number;
  readonly attemptId?: number;
  readonly executorId?: string;
  /** The numbers behind the finding, in base units (ms, bytes, ratios 0–1). */
  readonly figures: Readonly<Record<string, number>>;
  /** The setting(s) to try. */
  readonly suggestion: string;
}

/** Skew: the slowest task takes at least this many times the median. */
export const SKEW_RATIO = 3;
/**
 * Skew only matters when the slowest task is long enough to hold the stage up: below 2 s a 3×
 * spread is scheduling noise (JIT warm-up, a slow first fetch), not a hot key.
 */
export const SKEW_MIN_MAX_TASK_MS = 2000;
/** The quantiles asked of a stage's task summary: the median, the upper tail and the max. */
export const SKEW_QUANTILES: readonly number[] = [0.5, 0.75, 0.95, 1.0];

/**
 * Whether a stage attempt's task summary is worth one request: finished (its summary no longer
 * changes, so it is fetched once), two or more tasks, and enough task time that its slowest task
 * could reach SKEW_MIN_MAX_TASK_MS (Σ task time ≥ max task time) over a wall time as long.
 */
export function needsTaskSummary(stage: Stage): boolean {
  if (stage.status !== 'COMPLETE' && stage.status !== 'FAILED') return false;
  if (stage.numTasks < 2 || stage.executorRunTimeMs < SKEW_MIN_MAX_TASK_MS) return false;
  if (stage.submissionTime !== undefined && stage.completionTime !== undefined && stage.completionTime - stage.submissionTime < SKEW_MIN_MAX_TASK_MS) return false;
  return true;
}

/** GC above 10 % of task time: the threshold at which Spark's own UI marks GC time red. */
export const GC_SHARE_THRESHOLD = 0.1;
/** Below 5 s of summed task time a GC share is a handful of young collections, not pressure. */
export const GC_MIN_TASK_TIME_MS = 5000;
/** Storage memory use at which caching starts evicting or refusing blocks. */
export const STORAGE_FULL_THRESHOLD = 0.9;

function stageBase(stage: Stage): Pick<Finding, 'callSite' | 'site' | 'stageId' | 'attemptId'> {
  const site = parseCallSite(stage.name);
  return { callSite: stage.name, ...(site ? { site } : {}), stageId: stage.stageId, attemptId: stage.attemptId };
}

function stageLabel(stage: Stage): string {
  return `Stage ${stage.stageId}${stage.attemptId > 0 ? ` (attempt ${stage.attemptId})` : ''}`;
}

/** Spill: a stage whose tasks spilled (memoryBytesSpilled or diskBytesSpilled > 0). */
export function spillFindings(stages: readonly Stage[], props: Readonly<Record<string, string>> = {}): Finding[] {
  const partitions = props['spark.sql.shuffle.partitions'] ?? '200';
  return stages
    .filter((s) => s.memoryBytesSpilled > 0 || s.diskBytesSpilled > 0)
    .map((s) => ({
      rule: 'spill' as const,
      severity: 'warning' as const,
      message: `${stageLabel(s)} spilled ${formatBytes(s.memoryBytesSpilled)} from memory, ${formatBytes(s.diskBytesSpilled)} written to disk`,
      ...stageBase(s),
      figures: { memoryBytesSpilled: s.memoryBytesSpilled, diskBytesSpilled: s.diskBytesSpilled, numTasks: s.numTasks },
      suggestion: `Give each task less data or more memory: raise spark.sql.shuffle.partitions (now ${partitions}), or spark.executor.memory, or spark.memory.fraction.`,
    }));
}

/** The value at a quantile, when the summary was asked for it. */
function at(summary: TaskSummary, values: readonly number[], q: number): number | undefined {
  const i = summary.quantiles.findIndex((x) => Math.abs(x - q) < 1e-9);
  return i >= 0 && i < values.length ? values[i] : undefined;
}

/**
 * Skew from a stage's task-summary quantiles (duration; executorRunTime when duration is
 * empty): the highest quantile asked for (ask for 1.0: the max) at least SKEW_RATIO × the median,
 * and at least SKEW_MIN_MAX_TASK_MS. Needs the 0.5 quantile and two or more tasks.
 */
export function skewFinding(stage: Stage, summary: TaskSummary): Finding | undefined {
  if (stage.numTasks < 2 || summary.quantiles.length === 0) return undefined;
  const values = summary.duration.length === summary.quantiles.length ? summary.duration : summary.executorRunTime;
  const median = at(summary, values, 0.5);
  const topQ = Math.max(...summary.quantiles);
  const max = at(summary, values, topQ);
  if (median === undefined || max === undefined || topQ <= 0.5) return undefined;
  if (max < SKEW_MIN_MAX_TASK_MS || max < SKEW_RATIO * median) return undefined;
  const ratio = median > 0 ? max / median : Infinity;
  const figures: Record<string, number> = { medianTaskMs: median, maxTaskMs: max, ratio, quantile: topQ };
  const readMedian = summary.shuffleReadBytes ? at(summary, summary.shuffleReadBytes, 0.5) : undefined;
  const readMax = summary.shuffleReadBytes ? at(summary, summary.shuffleReadBytes, topQ) : undefined;
  if (readMedian !== undefined && readMax !== undefined) {
    figures.medianShuffleReadBytes = readMedian;
    figures.maxShuffleReadBytes = readMax;
  }
  const which = topQ === 1 ? 'slowest task' : `p${Math.round(topQ * 100)} task`;
  return {
    rule: 'skew',
    severity: 'warning',
    message: `${stageLabel(stage)} is skewed: ${which} ${formatDuration(max)} vs median ${formatDuration(median)}${Number.isFinite(ratio) ? ` (${ratio.toFixed(1)}×)` : ''}`,
    ...stageBase(stage),
    figures,
    suggestion: 'Spread the hot key: spark.sql.adaptive.enabled=true with spark.sql.adaptive.skewJoin.enabled=true for joins, or salt the key / repartition before the wide operation.',
  };
}

const GC_SUGGESTION =
  'Give each task more heap: raise spark.executor.memory or lower spark.executor.cores; cache less, or serialized (StorageLevel.MEMORY_AND_DISK_SER).';

/** GC over GC_SHARE_THRESHOLD of task time, per stage (Σ jvmGcTime / Σ executorRunTime). */
export function gcStageFindings(stages: readonly Stage[]): Finding[] {
  const out: Finding[] = [];
  for (const s of stages) {
    if (s.executorRunTimeMs < GC_MIN_TASK_TIME_MS) continue;
    const share = s.jvmGcTimeMs / s.executorRunTimeMs;
    if (share <= GC_SHARE_THRESHOLD) continue;
    out.push({
      rule: 'gcPressure',
      severity: 'warning',
      message: `${stageLabel(s)} spent ${Math.round(share * 100)} % of task time in GC (${formatDuration(s.jvmGcTimeMs)} of ${formatDuration(s.executorRunTimeMs)})`,
      ...stageBase(s),
      figures: { jvmGcTimeMs: s.jvmGcTimeMs, executorRunTimeMs: s.executorRunTimeMs, gcShare: share },
      suggestion: GC_SUGGESTION,
    });
  }
  return out;
}

/** GC over GC_SHARE_THRESHOLD of task time, per executor (totalGCTime / totalDuration). */
export function gcExecutorFindings(executors: readonly Executor[]): Finding[] {
  const out: Finding[] = [];
  for (const e of executors) {
    if (e.totalDurationMs < GC_MIN_TASK_TIME_MS) continue;
    const share = e.totalGCTimeMs / e.totalDurationMs;
    if (share <= GC_SHARE_THRESHOLD) continue;
    out.push({
      rule: 'gcPressure',
      severity: 'warning',
      message: `Executor ${e.id} spent ${Math.round(share * 100)} % of task time in GC (${formatDuration(e.totalGCTimeMs)} of ${formatDuration(e.totalDurationMs)})`,
      executorId: e.id,
      figures: { totalGCTimeMs: e.totalGCTimeMs, totalDurationMs: e.totalDurationMs, gcShare: share },
      suggestion: GC_SUGGESTION,
    });
  }
  return out;
}

/** Storage memory over STORAGE_FULL_THRESHOLD on an active executor (memoryUsed / maxMemory). */
export function storageMemoryFindings(executors: readonly Executor[]): Finding[] {
  const out: Finding[] = [];
  for (const e of executors) {
    if (!e.isActive || !(e.maxMemory > 0)) continue;
    const share = e.memoryUsed / e.maxMemory;
    if (share <= STORAGE_FULL_THRESHOLD) continue;
    out.push({
      rule: 'storageMemoryFull',
      severity: 'warning',
      message: `Executor ${e.id} uses ${Math.round(share * 100)} % of its storage memory (${formatBytes(e.memoryUsed)} of ${formatBytes(e.maxMemory)}): new blocks evict cached ones`,
      executorId: e.id,
      figures: { memoryUsed: e.memoryUsed, maxMemory: e.maxMemory, share },
      suggestion: 'unpersist() datasets no longer needed, persist with StorageLevel.DISK_ONLY or MEMORY_AND_DISK, or raise spark.executor.memory (or spark.memory.fraction).',
    });
  }
  return out;
}

/** Failed tasks per stage: an error when the stage failed, a warning when retries saved it. */
export function failedTaskFindings(stages: readonly Stage[]): Finding[] {
  return stages
    .filter((s) => s.numFailedTasks > 0)
    .map((s) => ({
      rule: 'failedTasks' as const,
      severity: s.status === 'FAILED' ? ('error' as const) : ('warning' as const),
      message: `${stageLabel(s)} had ${s.numFailedTasks} failed task${s.numFailedTasks === 1 ? '' : 's'}${s.status === 'FAILED' ? ' and failed' : ''}`,
      ...stageBase(s),
      figures: { numFailedTasks: s.numFailedTasks, numTasks: s.numTasks },
      suggestion: 'Open the stage in the Spark UI for the task errors; executors lost to memory (exit code 137, OOM) need more spark.executor.memoryOverhead or spark.executor.memory.',
    }));
}

/** A machine executors can run on, from node metrics (Kubernetes allocatable, YARN NodeManager). */
export interface NodeCapacity {
  readonly name: string;
  readonly cores: number;
  readonly memoryBytes: number;
}

export interface SizingInput {
  readonly props: Readonly<Record<string, string>>;
  /** Standalone Master workers: executors are sized against what a worker offers. */
  readonly workers?: readonly Worker[];
  /** Container nodes: executors need heap + overhead (+ PySpark memory, off-heap) per container. */
  readonly nodes?: readonly NodeCapacity[];
}

const MIB = 1024 * 1024;

/**
 * Executor sizes that cannot fit: more cores or memory than any worker/node offers (error), or
 * an executor that takes every core of the largest one (warning: the OS, daemons and Python
 * workers compete with its tasks; on Kubernetes allocatable CPU is below capacity). A
 * standalone worker checks executor memory alone against its memory (it reserves no overhead);
 * containers need heap + overhead + PySpark memory + off-heap.
 */
export function executorSizingFindings(input: SizingInput): Finding[] {
  const fp = executorFootprint(input.props);
  const out: Finding[] = [];
  const check = (kind: 'worker' | 'node', hosts: readonly { name: string; cores: number; memoryBytes: number }[], needBytes: number, what: string): void => {
    if (hosts.length === 0) return;
    const fits = hosts.filter((h) => (fp.cores === undefined || fp.cores <= h.cores) && needBytes <= h.memoryBytes);
    const maxCores = Math.max(...hosts.map((h) => h.cores));
    const maxMem = Math.max(...hosts.map((h) => h.memoryBytes));
    const figures: Record<string, number> = { executorMemoryBytes: needBytes, largestCores: maxCores, largestMemoryBytes: maxMem };
    if (fp.cores !== undefined) figures.executorCores = fp.cores;
    if (fits.length === 0) {
      out.push({
        rule: 'executorSizing',
        severity: 'error',
        message: `An executor needs ${fp.cores !== undefined ? `${fp.cores} cores and ` : ''}${formatBytes(needBytes)} (${what}); no ${kind} offers that (largest: ${maxCores} cores, ${formatBytes(maxMem)})`,
        figures,
        suggestion: `Lower spark.executor.cores (at most ${Math.max(1, maxCores - 1)}) or spark.executor.memory${kind === 'node' ? ' / spark.executor.memoryOverhead' : ''} so that an executor fits a ${kind}.`,
      });
    } else if (fp.cores !== undefined && fp.cores >= maxCores) {
      out.push({
        rule: 'executorSizing',
        severity: 'warning',
        message: `An executor takes all ${maxCores} cores of the largest ${kind}: the OS, daemons and Python workers compete with its tasks`,
        figures,
        suggestion: `Set spark.executor.cores to at most ${Math.max(1, maxCores - 1)}.`,
      });
    }
  };
  const workers = (input.workers ?? []).filter((w) => w.alive);
  check('worker', workers.map((w) => ({ name: w.id, cores: w.cores, memoryBytes: w.memoryMb * MIB })), fp.heapBytes, 'spark.executor.memory');
  check('node', input.nodes ?? [], fp.containerBytes, 'heap + overhead');
  return out;
}

export interface InsightInput {
  readonly stages?: readonly Stage[];
  readonly executors?: readonly Executor[];
  /** Task summaries by `${stageId}:${attemptId}`. */
  readonly taskSummaries?: ReadonlyMap<string, TaskSummary>;
  readonly props?: Readonly<Record<string, string>>;
  readonly workers?: readonly Worker[];
  readonly nodes?: readonly NodeCapacity[];
}

/** Every rule over what is known of an application, errors first. */
export function allFindings(input: InsightInput): Finding[] {
  const stages = input.stages ?? [];
  const executors = input.executors ?? [];
  const out: Finding[] = [
    ...spillFindings(stages, input.props),
    ...gcStageFindings(stages),
    ...gcExecutorFindings(executors),
    ...storageMemoryFindings(executors),
    ...failedTaskFindings(stages),
  ];
  if (input.taskSummaries) {
    for (const s of stages) {
      const summary = input.taskSummaries.get(`${s.stageId}:${s.attemptId}`);
      const f = summary ? skewFinding(s, summary) : undefined;
      if (f) out.push(f);
    }
  }
  if (input.props) out.push(...executorSizingFindings({ props: input.props, workers: input.workers, nodes: input.nodes }));
  const rank = { error: 0, warning: 1, information: 2 };
  return out.sort((a, b) => rank[a.severity] - rank[b.severity]);
}

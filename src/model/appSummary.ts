/**
 * What the tree and the status bar say about an application, derived from one poll's data.
 * Pure: the views only lay these figures out.
 */
import type { ApplicationDetail, CachedDataset, Executor, Job, Stage } from './types';
import { formatCount } from './format';

export interface ExecutorTotals {
  readonly active: number;
  readonly dead: number;
  readonly cores: number;
  readonly memoryUsed: number;
  readonly maxMemory: number;
  readonly activeTasks: number;
}

/** Active executors only (the driver counts: it holds cached blocks in local mode). */
export function executorTotals(executors: readonly Executor[] | undefined): ExecutorTotals {
  const list = executors ?? [];
  const active = list.filter((e) => e.isActive);
  return {
    active: active.length,
    dead: list.length - active.length,
    cores: active.filter((e) => e.id !== 'driver' || active.length === 1).reduce((s, e) => s + e.totalCores, 0),
    memoryUsed: active.reduce((s, e) => s + e.memoryUsed, 0),
    maxMemory: active.reduce((s, e) => s + e.maxMemory, 0),
    activeTasks: active.reduce((s, e) => s + e.activeTasks, 0),
  };
}

/** Driver first, then executors by numeric id (Spark's ids are strings: "10" after "9"). */
export function sortExecutors(list: readonly Executor[]): Executor[] {
  const rank = (e: Executor) => (e.id === 'driver' ? -1 : Number.isFinite(Number(e.id)) ? Number(e.id) : Number.MAX_SAFE_INTEGER);
  return [...list].sort((a, b) => rank(a) - rank(b) || a.id.localeCompare(b.id));
}

/** A list node of the tree shows at most this many children: 10,000 executors would freeze the view. */
export const MAX_LISTED = 500;

/** A list as the tree shows it: its first items, and the text of the row that stands for the rest. */
export interface CappedList<T> {
  readonly shown: readonly T[];
  /** `… 9,501 more`; undefined when everything is shown. */
  readonly more?: string;
}

/** The first `max` items of a list, and a row for the rest. */
export function capList<T>(items: readonly T[], max = MAX_LISTED): CappedList<T> {
  if (items.length <= max) return { shown: items };
  return { shown: items.slice(0, max), more: `… ${formatCount(items.length - max)} more` };
}

/** The Executors node's children: live executors (driver first) up to the cap; the dead ones apart, in a node of their own. */
export function executorListing(executors: readonly Executor[]): { alive: CappedList<Executor>; dead: readonly Executor[] } {
  const all = sortExecutors(executors);
  return { alive: capList(all.filter((e) => e.isActive)), dead: all.filter((e) => !e.isActive) };
}

/** GC time as a share of task time, the figure Spark's UI flags above 10 %. */
export function gcShare(e: Pick<Executor, 'totalGCTimeMs' | 'totalDurationMs'>): number | undefined {
  return e.totalDurationMs > 0 ? e.totalGCTimeMs / e.totalDurationMs : undefined;
}

export function cachedBytes(datasets: readonly CachedDataset[] | undefined): { memory: number; disk: number } {
  return (datasets ?? []).reduce((acc, d) => ({ memory: acc.memory + d.memoryUsed, disk: acc.disk + d.diskUsed }), { memory: 0, disk: 0 });
}

/** Running jobs, then the most recent finished ones, newest first, at most `recent` of those. */
export function jobsToShow(jobs: readonly Job[] | undefined, recent = 10): Job[] {
  const list = jobs ?? [];
  const running = list.filter((j) => j.status === 'RUNNING').sort((a, b) => b.jobId - a.jobId);
  const done = list.filter((j) => j.status !== 'RUNNING').sort((a, b) => b.jobId - a.jobId).slice(0, recent);
  return [...running, ...done];
}

export function stageSpill(s: Pick<Stage, 'memoryBytesSpilled' | 'diskBytesSpilled'>): number {
  return s.diskBytesSpilled;
}

/** The configuration rows of the tree, from the environment; Spark's defaults where unset. */
export function keyConfiguration(detail: ApplicationDetail, sparkVersion?: string): Array<{ key: string; value: string; isDefault: boolean }> {
  const p = detail.environment?.sparkProperties ?? {};
  const rows: Array<[string, string]> = [
    ['spark.executor.memory', '1g'],
    ['spark.executor.cores', '1 (YARN, Kubernetes) · all of a worker (standalone)'],
    ['spark.driver.memory', '1g'],
    ['spark.memory.fraction', '0.6'],
    ['spark.memory.storageFraction', '0.5'],
    ['spark.dynamicAllocation.enabled', 'false'],
    ['spark.sql.shuffle.partitions', '200'],
    ['spark.master', ''],
  ];
  const out = rows.map(([key, dflt]) => ({ key, value: p[key] ?? dflt, isDefault: p[key] === undefined }));
  const version = detail.environment?.sparkVersion ?? sparkVersion;
  if (version) out.push({ key: 'Spark version', value: version, isDefault: false });
  return out.filter((r) => r.value !== '');
}

/**
 * Spark's storage level text (`Disk Memory Deserialized 1x Replicated`) as the constant a user
 * writes in code (`MEMORY_AND_DISK`). Unknown combinations keep Spark's text.
 */
export function storageLevelName(text: string): string {
  const t = text.toLowerCase();
  const disk = t.includes('disk');
  const memory = t.includes('memory');
  const offHeap = t.includes('offheap') || t.includes('off heap');
  const serialized = t.includes('serialized') && !t.includes('deserialized');
  const rep = /(\d+)x replicated/.exec(t);
  const suffix = rep && rep[1] !== '1' ? `_${rep[1]}` : '';
  if (offHeap) return `OFF_HEAP${suffix}`;
  if (memory && disk) return `MEMORY_AND_DISK${serialized ? '_SER' : ''}${suffix}`;
  if (memory) return `MEMORY_ONLY${serialized ? '_SER' : ''}${suffix}`;
  if (disk) return `DISK_ONLY${suffix}`;
  return text || 'NONE';
}

/** The first line of a cached dataset's name (a plan for df.cache()), cut for a tree label. */
export function shortDatasetName(name: string, max = 60): string {
  const first = name.split('\n', 1)[0].trim();
  return first.length > max ? first.slice(0, max - 1) + '…' : first;
}

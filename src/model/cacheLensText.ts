/**
 * What a cache lens and its hover say, as text: the figures of the matched cached dataset
 * (`⛁ 300.4 MiB in memory · 0 B on disk · 8/8 partitions · 27 % of storage · MEMORY_AND_DISK`),
 * or why there is none, and the numbers of Spark's unified memory model for the application.
 * The view only lays these out; every branch about Spark lives here.
 */
import { storageLevelName } from './appSummary';
import type { CacheFigures, CacheLensState, CallerFigures } from './cacheLensState';
import { baseName } from './callSite';
import { formatAge, formatBytes, formatPercent } from './format';
import { evictableByExecution, memoryModel, MemoryModel } from './memoryModel';
import type { CachedDataset, Executor } from './types';

/** What a click on the lens does. */
export type LensAction = 'reveal' | 'pick' | 'run' | 'none';

export interface LensText {
  readonly title: string;
  /** One line for the lens tooltip. */
  readonly tooltip: string;
  readonly action: LensAction;
}

export const LENS_ICON = '⛁';

/** `300.4 MiB in memory · 0 B on disk · 8/8 partitions · 27 % of storage · MEMORY_AND_DISK`. */
export function figuresText(f: CacheFigures): string {
  const bits = [
    `${formatBytes(f.memoryUsed)} in memory`,
    `${formatBytes(f.diskUsed)} on disk`,
    `${f.numCachedPartitions}/${f.numPartitions} partitions`,
  ];
  if (f.storageShare !== undefined) {
    // A few KiB of a GiB would read `0.0 %`, as if nothing were cached.
    bits.push(`${f.storageShare > 0 && f.storageShare < 0.0005 ? '< 0.1 %' : formatPercent(f.storageShare, 1)} of storage`);
  }
  bits.push(storageLevelName(f.storageLevel));
  return bits.join(' · ');
}

type Live = Exclude<CacheLensState, { kind: 'offline' }>;

/** `lines 8, 9` when every calling line is in the lens's file, else `job.py:8, line 12`. */
export function callersText(callers: readonly CallerFigures[]): string {
  if (callers.every((c) => c.sameFile)) return `lines ${callers.map((c) => c.line).join(', ')}`;
  return callers.map((c) => (c.sameFile ? `line ${c.line}` : `${baseName(c.path)}:${c.line}`)).join(', ');
}

/** What the tooltip says of each calling line of a helper's cache call. */
function callersDetail(callers: readonly CallerFigures[]): string {
  const each = callers.map((c) => `${c.sameFile ? `line ${c.line}` : `${baseName(c.path)}:${c.line}`}: rdd ${c.figures.rddId}, ${formatBytes(c.figures.memoryUsed)} in memory, ${formatBytes(c.figures.diskUsed)} on disk`);
  return `The sum of the ${callers.length} datasets this call cached, one per calling line (${each.join('; ')})`;
}

function liveText(s: Live): LensText {
  switch (s.kind) {
    case 'noApplication':
      return {
        title: `${LENS_ICON} no application runs this file · ▶ Run File with Observability`,
        tooltip: 'No running or recent Spark application runs this file. Click to run it with spark-submit and the observability hook.',
        action: 'run',
      };
    case 'notMaterialised':
      return {
        title: `${LENS_ICON} cached, not materialised yet · no action has computed it`,
        tooltip: `${s.appId}: ${s.reason}`,
        action: 'none',
      };
    case 'ended':
      return {
        title: `${LENS_ICON} run ended · Spark keeps no cached data after an application stops`,
        tooltip: `${s.appId}: ${s.reason}. Its peak storage memory is in Compare Runs; run the file again for the figure of each dataset.`,
        action: 'none',
      };
    case 'unmapped':
      return {
        title: `${LENS_ICON} no figure: not mapped to a cached dataset under Spark Connect · hover for why`,
        tooltip: `${s.appId}: ${s.reason}. No figure is shown rather than one of another dataset.`,
        action: 'none',
      };
    case 'ambiguous':
      return {
        title: `${LENS_ICON} ambiguous: ${s.candidates.length} cached datasets fit this call · pick one`,
        tooltip: `${s.reason}. No figure is shown rather than one of the wrong dataset: click to choose (rdd ${s.candidates.map((c) => c.rddId).join(', ')}).`,
        action: 'pick',
      };
    case 'measured': {
      const f = figuresText(s.figures);
      const mark = s.confidence === 'estimated' ? 'estimated · ' : '';
      const state =
        s.state === 'partial'
          ? ` · ⚠ partly cached (${s.figures.numCachedPartitions} of ${s.figures.numPartitions})`
          : s.state === 'spilled'
            ? ' · spilled to disk'
            : '';
      const why =
        s.state === 'partial'
          ? 'Only some partitions are cached: blocks were evicted (a memory-only level drops them) or no action has computed every partition yet (take, first).'
          : s.state === 'spilled'
            ? 'Part of this dataset did not fit in storage memory and sits on disk (its level allows disk).'
            : '';
      const callers = s.callers ? `${s.callers.length} datasets (called from ${callersText(s.callers)}) · ` : '';
      return {
        title: `${LENS_ICON} ${mark}${callers}${f}${state}`,
        tooltip: [s.callers ? callersDetail(s.callers) : `rdd ${s.figures.rddId} of ${s.appId}`, s.reason, why].filter(Boolean).join('. '),
        action: 'reveal',
      };
    }
  }
}

/** The lens for one cache call. */
export function cacheLensText(state: CacheLensState): LensText {
  if (state.kind !== 'offline') return liveText(state);
  const inner = liveText(state.last);
  return {
    title: `${inner.title} · ⚠ source offline, figure from ${formatAge(state.ageMs)}`,
    tooltip: `The source serving this application does not answer; this is its last figure, ${formatAge(state.ageMs)}. ${inner.tooltip}`,
    action: inner.action,
  };
}

// ---------------------------------------------------------------------------------------------
// The hover

export interface HoverRow {
  readonly label: string;
  readonly value: string;
}

/** Per block-manager figures of a dataset (`dataDistribution`), largest first. */
export function distributionRows(ds: CachedDataset): HoverRow[] {
  return [...ds.distribution]
    .sort((a, b) => b.memoryUsed + b.diskUsed - (a.memoryUsed + a.diskUsed))
    .map((d) => ({
      label: d.address,
      value: `${formatBytes(d.memoryUsed)} in memory · ${formatBytes(d.diskUsed)} on disk · ${formatBytes(d.memoryRemaining)} storage left`,
    }));
}

export interface MemoryExplanation {
  /** Whose JVM the numbers describe: the executors, or the driver in local mode. */
  readonly role: 'executor' | 'driver';
  readonly model: MemoryModel;
  readonly rows: readonly HoverRow[];
}

/**
 * The unified memory model of an application's executors (or, in local mode where the driver
 * is the only executor, of the driver), from its Spark properties and the executors' reported
 * maxMemory, with what execution could evict of what is cached now.
 */
export function memoryExplanation(props: Readonly<Record<string, string>>, executors: readonly Executor[] | undefined): MemoryExplanation {
  const active = (executors ?? []).filter((e) => e.isActive);
  const workers = active.filter((e) => e.id !== 'driver');
  const role: 'executor' | 'driver' = workers.length === 0 ? 'driver' : 'executor';
  const holders = role === 'driver' ? active : workers;
  const reported = holders.length > 0 ? Math.max(...holders.map((e) => e.maxMemory)) : undefined;
  const model = memoryModel(props, role, reported);
  let evictable = 0;
  let cached = 0;
  for (const e of holders) {
    const m = memoryModel(props, role, e.maxMemory);
    cached += e.memoryUsed;
    evictable += evictableByExecution(e.memoryUsed, m);
  }
  const heapKey = `spark.${role}.memory`;
  const rows: HoverRow[] = [
    { label: `Heap (${heapKey})`, value: `${formatBytes(model.heapBytes)}${props[heapKey] === undefined ? ' (default)' : ''}` },
    { label: 'Reserved by Spark', value: formatBytes(model.reservedBytes) },
    { label: 'spark.memory.fraction', value: `${model.memoryFraction}${props['spark.memory.fraction'] === undefined ? ' (default)' : ''}` },
    { label: 'spark.memory.storageFraction', value: `${model.storageFraction}${props['spark.memory.storageFraction'] === undefined ? ' (default)' : ''}` },
    {
      label: `Unified memory per ${role} (execution + storage)`,
      value: `${formatBytes(model.unifiedBytes)}${model.fromReportedMax ? ' (as the executor reports it)' : ''}`,
    },
    { label: 'Storage execution cannot evict', value: `${formatBytes(model.storageRegionBytes)} per ${role}` },
    {
      label: 'Execution may evict',
      value: `${formatBytes(evictable)} of the ${formatBytes(cached)} cached now (the blocks above the storage region, LRU)`,
    },
  ];
  return { role, model, rows };
}

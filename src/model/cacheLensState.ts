/**
 * What a cache lens shows over one call: the state and figures of the dataset its call matched
 * (cacheMatcher.ts), or why there are none.
 */

import type { CacheMatch } from './cacheMatcher';
import type { SourceLine } from './datasetNames';
import type { CachedDataset, Executor } from './types';

export type CachedDatasetState = 'notMaterialised' | 'partial' | 'spilled' | 'full';

/**
 * The state of a matched dataset: no partition cached yet; partly cached (evicted from a
 * memory-only level, or only some partitions computed, e.g. by `take`); spilled (a level with
 * memory that also holds bytes on disk); or full. A DISK_ONLY dataset on disk is full.
 */
export function cachedDatasetState(ds: CachedDataset): CachedDatasetState {
  if (ds.numCachedPartitions <= 0) return 'notMaterialised';
  if (ds.numCachedPartitions < ds.numPartitions) return 'partial';
  if (ds.diskUsed > 0 && /memory/i.test(ds.storageLevel)) return 'spilled';
  return 'full';
}

export interface CacheFigures {
  readonly rddId: number;
  readonly memoryUsed: number;
  readonly diskUsed: number;
  readonly numCachedPartitions: number;
  readonly numPartitions: number;
  readonly storageLevel: string;
  /** memoryUsed / Σ maxMemory of the active executors (the driver included, as Spark's UI adds it); undefined without executors. */
  readonly storageShare?: number;
}

/** The figures a lens shows for a dataset. */
export function cacheFigures(ds: CachedDataset, executors?: readonly Executor[]): CacheFigures {
  const max = executors?.filter((e) => e.isActive).reduce((s, e) => s + e.maxMemory, 0) ?? 0;
  const figures: CacheFigures = {
    rddId: ds.rddId, memoryUsed: ds.memoryUsed, diskUsed: ds.diskUsed,
    numCachedPartitions: ds.numCachedPartitions, numPartitions: ds.numPartitions, storageLevel: ds.storageLevel,
  };
  return max > 0 ? { ...figures, storageShare: ds.memoryUsed / max } : figures;
}

/**
 * Several datasets as one: sizes and partitions added up; the id, name and level of the newest
 * (the last). What a lens over a helper's cache call shows for all its calling lines.
 */
export function sumDatasets(list: readonly CachedDataset[]): CachedDataset {
  const last = list[list.length - 1];
  const add = (f: (d: CachedDataset) => number) => list.reduce((s, d) => s + f(d), 0);
  return {
    ...last,
    numPartitions: add((d) => d.numPartitions),
    numCachedPartitions: add((d) => d.numCachedPartitions),
    memoryUsed: add((d) => d.memoryUsed),
    diskUsed: add((d) => d.diskUsed),
    distribution: list.flatMap((d) => d.distribution),
  };
}

/** One calling line of a helper's cache call with the figures of its dataset. */
export interface CallerFigures extends SourceLine {
  readonly sameFile: boolean;
  readonly figures: CacheFigures;
}

/** Everything a cache lens can say. */
export type CacheLensState =
  /** No application runs (or ran) this file: offer "Run File with Observability". */
  | { readonly kind: 'noApplication' }
  /** The application runs this file, but no dataset for this call exists yet (no action has scanned it). */
  | { readonly kind: 'notMaterialised'; readonly appId: string; readonly reason: string }
  /**
   * The application has ended and its source lists no dataset for this call: Spark drops cached
   * data when an application stops (a History Server lists none), which says nothing of whether
   * an action computed it.
   */
  | { readonly kind: 'ended'; readonly appId: string; readonly reason: string }
  | {
      readonly kind: 'measured';
      readonly appId: string;
      readonly state: Exclude<CachedDatasetState, 'notMaterialised'>;
      readonly confidence: 'exact' | 'estimated';
      readonly reason: string;
      /** The sum over `callers` when there are callers. */
      readonly figures: CacheFigures;
      /** A helper's cache call: each calling line's dataset (two or more). */
      readonly callers?: readonly CallerFigures[];
    }
  | { readonly kind: 'ambiguous'; readonly appId: string; readonly reason: string; readonly candidates: readonly CacheFigures[] }
  /** A cached dataset may exist, but nothing ties it to this call (Spark Connect): the reason instead of a figure. */
  | { readonly kind: 'unmapped'; readonly appId: string; readonly reason: string }
  /** The source stopped answering: the last state with its age. */
  | { readonly kind: 'offline'; readonly ageMs: number; readonly last: Exclude<CacheLensState, { kind: 'offline' }> };

export interface LensInput {
  /** The application running this file, if any. */
  readonly appId?: string;
  /** That application has ended (completed). */
  readonly ended?: boolean;
  readonly match?: CacheMatch;
  readonly executors?: readonly Executor[];
  /** Present when the source is unreachable: when its data was last good (epoch ms). */
  readonly offlineSince?: number;
  /** Epoch ms; model/ has no clock. */
  readonly now: number;
}

const ENDED_REASON = 'the application has ended, and Spark keeps no cached data after an application stops (a History Server lists none)';

/** The state a lens shows for one call. */
export function cacheLensState(input: LensInput): CacheLensState {
  const live = liveState(input);
  if (input.offlineSince === undefined) return live;
  return { kind: 'offline', ageMs: Math.max(0, input.now - input.offlineSince), last: live };
}

function liveState(input: LensInput): Exclude<CacheLensState, { kind: 'offline' }> {
  const { appId, match } = input;
  if (appId === undefined) return { kind: 'noApplication' };
  if (match?.kind === 'unmatched' && match.unmappable) return { kind: 'unmapped', appId, reason: match.reason };
  if (!match || match.kind === 'unmatched') {
    if (input.ended) return { kind: 'ended', appId, reason: ENDED_REASON };
    return { kind: 'notMaterialised', appId, reason: match?.reason ?? 'no cached dataset for this call yet' };
  }
  if (match.kind === 'ambiguous') {
    return { kind: 'ambiguous', appId, reason: match.reason, candidates: match.candidates.map((d) => cacheFigures(d, input.executors)) };
  }
  const callers = match.callers;
  const dataset = callers ? sumDatasets(callers.map((c) => c.dataset)) : match.dataset;
  const state = cachedDatasetState(dataset);
  if (state === 'notMaterialised') {
    if (input.ended) return { kind: 'ended', appId, reason: ENDED_REASON };
    return { kind: 'notMaterialised', appId, reason: callers ? `cached from ${callers.length} calling lines, but no action has computed them yet` : 'cached, but no action has computed it yet' };
  }
  const figures = cacheFigures(dataset, input.executors);
  if (!callers) return { kind: 'measured', appId, state, confidence: match.confidence, reason: match.reason, figures };
  return {
    kind: 'measured', appId, state, confidence: match.confidence, reason: match.reason, figures,
    callers: callers.map((c) => ({ path: c.path, line: c.line, sameFile: c.sameFile, figures: cacheFigures(c.dataset, input.executors) })),
  };
}

/**
 * Read only what changed. A poll of an application first asks for a summary whose size does
 * not grow with the cluster (a live driver's metrics servlet; a History Server's
 * `/applications/{id}` and its `lastUpdated`), then reads a list only when someone wants it and
 * the summary says it may have changed. This file decides which; the store does the reading.
 */

/** The parts of an application a view can want. */
export type Part = 'executors' | 'jobs' | 'stages' | 'storage' | 'environment';
export const PARTS: readonly Part[] = ['jobs', 'stages', 'executors', 'storage', 'environment'];

/**
 * The driver's own counters (sources/sparkMetrics.ts). Memory in whole megabytes: a change
 * detector, not a figure to show as exact.
 */
export interface DriverSummary {
  readonly storageMemoryUsedMb?: number;
  readonly storageMemoryMaxMb?: number;
  readonly diskUsedMb?: number;
  readonly jobsAll?: number;
  readonly jobsActive?: number;
  readonly stagesRunning?: number;
  readonly stagesWaiting?: number;
  readonly stagesFailed?: number;
  /** appStatus counters (Spark 4.0+ by default). */
  readonly stagesCompleted?: number;
  readonly stagesSkipped?: number;
}

/** What the last polls of an application left behind, for the next plan. */
export interface ReadMemory {
  /** The summary of the previous poll; undefined before the first. */
  readonly summary?: DriverSummary;
  /** History Server: the attempt's lastUpdated at the previous poll. */
  readonly lastUpdated?: number;
  /** When each part was last read (epoch ms). */
  readonly readAt: Readonly<Partial<Record<Part, number>>>;
  /** Parts a progress read or a spent budget showed need a full read. */
  readonly dirty: ReadonlySet<Part>;
}

export interface PlanInput {
  readonly wanted: ReadonlySet<Part>;
  readonly memory: ReadMemory;
  /** This poll's summary; undefined when the source has none (then lists are read as before). */
  readonly summary?: DriverSummary;
  /** History Server applications: the attempt's lastUpdated (epoch ms), and whether it finished. */
  readonly history?: { readonly lastUpdated?: number; readonly completed: boolean };
  readonly force: boolean;
  readonly now: number;
  /** A wanted list is read at least this often even when the summary says nothing changed. */
  readonly maxAgeMs: number;
  /** Parts read no more often than this (large executor lists), by part. */
  readonly minIntervalMs?: Readonly<Partial<Record<Part, number>>>;
  /** Requests this poll may still make. */
  readonly budget: number;
}

export interface ReadPlan {
  /** Whole lists to read, in this order. */
  readonly full: readonly Part[];
  /** Filtered lists (running jobs, active stages) for progress, when no full read is due. */
  readonly progress: readonly ('jobs' | 'stages')[];
  /**
   * Jobs or stages began or ended: after the progress reads, read only the jobs and stages that
   * did (by id), or the whole lists when they are more than the budget left (boundaryReads.ts).
   */
  readonly boundary: boolean;
  /** Wanted parts left for a later poll (budget spent, or read too recently). */
  readonly deferred: readonly Part[];
}

/** With a driver's counters, job and stage lists are read again at most this many times less often. */
const LIST_AGE_FACTOR = 10;
const COUNTERS: readonly (keyof DriverSummary)[] = ['jobsAll', 'jobsActive', 'stagesRunning', 'stagesWaiting', 'stagesFailed', 'stagesCompleted', 'stagesSkipped'];
const MEMORY: readonly (keyof DriverSummary)[] = ['storageMemoryUsedMb', 'storageMemoryMaxMb', 'diskUsedMb'];

function differs(a: DriverSummary | undefined, b: DriverSummary, fields: readonly (keyof DriverSummary)[]): boolean {
  return !a || fields.some((f) => a[f] !== b[f]);
}

/** Whether the driver is doing work right now (tasks change executor and stage figures). */
export function busy(s: DriverSummary | undefined): boolean {
  return !!s && ((s.jobsActive ?? 0) > 0 || (s.stagesRunning ?? 0) > 0);
}

/**
 * Which lists to read this poll. Order of priority when the budget runs out: jobs, stages,
 * executors, storage, environment (the tree and the hints first; memory figures next).
 */
export function planReads(p: PlanInput): ReadPlan {
  const due = new Set<Part>();
  const progress = new Set<'jobs' | 'stages'>();
  let boundary = false;
  const { memory: m, summary: s } = p;
  const age = (part: Part) => (m.readAt[part] === undefined ? Infinity : p.now - m.readAt[part]!);
  for (const part of p.wanted) {
    if (m.readAt[part] === undefined || m.dirty.has(part)) due.add(part);
  }
  if (p.force) for (const part of p.wanted) if (part !== 'environment') due.add(part);
  if (p.history) {
    // A History Server application changes only while its event log grows.
    const grew = p.history.lastUpdated === undefined || p.history.lastUpdated !== m.lastUpdated;
    if (grew && !p.history.completed) for (const part of p.wanted) if (part !== 'environment') due.add(part);
  } else if (!s) {
    // No summary (an old driver, a proxy that hides /metrics): read what is wanted, as before.
    for (const part of p.wanted) if (part !== 'environment') due.add(part);
  } else {
    const counters = differs(m.summary, s, COUNTERS);
    const mem = differs(m.summary, s, MEMORY);
    const listsKnown = m.readAt.jobs !== undefined && m.readAt.stages !== undefined && !m.dirty.has('jobs') && !m.dirty.has('stages');
    if (counters && listsKnown && !p.force && m.summary) {
      // A boundary: what began or ended is read by id, not the whole lists again.
      boundary = true;
      progress.add('jobs');
      progress.add('stages');
    } else if (counters) {
      due.add('jobs');
      due.add('stages');
    } else if (busy(s)) {
      progress.add('jobs');
      progress.add('stages');
    }
    // Executors change with tasks (counts, GC, shuffle) and with memory; storage with memory
    // and with jobs that materialise a cache.
    if (counters || mem || busy(s) || busy(m.summary)) due.add('executors');
    if (counters || mem) due.add('storage');
  }
  // Jobs and stages do not change while the driver's counters stand still; executors (peaks come
  // with heartbeats) and storage (a cache under 1 MB does not move the MB gauges) may.
  const maxAge = (part: Part) => (s && (part === 'jobs' || part === 'stages') ? p.maxAgeMs * LIST_AGE_FACTOR : p.maxAgeMs);
  for (const part of p.wanted) if (part !== 'environment' && age(part) >= maxAge(part)) due.add(part);

  const full: Part[] = [];
  const deferred: Part[] = [];
  let budget = p.budget;
  for (const part of ['jobs', 'stages', 'executors', 'storage', 'environment'] as const) {
    if (!p.wanted.has(part) || !due.has(part)) continue;
    const min = p.minIntervalMs?.[part];
    if (!p.force && min !== undefined && age(part) < min) {
      deferred.push(part);
    } else if (budget > 0) {
      full.push(part);
      budget--;
      if (part === 'jobs' || part === 'stages') progress.delete(part);
    } else {
      deferred.push(part);
    }
  }
  const prog: ('jobs' | 'stages')[] = [];
  for (const part of progress) {
    if (!p.wanted.has(part) || full.includes(part)) continue;
    if (budget > 0) {
      prog.push(part);
      budget--;
    }
  }
  return { full, progress: prog, deferred, boundary: boundary && prog.length === 2 };
}

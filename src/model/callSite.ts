/**
 * Call sites: from a job's or stage's `name` (`"<function> at <file>:<line>"`) back to a line of
 * a workspace file, and the per-line sums the inline hints show.
 *
 * PySpark sets a Python call site itself only around a few calls (collect, toPandas, RDD
 * actions); the hook of "Run File with Observability" sets it for every action. Everything else
 * arrives as a JVM frame such as `count at NativeMethodAccessorImpl.java:0`, which names no user
 * line: those are counted as unplaced, never guessed onto a line (SPARK-FACTS.md).
 */

import type { Job, Stage } from './types';

/** A parsed Python call site. `line` is 1-based, as Python and Spark print it. */
export interface CallSite {
  /** The API function, `collect`, `count`, or the hook's expression `df1.cache()`. */
  readonly fn: string;
  /** The path as the driver saw it, usually absolute. */
  readonly path: string;
  readonly line: number;
}

const SEPARATOR = ' at ';

/**
 * Splits `"<function> at <path>:<line>"`. The last ` at ` separates (the function text may be a
 * whole expression, a path rarely holds ` at `); the last `:` before digits ends the path, so
 * Windows drive letters survive. Returns undefined when the text has no such shape.
 */
export function splitCallSite(name: string | undefined): CallSite | undefined {
  if (!name) return undefined;
  const text = name.trim();
  const at = text.lastIndexOf(SEPARATOR);
  if (at <= 0) return undefined;
  const rest = text.slice(at + SEPARATOR.length);
  const m = /^(.+):(\d+)$/.exec(rest);
  if (!m) return undefined;
  return { fn: text.slice(0, at).trim(), path: m[1], line: Number(m[2]) };
}

/**
 * Whether a call site can name a line of a user's file: JVM frames (`.java:`, `.scala:`),
 * line 0, and interpreter pseudo-files (`<stdin>`, `<string>`) cannot.
 */
export function isPlaceableCallSite(site: CallSite | undefined): site is CallSite {
  if (!site || site.line <= 0) return false;
  const p = site.path;
  if (p.endsWith('.java') || p.endsWith('.scala')) return false;
  if (p.startsWith('<') && p.endsWith('>')) return false;
  return true;
}

/** The call site of a job or stage name when it points at a user's line, else undefined. */
export function parseCallSite(name: string | undefined): CallSite | undefined {
  const site = splitCallSite(name);
  return isPlaceableCallSite(site) ? site : undefined;
}

/** Forward slashes, no repeated separators: Windows drivers and `dir//file` compare equal. */
export function normalisePath(path: string): string {
  return path.replace(/\\/g, '/').replace(/\/{2,}/g, '/');
}

/** Last path segment of a driver or workspace path, either separator. */
export function baseName(path: string): string {
  const p = normalisePath(path);
  return p.slice(p.lastIndexOf('/') + 1);
}

/** How many trailing path segments two paths share: `/a/b/job.py` vs `/x/b/job.py` → 2. */
export function trailingMatchLength(a: string, b: string): number {
  const sa = normalisePath(a).split('/');
  const sb = normalisePath(b).split('/');
  let k = 0;
  while (k < sa.length && k < sb.length && sa[sa.length - 1 - k] === sb[sb.length - 1 - k] && sa[sa.length - 1 - k] !== '') k++;
  return k;
}

/** A user's mapping of a driver-side folder to a local one (a container's `/opt/app` → the workspace). */
export interface PathMapping {
  readonly from: string;
  readonly to: string;
}

/** Applies the mapping with the longest matching `from` prefix; the path unchanged when none fits. */
export function applyPathMappings(path: string, mappings: readonly PathMapping[] = []): string {
  const p = normalisePath(path);
  let best: PathMapping | undefined;
  for (const m of mappings) {
    const from = normalisePath(m.from);
    if (from === '') continue;
    const boundary = from.endsWith('/') || p.length === from.length || p.charCodeAt(from.length) === 47;
    if (p.startsWith(from) && boundary && (!best || from.length > normalisePath(best.from).length)) best = m;
  }
  if (!best) return p;
  const from = normalisePath(best.from);
  const to = normalisePath(best.to);
  const tail = p.slice(from.length);
  if (to.endsWith('/') || tail.startsWith('/') || tail === '') return to + tail;
  return `${to}/${tail}`;
}

/**
 * The workspace file a driver's path refers to: after the user's path mappings, an exact path
 * wins; otherwise the candidate sharing the longest trailing run of segments (at least the file
 * name). Two candidates sharing equally long tails are ambiguous: undefined, never a guess.
 */
export function mapDriverPath(
  driverPath: string,
  workspacePaths: readonly string[],
  mappings: readonly PathMapping[] = [],
): string | undefined {
  const mapped = applyPathMappings(driverPath, mappings);
  for (const w of workspacePaths) if (normalisePath(w) === mapped) return w;
  let best: string | undefined;
  let bestLen = 0;
  let tie = false;
  for (const w of workspacePaths) {
    const len = trailingMatchLength(mapped, w);
    if (len > bestLen) {
      best = w;
      bestLen = len;
      tie = false;
    } else if (len === bestLen && len > 0) {
      tie = true;
    }
  }
  return bestLen > 0 && !tie ? best : undefined;
}

/** What ran from one source line: the sums an inline hint shows. */
export interface LineSummary {
  /** The driver's path; map it with mapDriverPath. */
  readonly path: string;
  /** 1-based. */
  readonly line: number;
  /** The API functions seen on this line (`count`, `collect`), in first-seen order. */
  readonly functions: readonly string[];
  readonly jobIds: readonly number[];
  readonly jobCount: number;
  readonly stageIds: readonly number[];
  /** Stages that ran (skipped and pending ones left out), each counted once whatever its attempts. */
  readonly stageCount: number;
  /** Tasks that completed, Σ job.numCompletedTasks. */
  readonly taskCount: number;
  readonly failedTasks: number;
  /** Σ job wall time (completion − submission; running jobs up to `now`). */
  readonly durationMs: number;
  readonly executorRunTimeMs: number;
  readonly jvmGcTimeMs: number;
  /** Σ jvmGcTime / Σ executorRunTime; undefined before any task time. */
  readonly gcShare?: number;
  readonly shuffleReadBytes: number;
  readonly shuffleWriteBytes: number;
  readonly memoryBytesSpilled: number;
  readonly diskBytesSpilled: number;
  readonly inputBytes: number;
  readonly outputBytes: number;
  readonly running: boolean;
}

export interface LinesByCallSite {
  /** In first-seen order of jobs. */
  readonly lines: readonly LineSummary[];
  /** Jobs whose name names no user line (JVM frames), counted for the tree. */
  readonly unplacedJobs: number;
  readonly unplacedStages: number;
}

interface MutableLine {
  path: string;
  line: number;
  functions: string[];
  jobIds: number[];
  stageIds: number[];
  taskCount: number;
  failedTasks: number;
  durationMs: number;
  executorRunTimeMs: number;
  jvmGcTimeMs: number;
  shuffleReadBytes: number;
  shuffleWriteBytes: number;
  memoryBytesSpilled: number;
  diskBytesSpilled: number;
  inputBytes: number;
  outputBytes: number;
  running: boolean;
}

/**
 * Sums jobs by the line that started them, with their stages' metrics. A stage id can appear in
 * several jobs' `stageIds` (a later job reuses a shuffle's output and lists the stage as
 * skipped), but it ran once: it is credited to the lowest job id listing it. Stage metrics sum
 * over all attempts of a stage (retried work is work done). `now` (epoch ms) dates running jobs.
 */
export function summariseJobsByLine(jobs: readonly Job[], stages: readonly Stage[], now?: number): LinesByCallSite {
  const attempts = new Map<number, Stage[]>();
  for (const st of stages) {
    const list = attempts.get(st.stageId);
    if (list) list.push(st);
    else attempts.set(st.stageId, [st]);
  }
  const owner = new Map<number, number>();
  for (const job of [...jobs].sort((a, b) => a.jobId - b.jobId)) {
    for (const id of job.stageIds) if (!owner.has(id)) owner.set(id, job.jobId);
  }
  const byKey = new Map<string, MutableLine>();
  let unplacedJobs = 0;
  for (const job of jobs) {
    const site = parseCallSite(job.name);
    if (!site) {
      unplacedJobs++;
      continue;
    }
    const key = `${normalisePath(site.path)}:${site.line}`;
    let acc = byKey.get(key);
    if (!acc) {
      acc = {
        path: site.path, line: site.line, functions: [], jobIds: [], stageIds: [], taskCount: 0, failedTasks: 0,
        durationMs: 0, executorRunTimeMs: 0, jvmGcTimeMs: 0, shuffleReadBytes: 0, shuffleWriteBytes: 0,
        memoryBytesSpilled: 0, diskBytesSpilled: 0, inputBytes: 0, outputBytes: 0, running: false,
      };
      byKey.set(key, acc);
    }
    if (!acc.functions.includes(site.fn)) acc.functions.push(site.fn);
    acc.jobIds.push(job.jobId);
    acc.taskCount += job.numCompletedTasks;
    acc.failedTasks += job.numFailedTasks;
    if (job.status === 'RUNNING') acc.running = true;
    const end = job.completionTime ?? (job.status === 'RUNNING' ? now : undefined);
    if (job.submissionTime !== undefined && end !== undefined) acc.durationMs += Math.max(0, end - job.submissionTime);
    for (const id of job.stageIds) {
      if (owner.get(id) !== job.jobId) continue;
      const list = attempts.get(id);
      if (!list) continue;
      let ran = false;
      for (const st of list) {
        if (st.status === 'SKIPPED' || st.status === 'PENDING') continue;
        ran = true;
        acc.executorRunTimeMs += st.executorRunTimeMs;
        acc.jvmGcTimeMs += st.jvmGcTimeMs;
        acc.shuffleReadBytes += st.shuffleReadBytes;
        acc.shuffleWriteBytes += st.shuffleWriteBytes;
        acc.memoryBytesSpilled += st.memoryBytesSpilled;
        acc.diskBytesSpilled += st.diskBytesSpilled;
        acc.inputBytes += st.inputBytes;
        acc.outputBytes += st.outputBytes;
      }
      if (ran && !acc.stageIds.includes(id)) acc.stageIds.push(id);
    }
  }
  let unplacedStages = 0;
  const seen = new Set<number>();
  for (const st of stages) {
    if (seen.has(st.stageId)) continue;
    seen.add(st.stageId);
    if (!parseCallSite(st.name)) unplacedStages++;
  }
  const lines: LineSummary[] = [];
  for (const acc of byKey.values()) {
    lines.push({
      ...acc,
      jobCount: acc.jobIds.length,
      stageCount: acc.stageIds.length,
      gcShare: acc.executorRunTimeMs > 0 ? acc.jvmGcTimeMs / acc.executorRunTimeMs : undefined,
    });
  }
  return { lines, unplacedJobs, unplacedStages };
}

/** Stages grouped by their call-site name (`name` verbatim), in first-seen order. */
export function groupStagesByName(stages: readonly Stage[]): Map<string, Stage[]> {
  const out = new Map<string, Stage[]>();
  for (const st of stages) {
    const list = out.get(st.name);
    if (list) list.push(st);
    else out.set(st.name, [st]);
  }
  return out;
}

/**
 * Inline hints and placed findings (F6): the text after an action line, the per-stage rows of
 * its hover, which run's hints a file shows, and on which line of which file each finding goes.
 * Call-site parsing and the per-line sums are callSite.ts; the rules are in rules/.
 *
 * Placement of findings that no stage names (decided here, documented in the README of F6):
 * - a stage's finding goes on the line its call site names, when that maps to a workspace file;
 *   otherwise it is counted as unplaced, never guessed onto a line;
 * - "storage memory nearly full" goes on the cache call that filled that executor: the cached
 *   dataset holding the most memory on it, when the hook named it after its line;
 * - everything else about the application as a whole (that same finding when no dataset names a
 *   line, GC per executor, executor sizing) goes on the application's anchor: the line that
 *   creates the SparkSession in the file of the application's first placed job (where its
 *   configuration is written), else that job's own line.
 */
import { mapDriverPath, type LineSummary, type PathMapping } from './callSite';
import { parseHookName } from './datasetNames';
import { allFindings, type Finding, type NodeCapacity, type RuleId } from './rules';
import { formatBytes, formatCount, formatDuration, formatPercent } from './format';
import type { Application, ApplicationDetail, CachedDataset, Executor, Stage, Worker } from './types';

// --- settings --------------------------------------------------------------------------------

/**
 * `sparkObservatory.hints.pathMappings`: an object `{ "/opt/app": "/home/me/app" }` or an array
 * of `{ from, to }`. Anything else (or an entry with an empty side) is left out.
 */
export function parsePathMappings(raw: unknown): PathMapping[] {
  const ok = (from: unknown, to: unknown): PathMapping | undefined =>
    typeof from === 'string' && typeof to === 'string' && from.trim() !== '' && to.trim() !== '' ? { from: from.trim(), to: to.trim() } : undefined;
  if (Array.isArray(raw)) {
    return raw.flatMap((m) => {
      const p = typeof m === 'object' && m !== null ? ok((m as Record<string, unknown>).from, (m as Record<string, unknown>).to) : undefined;
      return p ? [p] : [];
    });
  }
  if (typeof raw === 'object' && raw !== null) {
    return Object.entries(raw as Record<string, unknown>).flatMap(([from, to]) => {
      const p = ok(from, to);
      return p ? [p] : [];
    });
  }
  return [];
}

/**
 * A memoised driver path → workspace file mapping over a fixed list of workspace files (found
 * once, and again when files are created or deleted, never per poll).
 */
export class DriverPathMapper {
  private readonly memo = new Map<string, string | undefined>();
  constructor(
    private readonly workspaceFiles: readonly string[],
    private readonly mappings: readonly PathMapping[] = [],
  ) {}
  map(driverPath: string): string | undefined {
    if (this.memo.has(driverPath)) return this.memo.get(driverPath);
    const f = mapDriverPath(driverPath, this.workspaceFiles, this.mappings);
    this.memo.set(driverPath, f);
    return f;
  }
}

// --- the hint after a line -------------------------------------------------------------------

export interface HintText {
  /** Duration, jobs, stages and tasks: shown in the CodeLens colour. */
  readonly main: string;
  /** Spill and failed tasks, in the warning colour right after `main`; undefined when there are none. */
  readonly warning?: string;
  /** Shuffle and GC share, after the warning (a long hint is cut at the editor's edge: warnings first). */
  readonly tail?: string;
}

const plural = (n: number, one: string, many = `${one}s`) => `${formatCount(n)} ${n === 1 ? one : many}`;

/** The clock before the duration: U+25F7 is in the common monospace fonts (⏱ often is not). */
export const HINT_MARK = '◷';

/**
 * `◷ 48.2 s · 3 stages · 1,600 tasks`, then in the warning colour ` · spill 340 MiB ⚠ · 2 failed
 * tasks ⚠`, then ` · shuffle r 1.2 GiB / w 1.1 GiB · GC 6 %`. Several jobs of one line are
 * summed, with their count (`◷ 12 s · 2 jobs · …`). Spill shows the bytes written to disk (what
 * costs I/O), or the in-memory size when no disk figure came with it.
 */
export function hintText(l: LineSummary): HintText {
  const bits = [`${HINT_MARK} ${formatDuration(l.durationMs)}${l.running ? ' (running)' : ''}`];
  if (l.jobCount > 1) bits.push(`${l.jobCount} jobs`);
  bits.push(plural(l.stageCount, 'stage'), plural(l.taskCount, 'task'));
  const warn: string[] = [];
  if (l.memoryBytesSpilled > 0 || l.diskBytesSpilled > 0) warn.push(`spill ${formatBytes(l.diskBytesSpilled > 0 ? l.diskBytesSpilled : l.memoryBytesSpilled)} ⚠`);
  if (l.failedTasks > 0) warn.push(`${plural(l.failedTasks, 'failed task')} ⚠`);
  const tail: string[] = [];
  if (l.shuffleReadBytes > 0 || l.shuffleWriteBytes > 0) tail.push(`shuffle r ${formatBytes(l.shuffleReadBytes)} / w ${formatBytes(l.shuffleWriteBytes)}`);
  if (l.gcShare !== undefined) tail.push(`GC ${formatPercent(l.jvmGcTimeMs, l.executorRunTimeMs)}`);
  return {
    main: bits.join(' · '),
    ...(warn.length ? { warning: ` · ${warn.join(' · ')}` } : {}),
    ...(tail.length ? { tail: ` · ${tail.join(' · ')}` } : {}),
  };
}

/** The whole hint as one line of text (hovers, tests). */
export function hintLine(t: HintText): string {
  return t.main + (t.warning ?? '') + (t.tail ?? '');
}

/** One attempt of a stage of a line, as the hover's table shows it. */
export interface StageRow {
  readonly stageId: number;
  readonly attemptId: number;
  readonly status: string;
  readonly tasks: string;
  readonly duration: string;
  readonly taskTime: string;
  readonly shuffle: string;
  readonly spill: string;
  readonly gc: string;
  /** Spill or failed tasks. */
  readonly warn: boolean;
}

/** The stage attempts that ran for a line (its stageIds), oldest first. */
export function stageRows(line: LineSummary, stages: readonly Stage[]): StageRow[] {
  const ids = new Set(line.stageIds);
  return stages
    .filter((s) => ids.has(s.stageId))
    .sort((a, b) => a.stageId - b.stageId || a.attemptId - b.attemptId)
    .map((s) => ({
      stageId: s.stageId,
      attemptId: s.attemptId,
      status: s.status,
      tasks: `${formatCount(s.numCompleteTasks)}/${formatCount(s.numTasks)}${s.numFailedTasks ? ` (${s.numFailedTasks} failed)` : ''}`,
      duration: formatDuration(s.submissionTime !== undefined && s.completionTime !== undefined ? s.completionTime - s.submissionTime : undefined),
      taskTime: formatDuration(s.executorRunTimeMs),
      shuffle: `${formatBytes(s.shuffleReadBytes)} / ${formatBytes(s.shuffleWriteBytes)}`,
      spill: s.memoryBytesSpilled > 0 || s.diskBytesSpilled > 0 ? `${formatBytes(s.memoryBytesSpilled)} mem / ${formatBytes(s.diskBytesSpilled)} disk` : '–',
      gc: formatPercent(s.jvmGcTimeMs, s.executorRunTimeMs),
      warn: s.memoryBytesSpilled > 0 || s.diskBytesSpilled > 0 || s.numFailedTasks > 0,
    }));
}

// --- which run a file shows ------------------------------------------------------------------

/** One application's lines in one file. */
export interface FileLines {
  readonly file: string;
  readonly lines: readonly LineSummary[];
}

/** The placed lines of an application, grouped by workspace file; lines whose path maps to none are counted. */
export function linesByFile(lines: readonly LineSummary[], mapPath: (driverPath: string) => string | undefined): { files: FileLines[]; unmapped: number } {
  const byFile = new Map<string, LineSummary[]>();
  let unmapped = 0;
  for (const l of lines) {
    const f = mapPath(l.path);
    if (!f) {
      unmapped++;
      continue;
    }
    const list = byFile.get(f);
    if (list) list.push(l);
    else byFile.set(f, [l]);
  }
  return { files: [...byFile.entries()].map(([file, ls]) => ({ file, lines: ls })), unmapped };
}

/** What a run is to the choice of a file's hints. */
export interface RunCandidate {
  readonly appKey: string;
  readonly appId: string;
  readonly startTime?: number;
}

/**
 * Whether `next` replaces `current` as the run a file shows: the same application (newer
 * figures), or one started later (a new run of the file). A cleared application (`cleared`: ids,
 * whichever source serves it, a driver or a History Server) never comes back.
 */
export function replacesRun(current: RunCandidate | undefined, next: RunCandidate, cleared: ReadonlySet<string>): boolean {
  if (cleared.has(next.appId)) return false;
  if (!current || current.appKey === next.appKey) return true;
  return (next.startTime ?? 0) > (current.startTime ?? 0);
}

// --- findings --------------------------------------------------------------------------------

/** Where the cluster's capacity comes from, for executor sizing. */
export interface ClusterCapacity {
  /** The standalone Master of the application's group. */
  readonly workers?: readonly Worker[];
  /** Node metrics (Kubernetes allocatable, YARN NodeManagers) when Prometheus has them. */
  readonly nodes?: readonly NodeCapacity[];
}

/** What else the rules need beside the application's lists. */
export interface FindingOptions {
  /** The application (its end bounds executor lifetimes; its state says whether jobs still run). */
  readonly app?: Pick<Application, 'startTime' | 'endTime' | 'state' | 'sparkVersion'>;
  /** The caller's clock: the end of a running application's windows. */
  readonly now?: number;
  /** Rules switched off by `sparkObservatory.findings.disabledRules`. */
  readonly disabled?: readonly RuleId[];
}

/**
 * Every finding over what the store knows of an application. Executors are sized against the
 * Master's workers only when the application ran on a standalone Master (`spark.master` =
 * `spark://…`), and against nodes only on YARN or Kubernetes: a local-mode run shares a group
 * with a Master it never used.
 */
export function findingsForApp(detail: ApplicationDetail, cluster: ClusterCapacity = {}, o: FindingOptions = {}): Finding[] {
  const props = detail.environment?.sparkProperties;
  const master = props?.['spark.master'] ?? '';
  return allFindings({
    app: o.app,
    now: o.now,
    stages: detail.stages,
    executors: detail.executors,
    jobs: detail.jobs,
    taskSummaries: detail.taskSummaries,
    taskFailures: detail.taskFailures,
    cachedDatasets: detail.cachedDatasets,
    props,
    workers: master.startsWith('spark://') ? cluster.workers : undefined,
    nodes: /^(yarn|k8s:)/.test(master) ? cluster.nodes : undefined,
  }, o.disabled);
}

/** A finding on a line (1-based) of a workspace file. */
export interface PlacedFinding {
  readonly file: string;
  readonly line: number;
  readonly finding: Finding;
}

/** A line of a file (1-based). */
export interface FileLine {
  readonly file: string;
  readonly line: number;
}

/**
 * The application's anchor for findings about it as a whole: in the file of its first placed
 * job (lowest job id: the driver script), the SparkSession line when `sessionLine` knows it
 * (1-based), else that job's line.
 */
export function appAnchor(files: readonly FileLines[], sessionLine: (file: string) => number | undefined): FileLine | undefined {
  let first: { file: string; line: number; jobId: number } | undefined;
  for (const f of files) {
    for (const l of f.lines) {
      const jobId = Math.min(...l.jobIds);
      if (!first || jobId < first.jobId) first = { file: f.file, line: l.line, jobId };
    }
  }
  if (!first) return undefined;
  return { file: first.file, line: sessionLine(first.file) ?? first.line };
}

/** The cached dataset holding the most memory on an executor (by its block-manager address). */
export function datasetFillingExecutor(executor: Executor | undefined, datasets: readonly CachedDataset[]): CachedDataset | undefined {
  if (!executor) return undefined;
  let best: { ds: CachedDataset; bytes: number } | undefined;
  for (const ds of datasets) {
    const bytes = ds.distribution.filter((d) => d.address === executor.hostPort).reduce((s, d) => s + d.memoryUsed, 0);
    if (bytes > 0 && (!best || bytes > best.bytes)) best = { ds, bytes };
  }
  return best?.ds;
}

export interface PlacementInput {
  readonly findings: readonly Finding[];
  readonly mapPath: (driverPath: string) => string | undefined;
  readonly anchor?: FileLine;
  readonly executors?: readonly Executor[];
  readonly cachedDatasets?: readonly CachedDataset[];
}

/**
 * Puts each finding on its line (see the file comment); the rest are counted as unplaced. Rules
 * give one finding per stage or per application, whatever the number of executors, and the one
 * executor a finding names is looked up in a map: placing is linear in the findings.
 */
export function placeFindings(input: PlacementInput): { placed: PlacedFinding[]; unplaced: number } {
  const placed: PlacedFinding[] = [];
  let unplaced = 0;
  let byId: Map<string, Executor> | undefined;
  for (const f of input.findings) {
    let at: FileLine | undefined;
    if (f.site) {
      const file = input.mapPath(f.site.path);
      at = file ? { file, line: f.site.line } : undefined;
    } else if (f.callSite !== undefined) {
      at = undefined; // a stage whose call site names no user line (a JVM frame)
    } else {
      if (f.rule === 'storageMemoryFull' && f.executorId !== undefined) {
        byId ??= new Map((input.executors ?? []).map((e) => [e.id, e]));
        const ds = datasetFillingExecutor(byId.get(f.executorId), input.cachedDatasets ?? []);
        const hook = ds ? parseHookName(ds.name) : undefined;
        const file = hook ? input.mapPath(hook.path) : undefined;
        if (hook && file) at = { file, line: hook.line };
      }
      at ??= input.anchor;
    }
    if (at) placed.push({ ...at, finding: f });
    else unplaced++;
  }
  return { placed, unplaced };
}

/** The message of a finding's diagnostic: its numbers, then the setting to try. */
export function findingMessage(f: Finding): string {
  return `${f.message}. Try: ${f.suggestion}`;
}

/**
 * One poll of one application: a summary first (a live driver's metrics servlet; the History
 * Server's listing already carries `lastUpdated`), then only the lists someone wants and the
 * summary says may have changed (model/summary.ts), at most five requests in all. Each list is
 * kept as the text Spark sent: an answer equal to the last one is neither parsed nor announced,
 * so a poll in which nothing changed costs one small request and no parsing.
 */
import { HttpClient, HttpError, parseJsonText } from '../sources/http';
import {
  AppList,
  AppRef,
  parseCachedDatasets,
  parseEnvironment,
  parseExecutors,
  parseJobs,
  parseStages,
  SparkRestClient,
} from '../sources/sparkRest';
import { SparkMetricsClient } from '../sources/sparkMetrics';
import { readBoundary } from './boundaryReads';
import { needsTaskFailures, needsTaskSummary, SUMMARY_QUANTILES } from '../model/rules';
import { resolveConnectSites } from '../model/connectSites';
import { DriverSummary, Part, planReads, ReadMemory } from '../model/summary';
import type { FailureLog } from '../model/failureLog';
import type { AppEntry } from '../model/entries';
import type { ApplicationDetail, Job, Stage, TaskFailure, TaskSummary } from '../model/types';
import type { DetailKey } from './changes';

/** DESIGN.md budget: one poll of an application makes at most this many requests. */
export const MAX_REQUESTS_PER_POLL = 5;
/** Big lists are read at most this often: reading them may take this share of one core. */
const PARSE_SHARE = 0.0015;
/**
 * A list's whole read (the socket, inflating, comparing with the last text, parsing, and the
 * garbage collection it causes) over its parse alone, which is all that is timed here (the rest
 * runs in Node's pool, between awaits and in later GC pauses). Measured by npm run bench's poll
 * module with 1,000 executors (1.9 MB): a poll that reads the list takes 24 ms of CPU, one that
 * does not 3.5 ms, and the parse 5.5 ms.
 */
const READ_OVER_PARSE = 4;

export interface SourceError {
  readonly kind: string;
  readonly message: string;
  readonly at: number;
}

export interface DetailState {
  readonly detail: ApplicationDetail;
  /** The driver's own counters at the last poll (memory in whole MB: a change detector). */
  readonly summary?: DriverSummary;
  readonly fetchedAt?: number;
  readonly error?: SourceError;
  /** True when the last poll failed and `detail` is older data. */
  readonly stale: boolean;
}

/** Everything the store keeps of one application between polls. */
export class AppRecord {
  state: DetailState = { detail: {}, stale: false };
  /** The lists as Spark sent them; `state.detail` is what features see (Connect sites resolved). */
  raw: ApplicationDetail = {};
  memory: { summary?: DriverSummary; lastUpdated?: number; readAt: Partial<Record<Part, number>>; dirty: Set<Part> } = { readAt: {}, dirty: new Set() };
  /** The last text of each list, to tell an unchanged answer without parsing it. */
  readonly bodies = new Map<AppList, string>();
  /** Task summaries of finished stage attempts by `${stageId}:${attemptId}`; null: Spark has none. */
  readonly summaries = new Map<string, TaskSummary | null>();
  /** Failed task attempts of finished stage attempts that had any, by `${stageId}:${attemptId}`; null: Spark has none. */
  readonly failures = new Map<string, TaskFailure[] | null>();
  /**
   * What pendingExtras found for a stage list, kept while the list is the same array (a list
   * not read or read unchanged): a poll in which nothing changed does not scan it again.
   */
  extras?: { readonly stages: readonly Stage[]; pending: Extra[] };
  /** How long the last parse of each list took (ms). */
  readonly parseMs: Partial<Record<Part, number>> = {};
  /** The metrics servlet answered "not here" (an old driver, a proxy): asked again now and then. */
  noSummaryUntil = 0;
}

export interface PollContext {
  readonly entry: AppEntry;
  readonly http: HttpClient;
  readonly wanted: ReadonlySet<Part>;
  readonly force: boolean;
  readonly now: () => number;
  /** A wanted list is read at least this often. */
  readonly maxAgeMs: number;
  readonly signal: AbortSignal;
  readonly warn: (msg: string) => void;
  /** What was logged of this application's failures: a line per new message, not per poll. */
  readonly logged: FailureLog;
}

const LIST_OF: Record<Part, AppList> = { executors: 'executors', jobs: 'jobs', stages: 'stages', storage: 'storage', environment: 'environment' };

/** Running ids of a job or stage list, sorted, as one string. */
const ids = (xs: readonly (Job | Stage)[] | undefined, running: (x: Job | Stage) => boolean) =>
  (xs ?? []).filter(running).map((x) => ('jobId' in x ? `${x.jobId}` : `${x.stageId}.${x.attemptId}`)).sort().join(',');
const isRunningJob = (x: Job | Stage) => 'jobId' in x && x.status === 'RUNNING';
const isActiveStage = (x: Job | Stage) => 'stageId' in x && x.status === 'ACTIVE';

function toSourceError(e: unknown, at: number): SourceError {
  if (e instanceof HttpError) return { kind: e.kind, message: e.message, at };
  if (e instanceof Error) return { kind: 'error', message: e.message, at };
  return { kind: 'error', message: String(e), at };
}
export { toSourceError };

/**
 * Polls one application into its record; returns the detail keys that changed (empty: nothing
 * to announce). Failures keep the last good data, marked stale with the error and its time.
 */
export async function pollApp(rec: AppRecord, c: PollContext): Promise<Set<DetailKey | 'state'>> {
  const changed = new Set<DetailKey | 'state'>();
  const { entry, signal } = c;
  const rest = new SparkRestClient(c.http);
  const ref: AppRef = { id: entry.app.id, attemptId: entry.app.attemptId };
  const prev = rec.state;
  const now = c.now();
  let budget = MAX_REQUESTS_PER_POLL;
  try {
    let summary: DriverSummary | undefined;
    // A forced poll reads every wanted list anyway: its request goes to task summaries instead.
    if (entry.via === 'driver' && now >= rec.noSummaryUntil && !(c.force && rec.memory.summary)) {
      budget--;
      try {
        summary = await new SparkMetricsClient(c.http).driverSummary(signal);
      } catch (e) {
        // The servlet is missing or hidden behind a proxy: lists are read as before, and the
        // servlet is asked again in a few minutes. Anything else is the source failing.
        if (!(e instanceof HttpError) || !['notFound', 'notJson', 'malformed', 'status', 'redirect', 'auth'].includes(e.kind)) throw e;
        rec.noSummaryUntil = now + 300_000;
      }
    }
    const plan = planReads({
      wanted: c.wanted,
      memory: rec.memory as ReadMemory,
      summary,
      history: entry.via === 'history' ? { lastUpdated: entry.app.lastUpdated, completed: entry.app.state === 'completed' } : undefined,
      force: c.force,
      now,
      maxAgeMs: c.maxAgeMs,
      minIntervalMs: { executors: ((rec.parseMs.executors ?? 0) * READ_OVER_PARSE) / PARSE_SHARE, storage: ((rec.parseMs.storage ?? 0) * READ_OVER_PARSE) / PARSE_SHARE },
      budget,
    });
    budget -= plan.full.length + plan.progress.length;
    const [full, progress] = await Promise.all([
      Promise.all(plan.full.map((p) => rest.listText(ref, LIST_OF[p], signal))),
      Promise.all(plan.progress.map((p) => rest.listText(ref, p === 'jobs' ? 'runningJobs' : 'activeStages', signal))),
    ]);
    const detail: { -readonly [K in keyof ApplicationDetail]: ApplicationDetail[K] } = { ...rec.raw };
    const dirty = new Set<Part>(plan.deferred);
    plan.full.forEach((part, i) => {
      rec.memory.readAt[part] = now;
      const text = full[i];
      // Progress merged into the list since its last full read makes an equal text news again.
      const merged = part === 'jobs' ? rec.bodies.delete('runningJobs') : part === 'stages' ? rec.bodies.delete('activeStages') : false;
      if (!merged && rec.bodies.get(LIST_OF[part]) === text) return;
      const t0 = performance.now();
      applyList(detail, part, parseJsonText(text));
      rec.parseMs[part] = performance.now() - t0;
      rec.bodies.set(LIST_OF[part], text);
      changed.add(part);
    });
    // Both progress lists read over known lists: parsed once, for the boundary test and its reads.
    const pj = plan.progress.indexOf('jobs');
    const ps = plan.progress.indexOf('stages');
    const both = pj >= 0 && ps >= 0 && summary && detail.jobs && detail.stages
      ? { running: parseJobs(parseJsonText(progress[pj])), active: parseStages(parseJsonText(progress[ps])), runningText: progress[pj], activeText: progress[ps] }
      : undefined;
    // The summary's counters may lag the lists by a poll (a job that began between the two
    // reads): a different set of running jobs or active stages is a boundary too.
    const boundary = both && (plan.boundary || ids(both.running, isRunningJob) !== ids(detail.jobs, isRunningJob) || ids(both.active, isActiveStage) !== ids(detail.stages, isActiveStage));
    if (both && boundary) {
      // Jobs or stages began or ended: those, by id; the whole lists next poll when they are too many.
      const { running, active } = both;
      // Merged into the lists: a later whole list equal to the last one is news again.
      rec.bodies.set('runningJobs', both.runningText);
      rec.bodies.set('activeStages', both.activeText);
      const b = await readBoundary({ rest, ref, jobs: detail.jobs ?? [], stages: detail.stages ?? [], running, active, jobsAll: summary?.jobsAll, budget, signal });
      if (b) {
        budget -= b.requests;
        detail.jobs = b.jobs;
        detail.stages = b.stages;
        changed.add('jobs').add('stages');
        if (b.incomplete) dirty.add('stages');
      } else {
        dirty.add('jobs');
        dirty.add('stages');
      }
    } else {
      plan.progress.forEach((part, i) => {
        // Running jobs / active stages only: their progress replaces theirs in the last full
        // list; a different set of running ids means some ended or began: a full read is due.
        const list: AppList = part === 'jobs' ? 'runningJobs' : 'activeStages';
        const text = progress[i];
        if (rec.bodies.get(list) === text) return;
        rec.bodies.set(list, text);
        changed.add(part);
        if (part === 'jobs') {
          const running = parseJobs(parseJsonText(text));
          if (ids(running, isRunningJob) !== ids(detail.jobs, isRunningJob)) dirty.add('jobs');
          detail.jobs = mergeById(detail.jobs ?? [], running, (j) => `${j.jobId}`);
        } else {
          const active = parseStages(parseJsonText(text));
          if (ids(active, isActiveStage) !== ids(detail.stages, isActiveStage)) dirty.add('stages');
          detail.stages = mergeById(detail.stages ?? [], active, (s) => `${s.stageId}.${s.attemptId}`);
        }
      });
    }
    if (changed.has('stages')) detail.activeStages = detail.stages?.filter((s) => s.status === 'ACTIVE');
    const extras = await fetchStageExtras(rec, rest, ref, detail.stages, budget, signal, (stage, msg) => {
      if (c.logged.failed(`${entry.key}|stage ${stage}`, msg, now)) c.warn(msg);
    });
    if (extras.changed) {
      detail.taskSummaries = extras.summaries;
      detail.taskFailures = extras.failures;
      changed.add('taskSummaries');
    }
    rec.memory = { summary: summary ?? rec.memory.summary, lastUpdated: entry.app.lastUpdated, readAt: rec.memory.readAt, dirty };
    if (prev.stale || prev.error || !prev.fetchedAt) changed.add('state');
    if (!sameSummary(prev.summary, summary)) changed.add('state');
    rec.raw = detail;
    // Spark Connect jobs carry their lines in tags (the Connect hook's): features read them as
    // classic call sites. Classic applications pass through unchanged.
    const shown = changed.size > 0 ? resolveConnectSites(detail) : prev.detail;
    rec.state = { detail: shown, summary: summary ?? prev.summary, fetchedAt: changed.size > 0 || plan.full.length > 0 ? now : (prev.fetchedAt ?? now), stale: false };
    c.logged.ok(entry.key, now);
  } catch (err) {
    if (signal.aborted) return changed;
    const se = toSourceError(err, now);
    if (c.logged.failed(entry.key, se.message, now)) c.warn(`${entry.app.id}: ${se.message}`);
    rec.state = { detail: prev.detail, summary: prev.summary, fetchedAt: prev.fetchedAt, error: se, stale: true };
    changed.add('state');
  }
  return changed;
}

function sameSummary(a: DriverSummary | undefined, b: DriverSummary | undefined): boolean {
  return b === undefined || JSON.stringify(a) === JSON.stringify(b);
}

function applyList(detail: { -readonly [K in keyof ApplicationDetail]: ApplicationDetail[K] }, part: Part, body: unknown): void {
  switch (part) {
    case 'executors':
      detail.executors = parseExecutors(body);
      return;
    case 'jobs':
      detail.jobs = parseJobs(body);
      return;
    case 'stages':
      detail.stages = parseStages(body);
      detail.activeStages = detail.stages.filter((s) => s.status === 'ACTIVE');
      return;
    case 'storage':
      detail.cachedDatasets = parseCachedDatasets(body);
      return;
    case 'environment':
      detail.environment = parseEnvironment(body);
      return;
  }
}

/** The full list with the fresh entries replacing theirs by id (new ones added, newest first as Spark lists). */
function mergeById<T>(all: readonly T[], fresh: readonly T[], id: (x: T) => string): T[] {
  const byId = new Map(fresh.map((x) => [id(x), x]));
  const out = all.map((x) => byId.get(id(x)) ?? x);
  const known = new Set(all.map(id));
  const added = fresh.filter((x) => !known.has(id(x)));
  return [...added, ...out];
}

type Extra = { readonly stage: Stage; readonly kind: 'summary' | 'failures' };
const extraKey = (s: Stage) => `${s.stageId}:${s.attemptId}`;

/** The finished stage attempts that still need a task summary or their failed tasks read. */
function pendingExtras(rec: AppRecord, stages: readonly Stage[] | undefined): Extra[] {
  if (!stages) return [];
  const memo = rec.extras;
  if (memo?.stages === stages) {
    // The same list: only what was read since drops out.
    memo.pending = memo.pending.filter((e) => !(e.kind === 'summary' ? rec.summaries : rec.failures).has(extraKey(e.stage)));
    return memo.pending;
  }
  const out: Extra[] = [];
  for (const s of stages) {
    const k = extraKey(s);
    if (needsTaskFailures(s) && !rec.failures.has(k)) out.push({ stage: s, kind: 'failures' });
    if (needsTaskSummary(s) && !rec.summaries.has(k)) out.push({ stage: s, kind: 'summary' });
  }
  // Newest first; failures before summaries (they decide a finding's level).
  rec.extras = { stages, pending: out };
  return out.sort((a, b) => b.stage.stageId - a.stage.stageId || b.stage.attemptId - a.stage.attemptId || (a.kind === 'failures' ? -1 : 1));
}

/**
 * Fetches at most `budget` task summaries and failed-task lists (finished stages only, each once:
 * they never change), newest first. A failed request is retried on a later poll; a 404 (no task
 * reported metrics) is remembered as "none". Stages Spark no longer retains are dropped, so the
 * caches stay bounded like the list.
 */
async function fetchStageExtras(
  rec: AppRecord,
  rest: SparkRestClient,
  ref: AppRef,
  stages: readonly Stage[] | undefined,
  budget: number,
  signal: AbortSignal,
  warn: (stage: string, msg: string) => void,
): Promise<{ changed: false } | { changed: true; summaries: ReadonlyMap<string, TaskSummary>; failures: ReadonlyMap<string, readonly TaskFailure[]> }> {
  let changed = false;
  if (stages && rec.extras?.stages !== stages) {
    // A new list: summaries of stages Spark no longer retains go (an unchanged list has none).
    const listed = new Set(stages.map((s) => `${s.stageId}:${s.attemptId}`));
    for (const known of [rec.summaries, rec.failures] as Map<string, unknown>[]) {
      for (const k of [...known.keys()]) {
        if (!listed.has(k)) {
          known.delete(k);
          changed = true;
        }
      }
    }
  }
  for (const { stage: st, kind } of pendingExtras(rec, stages).slice(0, Math.max(0, budget))) {
    const k = extraKey(st);
    const known: Map<string, unknown> = kind === 'summary' ? rec.summaries : rec.failures;
    try {
      known.set(k, kind === 'summary'
        ? await rest.taskSummary(ref, st.stageId, st.attemptId, SUMMARY_QUANTILES, signal)
        : await rest.taskFailures(ref, st.stageId, st.attemptId, 20, signal));
      changed = true;
    } catch (err) {
      if (signal.aborted) throw err;
      if (err instanceof HttpError && err.kind === 'notFound') known.set(k, null);
      else warn(k, `${ref.id}: ${kind === 'summary' ? 'task summary' : 'failed tasks'} of stage ${st.stageId}.${st.attemptId}: ${String(err)}`);
    }
  }
  if (!changed) return { changed };
  const summaries = new Map<string, TaskSummary>();
  for (const [k, v] of rec.summaries) if (v) summaries.set(k, v);
  const failures = new Map<string, readonly TaskFailure[]>();
  for (const [k, v] of rec.failures) if (v) failures.set(k, v);
  return { changed, summaries, failures };
}

/** Whether an application still has task summaries or failed tasks to fetch (a finished one is otherwise read once). */
export function summariesPending(rec: AppRecord): boolean {
  return pendingExtras(rec, rec.state.detail.stages).length > 0;
}

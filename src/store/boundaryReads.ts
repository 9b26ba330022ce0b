/**
 * A live driver's jobs and stages at a boundary (a job or a stage began or ended, as its counters
 * say): instead of the whole lists again — up to Spark's 1,000 retained stages, megabytes — the
 * running jobs and active stages (read already for progress) and, by id, only the jobs and
 * stages that began or ended since the last poll. Job ids are Spark's counter of submitted jobs
 * (DAGScheduler's allJobs), so a job that began and ended between two polls is found too.
 */
import { parseJsonText } from '../sources/http';
import { AppRef, parseJobs, parseStages, SparkRestClient } from '../sources/sparkRest';
import type { Job, Stage } from '../model/types';

export interface BoundaryInput {
  readonly rest: SparkRestClient;
  readonly ref: AppRef;
  /** The lists as the last poll left them. */
  readonly jobs: readonly Job[];
  readonly stages: readonly Stage[];
  /** This poll's progress reads. */
  readonly running: readonly Job[];
  readonly active: readonly Stage[];
  /** The driver's count of submitted jobs (ids 0 … jobsAll − 1). */
  readonly jobsAll?: number;
  /** Requests this poll may still make. */
  readonly budget: number;
  readonly signal: AbortSignal;
}

export interface BoundaryResult {
  readonly jobs: Job[];
  readonly stages: Stage[];
  readonly requests: number;
  /** Stages of jobs found only now did not fit the budget: read the whole stage list next poll. */
  readonly incomplete: boolean;
}

const FINAL_STAGE = new Set<Stage['status']>(['COMPLETE', 'SKIPPED', 'FAILED']);
const stageKey = (s: Stage) => `${s.stageId}.${s.attemptId}`;

/** Which job and stage ids to read one by one (pure: tested without a driver). */
export function boundaryIds(i: Omit<BoundaryInput, 'rest' | 'ref' | 'budget' | 'signal'>): { jobIds: number[]; stageIds: number[]; optionalStageIds: number[] } {
  const runningNow = new Set(i.running.map((j) => j.jobId));
  const known = new Set(i.jobs.map((j) => j.jobId));
  const jobIds = new Set<number>();
  // Jobs that were running and are not now: their final figures.
  for (const j of i.jobs) if (j.status === 'RUNNING' && !runningNow.has(j.jobId)) jobIds.add(j.jobId);
  // Jobs the driver submitted since, not running now: they began and ended between two polls.
  if (i.jobsAll !== undefined) {
    const maxKnown = Math.max(-1, ...known);
    for (let id = maxKnown + 1; id < i.jobsAll; id++) if (!runningNow.has(id)) jobIds.add(id);
  }
  // Stages of the jobs that changed whose known state is not final, but those the progress read brought.
  const activeNow = new Set(i.active.map((s) => s.stageId));
  const finalStages = new Set(i.stages.filter((s) => FINAL_STAGE.has(s.status)).map((s) => s.stageId));
  const wasActive = i.stages.filter((s) => s.status === 'ACTIVE' && !activeNow.has(s.stageId)).map((s) => s.stageId);
  const stageIds = new Set<number>(wasActive);
  // Jobs that ended: every stage of theirs not known final.
  for (const j of i.jobs.filter((x) => jobIds.has(x.jobId))) for (const id of j.stageIds) if (!finalStages.has(id) && !activeNow.has(id)) stageIds.add(id);
  // A running job's other stages are pending, or ran between two polls: read when the budget has
  // room, else when they start (the active list) or when their job ends.
  const optional = new Set<number>();
  for (const j of i.running) for (const id of j.stageIds) if (!finalStages.has(id) && !activeNow.has(id) && !stageIds.has(id)) optional.add(id);
  return { jobIds: [...jobIds].sort((a, b) => a - b), stageIds: [...stageIds].sort((a, b) => a - b), optionalStageIds: [...optional].sort((a, b) => a - b) };
}

/**
 * Reads what began or ended, by id; undefined when that is more requests than the budget left
 * (the caller reads the whole lists instead). The stages of jobs that began and ended between
 * two polls come with a second round, if the budget allows, else (`incomplete`) the next poll
 * reads the whole stage list.
 */
export async function readBoundary(i: BoundaryInput): Promise<BoundaryResult | undefined> {
  const { jobIds, stageIds: needed, optionalStageIds } = boundaryIds(i);
  if (jobIds.length + needed.length > i.budget) return undefined;
  const stageIds = [...needed, ...optionalStageIds.slice(0, i.budget - jobIds.length - needed.length)];
  const [jobs, stages] = await Promise.all([
    Promise.all(jobIds.map(async (id) => parseJobs([parseJsonText(await i.rest.itemText(i.ref, 'job', id, i.signal))]))),
    Promise.all(stageIds.map(async (id) => parseStages(parseJsonText(await i.rest.itemText(i.ref, 'stage', id, i.signal))))),
  ]);
  const freshJobs = jobs.flat();
  let freshStages = stages.flat();
  let requests = jobIds.length + stageIds.length;
  // Jobs found only now (they began and ended between polls): their stages, when they fit.
  const seen = new Set([...i.stages, ...i.active, ...freshStages].filter((s) => FINAL_STAGE.has(s.status) || s.status === 'ACTIVE').map((s) => s.stageId));
  const more = [...new Set(freshJobs.filter((j) => !i.jobs.some((k) => k.jobId === j.jobId)).flatMap((j) => j.stageIds))].filter((id) => !seen.has(id));
  const fits = requests + more.length <= i.budget;
  if (more.length > 0 && fits) {
    const extra = await Promise.all(more.map(async (id) => parseStages(parseJsonText(await i.rest.itemText(i.ref, 'stage', id, i.signal)))));
    freshStages = [...freshStages, ...extra.flat()];
    requests += more.length;
  }
  return {
    incomplete: more.length > 0 && !fits,
    jobs: merge(i.jobs, [...i.running, ...freshJobs], (j) => `${j.jobId}`).sort((a, b) => b.jobId - a.jobId),
    stages: merge(i.stages, [...i.active, ...freshStages], stageKey).sort((a, b) => b.stageId - a.stageId || b.attemptId - a.attemptId),
    requests,
  };
}

/** The list with the fresh entries replacing theirs by id, new ones added. */
function merge<T>(all: readonly T[], fresh: readonly T[], id: (x: T) => string): T[] {
  const byId = new Map(all.map((x) => [id(x), x]));
  for (const x of fresh) byId.set(id(x), x);
  return [...byId.values()];
}

/**
 * Spark Connect: from the job tags the client-side hook adds (launcher/python/
 * spark_observatory_connect.py) back to source lines, and from the jobs that first used a cached
 * DataFrame, through their stages' `rddIds`, to its `/storage/rdd` entry.
 *
 * Under Connect nothing the server reports names the user's code: jobs and stages are called
 * `Spark Connect - session_id: "…"` and a cached DataFrame's entry is named after its plan text
 * (SPARK-FACTS.md). The hook puts `spark-observatory:action:<line>:<fn>:<path>` on every
 * ExecutePlan request and, on the first request whose plan holds a cached DataFrame,
 * `spark-observatory:cache:<line>:<n>:<call text>:<path>`; the server stores them on every job
 * of the operation (AQE, broadcast and cache-materialising jobs included, seen on 4.3.0) as
 * `SparkConnect_SessionTag_User_<user>_Session_<uuid>_Tag_<tag>`.
 *
 * resolveConnectSites rewrites an application's jobs, stages and cached datasets into the names
 * the classic hook gives them (`count at /abs/job.py:52`, `df1.cache() at /abs/job.py:49`), so
 * every reader of call sites and hook names (line hints, findings, lenses, which application
 * runs a file) works unchanged, and records what it could not map and why.
 */
import { parseHookName, parseTableName } from './datasetNames';
import type { ApplicationDetail, CachedDataset, Job, Stage } from './types';

/** Every tag of the hook starts with this. */
export const OBSERVATORY_TAG_PREFIX = 'spark-observatory:';

/** A tag of the hook, decoded. Lines are 1-based; paths as the client saw them, usually absolute. */
export type ObservatoryTag =
  | { readonly kind: 'action'; readonly line: number; readonly fn: string; readonly path: string }
  | { readonly kind: 'cache'; readonly line: number; readonly seq: number; readonly callText: string; readonly path: string };

// Spark Connect stores a client's tag as SparkConnect_SessionTag_User_<user>_Session_<uuid>_Tag_<tag>
// (ExecuteHolder; the user id may be empty). The session id is a UUID, which fences the user id.
const STORED_CLIENT_TAG = /^SparkConnect_SessionTag_User_.*?_Session_[0-9A-Fa-f-]{36}_Tag_(.*)$/s;

/** The client's own tag inside a job tag as Spark stores it; the tag itself when it is not prefixed. */
export function clientTag(jobTag: string): string {
  const m = STORED_CLIENT_TAG.exec(jobTag);
  return m ? m[1] : jobTag;
}

function decode(field: string): string | undefined {
  try {
    return decodeURIComponent(field);
  } catch {
    return undefined;
  }
}

function positive(field: string | undefined): number | undefined {
  return field !== undefined && /^[1-9]\d{0,8}$/.test(field) ? Number(field) : undefined;
}

/**
 * Decodes a hook tag, stored or not. Fields are percent-encoded (`%`, `,`, control characters,
 * and `:` in every field but the path, which comes last and may hold a drive letter's colon).
 */
export function parseObservatoryTag(jobTag: string): ObservatoryTag | undefined {
  const tag = clientTag(jobTag);
  if (!tag.startsWith(OBSERVATORY_TAG_PREFIX)) return undefined;
  const f = tag.slice(OBSERVATORY_TAG_PREFIX.length).split(':');
  const line = positive(f[1]);
  if (line === undefined) return undefined;
  if (f[0] === 'action' && f.length >= 4) {
    const fn = decode(f[2]);
    const path = decode(f.slice(3).join(':'));
    return fn !== undefined && path ? { kind: 'action', line, fn, path } : undefined;
  }
  if (f[0] === 'cache' && f.length >= 5) {
    const seq = positive(f[2]);
    const callText = decode(f[3]);
    const path = decode(f.slice(4).join(':'));
    return seq !== undefined && callText !== undefined && path ? { kind: 'cache', line, seq, callText, path } : undefined;
  }
  return undefined;
}

/** Whether a job ran for a Spark Connect client: the server tags every such job `SparkConnect_…`. */
export function isConnectJob(job: Job): boolean {
  return job.jobTags?.some((t) => t.startsWith('SparkConnect_')) ?? false;
}

/** The action line the hook tagged a job with, as a call-site name: `count at /abs/job.py:52`. */
export function actionSiteOf(job: Job): Extract<ObservatoryTag, { kind: 'action' }> | undefined {
  for (const t of job.jobTags ?? []) {
    const tag = parseObservatoryTag(t);
    if (tag?.kind === 'action') return tag;
  }
  return undefined;
}

/** What became of one cached DataFrame of a Connect session. */
export type ConnectCacheResult =
  /** Exactly one /storage/rdd entry was computed by its first action and claimed by no other call. */
  | { readonly kind: 'exact'; readonly rddId: number }
  /** Several entries fit: its first action first used other cached DataFrames too. */
  | { readonly kind: 'ambiguous'; readonly rddIds: readonly number[]; readonly reason: string }
  /** Its first action still runs and nothing is cached yet. */
  | { readonly kind: 'pending'; readonly reason: string }
  /** No entry can be tied to it: the reason says why. */
  | { readonly kind: 'unmapped'; readonly reason: string };

/** A `.cache()`/`.persist()` call of a Connect session, as its first action's tags tell it. */
export interface ConnectCacheSite {
  readonly path: string;
  /** 1-based line of the `.cache`/`.persist` token. */
  readonly line: number;
  /** The hook's count of cache calls in that process: one per DataFrame, also in a loop. */
  readonly seq: number;
  /** `df1.cache()`, `x.persist(StorageLevel.DISK_ONLY)`. */
  readonly callText: string;
  /** The jobs of the action that first used the DataFrame, ascending. */
  readonly jobIds: readonly number[];
  /** That action's line, when its jobs carry one. */
  readonly firstUse?: Extract<ObservatoryTag, { kind: 'action' }>;
  readonly result: ConnectCacheResult;
}

/** What resolveConnectSites found in a Spark Connect application. */
export interface ConnectSites {
  /** Jobs Spark ran for Connect clients. */
  readonly connectJobs: number;
  /** Of those, the ones the hook tagged with a line: 0 means the hook was not installed. */
  readonly placedJobs: number;
  /** Cached DataFrames, in the order their first actions ran. */
  readonly caches: readonly ConnectCacheSite[];
}

const NOT_RUN = new Set(['SKIPPED', 'PENDING']);

function lineOf(site: { path: string; line: number }): string {
  const p = site.path.replace(/\\/g, '/');
  return `${p.slice(p.lastIndexOf('/') + 1)}:${site.line}`;
}

/**
 * Ties each cached DataFrame to its /storage/rdd entry. The entry is built by the first action
 * that scans the DataFrame, so it is among the `rddIds` of that action's stages that ran; those
 * stages also list the entries of cached DataFrames the action only read, which earlier sites
 * have claimed already. Sites are taken in the order of their first jobs; table caches (`In-memory
 * table t`) and entries already named by a hook are never candidates.
 */
export function mapConnectCaches(jobs: readonly Job[], stages: readonly Stage[], datasets: readonly CachedDataset[]): ConnectCacheSite[] {
  interface Open {
    path: string;
    line: number;
    seq: number;
    callText: string;
    jobIds: number[];
    firstUse?: Extract<ObservatoryTag, { kind: 'action' }>;
  }
  const sites = new Map<string, Open>();
  for (const job of [...jobs].sort((a, b) => a.jobId - b.jobId)) {
    for (const t of job.jobTags ?? []) {
      const tag = parseObservatoryTag(t);
      if (tag?.kind !== 'cache') continue;
      const key = `${tag.path}\u0000${tag.line}\u0000${tag.seq}`;
      let s = sites.get(key);
      if (!s) {
        s = { path: tag.path, line: tag.line, seq: tag.seq, callText: tag.callText, jobIds: [], firstUse: actionSiteOf(job) };
        sites.set(key, s);
      }
      s.jobIds.push(job.jobId);
    }
  }
  const stagesById = new Map<number, Stage[]>();
  for (const st of stages) {
    const list = stagesById.get(st.stageId);
    if (list) list.push(st);
    else stagesById.set(st.stageId, [st]);
  }
  const jobById = new Map(jobs.map((j) => [j.jobId, j] as const));
  const open = datasets.filter((d) => parseTableName(d.name) === undefined && !parseHookName(d.name));
  const claimedBy = new Map<number, Open>();
  const ordered = [...sites.values()].sort((a, b) => a.jobIds[0] - b.jobIds[0] || a.seq - b.seq);
  // Sites whose first action is the same operation: its jobs carry all of their tags.
  const sameAction = (s: Open): Open[] => ordered.filter((o) => o !== s && o.jobIds[0] === s.jobIds[0]);

  return ordered.map((s): ConnectCacheSite => {
    const rdds = new Set<number>();
    let knownStages = 0;
    let running = false;
    for (const id of s.jobIds) {
      const job = jobById.get(id);
      if (job?.status === 'RUNNING') running = true;
      for (const stageId of job?.stageIds ?? []) {
        for (const st of stagesById.get(stageId) ?? []) {
          knownStages++;
          if (!NOT_RUN.has(st.status)) for (const r of st.rddIds) rdds.add(r);
        }
      }
    }
    const at = s.firstUse ? ` (line ${s.firstUse.line})` : '';
    const base = { path: s.path, line: s.line, seq: s.seq, callText: s.callText, jobIds: s.jobIds, ...(s.firstUse ? { firstUse: s.firstUse } : {}) };
    const candidates = open.filter((d) => rdds.has(d.rddId));
    const fresh = candidates.filter((d) => !claimedBy.has(d.rddId));
    if (fresh.length === 1) {
      claimedBy.set(fresh[0].rddId, s);
      return { ...base, result: { kind: 'exact', rddId: fresh[0].rddId } };
    }
    if (fresh.length > 1) {
      const others = sameAction(s).map((o) => `line ${o.line}`);
      return {
        ...base,
        result: {
          kind: 'ambiguous', rddIds: fresh.map((d) => d.rddId).sort((a, b) => a - b),
          reason: `its first action${at} was also the first to use the DataFrame${others.length > 1 ? 's' : ''} cached at ${others.join(', ') || 'another line'}; Spark Connect's jobs do not say which cached dataset is whose`,
        },
      };
    }
    if (running) return { ...base, result: { kind: 'pending', reason: `its first action${at} is still running and nothing of it is cached yet` } };
    if (knownStages === 0) {
      return { ...base, result: { kind: 'unmapped', reason: `Spark no longer keeps the stages of its first action${at} (spark.ui.retainedStages), so its cached dataset cannot be found` } };
    }
    if (candidates.length > 0) {
      const owners = [...new Set(candidates.map((d) => claimedBy.get(d.rddId)).filter((o): o is Open => !!o))].map(lineOf);
      return { ...base, result: { kind: 'unmapped', reason: `its first action${at} only read data cached for ${owners.join(', ')}: an equal plan shares that cached dataset` } };
    }
    return { ...base, result: { kind: 'unmapped', reason: `no cached dataset computed by its first action${at} is left in /storage/rdd (unpersisted, or evicted from a memory-only level)` } };
  });
}

/** The hook's name contract (datasetNames.parseHookName) for a Connect cache site. */
export function connectDatasetName(site: Pick<ConnectCacheSite, 'callText' | 'path' | 'line'>): string {
  const name = `${site.callText} at ${site.path}:${site.line}`;
  return parseHookName(name) ? name : `?.cache() at ${site.path}:${site.line}`;
}

/**
 * An application's detail with Spark Connect's jobs, stages and cached datasets named as the
 * classic hook names them, plus `connect` with what could not be mapped and why. The detail
 * itself when no job ran for a Connect client; idempotent. Inputs: the detail's `jobs` (with
 * `jobTags`), `stages` (every retained attempt, with `rddIds`) and `cachedDatasets`.
 */
export function resolveConnectSites(detail: ApplicationDetail): ApplicationDetail {
  const jobs = detail.jobs;
  if (detail.connect || !jobs || !jobs.some(isConnectJob)) return detail;
  const actions = new Map<number, Extract<ObservatoryTag, { kind: 'action' }>>();
  for (const j of jobs) {
    const a = actionSiteOf(j);
    if (a) actions.set(j.jobId, a);
  }
  const siteName = (a: { fn: string; path: string; line: number }): string => `${a.fn} at ${a.path}:${a.line}`;
  // A stage listed by several jobs (a later one reuses a shuffle) belongs to the lowest.
  const stageOwner = new Map<number, Extract<ObservatoryTag, { kind: 'action' }>>();
  for (const j of [...jobs].sort((a, b) => a.jobId - b.jobId)) {
    const a = actions.get(j.jobId);
    if (a) for (const id of j.stageIds) if (!stageOwner.has(id)) stageOwner.set(id, a);
  }
  const renameStage = (st: Stage): Stage => {
    const a = stageOwner.get(st.stageId);
    return a ? { ...st, name: siteName(a) } : st;
  };
  const caches = mapConnectCaches(jobs, detail.stages ?? [], detail.cachedDatasets ?? []);
  const exact = new Map<number, ConnectCacheSite>();
  for (const c of caches) if (c.result.kind === 'exact') exact.set(c.result.rddId, c);
  const renameDataset = (d: CachedDataset): CachedDataset => {
    const c = exact.get(d.rddId);
    return c ? { ...d, name: connectDatasetName(c) } : d;
  };
  return {
    ...detail,
    jobs: jobs.map((j) => {
      const a = actions.get(j.jobId);
      return a ? { ...j, name: siteName(a) } : j;
    }),
    ...(detail.stages ? { stages: detail.stages.map(renameStage) } : {}),
    ...(detail.activeStages ? { activeStages: detail.activeStages.map(renameStage) } : {}),
    ...(detail.cachedDatasets ? { cachedDatasets: detail.cachedDatasets.map(renameDataset) } : {}),
    connect: { connectJobs: jobs.filter(isConnectJob).length, placedJobs: actions.size, caches },
  };
}

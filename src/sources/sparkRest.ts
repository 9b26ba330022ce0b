/**
 * Spark's monitoring REST API (`/api/v1`), the same on a live driver and on a History Server.
 * Requests are chosen to keep one poll of an application cheap (DESIGN.md budgets): no
 * `details=true` lists, stages filtered by status, `/sql` never unbounded.
 */
import { HttpClient } from './http';
import { asArray, asObject, isObject, Json, num, numArray, optDate, optNum, optStr, str, strArray } from './parse';
import type {
  Application,
  CachedDataset,
  Executor,
  Job,
  JobStatus,
  PeakMemory,
  SparkEnvironment,
  Stage,
  StageStatus,
  TaskFailure,
  TaskSummary,
} from '../model/types';

export interface AppRef {
  readonly id: string;
  readonly attemptId?: string;
}

/** `{id}` or `{id}/{attemptId}` (YARN cluster mode), each part URL-encoded. */
export function appPath(app: AppRef): string {
  const id = encodeURIComponent(app.id);
  return app.attemptId ? `${id}/${encodeURIComponent(app.attemptId)}` : id;
}

export function parseApplications(body: unknown): Application[] {
  return asArray(body, 'applications').filter(isObject).map(parseApplication);
}

/** One application (`/applications/{id}` answers one object). */
export function parseApplication(a: Json): Application {
  const attempts = Array.isArray(a.attempts) ? a.attempts.filter(isObject) : [];
  // The newest attempt is first in Spark's list.
  const at = attempts[0] ?? {};
  const completed = at.completed === true;
  return {
    id: str(a.id),
    attemptId: optStr(at.attemptId),
    name: str(a.name),
    state: completed ? 'completed' : 'running',
    startTime: optDate(at.startTimeEpoch) ?? optDate(at.startTime),
    endTime: completed ? (optDate(at.endTimeEpoch) ?? optDate(at.endTime)) : undefined,
    durationMs: completed ? optNum(at.duration) : undefined,
    // A live driver's running attempt: its own now − start (0 where a source does not count it).
    runningForMs: !completed && (optNum(at.duration) ?? 0) > 0 ? optNum(at.duration) : undefined,
    lastUpdated: optDate(at.lastUpdatedEpoch) ?? optDate(at.lastUpdated),
    sparkUser: optStr(at.sparkUser),
    sparkVersion: optStr(at.appSparkVersion),
    cores: optNum(a.coresGranted) ?? optNum(a.maxCores),
    logSource: optStr(at.logSourceFullPath),
  };
}

/**
 * An executor's peak memory metrics. Absent when no task ended there; an object of zeros when
 * the event log never carried "Task Executor Metrics" (every 1.x–2.3 log) or no heartbeat sampled
 * it yet (`executorMetricsFromJson` fills missing keys with 0): both mean "not reported", so
 * both read as empty, never as a peak of 0 B.
 */
function parsePeak(p: unknown): PeakMemory {
  if (!isObject(p)) return {};
  if (Object.values(p).every((v) => v === 0)) return {};
  return {
    jvmHeap: optNum(p.JVMHeapMemory),
    jvmOffHeap: optNum(p.JVMOffHeapMemory),
    onHeapExecution: optNum(p.OnHeapExecutionMemory),
    onHeapStorage: optNum(p.OnHeapStorageMemory),
    offHeapExecution: optNum(p.OffHeapExecutionMemory),
    offHeapStorage: optNum(p.OffHeapStorageMemory),
    pythonRss: optNum(p.ProcessTreePythonRSSMemory),
    minorGCTimeMs: optNum(p.MinorGCTime),
    majorGCTimeMs: optNum(p.MajorGCTime),
  };
}

export function parseExecutors(body: unknown): Executor[] {
  return asArray(body, 'executors')
    .filter(isObject)
    .map((e) => ({
      id: str(e.id),
      hostPort: str(e.hostPort),
      isActive: e.isActive !== false,
      totalCores: num(e.totalCores),
      maxTasks: num(e.maxTasks),
      activeTasks: num(e.activeTasks),
      failedTasks: num(e.failedTasks),
      completedTasks: num(e.completedTasks),
      totalTasks: num(e.totalTasks),
      totalDurationMs: num(e.totalDuration),
      totalGCTimeMs: num(e.totalGCTime),
      memoryUsed: num(e.memoryUsed),
      maxMemory: num(e.maxMemory),
      diskUsed: num(e.diskUsed),
      totalInputBytes: num(e.totalInputBytes),
      totalShuffleRead: num(e.totalShuffleRead),
      totalShuffleWrite: num(e.totalShuffleWrite),
      rddBlocks: num(e.rddBlocks),
      addTime: optDate(e.addTime),
      removeTime: optDate(e.removeTime),
      removeReason: optStr(e.removeReason),
      peak: parsePeak(e.peakMemoryMetrics),
    }));
}

const JOB_STATUSES: readonly JobStatus[] = ['RUNNING', 'SUCCEEDED', 'FAILED', 'UNKNOWN'];

export function parseJobs(body: unknown): Job[] {
  return asArray(body, 'jobs')
    .filter(isObject)
    .map((j) => {
      const status = str(j.status) as JobStatus;
      return {
        jobId: num(j.jobId),
        name: str(j.name),
        description: optStr(j.description),
        status: JOB_STATUSES.includes(status) ? status : 'UNKNOWN',
        submissionTime: optDate(j.submissionTime),
        completionTime: optDate(j.completionTime),
        stageIds: numArray(j.stageIds),
        jobGroup: optStr(j.jobGroup),
        // Spark 3.5+; Spark Connect puts the client's tags here (model/connectSites.ts).
        ...(Array.isArray(j.jobTags) ? { jobTags: strArray(j.jobTags) } : {}),
        numTasks: num(j.numTasks),
        numActiveTasks: num(j.numActiveTasks),
        numCompletedTasks: num(j.numCompletedTasks),
        numSkippedTasks: num(j.numSkippedTasks),
        numFailedTasks: num(j.numFailedTasks),
        numActiveStages: num(j.numActiveStages),
        numCompletedStages: num(j.numCompletedStages),
        numSkippedStages: num(j.numSkippedStages),
        numFailedStages: num(j.numFailedStages),
      };
    });
}

const STAGE_STATUSES: readonly StageStatus[] = ['ACTIVE', 'COMPLETE', 'PENDING', 'FAILED', 'SKIPPED'];

export function parseStages(body: unknown): Stage[] {
  return asArray(body, 'stages')
    .filter(isObject)
    .map((s) => {
      const status = str(s.status) as StageStatus;
      return {
        stageId: num(s.stageId),
        attemptId: num(s.attemptId),
        name: str(s.name),
        description: optStr(s.description),
        details: optStr(s.details),
        status: STAGE_STATUSES.includes(status) ? status : 'PENDING',
        numTasks: num(s.numTasks),
        numActiveTasks: num(s.numActiveTasks),
        numCompleteTasks: num(s.numCompleteTasks),
        numFailedTasks: num(s.numFailedTasks),
        ...(optNum(s.numKilledTasks) !== undefined ? { numKilledTasks: num(s.numKilledTasks) } : {}),
        submissionTime: optDate(s.submissionTime),
        completionTime: optDate(s.completionTime),
        ...(typeof s.failureReason === 'string' ? { failureReason: s.failureReason.slice(0, MAX_ERROR_CHARS) } : {}),
        executorRunTimeMs: num(s.executorRunTime),
        executorCpuTimeNs: num(s.executorCpuTime),
        jvmGcTimeMs: num(s.jvmGcTime),
        memoryBytesSpilled: num(s.memoryBytesSpilled),
        diskBytesSpilled: num(s.diskBytesSpilled),
        peakExecutionMemory: num(s.peakExecutionMemory),
        inputBytes: num(s.inputBytes),
        outputBytes: num(s.outputBytes),
        shuffleReadBytes: num(s.shuffleReadBytes),
        shuffleWriteBytes: num(s.shuffleWriteBytes),
        rddIds: numArray(s.rddIds),
      };
    });
}

/** A distribution aligned with `quantiles`, or undefined when absent or of another length. */
function quantileArray(v: unknown, n: number): number[] | undefined {
  const a = numArray(v);
  return Array.isArray(v) && a.length === n ? a : undefined;
}

/**
 * `/stages/{id}/{attempt}/taskSummary?quantiles=…` (seen on Spark 4.3.0): flat arrays aligned
 * with `quantiles` (`duration`, `executorRunTime`, `jvmGcTime`, `executorCpuTime` in ns,
 * `schedulerDelay`, `peakExecutionMemory`, `memoryBytesSpilled`, `diskBytesSpilled`), the I/O
 * ones nested (`inputMetrics.bytesRead`, `shuffleReadMetrics.readBytes`,
 * `shuffleWriteMetrics.writeBytes`). Values arrive as doubles (`1598.0`). A stage no task has
 * reported for answers 404 "No tasks reported metrics for …".
 */
export function parseTaskSummary(body: unknown): TaskSummary {
  const t = asObject(body, 'task summary');
  const quantiles = numArray(t.quantiles);
  const n = quantiles.length;
  const nested = (o: unknown, key: string) => (isObject(o) ? quantileArray(o[key], n) : undefined);
  return {
    quantiles,
    duration: quantileArray(t.duration, n) ?? [],
    executorRunTime: quantileArray(t.executorRunTime, n) ?? [],
    jvmGcTime: quantileArray(t.jvmGcTime, n) ?? [],
    executorCpuTime: quantileArray(t.executorCpuTime, n),
    schedulerDelay: quantileArray(t.schedulerDelay, n),
    peakExecutionMemory: quantileArray(t.peakExecutionMemory, n),
    memoryBytesSpilled: quantileArray(t.memoryBytesSpilled, n),
    diskBytesSpilled: quantileArray(t.diskBytesSpilled, n),
    inputBytes: nested(t.inputMetrics, 'bytesRead'),
    shuffleReadBytes: nested(t.shuffleReadMetrics, 'readBytes'),
    shuffleWriteBytes: nested(t.shuffleWriteMetrics, 'writeBytes'),
    outputBytes: nested(t.outputMetrics, 'bytesWritten'),
  };
}

/** Error texts are stacks; a few KB say what failed, and keep a stage's list small. */
const MAX_ERROR_CHARS = 4000;

/**
 * `/stages/{id}/{attempt}/taskList?status=FAILED`: the failed attempts with their error text.
 * Drivers older than 3.3 ignore `status` and list every task: those not FAILED are left out here.
 */
export function parseTaskFailures(body: unknown): TaskFailure[] {
  return asArray(body, 'tasks')
    .filter(isObject)
    .filter((t) => t.status === 'FAILED')
    .map((t) => ({
      taskId: num(t.taskId),
      attempt: num(t.attempt),
      executorId: str(t.executorId),
      errorMessage: str(t.errorMessage).slice(0, MAX_ERROR_CHARS),
    }));
}

export function parseCachedDatasets(body: unknown): CachedDataset[] {
  return asArray(body, 'cached datasets')
    .filter(isObject)
    .map((r) => ({
      rddId: num(r.id),
      name: str(r.name),
      numPartitions: num(r.numPartitions),
      numCachedPartitions: num(r.numCachedPartitions),
      storageLevel: str(r.storageLevel),
      memoryUsed: num(r.memoryUsed),
      diskUsed: num(r.diskUsed),
      distribution: (Array.isArray(r.dataDistribution) ? r.dataDistribution.filter(isObject) : []).map((d) => ({
        address: str(d.address),
        memoryUsed: num(d.memoryUsed),
        memoryRemaining: num(d.memoryRemaining),
        diskUsed: num(d.diskUsed),
      })),
    }));
}

export function parseEnvironment(body: unknown): SparkEnvironment {
  const env = asObject(body, 'environment');
  const props: Record<string, string> = {};
  for (const pair of Array.isArray(env.sparkProperties) ? env.sparkProperties : []) {
    if (Array.isArray(pair) && pair.length >= 2) props[str(pair[0])] = str(pair[1]);
  }
  const runtime = isObject(env.runtime) ? env.runtime : {};
  return {
    sparkVersion: optStr(props['spark.app.sparkVersion']),
    sparkProperties: props,
    javaVersion: optStr(runtime.javaVersion),
    scalaVersion: optStr(runtime.scalaVersion),
  };
}

/**
 * The lists of an application the store reads as text, so that it parses only what changed:
 * the path under `applications/{id}` and its parameters. Never `details=true`.
 */
export const APP_LISTS = {
  application: { path: '', params: {} },
  executors: { path: 'allexecutors', params: {} },
  jobs: { path: 'jobs', params: {} },
  runningJobs: { path: 'jobs', params: { status: 'running' } },
  stages: { path: 'stages', params: { details: false } },
  activeStages: { path: 'stages', params: { status: 'active', details: false } },
  storage: { path: 'storage/rdd', params: {} },
  environment: { path: 'environment', params: {} },
} as const satisfies Record<string, { path: string; params: Record<string, string | boolean> }>;
export type AppList = keyof typeof APP_LISTS;

/** Thin, typed calls; the store decides what to call and when. */
export class SparkRestClient {
  constructor(private readonly http: HttpClient) {}

  get baseUrl(): string {
    return this.http.baseUrl;
  }

  /** One job (`jobs/{id}`, an object) or one stage's attempts (`stages/{id}?details=false`, a list), as text. */
  itemText(app: AppRef, kind: 'job' | 'stage', id: number, signal?: AbortSignal): Promise<string> {
    const path = `api/v1/applications/${appPath(app)}/${kind === 'job' ? 'jobs' : 'stages'}/${id}`;
    return this.http.getText(path, { params: kind === 'stage' ? { details: false } : undefined, signal });
  }

  /** One list of an application as the text Spark sent (see APP_LISTS). */
  listText(app: AppRef, list: AppList, signal?: AbortSignal): Promise<string> {
    const { path, params } = APP_LISTS[list];
    return this.http.getText(`api/v1/applications/${appPath(app)}${path ? `/${path}` : ''}`, { params, signal });
  }

  async applications(params: { status?: 'running' | 'completed'; limit?: number } = {}, signal?: AbortSignal): Promise<Application[]> {
    return parseApplications(await this.http.getJson('api/v1/applications', { params, signal }));
  }

  /** `allexecutors` includes dead ones with their removal reason; one request either way. */
  async executors(app: AppRef, signal?: AbortSignal): Promise<Executor[]> {
    return parseExecutors(await this.http.getJson(`api/v1/applications/${appPath(app)}/allexecutors`, { signal }));
  }

  async jobs(app: AppRef, signal?: AbortSignal): Promise<Job[]> {
    return parseJobs(await this.http.getJson(`api/v1/applications/${appPath(app)}/jobs`, { signal }));
  }

  /** Never `details=true`: that embeds every task. */
  async stages(app: AppRef, status?: 'active' | 'complete' | 'pending' | 'failed', signal?: AbortSignal): Promise<Stage[]> {
    return parseStages(
      await this.http.getJson(`api/v1/applications/${appPath(app)}/stages`, { params: { status, details: false }, signal }),
    );
  }

  /** One stage attempt's task-metric quantiles: small, whatever the number of tasks. */
  async taskSummary(app: AppRef, stageId: number, attemptId: number, quantiles: readonly number[], signal?: AbortSignal): Promise<TaskSummary> {
    return parseTaskSummary(
      await this.http.getJson(`api/v1/applications/${appPath(app)}/stages/${stageId}/${attemptId}/taskSummary`, {
        params: { quantiles: quantiles.join(',') },
        signal,
      }),
    );
  }

  /** One stage attempt's failed task attempts (at most `length`, by task id), with their errors. */
  async taskFailures(app: AppRef, stageId: number, attemptId: number, length = 20, signal?: AbortSignal): Promise<TaskFailure[]> {
    return parseTaskFailures(
      await this.http.getJson(`api/v1/applications/${appPath(app)}/stages/${stageId}/${attemptId}/taskList`, {
        params: { status: 'FAILED', length },
        signal,
      }),
    );
  }

  async cachedDatasets(app: AppRef, signal?: AbortSignal): Promise<CachedDataset[]> {
    return parseCachedDatasets(await this.http.getJson(`api/v1/applications/${appPath(app)}/storage/rdd`, { signal }));
  }

  async environment(app: AppRef, signal?: AbortSignal): Promise<SparkEnvironment> {
    return parseEnvironment(await this.http.getJson(`api/v1/applications/${appPath(app)}/environment`, { signal }));
  }

  /** Raw JSON for callers in sources/ that parse it themselves (task summaries, versions). */
  getJson(path: string, params?: Record<string, string | number | boolean | undefined>, signal?: AbortSignal): Promise<unknown> {
    return this.http.getJson(path, { params, signal });
  }
}

/**
 * What the fake driver (sparkFake.ts) answers at each tick: a deterministic model of one Spark
 * 4.3.0 application with N executors, built from real answers (fixtures/spark-4.3.0-rest-samples.json
 * for the REST lists, fixtures/spark-4.3.0-metrics-json.json for `/metrics/json/`: the body of a
 * real 4.3.0 driver of a standalone application with dynamic allocation, 49 gauges, 26 counters,
 * 4 histograms and 9 timers, compact JSON as the servlet writes it).
 *
 * One tick is one poll (the fake advances it on each `GET /api/v1/applications`, which every poll
 * of either release makes once, first). Two scenarios:
 *
 * - `static`: an idle application (a notebook between cells): every job done, cached data held.
 *   Nothing a feature shows changes; the driver JVM's own gauges (heap, GC, CPU time, events
 *   posted by heartbeats) still move, as a live JVM's do.
 * - `running`: one job at a time, K polls each (two stages, K/2 polls each: the map stage active
 *   while the result stage waits, then the result stage), task counts of the job, its active stage
 *   and every executor moving every poll; a job completes every K polls (allJobs + 1, a new stage
 *   list, the oldest job and its stages dropped as spark.ui.retainedJobs does); cached data grows on
 *   a fiftieth of the executors every S polls (storage memory moves rarely).
 *
 * Spark's bounds are kept: at most 100 dead executors (spark.ui.retainedDeadExecutors), jobs and
 * stages listed newest first, every stage of a retained job listed (pending ones too).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO } from './common';
import { FakeExecutors, gmt } from './fakeExecutors';
import { jackson, jacksonList, Template } from './fakeJson';

// Spark's own JSON, edited field by field from the captured samples: typing every field adds nothing.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

export type Scenario = 'static' | 'running';

/** The answers the fake serves, by name (sparkFake.ts maps paths to them). */
export type AnswerName =
  | 'applications'
  | 'application'
  | 'allexecutors'
  | 'executors'
  | 'jobs'
  | 'runningJobs'
  | 'stages'
  | 'activeStages'
  | 'storage/rdd'
  | 'environment'
  | 'taskSummary'
  | 'metrics';

export interface FakeModelOptions {
  readonly executors: number;
  readonly scenario?: Scenario;
  /** Dead executors listed by allexecutors (Spark keeps at most 100). Default n/20. */
  readonly deadExecutors?: number;
  /** Jobs the driver retains, two stages each. Default 200. */
  readonly jobs?: number;
  /** running: polls per job. Default 10 (a job every 30 s at the default 3 s interval). */
  readonly pollsPerJob?: number;
  /** running: polls between changes of cached data. Default 25. */
  readonly pollsPerStorageChange?: number;
}

const FIXTURES = path.join(REPO, 'test', 'bench', 'fixtures');
const MiB = 1024 * 1024;
/** One stage in this many runs long enough to be worth a task summary (model/insights needsTaskSummary). */
const LONG_STAGE_EVERY = 25;
export const FAKE_APP_ID = 'app-20261121080000-0042';
const T0 = Date.parse('2026-11-21T08:00:00Z');
const POLL_MS = 3000;

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

/** Deterministic pseudo-random numbers, so every run serves the same bytes. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Gauges and counters of /metrics/json/ that follow the model, in the order of `metricValues`. */
const METRIC_KEYS = [
  'BlockManager.memory.memUsed_MB',
  'BlockManager.memory.onHeapMemUsed_MB',
  'BlockManager.memory.maxMem_MB',
  'BlockManager.memory.maxOnHeapMem_MB',
  'BlockManager.memory.remainingMem_MB',
  'BlockManager.memory.remainingOnHeapMem_MB',
  'DAGScheduler.job.activeJobs',
  'DAGScheduler.job.allJobs',
  'DAGScheduler.stage.runningStages',
  'DAGScheduler.stage.waitingStages',
  'ExecutorAllocationManager.executors.numberAllExecutors',
  'ExecutorAllocationManager.executors.numberTargetExecutors',
  'ExecutorAllocationManager.executors.numberMaxNeededExecutors',
  'ExecutorAllocationManager.executors.numberExecutorsToAdd',
  'ExecutorMetrics.JVMHeapMemory',
  'ExecutorMetrics.MinorGCCount',
  'ExecutorMetrics.MinorGCTime',
  'ExecutorMetrics.TotalGCTime',
  'JVMCPU.jvmCpuTime',
  'LiveListenerBus.numEventsPosted',
  'appStatus.jobDuration',
  'appStatus.jobs.succeededJobs',
  'appStatus.stages.completedStages',
  'appStatus.tasks.completedTasks',
] as const;

export class FakeModel {
  readonly appId = FAKE_APP_ID;
  readonly scenario: Scenario;
  readonly n: number;
  private readonly retainedJobs: number;
  private readonly k: number;
  private readonly samples: Json;
  private readonly executors: FakeExecutors;
  private readonly metrics: Template;
  private readonly fixed = new Map<AnswerName, string>();
  private readonly jobTexts = new Map<number, string>();
  private readonly stageTexts = new Map<number, string>();

  constructor(o: FakeModelOptions) {
    this.scenario = o.scenario ?? 'static';
    this.n = o.executors;
    this.retainedJobs = o.jobs ?? 200;
    this.k = Math.max(2, o.pollsPerJob ?? 10);
    const s = (this.samples = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'spark-4.3.0-rest-samples.json'), 'utf8')) as Json);
    this.executors = new FakeExecutors({
      samples: s,
      appId: this.appId,
      live: this.n,
      dead: Math.min(100, o.deadExecutors ?? Math.ceil(o.executors / 20)),
      running: this.scenario === 'running',
      pollsPerStorageChange: Math.max(1, o.pollsPerStorageChange ?? 25),
      pollMs: POLL_MS,
      startedAt: T0,
      random: rng(42),
    });
    const app = clone(s.application);
    app.id = this.appId;
    app.name = `fake-${this.n}-executors-${this.scenario}`;
    this.fixed.set('applications', jacksonList([jackson(app)]));
    this.fixed.set('application', jackson(app));
    this.fixed.set('environment', jackson(s.environment));
    this.fixed.set('taskSummary', jackson(s.taskSummary));
    const raw = fs.readFileSync(path.join(FIXTURES, 'spark-4.3.0-metrics-json.json'), 'utf8');
    const rawId = /"([^"]+)\.driver\./.exec(raw)?.[1];
    if (!rawId) throw new Error('metrics fixture: no <namespace>.driver. gauge');
    const text = raw.split(`"${rawId}.`).join(`"${this.appId}.`);
    this.metrics = Template.fromText(text, METRIC_KEYS.map((k) => `${this.appId}.driver.${k}`));
  }

  /** Whether an answer is the same at every tick (in this scenario). */
  fixedAnswer(name: AnswerName): boolean {
    return this.fixed.has(name) || (this.scenario === 'static' && name !== 'metrics');
  }

  /** The text of one answer at one tick (≥ 0). */
  answer(name: AnswerName, tick: number): string {
    const fixed = this.fixed.get(name);
    if (fixed !== undefined) return fixed;
    const text = this.build(name, this.scenario === 'running' ? tick : 0, tick);
    if (this.fixedAnswer(name)) this.fixed.set(name, text);
    return text;
  }

  private build(name: AnswerName, t: number, tick: number): string {
    switch (name) {
      case 'allexecutors':
        return this.executors.list(t, true);
      case 'executors':
        return this.executors.list(t, false);
      case 'jobs':
        return jacksonList(this.jobIds(t).map((j) => this.jobText(j, t)));
      case 'runningJobs':
        return jacksonList(this.jobIds(t).filter((j) => this.running(j, t)).map((j) => this.jobText(j, t)));
      case 'stages':
        return jacksonList(this.stageIds(t).map((k) => this.stageText(k, t)));
      case 'activeStages':
        return jacksonList(this.stageIds(t).filter((k) => this.stageState(k, t).status === 'ACTIVE').map((k) => this.stageText(k, t)));
      case 'storage/rdd':
        return this.executors.storage(t);
      case 'metrics':
        return this.metrics.render(this.metricValues(tick));
      default:
        throw new Error(`no answer ${name}`);
    }
  }

  // --- jobs and stages -------------------------------------------------------------------

  /** The job running at tick t (running scenario); in the static one every job is done. */
  private current(t: number): number {
    return this.scenario === 'running' ? this.retainedJobs + Math.floor(t / this.k) : this.retainedJobs;
  }

  private running(j: number, t: number): boolean {
    return this.scenario === 'running' && j === this.current(t);
  }

  /** Retained job ids, newest first. */
  private jobIds(t: number): number[] {
    const last = this.scenario === 'running' ? this.current(t) : this.retainedJobs - 1;
    const out: number[] = [];
    for (let j = last; j >= Math.max(0, last - this.retainedJobs + 1); j--) out.push(j);
    return out;
  }

  private stageIds(t: number): number[] {
    return this.jobIds(t).flatMap((j) => [2 * j + 1, 2 * j]);
  }

  /** Where stage k is at tick t, and how many of its tasks are done. */
  private stageState(k: number, t: number): { status: 'COMPLETE' | 'ACTIVE' | 'PENDING'; done: number; at: number } {
    const j = k >> 1;
    const half = this.k >> 1;
    const tasks = 2 * this.n;
    if (!this.running(j, t)) return { status: 'COMPLETE', done: tasks, at: 0 };
    const phase = t % this.k;
    const own = k % 2 === 0 ? phase : phase - half;
    if (k % 2 === 0 && phase >= half) return { status: 'COMPLETE', done: tasks, at: 0 };
    if (own < 0) return { status: 'PENDING', done: 0, at: 0 };
    return { status: 'ACTIVE', done: Math.floor((tasks * own) / half), at: own };
  }

  private jobStart(j: number): number {
    return T0 + j * this.k * POLL_MS;
  }

  private jobText(j: number, t: number): string {
    const cached = this.jobTexts.get(j);
    if (cached !== undefined) return cached;
    const x = clone(this.samples.job);
    x.jobId = j;
    x.name = `collect at /home/user/project/etl.py:${100 + (j % 300)}`;
    x.submissionTime = gmt(this.jobStart(j));
    x.completionTime = gmt(this.jobStart(j) + this.k * POLL_MS - 50);
    x.stageIds = [2 * j, 2 * j + 1];
    x.jobTags = [];
    Object.assign(x, { numTasks: 4 * this.n, numActiveTasks: 0, numCompletedTasks: 4 * this.n, numSkippedTasks: 0, numCompletedIndices: 4 * this.n, numActiveStages: 0, numCompletedStages: 2, numSkippedStages: 0 });
    if (this.running(j, t)) {
      const [a, b] = [this.stageState(2 * j, t), this.stageState(2 * j + 1, t)];
      const done = a.done + b.done;
      Object.assign(x, { status: 'RUNNING', numActiveTasks: Math.min(this.n, 4 * this.n - done), numCompletedTasks: done, numCompletedIndices: done, numActiveStages: 1, numCompletedStages: a.status === 'COMPLETE' ? 1 : 0 });
      delete x.completionTime;
      return jackson(x);
    }
    const text = jackson(x);
    this.jobTexts.set(j, text);
    this.forget(this.jobTexts, j - this.retainedJobs);
    return text;
  }

  private stageText(k: number, t: number): string {
    const cached = this.stageTexts.get(k);
    if (cached !== undefined) return cached;
    const x = clone(this.samples.stage);
    const st = this.stageState(k, t);
    const tasks = 2 * this.n;
    const long = k % LONG_STAGE_EVERY === 0;
    const submitted = this.jobStart(k >> 1) + (k % 2) * (this.k >> 1) * POLL_MS;
    Object.assign(x, { stageId: k, attemptId: 0, status: st.status, numTasks: tasks, numActiveTasks: 0, numCompleteTasks: st.done, numCompletedIndices: st.done });
    x.name = `collect at /home/user/project/etl.py:${100 + ((k >> 1) % 300)}`;
    x.submissionTime = gmt(submitted);
    x.firstTaskLaunchedTime = gmt(submitted + 40);
    x.completionTime = gmt(submitted + (long ? 6_000 : 900));
    x.executorRunTime = long ? tasks * 3_000 : tasks * 40;
    x.executorCpuTime = x.executorRunTime * 800_000;
    x.inputBytes = tasks * 4_000_000 + k;
    x.shuffleReadBytes = k % 2 ? tasks * 500_000 : 0;
    x.shuffleWriteBytes = k % 2 ? 0 : tasks * 500_000 + k;
    x.rddIds = [3 * k + 2, 3 * k + 1, 3 * k];
    if (st.status === 'ACTIVE') {
      delete x.completionTime;
      x.numActiveTasks = Math.min(this.n, tasks - st.done);
      x.executorRunTime = st.done * 3_000 + x.numActiveTasks * 1_500;
      x.executorCpuTime = x.executorRunTime * 800_000;
      x.inputBytes = st.done * 4_000_000;
      if (k % 2) x.shuffleReadBytes = st.done * 500_000;
      else x.shuffleWriteBytes = st.done * 500_000;
    } else if (st.status === 'PENDING') {
      for (const f of ['submissionTime', 'firstTaskLaunchedTime', 'completionTime']) delete x[f];
      for (const f of ['executorRunTime', 'executorCpuTime', 'inputBytes', 'shuffleReadBytes', 'shuffleWriteBytes', 'executorDeserializeTime', 'executorDeserializeCpuTime', 'resultSize', 'jvmGcTime']) x[f] = 0;
    }
    const text = jackson(x);
    if (st.status === 'COMPLETE') {
      this.stageTexts.set(k, text);
      this.forget(this.stageTexts, k - 2 * this.retainedJobs);
    }
    return text;
  }

  /** Drops cached texts of entries Spark no longer retains (the caches stay as bounded as its lists). */
  private forget(m: Map<number, string>, below: number): void {
    if (m.size <= 2 * this.retainedJobs + 4) return;
    for (const key of m.keys()) if (key < below) m.delete(key);
  }

  // --- the driver's metrics servlet --------------------------------------------------------

  private metricValues(tick: number): number[] {
    const t = this.scenario === 'running' ? tick : 0;
    const run = this.scenario === 'running';
    const { used, max } = this.executors.memory(t);
    const usedMb = Math.floor(used / MiB);
    const maxMb = Math.floor(max / MiB);
    const cur = this.current(t);
    const half = this.k >> 1;
    const waiting = run && t % this.k < half ? 1 : 0;
    const jobsDone = run ? cur : this.retainedJobs;
    const stagesDone = 2 * jobsDone + (run && !waiting ? 1 : 0);
    const tasksDone = stagesDone * 2 * this.n + (run ? this.stageState(waiting ? 2 * cur : 2 * cur + 1, t).done : 0);
    // The JVM lives in both scenarios (`tick`, not `t`): heap, GC and CPU time move every poll.
    const jvm = tick;
    return [
      usedMb,
      usedMb,
      maxMb,
      maxMb,
      maxMb - usedMb,
      maxMb - usedMb,
      run ? 1 : 0,
      run ? cur + 1 : this.retainedJobs,
      run ? 1 : 0,
      waiting,
      this.n,
      this.n,
      run ? this.n : 0,
      0,
      300 * MiB + ((jvm * 7919 * 4096) % (200 * MiB)),
      40 + Math.floor(jvm / 3),
      900 + 12 * Math.floor(jvm / 3),
      900 + 12 * Math.floor(jvm / 3),
      60e9 + jvm * (run ? 450e6 : 30e6),
      // Heartbeats of every executor every 10 s, and task events while tasks run.
      50_000 + Math.floor(jvm * 0.3 * this.n) + (run ? 2 * Math.floor((t * 4 * this.n) / this.k) : 0),
      this.k * POLL_MS - 50,
      jobsDone,
      stagesDone,
      tasksDone,
    ];
  }
}

/**
 * Read only what changed: which lists a poll reads, given what is wanted, the driver's summary
 * now and at the last poll, and the request budget.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DriverSummary, Part, PlanInput, planReads } from '../../src/model/summary';
import { parseDriverMetrics } from '../../src/sources/sparkMetrics';
import { boundaryIds } from '../../src/store/boundaryReads';
import type { Job, Stage } from '../../src/model/types';

const idle: DriverSummary = { storageMemoryUsedMb: 12, storageMemoryMaxMb: 366, diskUsedMb: 0, jobsAll: 3, jobsActive: 0, stagesRunning: 0, stagesWaiting: 0, stagesFailed: 0 };
const all: Part[] = ['jobs', 'stages', 'executors', 'storage', 'environment'];

function input(o: Partial<PlanInput>): PlanInput {
  const readAt = Object.fromEntries(all.map((p) => [p, 1_000])) as Record<Part, number>;
  return { wanted: new Set(all), memory: { summary: idle, readAt, dirty: new Set() }, summary: idle, force: false, now: 2_000, maxAgeMs: 30_000, budget: 4, ...o };
}

describe('which lists a poll reads', () => {
  test('nothing changed on an idle driver: no list is read', () => {
    assert.deepEqual(planReads(input({})), { full: [], progress: [], deferred: [], boundary: false });
  });

  test('a job started or ended: what began or ended by id (a boundary), executors, and storage (a job may materialise a cache)', () => {
    const p = planReads(input({ summary: { ...idle, jobsAll: 4, jobsActive: 1, stagesRunning: 1 } }));
    assert.deepEqual(p.full, ['executors', 'storage']);
    assert.deepEqual(p.progress, ['jobs', 'stages']);
    assert.equal(p.boundary, true);
  });

  test('a boundary before the lists were ever read, or after a read went wrong: the whole lists', () => {
    const changed = { ...idle, jobsAll: 4 };
    const never = planReads(input({ summary: changed, memory: { summary: idle, readAt: { executors: 1, storage: 1, environment: 1 }, dirty: new Set() } }));
    assert.deepEqual(never.full.slice(0, 2), ['jobs', 'stages']);
    assert.equal(never.boundary, false);
    const dirty = planReads(input({ summary: changed, memory: { summary: idle, readAt: { jobs: 1, stages: 1, executors: 1, storage: 1, environment: 1 }, dirty: new Set<Part>(['stages']) } }));
    assert.equal(dirty.boundary, false);
    assert.ok(dirty.full.includes('stages'));
  });

  test('work goes on with the same counters: only the running jobs and active stages, and executors', () => {
    const busy = { ...idle, jobsActive: 1, stagesRunning: 2 };
    const p = planReads(input({ memory: { summary: busy, readAt: { jobs: 1, stages: 1, executors: 1, storage: 1, environment: 1 }, dirty: new Set() }, summary: busy }));
    assert.deepEqual(p.full, ['executors']);
    assert.deepEqual(p.progress, ['jobs', 'stages']);
  });

  test('cached memory moved: storage and executors are read', () => {
    const p = planReads(input({ summary: { ...idle, storageMemoryUsedMb: 40 } }));
    assert.deepEqual(p.full, ['executors', 'storage']);
  });

  test('only what someone wants is read', () => {
    const p = planReads(input({ wanted: new Set<Part>(['jobs', 'stages']), summary: { ...idle, jobsAll: 4, storageMemoryUsedMb: 40 } }));
    assert.deepEqual(p.full, []);
    assert.deepEqual(p.progress, ['jobs', 'stages']);
  });

  test('the budget is kept: what does not fit waits for the next poll', () => {
    const p = planReads(input({ budget: 2, summary: { ...idle, storageMemoryUsedMb: 40 }, memory: { summary: idle, readAt: {}, dirty: new Set() } }));
    assert.deepEqual(p.full, ['jobs', 'stages']);
    assert.deepEqual(p.deferred, ['executors', 'storage', 'environment']);
  });

  test('a list never read is read first; the environment once', () => {
    const p = planReads(input({ memory: { summary: idle, readAt: {}, dirty: new Set() } }));
    assert.deepEqual(p.full, ['jobs', 'stages', 'executors', 'storage']);
    assert.deepEqual(p.deferred, ['environment']);
    const later = planReads(input({}));
    assert.deepEqual(later.full, [], 'the environment, once read, is not read again');
  });

  test('a large list is read no more often than its parsing allows', () => {
    const p = planReads(input({ summary: { ...idle, storageMemoryUsedMb: 40 }, minIntervalMs: { executors: 20_000 } }));
    assert.deepEqual(p.full, ['storage']);
    assert.deepEqual(p.deferred, ['executors']);
  });

  test('no summary (an old driver, a proxy hiding /metrics): what is wanted is read, as before', () => {
    assert.deepEqual(planReads(input({ summary: undefined })).full, ['jobs', 'stages', 'executors', 'storage']);
  });

  test('a History Server application is read when its event log grew, and a finished one not again', () => {
    const memory = { lastUpdated: 5, readAt: { jobs: 1, stages: 1, executors: 1, storage: 1, environment: 1 }, dirty: new Set<Part>() };
    assert.deepEqual(planReads(input({ summary: undefined, memory, history: { lastUpdated: 5, completed: false } })).full, []);
    assert.deepEqual(planReads(input({ summary: undefined, memory, history: { lastUpdated: 9, completed: false } })).full, ['jobs', 'stages', 'executors', 'storage']);
    assert.deepEqual(planReads(input({ summary: undefined, memory, history: { lastUpdated: 9, completed: true } })).full, []);
  });

  test('executors and storage older than the longest wait are read even when nothing says they changed (heartbeat peaks, caches under 1 MB)', () => {
    assert.deepEqual(planReads(input({ now: 40_000 })).full, ['executors', 'storage']);
  });

  test('job and stage lists do not change while the driver\'s counters stand still: read again only ten times less often', () => {
    assert.deepEqual(planReads(input({ now: 301_000 })).full, ['jobs', 'stages', 'executors', 'storage']);
    assert.deepEqual(planReads(input({ summary: undefined, now: 40_000 })).full, ['jobs', 'stages', 'executors', 'storage'], 'without a summary: as often as the rest');
  });
});

describe("the driver's metrics servlet", () => {
  test('gauges are found by suffix, whatever the namespace', () => {
    const s = parseDriverMetrics({
      version: '4.0.0',
      gauges: {
        'app-20261130-0001.driver.BlockManager.memory.memUsed_MB': { value: 12 },
        'app-20261130-0001.driver.BlockManager.memory.maxMem_MB': { value: 366 },
        'app-20261130-0001.driver.BlockManager.disk.diskSpaceUsed_MB': { value: 0 },
        'app-20261130-0001.driver.DAGScheduler.job.allJobs': { value: 3 },
        'app-20261130-0001.driver.DAGScheduler.job.activeJobs': { value: 1 },
        'myns.driver.DAGScheduler.stage.runningStages': { value: 2 },
        'app-20261130-0001.driver.JVMCPU.jvmCpuTime': { value: 123 },
      },
      counters: { 'app-20261130-0001.driver.appStatus.stages.completedStages': { count: 4 }, 'app-20261130-0001.driver.LiveListenerBus.numEventsPosted': { count: 99 } },
    });
    assert.deepEqual(s, { storageMemoryUsedMb: 12, storageMemoryMaxMb: 366, diskUsedMb: 0, jobsAll: 3, jobsActive: 1, stagesRunning: 2, stagesCompleted: 4 });
  });

  test('a body without the gauges is not a summary', () => {
    assert.equal(parseDriverMetrics({ gauges: {} }), undefined);
    assert.equal(parseDriverMetrics({ gauges: { 'x.driver.BlockManager.memory.memUsed_MB': { value: 'NaN' } } }), undefined);
  });
});

describe('what a boundary reads by id', () => {
  const job = (jobId: number, status: Job['status'], stageIds: number[]): Job => ({
    jobId, name: `count at job.py:${jobId}`, status, stageIds, numTasks: 1, numActiveTasks: 0, numCompletedTasks: 1, numSkippedTasks: 0, numFailedTasks: 0,
    numActiveStages: 0, numCompletedStages: 1, numSkippedStages: 0, numFailedStages: 0,
  });
  const stage = (stageId: number, status: Stage['status']): Stage => ({
    stageId, attemptId: 0, name: 'x', status, numTasks: 1, numActiveTasks: 0, numCompleteTasks: 1, numFailedTasks: 0, executorRunTimeMs: 0, executorCpuTimeNs: 0,
    jvmGcTimeMs: 0, memoryBytesSpilled: 0, diskBytesSpilled: 0, peakExecutionMemory: 0, inputBytes: 0, outputBytes: 0, shuffleReadBytes: 0, shuffleWriteBytes: 0, rddIds: [],
  });

  test('a job that ended, and one that began and ended between two polls, by id; the stages that were active', () => {
    const ids = boundaryIds({
      jobs: [job(0, 'SUCCEEDED', [0]), job(1, 'RUNNING', [1, 2])],
      stages: [stage(0, 'COMPLETE'), stage(1, 'ACTIVE'), stage(2, 'PENDING')],
      running: [job(3, 'RUNNING', [5])],
      active: [stage(5, 'ACTIVE')],
      jobsAll: 4,
    });
    // Job 1 ended; job 2 began and ended between the polls; job 3 runs (its progress came with the running list).
    assert.deepEqual(ids.jobIds, [1, 2]);
    // Stages 1 (was active) and 2 (pending, of job 1); stage 5 came with the active list.
    assert.deepEqual(ids.stageIds, [1, 2]);
    assert.deepEqual(ids.optionalStageIds, []);
  });

  test('nothing began or ended but the counters moved: nothing by id', () => {
    const ids = boundaryIds({ jobs: [job(0, 'RUNNING', [0])], stages: [stage(0, 'ACTIVE')], running: [job(0, 'RUNNING', [0])], active: [stage(0, 'ACTIVE')], jobsAll: 1 });
    assert.deepEqual(ids, { jobIds: [], stageIds: [], optionalStageIds: [] });
  });

  test('a job that began: its other stages are read only when the budget has room (else when they start, or when it ends)', () => {
    const ids = boundaryIds({
      jobs: [job(0, 'RUNNING', [0, 1])],
      stages: [stage(0, 'ACTIVE'), stage(1, 'PENDING')],
      running: [job(1, 'RUNNING', [2, 3])],
      active: [stage(2, 'ACTIVE')],
      jobsAll: 2,
    });
    // Job 0 ended: it and its stages 0 (was active) and 1 (pending then); job 1's stage 3 is optional.
    assert.deepEqual(ids, { jobIds: [0], stageIds: [0, 1], optionalStageIds: [3] });
  });
});

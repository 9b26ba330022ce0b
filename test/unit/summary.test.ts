/**
 * Read only what changed: which lists a poll reads, given what is wanted, the driver's summary
 * now and at the last poll, and the request budget.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DriverSummary, Part, PlanInput, planReads } from '../../src/model/summary';
import { parseDriverMetrics } from '../../src/sources/sparkMetrics';

const idle: DriverSummary = { storageMemoryUsedMb: 12, storageMemoryMaxMb: 366, diskUsedMb: 0, jobsAll: 3, jobsActive: 0, stagesRunning: 0, stagesWaiting: 0, stagesFailed: 0 };
const all: Part[] = ['jobs', 'stages', 'executors', 'storage', 'environment'];

function input(o: Partial<PlanInput>): PlanInput {
  const readAt = Object.fromEntries(all.map((p) => [p, 1_000])) as Record<Part, number>;
  return { wanted: new Set(all), memory: { summary: idle, readAt, dirty: new Set() }, summary: idle, force: false, now: 2_000, maxAgeMs: 30_000, budget: 4, ...o };
}

describe('which lists a poll reads', () => {
  test('nothing changed on an idle driver: no list is read', () => {
    assert.deepEqual(planReads(input({})), { full: [], progress: [], deferred: [] });
  });

  test('a job started or ended: jobs and stages whole, executors, and storage (a job may materialise a cache)', () => {
    const p = planReads(input({ summary: { ...idle, jobsAll: 4, jobsActive: 1, stagesRunning: 1 } }));
    assert.deepEqual(p.full, ['jobs', 'stages', 'executors', 'storage']);
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
    assert.deepEqual(p.full, ['jobs', 'stages']);
  });

  test('the budget is kept: what does not fit waits for the next poll', () => {
    const p = planReads(input({ budget: 2, summary: { ...idle, jobsAll: 4, storageMemoryUsedMb: 40 } }));
    assert.deepEqual(p.full, ['jobs', 'stages']);
    assert.deepEqual(p.deferred, ['executors', 'storage']);
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

  test('a list older than the longest wait is read even when nothing says it changed (heartbeat peaks)', () => {
    assert.deepEqual(planReads(input({ now: 40_000 })).full, ['jobs', 'stages', 'executors', 'storage']);
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

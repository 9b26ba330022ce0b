import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  allFindings,
  executorSizingFindings,
  failedTaskFindings,
  gcExecutorFindings,
  gcStageFindings,
  skewFinding,
  spillFindings,
  storageMemoryFindings,
} from '../../src/model/insights';
import type { Executor, Stage, TaskSummary, Worker } from '../../src/model/types';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

function stage(p: Partial<Stage> & { stageId: number }): Stage {
  return {
    attemptId: 0, name: 'collect at /w/job.py:27', status: 'COMPLETE', numTasks: 200, numActiveTasks: 0, numCompleteTasks: 200,
    numFailedTasks: 0, executorRunTimeMs: 0, executorCpuTimeNs: 0, jvmGcTimeMs: 0, memoryBytesSpilled: 0, diskBytesSpilled: 0,
    peakExecutionMemory: 0, inputBytes: 0, outputBytes: 0, shuffleReadBytes: 0, shuffleWriteBytes: 0, rddIds: [], ...p,
  };
}

function executor(p: Partial<Executor> & { id: string }): Executor {
  return {
    hostPort: '10.0.0.5:41234', isActive: true, totalCores: 4, maxTasks: 4, activeTasks: 0, failedTasks: 0, completedTasks: 0,
    totalTasks: 0, totalDurationMs: 0, totalGCTimeMs: 0, memoryUsed: 0, maxMemory: 2_101_248_000, diskUsed: 0, totalInputBytes: 0,
    totalShuffleRead: 0, totalShuffleWrite: 0, rddBlocks: 0, peak: {}, ...p,
  };
}

/** Shaped like `taskSummary?quantiles=0.0,0.25,0.5,0.75,1.0`. */
function summary(duration: number[], shuffleRead?: number[]): TaskSummary {
  return {
    quantiles: [0, 0.25, 0.5, 0.75, 1], duration, executorRunTime: duration.map((d) => d - 5), jvmGcTime: [0, 0, 1, 2, 40],
    ...(shuffleRead ? { shuffleReadBytes: shuffleRead } : {}),
  };
}

describe('insights: spill', () => {
  test('reports spill with its figures, the line and the settings to try', () => {
    const [f] = spillFindings([stage({ stageId: 3, memoryBytesSpilled: 340 * MiB, diskBytesSpilled: 120 * MiB }), stage({ stageId: 4 })], { 'spark.sql.shuffle.partitions': '64' });
    assert.equal(f.rule, 'spill');
    assert.equal(f.message, 'Stage 3 spilled 340 MiB from memory, 120 MiB written to disk');
    assert.deepEqual(f.figures, { memoryBytesSpilled: 340 * MiB, diskBytesSpilled: 120 * MiB, numTasks: 200 });
    assert.deepEqual(f.site, { fn: 'collect', path: '/w/job.py', line: 27 });
    assert.match(f.suggestion, /spark\.sql\.shuffle\.partitions \(now 64\)/);
    assert.match(f.suggestion, /spark\.executor\.memory/);
    assert.match(f.suggestion, /spark\.memory\.fraction/);
  });

  test('an unplaceable stage keeps its call site text but no site', () => {
    const [f] = spillFindings([stage({ stageId: 1, name: 'count at NativeMethodAccessorImpl.java:0', diskBytesSpilled: 1 })]);
    assert.equal(f.callSite, 'count at NativeMethodAccessorImpl.java:0');
    assert.equal(f.site, undefined);
  });
});

describe('insights: skew', () => {
  test('max ≥ 3× median and ≥ 2 s is skew, with shuffle read figures', () => {
    const f = skewFinding(stage({ stageId: 5 }), summary([100, 800, 1000, 1200, 9000], [1, 10, 20, 30, 500]));
    assert.equal(f?.rule, 'skew');
    assert.deepEqual(f?.figures, { medianTaskMs: 1000, maxTaskMs: 9000, ratio: 9, quantile: 1, medianShuffleReadBytes: 20, maxShuffleReadBytes: 500 });
    assert.equal(f?.message, 'Stage 5 is skewed: slowest task 9.0 s vs median 1.0 s (9.0×)');
    assert.match(f?.suggestion ?? '', /spark\.sql\.adaptive\.skewJoin\.enabled=true/);
  });

  test('short stages do not count, however uneven', () => {
    assert.equal(skewFinding(stage({ stageId: 5 }), summary([10, 20, 30, 50, 1900])), undefined);
  });

  test('an even stage is not skewed', () => {
    assert.equal(skewFinding(stage({ stageId: 5 }), summary([4000, 4500, 5000, 5500, 14_000])), undefined);
  });

  test('without a median quantile, or with one task, nothing is said', () => {
    const s: TaskSummary = { quantiles: [0.9, 1], duration: [1000, 10_000], executorRunTime: [], jvmGcTime: [] };
    assert.equal(skewFinding(stage({ stageId: 1 }), s), undefined);
    assert.equal(skewFinding(stage({ stageId: 1, numTasks: 1 }), summary([1, 1, 1, 1, 9000])), undefined);
  });

  test('a median of 0 with a long max is skew with an infinite ratio', () => {
    const f = skewFinding(stage({ stageId: 2 }), summary([0, 0, 0, 0, 3000]));
    assert.equal(f?.figures.ratio, Infinity);
  });
});

describe('insights: GC, storage memory, failures', () => {
  test('GC over 10 % of task time per stage, only for stages with enough task time', () => {
    const found = gcStageFindings([
      stage({ stageId: 1, executorRunTimeMs: 60_000, jvmGcTimeMs: 9_000 }),
      stage({ stageId: 2, executorRunTimeMs: 60_000, jvmGcTimeMs: 6_000 }),
      stage({ stageId: 3, executorRunTimeMs: 4_000, jvmGcTimeMs: 3_000 }),
    ]);
    assert.deepEqual(found.map((f) => [f.stageId, f.figures.gcShare]), [[1, 0.15]]);
    assert.equal(found[0].message, 'Stage 1 spent 15 % of task time in GC (9.0 s of 1m 0s)');
  });

  test('GC over 10 % per executor (totalGCTime / totalDuration)', () => {
    const found = gcExecutorFindings([executor({ id: '1', totalDurationMs: 100_000, totalGCTimeMs: 12_000 }), executor({ id: '2', totalDurationMs: 100_000, totalGCTimeMs: 3_000 })]);
    assert.deepEqual(found.map((f) => [f.executorId, f.figures.gcShare]), [['1', 0.12]]);
  });

  test('storage memory over 90 % on active executors only', () => {
    const found = storageMemoryFindings([
      executor({ id: '1', memoryUsed: 1_950_000_000 }),
      executor({ id: '2', memoryUsed: 1_000_000_000 }),
      executor({ id: '3', memoryUsed: 2_000_000_000, isActive: false }),
      executor({ id: '4', memoryUsed: 5, maxMemory: 0 }),
    ]);
    assert.deepEqual(found.map((f) => f.executorId), ['1']);
    assert.equal(found[0].figures.share, 1_950_000_000 / 2_101_248_000);
  });

  test('failed tasks: a warning when retries saved the stage, an error when it failed', () => {
    const found = failedTaskFindings([stage({ stageId: 1, numFailedTasks: 1 }), stage({ stageId: 2, attemptId: 3, status: 'FAILED', numFailedTasks: 4 }), stage({ stageId: 3 })]);
    assert.deepEqual(found.map((f) => [f.severity, f.message]), [
      ['warning', 'Stage 1 had 1 failed task'],
      ['error', 'Stage 2 (attempt 3) had 4 failed tasks and failed'],
    ]);
  });
});

function worker(id: string, cores: number, memoryMb: number, alive = true): Worker {
  return { id, host: '10.0.0.1', port: 7078, cores, coresUsed: 0, memoryMb, memoryUsedMb: 0, state: alive ? 'ALIVE' : 'DEAD', alive };
}

describe('insights: executor sizing', () => {
  test('more cores than any worker has: an error', () => {
    const [f] = executorSizingFindings({ props: { 'spark.executor.cores': '8' }, workers: [worker('w1', 4, 16_384), worker('w2', 16, 8_192, false)] });
    assert.equal(f.severity, 'error');
    assert.match(f.message, /no worker offers that \(largest: 4 cores, 16\.0 GiB\)/);
    assert.match(f.suggestion, /spark\.executor\.cores \(at most 3\)/);
  });

  test('standalone: executor memory alone against a worker\'s memory', () => {
    assert.equal(executorSizingFindings({ props: { 'spark.executor.memory': '6g' }, workers: [worker('w1', 4, 6 * 1024)] }).length, 0);
    assert.equal(executorSizingFindings({ props: { 'spark.executor.memory': '7g' }, workers: [worker('w1', 4, 6 * 1024)] })[0].severity, 'error');
  });

  test('containers: heap + overhead over a node\'s memory is an error', () => {
    const [f] = executorSizingFindings({ props: { 'spark.executor.memory': '7g' }, nodes: [{ name: 'n1', cores: 8, memoryBytes: 7.5 * GiB }] });
    assert.equal(f.severity, 'error');
    assert.equal(f.figures.executorMemoryBytes, 7 * GiB + Math.floor(0.7 * GiB));
  });

  test('an executor that takes every core of the largest node: a warning', () => {
    const [f] = executorSizingFindings({ props: { 'spark.executor.cores': '8', 'spark.executor.memory': '4g' }, nodes: [{ name: 'n1', cores: 8, memoryBytes: 32 * GiB }] });
    assert.equal(f.severity, 'warning');
    assert.match(f.suggestion, /at most 7/);
  });

  test('allFindings runs every rule and puts errors first', () => {
    const found = allFindings({
      stages: [stage({ stageId: 1, memoryBytesSpilled: 1 }), stage({ stageId: 2, status: 'FAILED', numFailedTasks: 1 })],
      executors: [executor({ id: '1' })],
      taskSummaries: new Map([['1:0', summary([100, 800, 1000, 1200, 9000])]]),
      props: { 'spark.executor.cores': '8' },
      workers: [worker('w1', 4, 1024)],
    });
    assert.deepEqual(found.map((f) => [f.rule, f.severity]), [
      ['failedTasks', 'error'],
      ['executorSizing', 'error'],
      ['spill', 'warning'],
      ['skew', 'warning'],
    ]);
  });
});

/**
 * The per-stage rules (model/rules): each with a case that must trigger it at each of its levels
 * and cases that must not, from the thresholds the README documents (issue 15's examples
 * included: an 8-partition stage whose slowest task, 3.8 s, is 4.9× the median is not skew).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { skewRule, SKEW } from '../../src/model/rules/skew';
import { spillRule } from '../../src/model/rules/spill';
import { gcPressureRule } from '../../src/model/rules/gcPressure';
import { smallTasksRule } from '../../src/model/rules/smallTasks';
import { largePartitionsRule } from '../../src/model/rules/largePartitions';
import { failedTasksRule } from '../../src/model/rules/failedTasks';
import { needsTaskFailures, needsTaskSummary } from '../../src/model/rules';
import type { RuleInput } from '../../src/model/rules';
import type { TaskSummary } from '../../src/model/types';
import { executor, GiB, MiB, stage, summary, T0 } from './ruleFixtures';

const sums = (entries: [string, TaskSummary][]) => new Map(entries);
const levels = (fs: { severity: string; stageId?: number }[]) => fs.map((f) => [f.stageId, f.severity]);

describe('rules: skew', () => {
  const run = (wallMs: number, runTime: number[], bytes = {}) =>
    skewRule.run({ stages: [stage({ stageId: 11, completionTime: T0 + wallMs })], taskSummaries: sums([['11:0', summary(runTime, bytes)]]) });

  test('issue 15: a slowest task of 3.8 s at 4.9× the median is not skew (below the 5 s floor)', () => {
    assert.deepEqual(run(4_000, [776, 800, 900, 3_800]), []);
  });

  test('information from 5× with a 5 s slowest task; the figures and the page of the stage attempt', () => {
    const [f] = run(30_000, [1_000, 1_200, 2_000, 5_000], { shuffleReadBytes: [10 * MiB, 11 * MiB, 12 * MiB, 60 * MiB] });
    assert.equal(f.severity, 'information');
    assert.deepEqual(f.figures, { medianTaskMs: 1_000, maxTaskMs: 5_000, ratio: 5, stageWallMs: 30_000, dataRatio: 6 });
    assert.deepEqual(f.page, { page: 'stage', id: 11, attempt: 0 });
    assert.deepEqual(f.site, { fn: 'collect', path: '/w/job.py', line: 27 });
    assert.equal(f.message, 'Stage 11 is skewed: its slowest task ran 5.0 s, 5.0× the median 1.0 s, on 6.0× the median\'s data (60.0 MiB)');
    assert.match(f.suggestion, /skewJoin\.enabled=true/);
  });

  test('warning from 10× only when the slowest task holds the stage up (≥ 0.75 of its wall time)', () => {
    assert.equal(run(8_000, [600, 700, 800, 6_000])[0].severity, 'warning');
    assert.equal(run(30_000, [600, 700, 800, 6_000])[0].severity, 'information');
  });

  test('error from 16× with a slowest task over 150 s that holds the stage up', () => {
    assert.equal(run(160_000, [9_000, 9_500, 10_000, 151_000])[0].severity, 'error');
    assert.equal(run(160_000, [9_000, 9_500, 10_000, SKEW.errorMinMaxTaskMs])[0].severity, 'warning');
  });

  test('equal data is a straggler, not data skew; no byte figures say neither', () => {
    const straggler = run(8_000, [600, 700, 800, 6_000], { inputBytes: [64 * MiB, 64 * MiB, 64 * MiB, 65 * MiB] })[0];
    assert.match(straggler.message, /^Stage 11 has a straggler: .* on about the same data as the others \(not data skew\)$/);
    assert.match(straggler.suggestion, /spark\.speculation/);
    const unknown = run(8_000, [600, 700, 800, 6_000])[0];
    assert.match(unknown.message, /^Stage 11 has a slow task: .*no input or shuffle bytes/);
  });

  test('a median of 0 (DataFlint\'s guard), one task, or an unfinished stage: nothing', () => {
    assert.deepEqual(run(8_000, [0, 0, 0, 6_000]), []);
    assert.deepEqual(skewRule.run({ stages: [stage({ stageId: 1, numTasks: 1 })], taskSummaries: sums([['1:0', summary([1, 1, 1, 9_000])]]) }), []);
    assert.deepEqual(skewRule.run({ stages: [stage({ stageId: 1, status: 'ACTIVE' })], taskSummaries: sums([['1:0', summary([100, 100, 100, 9_000])]]) }), []);
  });
});

describe('rules: spill', () => {
  const run = (p: Parameters<typeof stage>[0]) => spillRule.run({ stages: [stage(p)], props: { 'spark.sql.shuffle.partitions': '4' } });

  test('graded by spill over the stage\'s largest data: 0.1 / 0.25 / 0.5', () => {
    const at = (spill: number) => run({ stageId: 3, numTasks: 4, shuffleReadBytes: 400 * MiB, inputBytes: 100 * MiB, memoryBytesSpilled: spill })[0]?.severity;
    assert.equal(at(39 * MiB), undefined);
    assert.equal(at(40 * MiB), 'information');
    assert.equal(at(100 * MiB), 'warning');
    assert.equal(at(200 * MiB), 'error');
  });

  test('the message names the figures; the suggestion the partitions to aim for', () => {
    const [f] = run({ stageId: 3, numTasks: 4, shuffleReadBytes: 400 * MiB, memoryBytesSpilled: 465 * MiB, diskBytesSpilled: 120 * MiB });
    assert.equal(f.message, 'Stage 3 spilled 465 MiB from memory, 120 MiB written to disk: 1.2× its shuffle read of 400 MiB');
    assert.equal(f.figures.ratio, 465 / 400);
    assert.match(f.suggestion, /about 7 partitions for 400 MiB instead of 4 \(spark\.sql\.shuffle\.partitions is 4/);
    const [small] = run({ stageId: 3, numTasks: 400, shuffleReadBytes: 400 * MiB, memoryBytesSpilled: 465 * MiB });
    assert.match(small.suggestion, /^Tasks already get 1\.0 MiB each: raise spark\.executor\.memory/);
  });

  test('no data to divide by (pre-1.3 shuffle reads, parallelize): nothing; ≥ 3 TiB: information, expected', () => {
    assert.deepEqual(run({ stageId: 1, memoryBytesSpilled: 900 * MiB }), []);
    const [big] = run({ stageId: 2, inputBytes: 4 * 1024 * GiB, memoryBytesSpilled: 3 * 1024 * GiB });
    assert.equal(big.severity, 'information');
    assert.match(big.message, /expected at this size/);
  });
});

describe('rules: GC pressure', () => {
  test('a stage: > 10 % with ≥ 60 s of task time; 15 % warning; 20 % error only over 5 min', () => {
    const found = gcPressureRule.run({
      stages: [
        stage({ stageId: 1, executorRunTimeMs: 60_000, jvmGcTimeMs: 6_001 }),
        stage({ stageId: 2, executorRunTimeMs: 60_000, jvmGcTimeMs: 6_000 }),
        stage({ stageId: 3, executorRunTimeMs: 59_000, jvmGcTimeMs: 30_000 }),
        stage({ stageId: 4, executorRunTimeMs: 100_000, jvmGcTimeMs: 25_000 }),
        stage({ stageId: 5, executorRunTimeMs: 300_000, jvmGcTimeMs: 60_000 }),
      ],
    });
    assert.deepEqual(levels(found), [[1, 'information'], [4, 'warning'], [5, 'error']]);
    assert.equal(found[1].message, 'Stage 4 spent 25 % of its task time in GC (25 s of 1m 40s)');
  });

  test('executors: one finding for all of them, never the driver, each with ≥ 5 min of tasks', () => {
    const executors = [
      executor({ id: 'driver', totalDurationMs: 3_600_000, totalGCTimeMs: 3_000_000 }),
      ...Array.from({ length: 10_000 }, (_, i) => executor({ id: String(i + 1), totalDurationMs: 600_000, totalGCTimeMs: i < 37 ? 90_000 + i : 6_000 })),
      executor({ id: 'short', totalDurationMs: 60_000, totalGCTimeMs: 50_000 }),
    ];
    const found = gcPressureRule.run({ executors });
    assert.equal(found.length, 1);
    const [f] = found;
    assert.equal(f.severity, 'information');
    assert.equal(f.executorId, '37');
    assert.equal(f.figures.executorsOver, 37);
    assert.equal(f.message, '37 executors spent more than 10 % of task time in GC (1 % over all 10000 executors); worst: executor 37, 15 % (1m 30s of 10m 0s)');
    assert.deepEqual(f.page, { page: 'executors' });
  });

  test('local mode: the driver row (uptime vs a JVM total) is never read', () => {
    assert.deepEqual(gcPressureRule.run({ executors: [executor({ id: 'driver', totalDurationMs: 900_000, totalGCTimeMs: 473_000 })] }), []);
  });
});

describe('rules: many small tasks', () => {
  const input = (numTasks: number, medianMs: number, wallMs: number, bytes = 0): RuleInput => ({
    stages: [stage({ stageId: 7, numTasks, numCompleteTasks: numTasks, shuffleReadBytes: bytes, completionTime: T0 + wallMs })],
    executors: [executor({ id: 'driver', maxTasks: 0 }), executor({ id: '1', maxTasks: 2 }), executor({ id: '2', maxTasks: 2 })],
    taskSummaries: sums([['7:0', summary([medianMs, medianMs, 2 * medianMs, 3 * medianMs])]]),
  });

  test('information: > 3 tasks per slot, median < 200 ms, < 1 MiB each, over ≥ 10 s', () => {
    const [f] = smallTasksRule.run(input(400, 30, 12_000, 40 * MiB));
    assert.equal(f.severity, 'information');
    assert.equal(f.message, 'Stage 7 ran 400 tasks on 4 task slots, median 30 ms and 102 KiB each, over 12 s');
    assert.match(f.suggestion, /about 12 \(2-3 per task slot/);
  });

  test('warning: DataFlint\'s > 5000 tasks with a median < 500 ms', () => {
    assert.equal(smallTasksRule.run(input(6_000, 400, 60_000, 6 * GiB))[0].severity, 'warning');
  });

  test('not: a short stage, ≤ 3 tasks per slot, long tasks, or big ones', () => {
    assert.deepEqual(smallTasksRule.run(input(400, 30, 9_000)), []);
    assert.deepEqual(smallTasksRule.run(input(12, 30, 12_000)), []);
    assert.deepEqual(smallTasksRule.run(input(400, 250, 30_000)), []);
    assert.deepEqual(smallTasksRule.run(input(400, 30, 12_000, 800 * MiB)), []);
  });
});

describe('rules: large partitions', () => {
  const run = (bytes: Partial<Pick<TaskSummary, 'inputBytes' | 'shuffleReadBytes' | 'outputBytes'>>) =>
    largePartitionsRule.run({ stages: [stage({ stageId: 2, numTasks: 3, inputBytes: 900 * MiB })], taskSummaries: sums([['2:0', summary([10, 10, 10, 10], bytes)]]) });

  test('the largest task\'s bytes over 256 MiB: information; over 5 GiB: warning', () => {
    assert.deepEqual(run({ inputBytes: [100 * MiB, 100 * MiB, 100 * MiB, 256 * MiB] }), []);
    const [f] = run({ inputBytes: [100 * MiB, 100 * MiB, 100 * MiB, 272 * MiB] });
    assert.equal(f.severity, 'information');
    assert.equal(f.message, 'Stage 2: its largest task had 272 MiB of input');
    assert.match(f.suggestion, /about 15 of 64 MiB instead of 3\): for files lower spark\.sql\.files\.maxPartitionBytes/);
    assert.equal(run({ outputBytes: [1, 1, 1, 6 * GiB] })[0].severity, 'warning');
  });
});

describe('rules: failed tasks', () => {
  const failure = (errorMessage: string) => ({ taskId: 1, attempt: 0, executorId: '1', errorMessage });

  test('information below 15 % in a completed stage; warning from 15 %; error when the stage failed', () => {
    const found = failedTasksRule.run({
      stages: [
        stage({ stageId: 1, numCompleteTasks: 8, numFailedTasks: 1 }),
        stage({ stageId: 2, numCompleteTasks: 10, numFailedTasks: 4 }),
        stage({ stageId: 3, attemptId: 1, status: 'FAILED', numCompleteTasks: 7, numFailedTasks: 1, failureReason: 'Job aborted due to stage failure: Task 3 in stage 3.1 failed 1 times\nstack' }),
        stage({ stageId: 4 }),
      ],
    });
    assert.deepEqual(levels(found), [[1, 'information'], [2, 'warning'], [3, 'error']]);
    assert.equal(found[0].message, 'Stage 1 had 1 failed task attempt (11 % of 9)');
    assert.equal(found[2].message, 'Stage 3 (attempt 1) had 1 failed task attempt (13 % of 8) and failed: "Job aborted due to stage failure: Task 3 in stage 3.1 failed 1 times"');
  });

  test('an OutOfMemoryError makes it a warning; only executors lost for reasons outside the tasks, information', () => {
    const st = [stage({ stageId: 1, numCompleteTasks: 50, numFailedTasks: 1 })];
    const oom = failedTasksRule.run({ stages: st, taskFailures: new Map([['1:0', [failure('java.lang.OutOfMemoryError: Java heap space\n\tat …')]]]) })[0];
    assert.equal(oom.severity, 'warning');
    assert.match(oom.message, /"java\.lang\.OutOfMemoryError: Java heap space"$/);
    const lost = 'ExecutorLostFailure (executor 2 exited unrelated to the running tasks) Reason: Container marked as failed';
    const stHigh = [stage({ stageId: 1, numCompleteTasks: 4, numFailedTasks: 4 })];
    assert.equal(failedTasksRule.run({ stages: stHigh, taskFailures: new Map([['1:0', [failure(lost)]]]) })[0].severity, 'information');
  });

  test('which stage attempts need their failed tasks or their task summary read', () => {
    assert.equal(needsTaskFailures(stage({ stageId: 1, numFailedTasks: 1 })), true);
    assert.equal(needsTaskFailures(stage({ stageId: 1, numFailedTasks: 1, status: 'ACTIVE' })), false);
    assert.equal(needsTaskFailures(stage({ stageId: 1 })), false);
    assert.equal(needsTaskSummary(stage({ stageId: 1, executorRunTimeMs: 5_000, completionTime: T0 + 5_000 })), true, 'skew');
    assert.equal(needsTaskSummary(stage({ stageId: 1, executorRunTimeMs: 4_999, completionTime: T0 + 5_000 })), false);
    assert.equal(needsTaskSummary(stage({ stageId: 1, numTasks: 400, executorRunTimeMs: 100, completionTime: T0 + 10_000 })), true, 'small tasks');
    assert.equal(needsTaskSummary(stage({ stageId: 1, numTasks: 1, inputBytes: 257 * MiB, completionTime: T0 + 1_000 })), true, 'large partitions');
    assert.equal(needsTaskSummary(stage({ stageId: 1, status: 'SKIPPED', executorRunTimeMs: 9_000 })), false);
  });
});

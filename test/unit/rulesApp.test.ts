/**
 * The application-wide rules (model/rules), running them all with rules switched off, the
 * README's rules table and the setting's enum against the code, and placement at 10,000
 * executors (issue 11: one finding per rule, not one per executor).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { memoryTooHighRule } from '../../src/model/rules/memoryTooHigh';
import { memoryTooLowRule } from '../../src/model/rules/memoryTooLow';
import { idleCoresRule, jobWindows } from '../../src/model/rules/idleCores';
import { executorSizingRule, parseCpu } from '../../src/model/rules/executorSizing';
import { lostExecutorsRule } from '../../src/model/rules/lostExecutors';
import { storageMemoryFullRule } from '../../src/model/rules/storageMemoryFull';
import { removalKind } from '../../src/model/rules/reasons';
import { allFindings, parseDisabledRules, RULE_IDS, RULES, rulesTableMarkdown } from '../../src/model/rules';
import { placeFindings } from '../../src/model/lineHints';
import { executor, GiB, job, MiB, stage, T0, worker } from './ruleFixtures';

const MIN = 60_000;
const ran = (id: string, heapMiB: number, p = {}) =>
  executor({ id, totalTasks: 10, totalDurationMs: 10 * MIN, totalGCTimeMs: 6_000, addTime: T0, peak: { jvmHeap: heapMiB * MiB }, ...p });

describe('rules: executor memory too high', () => {
  const app = { endTime: T0 + 10 * MIN, state: 'completed' as const };
  const props = { 'spark.executor.memory': '8g' };

  test('8g used to 1 GiB: 6.2× what was needed with the 300 MiB reserve: a warning, with the size to try', () => {
    const [f] = memoryTooHighRule.run({ app, props, executors: [executor({ id: 'driver' }), ran('1', 1024), ran('2', 700)] });
    assert.equal(f.severity, 'warning');
    assert.equal(f.message, 'Executors have 8.0 GiB of heap (spark.executor.memory) but used at most 1.0 GiB (executor 1): 6.2× what they needed with Spark\'s 300 MiB reserve');
    assert.match(f.suggestion, /about 1536m/);
    assert.equal(memoryTooHighRule.run({ app, props: { 'spark.executor.memory': '3g' }, executors: [ran('1', 1024)] })[0].severity, 'information');
  });

  test('not: 2 GiB or less, a peak not reported by every executor, executors of < 2 min, spill, GC ≥ 5 %', () => {
    assert.deepEqual(memoryTooHighRule.run({ app, props: { 'spark.executor.memory': '2g' }, executors: [ran('1', 100)] }), []);
    assert.deepEqual(memoryTooHighRule.run({ app, props, executors: [ran('1', 1024), ran('2', 0, { peak: {} })] }), []);
    assert.deepEqual(memoryTooHighRule.run({ app: { ...app, endTime: T0 + 62_000 }, props: { ...props, 'spark.executor.metrics.pollingInterval': '100' }, executors: [ran('1', 939)] }), [], 'the LargeBlocks log');
    assert.deepEqual(memoryTooHighRule.run({ app, props, executors: [ran('1', 1024)], stages: [stage({ stageId: 1, shuffleReadBytes: 100, memoryBytesSpilled: 10 })] }), []);
    assert.deepEqual(memoryTooHighRule.run({ app, props, executors: [ran('1', 1024, { totalGCTimeMs: 30_000 })] }), []);
  });
});

describe('rules: executor memory too low', () => {
  test('an OutOfMemoryError in a stage\'s tasks: an error on that stage', () => {
    const [f] = memoryTooLowRule.run({
      stages: [stage({ stageId: 4, numFailedTasks: 2 })],
      taskFailures: new Map([['4:0', [{ taskId: 9, attempt: 0, executorId: '1', errorMessage: 'java.lang.OutOfMemoryError: Java heap space\n\tat x' }]]]),
      executors: [executor({ id: '1', isActive: false, removeReason: 'Command exited with code 52' })],
    });
    assert.equal(f.severity, 'error');
    assert.equal(f.message, 'Out of memory: tasks of 1 stage (4) failed for memory; 1 executor (1) was killed for memory: "java.lang.OutOfMemoryError: Java heap space"');
    assert.deepEqual(f.page, { page: 'stage', id: 4, attempt: 0 });
  });

  test('a container killed for memory: an error that points at memoryOverhead', () => {
    const [f] = memoryTooLowRule.run({ executors: [executor({ id: '3', isActive: false, removeReason: 'Container killed by YARN for exceeding physical memory limits. 5.5 GB of 5.5 GB physical memory used.' })] });
    assert.equal(f.severity, 'error');
    assert.match(f.suggestion, /^The container was killed for memory outside the heap: raise spark\.executor\.memoryOverhead/);
  });

  test('a full heap counts only with GC or spill beside it', () => {
    const props = { 'spark.executor.memory': '1g' };
    const full = (gcMs: number) => [ran('1', 1000, { totalGCTimeMs: gcMs })];
    assert.deepEqual(memoryTooLowRule.run({ props, executors: full(30_000) }), []);
    assert.equal(memoryTooLowRule.run({ props, executors: full(70_000) })[0].severity, 'information');
    assert.equal(memoryTooLowRule.run({ props, executors: full(90_000) })[0].severity, 'warning');
    assert.deepEqual(memoryTooLowRule.run({ props, executors: [ran('1', 900, { totalGCTimeMs: 90_000 })] }), [], 'below 95 %');
  });
});

describe('rules: idle cores', () => {
  const jobs = (ms: number) => [job({ jobId: 0, submissionTime: T0, completionTime: T0 + ms }), job({ jobId: 1, submissionTime: T0 + 1_000, completionTime: T0 + 2_000 })];

  test('job windows merge overlapping jobs; a running job ends now', () => {
    assert.deepEqual(jobWindows([...jobs(5_000), job({ jobId: 2, status: 'RUNNING', submissionTime: T0 + 9_000 })], T0 + 12_000), [[T0, T0 + 5_000], [T0 + 9_000, T0 + 12_000]]);
  });

  test('local mode: the stages\' task time against the driver\'s slots over job time, not the driver row\'s uptime', () => {
    const input = (slots: number, runMs: number, jobMs: number) => ({
      jobs: jobs(jobMs),
      executors: [executor({ id: 'driver', maxTasks: slots, totalCores: slots, totalDurationMs: 10 * jobMs })],
      stages: [stage({ stageId: 0, numTasks: 1, executorRunTimeMs: runMs })],
    });
    const [f] = idleCoresRule.run(input(4, 62_000, 63_000));
    assert.equal(f.severity, 'information');
    assert.equal(f.message, '75 % of the task slots were idle while jobs ran (1m 2s of tasks in 4m 12s of 4 slots over 1m 3s of jobs); 1 stage had fewer tasks than slots');
    assert.deepEqual(idleCoresRule.run(input(4, 20_000, 21_000)), [], 'under 60 s of jobs');
    assert.deepEqual(idleCoresRule.run(input(8, 500_000, 63_000)), [], 'busy');
    assert.deepEqual(idleCoresRule.run(input(0, 1_000, 63_000)), [], '≤ 1.4 logs: no slots reported');
  });

  test('cluster: executors\' slots while jobs ran; time between jobs and after them does not count', () => {
    const executors = [
      executor({ id: 'driver', maxTasks: 0, totalDurationMs: 3_600_000 }),
      executor({ id: '1', maxTasks: 2, addTime: T0 - 600_000, totalDurationMs: 400_000 }),
      executor({ id: '2', maxTasks: 2, addTime: T0 - 600_000, totalDurationMs: 100_000 }),
    ];
    // 4 slots × 300 s of jobs (the hour the application lived besides does not count).
    const [f] = idleCoresRule.run({ jobs: jobs(300_000), executors, app: { endTime: T0 + 3_600_000, state: 'completed' } });
    assert.equal(f.severity, 'information');
    assert.equal(f.figures.idleShare, 1 - 500_000 / 1_200_000);
    const idler = executors.map((e) => (e.id === '1' ? { ...e, totalDurationMs: 250_000 } : e.id === '2' ? { ...e, totalDurationMs: 0 } : e));
    assert.equal(idleCoresRule.run({ jobs: jobs(300_000), executors: idler })[0].severity, 'warning');
    assert.deepEqual(idleCoresRule.run({ jobs: jobs(300_000), executors: executors.map((e) => ({ ...e, totalDurationMs: 300_000 })) }), [], 'half busy');
  });
});

describe('rules: executor sizing', () => {
  test('standalone: executor.cores=1 on 1-core workers fits (issue 15: no "takes all cores" warning)', () => {
    assert.deepEqual(executorSizingRule.run({ props: { 'spark.executor.cores': '1', 'spark.executor.memory': '512m' }, workers: [worker('w1', 1, 1024), worker('w2', 1, 1024)] }), []);
    assert.deepEqual(executorSizingRule.run({ props: {}, workers: [worker('w1', 1, 1024)] }), [], 'unset cores: all of a worker\'s');
  });

  test('standalone: more cores or heap than any alive worker: an error naming what to lower', () => {
    const [f] = executorSizingRule.run({ props: { 'spark.executor.cores': '2', 'spark.executor.memory': '2g' }, workers: [worker('w1', 1, 1024), worker('w2', 16, 65_536, false)] });
    assert.equal(f.severity, 'error');
    assert.equal(f.message, 'An executor needs 2 cores and 2.0 GiB (spark.executor.memory); no worker offers that (largest: 1 cores, 1.0 GiB), so executors cannot start');
    assert.equal(f.suggestion, 'Lower spark.executor.memory so that 2.0 GiB fits in 1.0 GiB, and spark.executor.cores to at most 1.');
  });

  test('Kubernetes: heap + overhead (0.4 for PySpark, as the driver passes it on) against allocatable; request.cores first', () => {
    const node = { name: 'n1', cores: 4, memoryBytes: 7.5 * GiB };
    assert.deepEqual(executorSizingRule.run({ props: { 'spark.executor.memory': '6g' }, nodes: [node] }), []);
    const [f] = executorSizingRule.run({ props: { 'spark.executor.memory': '6g', 'spark.kubernetes.memoryOverheadFactor': '0.4' }, nodes: [node] });
    assert.equal(f.figures.executorMemoryBytes, 6 * GiB + Math.floor(0.4 * 6 * GiB));
    assert.equal(executorSizingRule.run({ props: { 'spark.executor.cores': '8', 'spark.kubernetes.executor.request.cores': '3500m' }, nodes: [node] }).length, 0);
    assert.equal(parseCpu('500m'), 0.5);
  });
});

describe('rules: lost executors and storage memory', () => {
  test('removal reasons: releases say nothing; decommission information; others warning; memory error', () => {
    assert.equal(removalKind('Executor killed by driver.'), 'release');
    assert.equal(removalKind('Container container_e36_1628109047826_1317105_01_000003 on host: h exited from explicit termination request.'), 'release');
    assert.equal(removalKind('Executor decommission: spot kill'), 'decommission');
    assert.equal(removalKind('Command exited with code 143'), 'lost');
    assert.equal(removalKind('Command exited with code 52'), 'memory');
    assert.equal(removalKind('The executor with id 3 exited with exit code 137(SIGKILL, possible container OOM).'), 'memory');
  });

  test('one finding for all lost executors, at the worst reason; none after the application ended', () => {
    const app = { endTime: T0 + MIN, state: 'completed' as const };
    const gone = (id: string, removeReason: string, removeTime = T0) => executor({ id, isActive: false, removeReason, removeTime });
    const [f] = lostExecutorsRule.run({ app, executors: [gone('1', 'Command exited with code 143'), gone('2', 'Command exited with code 143'), gone('3', 'Executor killed by driver.'), gone('4', 'x', T0 + 2 * MIN)] });
    assert.equal(f.severity, 'warning');
    assert.equal(f.message, '2 executors were lost while the application ran: 2 executors (1, 2): "Command exited with code 143"');
    assert.deepEqual(lostExecutorsRule.run({ app, executors: [gone('3', 'Executor killed by driver.')] }), []);
  });

  test('storage memory over 90 %: information; a warning when a cached dataset did not fit', () => {
    const executors = [executor({ id: 'driver', memoryUsed: 2_100_000_000 }), executor({ id: '1', memoryUsed: 1_950_000_000 }), executor({ id: '2', memoryUsed: 2_000_000_000, isActive: false })];
    const [f] = storageMemoryFullRule.run({ executors });
    assert.equal(f.severity, 'information');
    assert.equal(f.executorId, '1');
    const ds = { rddId: 7, name: 'x', numPartitions: 8, numCachedPartitions: 6, storageLevel: 'Memory Deserialized 1x Replicated', memoryUsed: 1, diskUsed: 0, distribution: [] };
    const [w] = storageMemoryFullRule.run({ executors, cachedDatasets: [ds] });
    assert.equal(w.severity, 'warning');
    assert.deepEqual(w.page, { page: 'storage', rddId: 7 });
  });
});

describe('rules: all of them', () => {
  test('errors first; rules switched off say nothing; unknown ids in the setting are ignored', () => {
    const input = {
      stages: [stage({ stageId: 1, shuffleReadBytes: 100, memoryBytesSpilled: 60 }), stage({ stageId: 2, status: 'FAILED' as const, numFailedTasks: 1 })],
      props: { 'spark.executor.cores': '8' },
      workers: [worker('w1', 4, 1024)],
    };
    assert.deepEqual(allFindings(input).map((f) => [f.rule, f.severity]), [['executorSizing', 'error'], ['spill', 'error'], ['failedTasks', 'error']]);
    assert.deepEqual(allFindings(input, parseDisabledRules(['spill', 'executorSizing', 'nonsense', 3])).map((f) => f.rule), ['failedTasks']);
  });

  test('10,000 executors over the GC and storage thresholds: one finding each (not one per executor), both placed', () => {
    const executors = Array.from({ length: 10_000 }, (_, i) => executor({ id: String(i), totalDurationMs: 600_000, totalGCTimeMs: 120_000, memoryUsed: 2_000_000_000 }));
    const findings = allFindings({ executors });
    assert.deepEqual(findings.map((f) => f.rule).sort(), ['gcPressure', 'storageMemoryFull']);
    const { placed } = placeFindings({ findings, mapPath: (p) => p, anchor: { file: '/w/job.py', line: 3 }, executors, cachedDatasets: [] });
    assert.deepEqual(placed.map((p) => [p.finding.rule, p.line]).sort(), [['gcPressure', 3], ['storageMemoryFull', 3]]);
  });

  test('the README\'s rules table is the rules\' own documentation, and the setting\'s enum lists every rule', () => {
    const root = join(__dirname, '..', '..', '..');
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    assert.ok(readme.includes(rulesTableMarkdown()), `README.md must contain this table (paste it):\n\n${rulesTableMarkdown()}`);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    assert.deepEqual(pkg.contributes.configuration.properties['sparkObservatory.findings.disabledRules'].items.enum, [...RULE_IDS]);
    assert.deepEqual(RULES.map((r) => r.doc.id), [...RULE_IDS]);
  });
});

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cachedBytes, executorTotals, gcShare, jobsToShow, keyConfiguration, shortDatasetName, sortExecutors, storageLevelName } from '../../src/model/appSummary';
import { formatAge, formatBytes, formatCount, formatDuration, formatPercent } from '../../src/model/format';
import { normaliseSourceUrl, parsePortList, sourceGroup } from '../../src/model/ports';
import { sparkUiUrl } from '../../src/model/uiLinks';
import type { Executor, Job } from '../../src/model/types';

const exec = (o: Partial<Executor>): Executor => ({
  id: '1', hostPort: 'h:1', isActive: true, totalCores: 1, maxTasks: 1, activeTasks: 0, failedTasks: 0, completedTasks: 0, totalTasks: 0,
  totalDurationMs: 0, totalGCTimeMs: 0, memoryUsed: 0, maxMemory: 0, diskUsed: 0, totalInputBytes: 0, totalShuffleRead: 0, totalShuffleWrite: 0, rddBlocks: 0, peak: {}, ...o,
});

describe('formatting', () => {
  test('bytes in binary units', () => {
    assert.equal(formatBytes(0), '0 B');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(300.4 * 1048576), '300 MiB');
    assert.equal(formatBytes(1.2 * 1073741824), '1.2 GiB');
    assert.equal(formatBytes(undefined), '–');
  });
  test('durations as a person reads them', () => {
    assert.equal(formatDuration(450), '450 ms');
    assert.equal(formatDuration(4200), '4.2 s');
    assert.equal(formatDuration(48_200), '48 s');
    assert.equal(formatDuration(72_000), '1m 12s');
    assert.equal(formatDuration(7_380_000), '2h 3m');
  });
  test('percent, counts and ages', () => {
    assert.equal(formatPercent(301, 366), '82 %');
    assert.equal(formatPercent(1, 0), '–');
    assert.equal(formatPercent(4, 100), '4.0 %');
    assert.equal(formatCount(1600), '1,600');
    assert.equal(formatAge(12_400), '12 s ago');
  });
});

describe('application summaries', () => {
  test('totals count active executors only, dead ones apart', () => {
    const t = executorTotals([exec({ id: 'driver', totalCores: 0, memoryUsed: 10, maxMemory: 100 }), exec({ id: '1', totalCores: 1, memoryUsed: 20, maxMemory: 100, activeTasks: 1 }), exec({ id: '2', isActive: false, memoryUsed: 999 })]);
    assert.deepEqual(t, { active: 2, dead: 1, cores: 1, memoryUsed: 30, maxMemory: 200, activeTasks: 1 });
  });
  test('in local mode the driver is the executor and its cores count', () => {
    assert.equal(executorTotals([exec({ id: 'driver', totalCores: 2 })]).cores, 2);
  });
  test('driver first, then executors by number, not by string', () => {
    assert.deepEqual(sortExecutors([exec({ id: '10' }), exec({ id: '9' }), exec({ id: 'driver' })]).map((e) => e.id), ['driver', '9', '10']);
  });
  test('GC share is GC time over task time', () => {
    assert.equal(gcShare(exec({ totalGCTimeMs: 60, totalDurationMs: 1000 })), 0.06);
    assert.equal(gcShare(exec({})), undefined);
  });
  test('running jobs first, then the most recent finished', () => {
    const j = (jobId: number, status: Job['status']) => ({ jobId, status }) as Job;
    assert.deepEqual(jobsToShow([j(1, 'SUCCEEDED'), j(3, 'RUNNING'), j(2, 'FAILED'), j(4, 'SUCCEEDED')], 2).map((x) => x.jobId), [3, 4, 2]);
  });
  test('cached bytes add memory and disk apart', () => {
    assert.deepEqual(cachedBytes([{ memoryUsed: 5, diskUsed: 1 }, { memoryUsed: 7, diskUsed: 0 }] as never), { memory: 12, disk: 1 });
  });
  test("Spark's storage level text becomes the constant users write", () => {
    assert.equal(storageLevelName('Disk Memory Deserialized 1x Replicated'), 'MEMORY_AND_DISK');
    assert.equal(storageLevelName('Memory Deserialized 1x Replicated'), 'MEMORY_ONLY');
    assert.equal(storageLevelName('Disk Serialized 1x Replicated'), 'DISK_ONLY');
    assert.equal(storageLevelName('Memory Serialized 2x Replicated'), 'MEMORY_ONLY_SER_2');
  });
  test('a plan name is cut to its first line for a label', () => {
    assert.equal(shortDatasetName('*(1) Project [a#1]\n+- *(1) Range (0, 10, step=1, splits=2)'), '*(1) Project [a#1]');
    assert.equal(shortDatasetName('x'.repeat(100), 10), 'xxxxxxxxx…');
  });
  test('configuration rows say which values are defaults', () => {
    const rows = keyConfiguration({ environment: { sparkProperties: { 'spark.executor.memory': '512m' }, sparkVersion: '4.3.0' } });
    assert.deepEqual(rows.find((r) => r.key === 'spark.executor.memory'), { key: 'spark.executor.memory', value: '512m', isDefault: false });
    assert.equal(rows.find((r) => r.key === 'spark.memory.fraction')?.isDefault, true);
    assert.equal(rows.at(-1)?.value, '4.3.0');
  });
});

describe('settings values', () => {
  test('port lists and ranges', () => {
    assert.deepEqual(parsePortList('4040-4042, 18080,x,70000'), [4040, 4041, 4042, 18080]);
  });
  test('source URLs keep their path and lose trailing slashes', () => {
    assert.equal(normaliseSourceUrl('https://gw.example/spark/history/'), 'https://gw.example/spark/history');
    assert.equal(normaliseSourceUrl('ftp://x'), undefined);
    assert.equal(normaliseSourceUrl('not a url'), undefined);
  });
  test('sources on loopback meet in the local group', () => {
    assert.equal(sourceGroup('http://127.0.0.1:4040'), 'local');
    assert.equal(sourceGroup('http://localhost:18080'), 'local');
    assert.equal(sourceGroup('http://[::1]:18080'), 'local');
    assert.equal(sourceGroup('https://spark.example:18080'), 'spark.example');
    assert.equal(sourceGroup('https://spark.example', 'prod'), 'prod');
  });
});

describe('Spark UI links', () => {
  test('a live driver serves pages at its root', () => {
    assert.equal(sparkUiUrl('http://127.0.0.1:4040/', 'driver', { id: 'a' }, { page: 'stage', id: 3, attempt: 1 }), 'http://127.0.0.1:4040/stages/stage/?id=3&attempt=1');
  });
  test('a History Server under /history/{app}/{attempt}', () => {
    assert.equal(sparkUiUrl('http://h:18080', 'history', { id: 'app-1', attemptId: '2' }, { page: 'storage', rddId: 9 }), 'http://h:18080/history/app-1/2/storage/rdd/?id=9');
  });
  test('Prometheus has no Spark UI', () => {
    assert.equal(sparkUiUrl('http://p:9090', 'prometheus', { id: 'a' }, { page: 'app' }), undefined);
  });
});

describe('liveness', async () => {
  const { isLiveApplication, isSourceProblem } = await import('../../src/model/liveness');
  test('only a source answering now says an application runs; the History Server only says its log is open', () => {
    assert.equal(isLiveApplication({ app: { state: 'running' }, via: 'driver', stale: false }), true);
    assert.equal(isLiveApplication({ app: { state: 'running' }, via: 'history', stale: false }), false);
    assert.equal(isLiveApplication({ app: { state: 'running' }, via: 'driver', stale: true }), false);
    assert.equal(isLiveApplication({ app: { state: 'completed' }, via: 'driver', stale: false }), false);
  });
  test('a discovered driver that refuses has ended: not a problem; a configured one is', () => {
    const refused = { status: 'error', error: { kind: 'refused' }, kind: 'driver' as const };
    assert.equal(isSourceProblem({ ...refused, config: { origin: 'discovered' } }), false);
    assert.equal(isSourceProblem({ ...refused, config: { origin: 'settings' } }), true);
    assert.equal(isSourceProblem({ ...refused, error: { kind: 'timeout' }, config: { origin: 'discovered' } }), true);
    assert.equal(isSourceProblem({ status: 'ok', config: { origin: 'settings' } }), false);
  });
});

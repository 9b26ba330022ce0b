import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { redact, HttpError } from '../../src/sources/http';
import { appPath, parseApplications, parseCachedDatasets, parseEnvironment, parseExecutors, parseJobs, parseStages } from '../../src/sources/sparkRest';
import { parseMasterStatus, looksLikeMaster } from '../../src/sources/sparkMaster';
import { parseQueryData, parseSampleValue, PrometheusError, unwrap } from '../../src/sources/prometheus';
import { optDate } from '../../src/sources/parse';

describe('redaction of log lines', () => {
  test('removes userinfo from URLs', () => {
    assert.equal(redact('GET https://alice:s3cret@spark.example/api'), 'GET https://***@spark.example/api');
  });
  test('removes authorization header values, basic and bearer', () => {
    assert.equal(redact('Authorization: Basic YWxpY2U6czNjcmV0'), 'Authorization: Basic ***');
    assert.equal(redact('{"Authorization":"Bearer abc.def.ghi"}'), '{"Authorization":"Bearer ***"}');
  });
  test('removes token-like query parameters', () => {
    assert.equal(redact('/api?x=1&token=abc123&y=2'), '/api?x=1&token=***&y=2');
  });
});

describe('Spark REST parsing', () => {
  test('reads Spark dates with the GMT suffix glued to the milliseconds', () => {
    assert.equal(optDate('2026-11-21T07:01:02.345GMT'), Date.UTC(2026, 10, 21, 7, 1, 2, 345));
    assert.equal(optDate(''), undefined);
    assert.equal(optDate('garbage'), undefined);
  });

  test('an application is running until its newest attempt is completed', () => {
    const apps = parseApplications([
      { id: 'app-1', name: 'seed', attempts: [{ startTime: '2026-11-21T07:00:00.000GMT', endTime: '1969-12-31T23:59:59.999GMT', duration: 0, sparkUser: 'root', completed: false, appSparkVersion: '4.3.0', startTimeEpoch: 1795244400000, endTimeEpoch: -1 }] },
      { id: 'app-2', name: 'done', attempts: [{ attemptId: '1', startTimeEpoch: 1795244000000, endTimeEpoch: 1795244083000, duration: 83000, completed: true }] },
    ]);
    assert.equal(apps[0].state, 'running');
    assert.equal(apps[0].endTime, undefined);
    assert.equal(apps[0].sparkVersion, '4.3.0');
    assert.equal(apps[0].startTime, 1795244400000);
    assert.equal(apps[1].state, 'completed');
    assert.equal(apps[1].durationMs, 83000);
    assert.equal(apps[1].attemptId, '1');
  });

  test('YARN attempts are addressed as id/attempt, both encoded', () => {
    assert.equal(appPath({ id: 'application_1_0001', attemptId: '2' }), 'application_1_0001/2');
    assert.equal(appPath({ id: 'a/b' }), 'a%2Fb');
  });

  test('executors keep absent peaks absent, and dead ones their removal reason', () => {
    const [driver, dead] = parseExecutors([
      { id: 'driver', hostPort: '127.0.0.1:40000', isActive: true, totalCores: 2, maxTasks: 2, activeTasks: 0, memoryUsed: 1024, maxMemory: 434031820, totalDuration: 1000, totalGCTime: 50, diskUsed: 0 },
      { id: '1', hostPort: '127.0.0.1:40001', isActive: false, totalCores: 1, removeReason: 'Command exited with code 137', removeTime: '2026-11-21T07:02:00.000GMT', peakMemoryMetrics: { JVMHeapMemory: 123456789, OnHeapStorageMemory: 1000, ProcessTreePythonRSSMemory: 0 } },
    ]);
    assert.equal(driver.peak.jvmHeap, undefined);
    assert.equal(driver.totalGCTimeMs, 50);
    assert.equal(dead.isActive, false);
    assert.equal(dead.removeReason, 'Command exited with code 137');
    assert.equal(dead.peak.jvmHeap, 123456789);
    assert.equal(dead.peak.pythonRss, 0);
  });

  test('a field of the wrong type reads as absent, not as a crash', () => {
    const [e] = parseExecutors([{ id: 7, totalCores: 'many', memoryUsed: null }]);
    assert.equal(e.id, '7');
    assert.equal(e.totalCores, 0);
    assert.equal(e.memoryUsed, 0);
  });

  test('a response of the wrong shape is a malformed error', () => {
    assert.throws(() => parseExecutors({ not: 'a list' }), (err: unknown) => err instanceof HttpError && err.kind === 'malformed');
  });

  test('jobs, stages and cached datasets carry the figures the views need', () => {
    const [job] = parseJobs([{ jobId: 3, name: 'count at NativeMethodAccessorImpl.java:0', status: 'RUNNING', stageIds: [4, 5], numTasks: 10, numCompletedTasks: 4, submissionTime: '2026-11-21T07:00:00.000GMT' }]);
    assert.equal(job.status, 'RUNNING');
    assert.deepEqual(job.stageIds, [4, 5]);
    const [stage] = parseStages([{ stageId: 5, attemptId: 0, name: 'collect at /w/job.py:31', status: 'ACTIVE', executorCpuTime: 2_000_000, diskBytesSpilled: 42, memoryBytesSpilled: 84, rddIds: [1, 2] }]);
    assert.equal(stage.executorCpuTimeNs, 2_000_000);
    assert.equal(stage.diskBytesSpilled, 42);
    const [ds] = parseCachedDatasets([{ id: 9, name: 'In-memory table t', numPartitions: 8, numCachedPartitions: 6, storageLevel: 'Disk Memory Deserialized 1x Replicated', memoryUsed: 300, diskUsed: 0, dataDistribution: [{ address: '127.0.0.1:1', memoryUsed: 300, memoryRemaining: 700, diskUsed: 0 }] }]);
    assert.equal(ds.rddId, 9);
    assert.equal(ds.distribution[0].memoryRemaining, 700);
  });

  test('the environment keeps every Spark property', () => {
    const env = parseEnvironment({ runtime: { javaVersion: '17.0.15', scalaVersion: 'version 2.13.16' }, sparkProperties: [['spark.executor.memory', '512m'], ['spark.app.sparkVersion', '4.3.0']] });
    assert.equal(env.sparkProperties['spark.executor.memory'], '512m');
    assert.equal(env.sparkVersion, '4.3.0');
    assert.equal(env.javaVersion, '17.0.15');
  });
});

describe('standalone Master /json', () => {
  test('reads workers and applications', () => {
    const body = { url: 'spark://127.0.0.1:7077', workers: [{ id: 'worker-1', host: '127.0.0.1', port: 1, cores: 1, coresused: 1, memory: 1024, memoryused: 512, state: 'ALIVE' }, { id: 'worker-2', state: 'DEAD' }], aliveworkers: 1, cores: 1, coresused: 1, memory: 1024, memoryused: 512, activeapps: [{ id: 'app-1', name: 'x', cores: 1, memoryperexecutor: 512, starttime: 1795244400000, state: 'RUNNING' }], completedapps: [], status: 'ALIVE' };
    assert.ok(looksLikeMaster(body));
    const m = parseMasterStatus(body);
    assert.equal(m.workers[0].alive, true);
    assert.equal(m.workers[1].alive, false);
    assert.equal(m.activeApps[0].memoryPerExecutorMb, 512);
    assert.equal(looksLikeMaster([{ id: 'app' }]), false);
  });
});

describe('Prometheus answers', () => {
  test('sample values arrive as strings, NaN and infinities included', () => {
    assert.equal(parseSampleValue('1.5e3'), 1500);
    assert.ok(Number.isNaN(parseSampleValue('NaN')));
    assert.equal(parseSampleValue('+Inf'), Infinity);
    assert.equal(parseSampleValue('-Inf'), -Infinity);
  });
  test('an error envelope becomes a PrometheusError with its type and message', () => {
    assert.throws(
      () => unwrap({ status: 'error', errorType: 'bad_data', error: 'invalid parameter "query": 1:5: parse error' }),
      (e: unknown) => e instanceof PrometheusError && e.errorType === 'bad_data' && /parse error/.test(e.message),
    );
  });
  test('warnings are kept', () => {
    assert.deepEqual(unwrap({ status: 'success', data: {}, warnings: ['partial response'] }).warnings, ['partial response']);
  });
  test('matrix and vector results become series with labels', () => {
    const m = parseQueryData({ resultType: 'matrix', result: [{ metric: { executor_id: '1' }, values: [[1795244400, '1'], [1795244402, 'NaN']] }] });
    assert.equal(m[0].labels.executor_id, '1');
    assert.equal(m[0].samples.length, 2);
    assert.ok(Number.isNaN(m[0].samples[1].v));
    const v = parseQueryData({ resultType: 'vector', result: [{ metric: {}, value: [1795244400, '+Inf'] }] });
    assert.equal(v[0].samples[0].v, Infinity);
  });
});

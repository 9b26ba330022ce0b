import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyPathMappings,
  mapDriverPath,
  parseCallSite,
  splitCallSite,
  summariseJobsByLine,
  trailingMatchLength,
} from '../../src/model/callSite';
import type { Job, Stage } from '../../src/model/types';

function stage(p: Partial<Stage> & { stageId: number; name: string }): Stage {
  return {
    attemptId: 0, status: 'COMPLETE', numTasks: 8, numActiveTasks: 0, numCompleteTasks: 8, numFailedTasks: 0,
    executorRunTimeMs: 0, executorCpuTimeNs: 0, jvmGcTimeMs: 0, memoryBytesSpilled: 0, diskBytesSpilled: 0,
    peakExecutionMemory: 0, inputBytes: 0, outputBytes: 0, shuffleReadBytes: 0, shuffleWriteBytes: 0, rddIds: [],
    ...p,
  };
}

function job(p: Partial<Job> & { jobId: number; name: string; stageIds: number[] }): Job {
  return {
    status: 'SUCCEEDED', numTasks: 8, numActiveTasks: 0, numCompletedTasks: 8, numSkippedTasks: 0, numFailedTasks: 0,
    numActiveStages: 0, numCompletedStages: 1, numSkippedStages: 0, numFailedStages: 0, ...p,
  };
}

describe('callSite: parsing', () => {
  test('parses PySpark call sites with absolute paths', () => {
    assert.deepEqual(parseCallSite('collect at /home/me/jobs/seed.py:27'), { fn: 'collect', path: '/home/me/jobs/seed.py', line: 27 });
  });

  test('the hook\'s expression may itself contain " at "', () => {
    assert.deepEqual(splitCallSite('df.filter("x at y").cache() at /w/job.py:9'), { fn: 'df.filter("x at y").cache()', path: '/w/job.py', line: 9 });
  });

  test('keeps Windows drive letters in the path', () => {
    assert.deepEqual(parseCallSite('count at C:\\work\\job.py:12'), { fn: 'count', path: 'C:\\work\\job.py', line: 12 });
  });

  test('JVM frames and pseudo-files are unplaceable', () => {
    assert.equal(parseCallSite('count at NativeMethodAccessorImpl.java:0'), undefined);
    assert.equal(parseCallSite('save at DataFrameWriter.scala:251'), undefined);
    assert.equal(parseCallSite('collect at <stdin>:1'), undefined);
    assert.equal(parseCallSite('runJob at SparkHadoopWriter.scala:83'), undefined);
    assert.equal(parseCallSite('no call site here'), undefined);
    assert.equal(parseCallSite(undefined), undefined);
  });
});

describe('callSite: paths', () => {
  const workspace = ['/home/me/proj/jobs/seed.py', '/home/me/proj/other/seed.py', '/home/me/proj/jobs/etl.py'];

  test('counts shared trailing segments', () => {
    assert.equal(trailingMatchLength('/opt/app/jobs/seed.py', '/home/me/proj/jobs/seed.py'), 2);
    assert.equal(trailingMatchLength('C:\\x\\jobs\\seed.py', '/y/jobs/seed.py'), 2);
    assert.equal(trailingMatchLength('/a/b.py', '/a/c.py'), 0);
  });

  test('maps a driver path to the workspace file with the longest trailing match', () => {
    assert.equal(mapDriverPath('/opt/spark/work-dir/jobs/seed.py', workspace), '/home/me/proj/jobs/seed.py');
    assert.equal(mapDriverPath('/tmp/etl.py', workspace), '/home/me/proj/jobs/etl.py');
  });

  test('two equally good candidates are ambiguous: no file rather than a guess', () => {
    assert.equal(mapDriverPath('/tmp/seed.py', workspace), undefined);
  });

  test('an exact path wins', () => {
    assert.equal(mapDriverPath('/home/me/proj/other/seed.py', workspace), '/home/me/proj/other/seed.py');
  });

  test('user path mappings apply first, longest prefix winning, on segment boundaries', () => {
    const mappings = [{ from: '/opt/app', to: '/home/me/proj' }, { from: '/opt/app/x', to: '/elsewhere' }, { from: '/op', to: '/wrong' }];
    assert.equal(applyPathMappings('/opt/app/other/seed.py', mappings), '/home/me/proj/other/seed.py');
    assert.equal(applyPathMappings('/opt/app/x/seed.py', mappings), '/elsewhere/seed.py');
    assert.equal(applyPathMappings('/opt/application/seed.py', mappings), '/opt/application/seed.py');
    assert.equal(mapDriverPath('/opt/app/other/seed.py', workspace, mappings), '/home/me/proj/other/seed.py');
  });
});

describe('callSite: sums per line', () => {
  test('sums several jobs from one line with a count, GC share = Σ gc / Σ run time', () => {
    const jobs = [
      job({ jobId: 0, name: 'collect at /w/seed.py:31', stageIds: [0, 1], submissionTime: 1_000, completionTime: 5_000, numCompletedTasks: 16 }),
      job({ jobId: 1, name: 'collect at /w/seed.py:31', stageIds: [2], submissionTime: 6_000, completionTime: 7_500, numCompletedTasks: 8, numFailedTasks: 1 }),
      job({ jobId: 2, name: 'count at NativeMethodAccessorImpl.java:0', stageIds: [3], submissionTime: 8_000, completionTime: 9_000 }),
    ];
    const stages = [
      stage({ stageId: 0, name: 'collect at /w/seed.py:31', executorRunTimeMs: 4_000, jvmGcTimeMs: 400, shuffleWriteBytes: 1_000 }),
      stage({ stageId: 1, name: 'collect at /w/seed.py:31', executorRunTimeMs: 6_000, jvmGcTimeMs: 100, shuffleReadBytes: 1_000, memoryBytesSpilled: 5, diskBytesSpilled: 3 }),
      stage({ stageId: 2, name: 'collect at /w/seed.py:31', executorRunTimeMs: 2_000, jvmGcTimeMs: 300 }),
      stage({ stageId: 3, name: 'count at NativeMethodAccessorImpl.java:0', executorRunTimeMs: 999 }),
    ];
    const r = summariseJobsByLine(jobs, stages);
    assert.equal(r.lines.length, 1);
    const l = r.lines[0];
    assert.deepEqual(
      [l.path, l.line, l.jobCount, l.stageCount, l.taskCount, l.failedTasks, l.durationMs, l.executorRunTimeMs, l.jvmGcTimeMs, l.shuffleReadBytes, l.shuffleWriteBytes, l.memoryBytesSpilled, l.diskBytesSpilled],
      ['/w/seed.py', 31, 2, 3, 24, 1, 5_500, 12_000, 800, 1_000, 1_000, 5, 3],
    );
    assert.equal(l.gcShare, 800 / 12_000);
    assert.equal(r.unplacedJobs, 1);
    assert.equal(r.unplacedStages, 1);
  });

  test('a stage reused by a later job (listed as skipped) is counted once, in the first job', () => {
    const jobs = [
      job({ jobId: 0, name: 'collect at /w/a.py:10', stageIds: [0, 1] }),
      job({ jobId: 1, name: 'collect at /w/a.py:20', stageIds: [0, 2] }),
    ];
    const stages = [
      stage({ stageId: 0, name: 'collect at /w/a.py:10', executorRunTimeMs: 100 }),
      stage({ stageId: 1, name: 'collect at /w/a.py:10', executorRunTimeMs: 10 }),
      stage({ stageId: 2, name: 'collect at /w/a.py:20', executorRunTimeMs: 1 }),
    ];
    const r = summariseJobsByLine(jobs, stages);
    assert.deepEqual(r.lines.map((l) => [l.line, l.executorRunTimeMs, l.stageCount]), [[10, 110, 2], [20, 1, 1]]);
  });

  test('retried stage attempts add up; skipped stages do not count as run', () => {
    const jobs = [job({ jobId: 0, name: 'collect at /w/a.py:5', stageIds: [0, 1] })];
    const stages = [
      stage({ stageId: 0, attemptId: 0, status: 'FAILED', name: 'collect at /w/a.py:5', executorRunTimeMs: 50, numFailedTasks: 2 }),
      stage({ stageId: 0, attemptId: 1, name: 'collect at /w/a.py:5', executorRunTimeMs: 70 }),
      stage({ stageId: 1, status: 'SKIPPED', name: 'collect at /w/a.py:5', executorRunTimeMs: 0 }),
    ];
    const [l] = summariseJobsByLine(jobs, stages).lines;
    assert.equal(l.executorRunTimeMs, 120);
    assert.equal(l.stageCount, 1);
  });

  test('a running job is timed up to now', () => {
    const jobs = [job({ jobId: 0, name: 'collect at /w/a.py:5', stageIds: [], status: 'RUNNING', submissionTime: 10_000 })];
    const [l] = summariseJobsByLine(jobs, [], 12_500).lines;
    assert.equal(l.durationMs, 2_500);
    assert.equal(l.running, true);
    assert.equal(l.gcShare, undefined);
  });
});

/**
 * Inline hints and findings (F6): the hint text of a line, the hover's stage rows, which run a
 * file shows, where findings go, the task-summary parser and the store's per-poll budget. Data
 * shaped like Spark 4.3.0's real answers (call sites, task summary) as seen in
 * test/integration/inlineHints.test.ts.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { summariseJobsByLine, type LineSummary } from '../../src/model/callSite';
import {
  appAnchor,
  datasetFillingExecutor,
  DriverPathMapper,
  findingMessage,
  findingsForApp,
  hintLine,
  hintText,
  linesByFile,
  parsePathMappings,
  placeFindings,
  replacesRun,
  stageRows,
} from '../../src/model/lineHints';
import { needsTaskSummary, SUMMARY_QUANTILES as SKEW_QUANTILES, type Finding } from '../../src/model/rules';
import { parseTaskSummary } from '../../src/sources/sparkRest';
import type { CachedDataset, Executor, Job, Stage, Worker } from '../../src/model/types';
import { Store } from '../../src/store/store';
import type { HttpClient } from '../../src/sources/http';
import { HttpError } from '../../src/sources/http';

const MiB = 1024 * 1024;
const JOB = '/home/me/proj/jobs/spill.py';

function stage(p: Partial<Stage> & { stageId: number }): Stage {
  return {
    attemptId: 0, name: `save at ${JOB}:40`, status: 'COMPLETE', numTasks: 4, numActiveTasks: 0, numCompleteTasks: 4,
    numFailedTasks: 0, executorRunTimeMs: 0, executorCpuTimeNs: 0, jvmGcTimeMs: 0, memoryBytesSpilled: 0, diskBytesSpilled: 0,
    peakExecutionMemory: 0, inputBytes: 0, outputBytes: 0, shuffleReadBytes: 0, shuffleWriteBytes: 0, rddIds: [], ...p,
  };
}

function job(p: Partial<Job> & { jobId: number }): Job {
  return {
    name: `save at ${JOB}:40`, status: 'SUCCEEDED', stageIds: [], numTasks: 0, numActiveTasks: 0, numCompletedTasks: 0, numSkippedTasks: 0,
    numFailedTasks: 0, numActiveStages: 0, numCompletedStages: 0, numSkippedStages: 0, numFailedStages: 0, ...p,
  };
}

function line(p: Partial<LineSummary>): LineSummary {
  return {
    path: JOB, line: 40, functions: ['save'], jobIds: [0], jobCount: 1, stageIds: [0, 1], stageCount: 2, taskCount: 8, failedTasks: 0,
    durationMs: 48_200, executorRunTimeMs: 60_000, jvmGcTimeMs: 3_600, gcShare: 0.06, shuffleReadBytes: 0, shuffleWriteBytes: 0,
    memoryBytesSpilled: 0, diskBytesSpilled: 0, inputBytes: 0, outputBytes: 0, running: false, ...p,
  };
}

function executor(p: Partial<Executor> & { id: string }): Executor {
  return {
    hostPort: '127.0.0.1:41234', isActive: true, totalCores: 2, maxTasks: 2, activeTasks: 0, failedTasks: 0, completedTasks: 0,
    totalTasks: 0, totalDurationMs: 0, totalGCTimeMs: 0, memoryUsed: 0, maxMemory: 434 * MiB, diskUsed: 0, totalInputBytes: 0,
    totalShuffleRead: 0, totalShuffleWrite: 0, rddBlocks: 0, peak: {}, ...p,
  };
}

describe('the hint after an action line', () => {
  test('shows duration, stages, tasks, shuffle and GC share; no warning part without spill or failures', () => {
    const t = hintText(line({ shuffleReadBytes: 1.2 * 1024 * MiB, shuffleWriteBytes: 1.1 * 1024 * MiB }));
    assert.equal(t.main, '◷ 48 s · 2 stages · 8 tasks');
    assert.equal(t.warning, undefined);
    assert.equal(t.tail, ' · shuffle r 1.2 GiB / w 1.1 GiB · GC 6.0 %');
    assert.equal(hintLine(t), '◷ 48 s · 2 stages · 8 tasks · shuffle r 1.2 GiB / w 1.1 GiB · GC 6.0 %');
  });

  test('spill and failed tasks go in the warning part, before shuffle and GC (a long hint is cut at the edge)', () => {
    const t = hintText(line({ memoryBytesSpilled: 900 * MiB, diskBytesSpilled: 340 * MiB, failedTasks: 2 }));
    assert.equal(t.warning, ' · spill 340 MiB ⚠ · 2 failed tasks ⚠');
    assert.equal(hintLine(t), '◷ 48 s · 2 stages · 8 tasks · spill 340 MiB ⚠ · 2 failed tasks ⚠ · GC 6.0 %');
  });

  test('spill without a disk figure shows the in-memory size', () => {
    assert.equal(hintText(line({ memoryBytesSpilled: 12 * MiB })).warning, ' · spill 12.0 MiB ⚠');
  });

  test('several jobs from one line are summed with their count; a running line says so', () => {
    const jobs = [
      job({ jobId: 0, stageIds: [0], numCompletedTasks: 4, submissionTime: 1000, completionTime: 3000 }),
      job({ jobId: 1, stageIds: [1], numCompletedTasks: 4, submissionTime: 4000, completionTime: 9000 }),
      job({ jobId: 2, name: `count at ${JOB}:52`, stageIds: [2], status: 'RUNNING', numCompletedTasks: 1, submissionTime: 10_000 }),
    ];
    const stages = [stage({ stageId: 0, executorRunTimeMs: 1500 }), stage({ stageId: 1, executorRunTimeMs: 2500, jvmGcTimeMs: 400 }), stage({ stageId: 2, status: 'ACTIVE', name: `count at ${JOB}:52` })];
    const { lines } = summariseJobsByLine(jobs, stages, 12_500);
    assert.equal(hintLine(hintText(lines[0])), '◷ 7.0 s · 2 jobs · 2 stages · 8 tasks · GC 10 %');
    assert.equal(hintLine(hintText(lines[1])), '◷ 2.5 s (running) · 1 stage · 1 task', 'no GC share before any task time');
  });
});

describe('the hover\'s stage rows', () => {
  test('one row per attempt of the line\'s stages, oldest first, warnings flagged', () => {
    const stages = [
      stage({ stageId: 1, submissionTime: 5000, completionTime: 30_000, numTasks: 4, numCompleteTasks: 4, executorRunTimeMs: 40_000, jvmGcTimeMs: 2000, memoryBytesSpilled: 512 * MiB, diskBytesSpilled: 200 * MiB, shuffleReadBytes: 300 * MiB }),
      stage({ stageId: 0, submissionTime: 1000, completionTime: 5000, numTasks: 2, numCompleteTasks: 2, executorRunTimeMs: 7000, shuffleWriteBytes: 300 * MiB }),
      stage({ stageId: 7, name: 'other' }),
    ];
    const rows = stageRows(line({ stageIds: [0, 1] }), stages);
    assert.deepEqual(rows.map((r) => [r.stageId, r.tasks, r.duration, r.taskTime, r.shuffle, r.spill, r.gc, r.warn]), [
      [0, '2/2', '4.0 s', '7.0 s', '0 B / 300 MiB', '–', '0 %', false],
      [1, '4/4', '25 s', '40 s', '300 MiB / 0 B', '512 MiB mem / 200 MiB disk', '5.0 %', true],
    ]);
  });
});

describe('which run a file shows', () => {
  test('the same application always updates; a later one replaces; a cleared one never comes back', () => {
    const a = { appKey: 'local|app-1', appId: 'app-1', startTime: 1000 };
    const b = { appKey: 'local|app-2', appId: 'app-2', startTime: 2000 };
    assert.equal(replacesRun(undefined, a, new Set()), true);
    assert.equal(replacesRun(a, a, new Set()), true);
    assert.equal(replacesRun(a, b, new Set()), true);
    assert.equal(replacesRun(b, a, new Set()), false, 'an older run does not take a file back');
    assert.equal(replacesRun(undefined, a, new Set(['app-1'])), false);
    // Cleared while its driver served it: not back when a History Server serves it, under another key.
    assert.equal(replacesRun(undefined, { ...a, appKey: 'history|app-1' }, new Set(['app-1'])), false);
  });

  test('lines are grouped by the workspace file their driver path maps to; unmapped ones counted', () => {
    const mapper = new DriverPathMapper(['/ws/jobs/spill.py', '/ws/lib/util.py']);
    const { files, unmapped } = linesByFile([line({}), line({ path: '/opt/x/lib/util.py', line: 3 }), line({ path: '/elsewhere/nothing.py' })], (p) => mapper.map(p));
    assert.deepEqual(files.map((f) => [f.file, f.lines.map((l) => l.line)]), [['/ws/jobs/spill.py', [40]], ['/ws/lib/util.py', [3]]]);
    assert.equal(unmapped, 1);
  });

  test('path mappings from the setting: an object or a list of {from, to}; junk left out', () => {
    assert.deepEqual(parsePathMappings({ '/opt/app': '/ws', '': '/x', '/y': 3 }), [{ from: '/opt/app', to: '/ws' }]);
    assert.deepEqual(parsePathMappings([{ from: '/opt/app/', to: '/ws/' }, { from: '/a' }, 'x', null]), [{ from: '/opt/app/', to: '/ws/' }]);
    assert.deepEqual(parsePathMappings('nope'), []);
    // A mapping wins over a trailing match with another file.
    const mapper = new DriverPathMapper(['/ws/jobs/spill.py', '/other/jobs/spill.py'], parsePathMappings({ '/opt/app': '/other' }));
    assert.equal(mapper.map('/opt/app/jobs/spill.py'), '/other/jobs/spill.py');
    assert.equal(new DriverPathMapper(['/ws/jobs/spill.py', '/other/jobs/spill.py']).map('/opt/app/jobs/spill.py'), undefined, 'ambiguous without a mapping: no guess');
  });
});

describe('where findings go', () => {
  const mapper = new DriverPathMapper(['/ws/jobs/spill.py']);
  const mapPath = (p: string) => mapper.map(p);
  const files = [{ file: '/ws/jobs/spill.py', lines: [line({ line: 52, jobIds: [3] }), line({ line: 40, jobIds: [0] })] }];

  test('a stage finding goes on its call site\'s line; a JVM call site is unplaced, not guessed', () => {
    const findings = findingsForApp({
      stages: [
        stage({ stageId: 1, memoryBytesSpilled: 600 * MiB, diskBytesSpilled: 210 * MiB, shuffleReadBytes: 500 * MiB }),
        stage({ stageId: 2, name: 'count at NativeMethodAccessorImpl.java:0', memoryBytesSpilled: MiB, diskBytesSpilled: MiB, shuffleReadBytes: MiB }),
      ],
    });
    const { placed, unplaced } = placeFindings({ findings, mapPath });
    assert.equal(unplaced, 1);
    assert.equal(placed.length, 1);
    assert.equal(placed[0].file, '/ws/jobs/spill.py');
    assert.equal(placed[0].line, 40);
    assert.deepEqual(placed[0].finding.figures, { memoryBytesSpilled: 600 * MiB, diskBytesSpilled: 210 * MiB, maxDataBytes: 500 * MiB, ratio: 1.2, numTasks: 4 });
    assert.equal(
      findingMessage(placed[0].finding),
      'Stage 1 spilled 600 MiB from memory, 210 MiB written to disk: 1.2× its shuffle read of 500 MiB. Try: Give each task less data: about 8 partitions for 500 MiB instead of 4 ' +
        '(spark.sql.shuffle.partitions is 200; or spark.sql.adaptive.advisoryPartitionSizeInBytes), then raise spark.executor.memory or lower spark.executor.cores (more memory per task), or raise spark.memory.fraction.',
    );
  });

  test('the application\'s anchor: the SparkSession line of the first job\'s file, else that job\'s line', () => {
    assert.deepEqual(appAnchor(files, () => 28), { file: '/ws/jobs/spill.py', line: 28 });
    assert.deepEqual(appAnchor(files, () => undefined), { file: '/ws/jobs/spill.py', line: 40 });
    assert.equal(appAnchor([], () => 1), undefined);
  });

  test('storage memory nearly full goes on the hook-named cache call that fills that executor', () => {
    const ex = executor({ id: 'driver', memoryUsed: 420 * MiB });
    const ds = (rddId: number, name: string, mem: number): CachedDataset => ({
      rddId, name, numPartitions: 8, numCachedPartitions: 8, storageLevel: 'Memory Deserialized 1x Replicated', memoryUsed: mem, diskUsed: 0,
      distribution: [{ address: '127.0.0.1:41234', memoryUsed: mem, memoryRemaining: 0, diskUsed: 0 }],
    });
    const datasets = [ds(3, `df1.cache() at ${JOB}:34`, 400 * MiB), ds(5, `df2.cache() at ${JOB}:36`, 20 * MiB)];
    assert.equal(datasetFillingExecutor(ex, datasets)?.rddId, 3);
    const findings = findingsForApp({ executors: [ex] });
    assert.deepEqual(findings.map((f) => f.rule), ['storageMemoryFull']);
    const anchor = { file: '/ws/jobs/spill.py', line: 28 };
    assert.deepEqual(placeFindings({ findings, mapPath, anchor, executors: [ex], cachedDatasets: datasets }).placed.map((p) => p.line), [34]);
    // A plan-named dataset says no line: the finding goes on the anchor.
    assert.deepEqual(placeFindings({ findings, mapPath, anchor, executors: [ex], cachedDatasets: [ds(3, '*(1) Range (0, 10, step=1)', 400 * MiB)] }).placed.map((p) => p.line), [28]);
    assert.equal(placeFindings({ findings, mapPath, executors: [ex], cachedDatasets: [] }).unplaced, 1, 'no anchor: unplaced');
  });

  test('executors are sized against the Master\'s workers only when the application ran on it', () => {
    const workers: Worker[] = [{ id: 'w1', host: '127.0.0.1', port: 1, cores: 1, coresUsed: 0, memoryMb: 1024, memoryUsedMb: 0, state: 'ALIVE', alive: true }];
    const props = { 'spark.executor.memory': '2g', 'spark.executor.cores': '1' };
    const onMaster = findingsForApp({ environment: { sparkProperties: { ...props, 'spark.master': 'spark://127.0.0.1:7077' } } }, { workers });
    assert.deepEqual(onMaster.map((f) => [f.rule, f.severity]), [['executorSizing', 'error']]);
    assert.equal(onMaster[0].figures.executorMemoryBytes, 2048 * MiB);
    assert.deepEqual(findingsForApp({ environment: { sparkProperties: { ...props, 'spark.master': 'local[2]' } } }, { workers }), []);
  });

  test('skew comes from the task summary\'s executorRunTime, and shuffle reads tell data skew (skew.py on 4.3.0)', () => {
    const s = stage({ stageId: 1, numTasks: 8, executorRunTimeMs: 33_022, submissionTime: 0, completionTime: 25_013 });
    const summary = parseTaskSummary(SKEW_SUMMARY);
    const f = findingsForApp({ stages: [s], taskSummaries: new Map([['1:0', summary]]) }).find((x) => x.rule === 'skew') as Finding;
    assert.equal(f.figures.maxTaskMs, 16168);
    assert.equal(f.figures.medianTaskMs, 1256);
    assert.equal(f.figures.dataRatio, 7130161 / 164434);
    // 12.9× the median, but 16 s of a 25 s stage (< 0.75): information.
    assert.equal(f.severity, 'information');
    assert.match(f.message, /^Stage 1 is skewed: its slowest task ran 16 s, 12\.9× the median 1\.3 s, on 43\.4× the median's data \(6\.8 MiB\)$/);
    assert.deepEqual(findingsForApp({ stages: [s], taskSummaries: new Map([['1:0', summary]]) }, {}, { disabled: ['skew'] }), []);
  });
});

/** /api/v1/applications/{id}/stages/1/0/taskSummary?quantiles=0.5,0.75,0.95,1.0 of skew.py on Spark 4.3.0 (trimmed). */
const SKEW_SUMMARY = {
  quantiles: [0.5, 0.75, 0.95, 1.0],
  duration: [1598.0, 7078.0, 16426.0, 16426.0],
  executorDeserializeTime: [229.0, 570.0, 582.0, 582.0],
  executorRunTime: [1256.0, 6311.0, 16168.0, 16168.0],
  executorCpuTime: [9.9574514e7, 3.57412386e8, 1.680796868e9, 1.680796868e9],
  jvmGcTime: [82.0, 114.0, 602.0, 602.0],
  schedulerDelay: [61.0, 221.0, 224.0, 224.0],
  peakExecutionMemory: [9437168.0, 9437168.0, 2.85212256e8, 2.85212256e8],
  memoryBytesSpilled: [0.0, 0.0, 0.0, 0.0],
  diskBytesSpilled: [0.0, 0.0, 0.0, 0.0],
  inputMetrics: { bytesRead: [0.0, 0.0, 0.0, 0.0], recordsRead: [0.0, 0.0, 0.0, 0.0] },
  outputMetrics: { bytesWritten: [0.0, 0.0, 0.0, 0.0], recordsWritten: [0.0, 0.0, 0.0, 0.0] },
  shuffleReadMetrics: { readBytes: [164434.0, 187675.0, 7130161.0, 7130161.0], readRecords: [21650.0, 24738.0, 1359280.0, 1359280.0], shufflePushReadMetricsDist: { corruptMergedBlockChunks: [0.0, 0.0, 0.0, 0.0] } },
  shuffleWriteMetrics: { writeBytes: [0.0, 0.0, 0.0, 0.0], writeRecords: [0.0, 0.0, 0.0, 0.0], writeTime: [0.0, 0.0, 0.0, 0.0] },
};

describe('task summaries', () => {
  test('parses Spark\'s shape: flat arrays aligned with quantiles, I/O nested', () => {
    const t = parseTaskSummary(SKEW_SUMMARY);
    assert.deepEqual(t.quantiles, [0.5, 0.75, 0.95, 1]);
    assert.deepEqual(t.duration, [1598, 7078, 16426, 16426]);
    assert.deepEqual(t.executorRunTime, [1256, 6311, 16168, 16168]);
    assert.deepEqual(t.jvmGcTime, [82, 114, 602, 602]);
    assert.deepEqual(t.shuffleReadBytes, [164434, 187675, 7130161, 7130161]);
    assert.deepEqual(t.shuffleWriteBytes, [0, 0, 0, 0]);
    assert.deepEqual(t.inputBytes, [0, 0, 0, 0]);
    assert.equal(t.executorCpuTime?.[3], 1680796868);
  });

  test('a misaligned or missing array reads as absent, never as wrong quantiles', () => {
    const t = parseTaskSummary({ quantiles: [0.5, 1], duration: [1, 2, 3], executorRunTime: [4, 5] });
    assert.deepEqual(t.duration, []);
    assert.deepEqual(t.executorRunTime, [4, 5]);
    assert.equal(t.shuffleReadBytes, undefined);
    assert.throws(() => parseTaskSummary([1, 2]), HttpError);
  });

  test('asked only for finished stages long enough to be skewed (or for small tasks), or big enough for a large partition', () => {
    const long = { numTasks: 6, executorRunTimeMs: 33_000, submissionTime: 0, completionTime: 25_000 };
    assert.equal(needsTaskSummary(stage({ stageId: 1, ...long })), true);
    assert.equal(needsTaskSummary(stage({ stageId: 1, ...long, status: 'FAILED' })), true);
    assert.equal(needsTaskSummary(stage({ stageId: 1, ...long, status: 'ACTIVE' })), false, 'still changing');
    assert.equal(needsTaskSummary(stage({ stageId: 1, ...long, numTasks: 1 })), false);
    assert.equal(needsTaskSummary(stage({ stageId: 1, ...long, executorRunTimeMs: 4999 })), false, 'no task can reach 5 s');
    assert.equal(needsTaskSummary(stage({ stageId: 1, ...long, completionTime: 4500 })), false, 'over in 4.5 s');
    assert.equal(needsTaskSummary(stage({ stageId: 1, ...long, completionTime: 4500, shuffleWriteBytes: 300 * MiB })), true, 'a partition may hold 300 MiB');
    assert.deepEqual(SKEW_QUANTILES, [0.5, 0.75, 0.95, 1]);
  });
});

describe('the store\'s poll of an application with finished stages', () => {
  test('asks for all stages in one request, at most 5 requests per poll, each task summary and failed-task list once', async () => {
    const calls: string[] = [];
    const longStages = Array.from({ length: 4 }, (_, i) => ({
      stageId: i, attemptId: 0, name: `save at ${JOB}:40`, status: 'COMPLETE', numTasks: 8, executorRunTime: 30_000, numFailedTasks: i === 2 ? 1 : 0,
      submissionTime: '2026-11-21T07:18:37.678GMT', completionTime: '2026-11-21T07:19:09.160GMT',
    }));
    const http: HttpClient = {
      baseUrl: 'http://127.0.0.1:4040',
      async head() {
        return { status: 200 };
      },
      async getText(path, opts) {
        return JSON.stringify(await this.getJson(path, opts));
      },
      async getJson(path, opts) {
        const q = opts?.params ? `?${Object.entries(opts.params).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`).join('&')}` : '';
        calls.push(path + q);
        if (path === 'api/v1/applications') return [{ id: 'app-1', name: 'spill', attempts: [{ completed: false, startTime: '2026-11-21T07:18:30.000GMT' }] }];
        if (path.endsWith('/stages')) return longStages;
        if (path.endsWith('/taskSummary')) {
          if (path.includes('/stages/0/')) throw new HttpError('notFound', 'HTTP 404', 404);
          return SKEW_SUMMARY;
        }
        if (path.endsWith('/taskList')) return [{ taskId: 9, attempt: 0, executorId: 'driver', status: 'FAILED', errorMessage: 'java.lang.RuntimeException: boom' }, { taskId: 10, status: 'SUCCESS' }];
        if (path.endsWith('/environment')) return { sparkProperties: [], runtime: {} };
        return [];
      },
    };
    const store = new Store(
      {
        configured: [{ name: 'd', url: 'http://127.0.0.1:4040', kind: 'driver', group: 'g' }],
        discovery: { enabled: false, driverPorts: [], historyServerPort: 0, masterPort: 0, prometheusPort: 0 },
        refreshIntervalMs: 1000, statusBarIntervalMs: 5000, requestTimeoutMs: 1000, historyMaxApplications: 5,
      },
      { makeClient: () => http, log: { info() {}, warn() {}, error() {} } },
    );
    try {
      await store.refresh();
      store.watch('g|app-1', { live: true });
      const perPoll: string[][] = [];
      for (let i = 0; i < 7; i++) {
        calls.length = 0;
        await store.refresh();
        perPoll.push(calls.filter((c) => c.startsWith('api/v1/applications/')));
      }
      assert.deepEqual(perPoll.map((p) => p.length), [5, 5, 5, 5, 5, 5, 4], 'environment once (no room left for a summary); then one task summary or failed-task list per poll until all are known');
      assert.ok(perPoll[0].includes('api/v1/applications/app-1/stages?details=false'), perPoll[0].join('\n'));
      assert.ok(!perPoll.flat().some((c) => c.includes('/stages?') && c.includes('status=')), 'no status filter: every stage');
      const summaries = perPoll.flat().filter((c) => c.includes('taskSummary'));
      assert.deepEqual(summaries, [3, 2, 1, 0].map((i) => `api/v1/applications/app-1/stages/${i}/0/taskSummary?quantiles=0.5,0.75,0.95,1`), 'newest first, each once (the 404 remembered)');
      const d = store.detail('g|app-1')!.detail;
      assert.equal(d.stages?.length, 4);
      assert.deepEqual(d.activeStages, []);
      assert.deepEqual([...d.taskSummaries!.keys()].sort(), ['1:0', '2:0', '3:0']);
      assert.deepEqual(perPoll.flat().filter((c) => c.includes('taskList')), ['api/v1/applications/app-1/stages/2/0/taskList?status=FAILED&length=20']);
      assert.deepEqual(d.taskFailures?.get('2:0'), [{ taskId: 9, attempt: 0, executorId: 'driver', errorMessage: 'java.lang.RuntimeException: boom' }], 'FAILED ones only (older drivers ignore status)');
    } finally {
      store.dispose();
    }
  });
});

/**
 * The pure parts of "Run File with Observability" and the cache lenses: the spark-submit command
 * line, which application runs a file, and what a lens says in each state.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSubmitCommand, commandLine, fileUrl, isLocalMaster, shellQuote } from '../../src/launcher/submitCommand';
import { applicationsForFile, AppFacts } from '../../src/model/appForFile';
import { cacheLensText, distributionRows, figuresText, memoryExplanation } from '../../src/model/cacheLensText';
import { cacheLensState } from '../../src/model/cacheLensState';
import { fileLenses } from '../../src/model/fileLenses';
import { scanPythonSource } from '../../src/model/cacheScanner';
import type { Application, CachedDataset, Executor, Job } from '../../src/model/types';

const MiB = 1048576;

const base = {
  sparkSubmit: '/opt/spark/bin/spark-submit',
  file: '/work/jobs/seed.py',
  master: 'local[*]',
  uiPort: 4041,
  eventLogDir: '/home/me/.vscode/globalStorage/eventlog',
  hookDir: '/ext/dist/python',
};

function confs(args: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--conf') {
      const [k, ...v] = args[i + 1].split('=');
      out.set(k, v.join('='));
    }
  }
  return out;
}

describe('the spark-submit command line', () => {
  test('runs the runner with the user file and its arguments, named after the file', () => {
    const c = buildSubmitCommand({ ...base, args: ['100', '--x'] });
    assert.equal(c.command, '/opt/spark/bin/spark-submit');
    assert.deepEqual(c.args.slice(0, 4), ['--master', 'local[*]', '--name', 'seed']);
    assert.deepEqual(c.args.slice(-4), ['/ext/dist/python/so_run.py', '/work/jobs/seed.py', '100', '--x']);
    assert.equal(c.uiUrl, 'http://127.0.0.1:4041');
  });

  test('switches on both Prometheus endpoints, the event log, process-tree metrics and the UI port', () => {
    const m = confs(buildSubmitCommand(base).args);
    assert.equal(m.get('spark.ui.port'), '4041');
    assert.equal(m.get('spark.ui.prometheus.enabled'), 'true');
    assert.equal(m.get('spark.metrics.conf.*.sink.prometheusServlet.class'), 'org.apache.spark.metrics.sink.PrometheusServlet');
    assert.equal(m.get('spark.metrics.conf.*.sink.prometheusServlet.path'), '/metrics/prometheus');
    assert.equal(m.get('spark.eventLog.enabled'), 'true');
    assert.equal(m.get('spark.eventLog.dir'), 'file:///home/me/.vscode/globalStorage/eventlog');
    assert.equal(m.get('spark.executor.processTreeMetrics.enabled'), 'true');
    assert.equal(m.get('spark.eventLog.logStageExecutorMetrics'), 'true', 'peaks reach the History Server');
  });

  test('binds a local driver to loopback, not a cluster one', () => {
    const local = buildSubmitCommand(base);
    assert.equal(confs(local.args).get('spark.driver.bindAddress'), '127.0.0.1');
    assert.equal(confs(local.args).get('spark.driver.host'), '127.0.0.1');
    assert.equal(local.env.SPARK_LOCAL_IP, '127.0.0.1');
    const cluster = buildSubmitCommand({ ...base, master: 'spark://10.0.0.5:7077' });
    assert.equal(confs(cluster.args).has('spark.driver.bindAddress'), false);
    assert.equal(cluster.env.SPARK_LOCAL_IP, undefined);
  });

  test('extra confs win over the defaults, the UI URL follows a port they set', () => {
    const c = buildSubmitCommand({ ...base, extraConf: { 'spark.ui.port': 4049, 'spark.driver.memory': '2g', 'spark.eventLog.enabled': false } });
    const m = confs(c.args);
    assert.equal(m.get('spark.ui.port'), '4049');
    assert.equal(m.get('spark.driver.memory'), '2g');
    assert.equal(m.get('spark.eventLog.enabled'), 'false');
    assert.equal(c.uiUrl, 'http://127.0.0.1:4049');
    assert.equal(c.args.filter((a) => a.startsWith('spark.ui.port=')).length, 1);
  });

  test('passes the hook its events file, the switched-off cache lines and the interpreter', () => {
    const c = buildSubmitCommand({
      ...base,
      eventsFile: '/tmp/ev.jsonl',
      python: '/venv/bin/python',
      disableCacheAt: [{ file: '/work/jobs/seed.py', line: 34 }, { file: '/work/a,b/job "x".py', line: 36 }],
      env: { HOLD_SECONDS: '5' },
    });
    assert.equal(c.env.SO_HOOK_EVENTS, '/tmp/ev.jsonl');
    // JSON: a comma or a quote in a path cannot split an entry.
    assert.deepEqual(JSON.parse(c.env.SO_DISABLE_CACHE_AT!), [{ file: '/work/jobs/seed.py', line: 34 }, { file: '/work/a,b/job "x".py', line: 36 }]);
    assert.equal(c.env.PYSPARK_PYTHON, '/venv/bin/python');
    assert.equal(c.env.PYSPARK_DRIVER_PYTHON, '/venv/bin/python');
    assert.equal(c.env.HOLD_SECONDS, '5');
    assert.equal(buildSubmitCommand(base).env.SO_DISABLE_CACHE_AT, undefined);
  });

  test('local masters, file URLs and shell quoting', () => {
    for (const m of ['local', 'local[*]', 'local[4]', 'local[2,3]', 'local-cluster[2,1,1024]']) assert.equal(isLocalMaster(m), true, m);
    for (const m of ['yarn', 'spark://h:7077', 'k8s://https://h', 'localhost']) assert.equal(isLocalMaster(m), false, m);
    assert.equal(fileUrl('/a b/c#d'), 'file:///a%20b/c%23d');
    assert.equal(shellQuote('spark.metrics.conf.*.sink=x'), "'spark.metrics.conf.*.sink=x'");
    assert.equal(shellQuote("it's"), `'it'\\''s'`);
    assert.match(commandLine(buildSubmitCommand(base)), /^PYTHONUNBUFFERED=1 SPARK_LOCAL_IP=127\.0\.0\.1 \/opt\/spark\/bin\/spark-submit --master 'local\[\*\]'/);
  });
});

const app = (id: string, o: Partial<Application> = {}): Application => ({ id, name: id, state: 'running', ...o });
const ds = (o: Partial<CachedDataset>): CachedDataset => ({
  rddId: 1, name: 'x', numPartitions: 8, numCachedPartitions: 8, storageLevel: 'Disk Memory Deserialized 1x Replicated', memoryUsed: 0, diskUsed: 0, distribution: [], ...o,
});
const job = (name: string): Job => ({
  jobId: 0, name, status: 'SUCCEEDED', stageIds: [], numTasks: 0, numActiveTasks: 0, numCompletedTasks: 0, numSkippedTasks: 0, numFailedTasks: 0,
  numActiveStages: 0, numCompletedStages: 0, numSkippedStages: 0, numFailedStages: 0,
});
const exec = (o: Partial<Executor>): Executor => ({
  id: 'driver', hostPort: '127.0.0.1:1', isActive: true, totalCores: 2, maxTasks: 2, activeTasks: 0, failedTasks: 0, completedTasks: 0, totalTasks: 0,
  totalDurationMs: 0, totalGCTimeMs: 0, memoryUsed: 0, maxMemory: 0, diskUsed: 0, totalInputBytes: 0, totalShuffleRead: 0, totalShuffleWrite: 0, rddBlocks: 0, peak: {}, ...o,
});

describe('which application runs a file', () => {
  const file = '/work/jobs/seed.py';
  test('a run of this file on the driver UI it bound wins, even with nothing cached yet', () => {
    const apps: AppFacts[] = [
      { key: 'local|a', app: app('a', { startTime: 1000 }), sourceUrl: 'http://127.0.0.1:4040' },
      { key: 'local|b', app: app('b', { startTime: 2000 }), sourceUrl: 'http://127.0.0.1:4041' },
    ];
    const found = applicationsForFile(file, apps, [{ file, uiUrl: 'http://127.0.0.1:4041', startedAt: 1500 }]);
    assert.deepEqual(found, [{ key: 'local|b', evidence: 'run' }]);
  });

  test('an application started before the run on the same port is not that run', () => {
    const apps: AppFacts[] = [{ key: 'local|old', app: app('old', { startTime: 1000 }), sourceUrl: 'http://127.0.0.1:4041' }];
    assert.deepEqual(applicationsForFile(file, apps, [{ file, uiUrl: 'http://127.0.0.1:4041', startedAt: 100_000 }]), []);
  });

  test('hook names and call sites point at the file; running before finished, newest first', () => {
    const apps: AppFacts[] = [
      { key: 'h|done', app: app('done', { state: 'completed', startTime: 9000 }), cachedDatasets: [ds({ name: 'df1.cache() at /work/jobs/seed.py:34' })] },
      { key: 'l|old', app: app('old', { startTime: 1000 }), jobs: [job('count at /work/jobs/seed.py:37')] },
      { key: 'l|new', app: app('new', { startTime: 5000 }), cachedDatasets: [ds({ name: 'df1.cache() at /work/jobs/seed.py:34' })] },
      { key: 'l|other', app: app('other', { startTime: 8000 }), cachedDatasets: [ds({ name: 'df1.cache() at /work/jobs/other.py:34' })], jobs: [job('count at NativeMethodAccessorImpl.java:0')] },
    ];
    assert.deepEqual(applicationsForFile(file, apps, []), [
      { key: 'l|new', evidence: 'hookName' },
      { key: 'l|old', evidence: 'callSite' },
      { key: 'h|done', evidence: 'hookName' },
    ]);
  });
});

describe('what a cache lens says', () => {
  const executors = [exec({ maxMemory: 1000 * MiB, memoryUsed: 600 * MiB })];
  const measured = (d: CachedDataset, confidence: 'exact' | 'estimated' = 'exact') =>
    cacheLensState({ appId: 'app-1', match: { kind: 'matched', dataset: d, confidence, evidence: 'hookName', reason: 'named by the hook' }, executors, now: 0 });

  test('a fully cached dataset: memory, disk, partitions, share of storage, level', () => {
    const t = cacheLensText(measured(ds({ memoryUsed: 300.4 * MiB, diskUsed: 0 })));
    assert.equal(t.title, '⛁ 300 MiB in memory · 0 B on disk · 8/8 partitions · 30 % of storage · MEMORY_AND_DISK');
    assert.equal(t.action, 'reveal');
  });

  test('partly evicted, spilled and estimated are marked', () => {
    assert.match(cacheLensText(measured(ds({ memoryUsed: 10 * MiB, numCachedPartitions: 3, storageLevel: 'Memory Serialized 1x Replicated' }))).title, /3\/8 partitions .* MEMORY_ONLY_SER · ⚠ partly cached \(3 of 8\)$/);
    assert.match(cacheLensText(measured(ds({ memoryUsed: 10 * MiB, diskUsed: 5 * MiB }))).title, /5\.0 MiB on disk .* · spilled to disk$/);
    const est = cacheLensText(measured(ds({ memoryUsed: MiB }), 'estimated'));
    assert.match(est.title, /^⛁ estimated · 1\.0 MiB in memory/);
    const disk = cacheLensText(measured(ds({ memoryUsed: 0, diskUsed: 7 * MiB, storageLevel: 'Disk Serialized 1x Replicated' })));
    assert.equal(disk.title, '⛁ 0 B in memory · 7.0 MiB on disk · 8/8 partitions · 0 % of storage · DISK_ONLY');
  });

  test('a helper\'s cache call: the sum, how many datasets and the lines that called it', () => {
    const helper = (callers: { path: string; line: number; sameFile: boolean; mib: number }[]) => cacheLensText(cacheLensState({
      appId: 'app-1', executors, now: 0,
      match: {
        kind: 'matched', dataset: ds({ rddId: 20 }), confidence: 'exact', evidence: 'hookName', reason: 'named by the hook after the 2 lines that called it',
        callers: callers.map((c, i) => ({ ...c, dataset: ds({ rddId: 10 + i, memoryUsed: c.mib * MiB }) })),
      },
    }));
    const t = helper([{ path: '/w/job.py', line: 8, sameFile: true, mib: 100 }, { path: '/w/job.py', line: 9, sameFile: true, mib: 50 }]);
    assert.equal(t.title, '⛁ 2 datasets (called from lines 8, 9) · 150 MiB in memory · 0 B on disk · 16/16 partitions · 15 % of storage · MEMORY_AND_DISK');
    assert.equal(t.tooltip, 'The sum of the 2 datasets this call cached, one per calling line (line 8: rdd 10, 100 MiB in memory, 0 B on disk; line 9: rdd 11, 50.0 MiB in memory, 0 B on disk). named by the hook after the 2 lines that called it');
    assert.equal(t.action, 'reveal');
    const other = helper([{ path: '/w/helpers.py', line: 3, sameFile: true, mib: 1 }, { path: '/w/job.py', line: 40, sameFile: false, mib: 1 }]);
    assert.match(other.title, /^⛁ 2 datasets \(called from line 3, job\.py:40\) · 2\.0 MiB in memory/);
  });

  test('no application, not materialised, ambiguous (no figure) and offline with the age', () => {
    const none = cacheLensText(cacheLensState({ now: 0 }));
    assert.equal(none.action, 'run');
    assert.match(none.title, /no application runs this file · ▶ Run File with Observability/);
    assert.match(cacheLensText(cacheLensState({ appId: 'a', match: { kind: 'unmatched', reason: 'r' }, now: 0 })).title, /cached, not materialised yet/);
    const amb = cacheLensText(cacheLensState({ appId: 'a', match: { kind: 'ambiguous', candidates: [ds({ rddId: 3, memoryUsed: 5 * MiB }), ds({ rddId: 4, memoryUsed: 9 * MiB })], reason: 'two fit' }, now: 0 }));
    assert.equal(amb.action, 'pick');
    assert.equal(amb.title, '⛁ ambiguous: 2 cached datasets fit this call · pick one');
    assert.doesNotMatch(amb.title, /MiB/);
    const off = cacheLensText(cacheLensState({ appId: 'a', match: { kind: 'matched', dataset: ds({ memoryUsed: 2 * MiB }), confidence: 'exact', evidence: 'hookName', reason: '' }, offlineSince: 1000, now: 13_000 }));
    assert.match(off.title, /^⛁ 2\.0 MiB in memory .* · ⚠ source offline, figure from 12 s ago$/);
  });

  test('the hover: distribution largest first, and the memory model of the driver in local mode', () => {
    const rows = distributionRows(ds({ distribution: [
      { address: 'a:1', memoryUsed: MiB, memoryRemaining: 10 * MiB, diskUsed: 0 },
      { address: 'b:1', memoryUsed: 4 * MiB, memoryRemaining: 7 * MiB, diskUsed: 0 },
    ] }));
    assert.deepEqual(rows.map((r) => r.label), ['b:1', 'a:1']);
    assert.equal(rows[0].value, '4.0 MiB in memory · 0 B on disk · 7.0 MiB storage left');
    const ex = memoryExplanation({ 'spark.driver.memory': '1g' }, [exec({ maxMemory: 400 * MiB, memoryUsed: 300 * MiB })]);
    assert.equal(ex.role, 'driver');
    assert.equal(ex.model.unifiedBytes, 400 * MiB);
    assert.equal(ex.model.storageRegionBytes, 200 * MiB);
    const evict = ex.rows.find((r) => r.label === 'Execution may evict');
    assert.equal(evict?.value, '100 MiB of the 300 MiB cached now (the blocks above the storage region, LRU)');
    const cluster = memoryExplanation({ 'spark.executor.memory': '512m', 'spark.memory.storageFraction': '0.3' }, [exec({}), exec({ id: '1', maxMemory: 100 * MiB, memoryUsed: 50 * MiB })]);
    assert.equal(cluster.role, 'executor');
    assert.equal(cluster.model.heapBytes, 512 * MiB);
    assert.equal(cluster.model.storageFraction, 0.3);
    assert.equal(figuresText({ rddId: 1, memoryUsed: 0, diskUsed: 0, numCachedPartitions: 0, numPartitions: 2, storageLevel: 'Memory Deserialized 1x Replicated' }), '0 B in memory · 0 B on disk · 0/2 partitions · MEMORY_ONLY');
  });
});

describe('the lenses of one file', () => {
  const file = '/w/job.py';
  const text = ['a = spark.range(10)', 'a.cache()', 'b = spark.range(10)', 'b.cache()', ''].join('\n');
  const scan = scanPythonSource(text);
  const plan = (id: number) => ds({ rddId: id, name: `*(1) Range (0, 10, step=1, splits=2)`, memoryUsed: id * MiB });

  test('no application for the file: every call offers a run', () => {
    const r = fileLenses({ filePath: file, text, scan, apps: [], runs: [], now: 0 });
    assert.equal(r.appKey, undefined);
    assert.deepEqual(r.lenses.map((l) => l.state.kind), ['noApplication', 'noApplication']);
  });

  test('hook names win; two look-alike plans stay ambiguous until the user picks; a stale source is offline', () => {
    const named = { key: 'k', app: app('x'), sourceUrl: 'http://127.0.0.1:4040', detail: { cachedDatasets: [
      ds({ rddId: 7, name: 'a.cache() at /w/job.py:2', memoryUsed: 2 * MiB }), ds({ rddId: 9, name: 'b.cache() at /w/job.py:4', memoryUsed: 3 * MiB })] } };
    const r = fileLenses({ filePath: file, text, scan, apps: [{ ...named, cachedDatasets: named.detail.cachedDatasets }], runs: [], now: 0 });
    assert.deepEqual(r.lenses.map((l) => l.dataset?.rddId), [7, 9]);

    const look = { key: 'k', app: app('x'), sourceUrl: 'http://127.0.0.1:4041', detail: { cachedDatasets: [plan(3), plan(4)] } };
    const runs = [{ file, uiUrl: 'http://127.0.0.1:4041', startedAt: 0 }];
    const amb = fileLenses({ filePath: file, text, scan, apps: [look], runs, now: 0 });
    assert.deepEqual(amb.lenses.map((l) => l.state.kind), ['ambiguous', 'ambiguous']);
    const picked = fileLenses({ filePath: file, text, scan, apps: [look], runs, picks: new Map([[1, 4]]), pickedFor: 'k', now: 0 });
    assert.equal(picked.lenses[0].state.kind, 'measured');
    assert.equal(picked.lenses[0].dataset?.rddId, 4);
    assert.equal(picked.lenses[0].state.kind === 'measured' && picked.lenses[0].state.confidence, 'estimated');

    const off = fileLenses({ filePath: file, text, scan, apps: [{ ...named, cachedDatasets: named.detail.cachedDatasets, stale: true, fetchedAt: 1000 }], runs: [], now: 31_000 });
    assert.equal(off.lenses[0].state.kind, 'offline');
    assert.equal(off.lenses[0].state.kind === 'offline' && off.lenses[0].state.ageMs, 30_000);
  });
});

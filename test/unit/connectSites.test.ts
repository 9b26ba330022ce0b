/**
 * Spark Connect without the editor: the hook's job tags read back (the same encoding as the
 * Python hook writes, checked by running it), the mapping of jobs to lines and of cached
 * DataFrames to /storage/rdd entries (on the REST answers of a real 4.3.0 run and on the cases a
 * real run rarely shows), what the lens says when it cannot map, the connection strings and the
 * Run File command line for `spark.api.mode=connect`.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildSubmitCommand } from '../../src/launcher/submitCommand';
import { cacheLensText } from '../../src/model/cacheLensText';
import { scanPythonSource } from '../../src/model/cacheScanner';
import { summariseJobsByLine } from '../../src/model/callSite';
import { clientTag, isConnectJob, mapConnectCaches, parseObservatoryTag, resolveConnectSites } from '../../src/model/connectSites';
import { connectSessions, connectUiUrl, parseConnectUrl } from '../../src/model/connectServer';
import { fileLenses } from '../../src/model/fileLenses';
import type { ApplicationDetail, CachedDataset, Job, Stage } from '../../src/model/types';
import { parseCachedDatasets, parseExecutors, parseJobs, parseStages } from '../../src/sources/sparkRest';

const REPO = resolve(__dirname, '..', '..', '..');
const HOOK_DIR = join(REPO, 'src', 'launcher', 'python');
const SESSION = 'SparkConnect_SessionTag_User_alice_Session_829a0dea-e6bd-4dce-9f18-947b1a603d2a_Tag_';

/** The REST answers of a real run (see the fixture's `about`). */
const REAL = JSON.parse(readFileSync(join(REPO, 'test', 'fixtures', 'connect', 'seed-connect-4.3.0.json'), 'utf8')) as Record<string, unknown>;
const REAL_FILE = '/work/wt/connect/test/fixtures/jobs/seed_cached.py';

function realDetail(): ApplicationDetail {
  return { jobs: parseJobs(REAL.jobs), stages: parseStages(REAL.stages), cachedDatasets: parseCachedDatasets(REAL.rdd), executors: parseExecutors(REAL.executors) };
}

/** Source whose cache calls and actions sit on the lines of the real run. */
function seedText(): string {
  const lines = new Array<string>(70).fill('');
  lines[1] = 'from pyspark.sql import SparkSession';
  lines[30] = 'spark = SparkSession.builder.appName("seed-cached").getOrCreate()';
  lines[47] = 'df1 = spark.range(rows1).select(*[F.randn(seed=10 + i).alias(f"x{i}") for i in range(4)])';
  lines[48] = 'df1.cache()';
  lines[49] = 'df2 = spark.range(rows2).select(*[F.randn(seed=20 + i).alias(f"y{i}") for i in range(4)])';
  lines[50] = 'df2 = df2.cache()';
  lines[51] = 'print("rows:", df1.count(), df2.count())';
  return lines.join('\n');
}

/** The Python hook's own encoding, by running it (it imports nothing from PySpark until Connect is used). */
function pythonTags(calls: [string, ...(string | number)[]][]): string[] {
  const code = `import json, sys\nsys.path.insert(0, ${JSON.stringify(HOOK_DIR)})\nimport spark_observatory_connect as h\nprint(json.dumps([getattr(h, c[0])(*c[1:]) for c in json.loads(sys.argv[1])]))`;
  return JSON.parse(execFileSync('python3', ['-c', code, JSON.stringify(calls)]).toString()) as string[];
}

function job(jobId: number, stageIds: number[], tags: string[], p: Partial<Job> = {}): Job {
  return {
    jobId, name: 'Spark Connect - session_id: "x"', status: 'SUCCEEDED', stageIds, jobTags: [`${SESSION.replace('SessionTag', 'OperationTag')}op`, ...tags],
    numTasks: 2, numActiveTasks: 0, numCompletedTasks: 2, numSkippedTasks: 0, numFailedTasks: 0,
    numActiveStages: 0, numCompletedStages: 1, numSkippedStages: 0, numFailedStages: 0, ...p,
  };
}

function stage(stageId: number, rddIds: number[], status: Stage['status'] = 'COMPLETE'): Stage {
  return {
    stageId, attemptId: 0, name: 'Spark Connect - session_id: "x"', status, numTasks: 2, numActiveTasks: 0, numCompleteTasks: 2, numFailedTasks: 0,
    executorRunTimeMs: 10, executorCpuTimeNs: 0, jvmGcTimeMs: 0, memoryBytesSpilled: 0, diskBytesSpilled: 0, peakExecutionMemory: 0,
    inputBytes: 0, outputBytes: 0, shuffleReadBytes: 0, shuffleWriteBytes: 0, rddIds,
  };
}

function plan(rddId: number, memoryUsed = 1000): CachedDataset {
  return {
    rddId, name: `*(1) Project [randn(${rddId}) AS x#${rddId}]\n+- *(1) Range (0, 10, step=1, splits=2)\n`, numPartitions: 2, numCachedPartitions: 2,
    storageLevel: 'Disk Memory Deserialized 1x Replicated', memoryUsed, diskUsed: 0, distribution: [],
  };
}

const act = (line: number, fn = 'count', path = '/w/job.py') => `${SESSION}spark-observatory:action:${line}:${fn}:${path}`;
const cache = (line: number, seq: number, call: string, path = '/w/job.py') => `${SESSION}spark-observatory:cache:${line}:${seq}:${call}:${path}`;

describe('Connect job tags', () => {
  test('reads a tag as Spark stores it and as the client wrote it; ignores everyone else\'s', () => {
    assert.deepEqual(parseObservatoryTag(`${SESSION}spark-observatory:action:52:count:/w/seed.py`), { kind: 'action', line: 52, fn: 'count', path: '/w/seed.py' });
    assert.deepEqual(parseObservatoryTag('spark-observatory:cache:49:1:df1.cache():/w/seed.py'), { kind: 'cache', line: 49, seq: 1, callText: 'df1.cache()', path: '/w/seed.py' });
    // An empty user id (no $USER on the client) and a user id with underscores.
    assert.equal(clientTag('SparkConnect_SessionTag_User__Session_a38233a0-7cd1-4830-b036-6afd29de4de1_Tag_t'), 't');
    assert.equal(clientTag('SparkConnect_SessionTag_User_a_Tag_b_Session_a38233a0-7cd1-4830-b036-6afd29de4de1_Tag_x_Tag_y'), 'x_Tag_y');
    for (const other of ['spark-session-0aa21ef2-6c8a-4114-83cd-3a18ed586df8', 'broadcast exchange (runId 16cd83d0)', `${SESSION}mine`, 'spark-observatory:action:0:count:/w/x.py',
      'spark-observatory:action:x:count:/w/x.py', 'spark-observatory:action:3:count:', 'spark-observatory:cache:3:0:a.cache():/w/x.py', 'spark-observatory:action:3:c%ZZ:/w/x.py']) {
      assert.equal(parseObservatoryTag(other), undefined, other);
    }
  });

  test('what the Python hook encodes, the model decodes: commas, percent signs, colons, drive letters, non-ASCII', () => {
    const win = 'C:\\Users\\Zoë\\jobs, 2024\\100%\\seed.py';
    const [a, c] = pythonTags([['action_tag', 7, 'to:Pandas', win], ['cache_tag', 9, 3, 'x.persist(StorageLevel(True, False, False, False, 1))', '/w/a:b,c/job.py']]);
    assert.ok(!a.includes(',') && !c.includes(','), 'Spark refuses tags with commas');
    assert.deepEqual(parseObservatoryTag(a), { kind: 'action', line: 7, fn: 'to:Pandas', path: win });
    assert.deepEqual(parseObservatoryTag(SESSION + c), { kind: 'cache', line: 9, seq: 3, callText: 'x.persist(StorageLevel(True, False, False, False, 1))', path: '/w/a:b,c/job.py' });
  });

  test('the hook reads SO_DISABLE_CACHE_AT as a JSON list of {file, line} and in the older comma form', () => {
    const code = `import json, sys\nsys.path.insert(0, ${JSON.stringify(HOOK_DIR)})\nimport spark_observatory_connect as h\nprint(json.dumps([sorted(h.parse_disabled(s)) for s in sys.argv[1:]]))`;
    const out = JSON.parse(execFileSync('python3', ['-c', code, '[{"file": "/w/a.py", "line": 3}, {"file": "/w/b, c.py", "line": 12}]', '/w/a.py:3,/w/b.py:12', '']).toString()) as unknown;
    assert.deepEqual(out, [[['/w/a.py', 3], ['/w/b, c.py', 12]], [['/w/a.py', 3], ['/w/b.py', 12]], []]);
  });

  test('parseJobs keeps jobTags when Spark sends them, and leaves them out when it does not', () => {
    const [tagged, old] = parseJobs([{ jobId: 1, name: 'x', status: 'SUCCEEDED', stageIds: [1], jobTags: ['a', 2, 'b'] }, { jobId: 2, name: 'y', status: 'SUCCEEDED', stageIds: [] }]);
    assert.deepEqual(tagged.jobTags, ['a', 'b']);
    assert.equal('jobTags' in old, false);
    assert.equal(isConnectJob(tagged), false);
    assert.equal(isConnectJob(job(3, [], [])), true);
  });
});

describe('a real Spark Connect run of the seed job (pyspark 4.3.0, REST answers)', () => {
  test('every job and stage carries its action\'s line; the per-line sums are those of the classic hook\'s names', () => {
    const d = resolveConnectSites(realDetail());
    assert.deepEqual([...new Set([...d.jobs!].sort((a, b) => a.jobId - b.jobId).map((j) => j.name))], [`count at ${REAL_FILE}:52`, `collect at ${REAL_FILE}:59`, `show at ${REAL_FILE}:63`]);
    assert.ok(d.stages!.every((s) => /^(count|collect|show) at .*seed_cached\.py:(52|59|63)$/.test(s.name)), d.stages!.map((s) => s.name).join('\n'));
    const byLine = summariseJobsByLine(d.jobs!, d.stages!);
    assert.deepEqual(byLine.lines.map((l) => [l.line, l.jobCount, l.functions.join()]).sort((a, b) => Number(a[0]) - Number(b[0])), [[52, 6, 'count'], [59, 5, 'collect'], [63, 3, 'show']]);
    assert.equal(byLine.unplacedJobs, 0);
    assert.equal(byLine.unplacedStages, 0);
    assert.deepEqual({ connectJobs: d.connect!.connectJobs, placedJobs: d.connect!.placedJobs }, { connectJobs: 14, placedJobs: 14 });
  });

  test('each cached DataFrame gets the entry its first action computed, named as the classic hook names it', () => {
    const d = resolveConnectSites(realDetail());
    assert.deepEqual(d.connect!.caches.map((c) => [c.line, c.result, c.jobIds, c.firstUse?.line]), [
      [49, { kind: 'exact', rddId: 4 }, [0, 1, 2], 52],
      [51, { kind: 'exact', rddId: 17 }, [3, 4, 5], 52],
    ]);
    assert.deepEqual(d.cachedDatasets!.map((c) => [c.rddId, c.name, c.memoryUsed]), [
      [4, `df1.cache() at ${REAL_FILE}:49`, 641312],
      [17, `df2.cache() at ${REAL_FILE}:51`, 1840],
    ]);
    assert.equal(resolveConnectSites(d), d, 'idempotent');
  });

  test('the lenses show each dataset\'s own figures, exact, from the raw (unresolved) detail', () => {
    const text = seedText();
    const apps = [{ key: 'k', app: { id: 'local-1', name: 'seed-cached', state: 'running' as const }, sourceUrl: 'http://127.0.0.1:24051', detail: realDetail() }];
    const { lenses } = fileLenses({ filePath: '/home/me/jobs/seed_cached.py', text, scan: scanPythonSource(text), apps, runs: [], now: 0 });
    assert.deepEqual(lenses.map((l) => [l.call.line + 1, l.state.kind, l.state.kind === 'measured' ? [l.state.confidence, l.state.figures.rddId, l.state.figures.memoryUsed] : undefined]), [
      [49, 'measured', ['exact', 4, 641312]],
      [51, 'measured', ['exact', 17, 1840]],
    ]);
  });

  test('a classic application is left as it is', () => {
    const classic: ApplicationDetail = { jobs: [{ ...job(0, [0], []), jobTags: ['spark-session-1'], name: 'count at /w/a.py:3' }], stages: [stage(0, [1])] };
    assert.equal(resolveConnectSites(classic), classic);
  });
});

describe('cached DataFrames that cannot be tied to one entry', () => {
  test('two caches first used by one action: both ambiguous between the two entries, no figure until the user picks', () => {
    const jobs = [
      job(0, [0], [act(5, 'collect'), cache(2, 1, 'a.cache()'), cache(4, 2, 'b.cache()')]),
      job(1, [1], [act(5, 'collect'), cache(2, 1, 'a.cache()'), cache(4, 2, 'b.cache()')]),
    ];
    const sites = mapConnectCaches(jobs, [stage(0, [1, 2, 3]), stage(1, [7, 8, 9])], [plan(3), plan(9)]);
    assert.deepEqual(sites.map((s) => s.result.kind), ['ambiguous', 'ambiguous']);
    assert.deepEqual(sites[0].result.kind === 'ambiguous' && sites[0].result.rddIds, [3, 9]);
    assert.match(sites[0].result.kind === 'ambiguous' ? sites[0].result.reason : '', /first action \(line 5\) was also the first to use the DataFrame cached at line 4/);

    const text = ['a = spark.range(10)', 'a.cache()', 'b = spark.range(20)', 'b.cache()', 'a.crossJoin(b).collect()', ''].join('\n');
    const apps = [{ key: 'k', app: { id: 'app', name: 'x', state: 'running' as const }, detail: { jobs, stages: [stage(0, [1, 2, 3]), stage(1, [7, 8, 9])], cachedDatasets: [plan(3), plan(9)] } }];
    const { lenses } = fileLenses({ filePath: '/w/job.py', text, scan: scanPythonSource(text), apps, runs: [], now: 0 });
    assert.deepEqual(lenses.map((l) => l.state.kind), ['ambiguous', 'ambiguous']);
    assert.match(cacheLensText(lenses[0].state).tooltip, /Spark Connect: its first action/);
  });

  test('an equal plan cached again shares the first entry: said, not shown as a second figure', () => {
    const jobs = [job(0, [0], [act(3), cache(2, 1, 'a.cache()')]), job(1, [1], [act(6), cache(5, 2, 'b.cache()')])];
    const sites = mapConnectCaches(jobs, [stage(0, [1, 2]), stage(1, [2, 4])], [plan(2)]);
    assert.deepEqual(sites[0].result, { kind: 'exact', rddId: 2 });
    assert.deepEqual(sites[1].result, { kind: 'unmapped', reason: 'its first action (line 6) only read data cached for job.py:2: an equal plan shares that cached dataset' });
  });

  test('stages no longer retained, a first action still running, an entry gone', () => {
    const gone = mapConnectCaches([job(4, [9], [act(3), cache(2, 1, 'a.cache()')])], [], [plan(2)]);
    assert.match(gone[0].result.kind === 'unmapped' ? gone[0].result.reason : '', /spark\.ui\.retainedStages/);
    const running = mapConnectCaches([job(4, [9], [act(3), cache(2, 1, 'a.cache()')], { status: 'RUNNING' })], [stage(9, [1, 2], 'ACTIVE')], []);
    assert.equal(running[0].result.kind, 'pending');
    const evicted = mapConnectCaches([job(4, [9], [act(3), cache(2, 1, 'a.cache()')])], [stage(9, [1, 2])], []);
    assert.match(evicted[0].result.kind === 'unmapped' ? evicted[0].result.reason : '', /unpersisted, or evicted/);
    // A skipped stage ran nothing: its rddIds are not the action's.
    const skipped = mapConnectCaches([job(4, [8, 9], [act(3), cache(2, 1, 'a.cache()')])], [stage(8, [2], 'SKIPPED'), stage(9, [5])], [plan(2)]);
    assert.equal(skipped[0].result.kind, 'unmapped');
  });

  test('a cache call in a loop: one entry per DataFrame, the newest shown, the others listed', () => {
    const jobs = [job(0, [0], [act(3), cache(2, 1, 'd.cache()')]), job(1, [1], [act(3), cache(2, 2, 'd.cache()')])];
    const detail = resolveConnectSites({ jobs, stages: [stage(0, [5]), stage(1, [6])], cachedDatasets: [plan(5), plan(6)] });
    const text = ['for i in range(2):', '    d = spark.range(i).cache()', '    d.count()', ''].join('\n');
    const { lenses } = fileLenses({ filePath: '/w/job.py', text, scan: scanPythonSource(text), apps: [{ key: 'k', app: { id: 'a', name: 'a', state: 'running' }, detail }], runs: [], now: 0 });
    assert.equal(lenses[0].dataset?.rddId, 6);
    assert.deepEqual(lenses[0].match?.kind === 'matched' && lenses[0].match.alsoFromThisLine?.map((d) => d.rddId), [5]);
  });

  test('with the hook, a call it never saw used gets no plan-text estimate: unmapped while an entry is unaccounted for', () => {
    const jobs = [job(0, [0], [act(5, 'sql')])];
    const text = ['a = spark.range(10)', 'a.cache()', 'a.createOrReplaceTempView("v")', '', 'spark.sql("select * from v").collect()', ''].join('\n');
    const apps = [{ key: 'k', app: { id: 'app', name: 'x', state: 'running' as const }, detail: { jobs, stages: [stage(0, [3])], cachedDatasets: [plan(3)] } }];
    const [lens] = fileLenses({ filePath: '/w/job.py', text, scan: scanPythonSource(text), apps, runs: [], now: 0 }).lenses;
    assert.equal(lens.state.kind, 'unmapped');
    const t = cacheLensText(lens.state);
    assert.match(t.title, /no figure: not mapped to a cached dataset under Spark Connect/);
    assert.match(t.tooltip, /no action was seen using this DataFrame \(a use through SQL, a view or an equal plan built anew cannot be seen\), and 1 cached dataset is not tied to any line/);
    assert.equal(t.action, 'none');
    const none = fileLenses({ filePath: '/w/job.py', text, scan: scanPythonSource(text), apps: [{ ...apps[0], detail: { ...apps[0].detail, cachedDatasets: [] } }], runs: [], now: 0 });
    assert.equal(none.lenses[0].state.kind, 'notMaterialised');
  });
});

describe('where a Connect session\'s Spark UI answers', () => {
  test('connection strings, their token dropped', () => {
    assert.deepEqual(parseConnectUrl('sc://spark.example:443/;use_ssl=true;token=s3cret;user_id=alice'), { host: 'spark.example', port: 443, userId: 'alice', useSsl: true, hasToken: true });
    assert.deepEqual(parseConnectUrl('sc://127.0.0.1'), { host: '127.0.0.1', port: 15002, useSsl: false, hasToken: false });
    assert.deepEqual(parseConnectUrl('local[2]'), { local: 'local[2]', host: '127.0.0.1', port: 15002, useSsl: false, hasToken: false });
    assert.equal(JSON.stringify(parseConnectUrl('sc://h:1/;token=s3cret')).includes('s3cret'), false);
    for (const bad of ['http://h:1', 'sc://', 'sc://h:70000', 'yarn']) assert.equal(parseConnectUrl(bad), undefined, bad);
  });

  test('the UI URL: the setting, else the host dialled at the port the server reports', () => {
    const sessions = connectSessions([
      '{"event": "connect-ready", "time": 1}',
      '{"event": "connect-session", "time": 2, "sessionId": "s1", "endpoint": "localhost:15002", "appId": "local-17", "appName": "seed", "uiPort": "24051", "driverHost": "localhost", "master": "local[2]"}',
      'not json "connect-session"',
      '{"event": "connect-session", "sessionId": "s2", "uiPort": null}',
    ].join('\n'));
    assert.deepEqual(sessions, [
      { sessionId: 's1', endpoint: 'localhost:15002', appId: 'local-17', appName: 'seed', uiPort: 24051, driverHost: 'localhost', master: 'local[2]' },
      { sessionId: 's2' },
    ]);
    assert.equal(connectUiUrl(parseConnectUrl('sc://localhost')!, sessions[0]), 'http://127.0.0.1:24051');
    assert.equal(connectUiUrl(parseConnectUrl('sc://spark.example:15002')!, sessions[1]), 'http://spark.example:4040');
    assert.equal(connectUiUrl(parseConnectUrl('sc://spark.example:15002')!, sessions[0], 'https://proxy.example/spark/'), 'https://proxy.example/spark');
  });
});

describe('Run File under spark.api.mode=connect', () => {
  const base = { sparkSubmit: '/s/bin/spark-submit', file: '/w/job.py', master: 'local[2]', uiPort: 4041, eventLogDir: '/tmp/ev', hookDir: '/ext/python' };

  test('the mode goes to the Python driver, never to spark-submit, and the local server stays on loopback', () => {
    for (const c of [buildSubmitCommand({ ...base, apiMode: 'connect' }), buildSubmitCommand({ ...base, extraConf: { 'spark.api.mode': 'connect' } })]) {
      assert.equal(c.args.some((a) => a.startsWith('spark.api.mode')), false, c.args.join(' '));
      assert.ok(c.args.includes('spark.connect.grpc.binding.address=127.0.0.1'));
      assert.equal(c.env.SPARK_API_MODE, 'connect');
      assert.equal(c.env.MASTER, 'local[2]');
    }
    const classic = buildSubmitCommand(base);
    assert.equal(classic.env.SPARK_API_MODE, undefined);
    assert.equal(classic.args.some((a) => a.startsWith('spark.connect.')), false);
    const cluster = buildSubmitCommand({ ...base, master: 'spark://m:7077', apiMode: 'connect' });
    assert.equal(cluster.args.some((a) => a.startsWith('spark.connect.grpc.binding.address')), false);
  });
});

/**
 * The history of Run File runs: records survive a round trip through the file (the last line of
 * each run wins, torn lines are skipped), it is bounded by count and age, "the previous run of
 * this file" is the right one, an application finds the run that started it, and nothing secret
 * is recorded. The registry (store.runs) and the history file on a temp folder too.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/model/settings';
import {
  appIdFromSparkLog,
  historyLine,
  HISTORY_MAX_RUNS,
  keptHistory,
  newRunId,
  parseHistory,
  previousRunPair,
  recordedArgs,
  runForApplication,
  RunHistoryRecord,
  submittedConfs,
} from '../../src/model/runHistory';
import { RunRegistry } from '../../src/store/runs';
import { RunHistoryFile } from '../../src/store/runHistoryFile';
import { applicationsForFile } from '../../src/model/appForFile';
import type { Application } from '../../src/model/types';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 30, 8, 0, 0);

function rec(id: string, over: Partial<RunHistoryRecord> = {}): RunHistoryRecord {
  return { id, file: '/w/job.py', args: [], confs: [], master: 'local[2]', uiUrl: 'http://127.0.0.1:4041', startedAt: T0, commandLine: 'spark-submit …', ...over };
}

describe('history records', () => {
  test('round trip: every field comes back, the last line of a run wins, torn lines are skipped', () => {
    const start = rec('a', { args: ['10'], confs: [['spark.ui.port', '4041']], eventsFile: '/s/runs/job-1.jsonl', eventLogDir: 'file:///s/eventlog' });
    const ended = { ...start, appId: 'local-1796028377438', boundUiUrl: 'http://127.0.0.1:4042', endedAt: T0 + 40_000, exitCode: 0 };
    const other = rec('b', { startedAt: T0 - 1000, exitCode: null, endedAt: T0 });
    const text = [historyLine(start), '{"id":"c","file":', 'not json', historyLine(other), historyLine(ended), '{"id":"d"}', ''].join('\n');
    const got = parseHistory(text);
    assert.deepEqual(got.map((r) => r.id), ['b', 'a']);
    assert.deepEqual(got[1], ended);
    assert.equal(got[0].exitCode, null, 'a run ended by a signal keeps its null exit code');
  });

  test('kept: none older than the retention period, at most the newest HISTORY_MAX_RUNS', () => {
    const old = rec('old', { startedAt: T0 - 15 * DAY });
    const recent = Array.from({ length: HISTORY_MAX_RUNS + 5 }, (_, i) => rec(`r${i}`, { startedAt: T0 - i * 1000 }));
    const kept = keptHistory([old, ...recent], T0, 14);
    assert.equal(kept.length, HISTORY_MAX_RUNS);
    assert.ok(!kept.some((r) => r.id === 'old'));
    assert.equal(kept[kept.length - 1].id, 'r0', 'newest last');
    assert.ok(!kept.some((r) => r.id === `r${HISTORY_MAX_RUNS + 4}`), 'the oldest go first');
    // The setting itself: parsed and clamped with every other (model/settings.ts).
    const days = (v: unknown) => parseConfig((k) => (k === 'run.retentionDays' ? v : undefined)).run.retentionDays;
    assert.deepEqual([days(undefined), days(0), days(99999), days(7.9)], [14, 1, 3650, 8], 'whole days (rounded, as every integer setting), in range');
  });

  test('run ids are unique per start and readable', () => {
    assert.equal(newRunId(T0, 0), `${T0.toString(36)}-000000`);
    assert.notEqual(newRunId(T0, 0.1), newRunId(T0, 0.2));
  });

  test('confs and arguments are recorded as Spark would show them: secrets redacted', () => {
    const confs = submittedConfs(['--master', 'local', '--conf', 'spark.ui.port=4041', '--conf', 'spark.hadoop.fs.s3a.secret.key=abc', '--conf', 'spark.x.url=https://u:pw@h/p', 'job.py', '--conf']);
    assert.deepEqual(confs, [['spark.ui.port', '4041'], ['spark.hadoop.fs.s3a.secret.key', '*********(redacted)'], ['spark.x.url', 'https://***@h/p']]);
    const own = submittedConfs(['--conf', 'spark.redaction.regex=(?i)mykey', '--conf', 'spark.mykey.a=1']);
    assert.deepEqual(own[1], ['spark.mykey.a', '*********(redacted)']);
    assert.deepEqual(recordedArgs(['--db', 'postgres://me:hunter2@db/x', '10']), ['--db', 'postgres://***@db/x', '10']);
  });

  test('the application id from the event log Spark says it writes (4.x rolling, 3.5 single file)', () => {
    assert.equal(appIdFromSparkLog('26/11/30 08:46:19 INFO RollingEventLogFilesWriter: Logging events to file:/tmp/ev/eventlog_v2_local-1796028377438/events_1_local-1796028377438.zstd'), 'local-1796028377438');
    assert.equal(appIdFromSparkLog('25/01/01 INFO SingleEventLogFileWriter: Logging events to file:/tmp/ev/local-1795244664700.inprogress'), 'local-1795244664700');
    assert.equal(appIdFromSparkLog('INFO SingleEventLogFileWriter: Logging events to hdfs://nn/logs/app-20261121070837-0000.lz4.inprogress'), 'app-20261121070837-0000');
    assert.equal(appIdFromSparkLog('INFO SparkContext: Submitted application: seed'), undefined);
  });
});

describe('the previous run of a file', () => {
  const runs = [
    rec('1', { startedAt: T0, appId: 'local-1' }),
    rec('2', { startedAt: T0 + 1000, appId: 'local-2', file: '/w/other.py' }),
    rec('3', { startedAt: T0 + 2000 }), // never got an application (failed early)
    rec('4', { startedAt: T0 + 3000, appId: 'local-4' }),
    rec('5', { startedAt: T0 + 4000, appId: 'local-5' }),
  ];

  test('the newest run and the one before it, of the same file, both with their application', () => {
    const p = previousRunPair(runs, '/w/job.py');
    assert.deepEqual([p?.previous.id, p?.current.id], ['4', '5']);
  });

  test('of a given application: that run and the one before it', () => {
    const p = previousRunPair(runs, '/w/job.py', 'local-4');
    assert.deepEqual([p?.previous.id, p?.current.id], ['1', '4']);
  });

  test('none for the first run, an unknown application, or a file run once', () => {
    assert.equal(previousRunPair(runs, '/w/job.py', 'local-1'), undefined);
    assert.equal(previousRunPair(runs, '/w/job.py', 'local-404'), undefined);
    assert.equal(previousRunPair(runs, '/w/other.py'), undefined);
  });
});

describe('the run that started an application', () => {
  test('by its application id; else a run still going on the same UI port that started before it', () => {
    const runs = [rec('a', { appId: 'local-1', uiUrl: 'http://127.0.0.1:4041', endedAt: T0 + 9000 }), rec('b', { startedAt: T0 + 10_000, uiUrl: 'http://127.0.0.1:4041' })];
    assert.equal(runForApplication(runs, { id: 'local-1' })?.id, 'a');
    assert.equal(runForApplication(runs, { id: 'local-2', sourceUrl: 'http://localhost:4041', startTime: T0 + 12_000 })?.id, 'b');
    // Started long before the run: another application on that port.
    assert.equal(runForApplication(runs, { id: 'local-3', sourceUrl: 'http://127.0.0.1:4041', startTime: T0 }), undefined);
    assert.equal(runForApplication(runs, { id: 'local-2', sourceUrl: 'http://127.0.0.1:4050', startTime: T0 + 12_000 }), undefined);
  });

  test('an ended run never matches by port: a later application may use it', () => {
    const runs = [rec('a', { uiUrl: 'http://127.0.0.1:4041', endedAt: T0 + 5000 })];
    assert.equal(runForApplication(runs, { id: 'x', sourceUrl: 'http://127.0.0.1:4041', startTime: T0 + 60_000 }), undefined);
  });
});

describe('the registry of runs (store.runs)', () => {
  test('runs of this window are ours and stoppable while running; history is not', () => {
    const reg = new RunRegistry(() => 0.5);
    const ours = reg.add({ file: '/w/job.py', args: [], confs: [], master: 'local', uiUrl: 'http://127.0.0.1:4041', startedAt: T0, commandLine: 'x', pid: 123 });
    reg.merge([rec('old', { startedAt: T0 - DAY, appId: 'local-0', endedAt: T0 - DAY + 1 })]);
    assert.deepEqual(reg.all().map((r) => r.id), ['old', ours.id]);
    assert.deepEqual(reg.running().map((r) => r.id), [ours.id]);
    assert.equal(reg.runningForApplication({ id: 'local-9', sourceUrl: 'http://127.0.0.1:4041', startTime: T0 + 100 })?.id, ours.id);
    assert.equal(reg.runningForApplication({ id: 'local-0' }), undefined, 'an old run is not stoppable from here');
    reg.update(ours, { appId: 'local-9' });
    assert.equal(reg.runningForApplication({ id: 'local-9' })?.id, ours.id);
    reg.update(ours, { exitCode: 0, endedAt: T0 + 1000 });
    assert.deepEqual(reg.running(), []);
    assert.equal(reg.runningForApplication({ id: 'local-9' }), undefined);
  });

  test('each change goes to the sink; the same value twice does not', () => {
    const reg = new RunRegistry();
    const lines: string[] = [];
    reg.persistTo({ append: (r) => lines.push(historyLine(r)) });
    const r = reg.add({ file: '/w/job.py', args: [], confs: [], master: 'local', uiUrl: 'http://127.0.0.1:4041', startedAt: T0, commandLine: 'x' });
    reg.update(r, { appId: 'local-1' });
    reg.update(r, { appId: 'local-1' });
    reg.update(r, { exitCode: 0, endedAt: T0 + 5 });
    assert.equal(lines.length, 3);
    const { pid: _pid, ...recorded } = r;
    assert.deepEqual(parseHistory(lines.join('\n'))[0], { ...recorded, boundUiUrl: undefined, eventsFile: undefined, eventLogDir: undefined, appId: 'local-1', exitCode: 0, endedAt: T0 + 5 });
  });

  test('lenses learn the file of a finished run from its application id, of a running one from its port', () => {
    const reg = new RunRegistry();
    const running = reg.add({ file: '/w/a.py', args: [], confs: [], master: 'local', uiUrl: 'http://127.0.0.1:4041', startedAt: T0, commandLine: 'x' });
    reg.merge([rec('old', { file: '/w/b.py', appId: 'local-7', uiUrl: 'http://127.0.0.1:4041', endedAt: T0 - 1 })]);
    const facts = reg.facts();
    assert.deepEqual(facts.find((f) => f.file === '/w/b.py'), { file: '/w/b.py', startedAt: T0, appId: 'local-7', uiUrl: undefined });
    assert.equal(facts.find((f) => f.file === '/w/a.py')?.uiUrl, running.uiUrl);
    const app = (id: string, startTime: number): Application => ({ id, name: id, state: 'completed', startTime }) as Application;
    assert.deepEqual(applicationsForFile('/w/b.py', [{ key: 'h|local-7', app: app('local-7', T0 - 5), sourceUrl: 'http://127.0.0.1:18080' }], facts), [{ key: 'h|local-7', evidence: 'run' }]);
  });

  test('holds the newest runs only, never dropping one of this window that still runs', () => {
    const reg = new RunRegistry();
    const first = reg.add({ file: '/w/a.py', args: [], confs: [], master: 'local', uiUrl: 'u', startedAt: T0 - DAY, commandLine: 'x' });
    reg.merge(Array.from({ length: HISTORY_MAX_RUNS + 10 }, (_, i) => rec(`h${i}`, { startedAt: T0 + i, endedAt: T0 + i })));
    assert.equal(reg.all().length, HISTORY_MAX_RUNS);
    assert.ok(reg.all().includes(first));
    assert.ok(!reg.all().some((r) => r.id === 'h0'));
  });
});

describe('the history file', () => {
  test('appends, reads back, and compacts to what is kept', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'so-history-'));
    try {
      const file = new RunHistoryFile(join(dir, 'sub', 'run-history.jsonl'));
      assert.deepEqual(await file.read(), [], 'no file yet');
      const a = rec('a', { startedAt: T0 - 20 * DAY });
      const b = rec('b', { startedAt: T0 });
      file.append(a);
      file.append(b);
      file.append({ ...b, appId: 'local-2' });
      assert.deepEqual((await file.read()).map((r) => [r.id, r.appId]), [['a', undefined], ['b', 'local-2']]);
      const kept = await file.compact(T0, 14);
      assert.deepEqual(kept.map((r) => r.id), ['b']);
      assert.equal(readFileSync(file.file, 'utf8').trim().split('\n').length, 1, 'rewritten');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a write that fails is a warning, never an exception', () => {
    const dir = mkdtempSync(join(tmpdir(), 'so-history-'));
    try {
      writeFileSync(join(dir, 'blocker'), '');
      const warnings: string[] = [];
      new RunHistoryFile(join(dir, 'blocker', 'run-history.jsonl'), (m) => warnings.push(m)).append(rec('a'));
      assert.equal(warnings.length, 1);
      assert.match(warnings[0], /could not record run a/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

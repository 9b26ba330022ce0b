/**
 * Retention of the files Run File with Observability keeps in the extension's storage: which
 * ones are past sparkObservatory.run.retentionDays (model/retention.ts), and the pass that
 * deletes them from the two folders (features/runFile/retention.ts), on a real folder.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expiredEntries, isStoredFile, RETENTION_DAYS, retentionDays } from '../../src/model/retention';
import { pruneRunStorage } from '../../src/features/runFile/retention';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 30, 12);
const aged = (name: string, days: number) => ({ name, mtimeMs: NOW - days * DAY });

describe('which run files are past retention', () => {
  test('Spark event logs in every form Spark writes them, and the hook\'s event files', () => {
    for (const name of [
      'local-1796025143861',
      'local-1796025143861.inprogress',
      'app-20261130074109-0003.zstd',
      'app-20261130074109-0003.lz4.inprogress',
      'application_1700000000000_0042_1',
      'spark-6f1c2a9e0b3d4c5e',
      'eventlog_v2_app-20261130072913-0000',
      'eventlog_v2_local-1796026459645',
    ]) assert.equal(isStoredFile('eventLog', name), true, name);
    assert.equal(isStoredFile('hookEvents', 'seed_cached-1796026440403.jsonl'), true);
    for (const name of ['notes.txt', 'app-1', 'eventlog_v2_', '.DS_Store', 'local-1796025143861.bak']) assert.equal(isStoredFile('eventLog', name), false, name);
    assert.equal(isStoredFile('hookEvents', 'seed_cached.jsonl'), false);
    assert.equal(isStoredFile('hookEvents', 'local-1796025143861'), false);
  });

  test('older than the retention period: deleted; younger, or not a file Run File writes: kept', () => {
    const entries = [
      aged('local-1', 0), // not an application id Spark writes: never touched
      aged('local-1796000000000', 15),
      aged('local-1796000000001.inprogress', 30), // a job killed hard left it behind
      aged('app-20261116120000-0001', 14.01),
      aged('app-20261116120000-0002', 13.99),
      aged('eventlog_v2_local-1796000000002', 2),
      aged('notes.txt', 400),
    ];
    assert.deepEqual(expiredEntries('eventLog', entries, NOW, 14), ['app-20261116120000-0001', 'local-1796000000000', 'local-1796000000001.inprogress']);
    assert.deepEqual(expiredEntries('eventLog', entries, NOW, 30), []);
    const hook = [aged('seed_cached-1796026440403.jsonl', 20), aged('spill-1796026683142.jsonl', 1)];
    assert.deepEqual(expiredEntries('hookEvents', hook, NOW, 14), ['seed_cached-1796026440403.jsonl']);
  });

  test('a clock behind a file\'s time deletes nothing', () => {
    assert.deepEqual(expiredEntries('eventLog', [{ name: 'local-1796000000000', mtimeMs: NOW + DAY }], NOW, 1), []);
  });

  test('the setting as package.json declares it has the same default and range', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8'));
    const setting = pkg.contributes.configuration.properties['sparkObservatory.run.retentionDays'];
    assert.deepEqual({ default: setting.default, min: setting.minimum, max: setting.maximum }, { ...RETENTION_DAYS });
  });

  test('the setting: whole days within its range, the default for anything else', () => {
    assert.equal(retentionDays(14), 14);
    assert.equal(retentionDays(7.9), 7);
    assert.equal(retentionDays(0), RETENTION_DAYS.min);
    assert.equal(retentionDays(-3), RETENTION_DAYS.min);
    assert.equal(retentionDays(1e9), RETENTION_DAYS.max);
    assert.equal(retentionDays('30'), RETENTION_DAYS.default);
    assert.equal(retentionDays(undefined), RETENTION_DAYS.default);
    assert.equal(retentionDays(Number.NaN), RETENTION_DAYS.default);
  });
});

describe('pruning the extension\'s run storage', () => {
  const setAge = (file: string, days: number) => utimesSync(file, new Date(NOW - days * DAY), new Date(NOW - days * DAY));

  test('deletes old event logs (files and rolling-log folders) and hook files, keeps the rest', async () => {
    const root = mkdtempSync(join(tmpdir(), 'so-retention-'));
    try {
      const logs = join(root, 'eventlog');
      const runs = join(root, 'runs');
      mkdirSync(logs);
      mkdirSync(runs);
      const file = (dir: string, name: string, days: number) => {
        writeFileSync(join(dir, name), 'x');
        setAge(join(dir, name), days);
      };
      file(logs, 'local-1796000000000', 20);
      file(logs, 'local-1796000000003.inprogress', 1);
      file(logs, 'readme.txt', 100);
      // A rolling log whose folder is old but whose events file is still written to: it stays.
      const live = join(logs, 'eventlog_v2_app-20261101000000-0001');
      mkdirSync(live);
      file(live, 'events_1_app-20261101000000-0001.zstd', 0);
      setAge(live, 29);
      const done = join(logs, 'eventlog_v2_app-20261001000000-0002');
      mkdirSync(done);
      file(done, 'events_1_app-20261001000000-0002.zstd', 60);
      file(done, 'appstatus_app-20261001000000-0002', 60);
      setAge(done, 60);
      file(runs, 'seed_cached-1796000000000.jsonl', 15);
      file(runs, 'spill-1796026683142.jsonl', 2);

      const deleted = await pruneRunStorage({ eventLogDir: logs, runsDir: runs }, NOW, 14);
      assert.deepEqual(deleted.map((d) => d.slice(root.length + 1)).sort(), [
        'eventlog/eventlog_v2_app-20261001000000-0002',
        'eventlog/local-1796000000000',
        'runs/seed_cached-1796000000000.jsonl',
      ]);
      assert.deepEqual(readdirSync(logs).sort(), ['eventlog_v2_app-20261101000000-0001', 'local-1796000000003.inprogress', 'readme.txt']);
      assert.deepEqual(readdirSync(runs), ['spill-1796026683142.jsonl']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('without an event-log folder of its own (the user configured one), only hook files go', async () => {
    const root = mkdtempSync(join(tmpdir(), 'so-retention-'));
    try {
      writeFileSync(join(root, 'seed-1796000000000.jsonl'), 'x');
      setAge(join(root, 'seed-1796000000000.jsonl'), 30);
      assert.deepEqual(await pruneRunStorage({ runsDir: root }, NOW, 14), [join(root, 'seed-1796000000000.jsonl')]);
      // Missing folders (nothing ran yet) are not an error.
      assert.deepEqual(await pruneRunStorage({ eventLogDir: join(root, 'none'), runsDir: join(root, 'none-either') }, NOW, 14), []);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

/**
 * Compare Runs inside a real VS Code: the command, given two real finished seed runs (listed by
 * the environment's History Server, from the suite's settings), opens the comparison panel under
 * the strict CSP and gives it one row per metric whose figures are the REST API's; from the tree,
 * two selected application nodes do the same; the export writes the table.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import * as vscode from 'vscode';
import type { SparkObservatoryApi } from '../../../src/extension';
import { getJson as json, waitFor } from '../../integration/env';
import type { ComparePanel } from '../../../src/features/compare/comparePanel';
import type { AppEntry } from '../../../src/store/store';

const EXTENSION_ID = 'spark-observatory.spark-observatory';
const REPO = path.resolve(__dirname, '..', '..', '..', '..');

const EXPECTED_ROWS = [
  'Wall time', 'Job time', 'Executor run time', 'CPU time', 'GC time', 'Input', 'Output', 'Shuffle read', 'Shuffle write',
  'Memory spill', 'Disk spill', 'Peak JVM heap', 'Peak storage memory', 'Cached bytes', 'Tasks', 'Failed tasks',
];


/** Waits, polling each second, until `fn` gives a value (the shared waitFor, in this suite's words). */
const until = <T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 180_000): Promise<T> =>
  waitFor(async () => fn(), { what, timeoutMs, intervalMs: 1000 });

describe('compare runs in the extension host', function () {
  this.timeout(600_000);
  let api: SparkObservatoryApi;
  let plain: AppEntry;
  let cached: AppEntry;

  const finished = (name: string) =>
    api.store.applications().find((e) => e.app.name === name && e.via === 'history' && e.app.state === 'completed');

  before(async () => {
    const ext = vscode.extensions.getExtension<SparkObservatoryApi>(EXTENSION_ID);
    assert.ok(ext);
    api = await ext.activate();
    await until('the History Server source', async () => {
      await api.store.refresh();
      return api.store.allSources().find((s) => s.kind === 'history' && s.status === 'ok');
    }, 60_000);
    // Two finished seed runs: the History Server's, else run them now (one at a time).
    for (const [file, name] of [['seed_plain.py', 'seed-plain'], ['seed_cached.py', 'seed-cached']] as const) {
      if (finished(name)) continue;
      const r = spawnSync('bash', [path.join(REPO, 'scripts', 'run-job.sh'), path.join(REPO, 'test', 'fixtures', 'jobs', file), '400000', '24'], { encoding: 'utf8', timeout: 400_000 });
      assert.equal(r.status, 0, `${file}: ${r.stderr?.slice(-2000)}`);
    }
    plain = await until('a finished seed-plain run', async () => (await api.store.refresh(), finished('seed-plain')));
    cached = await until('a finished seed-cached run', async () => (await api.store.refresh(), finished('seed-cached')));
  });

  it('opens the panel with one row per metric, the REST API\'s figures, under the strict CSP', async () => {
    const p = await vscode.commands.executeCommand<ComparePanel>('sparkObservatory.compareRuns', plain.key, cached.key);
    assert.ok(p?.panel, 'the command returns the panel');
    try {
      await p.loaded;
      const d = p.lastData;
      assert.ok(d, 'the panel was given data');
      assert.equal(p.panel.viewType, 'sparkObservatory.compare');
      assert.equal(p.panel.title, 'Compare: seed-plain ↔ seed-cached');
      assert.deepEqual(d.rows.map((r) => r.label), EXPECTED_ROWS);
      assert.equal(d.a.appId, plain.app.id);
      assert.equal(d.b.appId, cached.app.id);
      assert.equal(d.a.servedBy, 'History Server');

      // The figures are the History Server's.
      const base = api.store.source(plain.sourceId)!.config.url;
      for (const [side, e] of [['a', plain], ['b', cached]] as const) {
        const stages = await json<{ numCompleteTasks: number; jvmGcTime: number }[]>(`${base}/api/v1/applications/${e.app.id}/stages?details=false`);
        const rdds = await json<{ memoryUsed: number; diskUsed: number }[]>(`${base}/api/v1/applications/${e.app.id}/storage/rdd`);
        const app = await json<{ attempts: { duration: number }[] }>(`${base}/api/v1/applications/${e.app.id}`);
        const row = (m: string): number | undefined => d.rows.find((r) => r.metric === m)![side];
        assert.equal(row('wallTimeMs'), app.attempts[0].duration);
        assert.equal(row('tasks'), stages.reduce((t, s) => t + s.numCompleteTasks, 0));
        assert.equal(row('gcTimeMs'), stages.reduce((t, s) => t + s.jvmGcTime, 0));
        // The History Server's storage list is empty unless block updates were logged: then "–", not 0.
        assert.equal(row('cachedBytes'), rdds.length > 0 ? rdds.reduce((t, r) => t + r.memoryUsed + r.diskUsed, 0) : undefined);
      }
      const wall = d.rows[0];
      assert.equal(wall.rip, (wall.a! - wall.b!) / wall.a!);
      // Stages by call site: both runs' stages are listed (matched where the call sites agree).
      assert.ok(d.stages.some((s) => s.a) && d.stages.some((s) => s.b), 'stages of both runs');

      const w = p.panel.webview;
      assert.equal(w.options.enableScripts, true);
      assert.equal(w.options.enableCommandUris, false);
      const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(w.html)?.[1] ?? '';
      const nonce = /script-src 'nonce-([A-Za-z0-9]+)'/.exec(csp)?.[1];
      assert.equal(csp, `default-src 'none'; style-src ${w.cspSource}; font-src ${w.cspSource}; img-src ${w.cspSource} data:; script-src 'nonce-${nonce}'`);
      assert.doesNotMatch(w.html, /unsafe-|\sstyle\s*=/i);

      const md = p.exportText('markdown')!;
      assert.match(md, /^\| Metric \| A: seed\\-plain/);
      assert.equal(md.split('\n').filter((l) => l.startsWith('| ')).length >= 17, true);
      // The header, one line per metric, and the closing CRLF.
      assert.equal(p.exportText('csv')!.split('\r\n').length, d.rows.length + 2);
      console.log(`    ${md.split('\n').slice(0, 4).join('\n    ')}`);
    } finally {
      p.panel.dispose();
    }
  });

  it('an export that cannot be written says so in the panel; one that can writes the table', async () => {
    const p = await vscode.commands.executeCommand<ComparePanel>('sparkObservatory.compareRuns', plain.key, cached.key);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'so-export-'));
    try {
      await p.loaded;
      assert.ok(p.result, 'the comparison loaded: there is a table to export');
      // A folder that is a file: the write fails whoever runs the tests (root included).
      const notAFolder = path.join(dir, 'not-a-folder');
      fs.writeFileSync(notAFolder, '');
      await p.export('csv', 'file', vscode.Uri.file(path.join(notAFolder, 'table.csv')));
      assert.equal(p.lastExportStatus?.kind, 'error');
      assert.match(p.lastExportStatus.text, /^Could not save the table as CSV to table\.csv: \S/);
      const ok = vscode.Uri.file(path.join(dir, 'table.md'));
      await p.export('markdown', 'file', ok);
      assert.deepEqual(p.lastExportStatus, { kind: 'info', text: 'Saved the table as Markdown to table.md.' });
      assert.equal(fs.readFileSync(ok.fsPath, 'utf8'), p.exportText('markdown'));
    } finally {
      p.panel.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('compares the two applications selected in the tree', async () => {
    const groups = api.tree.getChildren();
    const apps = groups.flatMap((g) => api.tree.getChildren(g)).filter((n) => 'entry' in n) as unknown as { entry: AppEntry }[];
    const a = apps.find((n) => n.entry.key === cached.key);
    const b = apps.find((n) => n.entry.key === plain.key);
    assert.ok(a && b, 'both runs are application nodes of the tree');
    // What VS Code passes for a multi-selection: the clicked node, then every selected node.
    const p = await vscode.commands.executeCommand<ComparePanel>('sparkObservatory.compareRuns', a, [a, b]);
    try {
      await p.loaded;
      assert.equal(p.lastData?.a.appId, cached.app.id);
      assert.equal(p.lastData?.b.appId, plain.app.id);
      assert.equal(p.lastData?.rows.length, 16);
    } finally {
      p.panel.dispose();
    }
  });

  it('compares groups of runs: every finished seed-plain run against every seed-cached one, medians with their ranges', async () => {
    const all = (name: string) => api.store.applications().filter((e) => e.app.name === name && e.via === 'history' && e.app.state === 'completed').map((e) => e.key);
    const [as, bs] = [all('seed-plain'), all('seed-cached')];
    const p = await vscode.commands.executeCommand<ComparePanel>('sparkObservatory.compareRuns', as, bs);
    try {
      await p.loaded;
      assert.deepEqual([p.lastData?.a.runs, p.lastData?.b.runs], [as.length, bs.length]);
      const wall = p.lastData!.rows.find((r) => r.metric === 'wallTimeMs')!;
      assert.equal(wall.aSpread?.n, as.length);
      assert.ok(wall.aSpread!.min <= wall.a! && wall.a! <= wall.aSpread!.max);
      const md = p.exportText('markdown')!;
      assert.match(md, /\| Metric \| .* \| .* \| RIP \|/, 'the RIP table');
      console.log(`    ${as.length} vs ${bs.length} runs:\n${md.split('\n').slice(0, 4).join('\n')}`);
    } finally {
      p.panel.dispose();
    }
  });
});

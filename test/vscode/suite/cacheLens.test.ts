/**
 * The cache lenses and "Run File with Observability" inside a real VS Code: the command runs the
 * cached seed job with spark-submit (found on PATH, as in an activated virtualenv),
 * its application appears in the store, and the lenses over seed_cached.py carry the REST API's
 * figures for the right datasets.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SparkObservatoryApi } from '../../../src/extension';
import { alive, getJson as json, waitFor } from '../../integration/env';
import type { RunRecord } from '../../../src/store/runs';
import { formatBytes } from '../../../src/model/format';

const EXTENSION_ID = 'spark-observatory.spark-observatory';
// out/test/vscode/suite → repo root.
const REPO = path.resolve(__dirname, '..', '..', '..', '..');
const SEED = path.join(REPO, 'test', 'fixtures', 'jobs', 'seed_cached.py');
const CACHE = process.env.SPARK_OBSERVATORY_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'spark-observatory');
const PYTHON = path.join(CACHE, 'pyspark-4.3.0', 'bin', 'python');

/** 1-based line of the one line of a fixture containing `needle` (the fixtures change; their lines are looked up). */
function lineOf(file: string, needle: string): number {
  const hits = fs.readFileSync(file, 'utf8').split('\n').flatMap((l, i) => (l.includes(needle) ? [i + 1] : []));
  assert.equal(hits.length, 1, `one line of ${file} containing ${needle}`);
  return hits[0];
}
const L1 = lineOf(SEED, 'df1.cache()');
const L2 = lineOf(SEED, 'df2 = df2.cache()');
const SESSION = lineOf(SEED, 'SparkSession.builder');

interface RawRdd {
  id: number;
  name: string;
  memoryUsed: number;
  diskUsed: number;
}


/** Waits, polling each second, until `fn` gives a value (the shared waitFor, in this suite's words). */
const until = <T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 240_000): Promise<T> =>
  waitFor(async () => fn(), { what, timeoutMs, intervalMs: 1000 });

describe('cache lenses over a job started by Run File with Observability', function () {
  this.timeout(420_000);
  let api: SparkObservatoryApi;
  let run: RunRecord | undefined;
  let uiUrl: string;
  let appId: string;

  before(async () => {
    assert.ok(fs.existsSync(PYTHON), `no pyspark 4.3.0 virtualenv at ${PYTHON} (scripts/provision.sh)`);
    const ext = vscode.extensions.getExtension<SparkObservatoryApi>(EXTENSION_ID);
    assert.ok(ext);
    api = await ext.activate();
    // As with an activated virtualenv: spark-submit and python3 come first on PATH (the terminal
    // of the run inherits the extension host's environment).
    process.env.PATH = `${path.dirname(PYTHON)}${path.delimiter}${process.env.PATH ?? ''}`;
    await vscode.workspace.getConfiguration('sparkObservatory.run').update('master', 'local[2]', vscode.ConfigurationTarget.Global);
  });

  after(async () => {
    for (const t of vscode.window.terminals.filter((x) => x.name === 'Spark: seed_cached.py')) t.dispose();
    if (run?.pid) await until('the run to end', () => (alive(run!.pid!) ? undefined : true), 60_000);
    await vscode.workspace.getConfiguration('sparkObservatory.run').update('master', undefined, vscode.ConfigurationTarget.Global);
  });

  it('runFile starts a real job whose application appears in the store', async () => {
    run = await vscode.commands.executeCommand<RunRecord>('sparkObservatory.runFile', vscode.Uri.file(SEED), {
      args: ['400000', '24'],
      env: { HOLD_SECONDS: '150' },
      preserveFocus: true,
    });
    assert.ok(run, 'runFile returned no run record');
    assert.equal(run.file, SEED);
    assert.match(run.commandLine, /so_run\.py/);
    assert.ok(vscode.window.terminals.some((t) => t.name === 'Spark: seed_cached.py'), 'a terminal shows the run');
    uiUrl = await until('the driver UI port in the output', () => run!.boundUiUrl);
    const port = new URL(uiUrl).port;
    let tries = 0;
    const entry = await until('the application in the store', () => {
      const found = api.store.applications().find((e) => api.store.source(e.sourceId)?.config.url.endsWith(`:${port}`) && e.app.state === 'running');
      if (!found && ++tries % 15 === 0) {
        console.log(`    still waiting for :${port}; sources: ${api.store.allSources().map((s) => `${s.config.url} ${s.kind} ${s.status} ${s.apps.length} apps`).join(' | ')}`);
      }
      return found;
    });
    appId = entry.app.id;
    assert.equal(entry.app.name, 'seed-cached');
    assert.equal(entry.via, 'driver');
    console.log(`    run: ${run.commandLine.slice(0, 160)}… → ${appId} at ${uiUrl}`);
  });

  it('lenses over seed_cached.py carry each dataset\'s own /storage/rdd memory', async () => {
    const doc = await vscode.workspace.openTextDocument(SEED);
    await vscode.window.showTextDocument(doc, { preview: false });
    interface Seen {
      got: vscode.CodeLens[];
      df1: RawRdd;
      df2: RawRdd;
    }
    // Compared with Spark's answer as it is at each try: caught while a partition is still being
    // cached, a figure would change under the test (seen once in a clean-clone run).
    const { got: lenses, df1, df2 } = await until<Seen>('lenses with the measured figures', async () => {
      const rdds = await json<(RawRdd & { numCachedPartitions: number; numPartitions: number })[]>(`${uiUrl}/api/v1/applications/${appId}/storage/rdd`);
      if (rdds.length !== 2 || !rdds.every((r) => r.memoryUsed > 0 && r.numCachedPartitions === r.numPartitions)) return undefined;
      const d1 = rdds.find((r) => r.name === `df1.cache() at ${SEED}:${L1}`);
      const d2 = rdds.find((r) => r.name === `df2.cache() at ${SEED}:${L2}`);
      assert.ok(d1 && d2, `hook names: ${rdds.map((r) => r.name).join(' | ')}`);
      await api.store.refresh();
      const got = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri, 10);
      const title = (line: number) => got.find((l) => l.range.start.line === line - 1 && l.command?.title.startsWith('⛁'))?.command?.title;
      const ok = title(L1)?.startsWith(`⛁ ${formatBytes(d1.memoryUsed)} in memory · 0 B on disk`) && title(L2)?.startsWith(`⛁ ${formatBytes(d2.memoryUsed)} in memory · 0 B on disk`);
      return ok ? { got, df1: d1, df2: d2 } : undefined;
    }, 240_000);
    const byLine = (line: number) => lenses.find((l) => l.range.start.line === line - 1 && l.command?.title.startsWith('⛁'))!;
    console.log(`    line ${L1}: ${byLine(L1).command!.title}   (REST rdd ${df1.id} memoryUsed ${df1.memoryUsed})`);
    console.log(`    line ${L2}: ${byLine(L2).command!.title}   (REST rdd ${df2.id} memoryUsed ${df2.memoryUsed})`);
    assert.match(byLine(L1).command!.title, /(\d+)\/\1 partitions/);
    assert.match(byLine(L1).command!.title, /MEMORY_AND_DISK$/);
    // Never swapped: each click reveals its own rdd.
    assert.deepEqual(byLine(L1).command!.arguments?.[1], df1.id);
    assert.deepEqual(byLine(L2).command!.arguments?.[1], df2.id);
    // The session lens offers a run; there is no lens on lines without a cache call.
    assert.ok(lenses.some((l) => l.range.start.line === SESSION - 1 && l.command?.command === 'sparkObservatory.runFile'));
    assert.equal(lenses.filter((l) => l.command?.title.startsWith('⛁')).length, 2);
  });

  it('the hover shows the distribution and the memory model, as untrusted Markdown', async () => {
    const doc = await vscode.workspace.openTextDocument(SEED);
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(L1 - 1, doc.lineAt(L1 - 1).text.indexOf('cache') + 1));
    const md = hovers.flatMap((h) => h.contents).map((c) => (typeof c === 'string' ? c : (c as vscode.MarkdownString).value)).join('\n')
      // appendText escapes: spaces become &nbsp; and punctuation gets a backslash.
      .replace(/&nbsp;/g, ' ').replace(/\\(.)/g, '$1');
    console.log(`    hover: ${md.replace(/\s+/g, ' ').slice(0, 900)}`);
    assert.match(md, /Where it is cached \(per executor\)/);
    assert.match(md, /spark\.memory\.fraction/);
    assert.match(md, /Execution may evict/);
    const ours = hovers.flatMap((h) => h.contents).find((c) => typeof c !== 'string' && (c as vscode.MarkdownString).value.replace(/&nbsp;/g, ' ').includes('Unified memory model')) as vscode.MarkdownString | undefined;
    assert.ok(ours);
    assert.notEqual(ours.isTrusted, true);
  });

  it('the lens click reveals the dataset in the Applications tree', async () => {
    const doc = await vscode.workspace.openTextDocument(SEED);
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri, 10);
    const lens = lenses.find((l) => l.range.start.line === L1 - 1 && l.command?.command === 'sparkObservatory.revealCachedDataset');
    assert.ok(lens?.command);
    await vscode.commands.executeCommand(lens.command.command, ...(lens.command.arguments ?? []));
    const key = lens.command.arguments![0] as string;
    const node = api.tree.cachedDatasetNode(key, lens.command.arguments![1] as number);
    assert.ok(node, 'the dataset node exists');
    assert.equal(api.tree.getParent(node)?.id, `app:${key}/cached`);
  });
});

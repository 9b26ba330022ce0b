/**
 * Run File's interpreters, Stop, deactivation and history inside a real VS Code, with real jobs:
 *
 * - an extension host whose PATH has no spark-submit and a python3 without pyspark (the demo's):
 *   the notification names what was tried and offers Select Interpreter and Open Settings, each
 *   opening its place (the Python extension is not installed here);
 * - `python.defaultInterpreterPath` naming a pyspark venv: Run File runs the file with it;
 * - Stop from the tree (the application node of a run of this window says `.ours`) and from the
 *   palette's pick; the extension's deactivate(): each stops a real job, whose pids and UI port
 *   are gone afterwards;
 * - the runs recorded in the history, "Compare with Previous Run" from the lens and from the
 *   hints' hover opens Compare Runs for the last run and the one before it, as the environment's
 *   History Server serves them.
 *
 * The interpreter setting is written to the workspace folder's .vscode/settings.json (VS Code
 * refuses to write a setting no installed extension declares); it is removed afterwards.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SparkObservatoryApi } from '../../../src/extension';
import type { RunRecord } from '../../../src/store/runs';
import type { ComparePanel } from '../../../src/features/compare/comparePanel';
import type { Node } from '../../../src/features/explorer/appsTree';
import { alive, isPortFree, readEnv, REPO, venv, waitFor } from '../../integration/env';

const EXTENSION_ID = 'spark-observatory.spark-observatory';
const SRC = path.join(REPO, 'test', 'fixtures', 'runfile', 'which_python.py');
const COLLECT_LINE = fs.readFileSync(SRC, 'utf8').split('\n').findIndex((l) => l.includes('.collect()'));

const until = <T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 240_000): Promise<T> =>
  waitFor(async () => fn(), { what, timeoutMs, intervalMs: 1000 });

type Stubbable = Record<string, unknown>;
/** Replaces a function of a `vscode` namespace for one test; returns the restore. */
function stub<T extends object>(ns: T, name: keyof T & string, fn: unknown): () => void {
  const target = ns as unknown as Stubbable;
  const original = target[name];
  target[name] = fn;
  assert.equal(target[name], fn, `vscode.${name} can be stubbed`);
  return () => (target[name] = original);
}

describe('Run File: interpreters, Stop, deactivate and history', function () {
  this.timeout(1_200_000);
  const env = readEnv();
  const v = venv('4.3.0');
  let api: SparkObservatoryApi;
  let folder: string;
  let file: vscode.Uri;
  let tmp: string;
  const saved = { PATH: process.env.PATH, SPARK_HOME: process.env.SPARK_HOME };
  const started: RunRecord[] = [];

  /** The workspace folder's python.defaultInterpreterPath (a file write: see above). */
  async function setInterpreter(value: string | undefined): Promise<void> {
    const dir = path.join(folder, '.vscode');
    if (value === undefined) fs.rmSync(dir, { recursive: true, force: true });
    else {
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'settings.json'), JSON.stringify({ 'python.defaultInterpreterPath': value }));
    }
    await until(`python.defaultInterpreterPath = ${value}`, () => (vscode.workspace.getConfiguration('python', file).get<string>('defaultInterpreterPath') || undefined) === (value || undefined) || undefined, 30_000);
  }

  /** Starts the fixture with Run File; resolves once its session holds (UI up, a worker has run). */
  async function startHolding(index: number): Promise<RunRecord> {
    const out = path.join(tmp, `which-${index}.txt`);
    const rec = await vscode.commands.executeCommand<RunRecord>('sparkObservatory.runFile', file, { env: { HOLD_SECONDS: '600', WHICH_PYTHON_OUT: out }, preserveFocus: true });
    assert.ok(rec, 'Run File returned its run');
    started.push(rec);
    const lines = await until(`run ${index} to report its pythons`, () => {
      if (rec.endedAt) throw new Error(`run ${index} ended early (exit ${rec.exitCode}); see its terminal`);
      return fs.existsSync(out) ? fs.readFileSync(out, 'utf8') || undefined : undefined;
    }, 400_000);
    assert.equal(lines, `driver python: ${v.python}\nworker python: ${v.python}\n`, 'the interpreter of the setting runs the driver and the workers');
    await until(`run ${index}'s UI port and application id`, () => (rec.boundUiUrl && rec.appId ? true : undefined));
    return rec;
  }

  async function assertStopped(rec: RunRecord): Promise<void> {
    const port = Number(new URL(rec.boundUiUrl!).port);
    await until(`run ${rec.appId} to end`, () => (rec.endedAt !== undefined ? true : undefined), 120_000);
    await until(`pid ${rec.pid} to be gone`, () => (!alive(rec.pid!) ? true : undefined), 60_000);
    await until(`UI port ${port} to be free`, async () => ((await isPortFree(port)) ? true : undefined), 60_000);
    assert.equal(api.store.runs.running().some((r) => r.id === rec.id), false);
  }

  /** The tree node of an application, as the workbench reads it. */
  function appNode(appId: string): { node: Node; item: vscode.TreeItem } | undefined {
    for (const g of api.tree.getChildren()) {
      for (const n of api.tree.getChildren(g)) {
        const entry = (n as unknown as { entry?: { app: { id: string }; via: string } }).entry;
        if (entry?.app.id === appId && entry.via === 'driver') return { node: n, item: api.tree.getTreeItem(n) as vscode.TreeItem };
      }
    }
    return undefined;
  }

  before(async () => {
    const ext = vscode.extensions.getExtension<SparkObservatoryApi>(EXTENSION_ID);
    assert.ok(ext);
    api = await ext.activate();
    folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'so-runfile-vscode-'));
    file = vscode.Uri.file(SRC);
    // The demo's extension host: no venv on PATH, no SPARK_HOME (other suites put the venv first).
    process.env.PATH = (process.env.PATH ?? '').split(path.delimiter).filter((d) => !d.startsWith(path.dirname(path.dirname(v.python)))).join(path.delimiter);
    delete process.env.SPARK_HOME;
    const run = vscode.workspace.getConfiguration('sparkObservatory.run');
    await run.update('master', 'local[1]', vscode.ConfigurationTarget.Global);
    // The environment's History Server reads this folder: finished runs are listed there.
    await run.update('eventLogDir', env.eventLogDir, vscode.ConfigurationTarget.Global);
    await run.update('extraConf', { 'spark.driver.memory': '512m', 'spark.ui.showConsoleProgress': 'false' }, vscode.ConfigurationTarget.Global);
  });

  after(async () => {
    for (const r of started) void vscode.commands.executeCommand('sparkObservatory.stopApplication', r.id);
    for (const r of started) if (r.pid) await until('the run to end', () => (!alive(r.pid!) ? true : undefined), 120_000).catch(() => undefined);
    for (const t of vscode.window.terminals.filter((x) => x.name === 'Spark: which_python.py')) t.dispose();
    await setInterpreter(undefined);
    const run = vscode.workspace.getConfiguration('sparkObservatory.run');
    for (const k of ['master', 'eventLogDir', 'extraConf']) await run.update(k, undefined, vscode.ConfigurationTarget.Global);
    process.env.PATH = saved.PATH;
    if (saved.SPARK_HOME !== undefined) process.env.SPARK_HOME = saved.SPARK_HOME;
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('no spark-submit anywhere: the notification offers Select Interpreter and Open Settings, each opening its place', async () => {
    await setInterpreter('');
    const shown: { message: string; items: string[] }[] = [];
    const opened: unknown[][] = [];
    let answer = 'Select Interpreter';
    const restoreMessage = stub(vscode.window, 'showErrorMessage', async (message: string, ...items: string[]) => {
      shown.push({ message, items });
      return answer;
    });
    const execute = vscode.commands.executeCommand;
    const restoreExecute = stub(vscode.commands, 'executeCommand', (id: string, ...args: unknown[]) => {
      if (id === 'workbench.action.openSettings') {
        opened.push(args);
        return Promise.resolve(undefined);
      }
      return execute(id, ...args);
    });
    try {
      assert.equal(vscode.extensions.getExtension('ms-python.python'), undefined, 'the Python extension is not installed in this VS Code');
      assert.equal(await vscode.commands.executeCommand('sparkObservatory.runFile', file), undefined);
      await until('the notification and its action', () => (opened.length === 1 ? true : undefined), 60_000);
      assert.match(shown[0].message, /^spark-submit not found: not on PATH; SPARK_HOME not set; no pyspark in \S*python3? \(PATH\)\./);
      assert.deepEqual(shown[0].items, ['Select Interpreter', 'Open Settings']);
      assert.deepEqual(opened[0], ['python.defaultInterpreterPath']);
      answer = 'Open Settings';
      await vscode.commands.executeCommand('sparkObservatory.runFile', file);
      await until('the second action', () => (opened.length === 2 ? true : undefined), 60_000);
      assert.deepEqual(opened[1], ['sparkObservatory.sparkSubmitPath']);
    } finally {
      restoreExecute();
      restoreMessage();
    }
  });

  // Three runs (one per way to stop), two of them at once, so the suite waits less for Spark's start.
  let runs: RunRecord[] = [];

  it('python.defaultInterpreterPath names a venv: Run File runs the file with it, driver and workers', async () => {
    await setInterpreter(v.python);
    const doc = await vscode.workspace.openTextDocument(file);
    await vscode.window.showTextDocument(doc, { preview: false });
    // The first run before the others, so it is the first of the file whichever way runs are
    // ordered (by start, by their applications' start): the two after it each have a previous run.
    const first = await startHolding(0);
    const holding: Promise<RunRecord>[] = [];
    for (let i = 1; i < 3; i++) {
      holding.push(startHolding(i));
      // Each run picks the first free UI port; Spark moves on when another took it meanwhile.
      await until(`run ${i} to start`, () => (started.length > i ? true : undefined), 60_000);
    }
    runs = [first, ...(await Promise.all(holding))];
    assert.equal(new Set(runs.map((r) => r.appId)).size, 3);
  });

  it('Stop from the tree: the application node of a run of this window says .ours; Stop ends the job', async () => {
    const rec = runs[0];
    const app = await until('the application in the tree, marked as started here', async () => {
      await api.store.refresh();
      const a = appNode(rec.appId!);
      return a?.item.contextValue === 'application.running.driver.ours' ? a : undefined;
    });
    assert.equal(await vscode.commands.executeCommand('sparkObservatory.stopApplication', app.node), rec);
    await assertStopped(rec);
    assert.notEqual(rec.exitCode, undefined);
  });

  it('Stop from the palette: a pick of this window\'s running runs', async () => {
    const rec = runs[1];
    const picked: string[] = [];
    const restore = stub(vscode.window, 'showQuickPick', async (items: readonly (vscode.QuickPickItem & { run: RunRecord })[]) => {
      picked.push(...items.map((i) => `${i.label} ${i.description}`));
      return items.find((i) => i.run.id === rec.id);
    });
    try {
      await vscode.commands.executeCommand('sparkObservatory.stopApplication');
    } finally {
      restore();
    }
    assert.deepEqual(picked.sort(), runs.slice(1).map((r) => `which_python.py ${r.appId} · ${r.boundUiUrl}`).sort());
    await assertStopped(rec);
    assert.equal(api.store.runs.running().some((r) => r.id === runs[2].id), true, 'the other run goes on');
  });

  it('deactivate() stops the jobs this window started', async () => {
    const rec = runs[2];
    // The module VS Code loaded (one module cache per extension host): its real deactivate().
    const main = (await import(path.join(REPO, 'dist', 'extension.js'))) as { deactivate(): void };
    main.deactivate();
    await assertStopped(rec);
  });

  it('each run is recorded; Compare with Previous Run (the lens, the hints\' hover) compares the last run with the one before', async () => {
    // The last run of the file and the one before it (they started nearly together: by start time).
    const [second, third] = [...runs].sort((a, b) => a.startedAt - b.startedAt).slice(1);
    // Stopped runs end cleanly (the Python driver first): the History Server lists them as finished.
    for (const r of [second, third]) {
      await until(`${r.appId} finished in the History Server`, async () => {
        await api.store.refresh();
        return api.store.applications().find((e) => e.app.id === r.appId && e.via === 'history' && e.app.state === 'completed');
      }, 180_000).catch((e: Error) => {
        const seen = api.store.applications().filter((x) => x.app.id === r.appId).map((x) => `${x.via} ${x.app.state} stale=${x.stale}`);
        const sources = api.store.allSources().map((x) => `${x.config.url} ${x.kind} ${x.status} ${x.error?.message ?? ''} ${x.apps.length} apps, ok ${x.lastOkAt ? Math.round((Date.now() - x.lastOkAt) / 1000) : '–'} s ago`);
        const configured = JSON.stringify(vscode.workspace.getConfiguration('sparkObservatory').get('sources'));
        throw new Error(`${e.message}; the store has it as [${seen.join(', ')}]; sources: ${sources.join(' | ')}; configured: ${configured}`);
      });
    }
    const history = api.store.runs.all().filter((r) => r.file === SRC && r.appId);
    assert.deepEqual(history.slice(-3).map((r) => r.appId).sort(), runs.map((r) => r.appId).sort());
    assert.ok(history.every((r) => r.confs.some(([k, val]) => k === 'spark.eventLog.dir' && val.includes(path.basename(env.eventLogDir)))));
    assert.ok(history.slice(-3).every((r) => r.endedAt !== undefined && r.eventsFile?.endsWith('.jsonl')));

    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', file, 10);
    const lens = lenses.find((l) => l.command?.command === 'sparkObservatory.compareWithPreviousRun');
    assert.ok(lens?.command, `a Compare with previous run lens among ${lenses.map((l) => l.command?.title).join(' | ')}`);
    assert.deepEqual(lens.command.arguments?.[1], third.appId);
    const panel = await vscode.commands.executeCommand<ComparePanel>(lens.command.command, ...(lens.command.arguments ?? []));
    assert.ok(panel?.panel, 'Compare Runs opened');
    await panel.loaded;
    assert.equal(panel.lastData?.a.appId, second.appId, 'A: the run before');
    assert.equal(panel.lastData?.b.appId, third.appId, 'B: the last run');
    panel.panel.dispose();

    // The hints' hover on the action line links the same comparison, trusting only that command.
    const hover = await until('the hint\'s hover with the link', async () => {
      const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', file, new vscode.Position(COLLECT_LINE, 10));
      const md = hovers.flatMap((h) => h.contents).find((c): c is vscode.MarkdownString => typeof c !== 'string' && 'value' in c && c.value.includes('command:sparkObservatory.compareWithPreviousRun'));
      return md;
    }, 120_000);
    assert.deepEqual(hover.isTrusted, { enabledCommands: ['sparkObservatory.compareWithPreviousRun'] });
    const args = JSON.parse(decodeURIComponent(/command:sparkObservatory\.compareWithPreviousRun\?([^)]+)\)/.exec(hover.value)![1])) as [string, string];
    assert.equal(args[0], file.toString());
    const fromHover = await vscode.commands.executeCommand<ComparePanel>('sparkObservatory.compareWithPreviousRun', ...args);
    await fromHover.loaded;
    assert.equal(fromHover.lastData?.b.appId, args[1]);
    assert.equal(fromHover.lastData?.a.appId, api.store.runs.previousPair(SRC, args[1])?.previous.appId);
    fromHover.panel.dispose();
  });
});

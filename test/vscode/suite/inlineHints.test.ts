/**
 * Inline hints and findings inside a real VS Code: "Run File with Observability" runs the spill
 * fixture (with the hook, so its jobs carry their lines), and the Problems panel's 'Spark'
 * diagnostics for spill.py carry the REST API's spill figures on the save() line; the hover of
 * that line shows the stage table with links to the Spark UI; Clear Inline Hints removes them.
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
const REPO = path.resolve(__dirname, '..', '..', '..', '..');
const SPILL = path.join(REPO, 'test', 'fixtures', 'jobs', 'spill.py');
const CACHE = process.env.SPARK_OBSERVATORY_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'spark-observatory');
const PYTHON = path.join(CACHE, 'pyspark-4.3.0', 'bin', 'python');

interface RawStage {
  stageId: number;
  attemptId: number;
  name: string;
  memoryBytesSpilled: number;
  diskBytesSpilled: number;
  inputBytes: number;
  outputBytes: number;
  shuffleReadBytes: number;
  shuffleWriteBytes: number;
}

/** A diagnostic's rule id: its code, or the value of a code that links to the Spark UI. */
const ruleOf = (d: vscode.Diagnostic) => (typeof d.code === 'object' ? d.code.value : d.code);
/** The spill rule's level from the REST figures (README: 0.1 / 0.25 / 0.5 of the largest data). */
function spillSeverity(s: RawStage): vscode.DiagnosticSeverity | undefined {
  const r = s.memoryBytesSpilled / Math.max(s.inputBytes, s.shuffleReadBytes, s.shuffleWriteBytes, s.outputBytes);
  return r >= 0.5 ? vscode.DiagnosticSeverity.Error : r >= 0.25 ? vscode.DiagnosticSeverity.Warning : r >= 0.1 ? vscode.DiagnosticSeverity.Information : undefined;
}

const saveLine = () => fs.readFileSync(SPILL, 'utf8').split('\n').findIndex((l) => l.includes('.save()')) + 1;

function hoverText(hovers: vscode.Hover[]): { text: string; ours?: vscode.MarkdownString } {
  const mds = hovers.flatMap((h) => h.contents).filter((c): c is vscode.MarkdownString => typeof c !== 'string' && 'value' in c);
  const ours = mds.find((m) => m.value.includes('| Stage |'));
  // appendText escapes Markdown and writes spaces as &nbsp;: read it back as a person sees it.
  const text = mds.map((m) => m.value).join('\n').replace(/&nbsp;/g, ' ').replace(/\\([\\`*_{}[\]()#+\-!~.>])/g, '$1');
  return { text, ours };
}


/** Waits, polling each second, until `fn` gives a value (the shared waitFor, in this suite's words). */
const until = <T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 300_000): Promise<T> =>
  waitFor(async () => fn(), { what, timeoutMs, intervalMs: 1000 });

describe('inline hints and findings over the spill job', function () {
  this.timeout(600_000);
  let api: SparkObservatoryApi;
  let run: RunRecord | undefined;
  let uiUrl: string;
  let appId: string;

  before(async () => {
    assert.ok(fs.existsSync(PYTHON), `no pyspark 4.3.0 virtualenv at ${PYTHON} (scripts/provision.sh)`);
    const ext = vscode.extensions.getExtension<SparkObservatoryApi>(EXTENSION_ID);
    assert.ok(ext);
    api = await ext.activate();
    // As with an activated virtualenv: spark-submit and python3 come first on PATH.
    process.env.PATH = `${path.dirname(PYTHON)}${path.delimiter}${process.env.PATH ?? ''}`;
    await vscode.workspace.getConfiguration('sparkObservatory.run').update('master', 'local[2]', vscode.ConfigurationTarget.Global);
  });

  after(async () => {
    for (const t of vscode.window.terminals.filter((x) => x.name === 'Spark: spill.py')) t.dispose();
    if (run?.pid) await until('the run to end', () => (alive(run!.pid!) ? undefined : true), 60_000);
    await vscode.workspace.getConfiguration('sparkObservatory.run').update('master', undefined, vscode.ConfigurationTarget.Global);
    await vscode.workspace.getConfiguration('sparkObservatory').update('inlineHints.enabled', undefined, vscode.ConfigurationTarget.Global);
  });

  it('the spill finding is a Spark diagnostic on the save() line with the REST API\'s figures', async () => {
    const doc = await vscode.workspace.openTextDocument(SPILL);
    await vscode.window.showTextDocument(doc, { preview: false });
    run = await vscode.commands.executeCommand<RunRecord>('sparkObservatory.runFile', vscode.Uri.file(SPILL), { env: { HOLD_SECONDS: '240' }, preserveFocus: true });
    assert.ok(run, 'runFile returned no run record');
    uiUrl = await until('the driver UI port in the output', () => run!.boundUiUrl);
    appId = await until('the application', async () => (await json<{ id: string }[]>(`${uiUrl}/api/v1/applications`))[0]?.id);
    const line = saveLine();
    // Live first: a spill diagnostic shows up while the sort still runs.
    await until('a spill diagnostic on spill.py', async () => {
      // The store finds new drivers on its own schedule; a refresh asks now.
      await api.store.refresh();
      return vscode.languages.getDiagnostics(doc.uri).some((x) => x.source === 'Spark' && ruleOf(x) === 'spill') ? true : undefined;
    });
    // Then the final figures: once every job is done, the diagnostics equal the REST API's.
    await until('every job of the spill run done', async () => {
      const jobs = await json<{ status: string }[]>(`${uiUrl}/api/v1/applications/${appId}/jobs`);
      return jobs.length >= 2 && jobs.every((j) => j.status === 'SUCCEEDED') ? true : undefined;
    });
    const stages = await json<RawStage[]>(`${uiUrl}/api/v1/applications/${appId}/stages`);
    const spilled = stages.filter((s) => spillSeverity(s) !== undefined);
    assert.ok(spilled.length > 0, 'the fixture spills');
    const diags = await until('the final spill figures in the diagnostics', async () => {
      await api.store.refresh();
      const d = vscode.languages.getDiagnostics(doc.uri).filter((x) => x.source === 'Spark' && ruleOf(x) === 'spill');
      return spilled.every((s) => d.some((x) => x.message.startsWith(`Stage ${s.stageId} spilled ${formatBytes(s.memoryBytesSpilled)} from memory`))) ? d : undefined;
    }, 60_000);
    assert.equal(diags.length, spilled.length, diags.map((d) => d.message).join('\n'));
    for (const s of spilled) {
      const want = `Stage ${s.stageId} spilled ${formatBytes(s.memoryBytesSpilled)} from memory, ${formatBytes(s.diskBytesSpilled)} written to disk`;
      const d = diags.find((x) => x.message.startsWith(want));
      assert.ok(d, `a diagnostic "${want}…"; have ${diags.map((x) => x.message).join(' | ')}`);
      assert.equal(d.range.start.line, line - 1);
      assert.equal(d.severity, spillSeverity(s));
      assert.match(d.message, /Try: .*spark\.sql\.shuffle\.partitions is 4/);
      // The code links to the stage attempt's page in the Spark UI.
      assert.equal(typeof d.code === 'object' && d.code.target.toString(true), `${uiUrl}/stages/stage/?id=${s.stageId}&attempt=${s.attemptId}`);
      console.log(`    line ${line}: [${d.source} ${typeof d.code === 'object' ? String(d.code.value) : String(d.code)}] ${d.message}   (REST stage ${s.stageId}: memoryBytesSpilled ${s.memoryBytesSpilled}, diskBytesSpilled ${s.diskBytesSpilled})`);
    }
  });

  it('the hover of the save() line shows the hint, the stage table and links to the Spark UI, untrusted', async () => {
    const doc = await vscode.workspace.openTextDocument(SPILL);
    const line = saveLine();
    const { text, ours } = await until('the hint hover', async () => {
      const h = hoverText(await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(line - 1, 8)));
      return h.ours ? h : undefined;
    });
    assert.ok(ours);
    assert.notEqual(ours.isTrusted, true);
    assert.match(text, /◷ .* · \d+ stages? · [\d,]+ tasks?/);
    assert.match(text, /spill .* ⚠/);
    const stages = await json<RawStage[]>(`${uiUrl}/api/v1/applications/${appId}/stages`);
    for (const s of stages) assert.ok(text.includes(`](${uiUrl}/stages/stage/?id=${s.stageId}&attempt=${s.attemptId})`), `a link to stage ${s.stageId}: ${text}`);
    assert.doesNotMatch(text, /command:/);
    console.log(`    hover: ${text.split('\n').slice(0, 3).join(' / ')}`);
  });

  it('Clear Inline Hints removes the hints and findings; Toggle turns the hints off', async () => {
    const doc = await vscode.workspace.openTextDocument(SPILL);
    const line = saveLine();
    await vscode.commands.executeCommand('sparkObservatory.clearInlineHints');
    assert.equal(vscode.languages.getDiagnostics(doc.uri).filter((x) => x.source === 'Spark').length, 0);
    await api.store.refresh();
    // Toggle runs the view's update on the setting's change event, whose listener the view added
    // before this one: when this one hears the change, the view has read the store again.
    const toggle = async (enabled: boolean) => {
      const heard = new Promise<void>((resolve) => {
        const sub = vscode.workspace.onDidChangeConfiguration((e) => {
          if (!e.affectsConfiguration('sparkObservatory.inlineHints.enabled')) return;
          sub.dispose();
          resolve();
        });
      });
      await vscode.commands.executeCommand('sparkObservatory.toggleInlineHints');
      await heard;
      assert.equal(vscode.workspace.getConfiguration('sparkObservatory').get('inlineHints.enabled'), enabled);
    };
    await toggle(false);
    await toggle(true);
    const h = hoverText(await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(line - 1, 8)));
    assert.equal(h.ours, undefined, 'a cleared run does not come back');
  });
});

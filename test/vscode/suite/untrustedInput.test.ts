/**
 * Untrusted text and failing settings inside a real VS Code, with no Spark needed: labels of
 * hover rows (executor addresses) are escaped by VS Code's own MarkdownString, and "Open in
 * Prometheus" on a source whose CA file is gone ends in a message, not an unhandled rejection.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { SparkObservatoryApi } from '../../../src/extension';
import type { DashboardPanel } from '../../../src/features/dashboard/dashboardPanel';
import { SafeMarkdown } from '../../../src/ui/markdown';
import { createHttpClient } from '../../../src/sources/http';

const EXTENSION_ID = 'spark-observatory.spark-observatory';

describe('untrusted input in the extension host', () => {
  let api: SparkObservatoryApi;

  before(async () => {
    const ext = vscode.extensions.getExtension<SparkObservatoryApi>(EXTENSION_ID);
    assert.ok(ext);
    api = await ext.activate();
  });

  it('escapes Markdown in hover labels: an executor address cannot become a link or bold text', () => {
    const address = '[run](command:workbench.action.quit) **10.0.0.1**:7337';
    const md = new SafeMarkdown().field(address, '300 MiB in memory').md;
    assert.equal(md.isTrusted, false);
    // VS Code's own escaping of the same text, bolded by us.
    const escaped = new vscode.MarkdownString().appendText(`${address}:`).value;
    assert.equal(md.value, `**${escaped}** ${new vscode.MarkdownString().appendText('300 MiB in memory').value}  \n`);
    assert.ok(!md.value.includes('[run](command:'), md.value);
    assert.ok(!md.value.includes('**10.0.0.1**'), md.value);
  });

  it('"Open in Prometheus" with a source whose CA file is gone shows why, once, and rejects nothing', async () => {
    const rejections: unknown[] = [];
    const onRejection = (r: unknown) => rejections.push(r);
    process.on('unhandledRejection', onRejection);
    const reads = api.store.reads as { prometheusFor: typeof api.store.reads.prometheusFor };
    const original = reads.prometheusFor;
    // The store hands out a client of a Prometheus source whose caFile no longer exists: made
    // as extension.ts makes them, by the real client factory.
    reads.prometheusFor = async () => {
      createHttpClient({ baseUrl: 'https://127.0.0.1:9', timeoutMs: 1000, caFile: '/nonexistent/so-ca.pem' });
      return undefined;
    };
    const p = await vscode.commands.executeCommand<DashboardPanel>('sparkObservatory.openDashboard', 'test|app-ca-gone');
    try {
      assert.ok(p?.panel);
      await p.openInPrometheus('up');
      assert.equal(p.lastProblem, 'Open in Prometheus: CA file /nonexistent/so-ca.pem cannot be read (ENOENT)');
      // A rejection would be reported after the microtasks of this one: let them run.
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(rejections, []);
    } finally {
      reads.prometheusFor = original;
      process.off('unhandledRejection', onRejection);
      p?.panel.dispose();
    }
  });
});

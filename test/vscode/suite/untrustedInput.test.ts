/**
 * Untrusted text inside a real VS Code, with no Spark needed: labels of hover rows (executor
 * addresses) are escaped by VS Code's own MarkdownString.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { SafeMarkdown } from '../../../src/ui/markdown';

const EXTENSION_ID = 'spark-observatory.spark-observatory';

describe('untrusted input in the extension host', () => {
  before(async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext);
    await ext.activate();
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
});

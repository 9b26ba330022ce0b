/**
 * Sanity of the extension-host harness itself: the extension under development is loaded and
 * activates, its command is registered, and the user settings the harness wrote are the ones the
 * extension reads. Runs in desktop VS Code and in code-server alike.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

const EXTENSION_ID = 'spark-observatory.spark-observatory';

describe('harness', () => {
  it('loads and activates the extension under development', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} not found; extensions: ${vscode.extensions.all.map((e) => e.id).filter((id) => !id.startsWith('vscode.')).join(', ')}`);
    await ext.activate();
    assert.equal(ext.isActive, true);
    // Recorded so a log shows which host ran the suite: 'server-distro' under code-server, 'desktop' in VS Code.
    console.log(`    host: appHost=${vscode.env.appHost} uiKind=${vscode.UIKind[vscode.env.uiKind]} vscode=${vscode.version} remote=${vscode.env.remoteName ?? 'none'}`);
    assert.match(vscode.env.appHost, /\S/);
  });

  it('registers sparkObservatory.refresh', async () => {
    const commands = await vscode.commands.getCommands(true);
    assert.ok(commands.includes('sparkObservatory.refresh'), 'sparkObservatory.refresh is not among the registered commands');
  });

  it('passes the harness user settings to the extension host, machine-scoped ones included', () => {
    const raw = process.env.SO_TEST_USER_SETTINGS;
    assert.ok(raw, 'SO_TEST_USER_SETTINGS is not set: run the suite through out/test/vscode/runTests.js');
    const settings = JSON.parse(raw) as Record<string, unknown>;
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    const props = (ext?.packageJSON?.contributes?.configuration?.properties ?? {}) as Record<string, { scope?: string }>;
    const keys = Object.keys(settings);
    assert.ok(keys.length > 0, 'no settings to check');
    for (const key of keys) {
      const seen = vscode.workspace.getConfiguration().inspect(key)?.globalValue;
      assert.deepEqual(seen, settings[key], `user setting ${key} (scope ${props[key]?.scope ?? 'window'})`);
    }
    const machine = keys.filter((k) => props[k]?.scope === 'machine');
    console.log(`    checked ${keys.length} user settings; machine-scoped: ${machine.join(', ') || 'none given'}`);
  });
});

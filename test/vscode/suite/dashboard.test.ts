/**
 * The dashboard panel as VS Code really creates it: the webview's options (scripts on, command
 * URIs off, local resources only from dist/webview) and the CSP of the HTML it was given, with
 * the real cspSource and nonce.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';

const EXTENSION_ID = 'spark-observatory.spark-observatory';

describe('dashboard webview', () => {
  it('has the strict CSP, one nonce on every script, no inline style, command URIs off, resources only from dist/webview', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext);
    await ext.activate();
    // A key whose application is not (yet) listed: the panel opens and waits for it.
    const p = await vscode.commands.executeCommand<{ panel: vscode.WebviewPanel } | undefined>('sparkObservatory.openDashboard', 'test|app-not-listed');
    assert.ok(p?.panel, 'the command returns the panel');
    try {
      const w = p.panel.webview;
      assert.equal(p.panel.viewType, 'sparkObservatory.dashboard');
      assert.equal(p.panel.options.retainContextWhenHidden, undefined);
      assert.equal(w.options.enableScripts, true);
      assert.equal(w.options.enableCommandUris, false);
      const root = vscode.Uri.joinPath(ext.extensionUri, 'dist', 'webview');
      assert.deepEqual((w.options.localResourceRoots ?? []).map((u) => u.toString()), [root.toString()]);

      const html = w.html;
      const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html)?.[1] ?? '';
      const nonce = /script-src 'nonce-([A-Za-z0-9]+)'/.exec(csp)?.[1];
      assert.ok(nonce, csp);
      const src = w.cspSource;
      assert.equal(csp, `default-src 'none'; style-src ${src}; font-src ${src}; img-src ${src} data:; script-src 'nonce-${nonce}'`);
      assert.doesNotMatch(html, /unsafe-/);
      assert.doesNotMatch(html, /\sstyle\s*=/i);
      const scripts = html.match(/<script\b[^>]*>/g) ?? [];
      assert.ok(scripts.length > 0);
      for (const s of scripts) assert.ok(s.includes(`nonce="${nonce}"`), s);
      // Every script and stylesheet is a webview URI of a built file under dist/webview.
      const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]).filter((r) => r !== '#');
      assert.equal(refs.length, 3, JSON.stringify(refs)); // codicon.css, charts.css, charts.js
      for (const r of refs) {
        const file = r.split('/').pop()!;
        assert.ok(fs.existsSync(vscode.Uri.joinPath(root, file).fsPath), `${file} is built into dist/webview`);
        assert.equal(r, w.asWebviewUri(vscode.Uri.joinPath(root, file)).toString());
      }
      console.log(`    CSP: ${csp}`);
    } finally {
      p.panel.dispose();
    }
  });
});

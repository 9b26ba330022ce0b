/**
 * Comparison panels own their listeners: opening and closing panels leaves nothing behind, in
 * the extension's subscriptions or on the store. A panel for runs that no source lists (as after
 * a reload, before the store's first poll) waits on the store and lets go of it when it closes.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { SparkObservatoryApi } from '../../../src/extension';
import type { ComparePanel } from '../../../src/features/compare/comparePanel';

const EXTENSION_ID = 'spark-observatory.spark-observatory';

describe('comparison panels and their listeners', () => {
  let api: SparkObservatoryApi;

  before(async () => {
    const ext = vscode.extensions.getExtension<SparkObservatoryApi>(EXTENSION_ID);
    assert.ok(ext);
    api = await ext.activate();
  });

  it('opening and closing 5 panels leaves no listener behind', async () => {
    // Counts the store's listeners added from now on, and the ones disposed.
    const store = api.store;
    const original = store.onDidChange;
    let live = 0;
    store.onDidChange = (listener) => {
      const sub = original.call(store, listener);
      live++;
      let done = false;
      return {
        dispose: () => {
          if (!done) live--;
          done = true;
          sub.dispose();
        },
      };
    };
    const held = api.subscriptionCount();
    const panels: ComparePanel[] = [];
    try {
      for (let i = 0; i < 5; i++) {
        const p = await vscode.commands.executeCommand<ComparePanel>('sparkObservatory.compareRuns', `leak-test|app-a${i}`, `leak-test|app-b${i}`);
        assert.ok(p?.panel, 'the command returns the panel');
        panels.push(p);
      }
      assert.equal(api.subscriptionCount(), held, 'panels keep nothing in the extension\'s subscriptions');
      assert.equal(live, 5, 'each panel waits on the store for its runs');
      assert.equal(panels[3].statusText, 'Waiting for app-a3 and app-b3 to be listed by a source…');
      assert.deepEqual(panels[3].state, { a: { keys: ['leak-test|app-a3'] }, b: { keys: ['leak-test|app-b3'] } });
    } finally {
      for (const p of panels) p.panel.dispose();
      store.onDidChange = original;
    }
    assert.equal(live, 0, 'closed panels left a store listener behind');
    assert.equal(api.subscriptionCount(), held);
  });
});

/**
 * When the extension starts its own History Server: only where no History Server of the user's
 * reads the Run-File event-log folder, and only when that folder has event logs.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { folderAppIds, folderPath, isIdle, ownHistoryDecision, readsFolder } from '../../src/model/ownHistory';
import type { Application } from '../../src/model/types';

const app = (id: string, logSource?: string): Application => ({ id, name: id, state: 'completed', logSource });
const folder = '/home/me/.vscode/globalStorage/spark-observatory/eventlog';
const entries = ['eventlog_v2_local-1796028489047', 'local-1795000000000.inprogress', '.hidden'];

describe('whether a History Server reads the Run-File folder', () => {
  test('a 4.x History Server says which folder each attempt came from (logSourceFullPath), URL or path, trailing slash or not', () => {
    assert.equal(readsFolder([app('x', `file://${folder}`)], folder, new Set()), true);
    assert.equal(readsFolder([app('x', `file://${folder}/`)], `${folder}/`, new Set()), true);
    assert.equal(readsFolder([app('x', 'file:///elsewhere/eventlog')], folder, folderAppIds(entries)), false);
    assert.equal(folderPath('file:///a%20b/c/'), '/a b/c');
  });

  test('an older one (no logSourceFullPath) reads it when it lists one of the folder\'s applications', () => {
    assert.equal(readsFolder([app('local-1796028489047')], folder, folderAppIds(entries)), true);
    assert.equal(readsFolder([app('local-1')], folder, folderAppIds(entries)), false);
  });

  test('the folder\'s application ids: rolling v2 folders and in-progress files, not hidden files', () => {
    assert.deepEqual([...folderAppIds(entries)].sort(), ['local-1795000000000', 'local-1796028489047']);
  });
});

describe('what to do when a History Server is needed', () => {
  const base = { enabled: true, folder, folderEntries: entries };
  test('none of the user\'s reads the folder: start ours', () => {
    assert.equal(ownHistoryDecision({ ...base, historyServers: [] }), 'start');
    assert.equal(ownHistoryDecision({ ...base, historyServers: [{ ok: true, apps: [app('y', 'file:///other')] }] }), 'start');
  });
  test('one of the user\'s reads it: theirs, unless it is failing', () => {
    const theirs = { ok: true, apps: [app('y', `file://${folder}`)] };
    assert.equal(ownHistoryDecision({ ...base, historyServers: [theirs] }), 'covered');
    assert.equal(ownHistoryDecision({ ...base, historyServers: [{ ...theirs, ok: false }] }), 'start');
  });
  test('the setting off, or nothing to serve: no process', () => {
    assert.equal(ownHistoryDecision({ ...base, enabled: false, historyServers: [] }), 'off');
    assert.equal(ownHistoryDecision({ ...base, folderEntries: [], historyServers: [] }), 'empty');
  });
  test('idle only when unused for the whole idle time', () => {
    assert.equal(isIdle({ now: 700_000, lastNeededAt: 0, idleMs: 600_000, inUse: false }), true);
    assert.equal(isIdle({ now: 500_000, lastNeededAt: 0, idleMs: 600_000, inUse: false }), false);
    assert.equal(isIdle({ now: 700_000, lastNeededAt: 0, idleMs: 600_000, inUse: true }), false);
  });
});

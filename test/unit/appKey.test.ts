/**
 * How a view that kept an application's store key finds the application again (model/appKey.ts):
 * by that key while it is listed, else by its id under another group, the best source first.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appIdOfKey, findApplication, KeyedEntry } from '../../src/model/appKey';

const entry = (key: string, via: KeyedEntry['via'], stale = false): KeyedEntry => ({ key, app: { id: appIdOfKey(key) }, via, stale });

describe('finding an application by the key a view kept', () => {
  test('the application id is what follows the last "|"', () => {
    assert.equal(appIdOfKey('local|app-20261130074109-0003'), 'app-20261130074109-0003');
    assert.equal(appIdOfKey('a|b|local-1796025143861'), 'local-1796025143861');
    assert.equal(appIdOfKey('app-1'), 'app-1');
  });

  test('the entry of the kept key while it is listed, even when another group lists the application too', () => {
    const entries = [entry('history-b|app-1', 'history'), entry('cluster-a|app-1', 'driver', true)];
    assert.equal(findApplication(entries, 'cluster-a|app-1')?.key, 'cluster-a|app-1');
  });

  test('not listed under the kept key: the same application under another group', () => {
    // The observed case: after a reload, discovery lists the driver under `local`, not the configured group.
    const entries = [entry('local|local-17960251', 'driver'), entry('local|app-20261130074840-0004', 'driver')];
    assert.equal(findApplication(entries, 'ui|app-20261130074840-0004')?.key, 'local|app-20261130074840-0004');
  });

  test('among other groups, a fresh answer first, then the driver, the History Server, the Master, Prometheus', () => {
    const entries = [
      entry('metrics-c|app-1', 'prometheus'),
      entry('master-d|app-1', 'master'),
      entry('history-b|app-1', 'history'),
      entry('cluster-e|app-1', 'driver', true),
    ];
    assert.equal(findApplication(entries, 'cluster-a|app-1')?.key, 'history-b|app-1');
    assert.equal(findApplication(entries.filter((e) => e.via !== 'history'), 'cluster-a|app-1')?.key, 'master-d|app-1');
    assert.equal(findApplication([entry('metrics-c|app-1', 'prometheus'), entry('cluster-e|app-1', 'driver', true)], 'x|app-1')?.key, 'metrics-c|app-1');
  });

  test('nothing lists the application: undefined (the view waits)', () => {
    assert.equal(findApplication([], 'ui|app-1'), undefined);
    assert.equal(findApplication([entry('ui|app-10', 'driver'), entry('ui|xapp-1', 'driver')], 'ui|app-1'), undefined);
  });
});

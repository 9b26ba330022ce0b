/**
 * Measure Cache Impact's sequence (features/compare/cacheImpactRun.ts) over a stand-in store and
 * runs: it waits for each run on the store's polls, not on a clock, reads each run once before
 * comparing (again while the History Server is still replaying its log), and it leaves no
 * listener on the caller's abort signal, however many times it polled.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { measureCacheImpact, StartedRun } from '../../src/features/compare/cacheImpactRun';
import type { Store } from '../../src/store/store';

describe('Measure Cache Impact\'s sequence', () => {
  test('runs both variants, finds each run in the History Server, and leaves no listener on the signal', async () => {
    const logs = mkdtempSync(join(tmpdir(), 'so-impact-'));
    try {
      // Each run ends on the third poll after it started, writing its event log; the History
      // Server lists it as finished two polls later.
      let polls = 0;
      const runs: { id: string; endsAt: number; listedAt: number; end: (code: number) => void }[] = [];
      // The History Server's first read of a finished run times out (it replays the event log).
      const reads: string[] = [];
      const environment = async (key: string) => {
        reads.push(key);
        if (reads.filter((k) => k === key).length === 1) throw new Error('timed out');
        return { sparkProperties: {} };
      };
      const store = {
        async refresh() {
          polls++;
          for (const r of runs) {
            if (polls === r.endsAt) {
              writeFileSync(join(logs, r.id), '');
              r.end(0);
            }
          }
        },
        applications: () =>
          runs.filter((r) => polls >= r.listedAt).map((r) => ({ key: `hs|${r.id}`, group: 'hs', sourceId: 'history', via: 'history', stale: false, app: { id: r.id, name: 'seed', state: 'completed' } })),
        source: () => undefined,
        restClientFor: async () => undefined,
        reads: { environment },
      } as unknown as Store;
      const start = async (_variant: string, i: number): Promise<StartedRun> => {
        let end!: (code: number) => void;
        const exited = new Promise<number | null>((resolve) => (end = resolve));
        runs.push({ id: `local-179602744000${i}`, endsAt: polls + 3, listedAt: polls + 5, end });
        return { startedAt: 0, exited, uiUrl: () => undefined, requestedUiUrl: 'http://127.0.0.1:4040', stop: () => end(1) };
      };
      const ctl = new AbortController();
      const m = await measureCacheImpact({ store, start, eventLogDir: logs, signal: ctl.signal, pollMs: 1 }, 1);
      assert.deepEqual(m.withoutCache.map((r) => r.key), ['hs|local-1796027440000']);
      assert.deepEqual(m.withCache.map((r) => r.key), ['hs|local-1796027440001']);
      assert.ok(polls >= 10, `it polled (${polls} times)`);
      assert.deepEqual(reads, ['hs|local-1796027440000', 'hs|local-1796027440000', 'hs|local-1796027440001', 'hs|local-1796027440001'], 'each run read until its History Server answers');
      assert.equal(getEventListeners(ctl.signal, 'abort').length, 0, 'abort listeners left on the signal');
    } finally {
      rmSync(logs, { recursive: true, force: true });
    }
  });
});

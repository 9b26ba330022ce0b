/**
 * The comparison's overlays from built-in series when Prometheus has none: both runs on seconds
 * since each started, marked as built-in, only the charts both runs have.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinOverlays } from '../../src/store/overlays';
import { AppSeries } from '../../src/model/series';
import type { RunData } from '../../src/store/reads';

function run(key: string, startTime: number): RunData {
  return { key, app: { id: key, name: key, state: 'completed', startTime }, servedBy: 'History Server', executors: [], jobs: [], stages: [], datasets: [] };
}

function series(start: number, heap: boolean): AppSeries {
  const s = new AppSeries();
  for (let i = 0; i < 5; i++) s.push(start + 1000 + i * 3000, { storageUsed: i * 10, gcTimeMs: i * 500, ...(heap ? { jvmHeapPeak: 100 } : {}) });
  return s;
}

describe('comparison overlays from built-in series', () => {
  test('both runs on elapsed seconds, GC in seconds, only figures both have', () => {
    const r = builtinOverlays(run('a', 1_000_000), run('b', 5_000_000), series(1_000_000, true), series(5_000_000, false));
    assert.deepEqual(r.overlays.map((o) => o.id), ['storageMemory', 'gcTime']);
    assert.ok(r.overlays.every((o) => o.source === 'built-in'));
    const gc = r.overlays[1];
    assert.deepEqual(gc.a.x, [1, 4, 7, 10, 13]);
    assert.deepEqual(gc.b.y, [0, 0.5, 1, 1.5, 2]);
    assert.equal(gc.maxX, 13);
    assert.match(r.note ?? '', /built-in series/);
  });

  test('a run without a series: no overlay, and the note says why', () => {
    const r = builtinOverlays(run('a', 1), run('b', 1), series(1, true), undefined);
    assert.deepEqual(r.overlays, []);
    assert.match(r.note ?? '', /built-in series/);
  });
});

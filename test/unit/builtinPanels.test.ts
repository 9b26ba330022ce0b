/**
 * Dashboard panels from built-in series: gauges as kept, rates and the GC share from consecutive
 * points, one point per pixel at most, and a panel the series cannot answer says what it needs.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinOverlay, builtinPanel, thinToWidth } from '../../src/model/builtinPanels';
import { AppSeries } from '../../src/model/series';

function series(): AppSeries {
  const s = new AppSeries();
  // Every 3 s: 10 tasks, 3 s of task time of which 0.3 s GC, 30 MB shuffle read.
  for (let i = 0; i <= 10; i++) {
    s.push(1_000_000 + i * 3000, {
      storageUsed: i * 1000, storageMax: 50_000, activeTasks: 2, cores: 2, completedTasks: i * 10,
      gcTimeMs: i * 300, taskTimeMs: i * 3000, shuffleRead: i * 30_000_000, shuffleWrite: 0, jvmHeapPeak: 100 + i,
    });
  }
  return s;
}

describe('dashboard panels from built-in series', () => {
  test('storage memory: used and max as kept', () => {
    const p = builtinPanel('storageMemory', 'bytes', series(), 1_000_000, 1_030_000, 600);
    assert.deepEqual(p.series.map((x) => x.label), ['used (all executors)', 'max (all executors)']);
    assert.equal(p.series[0].y.at(-1), 10_000);
    assert.equal(p.yMax, 50_000);
    assert.equal(p.yMin, 0);
  });

  test('rates per second between points; the GC share in percent of task time', () => {
    const s = series();
    const tasks = builtinPanel('taskRate', 'perSecond', s, 1_000_000, 1_030_000, 600);
    assert.ok(tasks.series[0].y.every((v) => Math.abs(v! - 10 / 3) < 1e-9));
    const shuffle = builtinPanel('shuffleRate', 'bytesPerSecond', s, 1_000_000, 1_030_000, 600);
    assert.deepEqual(shuffle.series.map((x) => x.label), ['read', 'write']);
    assert.equal(shuffle.series[0].y[0], 10_000_000);
    const gc = builtinPanel('gcShare', 'percent', s, 1_000_000, 1_030_000, 600);
    assert.ok(gc.series[0].y.every((v) => Math.abs(v! - 10) < 1e-9));
  });

  test('a window that starts mid-series still has its first rate (the point before it is used)', () => {
    const p = builtinPanel('taskRate', 'perSecond', series(), 1_015_000, 1_030_000, 600);
    assert.equal(p.series[0].x[0], 1_015_000);
    assert.equal(p.series[0].x.length, 6);
  });

  test('panels the series cannot answer say what they need; unreported series are left out', () => {
    const p = builtinPanel('pythonRss', 'bytes', series(), 0, 2_000_000, 600);
    assert.deepEqual(p.series, []);
    assert.match(p.missing ?? '', /Prometheus/);
    const s = new AppSeries();
    s.push(1, { storageUsed: 1 });
    assert.deepEqual(builtinPanel('jvmHeap', 'bytes', s, 0, 10, 600).series, []);
  });

  test('at most one point per pixel, keeping the largest of each pixel', () => {
    const x = Array.from({ length: 1000 }, (_, i) => i);
    const y = x.map((i) => (i === 501 ? 99 : 1));
    const t = thinToWidth({ x, y }, 0, 1000, 100);
    assert.ok(t.x.length <= 100);
    assert.ok(t.y.includes(99));
  });

  test('comparison overlays: storage used, peak heap, GC time in seconds', () => {
    assert.equal(builtinOverlay('gcTime', series())!.y.at(-1), 3);
    assert.equal(builtinOverlay('jvmHeap', series())!.y.at(-1), 110);
    assert.equal(builtinOverlay('nope', series()), undefined);
  });
});

/**
 * Chart series on the host: a refresh reads only the steps since the last one and appends them,
 * equal to reading the whole window again; a panel of thousands of executors is the k largest
 * series and "all others"; labels are cut.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendSeries, bounds, cutLabel, KeptSeries, MAX_LABEL, rangeToRead, RawSeries, topSeries } from '../../src/model/chartSeries';

const STEP = 2;
/** A series sampled every step from t0 to t1 (seconds), value = f(t). */
function raw(label: string, t0: number, t1: number, f: (t: number) => number): RawSeries {
  const samples = [];
  for (let t = t0; t <= t1; t += STEP) samples.push({ t, v: f(t) });
  return { label, samples };
}

describe('reading only what came since the last refresh', () => {
  test('nothing kept, another query or step, or a window that no longer overlaps: the whole window', () => {
    const want = { start: 1000, end: 1100, step: STEP };
    assert.deepEqual(rangeToRead(undefined, 'q', want), { start: 1000, end: 1100, incremental: false });
    const kept: KeptSeries = { signature: 'q', start: 990, end: 1090, step: STEP, series: [] };
    assert.deepEqual(rangeToRead({ ...kept, signature: 'other' }, 'q', want)?.incremental, false);
    assert.deepEqual(rangeToRead({ ...kept, step: 5 }, 'q', want)?.incremental, false);
    assert.deepEqual(rangeToRead({ ...kept, end: 980 }, 'q', want)?.incremental, false);
  });

  test('the window moved on: only the steps after the last kept one', () => {
    const kept: KeptSeries = { signature: 'q', start: 990, end: 1090, step: STEP, series: [] };
    assert.deepEqual(rangeToRead(kept, 'q', { start: 1000, end: 1100, step: STEP }), { start: 1092, end: 1100, incremental: true });
    assert.equal(rangeToRead(kept, 'q', { start: 990, end: 1090, step: STEP }), undefined, 'nothing new to ask');
  });

  test('appended series equal the series of a full read of the new window', () => {
    const f = (t: number) => (t % 7 === 0 ? NaN : t * 3);
    const first = appendSeries([], [raw('a', 1000, 1100, f), raw('b', 1000, 1100, (t) => t)], STEP, 1000);
    const next = appendSeries(first, [raw('a', 1102, 1130, f), raw('b', 1102, 1130, (t) => t)], STEP, 1030);
    const full = appendSeries([], [raw('a', 1030, 1130, f), raw('b', 1030, 1130, (t) => t)], STEP, 1030);
    assert.deepEqual(next, full);
  });

  test('a series that stops (an executor that left) keeps what is still in the window; a gap at the join breaks the line', () => {
    const first = appendSeries([], [raw('gone', 1000, 1020, (t) => t), raw('stays', 1000, 1020, (t) => t)], STEP, 1000);
    const next = appendSeries(first, [raw('stays', 1030, 1032, (t) => t)], STEP, 1010);
    const gone = next.find((s) => s.label === 'gone')!;
    assert.equal(gone.x[0], 1010_000);
    const stays = next.find((s) => s.label === 'stays')!;
    // 1020 → 1030 skips four steps: a null right after 1020 breaks the line.
    const i = stays.x.indexOf(1020_000);
    assert.equal(stays.x[i + 1], 1022_000);
    assert.equal(stays.y[i + 1], null);
  });
});

describe('large clusters on one chart', () => {
  test('10,000 executors: the 10 highest peaks and one "all others", summed at each step', () => {
    const series = appendSeries([], Array.from({ length: 10_000 }, (_, i) => raw(`${i}`, 1000, 1004, () => i)), STEP, 1000);
    const top = topSeries(series);
    assert.equal(top.length, 11);
    assert.deepEqual(top.slice(0, 10).map((s) => s.label), ['9990', '9991', '9992', '9993', '9994', '9995', '9996', '9997', '9998', '9999']);
    const others = top[10];
    assert.equal(others.label, 'all others (9990)');
    const expected = (9989 * 9990) / 2; // 0 + 1 + … + 9989
    assert.deepEqual(others.y, [expected, expected, expected]);
  });

  test('a few series pass as they are', () => {
    const series = appendSeries([], [raw('driver', 1000, 1002, () => 1), raw('1', 1000, 1002, () => 2)], STEP, 1000);
    assert.deepEqual(topSeries(series), series);
  });

  test('labels are cut on the host; bounds ignore gaps', () => {
    assert.equal(cutLabel('x'.repeat(5000)).length, MAX_LABEL);
    assert.deepEqual(bounds([{ label: 'a', x: [1, 2, 3], y: [null, -2, 7] }]), { yMin: -2, yMax: 7 });
    assert.deepEqual(bounds([{ label: 'a', x: [1], y: [null] }]), { yMin: null, yMax: null });
  });
});

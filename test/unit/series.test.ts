/**
 * Built-in series: the figures a sample takes from Spark's lists, the memory bounds, thinning of
 * old points, and the compact saved form read back exactly.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AppSeries,
  BYTES_PER_POINT,
  decodeSeries,
  encodeSeries,
  MAX_BYTES_PER_APP,
  MIN_SPACING_MS,
  sampleOf,
  SeriesBook,
  SERIES_METRICS,
} from '../../src/model/series';
import type { Executor, Stage } from '../../src/model/types';
import { SeriesRecorder } from '../../src/store/series';

function exec(o: Partial<Executor> & { id: string }): Executor {
  return {
    hostPort: '127.0.0.1:1', isActive: true, totalCores: 1, maxTasks: 1, activeTasks: 0, failedTasks: 0, completedTasks: 0, totalTasks: 0,
    totalDurationMs: 0, totalGCTimeMs: 0, memoryUsed: 0, maxMemory: 0, diskUsed: 0, totalInputBytes: 0, totalShuffleRead: 0,
    totalShuffleWrite: 0, rddBlocks: 0, peak: {}, ...o,
  };
}

function stage(memoryBytesSpilled: number, diskBytesSpilled: number): Stage {
  return {
    stageId: 1, attemptId: 0, name: 's', status: 'COMPLETE', numTasks: 1, numActiveTasks: 0, numCompleteTasks: 1, numFailedTasks: 0,
    executorRunTimeMs: 0, executorCpuTimeNs: 0, jvmGcTimeMs: 0, memoryBytesSpilled, diskBytesSpilled, peakExecutionMemory: 0,
    inputBytes: 0, outputBytes: 0, shuffleReadBytes: 0, shuffleWriteBytes: 0, rddIds: [],
  };
}

describe('a sample from the executor and stage lists', () => {
  test('local mode: the driver runs the tasks, so its task figures count', () => {
    const s = sampleOf([exec({ id: 'driver', totalCores: 2, activeTasks: 2, completedTasks: 7, totalDurationMs: 900, totalGCTimeMs: 90, memoryUsed: 10, maxMemory: 100, peak: { jvmHeap: 5000 } })], undefined);
    assert.deepEqual(s, { storageUsed: 10, storageMax: 100, gcTimeMs: 90, taskTimeMs: 900, activeTasks: 2, cores: 2, completedTasks: 7, shuffleRead: 0, shuffleWrite: 0, jvmHeapPeak: 5000 });
  });

  test('cluster: the driver row is left out of task figures but its storage memory counts; dead executors keep their work, not their memory', () => {
    const s = sampleOf(
      [
        exec({ id: 'driver', totalCores: 0, totalDurationMs: 60_000, completedTasks: 0, memoryUsed: 1, maxMemory: 50, peak: { jvmHeap: 300 } }),
        exec({ id: '1', totalCores: 1, activeTasks: 1, completedTasks: 4, totalDurationMs: 1000, totalGCTimeMs: 100, memoryUsed: 20, maxMemory: 200, totalShuffleRead: 5, totalShuffleWrite: 6, peak: { jvmHeap: 900 } }),
        exec({ id: '0', isActive: false, totalCores: 1, activeTasks: 0, completedTasks: 3, totalDurationMs: 500, totalGCTimeMs: 50, memoryUsed: 99, maxMemory: 200, totalShuffleRead: 1, peak: { jvmHeap: 5000 } }),
      ],
      [stage(10, 4), stage(1, 0)],
    );
    assert.deepEqual(s, {
      storageUsed: 21, storageMax: 250, gcTimeMs: 150, taskTimeMs: 1500, activeTasks: 1, cores: 1, completedTasks: 7,
      shuffleRead: 6, shuffleWrite: 6, jvmHeapPeak: 900, spillMemory: 11, spillDisk: 4,
    });
  });

  test('no peak heap reported: left out, never 0; no executor list: no sample', () => {
    const s = sampleOf([exec({ id: 'driver' })], undefined);
    assert.equal(s?.jvmHeapPeak, undefined);
    assert.equal('spillDisk' in (s ?? {}), false);
    assert.equal(sampleOf(undefined, []), undefined);
  });
});

describe('one application\'s series', () => {
  test('keeps samples in time order; a sample less than MIN_SPACING_MS after the last is dropped; unreported values are gaps', () => {
    const s = new AppSeries();
    s.push(1000, { storageUsed: 1 });
    s.push(2000, { storageUsed: 2, jvmHeapPeak: 7 });
    s.push(2000, { storageUsed: 99 });
    s.push(1500, { storageUsed: 98 });
    // A forced poll 100 ms after a scheduled one: no point "every 0.1 s".
    s.push(2000 + MIN_SPACING_MS - 100, { storageUsed: 97 });
    assert.deepEqual(s.points('storageUsed'), { x: [1000, 2000], y: [1, 2] });
    assert.deepEqual(s.points('jvmHeapPeak'), { x: [1000, 2000], y: [null, 7] });
    assert.deepEqual(s.points('storageUsed', 1500), { x: [2000], y: [2] });
    assert.equal(s.has('spillDisk'), false);
  });

  test('never holds more than its memory bound, and still spans the whole lifetime at a coarser grain', () => {
    const bound = 64 * 1024;
    const s = new AppSeries(bound);
    for (let i = 1; i <= 100_000; i++) s.push(i * 1000, { completedTasks: i, activeTasks: i % 3 });
    assert.ok(s.byteLength <= bound, `${s.byteLength} bytes > ${bound}`);
    assert.ok(s.length >= bound / BYTES_PER_POINT / 4, `only ${s.length} points left`);
    assert.ok(s.thinned > 0);
    const p = s.points('completedTasks');
    // The newest point is the newest sample, and the oldest point is from the first few samples.
    assert.equal(p.x.at(-1), 100_000_000);
    assert.equal(p.y.at(-1), 100_000);
    assert.ok(p.x[0] <= 1000 * 2 ** s.thinned, `first point at ${p.x[0]}`);
    // A counter thinned keeps exact values at the times it keeps.
    for (let i = 0; i < p.x.length; i++) assert.equal(p.y[i], p.x[i] / 1000);
  });

  test('thinning keeps a gauge\'s peak', () => {
    const s = new AppSeries(BYTES_PER_POINT * 8);
    const values = [1, 9, 1, 1, 1, 1, 1, 1, 1, 1];
    values.forEach((v, i) => s.push((i + 1) * 1000, { storageUsed: v }));
    assert.ok(s.thinned > 0);
    assert.ok(s.points('storageUsed').y.includes(9), 'the peak was thinned away');
  });

  test('the default bound is 2 MB', () => {
    const s = new AppSeries();
    for (let i = 1; i <= 60_000; i++) s.push(i * 1000, { storageUsed: i });
    assert.ok(s.byteLength <= MAX_BYTES_PER_APP);
    assert.ok(s.byteLength > MAX_BYTES_PER_APP / 2);
  });
});

describe('the saved form', () => {
  test('reads back exactly what was kept, gaps included', () => {
    const s = new AppSeries();
    for (let i = 0; i < 500; i++) {
      s.push(1_795_000_000_000 + i * 3000 + (i % 7), {
        storageUsed: 1_000_000 + i * 17,
        storageMax: 384_000_000,
        gcTimeMs: i * 3,
        completedTasks: i,
        jvmHeapPeak: i % 5 === 0 ? undefined : 200_000_000 - i,
      });
    }
    const enc = encodeSeries('local-1', s);
    const text = JSON.stringify(enc);
    const back = decodeSeries(JSON.parse(text));
    assert.ok(back);
    assert.equal(back.appId, 'local-1');
    for (const m of SERIES_METRICS) assert.deepEqual(back.series.points(m), s.points(m), m);
    // Metrics never reported take no room.
    assert.equal('spillDisk' in enc.cols, false);
    // Compact: far fewer bytes than the points as JSON numbers.
    assert.ok(text.length < 500 * 40, `${text.length} bytes`);
  });

  test('a damaged file is refused, not half read', () => {
    assert.equal(decodeSeries(null), undefined);
    assert.equal(decodeSeries({ v: 2 }), undefined);
    assert.equal(decodeSeries({ v: 1, appId: 'x', t: [1, 2], cols: { storageUsed: [1] } }), undefined);
    assert.equal(decodeSeries({ v: 1, appId: 'x', t: [1, 'a'], cols: {} }), undefined);
  });
});

describe('every application\'s series within the global budget', () => {
  test('ended applications leave memory first, least recently written first', () => {
    const book = new SeriesBook(BYTES_PER_POINT * 64, BYTES_PER_POINT * 64 * 2);
    for (let i = 1; i <= 64; i++) book.record('a', i, { storageUsed: i });
    book.markEnded('a');
    for (let i = 1; i <= 64; i++) book.record('b', i, { storageUsed: i });
    assert.deepEqual(book.keys().sort(), ['a', 'b']);
    let evicted: string[] = [];
    for (let i = 1; i <= 64; i++) evicted = evicted.concat(book.record('c', i, { storageUsed: i }));
    assert.deepEqual(evicted, ['a']);
    assert.ok(book.bytes() <= BYTES_PER_POINT * 64 * 2);
  });

  test('live applications alone over the budget are thinned to a share each', () => {
    const per = BYTES_PER_POINT * 256;
    const book = new SeriesBook(per, per * 2);
    for (const k of ['a', 'b', 'c', 'd']) for (let i = 1; i <= 256; i++) book.record(k, i * 1000, { completedTasks: i });
    assert.ok(book.bytes() <= per * 2, `${book.bytes()}`);
    for (const k of ['a', 'b', 'c', 'd']) assert.equal(book.get(k)?.points('completedTasks').y.at(-1), 256);
  });
});

describe('the store\'s recorder', () => {
  test('a poll whose lists were not read again samples the same figures; new lists give new ones', () => {
    const rec = new SeriesRecorder({ warn: (m) => assert.fail(m) });
    const first = { executors: [exec({ id: 'driver', memoryUsed: 100, maxMemory: 1000 })], stages: [stage(0, 0)] };
    assert.equal(rec.record('k', 'app-1', 1_000, first), true);
    assert.equal(rec.record('k', 'app-1', 4_000, first), true);
    const second = { executors: [exec({ id: 'driver', memoryUsed: 300, maxMemory: 1000 })], stages: [stage(0, 0)] };
    assert.equal(rec.record('k', 'app-1', 7_000, second), true);
    assert.deepEqual(rec.get('k', 'app-1')?.points('storageUsed'), { x: [1_000, 4_000, 7_000], y: [100, 100, 300] });
  });
});

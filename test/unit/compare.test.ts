import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  aggregateRun,
  compareRuns,
  compareStages,
  comparisonToCsv,
  comparisonToMarkdown,
  csvField,
  escapeMarkdownCell,
  formatCacheImpact,
  overlaySeries,
  percentChange,
  rip,
  toElapsed,
  type RunAggregate,
} from '../../src/model/compare';
import type { Application, CachedDataset, Executor, Stage } from '../../src/model/types';

function stage(p: Partial<Stage> & { stageId: number; name: string }): Stage {
  return {
    attemptId: 0, status: 'COMPLETE', numTasks: 8, numActiveTasks: 0, numCompleteTasks: 8, numFailedTasks: 0,
    executorRunTimeMs: 0, executorCpuTimeNs: 0, jvmGcTimeMs: 0, memoryBytesSpilled: 0, diskBytesSpilled: 0,
    peakExecutionMemory: 0, inputBytes: 0, outputBytes: 0, shuffleReadBytes: 0, shuffleWriteBytes: 0, rddIds: [],
    ...p,
  };
}

function executor(p: Partial<Executor> & { id: string }): Executor {
  return {
    hostPort: '127.0.0.1:40000', isActive: true, totalCores: 2, maxTasks: 2, activeTasks: 0, failedTasks: 0, completedTasks: 0,
    totalTasks: 0, totalDurationMs: 0, totalGCTimeMs: 0, memoryUsed: 0, maxMemory: 384_093_388, diskUsed: 0, totalInputBytes: 0,
    totalShuffleRead: 0, totalShuffleWrite: 0, rddBlocks: 0, peak: {}, ...p,
  };
}

const MiB = 1024 * 1024;

const appA: Application = { id: 'app-20250101120000-0000', name: 'seed-plain', state: 'completed', startTime: 1_000_000, endTime: 1_160_000, durationMs: 160_000 };
const appB: Application = { id: 'app-20250101121000-0001', name: 'seed-cached', state: 'completed', startTime: 2_000_000, endTime: 2_072_000, durationMs: 72_000 };

describe('compare: aggregating a run', () => {
  test('sums stage fields (CPU ns → ms) over every attempt and takes peaks from executors, dead ones included', () => {
    const stages = [
      stage({ stageId: 0, name: 'crossJoin at /w/seed.py:25', executorRunTimeMs: 40_000, executorCpuTimeNs: 30_000_000_000, jvmGcTimeMs: 2_000, inputBytes: 10, shuffleWriteBytes: 500 * MiB, numCompleteTasks: 8 }),
      stage({ stageId: 1, name: 'count at NativeMethodAccessorImpl.java:0', executorRunTimeMs: 80_000, executorCpuTimeNs: 70_500_000_000, jvmGcTimeMs: 6_000, shuffleReadBytes: 500 * MiB, memoryBytesSpilled: 300 * MiB, diskBytesSpilled: 100 * MiB, numCompleteTasks: 200, numFailedTasks: 1 }),
      stage({ stageId: 1, attemptId: 1, name: 'count at NativeMethodAccessorImpl.java:0', executorRunTimeMs: 1_000, numCompleteTasks: 1, outputBytes: 7 }),
    ];
    const executors = [
      executor({ id: 'driver', peak: { jvmHeap: 900 * MiB, onHeapStorage: 1 * MiB } }),
      executor({ id: '1', peak: { jvmHeap: 700 * MiB, onHeapStorage: 300 * MiB, offHeapStorage: 0 } }),
      executor({ id: '2', isActive: false, removeReason: 'Command exited with code 137', peak: { jvmHeap: 800 * MiB, onHeapStorage: 250 * MiB, offHeapStorage: 10 * MiB } }),
    ];
    const datasets: CachedDataset[] = [
      { rddId: 5, name: 'x', numPartitions: 8, numCachedPartitions: 8, storageLevel: 'Disk Memory Deserialized 1x Replicated', memoryUsed: 300 * MiB, diskUsed: 5, distribution: [] },
    ];
    const r = aggregateRun(appB, executors, stages, datasets);
    assert.equal(r.wallTimeMs, 72_000);
    assert.equal(r.executorRunTimeMs, 121_000);
    assert.equal(r.cpuTimeMs, 100_500);
    assert.equal(r.gcTimeMs, 8_000);
    assert.equal(r.inputBytes, 10);
    assert.equal(r.outputBytes, 7);
    assert.equal(r.shuffleReadBytes, 500 * MiB);
    assert.equal(r.shuffleWriteBytes, 500 * MiB);
    assert.equal(r.memorySpillBytes, 300 * MiB);
    assert.equal(r.diskSpillBytes, 100 * MiB);
    assert.equal(r.peakJvmHeapBytes, 800 * MiB, 'largest worker JVM; the driver is not a worker when executors exist');
    assert.equal(r.peakStorageMemoryBytes, 560 * MiB, 'sum of worker peaks, on- and off-heap');
    assert.equal(r.cachedBytes, 300 * MiB + 5);
    assert.equal(r.tasks, 209);
    assert.equal(r.failedTasks, 1);
  });

  test('in local mode the driver is the worker', () => {
    const r = aggregateRun(appA, [executor({ id: 'driver', peak: { jvmHeap: 512 * MiB, onHeapStorage: 64 * MiB } })], [], []);
    assert.equal(r.peakJvmHeapBytes, 512 * MiB);
    assert.equal(r.peakStorageMemoryBytes, 64 * MiB);
  });

  test('peaks are undefined when Spark reported none; wall time falls back to end − start', () => {
    const r = aggregateRun({ ...appA, durationMs: undefined }, [executor({ id: '1' })], [], []);
    assert.equal(r.peakJvmHeapBytes, undefined);
    assert.equal(r.peakStorageMemoryBytes, undefined);
    assert.equal(r.wallTimeMs, 160_000);
  });
});

function run(p: Partial<RunAggregate> & { appId: string; name: string }): RunAggregate {
  return {
    executorRunTimeMs: 0, cpuTimeMs: 0, gcTimeMs: 0, inputBytes: 0, outputBytes: 0, shuffleReadBytes: 0, shuffleWriteBytes: 0,
    memorySpillBytes: 0, diskSpillBytes: 0, cachedBytes: 0, tasks: 0, failedTasks: 0, ...p,
  };
}

describe('compare: RIP and % change', () => {
  test('hand-computed values', () => {
    // Wall time 160 s → 72 s: RIP = (160 − 72) / 160 = 0.55; % change = (72 − 160) / 160 × 100 = −55.
    assert.equal(rip(160_000, 72_000), 0.55);
    assert.equal(percentChange(160_000, 72_000), -55);
    // GC 8 s → 1.92 s: RIP = 6.08 / 8 = 0.76 (the largest RIP the original talk reported).
    assert.ok(Math.abs((rip(8_000, 1_920) ?? 0) - 0.76) < 1e-12);
    // Storage 0 → 600 MiB: no base, no ratio.
    assert.equal(rip(0, 600), undefined);
    assert.equal(percentChange(0, 600), undefined);
    // Worse: 100 → 125: RIP −0.25, +25 %.
    assert.equal(rip(100, 125), -0.25);
    assert.equal(percentChange(100, 125), 25);
  });

  test('rows carry difference, % change, RIP and a verdict by direction', () => {
    const a = run({ appId: 'A', name: 'plain', wallTimeMs: 160_000, gcTimeMs: 8_000, cachedBytes: 0, outputBytes: 100, tasks: 400, failedTasks: 0, peakJvmHeapBytes: 700 });
    const b = run({ appId: 'B', name: 'cached', wallTimeMs: 72_000, gcTimeMs: 1_920, cachedBytes: 600 * MiB, outputBytes: 120, tasks: 400, failedTasks: 0, peakJvmHeapBytes: 900 });
    const rows = compareRuns(a, b);
    const row = (id: string) => rows.find((r) => r.metric === id);
    assert.deepEqual(
      [row('wallTimeMs')?.difference, row('wallTimeMs')?.percentChange, row('wallTimeMs')?.rip, row('wallTimeMs')?.verdict],
      [-88_000, -55, 0.55, 'better'],
    );
    assert.equal(row('gcTimeMs')?.verdict, 'better');
    assert.deepEqual([row('cachedBytes')?.rip, row('cachedBytes')?.percentChange, row('cachedBytes')?.verdict], [undefined, undefined, 'worse']);
    assert.equal(row('peakJvmHeapBytes')?.verdict, 'worse');
    assert.equal(row('outputBytes')?.verdict, 'neutral');
    assert.equal(row('tasks')?.verdict, 'same');
    assert.equal(row('failedTasks')?.verdict, 'same');
    assert.equal(row('peakStorageMemoryBytes')?.verdict, undefined, 'missing on both sides');
    assert.equal(rows.length, 15);
  });

  test('a change within 1 % counts as the same', () => {
    const rows = compareRuns(run({ appId: 'A', name: 'a', wallTimeMs: 100_000 }), run({ appId: 'B', name: 'b', wallTimeMs: 100_900 }));
    assert.equal(rows[0].verdict, 'same');
  });
});

describe('compare: stages by call site', () => {
  test('matches stages with the same name, sums several with counts, lists the unmatched', () => {
    const a = [
      stage({ stageId: 0, name: 'collect at /w/seed.py:31', submissionTime: 0, completionTime: 4_000 }),
      stage({ stageId: 1, name: 'collect at /w/seed.py:31', submissionTime: 4_000, completionTime: 5_000 }),
      stage({ stageId: 2, name: 'toPandas at /w/seed.py:40', submissionTime: 0, completionTime: 100 }),
      stage({ stageId: 3, name: 'collect at /w/seed.py:31', status: 'SKIPPED' }),
    ];
    const b = [
      stage({ stageId: 0, name: 'collect at /w/seed.py:31', submissionTime: 0, completionTime: 2_000 }),
      stage({ stageId: 1, name: 'count at NativeMethodAccessorImpl.java:0', submissionTime: 0, completionTime: 10 }),
    ];
    const c = compareStages(a, b);
    assert.deepEqual(c.matched.map((r) => [r.callSite, r.a?.count, r.a?.durationMs, r.b?.count, r.b?.durationMs, r.placeable]), [
      ['collect at /w/seed.py:31', 2, 5_000, 1, 2_000, true],
    ]);
    assert.deepEqual(c.onlyA.map((r) => r.callSite), ['toPandas at /w/seed.py:40']);
    assert.deepEqual(c.onlyB.map((r) => [r.callSite, r.placeable]), [['count at NativeMethodAccessorImpl.java:0', false]]);
  });
});

describe('compare: export', () => {
  const a = run({ appId: 'app-1', name: 'seed | plain', wallTimeMs: 160_000, memorySpillBytes: 1536 });
  const b = run({ appId: 'app-2', name: '=HYPERLINK("x")', wallTimeMs: 72_000, memorySpillBytes: 0 });
  const rows = compareRuns(a, b);

  test('Markdown: one row per metric, untrusted names escaped', () => {
    const md = comparisonToMarkdown(a, b, rows);
    const lines = md.trimEnd().split('\n');
    assert.equal(lines.length, 2 + 15);
    assert.equal(lines[0], '| Metric | A: seed \\| plain (app\\-1) | B: =HYPERLINK\\("x"\\) (app\\-2) | Difference | % change | RIP |');
    assert.equal(lines[2], '| Wall time | 2m 40s | 1m 12s | −1m 28s | −55.0 % | 0.55 |');
    assert.equal(lines[10], '| Memory spill | 1.5 KiB | 0 B | −1.5 KiB | −100.0 % | 1.00 |');
  });

  test('escapeMarkdownCell neutralises pipes, markup, HTML and line breaks', () => {
    assert.equal(escapeMarkdownCell('a|b*c_<img src=x>\n[link](u)'), 'a\\|b\\*c\\_&lt;img src=x&gt; \\[link\\]\\(u\\)');
  });

  test('CSV per RFC 4180 with CRLF, raw numbers, and formula-looking names defused', () => {
    const csv = comparisonToCsv(a, b, rows);
    const lines = csv.split('\r\n');
    assert.equal(lines[0], 'metric,unit,A: seed | plain (app-1),"B: =HYPERLINK(""x"") (app-2)",difference,percent_change,rip,verdict');
    assert.equal(lines[1], 'Wall time,ms,160000,72000,-88000,-55,0.55,better');
    assert.equal(lines.length, 17);
    assert.equal(lines[16], '');
  });

  test('csvField quotes commas, quotes and newlines, and prefixes formulas in text', () => {
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('say "hi"'), '"say ""hi"""');
    assert.equal(csvField('two\nlines'), '"two\nlines"');
    assert.equal(csvField('=1+1'), "'=1+1");
    assert.equal(csvField(-5), '-5');
    assert.equal(csvField(undefined), '');
    assert.equal(csvField(NaN), '');
  });
});

describe('compare: overlay', () => {
  test('shifts samples to seconds since the application started, dropping earlier ones and non-finite values', () => {
    assert.deepEqual(toElapsed([[999, 1], [1000, 2], [1015, NaN], [1030, 4]], 1_000_000), [
      { x: 0, y: 2 }, { x: 15, y: null }, { x: 30, y: 4 },
    ]);
  });

  test('overlays two runs on one axis ending at the longer run', () => {
    const o = overlaySeries({ samples: [[100, 1], [160, 2]], startMs: 100_000 }, { samples: [[5000, 3], [5030, 4]], startMs: 5_000_000 });
    assert.deepEqual(o.a.map((p) => p.x), [0, 60]);
    assert.deepEqual(o.b.map((p) => p.x), [0, 30]);
    assert.equal(o.maxX, 60);
  });
});

describe('compare: cache impact', () => {
  test('summarises time and storage for the lens, peak storage first', () => {
    const without = run({ appId: 'A', name: 'plain', wallTimeMs: 100_000, peakStorageMemoryBytes: 10 * MiB, cachedBytes: 0 });
    const withCache = run({ appId: 'B', name: 'cached', wallTimeMs: 62_000, peakStorageMemoryBytes: 422 * MiB, cachedBytes: 400 * MiB });
    assert.equal(formatCacheImpact(compareRuns(without, withCache)), 'cache: −38 % time, +412 MiB storage');
    const noPeaks = compareRuns(run({ appId: 'A', name: 'a', wallTimeMs: 100_000 }), run({ appId: 'B', name: 'b', wallTimeMs: 150_000, cachedBytes: 2048 }));
    assert.equal(formatCacheImpact(noPeaks), 'cache: +50 % time, +2.0 KiB storage');
  });
});

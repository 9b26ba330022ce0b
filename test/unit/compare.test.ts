import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  aggregateRun,
  compareGroups,
  compareRuns,
  compareStages,
  formatCacheImpact,
  jobTime,
  medianAggregate,
  overlaySeries,
  percentChange,
  rip,
  toElapsed,
  type RunAggregate,
} from '../../src/model/compare';
import { comparisonToCsv, comparisonToMarkdown, csvField, escapeMarkdownCell, ripTableToMarkdown } from '../../src/model/compareTables';
import type { Application, CachedDataset, Executor, Job, Stage } from '../../src/model/types';

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

  test('missing is not zero: CPU time before 2.1 (or 0 ns beside run time), shuffle reads before 1.3', () => {
    const stages = [stage({ stageId: 0, name: 'collect at <console>:26', executorRunTimeMs: 666, executorCpuTimeNs: 0, shuffleReadBytes: 0, shuffleWriteBytes: 171_000 })];
    const v14 = aggregateRun({ ...appA, sparkVersion: '1.4.0-SNAPSHOT' }, [], stages, []);
    assert.equal(v14.cpuTimeMs, undefined);
    assert.equal(v14.shuffleReadBytes, 0, 'reported from 1.3');
    const v12 = aggregateRun({ ...appA, sparkVersion: '' }, [], stages, []);
    assert.equal(v12.shuffleReadBytes, undefined, 'a History Server says "" for logs older than 1.3');
    assert.equal(aggregateRun({ ...appA, sparkVersion: '3.5.9' }, [], stages, []).cpuTimeMs, undefined, 'a log without it');
    assert.equal(aggregateRun({ ...appA, sparkVersion: '3.5.9' }, [], [{ ...stages[0], executorCpuTimeNs: 64_000_000 }], []).cpuTimeMs, 64);
    const rows = compareRuns(v14, aggregateRun({ ...appB, sparkVersion: '4.3.0' }, [], [{ ...stages[0], executorCpuTimeNs: 64_000_000 }], []));
    const cpu = rows.find((r) => r.metric === 'cpuTimeMs')!;
    assert.deepEqual([cpu.a, cpu.b, cpu.difference, cpu.rip, cpu.verdict], [undefined, 64, undefined, undefined, undefined]);
  });

  test('job time: first job submitted to last job completed; a running application\'s jobs end at its duration so far', () => {
    const j = (jobId: number, submissionTime: number, completionTime?: number): Job => ({
      jobId, name: 'x', status: completionTime ? 'SUCCEEDED' : 'RUNNING', submissionTime, completionTime, stageIds: [], numTasks: 0, numActiveTasks: 0,
      numCompletedTasks: 0, numSkippedTasks: 0, numFailedTasks: 0, numActiveStages: 0, numCompletedStages: 0, numSkippedStages: 0, numFailedStages: 0,
    });
    assert.equal(jobTime(appA, [j(1, 1_010_000, 1_040_000), j(0, 1_005_000, 1_020_000)]), 35_000);
    assert.equal(jobTime(appA, []), undefined);
    assert.equal(jobTime(appA, [j(0, 1_005_000)]), undefined, 'a finished application\'s job without an end');
    assert.equal(jobTime({ ...appA, state: 'running', durationMs: 50_000 }, [j(0, 1_005_000)]), 45_000);
    assert.equal(aggregateRun(appA, [], [], [], [j(0, 1_005_000, 1_020_000)]).jobTimeMs, 15_000);
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
    assert.equal(rows.length, 16);
  });

  test('a change within 1 % counts as the same', () => {
    const rows = compareRuns(run({ appId: 'A', name: 'a', wallTimeMs: 100_000 }), run({ appId: 'B', name: 'b', wallTimeMs: 100_900 }));
    assert.equal(rows[0].verdict, 'same');
  });
});

describe('compare: groups of runs', () => {
  // Issue 15: one pair gave +80.8 % wall time, which the next pair reversed.
  const walls = (xs: number[], name: string) => xs.map((w, i) => run({ appId: `${name}-${i}`, name, wallTimeMs: w, gcTimeMs: 1_000 * (i + 1), inputBytes: 100 }));

  test('per metric the median and the range of each side; a difference inside the wider range is within noise', () => {
    const rows = compareGroups(walls([10_000, 18_080, 11_000], 'plain'), walls([12_000, 9_500, 10_500], 'cached'));
    const wall = rows.find((r) => r.metric === 'wallTimeMs')!;
    assert.deepEqual(wall.aSpread, { n: 3, median: 11_000, min: 10_000, max: 18_080 });
    assert.deepEqual(wall.bSpread, { n: 3, median: 10_500, min: 9_500, max: 12_000 });
    assert.deepEqual([wall.a, wall.b, wall.difference, wall.verdict], [11_000, 10_500, -500, 'noise']);
    assert.equal(wall.rip, 500 / 11_000);
    assert.equal(rows.find((r) => r.metric === 'inputBytes')!.verdict, 'same');
  });

  test('a difference beyond the spread is an improvement or a degradation', () => {
    const rows = compareGroups(walls([20_000, 21_000, 20_500], 'plain'), walls([12_000, 12_500, 11_800], 'cached'));
    assert.equal(rows.find((r) => r.metric === 'wallTimeMs')!.verdict, 'better');
    assert.equal(compareGroups(walls([12_000, 12_500, 11_800], 'x'), walls([20_000, 21_000, 20_500], 'y')).find((r) => r.metric === 'wallTimeMs')!.verdict, 'worse');
  });

  test('a run that did not report a metric leaves the side without a median for it', () => {
    const as = walls([10_000, 11_000, 12_000], 'a');
    const rows = compareGroups([...as.slice(0, 2), { ...as[2], peakJvmHeapBytes: 5 }], walls([1, 2, 3], 'b').map((r) => ({ ...r, peakJvmHeapBytes: 7 })));
    const heap = rows.find((r) => r.metric === 'peakJvmHeapBytes')!;
    assert.deepEqual([heap.a, heap.aSpread, heap.b, heap.difference, heap.verdict], [undefined, undefined, 7, undefined, undefined]);
  });

  test('the medians as one aggregate for headers; one run is itself', () => {
    const m = medianAggregate(walls([10_000, 18_080, 11_000], 'plain'));
    assert.equal(m.wallTimeMs, 11_000);
    assert.equal(m.name, 'plain (median of 3 runs)');
    assert.equal(m.appId, 'plain-0, plain-1, plain-2');
    assert.equal(m.peakJvmHeapBytes, undefined);
    const one = walls([5], 'x')[0];
    assert.equal(medianAggregate([one]), one);
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

  test('Markdown: one row per metric, untrusted names escaped, "–" for what a run did not report', () => {
    const md = comparisonToMarkdown(a, b, rows);
    const lines = md.trimEnd().split('\n');
    assert.equal(lines.length, 2 + 16);
    assert.equal(lines[0], '| Metric | A: seed \\| plain (app\\-1) | B: =HYPERLINK\\("x"\\) (app\\-2) | Difference | % change | RIP | Verdict |');
    assert.equal(lines[2], '| Wall time | 2m 40s | 1m 12s | −1m 28s | −55.0 % | 0.55 | improvement |');
    assert.equal(lines[3], '| Job time | – | – | – | – | – | – |');
    assert.equal(lines[11], '| Memory spill | 1.5 KiB | 0 B | −1.5 KiB | −100.0 % | 1.00 | improvement |');
  });

  test('Markdown of groups: the median with its range, and how many runs', () => {
    const g = (ws: number[], name: string) => ws.map((w, i) => run({ appId: `${name}${i}`, name, wallTimeMs: w }));
    const ga = g([10_000, 18_000, 11_000], 'p');
    const gb = g([9_000, 9_500, 10_000], 'c');
    const md = comparisonToMarkdown(medianAggregate(ga), medianAggregate(gb), compareGroups(ga, gb)).split('\n');
    assert.equal(md[0], '| Metric | A: p \\(median of 3 runs\\) (p0, p1, p2), median (min–max) of 3 runs | B: c \\(median of 3 runs\\) (c0, c1, c2), median (min–max) of 3 runs | Difference | % change | RIP | Verdict |');
    assert.equal(md[2], '| Wall time | 11 s (10 s–18 s) | 9.5 s (9.0 s–10 s) | −1.5 s | −13.6 % | 0.14 | within noise |');
  });

  test('the RIP table laid out as the talk\'s: metric, without, with, RIP', () => {
    const t = ripTableToMarkdown(rows.slice(0, 2), { a: 'Without df1.cache()', b: 'With df1.cache()' }).split('\n');
    assert.deepEqual(t.slice(0, 4), ['| Metric | Without df1\\.cache\\(\\) | With df1\\.cache\\(\\) | RIP |', '|---|---:|---:|---:|', '| Wall time | 2m 40s | 1m 12s | 0.55 |', '| Job time | – | – | – |']);
  });

  test('escapeMarkdownCell neutralises pipes, markup, HTML and line breaks', () => {
    assert.equal(escapeMarkdownCell('a|b*c_<img src=x>\n[link](u)'), 'a\\|b\\*c\\_&lt;img src=x&gt; \\[link\\]\\(u\\)');
  });

  test('CSV per RFC 4180 with CRLF, raw numbers, and formula-looking names defused', () => {
    const csv = comparisonToCsv(a, b, rows);
    const lines = csv.split('\r\n');
    assert.equal(lines[0], 'metric,unit,A: seed | plain (app-1),"B: =HYPERLINK(""x"") (app-2)",difference,percent_change,rip,verdict,a_runs,a_min,a_max,b_runs,b_min,b_max');
    assert.equal(lines[1], 'Wall time,ms,160000,72000,-88000,-55,0.55,improvement,1,160000,160000,1,72000,72000');
    assert.equal(lines[2], 'Job time,ms,–,–,–,–,–,–,–,–,–,–,–,–', 'not reported: "–", never empty or 0');
    assert.equal(lines.length, 18);
    assert.equal(lines[17], '');
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
    // Job time wins over wall time (which counts a session held after the work); noise says so.
    const jobs = compareRuns(run({ appId: 'A', name: 'a', wallTimeMs: 100_000, jobTimeMs: 40_000 }), run({ appId: 'B', name: 'b', wallTimeMs: 100_000, jobTimeMs: 30_000 }));
    assert.equal(formatCacheImpact(jobs), 'cache: −25 % time, 0 B storage');
    const g = (ws: number[]) => ws.map((w) => run({ appId: 'x', name: 'x', jobTimeMs: w }));
    assert.equal(formatCacheImpact(compareGroups(g([10_000, 14_000, 11_000]), g([9_000, 12_000, 10_000]))), 'cache: time within noise, 0 B storage');
  });
});

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { scanPythonSource } from '../../src/model/cacheScanner';
import { cacheLensText } from '../../src/model/cacheLensText';
import { matchCacheCalls, type CacheMatch } from '../../src/model/cacheMatcher';
import { cachedDatasetState, cacheLensState } from '../../src/model/cacheLensState';
import { classifyDatasetName, parseHookName, parseTableName } from '../../src/model/datasetNames';
import { possibleStorageLevels } from '../../src/model/cacheHeuristics';
import type { CachedDataset, Executor } from '../../src/model/types';

const MiB = 1024 * 1024;
const DF_LEVEL = 'Disk Memory Deserialized 1x Replicated';
const RDD_LEVEL = 'Memory Serialized 1x Replicated';

function ds(rddId: number, name: string, p: Partial<CachedDataset> = {}): CachedDataset {
  return {
    rddId, name, numPartitions: 8, numCachedPartitions: 8, storageLevel: DF_LEVEL, memoryUsed: 300 * MiB, diskUsed: 0,
    distribution: [{ address: '127.0.0.1:40000', memoryUsed: 300 * MiB, memoryRemaining: 66 * MiB, diskUsed: 0 }], ...p,
  };
}

/** The seed job: two random DataFrames of four double columns, cached, cross-joined, grouped. */
const SEED = [
  'from pyspark.sql import SparkSession, functions as F',
  '',
  'spark = SparkSession.builder.appName("seed-cached").getOrCreate()',
  '',
  'df1 = spark.range(0, 1000000).select(',
  '    F.rand(1).alias("a1"), F.rand(2).alias("a2"), F.randn(3).alias("a3"), F.randn(4).alias("a4"))',
  'df2 = (spark.range(0, 2000)',
  '       .withColumn("b1", F.rand(5))',
  '       .withColumn("b2", F.rand(6)))',
  '',
  'df1.cache()',
  'df2.cache()',
  'cross = df1.crossJoin(df2)',
  'print(cross.groupBy((F.col("a1") * 10).cast("int")).count().collect())',
].join('\n');

/** What Spark names the two entries: the physical plan text (InMemoryRelation's cachedName). */
const PLAN1 = '*(1) Project [rand(1) AS a1#2, rand(2) AS a2#3, randn(3) AS a3#4, randn(4) AS a4#5]\n+- *(1) Range (0, 1000000, step=1, splits=8)\n';
const PLAN2 = '*(1) Project [id#8L, rand(5) AS b1#10, rand(6) AS b2#13]\n+- *(1) Range (0, 2000, step=1, splits=8)\n';

function matchesOf(text: string, datasets: CachedDataset[], filePath = '/home/me/proj/seed.py'): CacheMatch[] {
  const scan = scanPythonSource(text);
  return matchCacheCalls({ filePath, text, scan, datasets }).map((m) => m.match);
}

function rddOf(m: CacheMatch): number | undefined {
  return m.kind === 'matched' ? m.dataset.rddId : undefined;
}

describe('cacheMatcher: names', () => {
  test('parses the hook name contract', () => {
    assert.deepEqual(parseHookName('df1.cache() at /abs/dir/seed_cached.py:18'), { callText: 'df1.cache()', receiver: 'df1', method: 'cache', path: '/abs/dir/seed_cached.py', line: 18 });
    assert.deepEqual(parseHookName('df.persist(StorageLevel.DISK_ONLY) at seed.py:7'), { callText: 'df.persist(StorageLevel.DISK_ONLY)', receiver: 'df', method: 'persist', path: 'seed.py', line: 7 });
    assert.equal(parseHookName(PLAN1), undefined);
    assert.equal(parseHookName('In-memory table t'), undefined);
    assert.equal(parseHookName('collect at /w/seed.py:3'), undefined);
  });

  test('parses a helper\'s calling line and a library\'s module', () => {
    assert.deepEqual(parseHookName('df.cache() at /w/helpers.py:5 called from /w/job.py:18'), {
      callText: 'df.cache()', receiver: 'df', method: 'cache', path: '/w/helpers.py', line: 5, caller: { path: '/w/job.py', line: 18 },
    });
    assert.deepEqual(parseHookName('out.persist(StorageLevel.DISK_ONLY) in fakelib.prep at /w/a b/job.py:7 called from /w/a b/main.py:3'), {
      callText: 'out.persist(StorageLevel.DISK_ONLY)', receiver: 'out', method: 'persist', path: '/w/a b/job.py', line: 7,
      caller: { path: '/w/a b/main.py', line: 3 }, library: 'fakelib.prep',
    });
    assert.deepEqual(parseHookName('x.cache() in pyspark.pandas.frame at C:\\job.py:2'), {
      callText: 'x.cache()', receiver: 'x', method: 'cache', path: 'C:\\job.py', line: 2, library: 'pyspark.pandas.frame',
    });
    // Text that only looks like the suffixes stays in the call.
    assert.equal(parseHookName('[d for d in ds][0].cache() at /w/job.py:4')?.receiver, '[d for d in ds][0]');
    assert.equal(parseHookName('df.cache() at /w/job.py:4 called from nowhere'), undefined);
  });

  test('classifies dataset names', () => {
    assert.equal(classifyDatasetName('df1.cache() at /w/seed.py:18'), 'hook');
    assert.equal(classifyDatasetName('In-memory table events'), 'table');
    assert.equal(parseTableName('In-memory table events'), 'events');
    assert.equal(classifyDatasetName(PLAN1), 'plan');
    assert.equal(classifyDatasetName('*(1) Scan ExistingRDD[c1#0,c2#1,c3#2,c4#3]'), 'plan');
    assert.equal(classifyDatasetName('PythonRDD'), 'rddClass');
    assert.equal(classifyDatasetName('numbers'), 'custom');
  });

  test('storage levels a call can produce: DataFrame and RDD defaults for cache(), the named one for persist', () => {
    const [cache, persist] = scanPythonSource('a.cache()\nb.persist(StorageLevel.DISK_ONLY)').calls;
    assert.deepEqual(possibleStorageLevels(cache), [DF_LEVEL, RDD_LEVEL]);
    assert.deepEqual(possibleStorageLevels(persist), ['Disk Serialized 1x Replicated', 'Disk Deserialized 1x Replicated']);
  });
});

describe('cacheMatcher: exact evidence', () => {
  test('the hook\'s names tie each call to its own dataset, never swapped; other files\' datasets are left out', () => {
    const datasets = [
      ds(12, 'df2.cache() at /opt/spark/work/seed.py:12', { memoryUsed: 1 * MiB }),
      ds(7, 'df1.cache() at /opt/spark/work/seed.py:11', { memoryUsed: 300 * MiB }),
      ds(3, 'df1.cache() at /opt/spark/work/other.py:11'),
    ];
    const m = matchesOf(SEED, datasets);
    assert.deepEqual(m.map(rddOf), [7, 12]);
    assert.ok(m.every((x) => x.kind === 'matched' && x.confidence === 'exact' && x.evidence === 'hookName'));
  });

  test('a hook line may be the statement\'s first line or the .cache line', () => {
    const text = 'df = (spark.range(10)\n      .cache())\nother = (spark.range(5)\n      .cache())';
    const m = matchesOf(text, [ds(1, 'df.cache() at /x/seed.py:1'), ds(2, 'other.cache() at /x/seed.py:4')]);
    assert.deepEqual(m.map(rddOf), [1, 2]);
  });

  test('two calls on one line are told apart by the receiver in the hook name', () => {
    const m = matchesOf('a.cache(); b.cache()', [ds(5, 'b.cache() at /x/seed.py:1'), ds(4, 'a.cache() at /x/seed.py:1')]);
    assert.deepEqual(m.map(rddOf), [4, 5]);
  });

  test('a cache call in a loop: the newest dataset, the older ones listed', () => {
    const [m] = matchesOf('for i in range(3):\n    d = spark.range(i).cache()', [ds(1, 'spark.range(i).cache() at /x/seed.py:2'), ds(9, 'spark.range(i).cache() at /x/seed.py:2')]);
    assert.equal(rddOf(m), 9);
    assert.deepEqual(m.kind === 'matched' ? m.alsoFromThisLine?.map((d) => d.rddId) : [], [1]);
  });

  test('a helper called from several lines: one dataset per calling line, newest of each, in line order', () => {
    const text = 'def cached(df):\n    return df.cache()\n\na = cached(spark.range(1))\nb = cached(spark.range(2))\nfor i in range(2):\n    c = cached(spark.range(i))';
    const at = (rdd: number, caller: number, file = '/x/seed.py') => ds(rdd, `df.cache() at /x/seed.py:2 called from ${file}:${caller}`, { memoryUsed: rdd * MiB });
    const [m] = matchesOf(text, [at(9, 7), at(3, 5), at(1, 4), at(7, 7), at(11, 12, '/x/other.py')]);
    assert.equal(m.kind, 'matched');
    if (m.kind !== 'matched') return;
    assert.equal(m.dataset.rddId, 11, 'the newest, for the link to the tree');
    assert.deepEqual(m.callers?.map((c) => [c.line, c.sameFile, c.dataset.rddId]), [[4, true, 1], [5, true, 3], [7, true, 9], [12, false, 11]]);
    assert.deepEqual(m.alsoFromThisLine?.map((d) => d.rddId), [7], 'the loop\'s older dataset');
    assert.equal(m.evidence, 'hookName');
  });

  test('a helper called from one line is the plain case; a library\'s dataset never lands on a cache call', () => {
    const text = 'def cached(df):\n    return df.cache()\n\na = cached(spark.range(1))\nb = lib.prepare(a)\nb.cache()';
    const m = matchesOf(text, [ds(4, 'df.cache() at /x/seed.py:2 called from /x/seed.py:4'), ds(6, 'b.cache() in lib.prep at /x/seed.py:6')]);
    assert.deepEqual(m.map((x) => [x.kind, rddOf(x)]), [['matched', 4], ['unmatched', undefined]]);
    assert.equal(m[0].kind === 'matched' && m[0].callers, undefined);
  });

  test('tables: cacheTable and CACHE TABLE match "In-memory table <name>" exactly, case and backticks aside', () => {
    const text = 'spark.catalog.cacheTable("events")\nspark.sql("CACHE TABLE `Sales`.`daily` AS SELECT 1")\nsqlContext.cacheTable(\'missing\')';
    const m = matchesOf(text, [ds(2, 'In-memory table sales.daily'), ds(1, 'In-memory table events'), ds(3, PLAN1)]);
    assert.deepEqual(m.map((x) => [x.kind, rddOf(x)]), [['matched', 1], ['matched', 2], ['unmatched', undefined]]);
    assert.equal(m[0].kind === 'matched' && m[0].evidence, 'tableName');
  });

  test('setName("x") on the chain or the same variable names the dataset exactly', () => {
    const text = 'rdd = sc.parallelize(range(100)).setName("numbers").cache()\nother = sc.parallelize(range(5))\nother.setName("five")\nother.cache()';
    const m = matchesOf(text, [ds(4, 'five', { storageLevel: RDD_LEVEL }), ds(3, 'numbers', { storageLevel: RDD_LEVEL })]);
    assert.deepEqual(m.map(rddOf), [3, 4]);
    assert.ok(m.every((x) => x.kind === 'matched' && x.evidence === 'setName' && x.confidence === 'exact'));
  });

  test('a dataset matched exactly to one call is never offered to another', () => {
    const text = 'df1.cache()\ndf3 = spark.range(7)\ndf3.cache()';
    const m = matchesOf(text, [ds(1, 'df1.cache() at /x/seed.py:1')]);
    assert.equal(rddOf(m[0]), 1);
    assert.equal(m[1].kind, 'unmatched');
  });
});

describe('cacheMatcher: heuristics', () => {
  test('plan text against the code near each call: estimated, with the reason', () => {
    const m = matchesOf(SEED, [ds(21, PLAN2), ds(20, PLAN1)]);
    assert.deepEqual(m.map(rddOf), [20, 21]);
    for (const x of m) {
      assert.equal(x.kind === 'matched' && x.confidence, 'estimated');
      assert.match(x.kind === 'matched' ? x.reason : '', /^estimated: the plan of rdd \d+ mentions /);
    }
    assert.match(m[0].kind === 'matched' ? m[0].reason : '', /Range \(0, 1000000\)/);
  });

  test('datasets that fit equally are ambiguous, with the order of materialisation suggested first', () => {
    const text = 'x = spark.createDataFrame(rows1)\ny = spark.createDataFrame(rows2)\nx.cache()\ny.cache()';
    const scanA = '*(1) Scan ExistingRDD[c1#0,c2#1,c3#2,c4#3]';
    const scanB = '*(1) Scan ExistingRDD[c1#8,c2#9,c3#10,c4#11]';
    const m = matchesOf(text, [ds(31, scanB), ds(30, scanA)]);
    assert.deepEqual(m.map((x) => x.kind), ['ambiguous', 'ambiguous']);
    assert.deepEqual(m.map((x) => (x.kind === 'ambiguous' ? x.candidates.map((d) => d.rddId) : [])), [[30, 31], [31, 30]]);
  });

  test('one call and one dataset left: estimated as the only candidate', () => {
    const [m] = matchesOf('df = load()\ndf.cache()', [ds(4, '*(1) Scan ExistingRDD[v#0]')]);
    assert.equal(m.kind === 'matched' && m.evidence, 'onlyCandidate');
    assert.equal(rddOf(m), 4);
  });

  test('storage levels separate persist(DISK_ONLY) from cache() without any other clue', () => {
    const text = 'a = load()\nb = load()\na.persist(StorageLevel.DISK_ONLY)\nb.cache()';
    const m = matchesOf(text, [
      ds(2, '*(1) Scan ExistingRDD[v#1]', { storageLevel: DF_LEVEL }),
      ds(1, '*(1) Scan ExistingRDD[v#0]', { storageLevel: 'Disk Serialized 1x Replicated', memoryUsed: 0, diskUsed: 50 * MiB }),
    ]);
    assert.deepEqual(m.map(rddOf), [1, 2]);
  });

  test('a hook name whose line moved (file edited since the run) is an estimate by receiver', () => {
    const text = '# a new first line\ndf1 = spark.range(3)\ndf1.cache()';
    const [m] = matchesOf(text, [ds(5, 'df1.cache() at /x/seed.py:2')]);
    assert.equal(m.kind === 'matched' && m.evidence, 'movedHookName');
    assert.equal(m.kind === 'matched' && m.confidence, 'estimated');
  });

  test('no dataset at all: unmatched', () => {
    assert.equal(matchesOf('df.cache()', [])[0].kind, 'unmatched');
  });
});

function executor(id: string, maxMemory: number, isActive = true): Executor {
  return {
    id, hostPort: '127.0.0.1:1', isActive, totalCores: 2, maxTasks: 2, activeTasks: 0, failedTasks: 0, completedTasks: 0, totalTasks: 0,
    totalDurationMs: 0, totalGCTimeMs: 0, memoryUsed: 0, maxMemory, diskUsed: 0, totalInputBytes: 0, totalShuffleRead: 0,
    totalShuffleWrite: 0, rddBlocks: 0, peak: {},
  };
}

describe('cacheMatcher: lens states', () => {
  test('dataset states: full, partial, spilled, not materialised; DISK_ONLY on disk is full', () => {
    assert.equal(cachedDatasetState(ds(1, 'x')), 'full');
    assert.equal(cachedDatasetState(ds(1, 'x', { numCachedPartitions: 5 })), 'partial');
    assert.equal(cachedDatasetState(ds(1, 'x', { diskUsed: 10 })), 'spilled');
    assert.equal(cachedDatasetState(ds(1, 'x', { numCachedPartitions: 0 })), 'notMaterialised');
    assert.equal(cachedDatasetState(ds(1, 'x', { storageLevel: 'Disk Serialized 1x Replicated', diskUsed: 10, memoryUsed: 0 })), 'full');
  });

  test('measured: figures with the share of the active executors\' storage memory', () => {
    const match: CacheMatch = { kind: 'matched', dataset: ds(7, 'x', { memoryUsed: 300 * MiB }), confidence: 'exact', evidence: 'hookName', reason: 'r' };
    const s = cacheLensState({ appId: 'app-1', match, executors: [executor('driver', 400 * MiB), executor('1', 800 * MiB), executor('2', 999 * MiB, false)], now: 0 });
    assert.equal(s.kind, 'measured');
    assert.equal(s.kind === 'measured' && s.figures.storageShare, 0.25);
    assert.equal(s.kind === 'measured' && s.state, 'full');
  });

  test('a helper\'s lens sums its calling lines\' datasets and keeps each one\'s figures', () => {
    const a = ds(3, 'a', { memoryUsed: 10 * MiB, numPartitions: 4, numCachedPartitions: 4 });
    const b = ds(5, 'b', { memoryUsed: 30 * MiB, diskUsed: 2 * MiB, numPartitions: 8, numCachedPartitions: 6 });
    const match: CacheMatch = {
      kind: 'matched', dataset: b, confidence: 'exact', evidence: 'hookName', reason: 'r',
      callers: [{ path: '/x/seed.py', line: 4, sameFile: true, dataset: a }, { path: '/x/main.py', line: 9, sameFile: false, dataset: b }],
    };
    const s = cacheLensState({ appId: 'a', match, executors: [executor('driver', 400 * MiB)], now: 0 });
    assert.equal(s.kind, 'measured');
    if (s.kind !== 'measured') return;
    assert.deepEqual([s.figures.memoryUsed, s.figures.diskUsed, s.figures.numCachedPartitions, s.figures.numPartitions, s.figures.rddId], [40 * MiB, 2 * MiB, 10, 12, 5]);
    assert.equal(s.figures.storageShare, 0.1);
    assert.equal(s.state, 'partial');
    assert.deepEqual(s.callers?.map((c) => [c.line, c.figures.memoryUsed]), [[4, 10 * MiB], [9, 30 * MiB]]);
    const none = cacheLensState({ appId: 'a', match: { ...match, callers: match.callers!.map((c) => ({ ...c, dataset: { ...c.dataset, numCachedPartitions: 0 } })) }, now: 0 });
    assert.deepEqual(none, { kind: 'notMaterialised', appId: 'a', reason: 'cached from 2 calling lines, but no action has computed them yet' });
  });

  test('no application, not yet materialised, ambiguous', () => {
    assert.deepEqual(cacheLensState({ now: 0 }), { kind: 'noApplication' });
    assert.equal(cacheLensState({ appId: 'a', match: { kind: 'unmatched', reason: 'r' }, now: 0 }).kind, 'notMaterialised');
    const amb = cacheLensState({ appId: 'a', match: { kind: 'ambiguous', candidates: [ds(1, 'p'), ds(2, 'q')], reason: 'r' }, now: 0 });
    assert.deepEqual(amb.kind === 'ambiguous' ? amb.candidates.map((c) => c.rddId) : [], [1, 2]);
  });

  test('an ended application whose source lists no dataset for the call: "ended", never "not materialised"', () => {
    // A History Server lists no cached data for a finished application (Spark drops it at stop).
    const ended = cacheLensState({ appId: 'a', ended: true, match: { kind: 'unmatched', reason: 'r' }, now: 0 });
    assert.equal(ended.kind, 'ended');
    assert.match(cacheLensText(ended).title, /run ended · Spark keeps no cached data after an application stops/);
    assert.doesNotMatch(cacheLensText(ended).title, /not materialised/);
    const unbuilt = cacheLensState({ appId: 'a', ended: true, match: { kind: 'matched', dataset: ds(7, 'x', { numCachedPartitions: 0 }), confidence: 'exact', evidence: 'hookName', reason: 'r' }, now: 0 });
    assert.equal(unbuilt.kind, 'ended');
    // Figures a source still lists for an ended application are shown.
    const kept = cacheLensState({ appId: 'a', ended: true, match: { kind: 'matched', dataset: ds(7, 'x'), confidence: 'exact', evidence: 'hookName', reason: 'r' }, now: 0 });
    assert.equal(kept.kind, 'measured');
    // Running: as before.
    assert.equal(cacheLensState({ appId: 'a', ended: false, match: { kind: 'unmatched', reason: 'r' }, now: 0 }).kind, 'notMaterialised');
  });

  test('offline: the last state with its age from the given clock', () => {
    const match: CacheMatch = { kind: 'matched', dataset: ds(7, 'x'), confidence: 'exact', evidence: 'hookName', reason: 'r' };
    const s = cacheLensState({ appId: 'a', match, offlineSince: 100_000, now: 112_000 });
    assert.equal(s.kind, 'offline');
    assert.equal(s.kind === 'offline' && s.ageMs, 12_000);
    assert.equal(s.kind === 'offline' && s.last.kind, 'measured');
  });
});

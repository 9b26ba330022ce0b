/**
 * "Run File with Observability" and the cache lenses against a real Spark, on pyspark 4.3.0 and
 * 3.5.9: jobs run through exactly the spark-submit command line the extension builds
 * (launcher/submitCommand.ts) with the real hook, and the lenses are computed by the same model
 * function the lens provider calls (model/fileLenses.ts) from a real store. Every figure is
 * compared with what Spark's REST API says at the same moment.
 *
 * One job at a time (2 cores); every job is stopped in after().
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getJson, JOBS, makeStore, venv } from './env';
import { appId, lensesOf, lineOf, Run, submitWithHook, until } from './runs';
import { findSparkSubmit } from '../../src/launcher/sparkSubmit';
import type { CallLens } from '../../src/model/fileLenses';
import { cacheLensText } from '../../src/model/cacheLensText';
import { formatBytes } from '../../src/model/format';
import { cacheSwitchOffOutcome } from '../../src/model/hookEvents';
import type { Store } from '../../src/store/store';

const VERSIONS = ['4.3.0', '3.5.9'];

const tmp = mkdtempSync(join(tmpdir(), 'so-runfile-'));
// The extension creates its event log folder before a run; Spark refuses a missing one.
mkdirSync(join(tmp, 'eventlog'));

/** Starts a fixture job exactly as the extension's runFile does (same argv and environment). */
function submit(version: string, fixture: string, env: Record<string, string>, extra: { disable?: number[]; args?: string[] } = {}): Promise<Run> {
  const file = join(JOBS, fixture);
  return submitWithHook({
    version, file, tmp, env, args: extra.args,
    disable: (extra.disable ?? []).map((line) => ({ file, line })),
    extraConf: { 'spark.ui.showConsoleProgress': 'false', 'spark.driver.memory': '1g' },
  });
}

interface RawRdd {
  id: number;
  name: string;
  memoryUsed: number;
  diskUsed: number;
  numCachedPartitions: number;
  numPartitions: number;
  storageLevel: string;
}

const at = (lenses: CallLens[], line1: number) => {
  const l = lenses.find((x) => x.call.line === line1 - 1);
  assert.ok(l, `a lens on line ${line1}; lenses on ${lenses.map((x) => x.call.line + 1).join(', ')}`);
  return l;
};

function assertFigure(l: CallLens, rdd: RawRdd, what: string): void {
  assert.equal(l.state.kind, 'measured', `${what}: ${JSON.stringify(l.state).slice(0, 300)}`);
  if (l.state.kind !== 'measured') return;
  assert.equal(l.state.figures.rddId, rdd.id, `${what} shows its own dataset`);
  assert.ok(Math.abs(l.state.figures.memoryUsed - rdd.memoryUsed) <= 0.01 * rdd.memoryUsed, `${what}: lens ${l.state.figures.memoryUsed} vs REST ${rdd.memoryUsed}`);
  assert.equal(l.state.figures.diskUsed, rdd.diskUsed);
  assert.ok(cacheLensText(l.state).title.includes(`${formatBytes(rdd.memoryUsed)} in memory`), cacheLensText(l.state).title);
}

/** Measured figures, printed for the report. */
function note(version: string, what: string, l: CallLens, rdd: RawRdd): void {
  const f = l.state.kind === 'measured' ? l.state.figures : undefined;
  console.log(`    [${version}] ${what}: lens memory ${f?.memoryUsed} B disk ${f?.diskUsed} B (rdd ${f?.rddId}) | REST memoryUsed ${rdd.memoryUsed} B diskUsed ${rdd.diskUsed} B (rdd ${rdd.id}) | ${cacheLensText(l.state).title}`);
}

after(() => rmSync(tmp, { recursive: true, force: true }));

describe('finding spark-submit', () => {
  test('the setting, then PATH, then SPARK_HOME, then the selected interpreter\'s pyspark', async () => {
    const v = venv('4.3.0');
    const home = join(v.sparkSubmit, '..', '..');
    const bin = join(v.python, '..');
    assert.deepEqual(await findSparkSubmit({ setting: v.sparkSubmit, pathEnv: bin }), { path: v.sparkSubmit, via: 'setting' });
    const wrong = await findSparkSubmit({ setting: '/nope/spark-submit', pathEnv: bin });
    assert.ok('error' in wrong && /sparkSubmitPath is \/nope\/spark-submit/.test(wrong.error));
    assert.deepEqual(await findSparkSubmit({ pathEnv: `/nonexistent:${bin}`, sparkHome: home }), { path: join(bin, 'spark-submit'), via: 'PATH' });
    assert.deepEqual(await findSparkSubmit({ pathEnv: '/nonexistent', sparkHome: home }), { path: join(home, 'bin', 'spark-submit'), via: 'SPARK_HOME' });
    assert.deepEqual(await findSparkSubmit({ pathEnv: '', python: v.python }), { path: v.sparkSubmit, via: 'python', python: v.python });
    const none = await findSparkSubmit({ pathEnv: '', python: '/usr/bin/false' });
    assert.ok('error' in none && /not on PATH; SPARK_HOME not set; no pyspark in \/usr\/bin\/false/.test(none.error), JSON.stringify(none));
  });
});

for (const version of VERSIONS) {
  describe(`pyspark ${version}: the cached seed job run with the hook`, () => {
    let run: Run;
    let id: string;
    let store: Store;
    let rdds: RawRdd[];

    before(async () => {
      run = await submit(version, 'seed_cached.py', { HOLD_SECONDS: '90' }, { args: ['400000', '24'] });
      id = await appId(run);
      await until(run, /seed-cached done/);
      rdds = await getJson<RawRdd[]>(`${run.uiUrl}/api/v1/applications/${id}/storage/rdd`);
      store = makeStore([{ name: 'driver', url: run.uiUrl, kind: 'driver', group: 'it' }]);
      await store.refresh();
      store.watch(`it|${id}`);
    });
    after(async () => {
      store?.dispose();
      await run?.stop();
    });

    test('names both cached datasets after their lines', () => {
      const names = rdds.map((r) => r.name).sort();
      assert.deepEqual(names, [`df1.cache() at ${run.file}:${lineOf(run.file, 'df1.cache()')}`, `df2.cache() at ${run.file}:${lineOf(run.file, 'df2 = df2.cache()')}`]);
      const events = run.events();
      // The RDD ids are known once an action has built the cached RDDs (the hook never builds them).
      const built = events.filter((e) => e.event === 'cacheRdd');
      assert.deepEqual(built.map((e) => [e.line, e.rddId]).sort(), rdds.map((r) => [Number(r.name.split(':').pop()), r.id]).sort());
      assert.equal(events[0].event, 'ready');
    });

    test('each lens shows its own dataset\'s /storage/rdd memory, never swapped', async () => {
      const lenses = await lensesOf(store, run.file, run);
      const raw = await getJson<RawRdd[]>(`${run.uiUrl}/api/v1/applications/${id}/storage/rdd`);
      const l1 = lineOf(run.file, 'df1.cache()');
      const l2 = lineOf(run.file, 'df2 = df2.cache()');
      const df1 = raw.find((r) => r.name.endsWith(`:${l1}`))!;
      const df2 = raw.find((r) => r.name.endsWith(`:${l2}`))!;
      assert.ok(df1.memoryUsed > df2.memoryUsed * 100, 'df1 (400,000 rows) is far larger than df2 (24 rows)');
      assertFigure(at(lenses, l1), df1, 'df1.cache()');
      assertFigure(at(lenses, l2), df2, 'df2 = df2.cache()');
      assert.equal(lenses.length, 2);
      for (const l of lenses) assert.equal(l.state.kind === 'measured' && l.state.confidence, 'exact');
      note(version, `seed df1.cache() line ${l1}`, at(lenses, l1), df1);
      note(version, `seed df2.cache() line ${l2}`, at(lenses, l2), df2);
    });

    test('callSite.short names jobs and stages after the action lines', async () => {
      const jobs = await getJson<{ name: string }[]>(`${run.uiUrl}/api/v1/applications/${id}/jobs`);
      const stages = await getJson<{ name: string }[]>(`${run.uiUrl}/api/v1/applications/${id}/stages`);
      const jobNames = new Set(jobs.map((j) => j.name));
      const count = lineOf(run.file, 'df1.count(), df2.count()');
      assert.ok(jobNames.has(`count at ${run.file}:${count}`), [...jobNames].join('\n'));
      assert.ok(jobNames.has(`collect at ${run.file}:${lineOf(run.file, 'histogram.collect()')}`), [...jobNames].join('\n'));
      assert.ok(jobNames.has(`show at ${run.file}:${lineOf(run.file, 'means.show()')}`), [...jobNames].join('\n'));
      for (const n of jobNames) assert.match(n, new RegExp(`^\\w+ at ${run.file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+$`), 'every job names a line of the file');
      assert.ok(stages.some((s) => s.name === `count at ${run.file}:${count}`));
      assert.ok(!stages.some((s) => /NativeMethodAccessorImpl|spark_observatory_hook/.test(s.name)), stages.map((s) => s.name).join('\n'));
    });
  });

  describe(`pyspark ${version}: every way of caching, with the hook`, () => {
    let run: Run;
    let id: string;
    let store: Store;

    before(async () => {
      run = await submit(version, 'cache_variants.py', { HOLD_SECONDS: '90' });
      id = await appId(run);
      await until(run, /remember to call/);
      store = makeStore([{ name: 'driver', url: run.uiUrl, kind: 'driver', group: 'it' }]);
      await store.refresh();
      store.watch(`it|${id}`);
    });
    after(async () => {
      store?.dispose();
      await run?.stop();
    });

    test('rdd.cache(), cacheTable, CACHE TABLE, persist(DISK_ONLY) and a chain each get their own figures; comments and strings get none', async () => {
      const lenses = await lensesOf(store, run.file, run);
      const raw = await getJson<RawRdd[]>(`${run.uiUrl}/api/v1/applications/${id}/storage/rdd`);
      const byName = (n: string) => {
        const r = raw.find((x) => x.name === n);
        assert.ok(r, `a cached dataset named ${n}; have ${raw.map((x) => x.name).join(' | ')}`);
        return r;
      };
      const f = run.file;
      const L = {
        // Statements, not the docstring that names them too.
        rdd: lineOf(f, (l) => l.trim() === 'squares.cache()'), table: lineOf(f, (l) => l.trim() === 'spark.catalog.cacheTable("t")'),
        t2: lineOf(f, (l) => l.trim().startsWith('spark.sql("CACHE TABLE t2 AS')), t3: lineOf(f, (l) => l.trim() === 'spark.sql("CACHE TABLE t3")'),
        disk: lineOf(f, (l) => l.trim().startsWith('on_disk.persist(')), chain: lineOf(f, (l) => l.trim() === '.cache()'),
        comment: lineOf(f, 'this comment mentions'), string: lineOf(f, 'note = "remember'),
      };
      const lensLines = lenses.map((l) => l.call.line + 1);
      assert.deepEqual(lensLines, [L.rdd, L.table, L.t2, L.t3, L.disk, L.chain]);
      assert.ok(!lensLines.includes(L.comment) && !lensLines.includes(L.string), 'no lens for the comment or the string');
      const rdd = byName(`squares.cache() at ${f}:${L.rdd}`);
      assertFigure(at(lenses, L.rdd), rdd, 'rdd.cache()');
      assert.match(cacheLensText(at(lenses, L.rdd).state).title, /MEMORY_ONLY/);
      assertFigure(at(lenses, L.table), byName('In-memory table t'), 'cacheTable("t")');
      assertFigure(at(lenses, L.t2), byName('In-memory table t2'), 'CACHE TABLE t2 AS SELECT');
      assertFigure(at(lenses, L.t3), byName('In-memory table t3'), 'CACHE TABLE t3');
      const disk = byName(`on_disk.persist(StorageLevel.DISK_ONLY) at ${f}:${L.disk}`);
      assert.ok(disk.diskUsed > 0 && disk.memoryUsed === 0, 'DISK_ONLY sits on disk');
      assertFigure(at(lenses, L.disk), disk, 'persist(DISK_ONLY)');
      const diskTitle = cacheLensText(at(lenses, L.disk).state).title;
      assert.ok(diskTitle.includes(`${formatBytes(disk.diskUsed)} on disk`) && diskTitle.endsWith('DISK_ONLY'), diskTitle);
      const chain = raw.find((x) => x.name.endsWith(`.cache() at ${f}:${L.chain}`));
      assert.ok(chain, 'the chain is named after its .cache() line');
      assert.match(chain.name, /^spark\.range\(250_000\)\.withColumn\("bucket", F\.col\("id"\) % 25\)\.filter\(F\.col\("bucket"\) > 3\)\.cache\(\) at /);
      assertFigure(at(lenses, L.chain), chain, 'chained .cache()');
      for (const [what, line, r] of [['rdd.cache()', L.rdd, rdd], ['persist(DISK_ONLY)', L.disk, disk], ['chain', L.chain, chain]] as const) note(version, `${what} line ${line}`, at(lenses, line), r);
    });
  });

  describe(`pyspark ${version}: switching a cache off, and a failing hook`, () => {
    test('SO_DISABLE_CACHE_AT leaves that dataset uncached and the other cached', async () => {
      const seed = join(JOBS, 'seed_cached.py');
      const l1 = lineOf(seed, 'df1.cache()');
      const l2 = lineOf(seed, 'df2 = df2.cache()');
      const run = await submit(version, 'seed_cached.py', { HOLD_SECONDS: '60' }, { disable: [l1], args: ['2000', '24'] });
      try {
        const id = await appId(run);
        await until(run, /seed-cached done/);
        const raw = await getJson<RawRdd[]>(`${run.uiUrl}/api/v1/applications/${id}/storage/rdd`);
        assert.deepEqual(raw.map((r) => r.name), [`df2.cache() at ${run.file}:${l2}`]);
        assert.equal(run.output().match(/switched off by SO_DISABLE_CACHE_AT/g)?.length, 1);
        assert.deepEqual(run.events().filter((e) => e.event === 'disabled').map((e) => e.line), [l1]);
        assert.deepEqual(cacheSwitchOffOutcome(run.events()), { ok: true, switchedOff: [{ path: run.file, line: l1 }] });
        const store = makeStore([{ name: 'driver', url: run.uiUrl, kind: 'driver', group: 'it' }]);
        try {
          await store.refresh();
          store.watch(`it|${id}`);
          const lenses = await lensesOf(store, run.file, run);
          assert.equal(at(lenses, l1).state.kind, 'notMaterialised');
          assert.equal(at(lenses, l2).state.kind, 'measured');
        } finally {
          store.dispose();
        }
      } finally {
        await run.stop();
      }
    });

    test('a failing Java lookup leaves the job running unchanged and logs one line', async () => {
      const run = await submit(version, 'seed_cached.py', { HOLD_SECONDS: '0', SO_HOOK_FAULT: 'lookup' }, { args: ['2000', '24'] });
      try {
        const code = await run.exited();
        assert.equal(code, 0, run.output().slice(-2000));
        assert.match(run.output(), /seed-cached done/);
        const failures = run.output().split('\n').filter((l) => l.startsWith('[spark-observatory] hook:'));
        assert.deepEqual(failures, ['[spark-observatory] hook: naming a cached DataFrame after its line failed (RuntimeError: injected fault (SO_HOOK_FAULT=lookup)); the job runs on without it']);
        assert.doesNotMatch(run.output(), /Traceback/);
      } finally {
        await run.stop();
      }
    });
  });
}

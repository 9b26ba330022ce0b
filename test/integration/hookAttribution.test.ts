/**
 * Where the hook places what it names, on pyspark 4.3.0 and 3.5.9, with a real Spark run exactly
 * as Run File with Observability runs it: test/fixtures/hook/attribution (a job, a helper module
 * of the user's next to it, a library installed in a site-packages folder on PYTHONPATH) copied
 * into a folder whose name holds a comma and a space. A helper called from two lines caches one
 * dataset per line and its lens sums them; the library's cache and its action land on the job's
 * lines; SO_DISABLE_CACHE_AT (JSON) switches one call off and reports a listed line that never
 * cached; the first line says what is active.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getJson, makeStore, REPO, waitFor } from './env';
import { appId, hookLines, lensesOf, lineOf, Run, submitWithHook, until } from './runs';
import { cacheLensText } from '../../src/model/cacheLensText';
import { formatBytes } from '../../src/model/format';
import { cacheSwitchOffOutcome } from '../../src/model/hookEvents';

const VERSIONS = ['4.3.0', '3.5.9'];

interface RestRdd { id: number; name: string; memoryUsed: number; diskUsed: number; numCachedPartitions: number }
interface RestJob { jobId: number; name: string }

const tmp = mkdtempSync(join(tmpdir(), 'so-attribution-'));
mkdirSync(join(tmp, 'eventlog'));
after(() => rmSync(tmp, { recursive: true, force: true }));

for (const version of VERSIONS) {
  describe(`pyspark ${version}: the hook places datasets and actions on the user's own lines`, () => {
    const dir = join(tmp, `proj ${version}, with a comma`);
    const job = join(dir, 'job.py');
    const helpers = join(dir, 'helpers.py');
    const release = join(dir, 'release');
    let run: Run;
    let id: string;
    let api: string;
    let rdds: RestRdd[];
    let jobs: RestJob[];

    before(async () => {
      cpSync(join(REPO, 'test', 'fixtures', 'hook', 'attribution'), dir, { recursive: true });
      cpSync(join(REPO, 'test', 'fixtures', 'hook', 'hold.py'), join(dir, 'hold.py'));
      run = await submitWithHook({
        version, file: job, tmp, args: [release],
        env: { PYTHONPATH: join(dir, 'site-packages') },
        // The switched-off call, and a line that holds no cache call at all.
        disable: [{ file: job, line: lineOf(job, 'switched.cache()') }, { file: job, line: lineOf(job, 'print("counts:"') }],
      });
      id = await appId(run);
      api = `${run.uiUrl}/api/v1/applications/${id}`;
      await until(run, /attribution done/);
      rdds = await waitFor(async () => {
        const r = await getJson<RestRdd[]>(`${api}/storage/rdd`);
        return r.length === 3 && r.every((x) => x.numCachedPartitions > 0) ? r : undefined;
      }, { what: 'the three cached datasets in /storage/rdd', timeoutMs: 60_000 });
      jobs = await getJson<RestJob[]>(`${api}/jobs`);
    });
    after(async () => {
      await run?.stop();
    });

    test('a helper called from two lines names one dataset after each calling line; a library\'s cache lands on the line that called it', () => {
      const cacheLine = lineOf(helpers, 'return df.cache()');
      assert.deepEqual(rdds.map((r) => r.name).sort(), [
        `df.cache() at ${helpers}:${cacheLine} called from ${job}:${lineOf(job, 'small = cached_squares(')}`,
        `df.cache() at ${helpers}:${cacheLine} called from ${job}:${lineOf(job, 'large = cached_squares(')}`,
        `out.cache() in fakelib at ${job}:${lineOf(job, 'prepared = fakelib.prepare(')}`,
      ].sort());
    });

    test('an action inside the library is tagged with the job\'s line; no name points into site-packages', () => {
      const names = jobs.map((j) => j.name);
      assert.ok(names.includes(`count at ${job}:${lineOf(job, 'rows = fakelib.row_count(')}`), names.join('\n'));
      assert.ok(names.includes(`count at ${job}:${lineOf(job, 'print("counts:"')}`), names.join('\n'));
      assert.deepEqual([...names, ...rdds.map((r) => r.name)].filter((n) => n.includes('site-packages')), []);
    });

    test('the lens over the helper\'s .cache() sums its two datasets and says where they were called from', async () => {
      const store = makeStore([{ name: 'driver', url: run.uiUrl, kind: 'driver', group: 'it' }]);
      try {
        await store.refresh();
        store.watch(`it|${id}`);
        await waitFor(async () => {
          await store.refresh();
          return store.detail(`it|${id}`)?.detail.cachedDatasets?.length === 3 || undefined;
        }, { what: 'the store to read the three cached datasets', timeoutMs: 60_000 });
        const [lens] = await lensesOf(store, helpers, run);
        assert.equal(lens.state.kind, 'measured', JSON.stringify(lens.state).slice(0, 400));
        if (lens.state.kind !== 'measured') return;
        const mine = rdds.filter((r) => r.name.startsWith('df.cache()'));
        const sum = mine.reduce((s, r) => s + r.memoryUsed, 0);
        assert.equal(lens.state.figures.memoryUsed, sum);
        assert.equal(lens.state.callers?.length, 2);
        const title = cacheLensText(lens.state).title;
        const [a, b] = [lineOf(job, 'small = cached_squares('), lineOf(job, 'large = cached_squares(')];
        assert.ok(title.startsWith(`⛁ 2 datasets (called from job.py:${a}, job.py:${b}) · ${formatBytes(sum)} in memory`), title);
        console.log(`    [${version}] helper lens: ${title}`);
        // The job's own lens: its one cache call was switched off.
        const jobLenses = await lensesOf(store, job, run);
        assert.deepEqual(jobLenses.map((l) => [l.call.line + 1, l.state.kind]), [[lineOf(job, 'switched.cache()'), 'notMaterialised']]);
      } finally {
        store.dispose();
      }
    });

    test('SO_DISABLE_CACHE_AT as JSON: the call is switched off, a listed line without a cache call is reported at exit', async () => {
      // The job holds until now (the lens test reads it live); released, it ends and the hook says what never ran.
      writeFileSync(release, '');
      assert.equal(await run.exited(), 0, run.output().slice(-2000));
      const events = run.events();
      const switched = lineOf(job, 'switched.cache()');
      const print = lineOf(job, 'print("counts:"');
      assert.deepEqual(events.filter((e) => e.event === 'disabled').map((e) => [e.file, e.line]), [[job, switched]]);
      assert.deepEqual(events.filter((e) => e.event === 'disableNotReached').map((e) => [e.file, e.line]), [[job, print]]);
      assert.deepEqual(cacheSwitchOffOutcome(events), {
        ok: false, message: `the run never reached a cache call at job.py:${print}, so nothing was switched off: the two runs would measure the same job`,
      });
      assert.ok(!rdds.some((r) => r.name.startsWith('switched.')), 'the switched-off DataFrame is not cached');
      const lines = hookLines(run);
      assert.equal(lines[0], `[spark-observatory] hook active (pyspark ${version}, classic): lines on actions and cached datasets; Spark Connect sessions: lines on actions and cached datasets (the Connect hook)`);
      assert.ok(lines.includes(`[spark-observatory] switched.cache() at ${job}:${switched} switched off by SO_DISABLE_CACHE_AT: not cached`), lines.join('\n'));
      assert.ok(lines.includes(`[spark-observatory] SO_DISABLE_CACHE_AT: no cache call ran at ${job}:${print}, nothing was switched off there`), lines.join('\n'));
      assert.deepEqual(lines.filter((l) => l.startsWith('[spark-observatory] hook:')), [], 'no failure');
    });
  });
}

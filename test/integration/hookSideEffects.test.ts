/**
 * The hook starts no Spark work of its own, on pyspark 4.3.0 and 3.5.9: test/fixtures/hook/
 * side_effects.py (nine ways of caching, each between the file's own job groups "case-N-setup"
 * and "case-N-action") runs once plainly with spark-submit and once exactly as Run File with
 * Observability runs it, and the two runs' jobs and stages, read from the REST API, are compared
 * case by case: the same jobs in the same order, each with the same stages (tasks, skipped or
 * not). Stage names are compared too: a name PySpark gives (a Python call site, e.g.
 * `reduceByKey at side_effects.py:70`) must be equal; a name of a JVM frame
 * (`count at NativeMethodAccessorImpl.java:0`, `$anonfun$withThreadLocalCaptured$1 at
 * FutureTask.java:264`, which even varies between plain runs on 3.5) becomes the hook's tag of
 * the case's own line, which is what the hook is for.
 *
 * One job at a time (2 cores); every job is stopped by its pid.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getJson, REPO, waitFor } from './env';
import { appId, hookLines, lineOf, Run, submitPlain, submitWithHook, until } from './runs';
import { splitCallSite } from '../../src/model/callSite';

const VERSIONS = ['4.3.0', '3.5.9'];
const FIXTURE = join(REPO, 'test', 'fixtures', 'hook', 'side_effects.py');
const CASES = [
  [1, 'a cached aggregate'], [2, 'a cached join'], [3, 'a cached window'], [4, 'cacheTable over an aggregated view'],
  [5, 'persist(DISK_ONLY)'], [6, 'RDD cache()'], [7, 'two caches on one line'], [8, 'a cache never used'],
  [9, 'CACHE TABLE … AS SELECT (eager in Spark itself)'],
] as const;

interface RestJob { jobId: number; name: string; jobGroup?: string; status: string; stageIds: number[] }
interface RestStage { stageId: number; attemptId: number; name: string; status: string; numTasks: number }
interface RestRdd { id: number; name: string; numPartitions: number; numCachedPartitions: number }

/** What a run did: its jobs (in order), their stages, its cached datasets. */
interface Observed {
  readonly run: Run;
  readonly jobs: readonly RestJob[];
  readonly stages: ReadonlyMap<number, RestStage>;
  readonly rdds: readonly RestRdd[];
}

const tmp = mkdtempSync(join(tmpdir(), 'so-sideeffects-'));
mkdirSync(join(tmp, 'eventlog'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs the fixture to its end, reads the REST API while it holds, then lets it stop. */
async function observe(version: string, withHook: boolean): Promise<Observed> {
  const release = join(tmp, `release-${version}-${withHook ? 'hook' : 'plain'}`);
  const run = withHook ? await submitWithHook({ version, file: FIXTURE, tmp, args: [release] }) : await submitPlain({ version, file: FIXTURE, args: [release] });
  try {
    const id = await appId(run);
    await until(run, /side-effects done/);
    const api = `${run.uiUrl}/api/v1/applications/${id}`;
    // The listener bus may lag the job: wait until the "end" job is seen and nothing runs.
    const { jobs, stages } = await waitFor(async () => {
      const jobs = await getJson<RestJob[]>(`${api}/jobs`);
      const stages = await getJson<RestStage[]>(`${api}/stages`);
      const settled = jobs.some((j) => j.jobGroup === 'end' && j.status === 'SUCCEEDED') && !jobs.some((j) => j.status === 'RUNNING')
        && !stages.some((s) => s.status === 'ACTIVE' || s.status === 'PENDING');
      return settled ? { jobs, stages } : undefined;
    }, { what: 'every job of the run to be listed as finished', timeoutMs: 120_000 });
    const rdds = await getJson<RestRdd[]>(`${api}/storage/rdd`);
    assert.ok(stages.every((s) => s.attemptId === 0), 'no stage was retried');
    writeFileSync(release, '');
    assert.equal(await run.exited(), 0, run.output().slice(-2000));
    return { run, jobs: [...jobs].sort((a, b) => a.jobId - b.jobId), stages: new Map(stages.map((s) => [s.stageId, s])), rdds };
  } finally {
    await run.stop();
  }
}

/** The lines of a case's block in the fixture: from its "setup" group to the next case. */
function caseLines(n: number): [number, number] {
  const first = lineOf(FIXTURE, `group(${n}, "setup")`);
  const text = readFileSync(FIXTURE, 'utf8').split('\n');
  let last = first;
  while (last < text.length && !/^(group\(\d+, "setup"\)|sc\.setJobGroup\("end")/.test(text[last])) last++;
  return [first, last];
}

const JVM_SITE = '<JVM call site>';

/** One stage as the comparison sees it: status, tasks, and its name unless a JVM frame gave it. */
function stageShape(s: RestStage): string {
  const site = splitCallSite(s.name);
  const jvm = !!site && /\.(java|scala)$/.test(site.path);
  return `${s.status} · ${s.numTasks} tasks · ${jvm ? JVM_SITE : s.name}`;
}

/** A stage name of the hook's tag: `<action> at <fixture>:<line>`. */
function isTagged(name: string): boolean {
  const site = splitCallSite(name);
  return !!site && site.path === FIXTURE && /^\w+$/.test(site.fn);
}

/** The jobs of one case, in order, each with its group and the shapes of its stages. */
function caseJobs(o: Observed, n: number): { group: string; stages: string[] }[] {
  return o.jobs
    .filter((j) => j.jobGroup === `case-${n}-setup` || j.jobGroup === `case-${n}-action`)
    .map((j) => ({ group: j.jobGroup!, stages: [...j.stageIds].sort((a, b) => a - b).map((id) => stageShape(o.stages.get(id)!)) }));
}

for (const version of VERSIONS) {
  describe(`pyspark ${version}: the hook starts no Spark work of its own`, () => {
    let plain: Observed;
    let hooked: Observed;

    before(async () => {
      plain = await observe(version, false);
      hooked = await observe(version, true);
    });

    test('no job runs before a case\'s first action, except where Spark itself is eager (CACHE TABLE)', () => {
      const setup = (o: Observed) => o.jobs.filter((j) => j.jobGroup?.endsWith('-setup')).map((j) => j.jobGroup);
      const eager = setup(plain);
      assert.ok(eager.length > 0 && eager.every((g) => g === 'case-9-setup'), `without the hook only CACHE TABLE works early: ${eager.join(', ')}`);
      assert.deepEqual(setup(hooked), eager);
      assert.deepEqual(hooked.jobs.map((j) => j.jobGroup), plain.jobs.map((j) => j.jobGroup), 'the same jobs, group by group, in the same order');
    });

    for (const [n, what] of CASES) {
      test(`case ${n}, ${what}: the same jobs and stages, in the same order`, () => {
        const without = caseJobs(plain, n);
        assert.ok(without.length > 0, `case ${n} runs jobs`);
        // The hook's run names every JVM-named stage after this case's line.
        const [from, to] = caseLines(n);
        for (const j of hooked.jobs.filter((x) => x.jobGroup?.startsWith(`case-${n}-`))) {
          for (const id of j.stageIds) {
            const name = hooked.stages.get(id)!.name;
            const site = splitCallSite(name);
            assert.ok(site && site.path === FIXTURE && site.line >= from && site.line <= to, `stage ${id} of job ${j.jobId} is tagged with a line of case ${n}: ${name}`);
          }
        }
        const withHook = caseJobs(hooked, n).map((j, i) => ({
          group: j.group,
          stages: j.stages.map((s, k) => {
            // Where Spark named the stage after a JVM frame, the hook's run shows its tag instead.
            const [head, name] = [s.slice(0, s.lastIndexOf(' · ')), s.slice(s.lastIndexOf(' · ') + 3)];
            return without[i]?.stages[k]?.endsWith(JVM_SITE) && isTagged(name) ? `${head} · ${JVM_SITE}` : s;
          }),
        }));
        assert.deepEqual(withHook, without);
      });
    }

    test('the cached datasets are named after their lines, and are the very RDDs of the run without the hook', () => {
      const f = FIXTURE;
      const at = (text: string, match: string) => `${text} at ${f}:${lineOf(f, match)}`;
      const names = hooked.rdds.map((r) => r.name);
      assert.deepEqual(names, [
        at('agg.cache()', 'agg.cache()'),
        at('joined.cache()', 'joined.cache()'),
        at('ranked.cache()', 'ranked.cache()'),
        'In-memory table by_digit',
        at('on_disk.persist(StorageLevel.DISK_ONLY)', 'on_disk.persist('),
        at('sums.cache()', 'sums.cache()'),
        at('sevens.cache()', 'sevens.cache(); elevens.cache()'),
        at('elevens.cache()', 'sevens.cache(); elevens.cache()'),
        'In-memory table nines',
      ]);
      // Same ids, partitions and cached partitions: the hook built no RDD of its own.
      const shape = (o: Observed) => o.rdds.map((r) => [r.id, r.numPartitions, r.numCachedPartitions]);
      assert.deepEqual(shape(hooked), shape(plain));
      const events = hooked.run.events();
      const built = events.filter((e) => e.event === 'cacheRdd').map((e) => [e.rddId, e.name]);
      assert.deepEqual(built, hooked.rdds.map((r) => [r.id, r.name]), 'the hook learnt each RDD id after the action that built it');
      const unused = events.filter((e) => e.event === 'cache' && e.line === lineOf(f, 'unused.cache()'));
      assert.deepEqual(unused.map((e) => e.name), [at('unused.cache()', 'unused.cache()')], 'the unused cache is named, never computed');
    });

    test('its first line says what is active', () => {
      const line = `hook active (pyspark ${version}, classic): lines on actions and cached datasets; Spark Connect sessions: lines on actions and cached datasets (the Connect hook)`;
      assert.equal(hookLines(hooked.run)[0], `[spark-observatory] ${line}`);
      const ready = hooked.run.events()[0];
      assert.equal(ready.event, 'ready');
      assert.equal(ready.status, line);
      assert.deepEqual(hookLines(plain.run), []);
    });
  });
}

/**
 * The finding rules against real Spark: test/fixtures/jobs/rules.py runs stages that must trigger
 * each rule and stages that must not, through the command line "Run File with Observability"
 * builds (with the hook, so each stage carries its line), and a real store polls its driver; the
 * findings are exactly the ones listed, on the lines listed, with the REST API's figures.
 *
 * - pyspark 4.3.0, local[4,2] (4 slots, 2 attempts per task): skew, spill, small tasks, large
 *   partitions and failed tasks, each with a stage that must not; and, in an application of its
 *   own, a 62 s task under full GCs (GC pressure) with 3 of 4 slots idle (idle cores);
 * - pyspark 3.5.9, local[4,2]: the sections whose figures come from version-dependent REST
 *   answers (task summaries, failed-task lists, spill), under a minute of jobs (idle cores: not);
 * - local-cluster executors (4.3.0): a 600 MB string in a 512 MiB executor (out of memory, exit
 *   code 52: memory too low, a lost executor, a failed stage), and 3 GiB executors that use a
 *   fraction of it for over two minutes (memory too high);
 * - the standalone cluster of scripts/spark-env.sh (1-core workers): the seed job as the demo runs
 *   it raises nothing (issue 15: no "takes all 1 cores"), and spark.executor.cores=2 cannot fit.
 *
 * Applications that mostly sleep run beside the others (at most three at once) to keep the suite
 * short; every one is stopped by its test or, whatever happened, in the end.
 *
 *   bash scripts/spark-env.sh start && npm run compile-tests && node --test out/test/integration/rules.test.js
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getJson, JOBS, makeStore, readEnv, settle } from './env';
import { appId as appIdOf, submitWithHook, until as untilOutput, type Run as HookedRun } from './runs';
import { findingsForApp } from '../../src/model/lineHints';
import type { Finding } from '../../src/model/rules';
import type { Store } from '../../src/store/store';

const tmp = mkdtempSync(join(tmpdir(), 'so-rules-'));
const RULES_PY = join(JOBS, 'rules.py');
/** Sorters spill every 20,000 records: a real spill of a 300,000-row sort in seconds. */
const FORCE_SPILL = { 'spark.shuffle.spill.numElementsForceSpillThreshold': '20000' };
/** Held until stopped; on loopback even on the standalone cluster (Run File binds a remote master's driver UI to every interface). */
const LOOPBACK = { HOLD_SECONDS: '900', SPARK_LOCAL_IP: '127.0.0.1' };

/** The 1-based line of the first line of rules.py holding `needle`. */
function lineOf(needle: string): number {
  const i = readFileSync(RULES_PY, 'utf8').split('\n').findIndex((l) => l.includes(needle));
  assert.ok(i >= 0, needle);
  return i + 1;
}

interface Live {
  readonly run: HookedRun;
  readonly store: Store;
  readonly key: string;
  findings(): Finding[];
}

/** Every run and store started here, stopped in the end whatever happened. */
const started: { run?: HookedRun; store?: Store }[] = [];

interface RulesOptions {
  readonly version?: string;
  readonly master: string;
  readonly conf?: Record<string, string>;
  /** What the job prints when the stages to look at are done (default: its last line). */
  readonly wait?: RegExp;
  readonly group?: string;
  readonly extraSources?: readonly { name: string; url: string; kind: 'master' }[];
  readonly fixture?: string;
  readonly args?: readonly string[];
}

/** Starts a fixture (rules.py with `sections` by default), waits until it printed `wait`, and reads its driver until nothing new comes. */
async function startRules(sections: string, o: RulesOptions): Promise<Live> {
  const slot: { run?: HookedRun; store?: Store } = {};
  started.push(slot);
  const run = await submitWithHook({
    version: o.version ?? '4.3.0', file: join(JOBS, o.fixture ?? 'rules.py'), tmp, master: o.master, args: o.args ?? [sections], env: LOOPBACK, eventLogDir: tmp,
    extraConf: { 'spark.ui.showConsoleProgress': 'false', 'spark.driver.memory': '1g', ...o.conf },
  });
  slot.run = run;
  const id = await appIdOf(run);
  await untilOutput(run, o.wait ?? /rules: done/, 600_000);
  const group = o.group ?? `rules-${id}`;
  const store = makeStore([{ name: `driver-${id}`, url: run.uiUrl, kind: 'driver', group }, ...(o.extraSources ?? []).map((x) => ({ ...x, group }))], { requestTimeoutMs: 30_000 });
  slot.store = store;
  await store.refresh();
  const key = `${group}|${id}`;
  store.watch(key, { live: true, parts: ['jobs', 'stages', 'executors', 'environment', 'storage'] });
  await settle(store);
  return {
    run, store, key,
    findings: () => {
      const workers = store.groups().find((g) => g.name === group)?.master?.workers;
      return findingsForApp(store.detail(key)!.detail, { workers }, { app: store.entry(key)!.app, now: Date.now() });
    },
  };
}

/** Starts now, awaited later: several applications run at once (most of them sleep), which keeps the suite short. */
function startSoon(sections: string, o: RulesOptions): Promise<Live> {
  const p = startRules(sections, o);
  p.catch(() => undefined); // awaited (and reported) by its test
  return p;
}

async function stopLive(l: Live | undefined): Promise<void> {
  l?.store.dispose();
  await l?.run.stop();
}

/** `rule severity @line` for findings placed on a line of rules.py, `rule severity` for the application's own. */
function described(fs: readonly Finding[]): string[] {
  return fs.map((f) => `${f.rule} ${f.severity}${f.site ? ` @${f.site.line}` : f.stageId !== undefined ? ` stage ${f.stageId}` : ''}`).sort();
}

function log(title: string, fs: readonly Finding[]): void {
  console.log(`    ${title}:${fs.map((f) => `\n      ${f.severity} ${f.rule}${f.site ? ` (line ${f.site.line})` : ''}: ${f.message}`).join('') || ' none'}`);
}

interface RawStage { stageId: number; attemptId: number; name: string; memoryBytesSpilled: number; inputBytes: number; shuffleReadBytes: number; shuffleWriteBytes: number; outputBytes: number; numTasks: number }

/** The checks every version shares: skew, spill, failed tasks (and, with `all`, small tasks and large partitions). */
async function checkCommonSections(l: Live, all: boolean): Promise<void> {
  const fs = l.findings();
  const on = (rule: string, line: number) => fs.filter((f) => f.rule === rule && f.site?.line === line);
  const base = `${l.run.uiUrl}/api/v1/applications/${l.key.split('|')[1]}`;
  const stages = await getJson<RawStage[]>(`${base}/stages`);

  // Skew: the hot key's task, on ~60× the median's data; not the 3 s straggler under the floor.
  const [skew] = on('skew', lineOf('keyed.repartition(8, "k")'));
  assert.ok(skew && ['information', 'warning'].includes(skew.severity), described(fs).join(', '));
  assert.match(skew.message, /^Stage \d+ is skewed: its slowest task ran [\d.]+ s, [\d.]+× the median .*, on [\d.]+× the median's data/);
  const summary = await getJson<{ quantiles: number[]; executorRunTime: number[] }>(`${base}/stages/${skew.stageId}/${skew.attemptId}/taskSummary?quantiles=0.5,1.0`);
  assert.deepEqual([skew.figures.medianTaskMs, skew.figures.maxTaskMs], summary.executorRunTime, 'the REST API\'s executorRunTime quantiles');
  assert.deepEqual(fs.filter((f) => f.rule === 'skew').length, 1, 'the straggler of 3 s is no skew');

  // Spill: the 300,000-row sort, by its ratio to the stage's largest data; not the 10,000-row one.
  const spills = fs.filter((f) => f.rule === 'spill');
  assert.ok(spills.length >= 1);
  for (const f of spills) {
    const s = stages.find((x) => x.stageId === f.stageId)!;
    assert.equal(f.figures.ratio, s.memoryBytesSpilled / Math.max(s.inputBytes, s.shuffleReadBytes, s.shuffleWriteBytes, s.outputBytes));
    assert.ok(s.shuffleReadBytes > 5_000_000, 'the big sort');
  }
  assert.ok(stages.some((s) => s.memoryBytesSpilled === 0 && s.shuffleReadBytes > 0 && s.shuffleReadBytes < 1_000_000 && s.numTasks === 2), 'the small sort ran and did not spill');

  // Failed tasks: a retried task that succeeded (information), a stage that failed (error).
  assert.deepEqual(described(on('failedTasks', lineOf('mapPartitionsWithIndex(fail_first_attempt)'))), [`failedTasks information @${lineOf('mapPartitionsWithIndex(fail_first_attempt)')}`]);
  assert.deepEqual(described(on('failedTasks', lineOf('mapPartitionsWithIndex(always_fail)'))), [`failedTasks error @${lineOf('mapPartitionsWithIndex(always_fail)')}`]);
  assert.match(on('failedTasks', lineOf('mapPartitionsWithIndex(fail_first_attempt)'))[0].message, /the first attempt of task 0 fails on purpose|PythonException/);

  if (!all) return;
  // Many small tasks: 1,000 tasks of 45 ms; not the 8-task stage.
  assert.equal(on('smallTasks', lineOf('reflect(')).length, 1, described(fs).join(', '));
  assert.equal(fs.filter((f) => f.rule === 'smallTasks').length, 1);
  // Large partitions: the file read as one 272 MiB partition; not the default split.
  const large = fs.filter((f) => f.rule === 'largePartitions');
  assert.deepEqual(large.map((f) => [f.severity, f.figures.maxPartitionBytes]), [['information', 285_212_672]]);
}

after(async () => {
  for (const x of started) x.store?.dispose();
  await Promise.all(started.map((x) => x.run?.stop()));
  rmSync(tmp, { recursive: true, force: true });
});

describe('rules on real Spark', () => {
  const live: Record<string, Promise<Live>> = {};

  before(() => {
    // At once: 3 GiB executors that sit idle for over two minutes, the 62 s section (it sleeps),
    // and the timing-sensitive sections in an application of their own.
    live.high = startSoon('straggler', { master: 'local-cluster[1,1,3072]', conf: { 'spark.executor.memory': '3g' } });
    live.long = startSoon('long', { master: 'local[4,2]' });
    live.main = startSoon('skew,straggler,spill,small,large,failed', { master: 'local[4,2]', conf: FORCE_SPILL });
  });

  test('pyspark 4.3.0, local[4,2]: each rule fires on the stage that must trigger it, on its line, and on no other', async () => {
    const l = await live.main;
    const fs = l.findings();
    log('4.3.0 findings', fs);
    await checkCommonSections(l, true);
    // Nothing else: no GC (no stage has 60 s of task time), idle cores (under a minute of jobs,
    // or busy), sizing, memory, lost-executor or storage finding in local mode.
    assert.deepEqual([...new Set(fs.map((f) => f.rule))].sort(), ['failedTasks', 'largePartitions', 'skew', 'smallTasks', 'spill']);
    await stopLive(l);
  });

  test('pyspark 4.3.0, local[4,2]: a 62 s task under full GCs: GC pressure on its line, and 3 of 4 slots idle for a minute', async () => {
    const l = await live.long;
    const fs = l.findings();
    log('the long section', fs);
    const gc = fs.filter((f) => f.rule === 'gcPressure');
    assert.deepEqual(gc.map((f) => f.site?.line), [lineOf('mapPartitions(sleep_long)')]);
    assert.ok(['information', 'warning'].includes(gc[0].severity) && gc[0].figures.gcShare > 0.1, gc[0].message);
    const idle = fs.filter((f) => f.rule === 'idleCores');
    assert.deepEqual(idle.map((f) => f.severity), ['information']);
    assert.ok(idle[0].figures.idleShare > 0.5 && idle[0].figures.jobTimeMs >= 60_000);
    assert.deepEqual(described(fs), [`gcPressure ${gc[0].severity} @${lineOf('mapPartitions(sleep_long)')}`, 'idleCores information']);
    await stopLive(l);
  });

  test('pyspark 3.5.9, local[4,2]: the same skew, spill and failed-task findings from 3.5.9\'s REST answers; under a minute of jobs, no idle cores', async () => {
    // Beside it: the executor that runs out of memory (next test).
    live.oom = startSoon('oom', { master: 'local-cluster[1,1,1024]', conf: { 'spark.executor.memory': '512m', 'spark.task.maxFailures': '1' } });
    const l = await startRules('skew,spill,failed', { version: '3.5.9', master: 'local[4,2]', conf: FORCE_SPILL });
    const fs = l.findings();
    log('3.5.9 findings', fs);
    await checkCommonSections(l, false);
    // DataFlint's local-mode math (the driver row's uptime) would call 75 % of these 4 slots idle.
    assert.deepEqual([...new Set(fs.map((f) => f.rule))].sort(), ['failedTasks', 'skew', 'spill']);
    await stopLive(l);
  });

  test('local-cluster, pyspark 4.3.0: a 600 MB string in a 512 MiB executor: memory too low, a lost executor, a failed stage (errors), nothing else', async () => {
    const l = await live.oom;
    const fs = l.findings();
    log('out of memory', fs);
    const line = lineOf('repeat(cast(id AS string)');
    assert.deepEqual(described(fs), [`failedTasks error @${line}`, 'lostExecutors error', `memoryTooLow error @${line}`]);
    assert.match(fs.find((f) => f.rule === 'lostExecutors')!.message, /"Command exited with code 52"/);
    assert.match(fs.find((f) => f.rule === 'memoryTooLow')!.message, /OutOfMemoryError/);
    await stopLive(l);
  });

  test('local-cluster, pyspark 4.3.0: 3 GiB executors that used a fraction of it for over two minutes: memory too high; nothing else', async () => {
    const l = await live.high;
    const addTime = Math.min(...(l.store.detail(l.key)!.detail.executors ?? []).filter((e) => e.id !== 'driver').map((e) => e.addTime ?? Date.now()));
    await new Promise((r) => setTimeout(r, Math.max(0, addTime + 125_000 - Date.now())));
    await settle(l.store);
    const fs = l.findings();
    log('3 GiB executors', fs);
    assert.equal(fs.length, 1, described(fs).join(', '));
    assert.equal(fs[0].rule, 'memoryTooHigh');
    assert.ok(['information', 'warning'].includes(fs[0].severity));
    const executors = await getJson<{ id: string; peakMemoryMetrics?: { JVMHeapMemory: number } }[]>(`${l.run.uiUrl}/api/v1/applications/${l.key.split('|')[1]}/allexecutors`);
    assert.equal(fs[0].figures.peakJvmHeapBytes, Math.max(...executors.filter((e) => e.id !== 'driver').map((e) => e.peakMemoryMetrics!.JVMHeapMemory)));
    await stopLive(l);
  });

  describe('the standalone cluster of 1-core workers, pyspark 4.3.0', () => {
    const env = readEnv();
    const master = [{ name: 'master', url: env.masterWebUrl, kind: 'master' as const }];

    test('executors of 2 cores cannot fit a 1-core worker: an executor sizing error while the job waits; the seed job with 1-core executors (issue 15): nothing', async () => {
      // At once: the waiting application holds no worker, the seed job gets both.
      const waiting = startSoon('wait', { master: env.masterUrl, conf: { 'spark.executor.cores': '2', 'spark.cores.max': '2' }, wait: /wait: a job submitted/, group: 'standalone-wait', extraSources: master });
      const seed = startSoon('', {
        fixture: 'seed_plain.py', args: ['200000', '24'], master: env.masterUrl, wait: /seed-plain done in/, group: 'standalone-seed', extraSources: master,
        conf: { 'spark.executor.cores': '1', 'spark.executor.memory': '512m', 'spark.cores.max': '2' },
      });
      const w = await waiting;
      const fs = w.findings();
      log('2-core executors', fs);
      assert.deepEqual(described(fs), ['executorSizing error']);
      assert.match(fs[0].message, /^An executor needs 2 cores and 1\.0 GiB \(spark\.executor\.memory\); no worker offers that \(largest: 1 cores, 1\.0 GiB\)/);
      await stopLive(w);
      const sd = await seed;
      const seedFindings = sd.findings();
      log('seed on standalone', seedFindings);
      assert.ok((sd.store.groups().find((g) => g.name === 'standalone-seed')?.master?.workers.length ?? 0) >= 2, 'the workers are known');
      assert.deepEqual(described(seedFindings), []);
      await stopLive(sd);
    });
  });
});

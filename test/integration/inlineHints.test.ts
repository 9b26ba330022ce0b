/**
 * Inline hints and findings (F6) against a real Spark (pyspark 4.3.0, local[2]): the spill and
 * skew fixtures run through exactly the spark-submit command line "Run File with Observability"
 * builds (launcher/submitCommand.ts, with the real hook, so every action carries its line), a real
 * store polls them, and the hints and diagnostics are computed by the same model functions the
 * view calls (model/callSite.ts, model/lineHints.ts). Every figure is compared with Spark's REST
 * API read at the same moment.
 *
 * One job at a time (2 cores); every job is stopped in after().
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getJson, JOBS, makeStore, waitFor } from './env';
import { appId, HOOK_DIR, lineOf, Run, submitWithHook, until } from './runs';
import { summariseJobsByLine, type LineSummary } from '../../src/model/callSite';
import { findSparkSessionCreation } from '../../src/model/cacheScanner';
import { appAnchor, DriverPathMapper, findingsForApp, hintLine, hintText, linesByFile, placeFindings, type PlacedFinding } from '../../src/model/lineHints';
import { formatDuration } from '../../src/model/format';
import type { Store } from '../../src/store/store';

const VERSION = '4.3.0';
const tmp = mkdtempSync(join(tmpdir(), 'so-hints-'));
mkdirSync(join(tmp, 'eventlog'));


/** Starts a fixture exactly as the extension's runFile does (same argv and environment). */
function submit(fixture: string, env: Record<string, string>, args: string[] = []): Promise<Run> {
  return submitWithHook({ version: VERSION, file: join(JOBS, fixture), tmp, env, args, extraConf: { 'spark.ui.showConsoleProgress': 'false', 'spark.driver.memory': '1g' } });
}

interface RawStage {
  stageId: number;
  attemptId: number;
  name: string;
  status: string;
  numTasks: number;
  numCompleteTasks: number;
  memoryBytesSpilled: number;
  diskBytesSpilled: number;
  executorRunTime: number;
}
interface RawJob {
  jobId: number;
  name: string;
  status: string;
  stageIds: number[];
  submissionTime: string;
  completionTime?: string;
  numCompletedTasks: number;
}
const date = (s: string | undefined) => (s ? Date.parse(s.replace(/GMT$/, 'Z')) : NaN);

/** What the view computes for a file, from the store: its lines and its placed findings. */
function viewOf(store: Store, key: string, file: string): { lines: readonly LineSummary[]; findings: PlacedFinding[]; unplacedStages: number } {
  const d = store.detail(key)?.detail;
  assert.ok(d?.jobs && d.stages, 'the store has jobs and all stages');
  const summary = summariseJobsByLine(d.jobs, d.stages, Date.now());
  // The workspace: the repo's Python files (as findFiles lists them), the fixture among them.
  const mapper = new DriverPathMapper([file, join(HOOK_DIR, 'so_run.py')]);
  const mapPath = (p: string) => mapper.map(p);
  const { files } = linesByFile(summary.lines, mapPath);
  const anchor = appAnchor(files, (f) => {
    const l = findSparkSessionCreation(readFileSync(f, 'utf8'));
    return l === undefined ? undefined : l + 1;
  });
  const { placed } = placeFindings({ findings: findingsForApp(d), mapPath, anchor, executors: d.executors, cachedDatasets: d.cachedDatasets });
  return { lines: files.find((f) => f.file === file)?.lines ?? [], findings: placed, unplacedStages: summary.unplacedStages };
}

after(() => rmSync(tmp, { recursive: true, force: true }));

describe(`pyspark ${VERSION}: the spill job run with the hook`, () => {
  let run: Run;
  let id: string;
  let store: Store;
  let key: string;

  before(async () => {
    run = await submit('spill.py', { HOLD_SECONDS: '120' });
    id = await appId(run);
    await until(run, /sorted \d+ rows/);
    store = makeStore([{ name: 'driver', url: run.uiUrl, kind: 'driver', group: 'it' }]);
    await store.refresh();
    key = `it|${id}`;
    store.watch(key, { live: true });
    await store.refresh();
  });
  after(async () => {
    store?.dispose();
    await run?.stop();
  });

  test('every job and stage carries the save() line; none is unplaced', async () => {
    const saveLine = lineOf(run.file, '.save()');
    const jobs = await getJson<RawJob[]>(`${run.uiUrl}/api/v1/applications/${id}/jobs`);
    const stages = await getJson<RawStage[]>(`${run.uiUrl}/api/v1/applications/${id}/stages`);
    console.log(`    call sites seen: jobs ${[...new Set(jobs.map((j) => j.name))].join(' | ')}; stages ${[...new Set(stages.map((s) => s.name))].join(' | ')}`);
    for (const s of stages) assert.equal(s.name, `save at ${run.file}:${saveLine}`);
    assert.equal(viewOf(store, key, run.file).unplacedStages, 0);
  });

  test('spill diagnostics land on the save() line with the REST API\'s memoryBytesSpilled and diskBytesSpilled', async () => {
    const saveLine = lineOf(run.file, '.save()');
    const stages = await getJson<RawStage[]>(`${run.uiUrl}/api/v1/applications/${id}/stages`);
    const spilled = stages.filter((s) => s.memoryBytesSpilled > 0 || s.diskBytesSpilled > 0);
    assert.ok(spilled.length > 0, 'the fixture spills');
    const spills = viewOf(store, key, run.file).findings.filter((p) => p.finding.rule === 'spill');
    assert.equal(spills.length, spilled.length, 'one finding per spilling stage');
    for (const s of spilled) {
      const f = spills.find((p) => p.finding.stageId === s.stageId && p.finding.attemptId === s.attemptId);
      assert.ok(f, `a spill finding for stage ${s.stageId}`);
      assert.equal(f.file, run.file);
      assert.equal(f.line, saveLine);
      assert.equal(f.finding.figures.memoryBytesSpilled, s.memoryBytesSpilled);
      assert.equal(f.finding.figures.diskBytesSpilled, s.diskBytesSpilled);
      console.log(`    spill stage ${s.stageId}: REST memoryBytesSpilled ${s.memoryBytesSpilled} diskBytesSpilled ${s.diskBytesSpilled} | finding line ${f.line}: ${f.finding.message}`);
    }
  });

  test('the hint on the save() line has the REST API\'s job duration, stage and task counts, and the spill', async () => {
    const saveLine = lineOf(run.file, '.save()');
    const jobs = await getJson<RawJob[]>(`${run.uiUrl}/api/v1/applications/${id}/jobs`);
    const stages = await getJson<RawStage[]>(`${run.uiUrl}/api/v1/applications/${id}/stages`);
    const lines = viewOf(store, key, run.file).lines;
    assert.deepEqual(lines.map((l) => l.line), [saveLine]);
    const l = lines[0];
    const durationMs = jobs.reduce((s, j) => s + (date(j.completionTime) - date(j.submissionTime)), 0);
    const tasks = jobs.reduce((s, j) => s + j.numCompletedTasks, 0);
    const ran = stages.filter((s) => s.status === 'COMPLETE');
    assert.equal(l.jobCount, jobs.length);
    assert.equal(l.durationMs, durationMs);
    assert.equal(l.taskCount, tasks);
    assert.equal(l.stageCount, ran.length);
    assert.equal(l.diskBytesSpilled, stages.reduce((s, x) => s + x.diskBytesSpilled, 0));
    const text = hintText(l);
    assert.ok(text.main.startsWith(`◷ ${formatDuration(durationMs)}`), text.main);
    assert.ok(text.main.includes(`${ran.length} stage`) && text.main.includes(`${tasks} task`), text.main);
    assert.match(text.warning ?? '', /spill .* ⚠/);
    console.log(`    hint line ${saveLine}: ${hintLine(text)} | REST: ${jobs.length} job(s), ${durationMs} ms, ${tasks} tasks, ${ran.length} stages`);
  });
});

describe(`pyspark ${VERSION}: the skew job run with the hook`, () => {
  let run: Run;
  let id: string;
  let store: Store;
  let key: string;

  before(async () => {
    // 4M rows (default 1.5M): the hot key's task stays well above the 2 s skew threshold on an idle machine.
    run = await submit('skew.py', { HOLD_SECONDS: '120' }, ['4000000']);
    id = await appId(run);
    await until(run, /heaviest key/);
    store = makeStore([{ name: 'driver', url: run.uiUrl, kind: 'driver', group: 'it' }]);
    await store.refresh();
    key = `it|${id}`;
    store.watch(key, { live: true });
  });
  after(async () => {
    store?.dispose();
    await run?.stop();
  });

  test('the skew finding on the first() line has max and median equal to REST\'s taskSummary', async () => {
    const line = lineOf(run.file, '.first()');
    const stages = await getJson<RawStage[]>(`${run.uiUrl}/api/v1/applications/${id}/stages`);
    // The polls that fetch the long stages' task summaries: one or two per poll (≤ 5 requests).
    const skew = await waitFor(async () => {
      await store.refresh();
      return viewOf(store, key, run.file).findings.find((p) => p.finding.rule === 'skew');
    }, { what: 'a skew finding', timeoutMs: 60_000, intervalMs: 200 });
    const s = stages.find((x) => x.stageId === skew.finding.stageId)!;
    const rest = await getJson<{ quantiles: number[]; duration: number[] }>(
      `${run.uiUrl}/api/v1/applications/${id}/stages/${s.stageId}/${s.attemptId}/taskSummary?quantiles=0.5,0.75,0.95,1.0`);
    assert.deepEqual(rest.quantiles, [0.5, 0.75, 0.95, 1]);
    assert.equal(skew.file, run.file);
    assert.equal(skew.line, line);
    assert.equal(skew.finding.figures.medianTaskMs, rest.duration[0]);
    assert.equal(skew.finding.figures.maxTaskMs, rest.duration[3]);
    assert.ok(rest.duration[3] >= 3 * rest.duration[0], 'the fixture is skewed');
    console.log(`    skew stage ${s.stageId}: REST taskSummary duration median ${rest.duration[0]} max ${rest.duration[3]} | finding line ${skew.line}: ${skew.finding.message}`);
    // Only finished, long stages were asked for, each once.
    const d = store.detail(key)!.detail;
    for (const k of d.taskSummaries!.keys()) {
      const [sid] = k.split(':').map(Number);
      const st = stages.find((x) => x.stageId === sid)!;
      assert.equal(st.status, 'COMPLETE');
      assert.ok(st.executorRunTime >= 2000);
    }
  });

  test('the hint on the first() line has the REST API\'s durations and task counts', async () => {
    const line = lineOf(run.file, '.first()');
    await store.refresh();
    const jobs = await getJson<RawJob[]>(`${run.uiUrl}/api/v1/applications/${id}/jobs`);
    const l = viewOf(store, key, run.file).lines.find((x) => x.line === line);
    assert.ok(l, 'a hint on the first() line');
    const mine = jobs.filter((j) => j.name === `first at ${run.file}:${line}`);
    assert.equal(l.jobCount, mine.length);
    assert.equal(l.durationMs, mine.reduce((s, j) => s + (date(j.completionTime) - date(j.submissionTime)), 0));
    assert.equal(l.taskCount, mine.reduce((s, j) => s + j.numCompletedTasks, 0));
    console.log(`    hint line ${line}: ${hintLine(hintText(l))}`);
  });
});

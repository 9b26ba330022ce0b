/**
 * Spark Connect against real Connect servers from pyspark[connect] 4.3.0 (scripts/provision.sh
 * --connect): the seed job (test/fixtures/jobs/seed_cached.py, unchanged) run
 *   - classic, through Run File's spark-submit command line (the reference figures);
 *   - through Run File with spark.api.mode=connect (a local Connect server in the driver's JVM);
 *   - from a plain client whose session is `remote("local[2]")` (SPARK_REMOTE=local[2]), with and
 *     without the hook, and with a cache switched off;
 *   - from a plain client against a server started with sbin/start-connect-server.sh on free
 *     loopback ports (sc://127.0.0.1:<port>).
 * The lenses and lines come from the model functions the editor uses (fileLenses,
 * resolveConnectSites, summariseJobsByLine) over what Spark's REST API answers, read through
 * sources/sparkRest.ts, and are compared with the raw REST answers and with the classic run.
 *
 * One Spark at a time (2 cores); every process is started in its own group and the whole group
 * is gone before the next starts. Local Connect servers always listen on 15002 (pyspark's client
 * dials only that): it must be free.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectVenv, freePort, getJson, isPortFree, JOBS, REPO, waitFor } from './env';
import { buildSubmitCommand, LOCAL_CONNECT_PORT } from '../../src/launcher/submitCommand';
import { cacheLensText } from '../../src/model/cacheLensText';
import { scanPythonSource } from '../../src/model/cacheScanner';
import { summariseJobsByLine } from '../../src/model/callSite';
import { connectSessions, connectUiUrl, parseConnectUrl } from '../../src/model/connectServer';
import { resolveConnectSites } from '../../src/model/connectSites';
import { CallLens, fileLenses } from '../../src/model/fileLenses';
import type { Application, ApplicationDetail } from '../../src/model/types';
import { createHttpClient } from '../../src/sources/http';
import { SparkRestClient } from '../../src/sources/sparkRest';

const HOOK_DIR = join(REPO, 'src', 'launcher', 'python');
const SEED = join(JOBS, 'seed_cached.py');
const SEED_TEXT = readFileSync(SEED, 'utf8');
/** Small on purpose: the figures must agree, not be large; CI time is shared. */
const ROWS = ['50000', '24'];
const START_MS = 600_000;
const tmp = mkdtempSync(join(tmpdir(), 'so-connect-'));
mkdirSync(join(tmp, 'eventlog'));
const V = connectVenv();

/** 1-based line of the one line of the seed job holding `text`. */
function lineOf(text: string): number {
  const hits = SEED_TEXT.split('\n').flatMap((l, i) => (l.includes(text) ? [i + 1] : []));
  assert.equal(hits.length, 1, `one line of ${SEED} holds ${text}`);
  return hits[0];
}
const L = { df1: lineOf('df1.cache()'), df2: lineOf('df2 = df2.cache()'), count: lineOf('df1.count(), df2.count()'), collect: lineOf('histogram.collect()'), show: lineOf('means.show()') };

// ---------------------------------------------------------------------------------------------
// Processes

interface Proc {
  readonly name: string;
  output(): string;
  /** Resolves once `marker` is printed; rejects at once when the process ends first. */
  until(marker: RegExp, timeoutMs?: number): Promise<void>;
  /** SIGTERM to the group (the seed job stops Spark and exits), SIGKILL after 60 s; resolves when no process of the group is left. */
  stop(): Promise<void>;
}

const started: Proc[] = [];

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function start(name: string, command: string, args: readonly string[], env: Record<string, string>): Proc {
  let out = '';
  const child = spawn(command, [...args], { env: { ...process.env, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  let code: number | null | undefined;
  child.on('close', (c, signal) => (code = c ?? (signal ? -1 : null)));
  const pgid = child.pid!;
  const proc: Proc = {
    name,
    output: () => out,
    until: (marker, timeoutMs = START_MS) =>
      waitFor(async () => {
        if (marker.test(out)) return true;
        if (code !== undefined) throw new Error(`${name} ended (${code}) before printing ${marker}:\n${out.slice(-4000)}`);
        return undefined;
      }, { what: `${marker} from ${name}`, timeoutMs, intervalMs: 500 }).then(
        () => undefined,
        (e: unknown) => {
          throw new Error(`${String(e)}\n--- ${name} output ---\n${out.slice(-4000)}`);
        },
      ),
    async stop() {
      if (!groupAlive(pgid)) return;
      try {
        process.kill(-pgid, 'SIGTERM');
      } catch {
        /* gone */
      }
      const clean = await waitFor(async () => (groupAlive(pgid) ? undefined : true), { what: `${name} to end`, timeoutMs: 60_000 }).catch(() => false);
      if (!clean) {
        try {
          process.kill(-pgid, 'SIGKILL');
        } catch {
          /* gone */
        }
        await waitFor(async () => (groupAlive(pgid) ? undefined : true), { what: `${name} to be killed`, timeoutMs: 30_000 });
      }
    },
  };
  started.push(proc);
  return proc;
}

after(async () => {
  for (const p of started) await p.stop();
  rmSync(tmp, { recursive: true, force: true });
});

async function localConnectPortFree(): Promise<void> {
  assert.ok(await isPortFree(LOCAL_CONNECT_PORT), `port ${LOCAL_CONNECT_PORT} is in use: a local Spark Connect server always listens there`);
}

interface Run {
  readonly proc: Proc;
  readonly uiUrl: string;
  readonly eventsFile: string;
}

/** The seed job through Run File's own spark-submit command line (hook included). */
async function runFile(name: string, apiMode: 'classic' | 'connect'): Promise<Run> {
  if (apiMode === 'connect') await localConnectPortFree();
  const eventsFile = join(tmp, `${name}.jsonl`);
  const cmd = buildSubmitCommand({
    sparkSubmit: V.sparkSubmit, file: SEED, args: ROWS, master: 'local[2]', uiPort: await freePort(), eventLogDir: join(tmp, 'eventlog'),
    hookDir: HOOK_DIR, eventsFile, python: V.python, apiMode,
    extraConf: { 'spark.ui.showConsoleProgress': 'false', 'spark.driver.memory': '1g' }, env: { HOLD_SECONDS: '1200' },
  });
  const proc = start(name, cmd.command, cmd.args, cmd.env);
  await proc.until(/seed-cached done/);
  return { proc, uiUrl: cmd.uiUrl, eventsFile };
}

/** The seed job from a plain Python client whose session is `remote(remote)` (SPARK_REMOTE), with the hook installed by so_run.py or not at all. */
async function client(name: string, remote: string, o: { hook: boolean; uiPort?: number; env?: Record<string, string> }): Promise<Run> {
  const local = remote.startsWith('local');
  if (local) await localConnectPortFree();
  const eventsFile = join(tmp, `${name}.jsonl`);
  const args = o.hook ? [join(HOOK_DIR, 'so_run.py'), SEED, ...ROWS] : [SEED, ...ROWS];
  // A local server is a SparkContext that pyspark starts through spark-submit: these are its confs.
  const submitArgs = local
    ? [`--conf spark.ui.port=${o.uiPort} --conf spark.ui.showConsoleProgress=false --conf spark.driver.memory=1g`,
      '--conf spark.driver.host=127.0.0.1 --conf spark.driver.bindAddress=127.0.0.1 --conf spark.connect.grpc.binding.address=127.0.0.1 pyspark-shell'].join(' ')
    : undefined;
  const proc = start(name, V.python, args, {
    SPARK_REMOTE: remote, HOLD_SECONDS: '1200', SO_HOOK_EVENTS: eventsFile, SPARK_LOCAL_IP: '127.0.0.1', PYSPARK_PYTHON: V.python, PYTHONUNBUFFERED: '1',
    ...(submitArgs ? { PYSPARK_SUBMIT_ARGS: submitArgs } : {}), ...o.env,
  });
  await proc.until(/seed-cached done/);
  return { proc, uiUrl: `http://127.0.0.1:${o.uiPort}`, eventsFile };
}

// ---------------------------------------------------------------------------------------------
// What the extension would show

interface Seen {
  readonly app: Application;
  /** As polled, before resolveConnectSites. */
  readonly raw: ApplicationDetail;
  readonly detail: ApplicationDetail;
  readonly lenses: CallLens[];
}

/** One poll's worth of REST answers, through the extension's own REST client, and the lenses of the seed file over them. */
async function see(uiUrl: string): Promise<Seen> {
  const rest = new SparkRestClient(createHttpClient({ baseUrl: uiUrl, timeoutMs: 30_000 }));
  const [app] = await waitFor(async () => {
    const apps = await rest.applications();
    return apps.length > 0 ? apps : undefined;
  }, { what: `the application at ${uiUrl}` });
  const [jobs, stages, cachedDatasets, executors] = await Promise.all([rest.jobs(app), rest.stages(app), rest.cachedDatasets(app), rest.executors(app)]);
  const raw: ApplicationDetail = { jobs, stages, cachedDatasets, executors };
  const { lenses } = fileLenses({
    filePath: SEED, text: SEED_TEXT, scan: scanPythonSource(SEED_TEXT), now: Date.now(),
    apps: [{ key: `it|${app.id}`, app, sourceUrl: uiUrl, detail: raw }], runs: [{ file: SEED, uiUrl, startedAt: 0 }],
  });
  return { app, raw, detail: resolveConnectSites(raw), lenses };
}

/** The figures a lens shows, or its state when it shows none. */
function figures(l: CallLens | undefined): unknown {
  if (!l || l.state.kind !== 'measured') return l?.state.kind;
  const f = l.state.figures;
  return { confidence: l.state.confidence, memoryUsed: f.memoryUsed, diskUsed: f.diskUsed, partitions: `${f.numCachedPartitions}/${f.numPartitions}`, storageLevel: f.storageLevel };
}

const lensAt = (s: Seen, line: number) => s.lenses.find((l) => l.call.line === line - 1);

interface RawRdd {
  id: number;
  memoryUsed: number;
  diskUsed: number;
  numCachedPartitions: number;
  numPartitions: number;
}

/** Each lens shows the REST figures of the dataset it names, exactly. */
async function assertLensesAreRest(s: Seen, uiUrl: string, lines: number[]): Promise<void> {
  const rdds = await getJson<RawRdd[]>(`${uiUrl}/api/v1/applications/${s.app.id}/storage/rdd`);
  for (const line of lines) {
    const l = lensAt(s, line);
    assert.equal(l?.state.kind, 'measured', `line ${line}: ${JSON.stringify(l?.state).slice(0, 400)}`);
    if (l?.state.kind !== 'measured') continue;
    const f = l.state.figures;
    const r = rdds.find((x) => x.id === f.rddId);
    assert.ok(r, `rdd ${f.rddId} in /storage/rdd`);
    assert.deepEqual([f.memoryUsed, f.diskUsed, f.numCachedPartitions, f.numPartitions], [r.memoryUsed, r.diskUsed, r.numCachedPartitions, r.numPartitions]);
    console.log(`    line ${line}: ${cacheLensText(l.state).title} (rdd ${r.id}, REST memoryUsed ${r.memoryUsed})`);
  }
}

/** Per job, in job order: its line, its function, how many stages and tasks. */
function jobShape(d: ApplicationDetail): string[] {
  const byLine = summariseJobsByLine(d.jobs ?? [], d.stages ?? []);
  const lineOfJob = new Map<number, string>();
  for (const l of byLine.lines) for (const id of l.jobIds) lineOfJob.set(id, `${l.functions.join('+')}@${l.line}`);
  return [...(d.jobs ?? [])].sort((a, b) => a.jobId - b.jobId).map((j) => `${lineOfJob.get(j.jobId) ?? 'unplaced'} stages=${j.stageIds.length} tasks=${j.numTasks}`);
}

/** Jobs and stages as Spark ran them, without names: the same with and without the hook. */
function workShape(d: ApplicationDetail): { jobs: string[]; stages: string[] } {
  return {
    jobs: [...(d.jobs ?? [])].sort((a, b) => a.jobId - b.jobId).map((j) => `${j.jobId}: ${j.status} stages=${j.stageIds.length} skipped=${j.numSkippedStages} tasks=${j.numTasks}`),
    stages: [...(d.stages ?? [])].sort((a, b) => a.stageId - b.stageId || a.attemptId - b.attemptId).map((s) => `${s.stageId}.${s.attemptId}: ${s.status} tasks=${s.numTasks}`),
  };
}

/** A run the suite's tests look at: started and read before them, stopped after them. */
interface Watched {
  run: Run;
  s: Seen;
}

function watch(startRun: () => Promise<Run>): Watched {
  const w = {} as Watched;
  before(async () => {
    w.run = await startRun();
    w.s = await see(w.run.uiUrl);
  }, { timeout: START_MS + 60_000 });
  after(() => w.run?.proc.stop());
  return w;
}

// ---------------------------------------------------------------------------------------------

let reference: Watched;

describe('the seed job, classic (the reference)', () => {
  reference = watch(() => runFile('classic', 'classic'));

  test('both caches measured exactly, as REST says', async () => {
    await assertLensesAreRest(reference.s, reference.run.uiUrl, [L.df1, L.df2]);
    assert.equal(reference.s.detail.connect, undefined, 'a classic application is not Connect');
  });
});

describe('Run File with spark.api.mode=connect (SPARK_API_MODE, local Connect server in the driver)', () => {
  const w = watch(() => runFile('runfile-connect', 'connect'));

  test('the session is Spark Connect, and the hook says so', () => {
    assert.match(w.run.proc.output(), /\[spark-observatory\] Spark Connect hook installed \(pyspark 4\.3\.0\)/);
    assert.ok(w.s.raw.jobs!.every((j) => j.name.startsWith('Spark Connect - session_id:')), 'Spark names no line itself');
    assert.doesNotMatch(w.run.proc.output(), /JavaPackage|Traceback/);
  });

  test('every job carries its action\'s line (AQE, broadcast and cache jobs too), none ran before the first action', () => {
    const c = w.s.detail.connect!;
    assert.equal(c.connectJobs, w.s.raw.jobs!.length);
    assert.equal(c.placedJobs, c.connectJobs, 'every job tagged');
    assert.deepEqual(jobShape(w.s.detail), jobShape(reference.s.detail), 'the same jobs on the same lines as the classic run');
    const first = [...w.s.detail.jobs!].sort((a, b) => a.jobId - b.jobId)[0];
    assert.equal(first.name, `count at ${SEED}:${L.count}`);
    assert.deepEqual([...new Set(summariseJobsByLine(w.s.detail.jobs!, w.s.detail.stages!).lines.map((l) => l.line))].sort((a, b) => a - b), [L.count, L.collect, L.show]);
  });

  test('the lenses show the same figures as classic, each equal to its REST entry', async () => {
    await assertLensesAreRest(w.s, w.run.uiUrl, [L.df1, L.df2]);
    assert.deepEqual([figures(lensAt(w.s, L.df1)), figures(lensAt(w.s, L.df2))], [figures(lensAt(reference.s, L.df1)), figures(lensAt(reference.s, L.df2))]);
    assert.deepEqual(w.s.detail.connect!.caches.map((c) => [c.line, c.result.kind, c.firstUse?.line]), [[L.df1, 'exact', L.count], [L.df2, 'exact', L.count]]);
  });

  test('the hook tells the session\'s application and UI port without a job', () => {
    const [session] = connectSessions(readFileSync(w.run.eventsFile, 'utf8'));
    assert.equal(session.appId, w.s.app.id);
    assert.equal(connectUiUrl(parseConnectUrl('local[2]')!, session), w.run.uiUrl);
  });

  let withHook: ApplicationDetail;
  test('the same jobs and stages without the hook (remote("local[2]") from a plain client)', { timeout: START_MS + 120_000 }, async () => {
    withHook = w.s.raw;
    await w.run.proc.stop();
    const plain = await client('remote-local-plain', 'local[2]', { hook: false, uiPort: await freePort() });
    try {
      const without = await see(plain.uiUrl);
      assert.doesNotMatch(plain.proc.output(), /\[spark-observatory\]/);
      assert.deepEqual(workShape(withHook), workShape(without.raw));
      assert.deepEqual(without.raw.cachedDatasets!.map((d) => [d.memoryUsed, d.numCachedPartitions]), withHook.cachedDatasets!.map((d) => [d.memoryUsed, d.numCachedPartitions]));
      assert.equal(without.detail.connect?.placedJobs, 0, 'no tags without the hook');
    } finally {
      await plain.proc.stop();
    }
  });
});

describe('remote("local[2]") from a client with the hook, one cache switched off', () => {
  const w = watch(async () => client('remote-local-disabled', 'local[2]', {
    hook: true, uiPort: await freePort(), env: { SO_DISABLE_CACHE_AT: JSON.stringify([{ file: SEED, line: L.df1 }]) },
  }));

  test('the switched-off DataFrame is not cached, the other is, with the classic figures', async () => {
    assert.equal(w.run.proc.output().match(/switched off by SO_DISABLE_CACHE_AT/g)?.length, 1);
    assert.equal(w.s.raw.cachedDatasets!.length, 1, JSON.stringify(w.s.raw.cachedDatasets!.map((d) => d.name)));
    assert.equal(lensAt(w.s, L.df1)?.state.kind, 'notMaterialised');
    await assertLensesAreRest(w.s, w.run.uiUrl, [L.df2]);
    assert.deepEqual(figures(lensAt(w.s, L.df2)), figures(lensAt(reference.s, L.df2)));
    const events = readFileSync(w.run.eventsFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: string; line?: number });
    assert.deepEqual(events.filter((e) => e.event === 'disabled').map((e) => e.line), [L.df1]);
  });

  test('every action\'s jobs map to its line (one job fewer: nothing to cache for df1)', () => {
    const lines = jobShape(w.s.detail).map((j) => j.split(' ')[0]);
    const classic = jobShape(reference.s.detail).map((j) => j.split(' ')[0]);
    assert.deepEqual([...new Set(lines)], [...new Set(classic)]);
    assert.equal(lines.length, classic.length - 1, lines.join(', '));
  });
});

describe('a Connect server from sbin/start-connect-server.sh, reached at sc://127.0.0.1:<port>', () => {
  let server: Proc;
  let run: Run;
  let s: Seen;
  let remote: string;
  let uiPort: number;
  before(async () => {
    const grpcPort = await freePort();
    uiPort = await freePort();
    remote = `sc://127.0.0.1:${grpcPort}`;
    server = start('connect-server', 'bash', [join(V.sparkHome, 'sbin', 'start-connect-server.sh'), '--wait', '--master', 'local[2]',
      '--conf', 'spark.connect.grpc.binding.address=127.0.0.1', '--conf', `spark.connect.grpc.binding.port=${grpcPort}`, '--conf', `spark.ui.port=${uiPort}`,
      '--conf', 'spark.driver.host=127.0.0.1', '--conf', 'spark.driver.bindAddress=127.0.0.1', '--conf', 'spark.driver.memory=1g', '--conf', 'spark.ui.showConsoleProgress=false'], {
      SPARK_LOCAL_IP: '127.0.0.1', SPARK_PID_DIR: tmp, SPARK_LOG_DIR: tmp, SPARK_IDENT_STRING: `so-it-${process.pid}`, PYSPARK_PYTHON: V.python,
    });
    await server.until(new RegExp(`Spark Connect server started at: 127\\.0\\.0\\.1:${grpcPort}`));
    // The client learns the UI from the server: the test does not tell it.
    run = await client('server-client', remote, { hook: true });
    const [session] = connectSessions(readFileSync(run.eventsFile, 'utf8'));
    s = await see(connectUiUrl(parseConnectUrl(remote)!, session));
  }, { timeout: START_MS * 2 });
  after(async () => {
    await run?.proc.stop();
    await server?.stop();
  });

  test('the hook finds the server\'s Spark UI and application', () => {
    const [session] = connectSessions(readFileSync(run.eventsFile, 'utf8'));
    assert.equal(session.uiPort, uiPort);
    assert.equal(session.appId, s.app.id);
    assert.equal(s.app.name, 'Spark Connect server');
  });

  test('every action\'s jobs map to its line, and the lenses show the classic figures', async () => {
    assert.deepEqual(jobShape(s.detail), jobShape(reference.s.detail));
    await assertLensesAreRest(s, `http://127.0.0.1:${uiPort}`, [L.df1, L.df2]);
    assert.deepEqual([figures(lensAt(s, L.df1)), figures(lensAt(s, L.df2))], [figures(lensAt(reference.s, L.df1)), figures(lensAt(reference.s, L.df2))]);
  });
});

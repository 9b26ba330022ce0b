/**
 * Benchmark (not a test) of the hook's budgets (DESIGN.md "Budgets"):
 *
 * - set-up ≤ 50 ms for a 5,000-line file: install() (PySpark imported first, as the user's file
 *   would) plus the first cache call of the file, which reads the call's line and text from the
 *   file (test/bench/hook_setup.py, no Spark). The same at 50,000 lines shows it grows linearly.
 * - the seed job's wall time with the hook within 2 % of without: test/fixtures/jobs/seed_cached.py
 *   in local[2], spark-submit through buildSubmitCommand with the hook and with the very same
 *   command line minus the runner (so only the hook differs), after one uncounted warm-up run, ≥ 5 interleaved pairs, median and
 *   spread of the process wall times (and of their CPU times, which the machine's load moves less),
 *   and the time the hook's own code took in each run (its "exit" event), which no load moves.
 *
 *   node out/test/bench/hook.bench.js                      this bench alone
 *   SO_BENCH_HOOK_DIR=/old/hook node out/test/bench/hook.bench.js   set-up of another hook version
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generatePySpark } from './cacheScanner.bench';
import { BenchResult, mean, median, progress, REPO, round, runAlone, stddev } from './common';
import { freePort, venv } from '../integration/env';
import { buildSubmitCommand, RUNNER_FILE } from '../../src/launcher/submitCommand';
import { parseHookEvents } from '../../src/model/hookEvents';

const VERSION = '4.3.0';
const HOOK_DIR = process.env.SO_BENCH_HOOK_DIR ?? path.join(REPO, 'src', 'launcher', 'python');
const SETUP_BUDGET_MS = 50;
const SETUP_RUNS = 5;
const WALL_BUDGET_PCT = 2;
const PAIRS = Number(process.env.SO_BENCH_HOOK_PAIRS ?? 10);
/** The seed job's own default sizes (1,000,000 and 24 rows). */
const SEED_ARGS = (process.env.SO_BENCH_SEED_ARGS ?? '1000000 24').split(' ');

/** Whole functions of the scanner bench's generated PySpark, then a tail that makes three cache calls and times them. */
export function setupFile(lines: number): string {
  const tail = [
    '',
    'def _cached_in_a_function(p):',
    '    return (p',
    '            .cache())',
    '',
    '',
    '_t0 = _clock()',
    'probe.cache()',
    '_t1 = _clock()',
    '_cached_in_a_function(probe)',
    '_t2 = _clock()',
    'probe.cache()',
    '_t3 = _clock()',
    '_report(_t0, _t1, _t2, _t3)',
    '',
  ];
  const body = generatePySpark(lines + 100, true).split('\n');
  let end = lines - tail.length;
  while (end > 0 && !body[end].startsWith('def ')) end--;
  return [...body.slice(0, end), ...tail].join('\n');
}

interface SetupRun {
  readonly installMs: number;
  readonly installCpuMs: number;
  readonly cacheCallsMs: readonly number[];
  readonly cacheCallsCpuMs: readonly number[];
  readonly names: readonly string[];
}

function runPython(python: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(python, [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${python} ${args.join(' ')} exited ${code}: ${err.slice(-2000)}`))));
  });
}

/** Medians over fresh interpreters: set-up (install + first cache call) wall and CPU, and its parts. */
interface Setup {
  readonly wall: number;
  readonly cpu: number;
  readonly installWall: number;
  readonly installCpu: number;
  readonly firstCpu: number;
  readonly chainCpu: number;
  readonly name: string;
}

async function measureSetup(python: string, lines: number, dir: string): Promise<Setup> {
  const file = path.join(dir, `generated_${lines}.py`);
  fs.writeFileSync(file, setupFile(lines));
  const runs: SetupRun[] = [];
  for (let i = 0; i < SETUP_RUNS; i++) {
    runs.push(JSON.parse((await runPython(python, [path.join(REPO, 'test', 'bench', 'hook_setup.py'), HOOK_DIR, file])).trim().split('\n').pop()!) as SetupRun);
  }
  const med = (f: (r: SetupRun) => number) => round(median(runs.map(f)));
  return {
    wall: med((r) => r.installMs + r.cacheCallsMs[0]),
    cpu: med((r) => r.installCpuMs + r.cacheCallsCpuMs[0]),
    installWall: med((r) => r.installMs),
    installCpu: med((r) => r.installCpuMs),
    firstCpu: med((r) => r.cacheCallsCpuMs[0]),
    chainCpu: med((r) => r.cacheCallsCpuMs[1]),
    name: runs[0].names[0],
  };
}

interface WallRun {
  readonly ms: number;
  /** CPU time of spark-submit and everything it waited for (the JVM, the Python driver), ms. */
  readonly cpuMs: number;
  /** The job's own "seed-cached done in X s". */
  readonly jobSeconds?: number;
  /** With the hook: the time its own code took in the job's threads (its "exit" event), ms. */
  readonly hookMs?: number;
}

/** bash's `times`: its children's user and system time, the second of its two lines. */
function childrenCpuMs(output: string): number {
  const lines = [...output.matchAll(/^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/gm)];
  const m = lines[lines.length - 1];
  if (!m) throw new Error('no CPU times in the run\'s output');
  return ((Number(m[1]) + Number(m[3])) * 60 + Number(m[2]) + Number(m[4])) * 1000;
}

/** One seed run to its end: wall time of the spark-submit process. */
async function seedRun(withHook: boolean, tmp: string): Promise<WallRun> {
  const v = venv(VERSION);
  const eventsFile = withHook ? path.join(tmp, `events-${Date.now()}.jsonl`) : undefined;
  const cmd = buildSubmitCommand({
    sparkSubmit: v.sparkSubmit,
    file: path.join(REPO, 'test', 'fixtures', 'jobs', 'seed_cached.py'),
    args: SEED_ARGS,
    master: 'local[2]',
    uiPort: await freePort(),
    eventLogDir: path.join(tmp, 'eventlog'),
    hookDir: HOOK_DIR,
    eventsFile,
    python: v.python,
    extraConf: { 'spark.ui.showConsoleProgress': 'false' },
  });
  // Without the hook: the same command line, minus the runner that installs it.
  const args = withHook ? cmd.args : cmd.args.filter((a) => a !== path.join(HOOK_DIR, RUNNER_FILE));
  const t0 = performance.now();
  const output = await new Promise<string>((resolve, reject) => {
    // Under bash, whose `times` then gives the run's CPU time: less at the mercy of the machine's load than wall time.
    const p = spawn('bash', ['-c', '"$@"; rc=$?; times >&2; exit $rc', 'bash', cmd.command, ...args], { env: { ...process.env, ...cmd.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`seed run (${withHook ? 'with' : 'without'} the hook) exited ${code}: ${out.slice(-2000)}`))));
  });
  const ms = performance.now() - t0;
  if (withHook !== output.includes('[spark-observatory] hook active')) throw new Error(`the run ${withHook ? 'with' : 'without'} the hook says otherwise:\n${output.slice(0, 2000)}`);
  const m = /seed-cached done in ([\d.]+)s/.exec(output);
  const exit = eventsFile ? parseHookEvents(fs.readFileSync(eventsFile, 'utf8')).find((e) => e.event === 'exit') : undefined;
  return { ms, cpuMs: childrenCpuMs(output), jobSeconds: m ? Number(m[1]) : undefined, hookMs: typeof exit?.hookSeconds === 'number' ? exit.hookSeconds * 1000 : undefined };
}

const spread = (xs: readonly number[]) => `${round(Math.min(...xs) / 1000, 2)}–${round(Math.max(...xs) / 1000, 2)} s`;

export async function run(): Promise<BenchResult[]> {
  const python = venv(VERSION).python;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'so-bench-hook-'));
  fs.mkdirSync(path.join(tmp, 'eventlog'));
  try {
    progress('hook', `set-up: ${SETUP_RUNS} runs each of a 5,000- and a 50,000-line file (${HOOK_DIR})…`);
    const s5 = await measureSetup(python, 5_000, tmp);
    const s50 = await measureSetup(python, 50_000, tmp);
    const results: BenchResult[] = [
      {
        name: 'hook: set-up for a 5,000-line file (install + first cache call), wall, median', value: s5.wall, unit: 'ms', budget: SETUP_BUDGET_MS,
        note: `median of ${SETUP_RUNS} fresh interpreters; install ${s5.installWall} ms wall (${s5.installCpu} ms CPU: importing the hook, compiled anew where PYTHONDONTWRITEBYTECODE is set, and patching PySpark); named ${s5.name}`,
      },
      {
        name: 'hook: set-up for a 5,000-line file, CPU, median', value: s5.cpu, unit: 'ms', budget: SETUP_BUDGET_MS,
        note: `first cache call ${s5.firstCpu} ms CPU (reads the file once, parses the one statement), a chain over two lines in a function ${s5.chainCpu} ms`,
      },
      {
        name: 'hook: set-up for a 50,000-line file, CPU, median', value: s50.cpu, unit: 'ms',
        note: `first cache call ${s50.firstCpu} ms CPU, ${round(s50.firstCpu / s5.firstCpu, 1)}× the 5,000-line file's for 10× the lines (linear: about 10×); wall ${s50.wall} ms`,
      },
    ];
    progress('hook', `seed job (${SEED_ARGS.join(' ')}), ${PAIRS} interleaved pairs with and without the hook…`);
    // One run first, not counted: the first spark-submit after a pause reads Spark's jars from
    // disk (seen: 19.4 s against 12.3-13.5 s for the runs after it), whichever side it falls on.
    const warm = await seedRun(false, tmp);
    progress('hook', `warm-up run (not counted): ${round(warm.ms / 1000, 2)} s, CPU ${round(warm.cpuMs / 1000, 2)} s`);
    const without: WallRun[] = [];
    const withHook: WallRun[] = [];
    for (let i = 0; i < PAIRS; i++) {
      // Alternate which goes first, so a drift of the machine's load hits both alike.
      for (const hooked of i % 2 === 0 ? [false, true] : [true, false]) {
        const r = await seedRun(hooked, tmp);
        (hooked ? withHook : without).push(r);
        progress('hook', `pair ${i + 1}: ${hooked ? 'with' : 'without'} the hook ${round(r.ms / 1000, 2)} s, CPU ${round(r.cpuMs / 1000, 2)} s (job ${r.jobSeconds ?? '?'} s)`);
      }
    }
    const a = without.map((r) => r.ms);
    const b = withHook.map((r) => r.ms);
    const paired = b.map((x, i) => ((x - a[i]) / a[i]) * 100);
    results.push(
      { name: 'hook: seed job wall time without the hook, median', value: round(median(a) / 1000, 2), unit: 's', note: `spread ${spread(a)} over ${PAIRS} runs` },
      { name: 'hook: seed job wall time with the hook, median', value: round(median(b) / 1000, 2), unit: 's', note: `spread ${spread(b)} over ${PAIRS} runs` },
      {
        name: 'hook: seed job wall time, with vs without the hook', value: round((median(b) / median(a) - 1) * 100, 2), unit: '%', budget: WALL_BUDGET_PCT,
        note: `ratio of the medians; paired differences ${paired.map((p) => `${round(p, 1)} %`).join(', ')} (median ${round(median(paired), 2)} %, mean ${round(mean(paired), 2)} % ± ${round(stddev(paired) / Math.sqrt(paired.length), 2)} % standard error: what ${PAIRS} pairs on this machine can resolve); jobs' own times ${without.map((r) => r.jobSeconds).join(', ')} s without, ${withHook.map((r) => r.jobSeconds).join(', ')} s with`,
      },
    );
    const own = withHook.map((r) => r.hookMs ?? NaN);
    const share = withHook.map((r) => ((r.hookMs ?? NaN) / r.ms) * 100);
    results.push({
      name: 'hook: its own code\'s time in the seed job, share of the run\'s wall time, median', value: round(median(share), 4), unit: '%', budget: WALL_BUDGET_PCT,
      note: `the hook's "exit" event: ${own.map((x) => `${round(x, 1)} ms`).join(', ')} in its wrappers (tagging ${withHook.length} runs' actions, naming their caches), against runs of ${withHook.map((r) => round(r.ms / 1000, 1)).join(', ')} s; what the hook adds to the job, without the machine's load in it`,
    });
    const ca = without.map((r) => r.cpuMs);
    const cb = withHook.map((r) => r.cpuMs);
    results.push(
      { name: 'hook: seed job CPU time without the hook, median', value: round(median(ca) / 1000, 2), unit: 's', note: `spread ${spread(ca)}; JVM and Python driver together` },
      {
        name: 'hook: seed job CPU time, with vs without the hook', value: round((median(cb) / median(ca) - 1) * 100, 2), unit: '%',
        note: `with the hook: median ${round(median(cb) / 1000, 2)} s, spread ${spread(cb)}`,
      },
    );
    return results;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

if (require.main === module) runAlone(run);

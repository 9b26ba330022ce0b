/**
 * `npm run bench`: measures every budget of DESIGN.md ("Budgets"), prints a table of figures and
 * their ratio to the budget, and writes test-results/bench.json. A budget miss is reported, never
 * a failure: the exit code is 1 only when a bench module crashed.
 *
 *   npm run bench                                   all of them, in order
 *   node out/test/bench/index.js poll rangeQuery    only these (after npm run compile-tests)
 *   node out/test/bench/poll.bench.js               one module alone, without the table
 *
 * The real-Spark benches (driverLoad, rangeQuery) start the Spark environment when it is not
 * running and stop it again at the end, on a crash or on Ctrl+C (sparkEnv.ts); one that was
 * running is left running. The activation bench needs code-server and Chromium (scripts/provision.sh).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BenchResult, REPO, round } from './common';
import { exitCode, releaseAll } from './sparkEnv';

interface BenchModule {
  readonly id: string;
  readonly file: string;
  load(): Promise<{ run(): Promise<BenchResult[]> }>;
}

/** In order: the cheap ones first, the real-Spark ones last (they share one running job). */
const MODULES: readonly BenchModule[] = [
  { id: 'bundle', file: 'bundle.bench.ts', load: async () => import('./bundle.bench') },
  { id: 'activation', file: 'activation.bench.ts', load: async () => import('./activation.bench') },
  { id: 'cacheScanner', file: 'cacheScanner.bench.ts', load: async () => import('./cacheScanner.bench') },
  { id: 'poll', file: 'poll.bench.ts', load: async () => import('./poll.bench') },
  { id: 'series', file: 'series.bench.ts', load: async () => import('./series.bench') },
  { id: 'hook', file: 'hook.bench.ts', load: async () => import('./hook.bench') },
  { id: 'driverLoad', file: 'driverLoad.bench.ts', load: async () => import('./driverLoad.bench') },
  { id: 'rangeQuery', file: 'rangeQuery.bench.ts', load: async () => import('./rangeQuery.bench') },
];

interface Row extends BenchResult {
  readonly bench: string;
  readonly ratio?: number;
  readonly status: 'ok' | 'MISS' | 'info' | 'n/a';
}

interface ModuleOutcome {
  readonly id: string;
  readonly file: string;
  readonly seconds: number;
  readonly error?: string;
}

function toRow(bench: string, r: BenchResult): Row {
  if (r.budget === undefined) return { ...r, bench, status: Number.isFinite(r.value) ? 'info' : 'n/a' };
  if (!Number.isFinite(r.value)) return { ...r, bench, status: 'n/a' };
  const ratio = r.budget === 0 ? (r.value <= 0 ? 0 : Infinity) : round(r.value / r.budget, 3);
  return { ...r, bench, ratio, status: r.value <= r.budget ? 'ok' : 'MISS' };
}

function fmtNum(v: number | undefined): string {
  if (v === undefined) return '';
  if (!Number.isFinite(v)) return 'n/a';
  const a = Math.abs(v);
  return a >= 1000 ? v.toFixed(0) : a >= 100 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toFixed(3);
}

function table(rows: readonly Row[]): string {
  const head = ['bench', 'measure', 'value', 'unit', 'budget', 'ratio', ''];
  // A figure with the previous release's beside it reads "previous → now (now/previous)".
  const value = (r: Row) => (r.previous === undefined ? fmtNum(r.value) : `${fmtNum(r.previous)} → ${fmtNum(r.value)} (${fmtNum(r.value / r.previous)}×)`);
  const body = rows.map((r) => [r.bench, r.name, value(r), r.unit, fmtNum(r.budget), r.ratio === undefined ? '' : `${fmtNum(r.ratio)}×`, r.status === 'info' ? '' : r.status]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 2 || i === 4 || i === 5 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

async function main(): Promise<number> {
  const only = process.argv.slice(2);
  const unknown = only.filter((o) => !MODULES.some((m) => m.id === o));
  if (unknown.length) {
    console.error(`unknown bench(es): ${unknown.join(', ')}; known: ${MODULES.map((m) => m.id).join(', ')}`);
    return 2;
  }
  const selected = only.length ? MODULES.filter((m) => only.includes(m.id)) : MODULES;
  const rows: Row[] = [];
  const outcomes: ModuleOutcome[] = [];
  const started = Date.now();
  try {
    for (const m of selected) {
      const t0 = Date.now();
      process.stderr.write(`\n=== ${m.id} (test/bench/${m.file})\n`);
      try {
        const mod = await m.load();
        const got = await mod.run();
        rows.push(...got.map((r) => toRow(m.id, r)));
        outcomes.push({ id: m.id, file: m.file, seconds: round((Date.now() - t0) / 1000, 1) });
      } catch (e) {
        const error = e instanceof Error ? (e.stack ?? e.message) : String(e);
        process.stderr.write(`[bench:${m.id}] CRASHED: ${error}\n`);
        outcomes.push({ id: m.id, file: m.file, seconds: round((Date.now() - t0) / 1000, 1), error });
      }
    }
  } finally {
    // The shared job, then the Spark environment if this run started it (sparkEnv.ts).
    await releaseAll();
  }

  console.log('');
  console.log(table(rows));
  const notes = rows.filter((r) => r.note);
  if (notes.length) {
    console.log('\nNotes');
    for (const r of notes) console.log(`- [${r.bench}] ${r.name}: ${r.note}`);
  }
  const misses = rows.filter((r) => r.status === 'MISS');
  const crashed = outcomes.filter((o) => o.error);
  console.log(`\n${rows.length} figures, ${rows.filter((r) => r.status === 'ok').length} within budget, ${misses.length} over budget, ${crashed.length} bench(es) crashed; ${round((Date.now() - started) / 1000, 1)} s`);
  for (const o of outcomes) console.log(`  ${o.id}: ${o.seconds} s${o.error ? `  CRASHED: ${o.error.split('\n')[0]}` : ''}`);

  const outDir = path.join(REPO, 'test-results');
  fs.mkdirSync(outDir, { recursive: true });
  const report = {
    at: new Date().toISOString(),
    machine: { cpus: os.cpus().length, loadavg: os.loadavg().map((l) => round(l, 2)), node: process.version, platform: `${os.platform()} ${os.release()}` },
    seconds: round((Date.now() - started) / 1000, 1),
    modules: outcomes,
    results: rows,
  };
  fs.writeFileSync(path.join(outDir, 'bench.json'), JSON.stringify(report, null, 2) + '\n');
  console.log(`\nwritten: ${path.relative(process.cwd(), path.join(outDir, 'bench.json')) || path.join(outDir, 'bench.json')}`);
  return crashed.length ? 1 : 0;
}

main().then(
  (code) => process.exit(exitCode(code)),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);

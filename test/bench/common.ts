/**
 * What every bench module shares: the row it reports, small statistics, where the repository is.
 * A bench reports figures; it never fails because a budget is missed (DESIGN.md "Budgets").
 */
import * as path from 'node:path';

/** One figure. `budget` is an upper bound in the same unit ("value ≤ budget" is within budget). */
export interface BenchResult {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly budget?: number;
  /** How the figure was obtained, or why it is what it is; printed under the table. */
  readonly note?: string;
  /** The same figure of the previous release, measured in the same run (printed "previous → now"). */
  readonly previous?: number;
}

// Compiled to out/test/bench/ (three levels below the repo root), or run from test/bench/ (two).
const up2 = path.resolve(__dirname, '..', '..');
export const REPO = path.basename(up2) === 'out' ? path.dirname(up2) : up2;
/** Compiled test code (out/test): where child-process entry points of the benches live. */
export const OUT_TEST = path.join(REPO, 'out', 'test');

export function round(v: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Nearest-rank percentile (p in 0..100). */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

export function mean(xs: readonly number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

export function stddev(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Progress for the person watching (stderr, so stdout keeps only the table). */
export function progress(bench: string, msg: string): void {
  process.stderr.write(`[bench:${bench}] ${msg}\n`);
}

/** Prints rows of one module when it is run on its own (`node out/test/bench/x.bench.js`). */
export function printRows(rows: readonly BenchResult[]): void {
  for (const r of rows) {
    const ratio = r.budget ? `, ${round(r.value / r.budget, 2)}×` : '';
    const budget = r.budget !== undefined ? ` (budget ${r.budget} ${r.unit}${ratio}${r.value <= r.budget ? '' : ', over'})` : '';
    const value = r.previous !== undefined ? `${r.previous} → ${r.value} ${r.unit} (${round(r.value / r.previous, 3)}× the previous release)` : `${r.value} ${r.unit}`;
    console.log(`${r.name}: ${value}${budget}`);
    if (r.note) console.log(`    ${r.note}`);
  }
}

/** `node x.bench.js` runs the module's run() alone, prints its rows; exit 1 only on a crash. */
export function runAlone(run: () => Promise<BenchResult[]>, cleanup?: () => Promise<void>): void {
  run()
    .then(printRows)
    .then(
      async () => {
        await cleanup?.();
        process.exit(0);
      },
      async (e: unknown) => {
        console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
        await cleanup?.().catch(() => undefined);
        process.exit(1);
      },
    );
}

/**
 * Benchmark (not a test): the memory the built-in series hold (DESIGN.md: ≤ 2 MB per
 * application, ≤ 20 MB in all), through the store's own recorder with real executor lists.
 *
 * - "an hour of the demo": the demo's loop starts a new application about every 70 s on the
 *   cluster (3 examples and cache_too_big.py, each ~1 min), each sampled every 3 s while it runs
 *   (an open tree node or lens; the status bar alone samples every 30 s), plus one Run-File run
 *   of 10 min watched by its dashboard; ended applications are saved and stay in memory until
 *   the budget needs the room.
 * - the bounds: one application sampled every second for 24 h; 40 applications for 8 h each.
 * - the cost of one sample (sampleOf + push) for 1,000 executors.
 */
import { performance } from 'node:perf_hooks';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeriesRecorder } from '../../src/store/series';
import { MAX_BYTES_PER_APP, MAX_BYTES_TOTAL } from '../../src/model/series';
import type { Executor } from '../../src/model/types';
import { BenchResult, median, round, runAlone } from './common';

function executors(n: number, t: number): Executor[] {
  return Array.from({ length: n }, (_, i) => ({
    id: i === 0 ? 'driver' : String(i), hostPort: `10.0.0.${i}:7337`, isActive: true, totalCores: 4, maxTasks: 4,
    activeTasks: t % 5, failedTasks: 0, completedTasks: t * 3 + i, totalTasks: t * 3 + i, totalDurationMs: t * 900, totalGCTimeMs: t * 40,
    memoryUsed: 1e6 * ((t + i) % 300), maxMemory: 384e6, diskUsed: 0, totalInputBytes: t * 1e5, totalShuffleRead: t * 2e5,
    totalShuffleWrite: t * 2e5, rddBlocks: 0, peak: { jvmHeap: 2e8 + t * 1000 },
  }));
}

export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'so-series-bench-'));
  try {
    // An hour of the demo.
    const rec = new SeriesRecorder({ dir, warn: () => undefined });
    const t0 = 1_800_000_000_000;
    let apps = 0;
    for (let start = 0; start < 3600; start += 70) {
      const key = `local|app-${start}`;
      apps++;
      for (let s = start; s < Math.min(3600, start + 60); s += 3) rec.record(key, `app-${start}`, t0 + s * 1000, { executors: executors(3, s) });
      rec.end(key);
    }
    for (let s = 0; s < 600; s += 3) rec.record('local|run', 'local-run', t0 + s * 1000, { executors: executors(1, s) });
    rec.end('local|run');
    apps++;
    const hourBytes = rec.bytes();
    const files = readdirSync(dir);
    const saved = files.reduce((a, f) => a + statSync(join(dir, f)).size, 0);

    // One application every second for 24 h.
    const day = new SeriesRecorder({ warn: () => undefined });
    for (let s = 0; s < 86_400; s++) day.record('k', 'app', t0 + s * 1000, { executors: executors(2, s) });
    const dayBytes = day.bytes();

    // 40 applications for 8 h each at 3 s.
    const many = new SeriesRecorder({ warn: () => undefined });
    for (let s = 0; s < 8 * 3600; s += 3) for (let a = 0; a < 40; a++) many.record(`k${a}`, `app${a}`, t0 + s * 1000, { executors: executors(2, s) });
    const manyBytes = many.bytes();

    // Cost of one sample at 1,000 executors: a list read again each time (the same arrays
    // reuse the last sample, which is the other figure).
    const big = executors(1000, 7);
    const cost = new SeriesRecorder({ warn: () => undefined });
    const times: number[] = [];
    const reused: number[] = [];
    for (let i = 0; i < 200; i++) {
      const list = [...big];
      let t = performance.now();
      cost.record('k', 'app', t0 + i * 6000, { executors: list });
      times.push(performance.now() - t);
      t = performance.now();
      cost.record('k', 'app', t0 + i * 6000 + 3000, { executors: list });
      reused.push(performance.now() - t);
    }
    return [
      { name: `an hour of the demo: ${apps} applications in memory`, value: round(hourBytes / 1024 / 1024, 3), unit: 'MB', budget: MAX_BYTES_TOTAL / 1024 / 1024 },
      { name: `an hour of the demo: saved files (${files.length})`, value: round(saved / 1024, 1), unit: 'KB' },
      { name: 'one application sampled every second for 24 h', value: round(dayBytes / 1024 / 1024, 3), unit: 'MB', budget: MAX_BYTES_PER_APP / 1024 / 1024 },
      { name: '40 applications for 8 h each at 3 s', value: round(manyBytes / 1024 / 1024, 3), unit: 'MB', budget: MAX_BYTES_TOTAL / 1024 / 1024 },
      { name: 'one sample at 1,000 executors (median)', value: round(median(times), 3), unit: 'ms' },
      { name: 'one sample at 1,000 executors, lists not read again since the last (median)', value: round(median(reused), 4), unit: 'ms' },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) runAlone(run);

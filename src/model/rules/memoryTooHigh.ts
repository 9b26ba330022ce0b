/**
 * Executor memory too high: executors given far more heap than they ever used. Only where the
 * evidence is complete: every executor that ran tasks reported its peak heap (an all-zero peak
 * object means "not reported", and so does a peak taken before the first heartbeat sample), no
 * stage spilled, and GC was light. Never an error: memory held idle costs money, not results.
 */
import { formatBytes } from '../format';
import { parseSparkSize, DEFAULT_HEAP_BYTES, RESERVED_MEMORY_BYTES } from '../memoryModel';
import { grade, stageMaxData, times, type Rule } from './types';
import { SPILL } from './spill';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export const MEMORY_TOO_HIGH = {
  /** spark.executor.memory ≥ this many times (peak heap + 300 MiB): Dr. Elephant's 2 and 3. */
  information: 2,
  warning: 3,
  /** Dr. Elephant skips executors of 2 GiB or less: there is little to give back. */
  minExecutorMemoryBytes: 2 * GiB,
  /**
   * Every executor lived this long (ours): peaks are sampled at heartbeats (10 s) unless
   * spark.executor.metrics.pollingInterval is set, and a run of a minute or two is a test, not a
   * steady state worth resizing (the real LargeBlocks log: 7g, 100 ms polling, 62 s).
   */
  minLifetimeMs: 120_000,
  /** GC above this share says the heap is not idle (Dr. Elephant's "GC ratio low", 5 %). */
  maxGcShare: 0.05,
} as const;

/** An executor's lifetime, from its add time to its removal, the application's end, or now. */
export function executorLifetimeMs(e: { addTime?: number; removeTime?: number }, appEnd: number | undefined): number | undefined {
  const end = e.removeTime ?? appEnd;
  return e.addTime !== undefined && end !== undefined ? Math.max(0, end - e.addTime) : undefined;
}

export const memoryTooHighRule: Rule = {
  doc: {
    id: 'memoryTooHigh',
    title: 'Executor memory too high',
    scope: 'application',
    what: '`spark.executor.memory` / (max `peakMemoryMetrics.JVMHeapMemory` over the executors that ran tasks + 300 MiB)',
    levels: { information: '≥ 2', warning: '≥ 3' },
    sources:
      'Dr. Elephant `JvmUsedMemoryHeuristic.scala` (customSHSWork): 1.25/1.5/2/3 × (peak + 300 MB) L96, L72-73; skipped at ≤ 2 GB L78, L104-108; suggests 1.2 × peak L53, L74. DataFlint `MemoryAlertsReducer.ts` L6-8, L59-80 (heap use < 70 %: "Over-Provisioned")',
    differs:
      'DataFlint\'s 70 % would fire on almost every job. We also require that every executor reported a peak (all-zero objects are "not reported"), that every executor lived ≥ 2 min (peaks are sampled at heartbeats, and a shorter run is a test, not a steady state), no stage spilled ≥ 10 %, and GC < 5 %. The real log of Spark\'s LargeBlocks test (7g, peak 939 MiB, 100 ms polling, 62 s) is silent because of the lifetime guard; DataFlint and Dr. Elephant both flag it',
    tryText: 'Lower `spark.executor.memory` toward 1.2 × peak + 300 MiB; for PySpark keep `memoryOverhead` / `spark.executor.pyspark.memory` (Python lives outside the heap)',
  },
  run(input) {
    const props = input.props;
    if (!props) return [];
    const configured = parseSparkSize(props['spark.executor.memory'], 'm') ?? DEFAULT_HEAP_BYTES;
    if (configured <= MEMORY_TOO_HIGH.minExecutorMemoryBytes) return [];
    const ran = (input.executors ?? []).filter((e) => e.id !== 'driver' && e.totalTasks > 0);
    if (ran.length === 0) return [];
    if (ran.some((e) => !(e.peak.jvmHeap !== undefined && e.peak.jvmHeap > 0))) return [];
    const appEnd = input.app?.endTime ?? input.now;
    if (ran.some((e) => (executorLifetimeMs(e, appEnd) ?? 0) < MEMORY_TOO_HIGH.minLifetimeMs)) return [];
    if ((input.stages ?? []).some((s) => stageMaxData(s) > 0 && s.memoryBytesSpilled / stageMaxData(s) >= SPILL.information)) return [];
    const gc = ran.reduce((s, e) => s + e.totalGCTimeMs, 0);
    const run = ran.reduce((s, e) => s + e.totalDurationMs, 0);
    if (run > 0 && gc / run >= MEMORY_TOO_HIGH.maxGcShare) return [];
    const peak = Math.max(...ran.map((e) => e.peak.jvmHeap ?? 0));
    const need = peak + RESERVED_MEMORY_BYTES;
    const ratio = configured / need;
    const severity = grade(ratio, [['warning', MEMORY_TOO_HIGH.warning], ['information', MEMORY_TOO_HIGH.information]]);
    if (!severity) return [];
    const suggest = Math.ceil((1.2 * peak + RESERVED_MEMORY_BYTES) / (256 * MiB)) * 256;
    const worst = ran.reduce((a, b) => ((b.peak.jvmHeap ?? 0) > (a.peak.jvmHeap ?? 0) ? b : a));
    return [{
      rule: 'memoryTooHigh',
      severity,
      message:
        `Executors have ${formatBytes(configured)} of heap (spark.executor.memory) but used at most ${formatBytes(peak)} (executor ${worst.id}): ` +
        `${times(ratio)} what they needed with Spark's 300 MiB reserve`,
      executorId: worst.id,
      page: { page: 'executors' },
      figures: { executorMemoryBytes: configured, peakJvmHeapBytes: peak, ratio, executors: ran.length },
      suggestion:
        `Lower spark.executor.memory to about ${suggest}m (1.2 × the peak + 300 MiB) and run more executors in the same memory; ` +
        'for PySpark keep spark.executor.memoryOverhead and spark.executor.pyspark.memory for the Python workers, which live outside the heap.',
    }];
  },
};

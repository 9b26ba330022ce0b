/**
 * GC pressure: the share of task time spent in garbage collection, per stage (Σ jvmGcTime /
 * Σ executorRunTime) and over the executors (Σ totalGCTime / Σ totalDuration, never the driver's
 * row: its totalDuration is the application's uptime). One finding per stage, and one for all
 * executors together ("37 executors spend > 10 % in GC; worst: …"), however many there are.
 */
import { formatDuration } from '../format';
import { grade, pct, plural, stageBase, stageLabel, type Finding, type Rule } from './types';

const MIN = 60_000;

export const GC = {
  /** Shares: the Spark UI paints GC red above 10 %; Dr. Elephant's 15 % and 20 %. */
  information: 0.1,
  warning: 0.15,
  error: 0.2,
  /** Below this much task time, 10 % is young collections and JIT warm-up (ours). */
  minTaskTimeMs: MIN,
  /** Error needs Dr. Elephant's "significant" run time. */
  errorMinTaskTimeMs: 5 * MIN,
  /** An executor counts only with this much task time of its own. */
  executorMinTaskTimeMs: 5 * MIN,
} as const;

const TRY = 'Give each task more heap: raise spark.executor.memory or lower spark.executor.cores; cache less, or serialized (StorageLevel.MEMORY_AND_DISK_SER).';

/** The level of a GC share over this much task time. */
function level(share: number, taskTimeMs: number) {
  if (taskTimeMs < GC.minTaskTimeMs) return undefined;
  return grade(share, [
    ...(taskTimeMs >= GC.errorMinTaskTimeMs ? [['error', GC.error] as const] : []),
    ['warning', GC.warning] as const,
    // Strictly above 10 %, as the Spark UI's test is `>`.
    ['information', GC.information + Number.EPSILON] as const,
  ]);
}

export const gcPressureRule: Rule = {
  doc: {
    id: 'gcPressure',
    title: 'GC pressure',
    scope: 'stage',
    what: 'Stage: `jvmGcTime` / `executorRunTime`. Executors: Σ `totalGCTime` / Σ `totalDuration` over the executors other than the driver, one finding for all of them',
    levels: {
      information: '> 10 % with task time ≥ 60 s',
      warning: '≥ 15 % with task time ≥ 60 s',
      error: '≥ 20 % with task time ≥ 5 min',
    },
    sources:
      '10 %: the Spark UI\'s `GCTimePercent = 0.1` (`executorspage.js`, 4.3.0 L315-320). 15 %: Dr. Elephant `ExecutorGcHeuristic.scala` (customSHSWork L84-85). 20 % and 5 min: Dr. Elephant master L81, customSHSWork L79, L112-116',
    differs:
      'Dr. Elephant scores GC only over 5 min of executor time; we speak from 60 s for information and warning and keep its 5 min for error. The driver row never counts (in local mode only stages are judged): DataFlint and the previous rule read it, comparing a JVM total with the application\'s uptime. An executor counts when it ran ≥ 5 min of tasks',
    tryText: 'More heap per task: `spark.executor.memory` up or `spark.executor.cores` down; cache less, or serialized',
  },
  run(input) {
    const out: Finding[] = [];
    for (const s of input.stages ?? []) {
      if (!(s.executorRunTimeMs > 0)) continue;
      const share = s.jvmGcTimeMs / s.executorRunTimeMs;
      const severity = level(share, s.executorRunTimeMs);
      if (!severity) continue;
      out.push({
        rule: 'gcPressure',
        severity,
        message: `${stageLabel(s)} spent ${pct(share)} of its task time in GC (${formatDuration(s.jvmGcTimeMs)} of ${formatDuration(s.executorRunTimeMs)})`,
        ...stageBase(s),
        figures: { jvmGcTimeMs: s.jvmGcTimeMs, executorRunTimeMs: s.executorRunTimeMs, gcShare: share },
        suggestion: TRY,
      });
    }
    const executors = (input.executors ?? []).filter((e) => e.id !== 'driver' && e.totalDurationMs >= GC.executorMinTaskTimeMs);
    let gc = 0;
    let run = 0;
    let worst: { id: string; share: number; gc: number; run: number } | undefined;
    let over = 0;
    for (const e of executors) {
      gc += e.totalGCTimeMs;
      run += e.totalDurationMs;
      const share = e.totalGCTimeMs / e.totalDurationMs;
      if (share > GC.information) {
        over++;
        if (!worst || share > worst.share) worst = { id: e.id, share, gc: e.totalGCTimeMs, run: e.totalDurationMs };
      }
    }
    if (worst && run > 0) {
      const share = gc / run;
      const severity = level(share, run) ?? 'information';
      out.push({
        rule: 'gcPressure',
        severity,
        message:
          `${over === executors.length && over > 1 ? `All ${over} executors` : plural(over, 'executor')} spent more than 10 % of task time in GC ` +
          `(${pct(share)} over all ${plural(executors.length, 'executor')}); worst: executor ${worst.id}, ${pct(worst.share)} (${formatDuration(worst.gc)} of ${formatDuration(worst.run)})`,
        executorId: worst.id,
        page: { page: 'executors' },
        figures: { executorsOver: over, executors: executors.length, gcShare: share, worstGcShare: worst.share, totalGCTimeMs: gc, totalDurationMs: run },
        suggestion: TRY,
      });
    }
    return out;
  },
};

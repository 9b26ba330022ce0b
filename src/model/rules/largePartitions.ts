/**
 * Large partitions: the largest single task's input, shuffle read, shuffle write or output
 * (task summary q 1.0). One task holding gigabytes is slow, spills, and is the first to run out
 * of memory; an out-of-memory shows up under failed tasks and lost executors, so no error here.
 */
import { formatBytes, formatCount } from '../format';
import { grade, isFinished, quantile, stageBase, stageKey, stageLabel, stageMaxData, type Finding, type Rule } from './types';

const MiB = 1024 * 1024;

export const LARGE_PARTITIONS = {
  /** AQE's skewedPartitionThresholdInBytes (256 MB; also 2 × spark.sql.files.maxPartitionBytes). */
  information: 256 * MiB,
  /** DataFlint's MaxPartitionToBigAlert: 5 GiB. */
  warning: 5 * 1024 * MiB,
  targetPartitionBytes: 64 * MiB,
} as const;

const KINDS = [
  ['output', 'outputBytes'],
  ['input', 'inputBytes'],
  ['shuffle write', 'shuffleWriteBytes'],
  ['shuffle read', 'shuffleReadBytes'],
] as const;

export const largePartitionsRule: Rule = {
  doc: {
    id: 'largePartitions',
    title: 'Large partitions',
    scope: 'stage',
    what: 'The largest task\'s bytes: max over input (`inputMetrics.bytesRead`), shuffle read, shuffle write and output at task summary q 1.0',
    levels: { information: '> 256 MiB', warning: '> 5 GiB' },
    sources:
      '5 GiB: DataFlint `MaxPartitionToBigAlert.ts` L9, L66-83 (a warning). 256 MiB: AQE `spark.sql.adaptive.skewJoin.skewedPartitionThresholdInBytes` (SQLConf.scala L1138-1146), 2 × `spark.sql.files.maxPartitionBytes`',
    differs: 'DataFlint speaks only at 5 GiB; 256 MiB is where Spark itself calls a partition big enough to split. No error: an out-of-memory is reported by failed tasks and lost executors',
    tryText: 'More partitions: splittable input and `spark.sql.files.maxPartitionBytes`, `repartition(n)`, AQE advisory partition size',
  },
  run(input) {
    const out: Finding[] = [];
    for (const s of input.stages ?? []) {
      const summary = input.taskSummaries?.get(stageKey(s));
      if (!summary || !isFinished(s)) continue;
      let best: { kind: string; bytes: number } | undefined;
      for (const [kind, field] of KINDS) {
        const v = quantile(summary, summary[field], 1);
        if (v !== undefined && v > (best?.bytes ?? 0)) best = { kind, bytes: v };
      }
      if (!best) continue;
      const severity = grade(best.bytes, [['warning', LARGE_PARTITIONS.warning + 1], ['information', LARGE_PARTITIONS.information + 1]]);
      if (!severity) continue;
      const want = Math.ceil(stageMaxData(s) / LARGE_PARTITIONS.targetPartitionBytes);
      out.push({
        rule: 'largePartitions',
        severity,
        message: `${stageLabel(s)}: its largest task had ${formatBytes(best.bytes)} of ${best.kind}`,
        ...stageBase(s),
        figures: { maxPartitionBytes: best.bytes, numTasks: s.numTasks },
        suggestion:
          `Split the data into more partitions${want > s.numTasks ? ` (about ${formatCount(want)} of 64 MiB instead of ${formatCount(s.numTasks)})` : ''}: ` +
          'for files lower spark.sql.files.maxPartitionBytes (and use a splittable format), else repartition(n) before the wide operation; with AQE, spark.sql.adaptive.advisoryPartitionSizeInBytes.',
      });
    }
    return out;
  },
};

/**
 * Skew: a stage whose slowest task runs far longer than its median task, from the stage's
 * task-summary quantiles of `executorRunTime` (not `duration`: a real 3.1.1 log reports
 * `duration` at q 1.0 as 53 201 ms while the slowest task ran 63 773; `executorRunTime` at q 1.0,
 * 60 141, is the one that matches, and DataFlint and Dr. Elephant both use it).
 */
import { formatBytes, formatDuration } from '../format';
import { grade, isFinished, quantile, stageBase, stageKey, stageLabel, stageWallMs, times, type Finding, type Rule } from './types';

export const SKEW = {
  /** No level below this slowest task (DataFlint's MAX_TASK_DURATION_THRESHOLD_MS). */
  minMaxTaskMs: 5_000,
  /** slowest / median: AQE's skewedPartitionFactor (5), DataFlint's PARTITION_SKEW_RATIO (10), Dr. Elephant's top level (16). */
  information: 5,
  warning: 10,
  error: 16,
  /** Warning and error: the slowest task holds the stage up (Dr. Elephant: > 0.75 of the stage's wall time). */
  wallShare: 0.75,
  /** Error: the slowest task is long in absolute terms too (Dr. Elephant: 150 s). */
  errorMinMaxTaskMs: 150_000,
  /** The byte distribution (shuffle read or input) confirms data skew at this ratio. */
  dataRatio: 5,
} as const;

/** The quantiles asked of a stage's task summary: the median, the upper tail and the max. */
export const SUMMARY_QUANTILES: readonly number[] = [0.5, 0.75, 0.95, 1.0];

const DATA_SKEW_TRY =
  'Spread the hot key: with adaptive execution on, spark.sql.adaptive.skewJoin.enabled=true splits skewed join partitions ' +
  '(lower spark.sql.adaptive.skewJoin.skewedPartitionThresholdInBytes, 256 MB, when the partition is below it); ' +
  'otherwise salt the key or repartition by another column before the wide operation.';
const STRAGGLER_TRY =
  'The slow task did not get more data: check the host of its executor in the Spark UI, turn on spark.speculation to retry slow tasks elsewhere, ' +
  'and for Python code keep spark.python.worker.reuse=true (worker start-up).';

function byteRatio(max: number | undefined, median: number | undefined): number | undefined {
  if (max === undefined || median === undefined || !(max > 0)) return undefined;
  return median > 0 ? max / median : Infinity;
}

export const skewRule: Rule = {
  doc: {
    id: 'skew',
    title: 'Skew',
    scope: 'stage',
    what: 'R = slowest / median task `executorRunTime` (task summary q 1.0 / q 0.5); W = stage completion − submission. "Skewed" only when shuffle-read or input bytes at q 1.0 / q 0.5 ≥ 5, else "straggler"',
    levels: {
      information: `R ≥ ${SKEW.information} and slowest ≥ 5 s`,
      warning: `R ≥ ${SKEW.warning}, slowest ≥ 5 s and ≥ 0.75 W`,
      error: `R ≥ ${SKEW.error}, slowest > 150 s and > 0.75 W`,
    },
    sources:
      '5: AQE `spark.sql.adaptive.skewJoin.skewedPartitionFactor` (SQLConf.scala L1128-1136). 10 and 5 s: DataFlint `MetricsReducer.ts` L28-29, L124-131. 16, 150 s and 0.75: Dr. Elephant `ConfigurationHeuristicsConstants.scala` L115-116, L147, L150; `StagesAnalyzer.scala` L270-282',
    differs:
      'Dr. Elephant needs 150 s at every level; we keep DataFlint\'s 5 s for information and warning (dev runs are small) and Dr. Elephant\'s full guard for error. DataFlint checks only SQL stages; PySpark RDD stages get it here too. We tell data skew from a straggler by the bytes, which neither does',
    tryText: 'Data skew: AQE skew join, salting, repartition by another key. Straggler: the executor\'s host, `spark.speculation`, `spark.python.worker.reuse`',
  },
  run(input) {
    const out: Finding[] = [];
    for (const s of input.stages ?? []) {
      const summary = input.taskSummaries?.get(stageKey(s));
      if (!summary || !isFinished(s) || s.numTasks < 2) continue;
      const median = quantile(summary, summary.executorRunTime, 0.5);
      const max = quantile(summary, summary.executorRunTime, 1);
      if (median === undefined || max === undefined || !(median > 0) || max < SKEW.minMaxTaskMs) continue;
      const ratio = max / median;
      const wall = stageWallMs(s);
      const holdsUp = wall !== undefined && wall > 0 && max >= SKEW.wallShare * wall;
      const severity = grade(ratio, [
        ...(holdsUp && max > SKEW.errorMinMaxTaskMs ? [['error', SKEW.error] as const] : []),
        ...(holdsUp ? [['warning', SKEW.warning] as const] : []),
        ['information', SKEW.information] as const,
      ]);
      if (!severity) continue;
      const read = byteRatio(quantile(summary, summary.shuffleReadBytes, 1), quantile(summary, summary.shuffleReadBytes, 0.5));
      const input_ = byteRatio(quantile(summary, summary.inputBytes, 1), quantile(summary, summary.inputBytes, 0.5));
      const dataRatio = Math.max(read ?? 0, input_ ?? 0);
      const isData = dataRatio >= SKEW.dataRatio;
      const figures: Record<string, number> = { medianTaskMs: median, maxTaskMs: max, ratio };
      if (wall !== undefined) figures.stageWallMs = wall;
      if (read !== undefined || input_ !== undefined) figures.dataRatio = dataRatio;
      const maxBytes = (read ?? 0) >= (input_ ?? 0) ? quantile(summary, summary.shuffleReadBytes, 1) : quantile(summary, summary.inputBytes, 1);
      const known = read !== undefined || input_ !== undefined;
      const what = isData ? ' is skewed' : known ? ' has a straggler' : ' has a slow task';
      const head = `${stageLabel(s)}${what}: its slowest task ran ${formatDuration(max)}, ${times(ratio)} the median ${formatDuration(median)}`;
      const tail = isData
        ? `, on ${times(dataRatio)} the median's data (${formatBytes(maxBytes)})`
        : known
          ? ' on about the same data as the others (not data skew)'
          : ' (no input or shuffle bytes to tell data skew from a straggler)';
      out.push({
        rule: 'skew',
        severity,
        message: `${head}${tail}`,
        ...stageBase(s),
        figures,
        suggestion: isData ? DATA_SKEW_TRY : known ? STRAGGLER_TRY : `${STRAGGLER_TRY} If its partition holds more rows, that is data skew: ${DATA_SKEW_TRY}`,
      });
    }
    return out;
  },
};

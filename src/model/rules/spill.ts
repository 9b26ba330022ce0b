/**
 * Spill: memory spilled by a stage against the largest data it handled (Dr. Elephant's ratio),
 * not "any spill": a sort that spills a few MB of a GB is doing its job.
 */
import { formatBytes } from '../format';
import { grade, stageBase, stageLabel, stageMaxData, times, type Finding, type Rule } from './types';

const TiB = 1024 ** 4;

export const SPILL = {
  /** memoryBytesSpilled / max(input, shuffle read, shuffle write, output): Dr. Elephant's 0.1 / 0.25 / 0.5. */
  information: 0.1,
  warning: 0.25,
  error: 0.5,
  /** At this much data spill is expected (Dr. Elephant: 3 TB): the finding is information only. */
  expectedAtBytes: 3 * TiB,
  /** The partition size to aim for: AQE's advisoryPartitionSizeInBytes (64 MB). */
  targetPartitionBytes: 64 * 1024 * 1024,
} as const;

/** Which of the four figures is the largest, for the message. */
function largestName(s: { inputBytes: number; shuffleReadBytes: number; shuffleWriteBytes: number; outputBytes: number }): string {
  const pairs: [string, number][] = [['input', s.inputBytes], ['shuffle read', s.shuffleReadBytes], ['shuffle write', s.shuffleWriteBytes], ['output', s.outputBytes]];
  return pairs.reduce((a, b) => (b[1] > a[1] ? b : a))[0];
}

export const spillRule: Rule = {
  doc: {
    id: 'spill',
    title: 'Spill',
    scope: 'stage',
    what: 'ratio = `memoryBytesSpilled` / max(`inputBytes`, `shuffleReadBytes`, `shuffleWriteBytes`, `outputBytes`) of the stage',
    levels: { information: `≥ ${SPILL.information}`, warning: `≥ ${SPILL.warning}`, error: `≥ ${SPILL.error} (information only when the stage handled ≥ 3 TiB)` },
    sources: 'Dr. Elephant `StagesAnalyzer.scala` L196-199 (formula), 0.01/0.1/0.25/0.5 in `ConfigurationHeuristicsConstants.scala` L120-121; the 3 TB exemption L132-140',
    differs:
      'Dr. Elephant\'s lowest level (0.01) gives no finding here. DataFlint has no spill alert. A stage with no reported data (pre-1.3 shuffle reads, `parallelize`) is skipped: there is no ratio to take',
    tryText: 'More partitions (`repartition(n)`, n ≈ data / 64 MiB; AQE advisory size), then `spark.executor.memory` up or `spark.executor.cores` down (Dr. Elephant\'s order), `spark.memory.fraction`',
  },
  run(input) {
    const out: Finding[] = [];
    const partitions = input.props?.['spark.sql.shuffle.partitions'] ?? '200';
    for (const s of input.stages ?? []) {
      const data = stageMaxData(s);
      if (!(s.memoryBytesSpilled > 0) || !(data > 0)) continue;
      const ratio = s.memoryBytesSpilled / data;
      let severity = grade(ratio, [['error', SPILL.error], ['warning', SPILL.warning], ['information', SPILL.information]]);
      if (!severity) continue;
      const expected = data >= SPILL.expectedAtBytes;
      if (expected) severity = 'information';
      const want = Math.ceil(data / SPILL.targetPartitionBytes);
      const perTask = data / Math.max(1, s.numTasks);
      const memory = 'raise spark.executor.memory or lower spark.executor.cores (more memory per task), or raise spark.memory.fraction.';
      const suggestion = want > s.numTasks
        ? `Give each task less data: about ${want} partitions for ${formatBytes(data)} instead of ${s.numTasks} ` +
          `(spark.sql.shuffle.partitions is ${partitions}; or spark.sql.adaptive.advisoryPartitionSizeInBytes), then ${memory}`
        : `Tasks already get ${formatBytes(perTask)} each: ${memory}`;
      out.push({
        rule: 'spill',
        severity,
        message:
          `${stageLabel(s)} spilled ${formatBytes(s.memoryBytesSpilled)} from memory, ${formatBytes(s.diskBytesSpilled)} written to disk: ` +
          `${times(ratio)} its ${largestName(s)} of ${formatBytes(data)}${expected ? ' (expected at this size)' : ''}`,
        ...stageBase(s),
        figures: { memoryBytesSpilled: s.memoryBytesSpilled, diskBytesSpilled: s.diskBytesSpilled, maxDataBytes: data, ratio, numTasks: s.numTasks },
        suggestion,
      });
    }
    return out;
  },
};

/**
 * Many small tasks: a stage of far more tasks than cores, each too short and too small to be
 * worth its scheduling, serialisation and (for Python) worker round trip.
 */
import { formatBytes, formatCount, formatDuration } from '../format';
import type { Executor } from '../types';
import { quantile, stageBase, stageKey, stageLabel, stageMaxData, stageWallMs, taskExecutors, type Finding, type Rule } from './types';

const MiB = 1024 * 1024;

export const SMALL_TASKS = {
  /** Information: more than 3 tasks per core (the tuning guide's 2–3), median task < 200 ms, < 1 MiB per task, stage ≥ 10 s. */
  tasksPerCore: 3,
  infoMedianMs: 200,
  infoBytesPerTask: MiB,
  /** Warning: DataFlint's SmallTasksAlert, > 5000 tasks with a median < 500 ms. */
  warnTasks: 5000,
  warnMedianMs: 500,
  /** Below this stage wall time there is nothing worth saving (ours). */
  minStageWallMs: 10_000,
  /** The partition size to aim for: AQE's advisoryPartitionSizeInBytes (64 MB). */
  targetPartitionBytes: 64 * MiB,
} as const;

/** Task slots of the application: Σ maxTasks of the executors that run tasks (the driver's in local mode). */
export function taskSlots(executors: readonly Executor[]): number {
  const { list } = taskExecutors(executors);
  return list.reduce((s, e) => s + (e.maxTasks > 0 ? e.maxTasks : e.totalCores), 0);
}

export const smallTasksRule: Rule = {
  doc: {
    id: 'smallTasks',
    title: 'Many small tasks',
    scope: 'stage',
    what: '`numTasks` against task slots (Σ `maxTasks`), the median task `executorRunTime` (task summary q 0.5), bytes per task = largest of input / shuffle / output ÷ `numTasks`',
    levels: {
      information: '> 3 tasks per slot, median < 200 ms, < 1 MiB per task, stage ≥ 10 s',
      warning: '> 5000 tasks, median < 500 ms, stage ≥ 10 s',
    },
    sources:
      '5000 and 500 ms: DataFlint `SmallTasksAlert.ts` L9-10, L39-42 (it suggests numTasks / 10). 200 ms and 2-3 tasks per core: Spark\'s tuning guide ("Level of Parallelism", "Memory Usage of Reduce Tasks"). 1 MiB: AQE `spark.sql.adaptive.coalescePartitions.minPartitionSize` (SQLConf.scala L1003-1010)',
    differs:
      'Dr. Elephant has no such rule (it flags the opposite, long median tasks). No error level: small tasks cost time, never correctness. The 10 s floor is ours: below it there is nothing to save',
    tryText: '`coalesce` / `repartition` to max(2-3 × slots, data / 64 MiB); for SQL keep AQE partition coalescing on',
  },
  run(input) {
    const out: Finding[] = [];
    const slots = taskSlots(input.executors ?? []);
    for (const s of input.stages ?? []) {
      const summary = input.taskSummaries?.get(stageKey(s));
      const wall = stageWallMs(s);
      if (!summary || s.status !== 'COMPLETE' || wall === undefined || wall < SMALL_TASKS.minStageWallMs) continue;
      const median = quantile(summary, summary.executorRunTime, 0.5);
      if (median === undefined) continue;
      const data = stageMaxData(s);
      const perTask = data / Math.max(1, s.numTasks);
      let severity: 'warning' | 'information' | undefined;
      if (s.numTasks > SMALL_TASKS.warnTasks && median < SMALL_TASKS.warnMedianMs) severity = 'warning';
      else if (slots > 0 && s.numTasks > SMALL_TASKS.tasksPerCore * slots && median < SMALL_TASKS.infoMedianMs && perTask < SMALL_TASKS.infoBytesPerTask) severity = 'information';
      if (!severity) continue;
      // 2-3 per slot and about 64 MiB each; without slots, DataFlint's numTasks / 10.
      const target = slots > 0 ? Math.max(3 * slots, Math.ceil(data / SMALL_TASKS.targetPartitionBytes)) : Math.ceil(s.numTasks / 10);
      out.push({
        rule: 'smallTasks',
        severity,
        message:
          `${stageLabel(s)} ran ${formatCount(s.numTasks)} tasks${slots > 0 ? ` on ${formatCount(slots)} task slots` : ''}, ` +
          `median ${formatDuration(median)} and ${formatBytes(perTask)} each, over ${formatDuration(wall)}`,
        ...stageBase(s),
        figures: { numTasks: s.numTasks, slots, medianTaskMs: median, bytesPerTask: perTask, stageWallMs: wall },
        suggestion: `Fewer, larger partitions: coalesce or repartition to about ${formatCount(target)} (2-3 per task slot, about 64 MiB each); for SQL keep spark.sql.adaptive.coalescePartitions.enabled on.`,
      });
    }
    return out;
  },
};
